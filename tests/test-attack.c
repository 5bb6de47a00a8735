/* test-attack.c: attacks and the attack protocol.
 *  - FGSM's direction is the sign of a finite-difference input gradient of
 *    the cross-entropy (ramp-cnn with random weights), and the gradient is
 *    the same bits whatever the network's max_batch;
 *  - the threshold search finds analytic thresholds of a hand-set linear
 *    model within the resolution (log grid and bisection), agrees with a
 *    plain sequential reference of the protocol, drops an image that never
 *    flips and gives 0 to one wrong from the start;
 *  - three-way scoring on a hand-made case;
 *  - PGD: one full step without random start is FGSM exactly; outputs stay
 *    in the eps ball and in [0, 1]; with a constant gradient sign the
 *    projected iterations land on the FGSM point (the projection is right);
 *    on a trained ramp model it fools at least as often as FGSM;
 *  - bad arguments are refused with errors. */
#include "config.h"
#include "nulltool.h"
#include "nt-test-util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static NtRegistry *reg;
static NtBackend *be;

static void
setup (void)
{
  reg = nt_test_registry ();
  be = nt_test_backend (reg, "cpu:threads=1");
}

static void
teardown (void)
{
  nt_backend_free (be);
  nt_registry_free (reg);
}

/* ---- helpers ----------------------------------------------------------- */

static NtBuffer *
upload_new (const float *host, gsize count)
{
  GError *error = NULL;
  NtBuffer *b = be->ops->alloc (be, count, &error);
  ck_assert_msg (b != NULL, "%s", error ? error->message : "");
  be->ops->upload (be, b, 0, host, count);
  return b;
}

static float *
download_new (const NtBuffer *b, gsize count)
{
  GError *error = NULL;
  float *host = g_new (float, count);
  ck_assert_msg (be->ops->download (be, b, 0, host, count, &error), "%s",
                 error ? error->message : "");
  return host;
}

static NtAttack *
open_attack (const char *sel, int max_batch, gsize sample)
{
  GError *error = NULL;
  NtAttack *a = nt_attack_open (reg, sel, be, max_batch, sample, &error);
  ck_assert_msg (a != NULL, "%s: %s", sel, error ? error->message : "");
  return a;
}

static NtNetwork *
ramp_cnn (const char *sel, guint64 seed)
{
  GError *error = NULL;
  NtNetwork *net = nt_model_build (reg, be, sel, 1, 1, 3, 3, &error);
  ck_assert_msg (net != NULL, "%s", error ? error->message : "");
  nt_network_init_glorot (net, seed);
  return net;
}

/* Deterministic values in [lo, hi) from an LCG independent of the code
 * under test. */
static void
lcg_fill (float *v, gsize n, guint32 seed, float lo, float hi)
{
  guint32 s = seed * 2654435761u + 12345u;
  for (gsize i = 0; i < n; i++)
    {
      s = s * 1664525u + 1013904223u;
      v[i] = lo + (hi - lo) * (float) (s >> 8) / 16777216.0f;
    }
}

/* Mean cross-entropy of `net` on one host sample (dropout off). */
static double
host_loss (NtNetwork *net, NtBuffer *in, const float *x, gsize s, int label)
{
  float loss = 0.0f;
  be->ops->upload (be, in, 0, x, s);
  const NtBuffer *logits = nt_network_forward (net, in, 1, FALSE, 0);
  be->ops->softmax_xent (be, logits, &label, 1, nt_network_n_outputs (net),
                         &loss, NULL);
  ck_assert (be->ops->sync (be, NULL));
  return loss;
}

/* ---- FGSM direction ------------------------------------------------------ */

/* The largest wrong-class softmax probability of `net` on one host sample:
 * nt_attack_input_gradient's rows are the loss gradient divided by it. */
static double
top_wrong_probability (NtNetwork *net, NtBuffer *in, const float *x, gsize s,
                       int label)
{
  int classes = nt_network_n_outputs (net);
  float z[16];
  be->ops->upload (be, in, 0, x, s);
  ck_assert (be->ops->download (be, nt_network_forward (net, in, 1, FALSE, 0),
                                0, z, classes, NULL));
  double mx = z[0], sum = 0.0, top = 0.0;
  for (int c = 1; c < classes; c++)
    mx = MAX (mx, z[c]);
  for (int c = 0; c < classes; c++)
    sum += exp (z[c] - mx);
  for (int c = 0; c < classes; c++)
    if (c != label)
      top = MAX (top, exp (z[c] - mx) / sum);
  return top;
}

/* Compares rows of the input gradient with central finite differences of
 * each sample's own loss (rows are scaled by 1 / the sample's largest
 * wrong-class probability), and checks that a network of batches of
 * `max_batch` gives the same bits as one that takes all samples at once. */
static void
check_gradient_and_direction (int max_batch)
{
  enum { N = 8, S = 3 };
  GError *error = NULL;
  char *model = g_strdup_printf ("ramp-cnn:max_batch=%d", max_batch);
  NtNetwork *net = ramp_cnn (model, 11);
  NtNetwork *whole = ramp_cnn ("ramp-cnn:max_batch=8", 11);
  NtNetwork *probe = ramp_cnn ("ramp-cnn:max_batch=1", 11);
  NtBuffer *in1 = nt_network_input_buffer (probe);
  float x[N * S];
  int labels[N] = { 0, 1, 2, 0, 1, 2, 1, 0 };
  lcg_fill (x, N * S, 5, 0.1f, 0.9f);
  NtBuffer *xb = upload_new (x, N * S);
  NtBuffer *gb = be->ops->alloc (be, N * S, NULL);
  ck_assert_msg (nt_attack_input_gradient (whole, xb, labels, N, gb, &error),
                 "%s", error ? error->message : "");
  float *grad_whole = download_new (gb, N * S);
  ck_assert_msg (nt_attack_input_gradient (net, xb, labels, N, gb, &error),
                 "%s", error ? error->message : "");
  float *grad = download_new (gb, N * S);
  ck_assert_msg (memcmp (grad, grad_whole, sizeof (float) * N * S) == 0,
                 "the input gradient changed with the network's max_batch");

  NtAttack *a = open_attack ("fgsm", N, S);
  ck_assert_msg (a->prepare (a, net, xb, labels, N, &error), "%s",
                 error ? error->message : "");
  float eps[N];
  for (int i = 0; i < N; i++)
    eps[i] = 0.05f;   /* inputs in [0.1, 0.9]: no clipping */
  NtBuffer *ob = be->ops->alloc (be, N * S, NULL);
  ck_assert (a->generate (a, net, xb, labels, N, eps, ob, &error));
  float *adv = download_new (ob, N * S);

  int compared = 0;
  const double h = 1e-3;
  for (int i = 0; i < N; i++)
    {
      double pm = top_wrong_probability (probe, in1, x + i * S, S, labels[i]);
      for (int j = 0; j < S; j++)
        {
          float xp[S], xm[S];
          memcpy (xp, x + i * S, sizeof xp);
          memcpy (xm, x + i * S, sizeof xm);
          xp[j] += (float) h;
          xm[j] -= (float) h;
          double fd = (host_loss (probe, in1, xp, S, labels[i])
                       - host_loss (probe, in1, xm, S, labels[i]))
                      / ((double) xp[j] - (double) xm[j]);
          double an = grad[i * S + j] * pm;
          double dir = (adv[i * S + j] - x[i * S + j]) / 0.05;
          /* the direction is always -1, 0 or 1 exactly */
          ck_assert_msg (fabs (dir - round (dir)) < 1e-3, "dir %g", dir);
          if (fabs (fd) < 1e-2)
            continue;   /* too flat to judge its sign in float */
          compared++;
          ck_assert_msg (round (dir) == (fd > 0 ? 1 : -1),
                         "sample %d value %d: direction %g, fd gradient %g",
                         i, j, dir, fd);
          ck_assert_msg (fabs (an - fd) <= 0.03 * fabs (fd) + 1e-3,
                         "sample %d value %d: gradient %g, fd %g", i, j, an,
                         fd);
        }
    }
  ck_assert_int_ge (compared, N * S / 2);
  g_free (grad);
  g_free (grad_whole);
  g_free (adv);
  g_free (model);
  be->ops->free (be, xb);
  be->ops->free (be, gb);
  be->ops->free (be, ob);
  nt_attack_free (a);
  nt_network_free (net);
  nt_network_free (whole);
  nt_network_free (probe);
}

START_TEST (test_fgsm_direction)
{
  check_gradient_and_direction (8);
}
END_TEST

/* The same with a network that takes 3 samples at a time. */
START_TEST (test_fgsm_direction_chunked)
{
  check_gradient_and_direction (3);
}
END_TEST

/* ---- threshold search on a linear model ---------------------------------
 *
 * One dense layer 3 -> 2 with W0 = (1, -1, 0.5), W1 = 0, b = (B, 0). For
 * label 0 the loss gradient is p1 (W1 - W0), so the FGSM direction is
 * s = (-1, 1, -1) everywhere and the margin z0 - z1 = x1 - x2 + 0.5 x3 + B
 * falls along x + eps s (with clipping) until it turns negative; argmax
 * takes the first index on ties, so the prediction is wrong for margins
 * < 0. */

static const float W0[3] = { 1.0f, -1.0f, 0.5f };

static NtNetwork *
linear_net (float bias0, int max_batch)
{
  GError *error = NULL;
  NtNetwork *net = nt_network_new (be, 1, 1, 3, max_batch);
  ck_assert_msg (nt_network_add_dense (net, 2, &error), "%s",
                 error ? error->message : "");
  ck_assert_int_eq (nt_network_n_params (net), 2);
  float w[6] = { W0[0], W0[1], W0[2], 0, 0, 0 }, b[2] = { bias0, 0 };
  be->ops->upload (be, nt_network_param (net, 0), 0, w, 6);
  be->ops->upload (be, nt_network_param (net, 1), 0, b, 2);
  return net;
}

/* The linear model's prediction, on the host in double, for the FGSM
 * sample at eps (label 0, direction (-1, 1, -1)). */
static gboolean
linear_wrong (const float *x, float bias0, double eps)
{
  static const float s[3] = { -1, 1, -1 };
  double m = bias0;
  for (int j = 0; j < 3; j++)
    {
      float v = x[j] + (float) eps * s[j];
      v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
      m += (double) W0[j] * v;
    }
  return m < 0.0;
}

/* The protocol as written, one image at a time: a plain reference for the
 * batched log-grid search. */
static double
reference_search (const float *x, float bias0, double res)
{
  double grid[10] = { 0.0 };
  for (int k = 1; k < 10; k++)
    grid[k] = pow (10.0, -3.0 + 3.0 * (k - 1) / 8.0);
  double prev = 0.0, cur = -1.0;
  for (int k = 0; k < 10 && cur < 0.0; k++)
    {
      if (linear_wrong (x, bias0, grid[k]))
        cur = grid[k];
      else
        prev = grid[k];
    }
  if (cur <= 0.0)
    return cur;
  while (cur - prev > res * (1 + 1e-9))
    {
      double base = prev > 0.0 ? prev : cur * 1e-3;
      double next = cur;
      for (int k = 1; k <= 9; k++)
        {
          double v = base * pow (cur / base, k / 10.0);
          if (linear_wrong (x, (float) bias0, v))
            {
              next = v;
              break;
            }
          prev = v;
        }
      cur = next;
    }
  return cur;
}

#define N_LIN 4

static void
check_linear_thresholds (NtThresholdMethod method, int max_batch)
{
  const float bias0 = 0.8f;
  /* A: margin 1.05 - 2c falls at 2.5 per unit of eps, no clip before 0.37:
   *    t = 0.42 - 0.8 c = 0.3172 for c = 0.1285.
   * C: x1, x2 clip at eps 0.1, then only x3 moves: margin
   *    -0.2 + 0.5 (0.93 - eps) = 0 at t = 0.53.
   * D: margin -0.2 on the clean image: threshold 0.
   * E: x3 already at 0; margin 0.8 - 2c' - 2 eps, t = 0.000625, found at
   *    the first grid value 1e-3. */
  const float x[N_LIN * 3] = {
    0.5f - 0.1285f, 0.5f + 0.1285f, 0.5f,
    0.1f, 0.9f, 0.93f,
    0.0f, 1.0f, 0.0f,
    0.1f + 0.000625f, 0.9f - 0.000625f, 0.0f,
  };
  const double truth[N_LIN] = { 0.3172, 0.53, 0.0, 0.000625 };
  const int labels[N_LIN] = { 0, 0, 0, 0 };
  GError *error = NULL;
  NtNetwork *net = linear_net (bias0, max_batch);
  NtAttack *a = open_attack ("fgsm", N_LIN, 3);
  NtBuffer *xb = upload_new (x, N_LIN * 3);
  float t[N_LIN];
  ck_assert_msg (nt_threshold_search (a, net, net, xb, labels, N_LIN, method,
                                      1e-3, t, &error),
                 "%s", error ? error->message : "");
  for (int i = 0; i < N_LIN; i++)
    {
      /* the smallest eps found wrong: at or above the truth, within the
       * resolution (float rounding of the inputs: 1e-6) */
      ck_assert_msg (t[i] >= truth[i] - 1e-6 && t[i] <= truth[i] + 1e-3,
                     "sample %d: threshold %g, analytic %g", i, (double) t[i],
                     truth[i]);
      if (method == NT_THRESHOLD_LOG_GRID)
        {
          double ref = reference_search (x + 3 * i, bias0, 1e-3);
          ck_assert_msg (fabs (t[i] - ref) <= 1e-6 * MAX (1.0, ref),
                         "sample %d: threshold %.9g, reference %.9g", i,
                         (double) t[i], ref);
        }
    }
  ck_assert_float_eq (t[2], 0.0f);
  ck_assert_float_eq_tol (t[3], 1e-3f, 1e-9f);

  /* With b0 = 1.05 every label-0 image ends at (0, 1, 0) with margin 0.05
   * at eps = 1: never wrong, dropped. */
  NtNetwork *safe = linear_net (1.05f, max_batch);
  const float xs[3] = { 0.5f, 0.5f, 0.5f };
  be->ops->upload (be, xb, 0, xs, 3);
  ck_assert (nt_threshold_search (a, safe, safe, xb, labels, 1, method, 1e-3,
                                  t, &error));
  ck_assert_msg (t[0] < 0.0f, "threshold %g for an image that never flips",
                 (double) t[0]);
  nt_network_free (safe);
  be->ops->free (be, xb);
  nt_attack_free (a);
  nt_network_free (net);
}

START_TEST (test_threshold_log_grid)
{
  check_linear_thresholds (NT_THRESHOLD_LOG_GRID, 16);
}
END_TEST

START_TEST (test_threshold_bisection)
{
  check_linear_thresholds (NT_THRESHOLD_BISECTION, 16);
}
END_TEST

/* The target network takes one sample at a time: chunked forwards. */
START_TEST (test_threshold_chunked)
{
  check_linear_thresholds (NT_THRESHOLD_LOG_GRID, 1);
  check_linear_thresholds (NT_THRESHOLD_BISECTION, 3);
}
END_TEST

/* A finer resolution is honoured too, and the search still agrees with the
 * analytic values. */
START_TEST (test_threshold_fine_resolution)
{
  const float bias0 = 0.8f;
  const float x[6] = { 0.5f - 0.1285f, 0.5f + 0.1285f, 0.5f,
                       0.1f, 0.9f, 0.93f };
  const double truth[2] = { 0.3172, 0.53 };
  int labels[2] = { 0, 0 };
  GError *error = NULL;
  NtNetwork *net = linear_net (bias0, 4);
  NtAttack *a = open_attack ("fgsm", 2, 3);
  NtBuffer *xb = upload_new (x, 6);
  for (int m = 0; m < 2; m++)
    {
      float t[2];
      ck_assert_msg (nt_threshold_search (a, net, net, xb, labels, 2,
                                          (NtThresholdMethod) m, 1e-5, t,
                                          &error),
                     "%s", error ? error->message : "");
      for (int i = 0; i < 2; i++)
        ck_assert_msg (t[i] >= truth[i] - 1e-6 && t[i] <= truth[i] + 1e-5,
                       "method %d sample %d: %.8g vs %.8g", m, i,
                       (double) t[i], truth[i]);
    }
  be->ops->free (be, xb);
  nt_attack_free (a);
  nt_network_free (net);
}
END_TEST

/* ---- scoring ------------------------------------------------------------- */

START_TEST (test_score)
{
  const int labels[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  const int pred[8] = { 0, 10, 2, 4, 10, 5, 9, 10 };
  NtScore s = { 1, 2, 3 };   /* counts accumulate */
  nt_score_add (&s, pred, labels, 8, 10);
  ck_assert_uint_eq (s.correct, 1 + 3);
  ck_assert_uint_eq (s.unclassified, 3 + 3);
  ck_assert_uint_eq (s.misclassified, 2 + 2);
  nt_score_add (&s, pred, labels, 0, 10);
  ck_assert_uint_eq (s.correct + s.unclassified + s.misclassified, 6 + 8);
}
END_TEST

/* ---- PGD ------------------------------------------------------------------ */

#define N_PGD 24

/* Samples in [0, 1] with some values on the bounds, random ramp-cnn. */
static void
pgd_inputs (float *x, int *labels)
{
  lcg_fill (x, N_PGD * 3, 9, -0.2f, 1.2f);
  for (int i = 0; i < N_PGD * 3; i++)
    x[i] = CLAMP (x[i], 0.0f, 1.0f);
  for (int i = 0; i < N_PGD; i++)
    labels[i] = i % 3;
}

static float *
run_attack (const char *sel, NtNetwork *net, NtBuffer *xb, const int *labels,
            const float *eps)
{
  GError *error = NULL;
  NtAttack *a = open_attack (sel, N_PGD, 3);
  NtBuffer *ob = be->ops->alloc (be, N_PGD * 3, NULL);
  ck_assert_msg (a->prepare (a, net, xb, labels, N_PGD, &error), "%s",
                 error ? error->message : "");
  ck_assert_msg (a->generate (a, net, xb, labels, N_PGD, eps, ob, &error),
                 "%s", error ? error->message : "");
  float *out = download_new (ob, N_PGD * 3);
  be->ops->free (be, ob);
  nt_attack_free (a);
  return out;
}

START_TEST (test_pgd_one_step_is_fgsm)
{
  float x[N_PGD * 3], eps[N_PGD];
  int labels[N_PGD];
  pgd_inputs (x, labels);
  lcg_fill (eps, N_PGD, 4, 0.0f, 0.6f);
  eps[0] = 0.0f;
  eps[1] = 1.0f;
  NtNetwork *net = ramp_cnn ("ramp-cnn", 5);
  NtBuffer *xb = upload_new (x, N_PGD * 3);
  float *f = run_attack ("fgsm", net, xb, labels, eps);
  float *p = run_attack ("pgd:steps=1,step=1,random_start=false", net, xb,
                         labels, eps);
  for (int i = 0; i < N_PGD * 3; i++)
    ck_assert_msg (f[i] == p[i], "value %d: fgsm %.9g, pgd %.9g", i,
                   (double) f[i], (double) p[i]);
  /* FGSM at eps 0 is the clean image */
  for (int j = 0; j < 3; j++)
    ck_assert_float_eq (f[j], x[j]);
  g_free (f);
  g_free (p);
  be->ops->free (be, xb);
  nt_network_free (net);
}
END_TEST

START_TEST (test_pgd_stays_in_ball)
{
  static const char *const sels[] = {
    "pgd", "pgd:steps=7,step=0.5,random_start=false",
    "pgd:steps=3,step=1,seed=5",
  };
  float x[N_PGD * 3], eps[N_PGD];
  int labels[N_PGD];
  pgd_inputs (x, labels);
  lcg_fill (eps, N_PGD, 6, 0.0f, 0.5f);
  eps[0] = 0.0f;
  NtNetwork *net = ramp_cnn ("ramp-cnn", 6);
  NtBuffer *xb = upload_new (x, N_PGD * 3);
  for (guint s = 0; s < G_N_ELEMENTS (sels); s++)
    {
      float *p = run_attack (sels[s], net, xb, labels, eps);
      int moved = 0;
      for (int i = 0; i < N_PGD; i++)
        for (int j = 0; j < 3; j++)
          {
            float v = p[i * 3 + j], d = fabsf (v - x[i * 3 + j]);
            ck_assert_msg (v >= 0.0f && v <= 1.0f, "%s: value %g", sels[s],
                           (double) v);
            ck_assert_msg (d <= eps[i] + 1e-6f, "%s: sample %d moved %g "
                           "with eps %g", sels[s], i, (double) d,
                           (double) eps[i]);
            moved += d > 1e-4f;
          }
      ck_assert_msg (moved > N_PGD, "%s: only %d values moved", sels[s],
                     moved);
      g_free (p);
    }
  /* random starts: the same seed gives the same samples, another seed
   * others */
  float *a = run_attack ("pgd:seed=1", net, xb, labels, eps);
  float *b = run_attack ("pgd:seed=1", net, xb, labels, eps);
  float *c = run_attack ("pgd:seed=2", net, xb, labels, eps);
  ck_assert (memcmp (a, b, sizeof x) == 0);
  ck_assert (memcmp (a, c, sizeof x) != 0);
  g_free (a);
  g_free (b);
  g_free (c);
  be->ops->free (be, xb);
  nt_network_free (net);
}
END_TEST

/* On the linear model the gradient sign is the same everywhere, so BIM
 * with steps adding up to more than eps walks to x + eps * s and is held
 * there by the projection: the FGSM point. */
START_TEST (test_pgd_projection)
{
  const float x[9] = { 0.5f, 0.5f, 0.5f, 0.1f, 0.9f, 0.93f,
                       0.3f, 0.2f, 0.8f };
  const int labels[3] = { 0, 0, 0 };
  const float eps[3] = { 0.2f, 0.3f, 0.05f };
  GError *error = NULL;
  NtNetwork *net = linear_net (5.0f, 4);   /* never flips: sign constant */
  NtBuffer *xb = upload_new (x, 9), *ob = be->ops->alloc (be, 9, NULL);
  NtAttack *a = open_attack ("pgd:steps=3,step=0.5,random_start=false", 3,
                             3);
  ck_assert (a->prepare (a, net, xb, labels, 3, &error));
  ck_assert_msg (a->generate (a, net, xb, labels, 3, eps, ob, &error), "%s",
                 error ? error->message : "");
  float *p = download_new (ob, 9);
  static const float s[3] = { -1, 1, -1 };
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        float want = CLAMP (x[i * 3 + j] + eps[i] * s[j], 0.0f, 1.0f);
        ck_assert_msg (fabsf (p[i * 3 + j] - want) <= 1e-6f,
                       "sample %d value %d: %.9g, want %.9g", i, j,
                       (double) p[i * 3 + j], (double) want);
      }
  g_free (p);
  be->ops->free (be, xb);
  be->ops->free (be, ob);
  nt_attack_free (a);
  nt_network_free (net);
}
END_TEST

/* ---- a trained ramp model ------------------------------------------------ */

#define N_RAMP 200

static NtNetwork *
train_ramp (NtDataset *ds, const char *model)
{
  GError *error = NULL;
  NtNetwork *net = ramp_cnn (model, 1);
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = 1;
  cfg.steps_per_epoch = 400;
  cfg.val_limit = 500;
  cfg.seed = 1;
  cfg.model = model;
  ck_assert_msg (nt_train (net, ds, &cfg, NULL, &error), "%s",
                 error ? error->message : "");
  return net;
}

/* Copies the parameters of `from` into `to` (same architecture). */
static void
copy_params (NtNetwork *from, NtNetwork *to)
{
  for (guint i = 0; i < nt_network_n_params (from); i++)
    {
      gsize n = nt_network_param_count (from, i);
      float *v = download_new (nt_network_param (from, i), n);
      be->ops->upload (be, nt_network_param (to, i), 0, v, n);
      g_free (v);
    }
}

START_TEST (test_trained_ramp)
{
  GError *error = NULL;
  NtDataset *ds = nt_dataset_open (reg, "ramp", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  NtNetwork *net = train_ramp (ds, "ramp-cnn");
  gsize idx[N_RAMP];
  float x[N_RAMP * 3];
  int labels[N_RAMP], pred[N_RAMP];
  for (int i = 0; i < N_RAMP; i++)
    idx[i] = i;
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TEST, idx, N_RAMP, x, labels,
                             &error));
  NtBuffer *xb = upload_new (x, N_RAMP * 3);
  NtBuffer *scratch = be->ops->alloc (be, N_RAMP * 3, NULL);
  NtAttack *fgsm = open_attack ("fgsm", N_RAMP, 3);
  NtAttack *pgd = open_attack ("pgd:steps=20,step=0.1,random_start=false",
                               N_RAMP, 3);
  ck_assert (fgsm->prepare (fgsm, net, xb, labels, N_RAMP, &error));
  ck_assert (pgd->prepare (pgd, net, xb, labels, N_RAMP, &error));

  static const float budgets[] = { 0.0f, 0.05f, 0.1f, 0.2f, 0.3f };
  float eps[N_RAMP];
  int clean_wrong = -1;
  for (guint b = 0; b < G_N_ELEMENTS (budgets); b++)
    {
      int fooled[2] = { 0, 0 };
      for (int i = 0; i < N_RAMP; i++)
        eps[i] = budgets[b];
      for (int k = 0; k < 2; k++)
        {
          ck_assert_msg (nt_attack_predict (k ? pgd : fgsm, net, net, xb,
                                            labels, N_RAMP, eps, scratch,
                                            pred, &error),
                         "%s", error ? error->message : "");
          for (int i = 0; i < N_RAMP; i++)
            fooled[k] += pred[i] != labels[i];
        }
      fprintf (stderr, "ramp eps %.2f: fgsm fools %d, pgd %d of %d\n",
               (double) budgets[b], fooled[0], fooled[1], N_RAMP);
      ck_assert_msg (fooled[1] >= fooled[0], "eps %g: pgd fools %d, fgsm %d",
                     (double) budgets[b], fooled[1], fooled[0]);
      if (b == 0)
        {
          clean_wrong = fooled[0];
          ck_assert_int_eq (fooled[0], fooled[1]);
          ck_assert_msg (clean_wrong < N_RAMP / 20, "the model is not "
                         "trained: %d of %d wrong", clean_wrong, N_RAMP);
        }
      if (budgets[b] >= 0.3f)
        ck_assert_int_gt (fooled[0], clean_wrong);
    }

  /* Thresholds: each found one really is wrong; the same with the
   * networks taking 16 samples at a time (chunked passes). */
  float t[N_RAMP], t16[N_RAMP];
  ck_assert (nt_threshold_search (fgsm, net, net, xb, labels, N_RAMP,
                                  NT_THRESHOLD_LOG_GRID, 1e-3, t, &error));
  int found = 0;
  for (int i = 0; i < N_RAMP; i++)
    eps[i] = t[i] > 0.0f ? t[i] : 0.0f;
  ck_assert (nt_attack_predict (fgsm, net, net, xb, labels, N_RAMP, eps,
                                scratch, pred, &error));
  for (int i = 0; i < N_RAMP; i++)
    if (t[i] >= 0.0f)
      {
        found++;
        ck_assert_msg (pred[i] != labels[i], "sample %d right at its "
                       "threshold %g", i, (double) t[i]);
      }
  ck_assert_int_gt (found, N_RAMP / 2);
  NtNetwork *small = ramp_cnn ("ramp-cnn:max_batch=16", 2);
  copy_params (net, small);
  ck_assert (nt_threshold_search (fgsm, small, small, xb, labels, N_RAMP,
                                  NT_THRESHOLD_LOG_GRID, 1e-3, t16, &error));
  ck_assert (memcmp (t, t16, sizeof t) == 0);
  /* PGD thresholds are no larger than FGSM's on most images */
  float tp[N_RAMP];
  ck_assert (nt_threshold_search (pgd, net, net, xb, labels, N_RAMP,
                                  NT_THRESHOLD_LOG_GRID, 1e-3, tp, &error));
  int pgd_lower = 0, both = 0;
  for (int i = 0; i < N_RAMP; i++)
    if (t[i] > 0.0f && tp[i] > 0.0f)
      {
        both++;
        pgd_lower += tp[i] <= t[i] + 1e-3f;
      }
  fprintf (stderr, "ramp thresholds: %d found, pgd at most fgsm's on %d of "
           "%d\n", found, pgd_lower, both);
  ck_assert_int_ge (pgd_lower * 10, both * 9);

  /* The runner's source selection, on an untrained network that gets
   * some images wrong: the correctly classified ones (threshold not 0 in a
   * search over all), in order, with the same thresholds. */
  NtNetwork *fresh = NULL;
  float tf[N_RAMP], ts[N_RAMP];
  gsize sel[N_RAMP];
  int sel_labels[N_RAMP], kept = -1, want = 0, right = 0;
  /* the first initialisation that gets some, not all, images right */
  for (guint64 seed = 1; seed <= 40 && (right == 0 || right == N_RAMP);
       seed++)
    {
      nt_network_free (fresh);
      fresh = ramp_cnn ("ramp-cnn", seed);
      ck_assert (nt_threshold_search (fgsm, fresh, fresh, xb, labels, N_RAMP,
                                      NT_THRESHOLD_LOG_GRID, 1e-3, tf,
                                      &error));
      right = 0;
      for (int i = 0; i < N_RAMP; i++)
        right += tf[i] != 0.0f;
    }
  for (int i = 0; i < N_RAMP; i++)
    sel[i] = i;
  ck_assert_msg (nt_threshold_search_correct (fgsm, fresh, ds, NT_SPLIT_TEST,
                                              sel, N_RAMP,
                                              NT_THRESHOLD_LOG_GRID, 1e-3,
                                              sel_labels, ts, &kept, &error),
                 "%s", error ? error->message : "");
  for (int i = 0; i < N_RAMP; i++)
    if (tf[i] != 0.0f)
      {
        ck_assert_int_lt (want, kept);
        ck_assert_int_eq ((int) sel[want], i);
        ck_assert_int_eq (sel_labels[want], labels[i]);
        ck_assert_msg (ts[want] == tf[i], "image %d: threshold %g, in a "
                       "search over all %g", i, (double) ts[want],
                       (double) tf[i]);
        want++;
      }
  ck_assert_int_eq (kept, want);
  ck_assert_msg (kept > 0 && kept < N_RAMP, "the untrained network gets %d "
                 "of %d right: the packing is not exercised", kept, N_RAMP);
  /* more images than the network takes at once: refused */
  ck_assert (!nt_threshold_search_correct (fgsm, small, ds, NT_SPLIT_TEST,
                                           sel, 17, NT_THRESHOLD_LOG_GRID,
                                           1e-3, sel_labels, ts, &kept,
                                           &error));
  ck_assert (error != NULL && kept == 0);
  g_clear_error (&error);
  nt_network_free (fresh);

  nt_network_free (small);
  nt_attack_free (fgsm);
  nt_attack_free (pgd);
  be->ops->free (be, xb);
  be->ops->free (be, scratch);
  nt_network_free (net);
  nt_dataset_free (ds);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST (test_errors)
{
  GError *error = NULL;
  ck_assert_ptr_null (nt_attack_open (reg, "no-such-attack", be, 4, 3,
                                      &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  ck_assert_ptr_null (nt_attack_open (reg, "pgd:steps=0", be, 4, 3, &error));
  ck_assert (g_error_matches (error, NT_OPTIONS_ERROR,
                              NT_OPTIONS_ERROR_OUT_OF_RANGE));
  g_clear_error (&error);
  ck_assert_ptr_null (nt_attack_open (reg, "fgsm:eps=1", be, 4, 3, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);

  NtNetwork *net = linear_net (0.8f, 8);
  NtAttack *a = open_attack ("fgsm", 4, 3);
  float x[15] = { 0.5f, 0.5f, 0.5f };
  int labels[5] = { 0 };
  float eps[5] = { 0.1f, -0.1f };
  float t[5];
  int pred[5];
  NtBuffer *xb = upload_new (x, 15), *sb = be->ops->alloc (be, 15, NULL);
  /* generate before prepare */
  ck_assert (!a->generate (a, net, xb, labels, 1, eps, sb, &error));
  ck_assert (g_error_matches (error, NT_ATTACK_ERROR,
                              NT_ATTACK_ERROR_INVALID));
  g_clear_error (&error);
  /* batch larger than the attack's */
  ck_assert (!nt_threshold_search (a, net, net, xb, labels, 5,
                                   NT_THRESHOLD_LOG_GRID, 1e-3, t, &error));
  ck_assert (g_error_matches (error, NT_ATTACK_ERROR,
                              NT_ATTACK_ERROR_INVALID));
  g_clear_error (&error);
  /* a resolution of 0 */
  ck_assert (!nt_threshold_search (a, net, net, xb, labels, 1,
                                   NT_THRESHOLD_LOG_GRID, 0.0, t, &error));
  g_clear_error (&error);
  /* a negative budget */
  ck_assert (a->prepare (a, net, xb, labels, 2, &error));
  ck_assert (!nt_attack_predict (a, net, net, xb, labels, 2, eps, sb, pred,
                                 &error));
  ck_assert (g_error_matches (error, NT_ATTACK_ERROR,
                              NT_ATTACK_ERROR_INVALID));
  g_clear_error (&error);
  /* a network of another sample size */
  NtAttack *a4 = open_attack ("fgsm", 4, 4);
  ck_assert (!nt_threshold_search (a4, net, net, xb, labels, 1,
                                   NT_THRESHOLD_LOG_GRID, 1e-3, t, &error));
  ck_assert (g_error_matches (error, NT_ATTACK_ERROR,
                              NT_ATTACK_ERROR_INVALID));
  g_clear_error (&error);
  nt_attack_free (a4);
  be->ops->free (be, xb);
  be->ops->free (be, sb);
  nt_attack_free (a);
  nt_network_free (net);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("attack");
  TCase *tc = tcase_create ("attack");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_fgsm_direction);
  tcase_add_test (tc, test_fgsm_direction_chunked);
  tcase_add_test (tc, test_threshold_log_grid);
  tcase_add_test (tc, test_threshold_bisection);
  tcase_add_test (tc, test_threshold_chunked);
  tcase_add_test (tc, test_threshold_fine_resolution);
  tcase_add_test (tc, test_score);
  tcase_add_test (tc, test_pgd_one_step_is_fgsm);
  tcase_add_test (tc, test_pgd_stays_in_ball);
  tcase_add_test (tc, test_pgd_projection);
  tcase_add_test (tc, test_trained_ramp);
  tcase_add_test (tc, test_errors);
  suite_add_tcase (s, tc);
  return nt_test_run_suite (s);
}
