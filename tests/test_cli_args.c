/* test_cli_args.c — every command refuses an unknown option, a missing value
 * and a malformed value with one line on stderr and exit status 2; numbers
 * are parsed strictly and bounded; `kernels --source` picks variants by dtype
 * names (issue 22, class 1). */
#include "check.h"
#include "cli_util.h"

/* Exit status 2 and a one-line message that contains `needle`. */
#define USAGE_ERROR(needle, ...) do { cli_io io_ = { 0 }; int rc_ = cli_run(&io_, __VA_ARGS__, (char *)NULL); \
    CHECK_EQ(rc_, 2); CHECK_EQ(cli_lines(io_.err), 1); CHECK_CONTAINS(io_.err, needle); } while (0)

static void test_unknown_options(void)
{
    USAGE_ERROR("unexpected argument 'bogus'", "selftest", "bogus");
    USAGE_ERROR("unknown option '--bogus'", "selftest", "--bogus");
    USAGE_ERROR("unknown option '--bogus'", "kernels", "--bogus");
    USAGE_ERROR("unexpected argument 'x'", "kernels", "x");
    USAGE_ERROR("unknown option '--bogus'", "info", "--bogus");
    USAGE_ERROR("unexpected argument 'b'", "info", "a", "b");
    USAGE_ERROR("unknown option '--bogus'", "tokenize", "--bogus");
    USAGE_ERROR("unknown option '--bogus'", "convert", "--bogus", "a", "b.gguf");
    USAGE_ERROR("unexpected argument 'c'", "convert", "a", "b.gguf", "c");
    USAGE_ERROR("unknown command 'bogus'", "bogus");
    USAGE_ERROR("unknown option '--bogus'", "--bogus");
    static const char *const more[] = { "template", "run", "chat", "demo", "eval", "bench" };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        USAGE_ERROR("unknown option '--bogus'", more[i], "--bogus");
        USAGE_ERROR("unexpected argument 'stray'", more[i], "stray");
    }
    USAGE_ERROR("unexpected argument 'x'", "--version", "x");
}

static void test_missing_values(void)
{
    USAGE_ERROR("--backend needs a value", "selftest", "--backend");
    USAGE_ERROR("--arch needs a value", "kernels", "--compile-all", "--arch");
    USAGE_ERROR("--source needs a kernel name", "kernels", "--source");
    USAGE_ERROR("-m needs a value", "tokenize", "-m");
    USAGE_ERROR("--dtype needs a value", "convert", "a", "b.gguf", "--dtype");
    USAGE_ERROR("--threads needs a value", "convert", "a", "b.gguf", "--threads");
    USAGE_ERROR("MODEL is missing", "info");
    USAGE_ERROR("-m MODEL is required", "tokenize");
    USAGE_ERROR("OUT is missing", "convert", "a");
    USAGE_ERROR("-m needs a value", "template", "-m");
    USAGE_ERROR("-m MODEL is required", "template");
    USAGE_ERROR("--tokens needs a value", "eval", "--tokens");
    USAGE_ERROR("--tokens is required", "eval", "--synthetic", "tiny");
    USAGE_ERROR("-p PROMPT is required", "run", "--synthetic", "tiny");
    USAGE_ERROR("-n needs a value", "run", "-n");
    USAGE_ERROR("--stop needs a value", "chat", "--stop");
    USAGE_ERROR("--backend needs a value", "demo", "--backend");
    USAGE_ERROR("-p needs a value", "bench", "-p");
    USAGE_ERROR("--dtype needs a value", "bench", "--dtype");
    USAGE_ERROR("--trace needs a value", "selftest", "--trace");
}

static void test_malformed_values(void)
{
    USAGE_ERROR("'gpu' is not auto, cpu or cuda", "selftest", "--backend", "gpu");
    USAGE_ERROR("--arch needs a whole number from 80 to 1299, not 'abc'", "kernels", "--compile-all", "--arch", "abc");
    USAGE_ERROR("not '90x'", "kernels", "--compile-all", "--arch", "90x");
    USAGE_ERROR("--arch needs a whole number from 80 to 1299, not '70'", "kernels", "--compile-all", "--arch", "70");
    USAGE_ERROR("--arch goes with --compile-all", "kernels", "--arch", "90");
    USAGE_ERROR("unknown dtype 'f8'", "convert", "a", "b.gguf", "--dtype", "f8");
    /* --threads 65536 used to overflow the OpenMP runtime's stack; abc and -1 were the default */
    USAGE_ERROR("--threads needs a whole number from 1 to 1024, not '65536'", "convert", "a", "b.gguf", "--threads", "65536");
    USAGE_ERROR("not 'abc'", "convert", "a", "b.gguf", "--threads", "abc");
    USAGE_ERROR("not '-1'", "convert", "a", "b.gguf", "--threads", "-1");
    USAGE_ERROR("not '0'", "convert", "a", "b.gguf", "--threads", "0");
    USAGE_ERROR("not ' 4'", "convert", "a", "b.gguf", "--threads", " 4");
    USAGE_ERROR("not '99999999999999999999'", "convert", "a", "b.gguf", "--threads", "99999999999999999999");
    USAGE_ERROR("-n needs a whole number from 0 to", "run", "-n", "abc");
    USAGE_ERROR("--temp needs a number from 0 to 100, not 'nan'", "run", "--temp", "nan");
    USAGE_ERROR("--top-p needs a number from 0 to 1, not '2'", "demo", "--top-p", "2");
    USAGE_ERROR("-c needs a whole number from 1 to", "eval", "-c", "0");
    USAGE_ERROR("--seed-weights needs a whole number", "eval", "--seed-weights", "-3");
    USAGE_ERROR("--now needs a whole number from 0 to", "template", "-m", "x", "--now", "-5");
    USAGE_ERROR("--now needs a whole number from 0 to", "template", "-m", "x", "--now", " 5");
    USAGE_ERROR("--tokens needs a whole number from 0 to 2147483647, not '9x'", "eval", "--synthetic", "tiny", "--tokens", "1,9x");
    USAGE_ERROR("unknown --synthetic shape 'huge'", "run", "--synthetic", "huge");
    USAGE_ERROR("-p needs a whole number from 0 to 1048576, not 'x'", "bench", "-p", "1,x");
    USAGE_ERROR("-r needs a whole number from 1 to 1000, not '0'", "bench", "-r", "0");
    USAGE_ERROR("--dtype takes f32, f16, bf16, q8_0, q4_0, not 'q9'", "bench", "--dtype", "f16,q9");
}

static void test_kernel_source_dtypes(void)
{
    char out[] = "/tmp/fd_cli_src_XXXXXX";
    int fd = mkstemp(out);
    CHECK(fd >= 0);
    close(fd);
    cli_io io = { .out = out };
    CHECK_EQ(cli_run(&io, "kernels", "--source", "gemv", "q4_0", (char *)NULL), 0);
    FILE *f = fopen(out, "r");
    char line[256] = "";
    CHECK(f && fgets(line, sizeof line, f));
    if (f) fclose(f);
    CHECK_CONTAINS(line, "gemv_q4_0");   /* not the f32 variant */
    CHECK_EQ(cli_run(&io, "kernels", "--source", "gemv", "f32", "q8_0", "f32", (char *)NULL), 0);
    f = fopen(out, "r");
    CHECK(f && fgets(line, sizeof line, f));
    if (f) fclose(f);
    CHECK_CONTAINS(line, "gemv_q8_0");
    unlink(out);
    USAGE_ERROR("argument w takes f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q2_k|q3_k|q4_k|q5_k|q6_k|iq4_nl|iq4_xs, not 'q9'", "kernels", "--source", "gemv", "q9");
    USAGE_ERROR("argument x takes f32, not 'f16'", "kernels", "--source", "gemv", "f16", "q8_0", "f32");
    USAGE_ERROR("takes 1 dtype name", "kernels", "--source", "gemv", "q8_0", "f32");
    USAGE_ERROR("no kernel named 'nope'", "kernels", "--source", "nope");
    USAGE_ERROR("unknown option '--x'", "kernels", "--source", "gemv", "--x");
}

static void test_usage_and_help(void)
{
    cli_io io = { 0 };
    CHECK_EQ(cli_run(&io, (char *)NULL), 2);   /* no arguments: the usage, on stderr */
    CHECK_CONTAINS(io.err, "usage: foundry");
    CHECK_CONTAINS(io.err, "commands:");
    static const char *const cmds[] = { "selftest", "kernels", "tokenize", "info", "convert" };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        CHECK_EQ(cli_run(&io, cmds[i], "--help", (char *)NULL), 0);
        CHECK_EQ(cli_run(&io, cmds[i], "-h", (char *)NULL), 0);
    }
}

TEST_MAIN(test_unknown_options, test_missing_values, test_malformed_values, test_kernel_source_dtypes,
          test_usage_and_help)
