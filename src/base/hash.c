/* hash.c — the one hash of the project: 64-bit FNV-1a, for cache keys,
 * kernel signatures and on-disk checksums.
 *
 * Layer: base. */
#include "base/hash.h"

uint64_t fd_hash64(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

