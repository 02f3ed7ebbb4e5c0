/* bench_int8_kl.c — what the int8 activation contract costs in accuracy at
 * the model level: the next-token distribution of a synthetic Qwen2 model
 * with quantized weights (its GEMVs multiply x rounded to int8 blocks)
 * against the same weights dequantized to f32 (the f32 policy: f32 x), on
 * the CPU, decode step by decode step. The two models' weights are equal
 * value for value (q8_0 / q4_0 -> f32 is exact), so the difference is the
 * activation rounding alone. Prints JSON: per step KL(p_f32 || p_int8) in
 * nats, the largest logit difference, the largest over the f32 path's top 5
 * (what tools/parity_qwen.py bounds), and whether the argmax agrees.
 * Usage: bench_int8_kl [--model tiny|qwen2.5-0.5b|...] [--dtype q8_0|q4_0] [-n STEPS]
 * (default tiny, q8_0, 8 steps). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "foundry/forward.h"
#include "foundry/model.h"

const char *bench_name = "bench_int8_kl";

/* KL(p || q) of softmax(a) and softmax(b), in double */
static double kl(const float *a, const float *b, uint32_t n)
{
    double ma = a[0], mb = b[0], za = 0, zb = 0, s = 0;
    for (uint32_t i = 1; i < n; i++) ma = fmax(ma, a[i]), mb = fmax(mb, b[i]);
    for (uint32_t i = 0; i < n; i++) za += exp(a[i] - ma), zb += exp(b[i] - mb);
    for (uint32_t i = 0; i < n; i++) {
        double la = a[i] - ma - log(za), lb = b[i] - mb - log(zb);
        s += exp(la) * (la - lb);
    }
    return s;
}

static uint32_t argmax(const float *a, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 1; i < n; i++) if (a[i] > a[k]) k = i;
    return k;
}

int main(int argc, char **argv)
{
    const char *preset = "tiny", *dtn = "q8_0";
    int steps = 8;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--model")) preset = argv[i + 1];
        else if (!strcmp(argv[i], "--dtype")) dtn = argv[i + 1];
        else if (!strcmp(argv[i], "-n")) steps = atoi(argv[i + 1]);
        else { fprintf(stderr, "bench_int8_kl: unknown option '%s'\n", argv[i]); return 2; }
    }
    fd_error err = { 0 };
    fd_random_options ro = { .seed = 7 };
    if (fd_model_preset(preset, &ro.hp) || fd_dtype_parse(dtn, &ro.dtype) || !fd_dtype_is_quant(ro.dtype) || steps < 1) {
        fprintf(stderr, "bench_int8_kl: want a preset (%s), a quantized dtype and -n >= 1\n", fd_model_preset_names());
        return 2;
    }
    char path[] = "/tmp/foundry_int8_kl_XXXXXX";
    int fdesc = mkstemp(path);
    if (fdesc < 0) { perror("bench_int8_kl: mkstemp"); return 1; }
    close(fdesc);
    fd_model *mq = NULL, *mf = NULL;
    fd_foundry *fq = NULL, *ff = NULL;
    fd_weights *wq, *wf;
    fd_state *sq, *sf;
    int rc = 1;
    if (fd_model_random(&ro, &mq, &err) || fd_model_write_gguf(mq, path, &err) ||
        fd_model_open(path, &(fd_model_options){ .convert = 1, .dtype = FD_F32, .no_tokenizer = 1 }, &mf, &err) ||
        fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &fq, &err) ||
        fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &ff, &err)) {
        fprintf(stderr, "bench_int8_kl: %s\n", err.msg);
        goto out;
    }
    fd_upload_options uo = { .ctx = (uint32_t)steps };
    if (fd_model_upload(fq, mq, &uo, &wq) || fd_state_create(fq, wq, 0, &sq)) die(fq, "upload");
    if (fd_model_upload(ff, mf, &uo, &wf) || fd_state_create(ff, wf, 0, &sf)) die(ff, "upload");
    uint32_t V = ro.hp.vocab;
    float *lq = malloc((size_t)V * 4), *lf = malloc((size_t)V * 4);
    double sum = 0, worst = 0, worst5 = 0;
    int agree = 0;
    printf("{\n  \"model\": \"%s\", \"dtype\": \"%s\", \"path\": \"int8 x vs f32 x, same weights, CPU\",\n  \"steps\": [\n",
           preset, dtn);
    for (int t = 0; t < steps; t++) {
        int32_t id = (int32_t)((t * 7919u + 13u) % V);
        if (fd_state_step(sq, id, lq)) die(fq, "step");
        if (fd_state_step(sf, id, lf)) die(ff, "step");
        double k = kl(lf, lq, V), dmax = 0, top5 = 0;
        for (uint32_t i = 0; i < V; i++) dmax = fmax(dmax, fabs((double)lf[i] - lq[i]));
        /* the f32 path's top 5, as tools/parity_qwen.py compares them (its bounds are absolute on these) */
        uint32_t top[5] = { 0 };
        for (int r = 0; r < 5; r++) {
            uint32_t best = UINT32_MAX;
            for (uint32_t i = 0; i < V; i++) {
                int taken = 0;
                for (int u = 0; u < r; u++) taken |= top[u] == i;
                if (!taken && (best == UINT32_MAX || lf[i] > lf[best])) best = i;
            }
            top[r] = best;
            top5 = fmax(top5, fabs((double)lf[best] - lq[best]));
        }
        worst5 = fmax(worst5, top5);
        int same = argmax(lf, V) == argmax(lq, V);
        sum += k, worst = fmax(worst, k), agree += same;
        printf("    {\"step\": %d, \"kl_nats\": %.3e, \"max_abs_logit_diff\": %.3e, \"top5_max_abs_diff\": %.3e, "
               "\"argmax_agrees\": %s}%s\n", t, k, dmax, top5, same ? "true" : "false", t + 1 < steps ? "," : "");
    }
    printf("  ],\n  \"mean_kl_nats\": %.3e, \"max_kl_nats\": %.3e, \"top5_max_abs_diff\": %.3e, \"argmax_agreement\": %.3f\n}\n",
           sum / steps, worst, worst5, (double)agree / steps);
    free(lq), free(lf);
    fd_state_destroy(sq), fd_state_destroy(sf);
    rc = 0;
out:
    fd_foundry_destroy(fq), fd_foundry_destroy(ff);
    fd_model_close(mq), fd_model_close(mf);
    unlink(path);
    return rc;
}
