/* nt-cmd-list.c: `nulltool list` and `nulltool inspect`, generic over every
 * kind of feature (in the manner of gst-inspect). */
#include "config.h"
#include "nt-cli.h"

#include <stdio.h>
#include <string.h>

/* For a backend, whether it is usable here: NULL if so, else the reason. */
static char *
backend_unavailable (const NtFeature *f)
{
  const NtBackendClass *klass = (const NtBackendClass *) f;
  char *reason = NULL;
  if (klass->probe == NULL || klass->probe (&reason))
    return NULL;
  return reason ? reason : g_strdup ("no reason given");
}

int
nt_cmd_list (NtCli *cli, int argc, char **argv)
{
  gboolean failed = FALSE;
  const GOptionEntry entries[] = {
    { "failed", 0, 0, G_OPTION_ARG_NONE, &failed,
      "list the plugin files that were refused, with the reason", NULL },
    { NULL }
  };
  if (!nt_cli_parse ("list", NULL,
                     "Lists every feature of the loaded plugins, grouped by "
                     "kind,\nwith its description and the plugin file it "
                     "came from.", entries, &argc, &argv))
    return NT_EXIT_USAGE;
  if (argc > 1)
    {
      nt_cli_error ("list", "unexpected argument '%s'", argv[1]);
      return NT_EXIT_USAGE;
    }
  NtRegistry *reg = nt_cli_registry (cli);

  if (failed)
    {
      const GPtrArray *fails = nt_registry_failures (reg);
      if (fails->len == 0)
        printf ("No plugin file was refused.\n");
      for (guint i = 0; i < fails->len; i++)
        {
          const NtPluginFailure *f = g_ptr_array_index (fails, i);
          printf ("%s\n    %s\n", f->file, f->reason);
        }
      return NT_EXIT_OK;
    }

  guint total = 0;
  for (int k = 0; k < NT_N_KINDS; k++)
    {
      GPtrArray *all = nt_registry_list (reg, (NtKind) k);
      printf ("%s%s:\n", k ? "\n" : "", nt_kind_name ((NtKind) k));
      if (all->len == 0)
        printf ("  (none)\n");
      for (guint i = 0; i < all->len; i++)
        {
          const NtFeature *f = g_ptr_array_index (all, i);
          char *why = (k == NT_KIND_BACKEND) ? backend_unavailable (f) : NULL;
          printf ("  %-12s %s", f->name, f->description ? f->description : "");
          if (why)
            printf (" [unavailable: %s]", why);
          printf ("\n  %-12s (%s)\n", "", nt_registry_feature_file (reg, f));
          g_free (why);
        }
      total += all->len;
      g_ptr_array_unref (all);
    }
  guint n_failed = nt_registry_failures (reg)->len;
  printf ("\n%u feature%s from %u plugin file%s", total,
          total == 1 ? "" : "s", nt_registry_loaded_files (reg)->len,
          nt_registry_loaded_files (reg)->len == 1 ? "" : "s");
  if (n_failed)
    printf ("; %u file%s refused (see 'nulltool list --failed')", n_failed,
            n_failed == 1 ? "" : "s");
  printf (".\n");
  return NT_EXIT_OK;
}

/* The range or choices of an option, as text (caller frees). */
static char *
describe_domain (const NtOptionSpec *o)
{
  if (o->type == NT_OPTION_CHOICE && o->choices)
    return g_strjoinv ("|", (char **) o->choices);
  if ((o->type == NT_OPTION_INT || o->type == NT_OPTION_DOUBLE
       || o->type == NT_OPTION_INT_LIST)
      && (isfinite (o->min) || isfinite (o->max)))
    return g_strdup_printf (o->type == NT_OPTION_DOUBLE ? "[%g, %g]"
                                                        : "[%.0f, %.0f]",
                            o->min, o->max);
  return g_strdup ("");
}

/* Finds NAME, or KIND/NAME, across kinds; errors when absent or
 * ambiguous. */
static const NtFeature *
find_feature (NtRegistry *reg, const char *spec, GError **error)
{
  const char *slash = strchr (spec, '/');
  if (slash)
    {
      char *kind_name = g_strndup (spec, slash - spec);
      NtKind kind;
      gboolean ok = nt_kind_from_name (kind_name, &kind);
      g_free (kind_name);
      if (!ok)
        {
          g_set_error (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_NO_ENTRY,
                       "unknown kind in '%s' (kinds: dataset, model, null, "
                       "attack, backend)", spec);
          return NULL;
        }
      return nt_registry_get (reg, kind, slash + 1, error);
    }
  const NtFeature *found = NULL;
  GString *kinds = g_string_new (NULL);
  for (int k = 0; k < NT_N_KINDS; k++)
    {
      const NtFeature *f = nt_registry_lookup (reg, (NtKind) k, spec);
      if (f)
        {
          g_string_append_printf (kinds, "%s%s/%s", found ? ", " : "",
                                  nt_kind_name ((NtKind) k), spec);
          if (found)
            {
              g_set_error (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_NO_ENTRY,
                           "'%s' names features of several kinds; say which: "
                           "%s", spec, kinds->str);
              g_string_free (kinds, TRUE);
              return NULL;
            }
          found = f;
        }
    }
  g_string_free (kinds, TRUE);
  if (found == NULL)
    g_set_error (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_NO_ENTRY,
                 "no feature named '%s'; see 'nulltool list'", spec);
  return found;
}

int
nt_cmd_inspect (NtCli *cli, int argc, char **argv)
{
  if (!nt_cli_parse ("inspect", "NAME|KIND/NAME",
                     "Shows a feature's kind, description, plugin and the "
                     "table of its options.\nOptions are given as "
                     "NAME:key=value,key=value wherever a feature is\n"
                     "selected.", NULL, &argc, &argv))
    return NT_EXIT_USAGE;
  if (argc != 2)
    {
      nt_cli_error ("inspect", "expected one feature name");
      fprintf (stderr, "Try 'nulltool inspect --help'.\n");
      return NT_EXIT_USAGE;
    }
  NtRegistry *reg = nt_cli_registry (cli);
  GError *error = NULL;
  const NtFeature *f = find_feature (reg, argv[1], &error);
  if (f == NULL)
    {
      nt_cli_error ("inspect", "%s", error->message);
      g_error_free (error);
      return NT_EXIT_FAILURE;
    }
  const NtPluginDescriptor *plugin = nt_registry_feature_plugin (reg, f);
  printf ("%s (%s)\n  %s\n\n", f->name, nt_kind_name (f->kind),
          f->description ? f->description : "");
  printf ("Plugin:\n  file         %s\n", nt_registry_feature_file (reg, f));
  if (plugin)
    printf ("  name         %s\n  description  %s\n  version      %s\n"
            "  license      %s\n  ABI          %u.%u\n", plugin->name,
            plugin->description ? plugin->description : "",
            plugin->version ? plugin->version : "?",
            plugin->license ? plugin->license : "?", plugin->abi_major,
            plugin->abi_minor);
  if (f->kind == NT_KIND_BACKEND)
    {
      char *why = backend_unavailable (f);
      printf ("  available    %s%s\n", why ? "no: " : "yes", why ? why : "");
      g_free (why);
    }
  printf ("\nOptions:\n");
  /* the name column as wide as the longest name */
  int width = 12;
  for (const NtOptionSpec *o = f->options; o && o->name; o++)
    width = MAX (width, (int) strlen (o->name));
  if (f->options == NULL || f->options[0].name == NULL)
    printf ("  (none)\n");
  else
    printf ("  %-*s %-9s %-12s %-16s %s\n", width, "name", "type",
            "default", "range/choices", "help");
  for (const NtOptionSpec *o = f->options; o && o->name; o++)
    {
      char *domain = describe_domain (o);
      printf ("  %-*s %-9s %-12s %-16s %s\n", width, o->name,
              nt_option_type_name (o->type),
              o->default_value ? o->default_value : "(none)", domain,
              o->help ? o->help : "");
      g_free (domain);
    }
  return NT_EXIT_OK;
}
