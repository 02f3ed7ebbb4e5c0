/* kv_page.cuh — the paged KV cache's addressing on the device: position p of
 * kv head j lives in row (pages[p / P] * KV + j) * P + p % P of a layer's
 * (NP, KV, P, hd) cache (include/foundry/ops.h, fd_kv_row there).
 *
 * Layer: ops (device code shared by the cache's writers and readers). P is
 * FD_KV_PAGE, defined by the kernel's text from the C define
 * (FD_KV_PAGE_CUDA, ops/ops.h): one source for both sides. */
#ifndef FD_KV_PAGE
#error "FD_KV_PAGE is undefined: put FD_KV_PAGE_CUDA (ops/ops.h) before the kernel's includes"
#endif
#if FD_KV_PAGE % 32
#error "FD_KV_PAGE must be a multiple of 32 (the attention kernels' tile of positions)"
#endif
/* the first row of physical page `page` for kv head j */
__device__ __forceinline__ u64 fd_kv_page_row(int page, u32 kv_heads, u32 j) {
  return ((u64)(u32)page * kv_heads + j) * FD_KV_PAGE; }
__device__ __forceinline__ u64 fd_kv_row(const int *pages, u32 kv_heads, u32 j, u32 p) {
  return fd_kv_page_row(pages[p / FD_KV_PAGE], kv_heads, j) + p % FD_KV_PAGE; }
