/* policy_q8_0.cuh — GEMV weight policy for q8_0 rows (34-byte blocks: f16
 * scale, 32 int8).
 *
 * Layer: ops (device code of the GEMV family). */
#define FD_W fd_q8_0
#define FD_BB 34
#define FD_QBODY \
      _Pragma("unroll") for (u32 k = 0; k < 8; k++) { \
        u32 q = fd_stage_word(blk + 2, k) ^ 0x80808080u;   /* each byte + 128 */ \
        float4 xv = x4[32 * k]; \
        s = fmaf(fd_s8_f(q, 0), xv.x, s); s = fmaf(fd_s8_f(q, 1), xv.y, s); \
        s = fmaf(fd_s8_f(q, 2), xv.z, s); s = fmaf(fd_s8_f(q, 3), xv.w, s); \
      }
#include "ops/gemv/quant_policy.cuh"
