/* gemv_stages.c — the GEMV family's stages: each a device snippet, its
 * arguments, and its CPU twin.
 *
 * Layer: ops. Legend: K = cols; j = output row; v[i] = product of row j of
 * w<i> with the (transformed) input; xs = the input in shared memory, 16-byte
 * aligned. Weight policies read rows as GGUF stores them: float types with
 * 16-byte loads where the row allows (scalar loads otherwise, so any K
 * works); quantized types stage 32 blocks per warp in shared memory through
 * coalesced 8-byte loads, then each lane dequantizes one block. */
#include <math.h>
#include "ops/ops.h"
#include "ops/gemv_stages.h"

/* ---------------------------------------------------------------- snippets */
static const fd_snippet SN_SILU = { "silu",
"__device__ __forceinline__ float fd_silu(float x) { return x / (1.0f + expf(-x)); }\n" };

static const fd_snippet SN_FLOATVEC = { "float_vectors",
"__device__ __forceinline__ fd_v4 ld_v4s(const void *p) { return ld_v4_stream(p); }\n"
"__device__ __forceinline__ float dot8_h(fd_v4 q, const float *x) {\n"
"  float4 a = *(const float4 *)x, b = *(const float4 *)(x + 4);\n"
"  return fd_lo_h(q.x) * a.x + fd_hi_h(q.x) * a.y + fd_lo_h(q.y) * a.z + fd_hi_h(q.y) * a.w\n"
"       + fd_lo_h(q.z) * b.x + fd_hi_h(q.z) * b.y + fd_lo_h(q.w) * b.z + fd_hi_h(q.w) * b.w; }\n"
"__device__ __forceinline__ float dot8_b(fd_v4 q, const float *x) {\n"
"  float4 a = *(const float4 *)x, b = *(const float4 *)(x + 4);\n"
"  return fd_lo_b(q.x) * a.x + fd_hi_b(q.x) * a.y + fd_lo_b(q.y) * a.z + fd_hi_b(q.y) * a.w\n"
"       + fd_lo_b(q.z) * b.x + fd_hi_b(q.z) * b.y + fd_lo_b(q.w) * b.z + fd_hi_b(q.w) * b.w; }\n"
"__device__ __forceinline__ float dot4_f(fd_v4 q, const float *x) {\n"
"  float4 a = *(const float4 *)x;\n"
"  return __uint_as_float(q.x) * a.x + __uint_as_float(q.y) * a.y + __uint_as_float(q.z) * a.z + __uint_as_float(q.w) * a.w; }\n"
"__device__ __forceinline__ u64 fd_row_stride(const float *, u32 cols) { return cols; }\n"
"__device__ __forceinline__ u64 fd_row_stride(const fd_f16 *, u32 cols) { return cols; }\n"
"__device__ __forceinline__ u64 fd_row_stride(const fd_bf16 *, u32 cols) { return cols; }\n" };

/* A float policy: VPE values per 16-byte vector, DOT its vector product. */
#define FLOAT_POLICY(T, VPE, DOT)                                                                   \
"__device__ __forceinline__ float fd_dot_row(const " T " *row, const float *xs, u32 cols, u32 t, u32 tpr, unsigned char *stage) {\n" \
"  float acc = 0.0f;\n"                                                                             \
"  if ((((u64)row) & 15) == 0 && (cols % " #VPE ") == 0) {\n"                                       \
"    u32 nv = cols / " #VPE ", v = t;\n"                                                            \
"    for (; v + 3 * tpr < nv; v += 4 * tpr) {\n"                                                    \
"      fd_v4 q0 = ld_v4s(row + (u64)" #VPE " * v), q1 = ld_v4s(row + (u64)" #VPE " * (v + tpr));\n" \
"      fd_v4 q2 = ld_v4s(row + (u64)" #VPE " * (v + 2 * tpr)), q3 = ld_v4s(row + (u64)" #VPE " * (v + 3 * tpr));\n" \
"      acc += " DOT "(q0, xs + " #VPE " * v) + " DOT "(q1, xs + " #VPE " * (v + tpr))\n"             \
"           + " DOT "(q2, xs + " #VPE " * (v + 2 * tpr)) + " DOT "(q3, xs + " #VPE " * (v + 3 * tpr));\n" \
"    }\n"                                                                                           \
"    for (; v < nv; v += tpr) acc += " DOT "(ld_v4s(row + (u64)" #VPE " * v), xs + " #VPE " * v);\n" \
"  } else {\n"                                                                                      \
"    for (u32 c = t; c < cols; c += tpr) acc += ld(row, c) * xs[c];\n"                              \
"  }\n"                                                                                             \
"  (void)stage; return acc;\n"                                                                     \
"}\n"

static const fd_snippet SN_STAGE = { "quant_staging",
"__device__ __forceinline__ fd_v2 ld_v2_stream(const void *p) {\n"
"  fd_v2 v; asm volatile(\"ld.global.nc.L1::no_allocate.v2.u32 {%0,%1}, [%2];\" : \"=r\"(v.x), \"=r\"(v.y) : \"l\"(p)); return v; }\n"
"/* copies `bytes` (even) from global memory to the warp's staging area */\n"
"__device__ __forceinline__ void fd_stage_copy(unsigned char *dst, const unsigned char *src, u32 bytes, u32 lane) {\n"
"  __syncwarp();\n"
"  u32 done = 0;\n"
"  if ((((u64)src) & 7) == 0) {\n"
"    u32 n8 = bytes / 8;\n"
"    for (u32 i = lane; i < n8; i += 32) ((fd_v2 *)dst)[i] = ld_v2_stream(src + 8 * (u64)i);\n"
"    done = n8 * 8;\n"
"  } else if ((((u64)src) & 3) == 0) {\n"
"    u32 n4 = bytes / 4;\n"
"    for (u32 i = lane; i < n4; i += 32) ((u32 *)dst)[i] = ((const u32 *)src)[i];\n"
"    done = n4 * 4;\n"
"  }\n"
"  for (u32 i = done + 2 * lane; i < bytes; i += 64) *(u16 *)(dst + i) = *(const u16 *)(src + i);\n"
"  __syncwarp();\n"
"}\n"
"__device__ __forceinline__ u64 fd_row_stride(const fd_q8_0 *, u32 cols) { return cols / 32; }\n"
"__device__ __forceinline__ u64 fd_row_stride(const fd_q4_0 *, u32 cols) { return cols / 32; }\n"
"/* 32-bit word k of the bytes starting at `off` in the staging area (off even) */\n"
"__device__ __forceinline__ u32 fd_stage_word(const unsigned char *s, u32 off, u32 k) {\n"
"  const u32 *w = (const u32 *)(s + (off & ~3u));\n"
"  return (off & 3u) ? __funnelshift_r(w[k], w[k + 1], 16) : w[k]; }\n" };

/* A quantized policy: BB bytes per block. After a warp stages up to 32
 * blocks, lane l takes values 4l..4l+3 of each 128-value group, so the
 * lanes read consecutive inputs (no shared-memory bank conflicts) and each
 * block's 8 lanes read consecutive words of it. BODY turns the 4 values at
 * `pos` of the block staged at `off` (scale d) and inputs `xv` into `acc +=`. */
#define QUANT_POLICY(T, BB, BODY)                                                                   \
"__device__ __forceinline__ float fd_dot_row(const " T " *row, const float *xs, u32 cols, u32 t, u32 tpr, unsigned char *stage) {\n" \
"  u32 nb = cols / 32, lane = t & 31, warp = t >> 5, nw = tpr >> 5;\n"                             \
"  const unsigned char *rb = (const unsigned char *)row;\n"                                        \
"  float acc = 0.0f;\n"                                                                             \
"  for (u32 c0 = warp * 32; c0 < nb; c0 += nw * 32) {\n"                                            \
"    u32 n = nb - c0 < 32 ? nb - c0 : 32;\n"                                                        \
"    fd_stage_copy(stage, rb + (u64)c0 * " #BB ", n * " #BB ", lane);\n"                            \
"    for (u32 g = 0; g * 4 < n; g++) {\n"                                                           \
"      u32 b = g * 4 + (lane >> 3), pos = (lane & 7) * 4;\n"                                         \
"      if (b < n) {\n"                                                                              \
"        u32 off = b * " #BB ";\n"                                                                  \
"        float d = fd_h2f(*(const u16 *)(stage + off));\n"                                          \
"        float4 xv = *(const float4 *)(xs + (u64)(c0 + b) * 32 + pos);\n"                            \
       BODY                                                                                         \
"      }\n"                                                                                         \
"    }\n"                                                                                           \
"  }\n"                                                                                             \
"  return acc;\n"                                                                                   \
"}\n"

#define Q8_BODY \
"        u32 q = fd_stage_word(stage, off + 2 + pos, 0);\n" \
"        acc += d * ((float)(signed char)(q & 0xffu) * xv.x + (float)(signed char)((q >> 8) & 0xffu) * xv.y\n" \
"                  + (float)(signed char)((q >> 16) & 0xffu) * xv.z + (float)(signed char)(q >> 24) * xv.w);\n"

/* value p < 16 is the low nibble of byte p, value p >= 16 the high nibble of byte p - 16 */
#define Q4_BODY \
"        u32 q = fd_stage_word(stage, off + 2 + (pos & 15), 0) >> (pos & 16 ? 4 : 0);\n" \
"        acc += d * (((float)(q & 15u) - 8.0f) * xv.x + ((float)((q >> 8) & 15u) - 8.0f) * xv.y\n" \
"                  + ((float)((q >> 16) & 15u) - 8.0f) * xv.z + ((float)((q >> 24) & 15u) - 8.0f) * xv.w);\n"

static const fd_snippet *const inc_float[] = { &SN_FLOATVEC, NULL };
static const fd_snippet *const inc_quant[] = { &SN_STAGE, NULL };
static const fd_snippet *const inc_silu[] = { &SN_SILU, NULL };

/* ---------------------------------------------------------------- input */
static void input_plain_cpu(const fd_gemv_args *a, float *xs)
{
    memcpy(xs, fd_tensor_data(a->x), (size_t)a->cols * sizeof *xs);
}

static void input_rmsnorm_cpu(const fd_gemv_args *a, float *xs)
{
    const float *x = fd_tensor_data(a->x), *w = fd_tensor_data(a->norm_w);
    double ss = 0;
    for (uint32_t i = 0; i < a->cols; i++) ss += (double)x[i] * x[i];
    float scale = (float)(1.0 / sqrt(ss / a->cols + a->eps));
    for (uint32_t i = 0; i < a->cols; i++) xs[i] = x[i] * scale * w[i];
}

const fd_stage FD_STAGE_INPUT_PLAIN = { "x", FD_STAGE_INPUT, NULL, 0, NULL,
"__device__ __forceinline__ void fd_input(const fd_args &a, float *xs) {\n"
"  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;\n"
"  for (u32 i = tid; i < a.cols; i += nt) xs[i] = a.x[i];\n"
"  __syncthreads();\n"
"}\n", 0, 0, 0, FD_F32, (void (*)(void))input_plain_cpu };

static const fd_stage_arg rmsnorm_args[] = {
    { "norm_w", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "eps", FD_ARG_PARAM, 0, FD_PT_float },
};
const fd_stage FD_STAGE_INPUT_RMSNORM = { "rmsnorm", FD_STAGE_INPUT, rmsnorm_args, 2, NULL,
"__device__ __forceinline__ void fd_input(const fd_args &a, float *xs) {\n"
"  __shared__ float part[32];\n"
"  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;\n"
"  float ss = 0.0f;\n"
"  for (u32 i = tid; i < a.cols; i += nt) { float v = a.x[i]; ss += v * v; }\n"
"  ss = warp_sum(ss);\n"
"  if ((tid & 31) == 0) part[tid >> 5] = ss;\n"
"  __syncthreads();\n"
"  ss = 0.0f;\n"
"  for (u32 w = 0; w < nt / 32; w++) ss += part[w];\n"
"  float scale = rsqrtf(ss / (float)a.cols + a.eps);\n"
"  for (u32 i = tid; i < a.cols; i += nt) xs[i] = a.x[i] * scale * a.norm_w[i];\n"
"  __syncthreads();\n"
"}\n", 0, 0, 0, FD_F32, (void (*)(void))input_rmsnorm_cpu };

/* ---------------------------------------------------------------- policies */
const fd_stage FD_STAGE_LOAD_F32 = { "f32", FD_STAGE_PROLOGUE, NULL, 0, inc_float,
    FLOAT_POLICY("float", 4, "dot4_f"), 0, 0, 0, FD_F32, NULL };
const fd_stage FD_STAGE_LOAD_F16 = { "f16", FD_STAGE_PROLOGUE, NULL, 0, inc_float,
    FLOAT_POLICY("fd_f16", 8, "dot8_h"), 0, 0, 0, FD_F16, NULL };
const fd_stage FD_STAGE_LOAD_BF16 = { "bf16", FD_STAGE_PROLOGUE, NULL, 0, inc_float,
    FLOAT_POLICY("fd_bf16", 8, "dot8_b"), 0, 0, 0, FD_BF16, NULL };
const fd_stage FD_STAGE_LOAD_Q8_0 = { "q8_0", FD_STAGE_PROLOGUE, NULL, 0, inc_quant,
    QUANT_POLICY("fd_q8_0", 34, Q8_BODY), 0, 0, 0, FD_Q8_0, NULL };
const fd_stage FD_STAGE_LOAD_Q4_0 = { "q4_0", FD_STAGE_PROLOGUE, NULL, 0, inc_quant,
    QUANT_POLICY("fd_q4_0", 18, Q4_BODY), 0, 0, 0, FD_Q4_0, NULL };

/* ---------------------------------------------------------------- mains */
static const fd_stage_arg main1_args[] = {
    { "x", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "w#", FD_ARG_IN, 0, FD_PT_TENSOR },
    { "cols", FD_ARG_PARAM, 0, FD_PT_uint32_t }, { "rows#", FD_ARG_PARAM, 0, FD_PT_uint32_t },
};

/* One body for 1..3 products per row (FD_NOUT). Each row group (blockDim.x
 * threads) computes its row's products, reduces them, and thread 0 hands
 * them to the epilogue. */
#define GEMV_MAIN_CODE \
"FD_KERNEL(fd_args a) {\n" \
"  extern __shared__ float4 fd_smem4[];\n" \
"  float *xs = (float *)fd_smem4;\n" \
"  u32 t = threadIdx.x, tpr = blockDim.x, rpb = blockDim.y, cols4 = (a.cols + 3) & ~3u;\n" \
"  u32 wid = (threadIdx.y * tpr + t) >> 5;\n" \
"  unsigned char *stage = (unsigned char *)(xs + cols4) + wid * 1152;\n" \
"  float *red = (float *)((unsigned char *)(xs + cols4) + 8 * 1152);\n" \
"  fd_input(a, xs);\n" \
"  u32 nmax = a.rows0;\n" \
"  if (FD_NOUT > 1 && a.rows1 > nmax) nmax = a.rows1;\n" \
"  if (FD_NOUT > 2 && a.rows2 > nmax) nmax = a.rows2;\n" \
"  for (u32 base = blockIdx.x * rpb; base < nmax; base += gridDim.x * rpb) {\n" \
"    u32 j = base + threadIdx.y;\n" \
"    float v[3] = { 0.0f, 0.0f, 0.0f };\n" \
"    if (j < a.rows0) v[0] = fd_dot_row(a.w0 + (u64)j * fd_row_stride(a.w0, a.cols), xs, a.cols, t, tpr, stage);\n" \
"#if FD_NOUT > 1\n" \
"    if (j < a.rows1) v[1] = fd_dot_row(a.w1 + (u64)j * fd_row_stride(a.w1, a.cols), xs, a.cols, t, tpr, stage);\n" \
"#endif\n" \
"#if FD_NOUT > 2\n" \
"    if (j < a.rows2) v[2] = fd_dot_row(a.w2 + (u64)j * fd_row_stride(a.w2, a.cols), xs, a.cols, t, tpr, stage);\n" \
"#endif\n" \
"    for (int i = 0; i < FD_NOUT; i++) v[i] = warp_sum(v[i]);\n" \
"    if (tpr > 32) {\n" \
"      if ((t & 31) == 0) for (int i = 0; i < FD_NOUT; i++) red[wid * 3 + i] = v[i];\n" \
"      __syncthreads();\n" \
"      if (t == 0) for (int i = 0; i < FD_NOUT; i++) {\n" \
"        v[i] = 0.0f;\n" \
"        for (u32 w = 0; w < tpr / 32; w++) v[i] += red[(threadIdx.y * (tpr / 32) + w) * 3 + i];\n" \
"      }\n" \
"      __syncthreads();\n" \
"    }\n" \
"    if (t == 0 && j < nmax) fd_epilogue(a, j, v);\n" \
"  }\n" \
"}\n"

const fd_stage FD_STAGE_GEMV = { "gemv", FD_STAGE_MAIN, main1_args, 4, NULL, GEMV_MAIN_CODE, 1, 0, 0, FD_F32, NULL };
const fd_stage FD_STAGE_GEMV2 = { "gemv2", FD_STAGE_MAIN, main1_args, 4, NULL, GEMV_MAIN_CODE, 2, 0, 0, FD_F32, NULL };
const fd_stage FD_STAGE_GEMV3 = { "gemv3", FD_STAGE_MAIN, main1_args, 4, NULL, GEMV_MAIN_CODE, 3, 0, 0, FD_F32, NULL };

/* ---------------------------------------------------------------- epilogues */
static float silu(float x) { return x / (1.0f + expf(-x)); }
static float *out_of(const fd_gemv_args *a, int i) { return fd_tensor_data((&a->y0)[i]); }
static const float *bias_of(const fd_gemv_args *a, int i) { return fd_tensor_data((&a->b0)[i]); }
static int nprod(const fd_gemv_args *a) { return a->w2 ? 3 : a->w1 ? 2 : 1; }

static void epi_none_cpu(const fd_gemv_args *a, uint32_t j, const float *v)
{
    for (int i = 0; i < nprod(a); i++)
        if (j < (&a->rows0)[i]) out_of(a, i)[j] = v[i];
}

static void epi_bias_cpu(const fd_gemv_args *a, uint32_t j, const float *v)
{
    for (int i = 0; i < nprod(a); i++)
        if (j < (&a->rows0)[i]) out_of(a, i)[j] = v[i] + bias_of(a, i)[j];
}

static void epi_silu_cpu(const fd_gemv_args *a, uint32_t j, const float *v)
{
    for (int i = 0; i < nprod(a); i++)
        if (j < (&a->rows0)[i]) out_of(a, i)[j] = silu(v[i]);
}

static void epi_swiglu_cpu(const fd_gemv_args *a, uint32_t j, const float *v)
{
    if (j < a->rows0) out_of(a, 0)[j] = silu(v[0]) * v[1];
}

static void epi_residual_cpu(const fd_gemv_args *a, uint32_t j, const float *v)
{
    if (j < a->rows0) out_of(a, 0)[j] = v[0] + ((const float *)fd_tensor_data(a->r0))[j];
}

#define PER_OUTPUT(EXPR) \
"__device__ __forceinline__ void fd_epilogue(const fd_args &a, u32 j, const float *v) {\n" \
"  if (j < a.rows0) a.y0[j] = " EXPR(0) ";\n" \
"  if (FD_NOUT > 1 && j < a.rows1) a.y1[j] = " EXPR(1) ";\n" \
"  if (FD_NOUT > 2 && j < a.rows2) a.y2[j] = " EXPR(2) ";\n" \
"}\n"
#define E_NONE(i) "v[" #i "]"
#define E_BIAS(i) "v[" #i "] + a.b" #i "[j]"
#define E_SILU(i) "fd_silu(v[" #i "])"

static const fd_stage_arg out_args[] = { { "y#", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };
static const fd_stage_arg bias_args[] = { { "b#", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "y#", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };
static const fd_stage_arg y0_args[] = { { "y0", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };
static const fd_stage_arg res_args[] = { { "r0", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "y0", FD_ARG_OUT, FD_ACT, FD_PT_TENSOR } };

const fd_stage FD_STAGE_EPI_NONE = { "store", FD_STAGE_EPILOGUE, out_args, 1, NULL, PER_OUTPUT(E_NONE),
    0, 0, 0, FD_F32, (void (*)(void))epi_none_cpu };
const fd_stage FD_STAGE_EPI_BIAS = { "bias", FD_STAGE_EPILOGUE, bias_args, 2, NULL, PER_OUTPUT(E_BIAS),
    0, 0, 0, FD_F32, (void (*)(void))epi_bias_cpu };
const fd_stage FD_STAGE_EPI_SILU = { "silu", FD_STAGE_EPILOGUE, out_args, 1, inc_silu, PER_OUTPUT(E_SILU),
    0, 0, 0, FD_F32, (void (*)(void))epi_silu_cpu };
const fd_stage FD_STAGE_EPI_SWIGLU = { "swiglu", FD_STAGE_EPILOGUE, y0_args, 1, inc_silu,
"__device__ __forceinline__ void fd_epilogue(const fd_args &a, u32 j, const float *v) {\n"
"  if (j < a.rows0) a.y0[j] = fd_silu(v[0]) * v[1];\n"
"}\n", 0, 2, 0, FD_F32, (void (*)(void))epi_swiglu_cpu };
const fd_stage FD_STAGE_EPI_RESIDUAL = { "residual", FD_STAGE_EPILOGUE, res_args, 2, NULL,
"__device__ __forceinline__ void fd_epilogue(const fd_args &a, u32 j, const float *v) {\n"
"  if (j < a.rows0) a.y0[j] = v[0] + a.r0[j];\n"
"}\n", 0, 1, 1, FD_F32, (void (*)(void))epi_residual_cpu };

const fd_stage *fd_gemv_policy(fd_dtype dt)
{
    switch (dt) {
    case FD_F32: return &FD_STAGE_LOAD_F32;
    case FD_F16: return &FD_STAGE_LOAD_F16;
    case FD_BF16: return &FD_STAGE_LOAD_BF16;
    case FD_Q8_0: return &FD_STAGE_LOAD_Q8_0;
    case FD_Q4_0: return &FD_STAGE_LOAD_Q4_0;
    default: return NULL;
    }
}
