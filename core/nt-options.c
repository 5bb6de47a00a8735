/* nt-options.c: parsing "key=value,..." selections against option tables. */
#include "config.h"
#include "nt-options.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK (nt-options-error-quark, nt_options_error)

typedef struct {
  gboolean set;
  gint64 i;
  double d;
  gboolean b;
  char *s;            /* string, choice */
  GArray *list;       /* of gint64 */
} NtOptionValue;

struct _NtOptions {
  const NtOptionSpec *specs;
  guint n;
  NtOptionValue *values;
};

const char *
nt_option_type_name (NtOptionType type)
{
  switch (type)
    {
    case NT_OPTION_INT: return "int";
    case NT_OPTION_DOUBLE: return "double";
    case NT_OPTION_BOOL: return "bool";
    case NT_OPTION_STRING: return "string";
    case NT_OPTION_CHOICE: return "choice";
    case NT_OPTION_INT_LIST: return "int-list";
    }
  return "?";
}

static void
value_clear (NtOptionValue *v)
{
  g_clear_pointer (&v->s, g_free);
  if (v->list)
    g_array_unref (v->list);
  memset (v, 0, sizeof *v);
}

static gboolean
check_range (const NtOptionSpec *spec, double x, const char *text,
             GError **error)
{
  if (x < spec->min || x > spec->max)
    {
      g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_OUT_OF_RANGE,
                   "option '%s': %s is out of range [%g, %g]", spec->name,
                   text, spec->min, spec->max);
      return FALSE;
    }
  return TRUE;
}

/* Parses one integer, the whole of `text`. */
static gboolean
parse_int (const NtOptionSpec *spec, const char *text, gint64 *out,
           GError **error)
{
  char *end = NULL;
  errno = 0;
  gint64 x = g_ascii_strtoll (text, &end, 10);
  if (*text == '\0' || end == NULL || *end != '\0' || errno != 0)
    {
      g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                   "option '%s': '%s' is not an integer", spec->name, text);
      return FALSE;
    }
  if (!check_range (spec, (double) x, text, error))
    return FALSE;
  *out = x;
  return TRUE;
}

static gboolean
parse_value (const NtOptionSpec *spec, const char *text, NtOptionValue *v,
             GError **error)
{
  NtOptionValue nv = { 0 };
  switch (spec->type)
    {
    case NT_OPTION_INT:
      if (!parse_int (spec, text, &nv.i, error))
        return FALSE;
      break;
    case NT_OPTION_DOUBLE:
      {
        char *end = NULL;
        errno = 0;
        nv.d = g_ascii_strtod (text, &end);
        if (*text == '\0' || *end != '\0' || errno != 0 || !isfinite (nv.d))
          {
            g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                         "option '%s': '%s' is not a finite number",
                         spec->name, text);
            return FALSE;
          }
        if (!check_range (spec, nv.d, text, error))
          return FALSE;
        break;
      }
    case NT_OPTION_BOOL:
      {
        static const char *const yes[] = { "true", "yes", "on", "1", NULL };
        static const char *const no[] = { "false", "no", "off", "0", NULL };
        if (g_strv_contains (yes, text))
          nv.b = TRUE;
        else if (g_strv_contains (no, text))
          nv.b = FALSE;
        else
          {
            g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                         "option '%s': '%s' is not a boolean (use true or "
                         "false)", spec->name, text);
            return FALSE;
          }
        break;
      }
    case NT_OPTION_STRING:
      nv.s = g_strdup (text);
      break;
    case NT_OPTION_CHOICE:
      if (spec->choices == NULL
          || !g_strv_contains ((const char *const *) spec->choices, text))
        {
          char *all = spec->choices
                          ? g_strjoinv (", ", (char **) spec->choices)
                          : g_strdup ("");
          g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                       "option '%s': '%s' is not one of: %s", spec->name,
                       text, all);
          g_free (all);
          return FALSE;
        }
      nv.s = g_strdup (text);
      break;
    case NT_OPTION_INT_LIST:
      {
        char **parts = g_strsplit (text, ",", -1);
        nv.list = g_array_new (FALSE, FALSE, sizeof (gint64));
        for (char **p = parts; *p; p++)
          {
            gint64 x;
            if (!parse_int (spec, *p, &x, error))
              {
                g_strfreev (parts);
                value_clear (&nv);
                return FALSE;
              }
            g_array_append_val (nv.list, x);
          }
        g_strfreev (parts);
        if (nv.list->len == 0)
          {
            g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                         "option '%s': the list is empty", spec->name);
            value_clear (&nv);
            return FALSE;
          }
        break;
      }
    }
  value_clear (v);
  *v = nv;
  v->set = TRUE;
  return TRUE;
}

static int
find_spec (const NtOptions *opts, const char *key)
{
  for (guint i = 0; i < opts->n; i++)
    if (strcmp (opts->specs[i].name, key) == 0)
      return (int) i;
  return -1;
}

static char *
known_keys (const NtOptionSpec *specs)
{
  GString *s = g_string_new (NULL);
  for (const NtOptionSpec *sp = specs; sp && sp->name; sp++)
    g_string_append_printf (s, "%s%s", s->len ? ", " : "", sp->name);
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

/* Splits "a=1,b=2,3,c=x" into key/value pairs. A piece without '=' continues
 * the previous value when that option is a list (so "tiles=2,4,7" works);
 * otherwise it is a syntax error. */
NtOptions *
nt_options_parse (const NtOptionSpec *specs, const char *text, GError **error)
{
  NtOptions *opts = g_new0 (NtOptions, 1);
  opts->specs = specs;
  while (specs && specs[opts->n].name)
    opts->n++;
  opts->values = g_new0 (NtOptionValue, opts->n);

  /* defaults first */
  for (guint i = 0; i < opts->n; i++)
    if (specs[i].default_value
        && !parse_value (&specs[i], specs[i].default_value, &opts->values[i],
                         error))
      {
        g_prefix_error (error, "bad default in option table: ");
        nt_options_free (opts);
        return NULL;
      }

  if (text == NULL || *text == '\0')
    return opts;

  gboolean *given = g_new0 (gboolean, opts->n + 1);
  char **pieces = g_strsplit (text, ",", -1);
  gboolean ok = TRUE;
  for (guint p = 0; ok && pieces[p]; p++)
    {
      const char *piece = pieces[p];
      const char *eq = strchr (piece, '=');
      if (eq == NULL || eq == piece)
        {
          g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_SYNTAX,
                       "expected key=value, got '%s' in '%s'", piece, text);
          ok = FALSE;
          break;
        }
      char *key = g_strndup (piece, eq - piece);
      int idx = find_spec (opts, key);
      if (idx < 0)
        {
          char *keys = known_keys (specs);
          g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_UNKNOWN_KEY,
                       "unknown option '%s' (known options: %s)", key, keys);
          g_free (keys);
          ok = FALSE;
        }
      else if (given[idx])
        {
          g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_DUPLICATE,
                       "option '%s' given twice", key);
          ok = FALSE;
        }
      else
        {
          GString *value = g_string_new (eq + 1);
          if (specs[idx].type == NT_OPTION_INT_LIST)
            while (pieces[p + 1] && strchr (pieces[p + 1], '=') == NULL)
              g_string_append_printf (value, ",%s", pieces[++p]);
          given[idx] = TRUE;
          ok = parse_value (&specs[idx], value->str, &opts->values[idx],
                            error);
          g_string_free (value, TRUE);
        }
      g_free (key);
    }
  g_strfreev (pieces);
  g_free (given);
  if (!ok)
    {
      nt_options_free (opts);
      return NULL;
    }
  return opts;
}

void
nt_options_free (NtOptions *opts)
{
  if (opts == NULL)
    return;
  for (guint i = 0; i < opts->n; i++)
    value_clear (&opts->values[i]);
  g_free (opts->values);
  g_free (opts);
}

/* The value slot for `key`, checking that it is declared with `type`. */
static const NtOptionValue *
lookup (const NtOptions *opts, const char *key, int type)
{
  g_return_val_if_fail (opts != NULL && key != NULL, NULL);
  int idx = find_spec (opts, key);
  if (idx < 0)
    {
      g_critical ("option '%s' is not declared in the feature's table", key);
      return NULL;
    }
  if (type >= 0 && opts->specs[idx].type != (NtOptionType) type
      && !(type == NT_OPTION_STRING
           && opts->specs[idx].type == NT_OPTION_CHOICE))
    {
      g_critical ("option '%s' is a %s, not a %s", key,
                  nt_option_type_name (opts->specs[idx].type),
                  nt_option_type_name (type));
      return NULL;
    }
  return &opts->values[idx];
}

gboolean
nt_options_has (const NtOptions *opts, const char *key)
{
  const NtOptionValue *v = lookup (opts, key, -1);
  return v && v->set;
}

gint64
nt_options_get_int (const NtOptions *opts, const char *key)
{
  const NtOptionValue *v = lookup (opts, key, NT_OPTION_INT);
  return v ? v->i : 0;
}

double
nt_options_get_double (const NtOptions *opts, const char *key)
{
  const NtOptionValue *v = lookup (opts, key, NT_OPTION_DOUBLE);
  return v ? v->d : 0.0;
}

gboolean
nt_options_get_bool (const NtOptions *opts, const char *key)
{
  const NtOptionValue *v = lookup (opts, key, NT_OPTION_BOOL);
  return v ? v->b : FALSE;
}

const char *
nt_options_get_string (const NtOptions *opts, const char *key)
{
  const NtOptionValue *v = lookup (opts, key, NT_OPTION_STRING);
  return v ? v->s : NULL;
}

const gint64 *
nt_options_get_int_list (const NtOptions *opts, const char *key, gsize *n_out)
{
  const NtOptionValue *v = lookup (opts, key, NT_OPTION_INT_LIST);
  if (n_out)
    *n_out = (v && v->list) ? v->list->len : 0;
  return (v && v->list) ? (const gint64 *) v->list->data : NULL;
}

char *
nt_options_to_string (const NtOptions *opts)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < opts->n; i++)
    {
      const NtOptionValue *v = &opts->values[i];
      if (!v->set)
        continue;
      if (s->len)
        g_string_append_c (s, ',');
      g_string_append_printf (s, "%s=", opts->specs[i].name);
      switch (opts->specs[i].type)
        {
        case NT_OPTION_INT:
          g_string_append_printf (s, "%" G_GINT64_FORMAT, v->i);
          break;
        case NT_OPTION_DOUBLE:
          {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            g_string_append (s, g_ascii_dtostr (buf, sizeof buf, v->d));
            break;
          }
        case NT_OPTION_BOOL:
          g_string_append (s, v->b ? "true" : "false");
          break;
        case NT_OPTION_STRING:
        case NT_OPTION_CHOICE:
          g_string_append (s, v->s);
          break;
        case NT_OPTION_INT_LIST:
          for (guint k = 0; k < v->list->len; k++)
            g_string_append_printf (s, "%s%" G_GINT64_FORMAT, k ? "," : "",
                                    g_array_index (v->list, gint64, k));
          break;
        }
    }
  return g_string_free (s, FALSE);
}

gboolean
nt_selection_split (const char *selection, char **name_out, char **args_out,
                    GError **error)
{
  const char *colon = strchr (selection, ':');
  gsize len = colon ? (gsize) (colon - selection) : strlen (selection);
  if (len == 0)
    {
      g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_SYNTAX,
                   "empty name in selection '%s' (expected NAME or "
                   "NAME:key=value,...)", selection);
      return FALSE;
    }
  *name_out = g_strndup (selection, len);
  *args_out = g_strdup (colon ? colon + 1 : "");
  return TRUE;
}
