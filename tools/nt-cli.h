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

/* Parses a subcommand's options with `entries`; prints a one-line error and
 * a hint on bad usage and returns FALSE. `params` is the usage text after
 * the command name, `summary` its help paragraph. */
gboolean nt_cli_parse (const char *command, const char *params,
                       const char *summary, const GOptionEntry *entries,
                       int *argc, char ***argv);

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
