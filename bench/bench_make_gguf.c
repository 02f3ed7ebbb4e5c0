/* bench_make_gguf.c — writes a synthetic model (Foundry's random weights of a
 * named shape) to a GGUF file, so that another runtime (llama.cpp's
 * llama-bench) and `foundry bench -m FILE` time the very same file.
 *   bench_make_gguf SHAPE DTYPE OUT.gguf [TOKENIZER.json]
 * Weight seed 1, `--synthetic`'s default. llama.cpp refuses a GGUF without
 * a tokenizer, and a random model has none of its own to write, so the file
 * takes TOKENIZER.json (default: the Qwen2.5 one in ../shared, run from the
 * repository root), handed to the writer as a folder's would be.
 *   e.g. build/bench_make_gguf qwen2.5-0.5b q8_0 /tmp/q05b-q8_0.gguf */
#include <string.h>
#include "bench.h"
#include "foundry/model.h"
#include "base/mem.h"
#include "model/model_int.h"   /* tok_json: the tokenizer the writer copies */

const char *bench_name = "bench_make_gguf";

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_make_gguf SHAPE DTYPE OUT.gguf [TOKENIZER.json]   (shapes: %s)\n",
                fd_model_preset_names());
        return 2;
    }
    const char *tj = argc > 4 ? argv[4] : "../shared/models/qwen2.5-0.5b-instruct-shape/tokenizer.json";
    fd_random_options ro = { .seed = 1, .vocab_gguf = "tests/data/tokenizer/ggml-vocab-qwen2.gguf" };
    fd_error err = { 0 };
    fd_model *m = NULL;
    fd_status st = fd_model_preset(argv[1], &ro.hp);
    if (st == FD_OK) st = fd_dtype_parse(argv[2], &ro.dtype);
    if (st == FD_OK) st = fd_model_random(&ro, &m, &err);
    if (st == FD_OK && !(m->tok_json = fd_malloc(strlen(tj) + 1))) st = FD_ERR_NOMEM;
    if (st == FD_OK) {
        strcpy(m->tok_json, tj);
        st = fd_model_write_gguf(m, argv[3], &err);
    }
    fd_model_close(m);
    if (st != FD_OK) {
        fprintf(stderr, "bench_make_gguf: %s: %s\n", fd_status_name(st), err.msg[0] ? err.msg : "bad shape or dtype");
        return 1;
    }
    printf("wrote %s (%s, %s)\n", argv[3], argv[1], argv[2]);
    return 0;
}
