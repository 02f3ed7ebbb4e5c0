/* policy_bf16.cuh — GEMV weight policy for bf16 rows.
 *
 * Layer: ops (device code of the GEMV family). */
#define FD_W fd_bf16
#define FD_VPE 8
#define FD_DOT dot8_b
#include "ops/gemv/float_policy.cuh"
