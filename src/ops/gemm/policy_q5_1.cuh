/* policy_q5_1.cuh — GEMM weight policy for q5_1 rows (24-byte blocks: f16
 * scale d, f16 min m, the 32 fifth bits qh, 32 nibbles as q4_0's; value
 * d q + m), dequantized to f16 in shared memory.
 *
 * Layer: ops (device code of the GEMM family). */
#include "ops/quant_words.cuh"
#define FD_GEMM_OP 0
#define FD_W fd_q5_1
#define FD_BB 24
#define FD_GEMM_WRAW FD_GEMM_WRAW_Q4_0   /* 8-byte aligned blocks: 2 granules */
#define FD_QWORD_AT(blk, h, k) \
  (((fd_qword((blk) + 8, k) >> (4 * (h))) & 0x0F0F0F0Fu) | fd_qh_word((blk)[4 + ((k) + 4 * (h)) / 2], ((k) + 4 * (h)) & 1))
#define FD_QBIAS 8388608.0f                  /* 2^23 */
#define FD_QMIN 2
#include "ops/gemm/quant_policy.cuh"
