/* foundry.c — creating and destroying the Foundry context, its error message
 * and its log.
 *
 * Layer: core. Creation picks the backend (auto: CUDA if it loads, else the
 * CPU with one notice), then reserves the pool. Destruction runs in the
 * reverse order of what creation and use built: resources (newest first),
 * kernel cache, tensors, pool, backend. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/internal.h"
#include "base/mem.h"

#define DEFAULT_POOL_BYTES ((size_t)64 << 20)

static void log_stderr(void *user, fd_log_level level, const char *msg)
{
    static const char *const tag[] = { "debug", "info", "notice", "warning", "error" };
    (void)user;
    fprintf(stderr, "foundry: %s: %s\n", tag[level], msg);
}

void fd_log(fd_foundry *fd, fd_log_level level, const char *fmt, ...)
{
    if (!fd || level < fd->log_level) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fd->log(fd->log_user, level, buf);
}

fd_status fd_fail(fd_foundry *fd, fd_status st, const char *fmt, ...)
{
    if (fd && fd->err.status == FD_OK && st != FD_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(fd->err.msg, sizeof fd->err.msg, fmt, ap);
        va_end(ap);
        fd->err.status = st;
    }
    return st;
}

/* The backend logs through the foundry, so the foundry's level applies. */
static void backend_log(void *user, fd_log_level level, const char *msg)
{
    fd_foundry *fd = user;
    if (level >= fd->log_level) fd->log(fd->log_user, level, msg);
}

static fd_status pick_backend(fd_foundry *fd, const fd_options *o, fd_error *err)
{
    if (o->backend == FD_BACKEND_CPU) return fd_backend_cpu_create(&fd->be, err);
    fd_error cerr = { 0 };
    fd_status st = fd_backend_cuda_create(o->device, o->cache_dir, backend_log, fd, &fd->be, &cerr);
    if (st == FD_OK) return FD_OK;
    if (o->backend == FD_BACKEND_CUDA)
        return fd_error_set(err, st, "CUDA backend requested but not available: %s", cerr.msg);
    fd_log(fd, FD_LOG_NOTICE, "no usable GPU (%s); running on the CPU", cerr.msg);
    return fd_backend_cpu_create(&fd->be, err);
}

fd_status fd_foundry_create(const fd_options *opt, fd_foundry **out, fd_error *err)
{
    static const fd_options defaults = { 0 };
    const fd_options *o = opt ? opt : &defaults;
    *out = NULL;
    if ((unsigned)o->backend > FD_BACKEND_CUDA)
        return fd_error_set(err, FD_ERR_INVALID, "unknown backend kind %d", (int)o->backend);
    if (o->threads < 0 || o->threads > 4096)
        return fd_error_set(err, FD_ERR_INVALID, "threads must be 0 (all processors) to 4096, is %d", o->threads);
    fd_foundry *fd = fd_calloc(1, sizeof *fd);
    if (!fd) return fd_error_set(err, FD_ERR_NOMEM, "foundry: out of memory");
    fd->log = o->log ? o->log : log_stderr;
    fd->log_user = o->log_user;
    fd->log_level = o->log_level ? o->log_level : (o->log ? FD_LOG_DEBUG : FD_LOG_NOTICE);

    fd_status st = pick_backend(fd, o, err);
    if (st == FD_OK) {
        fd->kind = strcmp(fd->be->name, "cuda") ? FD_BACKEND_CPU : FD_BACKEND_CUDA;
        if (fd->kind == FD_BACKEND_CPU && o->threads) fd->be->threads = o->threads;
        if (fd->kind == FD_BACKEND_CPU)   /* figures on a CPU mean little without the thread count */
            snprintf(fd->be->device_name, sizeof fd->be->device_name, "CPU (%d threads)", fd->be->threads);
        fd->pool_cap = o->pool_bytes ? o->pool_bytes : DEFAULT_POOL_BYTES;
        st = fd->be->alloc(fd->be, fd->pool_cap, &fd->pool_base, err);
    }
    if (st != FD_OK) {
        if (fd->be) fd->be->destroy(fd->be);
        fd_free(fd);
        return st;
    }
    *out = fd;
    return FD_OK;
}

void fd_foundry_destroy(fd_foundry *fd)
{
    if (!fd) return;
    if (fd->be) {
        fd_error e = { 0 };
        (void)fd->be->synchronize(fd->be, &e);
    }
    fd_resource_release_all(fd);
    fd_profile_free(fd);
    if (fd->kcache && fd->kcache_free) fd->kcache_free(fd->kcache);
    if (fd->live_dedicated)
        fd_log(fd, FD_LOG_WARN, "%zu dedicated tensor(s) not freed before fd_foundry_destroy (leak)",
               fd->live_dedicated);
    while (fd->tensors) {
        fd_tensor *t = fd->tensors;
        (void)fd_tensor_free(t);
    }
    if (fd->be) {
        fd->be->release(fd->be, fd->pool_base);
        if (fd->scratch) fd->be->release(fd->be, fd->scratch);
        fd->be->destroy(fd->be);
    }
    fd_free(fd);
}

fd_status fd_scratch(fd_foundry *fd, fd_devptr *out)
{
    *out = fd->scratch;
    if (fd->scratch) return FD_OK;
    if (fd->capturing)
        return fd_fail(fd, FD_ERR_STATE, "the device scratch is first needed while a graph is being captured: "
                       "run the step once before capturing it");
    fd_devptr p;
    FD_TRY(fd->be->alloc(fd->be, FD_SCRATCH_BYTES, &p, &fd->err));
    fd_status st = fd->be->memset8 ? fd->be->memset8(fd->be, p, 0, FD_SCRATCH_BYTES, &fd->err) : FD_OK;
    if (st != FD_OK) {
        fd->be->release(fd->be, p);
        return st;
    }
    *out = fd->scratch = p;
    return FD_OK;
}

const char *fd_foundry_error(const fd_foundry *fd) { return fd ? fd->err.msg : ""; }
fd_status fd_foundry_status(const fd_foundry *fd) { return fd ? fd->err.status : FD_ERR_INVALID; }
void fd_foundry_clear_error(fd_foundry *fd) { if (fd) fd_error_clear(&fd->err); }
fd_backend_kind fd_foundry_backend(const fd_foundry *fd) { return fd->kind; }
const char *fd_foundry_device_name(const fd_foundry *fd) { return fd->be->device_name; }
int fd_foundry_pdl(const fd_foundry *fd) { return fd->be->pdl; }
int fd_foundry_arch(const fd_foundry *fd) { return fd->be->arch; }
int fd_foundry_tensor_maps(const fd_foundry *fd) { return fd->be->tensor_map != NULL; }
size_t fd_foundry_live_tensors(const fd_foundry *fd) { return fd->live_dedicated; }

fd_status fd_foundry_sync(fd_foundry *fd)
{
    FD_TRY(fd->be->synchronize(fd->be, &fd->err));
    return fd_profile_sync(fd);
}

fd_status fd_foundry_mem_info(fd_foundry *fd, size_t *free_bytes, size_t *total)
{
    *free_bytes = *total = 0;
    if (!fd->be->mem_info) return fd_fail(fd, FD_ERR_UNSUPPORTED, "the %s backend cannot tell its memory", fd->be->name);
    return fd->be->mem_info(fd->be, free_bytes, total, &fd->err);
}

unsigned fd_foundry_multiprocessors(const fd_foundry *fd) { return fd->be->sms ? fd->be->sms : 1; }
