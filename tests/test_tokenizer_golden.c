/* test_tokenizer_golden.c — the acceptance test: ids equal to transformers'.
 *
 * tests/data/tokenizer/golden.jsonl (made by tools/tokenizer_golden.py, see
 * tests/data/tokenizer/README) holds {"text", "ids"} per case; every case must
 * match exactly with the tokenizer.json and with the GGUF vocabulary. Without
 * it, the cases of cases.json still check that both loaders agree and that
 * decode(encode(s)) == NFC(s). FD_GOLDEN=path overrides the golden file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <utf8proc.h>
#include "check.h"
#include "base/mem.h"
#include "foundry/tokenizer.h"

#define DIR FD_TEST_DATA "/tokenizer"

static fd_tokenizer *load(const char *path)
{
    if (access(path, R_OK) != 0) return NULL;
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_load(path, &t, &err), &err);
    return t;
}

static void print_ids(const char *what, const int32_t *ids, size_t n)
{
    fprintf(stderr, "  %s:", what);
    for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", (int)ids[i]);
    fprintf(stderr, "\n");
}

/* Prints s as a JSON string (escapes make whitespace visible). */
static void show(const char *what, const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fprintf(stderr, "%s %s\n", what, d ? d : "?");
    free(d);
    json_decref(j);
}

/* One case: encode with t; compare with want (if any); round trip to NFC(s). */
static int one(fd_tokenizer *t, const char *name, const char *s, size_t len, const int32_t *want, size_t nwant,
               int32_t **got, size_t *ngot)
{
    fd_error err = { 0 };
    int ok = 1;
    CHECK_OK(fd_tokenizer_encode(t, s, len, got, ngot, &err), &err);
    if (!*got) return 0;
    if (want && (*ngot != nwant || memcmp(*got, want, nwant * sizeof *want) != 0)) {
        ok = 0;
        check_failures++;
        fprintf(stderr, "%s: ids differ for", name);
        show("", s, len);
        print_ids("want", want, nwant);
        print_ids("got ", *got, *ngot);
    }
    char *back;
    size_t blen;
    CHECK_OK(fd_tokenizer_decode(t, *got, *ngot, &back, &blen, &err), &err);
    utf8proc_uint8_t *norm = NULL;
    utf8proc_ssize_t nn = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &norm,
                                       UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (back && nn >= 0 && (blen != (size_t)nn || memcmp(back, norm, blen) != 0)) {
        ok = 0;
        check_failures++;
        fprintf(stderr, "%s: decode(encode(s)) != NFC(s) for", name);
        show("", s, len);
    }
    free(norm);
    fd_free(back);
    return ok;
}

static void run_cases(fd_tokenizer *tj, fd_tokenizer *tg, json_t *cases, int golden)
{
    size_t i, pass = 0;
    json_t *c;
    json_array_foreach(cases, i, c) {
        json_t *txt = golden ? json_object_get(c, "text") : c;
        CHECK(json_is_string(txt));
        if (!json_is_string(txt)) continue;
        const char *s = json_string_value(txt);
        size_t len = json_string_length(txt);
        int32_t *want = NULL;
        size_t nwant = 0;
        if (golden) {
            json_t *ids = json_object_get(c, "ids");
            nwant = json_array_size(ids);
            want = malloc((nwant + 1) * sizeof *want);
            for (size_t k = 0; k < nwant; k++) want[k] = (int32_t)json_integer_value(json_array_get(ids, k));
        }
        int32_t *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        int ok = 1;
        if (tj) ok &= one(tj, "tokenizer.json", s, len, want, nwant, &a, &na);
        if (tg) ok &= one(tg, "gguf", s, len, want, nwant, &b, &nb);
        if (tj && tg && !want && (na != nb || memcmp(a, b, na * sizeof *a) != 0)) {
            ok = 0;
            check_failures++;
            show("tokenizer.json and gguf differ for", s, len);
        }
        pass += ok;
        check_count++;
        fd_free(a);
        fd_free(b);
        free(want);
    }
    printf("%s: %zu of %zu cases pass\n", golden ? "golden" : "cases.json", pass, json_array_size(cases));
}

static void test_cases(void)
{
    fd_tokenizer *tj = load(DIR "/tokenizer.json"), *tg = load(DIR "/ggml-vocab-qwen2.gguf");
    json_error_t je;
    json_t *cases = json_load_file(DIR "/cases.json", JSON_ALLOW_NUL, &je);
    if (!cases && access(DIR "/cases.json", R_OK) == 0) {
        check_failures++;
        fprintf(stderr, "%s/cases.json:%d: %s\n", DIR, je.line, je.text);
    }
    if (!cases || (!tj && !tg)) {
        json_decref(cases);
        fd_tokenizer_destroy(tj);
        fd_tokenizer_destroy(tg);
        SKIP("cases.json or the tokenizers are missing in %s", DIR);
    }
    run_cases(tj, tg, cases, 0);
    json_decref(cases);
    fd_tokenizer_destroy(tj);
    fd_tokenizer_destroy(tg);
}

static void test_golden(void)
{
    const char *path = getenv("FD_GOLDEN") ? getenv("FD_GOLDEN") : DIR "/golden.jsonl";
    FILE *f = fopen(path, "rb");
    if (!f) SKIP("%s not found: make it with tools/tokenizer_golden.py (tests/data/tokenizer/README)", path);
    json_t *cases = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t k;
    int lineno = 0;
    while ((k = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (k <= 1) continue;
        json_error_t je;
        json_t *c = json_loads(line, JSON_ALLOW_NUL, &je);
        CHECK(c != NULL);
        if (!c) fprintf(stderr, "%s:%d: %s\n", path, lineno, je.text);
        else json_array_append_new(cases, c);
    }
    free(line);
    fclose(f);
    CHECK(json_array_size(cases) >= 400);
    fd_tokenizer *tj = load(DIR "/tokenizer.json"), *tg = load(DIR "/ggml-vocab-qwen2.gguf");
    CHECK(tj != NULL);
    CHECK(tg != NULL);
    run_cases(tj, tg, cases, 1);
    json_decref(cases);
    fd_tokenizer_destroy(tj);
    fd_tokenizer_destroy(tg);
}

TEST_MAIN(test_cases, test_golden)
