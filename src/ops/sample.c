/* sample.c — FD_SAMPLE, the token sampler (penalties, temperature, top-k,
 * min-p, top-p, a Philox draw), its CPU twin and fd_sample_ref; FD_PHILOX.
 *
 * Layer: ops. Legend: V = n vocabulary entries, C+1 = cap positions. The
 * rules are in include/foundry/ops.h; the arithmetic both sides share is
 * ops/sample_rule.cuh; device code in sample.cuh and philox.cuh.
 *
 * Thresholds are found by one rule on both sides, `select`: given members
 * with a 32-bit key and an integer weight, the largest t such that the
 * members with key >= t weigh >= need. Top-k is select(logit key, weight
 * 1, k); top-p select(logit key, w, ceil(p W)); the draw select(~id, w,
 * target + 1), i.e. the first id whose running weight exceeds target. Both
 * sides find t by radix select (four 8-bit digits from the top, 256
 * buckets of counts and weights), stopping early when the chosen bucket
 * holds one member or completes `need` exactly: the kept set {key >= t}
 * is then the same as for the exact t. */
#include "ops/ops.h"
#include "ops/sample_rule.cuh"
#include "base/mem.h"

void fd_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    fd_philox4x32_10(ctr, key, out);
}

void fd_sampler_defaults(fd_sampler *s)
{
    *s = (fd_sampler){ .temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
                       .repeat_penalty = 1.0f, .presence_penalty = 0.0f, .frequency_penalty = 0.0f,
                       .last_n = 64, .seed = 0 };
}

void fd_sample_set(fd_sample_args *a, const fd_sampler *s)
{
    a->temperature = s->temperature, a->top_k = s->top_k, a->top_p = s->top_p, a->min_p = s->min_p;
    a->repeat_penalty = s->repeat_penalty, a->presence_penalty = s->presence_penalty;
    a->frequency_penalty = s->frequency_penalty, a->last_n = s->last_n, a->seed = s->seed;
}

/* The radix select of the file comment over m members (w NULL: weight 1);
 * the members weigh >= need >= 1. *lo: the kept set is key >= *lo; *sum:
 * its weight. `early` 0 gives the exact t. */
static void select_keys(const uint32_t *key, const uint64_t *w, size_t m, uint64_t need, int early,
                        uint32_t *lo, uint64_t *sum)
{
    uint32_t prefix = 0;
    uint64_t above = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        uint64_t ws[256] = { 0 };
        uint32_t cnt[256] = { 0 };
        uint32_t himask = shift == 24 ? 0 : ~0u << (shift + 8);
        for (size_t i = 0; i < m; i++) {
            if ((key[i] & himask) != prefix) continue;
            uint32_t d = (key[i] >> shift) & 255;
            cnt[d]++;
            ws[d] += w ? w[i] : 1;
        }
        int b = 255;
        while (b > 0 && above + ws[b] < need) above += ws[b--];
        prefix |= (uint32_t)b << shift;
        if (shift == 0 || (early && (cnt[b] == 1 || above + ws[b] == need))) {
            *lo = prefix, *sum = above + ws[b];
            return;
        }
    }
}

/* The sampler on host arrays. counts: (n) zero on entry, zero on return. */
static fd_status sample_host(const fd_sample_args *a, const float *logits, const int32_t *hist, int32_t pos,
                             int32_t *counts, int32_t *id)
{
    int lo, hi;
    uint32_t nv = a->valid < a->n ? a->valid : a->n;
    fd_samp_window(pos, a->last_n, a->cap, &lo, &hi);
    for (int j = lo; j <= hi; j++)
        if (hist[j] >= 0 && (uint32_t)hist[j] < a->n) counts[hist[j]]++;
    float *pl = fd_malloc((size_t)nv * sizeof *pl + 1);
    uint32_t *key = fd_malloc((size_t)nv * 2 * sizeof *key + 1), *idx = key + nv;
    uint64_t *w = fd_malloc((size_t)nv * sizeof *w + 1);
    fd_status st = FD_OK;
    if (!pl || !key || !w) {
        st = FD_ERR_NOMEM;
        *id = -1;
        goto done;
    }
    /* candidates, their keys, the largest (first index on ties) */
    uint32_t ncand = 0, best = 0, bestkey = 0;
    for (uint32_t i = 0; i < nv; i++) {
        pl[i] = fd_samp_penalize(logits[i], counts[i], a->repeat_penalty, a->presence_penalty,
                                 a->frequency_penalty);
        if (isnan(pl[i])) continue;
        uint32_t k = fd_samp_key(pl[i]);
        key[ncand++] = k;
        if (ncand == 1 || k > bestkey) best = i, bestkey = k;
    }
    *id = 0;
    if (!ncand) goto done;
    *id = (int32_t)best;
    float m = pl[best];
    if (!(a->temperature > 0) || a->top_k == 1 || isinf(m)) goto done;
    /* top-k over the candidates' keys */
    uint32_t lo_k = 0;
    uint64_t sum;
    if (a->top_k > 1 && (uint32_t)a->top_k < ncand) select_keys(key, NULL, ncand, (uint64_t)a->top_k, 1, &lo_k, &sum);
    /* weights, min-p: the members, in index order */
    double t = a->temperature, minp = a->min_p > 0 ? (a->min_p < 1 ? a->min_p : 1.0) : 0.0;
    double cut = t * (minp > 0 && log(minp) - 1e-6 > -40.0 ? log(minp) - 1e-6 : -40.0);
    size_t mm = 0;
    uint64_t total = 0;
    for (uint32_t i = 0; i < nv; i++) {
        if (isnan(pl[i])) continue;
        uint32_t k = fd_samp_key(pl[i]);
        if (k < lo_k) continue;
        uint64_t wi = fd_samp_weight(pl[i], m, t, cut, minp);
        if (!wi) continue;
        key[mm] = k, idx[mm] = i, w[mm++] = wi;
        total += wi;
    }
    /* top-p */
    uint32_t lo_p = 0;
    uint64_t wf = total;
    if (a->top_p < 1) {
        double x = ceil((double)a->top_p * (double)total);
        uint64_t need = x < 1 ? 1 : (x >= (double)total ? total : (uint64_t)x);
        select_keys(key, w, mm, need, 1, &lo_p, &wf);
    }
    /* the draw: the first member of key >= lo_p whose running weight exceeds target */
    uint64_t target = fd_mulhi64(fd_samp_uniform(a->seed, pos), wf), run = 0;
    for (size_t j = 0; j < mm; j++) {
        if (key[j] < lo_p) continue;
        run += w[j];
        if (run > target) {
            *id = (int32_t)idx[j];
            break;
        }
    }
done:
    for (int j = lo; j <= hi; j++)
        if (hist[j] >= 0 && (uint32_t)hist[j] < a->n) counts[hist[j]] = 0;
    fd_free(pl), fd_free(key), fd_free(w);
    return st;
}

fd_status fd_sample_ref(const float *logits, uint32_t n, uint32_t valid, const int32_t *hist, uint32_t cap,
                        int32_t pos, const fd_sampler *s, int32_t *id)
{
    fd_sample_args a = { .n = n, .valid = valid, .cap = cap };
    fd_sample_set(&a, s);
    *id = -1;
    int32_t *counts = fd_calloc(n ? n : 1, sizeof *counts);
    if (!counts) return FD_ERR_NOMEM;
    fd_status st = sample_host(&a, logits, hist, pos, counts, id);
    fd_free(counts);
    return st;
}

/* ---- FD_SAMPLE */
#define SAMPLE_SLICE 2048   /* logits per block (sample.cuh FD_SAMP_SLICE) */
#define SAMPLE_THREADS 512  /* sample.cuh FD_SAMP_THREADS */
#define SAMPLE_HEADER 16    /* ints of the scratch's header (sample.cuh fd_samp_hdr) */

#define SAMPLE_GRID_INTS 3072  /* the grid pass's four top-p histograms (sample.cuh fd_samp_ghist) */

/* the header, the grid pass's histograms (zero between launches, like the
 * header), then the list, 16 bytes a member (or the grid pass's u64 weight
 * a slice) */
uint64_t fd_sample_scratch_ints(uint32_t n) { return SAMPLE_HEADER + SAMPLE_GRID_INTS + 4ull * n; }

/* the vocabulary sizes sample.cuh is written for */
const char *fd_sample_n_rule(uint32_t n) { return n && n < (1u << 24) ? NULL : "1 to 16777215"; }

static fd_status sample_check(const void *p, fd_error *err)
{
    const fd_sample_args *a = p;
    if (fd_sample_n_rule(a->n))
        return fd_error_set(err, FD_ERR_INVALID, "sample: n = %u, must be %s", a->n, fd_sample_n_rule(a->n));
    if (a->logits->numel != a->n)
        return fd_error_set(err, FD_ERR_INVALID, "sample: logits must hold n = %u values", a->n);
    if ((uint64_t)a->counts->numel < fd_sample_scratch_ints(a->n))
        return fd_error_set(err, FD_ERR_INVALID, "sample: counts must hold fd_sample_scratch_ints(n) = %llu values",
                            (unsigned long long)fd_sample_scratch_ints(a->n));
    if (a->counts->offset % 16)
        return fd_error_set(err, FD_ERR_INVALID, "sample: counts must start 16-byte aligned (16-byte members)");
    if (a->hist->numel != a->cap || a->pos->numel != 1 || a->ids->numel != 1)
        return fd_error_set(err, FD_ERR_INVALID, "sample: hist must hold cap = %u ids, pos and ids one", a->cap);
    return FD_OK;
}

static fd_status sample_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    const fd_sample_args *a = p;
    /* a block per slice, at most one per SM (each loops over its slices):
     * the grid pass's grid syncs need every block resident at once, and
     * a block of SAMPLE_THREADS and ~44 KB of shared memory always fits an
     * idle SM. Fixed by n and the device: replays need no new grid. */
    unsigned slices = (a->n + SAMPLE_SLICE - 1) / SAMPLE_SLICE, sms = d->sms ? d->sms : 1;
    d->grid[0] = slices < sms ? slices : sms;
    d->block[0] = SAMPLE_THREADS;
    return FD_OK;
}

static fd_status sample_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k;
    const fd_sample_args *a = p;
    int32_t *ids = fd_tensor_data(a->ids);
    fd_status st = sample_host(a, fd_tensor_data(a->logits), fd_tensor_data(a->hist),
                               *(const int32_t *)fd_tensor_data(a->pos), fd_tensor_data(a->counts), ids);
    if (st) return fd_error_set(err, st, "sample: out of memory for %u logits", a->n);
    return FD_OK;
}

static uint64_t sample_bytes(const void *p) { return 4ull * ((const fd_sample_args *)p)->n; }

const fd_kernel FD_SAMPLE = {
    .name = "sample", .args = fd_sample_args_table, .flags = FD_KERNEL_PDL, .max_block = SAMPLE_THREADS,
    .check = sample_check, .dispatch = sample_dispatch, .cpu = sample_cpu, .bytes = sample_bytes,
    .cuda = "#include \"ops/sample.cuh\"\n",
};

/* ---- FD_PHILOX */
static fd_status philox_check(const void *p, fd_error *err)
{
    const fd_philox_args *a = p;
    if (a->y->numel != 4 * (int64_t)a->n)
        return fd_error_set(err, FD_ERR_INVALID, "philox: y must hold 4 n = %llu words", 4ull * a->n);
    return FD_OK;
}

static fd_status philox_dispatch(const void *p, fd_dispatch *d, fd_error *err)
{
    (void)err;
    fd_grid_n(d, ((const fd_philox_args *)p)->n, 1);
    return FD_OK;
}

static fd_status philox_cpu(const fd_kernel *k, const void *p, fd_error *err)
{
    (void)k, (void)err;
    const fd_philox_args *a = p;
    uint32_t *y = fd_tensor_data(a->y), key[2] = { (uint32_t)a->key, (uint32_t)(a->key >> 32) };
    for (uint32_t i = 0; i < a->n; i++) fd_philox4x32_10((uint32_t[4]){ i, a->ctr1, 0, 0 }, key, y + 4 * (size_t)i);
    return FD_OK;
}

static uint64_t philox_bytes(const void *p) { return 16ull * ((const fd_philox_args *)p)->n; }

const fd_kernel FD_PHILOX = {
    .name = "philox", .args = fd_philox_args_table, .max_block = 256,
    .check = philox_check, .dispatch = philox_dispatch, .cpu = philox_cpu, .bytes = philox_bytes,
    .cuda = "#include \"ops/philox.cuh\"\n",
};
