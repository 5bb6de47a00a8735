/* nulltool: the command-line front end, git style: nulltool COMMAND ARGS. */
#include "config.h"
#include "nt-cli.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

typedef struct {
  const char *name;
  int (*run) (NtCli *cli, int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "run", nt_cmd_run, "run a whole study (preset quick, paper or an ini)" },
  { "list", nt_cmd_list, "list the loaded plugins' features by kind" },
  { "inspect", nt_cmd_inspect, "show a feature's description and options" },
  { "train", nt_cmd_train, "train a model (best-validation checkpoint)" },
  { "fetch", nt_cmd_fetch, "download and verify MNIST (nulltool fetch mnist)" },
  { "eval", nt_cmd_eval, "test accuracy and confusion counts of a model" },
  { "null-examples", nt_cmd_null_examples,
    "draw examples of null-class images (figure 1)" },
  { "ramp", nt_cmd_ramp,
    "the ramp toy study: train, measure, draw its figures" },
  { "plot", nt_cmd_plot,
    "draw the study's figures from a run directory's results" },
};

static void
print_usage (FILE *out)
{
  fprintf (out,
           "usage: nulltool [--plugin-path DIRS] [--version] [--help] "
           "COMMAND [ARGS]\n\n"
           "nulltool trains neural networks with a null class, attacks them "
           "and scores\nthe defense (Roos 2020), through plugins.\n\n"
           "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-14s %s\n", commands[i].name, commands[i].summary);
  fprintf (out,
           "\nGlobal options:\n"
           "  --plugin-path DIRS  search these folders (colon separated) for "
           "plugins first\n"
           "  --version           print the version and exit\n"
           "  --help              print this help and exit\n\n"
           "'nulltool COMMAND --help' describes one command.\n"
           "Plugins are also searched in $NULLTOOL_PLUGIN_PATH, then in %s.\n",
           nt_plugin_install_dir ());
}

NtRegistry *
nt_cli_registry (NtCli *cli)
{
  if (cli->registry == NULL)
    cli->registry = nt_registry_new_default (cli->plugin_path);
  return cli->registry;
}

void
nt_cli_error (const char *command, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  fprintf (stderr, "nulltool%s%s: %s\n", command ? " " : "",
           command ? command : "", msg);
  g_free (msg);
}

int
nt_cli_fail (const char *command, GError *error)
{
  nt_cli_error (command, "%s", error->message);
  g_error_free (error);
  return NT_EXIT_FAILURE;
}

/* "N" or "from A to B" style text of a range, for messages. */
static char *
range_text (const NtCliNumber *n)
{
  if (!n->is_double)
    {
      gboolean no_min = n->min <= (double) G_MININT64;
      gboolean no_max = n->max >= (double) G_MAXINT64;
      if (no_min && no_max)
        return g_strdup ("any integer");
      if (no_max)
        return g_strdup_printf ("an integer >= %.0f", n->min);
      if (no_min)
        return g_strdup_printf ("an integer <= %.0f", n->max);
      return g_strdup_printf ("an integer from %.0f to %.0f", n->min, n->max);
    }
  char lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd (lo, sizeof lo, "%g", n->min);
  g_ascii_formatd (hi, sizeof hi, "%g", n->max);
  return g_strdup_printf ("a number %s %s and %s %s",
                          n->min_open ? ">" : ">=", lo,
                          n->max_open ? "<" : "<=", hi);
}

gboolean
nt_cli_number_cb (const char *option_name, const char *value, gpointer data,
                  GError **error)
{
  NtCliNumber *n = data;
  for (; n && n->name; n++)
    if (g_str_has_prefix (option_name, "--")
          ? strcmp (option_name + 2, n->name) == 0
          : (n->short_name && option_name[0] == '-'
             && option_name[1] == n->short_name && option_name[2] == 0))
      break;
  if (n == NULL || n->name == NULL)
    {
      /* a programming error: an entry without its table row */
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "%s: no range is known for this option", option_name);
      return FALSE;
    }
  gboolean in_range;
  if (n->is_double)
    {
      char *end = NULL;
      errno = 0;
      double v = g_strtod (value, &end);
      if (*value == 0 || end == NULL || *end != 0 || errno == ERANGE
          || !isfinite (v))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--%s: '%s' is not a number", n->name, value);
          return FALSE;
        }
      in_range = (n->min_open ? v > n->min : v >= n->min)
                 && (n->max_open ? v < n->max : v <= n->max);
      n->d = v;
    }
  else
    {
      gint64 v;
      if (!g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &v,
                                     NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--%s: '%s' is not an integer", n->name, value);
          return FALSE;
        }
      in_range = (double) v >= n->min && (double) v <= n->max;
      n->i = v;
    }
  if (!in_range)
    {
      char *range = range_text (n);
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--%s %s is out of range: give %s", n->name, value,
                   range);
      g_free (range);
      return FALSE;
    }
  n->given = TRUE;
  return TRUE;
}

gboolean
nt_cli_parse_numbers (const char *command, const char *params,
                      const char *summary, const GOptionEntry *entries,
                      NtCliNumber *numbers, int *argc, char ***argv)
{
  /* GOption's usage line reads "PRGNAME [OPTION...] PARAMS" */
  char *prgname = g_strconcat ("nulltool ", command, NULL);
  g_set_prgname (prgname);
  g_free (prgname);
  GOptionContext *ctx = g_option_context_new (params ? params : "");
  g_option_context_set_summary (ctx, summary);
  g_option_context_set_help_enabled (ctx, TRUE);
  /* the main group's user data reaches nt_cli_number_cb */
  GOptionGroup *group = g_option_group_new (command, "", "", numbers, NULL);
  if (entries)
    g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (ctx, group);
  GError *error = NULL;
  gboolean ok = g_option_context_parse (ctx, argc, argv, &error);
  if (!ok)
    {
      nt_cli_error (command, "%s", error->message);
      fprintf (stderr, "Try 'nulltool %s --help'.\n", command);
      g_error_free (error);
    }
  g_option_context_free (ctx);
  return ok;
}

gboolean
nt_cli_parse (const char *command, const char *params, const char *summary,
              const GOptionEntry *entries, int *argc, char ***argv)
{
  return nt_cli_parse_numbers (command, params, summary, entries, NULL, argc,
                               argv);
}

gboolean
nt_cli_check_output_file (const char *path, GError **error)
{
  char *dir = g_path_get_dirname (path);
  gboolean ok = FALSE;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      gboolean exists = g_file_test (dir, G_FILE_TEST_EXISTS);
      g_set_error (error, G_FILE_ERROR,
                   exists ? G_FILE_ERROR_NOTDIR : G_FILE_ERROR_NOENT,
                   "cannot write %s: %s %s", path, dir,
                   exists ? "is not a folder" : "does not exist (create the "
                   "folder first)");
      goto out;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR,
                   "cannot write %s: it is a folder (give a file name)",
                   path);
      goto out;
    }
  /* the file is written atomically: a temporary file in the same folder,
   * renamed over the name; so the folder must take a new file, and the
   * name itself must be creatable (a name too long fails only there) */
  char *probe = g_build_filename (dir, ".nulltool-probe-XXXXXX", NULL);
  int fd = g_mkstemp (probe);
  int saved = errno;
  if (fd >= 0)
    {
      close (fd);
      g_unlink (probe);
    }
  g_free (probe);
  if (fd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot write %s: the folder %s does not take new files "
                   "(%s)", path, dir, g_strerror (saved));
      goto out;
    }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0666);
  saved = errno;
  if (fd >= 0)
    {
      close (fd);
      g_unlink (path);
    }
  else if (saved != EEXIST)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot create %s: %s", path, g_strerror (saved));
      goto out;
    }
  ok = TRUE;
out:
  g_free (dir);
  return ok;
}

/* The interrupt message, prepared before any signal can arrive: the
 * handler may only call async-signal-safe functions. */
static char interrupt_message[1024];
static volatile sig_atomic_t interrupt_length;
/* one message per process: timeout(1) and shells signal the process and
 * then its group, and a second signal may reach another thread while the
 * first handler still runs (lock-free atomics are async-signal-safe) */
static atomic_flag interrupt_said = ATOMIC_FLAG_INIT;

static void
on_interrupt (int sig)
{
  int saved = errno;
  if (interrupt_length > 0 && !atomic_flag_test_and_set (&interrupt_said))
    {
      ssize_t w = write (STDERR_FILENO, interrupt_message,
                         (size_t) interrupt_length);
      (void) w;
    }
  /* end by the same signal, as if there were no handler: the parent sees
   * a death by SIGINT (a shell reports 130) */
  struct sigaction dfl;
  memset (&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset (&dfl.sa_mask);
  sigaction (sig, &dfl, NULL);
  errno = saved;
  raise (sig);
}

void
nt_cli_on_interrupt (const char *message)
{
  const int signals[] = { SIGINT, SIGTERM };
  /* no handler may read the buffer while it changes */
  sigset_t block, old_mask;
  sigemptyset (&block);
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaddset (&block, signals[i]);
  sigprocmask (SIG_BLOCK, &block, &old_mask);
  /* on a terminal the progress bar may hold the line: start a new one */
  g_snprintf (interrupt_message, sizeof interrupt_message, "%s%s\n",
              isatty (STDERR_FILENO) ? "\n" : "", message);
  interrupt_length = (sig_atomic_t) strlen (interrupt_message);
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      struct sigaction old, sa;
      if (sigaction (signals[i], NULL, &old) == 0
          && old.sa_handler == SIG_IGN)
        continue;   /* e.g. a background job of a script: keep ignoring */
      memset (&sa, 0, sizeof sa);
      sa.sa_handler = on_interrupt;
      sigemptyset (&sa.sa_mask);
      sa.sa_flags = SA_RESTART;
      sigaction (signals[i], &sa, NULL);
    }
  sigprocmask (SIG_SETMASK, &old_mask, NULL);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  NtCli cli = { 0 };
  int i = 1;
  /* global options, up to the command name */
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--version") == 0)
        {
          printf ("nulltool %s (plugin ABI %d.%d, backend API %d)\n",
                  nt_version (), NT_ABI_MAJOR, NT_ABI_MINOR,
                  NT_BACKEND_API_VERSION);
          return NT_EXIT_OK;
        }
      else if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0)
        {
          print_usage (stdout);
          return NT_EXIT_OK;
        }
      else if (strcmp (a, "--plugin-path") == 0 && i + 1 < argc)
        cli.plugin_path = g_strdup (argv[++i]);
      else if (g_str_has_prefix (a, "--plugin-path="))
        cli.plugin_path = g_strdup (a + strlen ("--plugin-path="));
      else
        {
          nt_cli_error (NULL, "unknown option '%s'", a);
          fprintf (stderr, "Try 'nulltool --help'.\n");
          return NT_EXIT_USAGE;
        }
    }
  if (i >= argc)
    {
      print_usage (stderr);
      return NT_EXIT_USAGE;
    }
  const char *name = argv[i];
  if (strcmp (name, "help") == 0)
    {
      print_usage (stdout);
      return NT_EXIT_OK;
    }
  int status = -1;
  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    if (strcmp (commands[c].name, name) == 0)
      status = commands[c].run (&cli, argc - i, argv + i);
  if (status < 0)
    {
      nt_cli_error (NULL, "'%s' is not a nulltool command", name);
      fprintf (stderr, "Try 'nulltool --help' for the list of commands.\n");
      status = NT_EXIT_USAGE;
    }
  nt_registry_free (cli.registry);
  g_free (cli.plugin_path);
  return status;
}
