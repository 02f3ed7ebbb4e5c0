/* policy_f32.cuh — GEMM weight policy for f32 rows: the SIMT path (f32 fma,
 * nothing rounded; see ops/gemm/simt.cuh). f32 matrices are not what models
 * ship for their products, so this path is for completeness, not speed.
 *
 * Layer: ops (device code of the GEMM family). */
#define FD_GEMM_OP 2
#include "ops/gemm/layout.cuh"
