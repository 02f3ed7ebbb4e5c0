/* replay.c — runs a fuzz target without libFuzzer: a main() that feeds every
 * file of the seed corpus folders named on the command line (and each file's
 * halves, to reach the truncation paths) to LLVMFuzzerTestOneInput. Linked
 * with each fuzz_<name>.c as the CTest case fuzz_<name> of the gcc builds,
 * plain and sanitized. Exit status 0, or 1 when a folder cannot be read. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (f) fclose(f);
        return 0;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *p = malloc(n + 1);
    if (!p || fread(p, 1, n, f) != n) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(p);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(p, n);
    LLVMFuzzerTestOneInput(p, n / 2);
    free(p);
    return 1;
}

int main(int argc, char **argv)
{
    int files = 0;
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        struct dirent *e;
        if (!d) {
            fprintf(stderr, "replay: cannot open the corpus folder %s\n", argv[a]);
            return 1;
        }
        while ((e = readdir(d))) {
            char path[4096];
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
            int r = run_file(path);
            if (r < 0) {
                closedir(d);
                return 1;
            }
            files += r;
        }
        closedir(d);
    }
    printf("replay: %d seed files, each whole and halved, ran cleanly\n", files);
    return 0;
}
