/* weights.c — a model's tensors on the device: the memory plan, the upload
 * (read-only dedicated tensors by the descriptor's roles, the q/k/v rows
 * reordered once for the QKV family) and the fused kernels the layer plan's
 * steps lower to, one per (kind, weight dtype) used: each product's kernel
 * follows its own tensor's dtype, so a file mixing dtypes per tensor runs.
 *
 * Layer: model. The weights are the foundry's configured resource
 * FD_WEIGHTS, keyed by the model: asking for another model's weights while
 * some are uploaded is refused by the registry (release them first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "core/internal.h"
#include "foundry/resource.h"
#include "foundry/tokenizer.h"
#include "model/device.h"
#include "model/model_int.h"

typedef struct upload_config { const fd_model *model; } upload_config;

static void weights_destroy(fd_foundry *fd, void *obj)
{
    (void)fd;
    fd_weights *w = obj;
    for (int k = 0; k < FD_KK_COUNT; k++)
        for (int d = 0; d < FD_DTYPE_COUNT; d++) {
            fd_compound_destroy(w->dec[k][d]);
            fd_compound_destroy(w->pre[k][d]);
        }
    for (uint32_t l = 0; w->layer && l < w->hp.n_layers; l++) {
        fd_layer_w *L = &w->layer[l];
        for (int r = 0; r < FD_ROLE_COUNT; r++) (void)fd_tensor_free(L->t[r]);
        (void)fd_tensor_free(L->qkv);
        (void)fd_tensor_free(L->bqkv);
    }
    fd_free(w->layer);
    if (w->head != w->embd) (void)fd_tensor_free(w->head);
    (void)fd_tensor_free(w->embd);
    (void)fd_tensor_free(w->out_norm);
    (void)fd_tensor_free(w->inv_freq);
    (void)fd_tensor_free(w->no_rope);
}

static fd_status weights_create(fd_foundry *fd, void *obj, const void *config, fd_error *err)
{
    fd_weights *w = obj;
    const upload_config *c = config;
    w->fd = fd;
    w->model = c->model;
    w->arch = c->model->arch;
    w->hp = fd_model_describe(c->model)->hp;
    if (!(w->layer = fd_calloc(w->hp.n_layers, sizeof *w->layer)))
        return fd_error_set(err, FD_ERR_NOMEM, "weights: out of memory");
    return FD_OK;
}

static const fd_resource_type FD_WEIGHTS = { "weights", sizeof(fd_weights), weights_create, weights_destroy,
                                             sizeof(upload_config) };

/* The dtype a group of weights fused into one kernel (q/k/v, gate/up) is
 * uploaded in: theirs when they agree; else f32 when one is f32 or bf16,
 * f16 otherwise (quantized and f16 members dequantize into it). */
static fd_dtype group_dtype(const fd_model_tensor *const *t, int n)
{
    int same = 1, wide = 0;
    for (int i = 0; i < n; i++) {
        same &= t[i]->dtype == t[0]->dtype;
        wide |= t[i]->dtype == FD_F32 || t[i]->dtype == FD_BF16;
    }
    return same ? t[0]->dtype : wide ? FD_F32 : FD_F16;
}

/* Model m's tensor of `role` in layer l, or NULL. */
static const fd_model_tensor *role_tensor(const fd_model *m, fd_role role, uint32_t l)
{
    const fd_arch_tensor *at = fd_arch_tensor_of(m->arch, role);
    char n[96];
    if (!at) return NULL;
    fd_arch_tensor_name(at, 0, l, n, sizeof n);
    return fd_model_tensor_find(m, n);
}

/* The fused groups of a layer: q/k/v (their biases ride in the QKV layout's own f32 vector) and gate/up. */
static const fd_role qkv_roles[3] = { FD_ROLE_Q, FD_ROLE_K, FD_ROLE_V };
static const fd_role qkv_bias_roles[3] = { FD_ROLE_Q_BIAS, FD_ROLE_K_BIAS, FD_ROLE_V_BIAS };
static const fd_role glu_roles[2] = { FD_ROLE_GATE, FD_ROLE_UP };

/* The bytes group t[0..n) takes uploaded in its group_dtype (its file bytes when they agree). */
static uint64_t group_bytes(const fd_model_tensor *const *t, int n)
{
    fd_dtype dt = group_dtype(t, n);
    uint64_t b = 0, rb = 0;
    fd_error e = { 0 };
    for (int i = 0; i < n; i++)
        b += fd_dtype_row_bytes(dt, t[i]->dims[1], &rb, &e) == FD_OK ? t[i]->dims[0] * rb : t[i]->bytes;
    return b;
}

/* What layer l's fused groups take uploaded, less what their tensors (biases included) take in the file:
 * a group whose members' dtypes differ is widened (group_dtype), and the QKV layout holds a bias for every
 * row, zeros where the descriptor has none. */
static int64_t fused_extra(const fd_model *m, uint32_t l)
{
    const fd_model_tensor *q[3], *g[2];
    int64_t d = 0;
    for (int i = 0; i < 3; i++) {
        const fd_model_tensor *b = role_tensor(m, qkv_bias_roles[i], l);
        if (!(q[i] = role_tensor(m, qkv_roles[i], l))) return 0;   /* refused at upload */
        d += 4 * (int64_t)q[i]->dims[0] - (int64_t)q[i]->bytes - (b ? (int64_t)b->bytes : 0);
    }
    for (int i = 0; i < 2; i++) {
        if (!(g[i] = role_tensor(m, glu_roles[i], l))) return 0;
        d -= (int64_t)g[i]->bytes;
    }
    return d + (int64_t)group_bytes(q, 3) + (int64_t)group_bytes(g, 2);
}

void fd_model_plan(const fd_model *m, uint32_t ctx, fd_mem_plan *p)
{
    const fd_model_hparams *hp = &fd_model_describe(m)->hp;
    memset(p, 0, sizeof *p);
    for (uint64_t i = 0; i < fd_model_tensor_count(m); i++) p->weights += fd_model_tensor_at(m, i)->bytes;
    for (uint32_t l = 0; l < hp->n_layers; l++) p->weights += (uint64_t)fused_extra(m, l);
    p->weights += (hp->nope_period ? 2 : 1) * 4ull * (hp->head_dim / 2);   /* RoPE's inverse frequencies, NoPE's zeros */
    p->kv_cache = 2ull * hp->n_layers * hp->n_kv_heads * ((uint64_t)fd_kv_pages(ctx) * FD_KV_PAGE) * hp->head_dim * 2;
    uint64_t hq = (uint64_t)hp->n_heads * hp->head_dim;
    p->activations = 4ull * (hp->hidden + 2 * hq + hp->ffn + hp->vocab) + 4ull * (ctx + 8) + 4ull * fd_kv_pages(ctx) +
                     4ull * (hq + 2ull * hp->n_kv_heads * hp->head_dim);   /* the q/k/v rows (state.c: y) */
    /* at most 256 attention splits of (hd + 4) per head; the foundry's scratch (fd_scratch: split-K's
     * partial tiles of the Hopper GEMM), counted on every device: the plan does not know the device */
    p->workspace = 4ull * 256 * hq + 4ull * 1024 + FD_SCRATCH_BYTES;
    p->total = p->weights + p->kv_cache + p->activations + p->workspace;
}

/* A read-only device copy of model tensor `name` (NULL and FD_OK if absent and optional). */
static fd_status upload_tensor(fd_weights *w, const char *name, int required, fd_tensor **out, fd_error *err)
{
    const fd_model_tensor *t = fd_model_tensor_find(w->model, name);
    *out = NULL;
    if (!t) return required ? fd_error_set(err, FD_ERR_FORMAT, "the model has no tensor %s", name) : FD_OK;
    int64_t dims[2] = { (int64_t)t->dims[0], (int64_t)t->dims[1] };
    fd_status st = fd_tensor_alloc(w->fd, t->dtype, (int)t->n_dims, dims, FD_INIT_COPY, t->data, out);
    if (st == FD_OK) st = fd_tensor_set_readonly(*out, 1);
    if (st != FD_OK) return fd_error_set(err, st, "uploading %s: %s", name, fd_foundry_error(w->fd));
    w->bytes += t->bytes;
    return FD_OK;
}

static fd_status upload_role(fd_weights *w, fd_role role, uint32_t l, int required, fd_tensor **out, fd_error *err)
{
    const fd_arch_tensor *at = fd_arch_tensor_of(w->arch, role);
    char n[96];
    *out = NULL;
    if (!at) return required ? fd_error_set(err, FD_ERR_FORMAT, "%s has no tensor of role %d", w->arch->name, role) : FD_OK;
    fd_arch_tensor_name(at, 0, l, n, sizeof n);
    return upload_tensor(w, n, required, out, err);
}

/* A notice, once per model, that a fused group's dtypes differ and it is uploaded in dt (its members'
 * kernels read one dtype: a Q4_K_M file's q/k Q4_K beside v Q6_K become f16). */
static void widened(fd_weights *w, uint32_t l, const char *group, const fd_model_tensor *const *t, int n, fd_dtype dt)
{
    int same = 1;
    for (int i = 0; i < n; i++) same &= t[i]->dtype == dt;
    if (same || w->widened_said) return;
    w->widened_said = 1;
    char ts[64] = "";
    for (int i = 0; i < n; i++)
        snprintf(ts + strlen(ts), sizeof ts - strlen(ts), "%s%s", i ? "/" : "", fd_dtype_ggml_name(t[i]->dtype));
    fd_log(w->fd, FD_LOG_INFO, "layer %u %s weights are %s: uploaded as %s (one kernel reads the group; later "
           "layers likewise, unsaid)", l, group, ts, fd_dtype_ggml_name(dt));
}

/* Row r of t in dtype dt into dst (rb bytes): copied when t is dt, else
 * through f32 (tmp: cols floats). */
static void row_as(const fd_model_tensor *t, uint64_t r, fd_dtype dt, void *dst, uint64_t rb, float *tmp)
{
    uint64_t cols = t->dims[1], srb = 0;
    fd_error e = { 0 };
    (void)fd_dtype_row_bytes(t->dtype, cols, &srb, &e);
    const unsigned char *src = (const unsigned char *)t->data + r * srb;
    if (t->dtype == dt) {
        memcpy(dst, src, (size_t)rb);
        return;
    }
    fd_dequantize_row(t->dtype, src, tmp, (size_t)cols);
    fd_quantize_row(dt, tmp, dst, (size_t)cols);
}

/* q, k, v weights (and biases, zeros where the descriptor has none) of
 * layer l into one tensor in the QKV family's row order, with views w[0..2]
 * (b[0..2]). */
static fd_status upload_qkv(fd_weights *w, uint32_t l, fd_error *err)
{
    const fd_model_hparams *hp = &w->hp;
    fd_layer_w *L = &w->layer[l];
    const fd_model_tensor *src[3], *bias[3];
    for (int i = 0; i < 3; i++) {
        if (!(src[i] = role_tensor(w->model, qkv_roles[i], l)))
            return fd_error_set(err, FD_ERR_FORMAT, "layer %u: no q/k/v weight", l);
        bias[i] = role_tensor(w->model, qkv_bias_roles[i], l);
    }
    fd_dtype dt = group_dtype(src, 3);
    widened(w, l, "q/k/v", src, 3, dt);
    uint32_t hd = hp->head_dim, R = (hp->n_heads + 2 * hp->n_kv_heads) * hd, pairs = (hp->n_heads + hp->n_kv_heads) * hd / 2;
    uint64_t rb;
    FD_TRY(fd_dtype_row_bytes(dt, hp->hidden, &rb, err));
    unsigned char *buf = fd_malloc((size_t)R * rb);
    float *b = fd_malloc((size_t)R * sizeof *b), *tmp = fd_malloc((size_t)hp->hidden * sizeof *tmp);
    fd_status st = buf && b && tmp ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "layer %u: out of memory for the qkv layout", l);
    uint32_t nq = hp->n_heads * hd, nk = hp->n_kv_heads * hd;
    for (uint32_t i = 0; st == FD_OK && i < R; i++) {
        uint32_t r = fd_qkv_source_row(i, hp->n_heads, hp->n_kv_heads, hd);
        int which = r < nq ? 0 : r < nq + nk ? 1 : 2;
        uint32_t rr = r - (which == 0 ? 0 : which == 1 ? nq : nq + nk);
        if (which < 2 && w->model->qk_interleaved) rr = fd_qk_file_row(rr, hd);   /* llama.cpp's q/k order undone */
        row_as(src[which], rr, dt, buf + (size_t)i * rb, rb, tmp);
        b[i] = bias[which] ? ((const float *)bias[which]->data)[rr] : 0.0f;
    }
    if (st == FD_OK) st = fd_tensor_alloc(w->fd, dt, 2, (int64_t[]){ R, hp->hidden }, FD_INIT_COPY, buf, &L->qkv);
    if (st == FD_OK) st = fd_tensor_alloc(w->fd, FD_F32, 1, (int64_t[]){ R }, FD_INIT_COPY, b, &L->bqkv);
    const uint32_t rows[3] = { pairs, pairs, nk }, start[3] = { 0, pairs, 2 * pairs };
    for (int i = 0; st == FD_OK && i < 3; i++) {
        st = fd_tensor_view(L->qkv, (int64_t)start[i] * hp->hidden, 2, (int64_t[]){ rows[i], hp->hidden }, &L->w[i]);
        if (st == FD_OK) st = fd_tensor_view(L->bqkv, start[i], 1, (int64_t[]){ rows[i] }, &L->b[i]);
    }
    if (st == FD_OK) st = fd_tensor_set_readonly(L->qkv, 1);
    if (st == FD_OK) st = fd_tensor_set_readonly(L->bqkv, 1);
    if (st != FD_OK && !err->msg[0]) fd_error_set(err, st, "layer %u qkv: %s", l, fd_foundry_error(w->fd));
    fd_free(buf);
    fd_free(b);
    fd_free(tmp);
    w->bytes += (uint64_t)R * rb + 4ull * R;
    return st;
}

/* gate and up in one dtype (group_dtype) when they differ: the GLU kernel reads both with one policy. */
static fd_status upload_glu(fd_weights *w, uint32_t l, fd_error *err)
{
    fd_layer_w *L = &w->layer[l];
    const fd_model_tensor *t[2] = { role_tensor(w->model, glu_roles[0], l), role_tensor(w->model, glu_roles[1], l) };
    if (!t[0] || !t[1]) return fd_error_set(err, FD_ERR_FORMAT, "layer %u: no gate/up weight", l);
    fd_dtype dt = group_dtype(t, 2);
    widened(w, l, "gate/up", t, 2, dt);
    for (int i = 0; i < 2; i++) {
        fd_tensor **out = &L->t[i ? FD_ROLE_UP : FD_ROLE_GATE];
        if (t[i]->dtype == dt) {
            FD_TRY(upload_tensor(w, t[i]->name, 1, out, err));
            continue;
        }
        uint64_t rb, rows = t[i]->dims[0], cols = t[i]->dims[1];
        FD_TRY(fd_dtype_row_bytes(dt, cols, &rb, err));
        unsigned char *buf = fd_malloc((size_t)(rows * rb));
        float *tmp = fd_malloc((size_t)cols * sizeof *tmp);
        fd_status st = buf && tmp ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", t[i]->name);
        for (uint64_t r = 0; st == FD_OK && r < rows; r++) row_as(t[i], r, dt, buf + r * rb, rb, tmp);
        if (st == FD_OK)
            st = fd_tensor_alloc(w->fd, dt, 2, (int64_t[]){ (int64_t)rows, (int64_t)cols }, FD_INIT_COPY, buf, out);
        if (st == FD_OK) st = fd_tensor_set_readonly(*out, 1);
        if (st != FD_OK && !err->msg[0]) fd_error_set(err, st, "uploading %s: %s", t[i]->name, fd_foundry_error(w->fd));
        fd_free(buf);
        fd_free(tmp);
        w->bytes += rows * rb;
        FD_TRY(st);
    }
    return FD_OK;
}

/* A layer's tensors: q/k/v (and biases) fused, gate/up in one dtype, every
 * other per-layer role of the descriptor as stored. */
static fd_status upload_layer(fd_weights *w, uint32_t l, fd_error *err)
{
    fd_layer_w *L = &w->layer[l];
    FD_TRY(upload_qkv(w, l, err));
    FD_TRY(upload_glu(w, l, err));
    for (size_t i = 0; i < w->arch->n_tensors; i++) {
        fd_role r = w->arch->tensors[i].role;
        if (r < FD_ROLE_FIRST_LAYER || r == FD_ROLE_Q || r == FD_ROLE_K || r == FD_ROLE_V || r == FD_ROLE_Q_BIAS ||
            r == FD_ROLE_K_BIAS || r == FD_ROLE_V_BIAS || r == FD_ROLE_GATE || r == FD_ROLE_UP)
            continue;
        FD_TRY(upload_role(w, r, l, !(w->arch->tensors[i].flags & FD_AT_TIED), &L->t[r], err));
    }
    return FD_OK;
}

/* One builder for both families: they number their kinds alike. */
_Static_assert((int)FD_GEMV_INPUT == (int)FD_GEMM_INPUT && (int)FD_GEMV_WEIGHTS == (int)FD_GEMM_WEIGHTS && (int)FD_GEMV_MAIN == (int)FD_GEMM_MAIN &&
                   (int)FD_GEMV_EPILOGUE == (int)FD_GEMM_EPILOGUE, "the GEMV and GEMM families number their kinds alike");

static fd_status build(const fd_stage *in, const fd_stage *pol, const fd_stage *main_, const fd_stage *epi,
                       const fd_family *fam, fd_compound **out, fd_error *err)
{
    if (!pol) return fd_error_set(err, FD_ERR_UNSUPPORTED, "no %s policy for these weights", fam->name);
    return fd_compound_build(&(fd_compound_desc){ .family = fam, .stage = { [FD_GEMV_INPUT] = in,
                                 [FD_GEMV_WEIGHTS] = pol, [FD_GEMV_MAIN] = main_, [FD_GEMV_EPILOGUE] = epi } },
                             out, err);
}

static const struct kind_stages {
    const fd_family *fam;
    const fd_stage *in, *main_, *epi, *g_in, *g_main, *g_epi;
} kinds[FD_KK_COUNT] = {
#define FD_KK_ROW_(k, fam, in, m, e, gi, gm, ge) [FD_KK_##k] = { fam, in, m, e, gi, gm, ge },
    FD_KERNEL_KINDS(FD_KK_ROW_)
#undef FD_KK_ROW_
};

fd_kernel_kind fd_qkv_kind(const fd_plan_step *st)
{
    return st->opts & FD_STEP_QK_NORM ? FD_KK_NORM_STORE : FD_KK_QKV_ROPE;
}

/* Dtypes Foundry reads but has no kernels for yet (QCPU rows of the dtype
 * list) are refused by name; --dtype converts them at load (model/convert.c
 * dequantizes any dtype through the list). A quantized tensor's rows must be
 * whole blocks (256 values for the super-block types: the policies' units
 * tile them); GGUF files hold no other, but a tensor built otherwise is
 * refused here by name rather than by a kernel's shape check. */
static fd_status check_kernels(const fd_model *m, fd_error *err)
{
    for (uint64_t i = 0; i < fd_model_tensor_count(m); i++) {
        const fd_model_tensor *t = fd_model_tensor_at(m, i);
        if (fd_dtype_is_cpu_only(t->dtype))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "tensor %s has type %s, which Foundry has no kernels for "
                                "yet: open the model with --dtype (f16, q8_0, ...) to convert it at load", t->name,
                                fd_dtype_ggml_name(t->dtype));
        uint64_t cols = t->n_dims == 2 ? t->dims[1] : t->dims[0];
        if (fd_dtype_is_quant(t->dtype) && cols % fd_dtype_block_elems(t->dtype))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "tensor %s has type %s with rows of %llu values, not a "
                                "multiple of its %zu-value blocks", t->name, fd_dtype_ggml_name(t->dtype),
                                (unsigned long long)cols, fd_dtype_block_elems(t->dtype));
    }
    return FD_OK;
}

/* The Hopper GEMM serves a model's prefill only with FOUNDRY_WGMMA=1 until a GPU run has checked and timed it
 * (its kernels are tested whenever the device has tensor maps: test_gemm; docs/PERF_NOTES.md says what is
 * still to measure); mma.sync otherwise. */
static int hopper_gemm(const fd_weights *w)
{
    const char *e = getenv("FOUNDRY_WGMMA");
    return w->fd->be->tensor_map != NULL && e && !strcmp(e, "1");
}

/* The decode and prefill kernels of `kind` for weight tensor t's dtype, built once. */
static fd_status need(fd_weights *w, fd_kernel_kind kind, const fd_tensor *t, fd_error *err)
{
    fd_dtype dt = fd_tensor_dtype(t);
    const struct kind_stages *k = &kinds[kind];
    if (!w->dec[kind][dt])
        FD_TRY(build(k->in, fd_gemv_policy(dt), k->main_, k->epi, k->fam, &w->dec[kind][dt], err));
    if (!w->pre[kind][dt]) {   /* wgmma + TMA on sm_90 for f16 / bf16 where asked, else mma.sync (ops/gemm/wgmma.c) */
        const fd_family *fam;
        const fd_stage *gm;
        fd_gemm_choose(w->fd->be->arch, hopper_gemm(w), dt, k->g_main, &fam, &gm);
        FD_TRY(build(k->g_in, fd_gemm_policy(dt), gm, k->g_epi, fam, &w->pre[kind][dt], err));
    }
    return FD_OK;
}

const fd_kernel *fd_weights_kernel(const fd_weights *w, fd_kernel_kind kind, const fd_tensor *t, int prefill)
{
    const fd_compound *c = (prefill ? w->pre : w->dec)[kind][fd_tensor_dtype(t)];
    return c ? fd_compound_kernel(c) : NULL;
}

/* Every (kind, dtype) the plan's steps use over the layers, and the head's. */
static fd_status build_kernels(fd_weights *w, fd_error *err)
{
    for (uint32_t l = 0; l < w->hp.n_layers; l++) {
        const fd_layer_w *L = &w->layer[l];
        for (size_t i = 0; i < w->arch->n_steps; i++) {
            const fd_plan_step *st = &w->arch->plan[i];
            switch (st->op) {
            case FD_OP_QKV: FD_TRY(need(w, fd_qkv_kind(st), L->qkv, err)); break;
            case FD_OP_PROJ_RES: FD_TRY(need(w, FD_KK_PROJ_RES, L->t[st->w[0]], err)); break;
            case FD_OP_GLU: FD_TRY(need(w, FD_KK_GLU, L->t[st->w[0]], err)); break;
            case FD_OP_ATTEND: break;
            }
        }
    }
    return need(w, FD_KK_NORM_STORE, w->head, err);
}

static fd_status fill(fd_weights *w, const fd_upload_options *o, fd_error *err)
{
    const fd_model_info *info = fd_model_describe(w->model);
    uint64_t total = info->total_bytes, done = 0;
    FD_TRY(check_kernels(w->model, err));
    FD_TRY(upload_role(w, FD_ROLE_EMBD, 0, 1, &w->embd, err));
    FD_TRY(upload_role(w, FD_ROLE_OUT_NORM, 0, 1, &w->out_norm, err));
    FD_TRY(upload_role(w, FD_ROLE_OUTPUT, 0, 0, &w->head, err));
    if (!w->head) w->head = w->embd;   /* tied embeddings */
    for (uint32_t l = 0; l < w->hp.n_layers; l++) {
        FD_TRY(upload_layer(w, l, err));
        done = w->bytes;
        if (o && o->progress) o->progress(o->user, done < total ? done : total, total);
    }
    float inv[512];
    if (w->hp.head_dim / 2 > sizeof inv / sizeof inv[0])
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "head_dim %u is larger than 1024", w->hp.head_dim);
    FD_TRY(fd_model_rope_inv_freq(w->model, inv, err));
    fd_status st = fd_tensor_alloc(w->fd, FD_F32, 1, (int64_t[]){ w->hp.head_dim / 2 }, FD_INIT_COPY, inv, &w->inv_freq);
    if (st == FD_OK) st = fd_tensor_set_readonly(w->inv_freq, 1);
    if (st == FD_OK && w->hp.nope_period)
        st = fd_tensor_alloc(w->fd, FD_F32, 1, (int64_t[]){ w->hp.head_dim / 2 }, FD_INIT_ZEROS, NULL, &w->no_rope);
    if (st == FD_OK && w->no_rope) st = fd_tensor_set_readonly(w->no_rope, 1);
    if (st != FD_OK) return fd_error_set(err, st, "rope table: %s", fd_foundry_error(w->fd));
    w->bytes += (w->no_rope ? 2 : 1) * 4ull * (w->hp.head_dim / 2);
    for (uint32_t l = 0; l < w->hp.n_layers; l++)
        w->layer[l].inv_freq = fd_model_layer_rope(&w->hp, l) ? w->inv_freq : w->no_rope;
    FD_TRY(build_kernels(w, err));
    const fd_tokenizer *tok = info->tokenizer;
    w->vocab_valid = w->hp.vocab;
    if (tok) {
        uint32_t n = (uint32_t)fd_tokenizer_real_size(tok);
        if (n && n < w->vocab_valid) w->vocab_valid = n;
    }
    w->loaded = 1;
    return FD_OK;
}

fd_status fd_model_upload(fd_foundry *fd, const fd_model *m, const fd_upload_options *opt, fd_weights **out)
{
    *out = NULL;
    const fd_model_hparams *hp = &fd_model_describe(m)->hp;
    /* the default context: the model's own on a GPU, halved while the plan
     * does not fit the free memory (not below 4,096); 4,096 at most on the CPU */
    int gpu = fd_foundry_backend(fd) == FD_BACKEND_CUDA, chosen = opt && opt->ctx;
    uint32_t ctx = chosen ? opt->ctx : hp->max_pos && (gpu || hp->max_pos < 4096) ? hp->max_pos : 4096;
    fd_weights *w = fd_resource_peek(fd, &FD_WEIGHTS);
    if (w && w->model == m && w->loaded) {
        *out = w;
        return FD_OK;
    }
    fd_mem_plan plan;
    fd_model_plan(m, ctx, &plan);
    size_t free_b = 0, total_b = 0;
    int known = !w && fd_foundry_mem_info(fd, &free_b, &total_b) == FD_OK;
    while (known && !chosen && plan.total > free_b && ctx > 4096) {
        ctx = ctx / 2 > 4096 ? ctx / 2 : 4096;
        fd_model_plan(m, ctx, &plan);
    }
    if (known && plan.total > free_b)
        return fd_fail(fd, FD_ERR_NOMEM, "the model does not fit: it needs %.1f MiB (weights %.1f, KV cache for %u "
                       "tokens %.1f, activations %.1f, workspace %.1f) and the device has %.1f MiB free of %.1f",
                       plan.total / 1048576.0, plan.weights / 1048576.0, ctx, plan.kv_cache / 1048576.0,
                       plan.activations / 1048576.0, plan.workspace / 1048576.0, free_b / 1048576.0,
                       total_b / 1048576.0);
    fd_foundry_clear_error(fd);
    FD_TRY(fd_resource_get(fd, &FD_WEIGHTS, &(upload_config){ m }, (void **)&w));
    w->ctx = ctx;
    fd_error err = { 0 };
    fd_status st = fill(w, opt, &err);
    if (st != FD_OK) {
        fd_resource_release(fd, &FD_WEIGHTS);
        return fd_fail(fd, st, "upload: %s", err.msg);
    }
    *out = w;
    return FD_OK;
}

void fd_weights_release(fd_foundry *fd) { fd_resource_release(fd, &FD_WEIGHTS); }
uint64_t fd_weights_bytes(const fd_weights *w) { return w->bytes; }
