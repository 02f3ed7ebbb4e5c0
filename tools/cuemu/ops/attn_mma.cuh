// attn_mma.cuh (emulation) — src/ops/attn_mma.cuh on the CPU: the warp's
// fragments gathered through the scheduler's warp barriers, the product
// summed in f32 (the hardware's order of sums differs: a few ulps), the
// 16-bit types rounded to nearest even as cvt.rn does.
static inline u16 emu_f2h(float f) {   // IEEE half, round to nearest even (finite inputs)
  u32 u = __float_as_uint(f), s = (u >> 16) & 0x8000u; float a = fabsf(f);
  if (a >= 65520.0f) return (u16)(s | 0x7c00u);
  if (a < 6.103515625e-05f) return (u16)(s | (u32)nearbyintf(a * 16777216.0f));   // subnormal: units of 2^-24
  int e; float m = frexpf(a, &e);   // a = m 2^e, m in [0.5, 1)
  u32 mant = (u32)nearbyintf(m * 2048.0f);   // 11 bits with the leading one
  if (mant == 2048) { mant = 1024; e++; }
  return (u16)(s | (u32)(e + 14) << 10 | (mant & 1023u)); }
static inline u16 emu_f2b(float f) { u32 u = __float_as_uint(f); return (u16)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16); }
static inline u32 fd_tc_pack2(const fd_f16 *, float lo, float hi) { return emu_f2h(lo) | (u32)emu_f2h(hi) << 16; }
static inline u32 fd_tc_pack2(const fd_bf16 *, float lo, float hi) { return emu_f2b(lo) | (u32)emu_f2b(hi) << 16; }
static inline float emu_half(const fd_f16 *, u32 w, int hi) { return h2f((u16)(hi ? w >> 16 : w)); }
static inline float emu_half(const fd_bf16 *, u32 w, int hi) { return fd_b2f((u16)(hi ? w >> 16 : w)); }
static u32 g_mma_a[1024][4], g_mma_b[1024][2];
template <class T> static inline void fd_tc_mma(const T *tag, float *c, const u32 *a, const u32 *b) {
  int t = g_cur, w = t & ~31, l = t & 31, g = l >> 2, q = l & 3;
  memcpy(g_mma_a[t], a, 16); memcpy(g_mma_b[t], b, 8);
  __syncwarp();
  auto A = [&](int r, int k) { return emu_half(tag, g_mma_a[w + (r & 7) * 4 + (k & 7) / 2][(r >> 3) + 2 * (k >> 3)], k & 1); };
  auto B = [&](int k, int n) { return emu_half(tag, g_mma_b[w + n * 4 + (k & 7) / 2][k >> 3], k & 1); };
  for (int i = 0; i < 4; i++) {
    int r = g + 8 * (i >> 1), n = 2 * q + (i & 1);
    float s = 0; for (int k = 0; k < 16; k++) s += A(r, k) * B(k, n);
    c[i] += s;
  }
  __syncwarp(); }
static const unsigned char *g_ldsm[1024];
static inline void fd_tc_ldsm4_trans(const void *row, u32 *r) {
  int t = g_cur, w = t & ~31, l = t & 31, g = l >> 2, q = l & 3;
  g_ldsm[t] = (const unsigned char *)row;
  __syncwarp();
  for (int i = 0; i < 4; i++) {   // matrix i: rows from lanes 8i..8i+7; this lane's (2q, g), (2q+1, g)
    u16 lo, hi; memcpy(&lo, g_ldsm[w + 8 * i + 2 * q] + 2 * g, 2); memcpy(&hi, g_ldsm[w + 8 * i + 2 * q + 1] + 2 * g, 2);
    r[i] = lo | (u32)hi << 16;
  }
  __syncwarp(); }
