/* test-models.c: the model plugins `cnn` and `ramp-cnn` build the paper's
 * architectures (layer shapes and parameter counts computed by hand),
 * refuse unsuitable inputs, and their backward passes agree with finite
 * differences. */
#include "config.h"
#include "nt-test-util.h"
#include "nt-model.h"
#include "nt-network.h"

#include <check.h>
#include <math.h>
#include <string.h>

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

/* Builds model `selection` ("cnn:max_batch=4") for c x h x w inputs;
 * returns NULL with error when the model refuses. */
static NtNetwork *
build (const char *selection, int c, int h, int w, int outputs,
       GError **error)
{
  NtOptions *opts = NULL;
  const NtFeature *f = nt_registry_resolve (registry, NT_KIND_MODEL,
                                            selection, &opts, error);
  ck_assert_msg (f != NULL, "model %s not found: %s", selection,
                 error && *error ? (*error)->message : "?");
  const NtModelClass *klass = (const NtModelClass *) f;
  NtNetwork *net = klass->build (be, opts, c, h, w, outputs, error);
  nt_options_free (opts);
  return net;
}

typedef struct {
  const char *name;
  int ndims;
  gint64 dims[4];
} ParamSpec;

static void
check_params (NtNetwork *net, const ParamSpec *want, guint n_want,
              gsize total)
{
  ck_assert_uint_eq (nt_network_n_params (net), n_want);
  for (guint i = 0; i < n_want; i++)
    {
      gint64 dims[4];
      gsize count = 1;
      ck_assert_str_eq (nt_network_param_name (net, i), want[i].name);
      ck_assert_int_eq (nt_network_param_shape (net, i, dims),
                        want[i].ndims);
      for (int d = 0; d < want[i].ndims; d++)
        {
          ck_assert_int_eq (dims[d], want[i].dims[d]);
          count *= (gsize) dims[d];
        }
      ck_assert_uint_eq (nt_network_param_count (net, i), count);
    }
  ck_assert_uint_eq (nt_network_total_params (net), total);
}

static void
check_layer (NtNetwork *net, guint i, NtLayerKind kind, int c, int h, int w)
{
  const NtLayer *l = nt_network_layer (net, i);
  ck_assert_msg (l->kind == kind && l->out.c == c && l->out.h == h
                 && l->out.w == w, "layer %u (%s): %s %dx%dx%d, want %s "
                 "%dx%dx%d", i, l->name, nt_layer_kind_name (l->kind),
                 l->out.c, l->out.h, l->out.w, nt_layer_kind_name (kind), c,
                 h, w);
}

/* Glorot leaves biases at zero, which puts every unit fed by zero pixels
 * exactly on its ReLU kink, where finite differences mean nothing; move
 * the biases away from zero for the gradient checks (positive ones when
 * `positive`, so that units fed by a blank background are alive). */
static void
randomize_biases (NtNetwork *net, GRand *r, gboolean positive)
{
  for (guint i = 0; i < nt_network_n_params (net); i++)
    {
      if (!g_str_has_suffix (nt_network_param_name (net, i), ".bias"))
        continue;
      gsize count = nt_network_param_count (net, i);
      float *b = g_new (float, count);
      for (gsize j = 0; j < count; j++)
        b[j] = (float) ((positive || g_rand_boolean (r) ? 1 : -1)
                        * g_rand_double_range (r, 0.05, 0.2));
      be->ops->upload (be, nt_network_param (net, i), 0, b, count);
      g_free (b);
    }
}

/* ------------------------------------------------------------------- cnn */

START_TEST (test_cnn_architecture)
{
  GError *error = NULL;
  NtNetwork *net = build ("cnn:max_batch=2", 1, 28, 28, 11, &error);
  ck_assert_msg (net != NULL, "%s", error ? error->message : "?");
  ck_assert_int_eq (nt_network_n_outputs (net), 11);
  ck_assert_int_eq (nt_network_max_batch (net), 2);
  ck_assert_uint_eq (nt_network_n_layers (net), 11);
  check_layer (net, 0, NT_LAYER_CONV2D, 32, 26, 26);
  check_layer (net, 1, NT_LAYER_RELU, 32, 26, 26);
  check_layer (net, 2, NT_LAYER_CONV2D, 64, 24, 24);
  check_layer (net, 3, NT_LAYER_RELU, 64, 24, 24);
  check_layer (net, 4, NT_LAYER_MAXPOOL, 64, 12, 12);
  check_layer (net, 5, NT_LAYER_DROPOUT, 64, 12, 12);
  check_layer (net, 6, NT_LAYER_FLATTEN, 9216, 1, 1);
  check_layer (net, 7, NT_LAYER_DENSE, 128, 1, 1);
  check_layer (net, 8, NT_LAYER_RELU, 128, 1, 1);
  check_layer (net, 9, NT_LAYER_DROPOUT, 128, 1, 1);
  check_layer (net, 10, NT_LAYER_DENSE, 11, 1, 1);
  ck_assert_float_eq (nt_network_layer (net, 5)->rate, 0.25f);
  ck_assert_float_eq (nt_network_layer (net, 9)->rate, 0.5f);

  /* conv1 32*1*9 + 32 = 320; conv2 64*32*9 + 64 = 18,496;
   * dense1 9216*128 + 128 = 1,179,776; dense2 128*11 + 11 = 1,419;
   * total 1,200,011 */
  static const ParamSpec want[] = {
    { "conv1.kernel", 4, { 32, 1, 3, 3 } }, { "conv1.bias", 1, { 32 } },
    { "conv2.kernel", 4, { 64, 32, 3, 3 } }, { "conv2.bias", 1, { 64 } },
    { "dense1.kernel", 2, { 128, 9216 } }, { "dense1.bias", 1, { 128 } },
    { "dense2.kernel", 2, { 11, 128 } }, { "dense2.bias", 1, { 11 } },
  };
  check_params (net, want, G_N_ELEMENTS (want), 1200011);

  char *text = nt_network_describe (net);
  ck_assert (strstr (text, "1200011") != NULL);
  ck_assert (strstr (text, "64x12x12") != NULL);
  g_free (text);
  nt_network_free (net);

  /* without dropout: the same parameters, two layers fewer */
  net = build ("cnn:dropout=false,max_batch=1", 1, 28, 28, 11, &error);
  ck_assert_ptr_nonnull (net);
  ck_assert_uint_eq (nt_network_n_layers (net), 9);
  check_params (net, want, G_N_ELEMENTS (want), 1200011);
  nt_network_free (net);
}
END_TEST

START_TEST (test_cnn_refuses_small_inputs)
{
  GError *error = NULL;
  static const int bad[][3] = { { 1, 5, 5 }, { 1, 1, 3 }, { 1, 28, 4 } };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      NtNetwork *net = build ("cnn:max_batch=1", bad[i][0], bad[i][1],
                              bad[i][2], 11, &error);
      ck_assert_ptr_null (net);
      ck_assert (error != NULL && error->domain == NT_NETWORK_ERROR
                 && error->code == NT_NETWORK_ERROR_SHAPE);
      ck_assert_msg (strstr (error->message, "cnn") != NULL
                     && strstr (error->message, "6x6") != NULL,
                     "unhelpful message: %s", error->message);
      g_clear_error (&error);
    }
  /* 6x6 is the smallest that fits: 4x4 after the convolutions, 2x2 after
   * the pool, 256 flat; 8x8 gives 64x2x2 */
  NtNetwork *net = build ("cnn:max_batch=1", 1, 6, 6, 11, &error);
  ck_assert_ptr_nonnull (net);
  check_layer (net, 4, NT_LAYER_MAXPOOL, 64, 1, 1);
  nt_network_free (net);
  net = build ("cnn:max_batch=1", 1, 8, 8, 11, &error);
  ck_assert_ptr_nonnull (net);
  check_layer (net, 6, NT_LAYER_FLATTEN, 256, 1, 1);
  nt_network_free (net);
}
END_TEST

START_TEST (test_cnn_gradcheck)
{
  GError *error = NULL;
  NtNetwork *net = build ("cnn:max_batch=2", 1, 28, 28, 11, &error);
  ck_assert_ptr_nonnull (net);
  nt_network_init_glorot (net, 2020);
  GRand *r = g_rand_new_with_seed (5);
  randomize_biases (net, r, FALSE);

  /* two 28x28 "images" in [0, 1]: a soft blob and uniform noise */
  float x[2 * 784];
  for (int i = 0; i < 28; i++)
    for (int j = 0; j < 28; j++)
      {
        double d1 = (i - 13.5) * (i - 13.5) + (j - 12.0) * (j - 12.0);
        x[i * 28 + j] = (float) exp (-d1 / 40.0);
        x[784 + i * 28 + j] = (float) g_rand_double (r);
      }
  int labels[2] = { 3, 10 };
  double worst;
  /* With 1.2 million parameters many units sit near a kink, and float
   * rounding of the logits limits how short a step can be: most probes of
   * the first layers and of the input are skipped at kinks (see
   * nt_network_gradcheck), hence 30 probes per tensor. */
  gboolean ok = nt_network_gradcheck (net, x, labels, 2, 30, 1e-2, 1e-2,
                                      &worst, &error);
  ck_assert_msg (ok, "%s", error ? error->message : "?");
  g_print ("cnn gradcheck (inference): max relative error %.2g\n", worst);
  ok = nt_network_gradcheck_training (net, x, labels, 2, 30, 1e-2, 1e-2, 7,
                                      &worst, &error);
  ck_assert_msg (ok, "%s", error ? error->message : "?");
  g_print ("cnn gradcheck (training): max relative error %.2g\n", worst);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

/* -------------------------------------------------------------- ramp-cnn */

START_TEST (test_ramp_cnn_architecture)
{
  GError *error = NULL;
  NtNetwork *net = build ("ramp-cnn", 1, 1, 3, 3, &error);
  ck_assert_msg (net != NULL, "%s", error ? error->message : "?");
  ck_assert_int_eq (nt_network_max_batch (net), 256);  /* the default */
  ck_assert_int_eq (nt_network_n_outputs (net), 3);
  ck_assert_uint_eq (nt_network_n_layers (net), 11);
  check_layer (net, 0, NT_LAYER_CONV2D, 8, 1, 3);      /* same padding */
  check_layer (net, 2, NT_LAYER_CONV2D, 16, 1, 3);
  check_layer (net, 4, NT_LAYER_MAXPOOL, 16, 1, 2);    /* 1x2 stride 1 */
  check_layer (net, 5, NT_LAYER_DROPOUT, 16, 1, 2);
  check_layer (net, 6, NT_LAYER_FLATTEN, 32, 1, 1);
  check_layer (net, 7, NT_LAYER_DENSE, 32, 1, 1);
  check_layer (net, 9, NT_LAYER_DROPOUT, 32, 1, 1);
  check_layer (net, 10, NT_LAYER_DENSE, 3, 1, 1);
  const NtLayer *c1 = nt_network_layer (net, 0);
  ck_assert (c1->win.kh == 1 && c1->win.kw == 2 && c1->win.pad_left == 0
             && c1->win.pad_right == 1 && c1->win.pad_top == 0
             && c1->win.pad_bottom == 0);

  /* conv1 8*1*2 + 8 = 24; conv2 16*8*2 + 16 = 272; dense1 32*32 + 32 =
   * 1,056; dense2 32*3 + 3 = 99; total 1,451 */
  static const ParamSpec want[] = {
    { "conv1.kernel", 4, { 8, 1, 1, 2 } }, { "conv1.bias", 1, { 8 } },
    { "conv2.kernel", 4, { 16, 8, 1, 2 } }, { "conv2.bias", 1, { 16 } },
    { "dense1.kernel", 2, { 32, 32 } }, { "dense1.bias", 1, { 32 } },
    { "dense2.kernel", 2, { 3, 32 } }, { "dense2.bias", 1, { 3 } },
  };
  check_params (net, want, G_N_ELEMENTS (want), 1451);
  nt_network_free (net);

  /* not a 1-D signal */
  net = build ("ramp-cnn", 1, 28, 28, 3, &error);
  ck_assert_ptr_null (net);
  ck_assert (error != NULL && error->code == NT_NETWORK_ERROR_SHAPE);
  ck_assert (strstr (error->message, "ramp-cnn") != NULL);
  g_clear_error (&error);
  net = build ("ramp-cnn", 1, 1, 1, 3, &error);
  ck_assert_ptr_null (net);
  g_clear_error (&error);
}
END_TEST

START_TEST (test_ramp_cnn_gradcheck)
{
  GError *error = NULL;
  NtNetwork *net = build ("ramp-cnn:max_batch=16", 1, 1, 3, 3, &error);
  ck_assert_ptr_nonnull (net);
  nt_network_init_glorot (net, 1);
  GRand *r = g_rand_new_with_seed (3);
  randomize_biases (net, r, FALSE);

  /* ramp-like samples: prototypes at either position with a little noise,
   * and uniform ones */
  float x[16 * 3];
  int labels[16];
  for (int s = 0; s < 16; s++)
    {
      labels[s] = s % 3;
      int pos = g_rand_int_range (r, 0, 2);
      for (int k = 0; k < 3; k++)
        x[s * 3 + k] = (float) g_rand_double (r);
      if (labels[s] < 2)
        {
          x[s * 3 + 2 * (1 - pos)] = 0.0f;
          x[s * 3 + pos] = labels[s] == 0 ? 0.666f : 0.333f;
          x[s * 3 + pos + 1] = labels[s] == 0 ? 0.333f : 0.666f;
          for (int k = 0; k < 3; k++)
            x[s * 3 + k] += (float) g_rand_double_range (r, -0.05, 0.05);
        }
    }
  double worst;
  gboolean ok = nt_network_gradcheck (net, x, labels, 16, 1000, 1e-2, 1e-2,
                                      &worst, &error);
  ck_assert_msg (ok, "%s", error ? error->message : "?");
  g_print ("ramp-cnn gradcheck (inference, all coordinates): max relative "
           "error %.2g\n", worst);
  ok = nt_network_gradcheck_training (net, x, labels, 16, 1000, 1e-2, 1e-2,
                                      11, &worst, &error);
  ck_assert_msg (ok, "%s", error ? error->message : "?");
  g_print ("ramp-cnn gradcheck (training, all coordinates): max relative "
           "error %.2g\n", worst);
  g_rand_free (r);
  nt_network_free (net);
}
END_TEST

static Suite *
models_suite (void)
{
  Suite *s = suite_create ("models");
  TCase *tc = tcase_create ("plugins");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_cnn_architecture);
  tcase_add_test (tc, test_cnn_refuses_small_inputs);
  tcase_add_test (tc, test_cnn_gradcheck);
  tcase_add_test (tc, test_ramp_cnn_architecture);
  tcase_add_test (tc, test_ramp_cnn_gradcheck);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (models_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
