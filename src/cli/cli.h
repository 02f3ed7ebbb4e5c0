/* cli.h — the commands of the `foundry` program and the helpers they share.
 *
 * Layer: cli (the only layer that prints for the user or exits). Each command
 * lives in its own cmd_<name>.c and is listed in main.c's table. A command
 * returns the process exit status: 0 success, 1 failure (the message already
 * printed), 2 bad usage. */
#ifndef FD_CLI_H
#define FD_CLI_H

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

/* Prints "foundry: <what>: <status>: <msg>" to stderr and returns 1. */
int cli_fail(const char *what, fd_status st, const fd_error *err);

/* All of `in` into *out (NUL-terminated, *n bytes without the NUL), which the
 * caller frees with fd_free; -1 on a read error or no memory (*out untouched). */
int cli_read_all(FILE *in, char **out, size_t *n);

#endif
