/* test-cpu-ops.c: every operation of the CPU backend against the naive
 * references of nt-ref-ops.c, on fixed and random shapes, with threads=1 and
 * threads=2; plus hand-computed cases, adjoint identities of the convolution
 * and the error paths (bad labels, bad shapes, absurd allocations).
 *
 * Tolerance: the references sum in double, the backend in float (BLAS
 * blocking, OpenMP). A float result passes when
 *   |got - want| <= TOL * max(1, max_i |want_i|)
 * i.e. 1e-4 relative to the largest magnitude of the expected array (sums of
 * many random terms cancel, so a per-element relative bound would be
 * meaningless near zero). Selections, masks, signs and clips must match
 * exactly. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "nt-backend.h"
#include "nt-ref-ops.h"
#include "nt-test-util.h"

#define TOL 1e-4

static const char *const selections[] = { "cpu:threads=1", "cpu:threads=2" };

static NtRegistry *reg;
static NtBackend *be;

static void
open_be (int i)
{
  reg = nt_test_registry ();
  be = nt_test_backend (reg, selections[i]);
}

static void
close_be (void)
{
  nt_backend_free (be);
  nt_registry_free (reg);
  be = NULL;
  reg = NULL;
}

/* nt-test-util's buffer helpers on this file's backend `be` */
#define assert_synced(what) nt_test_assert_synced (be, what)
#define buf_new(src, count) nt_test_buf (be, src, count)
#define buf_nan(count) nt_test_buf_nan (be, count)
#define buf_get(b, count) nt_test_buf_get (be, b, count)
#define rand_array(r, count, lo, hi) nt_test_rand_array (r, count, lo, hi)

/* Fails unless got ~ want within `tol` relative to the largest expected
 * magnitude (tol == 0: exact, NaN equal to NaN). */
static void
expect_close (const float *got, const float *want, gsize count, double tol,
              const char *what)
{
  double scale = 1.0;

  for (gsize i = 0; i < count; i++)
    scale = MAX (scale, fabs (want[i]));
  for (gsize i = 0; i < count; i++)
    {
      gboolean ok;

      if (tol == 0.0)
        ok = got[i] == want[i] || (isnan (got[i]) && isnan (want[i]));
      else
        ok = fabs ((double) got[i] - want[i]) <= tol * scale;
      /* ck_assert logs every call, far too slow per element */
      if (!ok)
        ck_abort_msg ("%s: element %zu is %.9g, expected %.9g (tol %g x "
                      "%g)", what, (size_t) i, got[i], want[i], tol, scale);
    }
}

/* Compares buffer `b` with host `want`. */
static void
expect_buf (const NtBuffer *b, const float *want, gsize count, double tol,
            const char *what)
{
  float *got = buf_get (b, count);
  expect_close (got, want, count, tol, what);
  g_free (got);
}

static double
dot (const float *a, const float *b, gsize count)
{
  double s = 0.0;
  for (gsize i = 0; i < count; i++)
    s += (double) a[i] * b[i];
  return s;
}

/* ---- memory ----------------------------------------------------------- */

START_TEST (test_memory)
{
  float src[10], out[10];
  NtBuffer *a, *b, *z;
  GError *err = NULL;

  open_be (_i);
  for (int i = 0; i < 10; i++)
    src[i] = (float) i + 0.5f;
  a = buf_new (src, 10);
  b = buf_new (NULL, 10);
  be->ops->fill (be, b, 0, 10, -1.0f);
  be->ops->fill (be, b, 2, 3, 7.0f);
  be->ops->copy (be, b, 6, a, 1, 4);      /* b[6..9] = a[1..4] */
  be->ops->copy (be, a, 0, a, 5, 5);      /* same buffer, disjoint */
  be->ops->upload (be, a, 8, src, 2);     /* a[8..9] = 0.5, 1.5 */
  assert_synced ("memory ops");

  ck_assert (be->ops->download (be, b, 0, out, 10, &err));
  {
    const float want[10] = { -1, -1, 7, 7, 7, -1, 1.5f, 2.5f, 3.5f, 4.5f };
    expect_close (out, want, 10, 0.0, "fill/copy");
  }
  ck_assert (be->ops->download (be, a, 3, out, 7, &err));
  {
    const float want[7] = { 8.5f, 9.5f, 5.5f, 6.5f, 7.5f, 0.5f, 1.5f };
    expect_close (out, want, 7, 0.0, "self copy/upload at offset");
  }

  /* A download outside the buffer is refused at once and is not sticky. */
  ck_assert (!be->ops->download (be, a, 5, out, 6, &err));
  ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                              NT_BACKEND_ERROR_INVALID));
  g_clear_error (&err);
  assert_synced ("after refused download");

  /* Empty buffers are fine; absurd ones fail with OUT_OF_MEMORY. */
  z = buf_new (NULL, 0);
  be->ops->free (be, z);
  ck_assert (be->ops->alloc (be, G_MAXSIZE, &err) == NULL);
  ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                              NT_BACKEND_ERROR_OUT_OF_MEMORY));
  g_clear_error (&err);
  ck_assert (be->ops->alloc (be, G_MAXSIZE / 16, &err) == NULL);
  ck_assert (g_error_matches (err, NT_BACKEND_ERROR,
                              NT_BACKEND_ERROR_OUT_OF_MEMORY));
  g_clear_error (&err);

  be->ops->free (be, a);
  be->ops->free (be, b);
  be->ops->free (be, NULL);
  assert_synced ("memory end");
  close_be ();
}
END_TEST

/* ---- gemm ------------------------------------------------------------- */

/* Shapes for BLAS and for the backend's own skinny kernels (the last
 * four): long k with few outputs (NT: 4 x 4 blocks, k in 1024 chunks, a k
 * tail, edge rows and columns, a split over two threads), short k with
 * long rows (NN, TN: 4 x 64 blocks and edges); every shape runs with all
 * four transpositions. */
START_TEST (test_gemm)
{
  static const int shapes[][3] = {
    { 3, 5, 7 }, { 1, 1, 1 }, { 17, 9, 33 }, { 64, 11, 128 }, { 2, 300, 5 },
    { 128, 32, 9216 / 8 }, { 6, 7, 1030 }, { 32, 70, 2100 },
    { 6, 1100, 20 }, { 33, 2090, 100 }
  };
  static const float ab[][2] = { { 1, 0 }, { 0.5f, -2 }, { -1.5f, 1 } };
  GRand *r = g_rand_new_with_seed (11);

  open_be (_i);
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (int t = 0; t < 4; t++)
      for (guint q = 0; q < G_N_ELEMENTS (ab); q++)
        {
          int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
          gboolean ta = t & 1, tb = (t >> 1) & 1;
          float alpha = ab[q][0], beta = ab[q][1];
          float *a = rand_array (r, (gsize) m * k, -1, 1);
          float *b = rand_array (r, (gsize) k * n, -1, 1);
          float *c = rand_array (r, (gsize) m * n, -1, 1);
          NtBuffer *ba = buf_new (a, (gsize) m * k);
          NtBuffer *bb = buf_new (b, (gsize) k * n);
          NtBuffer *bc = beta == 0 ? buf_nan ((gsize) m * n)
                                   : buf_new (c, (gsize) m * n);
          char *what = g_strdup_printf ("gemm m=%d n=%d k=%d ta=%d tb=%d "
                                        "alpha=%g beta=%g", m, n, k, ta, tb,
                                        alpha, beta);

          be->ops->gemm (be, ta, tb, m, n, k, alpha, ba, bb, beta, bc);
          assert_synced (what);
          nt_ref_gemm (ta, tb, m, n, k, alpha, a, b, beta, c);
          expect_buf (bc, c, (gsize) m * n, TOL, what);
          g_free (what);
          g_free (a);
          g_free (b);
          g_free (c);
          be->ops->free (be, ba);
          be->ops->free (be, bb);
          be->ops->free (be, bc);
        }

  /* k == 0: C = beta * C. */
  {
    float c[6] = { 1, 2, 3, 4, 5, 6 }, want[6];
    NtBuffer *e = buf_new (NULL, 0), *bc = buf_new (c, 6);

    be->ops->gemm (be, FALSE, FALSE, 2, 3, 0, 1.0f, e, e, 0.5f, bc);
    for (int i = 0; i < 6; i++)
      want[i] = 0.5f * c[i];
    assert_synced ("gemm k=0");
    expect_buf (bc, want, 6, 0.0, "gemm k=0");
    be->ops->free (be, e);
    be->ops->free (be, bc);
  }
  g_rand_free (r);
  close_be ();
}
END_TEST

/* ---- convolution ------------------------------------------------------ */

/* The fused convolutions (conv2d_forward_bias, conv2d_backward_bias), with
 * and without ReLU, against the reference ops composed by hand: y = act(conv
 * + b); g = dy masked by y > 0; db = sum g; dw, dx from g. x, w, dy are the
 * host arrays of check_conv and y0, dx0, dw0 its references (conv(x, w) and
 * the gradients from dy): without ReLU g = dy, so only the bias is added;
 * with ReLU the backward references are computed again from the mask. */
static void
check_conv_fused (GRand *r, NtDims xd, int k, NtWindow win, const float *x,
                  const float *w, const float *dy, const float *y0,
                  const float *dx0, const float *dw0, const char *what)
{
  int p = nt_window_out_h (&win, xd.h) * nt_window_out_w (&win, xd.w);
  gsize nx = (gsize) xd.n * xd.c * xd.h * xd.w;
  gsize nw = (gsize) k * xd.c * win.kh * win.kw, ny = (gsize) xd.n * k * p;
  float *b = rand_array (r, k, -0.5, 0.5);
  float *y = g_new (float, ny), *g = g_new (float, ny);
  float *dx = g_new (float, nx), *dw = g_new (float, nw);
  float *db = g_new0 (float, k), *sevens = g_new (float, nx);
  NtBuffer *bx = buf_new (x, nx), *bw = buf_new (w, nw);
  NtBuffer *bdy = buf_new (dy, ny), *bb = buf_new (b, k);
  NtBuffer *by = buf_nan (ny), *bdx = buf_nan (nx), *bdw = buf_nan (nw);
  NtBuffer *bdb = buf_nan (k);

  ck_assert (be->ops->conv2d_forward_bias != NULL
             && be->ops->conv2d_backward_bias != NULL);
  for (gsize i = 0; i < ny; i++)
    y[i] = y0[i] + b[(i / p) % k];
  for (gsize i = 0; i < nx; i++)
    sevens[i] = 7.0f;
  for (int relu = 0; relu < 2; relu++)
    {
      char *w2 = g_strdup_printf ("%s fused relu=%d", what, relu);
      const float *gy = dy, *dx_want = dx0, *dw_want = dw0;

      if (relu)
        {
          for (gsize i = 0; i < ny; i++)
            {
              if (y[i] < 0.0f)
                y[i] = 0.0f;
              g[i] = !(y[i] > 0.0f) ? 0.0f : dy[i];
            }
          nt_ref_conv2d_backward_data (g, w, xd, k, &win, dx);
          nt_ref_conv2d_backward_filter (x, g, xd, k, &win, dw);
          gy = g;
          dx_want = dx;
          dw_want = dw;
        }
      memset (db, 0, k * sizeof (float));
      for (gsize i = 0; i < ny; i++)
        db[(i / p) % k] += gy[i];

      be->ops->conv2d_forward_bias (be, bx, xd, bw, bb, k, &win, relu, by);
      /* y as the forward left it: the backward masks with it */
      be->ops->conv2d_backward_bias (be, bx, by, bdy, bw, xd, k, &win, relu,
                                     bdw, bdb, bdx);
      assert_synced (w2);
      expect_buf (by, y, ny, TOL, w2);
      expect_buf (bdb, db, k, TOL, w2);
      expect_buf (bdw, dw_want, nw, TOL, w2);
      expect_buf (bdx, dx_want, nx, TOL, w2);
      /* without dx: the same filter and bias gradients, dx untouched */
      be->ops->fill (be, bdx, 0, nx, 7.0f);
      be->ops->conv2d_backward_bias (be, bx, by, bdy, bw, xd, k, &win, relu,
                                     bdw, bdb, NULL);
      expect_buf (bdw, dw_want, nw, TOL, w2);
      expect_buf (bdb, db, k, TOL, w2);
      expect_buf (bdx, sevens, nx, 0.0, w2);
      g_free (w2);
    }
  g_free (b);
  g_free (y);
  g_free (g);
  g_free (dx);
  g_free (dw);
  g_free (db);
  g_free (sevens);
  be->ops->free (be, bx);
  be->ops->free (be, bw);
  be->ops->free (be, bdy);
  be->ops->free (be, bb);
  be->ops->free (be, by);
  be->ops->free (be, bdx);
  be->ops->free (be, bdw);
  be->ops->free (be, bdb);
}

/* Runs the three convolution ops on random data and compares them with the
 * reference (and the fused ops: check_conv_fused); also checks the adjoint
 * identities
 *   <conv(x, w), dy> = <x, dx> = <w, dw>
 * on the backend's own outputs. */
static void
check_conv (GRand *r, NtDims xd, int k, NtWindow win, const char *label)
{
  int oh = nt_window_out_h (&win, xd.h), ow = nt_window_out_w (&win, xd.w);
  gsize nx = (gsize) xd.n * xd.c * xd.h * xd.w;
  gsize nw = (gsize) k * xd.c * win.kh * win.kw;
  gsize ny = (gsize) xd.n * k * oh * ow;
  float *x = rand_array (r, nx, -1, 1), *w = rand_array (r, nw, -1, 1);
  float *dy = rand_array (r, ny, -1, 1);
  float *y = g_new (float, ny), *dx = g_new (float, nx);
  float *dw = g_new (float, nw);
  float *gy, *gdx, *gdw;
  NtBuffer *bx = buf_new (x, nx), *bw = buf_new (w, nw);
  NtBuffer *bdy = buf_new (dy, ny);
  NtBuffer *by = buf_nan (ny), *bdx = buf_nan (nx), *bdw = buf_nan (nw);
  double s_y, s_x, s_w, mag = 0.0;
  char *what = g_strdup_printf ("%s: conv n=%d c=%d h=%d w=%d k=%d kernel "
                                "%dx%d stride %dx%d pad t%d b%d l%d r%d",
                                label, xd.n, xd.c, xd.h, xd.w, k, win.kh,
                                win.kw, win.stride_h, win.stride_w,
                                win.pad_top, win.pad_bottom, win.pad_left,
                                win.pad_right);
  char *w2;

  ck_assert_msg (oh >= 1 && ow >= 1, "%s: bad test shape", what);
  be->ops->conv2d_forward (be, bx, xd, bw, k, &win, by);
  be->ops->conv2d_backward_data (be, bdy, bw, xd, k, &win, bdx);
  be->ops->conv2d_backward_filter (be, bx, bdy, xd, k, &win, bdw);
  assert_synced (what);

  nt_ref_conv2d_forward (x, xd, w, k, &win, y);
  nt_ref_conv2d_backward_data (dy, w, xd, k, &win, dx);
  nt_ref_conv2d_backward_filter (x, dy, xd, k, &win, dw);

  gy = buf_get (by, ny);
  gdx = buf_get (bdx, nx);
  gdw = buf_get (bdw, nw);
  w2 = g_strconcat (what, " forward", NULL);
  expect_close (gy, y, ny, TOL, w2);
  g_free (w2);
  w2 = g_strconcat (what, " backward_data", NULL);
  expect_close (gdx, dx, nx, TOL, w2);
  g_free (w2);
  w2 = g_strconcat (what, " backward_filter", NULL);
  expect_close (gdw, dw, nw, TOL, w2);
  g_free (w2);

  s_y = dot (gy, dy, ny);
  s_x = dot (x, gdx, nx);
  s_w = dot (w, gdw, nw);
  for (gsize i = 0; i < ny; i++)
    mag += fabs ((double) gy[i] * dy[i]);
  ck_assert_msg (fabs (s_y - s_x) <= TOL * MAX (mag, 1.0)
                 && fabs (s_y - s_w) <= TOL * MAX (mag, 1.0),
                 "%s: adjoint identity broken: <y,dy>=%g <x,dx>=%g <w,dw>=%g",
                 what, s_y, s_x, s_w);
  check_conv_fused (r, xd, k, win, x, w, dy, y, dx, dw, what);

  g_free (what);
  g_free (x);
  g_free (w);
  g_free (dy);
  g_free (y);
  g_free (dx);
  g_free (dw);
  g_free (gy);
  g_free (gdx);
  g_free (gdw);
  be->ops->free (be, bx);
  be->ops->free (be, bw);
  be->ops->free (be, bdy);
  be->ops->free (be, by);
  be->ops->free (be, bdx);
  be->ops->free (be, bdw);
}

static NtDims
dims (int n, int c, int h, int w)
{
  NtDims d = { n, c, h, w };
  return d;
}

static NtWindow
window (int kh, int kw, int sh, int sw, int pt, int pb, int pl, int pr)
{
  NtWindow win = { kh, kw, sh, sw, pt, pb, pl, pr };
  return win;
}

START_TEST (test_conv_fixed)
{
  GRand *r = g_rand_new_with_seed (21);

  open_be (_i);
  /* odd sizes, 3x2 kernel, stride 2, asymmetric pads */
  check_conv (r, dims (3, 5, 7, 9), 4, window (3, 2, 2, 2, 1, 0, 0, 1),
              "odd");
  /* the ramp model's layers: 1-D, kernel 2, "same" = pad right 1 */
  check_conv (r, dims (2, 1, 1, 3), 8, window (1, 2, 1, 1, 0, 0, 0, 1),
              "ramp1");
  check_conv (r, dims (5, 8, 1, 3), 16, window (1, 2, 1, 1, 0, 0, 0, 1),
              "ramp2");
  /* the paper's conv shapes, reduced in batch and channels */
  check_conv (r, dims (2, 1, 28, 28), 4, window (3, 3, 1, 1, 0, 0, 0, 0),
              "cnn1");
  check_conv (r, dims (2, 8, 26, 26), 6, window (3, 3, 1, 1, 0, 0, 0, 0),
              "cnn2");
  /* padding as large as the kernel, stride 3 x 1, 1x1 kernel, one image */
  check_conv (r, dims (1, 2, 4, 4), 3, window (2, 2, 3, 1, 3, 2, 0, 2),
              "bigpad");
  check_conv (r, dims (2, 3, 5, 4), 2, window (1, 1, 1, 2, 0, 1, 1, 0),
              "1x1");
  check_conv (r, dims (1, 1, 1, 1), 1, window (1, 1, 1, 1, 0, 0, 0, 0),
              "scalar");
  g_rand_free (r);
  close_be ();
}
END_TEST

START_TEST (test_conv_random)
{
  GRand *r = g_rand_new_with_seed (31 + _i);

  open_be (_i);
  for (int t = 0; t < 40; t++)
    {
      NtDims xd;
      NtWindow win;
      int k = g_rand_int_range (r, 1, 6);

      xd.n = g_rand_int_range (r, 1, 5);
      xd.c = g_rand_int_range (r, 1, 6);
      win.kh = g_rand_int_range (r, 1, 5);
      win.kw = g_rand_int_range (r, 1, 5);
      win.stride_h = g_rand_int_range (r, 1, 4);
      win.stride_w = g_rand_int_range (r, 1, 4);
      win.pad_top = g_rand_int_range (r, 0, win.kh);
      win.pad_bottom = g_rand_int_range (r, 0, win.kh);
      win.pad_left = g_rand_int_range (r, 0, win.kw);
      win.pad_right = g_rand_int_range (r, 0, win.kw);
      xd.h = g_rand_int_range (r, 1, 11);
      xd.w = g_rand_int_range (r, 1, 11);
      if (t % 4 == 0)
        {
          /* a 1-D signal */
          xd.h = 1;
          win.kh = 1;
          win.stride_h = 1;
          win.pad_top = win.pad_bottom = 0;
        }
      if (xd.h + win.pad_top + win.pad_bottom < win.kh)
        xd.h = win.kh;
      if (xd.w + win.pad_left + win.pad_right < win.kw)
        xd.w = win.kw;
      check_conv (r, xd, k, win, "random");
    }
  g_rand_free (r);
  close_be ();
}
END_TEST

/* The same Winograd shape with winograd=off (im2col + GEMM), 2x2 and 4x4
 * (the default): all three agree to float rounding (and the default with
 * the reference in test_conv_chunked). */
START_TEST (test_conv_winograd_vs_im2col)
{
  static const char *const sel[3] = { "cpu:threads=2,winograd=off",
                                      "cpu:threads=2,winograd=2x2",
                                      "cpu:threads=2,winograd=4x4" };
  NtDims xd = { 4, 16, 12, 11 };
  NtWindow win = { 3, 3, 1, 1, 1, 1, 0, 2 };
  int k = 12, oh = nt_window_out_h (&win, xd.h);
  int ow = nt_window_out_w (&win, xd.w);
  gsize nx = (gsize) xd.n * xd.c * xd.h * xd.w, nw = (gsize) k * xd.c * 9;
  gsize ny = (gsize) xd.n * k * oh * ow;
  GRand *r = g_rand_new_with_seed (43);
  float *x = rand_array (r, nx, -1, 1), *w = rand_array (r, nw, -1, 1);
  float *b = rand_array (r, k, -1, 1), *dy = rand_array (r, ny, -1, 1);
  float *out[3][4];

  reg = nt_test_registry ();
  for (int v = 0; v < 3; v++)
    {
      be = nt_test_backend (reg, sel[v]);
      NtBuffer *bx = buf_new (x, nx), *bw = buf_new (w, nw);
      NtBuffer *bb = buf_new (b, k), *bdy = buf_new (dy, ny);
      NtBuffer *by = buf_nan (ny), *bdx = buf_nan (nx), *bdw = buf_nan (nw);
      NtBuffer *bdb = buf_nan (k);

      be->ops->conv2d_forward_bias (be, bx, xd, bw, bb, k, &win, TRUE, by);
      be->ops->conv2d_backward_bias (be, bx, by, bdy, bw, xd, k, &win, TRUE,
                                     bdw, bdb, bdx);
      assert_synced (sel[v]);
      out[v][0] = buf_get (by, ny);
      out[v][1] = buf_get (bdx, nx);
      out[v][2] = buf_get (bdw, nw);
      out[v][3] = buf_get (bdb, k);
      be->ops->free (be, bx);
      be->ops->free (be, bw);
      be->ops->free (be, bb);
      be->ops->free (be, bdy);
      be->ops->free (be, by);
      be->ops->free (be, bdx);
      be->ops->free (be, bdw);
      be->ops->free (be, bdb);
      nt_backend_free (be);
    }
  for (int v = 1; v < 3; v++)
    {
      expect_close (out[v][0], out[0][0], ny, TOL, sel[v]);
      expect_close (out[v][1], out[0][1], nx, TOL, sel[v]);
      expect_close (out[v][2], out[0][2], nw, TOL, sel[v]);
      expect_close (out[v][3], out[0][3], k, TOL, sel[v]);
    }
  for (int v = 0; v < 3; v++)
    for (int i = 0; i < 4; i++)
      g_free (out[v][i]);
  g_free (x);
  g_free (w);
  g_free (b);
  g_free (dy);
  g_rand_free (r);
  be = NULL;
  nt_registry_free (reg);
  reg = NULL;
}
END_TEST

/* One sample runs im2col even where Winograd is on: the same bits as
 * winograd=off, and a flat input keeps its max-pool ties (every position
 * computed alike; Winograd's tiles round them apart), which the attacks'
 * per-sample gradients route by. */
START_TEST (test_conv_one_sample_im2col)
{
  static const char *const sel[2] = { "cpu:threads=2,winograd=off",
                                      "cpu:threads=2" };
  NtDims xd = { 1, 32, 26, 26 };
  NtWindow win = { 3, 3, 1, 1, 0, 0, 0, 0 };
  int k = 64, oh = 24, ow = 24;
  gsize nx = (gsize) xd.c * xd.h * xd.w, nw = (gsize) k * xd.c * 9;
  gsize ny = (gsize) k * oh * ow;
  GRand *r = g_rand_new_with_seed (44);
  float *x = g_new (float, nx), *w = rand_array (r, nw, -1, 1);
  float *b = rand_array (r, k, -1, 1), *out[2];
  for (gsize i = 0; i < nx; i++)
    x[i] = 0.25f + 0.5f * (float) (i / (xd.h * xd.w)) / xd.c;  /* flat */

  reg = nt_test_registry ();
  for (int v = 0; v < 2; v++)
    {
      be = nt_test_backend (reg, sel[v]);
      NtBuffer *bx = buf_new (x, nx), *bw = buf_new (w, nw);
      NtBuffer *bb = buf_new (b, k), *by = buf_nan (ny);
      be->ops->conv2d_forward_bias (be, bx, xd, bw, bb, k, &win, FALSE, by);
      assert_synced (sel[v]);
      out[v] = buf_get (by, ny);
      be->ops->free (be, bx);
      be->ops->free (be, bw);
      be->ops->free (be, bb);
      be->ops->free (be, by);
      nt_backend_free (be);
    }
  ck_assert_msg (memcmp (out[0], out[1], ny * sizeof (float)) == 0,
                 "one sample: Winograd default differs from im2col");
  /* the 2x2 pooling windows of a flat input: exact 4-way ties but where a
   * window straddles an edge of the GEMM's column blocks */
  int windows = 0, tied = 0;
  for (int c = 0; c < k; c++)
    for (int i = 0; i < oh; i += 2)
      for (int j = 0; j < ow; j += 2)
        {
          const float *o = out[1] + (gsize) c * oh * ow + i * ow + j;
          windows++;
          tied += o[0] == o[1] && o[0] == o[ow] && o[0] == o[ow + 1];
        }
  ck_assert_msg (tied * 100 >= windows * 95, "%d of %d flat pooling windows "
                 "tied", tied, windows);
  for (int v = 0; v < 2; v++)
    g_free (out[v]);
  g_free (x);
  g_free (w);
  g_free (b);
  g_rand_free (r);
  be = NULL;
  nt_registry_free (reg);
  reg = NULL;
}
END_TEST

/* flush_denormals (the default) turns a denormal result into zero;
 * flush_denormals=false keeps it. 1e-30 * 1e-10 = 1e-40 < FLT_MIN. */
START_TEST (test_flush_denormals)
{
  static const char *const sel[2] = { "cpu:threads=1",
                                      "cpu:threads=1,flush_denormals=false" };
  const float x = 1e-30f;

  reg = nt_test_registry ();
  for (int v = 0; v < 2; v++)
    {
      be = nt_test_backend (reg, sel[v]);
      NtBuffer *bx = buf_new (&x, 1), *by = buf_new (NULL, 1);
      be->ops->fill (be, by, 0, 1, 0.0f);
      be->ops->scale_add (be, by, 1e-10f, bx, 0.0f, 1);
      float *got = buf_get (by, 1);
      if (v == 0)
        ck_assert_msg (got[0] == 0.0f, "%s: got %g, expected 0", sel[v],
                       got[0]);
      else
        ck_assert_msg (got[0] > 0.0f && got[0] < 1.2e-38f,
                       "%s: got %g, expected a denormal", sel[v], got[0]);
      g_free (got);
      be->ops->free (be, bx);
      be->ops->free (be, by);
      nt_backend_free (be);
    }
  be = NULL;
  nt_registry_free (reg);
  reg = NULL;
}
END_TEST

/* Shapes that the backend splits into several blocks per thread (it builds
 * at most 256 Ki column floats at once): 20 images of 8 x 28 x 28 under a
 * 3x3 kernel make blocks of 4 images (several blocks per thread, partial
 * filter sums accumulated); 64 channels make blocks of one image, 3 images
 * split unevenly between 2 threads. */
START_TEST (test_conv_chunked)
{
  GRand *r = g_rand_new_with_seed (41);

  open_be (_i);
  check_conv (r, dims (20, 8, 28, 28), 5, window (3, 3, 1, 1, 1, 1, 1, 1),
              "blocks");
  check_conv (r, dims (3, 64, 28, 28), 3, window (3, 3, 1, 1, 0, 0, 0, 0),
              "block-per-image");
  /* Winograd shapes (3x3, stride 1, >= 8 channels in and out):
   * the paper's conv2, odd output sizes (partial tiles), asymmetric and
   * large padding, padding beyond the kernel at the bottom/right */
  check_conv (r, dims (2, 32, 26, 26), 64, window (3, 3, 1, 1, 0, 0, 0, 0),
              "winograd-cnn2");
  check_conv (r, dims (3, 8, 9, 7), 8, window (3, 3, 1, 1, 1, 0, 2, 1),
              "winograd-odd");
  check_conv (r, dims (2, 9, 5, 6), 10, window (3, 3, 1, 1, 2, 2, 2, 2),
              "winograd-pad2");
  check_conv (r, dims (2, 8, 3, 4), 9, window (3, 3, 1, 1, 0, 4, 1, 3),
              "winograd-bigpad");
  check_conv (r, dims (2, 8, 3, 3), 8, window (3, 3, 1, 1, 0, 0, 0, 0),
              "winograd-one-output");
  g_rand_free (r);
  close_be ();
}
END_TEST

/* Worked by hand: x = [1 2 3], w = [2 -1], pad right 1:
 * y = [1*2 - 2, 2*2 - 3, 3*2 - 0] = [0 1 6]; dy = [1 10 100]:
 * dx = [2, -1 + 20, -10 + 200] = [2 19 190]; dw = [1 + 20 + 300, 2 + 30] */
START_TEST (test_conv_hand)
{
  const float x[3] = { 1, 2, 3 }, w[2] = { 2, -1 }, dy[3] = { 1, 10, 100 };
  const float y_want[3] = { 0, 1, 6 }, dx_want[3] = { 2, 19, 190 };
  const float dw_want[2] = { 321, 32 };
  NtWindow win = window (1, 2, 1, 1, 0, 0, 0, 1);
  NtDims xd = dims (1, 1, 1, 3);
  NtBuffer *bx, *bw, *bdy, *by, *bdx, *bdw;

  open_be (_i);
  bx = buf_new (x, 3);
  bw = buf_new (w, 2);
  bdy = buf_new (dy, 3);
  by = buf_nan (3);
  bdx = buf_nan (3);
  bdw = buf_nan (2);
  be->ops->conv2d_forward (be, bx, xd, bw, 1, &win, by);
  be->ops->conv2d_backward_data (be, bdy, bw, xd, 1, &win, bdx);
  be->ops->conv2d_backward_filter (be, bx, bdy, xd, 1, &win, bdw);
  assert_synced ("hand conv");
  expect_buf (by, y_want, 3, 0.0, "hand conv forward");
  expect_buf (bdx, dx_want, 3, 0.0, "hand conv backward_data");
  expect_buf (bdw, dw_want, 2, 0.0, "hand conv backward_filter");
  be->ops->free (be, bx);
  be->ops->free (be, bw);
  be->ops->free (be, bdy);
  be->ops->free (be, by);
  be->ops->free (be, bdx);
  be->ops->free (be, bdw);
  close_be ();
}
END_TEST

/* ---- max pooling ------------------------------------------------------ */

static void
check_pool (GRand *r, NtDims xd, NtWindow win)
{
  int oh = nt_window_out_h (&win, xd.h), ow = nt_window_out_w (&win, xd.w);
  gsize nx = (gsize) xd.n * xd.c * xd.h * xd.w;
  gsize ny = (gsize) xd.n * xd.c * oh * ow;
  float *x = g_new (float, nx), *dy = rand_array (r, ny, -1, 1);
  float *y = g_new (float, ny), *dx = g_new (float, nx);
  NtBuffer *bx, *bdy, *by, *bdx;
  char *what = g_strdup_printf ("maxpool %dx%dx%dx%d window %dx%d stride "
                                "%dx%d", xd.n, xd.c, xd.h, xd.w, win.kh,
                                win.kw, win.stride_h, win.stride_w);

  /* Few distinct values, so windows hold ties. */
  for (gsize i = 0; i < nx; i++)
    x[i] = (float) g_rand_int_range (r, -2, 3);
  bx = buf_new (x, nx);
  bdy = buf_new (dy, ny);
  by = buf_nan (ny);
  bdx = buf_nan (nx);
  be->ops->maxpool_forward (be, bx, xd, &win, by);
  be->ops->maxpool_backward (be, bx, bdy, xd, &win, bdx);
  assert_synced (what);
  nt_ref_maxpool_forward (x, xd, &win, y);
  nt_ref_maxpool_backward (x, dy, xd, &win, dx);
  expect_buf (by, y, ny, 0.0, what);
  /* dx sums at most kh*kw values in scan order: tiny rounding allowed */
  expect_buf (bdx, dx, nx, 1e-6, what);
  g_free (what);
  g_free (x);
  g_free (dy);
  g_free (y);
  g_free (dx);
  be->ops->free (be, bx);
  be->ops->free (be, bdy);
  be->ops->free (be, by);
  be->ops->free (be, bdx);
}

/* A max pooling worked by hand: forward of x and backward of dy must give
 * y_want and dx_want exactly; `what` names the case in the messages. */
static void
check_pool_hand (NtDims xd, NtWindow win, const float *x, const float *dy,
                 const float *y_want, const float *dx_want, const char *what)
{
  gsize nx = (gsize) xd.n * xd.c * xd.h * xd.w;
  gsize ny = (gsize) xd.n * xd.c * nt_window_out_h (&win, xd.h)
             * nt_window_out_w (&win, xd.w);
  NtBuffer *bx = buf_new (x, nx), *bdy = buf_new (dy, ny);
  NtBuffer *by = buf_nan (ny), *bdx = buf_nan (nx);
  char *w2;

  be->ops->maxpool_forward (be, bx, xd, &win, by);
  be->ops->maxpool_backward (be, bx, bdy, xd, &win, bdx);
  assert_synced (what);
  w2 = g_strconcat (what, " forward", NULL);
  expect_buf (by, y_want, ny, 0.0, w2);
  g_free (w2);
  w2 = g_strconcat (what, " backward", NULL);
  expect_buf (bdx, dx_want, nx, 0.0, w2);
  g_free (w2);
  be->ops->free (be, bx);
  be->ops->free (be, bdy);
  be->ops->free (be, by);
  be->ops->free (be, bdx);
}

START_TEST (test_maxpool)
{
  GRand *r = g_rand_new_with_seed (51);

  open_be (_i);
  check_pool (r, dims (2, 3, 7, 9), window (2, 2, 2, 2, 0, 0, 0, 0));
  check_pool (r, dims (4, 16, 1, 3), window (1, 2, 1, 1, 0, 0, 0, 0));
  check_pool (r, dims (1, 2, 6, 5), window (3, 2, 1, 2, 0, 0, 0, 0));
  check_pool (r, dims (3, 64, 24, 24), window (2, 2, 2, 2, 0, 0, 0, 0));
  check_pool (r, dims (2, 2, 5, 5), window (3, 3, 1, 1, 0, 0, 0, 0));

  /* By hand, overlapping 1x2 windows: x = [1 3 3 2] -> y = [3 3 3];
   * windows 0 and 1 pick index 1 (the first 3), window 2 picks index 2. */
  {
    const float x[4] = { 1, 3, 3, 2 }, dy[3] = { 1, 10, 100 };
    const float y_want[3] = { 3, 3, 3 }, dx_want[4] = { 0, 11, 100, 0 };

    check_pool_hand (dims (1, 1, 1, 4), window (1, 2, 1, 1, 0, 0, 0, 0), x,
                     dy, y_want, dx_want, "hand maxpool");
  }
  /* 2x2 windows with ties (the paper's pooling, which has its own code
   * path): the first maximum in row-then-column order takes dy. Listed
   * window by window (top left, top right, bottom left, bottom right):
   * all equal -> top left; maximum at top right and bottom left -> top
   * right; only at bottom right; at bottom left and right -> bottom
   * left. */
  {
    const float x[16] = { 1, 1, 1, 1, 0, 2, 2, 1,
                          0, 0, 0, 5, 0, 0, 7, 7 };
    const float dy[4] = { 10, 20, 30, 40 };
    const float y_want[4] = { 1, 2, 5, 7 };
    const float dx_want[16] = { 10, 0, 0, 0, 0, 20, 0, 0,
                                0, 0, 0, 30, 0, 0, 40, 0 };
    /* window-major index -> position in the 4x4 image */
    static const int order[16] = { 0, 1, 4, 5, 2, 3, 6, 7,
                                   8, 9, 12, 13, 10, 11, 14, 15 };
    float x2[16], dx2[16];

    for (int i = 0; i < 16; i++)
      {
        x2[order[i]] = x[i];
        dx2[order[i]] = dx_want[i];
      }
    check_pool_hand (dims (1, 1, 4, 4), window (2, 2, 2, 2, 0, 0, 0, 0), x2,
                     dy, y_want, dx2, "2x2 ties");
  }
  g_rand_free (r);
  close_be ();
}
END_TEST

/* ---- bias, ReLU, dropout ---------------------------------------------- */

START_TEST (test_bias)
{
  static const int shapes[][3] = {
    { 3, 5, 7 }, { 32, 128, 1 }, { 1, 1, 1 }, { 4, 64, 144 }, { 2, 3, 0 }
  };
  GRand *r = g_rand_new_with_seed (61);

  open_be (_i);
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int n = shapes[s][0], c = shapes[s][1], sp = shapes[s][2];
      gsize count = (gsize) n * c * sp;
      float *y = rand_array (r, count, -1, 1), *b = rand_array (r, c, -1, 1);
      float *db = g_new (float, c);
      NtBuffer *by = buf_new (y, count), *bb = buf_new (b, c);
      NtBuffer *bdb = buf_nan (c);
      char *what = g_strdup_printf ("bias n=%d c=%d spatial=%d", n, c, sp);

      be->ops->bias_add (be, by, bb, n, c, sp);
      be->ops->bias_grad (be, by, n, c, sp, bdb);  /* dy := the new y */
      assert_synced (what);
      nt_ref_bias_add (y, b, n, c, sp);
      nt_ref_bias_grad (y, n, c, sp, db);
      expect_buf (by, y, count, 0.0, what);
      expect_buf (bdb, db, c, TOL, what);
      g_free (what);
      g_free (y);
      g_free (b);
      g_free (db);
      be->ops->free (be, by);
      be->ops->free (be, bb);
      be->ops->free (be, bdb);
    }
  g_rand_free (r);
  close_be ();
}
END_TEST

START_TEST (test_relu)
{
  static const gsize counts[] = { 1, 7, 100003 };
  GRand *r = g_rand_new_with_seed (71);

  open_be (_i);
  for (guint s = 0; s < G_N_ELEMENTS (counts); s++)
    {
      gsize n = counts[s];
      float *x = rand_array (r, n, -1, 1), *dy = rand_array (r, n, -1, 1);
      float *y = g_new (float, n), *dx = g_new (float, n);
      NtBuffer *bx = buf_new (x, n), *by = buf_nan (n), *bdy = buf_new (dy, n);
      NtBuffer *bdx = buf_nan (n);

      x[0] = 0.0f;  /* the kink: y = 0, gradient 0 */
      be->ops->upload (be, bx, 0, x, 1);
      be->ops->relu_forward (be, bx, by, n);
      be->ops->relu_backward (be, by, bdy, bdx, n);
      nt_ref_relu_forward (x, y, n);
      nt_ref_relu_backward (y, dy, dx, n);
      assert_synced ("relu");
      expect_buf (by, y, n, 0.0, "relu forward");
      expect_buf (bdx, dx, n, 0.0, "relu backward");
      /* in place: x == y, dx == dy */
      be->ops->relu_forward (be, bx, bx, n);
      be->ops->relu_backward (be, bx, bdy, bdy, n);
      assert_synced ("relu in place");
      expect_buf (bx, y, n, 0.0, "relu forward in place");
      expect_buf (bdy, dx, n, 0.0, "relu backward in place");
      g_free (x);
      g_free (dy);
      g_free (y);
      g_free (dx);
      be->ops->free (be, bx);
      be->ops->free (be, by);
      be->ops->free (be, bdy);
      be->ops->free (be, bdx);
    }
  g_rand_free (r);
  close_be ();
}
END_TEST

START_TEST (test_dropout)
{
  const gsize n = 100003;
  const float rate = 0.25f;
  GRand *r = g_rand_new_with_seed (81);
  float *x = rand_array (r, n, -1, 1), *dy = rand_array (r, n, -1, 1);
  float *y = g_new (float, n), *mask = g_new (float, n);
  float *dx = g_new (float, n), *gm, *gm2;
  NtBuffer *bx, *by, *bm, *bdy, *bdx;
  gsize kept = 0, differ = 0;

  open_be (_i);
  bx = buf_new (x, n);
  by = buf_nan (n);
  bm = buf_nan (n);
  bdy = buf_new (dy, n);
  bdx = buf_nan (n);
  be->ops->dropout_forward (be, bx, by, bm, n, rate, 12345);
  be->ops->dropout_backward (be, bdy, bm, bdx, n);
  assert_synced ("dropout");
  nt_ref_dropout_forward (x, y, mask, n, rate, 12345);
  nt_ref_dropout_backward (dy, mask, dx, n);
  expect_buf (bm, mask, n, 0.0, "dropout mask");
  expect_buf (by, y, n, 0.0, "dropout forward");
  expect_buf (bdx, dx, n, 0.0, "dropout backward");

  /* the mask keeps about 1 - rate of the units, scaled by 1/(1-rate) */
  gm = buf_get (bm, n);
  for (gsize i = 0; i < n; i++)
    {
      if (gm[i] != 0.0f && fabsf (gm[i] - 1.0f / 0.75f) >= 1e-6f)
        ck_abort_msg ("mask[%zu] = %g", (size_t) i, gm[i]);
      kept += gm[i] != 0.0f;
    }
  ck_assert_msg (fabs ((double) kept / n - 0.75) < 0.01, "kept %zu of %zu",
                 (size_t) kept, (size_t) n);

  /* another seed draws another mask; in place x == y works */
  be->ops->dropout_forward (be, bx, bx, bm, n, rate, 12346);
  assert_synced ("dropout in place");
  gm2 = buf_get (bm, n);
  for (gsize i = 0; i < n; i++)
    differ += gm[i] != gm2[i];
  ck_assert (differ > n / 4);
  nt_ref_dropout_forward (x, y, mask, n, rate, 12346);
  expect_buf (bx, y, n, 0.0, "dropout in place");

  /* rate 0 keeps everything unscaled */
  be->ops->upload (be, bx, 0, x, n);
  be->ops->dropout_forward (be, bx, by, bm, n, 0.0f, 7);
  assert_synced ("dropout rate 0");
  expect_buf (by, x, n, 0.0, "dropout rate 0");

  g_free (gm);
  g_free (gm2);
  g_free (x);
  g_free (dy);
  g_free (y);
  g_free (mask);
  g_free (dx);
  be->ops->free (be, bx);
  be->ops->free (be, by);
  be->ops->free (be, bm);
  be->ops->free (be, bdy);
  be->ops->free (be, bdx);
  g_rand_free (r);
  close_be ();
}
END_TEST

/* ---- softmax cross-entropy and argmax --------------------------------- */

START_TEST (test_softmax_xent)
{
  static const int shapes[][2] = { { 1, 1 }, { 3, 5 }, { 32, 11 }, { 7, 3 },
                                   { 1000, 11 } };
  GRand *r = g_rand_new_with_seed (91);

  open_be (_i);
  for (guint s = 0; s < G_N_ELEMENTS (shapes) * 2; s++)
    {
      int n = shapes[s / 2][0], classes = shapes[s / 2][1];
      gboolean huge = s % 2;  /* logits around 1e4: needs the max shift */
      gsize count = (gsize) n * classes;
      float *z = rand_array (r, count, -5, 5), *d = g_new (float, count);
      int *labels = g_new (int, n);
      double loss;
      float got = NAN;
      NtBuffer *bz, *bd;
      char *what = g_strdup_printf ("softmax_xent n=%d classes=%d%s", n,
                                    classes, huge ? " huge logits" : "");

      for (int i = 0; i < n; i++)
        labels[i] = g_rand_int_range (r, 0, classes);
      if (huge)
        for (gsize i = 0; i < count; i++)
          z[i] = z[i] * 100.0f + 1e4f;
      bz = buf_new (z, count);
      bd = buf_nan (count);
      be->ops->softmax_xent (be, bz, labels, n, classes, &got, bd);
      assert_synced (what);
      ck_assert (nt_ref_softmax_xent (z, labels, n, classes, &loss, d));
      ck_assert_msg (isfinite (got)
                     && fabs (got - loss) <= TOL * MAX (1.0, fabs (loss)),
                     "%s: loss %.9g, expected %.9g", what, got, loss);
      expect_buf (bd, d, count, TOL / 10, what);

      /* dlogits NULL: the loss only */
      got = NAN;
      be->ops->softmax_xent (be, bz, labels, n, classes, &got, NULL);
      assert_synced (what);
      ck_assert (fabs (got - loss) <= TOL * MAX (1.0, fabs (loss)));
      g_free (what);
      g_free (z);
      g_free (d);
      g_free (labels);
      be->ops->free (be, bz);
      be->ops->free (be, bd);
    }

  /* By hand: two rows of equal logits, loss ln 2, gradient +-1/4. */
  {
    const float z[4] = { 0, 0, 3, 3 };
    const int labels[2] = { 0, 1 };
    const float d_want[4] = { -0.25f, 0.25f, 0.25f, -0.25f };
    NtBuffer *bz = buf_new (z, 4), *bd = buf_nan (4);
    float got = NAN;

    be->ops->softmax_xent (be, bz, labels, 2, 2, &got, bd);
    assert_synced ("hand softmax");
    ck_assert_msg (fabs (got - G_LN2) < 1e-6, "loss %.9g", got);
    expect_buf (bd, d_want, 4, 1e-7, "hand softmax gradient");
    be->ops->free (be, bz);
    be->ops->free (be, bd);
  }
  g_rand_free (r);
  close_be ();
}
END_TEST

/* A label out of range is a sticky INVALID error, never a crash. */
START_TEST (test_softmax_bad_label)
{
  const float z[6] = { 1, 2, 3, 4, 5, 6 };
  const int bad[2][2] = { { 0, 3 }, { -1, 0 } };
  GError *err = NULL;
  float out[6];

  for (int b = 0; b < 2; b++)
    {
      NtBuffer *bz, *bd;
      float loss = 0.0f;

      open_be (_i);
      bz = buf_new (z, 6);
      bd = buf_nan (6);
      assert_synced ("before bad label");
      be->ops->softmax_xent (be, bz, bad[b], 2, 3, &loss, bd);
      ck_assert (!be->ops->sync (be, &err));
      ck_assert_msg (g_error_matches (err, NT_BACKEND_ERROR,
                                      NT_BACKEND_ERROR_INVALID),
                     "unexpected error %s", err ? err->message : "(none)");
      ck_assert (strstr (err->message, "label") != NULL);
      g_clear_error (&err);
      ck_assert (isnan (loss));
      /* sticky: reported again by sync and by download */
      ck_assert (!be->ops->sync (be, &err));
      g_clear_error (&err);
      ck_assert (!be->ops->download (be, bz, 0, out, 6, &err));
      ck_assert (err != NULL);
      g_clear_error (&err);
      be->ops->free (be, bz);
      be->ops->free (be, bd);
      close_be ();
    }
}
END_TEST

START_TEST (test_argmax)
{
  const float x[12] = { 1, 3, 3, 2,  5, 5, 5, 5,  -1, -2, -0.5f, -0.5f };
  const int want[3] = { 1, 0, 2 };
  GRand *r = g_rand_new_with_seed (101);
  int got[3], n = 257, classes = 11;
  float *z = rand_array (r, (gsize) n * classes, -3, 3);
  int *g = g_new (int, n), *w = g_new (int, n);
  NtBuffer *bx, *bz;

  open_be (_i);
  bx = buf_new (x, 12);
  bz = buf_new (z, (gsize) n * classes);
  be->ops->argmax (be, bx, 3, 4, got);
  be->ops->argmax (be, bz, n, classes, g);
  assert_synced ("argmax");
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq (got[i], want[i]);
  nt_ref_argmax (z, n, classes, w);
  for (int i = 0; i < n; i++)
    if (g[i] != w[i])
      ck_abort_msg ("argmax row %d: %d, expected %d", i, g[i], w[i]);
  be->ops->free (be, bx);
  be->ops->free (be, bz);
  g_free (z);
  g_free (g);
  g_free (w);
  g_rand_free (r);
  close_be ();
}
END_TEST

/* ---- Adam ------------------------------------------------------------- */

START_TEST (test_adam)
{
  const gsize n = 1001;
  GRand *r = g_rand_new_with_seed (111);
  float *p = rand_array (r, n, -1, 1), *m = g_new0 (float, n);
  float *v = g_new0 (float, n);
  NtBuffer *bp, *bg, *bm, *bv;

  open_be (_i);
  bp = buf_new (p, n);
  bg = buf_new (NULL, n);
  bm = buf_new (m, n);
  bv = buf_new (v, n);
  for (int step = 1; step <= 3; step++)
    {
      float *g = rand_array (r, n, -2, 2);

      be->ops->upload (be, bg, 0, g, n);
      be->ops->adam_update (be, bp, bg, bm, bv, n, 0.01f, 0.9f, 0.999f,
                            1e-7f, step);
      nt_ref_adam_update (p, g, m, v, n, 0.01f, 0.9f, 0.999f, 1e-7f, step);
      assert_synced ("adam");
      expect_buf (bp, p, n, 1e-6, "adam param");
      expect_buf (bm, m, n, 1e-6, "adam m");
      expect_buf (bv, v, n, 1e-6, "adam v");
      g_free (g);
    }

  /* By hand: the first step from m = v = 0 moves each parameter by lr
   * against the sign of its gradient (|g| >> eps / sqrt(1 - b2)). */
  {
    const float p0[3] = { 0.5f, 0.5f, 0.5f }, g[3] = { 2, -0.5f, 0 };
    const float want[3] = { 0.5f - 1e-3f, 0.5f + 1e-3f, 0.5f };
    const float zero[3] = { 0, 0, 0 };

    be->ops->upload (be, bp, 0, p0, 3);
    be->ops->upload (be, bg, 0, g, 3);
    be->ops->upload (be, bm, 0, zero, 3);
    be->ops->upload (be, bv, 0, zero, 3);
    be->ops->adam_update (be, bp, bg, bm, bv, 3, 1e-3f, 0.9f, 0.999f, 1e-8f,
                          1);
    assert_synced ("hand adam");
    expect_buf (bp, want, 3, 1e-6, "hand adam");
  }
  be->ops->free (be, bp);
  be->ops->free (be, bg);
  be->ops->free (be, bm);
  be->ops->free (be, bv);
  g_free (p);
  g_free (m);
  g_free (v);
  g_rand_free (r);
  close_be ();
}
END_TEST

/* ---- attack helpers --------------------------------------------------- */

START_TEST (test_attack_helpers)
{
  const float x[7] = { -2, -0.0f, 0, 3, 1e-30f, -1e-30f, 0.25f };
  const float sign_want[7] = { -1, 0, 0, 1, 1, -1, 1 };
  GRand *r = g_rand_new_with_seed (121);
  const gsize n = 70001;
  float *a = rand_array (r, n, -2, 2), *b = rand_array (r, n, -2, 2);
  float *c = g_memdup2 (b, n * sizeof (float));
  NtBuffer *bx, *by, *ba, *bb;

  open_be (_i);
  bx = buf_new (x, 7);
  by = buf_nan (7);
  be->ops->sign (be, bx, by, 7);
  be->ops->sign (be, bx, bx, 7);  /* in place */
  assert_synced ("sign");
  expect_buf (by, sign_want, 7, 0.0, "sign");
  expect_buf (bx, sign_want, 7, 0.0, "sign in place");

  ba = buf_new (a, n);
  bb = buf_new (b, n);
  be->ops->scale_add (be, bb, 2.0f, ba, -0.5f, n);
  nt_ref_scale_add (c, 2.0f, a, -0.5f, n);
  assert_synced ("scale_add");
  expect_buf (bb, c, n, 1e-6, "scale_add");
  /* beta 0 must not read y */
  be->ops->fill (be, bb, 0, n, NAN);
  be->ops->scale_add (be, bb, -3.0f, ba, 0.0f, n);
  nt_ref_scale_add (c, -3.0f, a, 0.0f, n);
  assert_synced ("scale_add beta 0");
  expect_buf (bb, c, n, 1e-6, "scale_add beta 0");

  be->ops->clip (be, ba, -0.5f, 1.0f, n);
  nt_ref_clip (a, -0.5f, 1.0f, n);
  assert_synced ("clip");
  expect_buf (ba, a, n, 0.0, "clip");

  {
    const int rows = 4, cols = 7;
    const float eps[4] = { 0, 0.1f, 1, 0.003f };
    float *px = rand_array (r, rows * cols, 0, 1);
    float *pd = g_new (float, rows * cols), *pw = g_new (float, rows * cols);
    NtBuffer *bpx, *bpd, *bout;

    for (int i = 0; i < rows * cols; i++)
      pd[i] = (float) g_rand_int_range (r, -1, 2);
    bpx = buf_new (px, rows * cols);
    bpd = buf_new (pd, rows * cols);
    bout = buf_nan (rows * cols);
    be->ops->perturb (be, bpx, bpd, eps, rows, cols, 0.0f, 1.0f, bout);
    nt_ref_perturb (px, pd, eps, rows, cols, 0.0f, 1.0f, pw);
    assert_synced ("perturb");
    expect_buf (bout, pw, rows * cols, 0.0, "perturb");
    for (int j = 0; j < cols; j++)  /* eps 0: the input itself */
      ck_assert (pw[j] == px[j]);
    g_free (px);
    g_free (pd);
    g_free (pw);
    be->ops->free (be, bpx);
    be->ops->free (be, bpd);
    be->ops->free (be, bout);
  }
  be->ops->free (be, bx);
  be->ops->free (be, by);
  be->ops->free (be, ba);
  be->ops->free (be, bb);
  g_free (a);
  g_free (b);
  g_free (c);
  g_rand_free (r);
  close_be ();
}
END_TEST

/* ---- error paths and the plugin's class ------------------------------- */

/* Each case runs on a fresh instance and must leave a sticky INVALID
 * error. */
START_TEST (test_invalid_args)
{
  GError *err = NULL;

  for (int c = 0; c < 6; c++)
    {
      NtWindow win = window (3, 3, 1, 1, 0, 0, 0, 0);
      NtWindow pad = window (2, 2, 2, 2, 1, 0, 0, 0);
      NtBuffer *small, *big;
      float data[4] = { 0 };

      open_be (_i);
      small = buf_new (NULL, 4);
      big = buf_new (NULL, 1000);
      switch (c)
        {
        case 0:  /* output buffer too small */
          be->ops->conv2d_forward (be, big, dims (1, 1, 8, 8), big, 4, &win,
                                   small);
          break;
        case 1:  /* max pooling with padding */
          be->ops->maxpool_forward (be, big, dims (1, 1, 4, 4), &pad, big);
          break;
        case 2:  /* kernel larger than the input */
          be->ops->conv2d_forward (be, small, dims (1, 1, 2, 2), big, 1,
                                   &win, big);
          break;
        case 3:  /* upload past the end */
          be->ops->upload (be, small, 2, data, 4);
          break;
        case 4:  /* gemm operands too small */
          be->ops->gemm (be, FALSE, FALSE, 3, 3, 3, 1.0f, small, big, 0.0f,
                         big);
          break;
        case 5:  /* Adam step 0 */
          be->ops->adam_update (be, small, small, small, small, 4, 0.1f,
                                0.9f, 0.999f, 1e-7f, 0);
          break;
        }
      ck_assert_msg (!be->ops->sync (be, &err), "case %d not refused", c);
      ck_assert_msg (g_error_matches (err, NT_BACKEND_ERROR,
                                      NT_BACKEND_ERROR_INVALID),
                     "case %d: %s", c, err->message);
      g_clear_error (&err);
      be->ops->free (be, small);
      be->ops->free (be, big);
      close_be ();
    }
}
END_TEST

START_TEST (test_class)
{
  NtRegistry *r = nt_test_registry ();
  const NtFeature *f = nt_registry_lookup (r, NT_KIND_BACKEND, "cpu");
  const NtBackendClass *klass = (const NtBackendClass *) f;
  GError *err = NULL;
  char *reason = (char *) "unset";
  NtBackend *b;

  ck_assert_msg (f != NULL, "the cpu backend is not registered");
  ck_assert (klass->probe (&reason));
  ck_assert (reason == NULL);
  ck_assert (nt_backend_open (r, "cpu:threads=257", &err) == NULL);
  ck_assert (err != NULL);
  g_clear_error (&err);
  b = nt_backend_open (r, "cpu:threads=0", &err);
  ck_assert_msg (b != NULL, "%s", err ? err->message : "?");
  ck_assert (b->ops->api_version == NT_BACKEND_API_VERSION);
  ck_assert_str_eq (nt_backend_name (b), "cpu");
  nt_backend_free (b);
  nt_registry_free (r);
}
END_TEST

static Suite *
cpu_ops_suite (void)
{
  Suite *s = suite_create ("cpu-ops");
  TCase *tc = tcase_create ("ops");
  int n = G_N_ELEMENTS (selections);

  tcase_set_timeout (tc, 300);
  tcase_add_loop_test (tc, test_memory, 0, n);
  tcase_add_loop_test (tc, test_gemm, 0, n);
  tcase_add_loop_test (tc, test_conv_fixed, 0, n);
  tcase_add_loop_test (tc, test_conv_random, 0, n);
  tcase_add_loop_test (tc, test_conv_chunked, 0, n);
  tcase_add_loop_test (tc, test_conv_hand, 0, n);
  tcase_add_test (tc, test_conv_winograd_vs_im2col);
  tcase_add_test (tc, test_conv_one_sample_im2col);
  tcase_add_test (tc, test_flush_denormals);
  tcase_add_loop_test (tc, test_maxpool, 0, n);
  tcase_add_loop_test (tc, test_bias, 0, n);
  tcase_add_loop_test (tc, test_relu, 0, n);
  tcase_add_loop_test (tc, test_dropout, 0, n);
  tcase_add_loop_test (tc, test_softmax_xent, 0, n);
  tcase_add_loop_test (tc, test_softmax_bad_label, 0, n);
  tcase_add_loop_test (tc, test_argmax, 0, n);
  tcase_add_loop_test (tc, test_adam, 0, n);
  tcase_add_loop_test (tc, test_attack_helpers, 0, n);
  tcase_add_loop_test (tc, test_invalid_args, 0, n);
  tcase_add_test (tc, test_class);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (cpu_ops_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
