/* test_readme.c — README.md a user can trust (issue 22, class 8): every
 * command of `foundry --help` and every option that its --help prints is in
 * the README, and every repository file the README names exists. */
#include <ctype.h>
#include "check.h"
#include "cli_util.h"
#include "model_util.h"

static char *readme;

static void setup(void)
{
    size_t n = 0;
    readme = read_all(FD_SOURCE_DIR "/README.md", &n);
    if (readme) readme[n] = 0;
}

static void test_help_options_in_readme(void)
{
    char out[] = "/tmp/fd_readme_XXXXXX", cmds[32][32];
    int fd = mkstemp(out), ncmd = 0;
    CHECK(readme != NULL && fd >= 0);
    if (!readme || fd < 0) return;
    close(fd);
    /* the commands, from `foundry --help`'s list ("  NAME  summary" lines after "commands:") */
    cli_io top = { .out = out };
    CHECK_EQ(cli_run(&top, "--help", (char *)NULL), 0);
    size_t tn = 0;
    char *list = read_all(out, &tn), *at = list ? (list[tn] = 0, strstr(list, "commands:\n")) : NULL;
    for (char *line = at ? strchr(at, '\n') + 1 : NULL; line && line[0] == ' ' && ncmd < 32;) {
        if (sscanf(line, " %31s", cmds[ncmd]) == 1) {
            char needle[64];
            snprintf(needle, sizeof needle, "foundry %s", cmds[ncmd]);
            if (!strstr(readme, needle)) {
                check_failures++;
                fprintf(stderr, "README.md lacks the command `%s`\n", needle);
            }
            ncmd++;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    free(list);
    CHECK(ncmd >= 5);
    for (int c = 0; c < ncmd; c++) {
        cli_io io = { .out = out };
        CHECK_EQ(cli_run(&io, cmds[c], "--help", (char *)NULL), 0);
        size_t n = 0;
        char *help = read_all(out, &n);
        if (!help) continue;
        help[n] = 0;
        int options = 0;
        for (char *p = help; *p; p++) {
            if (*p != '-' || (p > help && !isspace((unsigned char)p[-1]) && p[-1] != '[' && p[-1] != '|') ||
                !(isalpha((unsigned char)p[1]) || (p[1] == '-' && isalpha((unsigned char)p[2]))))
                continue;
            char opt[64];
            size_t k = 0;
            while (k < sizeof opt - 1 && (isalnum((unsigned char)p[k]) || p[k] == '-')) opt[k] = p[k], k++;
            opt[k] = 0;
            options++;
            if (!strstr(readme, opt)) {
                check_failures++;
                fprintf(stderr, "README.md lacks `foundry %s` option %s\n", cmds[c], opt);
            }
            p += k - 1;
        }
        CHECK(options > 0);
        free(help);
    }
    unlink(out);
}

static void test_named_files_exist(void)
{
    static const char *const roots[] = { "docs/", "tools/", "tests/", "src/", "include/", "bench/", ".ci/" };
    CHECK(readme != NULL);
    if (!readme) return;
    CHECK(!strstr(readme, "`DESIGN.md`"));   /* the architecture document is docs/DESIGN.md */
    for (const char *p = readme; *p; p++) {
        size_t r = 0;
        while (r < sizeof roots / sizeof roots[0] && strncmp(p, roots[r], strlen(roots[r]))) r++;
        if (r == sizeof roots / sizeof roots[0] || (p > readme && (isalnum((unsigned char)p[-1]) || p[-1] == '/')))
            continue;
        char path[256], full[512];
        size_t k = 0;
        while (k < sizeof path - 1 && (isalnum((unsigned char)p[k]) || strchr("._/-", p[k]))) path[k] = p[k], k++;
        while (k && (path[k - 1] == '.' || path[k - 1] == '/')) k--;   /* a sentence's full stop, a folder's slash */
        path[k] = 0;
        snprintf(full, sizeof full, "%s/%s", FD_SOURCE_DIR, path);
        if (access(full, F_OK) != 0) {
            check_failures++;
            fprintf(stderr, "README.md names %s, which is not in the repository\n", path);
        }
        p += k ? k - 1 : 0;
    }
}

static void teardown(void) { free(readme); }

TEST_MAIN(setup, test_help_options_in_readme, test_named_files_exist, teardown)
