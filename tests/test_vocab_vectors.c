/* test_vocab_vectors.c — llama.cpp's tokenizer test vectors for the vocabulary
 * GGUFs in ../shared/models: each `.inp` holds cases separated by lines
 * "__ggml_vocab_test__", each `.out` the expected ids of one case per line (a
 * leading space, ids separated by spaces). The ids come from the models' own
 * Hugging Face tokenizers, encoding without special tokens (no BOS). Every case
 * must match exactly. Skips, saying so, where ../shared is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "base/mem.h"
#include "foundry/tokenizer.h"

#define SHARED FD_SOURCE_DIR "/../shared/models"
#define SEP "\n__ggml_vocab_test__\n"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    if (s && fread(s, 1, (size_t)len, f) != (size_t)len) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s) s[len] = 0, *n = (size_t)len;
    return s;
}

/* Runs every case of GGUF's .inp/.out pair; returns the number of cases checked. */
static int run_vectors(const char *gguf)
{
    char inp_path[512], out_path[512];
    snprintf(inp_path, sizeof inp_path, "%s.inp", gguf);
    snprintf(out_path, sizeof out_path, "%s.out", gguf);
    size_t ni, no;
    char *inp = slurp(inp_path, &ni), *out = slurp(out_path, &no);
    CHECK(inp && out);
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_load(gguf, &t, &err), &err);
    int cases = 0, bad = 0;
    char *p = inp, *line = out;
    while (t && inp && out && *line) {
        /* the case is inp up to the next separator (the file ends with one) */
        char *end = strstr(p, SEP);
        if (!end) break;
        char *eol = strchr(line, '\n');
        if (!eol) eol = line + strlen(line);
        int32_t want[4096];
        size_t nwant = 0;
        for (char *q = line; q < eol && nwant < 4096;) {
            char *e;
            long v = strtol(q, &e, 10);
            if (e == q) break;
            want[nwant++] = (int32_t)v;
            q = e;
        }
        int32_t *got = NULL;
        size_t ngot = 0;
        CHECK_OK(fd_tokenizer_encode(t, p, (size_t)(end - p), &got, &ngot, &err), &err);
        if (got && (ngot != nwant || memcmp(got, want, nwant * sizeof *want))) {
            bad++;
            fprintf(stderr, "%s case %d \"%.*s\":\n  want", gguf, cases, (int)(end - p), p);
            for (size_t i = 0; i < nwant; i++) fprintf(stderr, " %d", want[i]);
            fprintf(stderr, "\n  got ");
            for (size_t i = 0; i < ngot; i++) fprintf(stderr, " %d", got[i]);
            fprintf(stderr, "\n");
        }
        /* decode(encode(s)) gives s back (NFC'd where the tokenizer normalises: Qwen2) */
        char *back = NULL;
        size_t nback = 0;
        if (got) CHECK_OK(fd_tokenizer_decode(t, got, ngot, &back, &nback, &err), &err);
        if (back && !strstr(gguf, "qwen2") && (nback != (size_t)(end - p) || memcmp(back, p, nback))) {
            bad++;
            fprintf(stderr, "%s case %d: decode gives \"%s\"\n", gguf, cases, back);
        }
        fd_free(back);
        fd_free(got);
        cases++;
        p = end + strlen(SEP);
        line = *eol ? eol + 1 : eol;
    }
    CHECK_EQ(bad, 0);
    fprintf(stderr, "%s: %d cases, %d differ\n", gguf, cases, bad);
    fd_tokenizer_destroy(t);
    free(inp);
    free(out);
    return cases;
}

static void vectors(const char *rel, int min_cases)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SHARED, rel);
    if (access(path, R_OK) != 0) SKIP("%s is absent (../shared/models beside the repository)", path);
    CHECK(run_vectors(path) >= min_cases);
}

static void test_qwen2(void) { vectors("ggml-vocab-qwen2.gguf", 40); }
static void test_llama3(void) { vectors("llama3-vocab/ggml-vocab-llama-bpe.gguf", 40); }
static void test_llama_spm(void) { vectors("llama-spm-vocab/ggml-vocab-llama-spm.gguf", 40); }

/* fd_tokenizer_encode_prompt's ids for text, compared with want[0..n). */
static void prompt_is(fd_tokenizer *t, const char *text, const int32_t *want, size_t n)
{
    int32_t *ids = NULL;
    size_t m = 0;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_encode_prompt(t, text, strlen(text), &ids, &m, &err), &err);
    CHECK_EQ(m, n);
    for (size_t i = 0; ids && i < n && i < m; i++) CHECK_EQ(ids[i], want[i]);
    fd_free(ids);
}

static int has_eos(const fd_tokenizer *t, int32_t id)
{
    const int32_t *e;
    size_t n = fd_tokenizer_eos(t, &e);
    for (size_t i = 0; i < n; i++)
        if (e[i] == id) return 1;
    return 0;
}

/* Llama 3: BOS 128000 in front, once even when a template wrote it; generation
 * ends at <|end_of_text|> and <|eot_id|> (this is Llama 3.0's vocabulary: 3.1's
 * <|eom_id|> is still a reserved token here). */
static void test_llama3_prompt(void)
{
    const char *path = SHARED "/llama3-vocab/ggml-vocab-llama-bpe.gguf";
    if (access(path, R_OK) != 0) SKIP("%s is absent", path);
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_load(path, &t, &err), &err);
    if (!t) return;
    CHECK_EQ(fd_tokenizer_bos(t), 128000);
    prompt_is(t, "Hello world", (const int32_t[]){ 128000, 9906, 1917 }, 3);
    prompt_is(t, "<|begin_of_text|>Hello world", (const int32_t[]){ 128000, 9906, 1917 }, 3);
    CHECK(has_eos(t, 128001) && has_eos(t, 128009) && !has_eos(t, 128008));
    fd_tokenizer_destroy(t);
}

/* SentencePiece: BOS 1, the prefix space, byte fallback both ways. */
static void test_spm_prompt(void)
{
    const char *path = SHARED "/llama-spm-vocab/ggml-vocab-llama-spm.gguf";
    if (access(path, R_OK) != 0) SKIP("%s is absent", path);
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_load(path, &t, &err), &err);
    if (!t) return;
    CHECK_EQ(fd_tokenizer_bos(t), 1);
    prompt_is(t, "Hello world", (const int32_t[]){ 1, 15043, 3186 }, 3);
    CHECK(has_eos(t, 2));
    /* a character the vocabulary lacks comes back from its byte tokens, streamed too */
    const char *text = "\xF0\x9F\xA6\x99 llama";
    int32_t *ids = NULL;
    size_t n = 0;
    CHECK_OK(fd_tokenizer_encode(t, text, strlen(text), &ids, &n, &err), &err);
    fd_detok st = { { 0 }, 0 };
    char out[64] = "", piece[64];
    size_t m, used = 0;
    for (size_t i = 0; ids && i < n; i++) {
        CHECK_OK(fd_tokenizer_decode_next(t, &st, ids[i], piece, sizeof piece, &m, &err), &err);
        if (m < sizeof out - used) memcpy(out + used, piece, m), used += m, out[used] = 0;
    }
    CHECK_STR(out, " \xF0\x9F\xA6\x99 llama");   /* a stream keeps the prefix space */
    fd_free(ids);
    fd_tokenizer_destroy(t);
}

TEST_MAIN(test_qwen2, test_llama3, test_llama_spm, test_llama3_prompt, test_spm_prompt)
