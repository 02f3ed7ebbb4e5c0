/* cuda_api.h — the CUDA driver and NVRTC entry points Foundry uses, written by
 * hand (no toolkit header is included anywhere), and their loaders.
 *
 * Layer: backend/cuda (internal). Only src/backend/cuda/ includes this file:
 * nothing else sees a CUdeviceptr. The driver (libcuda.so.1) and NVRTC
 * (libnvrtc.so.13/.12/.so) are opened with dlopen when a backend or an offline
 * compile needs them; every symbol is resolved at load, so a missing one is a
 * load error naming it, never a crash later. Values below are those of cuda.h
 * and nvrtc.h (CUDA 12/13), which NVIDIA keeps stable across versions. */
#ifndef FD_CUDA_API_H
#define FD_CUDA_API_H

#include <stddef.h>
#include "foundry/status.h"

/* ---- driver types ---- */
typedef int CUresult;                       /* CUDA_SUCCESS = 0 */
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;     /* the _v2 (64-bit) device address */
typedef struct CUctx_st *CUcontext;
typedef struct CUstream_st *CUstream;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUevent_st *CUevent;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;

#define CUDA_SUCCESS                 0
#define CUDA_ERROR_NOT_INITIALIZED   3
#define CUDA_ERROR_NO_DEVICE         100
#define CUDA_ERROR_INVALID_DEVICE    101
#define CUDA_ERROR_NOT_READY         600
#define CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE 720

#define CU_STREAM_NON_BLOCKING       1u
#define CU_EVENT_DEFAULT             0u
#define CU_EVENT_DISABLE_TIMING      2u
#define CU_STREAM_CAPTURE_MODE_THREAD_LOCAL 1

/* CUdevice_attribute */
#define CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT     16
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76
#define CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN 97

/* CUfunction_attribute */
#define CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES              1
#define CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES               3
#define CU_FUNC_ATTRIBUTE_NUM_REGS                       4
#define CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES  8

/* cuLaunchKernelEx: a launch with attributes. Layouts as in cuda.h: an
 * attribute is a 4-byte id, 4 bytes of padding and a 64-byte value union. */
#define CU_LAUNCH_ATTRIBUTE_COOPERATIVE 2
#define CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION 6
typedef struct CUlaunchAttribute {
    int id;
    char pad[4];
    union { char bytes[64]; int programmatic_stream_serialization_allowed; int cooperative; } value;
} CUlaunchAttribute;
typedef struct CUlaunchConfig {
    unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes;
    CUstream hStream;
    CUlaunchAttribute *attrs;
    unsigned numAttrs;
} CUlaunchConfig;

/* ---- NVRTC types ---- */
typedef int nvrtcResult;                    /* NVRTC_SUCCESS = 0 */
typedef struct _nvrtcProgram *nvrtcProgram;
#define NVRTC_SUCCESS            0
#define NVRTC_ERROR_COMPILATION  6

/* X(return, name, symbol, params): `name` is the table member, `symbol` the
 * exported (versioned) name that dlsym looks up. */
#define FD_CU_FUNCS(X)                                                                         \
    X(CUresult, Init, "cuInit", (unsigned flags))                                              \
    X(CUresult, DriverGetVersion, "cuDriverGetVersion", (int *v))                              \
    X(CUresult, GetErrorName, "cuGetErrorName", (CUresult e, const char **s))                  \
    X(CUresult, GetErrorString, "cuGetErrorString", (CUresult e, const char **s))              \
    X(CUresult, DeviceGetCount, "cuDeviceGetCount", (int *n))                                  \
    X(CUresult, DeviceGet, "cuDeviceGet", (CUdevice *d, int ordinal))                          \
    X(CUresult, DeviceGetName, "cuDeviceGetName", (char *name, int len, CUdevice d))           \
    X(CUresult, DeviceGetAttribute, "cuDeviceGetAttribute", (int *v, int attr, CUdevice d))    \
    X(CUresult, DeviceTotalMem, "cuDeviceTotalMem_v2", (size_t *bytes, CUdevice d))            \
    X(CUresult, DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", (CUcontext *c, CUdevice d)) \
    X(CUresult, DevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", (CUdevice d))         \
    X(CUresult, CtxSetCurrent, "cuCtxSetCurrent", (CUcontext c))                               \
    X(CUresult, CtxSynchronize, "cuCtxSynchronize", (void))                                    \
    X(CUresult, StreamCreate, "cuStreamCreate", (CUstream *s, unsigned flags))                 \
    X(CUresult, StreamDestroy, "cuStreamDestroy_v2", (CUstream s))                             \
    X(CUresult, StreamSynchronize, "cuStreamSynchronize", (CUstream s))                        \
    X(CUresult, MemAlloc, "cuMemAlloc_v2", (CUdeviceptr *p, size_t n))                         \
    X(CUresult, MemFree, "cuMemFree_v2", (CUdeviceptr p))                                      \
    X(CUresult, MemGetInfo, "cuMemGetInfo_v2", (size_t *free_bytes, size_t *total_bytes))        \
    X(CUresult, MemAllocHost, "cuMemAllocHost_v2", (void **p, size_t n))                       \
    X(CUresult, MemFreeHost, "cuMemFreeHost", (void *p))                                       \
    X(CUresult, MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2",                                       \
      (CUdeviceptr dst, const void *src, size_t n, CUstream s))                                \
    X(CUresult, MemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2",                                       \
      (void *dst, CUdeviceptr src, size_t n, CUstream s))                                      \
    X(CUresult, MemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2",                                       \
      (CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s))                                \
    X(CUresult, MemsetD8Async, "cuMemsetD8Async",                                              \
      (CUdeviceptr dst, unsigned char v, size_t n, CUstream s))                                \
    X(CUresult, ModuleLoadData, "cuModuleLoadData", (CUmodule *m, const void *image))          \
    X(CUresult, ModuleUnload, "cuModuleUnload", (CUmodule m))                                  \
    X(CUresult, ModuleGetFunction, "cuModuleGetFunction",                                      \
      (CUfunction *f, CUmodule m, const char *name))                                           \
    X(CUresult, FuncGetAttribute, "cuFuncGetAttribute", (int *v, int attr, CUfunction f))      \
    X(CUresult, FuncSetAttribute, "cuFuncSetAttribute", (CUfunction f, int attr, int v))       \
    X(CUresult, LaunchKernel, "cuLaunchKernel",                                                \
      (CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,          \
       unsigned bz, unsigned shared, CUstream s, void **params, void **extra))                 \
    X(CUresult, OccupancyMaxActiveBlocksPerMultiprocessor, "cuOccupancyMaxActiveBlocksPerMultiprocessor",       \
      (int *n, CUfunction f, int threads, size_t shared))                                      \
    X(CUresult, EventCreate, "cuEventCreate", (CUevent *e, unsigned flags))                    \
    X(CUresult, EventRecord, "cuEventRecord", (CUevent e, CUstream s))                         \
    X(CUresult, EventSynchronize, "cuEventSynchronize", (CUevent e))                           \
    X(CUresult, EventQuery, "cuEventQuery", (CUevent e))                                       \
    X(CUresult, EventElapsedTime, "cuEventElapsedTime", (float *ms, CUevent a, CUevent b))     \
    X(CUresult, EventDestroy, "cuEventDestroy_v2", (CUevent e))                                \
    X(CUresult, StreamBeginCapture, "cuStreamBeginCapture_v2", (CUstream s, int mode))         \
    X(CUresult, StreamEndCapture, "cuStreamEndCapture", (CUstream s, CUgraph *g))              \
    X(CUresult, GraphInstantiateWithFlags, "cuGraphInstantiateWithFlags",                      \
      (CUgraphExec *e, CUgraph g, unsigned long long flags))                                   \
    X(CUresult, GraphLaunch, "cuGraphLaunch", (CUgraphExec e, CUstream s))                     \
    X(CUresult, GraphExecDestroy, "cuGraphExecDestroy", (CUgraphExec e))                       \
    X(CUresult, GraphDestroy, "cuGraphDestroy", (CUgraph g))

#define FD_NVRTC_FUNCS(X)                                                                      \
    X(nvrtcResult, Version, "nvrtcVersion", (int *major, int *minor))                          \
    X(const char *, GetErrorString, "nvrtcGetErrorString", (nvrtcResult r))                    \
    X(nvrtcResult, CreateProgram, "nvrtcCreateProgram",                                        \
      (nvrtcProgram *p, const char *src, const char *name, int nheaders,                       \
       const char *const *headers, const char *const *include_names))                          \
    X(nvrtcResult, CompileProgram, "nvrtcCompileProgram",                                      \
      (nvrtcProgram p, int nopt, const char *const *opts))                                     \
    X(nvrtcResult, GetProgramLogSize, "nvrtcGetProgramLogSize", (nvrtcProgram p, size_t *n))   \
    X(nvrtcResult, GetProgramLog, "nvrtcGetProgramLog", (nvrtcProgram p, char *log))           \
    X(nvrtcResult, GetCUBINSize, "nvrtcGetCUBINSize", (nvrtcProgram p, size_t *n))             \
    X(nvrtcResult, GetCUBIN, "nvrtcGetCUBIN", (nvrtcProgram p, char *cubin))                   \
    X(nvrtcResult, DestroyProgram, "nvrtcDestroyProgram", (nvrtcProgram *p))

#define FD_API_MEMBER_(ret, name, sym, params) ret (*name) params;

/* cuTensorMapEncodeTiled: a TMA tensor map (CUtensorMap, 128 opaque bytes,
 * 64-byte aligned). Enum values as in cuda.h. */
typedef unsigned long long cuuint64_t;
typedef unsigned int cuuint32_t;
#define CU_TENSOR_MAP_DATA_TYPE_UINT16      1
#define CU_TENSOR_MAP_INTERLEAVE_NONE       0
#define CU_TENSOR_MAP_SWIZZLE_128B          3
#define CU_TENSOR_MAP_L2_PROMOTION_L2_256B  3
#define CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE   0   /* out-of-bounds elements read as zero */
typedef CUresult (*fd_cu_tmap_encode_fn)(void *map, int dtype, cuuint32_t rank, void *addr, const cuuint64_t *dims,
                                         const cuuint64_t *strides, const cuuint32_t *box,
                                         const cuuint32_t *elem_strides, int interleave, int swizzle, int l2promo,
                                         int oob_fill);

/* The driver's entry points; `lib` is the dlopen handle. The optional ones
 * after the list are NULL where the driver lacks them (cuLaunchKernelEx:
 * CUDA 12.0 and later; without it there is no programmatic dependent launch,
 * and a cooperative launch goes through cuLaunchCooperativeKernel;
 * cuTensorMapEncodeTiled: 12.0 and later; without it no kernel that needs
 * tensor maps runs). */
typedef struct fd_cu_api {
    void *lib;
    FD_CU_FUNCS(FD_API_MEMBER_)
    CUresult (*LaunchKernelEx)(const CUlaunchConfig *cfg, CUfunction f, void **params, void **extra);
    fd_cu_tmap_encode_fn TensorMapEncodeTiled;
    CUresult (*LaunchCooperativeKernel)(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                        unsigned bz, unsigned shared, CUstream s, void **params);
} fd_cu_api;

/* NVRTC's entry points; `path` is the file that loaded, `major.minor` its version. */
typedef struct fd_nvrtc_api {
    void *lib;
    char path[256];
    int major, minor;
    FD_NVRTC_FUNCS(FD_API_MEMBER_)
} fd_nvrtc_api;

/* Open libcuda.so.1 / NVRTC and resolve every entry point. On failure the
 * table is zeroed, nothing stays open, and `err` gets FD_ERR_UNAVAILABLE with
 * the path or symbol and dlerror(). Close with the matching unload. */
fd_status fd_cu_load(fd_cu_api *api, fd_error *err);
void      fd_cu_unload(fd_cu_api *api);
fd_status fd_nvrtc_load(fd_nvrtc_api *api, fd_error *err);
void      fd_nvrtc_unload(fd_nvrtc_api *api);

/* "CUDA_ERROR_OUT_OF_MEMORY: out of memory" for `r` into buf (never fails). */
const char *fd_cu_describe(const fd_cu_api *api, CUresult r, char *buf, size_t cap);

#endif
