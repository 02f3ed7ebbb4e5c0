/* bench_quant.c — CPU dequantization of every quantized dtype: speed, and
 * the two helpers the exact-dequantization check needs.
 *
 *   bench_quant                       dequantization GB/s (of f32 written) per dtype
 *   bench_quant --dump FILE.gguf DIR  each tensor Foundry reads, dequantized to
 *                                     f32: DIR/<i>.f32 and DIR/index.tsv
 *                                     (i, name, GGML type, values) — read by
 *                                     tools/check_dequant.py
 *   bench_quant --random OUT.gguf L D H KV hd F V
 *                                     a random-weight Qwen2 of that shape as f32
 *                                     GGUF (untied head), for llama-quantize
 *
 * A program, not the library: it may print and exit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "foundry/gguf.h"
#include "foundry/model.h"

const char *bench_name = "bench_quant";

static void fail(const char *what, const fd_error *e)
{
    fprintf(stderr, "%s: %s: %s\n", bench_name, what, e->msg);
    exit(1);
}

static int dump(const char *path, const char *dir)
{
    fd_error e = { 0 };
    fd_gguf *g;
    char name[4096];
    if (fd_gguf_open_ex(path, FD_GGUF_ANY_TENSOR_TYPE, &g, &e) != FD_OK) fail(path, &e);
    snprintf(name, sizeof name, "%s/index.tsv", dir);
    FILE *ix = fopen(name, "w");
    if (!ix) {
        perror(name);
        return 1;
    }
    for (uint64_t i = 0; i < fd_gguf_tensor_count(g); i++) {
        const fd_gguf_tensor *t = fd_gguf_tensor_at(g, i);
        if (!t->supported) {
            fprintf(stderr, "%s: %s: tensor %s has type %s, which Foundry does not read\n", bench_name, path, t->name,
                    fd_gguf_ggml_type_name(t->ggml_type));
            return 1;
        }
        float *y = malloc(t->n_elems * sizeof *y);
        if (!y) return fprintf(stderr, "%s: out of memory\n", bench_name), 1;
        /* row by row, as every caller dequantizes (a row is whole blocks) */
        uint64_t rows = t->n_elems / t->ne[0], rb = t->bytes / rows;
        for (uint64_t r = 0; r < rows; r++)
            fd_dequantize_row(t->dtype, (const uint8_t *)t->data + r * rb, y + r * t->ne[0], (size_t)t->ne[0]);
        snprintf(name, sizeof name, "%s/%llu.f32", dir, (unsigned long long)i);
        FILE *f = fopen(name, "wb");
        if (!f || fwrite(y, sizeof *y, t->n_elems, f) != t->n_elems || fclose(f)) {
            perror(name);
            return 1;
        }
        fprintf(ix, "%llu\t%s\t%s\t%llu\n", (unsigned long long)i, t->name, fd_gguf_ggml_type_name(t->ggml_type),
                (unsigned long long)t->n_elems);
        free(y);
    }
    fclose(ix);
    fd_gguf_close(g);
    return 0;
}

static int random_model(char **a)
{
    fd_random_options o = { .dtype = FD_F32, .seed = 29 };
    fd_model_hparams *h = &o.hp;
    fd_error e = { 0 };
    fd_model *m;
    if (fd_model_preset("tiny", h) != FD_OK) return 1;
    h->n_layers = (uint32_t)atoi(a[1]), h->hidden = (uint32_t)atoi(a[2]), h->n_heads = (uint32_t)atoi(a[3]);
    h->n_kv_heads = (uint32_t)atoi(a[4]), h->head_dim = (uint32_t)atoi(a[5]), h->ffn = (uint32_t)atoi(a[6]);
    h->vocab = (uint32_t)atoi(a[7]);
    h->tie_embeddings = 0;
    if (fd_model_random(&o, &m, &e) != FD_OK) fail("random model", &e);
    if (fd_model_write_gguf(m, a[0], &e) != FD_OK) fail(a[0], &e);
    fd_model_close(m);
    return 0;
}

/* GB/s of f32 written, the median of 5 passes over 64 MiB of output. */
static void speed(void)
{
    const size_t n = 16u << 20;
    float *y = malloc(n * sizeof *y);
    printf("%-8s %10s\n", "dtype", "GB/s");
    for (int d = 0; d < FD_DTYPE_COUNT; d++) {
        if (fd_dtype_block_elems((fd_dtype)d) == 1) continue;
        size_t bytes = n / fd_dtype_block_elems((fd_dtype)d) * fd_dtype_block_bytes((fd_dtype)d);
        uint8_t *q = malloc(bytes);
        /* random blocks whose f16 fields are small finite numbers: 0x3c00 | low bits */
        for (size_t i = 0; i < bytes; i++) q[i] = (uint8_t)(i * 2654435761u >> 13);
        for (size_t i = 1; i < bytes; i += 2) q[i] = (uint8_t)((q[i] & 0x03) | 0x30);
        double t[5];
        for (int r = 0; r < 5; r++) {
            double t0 = bench_now();
            fd_dequantize_row((fd_dtype)d, q, y, n);
            t[r] = bench_now() - t0;
        }
        printf("%-8s %10.2f\n", fd_dtype_name((fd_dtype)d), n * 4.0 / bench_median(t, 5) / 1e9);
        free(q);
    }
    free(y);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--dump")) return dump(argv[2], argv[3]);
    if (argc == 10 && !strcmp(argv[1], "--random")) return random_model(argv + 2);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--dump FILE.gguf DIR | --random OUT.gguf L D H KV hd F V]\n", bench_name);
        return 2;
    }
    speed();
    return 0;
}
