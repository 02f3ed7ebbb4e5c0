/* test_tokenizer.c — the tokenizer against hand-checked ids, round trips,
 * streaming decode, bad files and allocation failures.
 * (test_tokenizer_golden.c compares with transformers' ids.) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "base/mem.h"
#include "foundry/gguf.h"
#include "foundry/tokenizer.h"
#include "text/tok.h"

#define TJSON FD_TEST_DATA "/tokenizer/tokenizer.json"
#define TCONF FD_TEST_DATA "/tokenizer/tokenizer_config.json"
#define TGGUF FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf"

static fd_tokenizer *tj, *tg;   /* loaded once: JSON and GGUF */

static int have(const char *p) { return access(p, R_OK) == 0; }

static fd_tokenizer *json_tok(void)
{
    if (!tj && have(TJSON)) {
        fd_error err = { 0 };
        CHECK_OK(fd_tokenizer_load_json(TJSON, TCONF, &tj, &err), &err);
    }
    return tj;
}

static fd_tokenizer *gguf_tok(void)
{
    if (!tg && have(TGGUF)) {
        fd_error err = { 0 };
        CHECK_OK(fd_tokenizer_load(TGGUF, &tg, &err), &err);
    }
    return tg;
}

/* encode(s) == want[0..n) */
static void expect(fd_tokenizer *t, const char *s, const int32_t *want, size_t n, int line)
{
    fd_error err = { 0 };
    int32_t *ids;
    size_t k;
    CHECK_OK(fd_tokenizer_encode(t, s, strlen(s), &ids, &k, &err), &err);
    int same = k == n && (n == 0 || memcmp(ids, want, n * sizeof *ids) == 0);
    CHECK(same);
    if (!same) {
        fprintf(stderr, "  line %d: \"%s\" ->", line, s);
        for (size_t i = 0; i < k; i++) fprintf(stderr, " %d", (int)ids[i]);
        fprintf(stderr, "\n");
    }
    fd_free(ids);
}
#define EXPECT(t, s, ...) do { static const int32_t w_[] = { __VA_ARGS__ }; \
    expect(t, s, w_, sizeof w_ / sizeof w_[0], __LINE__); } while (0)

static void known_ids(fd_tokenizer *t)
{
    EXPECT(t, "Hello world", 9707, 1879);
    EXPECT(t, "Hello", 9707);
    EXPECT(t, "<|im_start|>", 151644);
    EXPECT(t, "<|im_end|>", 151645);
    EXPECT(t, "<|endoftext|>", 151643);
    int32_t *ids;
    size_t n;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_encode(t, "", 0, &ids, &n, &err), &err);
    CHECK_EQ(n, 0);
    CHECK(ids != NULL);
    fd_free(ids);
}

/* Ids whose strings are in the vocabulary: a piece that is a token is that token. */
static void vocab_pieces(fd_tokenizer *t)
{
    CHECK_EQ(fd_tokenizer_find(t, "Hello"), 9707);
    CHECK_EQ(fd_tokenizer_find(t, "\xC4\xA0world"), 1879);   /* "Ġworld" */
    CHECK_STR(fd_tokenizer_token(t, 9707), "Hello");
    CHECK(fd_tokenizer_token(t, -1) == NULL);
    CHECK(fd_tokenizer_token(t, (int32_t)fd_tokenizer_vocab_size(t)) == NULL);
    CHECK_EQ(fd_tokenizer_find(t, "no such token here"), -1);
    const char *words[] = { "\xC4\xA0the", "ing", "\xC4\xA0\xC4\xA0\xC4\xA0", "ation" };
    for (size_t i = 0; i < 4; i++) CHECK(fd_tokenizer_find(t, words[i]) >= 0);
    /* " the" is one token; "1234" splits into single digits */
    int32_t the = fd_tokenizer_find(t, "\xC4\xA0the");
    expect(t, " the", &the, 1, __LINE__);
    int32_t d[4] = { fd_tokenizer_find(t, "1"), fd_tokenizer_find(t, "2"), fd_tokenizer_find(t, "3"), fd_tokenizer_find(t, "4") };
    expect(t, "1234", d, 4, __LINE__);
    /* the special tokens stay whole next to words and spaces */
    int32_t w[3] = { fd_tokenizer_find(t, "word"), 151645, fd_tokenizer_find(t, "word") };
    expect(t, "word<|im_end|>word", w, 3, __LINE__);
}

static void roundtrip(fd_tokenizer *t, const char *s, const char *want)
{
    fd_error err = { 0 };
    int32_t *ids;
    size_t n, len;
    char *back;
    CHECK_OK(fd_tokenizer_encode(t, s, strlen(s), &ids, &n, &err), &err);
    CHECK_OK(fd_tokenizer_decode(t, ids, n, &back, &len, &err), &err);
    CHECK_STR(back, want);
    CHECK_EQ(len, strlen(want));
    /* streaming gives the same text */
    char acc[4096] = "", out[1024];
    size_t k, used = 0;
    fd_detok st = { { 0 }, 0 };
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(fd_tokenizer_decode_next(t, &st, ids[i], out, sizeof out, &k, &err), &err);
        CHECK_EQ(strlen(out), k);
        for (size_t j = 0; j < k; j++) {   /* never half a character: every piece is valid UTF-8 alone */
            unsigned char c = (unsigned char)out[j];
            if (j == 0) CHECK((c & 0xC0) != 0x80);
        }
        if (used + k < sizeof acc) memcpy(acc + used, out, k), used += k;
    }
    CHECK_OK(fd_tokenizer_decode_flush(t, &st, out, sizeof out, &k, &err), &err);
    acc[used] = 0;
    CHECK_STR(acc, want);
    fd_free(back);
    fd_free(ids);
}

static void roundtrips(fd_tokenizer *t)
{
    const char *cases[] = { "Hello world", "  leading and trailing  ", "line\r\nbreaks\n\n\ttab",
                            "Привет, мир! 你好，世界 😀👨‍👩‍👧‍👦 🇯🇵", "<|im_start|>user\nHi<|im_end|>\n",
                            "def f(x):\n    return x ** 2\n", "It'S 1,000,000.50 $" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) roundtrip(t, cases[i], cases[i]);
    roundtrip(t, "cafe\xCC\x81", "caf\xC3\xA9");                 /* NFC: e + U+0301 -> é */
    roundtrip(t, "a\xFF" "b\xE2\x82" "c\xC3", "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD");   /* invalid -> U+FFFD */
}

static void streaming_split_char(fd_tokenizer *t)
{
    /* "é" is one byte-level token? find a byte token pair: bytes C3 and A9 each */
    char c3[3], a9[3];
    c3[0] = (char)0xC3, c3[1] = (char)0x83, c3[2] = 0;   /* byte 0xC3 -> U+00C3 "Ã" */
    a9[0] = (char)0xC2, a9[1] = (char)0xA9, a9[2] = 0;   /* byte 0xA9 -> U+00A9 "©" */
    int32_t i1 = fd_tokenizer_find(t, c3), i2 = fd_tokenizer_find(t, a9);
    CHECK(i1 >= 0 && i2 >= 0);
    if (i1 < 0 || i2 < 0) return;
    fd_detok st = { { 0 }, 0 };
    fd_error err = { 0 };
    char out[64];
    size_t n;
    CHECK_OK(fd_tokenizer_decode_next(t, &st, i1, out, sizeof out, &n, &err), &err);
    CHECK_EQ(n, 0);
    CHECK_EQ(st.npending, 1);
    CHECK_OK(fd_tokenizer_decode_next(t, &st, i2, out, sizeof out, &n, &err), &err);
    CHECK_EQ(n, 2);
    CHECK_STR(out, "\xC3\xA9");
    /* held back then flushed as U+FFFD */
    CHECK_OK(fd_tokenizer_decode_next(t, &st, i1, out, sizeof out, &n, &err), &err);
    CHECK_OK(fd_tokenizer_decode_flush(t, &st, out, sizeof out, &n, &err), &err);
    CHECK_STR(out, "\xEF\xBF\xBD");
    /* too small a buffer: FD_ERR_RANGE, state untouched */
    int32_t hello = 9707;
    CHECK_EQ(fd_tokenizer_decode_next(t, &st, hello, out, 3, &n, &err), FD_ERR_RANGE);
    CHECK_EQ(st.npending, 0);
    fd_error_clear(&err);
    CHECK_EQ(fd_tokenizer_decode_next(t, &st, -5, out, sizeof out, &n, &err), FD_ERR_RANGE);
    char *txt;
    size_t len;
    int32_t bad[2] = { 9707, 99999999 };
    fd_error_clear(&err);
    CHECK_EQ(fd_tokenizer_decode(t, bad, 2, &txt, &len, &err), FD_ERR_RANGE);
    CHECK_CONTAINS(err.msg, "99999999");
}

static void specials_and_template(fd_tokenizer *t, int gguf)
{
    const int32_t *eos;
    size_t n = fd_tokenizer_eos(t, &eos);
    int has_im_end = 0, has_eot = 0;
    for (size_t i = 0; i < n; i++) has_im_end |= eos[i] == 151645, has_eot |= eos[i] == 151643;
    CHECK(has_im_end);
    CHECK(has_eot);
    CHECK_EQ(fd_tokenizer_bos(t), -1);
    CHECK(fd_tokenizer_is_special(t, 151644));
    CHECK(!fd_tokenizer_is_special(t, 9707));
    CHECK_CONTAINS(fd_tokenizer_chat_template(t), "<|im_start|>");
    CHECK_EQ(fd_tokenizer_vocab_size(t), gguf ? 151936 : 151665);
}

static void test_json(void)
{
    fd_tokenizer *t = json_tok();
    if (!t) SKIP("%s not found", TJSON);
    known_ids(t);
    vocab_pieces(t);
    roundtrips(t);
    streaming_split_char(t);
    specials_and_template(t, 0);
}

static void test_gguf(void)
{
    fd_tokenizer *t = gguf_tok();
    if (!t) SKIP("%s not found", TGGUF);
    known_ids(t);
    vocab_pieces(t);
    roundtrips(t);
    specials_and_template(t, 1);
}

static void test_folder(void)
{
    if (!have(TJSON)) SKIP("%s not found", TJSON);
    fd_tokenizer *t;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_load(FD_TEST_DATA "/tokenizer", &t, &err), &err);
    if (t) known_ids(t);
    fd_tokenizer_destroy(t);
    fd_error_clear(&err);
    CHECK_EQ(fd_tokenizer_load(FD_TEST_DATA "/no-such-folder", &t, &err), FD_ERR_IO);
    CHECK(t == NULL);
    CHECK_CONTAINS(err.msg, "no-such-folder");
}

/* Several threads encode with one tokenizer (its piece cache is shared). */
typedef struct { fd_tokenizer *t; const char *text; size_t n; int32_t *ids; size_t nids; fd_status st; } job;

static void *encode_job(void *arg)
{
    job *j = arg;
    fd_error err = { 0 };
    j->st = fd_tokenizer_encode(j->t, j->text, j->n, &j->ids, &j->nids, &err);
    return NULL;
}

static void test_threads(void)
{
    fd_tokenizer *t = json_tok();
    if (!t) SKIP("%s not found", TJSON);
    size_t cap = 1 << 20, k = 0;
    char *text = malloc(cap);
    static const char *words[] = { "alpha ", "Beta ", "gamma's ", "1,234 ", "δέλτα ", "中文 ", "\n", "<|im_end|>" };
    uint64_t r = 12345;
    while (k + 32 < cap) {
        const char *w = words[rng_next(&r) % 8];
        memcpy(text + k, w, strlen(w));
        k += strlen(w);
    }
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){ t, text, k, NULL, 0, FD_OK };
        CHECK_EQ(pthread_create(&th[i], NULL, encode_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(jobs[i].st, FD_OK);
        CHECK_EQ(jobs[i].nids, jobs[0].nids);
        CHECK(jobs[i].ids && jobs[0].ids && memcmp(jobs[i].ids, jobs[0].ids, jobs[0].nids * sizeof(int32_t)) == 0);
    }
    for (int i = 0; i < 4; i++) fd_free(jobs[i].ids);
    free(text);
}

/* The PCRE2 interpreter (the fallback where JIT is unavailable) gives the same ids. */
static void test_no_jit(void)
{
    fd_tokenizer *t = json_tok();
    if (!t) SKIP("%s not found", TJSON);
    const char *s = "Hello  world!\n\n  It'S 12,345 \u4f60\u597d <|im_end|> caf\u00e9   \t\r\n end  ";
    fd_error err = { 0 };
    int32_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    int jit = t->jit;
    CHECK_OK(fd_tokenizer_encode(t, s, strlen(s), &a, &na, &err), &err);
    tok_cache_free(t);   /* so the pieces go through the regex and BPE again */
    t->jit = 0;
    CHECK_OK(fd_tokenizer_encode(t, s, strlen(s), &b, &nb, &err), &err);
    t->jit = jit;
    CHECK_EQ(na, nb);
    CHECK(a && b && memcmp(a, b, na * sizeof *a) == 0);
    fd_free(a);
    fd_free(b);
}

static void test_cleanup(void)
{
    fd_tokenizer_destroy(tj);
    fd_tokenizer_destroy(tg);
    tj = tg = NULL;
}

TEST_MAIN(test_json, test_gguf, test_folder, test_threads, test_no_jit, test_cleanup)
