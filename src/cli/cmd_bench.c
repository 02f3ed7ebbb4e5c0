/* cmd_bench.c — `foundry bench`: prompt and generation speed of a model,
 * like llama-bench: every combination of weight dtype, prompt length,
 * generation length and depth (tokens already in the cache), repeated;
 * median, min and max tokens/s; each prompt length's time to first token;
 * load time with a cold and a warm kernel
 * cache; device memory; host time per decode step; the fraction of the
 * device's measured copy bandwidth that generation reaches. A table, or
 * JSON. --profile adds a per-kernel table of one eager prompt and decode.
 *
 * Layer: cli. Generation runs the same captured decode step as `run`. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/util.h"
#include "cli/cli.h"
#include "cli/model_args.h"
#include "foundry/forward.h"
#include "foundry/profile.h"

#define MAXL 16

typedef struct list { uint64_t v[MAXL]; int n; } list;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Median, min and max of v[0..n) (sorted in place). */
static void spread(double *v, int n, double *md, double *mn, double *mx)
{
    *md = median(v, n);
    *mn = v[0], *mx = v[n - 1];
}

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry bench (-m MODEL | --synthetic NAME) [-p 512] [-n 128] [-r 5] [-d 0,4096,...]\n"
               "                     [--dtype f16,q8_0,...] [-c CTX] [--backend B] [--json] [--profile] [--trace F]\n"
               "                     [--persistent] [--sampled]\n"
               "  -p LIST     prompt lengths (comma-separated; 0: none)   -n LIST  generated tokens (0: none)\n"
               "              each pp row adds its time to first token (TTFT ms: the prompt from an empty cache\n"
               "              until the first chosen token is on the host, as `run` takes it)\n"
               "  -r N        repetitions (median, min, max)              -d LIST  depths: tokens in the cache first\n"
               "  --dtype L   weight dtypes, each a separate model (synthetic: built once each)\n"
               "  --json      one JSON document instead of the table      --profile  per-kernel table (eager launches)\n"
               "  --trace F   the profile pass as a Chrome trace (ui.perfetto.dev); implies --profile; with\n"
               "              --persistent, the last step's per-block timeline too (F-persist.json)\n"
               "  --persistent  decode steps as one persistent kernel (GPU, experimental;\n"
               "                --no-persistent: off, the default)\n"
               "  --sampled   each tg row again with the default sampler (top-k 40, top-p 0.95, min-p 0.05,\n"
               "              temperature 0.8): greedy and sampled steps side by side\n"
               "  environment: FOUNDRY_PREFILL_CHUNK=N, tokens per prefill pass (a multiple of 16 from 16 to\n"
               "              8192; default 512): the summary line says the chunk and the pool it ran with\n"
               "%s", cli_model_help());
}

/* "f16,q8_0" into l (replacing what it held); 0, or 2 (printed) for an empty
 * list or item, an unknown dtype or too many. */
static int parse_dtypes(const char *s, list *l)
{
    l->n = 0;
    for (const char *p = s;; p++) {
        const char *c = strchr(p, ',');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        char t[16];
        fd_dtype d;
        if (!k) return cli_usage_error("bench", "--dtype: an empty item in '%s' (f32, f16, bf16, q8_0, q4_0)", s);
        snprintf(t, sizeof t, "%.*s", (int)(k < sizeof t - 1 ? k : sizeof t - 1), p);
        if (k >= sizeof t || fd_dtype_parse(t, &d) != FD_OK || !(fd_dtype_is_float(d) || fd_dtype_is_quant(d)) || !fd_dtype_can_write(d))
            return cli_usage_error("bench", "--dtype takes f32, f16, bf16, q8_0, q4_0, not '%.*s'", (int)k, p);
        if (l->n == MAXL) return cli_usage_error("bench", "--dtype: at most %d values", MAXL);
        l->v[l->n++] = d;
        if (!c) return 0;
        p = c;
    }
}

static int parse_list(const char *opt, const char *s, uint64_t lo, uint64_t hi, list *l)
{
    char buf[32];
    l->n = 0;
    for (const char *p = s; *p;) {
        const char *c = strchr(p, ',');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        if (l->n == MAXL) return cli_usage_error("bench", "%s: at most %d values", opt, MAXL);
        if (k >= sizeof buf) return cli_usage_error("bench", "%s: '%.*s' is not a number", opt, (int)k, p);
        memcpy(buf, p, k);
        buf[k] = 0;
        if (cli_parse_u64("bench", opt, buf, lo, hi, &l->v[l->n])) return 2;
        l->n++;
        p += k + (c != NULL);
    }
    if (!l->n) return cli_usage_error("bench", "%s needs at least one value", opt);
    return 0;
}

typedef struct result {
    const char *test;       /* "pp" or "tg" */
    uint64_t tokens, depth;
    double med, min, max;   /* tokens/s */
    double host_us_per_step, copy_fraction;
} result;

/* Removes the temporary kernel cache: a flat folder of files. */
static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    char path[4096 + 256];
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* Random token ids in [0, vocab): a prompt or a depth fill. */
static void random_ids(int32_t *ids, size_t n, uint64_t vocab, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++) {
        *seed ^= *seed << 13, *seed ^= *seed >> 7, *seed ^= *seed << 17;
        ids[i] = (int32_t)(*seed % vocab);
    }
}

/* One repetition of a P-token prompt from an empty cache: the prompt's tokens/s through prefill alone into
 * *tps, then the same prompt again until its first generated token is on the host, in ms, into *ttft — the
 * path `run` takes (generate/session.c): prefill of all but the last token, then one decode step of it that
 * chooses the next. */
static fd_status pp_rep(fd_state *s, const int32_t *ids, uint64_t P, double *tps, double *ttft)
{
    int32_t first;
    FD_TRY(fd_state_rewind(s, 0));
    double t0 = fd_now_seconds();
    FD_TRY(fd_state_prefill(s, ids, P, NULL, NULL));
    *tps = P / (fd_now_seconds() - t0);
    FD_TRY(fd_state_rewind(s, 0));
    t0 = fd_now_seconds();
    FD_TRY(fd_state_prefill(s, ids, P - 1, NULL, NULL));
    FD_TRY(fd_state_decode(s, ids[P - 1], 1, &first));
    *ttft = (fd_now_seconds() - t0) * 1e3;
    return FD_OK;
}

/* Ctrl-C or a TERM: the bench stops at its next measurement and removes its
 * temporary kernel cache (a second Ctrl-C kills it at once: SA_RESETHAND). */
static volatile sig_atomic_t stopped;

static void on_signal(int sig)
{
    stopped = sig;
}

/* Opens the model in a foundry whose kernel cache is `cache_dir`, uploads
 * it and warms a state at the upload's context (fd_state_warm: every
 * kernel compiled or loaded); the seconds both took. */
static int open_timed(const char *cmd, cli_model_args *a, const char *cache_dir, cli_model *m, double *secs)
{
    double t0 = fd_now_seconds();
    setenv("FOUNDRY_CACHE_DIR", cache_dir, 1);
    int r = cli_model_open(cmd, a, m);
    if (r) return r;
    fd_state *s = NULL;
    fd_status st = fd_state_create(m->fd, m->weights, 0, &s);
    if (st == FD_OK) st = fd_state_warm(s);
    fd_state_destroy(s);
    *secs = fd_now_seconds() - t0;
    if (st != FD_OK) fprintf(stderr, "foundry %s: warm-up: %s\n", cmd, fd_foundry_error(m->fd));
    return st == FD_OK ? 0 : 1;
}

/* The profile pass's Chrome trace: at `path`, or with several dtypes at
 * path with "-DTYPE" before its extension; the persistent step's timeline
 * with "-persist" after that. */
static void trace_name(char name[4096], const char *path, const char *dtn, int persist)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) dot = path + strlen(path);
    snprintf(name, 4096, "%.*s%s%s%s%s", (int)(dot - path), path, dtn ? "-" : "", dtn ? dtn : "",
             persist ? "-persist" : "", dot);
}

static fd_status write_trace(fd_foundry *fd, fd_state *s, const char *path, const char *dtn, int persistent, FILE *f)
{
    char name[4096];
    trace_name(name, path, dtn, 0);
    fd_status st = fd_profile_write_trace(fd, name);
    if (st == FD_OK) fprintf(f, "trace: %s (opens in ui.perfetto.dev)\n", name);
    if (st != FD_OK || !persistent) return st;
    trace_name(name, path, dtn, 1);
    st = fd_state_persistent_timeline(s, name, NULL);
    if (st == FD_OK) fprintf(f, "persistent step's timeline: %s (a thread per block)\n", name);
    return st;
}

int cmd_bench(int argc, char **argv)
{
    cli_model_args a = { .backend = FD_BACKEND_AUTO };
    list pp = { { 512 }, 1 }, tg = { { 128 }, 1 }, depth = { { 0 }, 1 }, dts = { { 0 }, 0 };
    uint64_t reps = 5;
    int json = 0, profile = 0, persistent = 0, sampled = 0, r;
    const char *trace = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--trace")) {
            if (!(trace = cli_value("bench", argc, argv, &i))) return 2;
            profile = 1;
            continue;
        }
        if (!strcmp(o, "--dtype")) {   /* a list here, unlike the other commands */
            const char *v = cli_value("bench", argc, argv, &i);
            if (!v) return 2;
            if ((r = parse_dtypes(v, &dts))) return r;
            continue;
        }
        if ((r = cli_model_arg("bench", &a, argc, argv, &i))) {
            if (r == 2) return 2;
            continue;
        }
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout); return 0; }
        if (!strcmp(o, "--json")) { json = 1; continue; }
        if (!strcmp(o, "--profile")) { profile = 1; continue; }
        if (!strcmp(o, "--sampled")) { sampled = 1; continue; }
        if (!strcmp(o, "--persistent") || !strcmp(o, "--no-persistent")) { persistent = o[2] == 'p'; continue; }
        if (strcmp(o, "-p") && strcmp(o, "-n") && strcmp(o, "-r") && strcmp(o, "-d")) return cli_unknown("bench", o);
        const char *v = cli_value("bench", argc, argv, &i);
        if (!v) return 2;
        if (!strcmp(o, "-p") && (r = parse_list(o, v, 0, 1u << 20, &pp))) return r;
        if (!strcmp(o, "-n") && (r = parse_list(o, v, 0, 1u << 20, &tg))) return r;
        if (!strcmp(o, "-d") && (r = parse_list(o, v, 0, 1u << 22, &depth))) return r;
        if (!strcmp(o, "-r") && cli_parse_u64("bench", o, v, 1, 1000, &reps)) return 2;
    }
    if (!dts.n) dts.v[dts.n++] = a.convert ? a.dtype : a.synthetic ? FD_F16 : (uint64_t)-1;
    for (int di = 0; trace && di < dts.n; di++)   /* every trace file it will write, before the work */
        for (int pe = 0; pe <= persistent; pe++) {
            char name[4096];
            trace_name(name, trace, dts.n > 1 ? fd_dtype_name((fd_dtype)dts.v[di]) : NULL, pe);
            if ((r = cli_output_check("bench", "--trace", name, &a))) return r;
        }
    uint64_t need = 0;
    for (int d = 0; d < depth.n; d++)
        for (int k = 0; k < tg.n; k++) need = depth.v[d] + tg.v[k] > need ? depth.v[d] + tg.v[k] : need;
    for (int k = 0; k < pp.n; k++) need = pp.v[k] > need ? pp.v[k] : need;
    if (!a.ctx) a.ctx = (uint32_t)(need + 16 > 64 ? need + 16 : 64);   /* 64: room for the profile pass */
    char cold_dir[4096];   /* under $TMPDIR, else /tmp */
    snprintf(cold_dir, sizeof cold_dir, "%s/foundry-bench-XXXXXX", getenv("TMPDIR") && *getenv("TMPDIR") ?
             getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(cold_dir)) return fprintf(stderr, "foundry bench: cannot make a temporary kernel cache\n"), 1;
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    if (json) printf("{\n  \"runs\": [");
    else printf("| model | dtype | test | t/s (median) | min | max | host us/step | copy BW | TTFT ms |\n"
                "|---|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);   /* the head shows at once, into a file or a pipe too: the work has begun */
    int status = 0, first_row = 1;
    uint64_t seed = 0x2545f4914f6cdd1dull;
    for (int di = 0; di < dts.n && !status && !stopped; di++) {
        cli_model_args ma = a;
        if (dts.v[di] != (uint64_t)-1) ma.convert = 1, ma.dtype = (fd_dtype)dts.v[di];
        cli_model m, warm;
        double cold_s = 0, warm_s = 0, bw = 0;
        char *saved = getenv("FOUNDRY_CACHE_DIR") ? strdup(getenv("FOUNDRY_CACHE_DIR")) : NULL;
        if ((r = open_timed("bench", &ma, cold_dir, &m, &cold_s))) { status = r; free(saved); break; }
        cli_model_close(&m);   /* the warm open reads what the cold one compiled */
        if ((r = open_timed("bench", &ma, cold_dir, &warm, &warm_s))) { status = r; free(saved); break; }
        if (saved) setenv("FOUNDRY_CACHE_DIR", saved, 1); else unsetenv("FOUNDRY_CACHE_DIR");
        free(saved);
        size_t free_b = 0, total_b = 0;
        if (fd_foundry_mem_info(warm.fd, &free_b, &total_b) != FD_OK) free_b = total_b = 0;
        if (fd_device_copy_bandwidth(warm.fd, &bw) != FD_OK) bw = 0;
        const fd_model_info *info = fd_model_describe(warm.model);
        const fd_model_hparams *hp = &info->hp;
        /* the dtype this row ran: the one asked for (-m FILE --dtype a,b converts the file to each) */
        const char *dtn = fd_dtype_name(dts.v[di] != (uint64_t)-1 ? (fd_dtype)dts.v[di] : info->file_dtype);
        fd_state *s = NULL;
        fd_status st = fd_state_create(warm.fd, warm.weights, a.ctx, &s);
        if (st == FD_OK) fd_state_use_graph(s, 1);
        if (st == FD_OK && persistent) {   /* its kernel made (compiled or loaded) before the timed runs */
            fd_state_use_persistent(s, 1);
            st = fd_state_warm(s);
        }
        int32_t *ids = malloc((size_t)(need + 80) * sizeof *ids);   /* 80: the profile pass's 65 */
        for (int pi = 0; st == FD_OK && pi < pp.n && !stopped; pi++) {
            if (!pp.v[pi]) continue;
            double t[1000], ft[1000];
            for (uint64_t k = 0; st == FD_OK && k < reps && !stopped; k++) {
                random_ids(ids, pp.v[pi], hp->vocab, &seed);
                st = pp_rep(s, ids, pp.v[pi], &t[k], &ft[k]);
            }
            if (st != FD_OK || stopped) break;
            double md, mn, mx, fmd, fmn, fmx;
            spread(t, (int)reps, &md, &mn, &mx);
            spread(ft, (int)reps, &fmd, &fmn, &fmx);
            if (json) printf("%s\n    {\"dtype\": \"%s\", \"test\": \"pp%llu\", "
                             "\"tokens_per_s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}, "
                             "\"ttft_ms\": {\"median\": %.3f, \"min\": %.3f, \"max\": %.3f}}",
                             first_row ? "" : ",", dtn, (unsigned long long)pp.v[pi], md, mn, mx, fmd, fmn, fmx);
            else printf("| %s | %s | pp%llu | %.1f | %.1f | %.1f | | | %.2f |\n", a.synthetic ? a.synthetic : a.model,
                        dtn, (unsigned long long)pp.v[pi], md, mn, mx, fmd);
            first_row = 0;
        }
        for (int ni = 0; st == FD_OK && ni < tg.n; ni++)
            for (int row = 0; st == FD_OK && row < depth.n * (1 + sampled) && !stopped; row++) {
                /* every depth greedy, then every depth sampled: a change of chooser re-captures the step (its
                 * first repetition runs eagerly), so it changes once a generation length, not every row */
                const int dj = row % depth.n, smp = row / depth.n;
                uint64_t n = tg.v[ni], d = depth.v[dj];
                if (!n) continue;
                fd_sampler sc;   /* the CLI's defaults (run, chat): the rule a user's steps follow */
                fd_sampler_defaults(&sc);
                fd_state_set_sampler(s, smp ? &sc : NULL);
                double t[1000], host[1000];
                int32_t *out = malloc(n * sizeof *out);
                for (uint64_t k = 0; st == FD_OK && k < reps && !stopped; k++) {
                    random_ids(ids, d + 1, hp->vocab, &seed);
                    st = fd_state_rewind(s, 0);
                    if (st == FD_OK && d) st = fd_state_prefill(s, ids, d, NULL, NULL);
                    double t0 = fd_now_seconds();
                    if (st == FD_OK) st = fd_state_decode(s, ids[d], n, out);
                    t[k] = n / (fd_now_seconds() - t0);
                    host[k] = fd_state_issue_seconds(s) / n * 1e6;
                }
                free(out);
                if (st != FD_OK || stopped) break;
                double md, mn, mx, hs = median(host, (int)reps);
                spread(t, (int)reps, &md, &mn, &mx);
                /* bytes a step reads: every weight once, and the cache up to its position */
                double kv = 2.0 * hp->n_layers * hp->n_kv_heads * hp->head_dim * 2 * (d + n / 2.0);
                double frac = bw > 0 ? (fd_weights_bytes(warm.weights) + kv) * md / bw : 0;
                if (json) printf("%s\n    {\"dtype\": \"%s\", \"test\": \"tg%llu%s\", \"depth\": %llu, \"tokens_per_s\": {\"median\": %.1f, "
                                 "\"min\": %.1f, \"max\": %.1f}, \"host_us_per_step\": %.2f, \"fraction_of_copy_bandwidth\": %.3f}",
                                 first_row ? "" : ",", dtn, (unsigned long long)n, smp ? " sampled" : "",
                                 (unsigned long long)d, md, mn, mx, hs, frac);
                else printf("| %s | %s | tg%llu @ d%llu%s | %.1f | %.1f | %.1f | %.2f | %.1f%% | |\n",
                            a.synthetic ? a.synthetic : a.model, dtn, (unsigned long long)n, (unsigned long long)d,
                            smp ? " sampled" : "", md, mn, mx, hs, 100 * frac);
                first_row = 0;
            }
        fd_state_set_sampler(s, NULL);   /* the profile pass: greedy steps */
        if (st == FD_OK && !stopped) {
            if (json) printf("%s\n    {\"dtype\": \"%s\", \"load_s\": {\"cold_kernel_cache\": %.3f, \"warm_kernel_cache\": %.3f}, "
                             "\"weights_bytes\": %llu, \"device\": \"%s\", \"device_free_bytes\": %zu, \"device_total_bytes\": %zu, "
                             "\"copy_bandwidth_Bps\": %.4g, \"prefill_chunk\": %u, \"pool_bytes\": %zu}", first_row ? "" : ",",
                             dtn, cold_s, warm_s, (unsigned long long)fd_weights_bytes(warm.weights),
                             fd_foundry_device_name(warm.fd), free_b, total_b, bw, fd_state_prefill_chunk(s),
                             fd_pool_capacity(warm.fd));
            else printf("\n%s %s: load %.2f s with a cold kernel cache, %.2f s warm; weights %.1f MiB; device memory "
                        "in use %.1f of %.1f GiB; copy bandwidth %.0f GB/s (measured); prefill chunk %u tokens, "
                        "pool %.0f MiB\n\n", dtn, fd_foundry_device_name(warm.fd), cold_s, warm_s,
                        fd_weights_bytes(warm.weights) / 1048576.0, (total_b - free_b) / 1073741824.0,
                        total_b / 1073741824.0, bw / 1e9, fd_state_prefill_chunk(s),
                        fd_pool_capacity(warm.fd) / 1048576.0);
            first_row = 0;
        }
        if (st == FD_OK && profile && !stopped) {
            /* eager launches, an event pair around each: no dependent-launch overlap, so the sum exceeds a step */
            int32_t out[64];
            fd_state_use_graph(s, 0);
            st = fd_profile_enable(warm.fd, 1);
            random_ids(ids, 65, hp->vocab, &seed);
            if (st == FD_OK) st = fd_state_rewind(s, 0);
            if (st == FD_OK) st = fd_scope_begin(warm.fd, "prompt");
            if (st == FD_OK) st = fd_state_prefill(s, ids, 16, NULL, NULL);
            if (st == FD_OK) st = fd_scope_end(warm.fd);
            if (st == FD_OK) st = fd_scope_begin(warm.fd, "decode");
            if (st == FD_OK) st = fd_state_decode(s, ids[0], 32, out);
            if (st == FD_OK) st = fd_scope_end(warm.fd);
            FILE *f = json ? stderr : stdout;
            fprintf(f, "profile (%s): a 16-token prompt and 32 decode steps, every kernel launched eagerly and timed "
                       "alone (no dependent-launch overlap: the sum exceeds a replayed step)\n", dtn);
            if (st == FD_OK) st = fd_profile_write_table(warm.fd, f, 20);
            int timeline = st == FD_OK && persistent;   /* where the persistent step ran: its own summary */
            if (timeline && fd_state_persistent_timeline(s, NULL, f) != FD_OK) {
                fprintf(f, "persistent step: no timeline: %s\n", fd_foundry_error(warm.fd));
                timeline = 0;
            }
            if (st == FD_OK && trace) st = write_trace(warm.fd, s, trace, dts.n > 1 ? dtn : NULL, timeline, f);
            if (fd_profile_enable(warm.fd, 0) != FD_OK && st == FD_OK) st = FD_ERR_STATE;
        }
        if (st != FD_OK) {
            fprintf(stderr, "foundry bench: %s: %s\n", fd_status_name(st), fd_foundry_error(warm.fd));
            status = 1;
        }
        free(ids);
        fd_state_destroy(s);
        cli_model_close(&warm);
    }
    if (json) printf("\n  ]\n}\n");
    remove_flat_dir(cold_dir);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (stopped) {
        fprintf(stderr, "foundry bench: interrupted; the rows above are complete\n");
        status = 128 + stopped;
    }
    if (fflush(stdout) || ferror(stdout)) status = 1;
    return status;
}
