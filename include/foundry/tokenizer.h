/* tokenizer.h — the tokenizers of the models Foundry runs: byte-level BPE
 * (Qwen2, Llama 3, GPT-2 style) and SentencePiece BPE with byte fallback
 * (Llama 2, Mistral; GGUF vocabularies): text -> token ids -> text, exactly as
 * Hugging Face transformers does.
 *
 * Layer: text (public). A tokenizer is loaded from tokenizer.json (+ the
 * optional tokenizer_config.json) or from a GGUF file's tokenizer.ggml.*
 * metadata; it is immutable after loading, so one tokenizer may be used from
 * several threads at once (its piece cache is locked internally).
 *
 * Encoding follows transformers' defaults: added/special tokens written in the
 * text are recognised (leftmost-longest), the rest is NFC-normalised, split by
 * the pre-tokenizer regex, mapped byte -> unicode (GPT-2) and merged by BPE.
 * SentencePiece vocabularies write spaces as "▁", put one before the text and
 * after each added token, and spell characters the vocabulary lacks as byte
 * tokens. fd_tokenizer_encode adds no BOS/EOS; fd_tokenizer_encode_prompt adds
 * the BOS a model expects (Llama's; Qwen2 adds none). Invalid UTF-8 in the
 * input is read as U+FFFD per maximal invalid subpart (Python's "replace"). */
#ifndef FOUNDRY_TOKENIZER_H
#define FOUNDRY_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include "foundry/status.h"

typedef struct fd_tokenizer fd_tokenizer;
struct fd_gguf;   /* include/foundry/gguf.h */

/* path: a model folder (its tokenizer.json and, if present, tokenizer_config.json
 * and generation_config.json), a tokenizer.json file (tokenizer_config.json
 * beside it is read too), or a .gguf file (vocabulary-only GGUFs too).
 * On success *out is a tokenizer freed with fd_tokenizer_destroy; on failure
 * *out is NULL and err names the file and what is wrong. */
fd_status fd_tokenizer_load(const char *path, fd_tokenizer **out, fd_error *err);
/* tokenizer_config_json may be NULL. */
fd_status fd_tokenizer_load_json(const char *tokenizer_json, const char *tokenizer_config_json,
                                 fd_tokenizer **out, fd_error *err);
/* Reads tokenizer.ggml.{model,pre,tokens,token_type,merges,*_token_id} and
 * tokenizer.chat_template. The tokenizer copies what it needs: g may be closed after. */
fd_status fd_tokenizer_load_gguf(const struct fd_gguf *g, fd_tokenizer **out, fd_error *err);
void fd_tokenizer_destroy(fd_tokenizer *t);   /* NULL is fine */

/* Encodes text[0..len) (need not be NUL-terminated). *ids is allocated with
 * fd_malloc (the caller frees it with fd_free; non-NULL even when *n == 0). */
fd_status fd_tokenizer_encode(const fd_tokenizer *t, const char *text, size_t len,
                              int32_t **ids, size_t *n, fd_error *err);
/* Encodes a prompt as the model expects it: fd_tokenizer_encode, then the
 * BOS id in front when the model adds one (tokenizer.json's post_processor
 * template, GGUF's add_bos_token or its vocabulary's default) and the text
 * does not already begin with it — a chat template that writes bos_token
 * itself does not get a second one. Same ownership as fd_tokenizer_encode. */
fd_status fd_tokenizer_encode_prompt(const fd_tokenizer *t, const char *text, size_t len,
                                     int32_t **ids, size_t *n, fd_error *err);
/* Decodes ids to UTF-8 text (special tokens included, as transformers'
 * decode(ids) does; invalid UTF-8 byte sequences become U+FFFD). *text is
 * NUL-terminated, *len excludes the NUL; the caller frees it with fd_free.
 * An id outside the vocabulary is FD_ERR_RANGE. */
fd_status fd_tokenizer_decode(const fd_tokenizer *t, const int32_t *ids, size_t n,
                              char **text, size_t *len, fd_error *err);

/* Streaming decoder: zero-initialise one fd_detok per stream. Each call appends
 * the text of one id to out: it never emits half a UTF-8 character, holding
 * back the incomplete bytes of a character until a later token completes it
 * (bytes that can never become valid UTF-8 are emitted as U+FFFD). Writes *n
 * bytes and a terminating NUL: cap must be at least *n + 1, else FD_ERR_RANGE
 * and st is unchanged (3 * (bytes of the token + 8) + 1 always suffices). */
typedef struct fd_detok { unsigned char pending[8]; size_t npending; } fd_detok;
fd_status fd_tokenizer_decode_next(const fd_tokenizer *t, fd_detok *st, int32_t id,
                                   char *out, size_t cap, size_t *n, fd_error *err);
/* Ends a stream: held-back bytes (an unfinished character) come out as U+FFFD
 * (at most 3 bytes + NUL; cap >= 4 always suffices); st is reset. */
fd_status fd_tokenizer_decode_flush(const fd_tokenizer *t, fd_detok *st,
                                    char *out, size_t cap, size_t *n, fd_error *err);

/* Ids run 0 .. vocab_size - 1 (GGUF vocabularies include padding entries). */
size_t fd_tokenizer_vocab_size(const fd_tokenizer *t);
/* "byte-level BPE" (merges; "... (whole words kept)" with ignore_merges) or "SentencePiece BPE" (scores, byte
 * fallback): what `foundry info` prints. */
const char *fd_tokenizer_kind(const fd_tokenizer *t);
/* One past the last id that is a real token: GGUF vocabularies pad with
 * "unused" entries (type 5) up to the embedding's rows; a model never
 * chooses those. Equals fd_tokenizer_vocab_size when there is no padding. */
size_t fd_tokenizer_real_size(const fd_tokenizer *t);
const char *fd_tokenizer_token(const fd_tokenizer *t, int32_t id);   /* the vocabulary string, or NULL */
int32_t fd_tokenizer_find(const fd_tokenizer *t, const char *token); /* id of an exact token string, -1 if absent */
/* The id a model expects first (tokenizer_config.json's bos_token; for GGUF
 * tokenizer.ggml.bos_token_id only when tokenizer.ggml.add_bos_token is true);
 * -1 if none. encode never adds it. */
int32_t fd_tokenizer_bos(const fd_tokenizer *t);
/* End-of-generation ids: the configured eos token(s) (tokenizer_config.json's
 * eos_token, generation_config.json's eos_token_id, GGUF eos/eot ids) and the
 * special tokens <|im_end|> and <|endoftext|> where present. *ids is owned by t. */
size_t fd_tokenizer_eos(const fd_tokenizer *t, const int32_t **ids);
int fd_tokenizer_is_special(const fd_tokenizer *t, int32_t id);   /* 1 for added special/control tokens */
/* Jinja text from tokenizer_config.json or GGUF tokenizer.chat_template; NULL if none. Owned by t. */
const char *fd_tokenizer_chat_template(const fd_tokenizer *t);

#endif
