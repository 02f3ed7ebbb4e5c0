/* compound.h — compound kernels: a fused kernel composed from stages
 * (input → prologue → main → epilogue), its device source generated from the
 * stages' snippets and its CPU twin composed from the stages' functions.
 *
 * Layer: kernel (internal). A family (today: GEMV, ops/gemv_compound.c)
 * gives the C argument struct every member shares, the dispatch, the shape
 * check and the CPU driver loop; stages declare which of the family's
 * arguments they use. fd_compound_build merges the declarations (one name
 * declared by two stages with different types or roles is refused, naming
 * both), checks the stages fit together (`provides` / `requires`), and
 * builds an fd_kernel that fd_run launches like any other.
 *
 * Device contract of each stage kind (see ops/gemv_stages.c), in source
 * order:
 *   prologue  the weight policy: __device__ float fd_dot_row(const W *row,
 *             const void *next, const float *x, u32 cols, u32 t, u32 tpr,
 *             unsigned char *stage, fd_pipe &pipe) (next: the row the same
 *             threads read after this one, for staging ahead);
 *             __device__ void fd_row_begin(const void *row, const void *next,
 *             u32 cols, u32 t, u32 tpr, unsigned char *stage, fd_pipe &pipe),
 *             which starts loading the first row before the kernel waits for
 *             its predecessor (weights only: nothing it reads may be written
 *             by a kernel still running); its row state struct fd_pipe;
 *             where x[i] lives in shared memory (fd_xs_index, fd_xs_floats);
 *             its staging bytes per warp (FD_STAGE_BYTES); whether x may be
 *             read in place (FD_X_DIRECT); whether a small GEMV may stage
 *             its rows whole (FD_WHOLE_SLICE), and if so __device__ float
 *             fd_dot_smem(const unsigned char *row, const float *xs, u32
 *             cols, u32 t, u32 tpr), the product of a row held in shared
 *             memory (at its global address's offset mod 16); optionally
 *             FD_MIN_BLOCKS
 *   input     __device__ const float *fd_input(const fd_args &a, float *xs,
 *             bool once): the (transformed) input, staged in xs or in place
 *   epilogue  __device__ void fd_epilogue(const fd_args &a, u32 j, const float *v)
 *   main      the entry point (FD_KERNEL) and FD_NOUT, the number of products
 *             per output row; FD_KERNEL_PDL in its flags if it waits for its
 *             predecessor with fd_pdl_wait */
#ifndef FD_KERNEL_COMPOUND_H
#define FD_KERNEL_COMPOUND_H

#include "foundry/kernel.h"

typedef enum { FD_STAGE_INPUT, FD_STAGE_PROLOGUE, FD_STAGE_MAIN, FD_STAGE_EPILOGUE } fd_stage_kind;

/* A shared piece of device code several stages may include; emitted once. */
typedef struct fd_snippet {
    const char *name;
    const char *code;
} fd_snippet;

/* A stage argument. A name with '#' is declared once per main output:
 * "w#" becomes w0, w1 for a two-output main. dtypes 0 = the policy's dtype. */
typedef struct fd_stage_arg {
    const char   *name;
    fd_arg_role   role;
    unsigned      dtypes;
    fd_param_type type;
} fd_stage_arg;

typedef struct fd_stage {
    const char *name;                  /* "rmsnorm", "q8_0", "gemv_multi", "swiglu" */
    fd_stage_kind kind;
    const fd_stage_arg *args;
    size_t nargs;
    const fd_snippet *const *includes; /* NULL-terminated, may be NULL */
    const char *code;                  /* device code: defines the stage's function */
    int provides;                      /* main: products per output row (1..3) */
    int requires;                      /* epilogue: products it needs (0 = any) */
    unsigned flags;                    /* kernel flags the stage brings: FD_KERNEL_INPLACE (an epilogue whose
                                          output may alias an input), FD_KERNEL_PDL (a main stage that calls
                                          fd_pdl_wait before touching activations) */
    fd_dtype dtype;                    /* prologue: the weight dtype it reads */
    void (*cpu)(void);                 /* the stage's CPU function, cast to the family's type for its kind */
} fd_stage;

typedef struct fd_compound_desc {
    const char *name;                  /* optional; generated from the stages when NULL */
    const fd_stage *input;             /* optional */
    const fd_stage *prologue;
    const fd_stage *main;
    const fd_stage *epilogue;          /* optional: none */
} fd_compound_desc;

/* The family a compound belongs to: its struct's descriptor table and the
 * kernel members every compound of it shares. */
struct fd_compound;
typedef struct fd_compound_family {
    const char *name;
    fd_arg_table (*args)(void);
    fd_status (*check)(const void *args, fd_error *err);
    fd_status (*dispatch)(const void *args, fd_dispatch *d);
    void (*cpu)(const struct fd_compound *c, const void *args);  /* drives the stages' CPU functions */
    uint64_t (*bytes)(const void *args);
    const fd_stage *default_input;
    const fd_stage *default_epilogue;
} fd_compound_family;

typedef struct fd_compound {
    fd_kernel kernel;                  /* first: a compound is run as &c->kernel */
    char name[128];
    const fd_compound_family *family;
    const fd_stage *stage[4];          /* by fd_stage_kind */
    fd_arg_desc args[32];              /* the merged subset of the family's table */
    fd_arg_table table;
    fd_dtype dtypes[32];               /* of every tensor in the family table (unused: f32) */
    char *source;                      /* generated device source */
} fd_compound;

/* Builds a compound; *out is caller-owned (fd_compound_destroy). */
fd_status fd_compound_build(const fd_compound_family *fam, const fd_compound_desc *d, fd_compound **out,
                            fd_error *err);
void fd_compound_destroy(fd_compound *c);
/* The compound a kernel came from, or NULL. */
const fd_compound *fd_compound_of(const fd_kernel *k);

/* Every valid combination of the shipped stages (ops/gemv_compound.c), for
 * compile-all and the parity matrix: fills *d and returns 1, 0 past the end. */
int fd_compound_enumerate(size_t i, const fd_compound_family **fam, fd_compound_desc *d);
/* The compound named `name` among those, built (caller destroys). */
fd_status fd_compound_find(const char *name, fd_compound **out, fd_error *err);

#endif
