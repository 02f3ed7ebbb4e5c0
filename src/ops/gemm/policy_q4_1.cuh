/* policy_q4_1.cuh — GEMM weight policy for q4_1 rows (20-byte blocks: f16
 * scale d, f16 min m, 32 nibbles as q4_0's; value d n + m), dequantized to
 * f16 in shared memory.
 *
 * Layer: ops (device code of the GEMM family). */
#define FD_GEMM_OP 0
#define FD_W fd_q4_1
#define FD_BB 20
#define FD_GEMM_WRAW FD_GEMM_WRAW_Q4_0   /* 4-byte aligned blocks: 2 granules */
#define FD_QOFF(h) 4
#define FD_QWORD(w, h) (((w) >> (4 * (h))) & 0x0F0F0F0Fu)
#define FD_QBIAS 8388608.0f                  /* 2^23 */
#define FD_QMIN 2
#include "ops/gemm/quant_policy.cuh"
