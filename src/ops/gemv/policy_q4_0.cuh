/* policy_q4_0.cuh — GEMV weight policy for q4_0 rows (18-byte blocks: f16
 * scale, 32 nibbles). Value p < 16 is the low nibble of byte p, value
 * p >= 16 the high nibble of byte p - 16.
 *
 * Layer: ops (device code of the GEMV family). */
#define FD_W fd_q4_0
#define FD_BB 18
#define FD_QBODY \
      _Pragma("unroll") for (u32 k = 0; k < 4; k++) { \
        u32 q = fd_stage_word(blk + 2, k), lo = q & 0x0F0F0F0Fu, hi = (q >> 4) & 0x0F0F0F0Fu; \
        float4 xl = x4[32 * k], xh = x4[32 * (k + 4)]; \
        s = fmaf(fd_nib_f(lo, 0), xl.x, s); s = fmaf(fd_nib_f(lo, 1), xl.y, s); \
        s = fmaf(fd_nib_f(lo, 2), xl.z, s); s = fmaf(fd_nib_f(lo, 3), xl.w, s); \
        s = fmaf(fd_nib_f(hi, 0), xh.x, s); s = fmaf(fd_nib_f(hi, 1), xh.y, s); \
        s = fmaf(fd_nib_f(hi, 2), xh.z, s); s = fmaf(fd_nib_f(hi, 3), xh.w, s); \
      }
#include "ops/gemv/quant_policy.cuh"
