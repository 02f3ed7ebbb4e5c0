/* fs_util.h — temporary folders for tests: make one, remove one with all
 * it holds.
 *
 * Tests only; every function is static. */
#ifndef FD_TEST_FS_UTIL_H
#define FD_TEST_FS_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Removes `dir` and everything below it; links are removed, not followed. */
static inline void fs_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1200];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p) continue;   /* too deep for a test */
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) fs_remove_tree(p);
        else unlink(p);
    }
    closedir(d);
    if (rmdir(dir) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

#endif
