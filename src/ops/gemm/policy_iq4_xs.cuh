/* policy_iq4_xs.cuh — GEMM weight policy for iq4_xs rows (256-value super-blocks),
 * dequantized a 32-value unit per k-tile to f16 in shared memory
 * (kquant_policy.cuh).
 *
 * Layer: ops (device code of the GEMM family). */
#define FD_W fd_iq4_xs
#include "ops/gemm/kquant_policy.cuh"
