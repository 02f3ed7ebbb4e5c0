/* policy_f16.cuh — GEMV weight policy for f16 rows.
 *
 * Layer: ops (device code of the GEMV family). */
#define FD_W fd_f16
#define FD_VPE 8
#define FD_DOT dot8_h
#include "ops/gemv/float_policy.cuh"
