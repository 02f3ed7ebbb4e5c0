/* cmd_kernels.c — `foundry kernels`: list the registered kernels and their
 * arguments; --compile-all compiles every variant with NVRTC (no GPU
 * needed); --source NAME prints one variant's generated source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "foundry/ops.h"

static const char *role_name(fd_arg_role r) { return r == FD_ARG_IN ? "in" : r == FD_ARG_OUT ? "out" : "param"; }

static void print_dtypes(unsigned mask)
{
    const char *sep = "";
    for (int d = 0; d < FD_DTYPE_COUNT; d++)
        if (mask & (1u << d)) {
            printf("%s%s", sep, fd_dtype_name((fd_dtype)d));
            sep = "|";
        }
}

static void list(void)
{
    static const char *const ptype[] = { "tensor", "uint32_t", "int32_t", "uint64_t", "float" };
    for (size_t i = 0; i < fd_kernel_count(); i++) {
        const fd_kernel *k = fd_kernel_at(i);
        fd_arg_table t = k->args(k);
        printf("%s\n", k->name);
        for (size_t a = 0; a < t.n; a++) {
            printf("  %-6s %-10s ", role_name(t.args[a].role), t.args[a].name);
            if (t.args[a].type == FD_PT_TENSOR) print_dtypes(t.args[a].dtypes);
            else printf("%s", ptype[t.args[a].type]);
            printf("  @%zu\n", t.args[a].offset);
        }
    }
    for (size_t f = 0; f < fd_family_count(); f++) {
        const fd_family *fam = fd_family_at(f);
        fd_compound_desc d;
        size_t n = 0;
        while (fam->enumerate(n, &d)) n++;
        printf("family %s: stages", fam->name);
        for (int k = 0; k < fam->nkinds; k++) printf("%s %s", k ? "," : "", fam->kinds[k].name);
        printf("; %zu compound kernels (`foundry kernels --compile-all` builds them, --source NAME prints one)\n", n);
    }
}

static void report(void *user, const char *variant, fd_status st, int regs, int spills, double secs, const char *msg)
{
    int *count = user;
    count[0]++;
    if (st == FD_OK) {
        printf("%-48s ok   regs %3d  spills %3d B  %6.3f s\n", variant, regs, spills, secs);
    } else {
        count[1]++;
        printf("%-48s FAIL %s\n%s\n", variant, fd_status_name(st), msg);
    }
    fflush(stdout);
}

static int compile_all(int arch)
{
    int count[2] = { 0, 0 };
    fd_error err = { 0 };
    fd_status st = fd_kernel_compile_all(arch, report, count, &err);
    if (st == FD_ERR_UNAVAILABLE) {
        printf("compile-all skipped: %s\n", err.msg);
        return 0;
    }
    printf("%d variants for sm_%d, %d failed\n", count[0], arch, count[1]);
    return st == FD_OK ? 0 : 1;
}

static int source(const char *name, int argc, char **argv)
{
    const fd_kernel *k = fd_kernel_find(name);
    fd_compound *c = NULL;
    fd_dtype dt[32];
    fd_error cerr = { 0 };
    if (!k && fd_compound_find(name, &c, &cerr) == FD_OK) k = fd_compound_kernel(c);
    if (!k) {
        fprintf(stderr, "foundry kernels: no kernel named '%s' (see `foundry kernels`)\n", name);
        return 1;
    }
    if (c) {
        fd_kernel_variant(k, 0, dt);   /* a compound has one variant */
    } else {
        size_t v = 0;
        if (argc > 0) v = (size_t)strtoul(argv[0], NULL, 10);   /* variant index */
        if (!fd_kernel_variant(k, v, dt)) {
            fprintf(stderr, "foundry kernels: %s has no variant %zu\n", name, v);
            return 1;
        }
    }
    char *src;
    fd_error err = { 0 };
    fd_status st = fd_kernel_source(k, dt, &src, &err);
    if (st) {
        fd_compound_destroy(c);
        return cli_fail("kernels --source", st, &err);
    }
    fputs(src, stdout);
    fd_kernel_source_free(src);
    fd_compound_destroy(c);
    return 0;
}

int cmd_kernels(int argc, char **argv)
{
    int arch = 90;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            printf("usage: foundry kernels [--compile-all [--arch 90]] [--source NAME [VARIANT]]\n"
                   "  list kernels and their arguments; compile every variant with NVRTC; print generated source\n");
            return 0;
        }
        if (!strcmp(argv[i], "--arch") && i + 1 < argc) arch = atoi(argv[++i]);
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--compile-all")) return compile_all(arch);
        if (!strcmp(argv[i], "--source")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "foundry kernels: --source needs a kernel name\n");
                return 2;
            }
            return source(argv[i + 1], argc - i - 2, argv + i + 2);
        }
    }
    list();
    return 0;
}
