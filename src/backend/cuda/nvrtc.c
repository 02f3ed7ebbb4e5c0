/* nvrtc.c — CUDA source to CUBIN: the NVRTC options, the disk-cache key, one
 * compile, and the offline entry points that need no driver.
 *
 * Layer: backend/cuda. Owns nothing between calls: an image it returns is the
 * caller's (fd_nvrtc_image_free); the disk cache belongs to its opener. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "backend/cuda/nvrtc.h"
#include "backend/cuda/nvrtc_log.h"
#include "base/mem.h"

#define KEY_TAG "foundry-nvrtc-1"   /* bump to orphan every entry when the build recipe changes */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The options for sm_<arch>; `archopt` holds the architecture flag.
 * NVRTC 12.9 and later keep their own cache of compiled programs and, on a
 * hit, skip ptxas and so print no register counts; ours is the cache that
 * matters, so theirs is turned off. */
static int options(const fd_nvrtc_api *api, int arch, char *archopt, size_t cap, const char *opts[8])
{
    int n = 0;
    char as[16];
    snprintf(archopt, cap, "--gpu-architecture=%s", fd_arch_str(arch, as));
    opts[n++] = archopt;
    opts[n++] = "-default-device";
    opts[n++] = "--std=c++17";
    opts[n++] = "--extra-device-vectorization";
    opts[n++] = "-Xptxas=-v";   /* registers and spills into the log, for reports without a driver */
    if (api->major > 12 || (api->major == 12 && api->minor >= 9)) opts[n++] = "--no-cache";
    return n;
}

uint64_t fd_nvrtc_options_hash(const fd_nvrtc_api *api, int arch)
{
    const char *opts[8];
    char archopt[48];
    int n = options(api, arch, archopt, sizeof archopt, opts);
    int ver[3] = { api->major, api->minor, arch };
    uint64_t h = fd_hash64(FD_HASH_SEED, KEY_TAG, sizeof KEY_TAG);
    for (int i = 0; i < n; i++) h = fd_hash64(h, opts[i], strlen(opts[i]) + 1);
    return fd_hash64(h, ver, sizeof ver);
}

static uint64_t disk_key(const fd_nvrtc_api *api, int arch, const char *name, const char *source)
{
    uint64_t h = fd_nvrtc_options_hash(api, arch);
    h = fd_hash64(h, name, strlen(name) + 1);
    return fd_hash64(h, source, strlen(source));
}

/* Long text (a compile report) straight to the log: fd_kcd_log caps at 1 KiB. */
static void log_text(const fd_kcache_disk *dc, fd_log_level level, const char *text)
{
    if (dc && dc->log) dc->log(dc->log_user, level, text);
    else fprintf(stderr, "foundry: %s: %s\n", level >= FD_LOG_ERROR ? "error" : "warning", text);
}

/* The program log as a heap string (NULL if empty or out of memory). */
static char *program_log(const fd_nvrtc_api *api, nvrtcProgram prog)
{
    size_t n = 0;
    if (api->GetProgramLogSize(prog, &n) != NVRTC_SUCCESS || n <= 1) return NULL;
    char *log = fd_malloc(n + 1);
    if (!log) return NULL;
    if (api->GetProgramLog(prog, log) != NVRTC_SUCCESS) {
        fd_free(log);
        return NULL;
    }
    log[n] = '\0';
    return log;
}

static fd_status compile_failed(const fd_nvrtc_api *api, const fd_kcache_disk *dc, int arch, const char *name,
                                const char *source, nvrtcResult r, const char *log, fd_error *err)
{
    char first[160];
    snprintf(first, sizeof first, "%s.cu: %s", name, api->GetErrorString(r));
    char *text = fd_nvrtc_error_text(name, arch, source, log ? log : first);
    if (!text)
    {
        char as[16];
        return fd_error_set(err, FD_ERR_COMPILE, "kernel '%s' does not compile for %s: %s", name,
                            fd_arch_str(arch, as), first);
    }
    log_text(dc, FD_LOG_ERROR, text);
    if (err && err->status == FD_OK) {
        err->status = FD_ERR_COMPILE;
        fd_nvrtc_fit(err->msg, sizeof err->msg, text);
    }
    fd_free(text);
    return FD_ERR_COMPILE;
}

/* One NVRTC run: source -> out->data (CUBIN), regs, spills, seconds. */
static fd_status compile(const fd_nvrtc_api *api, const fd_kcache_disk *dc, int arch, const char *name,
                         const char *source, fd_nvrtc_image *out, fd_error *err)
{
    const char *opts[8];
    char archopt[48], progname[160];
    int nopt = options(api, arch, archopt, sizeof archopt, opts);
    nvrtcProgram prog = NULL;
    char *log = NULL;
    fd_status st = FD_OK;
    double t0 = now_s();
    snprintf(progname, sizeof progname, "%s.cu", name);
    nvrtcResult r = api->CreateProgram(&prog, source, progname, 0, NULL, NULL);
    if (r != NVRTC_SUCCESS)
        return fd_error_set(err, FD_ERR_COMPILE, "nvrtcCreateProgram('%s'): %s", name, api->GetErrorString(r));
    r = api->CompileProgram(prog, nopt, opts);
    log = program_log(api, prog);
    if (r != NVRTC_SUCCESS) {
        st = compile_failed(api, dc, arch, name, source, r, log, err);
        goto done;
    }
    size_t n = 0;
    if ((r = api->GetCUBINSize(prog, &n)) != NVRTC_SUCCESS || n == 0) {
        char as[16];
        st = fd_error_set(err, FD_ERR_COMPILE, "kernel '%s': NVRTC produced no CUBIN for %s (%s)", name,
                          fd_arch_str(arch, as),
                          r != NVRTC_SUCCESS ? api->GetErrorString(r) : "empty");
        goto done;
    }
    if (!(out->data = fd_malloc(n))) {
        st = fd_error_set(err, FD_ERR_NOMEM, "kernel '%s': no memory for a %zu-byte CUBIN", name, n);
        goto done;
    }
    if ((r = api->GetCUBIN(prog, out->data)) != NVRTC_SUCCESS) {
        st = fd_error_set(err, FD_ERR_COMPILE, "nvrtcGetCUBIN('%s'): %s", name, api->GetErrorString(r));
        goto done;
    }
    out->size = n;
    fd_nvrtc_parse_ptxas(log, name, &out->regs, &out->spills);
done:
    out->seconds = now_s() - t0;
    if (st != FD_OK) {
        fd_free(out->data);
        out->data = NULL;
        out->size = 0;
    }
    fd_free(log);
    api->DestroyProgram(&prog);
    return st;
}

fd_status fd_nvrtc_build(const fd_nvrtc_api *api, fd_kcache_disk *dc, int arch, const char *name,
                         const char *source, fd_nvrtc_image *out, fd_error *err)
{
    memset(out, 0, sizeof *out);
    out->regs = out->spills = -1;
    if (!api || !api->lib || !name || !*name || !source)
        return fd_error_set(err, FD_ERR_INVALID, "nvrtc: compile needs NVRTC, a kernel name and source");
    if (strlen(name) > 128) return fd_error_set(err, FD_ERR_INVALID, "nvrtc: kernel name too long: %.40s...", name);
    out->disk_key = disk_key(api, arch, name, source);
    if (dc && fd_kcd_get(dc, out->disk_key, &out->data, &out->size, &out->regs, &out->spills)) {
        out->from_disk = 1;
        return FD_OK;
    }
    fd_status st = compile(api, dc, arch, name, source, out, err);
    if (dc) {
        dc->stats.compiles++;
        dc->stats.compile_seconds += out->seconds;
    }
    if (st != FD_OK) return st;
    if (dc) {
        char as[16];
        fd_kcd_log(dc, FD_LOG_DEBUG, "compiled kernel '%s' for %s in %.3f s (%zu-byte CUBIN, %d registers, "
                   "%d spill bytes)", name, fd_arch_str(arch, as), out->seconds, out->size, out->regs, out->spills);
        fd_kcd_put(dc, out->disk_key, out->data, out->size, out->regs, out->spills);
    }
    return FD_OK;
}

void fd_nvrtc_image_free(fd_nvrtc_image *img)
{
    if (!img) return;
    fd_free(img->data);
    img->data = NULL;
    img->size = 0;
}

fd_status fd_nvrtc_compile_cached(fd_kcache_disk *dc, int arch, const char *name, const char *source,
                                  int *regs, int *spills_bytes, double *seconds, fd_error *err)
{
    double t0 = now_s();
    fd_nvrtc_api api;
    fd_nvrtc_image img;
    if (regs) *regs = -1;
    if (spills_bytes) *spills_bytes = -1;
    if (seconds) *seconds = 0;
    int num = arch & ~FD_ARCH_SPECIFIC;
    if (num < 10 || num > 1000) return fd_error_set(err, FD_ERR_INVALID, "nvrtc: bad architecture sm_%d", num);
    FD_TRY(fd_nvrtc_load(&api, err));
    fd_status st = fd_nvrtc_build(&api, dc, arch, name, source, &img, err);
    if (st == FD_OK) {
        if (regs) *regs = img.regs;
        if (spills_bytes) *spills_bytes = img.spills;
    }
    fd_nvrtc_image_free(&img);
    fd_nvrtc_unload(&api);
    if (seconds) *seconds = now_s() - t0;
    return st;
}

fd_status fd_nvrtc_compile_offline(int arch, const char *name, const char *source, int *regs,
                                   int *spills_bytes, double *seconds, fd_error *err)
{
    fd_kcache_disk dc;
    fd_kcd_open(&dc, NULL, NULL, NULL);
    return fd_nvrtc_compile_cached(&dc, arch, name, source, regs, spills_bytes, seconds, err);
}

int fd_nvrtc_available(char *why, size_t cap)
{
    fd_nvrtc_api api;
    fd_error e = { 0 };
    if (fd_nvrtc_load(&api, &e) != FD_OK) {
        if (why && cap) snprintf(why, cap, "%s", e.msg);
        return 0;
    }
    if (why && cap) snprintf(why, cap, "%s (NVRTC %d.%d)", api.path, api.major, api.minor);
    fd_nvrtc_unload(&api);
    return 1;
}
