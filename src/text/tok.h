/* tok.h — the tokenizer's internal state and the steps its files share.
 *
 * Layer: text (internal). A loader (tokenizer_json.c, tokenizer_gguf.c) fills
 * an fd_tokenizer through the builder calls below in this order:
 *   tok_create -> tok_set_token* -> tok_add_merge* / tok_add_added* ->
 *   tok_set_pattern -> tok_finish
 * after which the tokenizer is read-only, except the piece cache (bpe.c),
 * which has its own lock.
 * Invariants after tok_finish: every id in [0, n_vocab) has a string or is a
 * hole (tok_len = 0, tok_off = HOLE); merges map (left id, right id) to
 * (rank, merged id) with every id a token; byte_id[b] is the id of byte b's
 * GPT-2 character, or -1 when the vocabulary lacks it. */
#ifndef FD_TEXT_TOK_H
#define FD_TEXT_TOK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "foundry/tokenizer.h"

#define TOK_HOLE UINT32_MAX
/* Token ids may leave holes, but the table stays proportional to the file:
 * an id must lie below the number of tokens the file defines plus this. */
#define TOK_ID_SLACK 65536

/* An added token (tokenizer.json added_tokens, GGUF control/user-defined). */
typedef struct tok_added {
    int32_t id;
    uint32_t off, len;          /* content in the string pool */
    unsigned char special;      /* special / control */
    unsigned char lstrip, rstrip, single_word, normalized;
} tok_added;

/* Piece cache: BPE results of recent pieces, keyed by the piece's bytes. */
typedef struct tok_cache_entry {
    uint64_t hash;
    unsigned char *blob;        /* key bytes then the ids (int32, unaligned copy) */
    uint32_t klen, nids;
} tok_cache_entry;

struct fd_tokenizer {
    const char *origin;         /* file name for messages (owned) */
    /* vocabulary */
    size_t n_vocab;             /* ids run 0 .. n_vocab-1 */
    size_t n_real;              /* ids at or past it are padding entries (GGUF type 5); 0: none */
    uint32_t *tok_off;          /* (n_vocab) offset of each token string in pool; TOK_HOLE if none */
    uint32_t *tok_len;          /* (n_vocab) byte length */
    unsigned char *tok_flags;   /* (n_vocab) TOKF_* */
    char *pool;                 /* token strings, each NUL-terminated */
    size_t pool_len, pool_cap;
    int32_t *vmap;              /* open-addressing table string -> id, -1 empty */
    size_t vmap_cap;            /* power of two */
    /* BPE */
    uint64_t *mkeys;            /* merge table keys (left << 32 | right), UINT64_MAX empty */
    int32_t *mrank, *mid;       /* rank and merged id per slot */
    size_t mcap, nmerges;       /* capacity (power of two), count */
    int32_t byte_id[256];
    int ignore_merges;          /* a piece that is a token is taken whole */
    int32_t unk_id;             /* -1: characters without a token are dropped */
    /* SentencePiece (spm.c): scores instead of merges, "▁" for spaces, byte fallback */
    int spm;                    /* 1: SentencePiece BPE over scores; 0: byte-level BPE over merges */
    int add_space_prefix;       /* spm: "▁" before the text: 0 never, TOK_PREFIX_ALWAYS (after each
                                   added token too) or TOK_PREFIX_FIRST (the input's start only) */
    float *scores;              /* (n_vocab) spm priority per token; NULL: the merges' ranks decide */
    int32_t byte_tok[256];      /* spm: the id of "<0xXX>" for each byte, -1 if absent */
    /* added tokens */
    tok_added *added;           /* in the order the loader gave them */
    size_t nadded, added_cap;
    unsigned char added_first[256];  /* 1 if some added token starts with this byte */
    /* normalizer and pre-tokenizer */
    int nfc;
    void *re;                   /* pcre2_code * */
    void *gctx;                 /* pcre2_general_context * (fd_malloc) */
    int jit;                    /* 1 when the pattern was JIT-compiled */
    /* specials and metadata */
    int32_t bos;
    int add_bos;                /* fd_tokenizer_encode_prompt puts bos first (post_processor / add_bos_token) */
    int32_t *eos;
    size_t neos;
    char *chat_template;
    /* cache */
    pthread_mutex_t lock;
    int lock_ok;
    tok_cache_entry *cache;     /* (cache_cap) */
    size_t cache_cap, cache_n;
};

enum { TOK_PREFIX_ALWAYS = 1, TOK_PREFIX_FIRST = 2 };
enum { TOKF_ADDED = 1, TOKF_SPECIAL = 2, TOKF_BYTE = 4 };   /* TOKF_BYTE: spm's "<0xXX>" */

/* The pre-tokenizer regexes of Qwen2 and Llama 3 (as in their tokenizer.json) and GPT-2's. */
extern const char tok_re_qwen2[];
extern const char tok_re_llama3[];
extern const char tok_re_gpt2[];

/* tokenizer.c: building */
fd_status tok_create(const char *origin, fd_tokenizer **out, fd_error *err);
fd_status tok_set_vocab_size(fd_tokenizer *t, size_t n, fd_error *err);
/* Token `id` gets s[0..len); a second string for an id replaces the first. */
fd_status tok_set_token(fd_tokenizer *t, int32_t id, const char *s, size_t len, fd_error *err);
fd_status tok_add_added(fd_tokenizer *t, int32_t id, const char *s, size_t len, int special,
                        int lstrip, int rstrip, int single_word, int normalized, fd_error *err);
fd_status tok_add_eos(fd_tokenizer *t, int32_t id, fd_error *err);   /* duplicates ignored */
fd_status tok_set_template(fd_tokenizer *t, const char *s, size_t len, fd_error *err);
/* Builds the string -> id table, the byte ids, the added-token index, the eos list. */
fd_status tok_finish(fd_tokenizer *t, fd_error *err);
int32_t tok_lookup(const fd_tokenizer *t, const char *s, size_t len);  /* -1 if absent */
fd_status tok_build_vmap(fd_tokenizer *t, fd_error *err);

/* tokenizer_json.c: tokenizer.json plus optional configs (either may be NULL). */
fd_status tok_load_json_folder(const char *tokenizer_json, const char *config_json, const char *genconfig_json,
                               fd_tokenizer **out, fd_error *err);

/* bpe.c */
fd_status tok_merges_reserve(fd_tokenizer *t, size_t n, fd_error *err);
/* Merge number `rank` joins tokens a and b (given as strings) into the token a+b. */
fd_status tok_add_merge(fd_tokenizer *t, const char *a, size_t alen, const char *b, size_t blen,
                        int32_t rank, fd_error *err);
/* Merge (a, b) -> *id with priority *rank (lower first); 0 if a and b don't merge. */
int tok_merge_find(const fd_tokenizer *t, int32_t a, int32_t b, int32_t *rank, int32_t *id);
/* Appends the ids of one pre-tokenized piece (raw UTF-8 bytes) to *ids. */
fd_status tok_bpe_piece(const fd_tokenizer *t, const unsigned char *p, size_t len,
                        int32_t **ids, size_t *n, size_t *cap, fd_error *err);
void tok_cache_free(fd_tokenizer *t);

/* spm.c: appends the ids of an escaped text ("▁" for spaces) by SentencePiece BPE. */
fd_status tok_spm_piece(const fd_tokenizer *t, const unsigned char *s, size_t len,
                        int32_t **ids, size_t *n, size_t *cap, fd_error *err);

/* pretok.c: compiles a tokenizer.json / GGUF split regex for PCRE2. */
fd_status tok_set_pattern(fd_tokenizer *t, const char *re, size_t len, fd_error *err);
void tok_pattern_free(fd_tokenizer *t);
/* Calls fn on each piece of s[0..len) (valid UTF-8): matches and the gaps between. */
typedef fd_status (*tok_piece_fn)(const fd_tokenizer *t, const unsigned char *p, size_t n, void *ctx,
                                  fd_error *err);
fd_status tok_pretokenize(const fd_tokenizer *t, const unsigned char *s, size_t len, tok_piece_fn fn,
                          void *ctx, fd_error *err);

/* bytes.c: GPT-2's byte <-> unicode map. */
uint32_t tok_byte_to_cp(unsigned char b);
int tok_cp_to_byte(uint32_t cp);   /* -1 if cp is not one of the 256 */
/* Writes the UTF-8 of byte b's character to out (2 bytes at most); returns the length. */
size_t tok_byte_utf8(unsigned char b, char out[2]);

/* utf8.c */
/* At s[0..n): > 0 the length of one valid character; 0 invalid, with *bad the
 * length of the maximal invalid subpart (>= 1); -1 a valid but incomplete prefix. */
int tok_utf8_next(const unsigned char *s, size_t n, size_t *bad);
/* *out = s with invalid sequences replaced by U+FFFD (fd_malloc'd), or NULL if s is valid. */
fd_status tok_utf8_sanitize(const unsigned char *s, size_t n, unsigned char **out, size_t *outn,
                            fd_error *err);

/* special.c: splits text on added tokens. fn gets gaps with id = -1. */
typedef fd_status (*tok_split_fn)(const fd_tokenizer *t, const unsigned char *p, size_t n, int32_t id,
                                  void *ctx, fd_error *err);
fd_status tok_split_added(const fd_tokenizer *t, const unsigned char *s, size_t len, int normalized,
                          tok_split_fn fn, void *ctx, fd_error *err);

/* decode.c: the bytes a token stands for (ByteLevel decoder rule). */
fd_status tok_token_bytes(const fd_tokenizer *t, int32_t id, unsigned char *buf, size_t cap,
                          size_t *n, fd_error *err);

#endif
