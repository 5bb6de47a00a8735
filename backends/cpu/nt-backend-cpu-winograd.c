/* nt-backend-cpu-winograd.c: 3x3 stride-1 convolutions by Winograd's
 * minimal filtering F(m x m, 3x3), m = 2 or 4 (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016).
 *
 * Each m x m output tile is computed from an a x a input tile (a = m + 2)
 * with a^2 products instead of 9 m^2: 16 instead of 36 for F(2x2,3x3), 36
 * instead of 144 for F(4x4,3x3). For one image of C input and K output
 * channels and T tiles, with the data channel-last (transposed in and out):
 *   U[xi][C x K] = G g G^T          kernel transform (once per call)
 *   V[xi][T x C] = B^T d B          input transform
 *   M[xi][T x K] = V[xi] U[xi]      a^2 GEMMs, one per xi
 *   y tile       = A^T m A          output transform (+ bias, ReLU)
 * with, for F(2x2,3x3),
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * and for F(4x4,3x3) (interpolation points 0, +-1, +-2)
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0;
 *          0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6;
 *          1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
 * The paper's conv2 (32 -> 64 channels, 26x26 -> 24x24) then takes, per
 * image, 16 GEMMs of 144 x 64 x 32 (9.4 MFLOP) with F(2x2,3x3) or 36 of
 * 36 x 64 x 32 (5.3 MFLOP) with F(4x4,3x3), instead of one 64 x 576 x 288
 * GEMM (21.2 MFLOP); everything stays in L2. Results differ from the direct
 * product by float rounding only, a little more of it with F(4x4,3x3)
 * (larger coefficients; relative differences around 1e-6 instead of 1e-7).
 * Channel-last data lets every transform loop run over channels, which
 * vectorises; channel-major data would leave rows of a few tiles.
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

/* G of F(2x2,3x3) and of F(4x4,3x3), a x 3 (rows past a unused). */
static const double nt_wino_g[2][6][3] = {
  { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } },
  { { 1 / 4.0, 0, 0 }, { -1 / 6.0, -1 / 6.0, -1 / 6.0 },
    { -1 / 6.0, 1 / 6.0, -1 / 6.0 }, { 1 / 24.0, 1 / 12.0, 1 / 6.0 },
    { 1 / 24.0, -1 / 12.0, 1 / 6.0 }, { 0, 0, 1 } },
};

/* u[xi][c][k] (a^2 x C x K) from w[K][C][3][3]. With `flip`, the kernel
 * of the data gradient instead: u[xi][k][c] from w[k][c] rotated by 180
 * degrees (its input channels are the forward's outputs). Computed in
 * double (1/6 and 1/24 are not floats), once per call, on `threads`. */
void
_nt_cpu_winograd_kernels (int threads, int m, const float *w, int k, int c,
                          gboolean flip, float *u)
{
  const double (*gm)[3] = nt_wino_g[m == 4];
  int a = m + 2;
  gsize plane = (gsize) k * c;

  /* outer over the transform's input channels, inner over its outputs:
   * the stores of one xi plane are then contiguous */
  int outer = flip ? k : c, inner = flip ? c : k;

  NT_OMP (parallel for num_threads (threads) schedule (static))
  for (int o = 0; o < outer; o++)
    for (int i = 0; i < inner; i++)
      {
        int kk = flip ? o : i, cc = flip ? i : o;
        const float *g = w + ((gsize) kk * c + cc) * 9;
        double f[9], t[6][3];
        /* [xi][input channel][output channel]: the layout of the right
         * GEMM operand (the forward's input channels are c, the data
         * gradient's are k) */
        gsize at = (gsize) o * inner + i;

        for (int q = 0; q < 9; q++)
          f[q] = flip ? g[8 - q] : g[q];
        /* t = G f (a x 3), then G f G^T (a x a) */
        for (int r = 0; r < a; r++)
          for (int j = 0; j < 3; j++)
            t[r][j] = gm[r][0] * f[j] + gm[r][1] * f[3 + j]
                      + gm[r][2] * f[6 + j];
        for (int r = 0; r < a; r++)
          for (int j = 0; j < a; j++)
            u[(gsize) (r * a + j) * plane + at]
              = (float) (t[r][0] * gm[j][0] + t[r][1] * gm[j][1]
                         + t[r][2] * gm[j][2]);
      }
}

/* F(2x2,3x3): one tile's input transform V = B^T d B for all c channels:
 * d00..d33 are
 * the 16 taps (channel-last rows of c floats, possibly the same zero row),
 * o[xi * vstep + channel] the output. restrict lets the channel loop
 * vectorise without run-time overlap checks (GCC gives up beyond 10).
 * always_inline, here and below: inlined into each target clone of the
 * caller, so the loop is compiled for that clone's vector width. */
NT_AI void
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

/* F(2x2,3x3): one tile's output transform A^T m A for all k channels:
 * e[xi * mstep + channel] the 16 products, y00..y11 the tile's four
 * outputs (distinct channel-last rows). */
NT_AI void
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

/* F(4x4,3x3): 6 x 6 tiles are too many values for one pass over the
 * channels (the registers would spill), so each 2-D transform is two passes
 * of a 1-D one, columns then rows, through `tmp` (a^2 rows of channels, in
 * L1). The 1-D transforms, over n channels: */

/* o = B^T d for one column (or row) of six taps */
NT_AI void
nt_wino4_in_1d (const float *restrict d0, const float *restrict d1,
                const float *restrict d2, const float *restrict d3,
                const float *restrict d4, const float *restrict d5,
                float *restrict o0, float *restrict o1, float *restrict o2,
                float *restrict o3, float *restrict o4, float *restrict o5,
                int n)
{
  for (int q = 0; q < n; q++)
    {
      float a = d1[q] + d2[q], b = d1[q] - d2[q], e = d4[q] - d2[q];

      o0[q] = 4.0f * d0[q] - 5.0f * d2[q] + d4[q];
      o1[q] = d3[q] + d4[q] - 4.0f * a;
      o2[q] = d4[q] - d3[q] + 4.0f * b;
      o3[q] = e + 2.0f * (d3[q] - d1[q]);
      o4[q] = e + 2.0f * (d1[q] - d3[q]);
      o5[q] = 4.0f * d1[q] - 5.0f * d3[q] + d5[q];
    }
}

/* o = A^T e for one column (or row) of six products */
NT_AI void
nt_wino4_out_1d (const float *restrict e0, const float *restrict e1,
                 const float *restrict e2, const float *restrict e3,
                 const float *restrict e4, const float *restrict e5,
                 float *restrict o0, float *restrict o1, float *restrict o2,
                 float *restrict o3, int n)
{
  for (int q = 0; q < n; q++)
    {
      float a = e1[q] + e2[q], b = e1[q] - e2[q];
      float c = e3[q] + e4[q], d = e3[q] - e4[q];

      o0[q] = e0[q] + a + c;
      o1[q] = b + 2.0f * d;
      o2[q] = a + 4.0f * c;
      o3[q] = b + 8.0f * d + e5[q];
    }
}

/* z = A g for one column (or row) of four output gradients */
NT_AI void
nt_wino4_grad_1d (const float *restrict g0, const float *restrict g1,
                  const float *restrict g2, const float *restrict g3,
                  float *restrict z0, float *restrict z1, float *restrict z2,
                  float *restrict z3, float *restrict z4, float *restrict z5,
                  int n)
{
  for (int q = 0; q < n; q++)
    {
      float s = g0[q] + g2[q], t = g1[q] + g3[q];
      float u = g0[q] + 4.0f * g2[q], v = 2.0f * g1[q] + 8.0f * g3[q];

      z0[q] = g0[q];
      z1[q] = s + t;
      z2[q] = s - t;
      z3[q] = u + v;
      z4[q] = u - v;
      z5[q] = g3[q];
    }
}

/* One tile's V = B^T d B: d[i * 6 + j] the 36 taps (rows of c floats),
 * o[xi * vstep + channel]. */
NT_AI void
nt_wino4_input_tile (const float *const *d, float *restrict tmp,
                     float *restrict o, gsize vstep, int c)
{
#define T(i, j) (tmp + (gsize) ((i) * 6 + (j)) * c)
#define O(i, j) (o + (gsize) ((i) * 6 + (j)) * vstep)
  for (int j = 0; j < 6; j++)
    nt_wino4_in_1d (d[j], d[6 + j], d[12 + j], d[18 + j], d[24 + j],
                    d[30 + j], T (0, j), T (1, j), T (2, j), T (3, j),
                    T (4, j), T (5, j), c);
  for (int i = 0; i < 6; i++)
    nt_wino4_in_1d (T (i, 0), T (i, 1), T (i, 2), T (i, 3), T (i, 4),
                    T (i, 5), O (i, 0), O (i, 1), O (i, 2), O (i, 3),
                    O (i, 4), O (i, 5), c);
#undef T
#undef O
}

/* One tile's A^T m A: e[xi * mstep + channel] the 36 products, the 4 x 4
 * outputs to y + r * ystep + s * k (channel-last rows). */
NT_AI void
nt_wino4_output_tile (const float *restrict e, gsize mstep,
                      float *restrict tmp, float *restrict y, gsize ystep,
                      int k)
{
#define E(i, j) (e + (gsize) ((i) * 6 + (j)) * mstep)
#define T(i, j) (tmp + (gsize) ((i) * 6 + (j)) * k)
#define Y(r, s) (y + (gsize) (r) * ystep + (gsize) (s) * k)
  for (int j = 0; j < 6; j++)
    nt_wino4_out_1d (E (0, j), E (1, j), E (2, j), E (3, j), E (4, j),
                     E (5, j), T (0, j), T (1, j), T (2, j), T (3, j), k);
  for (int r = 0; r < 4; r++)
    nt_wino4_out_1d (T (r, 0), T (r, 1), T (r, 2), T (r, 3), T (r, 4),
                     T (r, 5), Y (r, 0), Y (r, 1), Y (r, 2), Y (r, 3), k);
#undef E
#undef T
#undef Y
}

/* One tile's Z = A dY A^T: g[r * 4 + s] the 16 gradients (rows of k
 * floats, zero rows outside), z[xi * zstep + channel]. */
NT_AI void
nt_wino4_grad_tile (const float *const *g, float *restrict tmp,
                    float *restrict z, gsize zstep, int k)
{
#define T(i, s) (tmp + (gsize) ((i) * 4 + (s)) * k)
#define Z(i, j) (z + (gsize) ((i) * 6 + (j)) * zstep)
  for (int s = 0; s < 4; s++)
    nt_wino4_grad_1d (g[s], g[4 + s], g[8 + s], g[12 + s], T (0, s),
                      T (1, s), T (2, s), T (3, s), T (4, s), T (5, s), k);
  for (int i = 0; i < 6; i++)
    nt_wino4_grad_1d (T (i, 0), T (i, 1), T (i, 2), T (i, 3), Z (i, 0),
                      Z (i, 1), Z (i, 2), Z (i, 3), Z (i, 4), Z (i, 5), k);
#undef T
#undef Z
}

/* dst[j * ldd + i] = src[i * lds + j] for a rows x cols matrix: 4 x 4
 * blocks through SSE registers (every x86-64 has SSE), edges element by
 * element. Bands of 32 source rows: each destination row gets 128
 * contiguous bytes per band, and the band's source lines stay in L1 while
 * it is walked. */
NT_AI void
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
NT_AI void
nt_transpose (const float *restrict src, int rows, int cols,
              float *restrict dst)
{
  nt_transpose_ld (src, rows, cols, cols, dst, rows);
}

/* V[xi][t][:] = B^T d B for every tile t of the th x tw tiling of x
 * (channel-major c x h x w, padded by pad_top/pad_left), through the
 * channel-last copy xt_buf (h w c floats), or of x itself when it is
 * already channel-last (`x_last`); `zero` is a zero row of c floats, tmp
 * the transforms' own scratch. */
NT_AI void
nt_wino_input (int m, const float *x, gboolean x_last, int c, int h, int w,
               int pad_top, int pad_left, int th, int tw, float *xt_buf,
               const float *zero, float *tmp, float *v)
{
  int a = m + 2;
  gsize vstep = (gsize) th * tw * c;
  /* input rows already channel-last: all of them when x is */
  int ready = x_last ? h : 0;
  const float *xt = x_last ? x : xt_buf;

  for (int ti = 0; ti < th; ti++)
    {
      /* the rows this row of tiles reads, transposed just before (so they
       * are still in L1) */
      int need = CLAMP (m * ti - pad_top + a, 0, h);
      if (need > ready)
        {
          nt_transpose_ld (x + (gsize) ready * w, c, (need - ready) * w,
                           (gsize) h * w, xt_buf + (gsize) ready * w * c, c);
          ready = need;
        }
      for (int tj = 0; tj < tw; tj++)
        {
          const float *d[36];
          float *o = v + (gsize) (ti * tw + tj) * c;

          for (int i = 0; i < a; i++)
            for (int j = 0; j < a; j++)
              {
                int r = m * ti - pad_top + i, q = m * tj - pad_left + j;
                d[i * a + j] = r >= 0 && r < h && q >= 0 && q < w
                                   ? xt + ((gsize) r * w + q) * c
                                   : zero;
              }
          if (m == 4)
            nt_wino4_input_tile (d, tmp, o, vstep, c);
          else
            nt_wino_input_tile (d[0], d[1], d[2], d[3], d[4], d[5], d[6],
                                d[7], d[8], d[9], d[10], d[11], d[12], d[13],
                                d[14], d[15], o, vstep, c);
        }
    }
}

/* The scratch regions of one image's forward (and filter gradient), in
 * this order: the channel-last input, V [a^2][T][C], M [a^2][T][K], the
 * channel-last output band (m rows of m tw positions) or, in the filter
 * gradient, the whole channel-last output gradient, a zero row, the tile
 * transforms' scratch. */
typedef struct {
  int th, tw, t_n;   /* tile rows, tile columns, tiles */
  float *xt, *v, *m_or_z, *out, *zero, *tmp;
} NtWinoScratch;

NT_AI gsize
nt_wino_layout (int m, int c, int h, int w, int k, int oh, int ow,
                float *base, NtWinoScratch *s)
{
  int a = m + 2, th = (oh + m - 1) / m, tw = (ow + m - 1) / m;
  gsize t_n = (gsize) th * tw, a2 = (gsize) a * a;
  gsize sizes[6] = { (gsize) h * w * c, a2 * t_n * c, a2 * t_n * k,
                     MAX ((gsize) oh * ow * k, (gsize) m * m * tw * k),
                     (gsize) MAX (c, k), a2 * MAX (c, k) };
  float **regions[6] = { &s->xt, &s->v, &s->m_or_z, &s->out, &s->zero,
                         &s->tmp };
  gsize at = 0;

  s->th = th;
  s->tw = tw;
  s->t_n = (int) t_n;
  for (int i = 0; i < 6; i++)
    {
      *regions[i] = base ? base + at : NULL;
      at += sizes[i];
    }
  return at;
}

gsize
_nt_cpu_winograd_scratch (int m, int c, int h, int w, int k, int oh, int ow)
{
  NtWinoScratch s;

  return nt_wino_layout (m, c, h, w, k, oh, ow, NULL, &s);
}

NT_AI void
nt_wino_image (int m, const float *x, gboolean x_last, int c, int h, int w,
               int pad_top, int pad_left, const float *u, int k, int oh,
               int ow, const float *bias, gboolean relu, float *y,
               float *scratch)
{
  NtWinoScratch s;
  nt_wino_layout (m, c, h, w, k, oh, ow, scratch, &s);
  int a2 = (m + 2) * (m + 2), tw = s.tw;
  gsize vstep = (gsize) s.t_n * c, mstep = (gsize) s.t_n * k;
  /* the output band's row: m tw positions of k channels */
  gsize band_row = (gsize) m * tw * k;

  memset (s.zero, 0, MAX (c, k) * sizeof (float));
  nt_wino_input (m, x, x_last, c, h, w, pad_top, pad_left, s.th, tw, s.xt,
                 s.zero, s.tmp, s.v);

  /* M[xi][T x K] = V[xi][T x C] U[xi][C x K] (no transposed operand:
   * OpenBLAS runs 144 x 64 x 32 at 171 GFLOP/s this way, 99 with U^T) */
  for (int xi = 0; xi < a2; xi++)
    _nt_cpu_sgemm (FALSE, FALSE, s.t_n, k, c, 1.0f, s.v + (gsize) xi * vstep,
                   c, u + (gsize) xi * k * c, k, 0.0f,
                   s.m_or_z + (gsize) xi * mstep, k);

  /* y tile = A^T m A, one row of tiles at a time into the channel-last
   * band (tiles past the right or bottom edge write its spare positions
   * and rows), which goes back to channel-major (with bias and ReLU) while
   * it is still in L1 */
  for (int ti = 0; ti < s.th; ti++)
    {
      int rows = MIN (m, oh - m * ti);

      for (int tj = 0; tj < tw; tj++)
        {
          const float *e = s.m_or_z + (gsize) (ti * tw + tj) * k;
          float *yb = s.out + (gsize) (m * tj) * k;

          if (m == 4)
            nt_wino4_output_tile (e, mstep, s.tmp, yb, band_row, k);
          else
            nt_wino_output_tile (e, mstep, yb, yb + k, yb + band_row,
                                 yb + band_row + k, k);
        }
      float *yrow = y + (gsize) (m * ti) * ow;
      for (int r = 0; r < rows; r++)
        nt_transpose_ld (s.out + r * band_row, ow, k, k, yrow + r * ow,
                         (gsize) oh * ow);
      for (int kk = 0; kk < k; kk++)
        {
          float b = bias ? bias[kk] : 0.0f;

          if (relu || b != 0.0f)
            nt_bias_act (yrow + (gsize) kk * oh * ow,
                         yrow + (gsize) kk * oh * ow, (gsize) rows * ow, b,
                         relu);
        }
    }
}

/* One clone per vector width, each with m = 2 and m = 4 inlined (every
 * transform then has constant coefficients and loop bounds). */
NT_CPU_CLONES
void
_nt_cpu_winograd_image (int m, const float *x, gboolean x_last, int c, int h,
                        int w, int pad_top, int pad_left, const float *u,
                        int k, int oh, int ow, const float *bias,
                        gboolean relu, float *y, float *scratch)
{
  if (m == 4)
    nt_wino_image (4, x, x_last, c, h, w, pad_top, pad_left, u, k, oh, ow,
                   bias, relu, y, scratch);
  else
    nt_wino_image (2, x, x_last, c, h, w, pad_top, pad_left, u, k, oh, ow,
                   bias, relu, y, scratch);
}

/* F(2x2,3x3): one tile's output-gradient transform Z = A dY A^T (A =
 * [1 0; 1 1; 1 -1; 0 -1]) for all k channels: a, b, cc, d are the tile's
 * four gradients (rows of k floats, zero rows outside), z[xi * zstep +
 * channel]. */
NT_AI void
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

NT_AI const float *
nt_wino_filter_image (int m, const float *x, int c, int h, int w,
                      int pad_top, int pad_left, const float *g, int k,
                      int oh, int ow, gboolean first, float *du,
                      float *scratch)
{
  NtWinoScratch s;
  nt_wino_layout (m, c, h, w, k, oh, ow, scratch, &s);
  int a2 = (m + 2) * (m + 2);
  gsize vstep = (gsize) s.t_n * c, zstep = (gsize) s.t_n * k;
  /* the channel-last gradient, where the forward's output band was */
  float *gt = s.out;

  memset (s.zero, 0, MAX (c, k) * sizeof (float));
  nt_wino_input (m, x, FALSE, c, h, w, pad_top, pad_left, s.th, s.tw, s.xt,
                 s.zero, s.tmp, s.v);

  nt_transpose (g, k, oh * ow, gt);
  for (int ti = 0; ti < s.th; ti++)
    for (int tj = 0; tj < s.tw; tj++)
      {
        const float *gp[16];
        float *z = s.m_or_z + (gsize) (ti * s.tw + tj) * k;

        for (int r = 0; r < m; r++)
          for (int q = 0; q < m; q++)
            {
              int row = m * ti + r, col = m * tj + q;
              gp[r * m + q] = row < oh && col < ow
                                  ? gt + ((gsize) row * ow + col) * k
                                  : s.zero;
            }
        if (m == 4)
          nt_wino4_grad_tile (gp, s.tmp, z, zstep, k);
        else
          nt_wino_grad_tile (gp[0], gp[1], gp[2], gp[3], z, zstep, k);
      }

  /* dU[xi][C x K] (+)= V[xi]^T Z[xi] */
  for (int xi = 0; xi < a2; xi++)
    _nt_cpu_sgemm (TRUE, FALSE, c, k, s.t_n, 1.0f, s.v + (gsize) xi * vstep,
                   c, s.m_or_z + (gsize) xi * zstep, k, first ? 0.0f : 1.0f,
                   du + (gsize) xi * c * k, k);
  return gt;
}

NT_CPU_CLONES
const float *
_nt_cpu_winograd_filter_image (int m, const float *x, int c, int h, int w,
                               int pad_top, int pad_left, const float *g,
                               int k, int oh, int ow, gboolean first,
                               float *du, float *scratch)
{
  return m == 4 ? nt_wino_filter_image (4, x, c, h, w, pad_top, pad_left, g,
                                        k, oh, ow, first, du, scratch)
                : nt_wino_filter_image (2, x, c, h, w, pad_top, pad_left, g,
                                        k, oh, ow, first, du, scratch);
}

void
_nt_cpu_winograd_filter_finish (int m, const float *du, int k, int c,
                                float *dw)
{
  const double (*gm)[3] = nt_wino_g[m == 4];
  int a = m + 2;
  gsize plane = (gsize) c * k;

  /* dW[k][c] = G^T dU G, in double like the kernel transform */
  for (int kk = 0; kk < k; kk++)
    for (int cc = 0; cc < c; cc++)
      {
        const float *e = du + (gsize) cc * k + kk;
        double t[3][6];
        float *out = dw + ((gsize) kk * c + cc) * 9;

        for (int p = 0; p < 3; p++)
          for (int j = 0; j < a; j++)
            {
              double sum = 0.0;
              for (int i = 0; i < a; i++)
                sum += gm[i][p] * e[(gsize) (i * a + j) * plane];
              t[p][j] = sum;
            }
        for (int p = 0; p < 3; p++)
          for (int q = 0; q < 3; q++)
            {
              double sum = 0.0;
              for (int j = 0; j < a; j++)
                sum += t[p][j] * gm[j][q];
              out[p * 3 + q] = (float) sum;
            }
      }
}
