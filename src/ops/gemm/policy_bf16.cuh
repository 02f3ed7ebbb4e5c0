/* policy_bf16.cuh — GEMM weight policy for bf16 rows: bf16 x bf16
 * tensor-core products (x rounded to bf16), f32 accumulators.
 *
 * Layer: ops (device code of the GEMM family). */
#define FD_GEMM_OP 1
#include "ops/gemm/float_policy.cuh"
