/* policy_q4_k.cuh — GEMM weight policy for q4_k rows (256-value super-blocks),
 * dequantized a 32-value unit per k-tile to f16 in shared memory
 * (kquant_policy.cuh).
 *
 * Layer: ops (device code of the GEMM family). */
#define FD_W fd_q4_k
#include "ops/gemm/kquant_policy.cuh"
