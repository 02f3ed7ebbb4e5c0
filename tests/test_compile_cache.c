/* test_compile_cache.c — NVRTC compiles and the on-disk CUBIN cache, with no
 * driver or GPU: cold compile, disk hit, corrupt and truncated entries found
 * and rebuilt, an unwritable folder, compile-error reports with source lines,
 * and the log parsers. Skips where NVRTC is not installed. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "fs_util.h"
#include "base/mem.h"
#include "backend/cuda/nvrtc.h"
#include "backend/cuda/nvrtc_log.h"

static const char *const SRC =
    "struct fd_args { float *y; const float *x; unsigned n; };\n"
    "extern \"C\" __global__ void k(fd_args a)\n"
    "{\n"
    "    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    if (i < a.n) a.y[i] = 2.0f * a.x[i];\n"
    "}\n";

static const char *const BAD_SRC =
    "struct fd_args { float *y; unsigned n; };\n"
    "extern \"C\" __global__ void bad(fd_args a)\n"
    "{\n"
    "    unsigned i = threadIdx.x;\n"
    "    if (i < a.n) a.y[i] = undefined_thing_42 * 2.0f;\n"
    "}\n";

/* What the cache logged, for checking that warnings were given. */
typedef struct { char text[8192]; int warnings, errors; } logbuf;

static void capture(void *user, fd_log_level level, const char *msg)
{
    logbuf *l = user;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s\n", msg);
    if (level == FD_LOG_WARN) l->warnings++;
    if (level == FD_LOG_ERROR) l->errors++;
}

static int have_nvrtc(void)
{
    char why[512];
    if (fd_nvrtc_available(why, sizeof why)) return 1;
    fprintf(stderr, "NVRTC not available: %s\n", why);
    return 0;
}

static void make_tmpdir(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/fd_kcache_XXXXXX");
    if (!mkdtemp(buf)) buf[0] = '\0';
}

/* The one .cubin entry in `dir` (into path); number of entries found. */
static int find_entry(const char *dir, char *path, size_t cap)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (!d) return 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 6 && !strcmp(e->d_name + len - 6, ".cubin")) {
            snprintf(path, cap, "%s/%s", dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static fd_status compile_in(const char *dir, logbuf *lb, fd_kcache_stats *stats, int *regs, double *sec)
{
    fd_kcache_disk dc;
    fd_error err = { 0 };
    int spills = -2;
    fd_kcd_open(&dc, dir, capture, lb);
    fd_status st = fd_nvrtc_compile_cached(&dc, 90, "k", SRC, regs, &spills, sec, &err);
    if (st != FD_OK) fprintf(stderr, "compile failed: %s\n", err.msg);
    *stats = dc.stats;
    return st;
}

static void test_cold_compile_then_disk_hit(void)
{
    if (!have_nvrtc()) SKIP("no NVRTC");
    char dir[64], path[1200];
    logbuf lb = { "", 0, 0 };
    fd_kcache_stats s;
    int regs = -2, regs2 = -2;
    double cold = 0, hit = 0;
    make_tmpdir(dir, sizeof dir);
    CHECK(dir[0]);
    CHECK_OK(compile_in(dir, &lb, &s, &regs, &cold), NULL);
    CHECK_EQ(s.compiles, 1);
    CHECK_EQ(s.disk_hits, 0);
    CHECK_EQ(s.disk_writes, 1);
    CHECK(regs > 0 && regs < 256);
    CHECK_EQ(find_entry(dir, path, sizeof path), 1);
    /* a second "process": a fresh cache object on the same folder */
    CHECK_OK(compile_in(dir, &lb, &s, &regs2, &hit), NULL);
    CHECK_EQ(s.compiles, 0);
    CHECK_EQ(s.disk_hits, 1);
    CHECK_EQ(regs2, regs);
    CHECK(hit < cold);
    CHECK_EQ(lb.warnings, 0);
    printf("compile_cache: cold NVRTC compile of a small kernel for sm_90: %.1f ms (%d registers); "
           "disk hit: %.2f ms\n", cold * 1e3, regs, hit * 1e3);
    /* another architecture is another entry */
    fd_kcache_disk dc;
    fd_error err = { 0 };
    fd_kcd_open(&dc, dir, capture, &lb);
    CHECK_OK(fd_nvrtc_compile_cached(&dc, 80, "k", SRC, NULL, NULL, NULL, &err), &err);
    CHECK_EQ(dc.stats.compiles, 1);
    fs_remove_tree(dir);
}

/* Damages the entry with `how`, then checks the next compile notices, rebuilds and heals. */
static void damage_and_rebuild(const char *how)
{
    char dir[64], path[1200];
    logbuf lb = { "", 0, 0 };
    fd_kcache_stats s;
    int regs = 0;
    double sec = 0;
    make_tmpdir(dir, sizeof dir);
    CHECK_OK(compile_in(dir, &lb, &s, &regs, &sec), NULL);
    CHECK_EQ(find_entry(dir, path, sizeof path), 1);
    long size = file_size(path);
    CHECK(size > 100);
    if (!strcmp(how, "flip")) {            /* one payload byte */
        int fd = open(path, O_RDWR);
        unsigned char c = 0;
        CHECK(fd >= 0 && pread(fd, &c, 1, size / 2) == 1);
        c ^= 0x40;
        CHECK(pwrite(fd, &c, 1, size / 2) == 1);
        close(fd);
    } else if (!strcmp(how, "truncate")) {
        CHECK(truncate(path, size - 17) == 0);
    } else if (!strcmp(how, "header")) {  /* shorter than a header */
        CHECK(truncate(path, 11) == 0);
    } else if (!strcmp(how, "magic")) {
        int fd = open(path, O_RDWR);
        CHECK(fd >= 0 && pwrite(fd, "XXXX", 4, 0) == 4);
        close(fd);
    } else if (!strcmp(how, "empty")) {
        CHECK(truncate(path, 0) == 0);
    }
    CHECK_OK(compile_in(dir, &lb, &s, &regs, &sec), NULL);
    CHECK_EQ(s.corrupt, 1);
    CHECK_EQ(s.compiles, 1);
    CHECK_EQ(s.disk_writes, 1);
    CHECK(lb.warnings >= 1);
    CHECK_CONTAINS(lb.text, "kernel cache entry");
    CHECK_EQ(file_size(path), size);
    CHECK_OK(compile_in(dir, &lb, &s, &regs, &sec), NULL);   /* healed */
    CHECK_EQ(s.disk_hits, 1);
    CHECK_EQ(s.compiles, 0);
    fs_remove_tree(dir);
}

static void test_corrupt_entries_are_rebuilt(void)
{
    if (!have_nvrtc()) SKIP("no NVRTC");
    damage_and_rebuild("flip");
    damage_and_rebuild("truncate");
    damage_and_rebuild("header");
    damage_and_rebuild("magic");
    damage_and_rebuild("empty");
}

static void test_unwritable_folder_still_compiles(void)
{
    if (!have_nvrtc()) SKIP("no NVRTC");
    char dir[64], sub[200];
    logbuf lb = { "", 0, 0 };
    fd_kcache_stats s;
    int regs = 0;
    double sec = 0;
    make_tmpdir(dir, sizeof dir);
    /* a folder below a regular file cannot be created, even by root */
    snprintf(sub, sizeof sub, "%s/plainfile", dir);
    FILE *f = fopen(sub, "w");
    CHECK(f != NULL);
    if (f) fclose(f);
    snprintf(sub, sizeof sub, "%s/plainfile/cache", dir);
    CHECK_OK(compile_in(sub, &lb, &s, &regs, &sec), NULL);
    CHECK_EQ(s.compiles, 1);
    CHECK_EQ(s.disk_writes, 0);
    CHECK(regs > 0);
    CHECK_EQ(lb.warnings, 1);
    CHECK_CONTAINS(lb.text, "not writable");
    fs_remove_tree(dir);
}

static void test_compile_error_shows_source_line(void)
{
    if (!have_nvrtc()) SKIP("no NVRTC");
    char dir[64];
    logbuf lb = { "", 0, 0 };
    fd_kcache_disk dc;
    fd_error err = { 0 };
    int regs = 7;
    make_tmpdir(dir, sizeof dir);
    fd_kcd_open(&dc, dir, capture, &lb);
    CHECK_EQ(fd_nvrtc_compile_cached(&dc, 90, "bad", BAD_SRC, &regs, NULL, NULL, &err), FD_ERR_COMPILE);
    CHECK_EQ(err.status, FD_ERR_COMPILE);
    CHECK_CONTAINS(err.msg, "bad.cu(5)");
    CHECK_CONTAINS(err.msg, "undefined_thing_42");
    CHECK_CONTAINS(err.msg, ">    5 |     if (i < a.n) a.y[i] = undefined_thing_42 * 2.0f;");
    CHECK_CONTAINS(err.msg, "     2 | extern \"C\" __global__ void bad(fd_args a)");
    CHECK(strlen(err.msg) < sizeof err.msg);
    CHECK_EQ(lb.errors, 1);
    CHECK_CONTAINS(lb.text, "undefined_thing_42");
    CHECK_EQ(regs, -1);
    CHECK_EQ(dc.stats.disk_writes, 0);
    char path[1200];
    CHECK_EQ(find_entry(dir, path, sizeof path), 0);
    printf("compile_cache: compile error reads:\n%s\n", err.msg);
    fs_remove_tree(dir);
}

static void test_offline_api_uses_env_folder(void)
{
    if (!have_nvrtc()) SKIP("no NVRTC");
    char dir[64], path[1200], *old = getenv("FOUNDRY_CACHE_DIR");
    char saved[1024] = "";
    int regs = 0, spills = 0;
    double t1 = 0, t2 = 0;
    fd_error err = { 0 };
    if (old) snprintf(saved, sizeof saved, "%s", old);
    make_tmpdir(dir, sizeof dir);
    setenv("FOUNDRY_CACHE_DIR", dir, 1);
    CHECK_OK(fd_nvrtc_compile_offline(90, "k", SRC, &regs, &spills, &t1, &err), &err);
    CHECK(regs > 0);
    CHECK_EQ(spills, 0);
    CHECK_EQ(find_entry(dir, path, sizeof path), 1);
    CHECK_OK(fd_nvrtc_compile_offline(90, "k", SRC, &regs, &spills, &t2, &err), &err);
    CHECK(t2 < t1);
    CHECK_EQ(fd_nvrtc_compile_offline(3, "k", SRC, NULL, NULL, NULL, &err), FD_ERR_INVALID);
    if (old) setenv("FOUNDRY_CACHE_DIR", saved, 1);
    else unsetenv("FOUNDRY_CACHE_DIR");
    fs_remove_tree(dir);
}

static void quiet(void *user, fd_log_level level, const char *msg) { (void)user, (void)level, (void)msg; }

/* sm_90a (FD_ARCH_SPECIFIC): a kernel using wgmma compiles for it and not for
 * sm_90, its options hash differs from sm_90's (the in-memory key), and its
 * disk entry is its own (a cold compile, not sm_90's entry). */
static void test_arch_specific(void)
{
    if (!have_nvrtc()) SKIP("no NVRTC");
    static const char *const WG = "extern \"C\" __global__ void k(float *y) {\n"
                                  "  asm volatile(\"wgmma.fence.sync.aligned;\" ::: \"memory\");\n"
                                  "  y[threadIdx.x] = 1.0f;\n}\n";
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    fd_kcache_disk dc;
    fd_kcd_open(&dc, dir, quiet, NULL);
    fd_error err = { 0 };
    CHECK_OK(fd_nvrtc_compile_cached(&dc, 90 | FD_ARCH_SPECIFIC, "k", WG, NULL, NULL, NULL, &err), &err);
    CHECK_EQ(fd_nvrtc_compile_cached(&dc, 90, "k", WG, NULL, NULL, NULL, &err), FD_ERR_COMPILE);
    CHECK_CONTAINS(err.msg, "sm_90");
    fd_error_clear(&err);
    CHECK_OK(fd_nvrtc_compile_cached(&dc, 90, "k", SRC, NULL, NULL, NULL, &err), &err);
    long before = dc.stats.compiles;
    CHECK_OK(fd_nvrtc_compile_cached(&dc, 90 | FD_ARCH_SPECIFIC, "k", SRC, NULL, NULL, NULL, &err), &err);
    CHECK_EQ(dc.stats.compiles, before + 1);   /* not sm_90's entry */
    fd_nvrtc_api api;
    CHECK_OK(fd_nvrtc_load(&api, &err), &err);
    CHECK(fd_nvrtc_options_hash(&api, 90) != fd_nvrtc_options_hash(&api, 90 | FD_ARCH_SPECIFIC));
    fd_nvrtc_unload(&api);
    char as[16];
    CHECK_STR(fd_arch_str(90 | FD_ARCH_SPECIFIC, as), "sm_90a");
    CHECK_STR(fd_arch_str(86, as), "sm_86");
    CHECK_STR(fd_arch_str(100 | FD_ARCH_SPECIFIC, as), "sm_100a");
    fs_remove_tree(dir);
}

static void test_error_report_is_bounded(void)
{
    /* pure text: many errors in a long source still fit fd_error, cut at a line */
    static char src[20000], log[20000];
    size_t s = 0, l = 0;
    for (int i = 1; i <= 200; i++) {
        s += (size_t)snprintf(src + s, sizeof src - s, "int line_%d = oops_%d; // some filler text here\n", i, i);
        if (i % 10 == 0)
            l += (size_t)snprintf(log + l, sizeof log - l, "x.cu(%d): error: identifier \"oops_%d\" is undefined\n",
                                  i, i);
    }
    char *text = fd_nvrtc_error_text("x", 90, src, log);
    CHECK(text != NULL);
    if (!text) return;
    CHECK(strlen(text) > 1024);
    CHECK_CONTAINS(text, ">   10 | int line_10 = oops_10;");
    CHECK_CONTAINS(text, "     7 | int line_7 ");
    CHECK_CONTAINS(text, "    13 | int line_13 ");
    fd_error e = { 0 };
    fd_nvrtc_fit(e.msg, sizeof e.msg, text);
    CHECK(strlen(e.msg) < sizeof e.msg);
    CHECK_CONTAINS(e.msg, "x.cu(10): error");
    CHECK_CONTAINS(e.msg, "more bytes; full text in the log]");
    fd_free(text);
    /* a source line past the end and a log without line numbers */
    text = fd_nvrtc_error_text("y", 90, "one line", "y.cu(40): error: past the end\nnvrtc: error: odd\n");
    CHECK(text != NULL);
    if (text) CHECK_CONTAINS(text, "nvrtc: error: odd");
    fd_free(text);
}

static void test_ptxas_parse(void)
{
    const char *log =
        "ptxas info    : 0 bytes gmem\n"
        "ptxas info    : Compiling entry function 'a' for 'sm_90'\n"
        "ptxas info    : Function properties for a\n"
        "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
        "ptxas info    : Used 10 registers, used 0 barriers\n"
        "ptxas info    : Compiling entry function 'b' for 'sm_90'\n"
        "ptxas info    : Function properties for b\n"
        "ptxas         .     48 bytes stack frame, 24 bytes spill stores, 24 bytes spill loads\n"
        "ptxas info    : Used 255 registers, used 1 barriers\n";
    int r, s;
    fd_nvrtc_parse_ptxas(log, "b", &r, &s);
    CHECK_EQ(r, 255);
    CHECK_EQ(s, 24);
    fd_nvrtc_parse_ptxas(log, "a", &r, &s);
    CHECK_EQ(r, 10);
    CHECK_EQ(s, 0);
    fd_nvrtc_parse_ptxas(log, "missing", &r, &s);   /* the first entry */
    CHECK_EQ(r, 10);
    fd_nvrtc_parse_ptxas("", "a", &r, &s);
    CHECK_EQ(r, -1);
    CHECK_EQ(s, -1);
    fd_nvrtc_parse_ptxas(NULL, "a", &r, &s);
    CHECK_EQ(r, -1);
}

static void test_allocation_failures(void)
{
    if (!have_nvrtc()) SKIP("no NVRTC");
    char dir[64];
    logbuf lb = { "", 0, 0 };
    make_tmpdir(dir, sizeof dir);
    for (long n = 1; n <= 4; n++) {
        fd_kcache_disk dc;
        fd_error err = { 0 };
        int regs = 0;
        fd_kcd_open(&dc, dir, capture, &lb);
        fd_mem_fail_after(n, 0);
        fd_status st = fd_nvrtc_compile_cached(&dc, 90, "k", SRC, &regs, NULL, NULL, &err);
        fd_mem_fail_after(0, 0);
        CHECK(st == FD_OK || st == FD_ERR_NOMEM || st == FD_ERR_COMPILE);
        if (st != FD_OK) CHECK(err.msg[0] != '\0');
    }
    fs_remove_tree(dir);
}

TEST_MAIN(test_ptxas_parse, test_error_report_is_bounded, test_cold_compile_then_disk_hit,
          test_corrupt_entries_are_rebuilt, test_unwritable_folder_still_compiles,
          test_compile_error_shows_source_line, test_offline_api_uses_env_folder, test_allocation_failures,
          test_arch_specific)
