/* compound.h — kernel families and the compound kernels built from their
 * stages: a fused kernel composed of stages (for a GEMV: input → weights →
 * main → epilogue), its device source generated from the stages' .cuh
 * files and its CPU twin composed from the stages' CPU functions.
 *
 * Layer: kernel (public). A *family* is a first-class object: it owns its
 * argument struct (one X-macro, FD_KERNEL_ARGS), its stage kinds and their
 * device contract (documented with the family), the shape check, dispatch
 * and bytes every member shares, its CPU composition and its enumerator of
 * valid combinations. A stage declares which of the family's arguments it
 * uses. fd_compound_build merges the declarations (one name declared by two
 * stages with different types or roles is refused, naming both), checks the
 * stages fit, and makes an fd_kernel that fd_run launches like any other.
 * The families the library ships are listed by include/foundry/ops.h.
 *
 *   fd_compound *c;
 *   FD_TRY(fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMV_FAMILY, .stage = {
 *              [FD_GEMV_INPUT] = &FD_STAGE_INPUT_RMSNORM, [FD_GEMV_WEIGHTS] = fd_gemv_policy(FD_Q8_0),
 *              [FD_GEMV_MAIN] = &FD_STAGE_GEMV2, [FD_GEMV_EPILOGUE] = &FD_STAGE_EPI_SWIGLU } }, &c, &err));
 *   FD_TRY(fd_run(fd, fd_compound_kernel(c), &args));
 *   fd_compound_destroy(c); */
#ifndef FOUNDRY_COMPOUND_H
#define FOUNDRY_COMPOUND_H

#include "foundry/kernel.h"

#define FD_STAGE_KINDS_MAX 6

typedef struct fd_compound fd_compound;
typedef struct fd_family fd_family;

/* A stage argument. A name with '#' is declared once per product of the
 * compound (the largest `provides` of its stages): "w#" becomes w0, w1 for
 * two. dtypes 0 = the dtype of the family's dtype-giving stage (a GEMV's
 * weight policy). */
typedef struct fd_stage_arg {
    const char   *name;
    fd_arg_role   role;
    unsigned      dtypes;
    fd_param_type type;
} fd_stage_arg;

typedef struct fd_stage {
    const char *name;               /* "rmsnorm", "q8_0", "gemv2", "swiglu" */
    int kind;                       /* index into its family's kinds */
    const fd_stage_arg *args;
    size_t nargs;
    const char *cuda;               /* device code: usually `#include "ops/<family>/<stage>.cuh"` */
    int provides;                   /* products per output row it makes (0: none) */
    int requires;                   /* products it needs (0: any) */
    unsigned flags;                 /* kernel flags the stage brings (FD_KERNEL_INPLACE, FD_KERNEL_PDL) */
    fd_dtype dtype;                 /* the dtype it reads (a weight policy), else f32 */
    /* The stage's CPU function; `io` is the family's per-call state (for a
     * GEMV, fd_gemv_io: the staged input, the row and its products). */
    fd_status (*cpu)(const void *args, void *io);
} fd_stage;

/* A kind of stage in a family: its name, whether a compound must have one,
 * and the stage used when a description leaves it out. */
typedef struct fd_stage_kind {
    const char *name;
    int required;
    const fd_stage *fallback;
} fd_stage_kind;

typedef struct fd_compound_desc {
    const char *name;                          /* optional; made from the stages when NULL */
    const fd_family *family;
    const fd_stage *stage[FD_STAGE_KINDS_MAX]; /* by the family's kind index */
} fd_compound_desc;

struct fd_family {
    const char *name;
    fd_arg_table (*args)(const fd_kernel *k);  /* the family's struct (called with NULL) */
    const fd_stage_kind *kinds;
    int nkinds;
    const int *order;               /* nkinds kind indices: the order their code is emitted in */
    int dtype_kind;                 /* the kind whose stage's dtype an argument's dtypes 0 means; -1 none */
    unsigned max_block;
    fd_status (*check)(const void *args, fd_error *err);
    fd_status (*dispatch)(const void *args, fd_dispatch *d, fd_error *err);
    uint64_t (*bytes)(const void *args);
    /* Runs a compound on the CPU by calling its stages' CPU functions. */
    fd_status (*cpu)(const fd_compound *c, const void *args, fd_error *err);
    /* Optional: device #defines the family derives from the stages, written
     * to buf (a GEMV's FD_NOUT); returns the length, or -1 if cap is short. */
    int (*defines)(const fd_compound *c, char *buf, size_t cap);
    /* Every valid combination of the family's shipped stages: fills *d and
     * returns 1, 0 past the end (compile-all, the parity matrix). */
    int (*enumerate)(size_t i, fd_compound_desc *d);
    /* Optional: the members' device parameters after the struct (fd_kernel's tail). */
    fd_status (*tail)(fd_foundry *fd, const void *args, const fd_dispatch *d, unsigned char *tail, size_t cap,
                      size_t *n);
};

/* Builds a compound; *out is the caller's (fd_compound_destroy), NULL on
 * failure, where err names the stages that do not fit. */
fd_status fd_compound_build(const fd_compound_desc *d, fd_compound **out, fd_error *err) FD_MUST_USE;
void fd_compound_destroy(fd_compound *c);   /* NULL is fine; its kernel is invalid after */

const fd_kernel *fd_compound_kernel(const fd_compound *c);   /* valid until destroyed */
const char *fd_compound_name(const fd_compound *c);
const fd_family *fd_compound_family(const fd_compound *c);
const fd_stage *fd_compound_stage(const fd_compound *c, int kind);   /* NULL when none */
int fd_compound_products(const fd_compound *c);                     /* the largest `provides` (>= 1) */
/* The compound a kernel was built as, or NULL for a declared kernel. */
const fd_compound *fd_compound_of(const fd_kernel *k);

#endif
