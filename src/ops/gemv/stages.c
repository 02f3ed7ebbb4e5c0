/* stages.c — the GEMV family's stages: each a device file, its arguments,
 * and its CPU twin.
 *
 * Layer: ops. Legend: K = cols; j = output row; v[i] = product of row j of
 * w<i> with the (transformed) input; xs = the input in shared memory.
 * Weight policies read rows as GGUF stores them: float types with 16-byte
 * loads where the row allows (scalar loads otherwise, so any K works);
 * quantized types stage 32 blocks per warp in shared memory with cp.async,
 * then each lane multiplies one whole block by x's int8 block in integers
 * (the int8 activation contract: ops/gemv/quant_x.cuh, quant_policy.cuh;
 * the CPU twin ops/gemv/int8_ref.c, which family.c's CPU composition calls
 * for every quantized weight).
 * There is one policy per weight dtype of FD_DTYPE_LIST, made below from
 * that list: a new dtype brings its ops/gemv/policy_<name>.cuh. */
#include <math.h>
#include <string.h>
#include "ops/ops.h"

/* ---------------------------------------------------------------- input */
static fd_status input_plain_cpu(const void *p, void *io)
{
    (void)p;
    fd_gemv_io *s = io;
    memcpy(s->xs, s->x, (size_t)s->cols * sizeof *s->xs);
    return FD_OK;
}

static fd_status input_rmsnorm_cpu(const void *p, void *io)
{
    (void)p;
    fd_gemv_io *s = io;
    fd_rmsnorm_ref(s->x, s->norm_w, s->xs, s->cols, s->eps);
    return FD_OK;
}

const fd_stage FD_STAGE_INPUT_PLAIN = { "x", FD_GEMV_INPUT, NULL, 0, "#include \"ops/gemv/input_plain.cuh\"\n",
                                        0, 0, 0, FD_F32, input_plain_cpu };

static const fd_stage_arg rmsnorm_args[] = {
    { "norm_w", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "eps", FD_ARG_PARAM, 0, FD_PT_float },
};
const fd_stage FD_STAGE_INPUT_RMSNORM = { "rmsnorm", FD_GEMV_INPUT, rmsnorm_args, 2,
                                          "#include \"ops/gemv/input_rmsnorm.cuh\"\n", 0, 0, 0, FD_F32,
                                          input_rmsnorm_cpu };

/* ---------------------------------------------------------------- weights */
/* One policy stage per weight dtype (FLOAT and QUANT kinds of the list). */
#define FD_POLICY_DIR "gemv"
#define FD_POLICY_KIND FD_GEMV_WEIGHTS
FD_WEIGHT_POLICIES

const fd_stage *fd_gemv_policy(fd_dtype dt) { return fd_dtype_valid(dt) ? policies[dt] : NULL; }

/* ---------------------------------------------------------------- mains */
static const fd_stage_arg main_args[] = {
    { "x", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "w#", FD_ARG_IN, FD_EARLY, FD_PT_TENSOR },   /* read before the wait */
    { "cols", FD_ARG_PARAM, 0, FD_PT_uint32_t }, { "rows#", FD_ARG_PARAM, 0, FD_PT_uint32_t },
};
#define MAIN_(name, n) { name, FD_GEMV_MAIN, main_args, 4, "#include \"ops/gemv/main.cuh\"\n", n, 0, \
                         FD_KERNEL_PDL, FD_F32, NULL }
const fd_stage FD_STAGE_GEMV = MAIN_("gemv", 1);
const fd_stage FD_STAGE_GEMV2 = MAIN_("gemv2", 2);
const fd_stage FD_STAGE_GEMV3 = MAIN_("gemv3", 3);

/* ---------------------------------------------------------------- epilogues */
static float silu(float x) { return x / (1.0f + expf(-x)); }
static float *out_of(const fd_gemv_args *a, int i) { return fd_tensor_data((&a->y0)[i]); }
static const float *bias_of(const fd_gemv_args *a, int i) { return fd_tensor_data((&a->b0)[i]); }
static int nprod(const fd_gemv_args *a) { return a->w2 ? 3 : a->w1 ? 2 : 1; }

/* Each per-output epilogue: y<i>[j] = EXPR for every product i of row j. */
#define PER_OUTPUT_CPU(fn, EXPR)                                        \
    static fd_status fn(const void *p, void *io)                       \
    {                                                                   \
        const fd_gemv_args *a = p;                                      \
        const fd_gemv_io *s = io;                                       \
        for (int i = 0; i < nprod(a); i++)                              \
            if (s->j < (&a->rows0)[i]) out_of(a, i)[s->j] = (EXPR);     \
        return FD_OK;                                                   \
    }
PER_OUTPUT_CPU(epi_none_cpu, s->v[i])
PER_OUTPUT_CPU(epi_bias_cpu, s->v[i] + bias_of(a, i)[s->j])
PER_OUTPUT_CPU(epi_silu_cpu, silu(s->v[i]))

static fd_status epi_swiglu_cpu(const void *p, void *io)
{
    const fd_gemv_args *a = p;
    const fd_gemv_io *s = io;
    if (s->j < a->rows0) out_of(a, 0)[s->j] = silu(s->v[0]) * s->v[1];
    return FD_OK;
}

static fd_status epi_residual_cpu(const void *p, void *io)
{
    const fd_gemv_args *a = p;
    const fd_gemv_io *s = io;
    if (s->j < a->rows0) out_of(a, 0)[s->j] = s->v[0] + ((const float *)fd_tensor_data(a->r0))[s->j];
    return FD_OK;
}

static const fd_stage_arg out_args[] = { { "y#", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };
static const fd_stage_arg bias_args[] = { { "b#", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "y#", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };
static const fd_stage_arg y0_args[] = { { "y0", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };
static const fd_stage_arg res_args[] = { { "r0", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "y0", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };

#define EPI_(name, args, file, requires, flags, cpu) \
    { name, FD_GEMV_EPILOGUE, args, sizeof args / sizeof args[0], "#include \"ops/gemv/" file "\"\n", \
      0, requires, flags, FD_F32, cpu }
const fd_stage FD_STAGE_EPI_NONE = EPI_("store", out_args, "epi_store.cuh", 0, 0, epi_none_cpu);
const fd_stage FD_STAGE_EPI_BIAS = EPI_("bias", bias_args, "epi_bias.cuh", 0, 0, epi_bias_cpu);
const fd_stage FD_STAGE_EPI_SILU = EPI_("silu", out_args, "epi_silu.cuh", 0, 0, epi_silu_cpu);
const fd_stage FD_STAGE_EPI_SWIGLU = EPI_("swiglu", y0_args, "epi_swiglu.cuh", 2, 0, epi_swiglu_cpu);
const fd_stage FD_STAGE_EPI_RESIDUAL = EPI_("residual", res_args, "epi_residual.cuh", 1, FD_KERNEL_INPLACE,
                                            epi_residual_cpu);
