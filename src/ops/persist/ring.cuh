/* ring.cuh — the persistent decode kernel's weight ring: `slots` slots of
 * `slot` bytes at the end of the dynamic shared memory, each with an
 * mbarrier. A block's GEMV-based instructions take their weights as chunks
 * (rows [j0, j1) of every product: gemv_range.cuh), in the order of the
 * block's list. Thread 0 issues a chunk as bulk copies as soon as a slot is
 * free — at the start of the step and after each chunk is consumed — so the
 * weights of the instructions ahead stream in while the block waits for
 * their inputs (weights depend on nothing): up to `slots` chunks in flight
 * a multiprocessor, where streaming a row at a time kept one row a warp.
 * The k-th chunk consumed sits in slot k % slots; it has landed when that
 * slot's barrier has completed phase k / slots.
 *
 * Layer: ops (device code of the persistent decode kernel, ops/persist/).
 * No PTX (tools/cuemu runs it): the waits and the issue are runtime.cuh's. */
struct fd_ring_sh {
  unsigned char *base;   /* slot 0 */
  u32 slot, slots;       /* bytes a slot; 0 slots: no ring, rows stream from memory (gemv_range.cuh) */
  u32 issued, k, k1, c;  /* thread 0's: chunks issued, the block-list position (and end) and chunk of the next */
  u32 ins;               /* the instruction running (what the watchdog reports) */
  u32 dead;              /* a wait outlived the watchdog: the step is abandoned, waits return at once */
  const unsigned char *prog;
  u32 *errw;             /* the state's error word */
  u64 bound_ns;          /* the watchdog's bound */
  u64 bar[FD_RING_MAX];
};
__device__ __forceinline__ fd_ring_sh &fd_rs() {
  __shared__ __align__(16) fd_ring_sh r;
  return r;
}
/* Thread 0: issues chunks until `slots` are ahead of chunk seq (or the block's list ends). */
__device__ void fd_ring_refill(u32 seq);
/* Every thread: returns once chunk seq has landed (or the watchdog fired). */
__device__ __forceinline__ void fd_ring_wait(u32 seq);
/* The bytes a product's rows may take in a slot of a chunk of nout products (16-aligned), and the rows a
 * chunk holds (rows of rb bytes, a 16-byte-aligned window around them: up to 15 bytes each side) */
__device__ __forceinline__ u32 fd_ring_region(u32 slot, u32 nout) { return (slot / nout) & ~15u; }
__device__ __forceinline__ u32 fd_ring_rows(u32 slot, u32 nout, u64 rb) { return (u32)((fd_ring_region(slot, nout) - 32) / rb); }
