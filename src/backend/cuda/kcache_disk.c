/* kcache_disk.c — the on-disk CUBIN cache (format and invariants in
 * kcache_disk.h): naming the folder, reading and checking an entry, writing
 * one atomically.
 *
 * Layer: backend/cuda. Touches only files under dc->dir. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "backend/cuda/kcache_disk.h"
#include "base/mem.h"
#include "base/util.h"

#define MAGIC "FDKC"
#define FORMAT_VERSION 1u
#define HEADER_BYTES 40
#define MAX_PAYLOAD ((uint64_t)1 << 30)   /* no CUBIN is a GiB: a larger size is corruption */

void fd_kcd_log(const fd_kcache_disk *dc, fd_log_level level, const char *fmt, ...)
{
    static const char *const tag[] = { "debug", "info", "notice", "warning", "error" };
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (dc->log) dc->log(dc->log_user, level, buf);
    else if (level >= FD_LOG_WARN) fprintf(stderr, "foundry: %s: %s\n", tag[level], buf);
}

void fd_kcd_open(fd_kcache_disk *dc, const char *dir, fd_log_fn log, void *log_user)
{
    memset(dc, 0, sizeof *dc);
    dc->log = log;
    dc->log_user = log_user;
    const char *e;
    int n = 0;
    if (dir && *dir) n = snprintf(dc->dir, sizeof dc->dir, "%s", dir);
    else if ((e = getenv("FOUNDRY_CACHE_DIR")) && *e) n = snprintf(dc->dir, sizeof dc->dir, "%s", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && *e) n = snprintf(dc->dir, sizeof dc->dir, "%s/foundry", e);
    else if ((e = getenv("HOME")) && *e) n = snprintf(dc->dir, sizeof dc->dir, "%s/.cache/foundry", e);
    if (n < 0 || (size_t)n >= sizeof dc->dir - 32) {   /* room for "/<16 hex>.tmp.<pid>.<n>" */
        if (n > 0) fd_kcd_log(dc, FD_LOG_WARN, "kernel cache folder name too long; disk cache off");
        dc->dir[0] = '\0';
    }
}

int fd_kcd_path(const fd_kcache_disk *dc, uint64_t key, char *buf, size_t cap)
{
    if (!dc->dir[0]) return 0;
    int n = snprintf(buf, cap, "%s/%016llx.cubin", dc->dir, (unsigned long long)key);
    return n > 0 && (size_t)n < cap;
}

static void put_u32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void put_u64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static int read_all(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

void fd_kcd_drop(fd_kcache_disk *dc, uint64_t key, const char *why)
{
    char path[1100];
    if (!fd_kcd_path(dc, key, path, sizeof path)) return;
    fd_kcd_log(dc, FD_LOG_WARN, "kernel cache entry %s is bad (%s); deleting it and rebuilding", path, why);
    dc->stats.corrupt++;
    if (unlink(path) != 0 && errno != ENOENT && !dc->read_warned) {
        fd_kcd_log(dc, FD_LOG_WARN, "cannot delete %s: %s (further cache folder problems are not shown)", path,
                   strerror(errno));
        dc->read_warned = 1;
    }
}

int fd_kcd_get(fd_kcache_disk *dc, uint64_t key, void **data, size_t *size, int *regs, int *spills)
{
    char path[1100];
    unsigned char h[HEADER_BYTES];
    const char *bad = NULL;
    void *buf = NULL;
    struct stat st;
    *data = NULL;
    *size = 0;
    if (!fd_kcd_path(dc, key, path, sizeof path)) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);   /* a FIFO must not block */
    if (fd < 0) {
        if (errno != ENOENT && errno != ENOTDIR && !dc->read_warned) {
            fd_kcd_log(dc, FD_LOG_WARN, "kernel cache folder not readable (%s: %s); kernels will be compiled",
                       path, strerror(errno));
            dc->read_warned = 1;
        }
        return 0;
    }
    if (fstat(fd, &st) != 0) st.st_mode = 0;
    if (!S_ISREG(st.st_mode)) bad = "not a regular file";
    else if ((uint64_t)st.st_size < HEADER_BYTES || read_all(fd, h, sizeof h) != 0) bad = "truncated header";
    else if (memcmp(h, MAGIC, 4) != 0) bad = "bad magic";
    else if (get_u32(h + 4) != FORMAT_VERSION) bad = "unknown format version";
    else if (get_u64(h + 8) != key) bad = "key mismatch";
    else if (get_u64(h + 16) == 0 || get_u64(h + 16) > MAX_PAYLOAD) bad = "bad payload size";
    else if (get_u64(h + 16) != (uint64_t)st.st_size - HEADER_BYTES) bad = "truncated or overlong payload";
    if (!bad) {
        size_t n = (size_t)get_u64(h + 16);
        if (!(buf = fd_malloc(n))) {
            close(fd);
            fd_kcd_log(dc, FD_LOG_WARN, "kernel cache: out of memory reading %s", path);
            return 0;
        }
        if (read_all(fd, buf, n) != 0) bad = "short read";
        else if (fd_hash64(FD_HASH_SEED, buf, n) != get_u64(h + 24)) bad = "checksum mismatch";
        else {
            *data = buf;
            *size = n;
            *regs = (int32_t)get_u32(h + 32);
            *spills = (int32_t)get_u32(h + 36);
        }
    }
    close(fd);
    if (bad && !S_ISREG(st.st_mode)) {   /* something else under an entry's name: a folder problem, warned once */
        if (!dc->read_warned)
            fd_kcd_log(dc, FD_LOG_WARN, "kernel cache entry %s is %s, not a regular file; removing what can be "
                       "removed (further cache folder problems are not shown)", path, fd_file_kind(st.st_mode));
        dc->read_warned = 1;
        dc->stats.corrupt++;
        if (!S_ISDIR(st.st_mode)) (void)unlink(path);
        return 0;
    }
    if (bad) {
        fd_free(buf);
        fd_kcd_drop(dc, key, bad);
        return 0;
    }
    dc->stats.disk_hits++;
    fd_kcd_log(dc, FD_LOG_DEBUG, "kernel cache hit %s (%zu bytes)", path, *size);
    return 1;
}

/* mkdir -p with mode 0755; 0 on success. */
static int make_dirs(char *path)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        int r = mkdir(path, 0755);
        int e = errno;
        *p = c;
        if (r != 0 && e != EEXIST) {
            errno = e;
            return -1;
        }
        if (c == '\0') break;
    }
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static void write_failed(fd_kcache_disk *dc, const char *what, const char *path)
{
    fd_kcd_log(dc, FD_LOG_WARN, "kernel cache folder not writable (%s %s: %s); compiled kernels will not be "
               "cached on disk", what, path, strerror(errno));
    dc->readonly = 1;
}

void fd_kcd_put(fd_kcache_disk *dc, uint64_t key, const void *data, size_t size, int regs, int spills)
{
    char path[1100], tmp[1200], dir[1024];
    unsigned char h[HEADER_BYTES];
    if (dc->readonly || !size || !fd_kcd_path(dc, key, path, sizeof path)) return;
    snprintf(dir, sizeof dir, "%s", dc->dir);
    if (make_dirs(dir) != 0) {
        write_failed(dc, "creating", dc->dir);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* pid, owner and time keep two writers (processes or foundries) apart */
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%lx.%ld", path, (long)getpid(), (unsigned long)(uintptr_t)dc,
             (long)ts.tv_nsec);
    memcpy(h, MAGIC, 4);
    put_u32(h + 4, FORMAT_VERSION);
    put_u64(h + 8, key);
    put_u64(h + 16, size);
    put_u64(h + 24, fd_hash64(FD_HASH_SEED, data, size));
    put_u32(h + 32, (uint32_t)regs);
    put_u32(h + 36, (uint32_t)spills);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        write_failed(dc, "creating", tmp);
        return;
    }
    int ok = write_all(fd, h, sizeof h) == 0 && write_all(fd, data, size) == 0;
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        errno = e;
        write_failed(dc, "writing", path);
        return;
    }
    dc->stats.disk_writes++;
    fd_kcd_log(dc, FD_LOG_DEBUG, "kernel cache stored %s (%zu bytes)", path, size);
}
