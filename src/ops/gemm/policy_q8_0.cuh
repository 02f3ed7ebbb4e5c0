/* policy_q8_0.cuh — GEMM weight policy for q8_0 rows (34-byte blocks: f16
 * scale, 32 int8), dequantized to f16 in shared memory.
 *
 * Layer: ops (device code of the GEMM family). */
#define FD_GEMM_OP 0
#define FD_W fd_q8_0
#define FD_BB 34
#define FD_GEMM_WRAW FD_GEMM_WRAW_Q8_0
#define FD_QOFF(h) (2 + 16 * (h))
#define FD_QWORD(w, h) ((w) ^ 0x80808080u)   /* each byte + 128 */
#define FD_QBIAS 8388736.0f                  /* 2^23 + 128 */
#include "ops/gemm/quant_policy.cuh"
