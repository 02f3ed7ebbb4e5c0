// quant_policy.cuh (emulation) — stands in for src/ops/gemv/quant_policy.cuh,
// whose streaming half is cp.async PTX: gemv.cpp drives the policy's
// fd_dot_smem (quant_units.cuh, lane l: units l, l + 32, ...) over rows itself.
#include "ops/gemv/quant_units.cuh"
