/* bench_loadgen.c — a load generator for any OpenAI-compatible server
 * (foundry serve, llama-server, vLLM...): N concurrent streams, each sending
 * R streamed /v1/completions requests of a given prompt and output length
 * (ignore_eos, greedy), and one JSON report on stdout:
 *   tokens_per_s   aggregate, completion tokens counted from each reply's `usage`
 *                  (stream_options.include_usage; text deltas where a server sends none)
 *   ttft_ms        time to first token: request sent -> first non-empty text delta
 *   itl_ms         inter-token latency: gaps between successive non-empty deltas
 *   tpot_ms        per stream: (last delta - first delta) / (tokens - 1)
 * each with p50 and p99. Plain sockets and threads; the only library is
 * Jansson (for the events' JSON). Reads "Content-Length" / chunked bodies.
 *
 *   bench_loadgen --url http://127.0.0.1:8080 --streams 8 --prompt-tokens 128 --max-tokens 128
 */
#include <jansson.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct opts {
    char host[256], port[16], base[256];
    const char *model, *key;
    int streams, requests, prompt_tokens, max_tokens, warmup;
} opts;

typedef struct result {
    double *ttft, *itl, *tpot;     /* ms */
    size_t nttft, nitl, ntpot, capttft, capitl, captpot;
    long tokens, prompt_tokens;
    int errors;
} result;

typedef struct worker { const opts *o; int id; result r; pthread_t t; } worker;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void push(double **a, size_t *n, size_t *cap, double v)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        *a = realloc(*a, *cap * sizeof **a);
        if (!*a) abort();
    }
    (*a)[(*n)++] = v;
}

/* Words that tokenize to about one token each in BPE vocabularies (" the", " cat"...). */
static char *prompt_text(int tokens, int salt)
{
    static const char *w[] = { " the", " cat", " sat", " on", " a", " red", " mat", " and", " saw", " one", " big", " dog" };
    char *s = malloc((size_t)tokens * 6 + 32);
    if (!s) abort();
    int n = sprintf(s, "Story %d:", salt);
    for (int i = 0; i < tokens - 3; i++) n += sprintf(s + n, "%s", w[(i * 7 + salt) % 12]);
    return s;
}

static int dial(const opts *o)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    if (getaddrinfo(o->host, o->port, &hints, &ai)) return -1;
    int fd = -1;
    for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
        if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen)) close(fd), fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* One SSE event's data: counts text deltas and the usage. */
static void on_event(const char *data, size_t n, double t0, double *last, double *first, result *r, long *tokens,
                     long *deltas)
{
    if (n >= 6 && !strncmp(data, "[DONE]", 6)) return;
    json_t *j = json_loadb(data, n, 0, NULL);
    if (!j) return;
    json_t *c = json_array_get(json_object_get(j, "choices"), 0);
    const char *text = json_string_value(json_object_get(c, "text"));
    if (!text) text = json_string_value(json_object_get(json_object_get(c, "delta"), "content"));
    if (text && *text) {
        double t = now();
        ++*deltas;
        if (*last == 0) {
            push(&r->ttft, &r->nttft, &r->capttft, (t - t0) * 1e3);
            *first = t;
        } else {
            push(&r->itl, &r->nitl, &r->capitl, (t - *last) * 1e3);
        }
        *last = t;
    }
    json_t *u = json_object_get(j, "usage");
    if (json_is_object(u)) {
        *tokens = (long)json_integer_value(json_object_get(u, "completion_tokens"));
        r->prompt_tokens += (long)json_integer_value(json_object_get(u, "prompt_tokens"));
    }
    if (json_object_get(j, "error")) r->errors++;
    json_decref(j);
}

/* One streamed request; 0 or -1 (counted as an error). */
static int one(const opts *o, int salt, int max_tokens, result *r)
{
    char *prompt = prompt_text(o->prompt_tokens, salt);
    json_t *body = json_pack("{s:s, s:s, s:i, s:b, s:{s:b}, s:b, s:f}", "model", o->model, "prompt", prompt,
                             "max_tokens", max_tokens, "stream", 1, "stream_options", "include_usage", 1,
                             "ignore_eos", 1, "temperature", 0.0);
    free(prompt);
    char *b = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    int fd = dial(o);
    if (fd < 0 || !b) {
        free(b);
        if (fd >= 0) close(fd);
        return -1;
    }
    size_t blen = strlen(b);
    char head[1024];
    int hn = snprintf(head, sizeof head, "POST %s/v1/completions HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nAccept: text/event-stream\r\nConnection: close\r\n%s%s%s\r\n",
                      o->base, o->host, o->port, blen, o->key ? "Authorization: Bearer " : "", o->key ? o->key : "",
                      o->key ? "\r\n" : "");
    double t0 = now(), last = 0, first = 0;
    int ok = write(fd, head, (size_t)hn) == hn && write(fd, b, blen) == (ssize_t)blen;
    free(b);
    /* read everything as it comes: headers, then the body (chunked or not), events split on blank lines */
    size_t cap = 1 << 16, len = 0, pos = 0;
    int in_body = 0;
    char *buf = malloc(cap), *ev = malloc(cap);
    size_t evlen = 0, evcap = cap;
    int chunked = 0, status = 0;
    long tokens = 0, deltas = 0, chunk_left = -1;
    while (ok) {
        if (len == cap) buf = realloc(buf, cap *= 2);
        ssize_t k = read(fd, buf + len, cap - len);
        if (k <= 0) break;
        len += (size_t)k;
        if (!in_body) {
            char *e = memmem(buf, len, "\r\n\r\n", 4);
            if (!e) continue;
            pos = (size_t)(e - buf) + 4;
            in_body = 1;
            sscanf(buf, "HTTP/%*s %d", &status);
            *e = 0;
            for (char *h = buf; (h = strchr(h, '\n')); h++)
                if (!strncasecmp(h + 1, "transfer-encoding:", 18) && strstr(h, "chunked")) chunked = 1;
        }
        /* move body bytes (de-chunked) into ev and consume whole events */
        while (pos < len) {
            if (chunked && chunk_left <= 0) {
                char *nl = memmem(buf + pos, len - pos, "\r\n", 2);
                if (!nl) break;
                if (nl == buf + pos) { pos += 2; continue; }   /* the CRLF after a chunk */
                chunk_left = strtol(buf + pos, NULL, 16);
                pos = (size_t)(nl - buf) + 2;
                if (chunk_left == 0) { ok = 0; break; }
                continue;
            }
            size_t take = len - pos;
            if (chunked && (long)take > chunk_left) take = (size_t)chunk_left;
            if (evlen + take + 1 > evcap) ev = realloc(ev, evcap = 2 * (evlen + take + 1));
            memcpy(ev + evlen, buf + pos, take);
            evlen += take;
            pos += take;
            if (chunked) chunk_left -= (long)take;
        }
        char *s = ev, *end;
        while ((end = memmem(s, evlen - (size_t)(s - ev), "\n\n", 2))) {
            for (char *line = s; line < end;) {
                char *nl = memchr(line, '\n', (size_t)(end - line));
                char *le = nl ? nl : end;
                if (le - line > 6 && !strncmp(line, "data: ", 6)) on_event(line + 6, (size_t)(le - line - 6), t0, &last, &first, r, &tokens, &deltas);
                line = le + 1;
            }
            s = end + 2;
        }
        evlen -= (size_t)(s - ev);
        memmove(ev, s, evlen);
        if (pos == len) len = pos = 0;   /* all read bytes consumed: reuse the buffer */
    }
    close(fd);
    free(buf);
    free(ev);
    if (!tokens) tokens = deltas;   /* a server that sends no usage: one token per delta */
    if (tokens > 1 && last > first) push(&r->tpot, &r->ntpot, &r->captpot, (last - first) * 1e3 / (double)(tokens - 1));
    r->tokens += tokens;
    if (status != 200 || tokens <= 0) return -1;
    return 0;
}

static void *run(void *p)
{
    worker *w = p;
    for (int i = 0; i < w->o->requests; i++)
        if (one(w->o, w->id * 1000 + i, w->o->max_tokens, &w->r)) w->r.errors++;
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmp);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_loadgen --url http://HOST:PORT[/BASE] [--streams N] [--requests R] [--prompt-tokens P]\n"
                    "                     [--max-tokens M] [--model NAME] [--api-key KEY] [--warmup 0|1]\n");
}

int main(int argc, char **argv)
{
    opts o = { .base = "", .model = "default", .streams = 1, .requests = 1, .prompt_tokens = 128, .max_tokens = 128,
               .warmup = 1 };
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { usage(); return 2; }
        if (!strcmp(a, "--url")) url = v;
        else if (!strcmp(a, "--streams")) o.streams = atoi(v);
        else if (!strcmp(a, "--requests")) o.requests = atoi(v);
        else if (!strcmp(a, "--prompt-tokens")) o.prompt_tokens = atoi(v);
        else if (!strcmp(a, "--max-tokens")) o.max_tokens = atoi(v);
        else if (!strcmp(a, "--model")) o.model = v;
        else if (!strcmp(a, "--api-key")) o.key = v;
        else if (!strcmp(a, "--warmup")) o.warmup = atoi(v);
        else { usage(); return 2; }
        i++;
    }
    if (!url || strncmp(url, "http://", 7) || o.streams < 1 || o.streams > 4096 || o.requests < 1 ||
        o.prompt_tokens < 4 || o.max_tokens < 1) {
        usage();
        return 2;
    }
    const char *h = url + 7, *slash = strchr(h, '/'), *colon = strchr(h, ':');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    if (colon && colon < h + hl) {
        snprintf(o.host, sizeof o.host, "%.*s", (int)(colon - h), h);
        snprintf(o.port, sizeof o.port, "%.*s", (int)(h + hl - colon - 1), colon + 1);
    } else {
        snprintf(o.host, sizeof o.host, "%.*s", (int)hl, h);
        snprintf(o.port, sizeof o.port, "80");
    }
    if (slash) snprintf(o.base, sizeof o.base, "%s", slash[1] ? slash : "");
    size_t bl = strlen(o.base);
    if (bl && o.base[bl - 1] == '/') o.base[bl - 1] = 0;
    if (o.warmup) {   /* compiles kernels, captures graphs: not part of the figures */
        result w = { 0 };
        if (one(&o, 999999, 8, &w)) {
            fprintf(stderr, "bench_loadgen: the warm-up request to %s failed\n", url);
            return 1;
        }
        free(w.ttft), free(w.itl), free(w.tpot);
    }
    worker *ws = calloc((size_t)o.streams, sizeof *ws);
    double t0 = now();
    for (int i = 0; i < o.streams; i++) {
        ws[i].o = &o;
        ws[i].id = i;
        pthread_create(&ws[i].t, NULL, run, &ws[i]);
    }
    result all = { 0 };
    for (int i = 0; i < o.streams; i++) {
        pthread_join(ws[i].t, NULL);
        result *r = &ws[i].r;
        for (size_t k = 0; k < r->nttft; k++) push(&all.ttft, &all.nttft, &all.capttft, r->ttft[k]);
        for (size_t k = 0; k < r->nitl; k++) push(&all.itl, &all.nitl, &all.capitl, r->itl[k]);
        for (size_t k = 0; k < r->ntpot; k++) push(&all.tpot, &all.ntpot, &all.captpot, r->tpot[k]);
        all.tokens += r->tokens;
        all.prompt_tokens += r->prompt_tokens;
        all.errors += r->errors;
        free(r->ttft), free(r->itl), free(r->tpot);
    }
    double wall = now() - t0;
    int n = o.streams * o.requests;
    printf("{\"url\": \"%s\", \"streams\": %d, \"requests\": %d, \"prompt_tokens_mean\": %.1f, \"max_tokens\": %d, "
           "\"completion_tokens\": %ld, \"errors\": %d, \"wall_s\": %.3f, \"tokens_per_s\": %.1f, "
           "\"ttft_ms\": {\"p50\": %.2f, \"p99\": %.2f}, \"itl_ms\": {\"p50\": %.2f, \"p99\": %.2f}, "
           "\"tpot_ms\": {\"p50\": %.2f, \"p99\": %.2f}}\n",
           url, o.streams, n, n ? (double)all.prompt_tokens / n : 0.0, o.max_tokens, all.tokens, all.errors, wall,
           wall > 0 ? all.tokens / wall : 0.0, pct(all.ttft, all.nttft, 50), pct(all.ttft, all.nttft, 99),
           pct(all.itl, all.nitl, 50), pct(all.itl, all.nitl, 99), pct(all.tpot, all.ntpot, 50),
           pct(all.tpot, all.ntpot, 99));
    free(all.ttft), free(all.itl), free(all.tpot), free(ws);
    return all.errors ? 1 : 0;
}
