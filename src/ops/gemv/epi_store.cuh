/* epi_store.cuh — epilogue: y<i>[j] = v[i].
 *
 * Layer: ops (device code of the GEMV family). */
#define FD_EPI_VALUE(i) v[i]
#include "ops/gemv/epilogue.cuh"
