/* ops.h — the kernels Foundry ships, their argument structs and descriptors.
 *
 * Layer: ops (public). Declared kernels (one struct and descriptor each) and
 * the families of compound kernels, listed in one registry (ops/registry.c).
 * Call them with fd_run:
 *   fd_gemv_args a = { .x = x, .w = w, .y = y, .rows = N, .cols = K };
 *   FD_TRY(fd_run(fd, &FD_GEMV, &a));
 * Shapes: n values; w: (rows, cols) row-major in any weight dtype (GGUF blocks
 * for q8_0 / q4_0, cols a multiple of 32 there); x: (cols) f32; y: (rows) f32. */
#ifndef FOUNDRY_OPS_H
#define FOUNDRY_OPS_H

#include "foundry/compound.h"
#include "foundry/kernel.h"

#define FD_ADD_ARGS(IN, OUT, PARAM) IN(a, FD_ACT) IN(b, FD_ACT) OUT(y, FD_ACT) PARAM(uint32_t, n)
FD_KERNEL_ARGS(fd_add_args, FD_ADD_ARGS)
extern const fd_kernel FD_ADD;          /* y = a + b; y may be a or b */

#define FD_ONES_ARGS(IN, OUT, PARAM) OUT(y, FD_ANY_FLOAT) PARAM(uint32_t, n)
FD_KERNEL_ARGS(fd_ones_args, FD_ONES_ARGS)
extern const fd_kernel FD_ONES;         /* y = 1 */

#define FD_ARANGE_ARGS(IN, OUT, PARAM) OUT(y, FD_ACT | FD_IDS) PARAM(uint32_t, n) PARAM(float, start) PARAM(float, step)
FD_KERNEL_ARGS(fd_arange_args, FD_ARANGE_ARGS)
extern const fd_kernel FD_ARANGE;       /* y[i] = start + i * step */

#define FD_SWIGLU_ARGS(IN, OUT, PARAM) IN(gate, FD_ACT) IN(up, FD_ACT) OUT(y, FD_ACT) PARAM(uint32_t, n)
FD_KERNEL_ARGS(fd_swiglu_args, FD_SWIGLU_ARGS)
extern const fd_kernel FD_SWIGLU;       /* y = silu(gate) * up */

#define FD_RMSNORM_ARGS(IN, OUT, PARAM) IN(x, FD_ACT) IN(weight, FD_ACT) OUT(y, FD_ACT) \
    PARAM(uint32_t, rows) PARAM(uint32_t, dim) PARAM(float, eps)
FD_KERNEL_ARGS(fd_rmsnorm_args, FD_RMSNORM_ARGS)
extern const fd_kernel FD_RMSNORM;      /* y = x / rms(x) * weight, per row of dim values */

#define FD_GEMV_PLAIN_ARGS(IN, OUT, PARAM) \
    IN(x, FD_ACT) IN(w, FD_ANY_WEIGHT) OUT(y, FD_ACT) PARAM(uint32_t, rows) PARAM(uint32_t, cols)
FD_KERNEL_ARGS(fd_gemv_plain_args, FD_GEMV_PLAIN_ARGS)
extern const fd_kernel FD_GEMV;         /* y = W x, written by hand (no stages): the compound's yardstick */

/* The decode step's last kernel: hist[pos + 1] = ids[0], then pos += 1, on
 * the device. ids, pos: (1) i32; hist: (cap) i32. */
#define FD_STEP_ADVANCE_ARGS(IN, OUT, PARAM) IN(ids, FD_IDS) OUT(hist, FD_IDS) OUT(pos, FD_IDS) PARAM(uint32_t, cap)
FD_KERNEL_ARGS(fd_step_advance_args, FD_STEP_ADVANCE_ARGS)
extern const fd_kernel FD_STEP_ADVANCE;

/* state: arrivals and the arrivals the last launch ended at (u32 in i32 slots); `blocks` is what the CPU twin
 * counts per stage (the GPU launches one block per multiprocessor: pass
 * fd_foundry_multiprocessors there, 1 on the CPU). */
#define FD_HANDOVER_ARGS(IN, OUT, PARAM) OUT(state, FD_IDS) PARAM(uint32_t, stages) PARAM(uint32_t, blocks)
FD_KERNEL_ARGS(fd_handover_args, FD_HANDOVER_ARGS)
extern const fd_kernel FD_HANDOVER;     /* `stages` all-blocks hand-overs, no work: the persistent step's floor */

/* ---- attention and the model's edges (ops/attention.c, ops/rope_kv.c, ops/tokens.c).
 * Legend: H query heads, KV kv heads (G = H / KV query heads share one), hd
 * head_dim, C cache capacity (ctx), T tokens of a chunk, S decode splits, D
 * hidden, V vocab. Cache of a layer, paged: kc, vc: (NP, KV, P, hd) f16 |
 * bf16, NP physical pages of P = FD_KV_PAGE positions, page-major (a page holds
 * every kv head's P rows). pages: (>= ceil(C / P)) i32 in device memory, the
 * sequence's page table: its positions [i P, (i + 1) P) live in physical page
 * pages[i] (every entry < NP), so position p of kv head j is row
 * (pages[p / P] * KV + j) * P + p % P (fd_kv_row). Every kernel that reads or
 * writes the cache goes through the table, a device tensor, so a captured graph
 * replays with whatever table it holds. pos: (1) i32 in device memory, the
 * position of the chunk's first token; kernels read it on the device and no
 * grid depends on it, so a captured graph replays per token. */
#define FD_KV (FD_DT(F16) | FD_DT(BF16))
/* Positions a cache page holds: a multiple of 32, the attention kernels' tile
 * of positions (a decode warp pass, a prefill tile), so a tile lies in one
 * page and costs one table lookup. */
#define FD_KV_PAGE 64
/* Pages a sequence of capacity ctx needs: ceil(ctx / FD_KV_PAGE). */
static inline uint32_t fd_kv_pages(uint32_t ctx) { return (uint32_t)(((uint64_t)ctx + FD_KV_PAGE - 1) / FD_KV_PAGE); }
/* The row (of hd values) of position p of kv head j through the page table. */
static inline uint64_t fd_kv_row(const int32_t *pages, uint32_t kv_heads, uint32_t j, uint32_t p)
{
    return ((uint64_t)(uint32_t)pages[p / FD_KV_PAGE] * kv_heads + j) * FD_KV_PAGE + p % FD_KV_PAGE;
}

/* Rotates q and k (rotate-half RoPE at position pos+t, angle (float)(pos+t) *
 * inv_freq[i]) and writes rotated k and v into the cache through the page
 * table. q, qr: (T, H*hd) f32 (qr may be q); k, v: (T, KV*hd) f32; inv_freq:
 * (hd/2) f32 (fd_rope_inv_freq); flag: (1) i32, set to 1 when a position is
 * outside [0, C) (that token's k/v are not written; the caller zeroes flag and
 * reads it later). */
#define FD_ROPE_KV_ARGS(IN, OUT, PARAM) IN(q, FD_ACT) IN(k, FD_ACT) IN(v, FD_ACT) IN(inv_freq, FD_ACT) \
    IN(pos, FD_IDS) IN(pages, FD_IDS) OUT(qr, FD_ACT) OUT(kc, FD_KV) OUT(vc, FD_KV) OUT(flag, FD_IDS) \
    PARAM(uint32_t, tokens) PARAM(uint32_t, heads) PARAM(uint32_t, kv_heads) PARAM(uint32_t, head_dim) \
    PARAM(uint32_t, ctx)
FD_KERNEL_ARGS(fd_rope_kv_args, FD_ROPE_KV_ARGS)
extern const fd_kernel FD_ROPE_KV;

/* One query token against the cache, positions [0, n), n = min(pos+1, C):
 * S fixed splits of n per kv head, a block each serving the kv head's query
 * heads (8 at most; more make more blocks); the splits combine in the same
 * launch, in two levels (sets of 16 splits, then the sets).
 * q, y: (H*hd) f32; part: (H, S, hd+4) f32 workspace
 * (fd_attn_decode_part_floats); count: (H, 17) i32 tickets
 * (fd_attn_decode_count_ints), zero before the first launch and left zero by
 * every launch. hd a multiple of 32 up to 256, 1 <= S <= 256. head_splits
 * (<= S; 0: S) are the splits used while a block serves one query head
 * (shorter contexts): fd_attn_decode_head_splits. */
#define FD_ATTN_DECODE_ARGS(IN, OUT, PARAM) IN(q, FD_ACT) IN(kc, FD_KV) IN(vc, FD_KV) IN(pos, FD_IDS)  \
    IN(pages, FD_IDS) OUT(y, FD_ACT) OUT(part, FD_ACT) OUT(count, FD_IDS)                              \
    PARAM(uint32_t, heads) PARAM(uint32_t, kv_heads) PARAM(uint32_t, head_dim) PARAM(uint32_t, ctx)     \
    PARAM(uint32_t, splits) PARAM(uint32_t, head_splits) PARAM(float, scale)
FD_KERNEL_ARGS(fd_attn_decode_args, FD_ATTN_DECODE_ARGS)
extern const fd_kernel FD_ATTN_DECODE;
/* Floats of the decode workspace `part`: S * H * (hd + 4). */
uint64_t fd_attn_decode_part_floats(uint32_t heads, uint32_t head_dim, uint32_t splits);
/* I32 values of the decode tickets `count`: H x 17. */
uint64_t fd_attn_decode_count_ints(uint32_t heads);
/* A split count for a cache of C positions on `sms` multiprocessors: S x KV
 * about three per SM (at long contexts a block serves all G <= 8 query heads
 * of its kv head), S x H at most 1536 (the grid: H x S blocks of 128
 * threads), at most one split per 32 positions, within [1, 256]. */
uint32_t fd_attn_decode_splits(uint32_t heads, uint32_t kv_heads, uint32_t ctx, unsigned sms);
/* head_splits for S splits: H x head_splits about three blocks an SM, within [1, S]. */
uint32_t fd_attn_decode_head_splits(uint32_t heads, uint32_t splits, unsigned sms);

/* The head_dim both attention kernels take, the rule their checks apply:
 * NULL when hd is accepted, else the accepted values as a phrase ("a
 * multiple of 32 up to 256"). A model checks it at load (model/shape.c). */
const char *fd_attn_head_dim_rule(uint32_t head_dim);

/* T new queries at positions pos+t against the cache (which holds their own
 * k/v), causally: query t attends [0, min(pos+t, C-1)]. q, y: (T, H*hd) f32.
 * hd a multiple of 32 up to 256. */
#define FD_ATTN_PREFILL_ARGS(IN, OUT, PARAM) IN(q, FD_ACT) IN(kc, FD_KV) IN(vc, FD_KV) IN(pos, FD_IDS) \
    IN(pages, FD_IDS) OUT(y, FD_ACT) PARAM(uint32_t, tokens) PARAM(uint32_t, heads)                     \
    PARAM(uint32_t, kv_heads) PARAM(uint32_t, head_dim) PARAM(uint32_t, ctx) PARAM(float, scale)
FD_KERNEL_ARGS(fd_attn_prefill_args, FD_ATTN_PREFILL_ARGS)
extern const fd_kernel FD_ATTN_PREFILL;
/* The same on the tensor cores (head_dim 64 or 128 only), and the one of
 * the two a prefill of this head_dim runs. */
extern const fd_kernel FD_ATTN_PREFILL_MMA;
const fd_kernel *fd_attn_prefill_kernel(uint32_t head_dim);

/* y[t] = table[ids[t]]: ids: (T) i32; table: (V, D) any weight dtype (D % 32
 * == 0 when quantized); y: (T, D) f32. An id outside [0, V) gives a zero row
 * and sets flag (1) i32 to 1. */
#define FD_EMBED_ARGS(IN, OUT, PARAM) IN(ids, FD_IDS) IN(table, FD_ANY_WEIGHT) OUT(y, FD_ACT) OUT(flag, FD_IDS) \
    PARAM(uint32_t, tokens) PARAM(uint32_t, dim) PARAM(uint32_t, vocab)
FD_KERNEL_ARGS(fd_embed_args, FD_EMBED_ARGS)
extern const fd_kernel FD_EMBED;

/* y = the index of the largest of x[0, valid) (x: (n) f32; y: (1) i32): the
 * first on ties, NaN never chosen, -1 if all are NaN. part: (2 * 256) i32
 * workspace; count: (1) i32, zero before the first launch and left zero. */
#define FD_ARGMAX_ARGS(IN, OUT, PARAM) IN(x, FD_ACT) OUT(y, FD_IDS) OUT(part, FD_IDS) OUT(count, FD_IDS) \
    PARAM(uint32_t, n) PARAM(uint32_t, valid)
FD_KERNEL_ARGS(fd_argmax_args, FD_ARGMAX_ARGS)
extern const fd_kernel FD_ARGMAX;

/* The sampler's configuration (temperature 0 or top_k 1: greedy). */
typedef struct fd_sampler {
    float temperature;
    int32_t top_k;              /* 0: off */
    float top_p, min_p;         /* 1 / 0: off */
    float repeat_penalty, presence_penalty, frequency_penalty;   /* 1 / 0 / 0: off */
    int32_t last_n;             /* tokens the penalties look back over; -1 all, 0 none */
    uint64_t seed;
} fd_sampler;
/* temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, penalties off, last_n 64, seed 0 (ops/sample.c) */
void fd_sampler_defaults(fd_sampler *s);

/* ---- sampling (ops/sample.c). Legend: V vocabulary (n), C+1 = cap.
 * FD_SAMPLE picks the next token on the device, exactly over all V logits,
 * reading everything per-token from device memory so it can sit in a
 * captured decode graph: the position pos[0] (the RNG's counter) and the
 * penalty window hist[max(0, pos + 1 - last_n) .. pos].
 *   logits: (V) f32, not modified   hist: (C+1) i32, the token at each position
 *   pos: (1) i32                    ids: (1) i32, the chosen token
 *   counts: (fd_sample_scratch_ints(V)) i32 workspace, 16-byte aligned:
 *           allocate it zeroed once; every launch leaves its header zero
 *           (replays need no memset), the rest is scratch
 * Rules (the CPU twin and fd_sample_ref follow them bit for bit):
 *   candidates: ids < min(valid, n) whose penalised logit is not NaN;
 *   penalties per distinct token of the window, as llama.cpp (f32);
 *   greedy (first index of the largest penalised logit) when temperature
 *     <= 0, top_k == 1 or that logit is infinite; id 0 when no candidate;
 *   top-k (0 off): keep logits >= the k-th largest (ties at it all kept);
 *   weights w = round(2^44 exp((l - max) / T)) (exp in double), and min-p
 *     (0 off) drops w / 2^44 < min(min_p, 1); w = 0 tokens are never drawn;
 *   top-p (1 off): keep logits >= t, t the largest logit whose upper set
 *     holds >= ceil(top_p * W) of the kept weight W (ties at t all kept);
 *   draw: r = Philox4x32-10(key seed, counter (pos, 0, 0, 0)) words 0-1,
 *     target = floor(r * W' / 2^64), the first id in index order whose
 *     running weight exceeds target (integer sums: no rounding, no chunking). */
#define FD_SAMPLE_ARGS(IN, OUT, PARAM)                                                          \
    IN(logits, FD_ACT) IN(hist, FD_IDS) IN(pos, FD_IDS) OUT(ids, FD_IDS) OUT(counts, FD_IDS)    \
    PARAM(uint32_t, n) PARAM(uint32_t, valid) PARAM(uint32_t, cap) PARAM(float, temperature)    \
    PARAM(int32_t, top_k) PARAM(float, top_p) PARAM(float, min_p) PARAM(float, repeat_penalty)  \
    PARAM(float, presence_penalty) PARAM(float, frequency_penalty) PARAM(int32_t, last_n)       \
    PARAM(uint64_t, seed)
FD_KERNEL_ARGS(fd_sample_args, FD_SAMPLE_ARGS)
extern const fd_kernel FD_SAMPLE;

/* Philox4x32-10 words on the device: y[4 i + j] = word j of
 * Philox(key, counter (i, ctr1, 0, 0)) for i < n. y: (4 n) i32. */
#define FD_PHILOX_ARGS(IN, OUT, PARAM) OUT(y, FD_IDS) PARAM(uint32_t, n) PARAM(uint32_t, ctr1) PARAM(uint64_t, key)
FD_KERNEL_ARGS(fd_philox_args, FD_PHILOX_ARGS)
extern const fd_kernel FD_PHILOX;

/* I32 values of FD_SAMPLE's workspace `counts` for n logits. */
uint64_t fd_sample_scratch_ints(uint32_t n);
/* The vocabulary sizes n the sampler takes, the rule its check applies: NULL
 * when accepted, else the accepted values ("1 to 16777215"). */
const char *fd_sample_n_rule(uint32_t n);
/* Copies s's settings into a's parameters (tensors, n, valid, cap untouched). */
void fd_sample_set(fd_sample_args *a, const fd_sampler *s);
/* The sampler on host memory, as FD_SAMPLE: logits (n) f32, hist (cap) i32,
 * position pos; *id gets the token (-1 on failure). FD_ERR_NOMEM if its
 * scratch cannot be allocated. */
fd_status fd_sample_ref(const float *logits, uint32_t n, uint32_t valid, const int32_t *hist, uint32_t cap,
                        int32_t pos, const fd_sampler *s, int32_t *id) FD_MUST_USE;
/* One Philox4x32-10 block: out = philox(ctr, key). */
void fd_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* ---- the registry */
size_t fd_kernel_count(void);                      /* declared kernels */
const fd_kernel *fd_kernel_at(size_t i);           /* NULL past the end */
const fd_kernel *fd_kernel_find(const char *name); /* NULL if none */
size_t fd_family_count(void);                      /* families of compound kernels */
const fd_family *fd_family_at(size_t i);
/* Every valid compound of every family, numbered across families: fills *d
 * and returns 1, 0 past the end. */
int fd_compound_enumerate(size_t i, fd_compound_desc *d);
/* The compound named `name` among those, built (*out is the caller's). */
fd_status fd_compound_find(const char *name, fd_compound **out, fd_error *err);

/* Compiles every variant of every declared kernel and every compound with
 * NVRTC for sm_<arch>, through the on-disk cache; needs no GPU. `cb` is told
 * each result. FD_ERR_UNAVAILABLE without NVRTC; otherwise the first
 * failure's status after trying them all. `match`: only the variants whose
 * name contains it (NULL: all). A kernel flagged FD_KERNEL_SM90A is compiled
 * for sm_90a whatever `arch` is. */
typedef void (*fd_compile_report)(void *user, const char *variant, fd_status st, int regs,
                                  int spills, double seconds, const char *msg);
fd_status fd_kernel_compile_all(int arch, const char *match, fd_compile_report cb, void *user, fd_error *err);

/* ---- the GEMV family: every compound GEMV takes this struct.
 * A stage uses a subset; the rest stay NULL / 0.
 *   x: (cols) f32            norm_w: (cols) f32, RMSNorm input stage
 *   w#: (rows#, cols)        b#: (rows#) f32 bias     r0: (rows0) f32 residual
 *   y#: (rows#) f32          eps: RMSNorm epsilon */
#define FD_GEMV_ARGS(IN, OUT, PARAM)                                      \
    IN(x, FD_ACT) IN(norm_w, FD_ACT)                                      \
    IN(w0, FD_ANY_WEIGHT) IN(w1, FD_ANY_WEIGHT) IN(w2, FD_ANY_WEIGHT)     \
    IN(b0, FD_ACT) IN(b1, FD_ACT) IN(b2, FD_ACT) IN(r0, FD_ACT)           \
    OUT(y0, FD_ACT) OUT(y1, FD_ACT) OUT(y2, FD_ACT)                       \
    PARAM(uint32_t, cols) PARAM(uint32_t, rows0) PARAM(uint32_t, rows1)   \
    PARAM(uint32_t, rows2) PARAM(float, eps)
FD_KERNEL_ARGS(fd_gemv_args, FD_GEMV_ARGS)

/* Its kinds of stage, in the order of fd_compound_desc.stage[]. Device
 * contract (the .cuh files in src/ops/gemv/; source order input, weights, epilogue, main):
 *   input     the values x is read as: FD_INPUT_AS_IS, float fd_input_scale(a,
 *             part, tid, nt) (block-wide, every thread), float fd_input_at(a, i, scale)
 *   weights   the weight policy (policy_<dtype>.cuh): fd_xin fd_input(a, smem,
 *             once) storing the input's values in its layout (f32, or int8
 *             blocks: the int8 activation contract, ops/gemv/quant_x.cuh),
 *             fd_xs_bytes, fd_row_begin, fd_dot_row, fd_pipe, FD_STAGE_BYTES,
 *             FD_WHOLE_SLICE (and then fd_dot_smem), optionally
 *             FD_MIN_BLOCKS — see ops/gemv/float_policy.cuh, quant_policy.cuh
 *   epilogue  void fd_epilogue(const fd_args &a, u32 j, const float *v)
 *   main      the entry point (FD_KERNEL), FD_NOUT products per row (the
 *             family defines FD_NOUT from the stages' `provides`) */
enum { FD_GEMV_INPUT, FD_GEMV_WEIGHTS, FD_GEMV_MAIN, FD_GEMV_EPILOGUE, FD_GEMV_KINDS };

/* The CPU state a GEMV stage's cpu function gets as `io`: the input stage
 * reads x (and norm_w, eps) and writes xs (cols f32) — through io only, so
 * families that reuse the GEMV's stages share it; an epilogue stores row j
 * from v[0..products), reading its family's struct. */
typedef struct fd_gemv_io {
    const float *x, *norm_w;    /* host views of the input and the RMSNorm weight */
    float eps;
    uint32_t cols;
    float *xs;
    uint32_t j;
    const float *v;
} fd_gemv_io;

extern const fd_family FD_GEMV_FAMILY;
extern const fd_stage FD_STAGE_INPUT_PLAIN, FD_STAGE_INPUT_RMSNORM;
extern const fd_stage FD_STAGE_GEMV, FD_STAGE_GEMV2, FD_STAGE_GEMV3;
extern const fd_stage FD_STAGE_EPI_NONE, FD_STAGE_EPI_BIAS, FD_STAGE_EPI_SILU, FD_STAGE_EPI_SWIGLU,
    FD_STAGE_EPI_RESIDUAL;
/* The weight policy that reads `dt` (one per weight dtype of FD_DTYPE_LIST), or NULL. */
const fd_stage *fd_gemv_policy(fd_dtype dt);

/* ---- the QKV family (the attention side of a decode step): RMSNorm(x),
 * the q, k, v products with bias, RoPE at the position held in device
 * memory, and the write of k and v into the cache — one kernel. It reuses
 * the GEMV's input, weight and main stages (same kinds, same argument
 * names) with its own epilogue, FD_STAGE_EPI_ROPE_KV. Legend: H heads, KV kv
 * heads, hd head_dim, C ctx, D cols.
 *   x: (D) f32   norm_w: (D) f32 (RMSNorm input stage)
 *   w0, w1: ((H + KV) * hd / 2, D): the first / second halves of each q head's
 *           rows, then of each k head's (fd_qkv_permute's order); w2: (KV * hd, D) v
 *   b0, b1, b2: the biases in the same order     inv_freq: (hd / 2) f32 (fd_rope_inv_freq)
 *   pos: (1) i32, the token's position           q: (H * hd) f32, rotated
 *   pages: the page table (see FD_KV_PAGE)       flag: (1) i32, set to 1 if pos >= C
 *   kc, vc: (NP, KV, P, hd) f16, position pos of each kv head written */
#define FD_QKV_ARGS(IN, OUT, PARAM)                                                     \
    IN(x, FD_ACT) IN(norm_w, FD_ACT)                                                    \
    IN(w0, FD_ANY_WEIGHT) IN(w1, FD_ANY_WEIGHT) IN(w2, FD_ANY_WEIGHT)                   \
    IN(b0, FD_ACT) IN(b1, FD_ACT) IN(b2, FD_ACT) IN(pos, FD_IDS) IN(inv_freq, FD_ACT)   \
    IN(pages, FD_IDS) OUT(q, FD_ACT) OUT(kc, FD_DT(F16)) OUT(vc, FD_DT(F16)) OUT(flag, FD_IDS)            \
    PARAM(uint32_t, cols) PARAM(uint32_t, rows0) PARAM(uint32_t, rows1)                 \
    PARAM(uint32_t, rows2) PARAM(float, eps) PARAM(uint32_t, heads)                     \
    PARAM(uint32_t, kv_heads) PARAM(uint32_t, head_dim) PARAM(uint32_t, ctx)
FD_KERNEL_ARGS(fd_qkv_args, FD_QKV_ARGS)
extern const fd_family FD_QKV_FAMILY;
extern const fd_stage FD_STAGE_EPI_ROPE_KV;
/* RoPE's inverse frequencies as transformers computes them in f32:
 * inv[i] = 1 / theta^((float)(2 i) / hd) for i < hd / 2 (the power
 * correctly rounded to f32, then an f32 reciprocal). */
void fd_rope_inv_freq(float *inv, uint32_t head_dim, double theta);
/* The QKV family's epilogue for a prefill chunk of T tokens (a GEMM wrote
 * their products, bias included, in the family's row order): y (T, (H + 2 KV)
 * hd) -> q (T, H hd) rotated; k and v rows into kc, vc at pos .. pos + T - 1
 * through the page table `pages`;
 * flag raised for a position past the cache (nothing written there). */
#define FD_QKV_ROWS_ARGS(IN, OUT, PARAM) IN(y, FD_ACT) IN(pos, FD_IDS) IN(inv_freq, FD_ACT) IN(pages, FD_IDS) \
    OUT(q, FD_ACT) OUT(kc, FD_DT(F16)) OUT(vc, FD_DT(F16)) OUT(flag, FD_IDS) PARAM(uint32_t, tokens) PARAM(uint32_t, heads) \
    PARAM(uint32_t, kv_heads) PARAM(uint32_t, head_dim) PARAM(uint32_t, ctx)
FD_KERNEL_ARGS(fd_qkv_rows_args, FD_QKV_ROWS_ARGS)
extern const fd_kernel FD_QKV_ROWS;
/* FD_QKV_ROWS with a per-head RMSNorm of q and k before RoPE (Qwen3's
 * q_norm / k_norm): each head's hd values x become x / sqrt(mean(x^2) + eps)
 * * q_norm (q heads) or * k_norm (k heads); q_norm, k_norm: (hd) f32. At
 * most 256 heads (H + KV). Decode runs it with T = 1 after a GEMV. */
#define FD_QKV_ROWS_NORM_ARGS(IN, OUT, PARAM) IN(y, FD_ACT) IN(pos, FD_IDS) IN(inv_freq, FD_ACT)                \
    IN(pages, FD_IDS) IN(q_norm, FD_ACT) IN(k_norm, FD_ACT) OUT(q, FD_ACT) OUT(kc, FD_DT(F16)) OUT(vc, FD_DT(F16))       \
    OUT(flag, FD_IDS)                                                                                                    \
    PARAM(uint32_t, tokens) PARAM(uint32_t, heads) PARAM(uint32_t, kv_heads) PARAM(uint32_t, head_dim)             \
    PARAM(uint32_t, ctx) PARAM(float, eps)
FD_KERNEL_ARGS(fd_qkv_rows_norm_args, FD_QKV_ROWS_NORM_ARGS)
extern const fd_kernel FD_QKV_ROWS_NORM;
#define FD_QKV_NORM_MAX_HEADS 256
/* The rule FD_QKV_ROWS_NORM's check applies to heads + kv_heads: NULL when
 * accepted, else the accepted values ("at most 256"). */
const char *fd_qkv_norm_heads_rule(uint32_t heads_and_kv);
/* Row r of the combined weight [Wq; Wk; Wv] ((H + 2 KV) * hd rows) that row
 * `i` of the QKV family's [w0; w1; w2] layout holds (apply to biases too). */
uint32_t fd_qkv_source_row(uint32_t i, uint32_t heads, uint32_t kv_heads, uint32_t head_dim);

/* ---- the GEMM family (prefill: a whole prompt at once): every compound GEMM
 * takes this struct; a stage uses a subset, the rest stay NULL / 0.
 *   x: (M, K) f32 activations     norm_w: (K) f32, RMSNorm input stage
 *   w0, w1: (N, K) any weight dtype (w1: SwiGLU's up rows; K % 32 == 0)
 *   b0: (N) f32 bias              r0: (M, N) f32 residual (y0 may be r0)
 *   y0: (M, N) f32                eps: RMSNorm epsilon
 *   start: the position of row 0 in the sequence (kept for attention; the
 *   product itself does not read it) */
#define FD_GEMM_ARGS(IN, OUT, PARAM)                                          \
    IN(x, FD_ACT) IN(norm_w, FD_ACT) IN(w0, FD_ANY_WEIGHT) IN(w1, FD_ANY_WEIGHT) \
    IN(b0, FD_ACT) IN(r0, FD_ACT) OUT(y0, FD_ACT)                              \
    PARAM(uint32_t, M) PARAM(uint32_t, N) PARAM(uint32_t, K) PARAM(uint32_t, start) PARAM(float, eps)
FD_KERNEL_ARGS(fd_gemm_args, FD_GEMM_ARGS)
/* The inner dimension K every GEMM takes (its k-tile), the rule its check
 * applies: NULL when accepted, else the accepted values ("a multiple of 32"). */
const char *fd_gemm_k_rule(uint32_t K);

/* Its kinds of stage. Device contract (src/ops/gemm/; source order weights,
 * input, epilogue, main):
 *   weights   the weight policy (policy_<dtype>.cuh): FD_GEMM_OP (the MMA's
 *             operand type: 0 f16, 1 bf16, 2 f32 through the SIMT path) and,
 *             for the MMA path, FD_GEMM_WRAW / FD_GEMM_WCONV / FD_GEMM_STAGES
 *             (its ring) and fd_w_issue / fd_w_ready (a k-tile of BN weight
 *             rows copied, then made operands) — see ops/gemm/main.cuh
 *   input     float4 fd_x_in(a, k, v) (x[m, k..k+3] as staged) and FD_GEMM_RMS;
 *             with it, fd_x_scale(a, sum of squares) (the row's scale)
 *   epilogue  void fd_epi(const fd_args &a, u32 m, u32 n, const float *v)
 *   main      the entry point; FD_NOUT products per output (1, or 2 for SwiGLU) */
enum { FD_GEMM_INPUT, FD_GEMM_WEIGHTS, FD_GEMM_MAIN, FD_GEMM_EPILOGUE, FD_GEMM_KINDS };

/* The CPU state a GEMM stage's cpu function gets as `io`, one output row m at
 * a time: the input stage writes xs (K f32, before rounding to the operand
 * type) and scale (what the row's products are multiplied by: 1, or RMSNorm's
 * 1 / rms); an epilogue stores row m from v[p][0..N). */
typedef struct fd_gemm_io {
    uint32_t m;
    float *xs;
    float scale;
    const float *v[2];
} fd_gemm_io;

extern const fd_family FD_GEMM_FAMILY;
extern const fd_stage FD_STAGE_GEMM_INPUT_PLAIN, FD_STAGE_GEMM_INPUT_RMSNORM;
extern const fd_stage FD_STAGE_GEMM, FD_STAGE_GEMM2;
/* The Hopper members (sm_90a: wgmma, TMA; ops/gemm/wgmma.c): the same
 * argument struct, kinds, inputs, f16 / bf16 policies, epilogues and CPU
 * composition, with these mains; they run on a device of compute capability
 * 9.0 only. */
extern const fd_family FD_GEMM_WG_FAMILY;
extern const fd_family FD_GEMM_WG1_FAMILY;   /* the same, never split-K: bench_gemm's comparison */
extern const fd_stage FD_STAGE_GEMM_WG, FD_STAGE_GEMM2_WG;
/* The prefill GEMM's family and main for weights of dtype `dt` on a device
 * of architecture `arch` (compute capability x 10; with tensor maps or not):
 * the Hopper members for f16 / bf16 on 9.0 with tensor maps, else the
 * mma.sync family; `main` is FD_STAGE_GEMM or FD_STAGE_GEMM2. */
void fd_gemm_choose(int arch, int tensor_maps, fd_dtype dt, const fd_stage *main, const fd_family **fam,
                    const fd_stage **out);
/* The Hopper members' launch plan for M rows, `cols` weight rows (N x
 * products), K inputs on `sms` multiprocessors: the tile's BN (256 when its
 * tiles fill every multiprocessor, else 128) and the split count (1 unless
 * the tiles are fewer than the multiprocessors: then up to one wave of
 * blocks, at least two k-tiles of 64 per split, within the workspace). */
void fd_gemm_wg_plan(uint32_t M, uint64_t cols, uint32_t K, unsigned sms, unsigned *bn, unsigned *splits);
extern const fd_stage FD_STAGE_GEMM_EPI_NONE, FD_STAGE_GEMM_EPI_BIAS, FD_STAGE_GEMM_EPI_SWIGLU,
    FD_STAGE_GEMM_EPI_RESIDUAL;
/* The GEMM weight policy that reads `dt` (one per weight dtype), or NULL. */
const fd_stage *fd_gemm_policy(fd_dtype dt);

#endif
