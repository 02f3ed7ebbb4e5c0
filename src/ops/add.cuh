/* add.cuh — y = a + b, four values per thread through 16-byte accesses
 * where aligned.
 *
 * Layer: ops (device code of FD_ADD, ops/elementwise.c). */
FD_KERNEL(fd_args a) {
  u64 i = ((u64)blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i + 3 < a.n && ((((u64)a.a | (u64)a.b | (u64)a.y) & 15) == 0)) {
    float4 x = *(const float4 *)(a.a + i), y = *(const float4 *)(a.b + i);
    *(float4 *)(a.y + i) = make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);
  } else {
    for (u64 k = i; k < i + 4 && k < a.n; k++) a.y[k] = a.a[k] + a.b[k];
  }
}
