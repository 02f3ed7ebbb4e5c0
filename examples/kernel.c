/* kernel.c — declaring a kernel on libfoundry and checking it: y = alpha·x + b
 * as CUDA code (compiled at run time by NVRTC on a GPU) with its CPU twin
 * (what fd_run runs on the CPU backend), run through fd_run and compared with
 * a plain double-precision loop.
 *
 *   kernel [cpu|cuda|auto]     (default auto: the GPU when there is one)
 *
 * Built against the installed library:
 *   cc kernel.c $(pkg-config --cflags --libs foundry) -o kernel */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "foundry/foundry.h"
#include "foundry/kernel.h"
#include "foundry/tensor.h"

/* One list is the C struct, the descriptor table and the device struct.
 * x, b, y: (n) f32 */
#define AXPB_ARGS(IN, OUT, PARAM) IN(x, FD_ACT) IN(b, FD_ACT) OUT(y, FD_ACT) PARAM(float, alpha) PARAM(uint32_t, n)
FD_KERNEL_ARGS(axpb_args, AXPB_ARGS)

static fd_status axpb_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    const axpb_args *a = p;
    d->block[0] = 256;
    d->grid[0] = (a->n + 255) / 256;
    return FD_OK;
}

/* The CPU twin: the same arithmetic on host memory, in float as the device does. */
static fd_status axpb_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const axpb_args *a = p;
    const float *x = fd_tensor_data(a->x), *b = fd_tensor_data(a->b);
    float *y = fd_tensor_data(a->y);
    for (uint32_t i = 0; i < a->n; i++) y[i] = a->alpha * x[i] + b[i];
    return FD_OK;
}

static const fd_kernel AXPB = {
    .name = "example_axpb", .args = axpb_args_table, .max_block = 256, .dispatch = axpb_dispatch, .cpu = axpb_cpu,
    /* device code: after the prelude and the generated `fd_args` struct (a tensor is a typed pointer) */
    .cuda = "FD_KERNEL(fd_args a) {\n"
            "  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;\n"
            "  if (i < a.n) a.y[i] = a.alpha * a.x[i] + a.b[i];\n"
            "}\n",
};

int main(int argc, char **argv)
{
    fd_backend_kind be = FD_BACKEND_AUTO;
    if (argc > 1 && !strcmp(argv[1], "cpu")) be = FD_BACKEND_CPU;
    else if (argc > 1 && !strcmp(argv[1], "cuda")) be = FD_BACKEND_CUDA;
    else if (argc > 1 && strcmp(argv[1], "auto")) return fprintf(stderr, "usage: kernel [cpu|cuda|auto]\n"), 2;
    enum { N = 10000 };
    static float x[N], b[N], y[N];
    for (int i = 0; i < N; i++) x[i] = sinf((float)i), b[i] = (float)(i % 7) - 3;
    fd_error err = { 0 };
    fd_foundry *fd = NULL;
    fd_tensor *tx = NULL, *tb = NULL, *ty = NULL;
    int64_t dims[1] = { N };
    fd_status st = fd_foundry_create(&(fd_options){ .backend = be }, &fd, &err);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, dims, FD_INIT_COPY, x, &tx);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, dims, FD_INIT_COPY, b, &tb);
    if (st == FD_OK) st = fd_tensor_alloc(fd, FD_F32, 1, dims, FD_INIT_ZEROS, NULL, &ty);
    if (st == FD_OK) st = fd_run(fd, &AXPB, &(axpb_args){ .x = tx, .b = tb, .y = ty, .alpha = 0.5f, .n = N });
    if (st == FD_OK) st = fd_tensor_read(ty, y, sizeof y);
    if (st != FD_OK) fprintf(stderr, "kernel: %s: %s\n", fd_status_name(st), err.msg[0] ? err.msg : fd ? fd_foundry_error(fd) : "");
    fd_tensor_free(tx), fd_tensor_free(tb), fd_tensor_free(ty);   /* NULL: nothing */
    if (st != FD_OK) {
        fd_foundry_destroy(fd);
        return 1;
    }
    /* the bound: the device may fuse the multiply-add (one rounding) where the twin rounds twice, each
     * rounding at most half an ulp of its terms: 2^-23 of |alpha x| + |b| covers both */
    double worst = 0;
    for (int i = 0; i < N; i++) {
        double want = 0.5 * x[i] + b[i], e = fabs(y[i] - want) / (fabs(0.5 * x[i]) + fabs(b[i]) + 1e-30);
        if (e > worst || isnan(e)) worst = isnan(e) ? INFINITY : e;
    }
    int ok = worst <= 0x1p-23;
    printf("example_axpb on the %s: %d values, worst relative error %.3g (bound 1.2e-07): %s\n",
           fd_foundry_backend(fd) == FD_BACKEND_CUDA ? "GPU" : "CPU", N, worst, ok ? "ok" : "FAILED");
    fd_foundry_destroy(fd);
    return ok ? 0 : 1;
}
