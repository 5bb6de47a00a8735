/* nt-cli.h: what the nulltool subcommands share. */
#ifndef NT_CLI_H
#define NT_CLI_H

#include <glib.h>
#include "nulltool.h"

/* Exit statuses: 0 success, 1 the work failed, 2 bad usage. */
enum { NT_EXIT_OK = 0, NT_EXIT_FAILURE = 1, NT_EXIT_USAGE = 2 };

typedef struct {
  char *plugin_path;        /* --plugin-path, may be NULL */
  NtRegistry *registry;     /* loaded on first use */
} NtCli;

/* The registry, loading plugins on first call. */
NtRegistry *nt_cli_registry (NtCli *cli);

/* A numeric option. Its GOptionEntry is NT_CLI_NUMBER_ENTRY (a callback),
 * so that parsing records whether the option was given at all (`given`),
 * whatever its value: a value that equals a "not given" default is never
 * mistaken for absence. A value outside the range is refused while parsing,
 * with the option's name, the value and the range. */
typedef struct {
  const char *name;         /* long name without "--", as in the entry */
  char short_name;          /* as in the entry, or 0 */
  gboolean is_double;       /* FALSE: an integer (gint64) */
  double min, max;          /* the allowed range, bounds included... */
  gboolean min_open, max_open; /* ...unless open (doubles only) */
  /* set by parsing */
  gboolean given;
  gint64 i;                 /* the value of an integer option */
  double d;                 /* the value of a double option */
} NtCliNumber;

/* An integer option from min to max (a bound at G_MAXINT64 or G_MININT64
 * is printed as none). */
#define NT_CLI_INT(name, short_name, min, max) \
  { (name), (short_name), FALSE, (double) (min), (double) (max), FALSE, \
    FALSE, FALSE, 0, 0 }
/* A double option; open bounds are excluded. */
#define NT_CLI_DOUBLE(name, short_name, min, min_open, max, max_open) \
  { (name), (short_name), TRUE, (min), (max), (min_open), (max_open), \
    FALSE, 0, 0 }

/* The GOptionEntry of an NtCliNumber (same long and short name). */
#define NT_CLI_NUMBER_ENTRY(name, short_name, help, arg) \
  { (name), (short_name), 0, G_OPTION_ARG_CALLBACK, \
    (gpointer) nt_cli_number_cb, (help), (arg) }

/* The GOptionArgFunc behind NT_CLI_NUMBER_ENTRY; `data` is the
 * NtCliNumber table given to nt_cli_parse_numbers. */
gboolean nt_cli_number_cb (const char *option_name, const char *value,
                           gpointer data, GError **error);

/* Parses a subcommand's options with `entries`; prints a one-line error and
 * a hint on bad usage and returns FALSE. `params` is the usage text after
 * the command name, `summary` its help paragraph. */
gboolean nt_cli_parse (const char *command, const char *params,
                       const char *summary, const GOptionEntry *entries,
                       int *argc, char ***argv);

/* nt_cli_parse for entries that include NT_CLI_NUMBER_ENTRY options:
 * `numbers` is their table, ended by an element whose name is NULL. */
gboolean nt_cli_parse_numbers (const char *command, const char *params,
                               const char *summary,
                               const GOptionEntry *entries,
                               NtCliNumber *numbers, int *argc, char ***argv);

/* Refuses an output file path before any work: its folder must exist and be
 * writable, and the file must be creatable (or an existing regular file,
 * which is left as it is). Leaves no file behind. */
gboolean nt_cli_check_output_file (const char *path, GError **error);

/* Makes SIGINT and SIGTERM print `message` (one line, on stderr) before
 * the process ends by the signal as it would have without the handler
 * (exit status 130 for Ctrl-C in a shell). A signal that was ignored when
 * the program started stays ignored. `message` is copied (up to 1 KiB); a
 * later call replaces it. */
void nt_cli_on_interrupt (const char *message);

/* Prints "nulltool COMMAND: MESSAGE" to stderr. */
void nt_cli_error (const char *command, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

/* Prints the error as "nulltool COMMAND: message", frees it and returns
 * NT_EXIT_FAILURE. */
int nt_cli_fail (const char *command, GError *error);

/* Subcommands: argv[0] is the command name. Return an exit status. */
int nt_cmd_list (NtCli *cli, int argc, char **argv);
int nt_cmd_inspect (NtCli *cli, int argc, char **argv);
int nt_cmd_train (NtCli *cli, int argc, char **argv);
int nt_cmd_eval (NtCli *cli, int argc, char **argv);
int nt_cmd_fetch (NtCli *cli, int argc, char **argv);
/* nt-cmd-figures.c */
int nt_cmd_null_examples (NtCli *cli, int argc, char **argv);
int nt_cmd_ramp (NtCli *cli, int argc, char **argv);
/* nt-cmd-plot.c */
int nt_cmd_plot (NtCli *cli, int argc, char **argv);
int nt_cmd_run (NtCli *cli, int argc, char **argv);

#endif
