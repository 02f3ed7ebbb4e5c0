/* hash.h — 64-bit FNV-1a over bytes, continued from `h`: start with
 * FD_HASH_SEED. Cache keys and checksums; not for adversarial input.
 *
 * Layer: base (internal). */
#ifndef FD_BASE_HASH_H
#define FD_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FD_HASH_SEED 14695981039346656037ull
uint64_t fd_hash64(uint64_t h, const void *data, size_t n);

#endif
