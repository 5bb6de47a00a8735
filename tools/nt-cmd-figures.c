/* nt-cmd-figures.c: `nulltool null-examples` (figure 1 of the study) and
 * `nulltool ramp` (the ramp toy study, trained, evaluated and drawn in one
 * command). */
#include "config.h"
#include "nt-cli.h"
#include "nt-network.h"
#include "nt-model-file.h"
#include "nt-train.h"
#include "nt-null.h"
#include "nt-rng.h"
#include "nt-figure.h"
#include "nt-fig-null-examples.h"
#include "nt-fig-ramp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

/* Prints a failure as "nulltool CMD: message" and returns 1. */
/* ---- null-examples ---------------------------------------------------- */

int
nt_cmd_null_examples (NtCli *cli, int argc, char **argv)
{
  char *dataset_sel = NULL, *output = NULL;
  NtCliNumber num[] = { NT_CLI_INT ("seed", 's', 0, G_MAXINT64), { NULL } };
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_sel,
      "image dataset selection (default: mnist)", "SEL" },
    NT_CLI_NUMBER_ENTRY ("seed", 's',
      "seed of the drawn examples, >= 0 (default 0)", "N"),
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "figure file, .png, .svg or .pdf (default: null-examples.png)",
      "FILE" },
    { NULL }
  };
  if (!nt_cli_parse_numbers ("null-examples", NULL,
                             "Draws figure 1 of the study: a row of uniform "
                             "null images, a row of mixed\nimages and a row "
                             "of tile-shuffled images (tile sizes 1, 2, 4, 7, "
                             "14), made by\nthe null strategies from the "
                             "dataset's training images.", entries, num,
                             &argc, &argv))
    return NT_EXIT_USAGE;
  gint64 seed = num[0].given ? num[0].i : 0;
  if (argc > 1)
    {
      nt_cli_error ("null-examples", "unexpected argument '%s'", argv[1]);
      fprintf (stderr, "Try 'nulltool null-examples --help'.\n");
      g_free (dataset_sel);
      g_free (output);
      return NT_EXIT_USAGE;
    }
  const char *sel = dataset_sel ? dataset_sel : "mnist";
  const char *path = output ? output : "null-examples.png";
  GError *error = NULL;
  int status = NT_EXIT_OK;
  NtDataset *ds = nt_dataset_open (nt_cli_registry (cli), sel, &error);
  if (ds == NULL
      || !nt_fig_null_examples (nt_cli_registry (cli), ds, sel,
                                (guint64) seed, path, &error))
    status = nt_cli_fail ("null-examples", error);
  else
    printf ("wrote %s\n", path);
  nt_dataset_free (ds);
  g_free (dataset_sel);
  g_free (output);
  return status;
}

/* ---- ramp ------------------------------------------------------------- */

/* What the study measures of one model. */
typedef struct {
  const char *name;          /* "baseline", "uniform" */
  guint8 *grid;              /* label per grid point */
  double fraction[NT_RAMP_N_LABELS];
  double accuracy;           /* fresh ramp samples, digits only */
  double null_recognised;    /* fresh uniform nulls predicted null */
  double train_seconds;
} RampModel;

/* Grid predictions, accuracy on `fresh`'s test split and the share of
 * uniform nulls recognised. */
static gboolean
measure (NtRegistry *reg, NtNetwork *net, NtDataset *fresh, int grid,
         guint64 seed, RampModel *m, GError **error)
{
  gsize total = (gsize) grid * grid * grid;
  m->grid = g_new (guint8, total);
  if (!nt_ramp_predict_grid (net, grid, m->grid, error))
    return FALSE;
  gsize counts[NT_RAMP_N_LABELS] = { 0 };
  for (gsize p = 0; p < total; p++)
    counts[m->grid[p]]++;
  for (int l = 0; l < NT_RAMP_N_LABELS; l++)
    m->fraction[l] = (double) counts[l] / total;
  NtEvalResult r;
  if (!nt_evaluate (net, fresh, NT_SPLIT_TEST, 0, NULL, 0, &r, error))
    return FALSE;
  m->accuracy = r.digit_accuracy;
  nt_eval_result_clear (&r);
  NtNullMix *u = nt_null_mix_new (reg, "u", 0.5, fresh, error);
  if (u == NULL)
    return FALSE;
  gboolean ok = nt_evaluate (net, fresh, NT_SPLIT_TEST, 0, u,
                             nt_rng_key (seed, 0, "ramp-fresh-nulls"), &r,
                             error);
  nt_null_mix_free (u);
  if (!ok)
    return FALSE;
  m->null_recognised = r.null_recognised;
  nt_eval_result_clear (&r);
  return TRUE;
}

/* Trains `net` for `epochs` epochs with `nulls` (NULL: none), writing the
 * history to dir/NAME-history.csv and the final weights to dir/NAME.ckpt. */
static gboolean
train_stage (NtNetwork *net, NtDataset *ds, const char *model,
             const char *ds_sel, NtNullMix *nulls, int epochs, int steps,
             guint64 seed, guint set, const char *dir, const char *name,
             gboolean progress, double *seconds, GError **error)
{
  char *history = g_strdup_printf ("%s/%s-history.csv", dir, name);
  char *ckpt = g_strdup_printf ("%s/%s.ckpt", dir, name);
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = epochs;
  cfg.batch = 32;
  cfg.steps_per_epoch = steps;
  cfg.seed = seed;
  cfg.set = set;
  cfg.nulls = nulls;
  cfg.model = model;
  cfg.history_path = history;
  cfg.progress = progress;
  if (progress)
    fprintf (stderr, "training the %s model: %d epochs of %d steps%s\n",
             name, epochs, steps,
             nulls ? ", uniform nulls (p_null 0.5)" : ", no nulls");
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = nt_train (net, ds, &cfg, NULL, error);
  *seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (ok)
    {
      char seed_text[32], epochs_text[16];
      g_snprintf (seed_text, sizeof seed_text, "%" G_GUINT64_FORMAT, seed);
      g_snprintf (epochs_text, sizeof epochs_text, "%d", epochs);
      /* the final weights: the uniform model continues exactly these */
      const char *meta[] = { "dataset", ds_sel, "null", nulls ? "u" : "none",
                             "p_null", nulls ? "0.5" : "0", "seed",
                             seed_text, "epoch", epochs_text, "study",
                             "ramp", NULL };
      ok = nt_model_file_save (net, model, meta, ckpt, error);
    }
  g_free (history);
  g_free (ckpt);
  return ok;
}

static gboolean
write_fractions (const char *dir, const RampModel *models, int n,
                 GError **error)
{
  static const char *labels[NT_RAMP_N_LABELS] = { "down", "up", "null" };
  GString *csv = g_string_new ("model,class,fraction\n");
  for (int m = 0; m < n; m++)
    for (int l = 0; l < NT_RAMP_N_LABELS; l++)
      g_string_append_printf (csv, "%s,%s,%.6f\n", models[m].name, labels[l],
                              models[m].fraction[l]);
  char *path = g_build_filename (dir, "grid-fractions.csv", NULL);
  gboolean ok = g_file_set_contents (path, csv->str, csv->len, error);
  g_string_truncate (csv, 0);
  g_string_append (csv, "model,fresh_accuracy,uniform_nulls_recognised,"
                        "train_seconds\n");
  for (int m = 0; m < n; m++)
    g_string_append_printf (csv, "%s,%.6f,%.6f,%.2f\n", models[m].name,
                            models[m].accuracy, models[m].null_recognised,
                            models[m].train_seconds);
  char *path2 = g_build_filename (dir, "accuracy.csv", NULL);
  ok = ok && g_file_set_contents (path2, csv->str, csv->len, error);
  g_free (path);
  g_free (path2);
  g_string_free (csv, TRUE);
  return ok;
}

/* The ramp figures, into dir. */
static gboolean
render_ramp (const char *dir, NtDataset *ds, const RampModel *models,
             int n_models, int grid, GError **error)
{
  float samples[20 * 3];
  int labels[20];
  gsize idx[20];
  for (int i = 0; i < 20; i++)
    idx[i] = i;
  if (!nt_dataset_get (ds, NT_SPLIT_TRAIN, idx, 20, samples, labels, error))
    return FALSE;
  char *path = g_build_filename (dir, "ramp-samples.png", NULL);
  gboolean ok = nt_fig_ramp_samples (path, samples, labels, 20, error);
  g_free (path);
  if (ok)
    {
      path = g_build_filename (dir, "ramp-optimal.png", NULL);
      ok = nt_fig_ramp_optimal (path, error);
      g_free (path);
    }
  for (int m = 0; ok && m < n_models; m++)
    {
      char *name = g_strdup_printf ("ramp-regions-%s.png", models[m].name);
      path = g_build_filename (dir, name, NULL);
      ok = nt_fig_ramp_regions (path, models[m].name, models[m].grid, grid,
                                error);
      g_free (name);
      g_free (path);
    }
  return ok;
}

int
nt_cmd_ramp (NtCli *cli, int argc, char **argv)
{
  char *dir = NULL, *backend_sel = NULL;
  gboolean quiet = FALSE;
  enum { SEED, EPOCHS_BASELINE, EPOCHS_UNIFORM, STEPS, GRID };
  NtCliNumber num[] = {
    [SEED] = NT_CLI_INT ("seed", 's', 0, G_MAXINT64),
    [EPOCHS_BASELINE] = NT_CLI_INT ("epochs-baseline", 0, 1, G_MAXINT),
    [EPOCHS_UNIFORM] = NT_CLI_INT ("epochs-uniform", 0, 1, G_MAXINT),
    [STEPS] = NT_CLI_INT ("steps", 0, 1, G_MAXINT),
    [GRID] = NT_CLI_INT ("grid", 'g', 2, 512),
    { NULL }
  };
  const GOptionEntry entries[] = {
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &dir,
      "folder for checkpoints, histories, CSVs and figures (default: "
      "runs/ramp)", "DIR" },
    NT_CLI_NUMBER_ENTRY ("seed", 's', "run seed, >= 0 (default 0)", "N"),
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_sel,
      "backend selection (default: auto)", "SEL" },
    NT_CLI_NUMBER_ENTRY ("epochs-baseline", 0,
      "epochs of the baseline, without nulls, >= 1 (default 20)", "N"),
    NT_CLI_NUMBER_ENTRY ("epochs-uniform", 0,
      "further epochs with uniform nulls, >= 1 (default 30)", "N"),
    NT_CLI_NUMBER_ENTRY ("steps", 0,
      "steps of 32 samples per epoch, >= 1 (default 1000)", "N"),
    NT_CLI_NUMBER_ENTRY ("grid", 'g',
      "grid points per axis of the unit cube, 2 to 512 (default 48)", "N"),
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "no progress output",
      NULL },
    { NULL }
  };
  if (!nt_cli_parse_numbers ("ramp", NULL,
                             "Runs the ramp toy study: trains ramp-cnn on "
                             "the ramp dataset without nulls\n(the "
                             "baseline), then continues its weights with "
                             "uniform nulls (p_null 0.5);\nmeasures both "
                             "models on a grid over the unit cube and on "
                             "fresh samples,\nand draws the ramp figures.",
                             entries, num, &argc, &argv))
    return NT_EXIT_USAGE;
  if (argc > 1)
    {
      nt_cli_error ("ramp", "unexpected argument '%s'", argv[1]);
      fprintf (stderr, "Try 'nulltool ramp --help'.\n");
      g_free (dir);
      g_free (backend_sel);
      return NT_EXIT_USAGE;
    }
  gint64 seed = num[SEED].given ? num[SEED].i : 0;
  int epochs_baseline = num[EPOCHS_BASELINE].given
                          ? (int) num[EPOCHS_BASELINE].i : 20;
  int epochs_uniform = num[EPOCHS_UNIFORM].given
                         ? (int) num[EPOCHS_UNIFORM].i : 30;
  int steps = num[STEPS].given ? (int) num[STEPS].i : 1000;
  int grid = num[GRID].given ? (int) num[GRID].i : 48;
  if (dir == NULL)
    dir = g_strdup ("runs/ramp");

  gint64 t_start = g_get_monotonic_time ();
  NtRegistry *reg = nt_cli_registry (cli);
  GError *error = NULL;
  NtBackend *be = NULL;
  NtDataset *ds = NULL, *fresh = NULL;
  NtNetwork *net = NULL;
  NtNullMix *nulls = NULL;
  char *model = NULL;
  int status = NT_EXIT_FAILURE;
  RampModel models[2] = { { .name = "baseline" }, { .name = "uniform" } };
  /* the training data follow the seed; the fresh test samples come from
   * a dataset of another seed, never seen in training or validation */
  char *ds_sel = g_strdup_printf ("ramp:seed=%" G_GINT64_FORMAT, seed);
  char *fresh_sel = g_strdup_printf (
      "ramp:seed=%" G_GUINT64_FORMAT ",test=10000",
      nt_rng_key ((guint64) seed, 0, "ramp-fresh") >> 12);

  if (g_mkdir_with_parents (dir, 0777) != 0)
    {
      nt_cli_error ("ramp", "cannot create the output folder %s: %s", dir,
                    g_strerror (errno));
      goto out;
    }
  if (!(model = nt_model_canonical (reg, "ramp-cnn", &error))
      || !(be = nt_backend_open (reg, backend_sel ? backend_sel : "auto",
                                 &error))
      || !(ds = nt_dataset_open (reg, ds_sel, &error))
      || !(fresh = nt_dataset_open (reg, fresh_sel, &error))
      || !(net = nt_model_build (reg, be, model, ds->channels, ds->height,
                                 ds->width, ds->n_classes + 1, &error))
      || !(nulls = nt_null_mix_new (reg, "u", 0.5, ds, &error)))
    {
      status = nt_cli_fail ("ramp", error);
      goto out;
    }
  nt_network_init_glorot (net, (guint64) seed);
  nt_cli_on_interrupt ("nulltool ramp: interrupted; the ramp study does "
                       "not resume: rerun it to start again");
  if (!quiet)
    fprintf (stderr, "ramp study: %s on backend %s, output in %s\n", model,
             nt_backend_name (be), dir);
  if (!train_stage (net, ds, model, ds_sel, NULL, epochs_baseline, steps,
                    (guint64) seed, 0, dir, "baseline", !quiet,
                    &models[0].train_seconds, &error)
      || !measure (reg, net, fresh, grid, (guint64) seed, &models[0], &error)
      || !train_stage (net, ds, model, ds_sel, nulls, epochs_uniform, steps,
                       (guint64) seed, 1, dir, "uniform", !quiet,
                       &models[1].train_seconds, &error)
      || !measure (reg, net, fresh, grid, (guint64) seed, &models[1], &error)
      || !write_fractions (dir, models, 2, &error)
      || !render_ramp (dir, ds, models, 2, grid, &error))
    {
      status = nt_cli_fail ("ramp", error);
      goto out;
    }
  double total_s = (g_get_monotonic_time () - t_start) / 1e6;
  printf ("ramp study (seed %" G_GINT64_FORMAT ", %s, grid %d^3), results "
          "in %s\n", seed, nt_backend_name (be), grid, dir);
  printf ("%-9s %6s %6s %6s  %14s  %16s  %8s\n", "model", "down", "up",
          "null", "fresh accuracy", "u nulls as null", "train s");
  for (int m = 0; m < 2; m++)
    printf ("%-9s %5.1f%% %5.1f%% %5.1f%%  %14.4f  %16.4f  %8.1f\n",
            models[m].name, 100 * models[m].fraction[0],
            100 * models[m].fraction[1], 100 * models[m].fraction[2],
            models[m].accuracy, models[m].null_recognised,
            models[m].train_seconds);
  printf ("(grid shares of the unit cube; accuracy on 10000 fresh ramp "
          "samples)\nfiles: baseline.ckpt uniform.ckpt *-history.csv "
          "grid-fractions.csv accuracy.csv\n       ramp-samples.png "
          "ramp-optimal.png ramp-regions-baseline.png "
          "ramp-regions-uniform.png\ntotal time %.1f s\n", total_s);
  status = NT_EXIT_OK;
out:
  for (int m = 0; m < 2; m++)
    g_free (models[m].grid);
  nt_null_mix_free (nulls);
  nt_network_free (net);
  nt_dataset_free (fresh);
  nt_dataset_free (ds);
  nt_backend_free (be);
  g_free (model);
  g_free (ds_sel);
  g_free (fresh_sel);
  g_free (dir);
  g_free (backend_sel);
  return status;
}
