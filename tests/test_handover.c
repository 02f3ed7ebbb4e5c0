/* test_handover.c — FD_HANDOVER, the persistent step's all-blocks hand-over:
 * after any number of launches (eager and replayed from a graph) every block
 * has arrived at every hand-over, on the CPU twin and on the GPU (where a
 * missing arrival would hang, and a bad release/acquire pair shows as a wrong
 * count once the GPU runs the chain 1,000 times), chains of differing length
 * following each other. */
#include "check.h"
#include "foundry/foundry.h"
#include "foundry/ops.h"
#include "foundry/tensor.h"

static void run_chain(fd_backend_kind kind)
{
    fd_foundry *fd = NULL;
    fd_error err = { 0 };
    if (fd_foundry_create(&(fd_options){ .backend = kind }, &fd, &err)) {
        if (kind == FD_BACKEND_CUDA) SKIP("no GPU: %s", err.msg);
        CHECK_OK(FD_ERR_INVALID, &err);
        return;
    }
    unsigned blocks = kind == FD_BACKEND_CUDA ? fd_foundry_multiprocessors(fd) : 1;
    fd_tensor *st = NULL;
    CHECK_OK(fd_tensor_alloc(fd, FD_I32, 1, (int64_t[]){ 2 }, FD_INIT_ZEROS, NULL, &st), &err);
    fd_handover_args a = { .state = st, .stages = 7, .blocks = blocks };
    int launches = kind == FD_BACKEND_CUDA ? 1000 : 10;
    uint32_t arrivals = 0;
    for (int i = 0; i < launches; i++) {   /* chains of 1..7 hand-overs, the last ones 7 */
        a.stages = i < launches - 8 ? (uint32_t)(i % 7) + 1 : 7;
        arrivals += a.stages * blocks;
        CHECK_OK(fd_run(fd, &FD_HANDOVER, &a), &err);
    }
    fd_graph *g = NULL;   /* replayed: the counters go on growing with no host write */
    if (kind == FD_BACKEND_CUDA) {
        CHECK_OK(fd_graph_begin(fd), &err);
        CHECK_OK(fd_run(fd, &FD_HANDOVER, &a), &err);
        CHECK_OK(fd_graph_end(fd, &g), &err);
        for (int i = 0; i < 5; i++) CHECK_OK(fd_graph_launch(fd, g), &err);
        arrivals += 5 * 7 * blocks;
    }
    CHECK_OK(fd_foundry_sync(fd), &err);
    uint32_t v[2] = { 0, 0 };
    CHECK_OK(fd_tensor_read(st, v, sizeof v), &err);
    CHECK_EQ(v[0], arrivals);
    CHECK_EQ(v[1], arrivals);
    a.stages = 0;
    CHECK(fd_run(fd, &FD_HANDOVER, &a) == FD_ERR_INVALID);
    fd_graph_free(fd, g);
    CHECK_OK(fd_tensor_free(st), &err);
    fd_foundry_destroy(fd);
}

static void test_cpu(void) { run_chain(FD_BACKEND_CPU); }
static void test_gpu(void) { run_chain(FD_BACKEND_CUDA); }

TEST_MAIN(test_cpu, test_gpu)
