/* test-train.c: training end to end: the ramp model learns its toy within
 * seconds, model files round-trip exactly, bad settings are refused, and,
 * when real MNIST is present, the paper's cnn learns well above chance. */
#include "config.h"
#include "nulltool.h"
#include "nt-test-util.h"

#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static NtRegistry *reg;
static NtBackend *be;
static char *tmpdir;

static void
setup (void)
{
  reg = nt_test_registry ();
  be = nt_test_backend (reg, "cpu");
  tmpdir = g_dir_make_tmp ("nt-test-train-XXXXXX", NULL);
}

static void
teardown (void)
{
  nt_test_rm_rf (tmpdir);
  g_free (tmpdir);
  nt_backend_free (be);
  nt_registry_free (reg);
}

static NtNetwork *
build (const char *model, NtDataset *ds)
{
  GError *error = NULL;
  NtNetwork *net = nt_model_build (reg, be, model, ds->channels, ds->height,
                                   ds->width, ds->n_classes + 1, &error);
  ck_assert_msg (net != NULL, "%s", error ? error->message : "");
  return net;
}

START_TEST (test_ramp_learns)
{
  GError *error = NULL;
  NtDataset *ds = nt_dataset_open (reg, "ramp", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  NtNetwork *net = build ("ramp-cnn", ds);
  nt_network_init_glorot (net, 1);
  char *ckpt = g_build_filename (tmpdir, "ramp.ckpt", NULL);
  char *hist = g_build_filename (tmpdir, "ramp.csv", NULL);
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = 3;
  cfg.steps_per_epoch = 300;
  cfg.seed = 1;
  cfg.model = "ramp-cnn";
  cfg.checkpoint_path = ckpt;
  cfg.history_path = hist;
  GArray *history = NULL;
  ck_assert_msg (nt_train (net, ds, &cfg, &history, &error), "%s",
                 error ? error->message : "");
  ck_assert_uint_eq (history->len, 3);
  const NtEpochStats *last = &g_array_index (history, NtEpochStats, 2);
  ck_assert_msg (last->val_accuracy >= 0.99, "val accuracy %.4f",
                 last->val_accuracy);
  /* the history file has a header and one line per epoch */
  char *csv = NULL;
  ck_assert (g_file_get_contents (hist, &csv, NULL, NULL));
  char **lines = g_strsplit (g_strstrip (csv), "\n", -1);
  ck_assert_uint_eq (g_strv_length (lines), 4);
  ck_assert (g_str_has_prefix (lines[0], "epoch,train_loss"));
  g_strfreev (lines);
  g_free (csv);

  /* the best checkpoint evaluates to its recorded validation accuracy */
  NtCheckpoint *ck = NULL;
  NtNetwork *loaded = nt_model_file_load (reg, be, ckpt, &ck, &error);
  ck_assert_msg (loaded != NULL, "%s", error ? error->message : "");
  NtEvalResult r;
  ck_assert (nt_evaluate (loaded, ds, NT_SPLIT_TEST, 0, NULL, 0, &r, &error));
  ck_assert_double_eq_tol (r.accuracy,
                           g_ascii_strtod (nt_checkpoint_get_meta (
                                               ck, "val_accuracy"), NULL),
                           1e-5);
  ck_assert_uint_eq (r.n, ds->n_test);
  /* confusion counts add up, and nothing is predicted null without nulls
   * in training */
  guint64 sum = 0, null_col = 0;
  for (int i = 0; i < r.n_rows; i++)
    for (int j = 0; j < r.n_cols; j++)
      {
        sum += r.confusion[i * r.n_cols + j];
        if (j == r.n_cols - 1)
          null_col += r.confusion[i * r.n_cols + j];
      }
  ck_assert_uint_eq (sum, r.n);
  ck_assert_uint_eq (null_col, 0);
  nt_eval_result_clear (&r);
  nt_checkpoint_free (ck);
  nt_network_free (loaded);
  g_array_unref (history);
  nt_network_free (net);
  nt_dataset_free (ds);
  g_free (ckpt);
  g_free (hist);
}
END_TEST

/* Saved parameters come back bit-exact, and the same seed gives the same
 * training on the same backend. */
START_TEST (test_model_file_round_trip)
{
  GError *error = NULL;
  NtDataset *ds = nt_dataset_open (reg, "ramp", &error);
  NtNetwork *net = build ("ramp-cnn", ds);
  nt_network_init_glorot (net, 7);
  char *path = g_build_filename (tmpdir, "m.ckpt", NULL);
  const char *meta[] = { "dataset", "ramp", NULL };
  ck_assert_msg (nt_model_file_save (net, "ramp-cnn", meta, path, &error),
                 "%s", error ? error->message : "");
  NtCheckpoint *ck = NULL;
  NtNetwork *back = nt_model_file_load (reg, be, path, &ck, &error);
  ck_assert_msg (back != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (nt_checkpoint_get_meta (ck, "dataset"), "ramp");
  ck_assert_uint_eq (nt_network_n_params (back), nt_network_n_params (net));
  for (guint i = 0; i < nt_network_n_params (net); i++)
    {
      gsize n = nt_network_param_count (net, i);
      float *a = g_new (float, n), *b = g_new (float, n);
      ck_assert (be->ops->download (be, nt_network_param (net, i), 0, a, n,
                                    NULL));
      ck_assert (be->ops->download (be, nt_network_param (back, i), 0, b, n,
                                    NULL));
      ck_assert_msg (memcmp (a, b, n * sizeof (float)) == 0, "tensor %s",
                     nt_network_param_name (net, i));
      g_free (a);
      g_free (b);
    }
  nt_checkpoint_free (ck);
  nt_network_free (back);

  /* a file that is a checkpoint but not a model is refused */
  NtCheckpoint *plain = nt_checkpoint_new ();
  nt_checkpoint_set_meta (plain, "hello", "world");
  ck_assert (nt_checkpoint_save (plain, path, NULL));
  nt_checkpoint_free (plain);
  ck_assert_ptr_null (nt_model_file_load (reg, be, path, NULL, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_FORMAT));
  g_clear_error (&error);
  /* a missing file too */
  ck_assert_ptr_null (nt_model_file_load (reg, be, "/nonexistent.ckpt", NULL,
                                          &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  nt_network_free (net);
  nt_dataset_free (ds);
  g_free (path);
}
END_TEST

START_TEST (test_same_seed_same_training)
{
  GError *error = NULL;
  NtDataset *ds = nt_dataset_open (reg, "ramp", &error);
  float result[2];
  for (int run = 0; run < 2; run++)
    {
      NtNetwork *net = build ("ramp-cnn", ds);
      nt_network_init_glorot (net, 3);
      NtTrainConfig cfg;
      nt_train_config_init (&cfg);
      cfg.epochs = 1;
      cfg.steps_per_epoch = 50;
      cfg.seed = 3;
      GArray *h = NULL;
      ck_assert (nt_train (net, ds, &cfg, &h, &error));
      result[run] = g_array_index (h, NtEpochStats, 0).val_loss;
      g_array_unref (h);
      nt_network_free (net);
    }
  ck_assert_float_eq (result[0], result[1]);
  nt_dataset_free (ds);
}
END_TEST

START_TEST (test_bad_settings_refused)
{
  GError *error = NULL;
  NtDataset *ds = nt_dataset_open (reg, "ramp", &error);
  NtNetwork *net = build ("ramp-cnn:max_batch=16", ds);
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.batch = 32;   /* larger than the network's max_batch */
  ck_assert (!nt_train (net, ds, &cfg, NULL, &error));
  ck_assert (g_error_matches (error, NT_TRAIN_ERROR, NT_TRAIN_ERROR_CONFIG));
  g_clear_error (&error);
  cfg.batch = 8;
  cfg.epochs = 0;
  ck_assert (!nt_train (net, ds, &cfg, NULL, &error));
  g_clear_error (&error);
  /* a checkpoint path that cannot be written fails the run */
  cfg.epochs = 1;
  cfg.steps_per_epoch = 5;
  cfg.checkpoint_path = "/nonexistent-dir/x.ckpt";
  ck_assert (!nt_train (net, ds, &cfg, NULL, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  nt_network_free (net);
  nt_dataset_free (ds);
}
END_TEST

/* Real MNIST: 300 steps of batch 32 take the cnn far above chance. */
START_TEST (test_mnist_cnn_learns)
{
  char *dir = nt_test_mnist_dir ();
  if (dir == NULL)
    {
      fprintf (stderr, "test_mnist_cnn_learns: real MNIST not found "
               "(run tools/nulltool-fetch-mnist), skipped\n");
      return;
    }
  char *sel = g_strdup_printf ("mnist:dir=%s", dir);
  GError *error = NULL;
  NtDataset *ds = nt_dataset_open (reg, sel, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  NtNetwork *net = build ("cnn", ds);
  nt_network_init_glorot (net, 0);
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = 1;
  cfg.steps_per_epoch = 300;
  cfg.val_limit = 2000;
  GArray *h = NULL;
  ck_assert_msg (nt_train (net, ds, &cfg, &h, &error), "%s",
                 error ? error->message : "");
  double acc = g_array_index (h, NtEpochStats, 0).val_accuracy;
  fprintf (stderr, "cnn after 300 steps: val accuracy %.4f\n", acc);
  ck_assert_msg (acc > 0.90, "accuracy %.4f after 300 steps", acc);
  g_array_unref (h);
  nt_network_free (net);
  nt_dataset_free (ds);
  g_free (sel);
  g_free (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("train");
  TCase *tc = tcase_create ("train");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_ramp_learns);
  tcase_add_test (tc, test_model_file_round_trip);
  tcase_add_test (tc, test_same_seed_same_training);
  tcase_add_test (tc, test_bad_settings_refused);
  tcase_add_test (tc, test_mnist_cnn_learns);
  suite_add_tcase (s, tc);
  return nt_test_run_suite (s);
}
