/* nt-dropout-private.h: the counter-based draw behind dropout masks, shared
 * by every backend (and compiled into CUDA kernels) so that all backends draw
 * the same mask for the same (seed, index). Not installed. */
#ifndef NT_DROPOUT_PRIVATE_H
#define NT_DROPOUT_PRIVATE_H

#include <stdint.h>

#ifdef __CUDACC__
#define NT_HOST_DEVICE __host__ __device__
#else
#define NT_HOST_DEVICE
#endif

/* splitmix64 finaliser of seed + index: a well-mixed 64-bit value. */
static inline NT_HOST_DEVICE uint64_t
nt_hash64 (uint64_t seed, uint64_t index)
{
  uint64_t z = seed + (index + 1) * UINT64_C (0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* TRUE (1) when element `index` survives dropout at `rate`: a uniform draw
 * in [0, 1) from the top 24 bits, compared with rate. */
static inline NT_HOST_DEVICE int
nt_dropout_keep (uint64_t seed, uint64_t index, float rate)
{
  float u = (float) (nt_hash64 (seed, index) >> 40) * (1.0f / 16777216.0f);
  return u >= rate;
}

#endif
