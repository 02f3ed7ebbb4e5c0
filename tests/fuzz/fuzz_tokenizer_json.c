/* fuzz_tokenizer_json.c — libFuzzer target: a tokenizer.json loaded (model,
 * vocabulary, merges, added tokens, normalizer, pre-tokenizer regex), then
 * used once each way. */
#include "base/mem.h"
#include "foundry/tokenizer.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    if (fd_tokenizer_load_json(fuzz_file(data, size), NULL, &t, &err) != FD_OK) return 0;
    static const char text[] = "Hello, world! <|im_end|> caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd  123\n";
    int32_t *ids = NULL;
    size_t n = 0;
    if (fd_tokenizer_encode(t, text, sizeof text - 1, &ids, &n, &err) == FD_OK) {
        char *out = NULL;
        size_t len = 0;
        if (fd_tokenizer_decode(t, ids, n, &out, &len, &err) == FD_OK) fd_free(out);
        fd_free(ids);
    }
    int32_t all[64];
    size_t k = fd_tokenizer_vocab_size(t) < 64 ? fd_tokenizer_vocab_size(t) : 64;
    for (size_t i = 0; i < k; i++) all[i] = (int32_t)i;
    char *out = NULL;
    size_t len = 0;
    if (fd_tokenizer_decode(t, all, k, &out, &len, &err) == FD_OK) fd_free(out);
    fd_tokenizer_destroy(t);
    return 0;
}
