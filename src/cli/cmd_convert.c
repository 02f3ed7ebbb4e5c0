/* cmd_convert.c — `foundry convert IN OUT.gguf --dtype f16|bf16|q8_0|q4_0`:
 * a Hugging Face folder (or a GGUF file) written as a GGUF v3 file with
 * llama.cpp's qwen2 conventions; 2-D weights become the chosen dtype, 1-D
 * ones f32. Prints the load, conversion and write times.
 *
 * Layer: cli. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/model_args.h"
#include "foundry/model.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry convert IN OUT.gguf [--dtype f32|f16|bf16|q8_0|q4_0] [--threads N] [--quiet]\n"
               "  IN           a Hugging Face folder (config.json + safetensors) or a .gguf file\n"
               "  OUT.gguf     the file to write (through a temporary file beside it, then renamed)\n"
               "  --dtype      type of the 2-D weights (default: as stored); norms and biases stay f32\n"
               "  --threads N  conversion threads, 1..%d (default: one per core)\n"
               "  -q, --quiet  no progress bar and no summary line\n", FD_MAX_THREADS);
}

int cmd_convert(int argc, char **argv)
{
    fd_model_options opt = { 0 };
    const char *in = NULL, *out = NULL;
    int quiet = 0;
    fd_error err = {0};
    fd_model *m;
    fd_status st;
    double t0, t1;
    struct stat sb;
    for (int i = 1; i < argc; i++) {
        const char *v;
        uint64_t n;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--dtype")) {
            if (!(v = cli_value("convert", argc, argv, &i))) return 2;
            if (fd_dtype_parse(v, &opt.dtype) != FD_OK || opt.dtype == FD_I32 || !fd_dtype_can_write(opt.dtype))
                return cli_usage_error("convert", "unknown dtype '%s' (f32, f16, bf16, q8_0, q4_0)", v);
            opt.convert = 1;
        } else if (!strcmp(argv[i], "--threads")) {
            if (!(v = cli_value("convert", argc, argv, &i))) return 2;
            if (cli_parse_u64("convert", "--threads", v, 1, FD_MAX_THREADS, &n)) return 2;
            opt.n_threads = (int)n;
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            quiet = 1;
        } else if (argv[i][0] == '-' || (in && out)) {
            return cli_unknown("convert", argv[i]);
        } else if (!in) {
            in = argv[i];
        } else {
            out = argv[i];
        }
    }
    if (!in || !out) return cli_usage_error("convert", "%s is missing", in ? "OUT" : "IN");
    if (!quiet) opt.progress = cli_convert_bar, opt.progress_user = (void *)fd_dtype_name(opt.convert ? opt.dtype : FD_F32);
    opt.no_tokenizer = 1;   /* the writer reads tokenizer.json itself */
    opt.check_values = 1;
    t0 = now();
    st = fd_model_open(in, &opt, &m, &err);
    if (st != FD_OK) return cli_fail("convert", st, &err);
    t1 = now();
    cli_model_notes("convert", in, m, "the GGUF file keeps them");
    st = fd_model_write_gguf(m, out, &err);
    if (st != FD_OK) {
        fd_model_close(m);
        return cli_fail("convert", st, &err);
    }
    if (!quiet) {
        const fd_model_info *info = fd_model_describe(m);
        fprintf(stderr, "%s -> %s: %llu tensors, %.1f MiB (%s), load %.3f s (convert %.3f s, %d threads), write %.3f s\n",
                in, out, (unsigned long long)info->n_tensors,
                stat(out, &sb) == 0 ? sb.st_size / 1048576.0 : 0.0,
                opt.convert ? fd_dtype_name(opt.dtype) : "as stored", t1 - t0, info->convert_seconds, info->n_threads,
                now() - t1);
    }
    fd_model_close(m);
    return 0;
}
