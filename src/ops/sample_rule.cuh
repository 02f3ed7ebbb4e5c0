/* sample_rule.cuh — the sampler's arithmetic, written once for the host and
 * the device: Philox4x32-10, the penalties, the sort key, a token's weight
 * and the penalty window. Included by ops/sample.c (C11) and, embedded, by
 * ops/sample.cuh and ops/philox.cuh (NVRTC), so both sides run the same
 * operations in the same order; the float steps use explicitly rounded
 * intrinsics on the device (no FMA contraction), plain C on the host.
 *
 * Layer: ops. */
#ifndef FD_SAMPLE_RULE_CUH
#define FD_SAMPLE_RULE_CUH
#if defined(__CUDACC_RTC__) || defined(__CUDACC__)
#define FD_HD __device__ __forceinline__
typedef unsigned int fd_u32;
typedef unsigned long long fd_u64;
#define FD_FMUL(a, b) __fmul_rn(a, b)
#define FD_FDIV(a, b) __fdiv_rn(a, b)
#define FD_FADD(a, b) __fadd_rn(a, b)
#define FD_FSUB(a, b) __fsub_rn(a, b)
#define FD_F2U(f) __float_as_uint(f)
#define FD_D2U(d) __double2ull_rn(d)
#else
#include <math.h>
#include <stdint.h>
#include <string.h>
#define FD_HD static inline
typedef uint32_t fd_u32;
typedef uint64_t fd_u64;
#define FD_FMUL(a, b) ((a) * (b))
#define FD_FDIV(a, b) ((a) / (b))
#define FD_FADD(a, b) ((a) + (b))
#define FD_FSUB(a, b) ((a) - (b))
static inline fd_u32 FD_F2U(float f) { fd_u32 u; memcpy(&u, &f, 4); return u; }
#define FD_D2U(d) ((fd_u64)llrint(d))
#endif

/* Philox4x32-10 (Salmon et al., Random123): out = philox(ctr, key). */
FD_HD void fd_philox4x32_10(const fd_u32 ctr[4], const fd_u32 key[2], fd_u32 out[4])
{
    fd_u32 c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        if (r) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
        fd_u64 p0 = (fd_u64)0xD2511F53u * c0, p1 = (fd_u64)0xCD9E8D57u * c2;
        fd_u32 n0 = (fd_u32)(p1 >> 32) ^ c1 ^ k0, n2 = (fd_u32)(p0 >> 32) ^ c3 ^ k1;
        c1 = (fd_u32)p1, c3 = (fd_u32)p0, c0 = n0, c2 = n2;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

/* The 64-bit uniform of the draw at position `pos`: Philox keyed by the
 * seed, counter (pos, 0, 0, 0); words 0 and 1, low word first. */
FD_HD fd_u64 fd_samp_uniform(fd_u64 seed, int pos)
{
    fd_u32 c[4] = { (fd_u32)pos, 0, 0, 0 }, k[2] = { (fd_u32)seed, (fd_u32)(seed >> 32) }, o[4];
    fd_philox4x32_10(c, k, o);
    return (fd_u64)o[0] | (fd_u64)o[1] << 32;
}

/* floor(a * b / 2^64): a draw r scaled to [0, b). */
FD_HD fd_u64 fd_mulhi64(fd_u64 a, fd_u64 b)
{
    fd_u64 al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    fd_u64 ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    fd_u64 mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* A logit seen `c` times in the window, as llama.cpp penalises it (f32):
 * repetition divides a positive logit and multiplies one <= 0, then
 * count * frequency + presence is subtracted. c = 0: unchanged. */
FD_HD float fd_samp_penalize(float l, int c, float rep, float pres, float freq)
{
    if (c <= 0) return l;
    l = l <= 0.0f ? FD_FMUL(l, rep) : FD_FDIV(l, rep);
    float sub = FD_FADD(FD_FMUL((float)c, freq), pres);
    return FD_FSUB(l, sub);
}

/* The order-preserving key of a (non-NaN) logit: a larger logit has a
 * larger key; -0 and +0 share one. */
FD_HD fd_u32 fd_samp_key(float v)
{
    fd_u32 u = FD_F2U(v == 0.0f ? 0.0f : v);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* A token's weight: w = round(exp((pl - m) / T) * 2^44) with pl its
 * penalised logit and m the largest (so the top token weighs 2^44), or 0
 * when its relative probability exp(..) is below min_p (min-p's rule).
 * Weights are integers so every sum is exact in any order. `cut` = T *
 * max(-40, ln(min_p) - 1e-6) only skips the exp for tokens whose weight is
 * surely 0 either way (exp(-40) * 2^44 < 1e-4), so it changes no result. */
FD_HD fd_u64 fd_samp_weight(float pl, float m, double t, double cut, double min_p)
{
    double zd = (double)pl - (double)m;
    if (!(zd >= cut)) return 0;
    double e = exp(zd / t);
    if (e < min_p) return 0;
    return FD_D2U(e * 0x1p44);
}

/* The penalty window: positions [*lo, *hi] of hist (empty when *hi < *lo):
 * the last `last_n` positions up to pos inclusive, every one when last_n
 * < 0, none when 0; clipped to hist's cap entries. */
FD_HD void fd_samp_window(int pos, int last_n, fd_u32 cap, int *lo, int *hi)
{
    *lo = 0, *hi = -1;
    if (last_n == 0 || pos < 0 || cap == 0) return;
    *hi = (fd_u32)pos < cap ? pos : (int)cap - 1;
    long long l = last_n < 0 ? 0 : (long long)pos + 1 - last_n;
    *lo = l < 0 ? 0 : (int)l;
}
#endif
