/* test_cuda_backend.c — the CUDA backend on a real GPU: memory round trips
 * (odd sizes, staged > 1 MiB, caller buffers reused at once), copy, memset,
 * compile + launch of a hand-written kernel, the in-memory and disk kernel
 * caches, compile errors, large dynamic shared memory, graph capture/replay
 * and events. Without a driver or GPU, creation must fail cleanly with
 * FD_ERR_UNAVAILABLE and a message, and the GPU tests print SKIP. */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "fs_util.h"
#include "base/mem.h"
#include "backend/backend.h"
#include "backend/cuda/nvrtc.h"
#include "backend/cuda/cuda_int.h"

static const char *const DOUBLE_SRC =
    "struct fd_args { float *y; const float *x; unsigned n; };\n"
    "extern \"C\" __global__ void k(fd_args a)\n"
    "{\n"
    "    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    if (i < a.n) a.y[i] = 2.0f * a.x[i];\n"
    "}\n";
typedef struct { uint64_t y, x; unsigned n; } double_args;   /* same layout as fd_args on x86-64 and sm_xx */

/* y[i] = sum over the block of x staged through `shared` bytes of dynamic shared memory (> 48 KiB) */
static const char *const SHARED_SRC =
    "struct fd_args { float *y; const float *x; unsigned n; };\n"
    "extern \"C\" __global__ void big_shared(fd_args a)\n"
    "{\n"
    "    extern __shared__ float s[];\n"
    "    for (unsigned i = threadIdx.x; i < a.n; i += blockDim.x) s[i] = a.x[i];\n"
    "    __syncthreads();\n"
    "    for (unsigned i = threadIdx.x; i < a.n; i += blockDim.x) a.y[i] = s[a.n - 1 - i];\n"
    "}\n";

static const char *const BAD_SRC =
    "struct fd_args { float *y; unsigned n; };\n"
    "extern \"C\" __global__ void broken(fd_args a)\n"
    "{\n"
    "    a.y[threadIdx.x] = no_such_symbol_7;\n"
    "}\n";

static fd_backend *gpu;      /* created by setup, destroyed by teardown (or the test that destroys it) */
static char cache_dir[64];
static uint64_t seed;

static char info_line[1024];   /* the backend's start-up line */

static void logger(void *user, fd_log_level level, const char *msg)
{
    (void)user;
    if (level >= FD_LOG_WARN) fprintf(stderr, "log[%d]: %s\n", (int)level, msg);
    if (level == FD_LOG_INFO && strstr(msg, "cuda: device")) snprintf(info_line, sizeof info_line, "%s", msg);
}

/* The backend every GPU test uses, so any one of them can run alone
 * (`test_cuda_backend test_round_trip`, one CTest entry each). */
static void setup(void)
{
    fd_error err = { 0 };
    fd_backend *b = (fd_backend *)&err;   /* must be set to NULL on failure */
    seed = (uint64_t)time(NULL) | 1;
    printf("cuda_backend: seed %llu\n", (unsigned long long)seed);
    snprintf(cache_dir, sizeof cache_dir, "/tmp/fd_cuda_kc_XXXXXX");
    CHECK(mkdtemp(cache_dir) != NULL);
    fd_status st = fd_backend_cuda_create(0, cache_dir, logger, NULL, &b, &err);
    if (st != FD_OK) {
        CHECK(b == NULL);
        CHECK(st == FD_ERR_UNAVAILABLE || st == FD_ERR_UNSUPPORTED);
        CHECK_EQ(err.status, st);
        CHECK(err.msg[0] != '\0');
        printf("cuda_backend: no GPU here: %s\n", err.msg);
        return;
    }
    gpu = b;
}

static void test_create(void)
{
    if (!gpu) SKIP("no GPU");
    fd_backend *b = gpu;
    CHECK_STR(b->name, "cuda");
    CHECK(b->arch >= 80);
    CHECK(b->device_name[0] != '\0');
    printf("cuda_backend: %s, sm_%d, %u multiprocessors\n", b->device_name, b->arch, b->sms);
    CHECK(b->sms >= 1);
    /* programmatic dependent launch: on from sm_90 unless FOUNDRY_PDL=0 */
    const char *pdl = getenv("FOUNDRY_PDL");
    int want = b->arch >= 90 && !(pdl && !strcmp(pdl, "0"));
    CHECK_CONTAINS(info_line, want ? "programmatic dependent launch on" : "programmatic dependent launch off");
    /* a device that does not exist */
    fd_error e2 = { 0 };
    fd_backend *b2 = NULL;
    CHECK_EQ(fd_backend_cuda_create(999, cache_dir, logger, NULL, &b2, &e2), FD_ERR_INVALID);
    CHECK(b2 == NULL);
    CHECK_CONTAINS(e2.msg, "999");
}

static void teardown(void)
{
    if (gpu) gpu->destroy(gpu);
    gpu = NULL;
    fs_remove_tree(cache_dir);
}

static void fill_random(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(rng_next(&seed) >> 24);
}

static void test_round_trip(void)
{
    if (!gpu) SKIP("no GPU");
    static const size_t sizes[] = { 1, 3, 255, 4097, (size_t)1 << 20, ((size_t)1 << 20) + 3,
                                    ((size_t)8 << 20) + 5, ((size_t)21 << 20) + 7 };
    fd_error err = { 0 };
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t n = sizes[t];
        unsigned char *src = fd_malloc(n), *keep = fd_malloc(n), *back = fd_malloc(n);
        fd_devptr d = 0;
        CHECK(src && keep && back);
        if (!src || !keep || !back) goto next;
        fill_random(src, n);
        memcpy(keep, src, n);
        CHECK_OK(gpu->alloc(gpu, n, &d, &err), &err);
        CHECK_OK(gpu->upload(gpu, d, src, n, &err), &err);
        memset(src, 0xEE, n);   /* the caller may reuse its buffer as soon as upload returns */
        memset(back, 0, n);
        CHECK_OK(gpu->download(gpu, back, d, n, &err), &err);
        CHECK(memcmp(back, keep, n) == 0);
        gpu->release(gpu, d);
    next:
        fd_free(src);
        fd_free(keep);
        fd_free(back);
    }
}

static void test_out_of_memory_message(void)
{
    if (!gpu) SKIP("no GPU");
    fd_error err = { 0 };
    fd_devptr d = 1;
    CHECK_EQ(gpu->alloc(gpu, (size_t)1 << 46, &d, &err), FD_ERR_DEVICE);   /* 64 TiB */
    CHECK_EQ(d, 0);
    CHECK_CONTAINS(err.msg, "cuMemAlloc(70368744177664 bytes): CUDA_ERROR_");  /* OUT_OF_MEMORY */
}

static void test_many_small_uploads(void)
{
    if (!gpu) SKIP("no GPU");
    /* 3000 small uploads pack into the staging chunks and wrap around them */
    enum { N = 3000, W = 1500 };
    fd_error err = { 0 };
    fd_devptr d = 0;
    float *want = fd_malloc(sizeof(float) * N * W), *got = fd_malloc(sizeof(float) * N * W);
    float row[W];
    CHECK(want && got);
    if (!want || !got) goto done;
    CHECK_OK(gpu->alloc(gpu, sizeof(float) * N * W, &d, &err), &err);
    for (int r = 0; r < N; r++) {
        for (int i = 0; i < W; i++) row[i] = want[(size_t)r * W + i] = rng_uniform(&seed);
        CHECK_OK(gpu->upload(gpu, d + sizeof(float) * (size_t)r * W, row, sizeof row, &err), &err);
    }
    CHECK_OK(gpu->download(gpu, got, d, sizeof(float) * N * W, &err), &err);
    CHECK(memcmp(got, want, sizeof(float) * N * W) == 0);
    gpu->release(gpu, d);
done:
    fd_free(want);
    fd_free(got);
}

static void test_copy_and_memset(void)
{
    if (!gpu) SKIP("no GPU");
    enum { N = 100003 };
    fd_error err = { 0 };
    unsigned char *a = fd_malloc(N), *b = fd_malloc(N);
    fd_devptr d1 = 0, d2 = 0;
    CHECK(a && b);
    if (!a || !b) goto done;
    fill_random(a, N);
    CHECK_OK(gpu->alloc(gpu, N, &d1, &err), &err);
    CHECK_OK(gpu->alloc(gpu, N, &d2, &err), &err);
    CHECK_OK(gpu->upload(gpu, d1, a, N, &err), &err);
    CHECK_OK(gpu->memset8(gpu, d2, 0x5A, N, &err), &err);
    CHECK_OK(gpu->copy(gpu, d2 + 7, d1 + 3, N - 100, &err), &err);
    CHECK_OK(gpu->memset8(gpu, d2 + N - 50, 0x11, 13, &err), &err);
    CHECK_OK(gpu->download(gpu, b, d2, N, &err), &err);
    int ok = 1;
    for (size_t i = 0; i < N; i++) {
        unsigned char want = i < 7 ? 0x5A : i < 7 + (N - 100) ? a[i - 4] : 0x5A;
        if (i >= N - 50 && i < N - 37) want = 0x11;
        if (b[i] != want) ok = 0;
    }
    CHECK(ok);
    CHECK_OK(gpu->synchronize(gpu, &err), &err);
    gpu->release(gpu, d1);
    gpu->release(gpu, d2);
done:
    fd_free(a);
    fd_free(b);
}

/* Uploads n random floats to x; returns them in host (caller frees). */
static float *upload_random(fd_devptr x, size_t n, fd_error *err)
{
    float *h = fd_malloc(n * sizeof *h);
    if (!h) return NULL;
    for (size_t i = 0; i < n; i++) h[i] = rng_uniform(&seed);
    CHECK_OK(gpu->upload(gpu, x, h, n * sizeof *h, err), err);
    return h;
}

static int doubled(const float *y, const float *x, size_t n, float factor)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] != factor * x[i]) return 0;
    return 1;
}

static void test_compile_and_launch(void)
{
    if (!gpu) SKIP("no GPU");
    enum { N = 1000003 };
    fd_error err = { 0 };
    fd_devfn fn, fn2;
    fd_kcache_stats s0, s1;
    fd_devptr x = 0, y = 0;
    float *hy = fd_malloc(N * sizeof *hy), *hx = NULL;
    CHECK_OK(fd_cuda_cache_stats(gpu, &s0), NULL);
    CHECK_OK(gpu->compile(gpu, "k", DOUBLE_SRC, 0x1234, 0, &fn, &err), &err);
    CHECK(fn.fn != NULL);
    CHECK(fn.regs > 0);
    CHECK_EQ(fn.spills, 0);
    CHECK_OK(gpu->compile(gpu, "k", DOUBLE_SRC, 0x1234, 0, &fn2, &err), &err);   /* memory hit */
    CHECK(fn2.fn == fn.fn);
    CHECK_OK(fd_cuda_cache_stats(gpu, &s1), NULL);
    CHECK_EQ(s1.mem_hits - s0.mem_hits, 1);
    CHECK_EQ(s1.compiles + s1.disk_hits - s0.compiles - s0.disk_hits, 1);
    CHECK_OK(gpu->alloc(gpu, N * sizeof(float), &x, &err), &err);
    CHECK_OK(gpu->alloc(gpu, N * sizeof(float), &y, &err), &err);
    hx = upload_random(x, N, &err);
    CHECK(hx && hy);
    if (!hx || !hy) goto done;
    double_args a = { y, x, N };
    fd_launch l = { { (N + 255) / 256, 1, 1 }, { 256, 1, 1 }, 0, 0, 0 };
    CHECK_OK(gpu->launch(gpu, &fn, &l, &a, sizeof a, &err), &err);
    CHECK_OK(gpu->download(gpu, hy, y, N * sizeof(float), &err), &err);
    CHECK(doubled(hy, hx, N, 2.0f));
    /* a bad launch names the kernel */
    fd_error e2 = { 0 };
    fd_launch bad = { { 1, 1, 1 }, { 4096, 1, 1 }, 0, 0, 0 };
    CHECK_EQ(gpu->launch(gpu, &fn, &bad, &a, sizeof a, &e2), FD_ERR_DEVICE);
    CHECK_CONTAINS(e2.msg, "cuLaunchKernel('k'");
    CHECK_CONTAINS(e2.msg, "CUDA_ERROR_");
done:
    gpu->release(gpu, x);
    gpu->release(gpu, y);
    fd_free(hx);
    fd_free(hy);
}

static void test_second_backend_reads_disk_cache(void)
{
    if (!gpu) SKIP("no GPU");
    fd_error err = { 0 };
    fd_backend *b = NULL;
    fd_devfn fn;
    fd_kcache_stats s;
    /* the entry, whether or not test_compile_and_launch ran before in this process */
    CHECK_OK(gpu->compile(gpu, "k", DOUBLE_SRC, 0x1234, 0, &fn, &err), &err);
    CHECK_OK(fd_backend_cuda_create(0, cache_dir, logger, NULL, &b, &err), &err);
    if (!b) return;
    CHECK_OK(b->compile(b, "k", DOUBLE_SRC, 0x1234, 0, &fn, &err), &err);
    CHECK_OK(fd_cuda_cache_stats(b, &s), NULL);
    CHECK_EQ(s.compiles, 0);
    CHECK_EQ(s.disk_hits, 1);
    CHECK(fn.regs > 0);
    b->destroy(b);
    b = NULL;
    /* an entry whose checksum is right but whose image the driver refuses is dropped and rebuilt */
    DIR *d = opendir(cache_dir);
    struct dirent *e;
    unsigned long long key = 0;
    int entries = 0;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".cubin") && sscanf(e->d_name, "%16llx", &key) == 1) entries++;
    if (d) closedir(d);
    CHECK_EQ(entries, 1);
    fd_kcache_disk dc;
    static const char junk[] = "this is not a CUBIN, but its checksum is right";
    fd_kcd_open(&dc, cache_dir, logger, NULL);
    fd_kcd_put(&dc, key, junk, sizeof junk, 1, 0);
    CHECK_EQ(dc.stats.disk_writes, 1);
    CHECK_OK(fd_backend_cuda_create(0, cache_dir, logger, NULL, &b, &err), &err);
    if (!b) return;
    CHECK_OK(b->compile(b, "k", DOUBLE_SRC, 0x1234, 0, &fn, &err), &err);
    CHECK_OK(fd_cuda_cache_stats(b, &s), NULL);
    CHECK_EQ(s.corrupt, 1);
    CHECK_EQ(s.compiles, 1);
    CHECK_EQ(s.disk_writes, 1);
    b->destroy(b);
    fd_backend *cpu = NULL;
    CHECK_OK(fd_backend_cpu_create(&cpu, &err), &err);
    CHECK_EQ(fd_cuda_cache_stats(cpu, &s), FD_ERR_INVALID);
    if (cpu) cpu->destroy(cpu);
}

static void test_compile_error(void)
{
    if (!gpu) SKIP("no GPU");
    fd_error err = { 0 };
    fd_devfn fn;
    CHECK_EQ(gpu->compile(gpu, "broken", BAD_SRC, 77, 0, &fn, &err), FD_ERR_COMPILE);
    CHECK_CONTAINS(err.msg, "broken.cu(4)");
    CHECK_CONTAINS(err.msg, "a.y[threadIdx.x] = no_such_symbol_7;");
    CHECK(fn.fn == NULL);
    /* the entry point must exist in the module */
    fd_error e2 = { 0 };
    CHECK_EQ(gpu->compile(gpu, "not_k", DOUBLE_SRC, 78, 0, &fn, &e2), FD_ERR_DEVICE);
    CHECK_CONTAINS(e2.msg, "cuModuleGetFunction('not_k')");
}

static void test_large_dynamic_shared(void)
{
    if (!gpu) SKIP("no GPU");
    if (gpu->arch < 70) SKIP("needs sm_70 or later for > 48 KiB shared memory");
    enum { N = 24 * 1024 };   /* 96 KiB of floats */
    fd_error err = { 0 };
    fd_devfn fn;
    fd_devptr x = 0, y = 0;
    float *hx = NULL, *hy = fd_malloc(N * sizeof *hy);
    CHECK_OK(gpu->compile(gpu, "big_shared", SHARED_SRC, 99, 0, &fn, &err), &err);
    CHECK_OK(gpu->alloc(gpu, N * sizeof(float), &x, &err), &err);
    CHECK_OK(gpu->alloc(gpu, N * sizeof(float), &y, &err), &err);
    hx = upload_random(x, N, &err);
    if (!hx || !hy) goto done;
    double_args a = { y, x, N };
    fd_launch l = { { 1, 1, 1 }, { 512, 1, 1 }, N * sizeof(float), 0, 0 };
    CHECK_OK(gpu->launch(gpu, &fn, &l, &a, sizeof a, &err), &err);
    CHECK_OK(gpu->download(gpu, hy, y, N * sizeof(float), &err), &err);
    int ok = 1;
    for (size_t i = 0; i < N; i++)
        if (hy[i] != hx[N - 1 - i]) ok = 0;
    CHECK(ok);
done:
    gpu->release(gpu, x);
    gpu->release(gpu, y);
    fd_free(hx);
    fd_free(hy);
}

static void test_graph_and_events(void)
{
    if (!gpu) SKIP("no GPU");
    enum { N = 65536 };
    fd_error err = { 0 };
    fd_devfn fn;
    fd_devptr x = 0, y = 0, z = 0;
    void *graph = NULL, *e0 = NULL, *e1 = NULL;
    float *hx = NULL, *hz = fd_malloc(N * sizeof *hz);
    CHECK_OK(gpu->compile(gpu, "k", DOUBLE_SRC, 0x1234, 0, &fn, &err), &err);
    CHECK_OK(gpu->alloc(gpu, N * sizeof(float), &x, &err), &err);
    CHECK_OK(gpu->alloc(gpu, N * sizeof(float), &y, &err), &err);
    CHECK_OK(gpu->alloc(gpu, N * sizeof(float), &z, &err), &err);
    fd_launch l = { { N / 256, 1, 1 }, { 256, 1, 1 }, 0, 0, 0 };
    double_args a1 = { y, x, N }, a2 = { z, y, N };
    CHECK_OK(gpu->graph_begin(gpu, &err), &err);
    CHECK_OK(gpu->launch(gpu, &fn, &l, &a1, sizeof a1, &err), &err);
    CHECK_OK(gpu->launch(gpu, &fn, &l, &a2, sizeof a2, &err), &err);
    fd_error e2 = { 0 };
    float one = 1;
    CHECK_EQ(gpu->upload(gpu, x, &one, sizeof one, &e2), FD_ERR_STATE);   /* refused, capture goes on */
    CHECK_EQ(gpu->graph_begin(gpu, &e2), FD_ERR_STATE);
    CHECK_OK(gpu->graph_end(gpu, &graph, &err), &err);
    CHECK(graph != NULL);
    for (int rep = 0; rep < 3 && graph; rep++) {   /* new input each replay */
        fd_free(hx);
        hx = upload_random(x, N, &err);
        if (!hx || !hz) break;
        CHECK_OK(gpu->event_record(gpu, &e0, &err), &err);
        CHECK_OK(gpu->graph_launch(gpu, graph, &err), &err);
        CHECK_OK(gpu->event_record(gpu, &e1, &err), &err);
        float ms = -1;
        CHECK_OK(gpu->event_elapsed(gpu, e0, e1, &ms, &err), &err);
        CHECK(ms >= 0 && ms < 1000);
        gpu->event_free(gpu, e0);
        gpu->event_free(gpu, e1);
        CHECK_OK(gpu->download(gpu, hz, z, N * sizeof(float), &err), &err);
        CHECK(doubled(hz, hx, N, 4.0f));
        if (rep == 0) printf("cuda_backend: graph of 2 launches over %d floats: %.3f ms\n", N, ms);
    }
    gpu->graph_free(gpu, graph);
    fd_error e3 = { 0 };
    CHECK_EQ(gpu->graph_end(gpu, &graph, &e3), FD_ERR_STATE);   /* not capturing; graph set to NULL */
    CHECK(graph == NULL);
    gpu->release(gpu, x);
    gpu->release(gpu, y);
    gpu->release(gpu, z);
    fd_free(hx);
    fd_free(hz);
}

static void test_allocation_failures(void)
{
    if (!gpu) SKIP("no GPU");
    /* the n-th host allocation fails (and every later one): errors read well, nothing leaks (ASan) */
    for (long n = 1; n <= 8; n++) {
        fd_error err = { 0 };
        fd_backend *b = NULL;
        fd_devfn fn;
        char src[512];
        snprintf(src, sizeof src, "%s// variant %ld\n", DOUBLE_SRC, n);   /* not in any cache yet */
        fd_mem_fail_after(n, 1);
        fd_status st = fd_backend_cuda_create(0, cache_dir, logger, NULL, &b, &err);
        if (st == FD_OK) st = b->compile(b, "k", src, 5000 + (uint64_t)n, 0, &fn, &err);
        fd_mem_fail_after(0, 0);
        CHECK(st == FD_OK || st == FD_ERR_NOMEM || st == FD_ERR_COMPILE);
        if (st != FD_OK) CHECK(err.msg[0] != '\0');
        if (b) b->destroy(b);
    }
}

static void test_graph_free_and_destroy(void)
{
    fd_error err = { 0 };
    fd_devfn fn;
    void *graph = NULL;
    if (gpu) {
        CHECK_OK(gpu->compile(gpu, "k", DOUBLE_SRC, 0x1234, 0, &fn, &err), &err);
        CHECK_OK(gpu->graph_begin(gpu, &err), &err);
        CHECK_OK(gpu->graph_end(gpu, &graph, &err), &err);   /* empty graph */
        gpu->graph_free(gpu, graph);
        CHECK_OK(gpu->graph_begin(gpu, &err), &err);         /* destroy ends a dangling capture */
        gpu->destroy(gpu);
        gpu = NULL;
    }
    if (!graph) SKIP("no GPU");
}

/* A GPU older than the kernels need is named, with the minimum (no GPU needed). */
static void test_min_arch(void)
{
    fd_error err = { 0 };
    CHECK_EQ(fd_cu_check_arch(0, "Tesla T4", 75, &err), FD_ERR_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "device 0 (Tesla T4) is sm_75; Foundry's kernels need sm_80 or later");
    CHECK_EQ(fd_cu_check_arch(0, "NVIDIA A100", 80, NULL), FD_OK);
    CHECK_EQ(fd_cu_check_arch(0, "NVIDIA H100", 90, NULL), FD_OK);
}

TEST_MAIN(setup, test_min_arch, test_create, test_round_trip, test_out_of_memory_message, test_many_small_uploads, test_copy_and_memset, test_compile_and_launch,
          test_second_backend_reads_disk_cache, test_compile_error, test_large_dynamic_shared, test_graph_and_events,
          test_allocation_failures, test_graph_free_and_destroy, teardown)
