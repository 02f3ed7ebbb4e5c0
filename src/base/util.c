/* util.c — UTF-8 validation, the name index and path helpers (see util.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "base/mem.h"
#include "base/util.h"

int fd_utf8_valid(const char *str, uint64_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    uint64_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        unsigned need;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i - 1 < need) return 0;
        for (unsigned k = 1; k <= need; k++) {
            unsigned d = s[i + k];
            if ((d & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (d & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += need + 1;
    }
    return 1;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

fd_status fd_nameidx_init(fd_nameidx *ix, uint64_t n)
{
    uint64_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    ix->names = NULL;
    ix->pos = NULL;
    ix->cap = 0;
    if (cap > (1ull << 31)) return FD_ERR_NOMEM;
    ix->names = fd_calloc(cap, sizeof *ix->names);
    ix->pos = fd_calloc(cap, sizeof *ix->pos);
    if (!ix->names || !ix->pos) {
        fd_nameidx_free(ix);
        return FD_ERR_NOMEM;
    }
    ix->cap = (uint32_t)cap;
    return FD_OK;
}

int fd_nameidx_add(fd_nameidx *ix, const char *name, uint32_t pos, uint32_t *prev)
{
    uint32_t mask = ix->cap - 1, i = (uint32_t)hash(name) & mask;
    while (ix->names[i]) {
        if (!strcmp(ix->names[i], name)) {
            if (prev) *prev = ix->pos[i];
            return 0;
        }
        i = (i + 1) & mask;
    }
    ix->names[i] = name;
    ix->pos[i] = pos;
    return 1;
}

int64_t fd_nameidx_get(const fd_nameidx *ix, const char *name)
{
    uint32_t mask, i;
    if (!ix->cap) return -1;
    mask = ix->cap - 1;
    i = (uint32_t)hash(name) & mask;
    while (ix->names[i]) {
        if (!strcmp(ix->names[i], name)) return ix->pos[i];
        i = (i + 1) & mask;
    }
    return -1;
}

void fd_nameidx_free(fd_nameidx *ix)
{
    fd_free(ix->names);
    fd_free(ix->pos);
    ix->names = NULL;
    ix->pos = NULL;
    ix->cap = 0;
}

char *fd_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = fd_malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

int fd_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fd_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *fd_escape(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[5];
        int k = c == '\\' ? snprintf(tmp, sizeof tmp, "\\\\")
                : (c >= 32 && c < 127) ? snprintf(tmp, sizeof tmp, "%c", c) : snprintf(tmp, sizeof tmp, "\\x%02x", c);
        if (o + (size_t)k + 4 > cap) {
            memcpy(buf + o, "...", 4);
            return buf;
        }
        memcpy(buf + o, tmp, (size_t)k);
        o += (size_t)k;
    }
    buf[o] = 0;
    return buf;
}

const char *fd_file_kind(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a folder";
    case S_IFLNK: return "a symbolic link";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    default: return "not a regular file";
    }
}

fd_status fd_probe_file(const char *path, int *present, fd_error *err)
{
    struct stat st;
    *present = 0;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return FD_OK;
        return fd_error_set(err, FD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return fd_error_set(err, FD_ERR_IO, "%s: is %s, not a regular file", path, fd_file_kind(st.st_mode));
    *present = 1;
    return FD_OK;
}

fd_status fd_probe_input(const char *path, int *is_dir, fd_error *err)
{
    struct stat st;
    *is_dir = 0;
    if (stat(path, &st) != 0) return fd_error_set(err, FD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return fd_error_set(err, FD_ERR_IO, "%s: is %s, not a regular file or a folder", path, fd_file_kind(st.st_mode));
    *is_dir = S_ISDIR(st.st_mode);
    return FD_OK;
}

fd_status fd_check_output_path(const char *path, fd_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return FD_OK;
        return fd_error_set(err, FD_ERR_IO, "%s: cannot write there: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return fd_error_set(err, FD_ERR_IO, "%s: is %s, not replaced (give the name of a new or a regular file)", path,
                            fd_file_kind(st.st_mode));
    return FD_OK;
}

int fd_same_file(const char *a, const char *b)
{
    struct stat x, y;
    return a && b && stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

double fd_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
