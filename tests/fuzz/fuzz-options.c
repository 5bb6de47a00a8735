/* fuzz-options.c: the option parser (core/nt-options.h) on arbitrary
 * selection text, against a table with every option type. The input is
 * split as a selection ("name:key=value,...") and its option part, and the
 * whole input, are parsed. What parses must survive the documented round
 * trip: nt_options_to_string, parsed again, gives the same values. */
#include "config.h"
#include "nt-fuzz.h"
#include "nt-options.h"

#include <string.h>

static const char *const modes[] = { "fast", "exact", "none", NULL };

static const NtOptionSpec specs[] = {
  { "n", NT_OPTION_INT, "3", 1, 1000, NULL, "a bounded integer" },
  { "big", NT_OPTION_INT, NULL, NT_OPTION_NO_RANGE, NULL, "any integer" },
  { "eps", NT_OPTION_DOUBLE, "0.1", 0, 1, NULL, "a bounded number" },
  { "x", NT_OPTION_DOUBLE, NULL, NT_OPTION_NO_RANGE, NULL, "any number" },
  { "flag", NT_OPTION_BOOL, "false", NT_OPTION_NO_RANGE, NULL, "a boolean" },
  { "name", NT_OPTION_STRING, NULL, NT_OPTION_NO_RANGE, NULL, "text" },
  { "mode", NT_OPTION_CHOICE, "fast", NT_OPTION_NO_RANGE, modes, "a choice" },
  { "tiles", NT_OPTION_INT_LIST, "2,4,7,14", 1, 28, NULL, "a list" },
  { "list", NT_OPTION_INT_LIST, NULL, NT_OPTION_NO_RANGE, NULL, "a list" },
  NT_OPTION_END
};

static void
check_same (const NtOptions *a, const NtOptions *b, const char *text)
{
  for (const NtOptionSpec *s = specs; s->name; s++)
    {
      const char *k = s->name;
      NT_FUZZ_CHECK (nt_options_has (a, k) == nt_options_has (b, k),
                     "'%s' set once only, from '%s'", k, text);
      if (!nt_options_has (a, k))
        continue;
      switch (s->type)
        {
        case NT_OPTION_INT:
          NT_FUZZ_CHECK (nt_options_get_int (a, k) == nt_options_get_int (b, k),
                         "'%s' from '%s'", k, text);
          break;
        case NT_OPTION_DOUBLE:
          {
            double x = nt_options_get_double (a, k);
            double y = nt_options_get_double (b, k);
            NT_FUZZ_CHECK (memcmp (&x, &y, sizeof x) == 0,
                           "'%s' %.17g then %.17g, from '%s'", k, x, y, text);
            break;
          }
        case NT_OPTION_BOOL:
          NT_FUZZ_CHECK (!nt_options_get_bool (a, k)
                             == !nt_options_get_bool (b, k),
                         "'%s' from '%s'", k, text);
          break;
        case NT_OPTION_STRING:
        case NT_OPTION_CHOICE:
          NT_FUZZ_CHECK (g_strcmp0 (nt_options_get_string (a, k),
                                    nt_options_get_string (b, k)) == 0,
                         "'%s' from '%s'", k, text);
          break;
        case NT_OPTION_INT_LIST:
          {
            gsize na = 0, nb = 0;
            const gint64 *la = nt_options_get_int_list (a, k, &na);
            const gint64 *lb = nt_options_get_int_list (b, k, &nb);
            NT_FUZZ_CHECK (na == nb && na > 0
                               && memcmp (la, lb, na * sizeof *la) == 0,
                           "'%s' from '%s'", k, text);
            break;
          }
        }
    }
}

static void
parse (const char *text)
{
  GError *error = NULL;
  NtOptions *opts = nt_options_parse (specs, text, &error);
  if (opts == NULL)
    {
      NT_FUZZ_CHECK (error != NULL, "failed without an error on '%s'", text);
      g_error_free (error);
      return;
    }
  NT_FUZZ_CHECK (error == NULL, "succeeded with an error on '%s'", text);
  char *canon = nt_options_to_string (opts);
  NtOptions *again = nt_options_parse (specs, canon, &error);
  NT_FUZZ_CHECK (again != NULL, "'%s' (from '%s') does not parse: %s", canon,
                 text, error->message);
  check_same (opts, again, text);
  char *canon2 = nt_options_to_string (again);
  NT_FUZZ_CHECK (strcmp (canon, canon2) == 0, "'%s' then '%s'", canon, canon2);
  g_free (canon2);
  g_free (canon);
  nt_options_free (again);
  nt_options_free (opts);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* text up to the first NUL, as a command line would pass it */
  char *text = g_strndup ((const char *) data, size);
  char *name = NULL, *args = NULL;
  GError *error = NULL;
  if (nt_selection_split (text, &name, &args, &error))
    {
      NT_FUZZ_CHECK (*name != '\0' && strchr (name, ':') == NULL,
                     "name '%s' from '%s'", name, text);
      parse (args);
      g_free (name);
      g_free (args);
    }
  else
    g_error_free (error);
  parse (text);
  g_free (text);
  return 0;
}
