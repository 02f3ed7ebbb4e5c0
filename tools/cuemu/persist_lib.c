/* persist_lib.c — the library side of tools/cuemu/persist.cpp (C, linked
 * with build/libfoundry.a): a tiny random Qwen2 on the CPU backend, a state
 * the per-kernel step runs (the reference) and one whose buffers the
 * emulated persistent kernel works on, the kernel's generated code and
 * program. Built with -DPL_MAIN it is the generator run.sh runs first:
 * `persist_gen DTYPE PRESET FILE` writes the kernel's own code for that
 * dtype and shape (a preset of model/arch/: tiny is Qwen2, qwen3-tiny Qwen3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "foundry/foundry.h"
#include "foundry/forward.h"
#include "model/device.h"
#include "model/persist.h"

static fd_foundry *fd;
static fd_model *model;
static fd_weights *w;
static fd_state *ref, *emu;

static int fail(const char *what, fd_status st, const char *msg)
{
    fprintf(stderr, "persist_lib: %s: %s: %s\n", what, fd_status_name(st), msg ? msg : "");
    return 1;
}

int pl_open(const char *dtype, const char *preset, unsigned layers, unsigned vocab, unsigned ctx)
{
    fd_error err = { 0 };
    fd_random_options ro = { .seed = 5 };
    fd_status st = fd_dtype_parse(dtype, &ro.dtype);
    if (st == FD_OK) st = fd_model_preset(preset, &ro.hp);
    ro.hp.n_layers = layers, ro.hp.vocab = vocab;
    if (st == FD_OK) st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_CPU }, &fd, &err);
    if (st == FD_OK) st = fd_model_random(&ro, &model, &err);
    if (st != FD_OK) return fail("model", st, err.msg);
    st = fd_model_upload(fd, model, &(fd_upload_options){ .ctx = ctx }, &w);
    if (st == FD_OK) st = fd_state_create(fd, w, ctx, &ref);
    if (st == FD_OK) st = fd_state_create(fd, w, ctx, &emu);
    return st == FD_OK ? 0 : fail("state", st, fd_foundry_error(fd));
}

int pl_body(const char *path)
{
    char name[64], *src = NULL;
    fd_error err = { 0 };
    fd_status st = fd_persist_source(emu, 0, name, sizeof name, &src, &err);
    if (st != FD_OK) return fail("source", st, err.msg);
    FILE *f = fopen(path, "w");
    int bad = !f || fputs(src, f) < 0;
    if (f && fclose(f)) bad = 1;
    fd_free(src);
    return bad ? fail(path, FD_ERR_IO, "cannot write") : 0;
}

/* sampled 1: the program of a sampled step (its list ends with the head) */
int pl_program(unsigned blocks, int sampled, void **prog, size_t *bytes, unsigned *n_ctr, unsigned *smem,
               unsigned ring[2])
{
    fd_error err = { 0 };
    fd_sampler smp;
    fd_sampler_defaults(&smp);
    fd_state_set_sampler(emu, sampled ? &smp : NULL);
    fd_status st = fd_persist_program(emu, blocks, prog, bytes, n_ctr, smem, ring, &err);
    return st == FD_OK ? 0 : fail("program", st, err.msg);
}

void pl_free(void *p) { fd_free(p); }

/* Both states back to an empty cache. */
int pl_rewind(void)
{
    return fd_state_rewind(ref, 0) == FD_OK && fd_state_rewind(emu, 0) == FD_OK ? 0 : fail("rewind", FD_ERR_STATE, "");
}

int pl_ref_step(int id, float *logits)
{
    fd_status st = fd_state_step(ref, id, logits);
    return st == FD_OK ? 0 : fail("reference step", st, fd_foundry_error(fd));
}

/* The emulated state's token, position, logits and flag (host memory on the CPU backend). */
int *pl_emu_ids(void) { return fd_tensor_data(emu->ids); }
int *pl_emu_pos(void) { return fd_tensor_data(emu->pos); }
int *pl_emu_flag(void) { return fd_tensor_data(emu->flag); }
const float *pl_emu_logits(void) { return fd_tensor_data(emu->logits); }
unsigned pl_vocab(void) { return w->hp.vocab; }
unsigned pl_valid(void) { return w->vocab_valid; }

void pl_close(void)
{
    fd_state_destroy(ref);
    fd_state_destroy(emu);
    fd_weights_release(fd);
    fd_model_close(model);
    fd_foundry_destroy(fd);
}

#ifdef PL_MAIN
int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: persist_gen DTYPE PRESET FILE\n");
        return 2;
    }
    int r = pl_open(argv[1], argv[2], 2, 512, 64) || pl_body(argv[3]);
    pl_close();
    return r;
}
#endif
