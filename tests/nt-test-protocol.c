/* nt-test-protocol.c: the attack protocol's exactness check
 * (nt-test-protocol.h). */
#include "config.h"
#include "nulltool.h"
#include "nt-test-protocol.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* A network of `model` with max_batch `max_batch` on be holding the
 * parameters of `src`. */
static NtNetwork *
rebuild (NtRegistry *reg, NtBackend *be, NtDataset *ds, const char *model,
         int max_batch, NtNetwork *src)
{
  GError *err = NULL;
  char *sel = g_strdup_printf ("%s:max_batch=%d", model, max_batch);
  NtNetwork *net = nt_model_build (reg, be, sel, ds->channels, ds->height,
                                   ds->width, ds->n_classes + 1, &err);
  ck_assert_msg (net != NULL, "%s: %s", sel, err ? err->message : "");
  for (guint i = 0; i < nt_network_n_params (src); i++)
    {
      gsize n = nt_network_param_count (src, i);
      float *v = g_new (float, n);
      ck_assert (be->ops->download (be, nt_network_param (src, i), 0, v, n,
                                    NULL));
      be->ops->upload (be, nt_network_param (net, i), 0, v, n);
      g_free (v);
    }
  g_free (sel);
  return net;
}

/* The text of file `name` in `dir` (caller frees). */
static char *
read_file (const char *dir, const char *name)
{
  char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;
  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "%s", path);
  g_free (path);
  return text;
}

void
nt_test_check_protocol_exact (NtRegistry *reg, NtBackend *be,
                              const char *dataset, const char *model,
                              const char *null_type, int steps, int images,
                              int set, int small_batch, const char *dir)
{
  GError *err = NULL;
  NtDataset *ds = nt_dataset_open (reg, dataset, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  const char *types[2] = { "baseline", null_type };
  NtNetwork *trained[2], *big[2], *small[2];
  for (int t = 0; t < 2; t++)
    {
      NtNullMix *mix = NULL;
      if (t == 1)
        {
          mix = nt_null_mix_new (reg, null_type, 0.5, ds, &err);
          ck_assert_msg (mix != NULL, "%s", err ? err->message : "");
        }
      trained[t] = nt_model_build (reg, be, model, ds->channels, ds->height,
                                   ds->width, ds->n_classes + 1, &err);
      ck_assert_msg (trained[t] != NULL, "%s", err ? err->message : "");
      nt_network_init_glorot (trained[t], 7);
      NtTrainConfig cfg;
      nt_train_config_init (&cfg);
      cfg.epochs = 1;
      cfg.steps_per_epoch = steps;
      cfg.val_limit = 256;
      cfg.seed = 7;
      cfg.nulls = mix;
      cfg.model = model;
      ck_assert_msg (nt_train (trained[t], ds, &cfg, NULL, &err), "%s",
                     err ? err->message : "");
      nt_null_mix_free (mix);
      big[t] = rebuild (reg, be, ds, model, 64, trained[t]);
      small[t] = rebuild (reg, be, ds, model, small_batch, trained[t]);
    }

  const char *protocols[] = { "transfer", "whitebox", NULL };
  NtProtocolConfig cfg = { .attack = "fgsm", .protocols = protocols,
                           .images_per_set = images,
                           .search = NT_THRESHOLD_LOG_GRID,
                           .resolution = 1e-3, .sweep_step = 0.05,
                           .progress = FALSE };
  char *dirs[2] = { g_build_filename (dir, "batch-64", NULL),
                    g_build_filename (dir, "batch-small", NULL) };
  NtProtocolSetInfo info[2];
  for (int r = 0; r < 2; r++)
    {
      ck_assert (g_mkdir_with_parents (dirs[r], 0755) == 0);
      ck_assert_msg (nt_protocol_run_set (reg, ds, &cfg,
                                          r == 0 ? big : small, types, 2,
                                          set, dirs[r], &info[r], &err),
                     "%s (%s): %s", nt_backend_name (be), dirs[r],
                     err ? err->message : "");
    }
  ck_assert_int_eq (info[0].images, images);
  ck_assert_int_eq (info[1].images, images);
  ck_assert_uint_eq (info[0].stream_read, info[1].stream_read);

  /* byte-identical files */
  const char *kinds[] = { "per-sample", "scores", "sweep" };
  for (int p = 0; p < 2; p++)
    for (int k = 0; k < 3; k++)
      {
        char *name = g_strdup_printf ("set-%02d-%s-%s.csv", set, protocols[p],
                                      kinds[k]);
        char *a = read_file (dirs[0], name), *b = read_file (dirs[1], name);
        ck_assert_msg (strcmp (a, b) == 0, "%s: %s differs between max_batch "
                       "64 and %d", nt_backend_name (be), name, small_batch);
        g_free (a);
        g_free (b);
        g_free (name);
      }

  /* measured exactness, from the files: each model at its own threshold */
  char *name = g_strdup_printf ("set-%02d-transfer-scores.csv", set);
  char *path = g_build_filename (dirs[0], name, NULL);
  NtCsv *scores = nt_csv_read (path, &err);
  ck_assert_msg (scores != NULL, "%s", err ? err->message : "");
  g_free (path);
  g_free (name);
  gboolean seen = FALSE;
  for (guint r = 0; r < nt_csv_n_rows (scores); r++)
    if (strcmp (nt_csv_get (scores, r, "model"), "baseline") == 0)
      {
        seen = TRUE;
        ck_assert_int_eq ((int) nt_csv_get_double (scores, r, "n"), images);
        ck_assert_msg (nt_csv_get_double (scores, r, "correct") == 0,
                       "%s: the baseline is correct on %g of its threshold "
                       "images", nt_backend_name (be),
                       nt_csv_get_double (scores, r, "correct"));
        ck_assert_int_eq ((int) (nt_csv_get_double (scores, r,
                                                     "misclassified")
                                 + nt_csv_get_double (scores, r,
                                                      "unclassified")),
                          images);
      }
  ck_assert (seen);
  nt_csv_free (scores);

  /* per image: the baseline's white-box threshold is its transfer one, and
   * no model is right at its own white-box threshold */
  name = g_strdup_printf ("set-%02d-transfer-per-sample.csv", set);
  path = g_build_filename (dirs[0], name, NULL);
  NtCsv *tr = nt_csv_read (path, &err);
  g_free (path);
  g_free (name);
  name = g_strdup_printf ("set-%02d-whitebox-per-sample.csv", set);
  path = g_build_filename (dirs[0], name, NULL);
  NtCsv *wb = nt_csv_read (path, &err);
  ck_assert_msg (tr && wb, "%s", err ? err->message : "");
  ck_assert_uint_eq (nt_csv_n_rows (tr), nt_csv_n_rows (wb));
  int compared = 0;
  for (guint r = 0; r < nt_csv_n_rows (wb); r++)
    {
      double thr = nt_csv_get_double (wb, r, "threshold");
      if (thr >= 0)
        ck_assert_msg (nt_csv_get_double (wb, r, "prediction")
                           != nt_csv_get_double (wb, r, "label"),
                       "white-box: %s correct at its own threshold %g",
                       nt_csv_get (wb, r, "model"), thr);
      if (strcmp (nt_csv_get (wb, r, "model"), "baseline") == 0)
        {
          ck_assert_str_eq (nt_csv_get (tr, r, "model"), "baseline");
          ck_assert_str_eq (nt_csv_get (wb, r, "threshold"),
                            nt_csv_get (tr, r, "threshold"));
          compared++;
        }
    }
  ck_assert_int_eq (compared, images);
  g_free (path);
  g_free (name);
  nt_csv_free (tr);
  nt_csv_free (wb);

  for (int t = 0; t < 2; t++)
    {
      nt_network_free (trained[t]);
      nt_network_free (big[t]);
      nt_network_free (small[t]);
    }
  g_free (dirs[0]);
  g_free (dirs[1]);
  nt_dataset_free (ds);
}
