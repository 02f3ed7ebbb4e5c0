/* bench_tokenizer.c — load time and encode / decode throughput of the tokenizer.
 *
 * usage: bench_tokenizer [MODEL] [MB]   (MODEL: folder, tokenizer.json or .gguf;
 * default tests/data/tokenizer from the repository root; MB of text, default 4)
 * Prints one JSON object: load seconds (median of 5 loads), encode MB/s on
 * a cold piece cache (first pass) and warm (median of 5 passes), decode MB/s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/mem.h"
#include "foundry/tokenizer.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median5(double *v)
{
    qsort(v, 5, sizeof *v, cmp_d);
    return v[2];
}

/* A few MB of mixed text: English words, code, numbers, other scripts, emoji, whitespace. */
static char *make_text(size_t bytes, size_t *len)
{
    static const char *frag[] = {
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on", "tokenizer", "model",
        "language", "generation", "throughput", "Hello", "World", "I'm", "don't", "they'LL", "it's", "1,000,000",
        "3.14159", "2024-06-11", "42", "12345678", "def f(x):\n    return x * 2\n", "int main(void) { return 0; }",
        "{\"key\": [1, 2, 3]}", "<div class=\"a\">", "</div>", "\n", "\n\n", "\t", "    ", "  ", ".", ",", "!", "?",
        "Привет", "мир", "Ελληνικά", "你好世界", "自然语言处理", "こんにちは", "日本語", "안녕하세요", "مرحبا",
        "שלום", "नमस्ते", "สวัสดี", "café", "naïve", "Straße", "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵", "<|im_end|>",
    };
    size_t nf = sizeof frag / sizeof frag[0];
    char *s = malloc(bytes + 64);
    size_t k = 0;
    uint64_t r = 0x9E3779B97F4A7C15ull;
    while (s && k < bytes) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        const char *f = frag[r % nf];
        size_t n = strlen(f);
        memcpy(s + k, f, n);
        k += n;
        if ((r >> 20) % 4) s[k++] = ' ';
    }
    *len = k;
    return s;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : NULL;
    if (!path) path = access("tests/data/tokenizer/tokenizer.json", R_OK) == 0 ? "tests/data/tokenizer"
                                                                              : "../tests/data/tokenizer";
    double mb = argc > 2 ? atof(argv[2]) : 4.0;
    fd_error err = { 0 };
    fd_tokenizer *t = NULL;
    double tl[5];
    for (int i = 0; i < 5; i++) {
        fd_tokenizer_destroy(t);
        double t0 = now();
        fd_status st = fd_tokenizer_load(path, &t, &err);
        tl[i] = now() - t0;
        if (st != FD_OK) {
            fprintf(stderr, "bench_tokenizer: %s: %s\n", fd_status_name(st), err.msg);
            return 1;
        }
    }
    size_t len;
    char *text = make_text((size_t)(mb * 1e6), &len);
    if (!text) return 1;
    double te[6];
    int32_t *ids = NULL;
    size_t n = 0;
    for (int i = 0; i < 6; i++) {
        fd_free(ids);
        double t0 = now();
        fd_status st = fd_tokenizer_encode(t, text, len, &ids, &n, &err);
        te[i] = now() - t0;
        if (st != FD_OK) {
            fprintf(stderr, "bench_tokenizer: encode: %s: %s\n", fd_status_name(st), err.msg);
            return 1;
        }
    }
    double td[5];
    for (int i = 0; i < 5; i++) {
        char *back;
        size_t blen;
        double t0 = now();
        fd_status st = fd_tokenizer_decode(t, ids, n, &back, &blen, &err);
        td[i] = now() - t0;
        if (st != FD_OK) return 1;
        fd_free(back);
    }
    printf("{\"bench\": \"tokenizer\", \"model\": \"%s\", \"load_s\": %.4f, \"text_bytes\": %zu, \"tokens\": %zu, "
           "\"encode_cold_MBps\": %.2f, \"encode_MBps\": %.2f, \"encode_tok_per_s\": %.0f, \"decode_MBps\": %.1f}\n",
           path, median5(tl), len, n, len / te[0] / 1e6, len / median5(te + 1) / 1e6, n / median5(te + 1),
           len / median5(td) / 1e6);
    fd_free(ids);
    free(text);
    fd_tokenizer_destroy(t);
    return 0;
}
