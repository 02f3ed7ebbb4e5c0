/* test_model_fuzz.c — deterministic mutation fuzzing of the model readers:
 * a valid small GGUF and safetensors file have bytes flipped, zeroed, set to
 * 0xff or cut short a few thousand times; every open must return (a status
 * with a message, or success) without crashing, reading out of bounds
 * (run it under ASan) or leaking. */
#include "check.h"
#include "model_util.h"
#include "foundry/gguf.h"
#include "foundry/model.h"
#include "format/safetensors.h"

static void mutate(uint8_t *p, size_t n, uint64_t *seed)
{
    int edits = 1 + (int)(rng_next(seed) % 4);
    for (int e = 0; e < edits; e++) {
        size_t at = (size_t)(rng_next(seed) % n);
        switch (rng_next(seed) % 5) {
        case 0: p[at] ^= (uint8_t)(1u << (rng_next(seed) % 8)); break;
        case 1: p[at] = 0; break;
        case 2: p[at] = 0xff; break;
        case 3: p[at] = (uint8_t)rng_next(seed); break;
        default: /* an 8-byte length field set large */
            if (at + 8 <= n) for (int k = 0; k < 8; k++) p[at + k] = k < 7 ? 0xff : 0x0f;
        }
    }
}

static void fuzz_file(const char *path, const uint8_t *orig, size_t n, int iters, uint64_t seed,
                      int (*open_fn)(const char *))
{
    uint8_t *p = malloc(n);
    int ok = 0, bad = 0;
    for (int i = 0; i < iters; i++) {
        size_t len = n;
        memcpy(p, orig, n);
        mutate(p, n, &seed);
        if (rng_next(&seed) % 8 == 0) len = (size_t)(rng_next(&seed) % n);
        write_file(path, p, len);
        if (open_fn(path)) ok++; else bad++;
    }
    printf("%s: %d opened, %d refused\n", path, ok, bad);
    CHECK(bad > 0);
    free(p);
}

static int open_gguf(const char *path)
{
    fd_error err = {0};
    fd_gguf *g = NULL;
    fd_status st = fd_gguf_open(path, &g, &err);
    if (st != FD_OK) {
        CHECK(err.msg[0] != 0 && g == NULL);
        return 0;
    }
    /* Touch everything the reader hands out. */
    for (uint64_t i = 0; i < fd_gguf_tensor_count(g); i++) {
        const fd_gguf_tensor *t = fd_gguf_tensor_at(g, i);
        volatile uint8_t sum = 0;
        for (uint64_t k = 0; k < t->bytes; k++) sum += ((const uint8_t *)t->data)[k];
    }
    for (uint64_t i = 0; i < fd_gguf_kv_count(g); i++) {
        const fd_gguf_kv *kv = fd_gguf_kv_at(g, i);
        if (kv->value.type == FD_GGUF_ARRAY)
            for (uint64_t k = 0; k < kv->value.v.arr.n; k++) (void)fd_gguf_array_item(&kv->value, k);
    }
    fd_gguf_close(g);
    return 1;
}

static int open_model(const char *path)
{
    fd_model_options o = { .convert = 1, .dtype = FD_Q8_0, .n_threads = 1 };
    fd_error err = {0};
    fd_model *m = NULL;
    if (fd_model_open(path, &o, &m, &err) != FD_OK) {
        CHECK(err.msg[0] != 0 && m == NULL);
        return 0;
    }
    fd_model_close(m);
    return 1;
}

static int open_st(const char *path)
{
    fd_error err = {0};
    fd_st_file *f = NULL;
    if (fd_st_open(path, &f, &err) != FD_OK) {
        CHECK(err.msg[0] != 0 && f == NULL);
        return 0;
    }
    for (uint64_t i = 0; i < f->n; i++) {
        volatile uint8_t sum = 0;
        for (uint64_t k = 0; k < f->t[i].bytes; k++) sum += ((const uint8_t *)f->t[i].data)[k];
    }
    fd_st_close(f);
    return 1;
}

/* A tiny model (1 layer, hidden 32) converted to GGUF, then fuzzed. */
static void test_fuzz(void)
{
    char *dir = temp_dir("fuzz"), *src = path_in(dir, "src"), *gg = path_in(dir, "m.gguf");
    char *st = path_in(src, "model.safetensors"), *fz = path_in(dir, "f.gguf"), *fs = path_in(dir, "f.safetensors");
    tiny_cfg c = { 1, 32, 1, 1, 32, 64, 1, 1, 0 };
    fd_model_options o = { .convert = 1, .dtype = FD_Q4_0 };
    fd_error err = {0};
    fd_model *m = NULL;
    uint8_t *bytes;
    size_t n = 0;
    char cmd[600];
    mkdir(src, 0755);
    write_tiny_hf(src, &c, 11);
    CHECK_OK(fd_model_open(src, &o, &m, &err), &err);
    if (!m) goto done;
    CHECK_OK(fd_model_write_gguf(m, gg, &err), &err);
    fd_model_close(m);
    bytes = read_all(gg, &n);
    fuzz_file(fz, bytes, n, 2000, 12345, open_gguf);
    fuzz_file(fz, bytes, n, 300, 777, open_model);
    free(bytes);
    bytes = read_all(st, &n);
    fuzz_file(fs, bytes, n, 2000, 999, open_st);
    /* and as a whole folder */
    snprintf(cmd, sizeof cmd, "%s/model.safetensors", src);
    {
        uint8_t *p = malloc(n);
        uint64_t seed = 4242;
        int ok = 0;
        for (int i = 0; i < 300; i++) {
            memcpy(p, bytes, n);
            mutate(p, n, &seed);
            write_file(cmd, p, n);
            ok += open_model(src);
        }
        printf("folder: %d of 300 opened\n", ok);
        free(p);
    }
    free(bytes);
done:
    free(src); free(gg); free(st); free(fz); free(fs);
    rm_tree(dir);
}

TEST_MAIN(test_fuzz)
