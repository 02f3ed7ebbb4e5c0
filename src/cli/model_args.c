/* model_args.c — the shared options of the model commands and opening a
 * model for them (see model_args.h); numbers are parsed by args.c.
 *
 * Layer: cli. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/util.h"
#include "cli/cli.h"
#include "cli/model_args.h"

#ifndef FD_DEFAULT_VOCAB
#define FD_DEFAULT_VOCAB "tests/data/tokenizer/ggml-vocab-qwen2.gguf"
#endif

int cli_model_arg(const char *cmd, cli_model_args *a, int argc, char **argv, int *i)
{
    const char *o = argv[*i];
    int is = !strcmp(o, "-m") || !strcmp(o, "--model") || !strcmp(o, "--synthetic") || !strcmp(o, "--backend") ||
             !strcmp(o, "--dtype") || !strcmp(o, "-c") || !strcmp(o, "--ctx") || !strcmp(o, "--vocab") ||
             !strcmp(o, "--seed-weights") || !strcmp(o, "--threads");
    if (!is) return 0;
    const char *v = cli_value(cmd, argc, argv, i);
    if (!v) return 2;
    uint64_t n;
    if (!strcmp(o, "-m") || !strcmp(o, "--model")) {
        a->model = v;
    } else if (!strcmp(o, "--synthetic")) {
        fd_model_hparams hp;
        if (fd_model_preset(v, &hp) != FD_OK) {
            return cli_usage_error(cmd, "unknown --synthetic shape '%s' (%s)", v, fd_model_preset_names());
        }
        a->synthetic = v;
    } else if (!strcmp(o, "--backend")) {
        if (!strcmp(v, "auto")) a->backend = FD_BACKEND_AUTO;
        else if (!strcmp(v, "cpu")) a->backend = FD_BACKEND_CPU;
        else if (!strcmp(v, "cuda")) a->backend = FD_BACKEND_CUDA;
        else {
            return cli_usage_error(cmd, "--backend is auto, cpu or cuda, not '%s'", v);
        }
    } else if (!strcmp(o, "--dtype")) {
        if (fd_dtype_parse(v, &a->dtype) != FD_OK || !(fd_dtype_is_float(a->dtype) || fd_dtype_is_quant(a->dtype)) || !fd_dtype_can_write(a->dtype)) {
            return cli_usage_error(cmd, "--dtype is f32, f16, bf16, q8_0 or q4_0, not '%s'", v);
        }
        a->convert = 1;
    } else if (!strcmp(o, "-c") || !strcmp(o, "--ctx")) {
        if (cli_parse_u64(cmd, o, v, 1, 1u << 20, &n)) return 2;
        a->ctx = (uint32_t)n;
    } else if (!strcmp(o, "--threads")) {
        if (cli_parse_u64(cmd, o, v, 1, 4096, &n)) return 2;
        a->threads = (int)n;
    } else if (!strcmp(o, "--vocab")) {
        a->vocab = v;
    } else {
        if (cli_parse_u64(cmd, o, v, 0, UINT64_MAX, &n)) return 2;
        a->seed = n;
    }
    return 1;
}

const char *cli_model_help(void)
{
    return "  -m MODEL            a Hugging Face folder (config.json + safetensors) or a .gguf file\n"
           "  --synthetic NAME    instead of -m: random weights of that shape, built in memory\n"
           "                      (qwen2.5-0.5b, qwen2.5-1.5b, qwen2.5-3b, tiny, qwen3-0.6b, qwen3-tiny,\n"
           "                      llama3.2-1b, llama3.2-3b, llama3.1-8b, llama-tiny, smollm3-3b, smollm3-tiny,\n"
           "                      mistral-7b, mistral-tiny; Llama and SmolLM3 want --vocab with the Llama 3\n"
           "                      vocabulary, Mistral the SentencePiece one)\n"
           "  --vocab GGUF        the synthetic model's tokenizer (default: the repository's Qwen2.5 vocabulary)\n"
           "  --seed-weights S    the synthetic model's weight seed (default 1)\n"
           "  --backend B         auto (default: the GPU if there is one), cpu or cuda\n"
           "  --dtype T           convert the weights on load: f32, f16, bf16, q8_0 or q4_0\n"
           "  -c, --ctx N         context length (default: the model's; on the CPU at most 4096)\n"
           "  --threads N         CPU backend: worker threads (default: every processor)\n";
}

/* A progress line for big models, on a terminal only (logs stay clean). */
static void progress(void *user, uint64_t done, uint64_t total)
{
    (void)user;
    if (total < (256u << 20) || !isatty(2)) return;
    fprintf(stderr, "\rfoundry: uploading weights %3.0f%%", 100.0 * done / total);
    if (done >= total) fputc('\n', stderr);
}

void cli_convert_bar(void *user, uint64_t done, uint64_t total)
{
    const int w = 30;
    if (!total || !isatty(2)) return;
    int k = (int)(done * (uint64_t)w / total);
    fprintf(stderr, "\rconverting to %-4s [%.*s%*s] %3d%%", (const char *)user, k, "##############################",
            w - k, "", (int)(done * 100 / total));
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

void cli_model_notes(const char *cmd, const char *path, const fd_model *m, const char *consequence)
{
    const fd_model_info *in = fd_model_describe(m);
    if (in->n_nonfinite)
        fprintf(stderr, "foundry %s: warning: %s holds %llu NaN or Inf weights, the first in tensor %s; %s\n", cmd, path,
                (unsigned long long)in->n_nonfinite, in->first_nonfinite, consequence);
    if (in->ignored_tensor)
        fprintf(stderr, "foundry %s: note: %s holds %s but config.json says \"tie_word_embeddings\": true, so the head "
                "uses the embedding, as transformers does\n", cmd, path, in->ignored_tensor);
}

int cli_model_open(const char *cmd, const cli_model_args *a, cli_model *m)
{
    memset(m, 0, sizeof *m);
    double t0 = fd_now_seconds();
    fd_error err = { 0 };
    fd_status st;
    if ((a->model && a->synthetic) || (!a->model && !a->synthetic && !a->synthetic_cpu)) {
        return cli_usage_error(cmd, "give a model with -m MODEL or --synthetic NAME (one of them)");
    }
    st = fd_foundry_create(&(fd_options){ .backend = a->backend, .threads = a->threads }, &m->fd, &err);
    if (st != FD_OK) return cli_fail(cmd, st, &err);
    m->gpu = fd_foundry_backend(m->fd) == FD_BACKEND_CUDA;
    m->shape = a->model ? NULL : a->synthetic ? a->synthetic : m->gpu ? a->synthetic_gpu : a->synthetic_cpu;
    if (m->shape) {
        fd_random_options ro = { .dtype = a->convert ? a->dtype : FD_F16, .seed = a->seed ? a->seed : 1,
                                 .vocab_gguf = a->vocab ? a->vocab : FD_DEFAULT_VOCAB };
        (void)fd_model_preset(m->shape, &ro.hp);
        st = fd_model_random(&ro, &m->model, &err);
    } else {
        /* check_values: one pass over the weights, so that NaN weights never generate silently */
        fd_model_options mo = { .convert = a->convert, .dtype = a->dtype, .check_values = 1,
                                .progress = cli_convert_bar,
                                .progress_user = (void *)fd_dtype_name(a->convert ? a->dtype : FD_F32) };
        st = fd_model_open(a->model, &mo, &m->model, &err);
        if (st == FD_OK) cli_model_notes(cmd, a->model, m->model, "its output will be noise");
    }
    if (st != FD_OK) {
        cli_fail(cmd, st, &err);
        cli_model_close(m);
        return 1;
    }
    st = fd_model_upload(m->fd, m->model, &(fd_upload_options){ .ctx = a->ctx, .progress = progress }, &m->weights);
    if (st != FD_OK) {
        fprintf(stderr, "foundry %s: %s: %s\n", cmd, fd_status_name(st), fd_foundry_error(m->fd));
        cli_model_close(m);
        return 1;
    }
    m->load_seconds = fd_now_seconds() - t0;
    return 0;
}

void cli_model_close(cli_model *m)
{
    if (m->fd) fd_weights_release(m->fd);
    fd_foundry_destroy(m->fd);
    fd_model_close(m->model);
    memset(m, 0, sizeof *m);
}

const char *cli_model_template_path(const cli_model_args *a)
{
    return a->model ? a->model : a->vocab ? a->vocab : FD_DEFAULT_VOCAB;
}

/* 1 when `path` is an existing file directly inside folder `dir`. */
static int in_folder(const char *path, const char *dir)
{
    const char *slash = strrchr(path, '/');
    char *parent = slash ? strndup(path, (size_t)(slash - path + (slash == path))) : strdup(".");
    int r = parent && access(path, F_OK) == 0 && fd_same_file(parent, dir);
    free(parent);
    return r;
}

int cli_output_check(const char *cmd, const char *opt, const char *path, const cli_model_args *a)
{
    fd_error err = { 0 };
    if (!*path) return cli_usage_error(cmd, "%s needs a file name", opt);
    if (fd_check_output_path(path, &err) != FD_OK) {
        fprintf(stderr, "foundry %s: %s %s\n", cmd, opt, err.msg);
        return 1;
    }
    int is_dir = 0;
    if ((a->model && fd_same_file(path, a->model)) || (a->vocab && fd_same_file(path, a->vocab)) ||
        (a->model && fd_probe_input(a->model, &is_dir, &err) == FD_OK && is_dir && in_folder(path, a->model))) {
        fprintf(stderr, "foundry %s: %s %s: is one of the model's files; write it elsewhere\n", cmd, opt, path);
        return 1;
    }
    /* writable now, before the work: a missing folder or a read-only one fails in a second, not after it */
    const char *slash = strrchr(path, '/');
    char *parent = slash ? strndup(path, (size_t)(slash - path + (slash == path))) : strdup(".");
    int ok = parent && (access(path, F_OK) == 0 ? access(path, W_OK) == 0 : access(parent, W_OK) == 0);
    free(parent);
    if (!ok) {
        fprintf(stderr, "foundry %s: %s %s: cannot write there: %s\n", cmd, opt, path, strerror(errno));
        return 1;
    }
    return 0;
}
