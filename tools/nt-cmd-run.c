/* nt-cmd-run.c: `nulltool run`: a whole study from a preset or an ini file,
 * with flags for the common settings. */
#include "config.h"
#include "nt-cli.h"
#include "nt-experiment.h"
#include "nt-fig-study.h"

#include <stdio.h>
#include <string.h>

/* The folder of the shipped presets: the source tree's when this program
 * runs from the build tree, else the installed one. */
static char *
preset_path (const char *name)
{
  gboolean uninstalled = nt_running_uninstalled ();
  char *file = g_strconcat (name, ".ini", NULL);
  char *path = g_build_filename (uninstalled ? NT_ABS_TOP_SRCDIR "/tools/presets"
                                             : NT_PRESETS_DIR, file, NULL);
  g_free (file);
  return path;
}

int
nt_cmd_run (NtCli *cli, int argc, char **argv)
{
  char *preset = NULL, *config = NULL, *output = NULL, *dataset = NULL;
  char *model = NULL, *types = NULL, *attack = NULL, *backend = NULL;
  char *protocols = NULL;
  char **sets_kv = NULL;
  int sets = 0, epochs = 0, images = -1, steps = -1, jobs = -1;
  gint64 seed = -1;
  gboolean no_plot = FALSE, quiet = FALSE;
  const GOptionEntry entries[] = {
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &preset,
      "a shipped preset: quick (default), paper, ramp", "NAME" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
      "an experiment ini file instead of a preset", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "run directory (default: the config's output)", "DIR" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "dataset selection",
      "SEL" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, "model selection", "SEL" },
    { "types", 0, 0, G_OPTION_ARG_STRING, &types,
      "model types, ';' separated (baseline;u;s;m;us;um;sm;usm)", "LIST" },
    { "attack", 0, 0, G_OPTION_ARG_STRING, &attack,
      "attack selection (fgsm, pgd:steps=10, ...)", "SEL" },
    { "protocols", 0, 0, G_OPTION_ARG_STRING, &protocols,
      "transfer, whitebox or transfer;whitebox", "LIST" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend,
      "backend selection (auto, cpu, cuda)", "SEL" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
      "models trained at once, each on its own backend instance (0: one "
      "per model of a set on a GPU, 1 on the CPU)", "N" },
    { "sets", 0, 0, G_OPTION_ARG_INT, &sets, "number of sets", "N" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, "epochs per model", "N" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "steps per epoch", "N" },
    { "images", 0, 0, G_OPTION_ARG_INT, &images,
      "adversarial images per set (0: no attack)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "run seed", "N" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets_kv,
      "any setting, e.g. --set study.p_null=0.3 (repeatable)",
      "GROUP.KEY=VALUE" },
    { "no-plot", 0, 0, G_OPTION_ARG_NONE, &no_plot, "do not render figures",
      NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "no progress output",
      NULL },
    { NULL }
  };
  if (!nt_cli_parse ("run", NULL,
                     "Runs a whole study: trains every (set, model type), "
                     "attacks every set, writes\nthe results and renders the "
                     "figures. Rerunning an interrupted run resumes it.\n"
                     "Without --config, the preset 'quick' is used.",
                     entries, &argc, &argv))
    return NT_EXIT_USAGE;
  if (argc > 1 || (preset && config))
    {
      if (argc > 1)
        nt_cli_error ("run", "unexpected argument '%s'", argv[1]);
      else
        nt_cli_error ("run", "give --preset or --config, not both");
      fprintf (stderr, "Try 'nulltool run --help'.\n");
      return NT_EXIT_USAGE;
    }
  int status = NT_EXIT_FAILURE;
  char *file = config ? g_strdup (config)
                      : preset_path (preset ? preset : "quick");
  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      nt_cli_error ("run", config ? "no such config file: %s"
                                  : "no preset named '%s' (presets: quick, "
                                    "paper, ramp)", config ? config : preset);
      g_free (file);
      return NT_EXIT_USAGE;
    }
  /* the ramp toy is a study of its own: its [ramp] keys are the options of
   * `nulltool ramp` */
  GKeyFile *kf = g_key_file_new ();
  if (g_key_file_load_from_file (kf, file, G_KEY_FILE_NONE, NULL)
      && g_key_file_has_group (kf, "ramp"))
    {
      GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (args, g_strdup ("ramp"));
      char **keys = g_key_file_get_keys (kf, "ramp", NULL, NULL);
      for (char **k = keys; k && *k; k++)
        {
          char *v = g_key_file_get_value (kf, "ramp", *k, NULL);
          if (strcmp (*k, "output-dir") == 0 && output)
            g_ptr_array_add (args, g_strdup_printf ("--%s=%s", *k, output));
          else
            g_ptr_array_add (args, g_strdup_printf ("--%s=%s", *k, v));
          g_free (v);
        }
      if (quiet)
        g_ptr_array_add (args, g_strdup ("--quiet"));
      g_strfreev (keys);
      g_key_file_unref (kf);
      int n = (int) args->len;
      g_ptr_array_add (args, NULL);
      char **argv2 = g_memdup2 (args->pdata, sizeof (char *) * (n + 1));
      status = nt_cmd_ramp (cli, n, argv2);
      g_free (argv2);
      g_ptr_array_unref (args);
      goto out;
    }
  g_key_file_unref (kf);

  /* flags become overrides of the file */
  GPtrArray *ov = g_ptr_array_new_with_free_func (g_free);
  if (dataset)
    g_ptr_array_add (ov, g_strconcat ("study.dataset=", dataset, NULL));
  if (model)
    g_ptr_array_add (ov, g_strconcat ("study.model=", model, NULL));
  if (types)
    g_ptr_array_add (ov, g_strconcat ("study.types=", types, NULL));
  if (backend)
    g_ptr_array_add (ov, g_strconcat ("study.backend=", backend, NULL));
  if (jobs >= 0)
    g_ptr_array_add (ov, g_strdup_printf ("study.jobs=%d", jobs));
  if (attack)
    g_ptr_array_add (ov, g_strconcat ("attack.attack=", attack, NULL));
  if (protocols)
    g_ptr_array_add (ov, g_strconcat ("attack.protocols=", protocols, NULL));
  if (sets)
    g_ptr_array_add (ov, g_strdup_printf ("study.sets=%d", sets));
  if (epochs)
    g_ptr_array_add (ov, g_strdup_printf ("study.epochs=%d", epochs));
  if (steps >= 0)
    g_ptr_array_add (ov, g_strdup_printf ("study.steps_per_epoch=%d", steps));
  if (images >= 0)
    g_ptr_array_add (ov, g_strdup_printf ("attack.images_per_set=%d", images));
  if (seed >= 0)
    g_ptr_array_add (ov, g_strdup_printf ("study.seed=%" G_GINT64_FORMAT,
                                          seed));
  if (quiet)
    g_ptr_array_add (ov, g_strdup ("study.progress=0"));
  for (char **kv = sets_kv; kv && *kv; kv++)
    g_ptr_array_add (ov, g_strdup (*kv));
  g_ptr_array_add (ov, NULL);

  GError *error = NULL;
  NtRegistry *reg = nt_cli_registry (cli);
  NtExperiment *exp = nt_experiment_load (reg, file,
                                          (const char *const *) ov->pdata,
                                          &error);
  if (exp && output)
    nt_experiment_set_dir (exp, output);
  gint64 t0 = g_get_monotonic_time ();
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  if (exp == NULL || !nt_experiment_run (exp, &error)
      || (!no_plot
          && !nt_figures_render_run (reg, nt_experiment_dir (exp), "png",
                                     NULL, notes, &error)))
    {
      nt_cli_error ("run", "%s", error->message);
      g_error_free (error);
    }
  else
    {
      for (guint i = 0; i < notes->len; i++)
        fprintf (stderr, "note: %s\n", (char *) notes->pdata[i]);
      printf ("run finished in %.1f s: %s (results/ and figures/ inside)\n",
              (g_get_monotonic_time () - t0) / 1e6, nt_experiment_dir (exp));
      status = NT_EXIT_OK;
    }
  nt_experiment_free (exp);
  g_ptr_array_unref (notes);
  g_ptr_array_unref (ov);
out:
  g_strfreev (sets_kv);
  g_free (file);
  g_free (preset);
  g_free (config);
  g_free (output);
  g_free (dataset);
  g_free (model);
  g_free (types);
  g_free (attack);
  g_free (backend);
  g_free (protocols);
  return status;
}
