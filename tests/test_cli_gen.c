/* test_cli_gen.c — the generation commands from the outside (issue 26 §1):
 * Ctrl-C during a long prompt stops it (exit 130); a chat refuses a bad
 * line and goes on; options that do nothing are refused on one line;
 * --trace is checked before the work (never onto the model, a FIFO or a
 * folder that is missing); eval --prefill past the old 110-token limit and
 * whole --tokens items; bench labels rows with the dtype it ran, draws ids
 * within a small vocabulary and leaves no temporary folder when stopped.
 * The tiny random-weight model on the CPU backend throughout. */
#include <sys/stat.h>
#include "check.h"
#include "cli_util.h"
#include "model_util.h"

#define VOCAB FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf"

static char *dir;
/* head_dim 64, FFN 256, a 320-token vocabulary: a small model any shape check accepts */
static const tiny_cfg SMALL = { 2, 128, 2, 2, 256, 320, 0, 1, 0 };

static void setup(void)
{
    dir = temp_dir("cli_gen");
    write_tiny_hf(dir, &SMALL, 7);
    write_tiny_tokenizer(dir, SMALL.V);
}

static void teardown(void) { rm_tree(dir); }

/* Starts foundry with stdout to `out` and stderr to `err`; the child's pid. */
static pid_t spawn(const char *out, const char *err, const char *const *argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0) _exit(126);
        dup2(in, 0), dup2(o, 1), dup2(e, 2);
        execv(FD_FOUNDRY_BIN, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to `secs` for the child; its exit status, 128 + signal, or CLI_HUNG (then killed). */
static int wait_for(pid_t pid, double secs)
{
    int status;
    for (double t = 0; t < secs; t += 0.01) {
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return CLI_HUNG;
}

static int file_has(const char *path, const char *needle)
{
    size_t n = 0;
    char *p = read_all(path, &n);
    int r = p && memmem(p, n, needle, strlen(needle)) != NULL;
    free(p);
    return r;
}

/* Ctrl-C while a 2,000-token prompt runs (about a minute on the CPU): the
 * demo prints its header once the model is loaded, so the signal lands in
 * the prompt; it must end within seconds, cancelled, with status 130. */
static void test_sigint_during_prompt(void)
{
    char *out = path_in(dir, "sigint.out"), *err = path_in(dir, "sigint.err");
    static char prompt[12 * 1000 + 1];
    for (int i = 0; i < 1000; i++) memcpy(prompt + 12 * i, "hello world ", 12);
    const char *argv[] = { FD_FOUNDRY_BIN, "demo", "--backend", "cpu", "-c", "2048", "-n", "4", "-p", prompt, NULL };
    pid_t pid = spawn(out, err, argv);
    double t = 0;
    while (t < 60 && !file_has(out, "---")) usleep(20000), t += 0.02;
    CHECK(t < 60);
    usleep(300000);
    kill(pid, SIGINT);
    int rc = wait_for(pid, 20);
    CHECK_EQ(rc, 130);
    CHECK(file_has(out, "stop: cancelled"));
    CHECK(file_has(err, "foundry demo: cancelled"));
    CHECK(!file_has(out, "prompt: 2001 tokens") || file_has(out, "generation: 0 tokens"));
    free(out), free(err);
}

/* A chat goes on past a line that is not UTF-8 and one longer than the
 * context; each refusal is one line that says why (never "out of memory"). */
static void test_chat_refuses_and_goes_on(void)
{
    char *in = path_in(dir, "chat.in");
    FILE *f = fopen(in, "w");
    fputs("Hello\ncaf\xc3 au lait\n", f);
    for (int i = 0; i < 300; i++) fputs("words ", f);
    fputs("\nGoodbye\n", f);
    fclose(f);
    cli_io io = { .in = in, .limit_s = 300 };
    char *out = path_in(dir, "chat.out");
    io.out = out;
    CHECK_EQ(cli_run(&io, "chat", "--synthetic", "tiny", "--backend", "cpu", "-c", "128", "-n", "4", "--ignore-eos",
                     (char *)NULL), 0);
    CHECK_CONTAINS(io.err, "foundry chat: the message is not valid UTF-8 (byte 4)");
    CHECK_CONTAINS(io.err, "the context holds 128");
    CHECK(strstr(io.err, "out of memory") == NULL);
    size_t n = 0;
    char *o = read_all(out, &n);
    if (o) o[n] = 0;   /* read_all leaves room for the NUL */
    int turns = 0;
    for (char *p = o; p && (p = strstr(p, "[prompt:")); p++) turns++;
    CHECK_EQ(turns, 2);   /* Hello and Goodbye */
    free(o);
    /* a bad system message: one line, and not "out of memory" */
    io = (cli_io){ .limit_s = 60 };
    CHECK_EQ(cli_run(&io, "chat", "--synthetic", "tiny", "--backend", "cpu", "-s", "bad \xff", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "not valid UTF-8");
    CHECK_EQ(cli_lines(io.err), 1);
    free(in), free(out);
}

/* Options that would do nothing are refused, on one line, before any work. */
static void test_idle_options_refused(void)
{
    static const struct { const char *args[10], *says; } cases[] = {
        { { "run", "--synthetic", "tiny", "-p", "hi", "-s", "sys" }, "-s (a system message) needs --chat" },
        { { "run", "--synthetic", "tiny", "-p", "" }, "the prompt (-p) is empty" },
        { { "chat", "--synthetic", "tiny", "-p", "hi" }, "-p: the turns come from stdin" },
        { { "chat", "--synthetic", "tiny", "--chat" }, "--chat: chat always uses" },
        { { "demo", "-s", "sys" }, "-s: demo generates from a plain prompt" },
        { { "demo", "--chat" }, "--chat: demo generates" },
        { { "demo", "-p", "" }, "the prompt (-p) is empty" },
        { { "bench", "--synthetic", "tiny", "--dtype", "" }, "--dtype: an empty item" },
        { { "bench", "--synthetic", "tiny", "--dtype", "f16,,q8_0" }, "--dtype: an empty item" },
        { { "bench", "--synthetic", "tiny", "--dtype", "f16,q9" }, "not 'q9'" },
        { { "eval", "--synthetic", "tiny", "--tokens", "1,000000000000000junk" }, "not '000000000000000junk'" },
        { { "eval", "--synthetic", "tiny", "--tokens", "1,99999999999999999999999" }, "not '99999999999999999999999'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_io io = { .limit_s = 10 };
        const char *const *a = cases[i].args;
        CHECK_EQ(cli_run(&io, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], (char *)NULL), 2);
        CHECK_CONTAINS(io.err, cases[i].says);
        CHECK_EQ(cli_lines(io.err), 1);
        char prefix[64];   /* every message reads "foundry CMD: ..." */
        snprintf(prefix, sizeof prefix, "foundry %s: ", a[0]);
        CHECK(!strncmp(io.err, prefix, strlen(prefix)));
    }
}

/* --trace: checked before the work, never onto the model or a FIFO. */
static void test_trace_guarded(void)
{
    char *cfg = path_in(dir, "config.json"), *fifo = path_in(dir, "trace.fifo");
    size_t n0 = 0, n1 = 0;
    char *before = read_all(cfg, &n0);
    cli_io io = { .limit_s = 10 };
    CHECK_EQ(cli_run(&io, "run", "-m", dir, "-p", "hi", "--trace", cfg, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is one of the model's files");
    char *after = read_all(cfg, &n1);
    CHECK(n0 == n1 && !memcmp(before, after, n0));
    io = (cli_io){ .limit_s = 10 };
    CHECK_EQ(cli_run(&io, "bench", "--synthetic", "tiny", "--vocab", VOCAB, "--trace", VOCAB, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is one of the model's files");
    CHECK_EQ(mkfifo(fifo, 0644), 0);
    io = (cli_io){ .limit_s = 10 };
    CHECK_EQ(cli_run(&io, "chat", "--synthetic", "tiny", "--trace", fifo, (char *)NULL), 1);   /* no hang */
    CHECK_CONTAINS(io.err, "FIFO");
    io = (cli_io){ .limit_s = 10 };
    CHECK_EQ(cli_run(&io, "demo", "--trace", "/nonexistent-folder/t.json", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "cannot write there");
    free(before), free(after), free(cfg), free(fifo);
}

/* eval --prefill at a 151,936 vocabulary past 110 tokens, 112 here (the chunk's
 * logits once overflowed the pool); --json has a number or null, never nan. */
static void test_eval_prefill_long(void)
{
    char list[112 * 7 + 1] = "", *out = path_in(dir, "eval.json");
    for (int i = 0; i < 112; i++) sprintf(list + strlen(list), "%s%d", i ? "," : "", 1000 + 7 * i);
    cli_io io = { .out = out, .limit_s = 300 };
    CHECK_EQ(cli_run(&io, "eval", "--synthetic", "tiny", "--backend", "cpu", "--prefill", "--json", "--tokens", list,
                     (char *)NULL), 0);
    size_t n = 0;
    char *o = read_all(out, &n);
    if (o) o[n] = 0;   /* read_all leaves room for the NUL */
    int pos = 0;
    for (char *p = o; p && (p = strstr(p, "top5_ids")); p++) pos++;
    CHECK_EQ(pos, 112);
    CHECK(o && !strstr(o, "nan") && !strstr(o, "inf"));
    free(o), free(out);
}

/* bench -m FOLDER --dtype a,b: each row says the dtype it ran; the model's
 * 320-token vocabulary bounds the random prompt. */
static void test_bench_rows(void)
{
    char *out = path_in(dir, "bench.out");
    cli_io io = { .out = out, .limit_s = 300 };
    CHECK_EQ(cli_run(&io, "bench", "-m", dir, "--backend", "cpu", "--dtype", "f32,q8_0", "-p", "8", "-n", "2", "-r",
                     "1", (char *)NULL), 0);
    CHECK(file_has(out, "| f32 | pp8 |"));
    CHECK(file_has(out, "| q8_0 | pp8 |"));
    CHECK(file_has(out, "| q8_0 | tg2 @ d0 |"));
    free(out);
}

/* A stopped bench removes its temporary kernel cache (under $TMPDIR). */
static void test_bench_interrupted_cleans_up(void)
{
    char *tmp = path_in(dir, "tmp"), *out = path_in(dir, "bi.out"), *err = path_in(dir, "bi.err");
    CHECK_EQ(mkdir(tmp, 0755), 0);
    setenv("TMPDIR", tmp, 1);
    /* the head comes with the first row (pp64); the tg128 row x 1000 outlasts the signal on any CPU (a pp64-only
     * run x 1000 took under a second) */
    const char *argv[] = { FD_FOUNDRY_BIN, "bench", "-m", dir, "--backend", "cpu", "-p", "64", "-n", "128", "-r", "1000",
                           NULL };
    pid_t pid = spawn(out, err, argv);
    unsetenv("TMPDIR");
    double t = 0;
    while (t < 60 && !file_has(out, "|---|")) usleep(20000), t += 0.02;   /* the table's head: the work began */
    usleep(500000);
    kill(pid, SIGINT);
    CHECK_EQ(wait_for(pid, 30), 128 + SIGINT);
    CHECK(file_has(err, "interrupted"));
    DIR *d = opendir(tmp);
    int left = 0;
    for (struct dirent *e; d && (e = readdir(d));) left += e->d_name[0] != '.';
    if (d) closedir(d);
    CHECK_EQ(left, 0);
    free(tmp), free(out), free(err);
}

/* NaN weights never generate silently: every model command warns, as convert does. */
static void test_nan_weights_warned(void)
{
    char *d = path_in(dir, "nan");
    mkdir(d, 0755);
    write_tiny_hf(d, &SMALL, 11);
    write_tiny_tokenizer(d, SMALL.V);
    char *st = path_in(d, "model.safetensors");
    uint16_t nan = 0x7fc0;   /* bf16 NaN over the last weight */
    FILE *f = fopen(st, "r+b");
    CHECK(f && fseek(f, -2, SEEK_END) == 0 && fwrite(&nan, 2, 1, f) == 1);
    if (f) fclose(f);
    cli_io io = { .limit_s = 60 };
    CHECK_EQ(cli_run(&io, "eval", "-m", d, "--backend", "cpu", "--tokens", "1,2", (char *)NULL), 0);
    CHECK_CONTAINS(io.err, "foundry eval: warning:");
    CHECK_CONTAINS(io.err, "holds 1 NaN or Inf weights");
    free(st), free(d);
}

TEST_MAIN(setup, test_sigint_during_prompt, test_chat_refuses_and_goes_on, test_idle_options_refused,
          test_trace_guarded, test_eval_prefill_long, test_bench_rows, test_bench_interrupted_cleans_up, test_nan_weights_warned, teardown)
