/* cli.h — the commands of the `foundry` program and the helpers they share.
 *
 * Layer: cli (the only layer that prints for the user or exits). Each command
 * lives in its own cmd_<name>.c and is listed in main.c's table. A command
 * returns the process exit status: 0 success, 1 failure (the message already
 * printed), 2 bad usage. */
#ifndef FD_CLI_H
#define FD_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "foundry/status.h"

typedef int (*cli_cmd_fn)(int argc, char **argv);   /* argv[0] is the command name */

int cmd_selftest(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_kernels(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* Prints "foundry <cmd>: <status>: <msg>" to stderr and returns 1. Every
 * message of a command reads "foundry <cmd>: ..." on one line. */
int cli_fail(const char *cmd, fd_status st, const fd_error *err);

/* All of `in` into *out (NUL-terminated, *n bytes without the NUL), which the
 * caller frees with fd_free; -1 on a read error or no memory (*out untouched). */
int cli_read_all(FILE *in, char **out, size_t *n);

/* args.c. Prints "foundry <cmd>: <message> (see `foundry <cmd> --help`)" on
 * one line to stderr and returns 2, the exit status of bad usage. */
int cli_usage_error(const char *cmd, const char *fmt, ...) FD_PRINTF(2, 3);
/* "unknown option" or "unexpected argument" for `arg`; returns 2. */
int cli_unknown(const char *cmd, const char *arg);
/* The value of option argv[*i] (advancing *i), or NULL after a usage error
 * when it is the last argument. */
const char *cli_value(const char *cmd, int argc, char **argv, int *i);
/* Parses a strictly decimal unsigned number in [lo, hi] ("12", not "12x",
 * "-1", " 1" or ""), or a number in [lo, hi] (not NaN); 0 on success, else
 * prints a usage error naming `opt` and returns 2. */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int cli_parse_float(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);
/* Flushes stdout; a write error (a full disk, a closed pipe) is reported and
 * turns the exit status `rc` into 1 when it was 0. */
int cli_check_stdout(const char *cmd, int rc);   /* cmd NULL: "foundry: ..." (no command) */

#endif
