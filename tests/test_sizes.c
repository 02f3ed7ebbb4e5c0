/* test_sizes.c — sizes a small file can claim (issue 22, class 4): memory and
 * time stay proportional to the input: a token id of 1,000,000,000 in a small
 * tokenizer.json is refused (it made a 17 GB table), and a safetensors header
 * of a million empty entries is refused before Jansson builds a 1.2 GB tree. */
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include "check.h"
#include "cli_util.h"
#include "foundry/model.h"
#include "foundry/tokenizer.h"
#include "format/safetensors.h"
#include "model_util.h"

static char *dir;

static void setup(void) { dir = temp_dir("sizes"); }

static fd_status load_tok(const char *d, fd_error *err)
{
    fd_tokenizer *t = NULL;
    fd_status st = fd_tokenizer_load(d, &t, err);
    fd_tokenizer_destroy(t);
    return st;
}

static void test_token_ids_bounded(void)
{
    fd_error err = { 0 };
    char *d = path_in(dir, "tok");
    mkdir(d, 0755);
    write_tiny_tokenizer(d, 320);
    CHECK_OK(load_tok(d, &err), &err);
    /* an added token with id 1,000,000,000 */
    write_tiny_tokenizer(d, 1000000002);
    CHECK_EQ(load_tok(d, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "has id 1000000000: ids must lie below");
    /* a vocabulary entry */
    write_tiny_tokenizer(d, 320);
    edit_file(d, "tokenizer.json", "\"ll\":257", "\"ll\":1000000000");
    fd_error_clear(&err);
    CHECK_EQ(load_tok(d, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "model.vocab[\"ll\"] = 1000000000: ids must lie below");
    /* tokenizer_config.json's added_tokens_decoder */
    write_tiny_tokenizer(d, 320);
    write_text(d, "tokenizer_config.json", "{\"added_tokens_decoder\": {\"1000000000\": {\"content\": \"<x>\"}}}");
    fd_error_clear(&err);
    CHECK_EQ(load_tok(d, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "added_tokens_decoder id 1000000000");
    /* holes are still fine */
    write_tiny_tokenizer(d, 5000);
    char *cfg = path_in(d, "tokenizer_config.json");
    unlink(cfg);
    free(cfg);
    fd_error_clear(&err);
    CHECK_OK(load_tok(d, &err), &err);
    rm_tree(d);
}

/* convert reads tokenizer.json itself: an id far past the embedding and the tokens is refused there too. */
static void test_export_ids_bounded(void)
{
    char *d = path_in(dir, "model"), *out = path_in(dir, "o.gguf");
    mkdir(d, 0755);
    write_tiny_hf(d, &TINY, 9);
    write_tiny_tokenizer(d, 10000002);
    cli_io io = { 0 };
    CHECK_EQ(cli_run(&io, "convert", d, out, "--quiet", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "token id 10000001 lies beyond the embedding's 320 rows");
    CHECK(access(out, F_OK) != 0);
    rm_tree(d);
    free(out);
}

/* A safetensors file whose header is n empty entries (shape [0], no data). */
static void write_empty_entries(const char *path, long n)
{
    buf h = { 0 };
    char e[96];
    buf_put(&h, "{", 1);
    for (long i = 0; i < n; i++) {
        int k = snprintf(e, sizeof e, "%s\"t%ld\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}", i ? "," : "", i);
        buf_put(&h, e, (size_t)k);
    }
    buf_put(&h, "}", 1);
    buf f = { 0 };
    buf_u64(&f, h.n);
    buf_put(&f, h.p, h.n);
    write_file(path, f.p, f.n);
    free(h.p);
    free(f.p);
}

static void test_safetensors_entries_bounded(void)
{
    char *p = path_in(dir, "many.safetensors");
    write_empty_entries(p, 1000000);
    int status = 0;
    struct rusage ru;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {   /* measured alone: its peak memory is this open's */
        fd_st_file *f = NULL;
        fd_error err = { 0 };
        fd_status st = fd_st_open(p, &f, &err);
        fd_st_close(f);
        _exit(st == FD_ERR_FORMAT && strstr(err.msg, "holds more than 131072 entries") ? 0 : 1);
    }
    CHECK(pid > 0 && wait4(pid, &status, 0, &ru) == pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("a %d-entry safetensors header refused in %.2f s, peak %ld MB\n", 1000000, secs, ru.ru_maxrss / 1024);
    CHECK(ru.ru_maxrss < 400 * 1024);   /* KB; the file itself is 67 MB, the Jansson tree was 1.2 GB */
    CHECK(secs < 20);
    /* below the bound, still fine */
    write_empty_entries(p, 1000);
    fd_st_file *f = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_st_open(p, &f, &err), &err);
    CHECK(f && f->n == 1000);
    fd_st_close(f);
    free(p);
}

static void teardown(void) { rm_tree(dir); }

TEST_MAIN(setup, test_token_ids_bounded, test_export_ids_bounded, test_safetensors_entries_bounded, teardown)
