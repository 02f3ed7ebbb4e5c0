/* rope.c — what a model says about RoPE beyond its base frequency: llama3
 * scaling of the inverse frequencies (config.json's values, or a GGUF's
 * rope_freqs.weight divisors), the layers that skip RoPE (SmolLM3's NoPE),
 * and the q/k row order of llama.cpp's converter, undone at upload.
 *
 * Layer: model. Computed once on the host; the kernels read the table as
 * the device tensor inv_freq (weights.c), one for rotating layers and one
 * of zeros (an exact identity rotation) for NoPE layers. */
#include <math.h>
#include "base/mem.h"
#include "foundry/ops.h"
#include "model/model_int.h"

uint32_t fd_qk_file_row(uint32_t r, uint32_t head_dim)
{
    uint32_t half = head_dim / 2, h = r / head_dim, o = r % head_dim, t = o / half, j = o % half;
    return h * head_dim + 2 * j + t;
}

int fd_model_layer_rope(const fd_model_hparams *hp, uint32_t l)
{
    return !hp->nope_period || (l + 1) % hp->nope_period != 0;
}

/* transformers' _compute_llama3_parameters, per frequency: wavelengths
 * shorter than original / high_freq_factor keep theirs, longer than
 * original / low_freq_factor are divided by factor, and between the two
 * the frequency is blended: (1 - s) f / factor + s f with
 * s = (original / wavelength - low) / (high - low). */
static void llama3_scale(float *inv, uint32_t n, const fd_model_hparams *hp)
{
    double lo_wl = hp->rope_orig_ctx / hp->rope_low_freq, hi_wl = hp->rope_orig_ctx / hp->rope_high_freq;
    for (uint32_t i = 0; i < n; i++) {
        double f = inv[i], wl = 2 * M_PI / f;
        if (wl > lo_wl) {
            f /= hp->rope_factor;
        } else if (wl >= hi_wl) {
            double s = (hp->rope_orig_ctx / wl - hp->rope_low_freq) / (hp->rope_high_freq - hp->rope_low_freq);
            f = (1 - s) * f / hp->rope_factor + s * f;
        }
        inv[i] = (float)f;
    }
}

fd_status fd_model_rope_inv_freq(const fd_model *m, float *inv, fd_error *err)
{
    const fd_model_hparams *hp = &m->info.hp;
    uint32_t n = hp->head_dim / 2;
    fd_rope_inv_freq(inv, hp->head_dim, hp->rope_theta);
    if (hp->rope_factor > 0) llama3_scale(inv, n, hp);
    const fd_arch_tensor *at = fd_arch_tensor_of(m->arch, FD_ROLE_ROPE_FREQS);
    const fd_model_tensor *t = at ? fd_model_tensor_find(m, at->gguf) : NULL;
    if (!t) return FD_OK;
    float *d = fd_malloc((size_t)n * sizeof *d);
    if (!d) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", at->gguf);
    fd_dequantize_row(t->dtype, t->data, d, n);   /* shape checked (hd / 2), 1-D: a float type */
    fd_status rc = FD_OK;
    for (uint32_t i = 0; i < n && rc == FD_OK; i++) {
        if (!(d[i] > 0) || !isfinite(d[i]))
            rc = fd_error_set(err, FD_ERR_FORMAT, "%s: %s[%u] = %g is not a positive divisor", m->path, at->gguf, i,
                              (double)d[i]);
        else inv[i] /= d[i];
    }
    fd_free(d);
    return rc;
}
