/* fault_util.h — walks a sequence through every allocation failure: for
 * N = 1, 2, ... the N-th host allocation fails (base/mem.h); each run must
 * report FD_ERR_NOMEM with a message (LeakSanitizer checks nothing leaks),
 * until N passes the sequence's last allocation and it succeeds. */
#ifndef FD_TEST_FAULT_UTIL_H
#define FD_TEST_FAULT_UTIL_H

#include "check.h"
#include "base/mem.h"

/* seq runs the whole sequence, writing its first failure's message to msg. */
typedef fd_status (*fault_seq)(char *msg, size_t cap);

static inline void fault_walk(const char *what, fault_seq seq)
{
    char msg[1100];
    int failures = 0;
    long n;
    for (n = 1; n < 10000; n++) {
        msg[0] = 0;
        fd_mem_fail_after(n, 0);
        fd_status st = seq(msg, sizeof msg);
        fd_mem_fail_after(0, 0);
        if (st == FD_OK) break;
        failures++;
        if (st != FD_ERR_NOMEM || !msg[0]) {
            fprintf(stderr, "%s: allocation %ld: %s, message \"%s\"\n", what, n, fd_status_name(st), msg);
            CHECK(st == FD_ERR_NOMEM && msg[0]);
        }
    }
    printf("%s: %d injected allocation failures, each reported; succeeds from allocation %ld on\n", what, failures, n);
    CHECK(failures > 5);
    CHECK(n < 10000);
}

#endif
