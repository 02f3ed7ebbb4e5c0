/* test_special_files.c — files that are not regular files (issue 22, class
 * 3): a FIFO, a device or a socket given as a model, tokenizer or config, or
 * found in the kernel cache folder, is an error (or a cache miss) at once,
 * never a hang; a cache-folder problem is warned once, not once per kernel. */
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "check.h"
#include "cli_util.h"
#include "foundry/tokenizer.h"
#include "backend/cuda/kcache_disk.h"
#include "model_util.h"

static char *dir;

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_special_files: hung on a FIFO\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(1);
}

static void setup(void)
{
    signal(SIGALRM, on_alarm);
    alarm(120);   /* a hang in the library calls below fails the test instead of waiting for CTest */
    dir = temp_dir("special");
}

/* A folder like the tiny model, with `name` replaced by a FIFO. */
static char *model_with_fifo(const char *name)
{
    char *d = path_in(dir, name), *p;
    mkdir(d, 0755);
    write_tiny_hf(d, &TINY, 5);
    write_tiny_tokenizer(d, TINY.V);
    p = path_in(d, name);
    unlink(p);
    CHECK_EQ(mkfifo(p, 0644), 0);
    free(p);
    return d;
}

static void test_fifo_as_model(void)
{
    char *fifo = path_in(dir, "m.gguf");
    cli_io io = { .limit_s = 15 };
    CHECK_EQ(mkfifo(fifo, 0644), 0);
    CHECK_EQ(cli_run(&io, "info", fifo, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a FIFO, not a regular file");
    CHECK_EQ(cli_run(&io, "tokenize", "-m", fifo, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a FIFO");
    CHECK_EQ(cli_run(&io, "convert", fifo, "/tmp/never.gguf", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a FIFO");
    CHECK_EQ(cli_run(&io, "template", "-m", fifo, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a FIFO");
    CHECK_EQ(cli_run(&io, "eval", "-m", fifo, "--tokens", "1", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a FIFO");
    CHECK_EQ(cli_run(&io, "info", "/dev/null", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a character device, not a regular file");
    CHECK_EQ(cli_run(&io, "tokenize", "-m", "/dev/zero", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a character device");
    free(fifo);
}

static void test_socket_as_model(void)
{
    char *sock = path_in(dir, "s.gguf");
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    cli_io io = { .limit_s = 15 };
    CHECK_EQ(cli_run(&io, "info", sock, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a socket");
    close(s);
    free(sock);
}

static void test_fifo_in_folder(void)
{
    static const struct { const char *name, *cmd; } cases[] = {
        { "config.json", "info" }, { "model.safetensors", "info" }, { "tokenizer.json", "info" },
        { "tokenizer_config.json", "info" }, { "generation_config.json", "info" },
        { "tokenizer.json", "tokenize" }, { "tokenizer_config.json", "tokenize" }, { "config.json", "convert" },
        { "chat_template.jinja", "template" }, { "tokenizer_config.json", "template" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *d = model_with_fifo(cases[i].name), *out = path_in(d, "o.gguf");
        cli_io io = { .limit_s = 15 };
        int rc = !strcmp(cases[i].cmd, "tokenize") ? cli_run(&io, "tokenize", "-m", d, (char *)NULL)
                 : !strcmp(cases[i].cmd, "template") ? cli_run(&io, "template", "-m", d, (char *)NULL)
                 : !strcmp(cases[i].cmd, "convert") ? cli_run(&io, "convert", d, out, "--quiet", (char *)NULL)
                 : cli_run(&io, "info", d, (char *)NULL);
        CHECK_EQ(rc, 1);
        CHECK_CONTAINS(io.err, cases[i].name);
        CHECK_CONTAINS(io.err, "is a FIFO, not a regular file");
        free(out);
        rm_tree(d);
    }
    /* the library, directly */
    char *d = model_with_fifo("tokenizer.json"), *tj = path_in(d, "tokenizer.json");
    fd_tokenizer *t = NULL;
    fd_error err = { 0 };
    CHECK_EQ(fd_tokenizer_load_json(tj, NULL, &t, &err), FD_ERR_IO);
    CHECK_CONTAINS(err.msg, "is a FIFO");
    free(tj);
    rm_tree(d);
}

typedef struct { int warnings; char last[1024]; } logbuf;
static void capture(void *u, fd_log_level l, const char *m)
{
    logbuf *b = u;
    if (l >= FD_LOG_WARN) b->warnings++, snprintf(b->last, sizeof b->last, "%s", m);
}

static void test_kernel_cache_folder(void)
{
    char *cd = path_in(dir, "kcache"), path[1200];
    fd_kcache_disk dc;
    logbuf lb = { 0, "" };
    void *data;
    size_t size;
    int regs, spills;
    mkdir(cd, 0755);
    fd_kcd_open(&dc, cd, capture, &lb);
    /* FIFOs and a folder among the entries: misses at once, one warning for all of them */
    for (uint64_t key = 1; key <= 5; key++) {
        CHECK(fd_kcd_path(&dc, key, path, sizeof path));
        if (key == 5) CHECK_EQ(mkdir(path, 0755), 0);
        else CHECK_EQ(mkfifo(path, 0644), 0);
    }
    for (uint64_t key = 1; key <= 5; key++) CHECK_EQ(fd_kcd_get(&dc, key, &data, &size, &regs, &spills), 0);
    CHECK_EQ(lb.warnings, 1);
    CHECK_CONTAINS(lb.last, "not a regular file");
    CHECK(fd_kcd_path(&dc, 1, path, sizeof path) && access(path, F_OK) != 0);   /* the FIFO was removed */
    /* entries that cannot be opened (symbolic link loops): one warning */
    fd_kcd_open(&dc, cd, capture, &lb);
    lb.warnings = 0;
    for (uint64_t key = 11; key <= 14; key++) {
        CHECK(fd_kcd_path(&dc, key, path, sizeof path));
        CHECK_EQ(symlink(path, path), 0);
    }
    for (uint64_t key = 11; key <= 14; key++) CHECK_EQ(fd_kcd_get(&dc, key, &data, &size, &regs, &spills), 0);
    CHECK_EQ(lb.warnings, 1);
    CHECK_CONTAINS(lb.last, "not readable");
    free(cd);
}

static void teardown(void)
{
    alarm(0);
    rm_tree(dir);
}

TEST_MAIN(setup, test_fifo_as_model, test_socket_as_model, test_fifo_in_folder, test_kernel_cache_folder, teardown)
