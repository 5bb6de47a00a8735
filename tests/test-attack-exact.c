/* test-attack-exact.c: the attack protocol is exact (issue: the baseline
 * must be wrong at its own threshold, and nothing may depend on batching).
 *  - the exact loss gradient at saturated logits (margins 10 to 200)
 *    against a long-double reference, entry by entry, and the FGSM
 *    direction of a dense network against a long-double W^T (p - onehot);
 *  - the TensorFlow 2.1 emulations: the true-class term vanishes past ~17
 *    nats, everything past ~104 (logits) or for confident samples (probs),
 *    and they agree with the exact gradient where nothing saturates;
 *  - predictions near a tie are the sample's own answer; the input-only
 *    backward equals the full backward's input gradient;
 *  - the protocol on trained ramp and MNIST models gives byte-identical
 *    files with networks of max_batch 64 and 5, the baseline misclassifies
 *    every one of its threshold images (measured from the files);
 *  - an attack that does not reproduce its images is reported as an error;
 *  - every set has its own stream start. */
#include "config.h"
#include "nulltool.h"
#include "nt-test-util.h"
#include "nt-test-protocol.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static NtRegistry *reg;
static NtBackend *be;
static char *tmpdir;

static void
setup (void)
{
  reg = nt_test_registry ();
  be = nt_test_backend (reg, "cpu:threads=1");
  tmpdir = g_dir_make_tmp ("nt-test-attack-exact-XXXXXX", NULL);
}

static void
teardown (void)
{
  nt_test_rm_rf (tmpdir);
  g_free (tmpdir);
  nt_backend_free (be);
  nt_registry_free (reg);
}

#define CLASSES 11
static const double margins[] = { 10, 17, 20, 50, 100, 104, 150, 200 };

/* Logits with the true class `y` ahead of the best wrong class (exactly 0)
 * by `margin`, the other wrong classes in [-3, 0). */
static void
saturated_logits (GRand *r, int y, double margin, float *z)
{
  int top = (y + 1 + g_rand_int_range (r, 0, CLASSES - 1)) % CLASSES;
  for (int c = 0; c < CLASSES; c++)
    z[c] = c == y ? (float) margin
           : c == top ? 0.0f
                      : (float) g_rand_double_range (r, -3.0, 0.0);
}

/* p - onehot(y) divided by the largest wrong-class p, in long double
 * (whose exponent reaches e^-11355, so no probability here underflows);
 * p_y - 1 is -(sum of the other p_c): even long double cancels to 0 past
 * ~44 nats. */
static void
reference_gradient (const float *z, int y, long double *g)
{
  long double mx = z[0], sum = 0.0L, top = 0.0L, others = 0.0L;
  for (int c = 1; c < CLASSES; c++)
    mx = fmaxl (mx, z[c]);
  for (int c = 0; c < CLASSES; c++)
    sum += expl ((long double) z[c] - mx);
  for (int c = 0; c < CLASSES; c++)
    if (c != y)
      {
        g[c] = expl ((long double) z[c] - mx) / sum;
        others += g[c];
        top = fmaxl (top, g[c]);
      }
  g[y] = -others;
  for (int c = 0; c < CLASSES; c++)
    g[c] /= top;
}

START_TEST (test_loss_gradient_saturated)
{
  GRand *r = g_rand_new_with_seed (3);
  for (gsize k = 0; k < G_N_ELEMENTS (margins); k++)
    for (int trial = 0; trial < 20; trial++)
      {
        int y = trial % CLASSES;
        float z[CLASSES], g[CLASSES];
        long double ref[CLASSES];
        saturated_logits (r, y, margins[k], z);
        nt_loss_gradient (NT_LOSS_GRADIENT_EXACT, z, &y, 1, CLASSES, g);
        reference_gradient (z, y, ref);
        for (int c = 0; c < CLASSES; c++)
          {
            /* every entry to float rounding: nothing underflowed, and the
             * true class has no cancellation */
            long double err = fabsl ((long double) g[c] - ref[c]);
            ck_assert_msg (err <= 2e-7L * fabsl (ref[c]) + 1e-38L,
                           "margin %g class %d: %.9g, reference %.9Lg",
                           margins[k], c, (double) g[c], ref[c]);
            ck_assert_msg (c == y ? g[c] < 0.0f : g[c] > 0.0f,
                           "margin %g class %d: sign of %g", margins[k], c,
                           (double) g[c]);
          }
      }
  g_rand_free (r);
}
END_TEST

START_TEST (test_loss_gradient_emulations)
{
  GRand *r = g_rand_new_with_seed (4);
  for (gsize k = 0; k < G_N_ELEMENTS (margins); k++)
    {
      int y = 3;
      float z[CLASSES], logits[CLASSES], probs[CLASSES];
      saturated_logits (r, y, margins[k], z);
      nt_loss_gradient (NT_LOSS_GRADIENT_TF21_LOGITS, z, &y, 1, CLASSES,
                        logits);
      nt_loss_gradient (NT_LOSS_GRADIENT_TF21_PROBS, z, &y, 1, CLASSES,
                        probs);
      /* float32 p_y rounds to 1 from ~17 nats: the true-class term is 0 */
      if (margins[k] >= 17)
        ck_assert_msg (logits[y] == 0.0f, "margin %g: tf2.1-logits true "
                       "class %g", margins[k], (double) logits[y]);
      /* past ~104 nats expf underflows: no gradient at all */
      for (int c = 0; margins[k] >= 110 && c < CLASSES; c++)
        ck_assert (logits[c] == 0.0f);
      /* every probability clipped: no gradient */
      for (int c = 0; margins[k] >= 17 && c < CLASSES; c++)
        ck_assert_msg (probs[c] == 0.0f, "margin %g: tf2.1-probs class %d "
                       "%g", margins[k], c, (double) probs[c]);
    }
  /* unsaturated (margin 1): both emulations are p - onehot in float */
  for (int trial = 0; trial < 20; trial++)
    {
      int y = trial % CLASSES;
      float z[CLASSES], g[3][CLASSES];
      long double ref[CLASSES], pm;
      saturated_logits (r, y, 1.0, z);
      reference_gradient (z, y, ref);
      /* the reference's scale: p of the best wrong class */
      long double mx = 1.0L, sum = 0.0L;
      for (int c = 0; c < CLASSES; c++)
        sum += expl ((long double) z[c] - mx);
      pm = expl (0.0L - mx) / sum;
      for (int h = 0; h < 3; h++)
        nt_loss_gradient ((NtLossGradient) h, z, &y, 1, CLASSES, g[h]);
      for (int c = 0; c < CLASSES; c++)
        for (int h = 1; h < 3; h++)
          ck_assert_msg (fabsl (g[h][c] - ref[c] * pm)
                             <= 1e-5L * fabsl (ref[c] * pm) + 1e-7L,
                         "%s class %d: %g, exact %Lg",
                         nt_loss_gradient_name ((NtLossGradient) h), c,
                         (double) g[h][c], ref[c] * pm);
    }
  g_rand_free (r);
}
END_TEST

/* A dense network in -> 11 with weights w (11 x in) and biases b. */
static NtNetwork *
dense_net (int in, const float *w, const float *b)
{
  GError *err = NULL;
  NtNetwork *net = nt_network_new (be, 1, 1, in, 4);
  ck_assert_msg (nt_network_add_dense (net, CLASSES, &err), "%s",
                 err ? err->message : "");
  be->ops->upload (be, nt_network_param (net, 0), 0, w, (gsize) CLASSES * in);
  be->ops->upload (be, nt_network_param (net, 1), 0, b, CLASSES);
  return net;
}

/* The FGSM direction of a dense network at saturated logits: the sign of
 * W^T (p - onehot), p from the network's own float logits in long
 * double. */
START_TEST (test_direction_saturated)
{
  enum { IN = 64 };
  GError *err = NULL;
  GRand *r = g_rand_new_with_seed (5);
  float w[CLASSES * IN], x[IN], b[CLASSES], z[CLASSES], dir[IN];
  for (int i = 0; i < CLASSES * IN; i++)
    w[i] = (float) g_rand_double_range (r, -1, 1);
  for (int j = 0; j < IN; j++)
    x[j] = (float) g_rand_double_range (r, 0, 1);
  NtBuffer *xb = nt_test_buf (be, x, IN);
  NtAttack *fgsm = nt_attack_open (reg, "fgsm", be, 1, IN, &err);
  ck_assert_msg (fgsm != NULL, "%s", err ? err->message : "");
  NtBuffer *out = nt_test_buf (be, NULL, IN);
  int compared = 0;
  for (gsize k = 0; k < G_N_ELEMENTS (margins); k++)
    {
      int y = (int) k % CLASSES;
      float target[CLASSES];
      saturated_logits (r, y, margins[k], target);
      for (int c = 0; c < CLASSES; c++)
        {
          double wx = 0;
          for (int j = 0; j < IN; j++)
            wx += (double) w[c * IN + j] * x[j];
          b[c] = (float) (target[c] - wx);
        }
      NtNetwork *net = dense_net (IN, w, b);
      float *logits = nt_test_buf_get (be, nt_network_forward (net, xb, 1,
                                                               FALSE, 0),
                                       CLASSES);
      memcpy (z, logits, sizeof z);
      g_free (logits);
      long double g[CLASSES], ref[IN], big = 0.0L;
      reference_gradient (z, y, g);
      for (int j = 0; j < IN; j++)
        {
          ref[j] = 0.0L;
          for (int c = 0; c < CLASSES; c++)
            ref[j] += (long double) w[c * IN + j] * g[c];
          big = fmaxl (big, fabsl (ref[j]));
        }
      /* the direction, through the attack (eps 1 from x = 0.5: no clip) */
      float half[IN], one = 1.0f;
      for (int j = 0; j < IN; j++)
        half[j] = 0.5f;
      ck_assert_msg (fgsm->prepare (fgsm, net, xb, &y, 1, &err), "%s",
                     err ? err->message : "");
      NtBuffer *hb = nt_test_buf (be, half, IN);
      ck_assert (fgsm->generate (fgsm, net, hb, &y, 1, &one, out, &err));
      float *adv = nt_test_buf_get (be, out, IN);
      for (int j = 0; j < IN; j++)
        dir[j] = adv[j] > 0.5f ? 1.0f : adv[j] < 0.5f ? -1.0f : 0.0f;
      for (int j = 0; j < IN; j++)
        {
          if (fabsl (ref[j]) <= 1e-5L * big)
            continue;   /* within float rounding of W^T g: no sign to judge */
          compared++;
          ck_assert_msg (dir[j] == (ref[j] > 0 ? 1.0f : -1.0f),
                         "margin %g value %d: direction %g, reference %Lg",
                         margins[k], j, (double) dir[j], ref[j]);
        }
      g_free (adv);
      be->ops->free (be, hb);
      nt_network_free (net);
    }
  ck_assert_int_ge (compared, (int) G_N_ELEMENTS (margins) * IN * 9 / 10);
  be->ops->free (be, out);
  be->ops->free (be, xb);
  nt_attack_free (fgsm);
  g_rand_free (r);
}
END_TEST

/* Samples whose top two logits differ by ~1e-7: within the guard, so each
 * is forwarded alone, and the answer is the alone one (the first index on
 * an exact tie), the same for every max_batch. */
START_TEST (test_argmax_near_tie)
{
  enum { IN = 4, N = 12 };
  GError *err = NULL;
  float w[CLASSES * IN] = { 0 }, b[CLASSES] = { 0 }, x[N * IN];
  /* classes 2 and 7 have the same weights; class 7's bias is ahead by
   * d_i, set per sample through the last input */
  for (int j = 0; j < IN - 1; j++)
    w[2 * IN + j] = w[7 * IN + j] = 0.25f * (j + 1);
  w[7 * IN + IN - 1] = 1.0f;
  int want[N];
  for (int i = 0; i < N; i++)
    {
      for (int j = 0; j < IN - 1; j++)
        x[i * IN + j] = 0.1f * (i % 5) + 0.05f * j;
      /* last input: -2e-7 .. +2e-7 and exact 0 ties */
      x[i * IN + IN - 1] = (float) ((i % 5) - 2) * 1e-7f;
      want[i] = x[i * IN + IN - 1] > 0.0f ? 7 : 2;
    }
  NtBuffer *xb = nt_test_buf (be, x, N * IN);
  int got[N];
  for (int mb = 1; mb <= N; mb += 5)
    {
      NtNetwork *net = nt_network_new (be, 1, 1, IN, mb);
      ck_assert (nt_network_add_dense (net, CLASSES, &err));
      be->ops->upload (be, nt_network_param (net, 0), 0, w, CLASSES * IN);
      be->ops->upload (be, nt_network_param (net, 1), 0, b, CLASSES);
      ck_assert_msg (nt_attack_forward_argmax (net, xb, N, got, &err), "%s",
                     err ? err->message : "");
      for (int i = 0; i < N; i++)
        ck_assert_msg (got[i] == want[i], "max_batch %d sample %d: %d, "
                       "expected %d", mb, i, got[i], want[i]);
      nt_network_free (net);
    }
  be->ops->free (be, xb);
}
END_TEST

/* The input-only backward gives the full backward's input gradient, bit
 * for bit (the cnn's convolutions run fused with their ReLU on the CPU). */
START_TEST (test_backward_input_only)
{
  GError *err = NULL;
  const char *models[] = { "cnn:max_batch=3", "ramp-cnn:max_batch=3" };
  const int shapes[][3] = { { 1, 28, 28 }, { 1, 1, 3 } };
  GRand *r = g_rand_new_with_seed (9);
  for (int k = 0; k < 2; k++)
    {
      NtNetwork *net = nt_model_build (reg, be, models[k], shapes[k][0],
                                       shapes[k][1], shapes[k][2], CLASSES,
                                       &err);
      ck_assert_msg (net != NULL, "%s", err ? err->message : "");
      nt_network_init_glorot (net, 3);
      gsize s = nt_network_input_size (net);
      float *x = nt_test_rand_array (r, 3 * s, 0, 1);
      float *g = nt_test_rand_array (r, 3 * CLASSES, -1, 1);
      NtBuffer *xb = nt_test_buf (be, x, 3 * s);
      NtBuffer *gb = nt_test_buf (be, g, 3 * CLASSES);
      NtBuffer *full = nt_test_buf (be, NULL, 3 * s);
      NtBuffer *alone = nt_test_buf (be, NULL, 3 * s);
      nt_network_forward (net, xb, 3, FALSE, 0);
      nt_network_backward (net, gb, full);
      nt_network_forward (net, xb, 3, FALSE, 0);
      nt_network_backward_input (net, gb, alone);
      float *a = nt_test_buf_get (be, full, 3 * s);
      float *b = nt_test_buf_get (be, alone, 3 * s);
      ck_assert_msg (memcmp (a, b, 3 * s * sizeof (float)) == 0,
                     "%s: input-only backward differs", models[k]);
      g_free (a);
      g_free (b);
      g_free (x);
      g_free (g);
      be->ops->free (be, xb);
      be->ops->free (be, gb);
      be->ops->free (be, full);
      be->ops->free (be, alone);
      nt_network_free (net);
    }
  g_rand_free (r);
}
END_TEST

START_TEST (test_protocol_exact_ramp)
{
  nt_test_check_protocol_exact (reg, be, "ramp", "ramp-cnn", "u", 400, 60, 0,
                                5, tmpdir);
}
END_TEST

START_TEST (test_protocol_exact_mnist)
{
  char *mnist = nt_test_mnist_dir ();
  if (mnist == NULL)
    {
      fprintf (stderr, "test_protocol_exact_mnist: no MNIST, skipped\n");
      return;
    }
  char *sel = g_strdup_printf ("mnist:dir=%s", mnist);
  nt_test_check_protocol_exact (reg, be, sel, "cnn", "m", 150, 40, 3, 5,
                                tmpdir);
  g_free (sel);
  g_free (mnist);
}
END_TEST

START_TEST (test_stream_start)
{
  ck_assert_uint_eq (nt_protocol_stream_start (0, 1000, 10000), 0);
  ck_assert_uint_eq (nt_protocol_stream_start (3, 1000, 10000), 3000);
  ck_assert_uint_eq (nt_protocol_stream_start (12, 1000, 10000), 2000);
  ck_assert_uint_eq (nt_protocol_stream_start (7, 200, 1000), 400);
}
END_TEST

/* ---- an attack that does not reproduce its images ----------------------- */

/* FGSM whose first prepare is real and every later one gives no direction:
 * its transfer images are not the ones its search found, which the
 * protocol must report. */
typedef struct {
  NtAttack base;
  NtBackend *be;
  NtBuffer *dir;
  int prepared, calls;
} Forgetful;

static gboolean
forgetful_prepare (NtAttack *a, NtNetwork *source, const NtBuffer *x,
                   const int *labels, int n, GError **error)
{
  Forgetful *f = (Forgetful *) a;
  gsize count = (gsize) n * a->sample_size;
  if (f->calls++ == 0)
    {
      if (!nt_attack_input_gradient (source, x, labels, n, f->dir, error))
        return FALSE;
      f->be->ops->sign (f->be, f->dir, f->dir, count);
    }
  else
    f->be->ops->fill (f->be, f->dir, 0, count, 0.0f);
  f->prepared = n;
  return f->be->ops->sync (f->be, error);
}

static gboolean
forgetful_generate (NtAttack *a, NtNetwork *source, const NtBuffer *x,
                    const int *labels, int n, const float *eps,
                    NtBuffer *out, GError **error)
{
  (void) source;
  (void) labels;
  (void) error;
  Forgetful *f = (Forgetful *) a;
  f->be->ops->perturb (f->be, x, f->dir, eps, n, (int) a->sample_size, 0.0f,
                       1.0f, out);
  return TRUE;
}

static void
forgetful_destroy (NtAttack *a)
{
  Forgetful *f = (Forgetful *) a;
  f->be->ops->free (f->be, f->dir);
  g_free (f);
}

static NtAttack *
forgetful_create (const NtOptions *opts, NtBackend *backend, int max_batch,
                  gsize sample_size, GError **error)
{
  (void) opts;
  Forgetful *f = g_new0 (Forgetful, 1);
  f->be = backend;
  f->dir = backend->ops->alloc (backend, (gsize) max_batch * sample_size,
                                error);
  f->base.prepare = forgetful_prepare;
  f->base.generate = forgetful_generate;
  f->base.destroy = forgetful_destroy;
  return &f->base;
}

static const NtAttackClass forgetful_class = {
  .feature = { .kind = NT_KIND_ATTACK, .name = "forgetful",
               .description = "test: FGSM that forgets its directions" },
  .create = forgetful_create,
};

START_TEST (test_not_exact_reported)
{
  GError *err = NULL;
  ck_assert (nt_registry_add (reg, &forgetful_class.feature, &err));
  NtDataset *ds = nt_dataset_open (reg, "ramp", &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  NtNetwork *net = nt_model_build (reg, be, "ramp-cnn", 1, 1, 3, 3, &err);
  ck_assert_msg (net != NULL, "%s", err ? err->message : "");
  nt_network_init_glorot (net, 2);
  NtTrainConfig tc;
  nt_train_config_init (&tc);
  tc.epochs = 1;
  tc.steps_per_epoch = 300;
  tc.val_limit = 200;
  tc.model = "ramp-cnn";
  ck_assert_msg (nt_train (net, ds, &tc, NULL, &err), "%s",
                 err ? err->message : "");
  const char *protocols[] = { "transfer", NULL };
  const char *types[] = { "baseline" };
  NtProtocolConfig cfg = { .attack = "forgetful", .protocols = protocols,
                           .images_per_set = 10,
                           .search = NT_THRESHOLD_LOG_GRID,
                           .resolution = 1e-3, .sweep_step = 0.1 };
  ck_assert (!nt_protocol_run_set (reg, ds, &cfg, &net, types, 1, 0, tmpdir,
                                   NULL, &err));
  ck_assert_msg (g_error_matches (err, NT_PROTOCOL_ERROR,
                                  NT_PROTOCOL_ERROR_NOT_EXACT),
                 "%s", err ? err->message : "(no error)");
  ck_assert_msg (strstr (err->message, "baseline") != NULL, "%s",
                 err->message);
  g_clear_error (&err);
  /* nothing half-written */
  char *scores = g_build_filename (tmpdir, "set-00-transfer-scores.csv",
                                   NULL);
  ck_assert (!g_file_test (scores, G_FILE_TEST_EXISTS));
  g_free (scores);
  nt_network_free (net);
  nt_dataset_free (ds);
}
END_TEST

static Suite *
attack_exact_suite (void)
{
  Suite *s = suite_create ("attack-exact");
  TCase *tc = tcase_create ("exact");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_loss_gradient_saturated);
  tcase_add_test (tc, test_loss_gradient_emulations);
  tcase_add_test (tc, test_direction_saturated);
  tcase_add_test (tc, test_argmax_near_tie);
  tcase_add_test (tc, test_backward_input_only);
  tcase_add_test (tc, test_protocol_exact_ramp);
  tcase_add_test (tc, test_protocol_exact_mnist);
  tcase_add_test (tc, test_stream_start);
  tcase_add_test (tc, test_not_exact_reported);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nt_test_run_suite (attack_exact_suite ());
}
