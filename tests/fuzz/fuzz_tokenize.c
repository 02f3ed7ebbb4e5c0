/* fuzz_tokenize.c — libFuzzer target: encode and decode with the Qwen2
 * tokenizer of tests/data. The first byte picks the direction: even, the rest
 * is text to encode (then decoded back: a round trip of valid UTF-8 must give
 * the text again); odd, the rest is little-endian int32 token ids to decode
 * (any value, valid or not). */
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "foundry/tokenizer.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fd_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fd_error err = { 0 };
    (void)argc, (void)argv;
    if (fd_tokenizer_load(FD_TEST_DATA "/tokenizer/tokenizer.json", &tok, &err) != FD_OK) {
        fprintf(stderr, "fuzz_tokenize: %s\n", err.msg);
        abort();
    }
    return 0;
}

/* 1 when s[0..n) is valid UTF-8 without NUL (what a round trip must preserve). */
static int plain_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i], need = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                                 : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
        if (!c || need == 9 || n - i - 1 < need) return 0;
        uint32_t cp = need ? c & (0x3F >> need) : c;
        for (uint32_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fd_error err = { 0 };
    if (!size) return 0;
    if (!tok) LLVMFuzzerInitialize(NULL, NULL);
    if (data[0] % 2 == 0) {
        const char *text = (const char *)data + 1;
        size_t n = size - 1, m = 0, len = 0;
        int32_t *ids = NULL;
        char *back = NULL;
        if (fd_tokenizer_encode(tok, text, n, &ids, &m, &err) != FD_OK) return 0;
        if (fd_tokenizer_decode(tok, ids, m, &back, &len, &err) == FD_OK) {
            /* NFC may change the text; pure ASCII must come back byte for byte */
            int ascii = 1;
            for (size_t i = 0; i < n; i++) ascii &= data[1 + i] > 0 && data[1 + i] < 0x80;
            if (ascii && plain_utf8(data + 1, n) && (len != n || memcmp(back, text, n))) abort();
            fd_free(back);
        }
        fd_free(ids);
    } else {
        size_t n = (size - 1) / 4, len = 0;
        int32_t *ids = malloc(n * sizeof *ids + 1);
        char *out = NULL;
        for (size_t i = 0; i < n; i++) memcpy(&ids[i], data + 1 + 4 * i, 4);
        if (fd_tokenizer_decode(tok, ids, n, &out, &len, &err) == FD_OK) fd_free(out);
        free(ids);
    }
    return 0;
}
