// quant_policy.cuh (emulation) — stands in for src/ops/gemv/quant_policy.cuh,
// whose streaming half is cp.async PTX: gemv.cpp drives the policy's
// fd_block_dot over rows itself, as fd_dot_smem does (lane l: blocks l, l + 32, ...).
