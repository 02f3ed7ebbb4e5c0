/* policy_q5_0.cuh — GEMM weight policy for q5_0 rows (22-byte blocks: f16
 * scale, the 32 fifth bits qh, 32 nibbles as q4_0's; value d (q - 16)),
 * dequantized to f16 in shared memory.
 *
 * Layer: ops (device code of the GEMM family). */
#include "ops/quant_words.cuh"
#define FD_GEMM_OP 0
#define FD_W fd_q5_0
#define FD_BB 22
#define FD_GEMM_WRAW FD_GEMM_WRAW_Q5_0
#define FD_QWORD_AT(blk, h, k) \
  (((fd_qword((blk) + 6, k) >> (4 * (h))) & 0x0F0F0F0Fu) | fd_qh_word((blk)[2 + ((k) + 4 * (h)) / 2], ((k) + 4 * (h)) & 1))
#define FD_QBIAS 8388624.0f                  /* 2^23 + 16 */
#include "ops/gemm/quant_policy.cuh"
