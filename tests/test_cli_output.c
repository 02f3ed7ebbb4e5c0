/* test_cli_output.c — what a command writes (issue 22, class 2): `convert`
 * never writes onto one of its own inputs nor replaces a device, FIFO, link
 * or folder; write errors on stdout and on the output file give a non-zero
 * exit status and leave no partial file. */
#include <sys/stat.h>
#include "check.h"
#include "cli_util.h"
#include "base/util.h"
#include "model_util.h"

static char *dir;

static void setup(void)
{
    dir = temp_dir("cli_output");
    write_tiny_hf(dir, &TINY, 3);
    write_tiny_tokenizer(dir, TINY.V);
}

/* Size and a checksum of a file, to see that it was left alone. */
static uint64_t fingerprint(const char *path)
{
    size_t n = 0;
    uint8_t *p = read_all(path, &n);
    uint64_t h = 1469598103934665603ull ^ n;
    for (size_t i = 0; p && i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    free(p);
    return p ? h : 0;
}

/* No "<name>.tmp.*" left in dir. */
static int no_temp_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int clean = 1;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) clean = 0;
    if (d) closedir(d);
    return clean;
}

static void test_never_onto_inputs(void)
{
    static const char *const inputs[] = { "model.safetensors", "config.json", "tokenizer.json" };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *p = path_in(dir, inputs[i]);
        uint64_t before = fingerprint(p);
        cli_io io = { 0 };
        CHECK(before != 0);
        CHECK_EQ(cli_run(&io, "convert", dir, p, "--quiet", (char *)NULL), 1);
        CHECK_CONTAINS(io.err, "is the model's own");
        CHECK(fingerprint(p) == before);
        free(p);
    }
    /* a GGUF onto itself, also by another name (a hard link) */
    char *g = path_in(dir, "self.gguf"), *h = path_in(dir, "hard.gguf");
    cli_io io = { 0 };
    CHECK_EQ(cli_run(&io, "convert", dir, g, "--quiet", (char *)NULL), 0);
    uint64_t before = fingerprint(g);
    CHECK_EQ(cli_run(&io, "convert", g, g, "--quiet", "--dtype", "q8_0", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is the model's own");
    CHECK_EQ(link(g, h), 0);
    CHECK_EQ(cli_run(&io, "convert", g, h, "--quiet", "--dtype", "q8_0", (char *)NULL), 1);
    CHECK(fingerprint(g) == before);
    CHECK(no_temp_files());
    unlink(h);
    unlink(g);
    free(g);
    free(h);
}

static void test_never_replaces_special_files(void)
{
    char *fifo = path_in(dir, "out.fifo"), *lnk = path_in(dir, "out.link"), *sub = path_in(dir, "out.dir");
    char *target = path_in(dir, "target.gguf");
    struct stat st;
    cli_io io = { .limit_s = 20 };
    CHECK_EQ(mkfifo(fifo, 0644), 0);
    CHECK_EQ(cli_run(&io, "convert", dir, fifo, "--quiet", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a FIFO, not replaced");
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_EQ(symlink(target, lnk), 0);
    CHECK_EQ(cli_run(&io, "convert", dir, lnk, "--quiet", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a symbolic link, not replaced");
    CHECK(lstat(lnk, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(access(target, F_OK) != 0);
    CHECK_EQ(mkdir(sub, 0755), 0);
    CHECK_EQ(cli_run(&io, "convert", dir, sub, "--quiet", (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "is a folder, not replaced");
    CHECK(no_temp_files());
    /* a device: checked before anything is created (never rename onto /dev/null in a test) */
    fd_error err = { 0 };
    CHECK_EQ(fd_check_output_path("/dev/null", &err), FD_ERR_IO);
    CHECK_CONTAINS(err.msg, "is a character device, not replaced");
    CHECK_EQ(fd_check_output_path(target, NULL), FD_OK);   /* absent: fine */
    unlink(fifo), unlink(lnk), rmdir(sub);
    free(fifo), free(lnk), free(sub), free(target);
}

static void test_full_disk(void)
{
    char *out = path_in(dir, "full.gguf");
    cli_io io = { .fsize = 4096 };
    int rc = cli_run(&io, "convert", dir, out, "--quiet", (char *)NULL);
    CHECK_EQ(rc, 1);
    CHECK_CONTAINS(io.err, "write failed");
    CHECK(access(out, F_OK) != 0);   /* no truncated file */
    CHECK(no_temp_files());
    /* an older good file under that name survives a failed rewrite */
    CHECK_EQ(cli_run(&(cli_io){ 0 }, "convert", dir, out, "--quiet", (char *)NULL), 0);
    uint64_t before = fingerprint(out);
    CHECK_EQ(cli_run(&io, "convert", dir, out, "--quiet", "--dtype", "f32", (char *)NULL), 1);
    CHECK(fingerprint(out) == before);
    unlink(out);
    free(out);
}

static void test_stdout_errors(void)
{
    char *tok = path_in(dir, "tokenizer.json"), *text = path_in(dir, "text.txt");
    write_text(dir, "text.txt", "hello hello hello");
    cli_io io = { .in = text, .out = "/dev/full" };
    if (access("/dev/full", W_OK) != 0) {
        free(tok), free(text);
        SKIP("no /dev/full");
    }
    CHECK_EQ(cli_run(&io, "tokenize", "-m", tok, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "cannot write standard output");
    CHECK_EQ(cli_run(&io, "info", dir, (char *)NULL), 1);
    CHECK_CONTAINS(io.err, "cannot write standard output");
    CHECK_EQ(cli_run(&io, "kernels", (char *)NULL), 1);
    CHECK_EQ(cli_run(&io, "kernels", "--source", "gemv", (char *)NULL), 1);
    CHECK_EQ(cli_run(&io, "--help", (char *)NULL), 1);
    CHECK_EQ(cli_run(&io, "--version", (char *)NULL), 1);
    CHECK_EQ(cli_run(&io, "convert", "--help", (char *)NULL), 1);
    free(tok), free(text);
}

static void teardown(void) { rm_tree(dir); }

TEST_MAIN(setup, test_never_onto_inputs, test_never_replaces_special_files, test_full_disk, test_stdout_errors,
          teardown)
