/* nt-backend-cpu-gemm.c: the dense layers' skinny GEMMs, where OpenBLAS
 * reaches only 50-75 GFLOP/s of a core's ~130 (one core of this project's
 * Xeon, batch 32, 9216 -> 128 features):
 *   forward        y  = x W^T     32 x 128 from k = 9216  (NT, long k)
 *   data grad      dx = dy W      32 x 9216 from k = 128  (NN, short k)
 *   weight grad    dW = dy^T x    128 x 9216 from k = 32  (TN, short k)
 * Two register-blocked kernels on GCC vector types (16 floats; each clone
 * compiles them to its own width):
 *   - dot: C[i][j] = A[i] . B[j] for long rows of A and B (NT), 4 x 4
 *     blocks of 16 vector accumulators, k in chunks that stay in L2;
 *   - broadcast: C[i][j..j+64] += A(i, p) B[p][j..j+64] for short k (NN and
 *     TN differ only in how A is read), 4 rows x 64 columns of C in 16
 *     vector accumulators.
 * Both sum in float in the order p = 0, 1, .. within a vector lane, so the
 * results differ from BLAS by rounding only. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "nt-backend-cpu-private.h"

typedef float NtV16 __attribute__ ((vector_size (64)));
/* the same for loads and stores at any float address */
typedef float NtV16u __attribute__ ((vector_size (64), aligned (4),
                                     may_alias));

#define NT_V16(p) (*(NtV16u *) (p))
#define NT_V16C(p) (*(const NtV16u *) (p))

/* The sum of a vector's lanes (a pointer: vectors as arguments would
 * change the calling convention between clones). */
NT_AI float
nt_v16_sum (const NtV16 *v)
{
  float s = 0.0f;
  for (int i = 0; i < 16; i++)
    s += (*v)[i];
  return s;
}

/* c = alpha * sum + beta * c, without reading c when beta is 0 (it may
 * hold garbage, even NaN). */
NT_AI void
nt_gemm_out (float *c, float sum, float alpha, float beta)
{
  *c = beta == 0.0f ? alpha * sum : alpha * sum + beta * *c;
}

/* k elements per chunk of the dot kernel: 4 KiB a row, so a 4-row block of
 * A stays in L1 while it meets every row of B, and B's chunk (64 rows in
 * the forward's half of the work) stays in L2. */
#define NT_DOT_CHUNK 1024

/* The 16 accumulators of a 4 x 4 block as named variables: GCC keeps an
 * array of vectors on the stack, named ones in registers. */
#define NT_ACC4(r) NtV16 acc##r##_0 = { 0 }, acc##r##_1 = { 0 },          \
                         acc##r##_2 = { 0 }, acc##r##_3 = { 0 }

/* acc_r_s += va_r * vb_s for one r, every s */
#define NT_FMA_ROW(r, ar) \
  do { \
    acc##r##_0 += (ar) * vb0; \
    acc##r##_1 += (ar) * vb1; \
    acc##r##_2 += (ar) * vb2; \
    acc##r##_3 += (ar) * vb3; \
  } while (0)

/* C[i][j] (+)= A[i][k0:k1] . B[j][k0:k1] for a 4 x 4 block, k1 - k0 a
 * multiple of 16; `first` applies alpha/beta, later chunks add. */
NT_AI void
nt_dot_4x4 (const float *a, int lda, const float *b, int ldb, int k0, int k1,
            float *c, int ldc, float alpha, float beta, gboolean first)
{
  NT_ACC4 (0);
  NT_ACC4 (1);
  NT_ACC4 (2);
  NT_ACC4 (3);

  for (int p = k0; p < k1; p += 16)
    {
      NtV16 vb0 = NT_V16C (b + p), vb1 = NT_V16C (b + (gsize) ldb + p);
      NtV16 vb2 = NT_V16C (b + 2 * (gsize) ldb + p);
      NtV16 vb3 = NT_V16C (b + 3 * (gsize) ldb + p);

      NT_FMA_ROW (0, NT_V16C (a + p));
      NT_FMA_ROW (1, NT_V16C (a + (gsize) lda + p));
      NT_FMA_ROW (2, NT_V16C (a + 2 * (gsize) lda + p));
      NT_FMA_ROW (3, NT_V16C (a + 3 * (gsize) lda + p));
    }

  const NtV16 acc[16] = { acc0_0, acc0_1, acc0_2, acc0_3, acc1_0, acc1_1,
                          acc1_2, acc1_3, acc2_0, acc2_1, acc2_2, acc2_3,
                          acc3_0, acc3_1, acc3_2, acc3_3 };
  for (int r = 0; r < 4; r++)
    for (int s = 0; s < 4; s++)
      {
        float *out = c + (gsize) r * ldc + s;
        float sum = nt_v16_sum (&acc[r * 4 + s]);

        if (first)
          nt_gemm_out (out, sum, alpha, beta);
        else
          *out += alpha * sum;
      }
}

/* The same for any block (edges): rows x cols <= 4 x 4, any k range. */
NT_AI void
nt_dot_edge (const float *a, int lda, const float *b, int ldb, int k0,
             int k1, int rows, int cols, float *c, int ldc, float alpha,
             float beta, gboolean first)
{
  for (int r = 0; r < rows; r++)
    for (int s = 0; s < cols; s++)
      {
        const float *ar = a + (gsize) r * lda, *bs = b + (gsize) s * ldb;
        float sum = 0.0f;
        float *out = c + (gsize) r * ldc + s;

        for (int p = k0; p < k1; p++)
          sum += ar[p] * bs[p];
        if (first)
          nt_gemm_out (out, sum, alpha, beta);
        else
          *out += alpha * sum;
      }
}

/* C[m x n] = alpha A B^T + beta C, A [m x k] (lda), B [n x k] (ldb). */
NT_CPU_CLONES
static void
nt_gemm_dot (int m, int n, int k, float alpha, const float *a, int lda,
             const float *b, int ldb, float beta, float *c, int ldc)
{
  int kv = k & ~15;   /* the vector part of k; the rest goes to the edge */

  for (int k0 = 0; k0 < kv; k0 += NT_DOT_CHUNK)
    {
      int k1 = MIN (k0 + NT_DOT_CHUNK, kv);
      gboolean first = k0 == 0;

      for (int i = 0; i < m; i += 4)
        for (int j = 0; j < n; j += 4)
          {
            const float *ai = a + (gsize) i * lda, *bj = b + (gsize) j * ldb;
            float *cij = c + (gsize) i * ldc + j;

            if (i + 4 <= m && j + 4 <= n)
              nt_dot_4x4 (ai, lda, bj, ldb, k0, k1, cij, ldc, alpha, beta,
                          first);
            else
              nt_dot_edge (ai, lda, bj, ldb, k0, k1, MIN (4, m - i),
                           MIN (4, n - j), cij, ldc, alpha, beta, first);
          }
    }
  /* k % 16 left over (or all of k below 16) */
  if (kv < k)
    for (int i = 0; i < m; i += 4)
      for (int j = 0; j < n; j += 4)
        nt_dot_edge (a + (gsize) i * lda, lda, b + (gsize) j * ldb, ldb, kv,
                     k, MIN (4, m - i), MIN (4, n - j),
                     c + (gsize) i * ldc + j, ldc, alpha, beta, kv == 0);
}

/* C[m x n] = alpha op(A) B + beta C, B [k x n] (ldb), op(A)[i][p] =
 * a[i * ai + p * ap]: (lda, 1) for A [m x k], (1, lda) for A^T stored
 * [k x m]. */
NT_CPU_CLONES
static void
nt_gemm_bcast (int m, int n, int k, float alpha, const float *a, int ai,
               int ap, const float *b, int ldb, float beta, float *c,
               int ldc)
{
  /* a 64-column panel of B (k x 64) stays in L1 while every row block of
   * C meets it */
  for (int j = 0; j < n; j += 64)
    for (int i = 0; i < m; i += 4)
      {
        int rows = MIN (4, m - i), cols = MIN (64, n - j);

        if (rows == 4 && cols == 64)
          {
            NT_ACC4 (0);
            NT_ACC4 (1);
            NT_ACC4 (2);
            NT_ACC4 (3);
            const float *a0 = a + (gsize) i * ai, *a1 = a0 + ai;
            const float *a2 = a1 + ai, *a3 = a2 + ai;

            for (int p = 0; p < k; p++)
              {
                const float *bp = b + (gsize) p * ldb + j;
                NtV16 vb0 = NT_V16C (bp), vb1 = NT_V16C (bp + 16);
                NtV16 vb2 = NT_V16C (bp + 32), vb3 = NT_V16C (bp + 48);
                gsize at = (gsize) p * ap;

                NT_FMA_ROW (0, a0[at]);
                NT_FMA_ROW (1, a1[at]);
                NT_FMA_ROW (2, a2[at]);
                NT_FMA_ROW (3, a3[at]);
              }

            const NtV16 acc[16] = { acc0_0, acc0_1, acc0_2, acc0_3, acc1_0,
                                    acc1_1, acc1_2, acc1_3, acc2_0, acc2_1,
                                    acc2_2, acc2_3, acc3_0, acc3_1, acc3_2,
                                    acc3_3 };
            for (int r = 0; r < 4; r++)
              for (int q = 0; q < 4; q++)
                {
                  float *out = c + (gsize) (i + r) * ldc + j + 16 * q;
                  NtV16 v = alpha * acc[r * 4 + q];

                  if (beta != 0.0f)
                    v += beta * NT_V16C (out);
                  NT_V16 (out) = v;
                }
            continue;
          }
        if (cols == 64)
          {
            /* fewer than 4 rows (a single sample's input gradient): one
             * row at a time, still 64 columns of vectors */
            for (int r = 0; r < rows; r++)
              {
                NT_ACC4 (0);
                const float *ar = a + (gsize) (i + r) * ai;

                for (int p = 0; p < k; p++)
                  {
                    const float *bp = b + (gsize) p * ldb + j;
                    NtV16 vb0 = NT_V16C (bp), vb1 = NT_V16C (bp + 16);
                    NtV16 vb2 = NT_V16C (bp + 32), vb3 = NT_V16C (bp + 48);

                    NT_FMA_ROW (0, ar[(gsize) p * ap]);
                  }
                const NtV16 acc[4] = { acc0_0, acc0_1, acc0_2, acc0_3 };
                for (int q = 0; q < 4; q++)
                  {
                    float *out = c + (gsize) (i + r) * ldc + j + 16 * q;
                    NtV16 v = alpha * acc[q];

                    if (beta != 0.0f)
                      v += beta * NT_V16C (out);
                    NT_V16 (out) = v;
                  }
              }
            continue;
          }
        /* edges: fewer than 64 columns */
        for (int r = 0; r < rows; r++)
          for (int q = j; q < j + cols; q++)
            {
              float sum = 0.0f;

              for (int p = 0; p < k; p++)
                sum += a[(gsize) (i + r) * ai + (gsize) p * ap]
                       * b[(gsize) p * ldb + q];
              nt_gemm_out (c + (gsize) (i + r) * ldc + q, sum, alpha, beta);
            }
      }
}

gboolean
_nt_cpu_gemm_skinny_fits (gboolean trans_a, gboolean trans_b, int m, int n,
                          int k)
{
  /* the shapes measured faster than OpenBLAS: a long k with few outputs
   * (NT: up to the dense layer's 128 outputs for an evaluation batch of
   * 256), a short k with long rows of C (NN, TN) */
  return (!trans_a && trans_b && k >= 1024 && (gsize) m * n <= 256 * 128)
         || (!trans_b && k <= 256 && n >= 1024);
}

void
_nt_cpu_gemm_skinny (gboolean trans_a, gboolean trans_b, int m, int n,
                     int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc)
{
  if (trans_b)
    nt_gemm_dot (m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    nt_gemm_bcast (m, n, k, alpha, a, trans_a ? 1 : lda, trans_a ? lda : 1,
                   b, ldb, beta, c, ldc);
}
