/* ilist_lower.h — the decode step's layer plan (model/arch/) lowered to the
 * instruction list of one persistent kernel (kernel/ilist.h): the third
 * lowering beside forward.c's decode launches and prefill.
 *
 * Layer: model (internal). One list per fact: FD_IMEMBER_LIST is the
 * members (kernel bodies) an instruction names, and their names. */
#ifndef FD_MODEL_ILIST_LOWER_H
#define FD_MODEL_ILIST_LOWER_H

#include "foundry/dtype.h"
#include "foundry/hparams.h"
#include "kernel/ilist.h"
#include "model/arch/arch.h"

/* member, name: what the instruction's rows are */
#define FD_IMEMBER_LIST(X)                                                                          \
    X(EMBED, "embed")         /* elements of h.0 from the token's embedding row */                  \
    X(QKV, "qkv")             /* rotary pairs of one kv group's q/k/v rows (RMSNorm, bias, RoPE, cache) */ \
    X(QKV_ROWS, "qkv_rows")   /* rows of the q/k/v products into y (q/k normalized per head next) */ \
    X(QK_NORM, "qk_norm")     /* one head of y: RMSNorm (q, k), RoPE, into q / the cache row */     \
    X(ATTEND, "attend")       /* one context split of one query head */                              \
    X(COMBINE, "combine")     /* one kv group's splits merged into att */                           \
    X(PROJ_RES, "proj_res")   /* rows of out = out + W in */                                        \
    X(GLU, "glu")             /* rows of silu(W0 RMSNorm(in)) * (W1 RMSNorm(in)) */                 \
    X(HEAD, "head")           /* rows of the logits: RMSNorm + output product */                    \
    X(ARGMAX, "argmax")       /* the largest logit of the head range its block just wrote */         \
    X(PICK, "pick")           /* the next token from the ranges' largest logits */                  \
    X(ADVANCE, "advance")     /* position and history move on */
typedef enum {
#define FD_IMEMBER_ENUM_(m, name) FD_IM_##m,
    FD_IMEMBER_LIST(FD_IMEMBER_ENUM_)
#undef FD_IMEMBER_ENUM_
    FD_IM_COUNT
} fd_imember;
extern const char *const fd_imember_names[FD_IM_COUNT];

typedef struct fd_ilower_opts {
    uint32_t blocks;        /* thread blocks of the persistent kernel (one per multiprocessor: 132 on an H100) */
    fd_dtype wdtype;        /* the weights' dtype: bytes per row balance the blocks' shares */
    uint32_t ctx_hint;      /* cache rows attention reads, for its bytes (0: 1024) */
    uint32_t attn_splits;   /* context splits per kv head (0: blocks / kv heads, within 1..8) */
    uint32_t smem_budget;   /* shared memory bytes per block (0: 227 KiB, an H100's) */
    uint32_t resident;      /* co-resident blocks (0: blocks) */
    int logits_only;        /* end with the head: a sampled step, whose sampler and advance run as kernels after */
} fd_ilower_opts;

/* The instruction list of one decode step of `a` at hp's shape into *out
 * (fd_ilist_free releases it, also after a failure), placed on o->blocks
 * blocks. The caller validates it (fd_ilist_validate). FD_ERR_INVALID for a
 * shape or plan it cannot lower, with the reason in err. */
fd_status fd_ilist_lower(const fd_arch *a, const fd_model_hparams *hp, const fd_ilower_opts *o, fd_ilist *out,
                         fd_error *err);

#endif
