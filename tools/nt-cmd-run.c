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

/* A ramp run file: its [ramp] keys become the options of `nulltool ramp`,
 * followed by those of the given flags that the ramp study has (so they
 * win), and --set ramp.KEY=VALUE as --KEY=VALUE. A flag it has no use for
 * (`unused`, or --set of another group) is refused, not dropped. */
static int
run_ramp (NtCli *cli, const char *file, const char *output,
          const char *backend, const NtCliNumber *seed,
          const NtCliNumber *steps, char **sets_kv, gboolean quiet,
          const char *unused)
{
  for (char **kv = sets_kv; unused == NULL && kv && *kv; kv++)
    if (!g_str_has_prefix (*kv, "ramp.") || strchr (*kv, '=') == NULL)
      unused = "--set (other than ramp.KEY=VALUE)";
  if (unused)
    {
      nt_cli_error ("run", "%s does not apply to the ramp study, which takes "
                    "--output, --seed, --backend, --steps, --quiet and --set "
                    "ramp.KEY=VALUE for any option KEY of 'nulltool ramp'",
                    unused);
      fprintf (stderr, "Try 'nulltool ramp --help'.\n");
      return NT_EXIT_USAGE;
    }
  GKeyFile *kf = g_key_file_new ();
  GError *error = NULL;
  if (!g_key_file_load_from_file (kf, file, G_KEY_FILE_NONE, &error))
    {
      g_key_file_unref (kf);
      g_prefix_error (&error, "%s: ", file);
      return nt_cli_fail ("run", error);
    }
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (args, g_strdup ("ramp"));
  char **keys = g_key_file_get_keys (kf, "ramp", NULL, NULL);
  for (char **k = keys; k && *k; k++)
    {
      char *v = g_key_file_get_value (kf, "ramp", *k, NULL);
      g_ptr_array_add (args, g_strdup_printf ("--%s=%s", *k, v));
      g_free (v);
    }
  g_strfreev (keys);
  g_key_file_unref (kf);
  if (output)
    g_ptr_array_add (args, g_strdup_printf ("--output-dir=%s", output));
  if (backend)
    g_ptr_array_add (args, g_strdup_printf ("--backend=%s", backend));
  if (seed->given)
    g_ptr_array_add (args, g_strdup_printf ("--seed=%" G_GINT64_FORMAT,
                                            seed->i));
  if (steps->given)
    g_ptr_array_add (args, g_strdup_printf ("--steps=%" G_GINT64_FORMAT,
                                            steps->i));
  for (char **kv = sets_kv; kv && *kv; kv++)
    g_ptr_array_add (args, g_strconcat ("--", *kv + strlen ("ramp."), NULL));
  if (quiet)
    g_ptr_array_add (args, g_strdup ("--quiet"));
  int n = (int) args->len;
  g_ptr_array_add (args, NULL);
  char **argv2 = g_memdup2 (args->pdata, sizeof (char *) * (n + 1));
  int status = nt_cmd_ramp (cli, n, argv2);
  g_free (argv2);
  g_ptr_array_unref (args);
  return status;
}

int
nt_cmd_run (NtCli *cli, int argc, char **argv)
{
  char *preset = NULL, *config = NULL, *output = NULL, *dataset = NULL;
  char *model = NULL, *types = NULL, *attack = NULL, *backend = NULL;
  char *protocols = NULL;
  char **sets_kv = NULL;
  gboolean no_plot = FALSE, quiet = FALSE;
  /* each value given is applied, whatever it is; the ranges are those of
   * the run file's keys (core/nt-experiment.c), refused here by the
   * option's name */
  enum { JOBS, SETS, EPOCHS, STEPS, IMAGES, SEED };
  NtCliNumber num[] = {
    [JOBS] = NT_CLI_INT ("jobs", 'j', 0, 64),
    [SETS] = NT_CLI_INT ("sets", 0, 1, 10000),
    [EPOCHS] = NT_CLI_INT ("epochs", 'e', 1, 100000),
    [STEPS] = NT_CLI_INT ("steps", 0, 0, G_MAXINT32),
    [IMAGES] = NT_CLI_INT ("images", 0, 0, 1000000),
    [SEED] = NT_CLI_INT ("seed", 's', 0, G_MAXINT64),
    { NULL }
  };
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
    NT_CLI_NUMBER_ENTRY ("jobs", 'j',
      "models trained at once, each on its own backend instance (0: one "
      "per model of a set on a GPU, 1 on the CPU; 0 to 64)", "N"),
    NT_CLI_NUMBER_ENTRY ("sets", 0, "number of sets (1 to 10000)", "N"),
    NT_CLI_NUMBER_ENTRY ("epochs", 'e', "epochs per model (1 to 100000)",
                         "N"),
    NT_CLI_NUMBER_ENTRY ("steps", 0,
                         "steps per epoch (0: training samples / batch)",
                         "N"),
    NT_CLI_NUMBER_ENTRY ("images", 0,
      "adversarial images per set (0: no attack; up to 1000000)", "N"),
    NT_CLI_NUMBER_ENTRY ("seed", 's', "run seed (>= 0)", "N"),
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets_kv,
      "any setting, e.g. --set study.p_null=0.3 (repeatable)",
      "GROUP.KEY=VALUE" },
    { "no-plot", 0, 0, G_OPTION_ARG_NONE, &no_plot, "do not render figures",
      NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "no progress output",
      NULL },
    { NULL }
  };
  if (!nt_cli_parse_numbers ("run", NULL,
                     "Runs a whole study: trains every (set, model type), "
                     "attacks every set, writes\nthe results and renders the "
                     "figures. Rerunning an interrupted run resumes it.\n"
                     "Without --config, the preset 'quick' is used.",
                     entries, num, &argc, &argv))
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
      g_key_file_unref (kf);
      status = run_ramp (cli, file, output, backend, &num[SEED], &num[STEPS],
                         sets_kv, quiet,
                         dataset ? "--dataset" : model ? "--model"
                         : types ? "--types" : attack ? "--attack"
                         : protocols ? "--protocols"
                         : num[JOBS].given ? "--jobs"
                         : num[SETS].given ? "--sets"
                         : num[EPOCHS].given ? "--epochs"
                         : num[IMAGES].given ? "--images"
                         : no_plot ? "--no-plot" : NULL);
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
  if (num[JOBS].given)
    g_ptr_array_add (ov, g_strdup_printf ("study.jobs=%" G_GINT64_FORMAT,
                                          num[JOBS].i));
  if (attack)
    g_ptr_array_add (ov, g_strconcat ("attack.attack=", attack, NULL));
  if (protocols)
    g_ptr_array_add (ov, g_strconcat ("attack.protocols=", protocols, NULL));
  if (num[SETS].given)
    g_ptr_array_add (ov, g_strdup_printf ("study.sets=%" G_GINT64_FORMAT,
                                          num[SETS].i));
  if (num[EPOCHS].given)
    g_ptr_array_add (ov, g_strdup_printf ("study.epochs=%" G_GINT64_FORMAT,
                                          num[EPOCHS].i));
  if (num[STEPS].given)
    g_ptr_array_add (ov, g_strdup_printf ("study.steps_per_epoch=%"
                                          G_GINT64_FORMAT, num[STEPS].i));
  if (num[IMAGES].given)
    g_ptr_array_add (ov, g_strdup_printf ("attack.images_per_set=%"
                                          G_GINT64_FORMAT, num[IMAGES].i));
  if (num[SEED].given)
    g_ptr_array_add (ov, g_strdup_printf ("study.seed=%" G_GINT64_FORMAT,
                                          num[SEED].i));
  if (quiet)
    g_ptr_array_add (ov, g_strdup ("study.progress=0"));
  for (char **kv = sets_kv; kv && *kv; kv++)
    g_ptr_array_add (ov, g_strdup (*kv));
  g_ptr_array_add (ov, NULL);

  /* the runner keeps every finished model and set (files written
   * atomically with a marker): say so on Ctrl-C */
  nt_cli_on_interrupt ("nulltool run: interrupted; rerun the same command "
                       "to resume: finished models and sets are kept");
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
