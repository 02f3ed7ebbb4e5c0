/* epi_bias.cuh — epilogue: y<i>[j] = v[i] + b<i>[j].
 *
 * Layer: ops (device code of the GEMV family). */
#define FD_EPI_VALUE(i) v[i] + a.b##i[j]
#include "ops/gemv/epilogue.cuh"
