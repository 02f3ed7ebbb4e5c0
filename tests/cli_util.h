/* cli_util.h — runs the `foundry` program for a test: arguments as a NULL-
 * terminated list, stdin and stdout redirected to files, stderr captured, and
 * a time limit so a command that would hang fails the test instead.
 *
 * Tests only; every function is static. */
#ifndef FD_TEST_CLI_UTIL_H
#define FD_TEST_CLI_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLI_HUNG (-100)   /* cli_run's answer when the command outlived its limit (then killed) */

typedef struct cli_io {
    const char *in;      /* file for stdin; NULL: /dev/null */
    const char *out;     /* file for stdout; NULL: /dev/null */
    double limit_s;      /* 0: 20 s */
    long fsize;          /* > 0: RLIMIT_FSIZE in bytes (a "full disk"), SIGXFSZ ignored */
    char err[4096];      /* stderr, NUL-terminated (truncated) */
} cli_io;

/* Runs FD_FOUNDRY_BIN with the arguments after `io` (NULL-terminated); returns
 * its exit status, 128 + signal when killed by one, or CLI_HUNG. */
static inline int cli_run(cli_io *io, ...)
{
    const char *argv[64];
    int n = 0, pfd[2], status = 0;
    va_list ap;
    argv[n++] = FD_FOUNDRY_BIN;
    va_start(ap, io);
    for (const char *a; n < 63 && (a = va_arg(ap, const char *));) argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    io->err[0] = 0;
    if (pipe(pfd)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int in = open(io->in ? io->in : "/dev/null", O_RDONLY);
        int out = open(io->out ? io->out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0) _exit(126);
        if (io->fsize > 0) {
            struct rlimit rl = { (rlim_t)io->fsize, (rlim_t)io->fsize };
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        dup2(in, 0), dup2(out, 1), dup2(pfd[1], 2);
        close(pfd[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    size_t len = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        ssize_t r;
        char junk[512];
        while ((r = read(pfd[0], len + 1 < sizeof io->err ? io->err + len : junk,
                         len + 1 < sizeof io->err ? sizeof io->err - 1 - len : sizeof junk)) > 0)
            if (len + 1 < sizeof io->err) len += (size_t)r;
        io->err[len] = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) break;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9 > (io->limit_s > 0 ? io->limit_s : 20)) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            close(pfd[0]);
            return CLI_HUNG;
        }
        usleep(2000);
    }
    ssize_t r;
    while (len + 1 < sizeof io->err && (r = read(pfd[0], io->err + len, sizeof io->err - 1 - len)) > 0) len += (size_t)r;
    io->err[len] = 0;
    close(pfd[0]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Number of lines in s (a last line without '\n' counts). */
static inline int cli_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n' || s[1] == 0;
    return n;
}

#endif
