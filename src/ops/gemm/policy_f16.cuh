/* policy_f16.cuh — GEMM weight policy for f16 rows: f16 x f16 tensor-core
 * products (x rounded to f16), f32 accumulators.
 *
 * Layer: ops (device code of the GEMM family). */
#define FD_GEMM_OP 0
#include "ops/gemm/float_policy.cuh"
