/* epi_silu.cuh — epilogue: y<i>[j] = silu(v[i]).
 *
 * Layer: ops (device code of the GEMV family). */
#include "ops/math.cuh"
#define FD_EPI_VALUE(i) fd_silu(v[i])
#include "ops/gemv/epilogue.cuh"
