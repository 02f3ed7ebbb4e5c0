/* check.h — the tiny test harness every tests/test_*.c uses.
 *
 * CHECK(cond) and CHECK_EQ / CHECK_NEAR print file, line and both values on
 * failure and count it; TEST_MAIN runs the listed tests and exits non-zero if
 * any check failed. SKIP(msg) ends a test early, saying why (CTest sees the
 * skip through the exit code 77 when every test run skipped: one test, when
 * a program's tests are registered one by one). */
#ifndef FD_TEST_CHECK_H
#define FD_TEST_CHECK_H

#include <inttypes.h>
#include <stddef.h>
#include "foundry/status.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_skips;
static int check_count;

#define CHECK(c) do { check_count++; if (!(c)) { check_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECK_EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); check_count++; \
    if (a_ != b_) { check_failures++; fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
    __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (double)(a), b_ = (double)(b); check_count++; \
    if (!(fabs(a_ - b_) <= (tol))) { check_failures++; fprintf(stderr, \
    "%s:%d: |%s - %s| <= %g failed: %.9g vs %.9g\n", __FILE__, __LINE__, #a, #b, (double)(tol), a_, b_); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); check_count++; \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) { check_failures++; fprintf(stderr, \
    "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)
/* The status is FD_OK; otherwise print it and the message in `errp` (an fd_error*, may be NULL). */
static inline const char *check_msg_(const void *errp) { return errp ? ((const char *)errp) + offsetof(fd_error, msg) : ""; }
#define CHECK_OK(expr, errp) do { fd_status st_ = (expr); check_count++; if (st_ != FD_OK) { check_failures++; \
    fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #expr, fd_status_name(st_), \
    check_msg_(errp)); } } while (0)
#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay); check_count++; \
    if (!h_ || !strstr(h_, (needle))) { check_failures++; fprintf(stderr, \
    "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, h_ ? h_ : "(null)", (needle)); } } while (0)
#define SKIP(...) do { check_skips++; fprintf(stderr, "SKIP %s: ", __func__); \
    fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); return; } while (0)

typedef void (*check_test_fn)(void);

/* Runs tests[0..n) (their names, comma separated, in `names`), or with `only`
 * just the test of that name between the ones named setup and teardown, if
 * any. Exit status: 1 on a failed check, 77 (CTest's skip) when every test
 * run skipped, 2 for an unknown name, else 0. */
static inline int check_main_(check_test_fn *tests, size_t n, const char *names, const char *only)
{
    char buf[4096], *name[256] = { 0 };
    size_t k = 0, run = 0, skipped = 0;
    snprintf(buf, sizeof buf, "%s", names);
    for (char *p = strtok(buf, ", \t\n"); p && k < 256; p = strtok(NULL, ", \t\n")) name[k++] = p;
    if (k != n) only = NULL;   /* names not parsed: run all */
    if (only) {
        size_t i = 0;
        while (i < n && strcmp(name[i], only)) i++;
        if (i == n) {
            fprintf(stderr, "no test named %s in %s\n", only, names);
            return 2;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const char *nm = i < k ? name[i] : "";
        int fixture = !strcmp(nm, "setup") || !strcmp(nm, "teardown");
        if (only && !fixture && strcmp(nm, only)) continue;
        int before = check_skips;
        tests[i]();
        if (!fixture) run++, skipped += check_skips > before;
    }
    printf("%s: %zu tests, %d checks, %d failed, %zu skipped\n", only ? only : names, run, check_count, check_failures,
           skipped);
    return check_failures ? 1 : (run && skipped == run) ? 77 : 0;
}

/* TEST_MAIN(test_a, test_b, ...): `prog` runs them all, `prog test_b` one
 * (CMake registers one CTest entry per test of a program that can skip). */
#define TEST_MAIN(...) int main(int argc, char **argv) { \
    check_test_fn tests_[] = { __VA_ARGS__ }; \
    return check_main_(tests_, sizeof tests_ / sizeof tests_[0], #__VA_ARGS__, argc > 1 ? argv[1] : NULL); }

/* Relative error ||a - b|| / ||b|| over n floats (b the reference). */
static inline double rel_err(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        if (isnan(a[i]) || isnan(b[i])) return INFINITY;
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* A small deterministic generator; tests seed it from the clock and print the seed. */
static inline uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return *s;
}
static inline float rng_uniform(uint64_t *s) /* [-1, 1) */
{
    return (float)((rng_next(s) >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

#endif
