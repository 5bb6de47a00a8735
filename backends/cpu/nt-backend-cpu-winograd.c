/* nt-backend-cpu-winograd.c: 3x3 stride-1 convolutions by Winograd's
 * minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016).
 *
 * Each 2x2 output tile is computed from a 4x4 input tile with 16 products
 * instead of 36. For one image of C input and K output channels and T
 * tiles, with the data channel-last (transposed in and out):
 *   U[xi][C x K] = G g G^T          kernel transform (once per call)
 *   V[xi][T x C] = B^T d B          input transform
 *   M[xi][T x K] = V[xi] U[xi]      16 GEMMs, one per xi = 0..15
 *   y tile       = A^T m A          output transform (+ bias, ReLU)
 * with
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1].
 * The paper's conv2 (32 -> 64 channels, 26x26 -> 24x24) then takes 16 GEMMs
 * of 144 x 64 x 32 per image (9.4 MFLOP, small enough to stay in L2) instead
 * of one 64 x 576 x 288 GEMM (21.2 MFLOP). The transforms' coefficients are
 * 0, +-1 and 1/2, so results differ from the direct product only by float
 * rounding. Channel-last data lets every transform loop run over channels,
 * which vectorises; channel-major data would leave 12-tile rows.
 *
 * The data gradient of a stride-1 convolution is itself a stride-1
 * convolution: dx = conv(dy padded by kh-1-pad, w rotated by 180 degrees
 * with input and output channels swapped), so it runs through the same
 * per-image routine with the flipped kernel transform. The filter gradient
 * is dU[xi] = sum over tiles of V[xi]^T Z[xi], Z = A dY A^T the transformed
 * output gradient, then dW = G^T dU G. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "nt-backend-cpu-private.h"

/* The per-image routines are cloned for AVX-512, AVX2 and baseline x86-64,
 * picked at load time: every inner loop runs over channels, contiguous in
 * the channel-last copies, and vectorises to the machine's width. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NT_WINO_CLONES \
  __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#else
#define NT_WINO_CLONES
#endif

/* u[xi][c][k] (16 x C x K) from w[K][C][3][3]. With `flip`, the kernel of
 * the data gradient instead: u[xi][k][c] from w[k][c] rotated by 180
 * degrees (its input channels are the forward's outputs). */
void
_nt_cpu_winograd_kernels (const float *w, int k, int c, gboolean flip,
                          float *u)
{
  gsize plane = (gsize) k * c;

  for (int kk = 0; kk < k; kk++)
    for (int cc = 0; cc < c; cc++)
      {
        const float *g = w + ((gsize) kk * c + cc) * 9;
        float f[9], t[4][3];
        /* [xi][input channel][output channel]: the layout of the right
         * GEMM operand (the forward's input channels are c, the data
         * gradient's are k) */
        gsize at = flip ? (gsize) kk * c + cc : (gsize) cc * k + kk;

        for (int i = 0; i < 9; i++)
          f[i] = flip ? g[8 - i] : g[i];
        /* t = G f (4 x 3), then G f G^T (4 x 4) */
        for (int j = 0; j < 3; j++)
          {
            float a = f[j], b = f[3 + j], d = f[6 + j];
            t[0][j] = a;
            t[1][j] = 0.5f * (a + b + d);
            t[2][j] = 0.5f * (a - b + d);
            t[3][j] = d;
          }
        for (int i = 0; i < 4; i++)
          {
            float a = t[i][0], b = t[i][1], d = t[i][2];
            u[(gsize) (i * 4 + 0) * plane + at] = a;
            u[(gsize) (i * 4 + 1) * plane + at] = 0.5f * (a + b + d);
            u[(gsize) (i * 4 + 2) * plane + at] = 0.5f * (a - b + d);
            u[(gsize) (i * 4 + 3) * plane + at] = d;
          }
      }
}

/* One tile's input transform V = B^T d B for all c channels: d00..d33 are
 * the 16 taps (channel-last rows of c floats, possibly the same zero row),
 * o[xi * vstep + channel] the output. restrict lets the channel loop
 * vectorise without run-time overlap checks (GCC gives up beyond 10).
 * always_inline, here and below: inlined into each target clone of the
 * caller, so the loop is compiled for that clone's vector width. */
static inline __attribute__ ((always_inline)) void
nt_wino_input_tile (const float *restrict d00, const float *restrict d01,
                    const float *restrict d02, const float *restrict d03,
                    const float *restrict d10, const float *restrict d11,
                    const float *restrict d12, const float *restrict d13,
                    const float *restrict d20, const float *restrict d21,
                    const float *restrict d22, const float *restrict d23,
                    const float *restrict d30, const float *restrict d31,
                    const float *restrict d32, const float *restrict d33,
                    float *restrict o, gsize vstep, int c)
{
  /* the 16 rows of o never overlap (vstep >= c): no dependence */
#pragma GCC ivdep
  for (int cc = 0; cc < c; cc++)
    {
      /* s = B^T d, column by column */
      float s00 = d00[cc] - d20[cc], s01 = d01[cc] - d21[cc];
      float s02 = d02[cc] - d22[cc], s03 = d03[cc] - d23[cc];
      float s10 = d10[cc] + d20[cc], s11 = d11[cc] + d21[cc];
      float s12 = d12[cc] + d22[cc], s13 = d13[cc] + d23[cc];
      float s20 = d20[cc] - d10[cc], s21 = d21[cc] - d11[cc];
      float s22 = d22[cc] - d12[cc], s23 = d23[cc] - d13[cc];
      float s30 = d10[cc] - d30[cc], s31 = d11[cc] - d31[cc];
      float s32 = d12[cc] - d32[cc], s33 = d13[cc] - d33[cc];
      /* V = s B, row by row */
      o[0 * vstep + cc] = s00 - s02;
      o[1 * vstep + cc] = s01 + s02;
      o[2 * vstep + cc] = s02 - s01;
      o[3 * vstep + cc] = s01 - s03;
      o[4 * vstep + cc] = s10 - s12;
      o[5 * vstep + cc] = s11 + s12;
      o[6 * vstep + cc] = s12 - s11;
      o[7 * vstep + cc] = s11 - s13;
      o[8 * vstep + cc] = s20 - s22;
      o[9 * vstep + cc] = s21 + s22;
      o[10 * vstep + cc] = s22 - s21;
      o[11 * vstep + cc] = s21 - s23;
      o[12 * vstep + cc] = s30 - s32;
      o[13 * vstep + cc] = s31 + s32;
      o[14 * vstep + cc] = s32 - s31;
      o[15 * vstep + cc] = s31 - s33;
    }
}

/* One tile's output transform A^T m A for all k channels: e[xi * mstep +
 * channel] the 16 products, y00..y11 the tile's four outputs (distinct
 * channel-last rows). */
static inline __attribute__ ((always_inline)) void
nt_wino_output_tile (const float *restrict e, gsize mstep,
                     float *restrict y00, float *restrict y01,
                     float *restrict y10, float *restrict y11, int k)
{
  for (int kk = 0; kk < k; kk++)
    {
      float e0 = e[0 * mstep + kk], e1 = e[1 * mstep + kk];
      float e2 = e[2 * mstep + kk], e3 = e[3 * mstep + kk];
      float e4 = e[4 * mstep + kk], e5 = e[5 * mstep + kk];
      float e6 = e[6 * mstep + kk], e7 = e[7 * mstep + kk];
      float e8 = e[8 * mstep + kk], e9 = e[9 * mstep + kk];
      float e10 = e[10 * mstep + kk], e11 = e[11 * mstep + kk];
      float e12 = e[12 * mstep + kk], e13 = e[13 * mstep + kk];
      float e14 = e[14 * mstep + kk], e15 = e[15 * mstep + kk];
      float s00 = e0 + e4 + e8, s01 = e1 + e5 + e9;
      float s02 = e2 + e6 + e10, s03 = e3 + e7 + e11;
      float s10 = e4 - e8 - e12, s11 = e5 - e9 - e13;
      float s12 = e6 - e10 - e14, s13 = e7 - e11 - e15;

      y00[kk] = s00 + s01 + s02;
      y01[kk] = s01 - s02 - s03;
      y10[kk] = s10 + s11 + s12;
      y11[kk] = s11 - s12 - s13;
    }
}

/* dst[j * ldd + i] = src[i * lds + j] for a rows x cols matrix: 4 x 4
 * blocks through SSE registers (every x86-64 has SSE), edges element by
 * element. Bands of 32 source rows: each destination row gets 128
 * contiguous bytes per band, and the band's source lines stay in L1 while
 * it is walked. */
static inline __attribute__ ((always_inline)) void
nt_transpose_ld (const float *restrict src, int rows, int cols, gsize lds,
                 float *restrict dst, gsize ldd)
{
  int i0 = 0;

#ifdef __SSE__
  for (int rows4 = rows & ~3, i1; i0 < rows4; i0 = i1)
    {
      int j = 0;

      i1 = MIN (i0 + 32, rows4);

      for (; j + 4 <= cols; j += 4)
        for (int i = i0; i < i1; i += 4)
          {
            __m128 r0 = _mm_loadu_ps (src + (gsize) i * lds + j);
            __m128 r1 = _mm_loadu_ps (src + (gsize) (i + 1) * lds + j);
            __m128 r2 = _mm_loadu_ps (src + (gsize) (i + 2) * lds + j);
            __m128 r3 = _mm_loadu_ps (src + (gsize) (i + 3) * lds + j);

            _MM_TRANSPOSE4_PS (r0, r1, r2, r3);
            _mm_storeu_ps (dst + (gsize) j * ldd + i, r0);
            _mm_storeu_ps (dst + (gsize) (j + 1) * ldd + i, r1);
            _mm_storeu_ps (dst + (gsize) (j + 2) * ldd + i, r2);
            _mm_storeu_ps (dst + (gsize) (j + 3) * ldd + i, r3);
          }
      for (; j < cols; j++)
        for (int i = i0; i < i1; i++)
          dst[(gsize) j * ldd + i] = src[(gsize) i * lds + j];
    }
#endif
  /* the last rows % 4 rows (all of them without SSE) */
  for (int i = i0; i < rows; i++)
    for (int j = 0; j < cols; j++)
      dst[(gsize) j * ldd + i] = src[(gsize) i * lds + j];
}

/* dst[j][i] = src[i][j], dst rows `rows` long. */
static inline __attribute__ ((always_inline)) void
nt_transpose (const float *restrict src, int rows, int cols,
              float *restrict dst)
{
  nt_transpose_ld (src, rows, cols, cols, dst, rows);
}

/* V[xi][t][:] = B^T d B for every tile t of the th x tw tiling of x
 * (channel-major c x h x w, padded by pad_top/pad_left), through the
 * channel-last copy xt_buf (h w c floats), or of x itself when it is
 * already channel-last (`x_last`); `zero` is a zero row of c floats. */
static inline __attribute__ ((always_inline)) void
nt_wino_input (const float *x, gboolean x_last, int c, int h, int w,
               int pad_top, int pad_left, int th, int tw, float *xt_buf,
               const float *zero, float *v)
{
  gsize vstep = (gsize) th * tw * c;
  /* input rows already channel-last: all of them when x is */
  int ready = x_last ? h : 0;
  const float *xt = x_last ? x : xt_buf;

  for (int ti = 0; ti < th; ti++)
    {
      /* the rows this row of tiles reads, transposed just before (so they
       * are still in L1) */
      int need = CLAMP (2 * ti - pad_top + 4, 0, h);
      if (need > ready)
        {
          nt_transpose_ld (x + (gsize) ready * w, c, (need - ready) * w,
                           (gsize) h * w, xt_buf + (gsize) ready * w * c, c);
          ready = need;
        }
      for (int tj = 0; tj < tw; tj++)
        {
          const float *d[16];
          float *o = v + (gsize) (ti * tw + tj) * c;

          for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
              {
                int r = 2 * ti - pad_top + i, q = 2 * tj - pad_left + j;
                d[i * 4 + j] = r >= 0 && r < h && q >= 0 && q < w
                                   ? xt + ((gsize) r * w + q) * c
                                   : zero;
              }
          nt_wino_input_tile (d[0], d[1], d[2], d[3], d[4], d[5], d[6],
                              d[7], d[8], d[9], d[10], d[11], d[12], d[13],
                              d[14], d[15], o, vstep, c);
        }
    }
}

gsize
_nt_cpu_winograd_scratch (int c, int h, int w, int k, int oh, int ow)
{
  gsize t_n = (gsize) ((oh + 1) / 2) * ((ow + 1) / 2);

  return (gsize) h * w * c + 16 * t_n * c + 16 * t_n * k
         + (gsize) oh * ow * k + (gsize) MAX (c, k) + 3 * (gsize) k;
}

NT_WINO_CLONES
void
_nt_cpu_winograd_image (const float *x, gboolean x_last, int c, int h,
                        int w, int pad_top, int pad_left, const float *u,
                        int k, int oh, int ow, const float *bias,
                        gboolean relu, float *y, float *scratch)
{
  int th = (oh + 1) / 2, tw = (ow + 1) / 2, t_n = th * tw;
  /* channel-last input, V [16][T][C], M [16][T][K], channel-last output,
   * a zero vector for taps outside the image */
  float *xt = scratch;
  float *v = xt + (gsize) h * w * c;
  float *m = v + (gsize) 16 * t_n * c;
  float *yt = m + (gsize) 16 * t_n * k;
  float *zero = yt + (gsize) oh * ow * k;
  float *sink = zero + MAX (c, k);
  gsize vstep = (gsize) t_n * c, mstep = (gsize) t_n * k;

  memset (zero, 0, MAX (c, k) * sizeof (float));
  nt_wino_input (x, x_last, c, h, w, pad_top, pad_left, th, tw, xt, zero,
                 v);

  /* M[xi][T x K] = V[xi][T x C] U[xi][C x K] (no transposed operand:
   * OpenBLAS runs 144 x 64 x 32 at 171 GFLOP/s this way, 99 with U^T) */
  for (int xi = 0; xi < 16; xi++)
    _nt_cpu_sgemm (FALSE, FALSE, t_n, k, c, 1.0f, v + (gsize) xi * vstep, c,
                   u + (gsize) xi * k * c, k, 0.0f, m + (gsize) xi * mstep,
                   k);

  /* y tile = A^T m A, one row of tiles at a time into a channel-last band
   * of two output rows, which goes back to channel-major (with bias and
   * ReLU) while it is still in L1 */
  for (int ti = 0; ti < th; ti++)
    {
      int rows = MIN (2, oh - 2 * ti);

      for (int tj = 0; tj < tw; tj++)
        {
          const float *e = m + (gsize) (ti * tw + tj) * k;
          float *y00 = yt + (gsize) (2 * tj) * k;
          /* the tile's other outputs, or throw-away rows when they fall
           * outside (odd sizes); all four distinct, as restrict needs */
          gboolean right = 2 * tj + 1 < ow, down = rows == 2;
          float *y01 = right ? y00 + k : sink;
          float *y10 = down ? y00 + (gsize) ow * k : sink + k;
          float *y11 = right && down ? y00 + (gsize) (ow + 1) * k
                                     : sink + 2 * k;

          nt_wino_output_tile (e, mstep, y00, y01, y10, y11, k);
        }
      float *yrow = y + (gsize) (2 * ti) * ow;
      nt_transpose_ld (yt, rows * ow, k, k, yrow, (gsize) oh * ow);
      for (int kk = 0; kk < k; kk++)
        {
          float *yk = yrow + (gsize) kk * oh * ow;
          float b = bias ? bias[kk] : 0.0f;

          if (relu)
            for (int p = 0; p < rows * ow; p++)
              {
                float val = yk[p] + b;
                yk[p] = val > 0.0f ? val : 0.0f;
              }
          else if (b != 0.0f)
            for (int p = 0; p < rows * ow; p++)
              yk[p] += b;
        }
    }
}

/* One tile's output-gradient transform Z = A dY A^T (A = [1 0; 1 1; 1 -1;
 * 0 -1]) for all k channels: a, b, cc, d are the tile's four gradients
 * (rows of k floats, zero rows outside), z[xi * zstep + channel]. */
static inline __attribute__ ((always_inline)) void
nt_wino_grad_tile (const float *restrict a, const float *restrict b,
                   const float *restrict cc, const float *restrict d,
                   float *restrict z, gsize zstep, int k)
{
#pragma GCC ivdep
  for (int q = 0; q < k; q++)
    {
      /* W = A dY (4 x 2), then Z = W A^T column by column */
      float w00 = a[q], w01 = b[q];
      float w10 = a[q] + cc[q], w11 = b[q] + d[q];
      float w20 = a[q] - cc[q], w21 = b[q] - d[q];
      float w30 = -cc[q], w31 = -d[q];

      z[0 * zstep + q] = w00;
      z[1 * zstep + q] = w00 + w01;
      z[2 * zstep + q] = w00 - w01;
      z[3 * zstep + q] = -w01;
      z[4 * zstep + q] = w10;
      z[5 * zstep + q] = w10 + w11;
      z[6 * zstep + q] = w10 - w11;
      z[7 * zstep + q] = -w11;
      z[8 * zstep + q] = w20;
      z[9 * zstep + q] = w20 + w21;
      z[10 * zstep + q] = w20 - w21;
      z[11 * zstep + q] = -w21;
      z[12 * zstep + q] = w30;
      z[13 * zstep + q] = w30 + w31;
      z[14 * zstep + q] = w30 - w31;
      z[15 * zstep + q] = -w31;
    }
}

NT_WINO_CLONES
const float *
_nt_cpu_winograd_filter_image (const float *x, int c, int h, int w,
                               int pad_top, int pad_left, const float *g,
                               int k, int oh, int ow, gboolean first,
                               float *du, float *scratch)
{
  int th = (oh + 1) / 2, tw = (ow + 1) / 2, t_n = th * tw;
  /* the forward's layout: xt, V [16][T][C], Z [16][T][K] where M was, the
   * channel-last gradient where the output was, the zero row */
  float *xt = scratch;
  float *v = xt + (gsize) h * w * c;
  float *z = v + (gsize) 16 * t_n * c;
  float *gt = z + (gsize) 16 * t_n * k;
  float *zero = gt + (gsize) oh * ow * k;
  gsize vstep = (gsize) t_n * c, zstep = (gsize) t_n * k;

  memset (zero, 0, MAX (c, k) * sizeof (float));
  nt_wino_input (x, FALSE, c, h, w, pad_top, pad_left, th, tw, xt, zero, v);

  nt_transpose (g, k, oh * ow, gt);
  for (int ti = 0; ti < th; ti++)
    for (int tj = 0; tj < tw; tj++)
      {
        const float *a = gt + ((gsize) (2 * ti) * ow + 2 * tj) * k;
        gboolean right = 2 * tj + 1 < ow, down = 2 * ti + 1 < oh;

        nt_wino_grad_tile (a, right ? a + k : zero,
                           down ? a + (gsize) ow * k : zero,
                           right && down ? a + (gsize) (ow + 1) * k : zero,
                           z + (gsize) (ti * tw + tj) * k, zstep, k);
      }

  /* dU[xi][C x K] (+)= V[xi]^T Z[xi] */
  for (int xi = 0; xi < 16; xi++)
    _nt_cpu_sgemm (TRUE, FALSE, c, k, t_n, 1.0f, v + (gsize) xi * vstep, c,
                   z + (gsize) xi * zstep, k, first ? 0.0f : 1.0f,
                   du + (gsize) xi * c * k, k);
  return gt;
}

void
_nt_cpu_winograd_filter_finish (const float *du, int k, int c, float *dw)
{
  gsize plane = (gsize) c * k;

  /* dW[k][c] = G^T dU G, G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1] */
  for (int kk = 0; kk < k; kk++)
    for (int cc = 0; cc < c; cc++)
      {
        const float *e = du + (gsize) cc * k + kk;
        float t[3][4];
        float *out = dw + ((gsize) kk * c + cc) * 9;

        for (int j = 0; j < 4; j++)
          {
            float e0 = e[(gsize) (0 * 4 + j) * plane];
            float e1 = e[(gsize) (1 * 4 + j) * plane];
            float e2 = e[(gsize) (2 * 4 + j) * plane];
            float e3 = e[(gsize) (3 * 4 + j) * plane];
            t[0][j] = e0 + 0.5f * (e1 + e2);
            t[1][j] = 0.5f * (e1 - e2);
            t[2][j] = 0.5f * (e1 + e2) + e3;
          }
        for (int i = 0; i < 3; i++)
          {
            out[i * 3 + 0] = t[i][0] + 0.5f * (t[i][1] + t[i][2]);
            out[i * 3 + 1] = 0.5f * (t[i][1] - t[i][2]);
            out[i * 3 + 2] = 0.5f * (t[i][1] + t[i][2]) + t[i][3];
          }
      }
}
