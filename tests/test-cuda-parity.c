/* test-cuda-parity.c: the CUDA backend against the CPU backend, op by op on
 * fixed and random shapes (odd sizes, strides, asymmetric padding,
 * overlapping pooling windows with ties), then end to end: one training
 * step of the paper's cnn (loss, every gradient, the parameters after one
 * Adam step), several instances driven from several threads at once, and
 * the FGSM thresholds of a trained ramp model, and the exact attack
 * protocol on the GPU (the same files with networks of max_batch 64 and 5,
 * the baseline wrong at every one of its own thresholds; ramp and, when
 * MNIST is at hand, the cnn).
 *
 * Skipped (exit 77) when the cuda backend's probe fails, e.g. on a machine
 * without a GPU; the probe's reason is printed first.
 *
 * Tolerances (CPU result `want`, CUDA result `got`, per array):
 *   |got - want| <= rel * max_i |want_i| + abs
 *  - exact (rel = abs = 0, sign of zero included; NaN equal to NaN): fill,
 *    copy, upload/download, ReLU, dropout masks and outputs, max pooling
 *    forward and backward (both sum a window's gradients in the same
 *    order), bias_add, sign, clip, perturb along a sign direction, argmax;
 *  - rel 1e-6: scale_add and perturb along any direction (a host compiler
 *    that fuses a * b + c, e.g. on aarch64, rounds once where the kernels,
 *    built with -fmad=false, round twice);
 *  - rel 1e-4, abs 1e-5: GEMM and convolutions (cuBLAS / cuDNN against
 *    OpenBLAS im2col, different summation orders, FP32 without TF32);
 *  - rel 1e-5, abs 1e-6: bias gradient, softmax loss and gradient, Adam
 *    (double sums, device exp/log);
 *  - cnn step: rel 1e-3, abs 1e-6 for logits, loss and gradients (two
 *    convolutions, a pool and two dense layers compound the rounding).
 * FGSM thresholds: the log-grid search makes equal decisions on at least
 * 98% of the samples (a sample whose logits are within rounding of a tie at
 * a grid point may flip). */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nulltool.h"
#include "nt-ref-ops.h"
#include "nt-test-protocol.h"
#include "nt-test-util.h"

#define TOL_GEMM 1e-4, 1e-5
#define TOL_SUM 1e-5, 1e-6
#define TOL_NET 1e-3, 1e-6
#define TOL_ELT 1e-6, 0.0
#define EXACT 0.0, 0.0

static NtRegistry *reg;
static NtBackend *cpu, *gpu;

static void
setup (void)
{
  reg = nt_test_registry ();
  cpu = nt_test_backend (reg, "cpu:threads=1");
  gpu = nt_test_backend (reg, "cuda");
}

static void
teardown (void)
{
  nt_backend_free (gpu);
  nt_backend_free (cpu);
  nt_registry_free (reg);
  gpu = cpu = NULL;
  reg = NULL;
}

/* ---- helpers ------------------------------------------------------------ */

/* Small integers in [0, levels): many ties. */
static float *
rand_levels (GRand *r, gsize count, int levels)
{
  float *a = g_new (float, MAX (count, 1));
  for (gsize i = 0; i < count; i++)
    a[i] = (float) g_rand_int_range (r, 0, levels);
  return a;
}

/* Fails unless every got[i] is within rel * max|want| + abs of want[i]
 * (rel == abs == 0: bit-for-bit, NaN equal to NaN). */
static void
expect_close (const float *got, const float *want, gsize count, double rel,
              double abs_tol, const char *what)
{
  double scale = 0.0;

  for (gsize i = 0; i < count; i++)
    if (isfinite (want[i]))
      scale = MAX (scale, fabs (want[i]));
  for (gsize i = 0; i < count; i++)
    {
      gboolean ok;

      if (isnan (got[i]) || isnan (want[i]))
        ok = isnan (got[i]) && isnan (want[i]);
      else if (rel == 0.0 && abs_tol == 0.0)
        ok = got[i] == want[i] && signbit (got[i]) == signbit (want[i]);
      else
        ok = fabs ((double) got[i] - want[i]) <= rel * scale + abs_tol;
      if (!ok)
        ck_abort_msg ("%s: element %zu is %.9g on cuda, %.9g on cpu (tol "
                      "%g x %g + %g)", what, (size_t) i, got[i], want[i], rel,
                      scale, abs_tol);
    }
}

/* Downloads `count` elements of c (cpu) and g (cuda) and compares them. */
static void
expect_same (const NtBuffer *c, const NtBuffer *g, gsize count, double rel,
             double abs_tol, const char *what)
{
  float *want = nt_test_buf_get (cpu, c, count);
  float *got = nt_test_buf_get (gpu, g, count);
  expect_close (got, want, count, rel, abs_tol, what);
  g_free (want);
  g_free (got);
}

/* A pair of buffers, one per backend, with the same contents. */
typedef struct {
  NtBuffer *c, *g;
} Pair;

static Pair
pair_new (const float *src, gsize count)
{
  Pair p = { nt_test_buf (cpu, src, count), nt_test_buf (gpu, src, count) };
  return p;
}

static Pair
pair_nan (gsize count)
{
  Pair p = { nt_test_buf_nan (cpu, count), nt_test_buf_nan (gpu, count) };
  return p;
}

static void
pair_free (Pair p)
{
  cpu->ops->free (cpu, p.c);
  gpu->ops->free (gpu, p.g);
}

/* The buffer of `p` on backend b (0: cpu, 1: cuda), for the loops that run
 * the same ops on both. */
static NtBuffer *
side (Pair p, int b)
{
  return b ? p.g : p.c;
}

/* ---- memory ----------------------------------------------------------- */

START_TEST (test_memory)
{
  float src[10], out[10];
  NtBuffer *a, *b, *z;
  GError *err = NULL;

  for (int i = 0; i < 10; i++)
    src[i] = (float) i + 0.5f;
  a = nt_test_buf (gpu, src, 10);
  b = nt_test_buf (gpu, NULL, 10);
  gpu->ops->fill (gpu, b, 0, 10, -1.0f);
  gpu->ops->fill (gpu, b, 2, 3, 7.0f);
  gpu->ops->copy (gpu, b, 6, a, 1, 4);     /* b[6..9] = a[1..4] */
  gpu->ops->copy (gpu, a, 0, a, 5, 5);     /* same buffer, disjoint */
  gpu->ops->upload (gpu, a, 8, src, 2);    /* a[8..9] = 0.5, 1.5 */
  nt_test_assert_synced (gpu, "memory ops");

  ck_assert (gpu->ops->download (gpu, b, 0, out, 10, &err));
  {
    const float want[10] = { -1, -1, 7, 7, 7, -1, 1.5f, 2.5f, 3.5f, 4.5f };
    expect_close (out, want, 10, EXACT, "fill/copy");
  }
  ck_assert (gpu->ops->download (gpu, a, 3, out, 7, &err));
  {
    const float want[7] = { 8.5f, 9.5f, 5.5f, 6.5f, 7.5f, 0.5f, 1.5f };
    expect_close (out, want, 7, EXACT, "self copy/upload at offset");
  }

  /* Overlapping ranges of one buffer behave like memmove. */
  gpu->ops->upload (gpu, a, 0, src, 10);
  gpu->ops->copy (gpu, a, 2, a, 0, 6);
  ck_assert (gpu->ops->download (gpu, a, 0, out, 10, &err));
  {
    const float want[10] = { 0.5f, 1.5f, 0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f,
                             8.5f, 9.5f };
    expect_close (out, want, 10, EXACT, "overlapping copy");
  }

  /* A download outside the buffer is refused at once and is not sticky. */
  ck_assert (!gpu->ops->download (gpu, a, 5, out, 6, &err));
  ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                              NT_BACKEND_ERROR_INVALID));
  g_clear_error (&err);
  nt_test_assert_synced (gpu, "after refused download");

  /* Empty buffers are fine; absurd ones fail with OUT_OF_MEMORY. */
  z = nt_test_buf (gpu, NULL, 0);
  gpu->ops->fill (gpu, z, 0, 0, 1.0f);
  ck_assert (gpu->ops->download (gpu, z, 0, out, 0, &err));
  gpu->ops->free (gpu, z);
  ck_assert (gpu->ops->alloc (gpu, G_MAXSIZE, &err) == NULL);
  ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                              NT_BACKEND_ERROR_OUT_OF_MEMORY));
  g_clear_error (&err);
  ck_assert (gpu->ops->alloc (gpu, G_MAXSIZE / 16, &err) == NULL);
  ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                              NT_BACKEND_ERROR_OUT_OF_MEMORY));
  g_clear_error (&err);
  nt_test_assert_synced (gpu, "after refused allocations");

  gpu->ops->free (gpu, a);
  gpu->ops->free (gpu, b);
  gpu->ops->free (gpu, NULL);
  nt_test_assert_synced (gpu, "memory end");
}
END_TEST

/* Uploads larger than the staging chunk, at an offset, and the host array
 * reused at once. */
START_TEST (test_memory_large)
{
  const gsize count = 3 * 1024 * 1024 + 17;   /* 12 MiB + a tail */
  GRand *r = g_rand_new_with_seed (3);
  float *src = nt_test_rand_array (r, count, -1, 1);
  float *copy = g_memdup2 (src, count * sizeof (float));
  NtBuffer *b = nt_test_buf (gpu, NULL, count + 5);

  gpu->ops->fill (gpu, b, 0, 5, 2.0f);
  gpu->ops->upload (gpu, b, 5, src, count);
  memset (src, 0, count * sizeof (float));   /* the caller's to reuse */
  float *got = nt_test_buf_get (gpu, b, count + 5);
  for (int i = 0; i < 5; i++)
    ck_assert (got[i] == 2.0f);
  expect_close (got + 5, copy, count, EXACT, "large upload");
  gpu->ops->free (gpu, b);
  g_free (got);
  g_free (src);
  g_free (copy);
  g_rand_free (r);
}
END_TEST

/* ---- GEMM ------------------------------------------------------------- */

static void
gemm_case (GRand *r, gboolean ta, gboolean tb, int m, int n, int k,
           float alpha, float beta)
{
  float *a = nt_test_rand_array (r, (gsize) m * k, -1, 1);
  float *b = nt_test_rand_array (r, (gsize) k * n, -1, 1);
  float *c0 = nt_test_rand_array (r, (gsize) m * n, -1, 1);
  Pair pa = pair_new (a, (gsize) m * k), pb = pair_new (b, (gsize) k * n);
  Pair pc = beta == 0.0f ? pair_nan ((gsize) m * n)
                         : pair_new (c0, (gsize) m * n);
  char *what = g_strdup_printf ("gemm ta=%d tb=%d m=%d n=%d k=%d a=%g b=%g",
                                ta, tb, m, n, k, alpha, beta);

  cpu->ops->gemm (cpu, ta, tb, m, n, k, alpha, pa.c, pb.c, beta, pc.c);
  gpu->ops->gemm (gpu, ta, tb, m, n, k, alpha, pa.g, pb.g, beta, pc.g);
  nt_test_assert_synced (gpu, what);
  expect_same (pc.c, pc.g, (gsize) m * n, TOL_GEMM, what);
  g_free (what);
  pair_free (pa);
  pair_free (pb);
  pair_free (pc);
  g_free (a);
  g_free (b);
  g_free (c0);
}

START_TEST (test_gemm)
{
  GRand *r = g_rand_new_with_seed (11);
  static const int sizes[][3] = {
    { 1, 1, 1 }, { 7, 13, 5 }, { 13, 7, 1 }, { 33, 65, 129 },
    { 32, 128, 9216 }, { 32, 11, 128 }, { 1, 300, 2 }
  };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int t = 0; t < 4; t++)
      {
        gemm_case (r, t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2],
                   1.0f, 0.0f);
        gemm_case (r, t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2],
                   -0.5f, 0.75f);
      }
  /* k == 0: C = beta * C, and zero when beta == 0 (even over NaN). */
  gemm_case (r, FALSE, FALSE, 3, 4, 0, 1.0f, 0.5f);
  gemm_case (r, FALSE, FALSE, 3, 4, 0, 1.0f, 0.0f);
  for (int i = 0; i < 10; i++)
    gemm_case (r, g_rand_boolean (r), g_rand_boolean (r),
               g_rand_int_range (r, 1, 70), g_rand_int_range (r, 1, 70),
               g_rand_int_range (r, 1, 300), 1.0f,
               g_rand_boolean (r) ? 0.0f : 1.0f);
  g_rand_free (r);
}
END_TEST

/* ---- convolution -------------------------------------------------------- */

typedef struct {
  int n, c, h, w, k, kh, kw, sh, sw, pt, pb, pl, pr;
} ConvCase;

static void
conv_case (GRand *r, const ConvCase *cc)
{
  NtDims xd = { cc->n, cc->c, cc->h, cc->w };
  NtWindow win = { cc->kh, cc->kw, cc->sh, cc->sw, cc->pt, cc->pb, cc->pl,
                   cc->pr };
  int oh = nt_window_out_h (&win, cc->h), ow = nt_window_out_w (&win, cc->w);
  gsize nx = (gsize) cc->n * cc->c * cc->h * cc->w;
  gsize nw = (gsize) cc->k * cc->c * cc->kh * cc->kw;
  gsize ny = (gsize) cc->n * cc->k * oh * ow;
  float *x = nt_test_rand_array (r, nx, -1, 1);
  float *w = nt_test_rand_array (r, nw, -1, 1);
  float *dy = nt_test_rand_array (r, ny, -1, 1);
  Pair px = pair_new (x, nx), pw = pair_new (w, nw), pdy = pair_new (dy, ny);
  Pair py = pair_nan (ny), pdx = pair_nan (nx), pdw = pair_nan (nw);
  char *what = g_strdup_printf ("conv n=%d c=%d %dx%d k=%d %dx%d stride "
                                "%dx%d pad t%d b%d l%d r%d", cc->n, cc->c,
                                cc->h, cc->w, cc->k, cc->kh, cc->kw, cc->sh,
                                cc->sw, cc->pt, cc->pb, cc->pl, cc->pr);
  char *part;

  for (int b = 0; b < 2; b++)
    {
      NtBackend *be = b ? gpu : cpu;
      NtBuffer *bx = side (px, b), *bw = side (pw, b), *bdy = side (pdy, b);
      NtBuffer *by = side (py, b), *bdx = side (pdx, b), *bdw = side (pdw, b);

      be->ops->conv2d_forward (be, bx, xd, bw, cc->k, &win, by);
      be->ops->conv2d_backward_data (be, bdy, bw, xd, cc->k, &win, bdx);
      be->ops->conv2d_backward_filter (be, bx, bdy, xd, cc->k, &win, bdw);
      nt_test_assert_synced (be, what);
    }
  part = g_strdup_printf ("%s: forward", what);
  expect_same (py.c, py.g, ny, TOL_GEMM, part);
  g_free (part);
  part = g_strdup_printf ("%s: backward data", what);
  expect_same (pdx.c, pdx.g, nx, TOL_GEMM, part);
  g_free (part);
  part = g_strdup_printf ("%s: backward filter", what);
  expect_same (pdw.c, pdw.g, nw, TOL_GEMM, part);
  g_free (part);

  g_free (what);
  Pair all[] = { px, pw, pdy, py, pdx, pdw };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    pair_free (all[i]);
  g_free (x);
  g_free (w);
  g_free (dy);
}

START_TEST (test_conv_fixed)
{
  GRand *r = g_rand_new_with_seed (21);
  static const ConvCase cases[] = {
    /* n  c   h   w   k  kh kw sh sw pt pb pl pr */
    {  2, 3,  7,  9,  5, 3, 3, 1, 1, 0, 0, 0, 0 },   /* valid, odd sizes */
    {  2, 3,  7,  9,  5, 3, 3, 1, 1, 1, 1, 1, 1 },   /* symmetric "same" */
    {  2, 3,  7,  9,  5, 3, 3, 2, 2, 0, 0, 0, 0 },   /* stride 2 */
    {  2, 3,  8, 10,  5, 3, 3, 2, 2, 0, 0, 0, 0 },   /* last row/col unread */
    {  2, 3,  7,  9,  5, 3, 2, 2, 1, 1, 0, 0, 1 },   /* asymmetric, stride */
    {  3, 2,  6,  6,  4, 2, 2, 1, 1, 0, 1, 0, 1 },   /* even "same" */
    {  3, 2,  6,  7,  4, 4, 4, 3, 2, 2, 1, 1, 2 },   /* asymmetric both ways */
    {  4, 1,  1,  3,  8, 1, 2, 1, 1, 0, 0, 0, 1 },   /* the ramp model's */
    {  4, 8,  1,  3, 16, 1, 2, 1, 1, 0, 0, 0, 1 },
    {  2, 2,  4,  4,  3, 1, 1, 1, 1, 1, 1, 1, 1 },   /* pad >= kernel */
    {  1, 1,  5,  5,  1, 5, 5, 1, 1, 0, 0, 0, 0 },   /* kernel = image */
    {  5, 1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0 },   /* the cnn's conv1 */
    {  3, 32, 26, 26, 64, 3, 3, 1, 1, 0, 0, 0, 0 },  /* and conv2 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    conv_case (r, &cases[i]);
  g_rand_free (r);
}
END_TEST

START_TEST (test_conv_random)
{
  GRand *r = g_rand_new_with_seed (22);

  for (int i = 0; i < 40; i++)
    {
      ConvCase cc;

      cc.n = g_rand_int_range (r, 1, 5);
      cc.c = g_rand_int_range (r, 1, 6);
      cc.h = g_rand_int_range (r, 1, 13);
      cc.w = g_rand_int_range (r, 1, 13);
      cc.k = g_rand_int_range (r, 1, 7);
      cc.sh = g_rand_int_range (r, 1, 4);
      cc.sw = g_rand_int_range (r, 1, 4);
      cc.pt = g_rand_int_range (r, 0, 3);
      cc.pb = g_rand_int_range (r, 0, 3);
      cc.pl = g_rand_int_range (r, 0, 3);
      cc.pr = g_rand_int_range (r, 0, 3);
      cc.kh = g_rand_int_range (r, 1, MIN (6, cc.h + cc.pt + cc.pb) + 1);
      cc.kw = g_rand_int_range (r, 1, MIN (6, cc.w + cc.pl + cc.pr) + 1);
      conv_case (r, &cc);
    }
  g_rand_free (r);
}
END_TEST

/* ---- max pooling -------------------------------------------------------- */

START_TEST (test_maxpool)
{
  GRand *r = g_rand_new_with_seed (31);
  static const int cases[][8] = {
    /* n  c  h   w  kh kw sh sw */
    {  2, 3, 26, 26, 2, 2, 2, 2 },   /* the cnn's */
    {  2, 3,  7,  9, 2, 2, 2, 2 },   /* odd sizes: last row/column unused */
    {  2, 3,  7,  9, 3, 3, 2, 2 },   /* overlapping windows */
    {  3, 2,  8,  7, 3, 2, 1, 2 },   /* overlapping rows only */
    {  4, 16, 1,  3, 1, 2, 1, 1 },   /* the ramp model's */
    {  1, 1,  5,  5, 5, 5, 1, 1 },   /* one window */
    {  2, 2,  9,  9, 4, 4, 1, 1 },   /* heavy overlap */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (int ties = 0; ties < 2; ties++)
      {
        NtDims xd = { cases[i][0], cases[i][1], cases[i][2], cases[i][3] };
        NtWindow win = { cases[i][4], cases[i][5], cases[i][6], cases[i][7],
                         0, 0, 0, 0 };
        int oh = nt_window_out_h (&win, xd.h);
        int ow = nt_window_out_w (&win, xd.w);
        gsize nx = (gsize) xd.n * xd.c * xd.h * xd.w;
        gsize ny = (gsize) xd.n * xd.c * oh * ow;
        /* With ties: values from {0, 1, 2}, so most windows hold several
         * maxima and only the first may get the gradient. */
        float *x = ties ? rand_levels (r, nx, 3)
                        : nt_test_rand_array (r, nx, -1, 1);
        float *dy = nt_test_rand_array (r, ny, -1, 1);
        Pair px = pair_new (x, nx), pdy = pair_new (dy, ny);
        Pair py = pair_nan (ny), pdx = pair_nan (nx);
        char *what = g_strdup_printf ("maxpool case %u%s", i,
                                      ties ? " with ties" : "");

        cpu->ops->maxpool_forward (cpu, px.c, xd, &win, py.c);
        cpu->ops->maxpool_backward (cpu, px.c, pdy.c, xd, &win, pdx.c);
        gpu->ops->maxpool_forward (gpu, px.g, xd, &win, py.g);
        gpu->ops->maxpool_backward (gpu, px.g, pdy.g, xd, &win, pdx.g);
        nt_test_assert_synced (gpu, what);
        expect_same (py.c, py.g, ny, EXACT, what);
        expect_same (pdx.c, pdx.g, nx, EXACT, what);
        g_free (what);
        Pair all[] = { px, pdy, py, pdx };
        for (guint k = 0; k < G_N_ELEMENTS (all); k++)
          pair_free (all[k]);
        g_free (x);
        g_free (dy);
      }
  g_rand_free (r);
}
END_TEST

/* ---- bias, ReLU, dropout ---------------------------------------------- */

START_TEST (test_bias)
{
  GRand *r = g_rand_new_with_seed (41);
  static const int cases[][3] = {
    { 3, 5, 7 }, { 32, 128, 1 }, { 32, 11, 1 }, { 4, 64, 576 },
    { 1, 1, 1 }, { 2, 3, 1001 }
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int n = cases[i][0], c = cases[i][1], s = cases[i][2];
      gsize count = (gsize) n * c * s;
      float *y = nt_test_rand_array (r, count, -2, 2);
      float *b = nt_test_rand_array (r, c, -1, 1);
      Pair py = pair_new (y, count), pb = pair_new (b, c);
      Pair pdb = pair_nan (c);

      cpu->ops->bias_add (cpu, py.c, pb.c, n, c, s);
      gpu->ops->bias_add (gpu, py.g, pb.g, n, c, s);
      cpu->ops->bias_grad (cpu, py.c, n, c, s, pdb.c);
      gpu->ops->bias_grad (gpu, py.g, n, c, s, pdb.g);
      nt_test_assert_synced (gpu, "bias");
      expect_same (py.c, py.g, count, EXACT, "bias_add");
      expect_same (pdb.c, pdb.g, c, TOL_SUM, "bias_grad");
      pair_free (py);
      pair_free (pb);
      pair_free (pdb);
      g_free (y);
      g_free (b);
    }
  g_rand_free (r);
}
END_TEST

START_TEST (test_relu)
{
  GRand *r = g_rand_new_with_seed (51);
  const gsize count = 100003;
  float *x = nt_test_rand_array (r, count, -1, 1);
  float *dy = nt_test_rand_array (r, count, -1, 1);

  x[0] = 0.0f;
  x[1] = -0.0f;
  x[2] = NAN;
  x[3] = INFINITY;
  x[4] = -INFINITY;
  Pair px = pair_new (x, count), pdy = pair_new (dy, count);
  Pair py = pair_nan (count), pdx = pair_nan (count);
  Pair pin = pair_new (x, count);   /* in place: x == y, dx == dy */

  for (int b = 0; b < 2; b++)
    {
      NtBackend *be = b ? gpu : cpu;
      be->ops->relu_forward (be, side (px, b), side (py, b), count);
      be->ops->relu_backward (be, side (py, b), side (pdy, b), side (pdx, b),
                              count);
      be->ops->relu_forward (be, side (pin, b), side (pin, b), count);
      be->ops->relu_backward (be, side (py, b), side (pdy, b), side (pdy, b),
                              count);
    }
  nt_test_assert_synced (gpu, "relu");
  expect_same (py.c, py.g, count, EXACT, "relu_forward");
  expect_same (pdx.c, pdx.g, count, EXACT, "relu_backward");
  expect_same (pin.c, pin.g, count, EXACT, "relu_forward in place");
  expect_same (pdy.c, pdy.g, count, EXACT, "relu_backward in place");
  Pair all[] = { px, pdy, py, pdx, pin };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    pair_free (all[i]);
  g_free (x);
  g_free (dy);
  g_rand_free (r);
}
END_TEST

START_TEST (test_dropout)
{
  GRand *r = g_rand_new_with_seed (61);
  static const gsize counts[] = { 1, 1001, 100003 };
  static const float rates[] = { 0.0f, 0.25f, 0.5f, 0.9f };
  static const guint64 seeds[] = {
    0, 12345, G_GUINT64_CONSTANT (0xfedcba9876543210)
  };

  for (guint ci = 0; ci < G_N_ELEMENTS (counts); ci++)
    for (guint ri = 0; ri < G_N_ELEMENTS (rates); ri++)
      {
        gsize count = counts[ci];
        guint64 seed = seeds[(ci + ri) % G_N_ELEMENTS (seeds)];
        float *x = nt_test_rand_array (r, count, -1, 1);
        float *dy = nt_test_rand_array (r, count, -1, 1);
        Pair px = pair_new (x, count), pdy = pair_new (dy, count);
        Pair py = pair_nan (count), pm = pair_nan (count);
        Pair pdx = pair_nan (count), pin = pair_new (x, count);
        Pair pm2 = pair_nan (count);

        for (int b = 0; b < 2; b++)
          {
            NtBackend *be = b ? gpu : cpu;
            be->ops->dropout_forward (be, side (px, b), side (py, b),
                                      side (pm, b), count, rates[ri], seed);
            be->ops->dropout_backward (be, side (pdy, b), side (pm, b),
                                       side (pdx, b), count);
            /* in place (x == y) */
            be->ops->dropout_forward (be, side (pin, b), side (pin, b),
                                      side (pm2, b), count, rates[ri], seed);
          }
        nt_test_assert_synced (gpu, "dropout");
        expect_same (pm.c, pm.g, count, EXACT, "dropout mask");
        expect_same (py.c, py.g, count, EXACT, "dropout_forward");
        expect_same (pdx.c, pdx.g, count, EXACT, "dropout_backward");
        expect_same (pin.c, pin.g, count, EXACT, "dropout in place");
        expect_same (pm2.c, pm2.g, count, EXACT, "dropout mask in place");
        Pair all[] = { px, pdy, py, pm, pdx, pin, pm2 };
        for (guint k = 0; k < G_N_ELEMENTS (all); k++)
          pair_free (all[k]);
        g_free (x);
        g_free (dy);
      }
  g_rand_free (r);
}
END_TEST

/* ---- softmax cross-entropy, argmax ------------------------------------ */

START_TEST (test_softmax_xent)
{
  GRand *r = g_rand_new_with_seed (71);
  static const int cases[][2] = {
    { 1, 1 }, { 1, 11 }, { 7, 2 }, { 32, 11 }, { 64, 100 }, { 1000, 11 }
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (int big = 0; big < 2; big++)
      {
        int n = cases[i][0], classes = cases[i][1];
        gsize count = (gsize) n * classes;
        /* big: logits up to +-80, where a naive exp() overflows floats */
        float *z = nt_test_rand_array (r, count, big ? -80 : -3, big ? 80 : 3);
        int *labels = g_new (int, n);
        float loss_c = 0.0f, loss_g = 0.0f, loss_g2 = 0.0f;
        float loss_g_only = 0.0f;

        for (int k = 0; k < n; k++)
          labels[k] = g_rand_int_range (r, 0, classes);
        Pair pz = pair_new (z, count), pd = pair_nan (count);
        Pair pd2 = pair_nan (count);

        cpu->ops->softmax_xent (cpu, pz.c, labels, n, classes, &loss_c, pd.c);
        gpu->ops->softmax_xent (gpu, pz.g, labels, n, classes, &loss_g, pd.g);
        /* without dlogits, and without the loss */
        gpu->ops->softmax_xent (gpu, pz.g, labels, n, classes, &loss_g_only,
                                NULL);
        cpu->ops->softmax_xent (cpu, pz.c, labels, n, classes, NULL, pd2.c);
        gpu->ops->softmax_xent (gpu, pz.g, labels, n, classes, NULL, pd2.g);
        /* the labels array is the caller's again on return */
        memset (labels, 0xff, (gsize) n * sizeof (int));
        gpu->ops->softmax_xent (gpu, pz.g, (int[]) { 0 }, 1, classes,
                                &loss_g2, NULL);
        nt_test_assert_synced (gpu, "softmax_xent");
        expect_close (&loss_g, &loss_c, 1, TOL_SUM, "softmax loss");
        expect_close (&loss_g_only, &loss_c, 1, TOL_SUM,
                      "softmax loss without dlogits");
        ck_assert (isfinite (loss_g2));
        expect_same (pd.c, pd.g, count, TOL_SUM, "softmax dlogits");
        expect_same (pd2.c, pd2.g, count, TOL_SUM,
                     "softmax dlogits without loss");
        pair_free (pz);
        pair_free (pd);
        pair_free (pd2);
        g_free (z);
        g_free (labels);
      }
  g_rand_free (r);
}
END_TEST

/* A label outside [0, classes) is a sticky INVALID error reported by
 * sync() and download(); the loss is NaN. */
START_TEST (test_softmax_bad_label)
{
  static const int bad[][3] = { { 0, 11, 2 }, { 1, -1, 3 } };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      NtBackend *be = nt_test_backend (reg, "cuda");
      float z[33] = { 0 }, loss = 0.0f, out[1];
      int labels[3] = { 1, 2, 3 };
      GError *err = NULL;
      NtBuffer *bz = nt_test_buf (be, z, 33), *bd = nt_test_buf (be, NULL, 33);

      nt_test_assert_synced (be, "before the bad label");
      labels[bad[i][0]] = bad[i][1];
      be->ops->softmax_xent (be, bz, labels, bad[i][2], 11, &loss, bd);
      ck_assert (isnan (loss));
      ck_assert (!be->ops->sync (be, &err));
      ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                                  NT_BACKEND_ERROR_INVALID));
      ck_assert_msg (strstr (err->message, "label") != NULL, "%s",
                     err->message);
      g_clear_error (&err);
      /* sticky: later good work does not clear it */
      be->ops->fill (be, bz, 0, 33, 1.0f);
      ck_assert (!be->ops->sync (be, &err));
      g_clear_error (&err);
      ck_assert (!be->ops->download (be, bz, 0, out, 1, &err));
      ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                                  NT_BACKEND_ERROR_INVALID));
      g_clear_error (&err);
      be->ops->free (be, bz);
      be->ops->free (be, bd);
      nt_backend_free (be);
    }
}
END_TEST

START_TEST (test_argmax)
{
  GRand *r = g_rand_new_with_seed (81);
  static const int cases[][2] = { { 1, 1 }, { 5, 11 }, { 1000, 11 },
                                  { 37, 3 }, { 3, 300 } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int n = cases[i][0], classes = cases[i][1];
      gsize count = (gsize) n * classes;
      /* few levels: ties everywhere, the first must win */
      float *x = rand_levels (r, count, 4);
      int *oc = g_new (int, n), *og = g_new (int, n);

      if (count > 3)
        {
          x[0] = NAN;
          x[classes > 1 ? 1 : 0] = INFINITY;
          x[count - 1] = -INFINITY;
        }
      Pair px = pair_new (x, count);
      cpu->ops->argmax (cpu, px.c, n, classes, oc);
      gpu->ops->argmax (gpu, px.g, n, classes, og);
      nt_test_assert_synced (gpu, "argmax");
      for (int k = 0; k < n; k++)
        ck_assert_msg (og[k] == oc[k], "argmax row %d: cuda %d, cpu %d", k,
                       og[k], oc[k]);
      pair_free (px);
      g_free (x);
      g_free (oc);
      g_free (og);
    }
  g_rand_free (r);
}
END_TEST

/* ---- Adam --------------------------------------------------------------- */

START_TEST (test_adam)
{
  GRand *r = g_rand_new_with_seed (91);
  const gsize count = 10007;
  float *p = nt_test_rand_array (r, count, -1, 1);
  Pair pp = pair_new (p, count), pm = pair_new (NULL, count);
  Pair pv = pair_new (NULL, count);

  cpu->ops->fill (cpu, pm.c, 0, count, 0.0f);
  cpu->ops->fill (cpu, pv.c, 0, count, 0.0f);
  gpu->ops->fill (gpu, pm.g, 0, count, 0.0f);
  gpu->ops->fill (gpu, pv.g, 0, count, 0.0f);
  for (int step = 1; step <= 12; step++)
    {
      /* the same gradient on both, so the comparison tests Adam alone */
      float *g = nt_test_rand_array (r, count, -0.1, 0.1);
      Pair pg = pair_new (g, count);

      cpu->ops->adam_update (cpu, pp.c, pg.c, pm.c, pv.c, count, 1e-3f, 0.9f,
                             0.999f, 1e-8f, step);
      gpu->ops->adam_update (gpu, pp.g, pg.g, pm.g, pv.g, count, 1e-3f, 0.9f,
                             0.999f, 1e-8f, step);
      nt_test_assert_synced (gpu, "adam");
      expect_same (pm.c, pm.g, count, TOL_SUM, "adam m");
      expect_same (pv.c, pv.g, count, TOL_SUM, "adam v");
      expect_same (pp.c, pp.g, count, TOL_SUM, "adam param");
      pair_free (pg);
      g_free (g);
    }
  pair_free (pp);
  pair_free (pm);
  pair_free (pv);
  g_free (p);
  g_rand_free (r);
}
END_TEST

/* ---- attack helpers ----------------------------------------------------- */

START_TEST (test_attack_helpers)
{
  GRand *r = g_rand_new_with_seed (101);
  const int rows = 37, cols = 785;
  const gsize count = (gsize) rows * cols;
  float *x = nt_test_rand_array (r, count, -0.2, 1.2);
  float *d = nt_test_rand_array (r, count, -1, 1);
  float *eps = nt_test_rand_array (r, rows, 0, 0.5);

  x[0] = 0.0f;
  x[1] = -0.0f;
  x[2] = NAN;
  Pair px = pair_new (x, count), pd = pair_new (d, count);
  Pair ps = pair_nan (count), pin = pair_new (x, count);
  Pair py = pair_new (d, count), py0 = pair_nan (count);
  Pair pc = pair_new (x, count), pout = pair_nan (count);
  Pair psg = pair_nan (count), pout2 = pair_nan (count);

  for (int b = 0; b < 2; b++)
    {
      NtBackend *be = b ? gpu : cpu;
      be->ops->sign (be, side (px, b), side (ps, b), count);
      be->ops->sign (be, side (pin, b), side (pin, b), count);
      be->ops->scale_add (be, side (py, b), 0.3f, side (px, b), -1.7f, count);
      be->ops->scale_add (be, side (py0, b), 0.3f, side (px, b), 0.0f, count);
      be->ops->clip (be, side (pc, b), 0.0f, 1.0f, count);
      be->ops->perturb (be, side (px, b), side (pd, b), eps, rows, cols, 0.0f,
                        1.0f, side (pout, b));
      /* FGSM's use: a sign direction */
      be->ops->sign (be, side (pd, b), side (psg, b), count);
      be->ops->perturb (be, side (px, b), side (psg, b), eps, rows, cols,
                        0.0f, 1.0f, side (pout2, b));
    }
  nt_test_assert_synced (gpu, "attack helpers");
  expect_same (ps.c, ps.g, count, EXACT, "sign");
  expect_same (pin.c, pin.g, count, EXACT, "sign in place");
  expect_same (py.c, py.g, count, TOL_ELT, "scale_add");
  expect_same (py0.c, py0.g, count, EXACT, "scale_add beta 0");
  expect_same (pc.c, pc.g, count, EXACT, "clip");
  expect_same (pout.c, pout.g, count, TOL_ELT, "perturb");
  expect_same (pout2.c, pout2.g, count, EXACT, "perturb along a sign");

  Pair all[] = { px, pd, ps, pin, py, py0, pc, pout, psg, pout2 };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    pair_free (all[i]);
  g_free (x);
  g_free (d);
  g_free (eps);
  g_rand_free (r);
}
END_TEST

/* ---- argument errors ---------------------------------------------------- */

/* Each bad call makes a fresh instance fail with INVALID at sync(), as on
 * the CPU. */
START_TEST (test_invalid_args)
{
  for (int i = 0; i < 8; i++)
    {
      NtBackend *be = nt_test_backend (reg, "cuda");
      NtBuffer *a = nt_test_buf (be, NULL, 16);
      NtBuffer *b = nt_test_buf (be, NULL, 16);
      NtDims xd = { 1, 1, 4, 4 };
      NtWindow big = { 5, 5, 1, 1, 0, 0, 0, 0 };
      NtWindow pad = { 2, 2, 2, 2, 1, 0, 0, 0 };
      NtWindow ok = { 2, 2, 1, 1, 0, 0, 0, 0 };
      GError *err = NULL;
      int label = 0;
      float loss;

      switch (i)
        {
        case 0: be->ops->gemm (be, FALSE, FALSE, 4, 4, 2, 1, a, b, 0, NULL);
          break;
        case 1: be->ops->gemm (be, FALSE, FALSE, 5, 4, 4, 1, a, b, 0, a);
          break;
        case 2: be->ops->conv2d_forward (be, a, xd, b, 1, &big, a);
          break;
        case 3: be->ops->maxpool_forward (be, a, xd, &pad, b);
          break;
        case 4: be->ops->conv2d_forward (be, a, xd, b, 4, &ok, a);
          break;   /* y needs 4 x 3 x 3 = 36 elements */
        case 5: be->ops->clip (be, a, 1.0f, 0.0f, 16);
          break;
        case 6: be->ops->perturb (be, a, b, NULL, 2, 8, 0.0f, 1.0f, a);
          break;
        default: be->ops->softmax_xent (be, a, &label, 0, 4, &loss, NULL);
          break;
        }
      ck_assert_msg (!be->ops->sync (be, &err), "case %d passed", i);
      ck_assert_msg (g_error_matches (err, NT_BACKEND_ERROR,
                                      NT_BACKEND_ERROR_INVALID),
                     "case %d: %s", i, err->message);
      g_clear_error (&err);
      be->ops->free (be, a);
      be->ops->free (be, b);
      nt_backend_free (be);
    }
}
END_TEST

/* ---- the backend class -------------------------------------------------- */

START_TEST (test_class)
{
  GError *err = NULL;
  NtBackend *be;

  ck_assert_str_eq (nt_backend_name (gpu), "cuda");
  /* auto picks the GPU when it is usable */
  be = nt_backend_open (reg, "auto", &err);
  ck_assert_msg (be != NULL, "%s", err ? err->message : "");
  ck_assert_str_eq (nt_backend_name (be), "cuda");
  nt_backend_free (be);
  /* a device that does not exist */
  ck_assert (nt_backend_open (reg, "cuda:device=1023", &err) == NULL);
  ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                              NT_BACKEND_ERROR_INVALID));
  ck_assert_msg (strstr (err->message, "device") != NULL, "%s",
                 err->message);
  g_clear_error (&err);
  be = nt_backend_open (reg, "cuda:device=0", &err);
  ck_assert_msg (be != NULL, "%s", err ? err->message : "");
  nt_backend_free (be);
}
END_TEST

/* ---- several instances, several threads --------------------------------- */

typedef struct {
  NtBackend *be;
  int seed;
  float *out;     /* result of the worker's series of ops */
  gsize count;
} Worker;

/* A fixed series of GEMMs and convolutions on one instance. */
static gpointer
worker_run (gpointer data)
{
  Worker *wk = data;
  NtBackend *be = wk->be;
  GRand *r = g_rand_new_with_seed (wk->seed);
  NtDims xd = { 16, 3, 13, 11 };
  NtWindow win = { 3, 2, 1, 2, 1, 0, 0, 1 };
  int oh = nt_window_out_h (&win, xd.h), ow = nt_window_out_w (&win, xd.w);
  gsize nx = 16 * 3 * 13 * 11, nw = 8 * 3 * 3 * 2, ny = 16 * 8 * oh * ow;
  float *x = nt_test_rand_array (r, nx, -1, 1);
  float *w = nt_test_rand_array (r, nw, -1, 1);
  GError *err = NULL;
  NtBuffer *bx = be->ops->alloc (be, nx, &err);
  NtBuffer *bw = be->ops->alloc (be, nw, &err);
  NtBuffer *by = be->ops->alloc (be, ny, &err);
  NtBuffer *bg = be->ops->alloc (be, nw, &err);

  wk->count = nw;
  wk->out = g_new0 (float, nw);
  if (bx && bw && by && bg)
    {
      be->ops->upload (be, bx, 0, x, nx);
      be->ops->upload (be, bw, 0, w, nw);
      for (int it = 0; it < 50; it++)
        {
          be->ops->conv2d_forward (be, bx, xd, bw, 8, &win, by);
          be->ops->relu_forward (be, by, by, ny);
          be->ops->conv2d_backward_filter (be, bx, by, xd, 8, &win, bg);
          be->ops->scale_add (be, bw, -1e-3f, bg, 1.0f, nw);
        }
      (void) be->ops->download (be, bw, 0, wk->out, nw, NULL);
    }
  be->ops->free (be, bx);
  be->ops->free (be, bw);
  be->ops->free (be, by);
  be->ops->free (be, bg);
  g_free (x);
  g_free (w);
  g_rand_free (r);
  return NULL;
}

START_TEST (test_threads)
{
  enum { N = 4 };
  Worker solo[N], multi[N];
  GThread *th[N];

  /* each series alone, then all at once on their own instances */
  for (int i = 0; i < N; i++)
    {
      solo[i].be = nt_test_backend (reg, "cuda");
      solo[i].seed = 200 + i;
      worker_run (&solo[i]);
      nt_test_assert_synced (solo[i].be, "solo worker");
      multi[i].be = nt_test_backend (reg, "cuda");
      multi[i].seed = 200 + i;
    }
  for (int i = 0; i < N; i++)
    th[i] = g_thread_new ("cuda-worker", worker_run, &multi[i]);
  for (int i = 0; i < N; i++)
    g_thread_join (th[i]);
  for (int i = 0; i < N; i++)
    {
      nt_test_assert_synced (multi[i].be, "threaded worker");
      /* deterministic algorithms: the same bits with or without company */
      expect_close (multi[i].out, solo[i].out, solo[i].count, EXACT,
                    "threaded result");
      g_free (solo[i].out);
      g_free (multi[i].out);
      nt_backend_free (solo[i].be);
      nt_backend_free (multi[i].be);
    }
}
END_TEST

/* ---- one cnn training step ---------------------------------------------- */

static NtNetwork *
cnn_on (NtBackend *be)
{
  GError *err = NULL;
  NtNetwork *net = nt_model_build (reg, be, "cnn:max_batch=32", 1, 28, 28,
                                   11, &err);
  ck_assert_msg (net != NULL, "%s", err ? err->message : "");
  nt_network_init_glorot (net, 7);
  return net;
}

/* Forward (training: dropout with `training`), loss, backward with the input
 * gradient, one Adam step, on both backends; compares every stage. */
static void
cnn_step (gboolean training)
{
  enum { N = 16 };
  const gsize sample = 28 * 28;
  GRand *r = g_rand_new_with_seed (training ? 301 : 302);
  float *x = nt_test_rand_array (r, N * sample, 0, 1);
  int labels[N];
  NtNetwork *nets[2] = { cnn_on (cpu), cnn_on (gpu) };
  NtBackend *bes[2] = { cpu, gpu };
  NtBuffer *dx[2];
  float loss[2];
  NtAdam *adam[2];
  GError *err = NULL;

  for (int i = 0; i < N; i++)
    labels[i] = g_rand_int_range (r, 0, 11);
  for (int b = 0; b < 2; b++)
    {
      NtBackend *be = bes[b];
      NtBuffer *in = nt_network_input_buffer (nets[b]);
      NtBuffer *dl = nt_network_dlogits_buffer (nets[b]);
      const NtBuffer *logits;

      be->ops->upload (be, in, 0, x, N * sample);
      logits = nt_network_forward (nets[b], in, N, training, 4242);
      be->ops->softmax_xent (be, logits, labels, N, 11, &loss[b], dl);
      dx[b] = nt_test_buf (be, NULL, N * sample);
      nt_network_backward (nets[b], dl, dx[b]);
      adam[b] = nt_adam_new (nets[b], 1e-3f, 0.9f, 0.999f, 1e-8f, &err);
      ck_assert_msg (adam[b] != NULL, "%s", err ? err->message : "");
      nt_test_assert_synced (be, "cnn step");
    }
  ck_assert (isfinite (loss[0]));
  expect_close (&loss[1], &loss[0], 1, TOL_NET, "cnn loss");
  {
    float *logits[2];

    for (int b = 0; b < 2; b++)
      {
        NtBuffer *in = nt_network_input_buffer (nets[b]);
        const NtBuffer *out = nt_network_forward (nets[b], in, N, FALSE, 0);

        logits[b] = nt_test_buf_get (bes[b], out, N * 11);
      }
    expect_close (logits[1], logits[0], N * 11, TOL_NET,
                  "cnn logits (inference)");
    g_free (logits[0]);
    g_free (logits[1]);
  }
  expect_same (dx[0], dx[1], N * sample, TOL_NET, "cnn input gradient");

  guint np = nt_network_n_params (nets[0]);
  ck_assert_uint_eq (np, nt_network_n_params (nets[1]));
  float **grad_c = g_new0 (float *, np);
  for (guint i = 0; i < np; i++)
    {
      gsize count = nt_network_param_count (nets[0], i);
      char *what = g_strdup_printf ("cnn gradient of %s",
                                    nt_network_param_name (nets[0], i));
      grad_c[i] = nt_test_buf_get (cpu, nt_network_param_grad (nets[0], i),
                                   count);
      float *g = nt_test_buf_get (gpu, nt_network_param_grad (nets[1], i),
                                  count);
      expect_close (g, grad_c[i], count, TOL_NET, what);
      g_free (g);
      g_free (what);
    }

  /* One Adam step. Its first update is about lr * sign(g) wherever |g| is
   * well above eps, so a gradient that rounding pushed across zero moves
   * its parameter by up to 2 lr the other way: parameters must agree to
   * 1e-6 where |g| > 1e-3 max|g|, and within 2 lr + 1e-6 everywhere. */
  for (int b = 0; b < 2; b++)
    {
      nt_adam_step (adam[b]);
      nt_test_assert_synced (bes[b], "adam step");
    }
  for (guint i = 0; i < np; i++)
    {
      gsize count = nt_network_param_count (nets[0], i);
      float *pc = nt_test_buf_get (cpu, nt_network_param (nets[0], i), count);
      float *pg = nt_test_buf_get (gpu, nt_network_param (nets[1], i), count);
      double gmax = 0.0;

      for (gsize j = 0; j < count; j++)
        gmax = MAX (gmax, fabs (grad_c[i][j]));
      for (gsize j = 0; j < count; j++)
        {
          double d = fabs ((double) pg[j] - pc[j]);
          double tol = fabs (grad_c[i][j]) > 1e-3 * gmax ? 1e-6 : 2e-3 + 1e-6;
          ck_assert_msg (d <= tol, "%s[%zu] after one Adam step: cuda %.9g, "
                         "cpu %.9g (gradient %.3g)",
                         nt_network_param_name (nets[0], i), (size_t) j,
                         pg[j], pc[j], grad_c[i][j]);
        }
      g_free (pc);
      g_free (pg);
      g_free (grad_c[i]);
    }
  g_free (grad_c);

  for (int b = 0; b < 2; b++)
    {
      nt_adam_free (adam[b]);
      bes[b]->ops->free (bes[b], dx[b]);
      nt_network_free (nets[b]);
    }
  g_free (x);
  g_rand_free (r);
}

START_TEST (test_cnn_step_dropout)
{
  cnn_step (TRUE);
}
END_TEST

START_TEST (test_cnn_step_no_dropout)
{
  cnn_step (FALSE);
}
END_TEST

/* ---- FGSM thresholds of a trained ramp model ---------------------------- */

#define N_RAMP 200

START_TEST (test_fgsm_thresholds)
{
  GError *err = NULL;
  NtDataset *ds = nt_dataset_open (reg, "ramp", &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  NtNetwork *nets[2];
  NtBackend *bes[2] = { cpu, gpu };
  NtAttack *fgsm[2];
  NtBuffer *xb[2];
  gsize idx[N_RAMP];
  float x[N_RAMP * 3], t[2][N_RAMP];
  int labels[N_RAMP];

  for (int b = 0; b < 2; b++)
    {
      nets[b] = nt_model_build (reg, bes[b], "ramp-cnn", 1, 1, 3, 3, &err);
      ck_assert_msg (nets[b] != NULL, "%s", err ? err->message : "");
      nt_network_init_glorot (nets[b], 1);
    }
  /* Train on the CPU (briefly), then give the GPU the same weights. */
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = 1;
  cfg.steps_per_epoch = 400;
  cfg.val_limit = 500;
  cfg.seed = 1;
  cfg.model = "ramp-cnn";
  ck_assert_msg (nt_train (nets[0], ds, &cfg, NULL, &err), "%s",
                 err ? err->message : "");
  for (guint i = 0; i < nt_network_n_params (nets[0]); i++)
    {
      gsize n = nt_network_param_count (nets[0], i);
      float *v = nt_test_buf_get (cpu, nt_network_param (nets[0], i), n);
      gpu->ops->upload (gpu, nt_network_param (nets[1], i), 0, v, n);
      g_free (v);
    }

  for (int i = 0; i < N_RAMP; i++)
    idx[i] = i;
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TEST, idx, N_RAMP, x, labels,
                             &err));
  for (int b = 0; b < 2; b++)
    {
      xb[b] = nt_test_buf (bes[b], x, N_RAMP * 3);
      fgsm[b] = nt_attack_open (reg, "fgsm", bes[b], N_RAMP, 3, &err);
      ck_assert_msg (fgsm[b] != NULL, "%s", err ? err->message : "");
      ck_assert_msg (nt_threshold_search (fgsm[b], nets[b], nets[b], xb[b],
                                          labels, N_RAMP,
                                          NT_THRESHOLD_LOG_GRID, 1e-3, t[b],
                                          &err),
                     "%s: %s", nt_backend_name (bes[b]),
                     err ? err->message : "");
    }
  int same = 0, found = 0;
  for (int i = 0; i < N_RAMP; i++)
    {
      same += t[0][i] == t[1][i];
      found += t[0][i] > 0.0f;
    }
  fprintf (stderr, "ramp fgsm thresholds: %d of %d equal on cuda and cpu "
           "(%d found on cpu)\n", same, N_RAMP, found);
  ck_assert_int_gt (found, N_RAMP / 2);
  ck_assert_msg (same * 100 >= N_RAMP * 98, "only %d of %d thresholds "
                 "agree", same, N_RAMP);

  for (int b = 0; b < 2; b++)
    {
      nt_attack_free (fgsm[b]);
      bes[b]->ops->free (bes[b], xb[b]);
      nt_network_free (nets[b]);
    }
  nt_dataset_free (ds);
}
END_TEST

/* ---- the exact attack protocol on the GPU ------------------------------- */

START_TEST (test_protocol_exact)
{
  char *dir = g_dir_make_tmp ("nt-test-cuda-protocol-XXXXXX", NULL);
  char *ramp = g_build_filename (dir, "ramp", NULL);
  nt_test_check_protocol_exact (reg, gpu, "ramp", "ramp-cnn", "u", 400, 60,
                                0, 5, ramp);
  char *mnist = nt_test_mnist_dir ();
  if (mnist != NULL)
    {
      char *sel = g_strdup_printf ("mnist:dir=%s", mnist);
      char *sub = g_build_filename (dir, "mnist", NULL);
      nt_test_check_protocol_exact (reg, gpu, sel, "cnn", "m", 300, 200, 3,
                                    5, sub);
      g_free (sub);
      g_free (sel);
    }
  else
    fprintf (stderr, "test_protocol_exact: no MNIST, cnn part skipped\n");
  nt_test_rm_rf (dir);
  g_free (mnist);
  g_free (ramp);
  g_free (dir);
}
END_TEST

/* ---- main --------------------------------------------------------------- */

static Suite *
cuda_parity_suite (void)
{
  Suite *s = suite_create ("cuda-parity");
  TCase *tc = tcase_create ("ops");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_memory);
  tcase_add_test (tc, test_memory_large);
  tcase_add_test (tc, test_gemm);
  tcase_add_test (tc, test_conv_fixed);
  tcase_add_test (tc, test_conv_random);
  tcase_add_test (tc, test_maxpool);
  tcase_add_test (tc, test_bias);
  tcase_add_test (tc, test_relu);
  tcase_add_test (tc, test_dropout);
  tcase_add_test (tc, test_softmax_xent);
  tcase_add_test (tc, test_softmax_bad_label);
  tcase_add_test (tc, test_argmax);
  tcase_add_test (tc, test_adam);
  tcase_add_test (tc, test_attack_helpers);
  tcase_add_test (tc, test_invalid_args);
  tcase_add_test (tc, test_class);
  tcase_add_test (tc, test_threads);
  tcase_add_test (tc, test_cnn_step_dropout);
  tcase_add_test (tc, test_cnn_step_no_dropout);
  tcase_add_test (tc, test_fgsm_thresholds);
  tcase_add_test (tc, test_protocol_exact);
  suite_add_tcase (s, tc);
  return s;
}

/* The probe runs in a child process: CUDA cannot be used in a process
 * forked after CUDA was initialised, and Check forks one process per test.
 * Returns TRUE when usable; otherwise *reason_out (caller frees) says why.
 * Exits the test (failure) when the plugin was built but does not load. */
static gboolean
probe_in_child (char **reason_out)
{
  int fd[2];
  pid_t pid;
  int status = 0;
  GString *reason = g_string_new (NULL);
  char buf[256];
  ssize_t got;

  if (pipe (fd) != 0 || (pid = fork ()) < 0)
    {
      perror ("test-cuda-parity: pipe/fork");
      exit (EXIT_FAILURE);
    }
  if (pid == 0)
    {
      NtRegistry *registry = nt_test_registry ();
      const NtBackendClass *klass = (const NtBackendClass *)
        nt_registry_lookup (registry, NT_KIND_BACKEND, "cuda");
      char *why = NULL;
      int code = 0;

      close (fd[0]);
      if (klass == NULL)
        {
          /* Built with CUDA, so the plugin must load: say why it did not. */
          const GPtrArray *failures = nt_registry_failures (registry);
          GString *msg = g_string_new ("the cuda backend plugin was not "
                                       "loaded");

          for (guint i = 0; failures != NULL && i < failures->len; i++)
            {
              const NtPluginFailure *f = g_ptr_array_index (failures, i);
              g_string_append_printf (msg, "\n  %s: %s", f->file, f->reason);
            }
          why = g_string_free (msg, FALSE);
          code = 2;
        }
      else if (klass->probe != NULL && !klass->probe (&why))
        code = 1;
      if (why != NULL && write (fd[1], why, strlen (why)) < 0)
        code = 2;
      _exit (code);
    }
  close (fd[1]);
  while ((got = read (fd[0], buf, sizeof buf)) > 0)
    g_string_append_len (reason, buf, got);
  close (fd[0]);
  if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status)
      || WEXITSTATUS (status) == 2)
    {
      fprintf (stderr, "test-cuda-parity: %s\n",
               reason->len ? reason->str : "the probe process failed");
      exit (EXIT_FAILURE);
    }
  if (WEXITSTATUS (status) == 0)
    {
      g_string_free (reason, TRUE);
      return TRUE;
    }
  *reason_out = g_string_free (reason, FALSE);
  return FALSE;
}

int
main (void)
{
  char *reason = NULL;

  if (!probe_in_child (&reason))
    {
      printf ("test-cuda-parity: SKIP: cuda backend unavailable: %s\n",
              *reason ? reason : "no reason given");
      g_free (reason);
      return 77;
    }
  return nt_test_run_suite (cuda_parity_suite ());
}
