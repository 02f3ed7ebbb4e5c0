/* gemv_stages.h — the stages of the GEMV family: input (plain, RMSNorm),
 * weight policies (f32, f16, bf16, q8_0, q4_0), mains (one product, two,
 * three per row), epilogues (none, bias, SiLU, SwiGLU, residual).
 *
 * Layer: ops (internal). */
#ifndef FD_OPS_GEMV_STAGES_H
#define FD_OPS_GEMV_STAGES_H

#include "foundry/ops.h"
#include "kernel/compound.h"

/* Per-warp staging for quantized rows: two buffers, each 32 blocks (34 * 32
 * = 1088 bytes), the 16-byte-aligned window's edges (up to 30) and a word
 * read past the end, padded to 1152. Float rows stage only a row group's
 * first two batches: two buffers of four 16-byte vectors per lane. */
#define FD_GEMV_STAGE_BYTES 2304
#define FD_GEMV_FLOAT_STAGE_BYTES 4096
/* x in shared memory takes its columns rounded up to these many floats:
 * quantized policies interleave it in chunks of 1024 (fd_xs_index), float
 * ones read it as float4 */
#define FD_GEMV_XS_ROUND 1024
#define FD_GEMV_FLOAT_XS_ROUND 4
/* after the weights: the cross-warp sums, 8 warps x 3 products */
#define FD_GEMV_RED_BYTES 96

/* CPU functions of the stages, by kind. xs: (cols) f32; v: one product per main output. */
typedef void (*fd_gemv_input_cpu)(const fd_gemv_args *a, float *xs);
typedef void (*fd_gemv_epilogue_cpu)(const fd_gemv_args *a, uint32_t j, const float *v);

extern const fd_compound_family FD_GEMV_FAMILY;
extern const fd_stage FD_STAGE_INPUT_PLAIN, FD_STAGE_INPUT_RMSNORM;
extern const fd_stage FD_STAGE_LOAD_F32, FD_STAGE_LOAD_F16, FD_STAGE_LOAD_BF16, FD_STAGE_LOAD_Q8_0, FD_STAGE_LOAD_Q4_0;
extern const fd_stage FD_STAGE_GEMV, FD_STAGE_GEMV2, FD_STAGE_GEMV3;
extern const fd_stage FD_STAGE_EPI_NONE, FD_STAGE_EPI_BIAS, FD_STAGE_EPI_SILU, FD_STAGE_EPI_SWIGLU,
    FD_STAGE_EPI_RESIDUAL;

/* The policy stage that reads `dt`, or NULL. */
const fd_stage *fd_gemv_policy(fd_dtype dt);

#endif
