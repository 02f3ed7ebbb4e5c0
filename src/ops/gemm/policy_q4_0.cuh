/* policy_q4_0.cuh — GEMM weight policy for q4_0 rows (18-byte blocks: f16
 * scale, 32 nibbles; value p < 16 the low nibble of byte p, value p >= 16
 * the high nibble of byte p - 16), dequantized to f16 in shared memory.
 *
 * Layer: ops (device code of the GEMM family). */
#define FD_GEMM_OP 0
#define FD_W fd_q4_0
#define FD_BB 18
#define FD_GEMM_WRAW FD_GEMM_WRAW_Q4_0
#define FD_QOFF(h) 2
#define FD_QWORD(w, h) (((w) >> (4 * (h))) & 0x0F0F0F0Fu)
#define FD_QBIAS 8388616.0f                  /* 2^23 + 8 */
#include "ops/gemm/quant_policy.cuh"
