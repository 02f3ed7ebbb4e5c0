/* jinja_lex.c — template source -> tokens, with the whitespace rules of the
 * environment transformers renders chat templates in: trim_blocks (the first
 * newline after a block or comment tag goes), lstrip_blocks (blanks before a
 * block or comment tag at the start of a line go), `-` / `+` markers, newlines
 * normalised to "\n" and one trailing newline dropped; {% raw %} sections.
 *
 * Layer: text (internal, see jinja.h). Tokens and unescaped strings live in the
 * template's arena; text tokens point into its normalised copy of the source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "text/jinja.h"

typedef struct lexer {
    jarena *a;
    fd_error *err;
    const char *s;      /* normalised source */
    size_t n, pos;
    int line;
    jtok *t;
    size_t nt, cap;
} lexer;

static fd_status lerr(lexer *L, const char *what)
{
    return fd_error_set(L->err, FD_ERR_FORMAT, "template line %d: %s", L->line, what);
}

static fd_status push(lexer *L, jtok_kind k, const char *p, size_t n)
{
    if (L->nt == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 256;
        jtok *nt = ja_alloc(L->a, cap * sizeof *nt);
        if (!nt) return fd_error_set(L->err, FD_ERR_NOMEM, "template: out of memory");
        if (L->nt) memcpy(nt, L->t, L->nt * sizeof *nt);
        L->t = nt;
        L->cap = cap;
    }
    jtok *t = &L->t[L->nt++];
    memset(t, 0, sizeof *t);
    t->kind = k;
    t->line = L->line;
    t->p = p;
    t->n = n;
    return FD_OK;
}

static void advance(lexer *L, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (L->s[L->pos + i] == '\n') L->line++;
    L->pos += k;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    size_t l;
    while (i < n && ju_isspace(ju_decode(s + i, n - i, &l))) i += l;
    return i;
}

/* Length of text[0..n) without its trailing (Python) whitespace. */
static size_t rstrip_len(const char *s, size_t n)
{
    while (n) {
        size_t st = n - 1, l;
        while (st && ((unsigned char)s[st] & 0xC0) == 0x80 && n - st < 4) st--;
        if (!ju_isspace(ju_decode(s + st, n - st, &l))) break;
        n = st;
    }
    return n;
}

/* Emits text s[start..end) trimmed for the tag that follows it at `end`. */
static fd_status emit_text(lexer *L, size_t start, size_t end, int tag_kind, char sign)
{
    size_t n = end - start;
    const char *p = L->s + start;
    if (sign == '-') {
        n = rstrip_len(p, n);
    } else if (sign != '+' && tag_kind != '{') {   /* lstrip_blocks: block and comment tags */
        size_t lp = n;
        while (lp && p[lp - 1] != '\n') lp--;
        int line_start = lp > 0 || start == 0 || L->s[start - 1] == '\n';
        if (line_start && lp < n && skip_ws(p, n, lp) == n) n = lp;
    }
    return n ? push(L, T_TEXT, p, n) : FD_OK;
}

/* A Jinja string literal at L->pos, unescaped into the arena (Python's unicode-escape rules). */
static fd_status lex_string(lexer *L)
{
    char q = L->s[L->pos];
    size_t i = L->pos + 1, end;
    for (end = i; end < L->n && L->s[end] != q; end++)
        if (L->s[end] == '\\' && end + 1 < L->n) end++;
    if (end >= L->n) return lerr(L, "unterminated string literal");
    char *o = ja_alloc(L->a, end - i + 1);
    size_t k = 0;
    if (!o) return fd_error_set(L->err, FD_ERR_NOMEM, "template: out of memory");
    for (; i < end; i++) {
        char ch = L->s[i];
        if (ch != '\\') {
            o[k++] = ch;
            continue;
        }
        ch = L->s[++i];
        int hex = ch == 'x' ? 2 : ch == 'u' ? 4 : ch == 'U' ? 8 : 0;
        if (hex) {
            unsigned long cp = 0;
            int j;
            for (j = 0; j < hex && i + 1 + j < end; j++) {
                char h = L->s[i + 1 + j];
                int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (d < 0) break;
                cp = cp * 16 + (unsigned long)d;
            }
            if (j < hex || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return lerr(L, "bad escape in a string literal");
            i += (size_t)hex;
            if (cp < 0x80) o[k++] = (char)cp;
            else if (cp < 0x800) { o[k++] = (char)(0xC0 | (cp >> 6)); o[k++] = (char)(0x80 | (cp & 63)); }
            else if (cp < 0x10000) { o[k++] = (char)(0xE0 | (cp >> 12)); o[k++] = (char)(0x80 | ((cp >> 6) & 63)); o[k++] = (char)(0x80 | (cp & 63)); }
            else { o[k++] = (char)(0xF0 | (cp >> 18)); o[k++] = (char)(0x80 | ((cp >> 12) & 63)); o[k++] = (char)(0x80 | ((cp >> 6) & 63)); o[k++] = (char)(0x80 | (cp & 63)); }
            continue;
        }
        switch (ch) {
        case 'n': o[k++] = '\n'; break;
        case 't': o[k++] = '\t'; break;
        case 'r': o[k++] = '\r'; break;
        case 'a': o[k++] = '\a'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'v': o[k++] = '\v'; break;
        case '\\': case '\'': case '"': o[k++] = ch; break;
        case '\n': break;   /* line continuation */
        default:
            if (ch >= '0' && ch <= '7') {
                unsigned cp = 0;
                int j;
                for (j = 0; j < 3 && i < end && L->s[i] >= '0' && L->s[i] <= '7'; j++, i++) cp = cp * 8 + (unsigned)(L->s[i] - '0');
                i--;
                if (cp < 0x80) o[k++] = (char)cp;
                else { o[k++] = (char)(0xC0 | (cp >> 6)); o[k++] = (char)(0x80 | (cp & 63)); }
            } else {
                o[k++] = '\\';
                o[k++] = ch;
            }
        }
    }
    o[k] = 0;
    FD_TRY(push(L, T_STRING, o, k));
    advance(L, end + 1 - L->pos);
    return FD_OK;
}

static fd_status lex_number(lexer *L)
{
    size_t i = L->pos, st = i;
    int is_float = 0;
    char buf[64];
    size_t k = 0;
    char base = i + 2 < L->n && L->s[i] == '0' ? (char)(L->s[i + 1] | 0x20) : 0;
    if (base == 'x' || base == 'o' || base == 'b') {   /* 0x1F, 0o17, 0b101 (underscores allowed) */
        unsigned radix = base == 'x' ? 16 : base == 'o' ? 8 : 2;
        unsigned long long v = 0;
        int digits = 0;
        for (i += 2; i < L->n; i++) {
            char ch = L->s[i];
            unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0') : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ? (unsigned)((ch | 0x20) - 'a' + 10) : 99;
            if (ch == '_') continue;
            if (d >= radix) break;
            if (v > ((unsigned long long)INT64_MAX - d) / radix) return lerr(L, "integer literal too large");
            v = v * radix + d;
            digits++;
        }
        if (!digits) return lerr(L, "bad number literal");
        FD_TRY(push(L, T_INT, L->s + st, i - st));
        L->t[L->nt - 1].i = (int64_t)v;
        advance(L, i - st);
        return FD_OK;
    }
    while (i < L->n && ((L->s[i] >= '0' && L->s[i] <= '9') || (L->s[i] == '_' && i + 1 < L->n && L->s[i + 1] >= '0' && L->s[i + 1] <= '9'))) i++;
    if (i + 1 < L->n && L->s[i] == '.' && L->s[i + 1] >= '0' && L->s[i + 1] <= '9') {
        is_float = 1;
        for (i++; i < L->n && ((L->s[i] >= '0' && L->s[i] <= '9') || L->s[i] == '_'); i++) {}
    }
    if (i < L->n && (L->s[i] == 'e' || L->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < L->n && (L->s[j] == '+' || L->s[j] == '-')) j++;
        if (j < L->n && L->s[j] >= '0' && L->s[j] <= '9') {
            is_float = 1;
            for (i = j; i < L->n && L->s[i] >= '0' && L->s[i] <= '9'; i++) {}
        }
    }
    for (size_t j = st; j < i && k < sizeof buf - 1; j++)
        if (L->s[j] != '_') buf[k++] = L->s[j];
    buf[k] = 0;
    if (i - st >= sizeof buf - 1) return lerr(L, "number literal too long");
    FD_TRY(push(L, is_float ? T_FLOAT : T_INT, L->s + st, i - st));
    if (is_float) {
        L->t[L->nt - 1].f = strtod(buf, NULL);
    } else {
        unsigned long long v = 0;
        for (size_t j = 0; j < k; j++) {
            if (v > (unsigned long long)INT64_MAX / 10) return lerr(L, "integer literal too large");
            v = v * 10 + (unsigned)(buf[j] - '0');
        }
        if (v > (unsigned long long)INT64_MAX) return lerr(L, "integer literal too large");
        L->t[L->nt - 1].i = (int64_t)v;
    }
    advance(L, i - st);
    return FD_OK;
}

/* Tokens of one tag, up to and including its end marker. kind: '{' var, '%' block. */
static fd_status lex_tag(lexer *L, char kind)
{
    static const char *ops2[] = { "//", "**", "==", "!=", ">=", "<=" };
    int depth = 0;   /* open ( [ { inside the tag */
    for (;;) {
        L->pos = skip_ws(L->s, L->n, L->pos);
        if (L->pos >= L->n) return lerr(L, kind == '{' ? "'{{' is not closed by '}}'" : "'{%' is not closed by '%}'");
        const char *p = L->s + L->pos;
        size_t left = L->n - L->pos;
        char close = kind == '{' ? '}' : '%';
        int strip = left >= 3 && p[0] == '-' && p[1] == close && p[2] == '}';
        int plus = kind == '%' && left >= 3 && p[0] == '+' && p[1] == '%' && p[2] == '}';
        if ((strip || plus || (left >= 2 && p[0] == close && p[1] == '}')) && (depth == 0 || kind == '%')) {
            size_t len = strip || plus ? 3 : 2;
            FD_TRY(push(L, kind == '{' ? T_VAR_END : T_BLOCK_END, p, len));
            advance(L, len);
            if (strip) {
                size_t e = skip_ws(L->s, L->n, L->pos);
                advance(L, e - L->pos);
            } else if (kind == '%' && !plus && L->pos < L->n && L->s[L->pos] == '\n') {
                advance(L, 1);   /* trim_blocks */
            }
            return FD_OK;
        }
        unsigned char ch = (unsigned char)p[0];
        if (ch == '\'' || ch == '"') {
            FD_TRY(lex_string(L));
        } else if (ch >= '0' && ch <= '9') {
            FD_TRY(lex_number(L));
        } else if (ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
            size_t i = 1;
            while (i < left && (p[i] == '_' || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                                (p[i] >= '0' && p[i] <= '9'))) i++;
            FD_TRY(push(L, T_NAME, p, i));
            advance(L, i);
        } else {
            size_t len = 0;
            for (size_t k = 0; k < sizeof ops2 / sizeof ops2[0]; k++)
                if (left >= 2 && p[0] == ops2[k][0] && p[1] == ops2[k][1]) len = 2;
            if (!len && strchr("+-*/%~[](){}<>=.:|,;", ch) && ch) len = 1;
            if (!len) {
                char m[64];
                snprintf(m, sizeof m, "unexpected character '%c'", ch >= 32 && ch < 127 ? ch : '?');
                return lerr(L, m);
            }
            if (len == 1 && strchr("([{", ch)) depth++;
            if (len == 1 && strchr(")]}", ch) && depth > 0) depth--;
            FD_TRY(push(L, T_OP, p, len));
            advance(L, len);
        }
    }
}

/* A {% raw %} (word "raw") or {% endraw %} tag at p; *len its length. */
static int match_raw(const char *p, size_t left, const char *word, size_t *len)
{
    size_t i = 2, wl = strlen(word);
    if (left < 2 || p[0] != '{' || p[1] != '%') return 0;
    if (i < left && (p[i] == '-' || p[i] == '+')) i++;
    i = skip_ws(p, left, i);
    if (left - i < wl || memcmp(p + i, word, wl)) return 0;
    i = skip_ws(p, left, i + wl);
    if (i < left && (p[i] == '-' || p[i] == '+')) i++;
    if (left - i < 2 || p[i] != '%' || p[i + 1] != '}') return 0;
    *len = i + 2;
    return 1;
}

/* {% raw %}...{% endraw %}: the start tag (length tl) is at L->pos; the body is text. */
static fd_status lex_raw(lexer *L, size_t tl)
{
    const char *p = L->s + L->pos;
    size_t body = L->pos + tl, e, el = 0;
    int strip_after = p[tl - 3] == '-';
    advance(L, tl);
    if (strip_after) advance(L, skip_ws(L->s, L->n, L->pos) - L->pos);   /* no trim_blocks here, as in Jinja */
    body = L->pos;
    for (e = body; e < L->n; e++)
        if (match_raw(L->s + e, L->n - e, "endraw", &el)) break;
    if (e >= L->n) return lerr(L, "{% raw %} is not closed by {% endraw %}");
    FD_TRY(emit_text(L, body, e, '%', L->s[e + 2]));
    advance(L, e + el - L->pos);
    if (L->s[L->pos - 3] == '-') advance(L, skip_ws(L->s, L->n, L->pos) - L->pos);
    else if (L->s[L->pos - 3] != '+' && L->pos < L->n && L->s[L->pos] == '\n') advance(L, 1);
    return FD_OK;
}

fd_status jinja_lex(jarena *a, const char *src, size_t len, jtok **toks, size_t *n, fd_error *err)
{
    lexer L = { .a = a, .err = err, .line = 1 };
    char *s = ja_alloc(a, len + 1);
    size_t k = 0;
    *toks = NULL;
    *n = 0;
    if (!s) return fd_error_set(err, FD_ERR_NOMEM, "template: out of memory");
    for (size_t i = 0; i < len; i++) {   /* \r\n and \r -> \n */
        if (src[i] == '\r') {
            s[k++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n') i++;
        } else {
            s[k++] = src[i];
        }
    }
    if (k && s[k - 1] == '\n') k--;
    s[k] = 0;
    L.s = s;
    L.n = k;
    while (L.pos < L.n) {
        size_t st = L.pos, i = st, tl;
        while (i + 1 < L.n && !(L.s[i] == '{' && (L.s[i + 1] == '{' || L.s[i + 1] == '%' || L.s[i + 1] == '#'))) i++;
        if (i + 1 >= L.n) {
            FD_TRY(push(&L, T_TEXT, L.s + st, L.n - st));
            advance(&L, L.n - st);
            break;
        }
        char kind = L.s[i + 1], sign = i + 2 < L.n ? L.s[i + 2] : 0;
        if (sign != '-' && sign != '+') sign = 0;
        FD_TRY(emit_text(&L, st, i, kind, sign));
        advance(&L, i - st);
        if (kind == '%' && match_raw(L.s + i, L.n - i, "raw", &tl)) {
            FD_TRY(lex_raw(&L, tl));
        } else if (kind == '#') {
            size_t e = i + 2;
            while (e + 1 < L.n && !(L.s[e] == '#' && L.s[e + 1] == '}')) e++;
            if (e + 1 >= L.n) return lerr(&L, "comment '{#' is not closed by '#}'");
            char end_sign = e >= i + 3 + (sign ? 1 : 0) ? L.s[e - 1] : 0;   /* {#-#}: the '-' opens */
            advance(&L, e + 2 - i);
            if (end_sign == '-') advance(&L, skip_ws(L.s, L.n, L.pos) - L.pos);
            else if (end_sign != '+' && L.pos < L.n && L.s[L.pos] == '\n') advance(&L, 1);
        } else {
            FD_TRY(push(&L, kind == '{' ? T_VAR_BEGIN : T_BLOCK_BEGIN, L.s + i, sign ? 3 : 2));
            advance(&L, sign ? 3 : 2);
            FD_TRY(lex_tag(&L, kind));
        }
    }
    FD_TRY(push(&L, T_EOF, L.s + L.n, 0));
    *toks = L.t;
    *n = L.nt;
    return FD_OK;
}
