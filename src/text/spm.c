/* spm.c — SentencePiece BPE over a scored vocabulary (GGUF tokenizer.ggml.model
 * "llama": Llama 2, Mistral v0.x and their kin).
 *
 * Layer: text. The text arrives escaped (spaces already "▁", the prefix space
 * already added: encode.c). It starts as one symbol per UTF-8 character; the
 * adjacent pair whose joined text is a vocabulary token with the highest score
 * is joined (with merges: the pair of lowest merge rank), the leftmost among
 * equals, until no pair forms a token.
 * Each remaining symbol is its token, or, when the vocabulary lacks it, its
 * bytes as the byte tokens "<0xXX>" (SentencePiece's byte fallback). The pairs
 * wait in a binary heap, so a text of n characters costs O(n log n) lookups. */
#include <string.h>
#include "base/mem.h"
#include "text/tok.h"

typedef struct { uint32_t off, len; int32_t prev, next; } sym;
typedef struct { float score; int32_t left, right; uint32_t len; } pair;
typedef struct { pair *v; size_t n, cap; } heap;

/* a comes out of the heap before b */
static int before(const pair *a, const pair *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static fd_status heap_push(heap *h, pair p, fd_error *err)
{
    if (h->n == h->cap) {
        size_t c = h->cap ? 2 * h->cap : 64;
        pair *v = fd_realloc(h->v, c * sizeof *v);
        if (!v) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for %zu pairs", c);
        h->v = v, h->cap = c;
    }
    size_t i = h->n++;
    for (; i && before(&p, &h->v[(i - 1) / 2]); i = (i - 1) / 2) h->v[i] = h->v[(i - 1) / 2];
    h->v[i] = p;
    return FD_OK;
}

static pair heap_pop(heap *h)
{
    pair top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c])) c++;
        if (!before(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

/* The id of a plain vocabulary token spelled s[0..n), or -1 (added and
 * control tokens never come out of merging). */
static int32_t plain(const fd_tokenizer *t, const unsigned char *s, size_t n)
{
    int32_t id = tok_lookup(t, (const char *)s, n);
    return id >= 0 && !(t->tok_flags[id] & TOKF_ADDED) ? id : -1;
}

static fd_status try_pair(const fd_tokenizer *t, const unsigned char *s, const sym *y, int32_t l, int32_t r,
                          heap *h, fd_error *err)
{
    if (l < 0 || r < 0) return FD_OK;
    float score;
    if (t->scores) {
        int32_t id = plain(t, s + y[l].off, y[l].len + y[r].len);
        if (id < 0) return FD_OK;
        score = t->scores[id];
    } else {   /* merges: both halves must be tokens, and the pair a merge */
        int32_t a = plain(t, s + y[l].off, y[l].len), b = plain(t, s + y[r].off, y[r].len), rank, id;
        if (a < 0 || b < 0 || !tok_merge_find(t, a, b, &rank, &id)) return FD_OK;
        score = -(float)rank;
    }
    return heap_push(h, (pair){ score, l, r, y[l].len + y[r].len }, err);
}

static fd_status emit(int32_t id, int32_t **ids, size_t *n, size_t *cap, fd_error *err)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        int32_t *p = fd_realloc(*ids, c * sizeof *p);
        if (!p) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for %zu ids", c);
        *ids = p, *cap = c;
    }
    (*ids)[(*n)++] = id;
    return FD_OK;
}

fd_status tok_spm_piece(const fd_tokenizer *t, const unsigned char *s, size_t len, int32_t **ids, size_t *n,
                        size_t *cap, fd_error *err)
{
    if (!len) return FD_OK;
    sym *y = fd_malloc(len * sizeof *y);
    if (!y) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for %zu symbols", len);
    int32_t k = 0;
    for (size_t i = 0; i < len; k++) {   /* valid UTF-8: the lead byte gives the length */
        unsigned c = s[i];
        uint32_t m = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (m > len - i) m = (uint32_t)(len - i);
        y[k] = (sym){ (uint32_t)i, m, k - 1, i + m < len ? k + 1 : -1 };
        i += m;
    }
    heap h = { NULL, 0, 0 };
    fd_status rc = FD_OK;
    for (int32_t i = 1; i < k && rc == FD_OK; i++) rc = try_pair(t, s, y, i - 1, i, &h, err);
    while (rc == FD_OK && h.n) {
        pair p = heap_pop(&h);
        sym *a = &y[p.left], *b = &y[p.right];
        if (!a->len || !b->len || a->len + b->len != p.len || a->next != p.right) continue;   /* stale */
        a->len += b->len;
        b->len = 0;
        a->next = b->next;
        if (b->next >= 0) y[b->next].prev = p.left;
        rc = try_pair(t, s, y, a->prev, p.left, &h, err);
        if (rc == FD_OK) rc = try_pair(t, s, y, p.left, a->next, &h, err);
    }
    for (int32_t i = 0; rc == FD_OK && i >= 0 && k; i = y[i].next) {
        int32_t id = plain(t, s + y[i].off, y[i].len);
        if (id >= 0) {
            rc = emit(id, ids, n, cap, err);
            continue;
        }
        for (uint32_t j = 0; j < y[i].len && rc == FD_OK; j++) {   /* byte fallback, or the unknown token */
            int32_t b = t->byte_tok[s[y[i].off + j]];
            if (b < 0 && t->unk_id >= 0 && j == 0) b = t->unk_id;
            if (b >= 0) rc = emit(b, ids, n, cap, err);
        }
    }
    fd_free(h.v);
    fd_free(y);
    return rc;
}
