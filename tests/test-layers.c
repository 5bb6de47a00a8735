/* test-layers.c: the core layers, networks and Adam on the CPU backend.
 *  - forward of conv2d, maxpool and dense against naive host loops;
 *  - backward of every layer kind alone and of small stacks against central
 *    finite differences (nt_network_gradcheck), input gradient included,
 *    dropout with a fixed mask seed in training mode;
 *  - Glorot initialisation: range, variance, determinism, zero biases;
 *  - Adam: steps against the update computed by hand in double. */
#include "config.h"
#include "nt-test-util.h"
#include "nt-network.h"
#include "nt-adam.h"
#include "nt-dropout-private.h"

#include <check.h>
#include <math.h>
#include <string.h>

#define EPS 1e-2
#define TOL 1e-2

static NtRegistry *registry;
static NtBackend *be;

/* One thread: deterministic sums, and no OpenMP spinning on a loaded
 * machine (the gradient checks run thousands of small forward passes). */
static void
setup (void)
{
  registry = nt_test_registry ();
  be = nt_test_backend (registry, "cpu:threads=1");
}

static void
teardown (void)
{
  nt_backend_free (be);
  nt_registry_free (registry);
}

/* ---------------------------------------------------------------- helpers */

#define assert_error(err, dom, cod)                                        \
  ck_assert_msg ((err) != NULL && (err)->domain == (dom)                   \
                 && (err)->code == (cod), "expected error %s/%d, got %s",  \
                 g_quark_to_string (dom), (int) (cod),                     \
                 (err) != NULL ? (err)->message : "none")

/* Values at least `gap` away from zero, of random sign: no ReLU kink
 * within a finite-difference step. */
static float *
random_away_from_zero (GRand *r, gsize count, double gap, double scale)
{
  float *x = g_new (float, count);
  for (gsize i = 0; i < count; i++)
    {
      double mag = gap + scale * g_rand_double (r);
      x[i] = (float) (g_rand_boolean (r) ? mag : -mag);
    }
  return x;
}

/* Distinct values 0.05 apart in random order: no max-pool tie within a
 * finite-difference step, and none within 0.05 of zero. */
static float *
random_distinct (GRand *r, gsize count)
{
  float *x = g_new (float, count);
  for (gsize i = 0; i < count; i++)
    x[i] = (float) (0.05 * ((double) i - (double) count / 2.0 + 0.5));
  for (gsize i = count - 1; i > 0; i--)
    {
      gsize j = (gsize) g_rand_int_range (r, 0, (gint32) i + 1);
      float t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
  return x;
}

static int *
random_labels (GRand *r, int n, int classes)
{
  int *l = g_new (int, n);
  for (int i = 0; i < n; i++)
    l[i] = g_rand_int_range (r, 0, classes);
  return l;
}

/* Uploads uniform [-scale, scale] values into every parameter (biases
 * included, unlike Glorot). */
static void
randomize_params (NtNetwork *net, GRand *r, double scale)
{
  for (guint i = 0; i < nt_network_n_params (net); i++)
    {
      gsize count = nt_network_param_count (net, i);
      float *v = g_new (float, count);
      for (gsize j = 0; j < count; j++)
        v[j] = (float) g_rand_double_range (r, -scale, scale);
      be->ops->upload (be, nt_network_param (net, i), 0, v, count);
      g_free (v);
    }
}

static float *
download_all (const NtBuffer *buf, gsize count)
{
  GError *error = NULL;
  float *h = g_new (float, count);
  if (!be->ops->download (be, buf, 0, h, count, &error))
    ck_abort_msg ("download failed: %s", error->message);
  return h;
}

static void
upload_input (NtNetwork *net, const float *x, int n)
{
  be->ops->upload (be, nt_network_input_buffer (net), 0, x,
                   (gsize) n * nt_network_input_size (net));
}

/* Runs the gradient check and fails the test with its message. */
static double
gradcheck (NtNetwork *net, const float *x, const int *labels, int n,
           int n_probe, gboolean training, guint64 seed)
{
  GError *error = NULL;
  double worst = -1.0;
  gboolean ok = training
    ? nt_network_gradcheck_training (net, x, labels, n, n_probe, EPS, TOL,
                                     seed, &worst, &error)
    : nt_network_gradcheck (net, x, labels, n, n_probe, EPS, TOL, &worst,
                            &error);
  ck_assert_msg (ok, "%s", error ? error->message : "?");
  ck_assert (worst >= 0.0 && worst <= TOL);
  return worst;
}

static void
assert_close (const float *got, const double *want, gsize count, double tol,
              const char *what)
{
  for (gsize i = 0; i < count; i++)
    ck_assert_msg (fabs (got[i] - want[i]) <= tol * (1.0 + fabs (want[i])),
                   "%s[%zu]: got %.7g, want %.7g", what, i, (double) got[i],
                   want[i]);
}

/* ------------------------------------------------------ naive references */

static double
at (const float *x, NtDims d, int n, int c, int h, int w)
{
  return x[(((gsize) n * d.c + c) * d.h + h) * d.w + w];
}

static void
naive_conv (const float *x, NtDims d, const float *k, const float *b,
            int oc, const NtWindow *win, double *y)
{
  int oh = nt_window_out_h (win, d.h), ow = nt_window_out_w (win, d.w);
  gsize o = 0;
  for (int n = 0; n < d.n; n++)
    for (int f = 0; f < oc; f++)
      for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
          {
            double s = b[f];
            for (int c = 0; c < d.c; c++)
              for (int u = 0; u < win->kh; u++)
                for (int v = 0; v < win->kw; v++)
                  {
                    int h = i * win->stride_h + u - win->pad_top;
                    int w = j * win->stride_w + v - win->pad_left;
                    if (h < 0 || h >= d.h || w < 0 || w >= d.w)
                      continue;
                    s += at (x, d, n, c, h, w)
                      * k[((f * d.c + c) * win->kh + u) * win->kw + v];
                  }
            y[o++] = s;
          }
}

static void
naive_maxpool (const float *x, NtDims d, const NtWindow *win, double *y)
{
  int oh = nt_window_out_h (win, d.h), ow = nt_window_out_w (win, d.w);
  gsize o = 0;
  for (int n = 0; n < d.n; n++)
    for (int c = 0; c < d.c; c++)
      for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
          {
            double m = -INFINITY;
            for (int u = 0; u < win->kh; u++)
              for (int v = 0; v < win->kw; v++)
                m = MAX (m, at (x, d, n, c, i * win->stride_h + u,
                                j * win->stride_w + v));
            y[o++] = m;
          }
}

/* ------------------------------------------------------------ conv2d */

/* Stride 2, asymmetric padding, 2 input channels, non-square kernel. */
static NtNetwork *
conv_net (void)
{
  GError *error = NULL;
  NtNetwork *net = nt_network_new (be, 2, 5, 6, 4);
  ck_assert (nt_network_add_conv2d (net, 3, 3, 2, 2, 1, 0, 0, 1, &error));
  return net;
}

START_TEST (test_conv_forward)
{
  NtNetwork *net = conv_net ();
  GRand *r = g_rand_new_with_seed (1);
  NtDims d = { 3, 2, 5, 6 };
  NtWindow win = { 3, 2, 2, 2, 1, 0, 0, 1 };
  int oh = nt_window_out_h (&win, 5), ow = nt_window_out_w (&win, 6);

  ck_assert_int_eq (oh, 2);   /* (5 + 1 - 3) / 2 + 1 */
  ck_assert_int_eq (ow, 3);   /* (6 + 1 - 2) / 2 + 1 */
  ck_assert_int_eq (nt_network_n_outputs (net), 3 * oh * ow);
  gint64 dims[4];
  ck_assert_int_eq (nt_network_param_shape (net, 0, dims), 4);
  ck_assert (dims[0] == 3 && dims[1] == 2 && dims[2] == 3 && dims[3] == 2);
  ck_assert_str_eq (nt_network_param_name (net, 0), "conv1.kernel");
  ck_assert_str_eq (nt_network_param_name (net, 1), "conv1.bias");

  randomize_params (net, r, 0.5);
  float *x = random_away_from_zero (r, 3 * 60, 0.0, 1.0);
  upload_input (net, x, 3);
  const NtBuffer *y = nt_network_forward (net, nt_network_input_buffer (net),
                                          3, FALSE, 0);
  gsize ny = 3 * (gsize) nt_network_n_outputs (net);
  float *got = download_all (y, ny);
  float *k = download_all (nt_network_param (net, 0), 36);
  float *b = download_all (nt_network_param (net, 1), 3);
  double *want = g_new (double, ny);
  naive_conv (x, d, k, b, 3, &win, want);
  assert_close (got, want, ny, 1e-5, "conv y");

  g_free (want); g_free (got); g_free (k); g_free (b); g_free (x);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

START_TEST (test_conv_gradcheck)
{
  NtNetwork *net = conv_net ();
  GRand *r = g_rand_new_with_seed (2);
  randomize_params (net, r, 0.5);
  float *x = random_away_from_zero (r, 3 * 60, 0.0, 1.0);
  int *labels = random_labels (r, 3, nt_network_n_outputs (net));
  gradcheck (net, x, labels, 3, 1000, FALSE, 0);   /* every coordinate */
  g_free (x); g_free (labels); g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* ------------------------------------------------------------ maxpool */

START_TEST (test_maxpool)
{
  GError *error = NULL;
  GRand *r = g_rand_new_with_seed (3);
  /* [kh, kw, sh, sw]: plain 2x2/2 (odd size: the last row and column are
   * dropped), the ramp model's overlapping 1x2/1, and overlapping 3x3/2 */
  static const int cases[][4] = { { 2, 2, 2, 2 }, { 1, 2, 1, 1 },
                                  { 3, 3, 2, 1 } };
  for (guint t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      NtDims d = { 2, 3, 5, 7 };
      NtWindow win = { cases[t][0], cases[t][1], cases[t][2], cases[t][3],
                       0, 0, 0, 0 };
      NtNetwork *net = nt_network_new (be, d.c, d.h, d.w, 2);
      ck_assert (nt_network_add_maxpool (net, win.kh, win.kw, win.stride_h,
                                         win.stride_w, &error));
      gsize nx = 2 * nt_network_input_size (net);
      float *x = random_distinct (r, nx);
      upload_input (net, x, 2);
      const NtBuffer *y = nt_network_forward (net,
                                              nt_network_input_buffer (net),
                                              2, FALSE, 0);
      gsize ny = 2 * (gsize) nt_network_n_outputs (net);
      ck_assert_uint_eq (ny, 2 * 3 * (gsize) nt_window_out_h (&win, 5)
                         * nt_window_out_w (&win, 7));
      float *got = download_all (y, ny);
      double *want = g_new (double, ny);
      naive_maxpool (x, d, &win, want);
      assert_close (got, want, ny, 0.0, "maxpool y");
      ck_assert_uint_eq (nt_network_n_params (net), 0);

      int *labels = random_labels (r, 2, nt_network_n_outputs (net));
      gradcheck (net, x, labels, 2, 1000, FALSE, 0);
      g_free (x); g_free (got); g_free (want); g_free (labels);
      nt_network_free (net);
    }
  g_rand_free (r);
}
END_TEST

/* ------------------------------------------------------------- dense */

START_TEST (test_dense)
{
  GError *error = NULL;
  GRand *r = g_rand_new_with_seed (4);
  /* a 3x2x2 input: the dense layer flattens it implicitly (NCHW order) */
  NtNetwork *net = nt_network_new (be, 3, 2, 2, 5);
  ck_assert (nt_network_add_dense (net, 7, &error));
  ck_assert_int_eq (nt_network_n_outputs (net), 7);
  gint64 dims[4];
  ck_assert_int_eq (nt_network_param_shape (net, 0, dims), 2);
  ck_assert (dims[0] == 7 && dims[1] == 12);
  ck_assert_int_eq (nt_network_param_shape (net, 1, dims), 1);
  ck_assert (dims[0] == 7);
  ck_assert_str_eq (nt_network_param_name (net, 0), "dense1.kernel");

  randomize_params (net, r, 0.5);
  float *x = random_away_from_zero (r, 5 * 12, 0.0, 1.0);
  upload_input (net, x, 5);
  const NtBuffer *y = nt_network_forward (net, nt_network_input_buffer (net),
                                          5, FALSE, 0);
  float *got = download_all (y, 35);
  float *w = download_all (nt_network_param (net, 0), 84);
  float *b = download_all (nt_network_param (net, 1), 7);
  double want[35];
  for (int n = 0; n < 5; n++)
    for (int o = 0; o < 7; o++)
      {
        double s = b[o];
        for (int i = 0; i < 12; i++)
          s += (double) w[o * 12 + i] * x[n * 12 + i];   /* W is [out, in] */
        want[n * 7 + o] = s;
      }
  assert_close (got, want, 35, 1e-5, "dense y");

  int *labels = random_labels (r, 5, 7);
  gradcheck (net, x, labels, 5, 1000, FALSE, 0);
  g_free (x); g_free (got); g_free (w); g_free (b); g_free (labels);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* -------------------------------------------------------------- relu */

START_TEST (test_relu)
{
  GError *error = NULL;
  GRand *r = g_rand_new_with_seed (5);
  NtNetwork *net = nt_network_new (be, 2, 3, 3, 4);
  ck_assert (nt_network_add_relu (net, &error));
  float *x = random_away_from_zero (r, 4 * 18, 0.05, 1.0);
  NtBuffer *xb = nt_network_input_buffer (net);
  upload_input (net, x, 4);
  const NtBuffer *y = nt_network_forward (net, xb, 4, FALSE, 0);
  ck_assert_ptr_ne (y, xb);   /* the caller's input is never written */
  float *got = download_all (y, 72);
  float *xin = download_all (xb, 72);
  for (int i = 0; i < 72; i++)
    {
      ck_assert_float_eq (got[i], x[i] > 0 ? x[i] : 0.0f);
      ck_assert_float_eq (xin[i], x[i]);
    }
  int *labels = random_labels (r, 4, 18);
  gradcheck (net, x, labels, 4, 1000, FALSE, 0);

  /* inputs exactly at the kink: central differences there give half the
   * slope, backward gives 0; the checker must skip them, not fail */
  for (int i = 0; i < 72; i += 3)
    x[i] = 0.0f;
  gradcheck (net, x, labels, 4, 1000, FALSE, 0);
  /* and with nothing but kinks it has nothing to check: an error */
  memset (x, 0, sizeof (float) * 72);
  double worst;
  ck_assert (!nt_network_gradcheck (net, x, labels, 4, 1000, EPS, TOL,
                                    &worst, &error));
  assert_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_GRADCHECK);
  ck_assert (strstr (error->message, "kink") != NULL);
  g_clear_error (&error);
  g_free (x); g_free (got); g_free (xin); g_free (labels);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* ----------------------------------------------------------- dropout */

START_TEST (test_dropout)
{
  GError *error = NULL;
  GRand *r = g_rand_new_with_seed (6);
  const float rate = 0.4f;
  const guint64 seed = 77;
  NtNetwork *net = nt_network_new (be, 4, 5, 5, 3);
  ck_assert (nt_network_add_dropout (net, rate, &error));
  gsize count = 3 * 100;
  float *x = random_away_from_zero (r, count, 0.1, 1.0);
  NtBuffer *xb = nt_network_input_buffer (net);
  upload_input (net, x, 3);

  /* inference: the identity */
  float *got = download_all (nt_network_forward (net, xb, 3, FALSE, seed),
                             count);
  for (gsize i = 0; i < count; i++)
    ck_assert_float_eq (got[i], x[i]);
  g_free (got);

  /* training: the shared counter-based mask of the seed derived for layer
   * 0, scaled by 1 / (1 - rate) */
  got = download_all (nt_network_forward (net, xb, 3, TRUE, seed), count);
  guint64 lseed = nt_hash64 (seed, 0);
  int kept = 0;
  for (gsize i = 0; i < count; i++)
    {
      gboolean keep = nt_dropout_keep (lseed, i, rate);
      kept += keep;
      float want = keep ? x[i] / (1.0f - rate) : 0.0f;
      ck_assert_msg (fabsf (got[i] - want) <= 1e-6f * (1 + fabsf (want)),
                     "dropout y[%zu] = %g, want %g", i, (double) got[i],
                     (double) want);
    }
  ck_assert_int_gt (kept, 0.45 * count);
  ck_assert_int_lt (kept, 0.75 * count);
  g_free (got);

  /* another seed gives another mask */
  got = download_all (nt_network_forward (net, xb, 3, TRUE, seed + 1),
                      count);
  int differ = 0;
  for (gsize i = 0; i < count; i++)
    differ += (got[i] == 0.0f) != !nt_dropout_keep (lseed, i, rate);
  ck_assert_int_gt (differ, 0);
  g_free (got);

  int *labels = random_labels (r, 3, 100);
  gradcheck (net, x, labels, 3, 1000, TRUE, seed);    /* fixed mask */
  gradcheck (net, x, labels, 3, 1000, FALSE, 0);      /* identity */
  g_free (x); g_free (labels);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* ----------------------------------------------------------- flatten */

START_TEST (test_flatten)
{
  GError *error = NULL;
  GRand *r = g_rand_new_with_seed (7);
  NtNetwork *net = nt_network_new (be, 2, 3, 4, 2);
  ck_assert (nt_network_add_flatten (net, &error));
  const NtLayer *l = nt_network_layer (net, 0);
  ck_assert (l->out.c == 24 && l->out.h == 1 && l->out.w == 1);
  float *x = random_away_from_zero (r, 48, 0.0, 1.0);
  upload_input (net, x, 2);
  float *got = download_all (nt_network_forward (net,
                                                 nt_network_input_buffer (net),
                                                 2, FALSE, 0), 48);
  for (int i = 0; i < 48; i++)
    ck_assert_float_eq (got[i], x[i]);
  int *labels = random_labels (r, 2, 24);
  gradcheck (net, x, labels, 2, 1000, FALSE, 0);
  g_free (x); g_free (got); g_free (labels);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* ------------------------------------------------------------ stacks */

/* conv (stride 2, asymmetric pads) -> relu -> maxpool 1x2/1 -> dropout ->
 * flatten -> dense -> relu -> dropout -> dense. */
static NtNetwork *
stack_net (int max_batch)
{
  GError *error = NULL;
  NtNetwork *net = nt_network_new (be, 2, 7, 8, max_batch);
  ck_assert (nt_network_add_conv2d (net, 4, 3, 3, 2, 0, 1, 1, 0, &error));
  ck_assert (nt_network_add_relu (net, &error));
  ck_assert (nt_network_add_maxpool (net, 1, 2, 1, 1, &error));
  ck_assert (nt_network_add_dropout (net, 0.25f, &error));
  ck_assert (nt_network_add_flatten (net, &error));
  ck_assert (nt_network_add_dense (net, 10, &error));
  ck_assert (nt_network_add_relu (net, &error));
  ck_assert (nt_network_add_dropout (net, 0.5f, &error));
  ck_assert (nt_network_add_dense (net, 5, &error));
  return net;
}

START_TEST (test_stack)
{
  GRand *r = g_rand_new_with_seed (8);
  NtNetwork *net = stack_net (6);
  /* conv: (7+1-3)/2+1 = 3 rows, (8+1-3)/2+1 = 4 cols; pool -> 3x3 */
  const NtLayer *pool = nt_network_layer (net, 2);
  ck_assert (pool->out.c == 4 && pool->out.h == 3 && pool->out.w == 3);
  ck_assert_int_eq (nt_network_n_outputs (net), 5);
  ck_assert_uint_eq (nt_network_n_params (net), 6);
  ck_assert_str_eq (nt_network_param_name (net, 2), "dense1.kernel");
  ck_assert_str_eq (nt_network_param_name (net, 5), "dense2.bias");
  ck_assert_uint_eq (nt_network_total_params (net),
                     (4 * 2 * 9 + 4) + (36 * 10 + 10) + (10 * 5 + 5));

  nt_network_init_glorot (net, 3);
  float *x = random_away_from_zero (r, 6 * 112, 0.0, 1.0);
  int *labels = random_labels (r, 6, 5);
  double w1 = gradcheck (net, x, labels, 6, 40, FALSE, 0);
  double w2 = gradcheck (net, x, labels, 6, 40, TRUE, 1234);
  g_print ("stack gradcheck: max relative error %.2g (inference), "
           "%.2g (training)\n", w1, w2);
  g_free (x); g_free (labels);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* Stacks that start with pass-through or in-place layers, where the
 * network must not write into the caller's input. */
START_TEST (test_stack_leading_layers)
{
  GError *error = NULL;
  GRand *r = g_rand_new_with_seed (9);
  NtNetwork *net = nt_network_new (be, 1, 4, 4, 3);
  ck_assert (nt_network_add_dropout (net, 0.3f, &error));
  ck_assert (nt_network_add_flatten (net, &error));
  ck_assert (nt_network_add_relu (net, &error));
  ck_assert (nt_network_add_relu (net, &error));
  ck_assert (nt_network_add_dense (net, 4, &error));
  nt_network_init_glorot (net, 5);
  float *x = random_away_from_zero (r, 48, 0.05, 1.0);
  int *labels = random_labels (r, 3, 4);
  gradcheck (net, x, labels, 3, 1000, FALSE, 0);
  gradcheck (net, x, labels, 3, 1000, TRUE, 99);
  upload_input (net, x, 3);
  nt_network_forward (net, nt_network_input_buffer (net), 3, FALSE, 0);
  float *xin = download_all (nt_network_input_buffer (net), 48);
  for (int i = 0; i < 48; i++)
    ck_assert_float_eq (xin[i], x[i]);
  g_free (xin); g_free (x); g_free (labels);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* backward without dx gives the same parameter gradients; the input
 * gradient is written only on request. */
START_TEST (test_backward_without_dx)
{
  GRand *r = g_rand_new_with_seed (10);
  NtNetwork *net = stack_net (4);
  nt_network_init_glorot (net, 11);
  float *x = random_away_from_zero (r, 4 * 112, 0.0, 1.0);
  int *labels = random_labels (r, 4, 5);
  NtBuffer *xb = nt_network_input_buffer (net);
  NtBuffer *dl = nt_network_dlogits_buffer (net);
  GError *error = NULL;
  NtBuffer *dx = be->ops->alloc (be, 4 * 112, &error);
  float loss;
  gsize n_params = nt_network_n_params (net);
  float *with[6];

  upload_input (net, x, 4);
  be->ops->fill (be, dx, 0, 4 * 112, 0.0f);
  const NtBuffer *logits = nt_network_forward (net, xb, 4, TRUE, 3);
  be->ops->softmax_xent (be, logits, labels, 4, 5, &loss, dl);
  nt_network_backward (net, dl, dx);
  for (gsize i = 0; i < n_params; i++)
    with[i] = download_all (nt_network_param_grad (net, i),
                            nt_network_param_count (net, i));
  float *gx = download_all (dx, 4 * 112);
  double norm = 0;
  for (int i = 0; i < 4 * 112; i++)
    norm += fabs (gx[i]);
  ck_assert (norm > 0.0);

  be->ops->fill (be, dx, 0, 4 * 112, 0.0f);
  for (gsize i = 0; i < n_params; i++)
    be->ops->fill (be, nt_network_param_grad (net, i), 0,
                   nt_network_param_count (net, i), 0.0f);
  logits = nt_network_forward (net, xb, 4, TRUE, 3);
  be->ops->softmax_xent (be, logits, labels, 4, 5, &loss, dl);
  nt_network_backward (net, dl, NULL);
  for (gsize i = 0; i < n_params; i++)
    {
      gsize count = nt_network_param_count (net, i);
      float *without = download_all (nt_network_param_grad (net, i), count);
      for (gsize j = 0; j < count; j++)
        ck_assert_float_eq (without[j], with[i][j]);
      g_free (without);
      g_free (with[i]);
    }
  g_free (gx);
  gx = download_all (dx, 4 * 112);
  for (int i = 0; i < 4 * 112; i++)
    ck_assert_float_eq (gx[i], 0.0f);
  ck_assert (be->ops->sync (be, &error));
  be->ops->free (be, dx);
  g_free (gx); g_free (x); g_free (labels);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* The checker can fail: a tolerance below float rounding is not met. */
START_TEST (test_gradcheck_can_fail)
{
  GError *error = NULL;
  GRand *r = g_rand_new_with_seed (12);
  NtNetwork *net = stack_net (2);
  nt_network_init_glorot (net, 1);
  float *x = random_away_from_zero (r, 2 * 112, 0.0, 1.0);
  int labels[2] = { 1, 4 };
  double worst;
  ck_assert (!nt_network_gradcheck (net, x, labels, 2, 20, EPS, 1e-12,
                                    &worst, &error));
  assert_error (error, NT_NETWORK_ERROR,
                           NT_NETWORK_ERROR_GRADCHECK);
  ck_assert (strstr (error->message, "gradient check failed for") != NULL);
  g_clear_error (&error);
  /* labels out of range are refused */
  labels[0] = 5;
  ck_assert (!nt_network_gradcheck (net, x, labels, 2, 20, EPS, TOL, &worst,
                                    &error));
  assert_error (error, NT_NETWORK_ERROR,
                           NT_NETWORK_ERROR_INVALID);
  g_clear_error (&error);
  g_free (x);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* ------------------------------------------------------ shape errors */

START_TEST (test_shape_errors)
{
  GError *error = NULL;
  NtNetwork *net = nt_network_new (be, 1, 4, 4, 2);

  ck_assert (!nt_network_add_conv2d (net, 2, 5, 5, 1, 0, 0, 0, 0, &error));
  assert_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_SHAPE);
  ck_assert (strstr (error->message, "conv1") != NULL);
  g_clear_error (&error);
  ck_assert_uint_eq (nt_network_n_layers (net), 0);

  ck_assert (!nt_network_add_maxpool (net, 5, 1, 1, 1, &error));
  assert_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_SHAPE);
  g_clear_error (&error);
  ck_assert (!nt_network_add_dropout (net, 1.0f, &error));
  g_clear_error (&error);
  ck_assert (!nt_network_add_dense (net, 0, &error));
  g_clear_error (&error);
  ck_assert (!nt_network_add_conv2d (net, 2, 3, 3, 0, 0, 0, 0, 0, &error));
  g_clear_error (&error);
  ck_assert_uint_eq (nt_network_n_layers (net), 0);

  /* padding can make a kernel fit */
  ck_assert (nt_network_add_conv2d (net, 2, 5, 5, 1, 1, 0, 1, 0, &error));
  ck_assert_int_eq (nt_network_n_outputs (net), 2 * 1 * 1);
  ck_assert_str_eq (nt_network_layer (net, 0)->name, "conv1");
  char *text = nt_network_describe (net);
  ck_assert (strstr (text, "conv1") != NULL);
  ck_assert (strstr (text, "2x1x1") != NULL);
  g_free (text);
  nt_network_free (net);
}
END_TEST

/* ------------------------------------------------------------ glorot */

START_TEST (test_glorot)
{
  GError *error = NULL;
  NtNetwork *net = nt_network_new (be, 8, 10, 10, 1);
  ck_assert (nt_network_add_conv2d (net, 16, 3, 3, 1, 0, 0, 0, 0, &error));
  ck_assert (nt_network_add_dense (net, 300, &error));  /* 16*8*8 = 1024 in */
  ck_assert (nt_network_add_dense (net, 11, &error));
  nt_network_init_glorot (net, 42);

  double limits[3] = { sqrt (6.0 / (9 * 8 + 9 * 16)),
                       sqrt (6.0 / (1024 + 300)), sqrt (6.0 / (300 + 11)) };
  for (guint t = 0; t < 3; t++)
    {
      gsize count = nt_network_param_count (net, 2 * t);
      float *k = download_all (nt_network_param (net, 2 * t), count);
      double sum = 0, sum2 = 0, lim = limits[t];
      for (gsize j = 0; j < count; j++)
        {
          ck_assert_msg (fabs (k[j]) <= lim, "%s[%zu] = %g beyond %g",
                         nt_network_param_name (net, 2 * t), j,
                         (double) k[j], lim);
          sum += k[j];
          sum2 += (double) k[j] * k[j];
        }
      double mean = sum / count, var = sum2 / count - mean * mean;
      double want = lim * lim / 3.0;
      /* the variance of the sample variance of U(-L, L) is 4 L^4 / (45 N);
       * allow 5 standard deviations */
      double sd = sqrt (4.0 / 45.0 / count) * lim * lim;
      ck_assert_msg (fabs (var - want) <= 5 * sd, "%s variance %g, want %g",
                     nt_network_param_name (net, 2 * t), var, want);
      ck_assert (fabs (mean) <= 5 * lim / sqrt (3.0 * count));
      g_free (k);

      gsize nb = nt_network_param_count (net, 2 * t + 1);
      float *b = download_all (nt_network_param (net, 2 * t + 1), nb);
      for (gsize j = 0; j < nb; j++)
        ck_assert_float_eq (b[j], 0.0f);
      g_free (b);
    }

  /* deterministic for a seed, different for another */
  float *a = download_all (nt_network_param (net, 0), 1152);
  nt_network_init_glorot (net, 42);
  float *b = download_all (nt_network_param (net, 0), 1152);
  nt_network_init_glorot (net, 43);
  float *c = download_all (nt_network_param (net, 0), 1152);
  ck_assert (memcmp (a, b, sizeof (float) * 1152) == 0);
  ck_assert (memcmp (a, c, sizeof (float) * 1152) != 0);
  g_free (a); g_free (b); g_free (c);
  nt_network_free (net);
}
END_TEST

/* -------------------------------------------------------------- adam */

START_TEST (test_adam)
{
  GError *error = NULL;
  /* a 1 -> 1 dense layer: a scalar kernel and a scalar bias */
  NtNetwork *net = nt_network_new (be, 1, 1, 1, 1);
  ck_assert (nt_network_add_dense (net, 1, &error));
  const float lr = 0.1f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  NtAdam *adam = nt_adam_new (net, lr, b1, b2, eps, &error);
  ck_assert_ptr_nonnull (adam);
  ck_assert_int_eq (nt_adam_steps (adam), 0);

  float p0[2] = { 0.5f, -0.25f };
  be->ops->upload (be, nt_network_param (net, 0), 0, &p0[0], 1);
  be->ops->upload (be, nt_network_param (net, 1), 0, &p0[1], 1);
  static const float grads[4][2] = { { 2.0f, -0.5f }, { -1.0f, -0.5f },
                                     { 0.5f, 0.0f }, { 3.0f, 1.0f } };

  /* Step 1 by hand: m = (1-b1) g, v = (1-b2) g^2, so the step is
   * lr * sqrt(1-b2)/(1-b1) * (1-b1) g / (sqrt(1-b2) |g| + eps) = lr sign(g)
   * up to eps. */
  for (int i = 0; i < 2; i++)
    be->ops->upload (be, nt_network_param_grad (net, i), 0, &grads[0][i], 1);
  nt_adam_step (adam);
  ck_assert_int_eq (nt_adam_steps (adam), 1);
  float got;
  ck_assert (be->ops->download (be, nt_network_param (net, 0), 0, &got, 1,
                                &error));
  ck_assert_float_eq_tol (got, 0.5f - 0.1f, 1e-6f);
  ck_assert (be->ops->download (be, nt_network_param (net, 1), 0, &got, 1,
                                &error));
  ck_assert_float_eq_tol (got, -0.25f + 0.1f, 1e-6f);

  /* Steps 2..4 against the recurrence in double. */
  double p[2], m[2], v[2];
  for (int i = 0; i < 2; i++)
    {
      double g = grads[0][i];
      m[i] = (1 - (double) b1) * g;
      v[i] = (1 - (double) b2) * g * g;
      p[i] = p0[i] - (double) lr * sqrt (1 - (double) b2) / (1 - (double) b1)
        * m[i] / (sqrt (v[i]) + eps);
    }
  for (int t = 2; t <= 4; t++)
    {
      for (int i = 0; i < 2; i++)
        {
          double g = grads[t - 1][i];
          be->ops->upload (be, nt_network_param_grad (net, i), 0,
                           &grads[t - 1][i], 1);
          m[i] = b1 * m[i] + (1 - (double) b1) * g;
          v[i] = b2 * v[i] + (1 - (double) b2) * g * g;
          p[i] -= lr * sqrt (1 - pow (b2, t)) / (1 - pow (b1, t)) * m[i]
            / (sqrt (v[i]) + eps);
        }
      nt_adam_step (adam);
      for (int i = 0; i < 2; i++)
        {
          ck_assert (be->ops->download (be, nt_network_param (net, i), 0,
                                        &got, 1, &error));
          ck_assert_msg (fabs (got - p[i]) <= 1e-5,
                         "step %d param %d: got %.8g, want %.8g", t, i,
                         (double) got, p[i]);
          ck_assert (be->ops->download (be, nt_adam_m (adam, i), 0, &got, 1,
                                        &error));
          ck_assert (fabs (got - m[i]) <= 1e-6);
        }
    }
  ck_assert_int_eq (nt_adam_steps (adam), 4);
  nt_adam_free (adam);

  /* bad hyper-parameters are refused */
  ck_assert_ptr_null (nt_adam_new (net, 0.0f, b1, b2, eps, &error));
  assert_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_INVALID);
  g_clear_error (&error);
  ck_assert_ptr_null (nt_adam_new (net, lr, 1.0f, b2, eps, &error));
  g_clear_error (&error);
  nt_network_free (net);
}
END_TEST

static Suite *
layers_suite (void)
{
  Suite *s = suite_create ("layers");
  TCase *tc = tcase_create ("core");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_conv_forward);
  tcase_add_test (tc, test_conv_gradcheck);
  tcase_add_test (tc, test_maxpool);
  tcase_add_test (tc, test_dense);
  tcase_add_test (tc, test_relu);
  tcase_add_test (tc, test_dropout);
  tcase_add_test (tc, test_flatten);
  tcase_add_test (tc, test_stack);
  tcase_add_test (tc, test_stack_leading_layers);
  tcase_add_test (tc, test_backward_without_dx);
  tcase_add_test (tc, test_gradcheck_can_fail);
  tcase_add_test (tc, test_shape_errors);
  tcase_add_test (tc, test_glorot);
  tcase_add_test (tc, test_adam);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (layers_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
