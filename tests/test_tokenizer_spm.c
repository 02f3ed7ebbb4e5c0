/* test_tokenizer_spm.c — SentencePiece BPE from a tokenizer.json (Llama 2 /
 * Mistral style: byte_fallback, merges, spaces as "▁") on a small vocabulary
 * written here, with expected ids worked out by hand from the merge ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "base/mem.h"
#include "foundry/tokenizer.h"

#define S "\xE2\x96\x81"   /* ▁ */

/* ids: 0 <unk>, 1 <s>, 2 </s>, 3 <0xC3>, 4 <0xA9>, 5 ▁, 6 a, 7 b, 8 c, 9 ab, 10 ▁ab, 11 abc, 12 ▁c.
 * Merges by rank: a b -> ab (0), ▁ ab -> ▁ab (1), ab c -> abc (2), ▁ c -> ▁c (3). */
static const char *json_body(const char *spaces)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"version\":\"1.0\",\"added_tokens\":["
             "{\"id\":0,\"content\":\"<unk>\",\"special\":true},{\"id\":1,\"content\":\"<s>\",\"special\":true},"
             "{\"id\":2,\"content\":\"</s>\",\"special\":true}],%s,"
             "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
             "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}]},"
             "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"" S "\"},"
             "\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"},{\"type\":\"Strip\",\"content\":\" \","
             "\"start\":1,\"stop\":0}]},"
             "\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"byte_fallback\":true,\"fuse_unk\":true,"
             "\"vocab\":{\"<unk>\":0,\"<s>\":1,\"</s>\":2,\"<0xC3>\":3,\"<0xA9>\":4,\"" S "\":5,\"a\":6,\"b\":7,\"c\":8,"
             "\"ab\":9,\"" S "ab\":10,\"abc\":11,\"" S "c\":12},"
             "\"merges\":[\"a b\",\"" S " ab\",\"ab c\",\"" S " c\"]}}", spaces);
    return buf;
}

static fd_tokenizer *load(const char *spaces)
{
    char dir[] = "/tmp/fd_spm_XXXXXX", path[64];
    if (!mkdtemp(dir)) return NULL;
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fputs(json_body(spaces), f);
    fclose(f);
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_load(path, &t, &err), &err);
    unlink(path);
    rmdir(dir);
    return t;
}

static void ids_are(fd_tokenizer *t, const char *text, int prompt, const int32_t *want, size_t n)
{
    int32_t *ids = NULL;
    size_t m = 0;
    fd_error err = { 0 };
    CHECK_OK((prompt ? fd_tokenizer_encode_prompt : fd_tokenizer_encode)(t, text, strlen(text), &ids, &m, &err), &err);
    CHECK_EQ(m, n);
    for (size_t i = 0; ids && i < n && i < m; i++) CHECK_EQ(ids[i], want[i]);
    fd_free(ids);
}

/* Llama 2's form: Prepend + Replace normalizers. */
static void test_normalizer_form(void)
{
    fd_tokenizer *t = load("\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Prepend\",\"prepend\":\"" S
                           "\"},{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"" S "\"}]},"
                           "\"pre_tokenizer\":null");
    if (!t) return;
    /* "abc" -> ▁ a b c: (a b) rank 0 -> ▁ ab c; (▁ ab) rank 1 beats (ab c) rank 2 -> ▁ab c; no merge left */
    ids_are(t, "abc", 0, (const int32_t[]){ 10, 8 }, 2);
    ids_are(t, "abc", 1, (const int32_t[]){ 1, 10, 8 }, 3);   /* the post_processor's <s> */
    ids_are(t, "<s>abc", 1, (const int32_t[]){ 1, 10, 8 }, 3);   /* not twice */
    /* "é" is not a token: its two bytes; " c" -> ▁ ▁ c -> ▁ ▁c */
    ids_are(t, "\xC3\xA9 c", 0, (const int32_t[]){ 5, 3, 4, 12 }, 4);
    char *text = NULL;
    size_t n = 0;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_decode(t, (const int32_t[]){ 5, 3, 4, 12 }, 4, &text, &n, &err), &err);
    CHECK_STR(text, "\xC3\xA9 c");   /* the prefix space is dropped by the Strip decoder */
    fd_free(text);
    fd_tokenizer_destroy(t);
}

/* Mistral v0.3's form: a Metaspace pre-tokenizer that prefixes the first piece only. */
static void test_metaspace_form(void)
{
    fd_tokenizer *t = load("\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"" S
                           "\",\"prepend_scheme\":\"first\",\"split\":false}");
    if (!t) return;
    ids_are(t, "abc", 0, (const int32_t[]){ 10, 8 }, 2);
    /* after an added token there is no second prefix: "abc" alone -> ab c -> abc */
    ids_are(t, "<s>abc", 0, (const int32_t[]){ 1, 11 }, 2);
    fd_tokenizer_destroy(t);
}

TEST_MAIN(test_normalizer_form, test_metaspace_form)
