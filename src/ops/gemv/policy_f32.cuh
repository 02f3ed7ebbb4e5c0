/* policy_f32.cuh — GEMV weight policy for f32 rows.
 *
 * Layer: ops (device code of the GEMV family). */
#define FD_W float
#define FD_VPE 4
#define FD_DOT dot4_f
#include "ops/gemv/float_policy.cuh"
