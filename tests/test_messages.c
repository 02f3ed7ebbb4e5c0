/* test_messages.c — messages that say the real reason (issue 22, class 6):
 * missing vs permission denied vs not a directory; a GGUF without a
 * tokenizer says so; an architecture string is printed escaped. (The GPU
 * minimum is test_cuda_backend's test_min_arch, the cache folder warned once
 * test_special_files', skips reported as skips test_harness.) */
#include <sys/stat.h>
#include <sys/wait.h>
#include "check.h"
#include "cli_util.h"
#include "foundry/gguf.h"
#include "foundry/model.h"
#include "foundry/tokenizer.h"
#include "model_util.h"

static char *dir;

static void setup(void) { dir = temp_dir("messages"); }

static fd_status model_error(const char *path, fd_error *err)
{
    fd_model *m = NULL;
    fd_model_options o = { 0 };
    fd_status st = fd_model_open(path, &o, &m, err);
    fd_model_close(m);
    return st;
}

static void test_missing_vs_not_a_directory(void)
{
    char *file = path_in(dir, "plain.txt"), *under = path_in(dir, "plain.txt/model.gguf");
    char *gone = path_in(dir, "nothing/model.gguf");
    fd_error err = { 0 };
    write_text(dir, "plain.txt", "x");
    CHECK_EQ(model_error(gone, &err), FD_ERR_IO);
    CHECK_CONTAINS(err.msg, "No such file or directory");
    fd_error_clear(&err);
    CHECK_EQ(model_error(under, &err), FD_ERR_IO);
    CHECK_CONTAINS(err.msg, "Not a directory");
    fd_tokenizer *t = NULL;
    fd_error_clear(&err);
    CHECK_EQ(fd_tokenizer_load(gone, &t, &err), FD_ERR_IO);
    CHECK_CONTAINS(err.msg, "No such file or directory");
    fd_error_clear(&err);
    CHECK_EQ(fd_tokenizer_load(under, &t, &err), FD_ERR_IO);
    CHECK_CONTAINS(err.msg, "Not a directory");
    cli_io io = { 0 };
    CHECK_EQ(cli_run(&io, "template", "-m", gone, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "No such file or directory");
    CHECK_EQ(cli_run(&io, "template", "-m", under, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "Not a directory");
    free(file), free(under), free(gone);
}

/* Permission denied, as an unprivileged user (root reads everything: drop to nobody in a child). */
static void test_permission_denied(void)
{
    char *d = path_in(dir, "locked"), *cfg;
    mkdir(d, 0755);
    write_tiny_hf(d, &TINY, 7);
    write_tiny_tokenizer(d, TINY.V);
    cfg = path_in(d, "config.json");
    CHECK_EQ(chmod(cfg, 0), 0);
    chmod(dir, 0755);
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        fd_error err = { 0 };
        if (geteuid() == 0 && setuid(65534) != 0) _exit(77);
        fd_status st = model_error(d, &err);
        (void)!write(pfd[1], err.msg, strlen(err.msg));
        _exit(st == FD_ERR_IO ? 0 : 1);
    }
    close(pfd[1]);
    char msg[1024] = "";
    ssize_t n = read(pfd[0], msg, sizeof msg - 1);
    msg[n > 0 ? n : 0] = 0;
    close(pfd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        free(cfg), free(d);
        SKIP("cannot drop root privileges");
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_CONTAINS(msg, "config.json");
    CHECK_CONTAINS(msg, "Permission denied");
    chmod(cfg, 0644);
    free(cfg), free(d);
}

/* A GGUF with only the given architecture string and no tokenizer keys. */
static char *write_gguf(const char *name, const char *arch)
{
    char *p = path_in(dir, name);
    fd_gguf_writer *w = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_gguf_writer_create(&w, &err), &err);
    CHECK_OK(fd_gguf_writer_add_str(w, "general.architecture", arch, &err), &err);
    CHECK_OK(fd_gguf_writer_write(w, p, &err), &err);
    fd_gguf_writer_destroy(w);
    return p;
}

static void test_gguf_without_tokenizer(void)
{
    char *p = write_gguf("notok.gguf", "qwen2");
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_EQ(fd_tokenizer_load(p, &t, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "has no tokenizer");
    cli_io io = { 0 };
    CHECK_EQ(cli_run(&io, "tokenize", "-m", p, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "this GGUF file has no tokenizer");
    CHECK(!strstr(io.err, "not found"));
    free(p);
}

static void test_arch_escaped(void)
{
    char *p = write_gguf("evil.gguf", "\x1b[2J\x1b]0;pwned\x07qwen\n2");
    fd_error err = { 0 };
    CHECK_EQ(model_error(p, &err), FD_ERR_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "architecture '\\x1b[2J\\x1b]0;pwned\\x07qwen\\x0a2' is not supported");
    CHECK(!strchr(err.msg, 0x1b) && !strchr(err.msg, '\n'));
    char *out = path_in(dir, "info.txt");
    cli_io io = { .out = out };
    CHECK_EQ(cli_run(&io, "info", "--keys", p, (char *)NULL), 0);   /* described from its metadata */
    size_t n = 0;
    char *txt = read_all(out, &n);
    CHECK(txt && n);
    for (size_t i = 0; txt && i < n; i++)
        if (txt[i] == 0x1b || txt[i] == 0x07) {
            CHECK(!"a raw control character reached the terminal");
            break;
        }
    free(txt), free(out), free(p);
}

static void teardown(void) { rm_tree(dir); }

TEST_MAIN(setup, test_missing_vs_not_a_directory, test_permission_denied, test_gguf_without_tokenizer,
          test_arch_escaped, teardown)
