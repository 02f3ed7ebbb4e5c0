/* gemv_stages.c — the GEMV family's stages: each a device snippet, its
 * arguments, and its CPU twin.
 *
 * Layer: ops. Legend: K = cols; j = output row; v[i] = product of row j of
 * w<i> with the (transformed) input; xs = the input in shared memory, 16-byte
 * aligned. Weight policies read rows as GGUF stores them: float types with
 * 16-byte loads where the row allows (scalar loads otherwise, so any K
 * works); quantized types stage 32 blocks per warp in shared memory with
 * cp.async (16-byte copies, double-buffered across chunks and rows), then
 * each lane dequantizes one whole block. Both start on their first row
 * before the kernel waits for its predecessor (fd_row_begin); a small
 * quantized GEMV instead has each block copy all its rows into shared
 * memory then (the main's whole-slice path, fd_dot_smem).
 * A policy also says where x[i] lives in xs (fd_xs_index) and how many
 * floats xs takes (fd_xs_floats): the quantized ones interleave x so that
 * the 32 lanes, each reading its own block's inputs, hit distinct banks. */
#include <math.h>
#include "ops/ops.h"
#include "ops/gemv_stages.h"

#define FD_STR_(x) #x
#define FD_STR(x) FD_STR_(x)

/* ---------------------------------------------------------------- snippets */
static const fd_snippet SN_SILU = { "silu",
"__device__ __forceinline__ float fd_silu(float x) { return x / (1.0f + expf(-x)); }\n" };

static const fd_snippet SN_FLOATVEC = { "float_vectors",
"__device__ __forceinline__ fd_v4 ld_v4s(const void *p) { return ld_v4_stream(p); }\n"
"/* acc + the products of a 16-byte vector with its inputs, one fused\n"
" * multiply-add each */\n"
"__device__ __forceinline__ float dot8_h(fd_v4 q, const float *x, float acc) {\n"
"  float4 a = *(const float4 *)x, b = *(const float4 *)(x + 4);\n"
"  acc = fmaf(fd_lo_h(q.x), a.x, acc); acc = fmaf(fd_hi_h(q.x), a.y, acc); acc = fmaf(fd_lo_h(q.y), a.z, acc);\n"
"  acc = fmaf(fd_hi_h(q.y), a.w, acc); acc = fmaf(fd_lo_h(q.z), b.x, acc); acc = fmaf(fd_hi_h(q.z), b.y, acc);\n"
"  acc = fmaf(fd_lo_h(q.w), b.z, acc); return fmaf(fd_hi_h(q.w), b.w, acc); }\n"
"__device__ __forceinline__ float dot8_b(fd_v4 q, const float *x, float acc) {\n"
"  float4 a = *(const float4 *)x, b = *(const float4 *)(x + 4);\n"
"  acc = fmaf(fd_lo_b(q.x), a.x, acc); acc = fmaf(fd_hi_b(q.x), a.y, acc); acc = fmaf(fd_lo_b(q.y), a.z, acc);\n"
"  acc = fmaf(fd_hi_b(q.y), a.w, acc); acc = fmaf(fd_lo_b(q.z), b.x, acc); acc = fmaf(fd_hi_b(q.z), b.y, acc);\n"
"  acc = fmaf(fd_lo_b(q.w), b.z, acc); return fmaf(fd_hi_b(q.w), b.w, acc); }\n"
"__device__ __forceinline__ float dot4_f(fd_v4 q, const float *x, float acc) {\n"
"  float4 a = *(const float4 *)x;\n"
"  acc = fmaf(__uint_as_float(q.x), a.x, acc); acc = fmaf(__uint_as_float(q.y), a.y, acc);\n"
"  acc = fmaf(__uint_as_float(q.z), a.z, acc); return fmaf(__uint_as_float(q.w), a.w, acc); }\n"
"#define FD_STAGE_BYTES " FD_STR(FD_GEMV_FLOAT_STAGE_BYTES) "   /* per warp: two early batches */\n"
"/* A row group's state: buffer `cur` holds the first of `ahead` (0..2)\n"
" * batches staged early. */\n"
"struct fd_pipe { u32 cur, ahead; };\n"
"#define FD_X_DIRECT 1      /* x may be read where it is, if 16-byte aligned */\n"
"#define FD_WHOLE_SLICE 0   /* rows always stream */\n"
"__device__ __forceinline__ u32 fd_xs_index(u32 i) { return i; }\n"
"__device__ __forceinline__ u32 fd_xs_floats(u32 cols) { return (cols + " FD_STR(FD_GEMV_FLOAT_XS_ROUND) " - 1) & ~(" FD_STR(FD_GEMV_FLOAT_XS_ROUND) "u - 1); }\n"
"__device__ __forceinline__ u64 fd_row_stride(const float *, u32 cols) { return cols; }\n"
"__device__ __forceinline__ u64 fd_row_stride(const fd_f16 *, u32 cols) { return cols; }\n"
"__device__ __forceinline__ u64 fd_row_stride(const fd_bf16 *, u32 cols) { return cols; }\n" };

/* A float policy: VPE values per 16-byte vector, DOT its vector product.
 * Every thread issues its (up to) four loads of a batch before it uses any,
 * so a row costs one memory round trip per batch; the dispatch sizes the
 * row group so that most rows take one batch. A row group's first two
 * batches are staged by fd_row_begin with cp.async before the kernel waits
 * for its predecessor; the rest are loaded straight into registers. */
#define FLOAT_POLICY(T, VPE, DOT)                                                                   \
"/* Starts copying this thread's first two batches (of its first row, then\n"                      \
" * the next batch of that row or the first of `next`) into its slots of the\n"                   \
" * warp's staging: lane-interleaved, so reading them back is conflict-free. */\n"               \
"__device__ __forceinline__ void fd_row_begin(const void *row, const void *next, u32 cols, u32 t, u32 tpr,\n" \
"                                             unsigned char *stage, fd_pipe &pipe) {\n"          \
"  u32 nv = cols / " #VPE ";\n"                                                                  \
"  if (cols % " #VPE ") return;\n"                                                                \
"  for (; pipe.ahead < 2; pipe.ahead++) {\n"                                                       \
"    u32 v = t + pipe.ahead * 4 * tpr;\n"                                                         \
"    const " T " *r = (const " T " *)(v < nv ? row : next);\n"                                      \
"    if (v >= nv) v = t;\n"                                                                        \
"    if (!r || v >= nv || (((u64)r) & 15)) return;\n"                                               \
"    unsigned char *buf = stage + ((pipe.cur + pipe.ahead) & 1) * (FD_STAGE_BYTES / 2) + 16 * (t & 31);\n"              \
"    _Pragma(\"unroll\") for (int k = 0; k < 4; k++)\n"                                             \
"      if (v + k * tpr < nv) fd_cp16(buf + 512 * k, r + (u64)" #VPE " * (v + k * tpr));\n"          \
"    fd_cp_commit();\n"                                                                             \
"  }\n"                                                                                             \
"}\n"                                                                                               \
"__device__ __forceinline__ float fd_dot_row(const " T " *row, const void *next, const float *xs, u32 cols, u32 t, u32 tpr,\n" \
"                                           unsigned char *stage, fd_pipe &pipe) {\n"              \
"  float acc = 0.0f;\n"                                                                             \
"  if ((((u64)row) & 15) == 0 && (cols % " #VPE ") == 0) {\n"                                       \
"    u32 nv = cols / " #VPE ";\n"                                                                  \
"    for (u32 v = t; v < nv; v += 4 * tpr) {\n"                                                    \
"      fd_v4 q[4];\n"                                                                             \
"      const unsigned char *buf = stage + pipe.cur * (FD_STAGE_BYTES / 2) + 16 * (t & 31);\n"        \
"      if (pipe.ahead > 1) asm volatile(\"cp.async.wait_group 1;\" ::: \"memory\");\n"             \
"      else if (pipe.ahead) asm volatile(\"cp.async.wait_group 0;\" ::: \"memory\");\n"            \
"      _Pragma(\"unroll\") for (int k = 0; k < 4; k++)\n"                                           \
"        if (v + k * tpr < nv)\n"                                                                    \
"          q[k] = pipe.ahead ? *(const fd_v4 *)(buf + 512 * k) : ld_v4s(row + (u64)" #VPE " * (v + k * tpr));\n" \
"      if (pipe.ahead) pipe.ahead--, pipe.cur ^= 1;\n"                                              \
"      _Pragma(\"unroll\") for (int k = 0; k < 4; k++)\n"                                           \
"        if (v + k * tpr < nv) acc = " DOT "(q[k], xs + " #VPE " * (v + k * tpr), acc);\n"          \
"    }\n"                                                                                           \
"  } else {\n"                                                                                      \
"    for (u32 c = t; c < cols; c += tpr) acc += ld(row, c) * xs[c];\n"                              \
"  }\n"                                                                                             \
"  (void)next; return acc;\n"                                                                       \
"}\n"

static const fd_snippet SN_STAGE = { "quant_staging",
"/* Starts copying `bytes` at src into the staging buffer `buf` with cp.async:\n"
" * the 16-byte-aligned window around them, so the data begins at buf + (src & 15).\n"
" * A 16-byte granule holding a valid byte never crosses a page, so reading the\n"
" * window's edges is safe. One commit group per call. */\n"
"__device__ __forceinline__ void fd_stage_async(unsigned char *buf, const unsigned char *src, u32 bytes, u32 lane) {\n"
"  u64 a = (u64)src & ~15ull, e = ((u64)src + bytes + 15) & ~15ull, g, sa;\n"
"  u32 n = (u32)(e - a) / 16;   /* at most 70 granules: a chunk is at most 32 * 34 bytes */\n"
"  asm volatile(\"cvta.to.global.u64 %0, %1;\" : \"=l\"(g) : \"l\"(a));\n"
"  asm volatile(\"cvta.to.shared.u64 %0, %1;\" : \"=l\"(sa) : \"l\"((u64)buf));\n"
"  _Pragma(\"unroll\") for (u32 k = 0; k < 3; k++) {\n"
"    u32 i = lane + 32 * k;\n"
"    if (i < n) fd_cp16_at((u32)sa + 16 * i, g + 16ull * i);\n"
"  }\n"
"  fd_cp_commit();\n"
"}\n"
"__device__ __forceinline__ u64 fd_row_stride(const fd_q8_0 *, u32 cols) { return cols / 32; }\n"
"__device__ __forceinline__ u64 fd_row_stride(const fd_q4_0 *, u32 cols) { return cols / 32; }\n"
"#define FD_STAGE_BYTES " FD_STR(FD_GEMV_STAGE_BYTES) "   /* per warp: two buffers */\n"
"#define FD_X_DIRECT 0\n"
"#define FD_WHOLE_SLICE 1   /* a small GEMV may stage its rows whole: fd_dot_smem */\n"
"#define FD_MIN_BLOCKS 6    /* at most 40 registers, none spilled: six 256-thread blocks per multiprocessor */\n"
"/* x for 32 lanes that each take one block of a 32-block chunk: x[i] with\n"
" * i = 1024 c + 32 l + 4 k + e (chunk c, lane l, float4 k) is float4 k * 32 + l\n"
" * of chunk c, so lane l's k-th float4 and its neighbours' are consecutive. */\n"
"__device__ __forceinline__ u32 fd_xs_index(u32 i) {\n"
"  return (i & ~1023u) + ((((i >> 2) & 7u) * 32u + ((i >> 5) & 31u)) << 2) + (i & 3u); }\n"
"__device__ __forceinline__ u32 fd_xs_floats(u32 cols) { return (cols + " FD_STR(FD_GEMV_XS_ROUND) " - 1) & ~(" FD_STR(FD_GEMV_XS_ROUND) "u - 1); }\n"
"/* Word k of the bytes starting at `s` (2-byte aligned) in shared memory;\n"
" * reads one word past them. */\n"
"__device__ __forceinline__ u32 fd_stage_word(const unsigned char *s, u32 k) {\n"
"  u32 off = (u32)(u64)s & 3u;   /* pointer arithmetic, not an integer cast, keeps loads in shared space */\n"
"  const u32 *w = (const u32 *)(s - off);\n"
"  return __funnelshift_r(w[k], w[k + 1], off * 8u); }\n"
"/* 2^23 + byte k of w, exactly: the float whose low mantissa byte is that\n"
" * byte. A byte permute and a subtraction replace an int-to-float\n"
" * conversion, whose pipe bounded the q8_0 GEMV. */\n"
"__device__ __forceinline__ float fd_u8_f(u32 w, u32 k) { return __uint_as_float(__byte_perm(w, 0x4B000000u, 0x7540u | k)); }\n"
"/* byte k of w (a nibble, 0..15) minus 8 */\n"
"__device__ __forceinline__ float fd_nib_f(u32 w, u32 k) { return fd_u8_f(w, k) - 8388616.0f; }\n"
"/* byte k of w minus 128: the int8 that byte xor 0x80 is */\n"
"__device__ __forceinline__ float fd_s8_f(u32 w, u32 k) { return fd_u8_f(w, k) - 8388736.0f; }\n"
"/* A row group's state: buffer `cur` holds the first of `ahead` (0..2)\n"
" * chunks in flight. */\n"
"struct fd_pipe { u32 cur, ahead; };\n" };

/* A quantized policy: BB bytes per block. A warp takes its row in chunks
 * of 32 blocks; lane l takes block l of a chunk whole: its scale once, its
 * quants a word at a time, its inputs as the 8 float4 of fd_xs_index's
 * layout. Chunks are staged with cp.async into two buffers per warp, in the
 * order the warp computes them (this row's, then the first of its next row,
 * `next`), so one is in flight while the other is computed; fd_row_begin
 * stages the first two before the kernel waits for its predecessor.
 * fd_dot_smem reads a row the main staged whole, lane l taking blocks l,
 * l + T, ... the same way. BODY turns the block at `blk` (quants from
 * blk + 2) and inputs x4[32 k] into `s +=`. */
#define QUANT_POLICY(T, BB, BODY)                                                                   \
"/* Stages the chunks this warp computes from chunk c0 of row `rb` on until\n"                     \
" * two are in flight: chunk c0 itself, then this row's next or `next`'s first. */\n"            \
"__device__ __forceinline__ void fd_stage_ahead(const unsigned char *rb, const void *next, u32 c0, u32 nb, u32 lane,\n" \
"                                               u32 warp, u32 nw, unsigned char *stage, fd_pipe &pipe) {\n" \
"  for (; pipe.ahead < 2; pipe.ahead++) {\n"                                                        \
"    u32 c = c0 + pipe.ahead * nw * 32;\n"                                                          \
"    const unsigned char *src = c < nb ? rb : (const unsigned char *)next;\n"                       \
"    if (c >= nb) c = warp * 32;\n"                                                                 \
"    if (!src || c >= nb) return;\n"                                                                \
"    fd_stage_async(stage + ((pipe.cur + pipe.ahead) & 1) * (FD_STAGE_BYTES / 2), src + (u64)c * " #BB ",\n" \
"                   (nb - c < 32 ? nb - c : 32) * " #BB ", lane);\n"                                 \
"  }\n"                                                                                             \
"}\n"                                                                                               \
"__device__ __forceinline__ void fd_row_begin(const void *row, const void *next, u32 cols, u32 t, u32 tpr,\n" \
"                                             unsigned char *stage, fd_pipe &pipe) {\n"            \
"  u32 nb = cols / 32, warp = t >> 5;\n"                                                            \
"  if (warp * 32 < nb)\n"                                                                           \
"    fd_stage_ahead((const unsigned char *)row, next, warp * 32, nb, t & 31, warp, tpr >> 5, stage, pipe);\n" \
"}\n"                                                                                               \
"__device__ __forceinline__ float fd_dot_row(const " T " *row, const void *next, const float *xs, u32 cols, u32 t, u32 tpr,\n" \
"                                           unsigned char *stage, fd_pipe &pipe) {\n"              \
"  u32 nb = cols / 32, lane = t & 31, warp = t >> 5, nw = tpr >> 5;\n"                             \
"  const unsigned char *rb = (const unsigned char *)row;\n"                                        \
"  float acc = 0.0f;\n"                                                                             \
"  for (u32 c0 = warp * 32; c0 < nb; c0 += nw * 32) {\n"                                            \
"    u32 n = nb - c0 < 32 ? nb - c0 : 32;\n"                                                        \
"    const unsigned char *buf = stage + pipe.cur * (FD_STAGE_BYTES / 2);\n"                        \
"    fd_stage_ahead(rb, next, c0, nb, lane, warp, nw, stage, pipe);\n"                              \
"    if (pipe.ahead > 1) asm volatile(\"cp.async.wait_group 1;\" ::: \"memory\");\n"              \
"    else asm volatile(\"cp.async.wait_group 0;\" ::: \"memory\");\n"                              \
"    __syncwarp();\n"                                                                               \
"    if (lane < n) {\n"                                                                             \
"      const unsigned char *blk = buf + (((u64)rb + (u64)c0 * " #BB ") & 15) + lane * " #BB ";\n"   \
"      const float4 *x4 = (const float4 *)xs + c0 * 8 + lane;\n"                                   \
"      float s = 0.0f;\n"                                                                           \
       BODY                                                                                         \
"      acc += fd_h2f(*(const u16 *)blk) * s;\n"                                                     \
"    }\n"                                                                                           \
"    __syncwarp();\n"                                                                               \
"    pipe.cur ^= 1;\n"                                                                              \
"    pipe.ahead--;\n"                                                                               \
"  }\n"                                                                                             \
"  return acc;\n"                                                                                   \
"}\n"                                                                                               \
"__device__ __forceinline__ float fd_dot_smem(const unsigned char *row, const float *xs, u32 cols, u32 t, u32 tpr) {\n" \
"  float acc = 0.0f;\n"                                                                             \
"  for (u32 b = t; b < cols / 32; b += tpr) {\n"                                                   \
"    const unsigned char *blk = row + b * " #BB ";\n"                                               \
"    const float4 *x4 = (const float4 *)xs + (b & ~31u) * 8 + (b & 31u);\n"                         \
"    float s = 0.0f;\n"                                                                             \
       BODY                                                                                         \
"    acc += fd_h2f(*(const u16 *)blk) * s;\n"                                                       \
"  }\n"                                                                                             \
"  return acc;\n"                                                                                   \
"}\n"

#define Q8_BODY \
"      _Pragma(\"unroll\") for (u32 k = 0; k < 8; k++) {\n" \
"        u32 q = fd_stage_word(blk + 2, k) ^ 0x80808080u;   /* each byte + 128 */\n" \
"        float4 xv = x4[32 * k];\n" \
"        s = fmaf(fd_s8_f(q, 0), xv.x, s); s = fmaf(fd_s8_f(q, 1), xv.y, s);\n" \
"        s = fmaf(fd_s8_f(q, 2), xv.z, s); s = fmaf(fd_s8_f(q, 3), xv.w, s);\n" \
"      }\n"

/* value p < 16 is the low nibble of byte p, value p >= 16 the high nibble of byte p - 16 */
#define Q4_BODY \
"      _Pragma(\"unroll\") for (u32 k = 0; k < 4; k++) {\n" \
"        u32 q = fd_stage_word(blk + 2, k), lo = q & 0x0F0F0F0Fu, hi = (q >> 4) & 0x0F0F0F0Fu;\n" \
"        float4 xl = x4[32 * k], xh = x4[32 * (k + 4)];\n" \
"        s = fmaf(fd_nib_f(lo, 0), xl.x, s); s = fmaf(fd_nib_f(lo, 1), xl.y, s);\n" \
"        s = fmaf(fd_nib_f(lo, 2), xl.z, s); s = fmaf(fd_nib_f(lo, 3), xl.w, s);\n" \
"        s = fmaf(fd_nib_f(hi, 0), xh.x, s); s = fmaf(fd_nib_f(hi, 1), xh.y, s);\n" \
"        s = fmaf(fd_nib_f(hi, 2), xh.z, s); s = fmaf(fd_nib_f(hi, 3), xh.w, s);\n" \
"      }\n"

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
"__device__ __forceinline__ const float *fd_input(const fd_args &a, float *xs, bool once) {\n"
"  /* one row group per block: x is read once, in place (through L1), rather\n"
"   * than staged first; a block that loops over row groups stages it */\n"
"  if (FD_X_DIRECT && (((u64)a.x) & 15) == 0 && once) return a.x;\n"
"  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;\n"
"  u32 vec = (((u64)a.x) & 15) == 0 ? a.cols / 4 * 4 : 0;   /* copied as float4 */\n"
"  for (u32 i = tid; 4 * i < vec; i += nt) *(float4 *)(xs + fd_xs_index(4 * i)) = ((const float4 *)a.x)[i];\n"
"  for (u32 i = vec + tid; i < a.cols; i += nt) xs[fd_xs_index(i)] = a.x[i];\n"
"  __syncthreads();\n"
"  return xs;\n"
"}\n", 0, 0, 0, FD_F32, (void (*)(void))input_plain_cpu };

static const fd_stage_arg rmsnorm_args[] = {
    { "norm_w", FD_ARG_IN, FD_ACT, FD_PT_TENSOR }, { "eps", FD_ARG_PARAM, 0, FD_PT_float },
};
const fd_stage FD_STAGE_INPUT_RMSNORM = { "rmsnorm", FD_STAGE_INPUT, rmsnorm_args, 2, NULL,
"__device__ __forceinline__ const float *fd_input(const fd_args &a, float *xs, bool once) {\n"
"  __shared__ float part[32];\n"
"  (void)once;\n"
"  u32 tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;\n"
"  float ss = 0.0f;\n"
"  for (u32 i = tid; i < a.cols; i += nt) { float v = a.x[i]; ss += v * v; }\n"
"  ss = warp_sum(ss);\n"
"  if ((tid & 31) == 0) part[tid >> 5] = ss;\n"
"  __syncthreads();\n"
"  ss = 0.0f;\n"
"  for (u32 w = 0; w < nt / 32; w++) ss += part[w];\n"
"  float scale = rsqrtf(ss / (float)a.cols + a.eps);\n"
"  for (u32 i = tid; i < a.cols; i += nt) xs[fd_xs_index(i)] = a.x[i] * scale * a.norm_w[i];\n"
"  __syncthreads();\n"
"  return xs;\n"
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
 * them to the epilogue. Shared memory: x (fd_xs_floats), the weights, then
 * the cross-warp sums (8 warps x 3). The weights go one of two ways:
 *   whole slice  when the dispatch gives the block other than the shared
 *                memory streaming takes (it does for a small quantized GEMV:
 *                room for the slice, never exactly that size), block b takes
 *                rows [S b, S b + S) with S = ceil(rows / blocks), copies
 *                those rows of every product with cp.async before it waits
 *                for its predecessor, and computes from shared memory: a
 *                small GEMV's weights are one DRAM round trip that overlaps
 *                the kernel before it, and a row costs only its dot product.
 *   streamed     otherwise row groups take rows b, b + blocks, ... and each
 *                warp streams its rows through FD_STAGE_BYTES of staging
 *                (fd_row_begin, fd_dot_row); before the wait it starts its
 *                first row and prefetches the rest of it into L2.
 * A programmatic dependent launch of this kernel happens only when its
 * weights are read-only (gemv_dispatch), so no kernel still running writes
 * what it reads before the wait. The next kernel may launch only once this
 * one has passed its wait, so at most two kernels overlap. */
#define GEMV_MAIN_CODE \
"/* row j of product i, or NULL past its rows */\n" \
"__device__ __forceinline__ const void *fd_row(const fd_args &a, int i, u32 j) {\n" \
"  if (i == 0) return j < a.rows0 ? a.w0 + (u64)j * fd_row_stride(a.w0, a.cols) : 0;\n" \
"#if FD_NOUT > 1\n" \
"  if (i == 1) return j < a.rows1 ? a.w1 + (u64)j * fd_row_stride(a.w1, a.cols) : 0;\n" \
"#endif\n" \
"#if FD_NOUT > 2\n" \
"  if (i == 2) return j < a.rows2 ? a.w2 + (u64)j * fd_row_stride(a.w2, a.cols) : 0;\n" \
"#endif\n" \
"  return 0;\n" \
"}\n" \
"__device__ __forceinline__ u32 fd_rows(const fd_args &a, int i) {\n" \
"  return i == 0 ? a.rows0 : FD_NOUT > 1 && i == 1 ? a.rows1 : FD_NOUT > 2 && i == 2 ? a.rows2 : 0;\n" \
"}\n" \
"/* the row this row group reads after product i of row j: the policy stages it early */\n" \
"__device__ __forceinline__ const void *fd_next_row(const fd_args &a, int i, u32 j, u32 step) {\n" \
"  for (int k = i + 1; k < FD_NOUT; k++) if (fd_row(a, k, j)) return fd_row(a, k, j);\n" \
"  for (int k = 0; k < FD_NOUT; k++) if (fd_row(a, k, j + step)) return fd_row(a, k, j + step);\n" \
"  return 0;\n" \
"}\n" \
"__device__ __forceinline__ void fd_prefetch_row(const fd_args &a, u32 j) {\n" \
"  for (int i = 0; i < FD_NOUT; i++) {\n" \
"    const void *r = fd_row(a, i, j);\n" \
"    if (r) fd_prefetch_l2(r, fd_row_stride(a.w0, a.cols) * sizeof *a.w0);\n" \
"  }\n" \
"}\n" \
"/* Sums each product over the row group (warp shuffles, then through `red`\n" \
" * when a row spans warps): thread 0 of the group ends with the totals. Every\n" \
" * thread of the block calls it together. */\n" \
"__device__ __forceinline__ void fd_group_sum(float *v, u32 t, u32 tpr, u32 wid, float *red) {\n" \
"  for (int i = 0; i < FD_NOUT; i++) v[i] = warp_sum(v[i]);\n" \
"  if (tpr > 32) {\n" \
"    if ((t & 31) == 0) for (int i = 0; i < FD_NOUT; i++) red[wid * 3 + i] = v[i];\n" \
"    __syncthreads();\n" \
"    if (t == 0) for (int i = 0; i < FD_NOUT; i++) {\n" \
"      v[i] = 0.0f;\n" \
"      for (u32 w = 0; w < tpr / 32; w++) v[i] += red[(threadIdx.y * (tpr / 32) + w) * 3 + i];\n" \
"    }\n" \
"    __syncthreads();\n" \
"  }\n" \
"}\n" \
"#if FD_WHOLE_SLICE\n" \
"__device__ __forceinline__ u32 fd_dynamic_smem() { u32 n; asm(\"mov.u32 %0, %%dynamic_smem_size;\" : \"=r\"(n)); return n; }\n" \
"/* The whole-slice path: rows [r0, r0 + S) of every product. */\n" \
"__device__ __forceinline__ void fd_gemv_slice(const fd_args &a, float *xs, unsigned char *ws, u32 S,\n" \
"                                              u32 nmax, u64 rb) {\n" \
"  u32 t = threadIdx.x, tpr = blockDim.x, rpb = blockDim.y;\n" \
"  u32 tid = threadIdx.y * tpr + t, nt = tpr * rpb, wid = tid >> 5;\n" \
"  u32 r0 = blockIdx.x * S, r1 = r0 + S < nmax ? r0 + S : nmax;\n" \
"  u32 region = (u32)((S * rb + 31) & ~15ull);   /* product i's rows land at ws + i * region */\n" \
"  float *red = (float *)(ws + FD_NOUT * region);\n" \
"  u64 sa;\n" \
"  asm volatile(\"cvta.to.shared.u64 %0, %1;\" : \"=l\"(sa) : \"l\"((u64)ws));\n" \
"  for (int i = 0; i < FD_NOUT; i++) {\n" \
"    u32 e = r1 < fd_rows(a, i) ? r1 : fd_rows(a, i);\n" \
"    if (r0 >= e) continue;\n" \
"    u64 src = (u64)fd_row(a, i, r0), lo = src & ~15ull, n = (src + (e - r0) * rb + 15 - lo) / 16, g;\n" \
"    asm volatile(\"cvta.to.global.u64 %0, %1;\" : \"=l\"(g) : \"l\"(lo));\n" \
"    for (u32 k = tid; k < n; k += nt) fd_cp16_at((u32)sa + i * region + 16 * k, g + 16ull * k);\n" \
"  }\n" \
"  fd_cp_commit();\n" \
"  fd_pdl_wait();\n" \
"  fd_pdl_launch();\n" \
"  const float *x = fd_input(a, xs, S <= rpb);\n" \
"  asm volatile(\"cp.async.wait_all;\" ::: \"memory\");\n" \
"  __syncthreads();\n" \
"  for (u32 base = r0; base < r1; base += rpb) {\n" \
"    u32 j = base + threadIdx.y;\n" \
"    float v[3] = { 0.0f, 0.0f, 0.0f };\n" \
"    for (int i = 0; i < FD_NOUT; i++)\n" \
"      if (j < r1 && j < fd_rows(a, i))   /* row r0's offset mod 16 recomputed, not kept: 40 registers */\n" \
"        v[i] = fd_dot_smem(ws + i * region + ((u32)(u64)fd_row(a, i, r0) & 15) + (j - r0) * (u32)rb, x, a.cols, t, tpr);\n" \
"    fd_group_sum(v, t, tpr, wid, red);\n" \
"    if (t == 0 && j < r1) fd_epilogue(a, j, v);\n" \
"  }\n" \
"}\n" \
"#endif\n" \
"FD_KERNEL(fd_args a) {\n" \
"  extern __shared__ float4 fd_smem4[];\n" \
"  float *xs = (float *)fd_smem4;\n" \
"  unsigned char *ws = (unsigned char *)(xs + fd_xs_floats(a.cols));\n" \
"  u32 t = threadIdx.x, tpr = blockDim.x, rpb = blockDim.y, step = gridDim.x * rpb;\n" \
"  u32 wid = (threadIdx.y * tpr + t) >> 5;\n" \
"  u32 nmax = a.rows0;\n" \
"  if (FD_NOUT > 1 && a.rows1 > nmax) nmax = a.rows1;\n" \
"  if (FD_NOUT > 2 && a.rows2 > nmax) nmax = a.rows2;\n" \
"#if FD_WHOLE_SLICE\n" \
"  if (fd_dynamic_smem() != (u32)(ws - (unsigned char *)xs) + 8 * FD_STAGE_BYTES + " FD_STR(FD_GEMV_RED_BYTES) ") {\n" \
"    fd_gemv_slice(a, xs, ws, (nmax + gridDim.x - 1) / gridDim.x, nmax, fd_row_stride(a.w0, a.cols) * sizeof *a.w0);\n" \
"    return;\n" \
"  }\n" \
"#endif\n" \
"  unsigned char *stage = ws + wid * FD_STAGE_BYTES;\n" \
"  float *red = (float *)(ws + 8 * FD_STAGE_BYTES);\n" \
"  u32 j0 = blockIdx.x * rpb + threadIdx.y;\n" \
"  fd_pipe pipe = {};\n" \
"  for (int i = 0; i < FD_NOUT; i++)\n" \
"    if (fd_row(a, i, j0)) { fd_row_begin(fd_row(a, i, j0), fd_next_row(a, i, j0, step), a.cols, t, tpr, stage, pipe); break; }\n" \
"  if (t == 0) fd_prefetch_row(a, j0);\n" \
"  fd_pdl_wait();\n" \
"  fd_pdl_launch();\n" \
"  const float *x = fd_input(a, xs, step >= nmax);\n" \
"  for (u32 base = blockIdx.x * rpb; base < nmax; base += step) {\n" \
"    u32 j = base + threadIdx.y;\n" \
"    float v[3] = { 0.0f, 0.0f, 0.0f };\n" \
"    if (j < a.rows0) v[0] = fd_dot_row(a.w0 + (u64)j * fd_row_stride(a.w0, a.cols), fd_next_row(a, 0, j, step), x, a.cols, t, tpr, stage, pipe);\n" \
"#if FD_NOUT > 1\n" \
"    if (j < a.rows1) v[1] = fd_dot_row(a.w1 + (u64)j * fd_row_stride(a.w1, a.cols), fd_next_row(a, 1, j, step), x, a.cols, t, tpr, stage, pipe);\n" \
"#endif\n" \
"#if FD_NOUT > 2\n" \
"    if (j < a.rows2) v[2] = fd_dot_row(a.w2 + (u64)j * fd_row_stride(a.w2, a.cols), fd_next_row(a, 2, j, step), x, a.cols, t, tpr, stage, pipe);\n" \
"#endif\n" \
"    fd_group_sum(v, t, tpr, wid, red);\n" \
"    if (t == 0 && j < nmax) fd_epilogue(a, j, v);\n" \
"  }\n" \
"}\n"

const fd_stage FD_STAGE_GEMV = { "gemv", FD_STAGE_MAIN, main1_args, 4, NULL, GEMV_MAIN_CODE, 1, 0, FD_KERNEL_PDL, FD_F32, NULL };
const fd_stage FD_STAGE_GEMV2 = { "gemv2", FD_STAGE_MAIN, main1_args, 4, NULL, GEMV_MAIN_CODE, 2, 0, FD_KERNEL_PDL, FD_F32, NULL };
const fd_stage FD_STAGE_GEMV3 = { "gemv3", FD_STAGE_MAIN, main1_args, 4, NULL, GEMV_MAIN_CODE, 3, 0, FD_KERNEL_PDL, FD_F32, NULL };

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
"}\n", 0, 1, FD_KERNEL_INPLACE, FD_F32, (void (*)(void))epi_residual_cpu };

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
