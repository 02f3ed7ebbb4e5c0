/* kernel.h — declaring kernels and running them: fd_run(fd, &KERNEL, &args).
 *
 * Layer: kernel (public). One X-macro list per kernel is the single source of
 * its C argument struct, its descriptor table (name, role, dtype rule,
 * offset) and — at run time, from that table — the device-side struct the
 * CUDA code receives by value. Host and device layouts are the same by
 * construction (same fields, same order, same C types; a tensor is a device
 * pointer, 8 bytes, as the host's fd_tensor * is).
 *
 *   #define ADD_ARGS(IN, OUT, PARAM)  IN(a, FD_ACT) IN(b, FD_ACT) OUT(y, FD_ACT) PARAM(uint32_t, n)
 *   FD_KERNEL_ARGS(fd_add_args, ADD_ARGS)
 *   // typedef struct fd_add_args { fd_tensor *a, *b, *y; uint32_t n; } fd_add_args;
 *   // fd_arg_table fd_add_args_table(const fd_kernel *k);   the descriptors
 *   const fd_kernel FD_ADD = { .name = "add", .args = fd_add_args_table, .dispatch = ...,
 *                              .cpu = ..., .cuda = "#include \"ops/add.cuh\"\n" };
 *
 * PARAM types are uint32_t, int32_t, uint64_t and float; any other type fails
 * to compile (there is no FD_PT_<type> constant for it). */
#ifndef FOUNDRY_KERNEL_H
#define FOUNDRY_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/tensor.h"

typedef enum { FD_ARG_IN, FD_ARG_OUT, FD_ARG_PARAM } fd_arg_role;

/* Parameter types; the suffix is the C type name the X-macro gives. */
typedef enum { FD_PT_TENSOR, FD_PT_uint32_t, FD_PT_int32_t, FD_PT_uint64_t, FD_PT_float } fd_param_type;

/* Dtype rules: a bit set of the dtypes a tensor argument accepts. */
#define FD_DT(E)       (1u << FD_##E)
#define FD_ACT         FD_DT(F32)
#define FD_IDS         FD_DT(I32)
#define FD_ANY_FLOAT   FD_DTYPES_FLOAT
#define FD_ANY_WEIGHT  (FD_DTYPES_FLOAT | FD_DTYPES_QUANT)
/* A role bit in a tensor's dtype rule: the kernel reads this tensor before
 * it waits for its predecessor (a GEMV prefetching its weights). fd_run
 * launches such a kernel overlapping its predecessor only when every
 * FD_EARLY tensor is read-only, since a kernel still running may write it
 * otherwise. */
#define FD_EARLY       (1u << 31)

typedef struct fd_arg_desc {
    const char   *name;
    fd_arg_role   role;
    unsigned      dtypes;   /* tensors: accepted dtypes (FD_DT bits) */
    fd_param_type type;
    size_t        offset;   /* in the C struct, and so in the device struct */
} fd_arg_desc;

/* The arguments a kernel uses. A kernel may use a subset of a larger struct
 * (a compound kernel uses part of its family's struct): then `whole` lists
 * every field of that struct, and the fields outside `args` must be left
 * NULL / 0 by the caller (fd_run checks the tensors). */
typedef struct fd_arg_table {
    const fd_arg_desc *args;
    size_t n;
    size_t size;            /* sizeof the C struct */
    const fd_arg_desc *whole;  /* NULL: args is the whole struct */
    size_t nwhole;
} fd_arg_table;

typedef struct fd_kernel fd_kernel;

#define FD_ARG_FIELD_T_(name, rule) fd_tensor *name;
#define FD_ARG_FIELD_P_(type, name) type name;
#define FD_ARG_DESC_IN_(name, rule)  { #name, FD_ARG_IN,  (rule), FD_PT_TENSOR, offsetof(self_, name) },
#define FD_ARG_DESC_OUT_(name, rule) { #name, FD_ARG_OUT, (rule), FD_PT_TENSOR, offsetof(self_, name) },
#define FD_ARG_DESC_P_(type, name)   { #name, FD_ARG_PARAM, 0, FD_PT_##type, offsetof(self_, name) },

/* The local typedef self_ lets every descriptor name its own struct. */
#define FD_KERNEL_ARGS(T, LIST)                                                        \
    typedef struct T { LIST(FD_ARG_FIELD_T_, FD_ARG_FIELD_T_, FD_ARG_FIELD_P_) } T;    \
    static inline fd_arg_table T##_table(const fd_kernel *k)                           \
    {                                                                                  \
        typedef T self_;                                                               \
        static const fd_arg_desc d[] = { LIST(FD_ARG_DESC_IN_, FD_ARG_DESC_OUT_,       \
                                              FD_ARG_DESC_P_) };                       \
        (void)k;                                                                       \
        return (fd_arg_table){ d, sizeof d / sizeof d[0], sizeof(T), NULL, 0 };        \
    }

/* Grid and block of one launch, which the kernel's dispatch fills in.
 * Set before it is called: `sms`, the device's multiprocessor count;
 * `regs`, the registers per thread of the compiled variant (0 if unknown),
 * which bound how many blocks are resident at once; and `pdl`, 1 for
 * FD_KERNEL_PDL kernels: a dispatch clears it for a launch that must not
 * overlap its predecessor at all. */
typedef struct fd_dispatch {
    unsigned grid[3], block[3];
    unsigned shared_bytes;
    unsigned sms;
    int pdl;
    unsigned regs;
} fd_dispatch;

enum {
    FD_KERNEL_INPLACE = 1,  /* an output may alias an input (y += x) */
    /* The device code calls fd_pdl_wait() before it reads or writes memory
     * that an earlier kernel may touch, so on sm_90+ it is launched as a
     * programmatic dependent launch and its start overlaps the previous
     * kernel's tail. Before the wait it may read only the tensors its table
     * marks FD_EARLY, and fd_run launches it without overlap unless those
     * are read-only (the GEMVs read their weights there). */
    FD_KERNEL_PDL = 2,
    /* For a plain kernel: code generation makes its entry point wait for
     * its predecessor (fd_pdl_wait) and let its successor be scheduled
     * (fd_pdl_launch) before the body runs, so the kernel joins the chain of
     * dependent launches without a line of its own device code changing.
     * Implies FD_KERNEL_PDL. */
    FD_KERNEL_PDL_AUTO = 4,
    /* The device code uses sm_90a's arch-specific features (wgmma, tensor
     * maps): it is compiled for sm_90a and runs on a device of compute
     * capability 9.0 only (those features are not forward compatible);
     * fd_run refuses it elsewhere, naming the device's architecture. A
     * dispatch rule chooses such a kernel only where it runs. */
    FD_KERNEL_SM90A = 8,
    /* Every block must be resident at once (a persistent kernel whose blocks
     * wait on each other through device counters): a cooperative launch,
     * which fails with FD_ERR_UNAVAILABLE rather than run the blocks in
     * waves. Its code is compiled with FD_MEMBERS: the kernel bodies it
     * includes become device functions (their entry points are not made). */
    FD_KERNEL_COOPERATIVE = 16
};

/* A kernel descriptor. Hooks that need to know which kernel they serve —
 * `args` and `cpu`, since a kernel built at run time (a compound) keeps its
 * own table and CPU composition beside its descriptor — receive it; a
 * declared kernel ignores it. */
struct fd_kernel {
    const char *name;
    fd_arg_table (*args)(const fd_kernel *k);              /* the descriptor table (FD_KERNEL_ARGS makes it) */
    unsigned flags;
    unsigned max_block;                                     /* threads per block the code is built for; 0 = 256 */
    fd_status (*check)(const void *args, fd_error *err);    /* shapes; optional */
    /* grid and block from the args; a refusal says why in err */
    fd_status (*dispatch)(const void *args, fd_dispatch *d, fd_error *err);
    /* the CPU reference: runs the kernel on host memory (fd_tensor_data) */
    fd_status (*cpu)(const fd_kernel *k, const void *args, fd_error *err);
    uint64_t (*bytes)(const void *args);                    /* device bytes one launch moves; optional */
    /* Optional: device-only parameters after the argument struct, at its size
     * rounded up to 64 bytes — what only the library can make: TMA tensor
     * maps (they hold the tensors' device addresses and come from the
     * driver), a workspace's address. Writes at most `cap` bytes at `tail`
     * (64-byte aligned) and their count to *n, for the launch `d` that
     * dispatch chose; a failure is on the foundry's error. */
    fd_status (*tail)(fd_foundry *fd, const void *args, const fd_dispatch *d, unsigned char *tail, size_t cap,
                      size_t *n);
    /* Device code after the prelude and the `fd_args` struct: usually one
     * `#include "ops/<file>.cuh"` line naming an embedded .cuh file (the
     * kernel's body, `FD_KERNEL(fd_args a) { ... }`). NULL: CPU only. */
    const char *cuda;
};

/* Validates the arguments (non-NULL tensors of this foundry, dtype rules,
 * the kernel's shape check, outputs writable and not aliasing inputs unless
 * FD_KERNEL_INPLACE, no stale pooled tensor), uploads host-dirty tensors,
 * and launches on the active backend: compiled device code on a GPU, the CPU
 * reference on the CPU. On failure nothing ran and the foundry's error says
 * which argument is wrong. */
fd_status fd_run(fd_foundry *fd, const fd_kernel *k, const void *args) FD_MUST_USE;

/* Device source of a kernel for the given dtypes of its tensor arguments (in
 * descriptor order): the prelude, the `fd_args` struct, and `cuda` with its
 * embedded includes expanded. *src is the caller's: free it with
 * fd_kernel_source_free. */
fd_status fd_kernel_source(const fd_kernel *k, const fd_dtype *dtypes, char **src, fd_error *err);
void fd_kernel_source_free(char *src);
/* The entry-point name of that variant ("gemv_q8_0_f32_f32"), written to buf. */
void fd_kernel_variant_name(const fd_kernel *k, const fd_dtype *dtypes, char *buf, size_t cap);

/* Variants of a kernel: every combination of the dtypes its tensor
 * arguments accept. Writes variant `i`'s dtypes (descriptor order of the
 * tensor arguments) and returns 1, or returns 0 when i is past the last. */
int fd_kernel_variant(const fd_kernel *k, size_t i, fd_dtype *dtypes);

#endif
