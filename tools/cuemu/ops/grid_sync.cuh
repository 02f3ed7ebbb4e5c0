// grid_sync.cuh (emulation) — stands in for src/ops/grid_sync.cuh under
// launch_grid (emu.h): a poll of a device counter yields to the other
// threads (so the blocks it waits for run), the release add is an add (the
// emulation is sequentially consistent), and %globaltimer a clock that moves
// 1 us a read (the watchdog's bound counts reads).
static inline u32 fd_ld_acquire(const u32 *p) { yield_(RUN); return *(const volatile u32 *)p; }
static inline void fd_red_release_add(u32 *p, u32 v) { *p += v; }
static u64 g_emu_clock;
static inline u64 fd_globaltimer() { return g_emu_clock += 1000; }
