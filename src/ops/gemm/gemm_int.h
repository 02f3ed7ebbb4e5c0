/* gemm_int.h — what the GEMM family's two files share: the mma.sync family
 * (family.c) lends its kinds, hooks and CPU composition to the Hopper
 * members (wgmma.c), so both families are one contract with two mains.
 *
 * Layer: ops (internal to src/ops/gemm/). */
#ifndef FD_GEMM_INT_H
#define FD_GEMM_INT_H

#include "ops/ops.h"

extern const fd_stage_kind fd_gemm_kinds[FD_GEMM_KINDS];
extern const int fd_gemm_order[FD_GEMM_KINDS];
fd_status fd_gemm_check(const void *p, fd_error *err);
uint64_t fd_gemm_bytes(const void *p);
fd_status fd_gemm_cpu(const fd_compound *c, const void *p, fd_error *err);
int fd_gemm_defines(const fd_compound *c, char *buf, size_t cap);

#endif
