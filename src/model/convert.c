/* convert.c — dtype conversion at load: 2-D weights to the requested dtype
 * (f32, f16, bf16, q8_0, q4_0), 1-D tensors (norms, biases) to f32.
 *
 * Layer: model. Rows are converted in parallel (OpenMP) through f32: each
 * thread dequantizes a source row into its own scratch and quantizes it into
 * the destination. Buffers are allocated on the calling thread (the fault
 * injection counter is not thread-safe), owned by the model (m->owned).
 * Tensors already in the wanted dtype stay in the map, copied only when their
 * bytes are not 4-byte aligned (a safetensors header of odd length). Progress
 * goes to the caller's callback (opt->progress); the library draws nothing. */
#include <inttypes.h>
#include <omp.h>
#include <string.h>
#include "base/mem.h"
#include "model/model_int.h"

/* Converts t (rows x cols of `from` at src) into dst as `to`. scratch holds,
 * per thread, cols floats then one source row. */
static void convert_rows(const void *src, fd_dtype from, void *dst, fd_dtype to, uint64_t rows, uint64_t cols,
                         uint64_t in_row, uint64_t out_row, uint8_t *scratch, uint64_t stride, int nt)
{
    int64_t r;
#pragma omp parallel for schedule(static) num_threads(nt) if (rows > 8)
    for (r = 0; r < (int64_t)rows; r++) {
        uint8_t *mine = scratch + (uint64_t)omp_get_thread_num() * stride;
        float *x = (float *)mine;
        const uint8_t *s = (const uint8_t *)src + (uint64_t)r * in_row;
        if ((uintptr_t)s % 4) {
            memcpy(mine + cols * 4, s, in_row);
            s = mine + cols * 4;
        }
        fd_dequantize_row(from, s, x, cols);
        fd_quantize_row(to, x, (uint8_t *)dst + (uint64_t)r * out_row, cols);
    }
}

/* NaN or Inf among the n_elems values of one tensor as stored; a q8_0 or
 * q4_0 block whose scale is not finite counts all its values. */
static uint64_t count_nonfinite(fd_dtype dt, const uint8_t *p, uint64_t n_elems, int nt)
{
    uint64_t bad = 0, n = n_elems, unit = 1, stride;
    int64_t i;
    switch (dt) {
    case FD_F32: stride = 4; break;
    case FD_F16: case FD_BF16: stride = 2; break;
    case FD_Q8_0: stride = 2 + FD_QK, unit = FD_QK, n = n_elems / FD_QK; break;
    case FD_Q4_0: stride = 2 + FD_QK / 2, unit = FD_QK, n = n_elems / FD_QK; break;
    default: return 0;
    }
#pragma omp parallel for schedule(static) num_threads(nt) reduction(+ : bad) if (n > 65536)
    for (i = 0; i < (int64_t)n; i++) {
        const uint8_t *e = p + (uint64_t)i * stride;
        uint32_t v32;
        uint16_t v16;
        int nonfinite;
        if (dt == FD_F32) {
            memcpy(&v32, e, 4);
            nonfinite = (v32 & 0x7f800000u) == 0x7f800000u;
        } else {
            memcpy(&v16, e, 2);
            nonfinite = dt == FD_BF16 ? (v16 & 0x7f80u) == 0x7f80u : (v16 & 0x7c00u) == 0x7c00u;   /* f16 scales too */
        }
        bad += nonfinite ? unit : 0;
    }
    return bad;
}

fd_status fd_model_convert(fd_model *m, const fd_model_options *opt, fd_error *err)
{
    int nt = opt->n_threads > 0 ? opt->n_threads : omp_get_num_procs();
    uint64_t total = 0, done = 0, max_cols = 0, max_row = 0, stride;
    uint8_t *scratch;
    uint64_t shown = 0;
    fd_status rc = FD_OK;
    if (opt->n_threads < 0 || opt->n_threads > FD_MAX_THREADS)
        return fd_error_set(err, FD_ERR_INVALID, "%d conversion threads: the number must lie in 0..%d (0: one per core)",
                            opt->n_threads, FD_MAX_THREADS);
    if (nt < 1) nt = 1;
    if (nt > FD_MAX_THREADS) nt = FD_MAX_THREADS;
    m->info.n_threads = nt;
    for (uint64_t i = 0; i < m->n_t; i++) {
        const fd_model_tensor *t = &m->t[i];
        uint64_t cols = t->n_dims == 2 ? t->dims[1] : t->dims[0], rb;
        fd_dtype to = t->n_dims == 1 ? FD_F32 : opt->convert ? opt->dtype : t->dtype;
        if (fd_dtype_is_quant(to) && cols % FD_QK)
            return fd_error_set(err, FD_ERR_UNSUPPORTED, "%s: tensor %s: %" PRIu64 " columns are not a multiple of %d, "
                                "cannot convert to %s", m->path, t->name, cols, FD_QK, fd_dtype_name(to));
        FD_TRY(fd_dtype_row_bytes(t->dtype, cols, &rb, err));
        if (cols > max_cols) max_cols = cols;
        if (rb > max_row) max_row = rb;
        total += t->bytes;
    }
    for (uint64_t i = 0; opt->check_values && i < m->n_t; i++) {
        const fd_model_tensor *t = &m->t[i];
        uint64_t bad = count_nonfinite(t->dtype, t->data, t->n_elems, nt);
        if (bad && !m->info.first_nonfinite) m->info.first_nonfinite = t->name;
        m->info.n_nonfinite += bad;
    }
    stride = (max_cols * 4 + max_row + 63) / 64 * 64;
    if (!(scratch = fd_malloc((size_t)(stride * (uint64_t)nt))))
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory for conversion scratch", m->path);
    for (uint64_t i = 0; i < m->n_t && rc == FD_OK; i++) {
        fd_model_tensor *t = &m->t[i];
        uint64_t rows = t->n_dims == 2 ? t->dims[0] : 1, cols = t->n_dims == 2 ? t->dims[1] : t->dims[0];
        uint64_t in_row = 0, out_row = 0;
        fd_dtype to = t->n_dims == 1 ? FD_F32 : opt->convert ? opt->dtype : t->dtype;
        void *dst;
        done += t->bytes;
        if (to == t->dtype && (uintptr_t)t->data % 4 == 0) continue;
        rc = fd_dtype_row_bytes(t->dtype, cols, &in_row, err);
        if (rc == FD_OK) rc = fd_dtype_row_bytes(to, cols, &out_row, err);
        if (rc != FD_OK) break;
        if (!(dst = fd_malloc((size_t)(out_row * rows)))) {
            rc = fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory converting tensor %s", m->path, t->name);
            break;
        }
        convert_rows(t->data, t->dtype, dst, to, rows, cols, in_row, out_row, scratch, stride, nt);
        m->owned[i] = dst;
        t->data = dst;
        t->dtype = to;
        t->bytes = out_row * rows;
        if (opt->progress) opt->progress(opt->progress_user, done, total);
        shown = done;
    }
    if (rc == FD_OK && shown && shown < total && opt->progress) opt->progress(opt->progress_user, total, total);
    fd_free(scratch);
    return rc;
}
