/* test_generate.c — the generation loop on a small random-weight model
 * with the Qwen2.5 vocabulary (CPU in CI; the same on a GPU through the
 * captured decode graph where there is one): greedy ids equal the argmax of
 * the logits a step-by-step evaluation gives at every position; prefix
 * reuse across turns gives what a from-scratch prefill gives; stop ids,
 * stop strings and the end of the context end generation cleanly; streamed
 * text is whole UTF-8 characters and adds up to the decoded ids. */
#include "check.h"
#include "gpu.h"
#include "foundry/generate.h"
#include "foundry/tokenizer.h"

#define VOCAB FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf"

typedef struct env { fd_foundry *fd; fd_model *m; fd_weights *w; } env;

static int env_open(env *e, fd_backend_kind kind)
{
    fd_error err = { 0 };
    fd_random_options ro = { .dtype = FD_F16, .seed = 5, .vocab_gguf = VOCAB };
    memset(e, 0, sizeof *e);
    CHECK_OK(fd_model_preset("tiny", &ro.hp), (fd_error *)NULL);
    ro.hp.n_layers = 2;
    CHECK_OK(fd_model_random(&ro, &e->m, &err), &err);
    fd_status st = fd_foundry_create(&(fd_options){ .backend = kind, .log = quiet_log }, &e->fd, &err);
    if (st != FD_OK) {
        snprintf(gpu_why, sizeof gpu_why, "no GPU: %s", err.msg);
        fd_model_close(e->m);
        return 0;
    }
    CHECK_OK(fd_model_upload(e->fd, e->m, &(fd_upload_options){ .ctx = 256 }, &e->w), (fd_error *)NULL);
    return e->w != NULL;
}

static void env_close(env *e)
{
    if (e->fd) fd_weights_release(e->fd);
    fd_foundry_destroy(e->fd);
    fd_model_close(e->m);
}

typedef struct sink { char buf[8192]; size_t n; int bad_utf8, calls; } sink;

static int utf8_whole(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!k || i + k > n) return 0;
        for (size_t j = 1; j < k; j++)
            if (((unsigned char)s[i + j] >> 6) != 2) return 0;
        i += k;
    }
    return 1;
}

static int collect(void *user, const char *text, size_t len)
{
    sink *k = user;
    if (!utf8_whole(text, len)) k->bad_utf8++;
    k->calls++;
    if (k->n + len < sizeof k->buf) memcpy(k->buf + k->n, text, len), k->n += len;
    k->buf[k->n] = 0;
    return 0;
}

/* Greedy ids against the argmax of step-by-step logits, on `kind`. */
static void greedy_equals_eval(fd_backend_kind kind)
{
    env e;
    if (!env_open(&e, kind)) {
        if (kind == FD_BACKEND_CUDA) SKIP("%s", gpu_why);
        return;
    }
    fd_session *s = NULL;
    CHECK_OK(fd_session_create(e.fd, e.m, e.w, &(fd_session_options){ .ctx = 128 }, &s), (fd_error *)NULL);
    const char *prompt = "Once upon a time";
    CHECK_OK(fd_session_feed_text(s, prompt, strlen(prompt), NULL), (fd_error *)NULL);
    sink k = { .n = 0 };
    fd_gen_stats gs;
    CHECK_OK(fd_session_generate(s, &(fd_gen_options){ .max_tokens = 40, .ignore_eos = 1 }, collect, &k, &gs),
             (fd_error *)NULL);
    CHECK_EQ(gs.gen_tokens, 40);
    size_t n;
    const int32_t *ids = fd_session_tokens(s, &n);
    /* step by step through a second state: logits at every position */
    fd_state *st = NULL;
    CHECK_OK(fd_state_create(e.fd, e.w, 128, &st), (fd_error *)NULL);
    size_t V = fd_model_describe(e.m)->hp.vocab, mismatches = 0;
    float *logits = malloc(V * sizeof *logits);
    for (size_t i = 0; i + 1 < n; i++) {
        CHECK_OK(fd_state_step(st, ids[i], logits), (fd_error *)NULL);
        if (i + 1 < n - 40) continue;   /* prompt positions: nothing chosen there */
        size_t best = 0;
        for (size_t v = 1; v < V; v++)
            if (logits[v] > logits[best]) best = v;
        if ((int32_t)best != ids[i + 1]) mismatches++;
    }
    printf("%s: 40 greedy ids vs step-by-step argmax: %zu mismatches\n", kind == FD_BACKEND_CUDA ? "cuda (graph)" : "cpu",
           mismatches);
    CHECK_EQ(mismatches, 0);
    /* the streamed text: whole characters, equal to the decoded ids */
    char *text = NULL;
    size_t len = 0;
    CHECK_OK(fd_tokenizer_decode(fd_session_tokenizer(s), ids + n - 40, 40, &text, &len, NULL), (fd_error *)NULL);
    CHECK_EQ(k.bad_utf8, 0);
    CHECK(len == k.n && !memcmp(text, k.buf, len));
    free(logits);
    free(text);
    fd_state_destroy(st);
    fd_session_destroy(s);
    env_close(&e);
}

static void test_cpu_greedy(void) { greedy_equals_eval(FD_BACKEND_CPU); }
static void test_gpu_greedy_graph(void) { greedy_equals_eval(FD_BACKEND_CUDA); }

static void test_prefix_reuse_and_stops(void)
{
    env e;
    if (!env_open(&e, FD_BACKEND_CPU)) return;
    fd_session *a = NULL, *b = NULL;
    CHECK_OK(fd_session_create(e.fd, e.m, e.w, &(fd_session_options){ .ctx = 64 }, &a), (fd_error *)NULL);
    CHECK_OK(fd_session_create(e.fd, e.m, e.w, &(fd_session_options){ .ctx = 64 }, &b), (fd_error *)NULL);
    fd_gen_options g = { .max_tokens = 6, .ignore_eos = 1 };
    fd_gen_stats st;
    /* turn 1 then turn 2 on a; the same tokens fed at once to b */
    CHECK_OK(fd_session_feed_text(a, "Hello", 5, &st), (fd_error *)NULL);
    CHECK_OK(fd_session_generate(a, &g, NULL, NULL, &st), (fd_error *)NULL);
    CHECK_OK(fd_session_feed_text(a, " and then", 9, &st), (fd_error *)NULL);
    CHECK(st.cached_tokens > 0);
    size_t na;
    const int32_t *ta = fd_session_tokens(a, &na);
    int32_t *copy = malloc(na * sizeof *copy);
    memcpy(copy, ta, na * sizeof *copy);
    CHECK_OK(fd_session_feed(b, copy, na, &st), (fd_error *)NULL);
    CHECK_EQ(st.cached_tokens, 0);
    sink ka = { .n = 0 }, kb = { .n = 0 };
    CHECK_OK(fd_session_generate(a, &g, collect, &ka, NULL), (fd_error *)NULL);
    CHECK_OK(fd_session_generate(b, &g, collect, &kb, NULL), (fd_error *)NULL);
    CHECK(ka.n == kb.n && !memcmp(ka.buf, kb.buf, ka.n));   /* reuse changes nothing */
    /* a stop id: the 3rd token b generates next stops it there */
    size_t nb;
    const int32_t *tb = fd_session_tokens(b, &nb);
    int32_t third = tb[nb - 6 + 2];
    size_t first = 0;   /* random weights repeat tokens: it stops at the first occurrence */
    while (tb[nb - 6 + first] != third) first++;
    CHECK_OK(fd_session_feed(b, copy, na, NULL), (fd_error *)NULL);
    CHECK_OK(fd_session_generate(b, &(fd_gen_options){ .max_tokens = 6, .ignore_eos = 1, .stop_ids = &third,
                                                      .n_stop_ids = 1 }, NULL, NULL, &st), (fd_error *)NULL);
    CHECK_EQ(st.stop, FD_STOP_EOS);
    CHECK_EQ(st.gen_tokens, first + 1);
    /* a stop string: the text of the 2nd and 3rd tokens never reaches the callback */
    const char *two = kb.buf + 0;
    char stop[64];
    snprintf(stop, sizeof stop, "%.*s", (int)(kb.n > 6 ? 6 : kb.n), two + (kb.n > 12 ? 3 : 0));
    const char *stops[] = { stop, NULL };
    sink kc = { .n = 0 };
    CHECK_OK(fd_session_feed(b, copy, na, NULL), (fd_error *)NULL);
    CHECK_OK(fd_session_generate(b, &(fd_gen_options){ .max_tokens = 6, .ignore_eos = 1, .stop = stops }, collect,
                                 &kc, &st), (fd_error *)NULL);
    if (stop[0]) {
        CHECK_EQ(st.stop, FD_STOP_STRING);
        CHECK(strstr(kc.buf, stop) == NULL);
        CHECK(!strncmp(kc.buf, kb.buf, kc.n));   /* what came out is a prefix of the unstopped text */
    }
    /* the end of the context: a clean stop, never a crash */
    fd_session *c = NULL;
    CHECK_OK(fd_session_create(e.fd, e.m, e.w, &(fd_session_options){ .ctx = 12 }, &c), (fd_error *)NULL);
    CHECK_OK(fd_session_feed_text(c, "Hello world", 11, NULL), (fd_error *)NULL);
    CHECK_OK(fd_session_generate(c, &(fd_gen_options){ .max_tokens = 100, .ignore_eos = 1 }, NULL, NULL, &st),
             (fd_error *)NULL);
    CHECK_EQ(st.stop, FD_STOP_CONTEXT);
    CHECK(st.gen_tokens >= 1 && st.gen_tokens <= 12);
    free(copy);
    fd_session_destroy(a), fd_session_destroy(b), fd_session_destroy(c);
    env_close(&e);
}

/* A cancel reaches the prompt (issue 26): a feed that sees it stops between
 * prefill slices, keeps what it fed (the invariant: cache = tokens - 1), and
 * leaves the flag for the generate after it, which returns at once; the
 * next feed and generate run whole. */
static void test_cancel_reaches_prefill(void)
{
    env e;
    if (!env_open(&e, FD_BACKEND_CPU)) return;
    fd_session *s = NULL;
    CHECK_OK(fd_session_create(e.fd, e.m, e.w, &(fd_session_options){ .ctx = 256 }, &s), (fd_error *)NULL);
    int32_t ids[200];
    for (int i = 0; i < 200; i++) ids[i] = 1000 + i;
    fd_gen_stats ps, gs;
    fd_session_cancel(s);   /* as Ctrl-C while the prompt runs: the first slice boundary sees it */
    CHECK_OK(fd_session_feed(s, ids, 200, &ps), (fd_error *)NULL);
    CHECK_EQ(ps.stop, FD_STOP_CANCELLED);
    size_t n;
    fd_session_tokens(s, &n);
    CHECK(n < 200);   /* not the whole prompt */
    CHECK_OK(fd_session_generate(s, &(fd_gen_options){ .max_tokens = 4, .ignore_eos = 1 }, NULL, NULL, &gs),
             (fd_error *)NULL);
    CHECK_EQ(gs.stop, FD_STOP_CANCELLED);
    CHECK_EQ(gs.gen_tokens, 0);
    /* honoured once: the same prompt now runs whole, reusing what the cut feed cached */
    CHECK_OK(fd_session_feed(s, ids, 200, &ps), (fd_error *)NULL);
    CHECK_EQ(ps.stop, FD_STOP_NONE);
    CHECK_EQ(ps.cached_tokens, n - 1);
    CHECK_OK(fd_session_generate(s, &(fd_gen_options){ .max_tokens = 4, .ignore_eos = 1 }, NULL, NULL, &gs),
             (fd_error *)NULL);
    CHECK_EQ(gs.gen_tokens, 4);
    CHECK_EQ(gs.stop, FD_STOP_LIMIT);
    fd_session_destroy(s);
    env_close(&e);
}

/* A chat survives its user (issue 26): a line that is not UTF-8 or alone
 * longer than the context is refused and the conversation is as it was;
 * a conversation that outgrows the context drops its oldest turns and
 * goes on. */
static void test_chat_survives(void)
{
    env e;
    if (!env_open(&e, FD_BACKEND_CPU)) return;
    fd_session *s = NULL;
    fd_chat *c = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_session_create(e.fd, e.m, e.w, &(fd_session_options){ .ctx = 96 }, &s), (fd_error *)NULL);
    CHECK_EQ(fd_chat_create(s, VOCAB, "bad \xff system", &c, &err), FD_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "not valid UTF-8 (byte 5)");
    err = (fd_error){ 0 };
    CHECK_OK(fd_chat_create(s, VOCAB, "Be brief.", &c, &err), &err);
    fd_gen_options g = { .max_tokens = 8, .ignore_eos = 1 };
    fd_gen_stats st;
    CHECK_OK(fd_chat_say(c, "Hello", &g, NULL, NULL, &st, &err), &err);
    size_t n1;
    fd_session_tokens(s, &n1);
    err = (fd_error){ 0 };
    CHECK_EQ(fd_chat_say(c, "caf\xc3 au lait", &g, NULL, NULL, &st, &err), FD_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "byte 4");
    char big[2048];
    for (size_t i = 0; i + 6 < sizeof big; i += 6) memcpy(big + i, "words ", 6), big[i + 6] = 0;
    err = (fd_error){ 0 };
    CHECK_EQ(fd_chat_say(c, big, &g, NULL, NULL, &st, &err), FD_ERR_RANGE);
    CHECK_CONTAINS(err.msg, "the context holds 96");
    size_t n2;
    fd_session_tokens(s, &n2);
    CHECK_EQ(n2, n1);   /* the refusals touched nothing */
    /* turns until the context overflows: each one is said, the oldest dropped */
    size_t dropped = 0;
    for (int t = 0; t < 5; t++) {
        err = (fd_error){ 0 };
        CHECK_OK(fd_chat_say(c, "Tell me more about it please", &g, NULL, NULL, &st, &err), &err);
        CHECK_EQ(st.gen_tokens, 8);
        dropped += st.dropped_messages;
    }
    CHECK(dropped > 0);
    fd_chat_destroy(c);
    fd_session_destroy(s);
    env_close(&e);
}

TEST_MAIN(test_cpu_greedy, test_prefix_reuse_and_stops, test_cancel_reaches_prefill, test_chat_survives,
          test_gpu_greedy_graph)
