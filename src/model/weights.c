/* weights.c — a model's tensors on the device: the memory plan, the upload
 * (read-only dedicated tensors, the q/k/v rows reordered once for the QKV
 * family) and the fused kernels the decode step uses.
 *
 * Layer: model. The weights are the foundry's configured resource
 * FD_WEIGHTS, keyed by the model: asking for another model's weights while
 * some are uploaded is refused by the registry (release them first). */
#include <stdio.h>
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
    fd_compound *c[] = { w->qkv, w->o_res, w->ffn, w->down_res, w->lm_head, w->g_qkv, w->g_o_res, w->g_ffn,
                         w->g_down_res, w->g_head };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) fd_compound_destroy(c[i]);
    for (uint32_t l = 0; w->layer && l < w->hp.n_layers; l++) {
        fd_layer_w *L = &w->layer[l];
        fd_tensor *t[] = { L->attn_norm, L->qkv, L->bqkv, L->wo, L->ffn_norm, L->gate, L->up, L->down };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    }
    fd_free(w->layer);
    if (w->head != w->embd) (void)fd_tensor_free(w->head);
    (void)fd_tensor_free(w->embd);
    (void)fd_tensor_free(w->out_norm);
    (void)fd_tensor_free(w->inv_freq);
}

static fd_status weights_create(fd_foundry *fd, void *obj, const void *config, fd_error *err)
{
    fd_weights *w = obj;
    const upload_config *c = config;
    w->fd = fd;
    w->model = c->model;
    w->hp = fd_model_describe(c->model)->hp;
    if (!(w->layer = fd_calloc(w->hp.n_layers, sizeof *w->layer)))
        return fd_error_set(err, FD_ERR_NOMEM, "weights: out of memory");
    return FD_OK;
}

static const fd_resource_type FD_WEIGHTS = { "weights", sizeof(fd_weights), weights_create, weights_destroy,
                                             sizeof(upload_config) };

void fd_model_plan(const fd_model *m, uint32_t ctx, fd_mem_plan *p)
{
    const fd_model_hparams *hp = &fd_model_describe(m)->hp;
    memset(p, 0, sizeof *p);
    for (uint64_t i = 0; i < fd_model_tensor_count(m); i++) p->weights += fd_model_tensor_at(m, i)->bytes;
    p->weights += 4ull * hp->head_dim / 2;   /* RoPE's inverse frequencies */
    p->kv_cache = 2ull * hp->n_layers * hp->n_kv_heads * ctx * hp->head_dim * 2;
    uint64_t hq = (uint64_t)hp->n_heads * hp->head_dim;
    p->activations = 4ull * (hp->hidden + 2 * hq + hp->ffn + hp->vocab) + 4ull * (ctx + 8);
    p->workspace = 4ull * 256 * hq + 4ull * 1024;   /* at most 256 attention splits of (hd + 4) per head */
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

/* q, k, v weights (and biases) of layer l into one tensor in the QKV
 * family's row order, with views w[0..2] (b[0..2]). */
static fd_status upload_qkv(fd_weights *w, uint32_t l, fd_error *err)
{
    const fd_model_hparams *hp = &w->hp;
    fd_layer_w *L = &w->layer[l];
    const fd_model_tensor *src[3], *bias[3];
    static const char *const part[3] = { "q", "k", "v" };
    for (int i = 0; i < 3; i++) {
        char n[64];
        snprintf(n, sizeof n, "blk.%u.attn_%s.weight", l, part[i]);
        if (!(src[i] = fd_model_tensor_find(w->model, n))) return fd_error_set(err, FD_ERR_FORMAT, "no tensor %s", n);
        snprintf(n, sizeof n, "blk.%u.attn_%s.bias", l, part[i]);
        if (!(bias[i] = fd_model_tensor_find(w->model, n))) return fd_error_set(err, FD_ERR_FORMAT, "no tensor %s", n);
        if (src[i]->dtype != src[0]->dtype)
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "blk.%u: attn_q/k/v weights differ in dtype (%s, %s): open "
                                "the model with --dtype to convert them", l, fd_dtype_name(src[0]->dtype),
                                fd_dtype_name(src[i]->dtype));
    }
    uint32_t hd = hp->head_dim, R = (hp->n_heads + 2 * hp->n_kv_heads) * hd, pairs = (hp->n_heads + hp->n_kv_heads) * hd / 2;
    uint64_t rb;
    FD_TRY(fd_dtype_row_bytes(src[0]->dtype, hp->hidden, &rb, err));
    unsigned char *buf = fd_malloc((size_t)R * rb);
    float *b = fd_malloc((size_t)R * sizeof *b);
    fd_status st = buf && b ? FD_OK : fd_error_set(err, FD_ERR_NOMEM, "blk.%u: out of memory for the qkv layout", l);
    uint32_t nq = hp->n_heads * hd, nk = hp->n_kv_heads * hd;
    for (uint32_t i = 0; st == FD_OK && i < R; i++) {
        uint32_t r = fd_qkv_source_row(i, hp->n_heads, hp->n_kv_heads, hd);
        int which = r < nq ? 0 : r < nq + nk ? 1 : 2;
        uint32_t rr = r - (which == 0 ? 0 : which == 1 ? nq : nq + nk);
        memcpy(buf + (size_t)i * rb, (const unsigned char *)src[which]->data + (size_t)rr * rb, (size_t)rb);
        b[i] = ((const float *)bias[which]->data)[rr];
    }
    if (st == FD_OK) st = fd_tensor_alloc(w->fd, src[0]->dtype, 2, (int64_t[]){ R, hp->hidden }, FD_INIT_COPY, buf, &L->qkv);
    if (st == FD_OK) st = fd_tensor_alloc(w->fd, FD_F32, 1, (int64_t[]){ R }, FD_INIT_COPY, b, &L->bqkv);
    const uint32_t rows[3] = { pairs, pairs, nk }, start[3] = { 0, pairs, 2 * pairs };
    for (int i = 0; st == FD_OK && i < 3; i++) {
        st = fd_tensor_view(L->qkv, (int64_t)start[i] * hp->hidden, 2, (int64_t[]){ rows[i], hp->hidden }, &L->w[i]);
        if (st == FD_OK) st = fd_tensor_view(L->bqkv, start[i], 1, (int64_t[]){ rows[i] }, &L->b[i]);
    }
    if (st == FD_OK) st = fd_tensor_set_readonly(L->qkv, 1);
    if (st == FD_OK) st = fd_tensor_set_readonly(L->bqkv, 1);
    if (st != FD_OK && !err->msg[0]) fd_error_set(err, st, "blk.%u qkv: %s", l, fd_foundry_error(w->fd));
    fd_free(buf);
    fd_free(b);
    w->bytes += (uint64_t)R * rb + 4ull * R;
    return st;
}

static fd_status upload_layer(fd_weights *w, uint32_t l, fd_error *err)
{
    fd_layer_w *L = &w->layer[l];
    char n[64];
#define UP_(field, suffix) (snprintf(n, sizeof n, "blk.%u." suffix, l), upload_tensor(w, n, 1, &L->field, err))
    FD_TRY(UP_(attn_norm, "attn_norm.weight"));
    FD_TRY(upload_qkv(w, l, err));
    FD_TRY(UP_(wo, "attn_output.weight"));
    FD_TRY(UP_(ffn_norm, "ffn_norm.weight"));
    FD_TRY(UP_(gate, "ffn_gate.weight"));
    FD_TRY(UP_(up, "ffn_up.weight"));
    FD_TRY(UP_(down, "ffn_down.weight"));
#undef UP_
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

/* The decode step's fused kernels, for the layers' weight dtype and the head's. */
static fd_status build_kernels(fd_weights *w, fd_error *err)
{
    const fd_stage *pol = fd_gemv_policy(fd_tensor_dtype(w->layer[0].gate));
    FD_TRY(build(&FD_STAGE_INPUT_RMSNORM, pol, &FD_STAGE_GEMV3, &FD_STAGE_EPI_ROPE_KV, &FD_QKV_FAMILY, &w->qkv, err));
    FD_TRY(build(NULL, pol, &FD_STAGE_GEMV, &FD_STAGE_EPI_RESIDUAL, &FD_GEMV_FAMILY, &w->o_res, err));
    FD_TRY(build(&FD_STAGE_INPUT_RMSNORM, pol, &FD_STAGE_GEMV2, &FD_STAGE_EPI_SWIGLU, &FD_GEMV_FAMILY, &w->ffn, err));
    FD_TRY(build(NULL, pol, &FD_STAGE_GEMV, &FD_STAGE_EPI_RESIDUAL, &FD_GEMV_FAMILY, &w->down_res, err));
    FD_TRY(build(&FD_STAGE_INPUT_RMSNORM, fd_gemv_policy(fd_tensor_dtype(w->head)), &FD_STAGE_GEMV, NULL,
                 &FD_GEMV_FAMILY, &w->lm_head, err));
    /* prefill: the same products over a chunk of tokens, on the tensor cores */
    const fd_stage *gp = fd_gemm_policy(fd_tensor_dtype(w->layer[0].gate));
    FD_TRY(build(&FD_STAGE_GEMM_INPUT_RMSNORM, gp, &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_BIAS, &FD_GEMM_FAMILY, &w->g_qkv, err));
    FD_TRY(build(NULL, gp, &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_RESIDUAL, &FD_GEMM_FAMILY, &w->g_o_res, err));
    FD_TRY(build(&FD_STAGE_GEMM_INPUT_RMSNORM, gp, &FD_STAGE_GEMM2, &FD_STAGE_GEMM_EPI_SWIGLU, &FD_GEMM_FAMILY, &w->g_ffn, err));
    FD_TRY(build(NULL, gp, &FD_STAGE_GEMM, &FD_STAGE_GEMM_EPI_RESIDUAL, &FD_GEMM_FAMILY, &w->g_down_res, err));
    return build(&FD_STAGE_GEMM_INPUT_RMSNORM, fd_gemm_policy(fd_tensor_dtype(w->head)), &FD_STAGE_GEMM, NULL,
                 &FD_GEMM_FAMILY, &w->g_head, err);
}

/* Dtypes Foundry reads but has no kernels for yet (QCPU rows of the dtype
 * list) are refused by name; --dtype converts them at load (model/convert.c
 * dequantizes any dtype through the list). */
static fd_status check_kernels(const fd_model *m, fd_error *err)
{
    for (uint64_t i = 0; i < fd_model_tensor_count(m); i++) {
        const fd_model_tensor *t = fd_model_tensor_at(m, i);
        if (fd_dtype_is_cpu_only(t->dtype))
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "tensor %s has type %s, which Foundry has no kernels for "
                                "yet: open the model with --dtype (f16, q8_0, ...) to convert it at load", t->name,
                                fd_dtype_ggml_name(t->dtype));
    }
    return FD_OK;
}

static fd_status check_dtypes(const fd_model *m, fd_error *err)
{
    const fd_model_tensor *ref = fd_model_tensor_find(m, "blk.0.ffn_gate.weight");
    for (uint64_t i = 0; ref && i < fd_model_tensor_count(m); i++) {
        const fd_model_tensor *t = fd_model_tensor_at(m, i);
        if (t->n_dims == 2 && strncmp(t->name, "blk.", 4) == 0 && t->dtype != ref->dtype)
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s is %s but the layers' weights are %s: open the model "
                                "with --dtype to give them one dtype", t->name, fd_dtype_name(t->dtype),
                                fd_dtype_name(ref->dtype));
    }
    return FD_OK;
}

static fd_status fill(fd_weights *w, const fd_upload_options *o, fd_error *err)
{
    const fd_model_info *info = fd_model_describe(w->model);
    uint64_t total = info->total_bytes, done = 0;
    FD_TRY(check_kernels(w->model, err));
    FD_TRY(check_dtypes(w->model, err));
    FD_TRY(upload_tensor(w, "token_embd.weight", 1, &w->embd, err));
    FD_TRY(upload_tensor(w, "output_norm.weight", 1, &w->out_norm, err));
    FD_TRY(upload_tensor(w, "output.weight", 0, &w->head, err));
    if (!w->head) w->head = w->embd;   /* tied embeddings */
    for (uint32_t l = 0; l < w->hp.n_layers; l++) {
        FD_TRY(upload_layer(w, l, err));
        done = w->bytes;
        if (o && o->progress) o->progress(o->user, done < total ? done : total, total);
    }
    float inv[512];
    if (w->hp.head_dim / 2 > sizeof inv / sizeof inv[0])
        return fd_error_set(err, FD_ERR_UNSUPPORTED, "head_dim %u is larger than 1024", w->hp.head_dim);
    fd_rope_inv_freq(inv, w->hp.head_dim, w->hp.rope_theta);
    fd_status st = fd_tensor_alloc(w->fd, FD_F32, 1, (int64_t[]){ w->hp.head_dim / 2 }, FD_INIT_COPY, inv, &w->inv_freq);
    if (st == FD_OK) st = fd_tensor_set_readonly(w->inv_freq, 1);
    if (st != FD_OK) return fd_error_set(err, st, "rope table: %s", fd_foundry_error(w->fd));
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
