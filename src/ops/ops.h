/* ops.h — the argument lists and descriptors of the operation kernels.
 *
 * Layer: ops (internal to the library; the public entry is fd_run with these
 * descriptors, re-exported in include/foundry/ops.h). Each list is the single
 * source of its C struct and device struct; see include/foundry/kernel.h. */
#ifndef FD_OPS_H
#define FD_OPS_H

#include <string.h>
#include "foundry/ops.h"
#include "core/internal.h"
#include "ops/ref.h"

/* n-element operations (shape.c): each (name, tensor) pair, ended by NULL,
 * must hold n values; a grid of 256-thread blocks over n values, `per` per
 * thread. */
fd_status fd_check_n(fd_error *err, uint32_t n, ...);
void fd_grid_n(fd_dispatch *d, uint64_t n, unsigned per);

/* The paged KV cache (include/foundry/ops.h, FD_KV_PAGE). Device code gets
 * the page size from the kernel's text: FD_KV_PAGE_CUDA before the includes
 * (ops/kv_page.cuh refuses to compile without it), so the C define is the
 * one source. */
#define FD_KV_XSTR_(x) #x
#define FD_KV_XSTR(x) FD_KV_XSTR_(x)
#define FD_KV_PAGE_CUDA "#define FD_KV_PAGE " FD_KV_XSTR(FD_KV_PAGE) "\n"
/* kc and vc: whole pages (NP, KV, FD_KV_PAGE, hd), NP >= 1, 16-byte aligned;
 * pages holds at least fd_kv_pages(ctx) entries. */
fd_status fd_kv_check(fd_error *err, const fd_tensor *kc, const fd_tensor *vc, const fd_tensor *pages,
                      uint32_t kv_heads, uint32_t head_dim, uint32_t ctx);
/* For a CPU twin, before it addresses the cache: the host view of the table
 * in *out, FD_ERR_INVALID if one of its first fd_kv_pages(ctx) entries is
 * not a page of kc (the device trusts the table; the twin says so). */
fd_status fd_kv_table_ref(fd_error *err, const fd_tensor *kc, const fd_tensor *pages, uint32_t kv_heads,
                          uint32_t head_dim, uint32_t ctx, const int32_t **out);

/* A family's weight policies, one stage per FLOAT and QUANT dtype of
 * FD_DTYPE_LIST (QREAD included), each named after its dtype: FD_WEIGHT_POLICIES defines the
 * stages (kind FD_POLICY_KIND, device code ops/<FD_POLICY_DIR>/policy_<name>.cuh,
 * both #defined by the file before it) and `policies`, the table by dtype
 * (NULL for the other dtypes: INT, and QCPU — no GPU policy yet). */
#define FD_POLICY_STAGE_FLOAT(n, E) \
    static const fd_stage policy_##n = { #n, FD_POLICY_KIND, NULL, 0, \
        "#include \"ops/" FD_POLICY_DIR "/policy_" #n ".cuh\"\n", 0, 0, 0, FD_##E, NULL };
#define FD_POLICY_STAGE_QUANT FD_POLICY_STAGE_FLOAT
#define FD_POLICY_STAGE_QREAD FD_POLICY_STAGE_FLOAT
#define FD_POLICY_STAGE_INT(n, E)
#define FD_POLICY_STAGE_QCPU(n, E)
#define FD_POLICY_STAGE_(n, E, be, bb, g, ft, ct, dev, kind, to, from) FD_POLICY_STAGE_##kind(n, E)
#define FD_POLICY_SLOT_FLOAT(n, E) [FD_##E] = &policy_##n,
#define FD_POLICY_SLOT_QUANT FD_POLICY_SLOT_FLOAT
#define FD_POLICY_SLOT_QREAD FD_POLICY_SLOT_FLOAT
#define FD_POLICY_SLOT_INT(n, E)
#define FD_POLICY_SLOT_QCPU(n, E)
#define FD_POLICY_SLOT_(n, E, be, bb, g, ft, ct, dev, kind, to, from) FD_POLICY_SLOT_##kind(n, E)
#define FD_WEIGHT_POLICIES \
    FD_DTYPE_LIST(FD_POLICY_STAGE_) \
    static const fd_stage *const policies[FD_DTYPE_COUNT] = { FD_DTYPE_LIST(FD_POLICY_SLOT_) };

#endif
