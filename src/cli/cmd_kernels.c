/* cmd_kernels.c — `foundry kernels`: list the registered kernels and their
 * arguments; --compile-all compiles every variant with NVRTC (no GPU
 * needed); --source NAME prints one variant's generated source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "backend/backend.h"
#include "foundry/forward.h"
#include "foundry/model.h"
#include "foundry/ops.h"

#define MAX_ARCH 1299   /* beyond any architecture NVRTC knows */

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
    printf("persistent decode step: one kernel a model, generated from the members above (Qwen2, Qwen3; "
           "--persistent on run, chat, bench, eval; --compile-all builds it for tiny shapes)\n");
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

/* The persistent decode step of a tiny random model of `preset`'s shape (its source depends on the plan, the
 * member kernels, their dtypes and head_dim, not on the other sizes) in weight dtype dt, made on the CPU and
 * compiled; FD_OK or the failure. */
static fd_status compile_persistent(int arch, const char *preset, fd_dtype dt, int *count)
{
    fd_random_options ro = { .dtype = dt, .seed = 1 };
    fd_foundry *fd = NULL;
    fd_model *m = NULL;
    fd_weights *w = NULL;
    fd_state *s = NULL;
    fd_error err = { 0 };
    char name[96], *src = NULL;
    uint32_t smem = 0;
    int regs = -1, spills = -1;
    double secs = 0;
    fd_status st = fd_model_preset(preset, &ro.hp);
    ro.hp.n_layers = 2, ro.hp.vocab = 1024;
    if (st == FD_OK) st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &fd, &err);
    if (st == FD_OK) st = fd_model_random(&ro, &m, &err);
    if (st == FD_OK) st = fd_model_upload(fd, m, &(fd_upload_options){ .ctx = 64 }, &w);
    if (st == FD_OK) st = fd_state_create(fd, w, 64, &s);
    if (st == FD_OK) st = fd_state_persistent_source(s, name, sizeof name, &src, &smem, &err);
    if (st == FD_OK) st = fd_nvrtc_compile_offline(arch, name, src, &regs, &spills, &secs, &err);
    if (st == FD_OK) {
        char label[128];
        snprintf(label, sizeof label, "%s (%u+ dynamic shared bytes)", name, smem);
        report(count, label, st, regs, spills, secs, NULL);
    } else {
        report(count, preset, st, -1, -1, 0, err.msg[0] ? err.msg : fd ? fd_foundry_error(fd) : "");
    }
    fd_kernel_source_free(src);
    fd_state_destroy(s);
    if (fd) fd_weights_release(fd);
    fd_model_close(m);
    fd_foundry_destroy(fd);
    return st;
}

static int compile_all(int arch, const char *match)
{
    int count[2] = { 0, 0 };
    fd_error err = { 0 };
    fd_status st = fd_kernel_compile_all(arch, match, report, count, &err);
    if (st == FD_ERR_UNAVAILABLE) {
        printf("compile-all skipped: %s\n", err.msg);
        return 0;
    }
    /* the persistent decode step (model/persist.c): Qwen2 per weight dtype, Qwen3 (q/k normalized per head) */
    static const struct { const char *preset; fd_dtype dt; } pk[] = {
        { "tiny", FD_F16 }, { "tiny", FD_BF16 }, { "tiny", FD_Q8_0 }, { "tiny", FD_Q4_0 },
        { "qwen3-tiny", FD_F16 }, { "qwen3-tiny", FD_Q8_0 },
    };
    for (size_t i = 0; (!match || strstr(match, "persist")) && i < sizeof pk / sizeof pk[0]; i++) {
        fd_status ps = compile_persistent(arch, pk[i].preset, pk[i].dt, count);
        if (st == FD_OK) st = ps;
    }
    printf("%d variants for sm_%d (sm_90a where a kernel needs it), %d failed\n", count[0], arch, count[1]);
    return st == FD_OK ? 0 : 1;
}

/* The variant of `k` whose tensor arguments take the dtypes named in
 * names[0..n): one name per argument that accepts more than one dtype (in
 * descriptor order), or one per tensor argument. No names: the first dtype of
 * each. Returns 0, or 2 after a usage error. */
static int pick_dtypes(const fd_kernel *k, char **names, int n, fd_dtype *dt)
{
    fd_arg_table t = k->args(k);
    int n_tensor = 0, n_choice = 0, nt = 0, used = 0;
    for (size_t a = 0; a < t.n; a++)
        if (t.args[a].type == FD_PT_TENSOR) {
            n_tensor++;
            n_choice += __builtin_popcount(t.args[a].dtypes) > 1;
        }
    if (n && n != n_choice && n != n_tensor)
        return cli_usage_error("kernels", "%s takes %d dtype name%s (one per argument with a choice) or %d, not %d",
                               k->name, n_choice, n_choice == 1 ? "" : "s", n_tensor, n);
    for (size_t a = 0; a < t.n; a++) {
        unsigned m = t.args[a].dtypes;
        if (t.args[a].type != FD_PT_TENSOR) continue;
        dt[nt] = (fd_dtype)__builtin_ctz(m);
        if (n && (n == n_tensor || __builtin_popcount(m) > 1)) {
            const char *name = names[used++];
            fd_dtype d;
            if (fd_dtype_parse(name, &d) != FD_OK || !(m & (1u << d))) {
                fprintf(stderr, "foundry kernels: %s: argument %s takes ", k->name, t.args[a].name);
                for (int i = 0, first = 1; i < FD_DTYPE_COUNT; i++)
                    if (m & (1u << i)) fprintf(stderr, "%s%s", first ? "" : "|", fd_dtype_name((fd_dtype)i)), first = 0;
                fprintf(stderr, ", not '%s'\n", name);
                return 2;
            }
            dt[nt] = d;
        }
        nt++;
    }
    return 0;
}

static int source(const char *name, int argc, char **argv)
{
    const fd_kernel *k = fd_kernel_find(name);
    fd_compound *c = NULL;
    fd_dtype dt[32] = { 0 };
    fd_error cerr = { 0 };
    int rc;
    if (!k && fd_compound_find(name, &c, &cerr) == FD_OK) k = fd_compound_kernel(c);
    if (!k) return cli_usage_error("kernels", "no kernel named '%s' (`foundry kernels` lists them)", name);
    if ((rc = pick_dtypes(k, argv, argc, dt)) != 0) {
        fd_compound_destroy(c);
        return rc;
    }
    char *src;
    fd_error err = { 0 };
    fd_status st = fd_kernel_source(k, dt, &src, &err);
    if (st) {
        fd_compound_destroy(c);
        return cli_fail("kernels", st, &err);
    }
    fputs(src, stdout);
    fd_kernel_source_free(src);
    fd_compound_destroy(c);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: foundry kernels [--compile-all [--arch N] [--match TEXT]] [--source NAME [DTYPE...]]\n"
               "  (no option)       list the kernels and their arguments\n"
               "  --compile-all     compile every variant with NVRTC (no GPU needed); those that need\n"
               "                    sm_90a (wgmma, tensor maps) are compiled for it whatever --arch says\n"
               "  --arch N          the GPU architecture to compile for, sm_N: %d..%d (default 90)\n"
               "  --match TEXT      only the variants whose name contains TEXT\n"
               "  --source NAME     print the generated source of one variant of kernel NAME; the DTYPE\n"
               "                    names pick it: one per argument that takes several dtypes, or one per\n"
               "                    tensor argument (default: the first dtype of each)\n",
            FD_MIN_ARCH, MAX_ARCH);
}

int cmd_kernels(int argc, char **argv)
{
    uint64_t arch = 90;
    int all = 0, has_arch = 0;
    const char *match = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--arch")) {
            if (!(v = cli_value("kernels", argc, argv, &i))) return 2;
            if (!strncmp(v, "sm_", 3)) v += 3;
            if (cli_parse_u64("kernels", "--arch", v, FD_MIN_ARCH, MAX_ARCH, &arch)) return 2;
            has_arch = 1;
        } else if (!strcmp(argv[i], "--compile-all")) {
            all = 1;
        } else if (!strcmp(argv[i], "--match")) {
            if (!(match = cli_value("kernels", argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--source")) {
            if (all || has_arch) return cli_usage_error("kernels", "--source does not go with --compile-all or --arch");
            if (i + 1 >= argc) return cli_usage_error("kernels", "--source needs a kernel name");
            for (int j = i + 2; j < argc; j++)
                if (argv[j][0] == '-') return cli_unknown("kernels", argv[j]);
            return source(argv[i + 1], argc - i - 2, argv + i + 2);
        } else {
            return cli_unknown("kernels", argv[i]);
        }
    }
    if (has_arch && !all) return cli_usage_error("kernels", "--arch goes with --compile-all");
    if (match && !all) return cli_usage_error("kernels", "--match goes with --compile-all");
    if (all) return compile_all((int)arch, match);
    list();
    return 0;
}
