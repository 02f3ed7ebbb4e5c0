/* quant_iq4.h — IQ4's fixed table, for the CPU code that reads IQ4 blocks
 * (dequantization in quant_iq4.c, the int8 twin in ops/gemv/int8_kquant.c).
 * The device keeps the same 16 values packed four to a word (prelude.cuh).
 *
 * Layer: base. */
#ifndef FD_BASE_QUANT_IQ4_H
#define FD_BASE_QUANT_IQ4_H

#include <stdint.h>

/* The 16 levels of a 4-bit IQ4 index, from ggml's kvalues_iq4nl. */
extern const int8_t fd_iq4_levels[16];

#endif
