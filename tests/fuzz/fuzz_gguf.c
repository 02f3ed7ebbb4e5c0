/* fuzz_gguf.c — libFuzzer target: the GGUF reader, then what reads a parsed
 * GGUF (every key through the typed getters, the first row of every tensor
 * Foundry reads dequantized, the tokenizer from metadata, the model
 * description with its hyper-parameter checks). */
#include <string.h>
#include "base/mem.h"
#include "foundry/gguf.h"
#include "foundry/model.h"
#include "foundry/tokenizer.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    fd_gguf *g = NULL;
    fd_error err = { 0 };
    if (fd_gguf_open_ex(path, FD_GGUF_ANY_TENSOR_TYPE, &g, &err) != FD_OK) return 0;
    for (uint64_t i = 0; i < fd_gguf_kv_count(g); i++) {
        const fd_gguf_kv *kv = fd_gguf_kv_at(g, i);
        uint64_t u;
        double f;
        fd_gguf_str s;
        fd_error e = { 0 };
        (void)fd_gguf_get_uint(g, kv->key, &u, &e);
        (void)fd_gguf_get_float(g, kv->key, &f, &e);
        (void)fd_gguf_get_str(g, kv->key, &s, &e);
    }
    for (uint64_t i = 0; i < fd_gguf_tensor_count(g); i++) {
        /* through an aligned copy, as the loader's conversion does (a file may align tensors to 1 byte) */
        const fd_gguf_tensor *x = fd_gguf_tensor_at(g, i);
        uint64_t rb = 0;
        if (!x->supported || !x->n_elems || x->ne[0] > 4096 || fd_dtype_row_bytes(x->dtype, x->ne[0], &rb, &err) != FD_OK)
            continue;
        float *row = fd_malloc((size_t)x->ne[0] * sizeof *row);
        void *raw = fd_malloc((size_t)rb);
        if (row && raw) {
            memcpy(raw, x->data, (size_t)rb);
            fd_dequantize_row(x->dtype, raw, row, (size_t)x->ne[0]);
        }
        fd_free(row);
        fd_free(raw);
    }
    fd_error_clear(&err);
    fd_tokenizer *t = NULL;
    if (fd_tokenizer_load_gguf(g, &t, &err) == FD_OK) {
        int32_t *ids = NULL;
        size_t n = 0;
        if (fd_tokenizer_encode(t, "Hello, world! 123", 17, &ids, &n, &err) == FD_OK) {
            char *text = NULL;
            size_t len = 0;
            if (fd_tokenizer_decode(t, ids, n, &text, &len, &err) == FD_OK) fd_free(text);
            fd_free(ids);
        }
        fd_tokenizer_destroy(t);
    }
    fd_gguf_close(g);
    fd_model *m = NULL;
    fd_error_clear(&err);
    if (fd_model_open(path, &(fd_model_options){ .n_threads = 1 }, &m, &err) == FD_OK) fd_model_close(m);
    return 0;
}
