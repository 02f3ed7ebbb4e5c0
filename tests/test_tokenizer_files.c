/* test_tokenizer_files.c — tokenizer files built in the test: BPE details on a
 * tiny vocabulary, bad files (each a clear error naming the file), allocation
 * failures (FD_ERR_NOMEM, nothing leaked) and the `foundry tokenize` command. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "base/mem.h"
#include "foundry/gguf.h"
#include "foundry/tokenizer.h"
#include "text/tok.h"

static char dir[64];

/* Writes text to dir/name (text NULL: only makes the path); returns the path. */
static const char *write_file(const char *name, const char *text)
{
    static char path[8][256];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = text ? fopen(p, "wb") : NULL;
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return p;
}

/* A tokenizer.json: the 256 byte characters, then `extra` vocab entries,
 * `merges`, `in_model` members of "model" and `more` top-level members,
 * pre-tokenizer = Qwen2's regex. */
static char *tiny_json_model(const char *extra, const char *merges, const char *in_model, const char *more)
{
    size_t cap = 1 << 16, k = 0;
    char *s = malloc(cap);
    k += (size_t)snprintf(s + k, cap - k, "{\"model\": {\"type\": \"BPE\", \"vocab\": {");
    for (int b = 0; b < 256; b++) {
        char u[3] = { 0 };
        tok_byte_utf8((unsigned char)b, u);
        if (u[0] == '"' || u[0] == '\\') k += (size_t)snprintf(s + k, cap - k, "\"\\%c\": %d, ", u[0], b);
        else k += (size_t)snprintf(s + k, cap - k, "\"%s\": %d, ", u, b);
    }
    k += (size_t)snprintf(s + k, cap - k,
                          "%s}, \"merges\": [%s]%s}, \"normalizer\": {\"type\": \"NFC\"},"
                          "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": ["
                          "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"%s\"}, \"behavior\": \"Isolated\", \"invert\": false},"
                          "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]},"
                          "\"decoder\": {\"type\": \"ByteLevel\"}%s}",
                          extra, merges, in_model,
                          "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+",
                          more);
    return s;
}
static char *tiny_json(const char *extra, const char *merges, const char *more) { return tiny_json_model(extra, merges, "", more); }

static fd_status load_text(const char *json, fd_tokenizer **t, fd_error *err)
{
    return fd_tokenizer_load_json(write_file("tokenizer.json", json), NULL, t, err);
}

static void encode_is(fd_tokenizer *t, const char *s, const int32_t *want, size_t n, int line)
{
    fd_error err = { 0 };
    int32_t *ids = NULL;
    size_t k = 0;
    CHECK_OK(fd_tokenizer_encode(t, s, strlen(s), &ids, &k, &err), &err);
    int same = k == n && (!n || memcmp(ids, want, n * sizeof *ids) == 0);
    CHECK(same);
    if (!same) {
        fprintf(stderr, "  line %d: \"%s\" ->", line, s);
        for (size_t i = 0; i < k; i++) fprintf(stderr, " %d", (int)ids[i]);
        fprintf(stderr, "\n");
    }
    fd_free(ids);
}
#define ENCODE_IS(t, s, ...) do { const int32_t w_[] = { __VA_ARGS__ }; \
    encode_is(t, s, w_, sizeof w_ / sizeof w_[0], __LINE__); } while (0)

/* Rank order, leftmost ties, merges that build on merges, pair-form merges, added tokens. */
static void test_tiny_bpe(void)
{
    char *js = tiny_json("\"aa\": 256, \"aaa\": 257, \"aaaa\": 258, \"ab\": 259, \"bc\": 260, \"abc\": 261",
                         "\"a a\", [\"aa\", \"aa\"], \"b c\", \"a b\", \"a bc\", \"aa a\"",
                         ", \"added_tokens\": [{\"id\": 262, \"content\": \"<x>\", \"special\": true},"
                         " {\"id\": 263, \"content\": \"<xy>\", \"special\": false, \"rstrip\": true},"
                         " {\"id\": 264, \"content\": \"<l>\", \"lstrip\": true},"
                         " {\"id\": 265, \"content\": \"<w>\", \"single_word\": true}]");
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_OK(load_text(js, &t, &err), &err);
    free(js);
    if (!t) return;
    enum { a = 'a', c = 'c' };
    ENCODE_IS(t, "a", a);
    ENCODE_IS(t, "aa", 256);
    ENCODE_IS(t, "aaa", 257);           /* "a a" leftmost first, then "aa a" */
    ENCODE_IS(t, "aaaa", 258);          /* aa + aa -> aaaa (rank 1) */
    ENCODE_IS(t, "aaaaa", 258, a);
    ENCODE_IS(t, "abc", 261);           /* b c (rank 2) before a b (rank 3), then a bc */
    ENCODE_IS(t, "ab", 259);
    ENCODE_IS(t, "cab", c, 259);
    ENCODE_IS(t, "a<x>a", a, 262, a);
    ENCODE_IS(t, "<xy>   a", 263, a);   /* rstrip swallows the spaces; longest match wins over <x> */
    ENCODE_IS(t, "<x", '<', 'x');
    ENCODE_IS(t, "a  <l>c", a, 264, c);        /* lstrip swallows the spaces before */
    ENCODE_IS(t, "a<w>c", a, '<', 'w', '>', c);  /* single_word: not inside a word */
    ENCODE_IS(t, " <w> ", ' ', 265, ' ');
    CHECK(fd_tokenizer_is_special(t, 262));
    CHECK(!fd_tokenizer_is_special(t, 263));
    CHECK_EQ(fd_tokenizer_find(t, "<xy>"), 263);
    CHECK(fd_tokenizer_chat_template(t) == NULL);
    const int32_t *eos;
    CHECK_EQ(fd_tokenizer_eos(t, &eos), 0);
    fd_tokenizer_destroy(t);
}

/* "ignore_merges": true (Llama 3's tokenizer.json): a piece that is itself a
 * token is taken whole, though no merge makes it; other pieces still merge.
 * "abc" is a token, but the only merge gives ab + c. */
static void test_ignore_merges(void)
{
    enum { c = 'c', d = 'd', x = 'x', ab = 256, abc = 257 };
    for (int ignore = 0; ignore < 2; ignore++) {
        char *js = tiny_json_model("\"ab\": 256, \"abc\": 257", "\"a b\"", ignore ? ", \"ignore_merges\": true" : "", "");
        fd_tokenizer *t = NULL;
        fd_error err = { 0 };
        CHECK_OK(load_text(js, &t, &err), &err);
        free(js);
        if (!t) continue;
        if (ignore) ENCODE_IS(t, "abc", abc);
        else ENCODE_IS(t, "abc", ab, c);
        ENCODE_IS(t, "abd", ab, d);         /* not a token: merged either way */
        ENCODE_IS(t, "xabc", x, ab, c);     /* the whole piece only, never a part of it */
        ENCODE_IS(t, "a abc", 'a', ' ', ab, c);   /* the piece is " abc", not a token */
        fd_tokenizer_destroy(t);
    }
}

static void bad(const char *what, const char *json, fd_status want, const char *msg_part)
{
    fd_tokenizer *t = (fd_tokenizer *)1;
    fd_error err = { 0 };
    fd_status st = load_text(json, &t, &err);
    CHECK_EQ(st, want);
    CHECK(t == NULL);
    CHECK_CONTAINS(err.msg, "tokenizer.json");
    CHECK_CONTAINS(err.msg, msg_part);
    if (st != want || !strstr(err.msg, msg_part)) fprintf(stderr, "  %s: %s\n", what, err.msg);
}

static void test_bad_files(void)
{
    char *good = tiny_json("\"aa\": 256", "\"a a\"", "");
    char trunc[600];
    snprintf(trunc, sizeof trunc, "%.*s", 500, good);
    bad("truncated", trunc, FD_ERR_FORMAT, "invalid JSON");
    bad("empty", "", FD_ERR_FORMAT, "invalid JSON");
    bad("not an object", "[1, 2]", FD_ERR_FORMAT, "not a JSON object");
    bad("no model", "{\"added_tokens\": []}", FD_ERR_FORMAT, "no \"model\"");
    bad("vocab not object", "{\"model\": {\"type\": \"BPE\", \"vocab\": []}}", FD_ERR_FORMAT, "model.vocab");
    bad("wordpiece", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", FD_ERR_UNSUPPORTED, "WordPiece");
    char *j = tiny_json("\"aa\": 256", "\"a zz\"", "");
    bad("merge of unknown token", j, FD_ERR_FORMAT, "merge 0");
    free(j);
    j = tiny_json("\"aa\": 256", "\"a a\", \"ab\"", "");
    bad("merge without space", j, FD_ERR_FORMAT, "merge 1");
    free(j);
    j = tiny_json("\"aa\": 256", "\"a b\"", "");
    bad("merged token missing", j, FD_ERR_FORMAT, "merged token");
    free(j);
    j = tiny_json("\"aa\": 256", "42", "");
    bad("merge not a string", j, FD_ERR_FORMAT, "merge 0");
    free(j);
    j = tiny_json("\"aa\": \"x\"", "", "");
    bad("id not a number", j, FD_ERR_FORMAT, "not a valid id");
    free(j);
    /* a regex that does not compile, an unsupported normalizer */
    char *k = strstr(good, "(?i:");
    if (k) {
        char *bre = strdup(good);
        bre[k - good] = '(';
        bre[k - good + 1] = '(';
        bad("bad regex", bre, FD_ERR_FORMAT, "does not compile");
        free(bre);
    }
    char *nf = strdup(good);
    char *p = strstr(nf, "\"NFC\"");
    if (p) memcpy(p, "\"NFD\"", 5);
    bad("NFD", nf, FD_ERR_UNSUPPORTED, "NFD");
    free(nf);
    free(good);
    fd_tokenizer *t = (fd_tokenizer *)1;
    fd_error err = { 0 };
    CHECK_EQ(fd_tokenizer_load_json("/nonexistent/tokenizer.json", NULL, &t, &err), FD_ERR_IO);
    CHECK(t == NULL);
    CHECK_CONTAINS(err.msg, "/nonexistent/tokenizer.json");
    fd_error_clear(&err);
    CHECK(fd_tokenizer_load(write_file("x.gguf", "GGUF but not really"), &t, &err) != FD_OK);   /* the GGUF reader's error */
    CHECK(t == NULL);
    CHECK_CONTAINS(err.msg, "x.gguf");
}

/* A vocabulary-only GGUF: 256 byte tokens, "aa", "<c>" and "<m>" (control),
 * given merges; eos <c>, and tokenizer.ggml.eom_token_id = eom unless < 0. */
static const char *tiny_gguf_eom(const char *name, const char *model, const char *pre, const char *const *merges,
                                 size_t nmerges, int32_t eom)
{
    static char bytes[256][3];
    fd_gguf_str toks[259], mg[8];
    int32_t types[259];
    for (int b = 0; b < 256; b++) {
        size_t n = tok_byte_utf8((unsigned char)b, bytes[b]);
        toks[b] = (fd_gguf_str){ bytes[b], n };
        types[b] = 1;
    }
    toks[256] = (fd_gguf_str){ "aa", 2 };
    types[256] = 1;
    toks[257] = (fd_gguf_str){ "<c>", 3 };
    types[257] = 3;
    toks[258] = (fd_gguf_str){ "<m>", 3 };
    types[258] = 3;
    for (size_t i = 0; i < nmerges; i++) mg[i] = (fd_gguf_str){ merges[i], strlen(merges[i]) };
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd_gguf_writer *w = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_gguf_writer_create(&w, &err), &err);
    if (!w) return "";
    CHECK_OK(fd_gguf_writer_add_str(w, "general.architecture", "qwen2", &err), &err);
    CHECK_OK(fd_gguf_writer_add_str(w, "tokenizer.ggml.model", model, &err), &err);
    if (pre) CHECK_OK(fd_gguf_writer_add_str(w, "tokenizer.ggml.pre", pre, &err), &err);
    CHECK_OK(fd_gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", toks, 259, &err), &err);
    CHECK_OK(fd_gguf_writer_add_i32_array(w, "tokenizer.ggml.token_type", types, 259, &err), &err);
    CHECK_OK(fd_gguf_writer_add_str_array(w, "tokenizer.ggml.merges", mg, nmerges, &err), &err);
    CHECK_OK(fd_gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 257, &err), &err);
    if (eom >= 0) CHECK_OK(fd_gguf_writer_add_u32(w, "tokenizer.ggml.eom_token_id", (uint32_t)eom, &err), &err);
    CHECK_OK(fd_gguf_writer_write(w, path, &err), &err);
    fd_gguf_writer_destroy(w);
    return write_file(name, NULL);
}
static const char *tiny_gguf(const char *name, const char *model, const char *pre, const char *const *merges,
                             size_t nmerges)
{
    return tiny_gguf_eom(name, model, pre, merges, nmerges, -1);
}

static void test_gguf_files(void)
{
    static const char *const good[] = { "a a" }, *const bad_merge[] = { "a a", "a zz" };
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_tokenizer_load(tiny_gguf("ok.gguf", "gpt2", "qwen2", good, 1), &t, &err), &err);
    if (t) {
        ENCODE_IS(t, "aaa<c>", 256, 'a', 257);
        const int32_t *eos;
        CHECK_EQ(fd_tokenizer_eos(t, &eos), 1);
        CHECK_EQ(eos[0], 257);
        CHECK(fd_tokenizer_is_special(t, 257));
        CHECK_EQ(fd_tokenizer_bos(t), -1);
        fd_tokenizer_destroy(t);
    }
    /* tokenizer.ggml.eom_token_id (Llama 3.1's <|eom_id|>) ends generation too: here a control token
     * whose text the by-name list of tok_finish does not know */
    CHECK_OK(fd_tokenizer_load(tiny_gguf_eom("eom.gguf", "gpt2", "qwen2", good, 1, 258), &t, &err), &err);
    if (t) {
        const int32_t *eos;
        size_t ne = fd_tokenizer_eos(t, &eos);
        CHECK_EQ(ne, 2);
        CHECK(ne == 2 && eos[0] == 257 && eos[1] == 258);
        fd_tokenizer_destroy(t);
    }
    /* Qwen2.5's GGUF vocabulary pads 151665 tokens with "unused" entries to the embedding's 151936 rows */
    fd_error_clear(&err);
    CHECK_OK(fd_tokenizer_load(FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf", &t, &err), &err);
    if (t) {
        CHECK_EQ(fd_tokenizer_vocab_size(t), 151936);
        CHECK_EQ(fd_tokenizer_real_size(t), 151665);
        fd_tokenizer_destroy(t);
    }
    fd_error_clear(&err);
    CHECK_EQ(fd_tokenizer_load(tiny_gguf("t5.gguf", "t5", "qwen2", good, 1), &t, &err), FD_ERR_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "t5.gguf");
    CHECK_CONTAINS(err.msg, "\"t5\"");
    fd_error_clear(&err);
    CHECK_EQ(fd_tokenizer_load(tiny_gguf("pre.gguf", "gpt2", "falcon", good, 1), &t, &err), FD_ERR_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "falcon");
    fd_error_clear(&err);
    CHECK_EQ(fd_tokenizer_load(tiny_gguf("merge.gguf", "gpt2", "qwen2", bad_merge, 2), &t, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "merge.gguf");
    CHECK_CONTAINS(err.msg, "merge 1");
    CHECK(t == NULL);
}

/* The n-th allocation fails, for every n, during load + encode + decode. */
static int fault_round(const char *path, const char *text, fd_status *st)
{
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    int32_t *ids = NULL;
    size_t n = 0, len;
    char *back = NULL;
    *st = fd_tokenizer_load(path, &t, &err);
    if (*st == FD_OK) *st = fd_tokenizer_encode(t, text, strlen(text), &ids, &n, &err);
    if (*st == FD_OK) *st = fd_tokenizer_decode(t, ids, n, &back, &len, &err);
    int ok = *st == FD_OK && back && strcmp(back, text) == 0;
    if (*st != FD_OK && *st != FD_ERR_NOMEM) fprintf(stderr, "  unexpected: %s: %s\n", fd_status_name(*st), err.msg);
    if (*st != FD_OK) CHECK(err.msg[0] != 0);
    fd_free(back);
    fd_free(ids);
    fd_tokenizer_destroy(t);
    return ok;
}

static void fault_loop(const char *path, const char *text)
{
    fd_status st;
    int done = 0;
    long n;
    for (n = 1; n < 100000 && !done; n++) {
        fd_mem_fail_after(n, 0);
        done = fault_round(path, text, &st);
        fd_mem_fail_after(0, 0);
        if (!done) CHECK_EQ(st, FD_ERR_NOMEM);
        if (!done && st != FD_ERR_NOMEM) break;
    }
    CHECK(done);
    printf("fault injection: %s: succeeded once allocation %ld was let through\n", path, n - 1);
}

static void test_fault_injection(void)
{
    char *js = tiny_json("\"aa\": 256, \"ab\": 257", "\"a a\", \"a b\"",
                         ", \"added_tokens\": [{\"id\": 258, \"content\": \"<x>\", \"special\": true}]");
    const char *p = write_file("tokenizer.json", js);
    free(js);
    /* long enough for the heap path in BPE (> 64 bytes in one piece) and non-ASCII for NFC */
    fault_loop(p, "aab <x> caf\xC3\xA9 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
    const char *gguf = FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf";
    if (access(gguf, R_OK) == 0) fault_loop(gguf, "Hello <|im_start|>world \xE4\xBD\xA0\xE5\xA5\xBD");
}

/* `foundry tokenize`: ids out, text back, clear errors. */
static int sh(const char *cmd, char *out, size_t cap)
{
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    int rc = pclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli(void)
{
    const char *model = FD_TEST_DATA "/tokenizer";
    if (access(FD_FOUNDRY_BIN, X_OK) != 0 || access(FD_TEST_DATA "/tokenizer/tokenizer.json", R_OK) != 0)
        SKIP("%s or the tokenizer data is missing", FD_FOUNDRY_BIN);
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "printf 'Hello world' | %s tokenize -m %s", FD_FOUNDRY_BIN, model);
    CHECK_EQ(sh(cmd, out, sizeof out), 0);
    CHECK_STR(out, "9707 1879\n");
    snprintf(cmd, sizeof cmd, "echo '9707 1879 151645' | %s tokenize -m %s --decode", FD_FOUNDRY_BIN, model);
    CHECK_EQ(sh(cmd, out, sizeof out), 0);
    CHECK_STR(out, "Hello world<|im_end|>");
    snprintf(cmd, sizeof cmd, "printf 'a\\377b' | %s tokenize -m %s/ggml-vocab-qwen2.gguf", FD_FOUNDRY_BIN, model);
    CHECK_EQ(sh(cmd, out, sizeof out), 0);   /* invalid UTF-8 is read as U+FFFD */
    snprintf(cmd, sizeof cmd, "echo '12 abc' | %s tokenize -m %s --decode 2>&1", FD_FOUNDRY_BIN, model);
    CHECK_EQ(sh(cmd, out, sizeof out), 1);
    CHECK_CONTAINS(out, "\"abc\" is not a token id");
    snprintf(cmd, sizeof cmd, "echo '12 999999' | %s tokenize -m %s --decode 2>&1", FD_FOUNDRY_BIN, model);
    CHECK_EQ(sh(cmd, out, sizeof out), 1);
    CHECK_CONTAINS(out, "999999");
    snprintf(cmd, sizeof cmd, "%s tokenize -m %s/nothing.json </dev/null 2>&1", FD_FOUNDRY_BIN, dir);
    CHECK_EQ(sh(cmd, out, sizeof out), 1);
    CHECK_CONTAINS(out, "nothing.json");
    snprintf(cmd, sizeof cmd, "%s tokenize --help", FD_FOUNDRY_BIN);
    CHECK_EQ(sh(cmd, out, sizeof out), 0);
    CHECK_CONTAINS(out, "--decode");
    snprintf(cmd, sizeof cmd, "%s tokenize 2>&1", FD_FOUNDRY_BIN);
    CHECK_EQ(sh(cmd, out, sizeof out), 2);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/fd_tok_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ(system(cmd), 0);
}

TEST_MAIN(setup, test_tiny_bpe, test_ignore_merges, test_bad_files, test_gguf_files, test_fault_injection, test_cli, teardown)
