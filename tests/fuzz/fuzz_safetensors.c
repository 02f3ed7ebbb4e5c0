/* fuzz_safetensors.c — libFuzzer target: the safetensors header reader
 * (length, JSON, entries, offsets, overlaps). */
#include "format/safetensors.h"
#include <stdlib.h>
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fd_st_file *f = NULL;
    fd_error err = { 0 };
    if (fd_st_open(fuzz_file(data, size), &f, &err) == FD_OK) {
        uint64_t sum = 0;   /* touch each tensor's last byte: its range must lie in the map */
        for (uint64_t i = 0; i < f->n; i++) sum += f->t[i].bytes ? ((const uint8_t *)f->t[i].data)[f->t[i].bytes - 1] : 0;
        fd_st_close(f);
        if (sum == UINT64_MAX) abort();
    }
    return 0;
}
