/* args.c — the argument helpers every command shares: a one-line usage error
 * (exit status 2), an option's value, strict bounded numbers, and the check
 * that standard output was written.
 *
 * Layer: cli. Messages read "foundry <command>: <what>" on one line. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "foundry %s: ", cmd);
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

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = s && *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
    if (!s || *s < '0' || *s > '9' || *end || errno || v < lo || v > hi)
        return cli_usage_error(cmd, "%s needs a whole number from %llu to %llu, not '%s'", opt, (unsigned long long)lo,
                               (unsigned long long)hi, s ? s : "");
    *out = v;
    return 0;
}

int cli_parse_float(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = s && *s ? strtod(s, &end) : NAN;
    if (!s || !*s || *end || errno || !(v >= lo && v <= hi))
        return cli_usage_error(cmd, "%s needs a number from %g to %g, not '%s'", opt, lo, hi, s ? s : "");
    *out = v;
    return 0;
}

int cli_unknown(const char *cmd, const char *arg)
{
    if (arg[0] == '-' && arg[1]) return cli_usage_error(cmd, "unknown option '%s'", arg);
    return cli_usage_error(cmd, "unexpected argument '%s'", arg);
}

int cli_check_stdout(const char *cmd, int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return rc;
    fprintf(stderr, "foundry%s%s: cannot write standard output: %s\n", cmd ? " " : "", cmd ? cmd : "",
            errno ? strerror(errno) : "write error");
    return rc ? rc : 1;
}
