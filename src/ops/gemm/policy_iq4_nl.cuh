/* policy_iq4_nl.cuh — GEMM weight policy for iq4_nl rows (18-byte blocks:
 * f16 scale, 32 nibbles as q4_0's indexing 16 fixed int8 values; value
 * d t[n]), dequantized to f16 in shared memory.
 *
 * Layer: ops (device code of the GEMM family). */
#include "ops/quant_words.cuh"
#define FD_GEMM_OP 0
#define FD_W fd_iq4_nl
#define FD_BB 18
#define FD_GEMM_WRAW FD_GEMM_WRAW_Q4_0
#define FD_QWORD_AT(blk, h, k) (fd_iq4nl_word((fd_qword((blk) + 2, k) >> (4 * (h))) & 0x0F0F0F0Fu) ^ 0x80808080u)
#define FD_QBIAS 8388736.0f                  /* 2^23 + 128: the int8 value + 128 */
#include "ops/gemm/quant_policy.cuh"
