/* bpe.c — byte-level BPE on one pre-tokenized piece: the merge table, the
 * merge loop, and a cache of recent pieces.
 *
 * Layer: text (internal). The merge table maps a pair of token ids
 * (left << 32 | right) to (rank, merged id); open addressing, linear probing.
 * The merge loop is the one of Hugging Face tokenizers (models/bpe/word.rs):
 * a min-heap ordered by (rank, position) whose stale entries are skipped, so
 * ties go to the leftmost pair and the result is bit-exact.
 * The cache (fixed capacity, filled until half full, never evicted) is the
 * only state that changes after loading; t->lock guards it. */
#include <string.h>
#include "base/mem.h"
#include "text/tok.h"

#define CACHE_SLOTS (1u << 16)   /* power of two */
#define CACHE_MAX_PIECE 256      /* longer pieces are not cached */
#define EMPTY UINT64_MAX

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static fd_status merges_alloc(fd_tokenizer *t, size_t cap, fd_error *err)
{
    uint64_t *k = fd_malloc(cap * sizeof *k);
    int32_t *r = fd_malloc(cap * sizeof *r);
    int32_t *m = fd_malloc(cap * sizeof *m);
    if (!k || !r || !m) {
        fd_free(k);
        fd_free(r);
        fd_free(m);
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory for the merge table", t->origin);
    }
    memset(k, 0xff, cap * sizeof *k);
    uint64_t *ok = t->mkeys;
    int32_t *orank = t->mrank, *omid = t->mid;
    size_t ocap = t->mcap;
    t->mkeys = k;
    t->mrank = r;
    t->mid = m;
    t->mcap = cap;
    for (size_t i = 0; i < ocap; i++) {
        if (ok[i] == EMPTY) continue;
        size_t j = mix64(ok[i]) & (cap - 1);
        while (k[j] != EMPTY) j = (j + 1) & (cap - 1);
        k[j] = ok[i];
        r[j] = orank[i];
        m[j] = omid[i];
    }
    fd_free(ok);
    fd_free(orank);
    fd_free(omid);
    return FD_OK;
}

fd_status tok_merges_reserve(fd_tokenizer *t, size_t n, fd_error *err)
{
    size_t cap = 64;
    while (cap < 2 * n) cap *= 2;
    if (cap <= t->mcap) return FD_OK;
    return merges_alloc(t, cap, err);
}

int tok_merge_find(const fd_tokenizer *t, int32_t a, int32_t b, int32_t *rank, int32_t *id)
{
    if (!t->mcap) return 0;
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    size_t mask = t->mcap - 1;
    for (size_t j = mix64(key) & mask; t->mkeys[j] != EMPTY; j = (j + 1) & mask)
        if (t->mkeys[j] == key) {
            *rank = t->mrank[j];
            *id = t->mid[j];
            return 1;
        }
    return 0;
}

fd_status tok_add_merge(fd_tokenizer *t, const char *a, size_t alen, const char *b, size_t blen, int32_t rank,
                        fd_error *err)
{
    int32_t ia = tok_lookup(t, a, alen), ib = tok_lookup(t, b, blen);
    if (ia < 0 || ib < 0)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: merge %d (\"%.*s\" \"%.*s\"): \"%.*s\" is not in the vocabulary",
                            t->origin, (int)rank, (int)alen, a, (int)blen, b, ia < 0 ? (int)alen : (int)blen,
                            ia < 0 ? a : b);
    char buf[512];
    char *cat = alen + blen <= sizeof buf ? buf : fd_malloc(alen + blen);
    if (!cat) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", t->origin);
    memcpy(cat, a, alen);
    memcpy(cat + alen, b, blen);
    int32_t im = tok_lookup(t, cat, alen + blen);
    if (cat != buf) fd_free(cat);
    if (im < 0)
        return fd_error_set(err, FD_ERR_FORMAT, "%s: merge %d (\"%.*s\" \"%.*s\"): the merged token is not in the vocabulary",
                            t->origin, (int)rank, (int)alen, a, (int)blen, b);
    if (2 * (t->nmerges + 1) > t->mcap) FD_TRY(merges_alloc(t, t->mcap ? 2 * t->mcap : 1024, err));
    uint64_t key = (uint64_t)(uint32_t)ia << 32 | (uint32_t)ib;
    size_t mask = t->mcap - 1, j = mix64(key) & mask;
    while (t->mkeys[j] != EMPTY && t->mkeys[j] != key) j = (j + 1) & mask;
    if (t->mkeys[j] == EMPTY) t->nmerges++;
    t->mkeys[j] = key;   /* as tokenizers' HashMap: a repeated pair takes the later rank */
    t->mrank[j] = rank;
    t->mid[j] = im;
    return FD_OK;
}

/* ---- the piece cache ---- */

static uint64_t hash_piece(const unsigned char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return mix64(h);
}

/* Appends the cached ids of p to *ids; 1 if found. Called with the lock held. */
static int cache_get(const fd_tokenizer *t, uint64_t h, const unsigned char *p, size_t n, const int32_t **ids,
                     size_t *nids)
{
    if (!t->cache) return 0;
    for (size_t j = h & (CACHE_SLOTS - 1);; j = (j + 1) & (CACHE_SLOTS - 1)) {
        const tok_cache_entry *e = &t->cache[j];
        if (!e->blob) return 0;
        if (e->hash == h && e->klen == n && memcmp(e->blob, p, n) == 0) {
            *ids = (const int32_t *)(e->blob + ((n + 3) & ~(size_t)3));
            *nids = e->nids;
            return 1;
        }
    }
}

/* Remembers ids for p; silently does nothing when full or out of memory. */
static void cache_put(fd_tokenizer *t, uint64_t h, const unsigned char *p, size_t n, const int32_t *ids, size_t nids)
{
    if (t->cache_n >= CACHE_SLOTS / 2) return;
    if (!t->cache) {
        t->cache = fd_calloc(CACHE_SLOTS, sizeof *t->cache);
        if (!t->cache) return;
        t->cache_cap = CACHE_SLOTS;
    }
    size_t koff = (n + 3) & ~(size_t)3;
    unsigned char *blob = fd_malloc(koff + nids * sizeof(int32_t));
    if (!blob) return;
    memcpy(blob, p, n);
    memcpy(blob + koff, ids, nids * sizeof(int32_t));
    size_t j = h & (CACHE_SLOTS - 1);
    while (t->cache[j].blob) {
        if (t->cache[j].hash == h && t->cache[j].klen == n && memcmp(t->cache[j].blob, p, n) == 0) {
            fd_free(blob);   /* another thread was first */
            return;
        }
        j = (j + 1) & (CACHE_SLOTS - 1);
    }
    t->cache[j] = (tok_cache_entry){ h, blob, (uint32_t)n, (uint32_t)nids };
    t->cache_n++;
}

void tok_cache_free(fd_tokenizer *t)
{
    if (!t->cache) return;
    for (size_t j = 0; j < t->cache_cap; j++) fd_free(t->cache[j].blob);
    fd_free(t->cache);
    t->cache = NULL;
    t->cache_n = 0;
}

/* ---- merging ---- */

typedef struct { int32_t rank, pos, left, right; } hent;   /* a candidate merge */

static int hless(const hent *a, const hent *b) { return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos); }

static void hpush(hent *h, size_t *n, hent e)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hless(&e, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static hent hpop(hent *h, size_t *n)
{
    hent top = h[0], last = h[--*n];
    size_t i = 0, m = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m) break;
        if (c + 1 < m && hless(&h[c + 1], &h[c])) c++;
        if (!hless(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (m) h[i] = last;
    return top;
}

static fd_status push_ids(int32_t **ids, size_t *n, size_t *cap, const int32_t *src, size_t k, fd_error *err)
{
    if (!k) return FD_OK;   /* nothing to add (and *ids may still be NULL) */
    if (*n + k > *cap) {
        size_t c = *cap ? *cap : 64;
        while (c < *n + k) c *= 2;
        int32_t *p = fd_realloc(*ids, c * sizeof *p);
        if (!p) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for %zu ids", c);
        *ids = p;
        *cap = c;
    }
    memcpy(*ids + *n, src, k * sizeof *src);
    *n += k;
    return FD_OK;
}

/* The merge loop over m symbols; the result is written back into sym[0..*m). */
static void merge_all(const fd_tokenizer *t, int32_t *sym, int32_t *prev, int32_t *next, hent *heap, size_t *m)
{
    size_t hn = 0, cnt = *m;
    int32_t r, nid;
    for (size_t i = 0; i < cnt; i++) {
        prev[i] = (int32_t)i - 1;
        next[i] = i + 1 < cnt ? (int32_t)i + 1 : -1;
    }
    for (size_t i = 0; i + 1 < cnt; i++)
        if (tok_merge_find(t, sym[i], sym[i + 1], &r, &nid)) hpush(heap, &hn, (hent){ r, (int32_t)i, sym[i], sym[i + 1] });
    while (hn) {
        hent e = hpop(heap, &hn);
        int32_t p = e.pos, q = next[p];
        if (sym[p] < 0 || q < 0 || sym[p] != e.left || sym[q] != e.right) continue;   /* stale */
        tok_merge_find(t, e.left, e.right, &r, &nid);
        sym[p] = nid;
        sym[q] = -1;
        next[p] = next[q];
        if (next[q] >= 0) prev[next[q]] = p;
        if (prev[p] >= 0 && tok_merge_find(t, sym[prev[p]], sym[p], &r, &nid))
            hpush(heap, &hn, (hent){ r, prev[p], sym[prev[p]], sym[p] });
        if (next[p] >= 0 && tok_merge_find(t, sym[p], sym[next[p]], &r, &nid))
            hpush(heap, &hn, (hent){ r, p, sym[p], sym[next[p]] });
    }
    size_t k = 0;
    for (int32_t i = cnt ? 0 : -1; i >= 0; i = next[i]) sym[k++] = sym[i];
    *m = k;
}

/* ignore_merges: the whole piece, mapped to GPT-2 characters, if it is a token. */
static int32_t whole_piece(const fd_tokenizer *t, const unsigned char *p, size_t len)
{
    char buf[1024];
    if (2 * len > sizeof buf) return -1;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) k += tok_byte_utf8(p[i], buf + k);
    return tok_lookup(t, buf, k);
}

fd_status tok_bpe_piece(const fd_tokenizer *t, const unsigned char *p, size_t len, int32_t **ids, size_t *n,
                        size_t *cap, fd_error *err)
{
    if (len == 0) return FD_OK;
    fd_tokenizer *mt = (fd_tokenizer *)t;   /* only the cache changes */
    uint64_t h = 0;
    int cacheable = len <= CACHE_MAX_PIECE && t->lock_ok;
    if (cacheable) {
        const int32_t *c;
        size_t nc;
        h = hash_piece(p, len);
        pthread_mutex_lock(&mt->lock);
        int hit = cache_get(t, h, p, len, &c, &nc);
        fd_status rc = hit ? push_ids(ids, n, cap, c, nc, err) : FD_OK;
        pthread_mutex_unlock(&mt->lock);
        if (hit) return rc;
    }
    if (t->ignore_merges) {
        int32_t id = whole_piece(t, p, len);
        if (id >= 0) return push_ids(ids, n, cap, &id, 1, err);
    }
    /* symbols, links and heap: on the stack for short pieces */
    enum { SMALL = 64 };
    int32_t s_sym[SMALL], s_prev[SMALL], s_next[SMALL];
    hent s_heap[3 * SMALL];
    int32_t *sym = s_sym, *prev = s_prev, *next = s_next;
    hent *heap = s_heap;
    void *big = NULL;
    if (len > SMALL) {
        big = fd_malloc(len * (3 * sizeof(int32_t) + 3 * sizeof(hent)));
        if (!big) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for a piece of %zu bytes", len);
        heap = big;
        sym = (int32_t *)(heap + 3 * len);
        prev = sym + len;
        next = prev + len;
    }
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
        int32_t id = t->byte_id[p[i]];
        if (id < 0) id = t->unk_id;
        if (id >= 0) sym[m++] = id;
    }
    merge_all(t, sym, prev, next, heap, &m);
    fd_status rc = push_ids(ids, n, cap, sym, m, err);
    if (rc == FD_OK && cacheable) {
        pthread_mutex_lock(&mt->lock);
        cache_put(mt, h, p, len, sym, m);
        pthread_mutex_unlock(&mt->lock);
    }
    fd_free(big);
    return rc;
}
