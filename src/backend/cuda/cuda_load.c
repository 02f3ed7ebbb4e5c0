/* cuda_load.c — opens the CUDA driver and NVRTC with dlopen and resolves
 * every entry point of cuda_api.h into one table.
 *
 * Layer: backend/cuda. Owns the dlopen handles it returns in the tables; the
 * matching unload closes them. Libraries are opened RTLD_NODELETE so that an
 * offline compile loop which loads and unloads NVRTC per kernel pays the
 * library's start-up once per process. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "backend/cuda/cuda_api.h"

static const char *dl_why(void)
{
    const char *e = dlerror();
    return e ? e : "unknown dlopen error";
}

/* Resolves `n` symbols named in `names` into the consecutive function-pointer
 * members starting at `first`. */
static fd_status resolve(void *lib, const char *libname, const char *const *names, size_t n,
                         void (**first)(void), fd_error *err)
{
    for (size_t i = 0; i < n; i++) {
        (void)dlerror();
        void *p = dlsym(lib, names[i]);
        if (!p)
            return fd_error_set(err, FD_ERR_UNAVAILABLE, "%s lacks symbol %s: %s", libname, names[i],
                                dl_why());
        /* POSIX guarantees data and function pointers convert; memcpy keeps ISO C quiet. */
        memcpy(&first[i], &p, sizeof p);
    }
    return FD_OK;
}

#define FD_API_NAME_(ret, name, sym, params) sym,
#define FD_API_COUNT_(ret, name, sym, params) +1

fd_status fd_cu_load(fd_cu_api *api, fd_error *err)
{
    static const char *const names[] = { FD_CU_FUNCS(FD_API_NAME_) };
    enum { N = 0 FD_CU_FUNCS(FD_API_COUNT_) };
    _Static_assert(sizeof(fd_cu_api) == sizeof(void *) * (N + 4), "fd_cu_api: one pointer per symbol");   /* lib and the three optional ones */
    memset(api, 0, sizeof *api);
    (void)dlerror();
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib)
        return fd_error_set(err, FD_ERR_UNAVAILABLE, "cannot load the CUDA driver libcuda.so.1: %s", dl_why());
    fd_status st = resolve(lib, "libcuda.so.1", names, N, (void (**)(void))(void *)&api->Init, err);
    if (st != FD_OK) {
        dlclose(lib);
        memset(api, 0, sizeof *api);
        return st;
    }
    void *ex = dlsym(lib, "cuLaunchKernelEx");   /* optional */
    memcpy(&api->LaunchKernelEx, &ex, sizeof ex);
    void *tm = dlsym(lib, "cuTensorMapEncodeTiled");   /* optional */
    memcpy(&api->TensorMapEncodeTiled, &tm, sizeof tm);
    void *coop = dlsym(lib, "cuLaunchCooperativeKernel");   /* optional */
    memcpy(&api->LaunchCooperativeKernel, &coop, sizeof coop);
    api->lib = lib;
    return FD_OK;
}

void fd_cu_unload(fd_cu_api *api)
{
    if (api->lib) dlclose(api->lib);
    memset(api, 0, sizeof *api);
}

fd_status fd_nvrtc_load(fd_nvrtc_api *api, fd_error *err)
{
    static const char *const names[] = { FD_NVRTC_FUNCS(FD_API_NAME_) };
    static const char *const files[] = { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so" };
    static const char *const dirs[] = { "", "/usr/local/cuda/lib64/", "/usr/local/cuda/lib/" };
    enum { N = 0 FD_NVRTC_FUNCS(FD_API_COUNT_) };
    char tried[512] = "", first_why[256] = "";
    size_t used = 0;
    void *lib = NULL;
    memset(api, 0, sizeof *api);
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0] && !lib; d++) {
        for (size_t f = 0; f < sizeof files / sizeof files[0] && !lib; f++) {
            snprintf(api->path, sizeof api->path, "%s%s", dirs[d], files[f]);
            (void)dlerror();
            lib = dlopen(api->path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
            if (!lib) {
                if (!first_why[0]) snprintf(first_why, sizeof first_why, "%s", dl_why());
                if (used < sizeof tried)
                    used += (size_t)snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "",
                                             api->path);
            }
        }
    }
    if (!lib) {
        memset(api, 0, sizeof *api);
        return fd_error_set(err, FD_ERR_UNAVAILABLE, "cannot load NVRTC (tried %s): %s", tried, first_why);
    }
    fd_status st = resolve(lib, api->path, names, N, (void (**)(void))(void *)&api->Version, err);
    if (st == FD_OK) {
        nvrtcResult r = api->Version(&api->major, &api->minor);
        if (r != NVRTC_SUCCESS)
            st = fd_error_set(err, FD_ERR_UNAVAILABLE, "%s: nvrtcVersion failed (%d)", api->path, r);
    }
    if (st != FD_OK) {
        dlclose(lib);
        memset(api, 0, sizeof *api);
        return st;
    }
    api->lib = lib;
    return FD_OK;
}

void fd_nvrtc_unload(fd_nvrtc_api *api)
{
    if (api->lib) dlclose(api->lib);
    memset(api, 0, sizeof *api);
}

const char *fd_cu_describe(const fd_cu_api *api, CUresult r, char *buf, size_t cap)
{
    const char *name = NULL, *str = NULL;
    if (api->GetErrorName && api->GetErrorName(r, &name) != CUDA_SUCCESS) name = NULL;
    if (api->GetErrorString && api->GetErrorString(r, &str) != CUDA_SUCCESS) str = NULL;
    if (name && str) snprintf(buf, cap, "%s: %s", name, str);
    else snprintf(buf, cap, "CUDA error %d", r);
    return buf;
}
