// argmax.cpp — argmax.cuh on the CPU (emu.h): ties, NaN, all NaN, all -inf,
// padding past `valid`, an unaligned x; the ticket must end at zero.
#include "emu.h"
typedef float x_t; typedef int y_t; typedef int part_t; typedef int count_t;
struct fd_args { const x_t *x; y_t *y; part_t *part; count_t *count; u32 n, valid; };
#define FD_NAME kern_argmax
#include "ops/argmax.cuh"
static void body(void *p) { kern_argmax(*(fd_args *)p); }
static uint64_t rs = 88172645463325252ull;
static u64 nx() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
static float rnd() { return (float)((nx() >> 11) * (1.0 / 9007199254740992.0)) * 20 - 10; }
int run(u32 n, u32 valid, int kind, u32 off) {
  std::vector<float> buf(n + 8); float *x = buf.data() + off;
  for (u32 i = 0; i < n; i++) x[i] = rnd();
  if (kind == 1) { u32 a = nx() % (valid / 2 + 1), b = valid / 2 + nx() % (valid - valid / 2); x[a] = x[b] = 20; x[a ? a - 1 : 1 % n] = NAN; x[valid / 3] = NAN; if (n > valid) x[valid + (n - valid) / 2] = 100; }
  if (kind == 2) for (u32 i = 0; i < n; i++) x[i] = NAN;
  if (kind == 3) for (u32 i = 0; i < n; i++) x[i] = -INFINITY;
  int want = -1; for (u32 i = 0; i < valid; i++) if (x[i] == x[i] && (want < 0 || x[i] > x[want])) want = i;
  int y = -7; std::vector<int> part(512, 99); int cnt = 0;
  u32 B = (valid + 2047) / 2048; if (B > 256) B = 256;
  fd_args a = { x, &y, part.data(), &cnt, n, valid };
  launch(body, &a, {B, 1, 1}, {256, 1, 1}, kind & 1);
  printf("n %7u valid %7u kind %d off %u: %d want %d cnt %d\n", n, valid, kind, off, y, want, cnt);
  return y != want || cnt != 0;
}
int main() { int f = 0;
  for (int k = 0; k < 4; k++) { f += run(151936, 151665, k, 0); f += run(1000, 3, k, 0); f += run(5, 5, k, 0); f += run(100003, 99999, k, 1); f += run(1 << 20, 1000003, k, 0); }
  printf("%s\n", f ? "FAIL" : "ALL OK"); return f; }
