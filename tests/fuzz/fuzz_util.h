/* fuzz_util.h — what the fuzz targets share: the input as a file, for the
 * parsers that take a path (one in-memory file per process, rewritten for
 * every input).
 *
 * Tests only; every function is static. */
#ifndef FD_FUZZ_UTIL_H
#define FD_FUZZ_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

static char fuzz_path_[64];
static int fuzz_fd_ = -1;

/* Puts data[0..size) in a private in-memory file (memfd: no disk writes, which
 * on ext4 cost milliseconds per input) and returns a path that opens it. The
 * path has no suffix, so targets call the format's own reader. Aborts (a
 * harness failure, not a finding) when it cannot. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    if (fuzz_fd_ < 0) {
        fuzz_fd_ = memfd_create("fd_fuzz", 0);
        if (fuzz_fd_ < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(fuzz_path_, sizeof fuzz_path_, "/proc/self/fd/%d", fuzz_fd_);
    }
    if (ftruncate(fuzz_fd_, 0) != 0) abort();
    for (size_t done = 0; done < size;) {
        ssize_t w = pwrite(fuzz_fd_, data + done, size - done, (off_t)done);
        if (w <= 0) {
            perror("fuzz input");
            abort();
        }
        done += (size_t)w;
    }
    return fuzz_path_;
}

#endif
