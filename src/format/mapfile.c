/* mapfile.c — read-only whole-file mmap, and JSON files read through it (see
 * mapfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/util.h"
#include "format/mapfile.h"

fd_status fd_mapfile_open(const char *path, fd_mapfile *m, fd_error *err)
{
    struct stat st;
    void *p;
    int fd;

    m->data = NULL;
    m->size = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))   /* a socket: ENXIO */
            return fd_error_set(err, FD_ERR_IO, "%s: is %s, not a regular file", path, fd_file_kind(st.st_mode));
        return fd_error_set(err, FD_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fd_error_set(err, FD_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fd_error_set(err, FD_ERR_IO, "%s: is %s, not a regular file", path, fd_file_kind(st.st_mode));
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

fd_status fd_json_read(const char *path, size_t flags, json_t **out, fd_error *err)
{
    fd_mapfile f;
    json_error_t je;
    *out = NULL;
    FD_TRY(fd_mapfile_open(path, &f, err));
    *out = json_loadb(f.data ? (const char *)f.data : "", (size_t)f.size, flags, &je);
    fd_mapfile_close(&f);
    if (!*out)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: invalid JSON at line %d, column %d: %s", path, je.line,
                            je.column, je.text);
    return FD_OK;
}
