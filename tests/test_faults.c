/* test_faults.c — allocation-failure injection over the core, the kernel
 * layer and the families: for every N, the N-th host allocation of a whole
 * sequence (foundry, tensors, compound build, generated source, fd_run of a
 * compound and of declared kernels on the CPU) fails; the sequence must
 * report FD_ERR_NOMEM with a message, leak nothing (LeakSanitizer in the
 * sanitizer build), and succeed once N passes its last allocation. */
#include "check.h"
#include "foundry/ops.h"
#include "base/mem.h"
#include "fault_util.h"

/* One pass; returns its first failure's status and message. */
static fd_status sequence(char *msg, size_t cap)
{
    fd_foundry *fd = NULL;
    fd_error err = { 0 };
    fd_compound *c = NULL;
    fd_tensor *x = NULL, *w = NULL, *y = NULL, *nw = NULL, *b = NULL;
    char *src = NULL;
    fd_status st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &fd, &err);
    if (st == FD_OK)
        st = fd_compound_build(&(fd_compound_desc){ .family = &FD_GEMV_FAMILY, .stage = {
                                   [FD_GEMV_INPUT] = &FD_STAGE_INPUT_RMSNORM, [FD_GEMV_WEIGHTS] = fd_gemv_policy(FD_Q8_0),
                                   [FD_GEMV_MAIN] = &FD_STAGE_GEMV, [FD_GEMV_EPILOGUE] = &FD_STAGE_EPI_BIAS } },
                               &c, &err);
    if (st == FD_OK) {
        fd_dtype dt[16];
        fd_kernel_variant(fd_compound_kernel(c), 0, dt);
        st = fd_kernel_source(fd_compound_kernel(c), dt, &src, &err);
    }
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 64 }, FD_INIT_ZEROS, NULL, &x);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_Q8_0, 2, (int64_t[]){ 8, 64 }, FD_INIT_ZEROS, NULL, &w);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 8 }, FD_INIT_ZEROS, NULL, &y);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 64 }, FD_INIT_ZEROS, NULL, &nw);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 8 }, FD_INIT_ZEROS, NULL, &b);
    if (st == FD_OK)
        st = fd_run(fd, fd_compound_kernel(c), &(fd_gemv_args){ .x = x, .norm_w = nw, .w0 = w, .b0 = b, .y0 = y,
                                                                 .cols = 64, .rows0 = 8, .eps = 1e-6f });
    if (st == FD_OK)
        st = fd_run(fd, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = y, .rows = 8, .cols = 64 });
    if (st == FD_OK) st = fd_run(fd, &FD_ADD, &(fd_add_args){ .a = y, .b = b, .y = y, .n = 8 });
    if (st != FD_OK) snprintf(msg, cap, "%s", err.msg[0] ? err.msg : fd_foundry_error(fd));
    fd_kernel_source_free(src);
    fd_compound_destroy(c);
    if (fd) {
        fd_tensor *t[] = { x, w, y, nw, b };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) (void)fd_tensor_free(t[i]);
    }
    fd_foundry_destroy(fd);
    return st;
}

static void test_every_allocation(void) { fault_walk("core, kernel layer, GEMV family", sequence); }

/* A dispatch that refuses says why, through fd_run's message (needs a
 * backend that compiles, so only the CPU path is exercised here: the CPU
 * twin of the GEMV family reports its own allocation failure instead; a
 * quantized weight, since float rows need no scratch). */
static void test_cpu_twin_reports(void)
{
    fd_foundry *fd = NULL;
    CHECK_OK(fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &fd, NULL), (fd_error *)NULL);
    fd_tensor *x, *w, *y;
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 64 }, FD_INIT_ZEROS, NULL, &x), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_Q8_0, 2, (int64_t[]){ 8, 64 }, FD_INIT_ZEROS, NULL, &w), (fd_error *)NULL);
    CHECK_OK(fd_tensor_alloc(fd, FD_F32, 1, (int64_t[]){ 8 }, FD_INIT_ZEROS, NULL, &y), (fd_error *)NULL);
    fd_mem_fail_after(1, 1);   /* the reference's scratch row */
    fd_status st = fd_run(fd, &FD_GEMV, &(fd_gemv_plain_args){ .x = x, .w = w, .y = y, .rows = 8, .cols = 64 });
    fd_mem_fail_after(0, 0);
    CHECK(st == FD_ERR_NOMEM);
    CHECK_CONTAINS(fd_foundry_error(fd), "gemv on the CPU");
    (void)fd_tensor_free(x), (void)fd_tensor_free(w), (void)fd_tensor_free(y);
    fd_foundry_destroy(fd);
}

TEST_MAIN(test_every_allocation, test_cpu_twin_reports)
