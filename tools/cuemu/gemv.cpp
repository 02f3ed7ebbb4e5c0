// gemv.cpp — the int8 activation contract on the CPU (emu.h): the quantized
// policy's fd_input (x and its residual into int8 blocks in shared memory,
// warp by warp) and its fd_block_dot (dp4a products), a warp per row as the
// whole-slice path walks it, against the CPU twin (src/ops/gemv/int8_ref.c):
// both levels' q, d, s in shared memory bit for bit, y within 1e-5 relative
// (f32 vs double sums) and within 1e-4 of the f32-activation product.
// Types without a quantizer get random blocks. 256-value super-block types
// (FD_QK 256: a lane's unit j of a super-block) get columns rounded up to 256.
// Built once per policy: -DPOLICY='"ops/gemv/policy_q8_0.cuh"' -DDT=FD_Q8_0.
#include "emu.h"
extern "C" {
#include "ops/gemv/int8_ref.h"
}
struct fd_args { const float *x, *norm_w; u32 cols; float eps; };
#include "ops/gemv/input_plain.cuh"
#include POLICY
static const unsigned char *g_w; static u32 g_rows, g_rb; static float *g_y; static unsigned char g_smem[FD_GEMV_XQ_BYTES(16384) + 64];
static void body(void *p) {
  const fd_args &a = *(const fd_args *)p;
  fd_xin x = fd_input(a, g_smem, false);
  u32 lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (u32 j = warp; j < g_rows; j += 8) {
    float acc = warp_sum(fd_dot_smem(g_w + j * g_rb, x, a.cols, lane, 32));
    if (lane == 0) g_y[j] = acc;
  }
}
static uint64_t rs = 88172645463325252ull;
static float rnd() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (float)((rs >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1; }
static int run(u32 rows, u32 cols, bool outliers) {
  cols = (cols + FD_QK - 1) / FD_QK * FD_QK;
  std::vector<float> x(cols), wf((size_t)rows * cols), y(rows), want(rows), dd(cols / 8), exact(rows);
  for (auto &v : x) v = rnd();
  if (outliers) { x[3] *= 100; x[cols / 2] *= -100; }
  x[32 * 1 + 5] = 0; for (u32 i = 64; i < 96 && cols >= 96; i++) x[i] = 0;   // a block of zeros: d = 0
  for (auto &v : wf) v = rnd();
  g_rb = (u32)(cols / FD_QK * fd_dtype_block_bytes(DT));
  std::vector<unsigned char> w((size_t)rows * g_rb + 8);
  if (fd_dtype_can_write(DT)) fd_quantize_row(DT, wf.data(), w.data(), wf.size());
  else {   // no quantizer (read-only types): random blocks, then finite f16 scales (and mins) where the type has them
    for (auto &c : w) c = (unsigned char)(rnd() * 128 + 128);
    bool min = DT == FD_Q4_1 || DT == FD_Q5_1 || DT == FD_Q2_K || DT == FD_Q4_K || DT == FD_Q5_K;
    size_t at = DT == FD_Q2_K ? 80 : DT == FD_Q3_K ? 108 : DT == FD_Q6_K ? 208 : 0;   // where d (and dmin) sit
    for (size_t b = 0; b < (size_t)rows * cols / FD_QK; b++) {
      uint16_t h[2] = { fd_f32_to_f16(rnd() * 0.02f), fd_f32_to_f16(rnd() * 0.1f) };
      memcpy(w.data() + b * fd_dtype_block_bytes(DT) + at, h, min ? 4 : 2);
    }
  }
  g_w = w.data(); g_rows = rows; g_y = y.data();
  fd_args a = { x.data(), nullptr, cols, 0 };
  launch(body, &a, {1, 1, 1}, {256, 1, 1}, false);
  std::vector<int8_t> q(2 * cols); std::vector<float> scratch(cols);
  u32 nb = cols / 32;
  fd_int8_quantize_x(x.data(), cols, q.data(), dd.data(), dd.data() + nb);
  fd_int8_residual_x(x.data(), cols, q.data(), dd.data(), q.data() + cols, dd.data() + 2 * nb, dd.data() + 3 * nb);
  fd_int8_gemv_rows(DT, w.data(), q.data(), dd.data(), 2, want.data(), rows, cols, scratch.data(), 1);
  int qbad = 0;
  for (int l = 0; l < 2; l++) {
    const unsigned char *xs = g_smem + l * FD_GEMV_XQ_LEVEL_BYTES(cols);
    for (u32 i = 0; i < cols; i++) qbad += (int8_t)xs[fd_xs_index(i)] != q[l * cols + i];
    const float2 *xd = (const float2 *)(xs + (cols + 1023) / 1024 * 1024);
    for (u32 b = 0; b < nb; b++) qbad += xd[b].x != dd[2 * l * nb + b] || xd[b].y != dd[(2 * l + 1) * nb + b];
  }
  std::vector<float> row(cols);   // the f32-activation product on the same weights
  for (u32 j = 0; j < rows; j++) {
    fd_dequantize_row(DT, w.data() + (size_t)j * g_rb, row.data(), cols);
    double a = 0; for (u32 i = 0; i < cols; i++) a += (double)row[i] * x[i];
    exact[j] = (float)a;
  }
  double num = 0, den = 0, ne = 0, de = 0;
  for (u32 j = 0; j < rows; j++) {
    double t = want[j];
    num += (y[j] - t) * (y[j] - t), den += t * t;
    ne += (t - exact[j]) * (t - exact[j]), de += (double)exact[j] * exact[j];
  }
  double e = sqrt(num / den), ex = sqrt(ne / de);
  printf("%s rows %4u cols %4u%s: q/d/s mismatches %d, y rel err vs twin %.2e, twin vs f32 x %.2e\n", fd_dtype_name(DT), rows,
         cols, outliers ? " outliers" : "", qbad, e, ex);
  return qbad || !(e <= 1e-5) || !(ex <= 1e-4);
}
int main() { int f = 0;
  f += run(64, 896, false); f += run(37, 4096, true); f += run(9, 96, false); f += run(5, 14336, true);   // 14,336: two rounds of the prologue's batches
  printf("%s\n", f ? "FAIL" : "ALL OK"); return f; }
