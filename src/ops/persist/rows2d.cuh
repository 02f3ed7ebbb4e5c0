/* rows2d.cuh — the persistent kernel's linear block (FD_PERSIST_THREADS
 * threads in x) as the GEMV main's row groups: a warp a row (FD_TX the lane,
 * FD_TY the warp), so a row's sum needs no block barrier. Included before a
 * GEMV-based member's kernel code (ops/gemv/main.cuh reads the macros); the
 * generator undefines them after the member.
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/). */
#define FD_TX (threadIdx.x & 31u)
#define FD_TY (threadIdx.x >> 5)
#define FD_TPR 32u
#define FD_RPB (blockDim.x >> 5)
