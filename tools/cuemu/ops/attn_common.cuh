// attn_common.cuh (emulation) — the helpers of src/ops/attn_common.cuh
// without PTX: plain loads for the L1-bypassing ones.
#define FD_LOG2E 1.4426950408889634f
static inline void fd_kv2(const fd_f16 *, u32 w, float *f) { f[0] = fd_lo_h(w); f[1] = fd_hi_h(w); }
static inline void fd_kv2(const fd_bf16 *, u32 w, float *f) { f[0] = fd_lo_b(w); f[1] = fd_hi_b(w); }
template <class T> static inline void fd_kv8(const T *tag, fd_v4 v, float *f) {
  fd_kv2(tag, v.x, f); fd_kv2(tag, v.y, f + 2); fd_kv2(tag, v.z, f + 4); fd_kv2(tag, v.w, f + 6); }
static inline float fd_ldcg(const float *p) { return *p; }
static inline float4 fd_ldcg4(const float *p) { emu_al16(p, "fd_ldcg4"); return *(const float4 *)p; }
