/* device.h — the insides of fd_weights and fd_state (forward.h), shared by
 * weights.c (upload, memory plan), state.c (KV cache and step state) and
 * forward.c (the layer plan's lowerings: the decode step, prefill, greedy
 * generation).
 *
 * Layer: model (internal). Legend: L layers, D hidden, H heads, KV kv heads,
 * hd head_dim, F ffn, V vocab rows, C context. Invariants:
 *   1. Every tensor of fd_weights is read-only once fd_model_upload returns.
 *   2. s->pos_host equals the device pos[0] whenever no step is in flight.
 *   3. hist[p] (device) holds the token at position p for every p < pos_host,
 *      and hist[pos_host] = hist_top when hist_top >= 0. The device's hist is
 *      the one history: the host writes only tokens it adds (a prefill's
 *      chunk, a step's token, decode's first token) and reads back only the
 *      tokens decode chose.
 *   4. pages[i] is the physical page of the sequence's positions
 *      [i P, (i + 1) P) in every layer's cache (include/foundry/ops.h); a
 *      state owns its NP = ceil(C / P) pages, table the identity. */
#ifndef FD_MODEL_DEVICE_H
#define FD_MODEL_DEVICE_H

#include "foundry/compound.h"
#include "foundry/forward.h"
#include "foundry/ops.h"
#include "model/arch/arch.h"

typedef struct fd_layer_w {
    fd_tensor *t[FD_ROLE_COUNT];    /* by role: norms, O, GATE, UP, DOWN, Q_NORM, K_NORM (q/k/v below) */
    fd_tensor *qkv, *w[3];          /* ((H + 2 KV) hd, D): [w0; w1; w2] in the QKV family's row order */
    fd_tensor *bqkv, *b[3];         /* ((H + 2 KV) hd) f32, same order; zeros where the plan has no bias */
    fd_tensor *inv_freq;            /* borrowed: the weights' inv_freq, or no_rope on a NoPE layer */
} fd_layer_w;

/* The fused kernels a plan step lowers to: one row per kind, its decode
 * (GEMV or QKV family) and prefill (GEMM family) stages; the weight policy
 * comes from the weight's dtype (weights.c builds each (kind, dtype) used). */
#define FD_KERNEL_KINDS(X)                                                                                      \
    /* kind,     decode family,  input,                  main,            epilogue,                              \
     *           prefill input,                 main,            epilogue */                                    \
    X(QKV_ROPE,  &FD_QKV_FAMILY, &FD_STAGE_INPUT_RMSNORM, &FD_STAGE_GEMV3, &FD_STAGE_EPI_ROPE_KV,                \
      &FD_STAGE_GEMM_INPUT_RMSNORM, &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_BIAS)                                    \
    X(NORM_STORE, &FD_GEMV_FAMILY, &FD_STAGE_INPUT_RMSNORM, &FD_STAGE_GEMV, NULL,                               \
      &FD_STAGE_GEMM_INPUT_RMSNORM, &FD_STAGE_GEMM, NULL)                                                       \
    X(PROJ_RES,  &FD_GEMV_FAMILY, NULL, &FD_STAGE_GEMV, &FD_STAGE_EPI_RESIDUAL,                                 \
      NULL, &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_RESIDUAL)                                                        \
    X(GLU,       &FD_GEMV_FAMILY, &FD_STAGE_INPUT_RMSNORM, &FD_STAGE_GEMV2, &FD_STAGE_EPI_SWIGLU,               \
      &FD_STAGE_GEMM_INPUT_RMSNORM, &FD_STAGE_GEMM2, &FD_STAGE_GEMM_EPI_SWIGLU)
typedef enum {
#define FD_KK_ENUM_(k, ...) FD_KK_##k,
    FD_KERNEL_KINDS(FD_KK_ENUM_)
#undef FD_KK_ENUM_
    FD_KK_COUNT
} fd_kernel_kind;

struct fd_weights {
    fd_foundry *fd;
    const fd_model *model;
    const fd_arch *arch;            /* the model's descriptor: its layer plan */
    fd_model_hparams hp;
    uint32_t vocab_valid;           /* ids at or past it are padding: never chosen */
    uint32_t ctx;                   /* the upload's context */
    int loaded;                     /* tensors uploaded */
    int widened_said;               /* the notice of a fused group widened (weights.c) was logged */
    fd_layer_w *layer;              /* L */
    fd_tensor *embd;                /* (V, D) */
    fd_tensor *out_norm;            /* (D) f32 */
    fd_tensor *head;                /* (V, D): embd when tied */
    fd_tensor *inv_freq;            /* (hd / 2) f32 (rope.c: scaled, divided by rope_freqs) */
    fd_tensor *no_rope;             /* (hd / 2) f32 zeros: NoPE layers' table (the identity rotation), or NULL */
    fd_compound *dec[FD_KK_COUNT][FD_DTYPE_COUNT];   /* decode's fused kernels by kind and weight dtype */
    fd_compound *pre[FD_KK_COUNT][FD_DTYPE_COUNT];   /* prefill's (GEMM) */
    uint64_t bytes;
};

/* weights.c: the fused kernel of `kind` for weights of t's dtype (built at upload). */
const fd_kernel *fd_weights_kernel(const fd_weights *w, fd_kernel_kind kind, const fd_tensor *t, int prefill);
/* weights.c: the kernel kind of the QKV step (fused RoPE epilogue, or a plain product then FD_QKV_ROWS_NORM). */
fd_kernel_kind fd_qkv_kind(const fd_plan_step *st);

struct fd_state {
    fd_foundry *fd;
    const fd_weights *w;
    uint32_t ctx, splits, pos_host;  /* splits: the attention launches' count now, split_for[bucket] */
    uint32_t split_for[2];          /* per context bucket (FD_SHORT_CTX positions or fewer, more): state.c */
    uint32_t head_split_for[2], head_splits;   /* the same while a block serves one query head (fd_attn_decode_args) */
    fd_tensor *kv;                  /* (2 L, NP, KV P, hd) f16: one allocation, K and V of each layer */
    fd_tensor **kc, **vc;           /* L views (NP, KV P, hd): pages of (KV, P, hd) */
    fd_tensor *pages;               /* (NP) i32: the page table, the same for every layer */
    fd_tensor *pos;                 /* (1) i32: the position of the current token */
    fd_tensor *ids;                 /* (1) i32: the current token; argmax writes the next one here */
    fd_tensor *hist;                /* (C + 1) i32: the token at every position */
    fd_tensor *flag;                /* (1) i32: a step past the cache or a bad id raised it */
    fd_tensor *h, *q, *att, *act, *logits;   /* (D), (H hd), (H hd), (F), (V) f32 */
    fd_tensor *y;                   /* ((H + 2 KV) hd) f32: q/k/v products when the QKV step is not one kernel */
    fd_tensor *part, *count;        /* attention workspace: splits' partials, per-head counters */
    fd_tensor *amax_part, *amax_count;       /* argmax workspace */
    int sampling;                   /* choose by the sampler, else the argmax */
    fd_sampler sampler;
    fd_tensor *counts;              /* (fd_sample_scratch_ints(V)) i32, the sampler's scratch */
    int32_t hist_top;               /* the token at hist[pos_host] as decode left it, or -1: not known */
    int use_graph;
    int persistent;                 /* decode steps through the persistent kernel (opt-in: fd_state_use_persistent) */
    struct fd_persist *persist;     /* made at the first step that wants it (again when sampling turns on or off) */
    int persist_off;                /* refused (the notice said why): the per-kernel step runs from then on */
    int persist_ran;                /* a persistent step ran since its error word was last read */
    fd_graph *graph[2];             /* the captured step that chooses its successor, per context bucket */
    int graph_stale;                /* the chooser changed: capture again */
    int warm;                       /* the step ran once: every kernel compiled */
    double issue_s;                 /* host time of the last decode's launches */
    uint32_t prefill_chunk;         /* tokens per prefill pass (fd_state_set_prefill_chunk); the pool grows to them */
    int pool_noted;                 /* the pool could not grow to a chunk: said once in the log */
    fd_tensor *chunk_t[8];          /* the last prefill chunk's pooled handles, freed by the next chunk (forward.c) */
    int n_chunk_t;
};

/* A decode launch as data: a kernel and its arguments (forward.c makes
 * them; fd_run runs them, and the persistent kernel's members read them:
 * model/persist.c). */
typedef union fd_dec_args {
    fd_gemv_args gemv;
    fd_qkv_args qkv;
    fd_qkv_rows_norm_args rows;
    fd_attn_decode_args attn;
    fd_embed_args embed;
    fd_argmax_args argmax;
    fd_step_advance_args advance;
} fd_dec_args;
typedef struct fd_dec_call {
    const fd_kernel *k;
    fd_dec_args a;
} fd_dec_call;
/* forward.c: plan step st of layer l as the decode step's launches into
 * c[0..2): their number (1 or 2), 0 for an op with no decode lowering. */
int fd_decode_calls(fd_state *s, uint32_t l, const fd_plan_step *st, fd_dec_call *c);
/* forward.c: the step's launches outside the layers: embed, the head
 * (RMSNorm + logits), the argmax (its per-block pairs in part), advance. */
void fd_decode_embed(fd_state *s, fd_dec_call *c);
void fd_decode_head(fd_state *s, fd_dec_call *c);
void fd_decode_argmax(fd_state *s, fd_tensor *part, fd_dec_call *c);
void fd_decode_advance(fd_state *s, fd_dec_call *c);

/* state.c: the attention splits for a cache of ctx positions. A step attending FD_SHORT_CTX positions or
 * fewer replays a graph of its own, captured with the splits of that capacity: the decode attention's grid is
 * frozen in a graph, and at short contexts most of a long cache's splits would be blocks that only return
 * (about 6 us a step of 24 layers at 1,526 blocks, issue 27's regression). */
#define FD_SHORT_CTX 4096
uint32_t fd_state_splits(const fd_weights *w, uint32_t ctx);
/* forward.c: frees the last prefill chunk's pooled tensor handles (their memory is the pool's). */
void fd_state_free_chunk(fd_state *s);
/* The splits a step with `splits` uses while a block serves one query head (fd_attn_decode_head_splits). */
uint32_t fd_state_head_splits(const fd_weights *w, uint32_t splits);
/* The prefill chunk (tokens per pass: fd_state_set_prefill_chunk): FD_PREFILL_CHUNK by default; a setting is
 * a multiple of FD_PREFILL_CHUNK_STEP up to FD_PREFILL_CHUNK_MAX, the range tools/gpu/chunk.sh measures. */
#define FD_PREFILL_CHUNK 512
#define FD_PREFILL_CHUNK_STEP 16
#define FD_PREFILL_CHUNK_MAX 8192

#endif
