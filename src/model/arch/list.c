/* list.c — the one list of architecture descriptors, and the helpers that
 * read a descriptor (names, shapes, keys, features).
 *
 * Layer: model (architecture data). Adding an architecture: its file in
 * this folder and a line in FD_ARCH_LIST (docs/DESIGN.md). */
#include <stdio.h>
#include <string.h>
#include "model/arch/arch.h"

/* Llama before Mistral: both are "llama" in GGUF, where the first is found. */
#define FD_ARCH_LIST(X) X(FD_ARCH_QWEN2) X(FD_ARCH_QWEN3) X(FD_ARCH_LLAMA) X(FD_ARCH_SMOLLM3) X(FD_ARCH_MISTRAL)

static const fd_arch *const all[] = {
#define FD_ARCH_PTR_(a) &a,
    FD_ARCH_LIST(FD_ARCH_PTR_)
#undef FD_ARCH_PTR_
};
#define N_ARCH (sizeof all / sizeof all[0])

const fd_arch *fd_arch_find(const char *name)
{
    for (size_t i = 0; name && i < N_ARCH; i++)
        if (!strcmp(all[i]->name, name)) return all[i];
    return NULL;
}

/* Both names must agree with one descriptor where both are given. */
const fd_arch *fd_arch_find_hf(const char *model_type, const char *hf_class)
{
    if (!model_type && !hf_class) return NULL;
    for (size_t i = 0; i < N_ARCH; i++)
        if ((!model_type || !strcmp(all[i]->hf_type, model_type)) && (!hf_class || !strcmp(all[i]->hf_class, hf_class)))
            return all[i];
    return NULL;
}

const char *fd_arch_names(void)
{
    static char buf[256];
    if (!buf[0])
        for (size_t i = 0, n = 0; i < N_ARCH && n < sizeof buf; i++)
            if (fd_arch_find(all[i]->name) == all[i])   /* each GGUF name once */
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "", all[i]->name);
    return buf;
}

const char *fd_arch_hf_names(void)
{
    static char buf[512];
    if (!buf[0])
        for (size_t i = 0, n = 0; i < N_ARCH && n < sizeof buf; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s (%s)", i ? ", " : "", all[i]->hf_type,
                                  all[i]->hf_class);
    return buf;
}

const fd_arch *fd_arch_find_random(const char *name)
{
    const fd_arch *a = fd_arch_find_hf(name, NULL);
    return a ? a : fd_arch_find(name);
}

const fd_arch *fd_arch_preset_find(const char *name, fd_model_hparams *hp)
{
    for (size_t i = 0; name && i < N_ARCH; i++)
        for (size_t j = 0; j < all[i]->n_presets; j++)
            if (!strcmp(all[i]->presets[j].name, name)) {
                *hp = all[i]->presets[j].hp;
                snprintf(hp->arch, sizeof hp->arch, "%s", all[i]->hf_type);   /* fd_arch_find_random's name */
                return all[i];
            }
    return NULL;
}

const char *fd_arch_preset_names(void)
{
    static char buf[512];
    size_t n = 0;
    if (!buf[0])
        for (size_t i = 0; i < N_ARCH; i++)
            for (size_t j = 0; j < all[i]->n_presets && n < sizeof buf; j++)
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? ", " : "", all[i]->presets[j].name);
    return buf;
}

const fd_arch_tensor *fd_arch_tensor_of(const fd_arch *a, fd_role role)
{
    for (size_t i = 0; i < a->n_tensors; i++)
        if (a->tensors[i].role == role) return &a->tensors[i];
    return NULL;
}

void fd_arch_tensor_name(const fd_arch_tensor *t, int hf, uint32_t l, char *buf, size_t cap)
{
    const char *fmt = hf ? t->hf : t->gguf;
    if (t->role >= FD_ROLE_FIRST_LAYER) snprintf(buf, cap, fmt, l);
    else snprintf(buf, cap, "%s", fmt);
}

uint64_t fd_arch_dim(const fd_model_hparams *hp, fd_dim d)
{
    switch (d) {
    case FD_DIM_D: return hp->hidden;
    case FD_DIM_Q: return (uint64_t)hp->n_heads * hp->head_dim;
    case FD_DIM_KV: return (uint64_t)hp->n_kv_heads * hp->head_dim;
    case FD_DIM_F: return hp->ffn;
    case FD_DIM_V: return hp->vocab;
    case FD_DIM_HD: return hp->head_dim;
    case FD_DIM_HD2: return hp->head_dim / 2;
    case FD_DIM_NONE: break;
    }
    return 0;
}

const fd_hparam_key *fd_arch_key(const fd_arch *a, size_t offset)
{
    for (size_t i = 0; i < a->n_keys; i++)
        if (a->keys[i].offset == offset) return &a->keys[i];
    return NULL;
}

void fd_arch_features(const fd_arch *a, char *buf, size_t cap)
{
    static const char *const names[] = {
#define FD_FEATURE_NAME_(id, name, what) name,
        FD_FEATURE_LIST(FD_FEATURE_NAME_)
#undef FD_FEATURE_NAME_
    };
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < cap; i++)
        if (a->features & (1u << i)) n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", names[i]);
}
