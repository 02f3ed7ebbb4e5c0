/* wgmma.c — the GEMM family's Hopper members (sm_90a): wgmma on tiles that
 * TMA fills, a warp-specialised pipeline (device code: main_wgmma.cuh), and
 * split-K where a product makes fewer tiles than multiprocessors.
 *
 * Layer: ops. Legend as family.c's; BM x BN tiles (layout.cuh), 384 threads.
 * The members share the mma.sync family's argument struct, kinds, shape
 * check, bytes and CPU composition (the twin: x and W rounded to the operand
 * type, f32 sums), and its input, f16 / bf16 policy and epilogue stages;
 * only the main differs. What they add at launch (`tail`, the parameters
 * after fd_args): the weights' tensor maps, encoded per launch from the
 * tensors' current addresses (a host computation of a microsecond or so;
 * a map holds an address, so encoding per launch keeps it right for any
 * buffer, and a captured graph keeps the maps of its buffers, which do not
 * move), and the foundry's scratch for split-K's partial tiles. */
#include "ops/ops.h"
#include "ops/gemm/gemm_int.h"
#include "ops/gemm/layout.cuh"

/* at most this many splits: more would add fix-up reads for little gain */
#define MAX_SPLITS 8

void fd_gemm_wg_plan(uint32_t M, uint64_t cols, uint32_t K, unsigned sms, unsigned *bn, unsigned *splits)
{
    uint64_t rows = (M + FD_GEMM_WG_BM - 1) / FD_GEMM_WG_BM;
    *bn = rows * ((cols + 255) / 256) >= sms ? 256 : 128;
    uint64_t tiles = rows * ((cols + *bn - 1) / *bn), nk = (K + FD_GEMM_WG_BK - 1) / FD_GEMM_WG_BK;
    uint64_t s = 1;
    if (tiles < sms && tiles <= FD_GEMM_WG_COUNTERS) {
        s = sms / tiles;                       /* one wave of blocks */
        if (s > nk / 2) s = nk / 2;            /* at least two k-tiles a split */
        if (s > MAX_SPLITS) s = MAX_SPLITS;
        while (s > 1 && 4 * (FD_GEMM_WG_COUNTERS + tiles * s * FD_GEMM_WG_PART(*bn)) > FD_SCRATCH_BYTES) s--;
        if (s < 1) s = 1;
    }
    *splits = (unsigned)s;
}

static uint64_t cols_of(const fd_gemm_args *a) { return (uint64_t)a->N * (a->w1 ? 2 : 1); }

/* The plan, or with `split` 0 the plan's tile without split-K (the benchmark's comparison). */
static void plan(const fd_gemm_args *a, unsigned sms, int split, unsigned *bn, unsigned *sp)
{
    fd_gemm_wg_plan(a->M, cols_of(a), a->K, sms, bn, sp);
    if (!split) *sp = 1;
}

static fd_status dispatch(const void *p, fd_dispatch *d, int split)
{
    const fd_gemm_args *a = p;
    unsigned bn, sp;
    plan(a, d->sms, split, &bn, &sp);
    d->block[0] = FD_GEMM_WG_THREADS;
    d->grid[0] = (unsigned)((cols_of(a) + bn - 1) / bn);
    d->grid[1] = (a->M + FD_GEMM_WG_BM - 1) / FD_GEMM_WG_BM;
    d->grid[2] = sp;
    d->shared_bytes = FD_GEMM_WG_SMEM(bn);
    return FD_OK;
}

static fd_status wg_dispatch(const void *p, fd_dispatch *d, fd_error *err) { (void)err; return dispatch(p, d, 1); }
static fd_status wg1_dispatch(const void *p, fd_dispatch *d, fd_error *err) { (void)err; return dispatch(p, d, 0); }

/* The tensor maps of w0 (and w1), the workspace, BN and the splits of the launch dispatch chose. */
static fd_status tail_of(fd_foundry *fd, const void *p, const fd_dispatch *d, unsigned char *tail, size_t cap,
                         size_t *n, int split)
{
    const fd_gemm_args *a = p;
    _Static_assert(FD_GEMM_WG_TAIL_SPLITS + 4 <= FD_GEMM_WG_TAIL_BYTES, "the tail's fields fit its size");
    if (cap < FD_GEMM_WG_TAIL_BYTES) return fd_fail(fd, FD_ERR_UNSUPPORTED, "gemm (wgmma): no room for its parameters");
    if (!fd->be->tensor_map)
        return fd_fail(fd, FD_ERR_UNSUPPORTED, "gemm (wgmma): the %s backend has no tensor maps", fd->be->name);
    unsigned bn, sp;
    plan(a, d->sms, split, &bn, &sp);   /* what dispatch chose */
    const fd_tensor *w[2] = { a->w0, a->w1 };
    int np = a->w1 ? 2 : 1;
    for (int i = 0; i < np; i++)
        FD_TRY(fd->be->tensor_map(fd->be, tail + (i ? FD_GEMM_WG_TAIL_TW1 : FD_GEMM_WG_TAIL_TW0),
                                  fd_tensor_devptr(w[i]), a->N, a->K, bn / (unsigned)np, FD_GEMM_WG_BK, &fd->err));
    fd_devptr ws = 0;
    if (sp > 1) FD_TRY(fd_scratch(fd, &ws));
    memcpy(tail + FD_GEMM_WG_TAIL_WS, &ws, sizeof ws);
    uint32_t bn32 = bn, sp32 = sp;
    memcpy(tail + FD_GEMM_WG_TAIL_BN, &bn32, sizeof bn32);
    memcpy(tail + FD_GEMM_WG_TAIL_SPLITS, &sp32, sizeof sp32);
    *n = FD_GEMM_WG_TAIL_BYTES;
    return FD_OK;
}

static fd_status wg_tail(fd_foundry *fd, const void *p, const fd_dispatch *d, unsigned char *tail, size_t cap,
                         size_t *n)
{
    return tail_of(fd, p, d, tail, cap, n, 1);
}

static fd_status wg1_tail(fd_foundry *fd, const void *p, const fd_dispatch *d, unsigned char *tail, size_t cap,
                          size_t *n)
{
    return tail_of(fd, p, d, tail, cap, n, 0);
}

void fd_gemm_choose(int arch, int tensor_maps, fd_dtype dt, const fd_stage *main, const fd_family **fam,
                    const fd_stage **out)
{
    int hopper = arch == 90 && tensor_maps && (dt == FD_F16 || dt == FD_BF16);
    *fam = hopper ? &FD_GEMM_WG_FAMILY : &FD_GEMM_FAMILY;
    *out = !hopper ? main : main == &FD_STAGE_GEMM2 ? &FD_STAGE_GEMM2_WG : &FD_STAGE_GEMM_WG;
}

/* Every member: 2 policies (f16, bf16) x (wgtile: store, bias, residual; wgtile2: swiglu) x 2 inputs. */
static int wg_enumerate(size_t i, fd_compound_desc *d)
{
    static const fd_stage *const mains[][2] = {
        { &FD_STAGE_GEMM_WG, &FD_STAGE_GEMM_EPI_NONE }, { &FD_STAGE_GEMM_WG, &FD_STAGE_GEMM_EPI_BIAS },
        { &FD_STAGE_GEMM_WG, &FD_STAGE_GEMM_EPI_RESIDUAL }, { &FD_STAGE_GEMM2_WG, &FD_STAGE_GEMM_EPI_SWIGLU },
    };
    static const fd_stage *const inputs[] = { &FD_STAGE_GEMM_INPUT_PLAIN, &FD_STAGE_GEMM_INPUT_RMSNORM };
    static const fd_dtype pols[] = { FD_F16, FD_BF16 };
    size_t nm = sizeof mains / sizeof mains[0];
    if (i >= nm * 2 * 2) return 0;
    *d = (fd_compound_desc){ NULL, &FD_GEMM_WG_FAMILY, { [FD_GEMM_INPUT] = inputs[i / nm / 2],
                             [FD_GEMM_WEIGHTS] = fd_gemm_policy(pols[(i / nm) % 2]), [FD_GEMM_MAIN] = mains[i % nm][0],
                             [FD_GEMM_EPILOGUE] = mains[i % nm][1] } };
    return 1;
}

const fd_family FD_GEMM_WG_FAMILY = {
    .name = "gemm_wg", .args = fd_gemm_args_table, .kinds = fd_gemm_kinds, .nkinds = FD_GEMM_KINDS,
    .order = fd_gemm_order, .dtype_kind = FD_GEMM_WEIGHTS, .max_block = FD_GEMM_WG_THREADS,
    .check = fd_gemm_check, .dispatch = wg_dispatch, .bytes = fd_gemm_bytes, .cpu = fd_gemm_cpu,
    .defines = fd_gemm_defines, .enumerate = wg_enumerate, .tail = wg_tail,
};

/* The same without split-K, for bench_gemm's comparison (not in the registry). */
const fd_family FD_GEMM_WG1_FAMILY = {
    .name = "gemm_wg1", .args = fd_gemm_args_table, .kinds = fd_gemm_kinds, .nkinds = FD_GEMM_KINDS,
    .order = fd_gemm_order, .dtype_kind = FD_GEMM_WEIGHTS, .max_block = FD_GEMM_WG_THREADS,
    .check = fd_gemm_check, .dispatch = wg1_dispatch, .bytes = fd_gemm_bytes, .cpu = fd_gemm_cpu,
    .defines = fd_gemm_defines, .tail = wg1_tail,
};
