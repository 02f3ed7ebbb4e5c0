/* forward.h — a model on the device (any architecture with a descriptor: qwen2, qwen3) and its forward pass.
 *
 * Layer: model (public). Three objects, each with its owner:
 *   fd_weights  the model's tensors as read-only device tensors (the plan's
 *               tensor cache), held by the foundry as a configured resource:
 *               one model per foundry; asking for another model's weights
 *               while one is uploaded is an FD_ERR_STATE error (release
 *               first). Valid until fd_weights_release or the foundry's end.
 *   fd_state    one sequence: its KV cache (2 x layers x KV heads x context x
 *               head_dim, f16), its position and flags in device memory, its
 *               activations. Owned by the caller (fd_state_destroy). Several
 *               states can share one fd_weights (batches, speculation later).
 *   logits      copied out to the caller's buffer when asked.
 * Per-step values live in device tensors the kernels read (the position, the
 * token), so a decode step captured once as a graph replays step after step
 * with no host write: the step's last kernel advances the position. A step
 * at the end of the context writes nothing out of bounds: the kernels raise
 * a flag that fd_state_step reports as FD_ERR_RANGE.
 *
 * Precision: f32 activations between kernels and in every accumulation; K and
 * V stored in f16; quantized weights dequantized in the products. */
#ifndef FOUNDRY_FORWARD_H
#define FOUNDRY_FORWARD_H

#include <stdio.h>
#include "foundry/model.h"
#include "foundry/ops.h"
#include "foundry/tensor.h"

typedef struct fd_weights fd_weights;
typedef struct fd_state fd_state;

typedef struct fd_upload_options {
    uint32_t ctx;           /* context the memory plan reserves a KV cache for; 0: the model's on a GPU (halved
                             * while it does not fit the free memory, down to 4096), min(model's, 4096) on the CPU */
    /* progress: called as bytes are uploaded (big models), may be NULL */
    void (*progress)(void *user, uint64_t done, uint64_t total);
    void *user;
} fd_upload_options;

/* Device memory a model needs, by part (fd_model_plan). */
typedef struct fd_mem_plan {
    uint64_t weights;       /* every tensor as loaded, the combined QKV layout included */
    uint64_t kv_cache;      /* 2 x L x KV x ctx x hd x 2 bytes (f16) */
    uint64_t activations;   /* per-step vectors: hidden, q, attention, FFN, logits */
    uint64_t workspace;     /* attention splits, reductions */
    uint64_t total;
} fd_mem_plan;

/* What model m needs with a context of ctx tokens. */
void fd_model_plan(const fd_model *m, uint32_t ctx, fd_mem_plan *plan);

/* Uploads m's tensors (as loaded: open the model with fd_model_options.convert
 * for another dtype) after checking the memory plan against the device's free
 * memory — a plan that does not fit is FD_ERR_NOMEM naming each part, with
 * nothing allocated. The q, k, v weights and biases are laid out once for
 * the QKV family (fd_qkv_source_row). *out belongs to the foundry. */
fd_status fd_model_upload(fd_foundry *fd, const fd_model *m, const fd_upload_options *opt,
                          fd_weights **out) FD_MUST_USE;
/* Frees the uploaded weights (every fd_state made from them first). */
void fd_weights_release(fd_foundry *fd);
uint64_t fd_weights_bytes(const fd_weights *w);

/* A sequence of at most ctx tokens (0: the upload's ctx). *out is the
 * caller's; free with fd_state_destroy. */
fd_status fd_state_create(fd_foundry *fd, const fd_weights *w, uint32_t ctx, fd_state **out) FD_MUST_USE;
void fd_state_destroy(fd_state *s);
uint32_t fd_state_ctx(const fd_state *s);
/* Tokens in the cache (the position of the next one), as the host last saw it. */
uint32_t fd_state_pos(const fd_state *s);
/* Forgets the cache past `pos` tokens (0: all): the next token goes there. */
fd_status fd_state_rewind(fd_state *s, uint32_t pos) FD_MUST_USE;

/* Runs token `id` at the next position and advances. logits: NULL, or room
 * for the model's vocab floats, filled with this position's logits. The
 * first call of a state compiles its kernels; with `graph` set, later calls
 * replay one captured step (FD_ERR_UNSUPPORTED never: the CPU runs eagerly). */
fd_status fd_state_step(fd_state *s, int32_t id, float *logits) FD_MUST_USE;
/* Runs n tokens (a prompt), the logits of the last one into `logits` (may be
 * NULL), or of every one into all_logits (n x vocab, may be NULL). */
fd_status fd_state_prefill(fd_state *s, const int32_t *ids, size_t n, float *logits, float *all_logits) FD_MUST_USE;
/* Tokens per prefill pass: 512 by default, or $FOUNDRY_PREFILL_CHUNK where
 * the state was made (fd_state_create refuses a value out of range); a
 * multiple of 16 from 16 to 8192, else FD_ERR_INVALID and the setting kept.
 * A pass's activations live in the foundry's pool, which prefill grows to
 * hold them (fd_pool_reserve); where the device has no room, a pass takes
 * what the pool holds, with a notice in the log. */
fd_status fd_state_set_prefill_chunk(fd_state *s, uint32_t tokens) FD_MUST_USE;
uint32_t fd_state_prefill_chunk(const fd_state *s);
/* Decodes n tokens on the device after `last` (the token at the next
 * position): each step chooses its successor — the argmax (padding ids
 * never), or a draw of the state's sampler — writes it where the next step
 * reads its token, and advances; the host reads the chosen ids once, at the
 * end, into out[n]. With graphs on, every step but the first replays one
 * captured graph. FD_ERR_RANGE if the steps would pass the context. */
fd_status fd_state_decode(fd_state *s, int32_t last, size_t n, int32_t *out) FD_MUST_USE;
/* Host seconds the last fd_state_decode spent issuing its steps (launches
 * or graph replays), before it waited for the device. */
double fd_state_issue_seconds(const fd_state *s);
/* The chooser of fd_state_decode's steps: a copy of *cfg, or greedy (NULL,
 * or temperature 0). A change re-captures the step's graph. */
void fd_state_set_sampler(fd_state *s, const fd_sampler *cfg);
/* Captures the decode step as a graph on its next run (CUDA; ignored on the CPU). */
void fd_state_use_graph(fd_state *s, int on);
/* Decode steps (fd_state_decode, fd_state_step) as one persistent kernel
 * (CUDA): co-resident blocks walking the step's instruction list, waiting
 * on device counters instead of kernel boundaries (docs/DESIGN.md); a
 * greedy step ends in the argmax inside it, a sampled step's sampler and
 * position advance run as two kernels after it. Off by default. Where it
 * cannot run — the CPU, a plan step or a weight-dtype mix without a member,
 * a device that cannot hold every block at once — the per-kernel step
 * runs, with a notice in the log naming why. */
void fd_state_use_persistent(fd_state *s, int on);
/* Where the persistent step's time went: the last step launched while
 * profiling was on (fd_profile_enable) as a Chrome trace at `path`, a
 * thread per block, each instruction's wait and run from device timestamps,
 * and a per-member summary into `summary` (either may be NULL).
 * FD_ERR_STATE when no persistent step ran while profiling. */
fd_status fd_state_persistent_timeline(fd_state *s, const char *path, FILE *summary) FD_MUST_USE;
/* The persistent step's generated source for s's model on any backend
 * (`foundry kernels --compile-all` compiles it with NVRTC): *src is the
 * caller's (fd_kernel_source_free), the entry point's name into name, the
 * least dynamic shared bytes a launch takes into *smem (its weight ring at
 * two slots; a GPU's launch takes as many slots as fit). FD_ERR_UNSUPPORTED naming why where the
 * model has no persistent step, with the message in err. */
fd_status fd_state_persistent_source(fd_state *s, char *name, size_t cap, char **src, uint32_t *smem,
                                     fd_error *err) FD_MUST_USE;
/* On a GPU, runs every kernel an empty state will use once — prefill at a
 * short and a full chunk (the state's: warm again after a change), greedy and sampled decode steps — so that each is
 * compiled (or read from the kernel cache) and loaded now rather than inside
 * the first prompt, captures the greedy decode graph, and rewinds to 0. On
 * the CPU, nothing. FD_ERR_STATE unless the state is empty. */
fd_status fd_state_warm(fd_state *s) FD_MUST_USE;

#endif
