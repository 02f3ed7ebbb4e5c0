/* pretok.c — the pre-tokenizer: the Split regex of tokenizer.json run by PCRE2
 * (JIT when available), cutting normalised text into pieces for BPE.
 *
 * Layer: text (internal). Owns the compiled pattern and its PCRE2 general
 * context (allocating through fd_malloc). Transformers runs the pattern with
 * Oniguruma, whose Unicode \s is U+0009..U+000D, U+0085 and General_Category
 * Z; PCRE2's \s with UCP adds U+180E, so \s and \S are rewritten to explicit
 * classes before compiling. Everything else (\p{L}, \p{N}, (?i:...), the
 * look-ahead of \s+(?!\S)) means the same in both engines. Behaviour is
 * "Isolated": every match is a piece and so is every gap between matches. */
#include <string.h>
#include <pcre2.h>
#include "base/mem.h"
#include "text/tok.h"

const char tok_re_qwen2[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/* Llama 3's: as Qwen2's, but numbers go in runs of up to three digits. */
const char tok_re_llama3[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char tok_re_gpt2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

#define WS_IN_CLASS "\\x{9}-\\x{d}\\x{85}\\p{Z}"

static void *gmalloc(size_t n, void *data)
{
    (void)data;
    return fd_malloc(n);
}

static void gfree(void *p, void *data)
{
    (void)data;
    fd_free(p);
}

/* Rewrites \s and \S (outside a character class; \s inside one) into out. */
static size_t rewrite(const char *re, size_t len, char *out)
{
    size_t k = 0;
    int in_class = 0;
    for (size_t i = 0; i < len; i++) {
        char c = re[i];
        if (c == '\\' && i + 1 < len) {
            char d = re[++i];
            const char *rep = NULL;
            if (d == 's') rep = in_class ? WS_IN_CLASS : "[" WS_IN_CLASS "]";
            else if (d == 'S' && !in_class) rep = "[^" WS_IN_CLASS "]";
            if (rep) {
                size_t rl = strlen(rep);
                if (out) memcpy(out + k, rep, rl);
                k += rl;
            } else {
                if (out) {
                    out[k] = c;
                    out[k + 1] = d;
                }
                k += 2;
            }
            continue;
        }
        if (!in_class && c == '[') {
            in_class = 1;
            if (out) out[k] = c;
            k++;
            if (i + 1 < len && re[i + 1] == '^') {
                if (out) out[k] = '^';
                k++;
                i++;
            }
            if (i + 1 < len && re[i + 1] == ']') {   /* a leading ] is literal */
                if (out) out[k] = ']';
                k++;
                i++;
            }
            continue;
        }
        if (in_class && c == ']') in_class = 0;
        if (out) out[k] = c;
        k++;
    }
    return k;
}

void tok_pattern_free(fd_tokenizer *t)
{
    pcre2_code_free(t->re);
    pcre2_general_context_free(t->gctx);
    t->re = NULL;
    t->gctx = NULL;
}

fd_status tok_set_pattern(fd_tokenizer *t, const char *re, size_t len, fd_error *err)
{
    tok_pattern_free(t);
    size_t n = rewrite(re, len, NULL);
    char *pat = fd_malloc(n + 1);
    if (!pat) return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", t->origin);
    rewrite(re, len, pat);
    pat[n] = 0;
    pcre2_general_context *g = pcre2_general_context_create(gmalloc, gfree, NULL);
    pcre2_compile_context *cc = g ? pcre2_compile_context_create(g) : NULL;
    if (!cc) {
        pcre2_general_context_free(g);
        fd_free(pat);
        return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory", t->origin);
    }
    int ecode;
    PCRE2_SIZE eoff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, n, PCRE2_UTF | PCRE2_UCP, &ecode, &eoff, cc);
    pcre2_compile_context_free(cc);
    fd_free(pat);
    if (!code) {
        pcre2_general_context_free(g);
        if (ecode == PCRE2_ERROR_HEAP_FAILED || ecode == PCRE2_ERROR_NOMEMORY)
            return fd_error_set(err, FD_ERR_NOMEM, "%s: out of memory compiling the pre-tokenizer regex", t->origin);
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ecode, msg, sizeof msg);
        return fd_error_set(err, FD_ERR_FORMAT, "%s: pre-tokenizer regex \"%.*s\" does not compile: %s", t->origin,
                            (int)len, re, (const char *)msg);
    }
    t->re = code;
    t->gctx = g;
    t->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    return FD_OK;
}

/* Per-call matching state: match data, and a JIT stack made only when needed. */
typedef struct {
    pcre2_match_data *md;
    pcre2_match_context *mc;
    pcre2_jit_stack *js;
} mstate;

static int run(const fd_tokenizer *t, mstate *m, const unsigned char *s, size_t len, size_t pos)
{
    if (t->jit) {
        int rc = pcre2_jit_match(t->re, s, len, pos, 0, m->md, m->mc);
        if (rc != PCRE2_ERROR_JIT_STACKLIMIT) return rc;
        if (!m->js) {   /* a long piece: a bigger stack, then the interpreter */
            m->mc = pcre2_match_context_create(t->gctx);
            m->js = pcre2_jit_stack_create(64 * 1024, 64 * 1024 * 1024, t->gctx);
            if (m->mc && m->js) {
                pcre2_jit_stack_assign(m->mc, NULL, m->js);
                rc = pcre2_jit_match(t->re, s, len, pos, 0, m->md, m->mc);
                if (rc != PCRE2_ERROR_JIT_STACKLIMIT) return rc;
            }
        }
    }
    return pcre2_match(t->re, s, len, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, m->md, NULL);
}

fd_status tok_pretokenize(const fd_tokenizer *t, const unsigned char *s, size_t len, tok_piece_fn fn, void *ctx,
                          fd_error *err)
{
    mstate m = { pcre2_match_data_create_from_pattern(t->re, t->gctx), NULL, NULL };
    if (!m.md) return fd_error_set(err, FD_ERR_NOMEM, "tokenizer: out of memory for regex match data");
    fd_status rc = FD_OK;
    size_t gap = 0, pos = 0;   /* the current gap starts at `gap`; the search at `pos` */
    while (rc == FD_OK && pos < len) {
        int r = run(t, &m, s, len, pos);
        if (r == PCRE2_ERROR_NOMATCH) break;
        if (r < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(r, msg, sizeof msg);
            rc = fd_error_set(err, r == PCRE2_ERROR_NOMEMORY ? FD_ERR_NOMEM : FD_ERR_UNSUPPORTED,
                              "tokenizer: pre-tokenizer regex failed at byte %zu: %s", pos, (const char *)msg);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m.md);
        size_t ms = ov[0], me = ov[1];
        if (me == ms) {   /* empty match: no piece; step over one character */
            pos = ms + 1;
            while (pos < len && (s[pos] & 0xC0) == 0x80) pos++;
            continue;
        }
        if (ms > gap) rc = fn(t, s + gap, ms - gap, ctx, err);
        if (rc == FD_OK) rc = fn(t, s + ms, me - ms, ctx, err);
        gap = pos = me;
    }
    if (rc == FD_OK && gap < len) rc = fn(t, s + gap, len - gap, ctx, err);
    pcre2_jit_stack_free(m.js);
    pcre2_match_context_free(m.mc);
    pcre2_match_data_free(m.md);
    return rc;
}
