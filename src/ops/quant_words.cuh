/* quant_words.cuh — the legacy types' quant words as four bytes, shared by
 * the GEMV (int8 dp4a) and GEMM (f16 dequantization) policies: IQ4_NL's
 * table lookup and Q5's fifth bits. No inline PTX (tools/cuemu runs it).
 *
 * Layer: ops (device code of the quantized weight policies). */
#ifndef FD_QUANT_WORDS_CUH
#define FD_QUANT_WORDS_CUH
/* IQ4_NL's 16 int8 values (kvalues_iq4nl), four to a word, little-endian */
#define FD_IQ4NL_T0 0xBFAD9881u   /* -127 -104 -83 -65 */
#define FD_IQ4NL_T1 0xF6EADDCFu   /*  -49  -35 -22 -10 */
#define FD_IQ4NL_T2 0x26190D01u   /*    1   13  25  38 */
#define FD_IQ4NL_T3 0x71594535u   /*   53   69  89 113 */
/* four nibbles (one per byte, 0..15) looked up into their four int8 values:
 * two byte permutes on the low three bits, bit 3 picks between them */
__device__ __forceinline__ u32 fd_iq4nl_word(u32 n) {
  u32 t = n & 0x07070707u, x = t | (t >> 4), s = (x & 0xFFu) | ((x >> 8) & 0xFF00u);
  u32 lo = __byte_perm(FD_IQ4NL_T0, FD_IQ4NL_T1, s), hi = __byte_perm(FD_IQ4NL_T2, FD_IQ4NL_T3, s);
  u32 m = ((n >> 3) & 0x01010101u) * 0xFFu;
  return (lo & ~m) | (hi & m); }
/* a Q5 word's fifth bits: bits 4k .. 4k + 3 of qh as bit 4 of the word's four bytes */
__device__ __forceinline__ u32 fd_qh_word(u32 qh, u32 k) { return (((qh >> (4 * k)) & 15u) * 0x00204081u & 0x01010101u) << 4; }
#endif
