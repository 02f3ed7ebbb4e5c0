/* test_template_suite.c — the chat-template suite (../shared/chat-template-suite:
 * 99 real templates x 31 conversations with jinja2's renderings) run through
 * `foundry template` by the suite's own check.sh; fails unless its last line
 * reads WRONG 0, CRASH 0 and REFUSED <= 10. Skips (77) when the suite or
 * python3 is absent. Takes about 20-40 s on 2 cores (3,069 foundry runs).
 * Built with AddressSanitizer (make asan) each run is several times slower,
 * so there it checks the templates that use the rarer constructs (call and
 * filter blocks, star arguments, sorting, Markup, named lists: SANITIZED)
 * rather than all 99, keeping `make asan` within its time.
 *
 * check.sh (written before foundry had --documents) passes a conversation's
 * documents inside --vars, which foundry refuses as transformers refuses a
 * duplicate keyword. So check.sh is given this program as its FOUNDRY: called
 * as `prog template ARGS...` it moves "documents" from the --vars object to
 * --documents and execs the real foundry; nothing else is changed, and the
 * comparison with jinja2's bytes is check.sh's own. */
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"

#define SUITE FD_SOURCE_DIR "/../shared/chat-template-suite"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED " jamba-large-1.6 minicpm3-4b seed-oss-36b gemma-4-31b-it functionary-medium-v3.1 command-r7b-named" \
                  " firefunction-v2 qwen2.5-7b-instruct"
#else
#define SANITIZED ""
#endif

/* `prog template ...`: the --vars rewrite, then exec foundry. Returns only on failure. */
static int adapter(int argc, char **argv)
{
    char **av = calloc((size_t)argc + 3, sizeof *av);
    int k = 0;
    if (!av) return 3;
    av[k++] = FD_FOUNDRY_BIN;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--vars") && i + 1 < argc) {
            json_error_t je;
            json_t *v = json_loads(argv[i + 1], 0, &je), *d = v ? json_object_get(v, "documents") : NULL;
            if (d) {
                av[k++] = "--documents";
                av[k++] = json_dumps(d, JSON_COMPACT | JSON_ENSURE_ASCII);
                json_object_del(v, "documents");
            }
            if (!v || json_object_size(v)) {
                av[k++] = argv[i];
                av[k++] = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : argv[i + 1];
            }
            json_decref(v);
            i++;
            continue;
        }
        av[k++] = argv[i];
    }
    execv(FD_FOUNDRY_BIN, av);
    perror("test_template_suite: exec foundry");
    return 3;
}

static char self[PATH_MAX];

static void test_suite(void)
{
    char cmd[PATH_MAX * 2 + 64], line[4096], last[4096] = "";
    int same = -1, total = -1, refused = -1, wrong = -1, crash = -1;
    if (access(SUITE "/check.sh", R_OK)) SKIP("no %s (the suite lives beside the repository)", SUITE "/check.sh");
    if (system("python3 -c '' 2>/dev/null")) SKIP("no python3 (check.sh needs it)");
    snprintf(cmd, sizeof cmd, "bash '%s/check.sh' '%s'%s 2>&1", SUITE, self, SANITIZED);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    if (!p) return;
    while (fgets(line, sizeof line, p)) {
        fputs(line, stdout);   /* the per-template table and every non-identical case, for the CTest log */
        if (line[0] != '\n') memcpy(last, line, sizeof line);
    }
    CHECK_EQ(pclose(p), 0);
    CHECK(sscanf(last, "IDENTICAL %d/%d, REFUSED %d, WRONG %d, CRASH %d", &same, &total, &refused, &wrong, &crash) == 5);
    CHECK(total >= (SANITIZED[0] ? 31 * 8 : 3000));
    CHECK_EQ(wrong, 0);
    CHECK_EQ(crash, 0);
    CHECK(refused >= 0 && refused <= 10);
}

int main(int argc, char **argv)
{
    check_test_fn tests[] = { test_suite };
    if (argc > 1 && !strcmp(argv[1], "template")) return adapter(argc, argv);
    if (!realpath("/proc/self/exe", self)) {
        perror("test_template_suite: /proc/self/exe");
        return 1;
    }
    return check_main_(tests, 1, "test_suite", argc > 1 ? argv[1] : NULL);
}
