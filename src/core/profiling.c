/* profiling.c — the public profiling calls (foundry/profile.h) over the
 * foundry's profiler, and the measured copy bandwidth it keeps.
 *
 * Layer: core. The foundry owns one profiler, made by the first
 * fd_profile_enable and freed with the foundry. States:
 *     off (prof NULL) --fd_profile_enable(1)--> on (prof == prof_obj)
 *     on --fd_graph_begin--> paused (prof NULL, prof_on 1) --fd_graph_end--> on
 *     on --fd_profile_enable(0)--> off; records stay until fd_profile_reset
 * Timed spans are resolved as their events complete, at fd_foundry_sync, after
 * a device read (fd_tensor_read) and before every report. */
#include "core/internal.h"
#include "profile/profile.h"

fd_status fd_profile_enable(fd_foundry *fd, int on)
{
    if (!fd) return FD_ERR_INVALID;
    if (on && !fd->prof_obj) FD_TRY(fd_prof_create(fd->be, &fd->prof_obj, &fd->err));
    fd->prof_on = on != 0;
    fd->prof = fd->prof_on && !fd->capturing ? fd->prof_obj : NULL;
    return FD_OK;
}

int fd_profile_enabled(const fd_foundry *fd) { return fd && fd->prof_on; }

void fd_profile_free(fd_foundry *fd)
{
    fd_prof_destroy(fd->prof_obj);
    fd->prof = fd->prof_obj = NULL;
    fd->prof_on = 0;
}

fd_status fd_profile_sync(fd_foundry *fd)
{
    return fd->prof_obj ? fd_prof_resolve(fd->prof_obj, 1, &fd->err) : FD_OK;
}

fd_status fd_profile_reset(fd_foundry *fd)
{
    if (!fd->prof_obj) return FD_OK;
    if (fd->capturing) return fd_fail(fd, FD_ERR_STATE, "fd_profile_reset while a graph is being recorded");
    FD_TRY(fd->be->synchronize(fd->be, &fd->err));
    return fd_prof_reset(fd->prof_obj, &fd->err);
}

fd_status fd_scope_begin(fd_foundry *fd, const char *name)
{
    if (!fd->prof) return FD_OK;
    return fd_prof_push(fd->prof, name, FD_SPAN_SCOPE, &fd->err);
}

fd_status fd_scope_end(fd_foundry *fd)
{
    if (!fd->prof) return FD_OK;
    return fd_prof_pop(fd->prof, 0, &fd->err);
}

/* The cached copy bandwidth, measured first if need be; the reason in e. */
static fd_status copy_bandwidth(fd_foundry *fd, fd_error *e)
{
    if (fd->copy_Bps > 0) return FD_OK;
    if (fd->capturing) return fd_error_set(e, FD_ERR_STATE, "copy bandwidth: not while a graph is being recorded");
    FD_TRY(fd_prof_copy_bandwidth(fd->be, &fd->copy_Bps, e));
    fd_log(fd, FD_LOG_INFO, "copy bandwidth of %s: %.1f GB/s (measured)", fd->be->device_name, fd->copy_Bps / 1e9);
    return FD_OK;
}

fd_status fd_device_copy_bandwidth(fd_foundry *fd, double *bytes_per_s)
{
    fd_error e = { 0 };
    *bytes_per_s = 0;
    fd_status st = copy_bandwidth(fd, &e);
    if (st != FD_OK) return fd_fail(fd, st, "%s", e.msg);
    *bytes_per_s = fd->copy_Bps;
    return FD_OK;
}

fd_status fd_profile_report(fd_foundry *fd, fd_profile_summary **out)
{
    *out = NULL;
    if (fd->capturing) return fd_fail(fd, FD_ERR_STATE, "fd_profile_report while a graph is being recorded");
    if (!fd->prof_obj) FD_TRY(fd_prof_create(fd->be, &fd->prof_obj, &fd->err));   /* never on: an empty report */
    FD_TRY(fd->be->synchronize(fd->be, &fd->err));
    FD_TRY(fd_prof_resolve(fd->prof_obj, 1, &fd->err));
    fd_error e = { 0 };
    if (copy_bandwidth(fd, &e) != FD_OK) fd_log(fd, FD_LOG_NOTICE, "profile: copy bandwidth unknown: %s", e.msg);
    return fd_prof_summarize(fd->prof_obj, fd->copy_Bps, fd->be->device_name, out, &fd->err);
}

void fd_profile_summary_free(fd_profile_summary *s) { fd_prof_summary_free(s); }

fd_status fd_profile_write_table(fd_foundry *fd, FILE *f, int top_n)
{
    fd_profile_summary *s;
    FD_TRY(fd_profile_report(fd, &s));
    fd_status st = fd_prof_write_table(s, f, top_n, &fd->err);
    fd_prof_summary_free(s);
    return st;
}

fd_status fd_profile_write_jsonl(fd_foundry *fd, const char *path)
{
    fd_profile_summary *s;
    FD_TRY(fd_profile_report(fd, &s));
    fd_status st = fd_prof_write_jsonl(s, path, &fd->err);
    fd_prof_summary_free(s);
    return st;
}

fd_status fd_profile_write_trace(fd_foundry *fd, const char *path)
{
    fd_profile_summary *s;
    FD_TRY(fd_profile_report(fd, &s));
    fd_status st = fd_prof_write_trace(fd->prof_obj, s, path, &fd->err);
    fd_prof_summary_free(s);
    return st;
}
