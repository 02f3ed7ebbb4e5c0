/* args.c — the argument helpers every command shares: a one-line usage error
 * (exit status 2), an option's value, strict bounded integers, and the check
 * that standard output was written.
 *
 * Layer: cli. Messages read "foundry: <command>: <what>" on one line. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "foundry: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see `foundry %s --help`)\n", cmd);
    return 2;
}

const char *cli_value(const char *cmd, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    if (!s || !*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9'))) return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_int_option(const char *cmd, const char *opt, const char *s, long min, long max, long *out)
{
    if (cli_parse_long(s, min, max, out) == 0) return 0;
    cli_usage_error(cmd, "%s '%s' is not a whole number in %ld..%ld", opt, s, min, max);
    return -1;
}

int cli_unknown(const char *cmd, const char *arg)
{
    if (arg[0] == '-' && arg[1]) return cli_usage_error(cmd, "unknown option '%s'", arg);
    return cli_usage_error(cmd, "unexpected argument '%s'", arg);
}

int cli_check_stdout(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return rc;
    fprintf(stderr, "foundry: cannot write standard output: %s\n", errno ? strerror(errno) : "write error");
    return rc ? rc : 1;
}
