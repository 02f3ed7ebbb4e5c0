/* cuda_backend.c — the CUDA backend: loading the driver and NVRTC, opening the
 * device (primary context, one non-blocking stream), compiling kernels into
 * loaded modules, launching them, and tearing it all down.
 *
 * Layer: backend/cuda. Owns the driver and NVRTC handles, the retained
 * primary context, the stream, every loaded module (cuda_int.h invariant 3)
 * and the disk cache's counters. Memory is in cuda_mem.c, graphs and events
 * in cuda_graph.c. Created by fd_backend_cuda_create, freed by its destroy
 * member after the caller has released its device buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/nvrtc.h"
#include "base/mem.h"

#define DEFAULT_SHARED_LIMIT (48u << 10)   /* dynamic shared bytes a launch gets without opting in */
#define MAX_PARAM_BYTES 32764u             /* kernel parameter space (CUDA 12.1+, Volta and later) */

/* cuda.h's layouts, which cuLaunchKernelEx reads */
_Static_assert(sizeof(CUlaunchAttribute) == 72 && offsetof(CUlaunchAttribute, value) == 8, "CUlaunchAttribute");
_Static_assert(offsetof(CUlaunchConfig, hStream) == 32 && offsetof(CUlaunchConfig, numAttrs) == 48,
               "CUlaunchConfig");

fd_status fd_cu_check(cu_backend *c, CUresult r, fd_error *err, const char *fmt, ...)
{
    if (r == CUDA_SUCCESS) return FD_OK;
    char op[512], why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op, sizeof op, fmt, ap);
    va_end(ap);
    return fd_error_set(err, FD_ERR_DEVICE, "%s: %s", op, fd_cu_describe(&c->cu, r, why, sizeof why));
}

fd_status fd_cu_use(cu_backend *c, fd_error *err)
{
    return fd_cu_check(c, c->cu.CtxSetCurrent(c->ctx), err, "cuCtxSetCurrent");
}

static void logf_(cu_backend *c, fd_log_level level, const char *fmt, ...) FD_PRINTF(3, 4);
static void logf_(cu_backend *c, fd_log_level level, const char *fmt, ...)
{
    if (!c->log) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->log(c->log_user, level, buf);
}

/* ---- kernels ---- */

static cu_kernel *find_key(cu_backend *c, uint64_t key, const char *name)
{
    for (size_t i = 0; i < c->nkernels; i++)
        if (c->kernels[i].key == key && !strcmp(c->kernels[i].name, name)) return &c->kernels[i];
    return NULL;
}

static cu_kernel *find_fn(cu_backend *c, const void *fn)
{
    for (size_t i = 0; i < c->nkernels; i++)
        if ((const void *)c->kernels[i].fn == fn) return &c->kernels[i];
    return NULL;
}

static void fill_devfn(const cu_kernel *k, fd_devfn *out)
{
    out->fn = k->fn;
    out->regs = k->regs;
    out->spills = k->spills;
    out->shared = k->shared;
}

static int func_attr(cu_backend *c, CUfunction f, int attr)
{
    int v = -1;
    return c->cu.FuncGetAttribute(&v, attr, f) == CUDA_SUCCESS ? v : -1;
}

/* Loads `img` and finds `name` in it; *refused is set when the driver
 * rejected the image itself (not when the name is missing). */
static fd_status load_image(cu_backend *c, const char *name, const fd_nvrtc_image *img, CUmodule *mod,
                            CUfunction *fn, int *refused, fd_error *err)
{
    *mod = NULL;
    *fn = NULL;
    *refused = 0;
    CUresult r = c->cu.ModuleLoadData(mod, img->data);
    if (r != CUDA_SUCCESS) {
        *refused = 1;
        *mod = NULL;
        return fd_cu_check(c, r, err, "cuModuleLoadData('%s', %zu-byte CUBIN%s)", name, img->size,
                           img->from_disk ? " from the disk cache" : "");
    }
    fd_status st = fd_cu_check(c, c->cu.ModuleGetFunction(fn, *mod, name), err,
                               "cuModuleGetFunction('%s') (is it declared extern \"C\" __global__?)", name);
    if (st != FD_OK) {
        (void)c->cu.ModuleUnload(*mod);
        *mod = NULL;
    }
    return st;
}

static fd_status cu_compile(fd_backend *b, const char *name, const char *source, uint64_t key, unsigned flags,
                            fd_devfn *out, fd_error *err)
{
    cu_backend *c = cu_of(b);
    int specific = (flags & FD_COMPILE_ARCH_SPECIFIC) != 0, arch = c->base.arch | (specific ? FD_ARCH_SPECIFIC : 0);
    fd_nvrtc_image img;
    CUmodule mod = NULL;
    CUfunction fn = NULL;
    memset(out, 0, sizeof *out);
    out->regs = out->spills = out->shared = -1;
    if (!name || !*name || !source) return fd_error_set(err, FD_ERR_INVALID, "cuda: compile needs a name and source");
    uint64_t k = fd_hash64(specific ? c->opts_hash_a : c->opts_hash, &key, sizeof key);
    k = fd_hash64(k, name, strlen(name) + 1);
    cu_kernel *hit = find_key(c, k, name);
    if (hit) {
        c->disk.stats.mem_hits++;
        fill_devfn(hit, out);
        return FD_OK;
    }
    FD_TRY(fd_cu_use(c, err));
    if (c->nkernels == c->capkernels) {
        size_t cap = c->capkernels ? 2 * c->capkernels : 32;
        cu_kernel *t = fd_realloc(c->kernels, cap * sizeof *t);
        if (!t) return fd_error_set(err, FD_ERR_NOMEM, "cuda: out of memory for the kernel table");
        c->kernels = t;
        c->capkernels = cap;
    }
    char *kname = fd_strdup(name);
    if (!kname) return fd_error_set(err, FD_ERR_NOMEM, "cuda: out of memory");
    int refused = 0;
    fd_status st = fd_nvrtc_build(&c->nvrtc, &c->disk, arch, name, source, &img, err);
    if (st == FD_OK && img.from_disk) {
        fd_error lerr = { 0 };
        st = load_image(c, name, &img, &mod, &fn, &refused, &lerr);
        if (st != FD_OK && refused) {   /* a cached image the driver refuses: drop it and compile afresh */
            fd_kcd_drop(&c->disk, img.disk_key, lerr.msg);
            fd_nvrtc_image_free(&img);
            st = fd_nvrtc_build(&c->nvrtc, &c->disk, arch, name, source, &img, err);
        } else if (st != FD_OK) {
            fd_error_set(err, lerr.status, "%s", lerr.msg);
        }
    }
    if (st == FD_OK && !mod) st = load_image(c, name, &img, &mod, &fn, &refused, err);
    if (st != FD_OK) {
        fd_nvrtc_image_free(&img);
        fd_free(kname);
        return st;
    }
    cu_kernel *kk = &c->kernels[c->nkernels++];
    memset(kk, 0, sizeof *kk);
    kk->key = k;
    kk->mod = mod;
    kk->fn = fn;
    kk->name = kname;
    kk->regs = func_attr(c, fn, CU_FUNC_ATTRIBUTE_NUM_REGS);
    kk->spills = func_attr(c, fn, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES);
    kk->shared = func_attr(c, fn, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES);
    logf_(c, FD_LOG_DEBUG, "cuda: kernel '%s' ready (%s, %zu-byte CUBIN, %d registers, %d local bytes, "
          "%d static shared bytes)", name, img.from_disk ? "disk cache" : "compiled", img.size, kk->regs,
          kk->spills, kk->shared);
    fd_nvrtc_image_free(&img);
    fill_devfn(kk, out);
    return FD_OK;
}

/* Whether a launch with `dynamic` shared bytes must raise the function's
 * dynamic limit: the default caps static and dynamic shared memory
 * together at 48 KB, so a kernel with static arrays needs the opt-in below
 * that — without it the occupancy calculator counts 0 blocks and the launch
 * fails. */
static int needs_optin(const cu_kernel *k, unsigned dynamic)
{
    return dynamic + (unsigned)(k && k->shared > 0 ? k->shared : 0) > DEFAULT_SHARED_LIMIT;
}

static fd_status cu_launch(fd_backend *b, const fd_devfn *fn, const fd_launch *l, const void *params, size_t size,
                           fd_error *err)
{
    cu_backend *c = cu_of(b);
    if (!fn || !fn->fn || !l || !params || size == 0 || size > MAX_PARAM_BYTES)
        return fd_error_set(err, FD_ERR_INVALID, "cuda: launch needs a compiled kernel and 1..%u parameter bytes "
                            "(got %zu)", MAX_PARAM_BYTES, size);
    CUfunction f = (CUfunction)fn->fn;
    FD_TRY(fd_cu_use(c, err));
    cu_kernel *k = l->shared_bytes ? find_fn(c, fn->fn) : NULL;
    if (l->shared_bytes && needs_optin(k, l->shared_bytes)) {   /* static and dynamic past the default: opt in */
        if (!k || k->dyn_shared < (int)l->shared_bytes) {
            FD_TRY(fd_cu_check(c, c->cu.FuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                                          (int)l->shared_bytes), err,
                               "cuFuncSetAttribute('%s', max dynamic shared = %u bytes)", k ? k->name : "?",
                               l->shared_bytes));
            if (k) k->dyn_shared = (int)l->shared_bytes;
        }
    }
    void *args[1] = { (void *)(uintptr_t)params };   /* the driver only reads it */
    CUresult r;
    if (l->cooperative) {
        /* all blocks resident at once or no launch; a stream capture records it as a cooperative kernel node */
        if (c->cu.LaunchKernelEx) {
            CUlaunchAttribute at = { .id = CU_LAUNCH_ATTRIBUTE_COOPERATIVE };
            at.value.cooperative = 1;
            CUlaunchConfig cfg = { l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1], l->block[2],
                                   l->shared_bytes, c->stream, &at, 1 };
            r = c->cu.LaunchKernelEx(&cfg, f, args, NULL);
        } else if (c->cu.LaunchCooperativeKernel) {
            r = c->cu.LaunchCooperativeKernel(f, l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1],
                                              l->block[2], l->shared_bytes, c->stream, args);
        } else {
            return fd_error_set(err, FD_ERR_UNAVAILABLE, "cuda: the driver has no cooperative launch");
        }
        if (r == CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE) {
            char why[160];
            return fd_error_set(err, FD_ERR_UNAVAILABLE, "cooperative launch of %u blocks: %s", l->grid[0],
                                fd_cu_describe(&c->cu, r, why, sizeof why));
        }
    } else if (l->pdl && c->base.pdl) {
        /* The kernel waits for its predecessor itself (griddepcontrol.wait), so
         * it may be scheduled while the predecessor's last blocks still run. */
        CUlaunchAttribute at = { .id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION };
        at.value.programmatic_stream_serialization_allowed = 1;
        CUlaunchConfig cfg = { l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1], l->block[2],
                               l->shared_bytes, c->stream, &at, 1 };
        r = c->cu.LaunchKernelEx(&cfg, f, args, NULL);
    } else {
        r = c->cu.LaunchKernel(f, l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1], l->block[2],
                               l->shared_bytes, c->stream, args, NULL);
    }
    if (r == CUDA_SUCCESS) return FD_OK;
    if (!k) k = find_fn(c, fn->fn);
    return fd_cu_check(c, r, err, "cuLaunchKernel('%s', grid %ux%ux%u, block %ux%ux%u, %u shared bytes)",
                       k ? k->name : "?", l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1], l->block[2],
                       l->shared_bytes);
}

static fd_status cu_tensor_map(fd_backend *b, void *out, fd_devptr base, uint64_t rows, uint64_t cols,
                               unsigned box_rows, unsigned box_cols, fd_error *err)
{
    cu_backend *c = cu_of(b);
    if (!c->cu.TensorMapEncodeTiled)
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "cuda: the driver has no cuTensorMapEncodeTiled");
    if ((uintptr_t)out % 64)
        return fd_error_set(err, FD_ERR_INVALID, "cuda: a tensor map must be 64-byte aligned");
    cuuint64_t dims[2] = { cols, rows }, strides[1] = { cols * 2 };
    cuuint32_t box[2] = { box_cols, box_rows }, es[2] = { 1, 1 };
    CUresult r = c->cu.TensorMapEncodeTiled(out, CU_TENSOR_MAP_DATA_TYPE_UINT16, 2, (void *)(uintptr_t)base, dims,
                                            strides, box, es, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                            CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                            CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    return fd_cu_check(c, r, err, "cuTensorMapEncodeTiled(%llu x %llu at 0x%llx, box %u x %u)",
                       (unsigned long long)rows, (unsigned long long)cols, (unsigned long long)base, box_rows,
                       box_cols);
}

static fd_status cu_resident(fd_backend *b, const fd_devfn *fn, unsigned threads, unsigned shared, int *blocks,
                             fd_error *err)
{
    cu_backend *c = cu_of(b);
    *blocks = 0;
    FD_TRY(fd_cu_use(c, err));
    cu_kernel *k = find_fn(c, fn->fn);
    /* More than a block may opt into: none resident, an answer and not an error (cuFuncSetAttribute would fail
     * with an invalid value, and a caller searching for the size that fits, the persistent kernel's ring,
     * would leave that failure as the foundry's first error: an H100 run's watchdog reported it as its own) */
    if (c->smem_optin > 0 && shared + (unsigned)(k && k->shared > 0 ? k->shared : 0) > (unsigned)c->smem_optin)
        return FD_OK;
    if (needs_optin(k, shared)) {   /* the calculator counts only what the function may use */
        if (!k || k->dyn_shared < (int)shared) {
            FD_TRY(fd_cu_check(c, c->cu.FuncSetAttribute((CUfunction)fn->fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                                          (int)shared), err, "cuFuncSetAttribute(max dynamic shared = %u bytes)",
                               shared));
            if (k) k->dyn_shared = (int)shared;
        }
    }
    return fd_cu_check(c, c->cu.OccupancyMaxActiveBlocksPerMultiprocessor(blocks, (CUfunction)fn->fn, (int)threads,
                                                                          shared),
                       err, "cuOccupancyMaxActiveBlocksPerMultiprocessor(%u threads, %u shared bytes)", threads, shared);
}

/* ---- life cycle ---- */

static void cu_destroy(fd_backend *b)
{
    if (!b) return;
    cu_backend *c = cu_of(b);
    if (c->ctx) (void)c->cu.CtxSetCurrent(c->ctx);
    if (c->stream) {
        if (c->capturing) {
            CUgraph g = NULL;
            if (c->cu.StreamEndCapture(c->stream, &g) == CUDA_SUCCESS && g) (void)c->cu.GraphDestroy(g);
            c->capturing = 0;
        }
        (void)c->cu.StreamSynchronize(c->stream);
    }
    for (size_t i = 0; i < c->nkernels; i++) {
        (void)c->cu.ModuleUnload(c->kernels[i].mod);
        fd_free(c->kernels[i].name);
    }
    fd_free(c->kernels);
    if (c->cu.lib) fd_cu_mem_fini(c);
    if (c->stream) (void)c->cu.StreamDestroy(c->stream);
    if (c->ctx_retained) (void)c->cu.DevicePrimaryCtxRelease(c->dev);
    fd_kcd_log(&c->disk, FD_LOG_DEBUG, "cuda: kernel cache: %ld compiled, %ld from disk, %ld from memory, "
               "%ld bad entries rebuilt", c->disk.stats.compiles, c->disk.stats.disk_hits, c->disk.stats.mem_hits,
               c->disk.stats.corrupt);
    fd_nvrtc_unload(&c->nvrtc);
    fd_cu_unload(&c->cu);
    fd_free(c);
}

static fd_status open_device(cu_backend *c, int device, fd_error *err)
{
    fd_cu_api *cu = &c->cu;
    char why[256];
    int n = 0, major = 0, minor = 0;
    CUresult r = cu->Init(0);
    if (r != CUDA_SUCCESS)
        return fd_error_set(err, FD_ERR_UNAVAILABLE, "cuInit: %s", fd_cu_describe(cu, r, why, sizeof why));
    if ((r = cu->DeviceGetCount(&n)) != CUDA_SUCCESS)
        return fd_error_set(err, FD_ERR_UNAVAILABLE, "cuDeviceGetCount: %s", fd_cu_describe(cu, r, why, sizeof why));
    if (n == 0) return fd_error_set(err, FD_ERR_UNAVAILABLE, "cuDeviceGetCount: no CUDA device");
    if (device < 0 || device >= n)
        return fd_error_set(err, FD_ERR_INVALID, "cuda: device %d does not exist (%d device%s)", device, n,
                            n == 1 ? "" : "s");
    FD_TRY(fd_cu_check(c, cu->DeviceGet(&c->dev, device), err, "cuDeviceGet(%d)", device));
    FD_TRY(fd_cu_check(c, cu->DeviceGetName(c->base.device_name, (int)sizeof c->base.device_name, c->dev), err,
                       "cuDeviceGetName"));
    FD_TRY(fd_cu_check(c, cu->DeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, c->dev), err,
                       "cuDeviceGetAttribute(compute capability major)"));
    FD_TRY(fd_cu_check(c, cu->DeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, c->dev), err,
                       "cuDeviceGetAttribute(compute capability minor)"));
    c->base.arch = major * 10 + minor;
    FD_TRY(fd_cu_check_arch(device, c->base.device_name, c->base.arch, err));
    int sms = 0;
    FD_TRY(fd_cu_check(c, cu->DeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, c->dev), err,
                       "cuDeviceGetAttribute(multiprocessor count)"));
    c->base.sms = sms > 0 ? (unsigned)sms : 1;
    if (cu->DeviceGetAttribute(&c->smem_optin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, c->dev) !=
        CUDA_SUCCESS)
        c->smem_optin = 0;   /* unknown: cu_resident asks the driver for every size */
    const char *pdl = getenv("FOUNDRY_PDL");
    c->base.pdl = major >= 9 && cu->LaunchKernelEx && !(pdl && !strcmp(pdl, "0"));
    FD_TRY(fd_cu_check(c, cu->DevicePrimaryCtxRetain(&c->ctx, c->dev), err, "cuDevicePrimaryCtxRetain(%d)", device));
    c->ctx_retained = 1;
    FD_TRY(fd_cu_use(c, err));
    return fd_cu_check(c, cu->StreamCreate(&c->stream, CU_STREAM_NON_BLOCKING), err, "cuStreamCreate");
}

fd_status fd_cu_check_arch(int device, const char *name, int arch, fd_error *err)
{
    if (arch >= FD_MIN_ARCH) return FD_OK;
    return fd_error_set(err, FD_ERR_UNSUPPORTED, "cuda: device %d (%s) is sm_%d; Foundry's kernels need sm_%d or later",
                        device, name, arch, FD_MIN_ARCH);
}

fd_status fd_backend_cuda_create(int device, const char *cache_dir, fd_log_fn log, void *log_user,
                                 fd_backend **out, fd_error *err)
{
    *out = NULL;
    cu_backend *c = fd_calloc(1, sizeof *c);
    if (!c) return fd_error_set(err, FD_ERR_NOMEM, "cuda backend: out of memory");
    c->log = log;
    c->log_user = log_user;
    c->base.name = "cuda";
    fd_status st = fd_cu_load(&c->cu, err);
    if (st == FD_OK) st = open_device(c, device, err);
    if (st == FD_OK) st = fd_nvrtc_load(&c->nvrtc, err);
    if (st != FD_OK) {
        cu_destroy(&c->base);
        return st;
    }
    int drv = 0;
    (void)c->cu.DriverGetVersion(&drv);
    c->opts_hash = fd_nvrtc_options_hash(&c->nvrtc, c->base.arch);
    c->opts_hash_a = fd_nvrtc_options_hash(&c->nvrtc, c->base.arch | FD_ARCH_SPECIFIC);
    fd_kcd_open(&c->disk, cache_dir, log, log_user);
    fd_backend *b = &c->base;
    fd_cu_mem_init(c);
    fd_cu_graph_init(c);
    b->destroy = cu_destroy;
    b->compile = cu_compile;
    /* FOUNDRY_TMA=0: no tensor maps, so no kernel that needs them is chosen (the
     * Hopper GEMM gives way to mma.sync: an A/B switch, as FOUNDRY_PDL=0 is) */
    const char *tma = getenv("FOUNDRY_TMA");
    if (c->cu.TensorMapEncodeTiled && !(tma && !strcmp(tma, "0"))) b->tensor_map = cu_tensor_map;
    b->launch = cu_launch;
    b->resident = cu_resident;
    logf_(c, FD_LOG_INFO, "cuda: device %d: %s, sm_%d, driver %d.%d, NVRTC %d.%d (%s), kernel cache %s, "
          "programmatic dependent launch %s", device, b->device_name, b->arch, drv / 1000, drv % 1000 / 10,
          c->nvrtc.major, c->nvrtc.minor, c->nvrtc.path, c->disk.dir[0] ? c->disk.dir : "(none)",
          c->base.pdl ? "on" : "off");
    *out = b;
    return FD_OK;
}

fd_status fd_cuda_cache_stats(fd_backend *b, fd_kcache_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!b || !b->name || strcmp(b->name, "cuda") != 0)
        return FD_ERR_INVALID;
    *out = cu_of(b)->disk.stats;
    return FD_OK;
}
