/* mapfile.c — read-only whole-file mmap (see mapfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "format/mapfile.h"

fd_status fd_mapfile_open(const char *path, fd_mapfile *m, fd_error *err)
{
    struct stat st;
    void *p;
    int fd;

    m->data = NULL;
    m->size = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fd_error_set(err, FD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fd_error_set(err, FD_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fd_error_set(err, FD_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return FD_OK;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(fd);
        return fd_error_set(err, FD_ERR_IO, "%s: cannot map %lld bytes: %s", path,
                            (long long)st.st_size, strerror(e));
    }
    close(fd);
    m->data = p;
    m->size = (uint64_t)st.st_size;
    return FD_OK;
}

void fd_mapfile_close(fd_mapfile *m)
{
    if (m->data) munmap((void *)m->data, (size_t)m->size);
    m->data = NULL;
    m->size = 0;
}
