/* cmd_info.c — `foundry info MODEL`: architecture, hyper-parameters,
 * generation defaults, tokenizer summary and the tensor table of a GGUF file
 * or a Hugging Face folder. A GGUF that is not a loadable model (a
 * vocabulary-only file, another architecture) is still described from its
 * metadata, with the reason it cannot be loaded.
 *
 * Layer: cli. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "base/util.h"
#include "cli/cli.h"
#include "foundry/gguf.h"
#include "foundry/model.h"
#include "foundry/tokenizer.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry info MODEL [--keys] [--no-tokenizer]\n"
               "  MODEL          a .gguf file or a Hugging Face folder (config.json + safetensors)\n"
               "  --keys         also list every GGUF metadata key\n"
               "  --no-tokenizer don't load the tokenizer\n");
}

static void print_value(const fd_gguf_value *v)
{
    switch (v->type) {
    case FD_GGUF_STRING: {
        char safe[256];
        printf("\"%s\"", fd_escape(v->v.s.ptr, (size_t)(v->v.s.len > 60 ? 60 : v->v.s.len), safe, sizeof safe));
        if (v->v.s.len > 60) printf("...");
        break;
    }
    case FD_GGUF_ARRAY: printf("[%" PRIu64 " x %s]", v->v.arr.n, fd_gguf_type_name(v->v.arr.type)); break;
    case FD_GGUF_F32: case FD_GGUF_F64: printf("%g", v->v.f); break;
    case FD_GGUF_BOOL: printf("%s", v->v.b ? "true" : "false"); break;
    case FD_GGUF_I8: case FD_GGUF_I16: case FD_GGUF_I32: case FD_GGUF_I64: printf("%" PRId64, v->v.i); break;
    default: printf("%" PRIu64, v->v.u); break;
    }
}

static void print_keys(const fd_gguf *g)
{
    printf("metadata (%" PRIu64 " keys):\n", fd_gguf_kv_count(g));
    for (uint64_t i = 0; i < fd_gguf_kv_count(g); i++) {
        const fd_gguf_kv *kv = fd_gguf_kv_at(g, i);
        char safe[300];
        printf("  %-42s %-7s ", fd_escape(kv->key, strlen(kv->key), safe, sizeof safe), fd_gguf_type_name(kv->value.type));
        print_value(&kv->value);
        putchar('\n');
    }
}

/* A GGUF that fd_model_open refused: its metadata and tensors as they are. */
static int describe_gguf(const char *path, const fd_error *why)
{
    fd_error err = {0};
    fd_gguf *g;
    fd_status st = fd_gguf_open_ex(path, FD_GGUF_ANY_TENSOR_TYPE, &g, &err);
    if (st != FD_OK) return cli_fail("info", st, &err);
    printf("file:         %s (GGUF v%u, %" PRIu64 " bytes, alignment %" PRIu64 ")\n", path, fd_gguf_version(g),
           fd_gguf_file_size(g), fd_gguf_alignment(g));
    printf("model:        not loadable: %s\n", why->msg);
    print_keys(g);
    printf("tensors (%" PRIu64 "):\n", fd_gguf_tensor_count(g));
    for (uint64_t i = 0; i < fd_gguf_tensor_count(g); i++) {
        const fd_gguf_tensor *t = fd_gguf_tensor_at(g, i);
        char safe[300];
        printf("  %-34s %-6s [", fd_escape(t->name, strlen(t->name), safe, sizeof safe), fd_gguf_ggml_type_name(t->ggml_type));
        for (uint32_t d = 0; d < t->n_dims; d++) printf("%s%" PRIu64, d ? ", " : "", t->ne[d]);
        printf("] (ne order) %" PRIu64 " bytes\n", t->bytes);
    }
    fd_gguf_close(g);
    return 0;
}

static void print_model(const fd_model *m, int keys)
{
    const fd_model_info *in = fd_model_describe(m);
    const fd_model_hparams *h = &in->hp;
    const fd_generation_defaults *g = &in->gen;
    printf("model:        %s (%s)\n", in->path, in->format);
    printf("architecture: %s (%s)\n", h->arch, in->features ? in->features : "");
    printf("layers %u, hidden %u, heads %u (kv %u, head_dim %u), ffn %u, vocab %u, context %u\n", h->n_layers,
           h->hidden, h->n_heads, h->n_kv_heads, h->head_dim, h->ffn, h->vocab, h->max_pos);
    printf("rope_theta %g, rms_eps %g, tied embeddings: %s", h->rope_theta, h->rms_eps, h->tie_embeddings ? "yes" : "no");
    if (h->rope_factor > 0)
        printf(", rope scaling llama3 (factor %g, low %g, high %g, original context %u)", h->rope_factor,
               h->rope_low_freq, h->rope_high_freq, h->rope_orig_ctx);
    if (h->nope_period) printf(", no RoPE at layers %u, %u, ...", h->nope_period - 1, 2 * h->nope_period - 1);
    if (in->ignored_tensor)   /* what runs: the head reads the embedding (transformers ties it too) */
        printf(" (%s in the file is not used: config.json says \"tie_word_embeddings\": true)", in->ignored_tensor);
    putchar('\n');
    printf("generation:   temperature %g, top_k %d, top_p %g, repetition_penalty %g, bos %d, pad %d, eos [",
           g->temperature, g->top_k, g->top_p, g->repetition_penalty, g->bos_id, g->pad_id);
    for (uint32_t i = 0; i < g->n_eos; i++) printf("%s%d", i ? ", " : "", g->eos_ids[i]);
    printf("]\n");
    if (in->chat_template) printf("chat template: %zu bytes\n", strlen(in->chat_template));
    else printf("chat template: none\n");
    if (in->tokenizer) {
        const int32_t *eos;
        size_t n_eos = fd_tokenizer_eos(in->tokenizer, &eos);
        printf("tokenizer:    %s, %zu tokens, bos %d, %zu end-of-generation ids\n", fd_tokenizer_kind(in->tokenizer),
               fd_tokenizer_vocab_size(in->tokenizer), fd_tokenizer_bos(in->tokenizer), n_eos);
    } else {
        printf("tokenizer:    %s\n", in->tokenizer_note ? in->tokenizer_note : "absent");
    }
    if (keys && fd_model_gguf(m)) print_keys(fd_model_gguf(m));
    printf("tensors:      %" PRIu64 ", %.1f M parameters, %.1f MiB, weights stored as %s\n", in->n_tensors,
           in->n_params / 1e6, in->total_bytes / 1048576.0, fd_dtype_name(in->file_dtype));
    printf("  %-34s %-5s %-16s %s\n", "name", "dtype", "shape", "bytes");
    for (uint64_t i = 0; i < fd_model_tensor_count(m); i++) {
        const fd_model_tensor *t = fd_model_tensor_at(m, i);
        char shape[48];
        if (t->n_dims == 2) snprintf(shape, sizeof shape, "(%" PRIu64 ", %" PRIu64 ")", t->dims[0], t->dims[1]);
        else snprintf(shape, sizeof shape, "(%" PRIu64 ")", t->dims[0]);
        printf("  %-34s %-5s %-16s %" PRIu64 "\n", t->name, fd_dtype_name(t->dtype), shape, t->bytes);
    }
    printf("loaded in %.3f s (open %.3f s, convert %.3f s)\n", in->load_seconds, in->open_seconds, in->convert_seconds);
}

int cmd_info(int argc, char **argv)
{
    fd_model_options opt = { 0 };
    const char *path = NULL;
    int keys = 0;
    fd_error err = {0};
    fd_model *m;
    fd_status st;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--keys")) {
            keys = 1;
        } else if (!strcmp(argv[i], "--no-tokenizer")) {
            opt.no_tokenizer = 1;
        } else if (argv[i][0] == '-' || path) {
            return cli_unknown("info", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path) return cli_usage_error("info", "MODEL is missing");
    st = fd_model_open(path, &opt, &m, &err);
    if (st != FD_OK) {
        size_t n = strlen(path);
        if (n > 5 && !strcmp(path + n - 5, ".gguf") && st != FD_ERR_IO && st != FD_ERR_NOMEM)
            return describe_gguf(path, &err);
        return cli_fail("info", st, &err);
    }
    print_model(m, keys);
    fd_model_close(m);
    return 0;
}
