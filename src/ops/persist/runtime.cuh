/* runtime.cuh — the persistent decode kernel's entry point: every block
 * walks its own list of instructions (the program, prog.cuh); an
 * instruction waits for its counters, runs its member over its rows and
 * signals its counter. The members and the two dispatchers over them
 * (fd_persist_run, fd_persist_prefetch) are generated before this file
 * (model/persist.c): each member is a kernel's own device code in a
 * namespace of its own (kernel/codegen.c's fd_kernel_member_source).
 *
 * Layer: ops (device code of the persistent decode kernel). One step:
 *   1. thread 0 reads the epoch e (steps completed) and the error word; a
 *      set error word (an earlier step's watchdog) ends the launch at once;
 *   2. with the weight ring (ring.cuh; a.ring_slots > 0) thread 0 starts
 *      the first chunks of the block's weights; without it, per
 *      instruction threads 32.. prefetch the next instruction's weights
 *      into L2 (they are read-only, no wait orders them; the first
 *      instruction's own too). Per instruction, thread 0 spins on each of its
 *      waits (c, t) until c - e per_step(c) >= t (ld.acquire.gpu, compared by
 *      difference: the u32s wrap consistently); then the block runs the
 *      member, drains its copies, and thread 0 adds 1 to the signal counter
 *      (red.release.gpu) after the block barrier;
 *   3. thread 0 takes a ticket from DONE; the last block's sets DONE to 0
 *      and adds 1 to the epoch: every block read e before it finished, and
 *      the next launch (stream-ordered) reads e + 1. No host write between
 *      steps: a captured graph replays it.
 * Watchdog: a wait that spins past `watchdog_ns` (%globaltimer) stores 1 +
 * the instruction's index in the error word (the first one wins) and its
 * block ends; the others see the word within 256 polls and end too. A
 * ring wait past it stores the same and abandons the block's ring: its
 * waits return at once, and the block ends at its next counter wait. The
 * host reads the word after the steps (model/persist.c) and names the
 * instruction (kernel/ilist.h's fd_ilist_describe).
 * Timeline: with `trace` set (profiling on), thread 0 stores three
 * %globaltimer readings per instruction i at timeline[3 i ..]: before its
 * waits, after them (the member starts), after its signal — the per-block
 * Chrome trace of model/persist.c's fd_persist_timeline. */
#include "ops/grid_sync.cuh"
#ifndef FD_PERSIST_AHEAD
#define FD_PERSIST_AHEAD 1   /* 0: each instruction prefetches its own weights only (model/persist.c: FOUNDRY_PERSIST_AHEAD) */
#endif
#ifndef FD_PERSIST_THREADS   /* model/persist.c defines it: 4 warps (the decode attention's block), or 8 */
#define FD_PERSIST_THREADS 128
#endif
/* Thread 0 alone: until *c reaches target; false when the watchdog fired (here: instruction `who`) or another
 * block's did. */
__device__ __forceinline__ bool fd_pwait_for(const u32 *c, u32 target, u32 *errw, u64 bound_ns, u32 who) {
  u32 polls = 0;
  u64 t0 = 0;
  while ((int)(fd_ld_acquire(c) - target) < 0) {
    if ((++polls & 255u) == 0) {
      if (fd_ld_acquire(errw)) return false;
      const u64 now = fd_globaltimer();
      if (!t0) t0 = now;
      else if (now - t0 > bound_ns) {
        atomicCAS(errw, 0u, who + 1);
        return false;
      }
    }
  }
  return true;
}
/* The chunks' issue and their waits (ring.cuh). */
__device__ __noinline__ void fd_ring_refill(u32 seq) {
  fd_ring_sh &R = fd_rs();
  const unsigned char *prog = R.prog;
  const fd_phdr *hd = (const fd_phdr *)prog;
  const fd_pins *ins = (const fd_pins *)(prog + hd->ins);
  const u32 *bl = (const u32 *)(prog + hd->block_ins);
  while (R.issued - seq < R.slots && R.k < R.k1) {
    const u32 s = R.issued % R.slots;
    if (fd_persist_issue(prog, hd, ins[bl[R.k]], R.c, R.base + (u64)s * R.slot, R.slot, fd_smem_addr(&R.bar[s]))) {
      R.c++;
      R.issued++;
    } else {
      R.k++;
      R.c = 0;
    }
  }
}
__device__ __forceinline__ void fd_ring_wait(u32 seq) {
  fd_ring_sh &R = fd_rs();
  const u32 bar = fd_smem_addr(&R.bar[seq % R.slots]), parity = (seq / R.slots) & 1u;
  u32 polls = 0;
  u64 t0 = 0;
  while (!*(volatile u32 *)&R.dead && !fd_mbar_try(bar, parity)) {
    if ((++polls & 1023u) == 0) {
      const u64 now = fd_globaltimer();
      if (!t0) t0 = now;
      else if (now - t0 > R.bound_ns) {
        atomicCAS(R.errw, 0u, R.ins + 1);
        R.dead = 1;
      }
    }
  }
}
extern "C" __global__ void __launch_bounds__(FD_PERSIST_THREADS, 1) FD_NAME(fd_args a) {
  extern __shared__ float4 fd_smem4[];
  __shared__ u32 s_epoch;
  __shared__ int s_fail;
  unsigned char *smem = (unsigned char *)fd_smem4;
  const unsigned char *prog = (const unsigned char *)a.prog;
  const fd_phdr *hd = (const fd_phdr *)prog;
  const fd_pins *ins = (const fd_pins *)(prog + hd->ins);
  const fd_pwait *wt = (const fd_pwait *)(prog + hd->wait);
  const u32 *bs = (const u32 *)(prog + hd->block_start), *bl = (const u32 *)(prog + hd->block_ins);
  const u32 *per = (const u32 *)(prog + hd->per_step);
  u32 *ctr = (u32 *)a.state, *word = ctr + hd->n_ctr;
  u64 *tl = a.trace ? (u64 *)a.timeline : (u64 *)0;
  const u32 k0 = bs[blockIdx.x], k1 = bs[blockIdx.x + 1];
  fd_ring_sh &R = fd_rs();
  if (threadIdx.x == 0) {
    s_epoch = fd_ld_acquire(word + FD_PSTATE_EPOCH);
    s_fail = fd_ld_acquire(word + FD_PSTATE_ERROR) != 0;
    R.slots = a.ring_slots, R.slot = a.ring_slot, R.base = smem + (a.smem - a.ring_slots * a.ring_slot);
    R.issued = 0, R.k = k0, R.k1 = k1, R.c = 0, R.ins = 0, R.dead = 0;
    R.prog = prog, R.errw = word + FD_PSTATE_ERROR, R.bound_ns = a.watchdog_ns;
    for (u32 s = 0; s < R.slots; s++) fd_mbar_init(fd_smem_addr(&R.bar[s]), 1);
    fd_mbar_init_fence();
  }
  __syncthreads();
  if (s_fail) return;
  if (threadIdx.x == 0 && R.slots) fd_ring_refill(0);
  const u32 e = s_epoch;
  u32 seq = 0;   /* ring chunks consumed */
  for (u32 k = k0; k < k1; k++) {
    const u32 i = bl[k];
    const fd_pins in = ins[i];
    if (threadIdx.x >= 32 && !R.slots) {   /* the first instruction's weights, then always the next one's: a whole instruction ahead */
      if (k == k0 || !FD_PERSIST_AHEAD) fd_persist_prefetch(prog, hd, in, threadIdx.x - 32, blockDim.x - 32);
      if (FD_PERSIST_AHEAD && k + 1 < k1) fd_persist_prefetch(prog, hd, ins[bl[k + 1]], threadIdx.x - 32, blockDim.x - 32);
    }
    if (tl && threadIdx.x == 0) tl[3 * i] = fd_globaltimer();
    if (threadIdx.x == 0) R.ins = i;
    if (threadIdx.x == 0)
      for (u32 w = in.wait0; w < in.wait0 + in.n_wait; w++) {
        const fd_pwait q = wt[w];
        if (!fd_pwait_for(ctr + q.counter, q.target + e * per[q.counter], word + FD_PSTATE_ERROR, a.watchdog_ns, i)) {
          s_fail = 1;
          break;
        }
      }
    __syncthreads();
    if (s_fail) {   /* the step is abandoned: no ticket, the host resets the state; the ring's copies land first */
      for (u32 q = seq; R.slots && q < R.issued; q++) fd_ring_wait(q);
      return;
    }
    if (tl && threadIdx.x == 0) tl[3 * i + 1] = fd_globaltimer();
    fd_persist_run(prog, hd, in, smem, seq);
    fd_cp_wait_all();
    __syncthreads();
    if (threadIdx.x == 0 && in.signal != FD_PNONE) fd_red_release_add(ctr + in.signal, 1);
    if (tl && threadIdx.x == 0) tl[3 * i + 2] = fd_globaltimer();
  }
  if (threadIdx.x == 0) {
    __threadfence();
    if (atomicAdd(word + FD_PSTATE_DONE, 1u) == gridDim.x - 1) {
      word[FD_PSTATE_DONE] = 0;
      fd_red_release_add(word + FD_PSTATE_EPOCH, 1);
    }
  }
}
