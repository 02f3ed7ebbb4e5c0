/* stages.c — the GEMM family's stages: each a device file, its arguments,
 * and its CPU twin.
 *
 * Layer: ops. Legend: M x N outputs, K inputs per output; m = output row
 * (token), n = output column (weight row); v[p][n] = product p of row m.
 * Weight policies: f16 / bf16 tiles copied with cp.async straight into the
 * tensor cores' operand layout; q8_0 / q4_0 blocks dequantized to f16 in
 * shared memory; f32 the SIMT path. One policy per weight dtype of
 * FD_DTYPE_LIST, made below from that list: a new dtype brings its
 * ops/gemm/policy_<name>.cuh. */
#include <math.h>
#include <string.h>
#include "ops/ops.h"

/* ---------------------------------------------------------------- input */
static fd_status input_plain_cpu(const void *p, void *io)
{
    const fd_gemm_args *a = p;
    fd_gemm_io *s = io;
    memcpy(s->xs, (const float *)fd_tensor_data(a->x) + (size_t)s->m * a->K, (size_t)a->K * sizeof *s->xs);
    s->scale = 1.0f;
    return FD_OK;
}

/* As the device stages it: x * norm_w, the row's 1 / rms applied to the products. */
static fd_status input_rmsnorm_cpu(const void *p, void *io)
{
    const fd_gemm_args *a = p;
    fd_gemm_io *s = io;
    const float *x = (const float *)fd_tensor_data(a->x) + (size_t)s->m * a->K, *w = fd_tensor_data(a->norm_w);
    double ss = 0;
    for (uint32_t k = 0; k < a->K; k++) {
        ss += (double)x[k] * x[k];
        s->xs[k] = x[k] * w[k];
    }
    s->scale = (float)(1.0 / sqrt(ss / a->K + a->eps));
    return FD_OK;
}

const fd_stage FD_STAGE_GEMM_INPUT_PLAIN = { "x", FD_GEMM_INPUT, NULL, 0, "#include \"ops/gemm/input_plain.cuh\"\n",
                                             0, 0, 0, FD_F32, input_plain_cpu };

static const fd_stage_arg rmsnorm_args[] = {
    { "norm_w", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "eps", FD_ARG_PARAM, 0, FD_PT_float },
};
const fd_stage FD_STAGE_GEMM_INPUT_RMSNORM = { "rmsnorm", FD_GEMM_INPUT, rmsnorm_args, 2,
                                               "#include \"ops/gemm/input_rmsnorm.cuh\"\n", 0, 0, 0, FD_F32,
                                               input_rmsnorm_cpu };

/* ---------------------------------------------------------------- weights */
#define FD_POLICY_DIR "gemm"
#define FD_POLICY_KIND FD_GEMM_WEIGHTS
FD_WEIGHT_POLICIES

const fd_stage *fd_gemm_policy(fd_dtype dt) { return fd_dtype_valid(dt) ? policies[dt] : NULL; }

/* ---------------------------------------------------------------- mains */
/* mains: mma.sync (main.cuh) on any architecture; wgmma + TMA (main_wgmma.cuh) on sm_90a */
static const fd_stage_arg main_args[] = {
    { "x", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "w#", FD_ARG_IN, 0, FD_PT_TENSOR },
    { "M", FD_ARG_PARAM, 0, FD_PT_uint32_t }, { "N", FD_ARG_PARAM, 0, FD_PT_uint32_t },
    { "K", FD_ARG_PARAM, 0, FD_PT_uint32_t }, { "start", FD_ARG_PARAM, 0, FD_PT_uint32_t },
};
#define MAIN_(name, file, n, flags) \
    { name, FD_GEMM_MAIN, main_args, 6, "#include \"ops/gemm/" file "\"\n", n, 0, flags, FD_F32, NULL }
const fd_stage FD_STAGE_GEMM = MAIN_("tile", "main.cuh", 1, 0);
const fd_stage FD_STAGE_GEMM2 = MAIN_("tile2", "main.cuh", 2, 0);
const fd_stage FD_STAGE_GEMM_WG = MAIN_("wgtile", "main_wgmma.cuh", 1, FD_KERNEL_SM90A);
const fd_stage FD_STAGE_GEMM2_WG = MAIN_("wgtile2", "main_wgmma.cuh", 2, FD_KERNEL_SM90A);

/* ---------------------------------------------------------------- epilogues */
static float silu(float x) { return x / (1.0f + expf(-x)); }
static float *row_of(const fd_gemm_args *a, const fd_tensor *t, uint32_t m)
{
    return (float *)fd_tensor_data(t) + (size_t)m * a->N;
}

static fd_status epi_none_cpu(const void *p, void *io)
{
    const fd_gemm_args *a = p;
    const fd_gemm_io *s = io;
    memcpy(row_of(a, a->y0, s->m), s->v[0], (size_t)a->N * sizeof(float));
    return FD_OK;
}

static fd_status epi_bias_cpu(const void *p, void *io)
{
    const fd_gemm_args *a = p;
    const fd_gemm_io *s = io;
    float *y = row_of(a, a->y0, s->m);
    const float *b = fd_tensor_data(a->b0);
    for (uint32_t n = 0; n < a->N; n++) y[n] = s->v[0][n] + b[n];
    return FD_OK;
}

static fd_status epi_swiglu_cpu(const void *p, void *io)
{
    const fd_gemm_args *a = p;
    const fd_gemm_io *s = io;
    float *y = row_of(a, a->y0, s->m);
    for (uint32_t n = 0; n < a->N; n++) y[n] = silu(s->v[0][n]) * s->v[1][n];
    return FD_OK;
}

static fd_status epi_residual_cpu(const void *p, void *io)
{
    const fd_gemm_args *a = p;
    const fd_gemm_io *s = io;
    float *y = row_of(a, a->y0, s->m);
    const float *r = row_of(a, a->r0, s->m);
    for (uint32_t n = 0; n < a->N; n++) y[n] = s->v[0][n] + r[n];
    return FD_OK;
}

static const fd_stage_arg out_args[] = { { "y0", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };
static const fd_stage_arg bias_args[] = { { "b0", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "y0", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };
static const fd_stage_arg res_args[] = { { "r0", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "y0", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };

#define EPI_(name, args, file, requires, flags, cpu) \
    { name, FD_GEMM_EPILOGUE, args, sizeof args / sizeof args[0], "#include \"ops/gemm/" file "\"\n", \
      0, requires, flags, FD_F32, cpu }
const fd_stage FD_STAGE_GEMM_EPI_NONE = EPI_("store", out_args, "epi_store.cuh", 1, 0, epi_none_cpu);
const fd_stage FD_STAGE_GEMM_EPI_BIAS = EPI_("bias", bias_args, "epi_bias.cuh", 1, 0, epi_bias_cpu);
const fd_stage FD_STAGE_GEMM_EPI_SWIGLU = EPI_("swiglu", out_args, "epi_swiglu.cuh", 2, 0, epi_swiglu_cpu);
const fd_stage FD_STAGE_GEMM_EPI_RESIDUAL = EPI_("residual", res_args, "epi_residual.cuh", 1, FD_KERNEL_INPLACE,
                                                 epi_residual_cpu);
