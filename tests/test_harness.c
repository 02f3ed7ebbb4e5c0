/* test_harness.c — the test harness itself (issue 22, class 6): a program
 * whose tests all skip exits 77, which CTest shows as skipped, not passed;
 * one test can be run by name; an unknown name is an error. */
#include "check.h"

static int ran_setup, ran_skip;
static void setup(void) { ran_setup++; }
static void needs_gpu(void) { ran_skip++; SKIP("no GPU (a stand-in)"); }
static void plain(void) { CHECK(1); }

static void test_exit_codes(void)
{
    check_test_fn all[] = { setup, needs_gpu, plain };
    int skips = check_skips;
    CHECK_EQ(check_main_(all, 3, "setup, needs_gpu, plain", "needs_gpu"), 77);
    CHECK_EQ(ran_setup, 1);
    CHECK_EQ(ran_skip, 1);
    CHECK_EQ(check_main_(all, 3, "setup, needs_gpu, plain", "plain"), 0);
    CHECK_EQ(ran_skip, 1);   /* not run again */
    CHECK_EQ(check_main_(all, 3, "setup, needs_gpu, plain", NULL), 0);   /* one of two skipped: passed */
    CHECK_EQ(check_main_(all, 3, "setup, needs_gpu, plain", "nothing"), 2);
    CHECK_EQ(ran_setup, 3);
    check_skips = skips;
}

TEST_MAIN(test_exit_codes)
