/* gguf_util.h — a GGUF file copied with one key changed, for the tests of
 * what a loader refuses or accepts.
 *
 * Tests only; every function is static. */
#ifndef FD_TEST_GGUF_UTIL_H
#define FD_TEST_GGUF_UTIL_H

#include <string.h>
#include "check.h"
#include "foundry/gguf.h"

/* Copies the GGUF at src to dst with key `key` set to *v (the old value dropped; v NULL: none). */
static inline void gguf_with(const char *src, const char *dst, const char *key, const fd_gguf_value *v)
{
    fd_gguf *g = NULL;
    fd_gguf_writer *w = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_gguf_open(src, &g, &err), &err);
    CHECK_OK(fd_gguf_writer_create(&w, &err), &err);
    for (uint64_t i = 0; g && i < fd_gguf_kv_count(g); i++) {
        const fd_gguf_kv *kv = fd_gguf_kv_at(g, i);
        if (strcmp(kv->key, key)) CHECK_OK(fd_gguf_writer_add(w, kv->key, &kv->value, &err), &err);
    }
    if (v) CHECK_OK(fd_gguf_writer_add(w, key, v, &err), &err);
    for (uint64_t i = 0; g && i < fd_gguf_tensor_count(g); i++) {
        const fd_gguf_tensor *t = fd_gguf_tensor_at(g, i);
        CHECK_OK(fd_gguf_writer_add_tensor(w, t->name, t->dtype, t->n_dims, t->ne, t->data, t->bytes, &err), &err);
    }
    CHECK_OK(fd_gguf_writer_write(w, dst, &err), &err);
    fd_gguf_writer_destroy(w);
    fd_gguf_close(g);
}

#endif
