/* sampler_tmp.c — the sampler's defaults until the device sampler lands
 * (llama.cpp's: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, penalties
 * off over the last 64 tokens).
 *
 * Layer: ops. */
#include "ops/ops.h"

void fd_sampler_defaults(fd_sampler *s) { *s = (fd_sampler){ 0.8f, 40, 0.95f, 0.05f, 1.0f, 0, 0, 64, 0 }; }
