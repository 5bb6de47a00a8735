/* nt-cmd-plot.c: `nulltool plot RUN_DIR`: draws the study's figures from
 * the result files of a run directory, without recomputing anything. */
#include "config.h"
#include "nt-cli.h"
#include "nt-fig-study.h"

#include <stdio.h>
#include <string.h>

/* TRUE when `dir` has any trace of `nulltool run`: the resolved config
 * (written first), the results or the models folder. */
static gboolean
holds_run (const char *dir)
{
  static const char *const marks[] = { "config.ini", "results", "models" };
  for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
    {
      char *path = g_build_filename (dir, marks[i], NULL);
      gboolean found = g_file_test (path, G_FILE_TEST_EXISTS);
      g_free (path);
      if (found)
        return TRUE;
    }
  return FALSE;
}

int
nt_cmd_plot (NtCli *cli, int argc, char **argv)
{
  char *format = NULL;
  gboolean quiet = FALSE;
  const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "figure format: png (default), svg or pdf", "FORMAT" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "print only notes and errors", NULL },
    { NULL }
  };
  if (!nt_cli_parse ("plot", "RUN_DIR",
                     "Draws the study's figures from the result files of a "
                     "run directory (made by\n`nulltool run`) into "
                     "RUN_DIR/figures: null-class examples, test accuracy,\n"
                     "training history, and per attack protocol the "
                     "threshold histogram, the\nscores at threshold (also "
                     "as RUN_DIR/results/table-threshold-PROTOCOL.md),\nthe "
                     "scores versus epsilon and the null models against the "
                     "baseline.\nFigures whose results are not there yet "
                     "are skipped with a note.", entries, &argc, &argv))
    return NT_EXIT_USAGE;
  if (argc != 2 || (format && strcmp (format, "png")
                    && strcmp (format, "svg") && strcmp (format, "pdf")))
    {
      if (argc < 2)
        nt_cli_error ("plot", "missing RUN_DIR");
      else if (argc > 2)
        nt_cli_error ("plot", "unexpected argument '%s'", argv[2]);
      else
        nt_cli_error ("plot", "unknown format '%s' (use png, svg or pdf)",
                      format);
      fprintf (stderr, "Try 'nulltool plot --help'.\n");
      g_free (format);
      return NT_EXIT_USAGE;
    }
  const char *run_dir = argv[1];
  /* a folder that holds no run at all (a typo, the parent folder, the
   * figures folder) is an error, not a run whose figures are all skipped;
   * refused before anything is written into it */
  if (g_file_test (run_dir, G_FILE_TEST_IS_DIR) && !holds_run (run_dir))
    {
      nt_cli_error ("plot", "%s holds no run: no config.ini, results/ or "
                    "models/ (give the output folder of `nulltool run`)",
                    run_dir);
      g_free (format);
      return NT_EXIT_FAILURE;
    }
  GPtrArray *written = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  /* the registry is needed for figure 1 only (dataset, null strategies) */
  gboolean ok = nt_figures_render_run (nt_cli_registry (cli), run_dir,
                                       format ? format : "png", written,
                                       notes, &error);
  if (!quiet)
    for (guint i = 0; i < written->len; i++)
      printf ("wrote %s\n", (const char *) written->pdata[i]);
  for (guint i = 0; i < notes->len; i++)
    fprintf (stderr, "note: %s\n", (const char *) notes->pdata[i]);
  int status = NT_EXIT_OK;
  if (!ok)
    {
      nt_cli_error ("plot", "%s", error->message);
      g_error_free (error);
      status = NT_EXIT_FAILURE;
    }
  g_ptr_array_unref (written);
  g_ptr_array_unref (notes);
  g_free (format);
  return status;
}
