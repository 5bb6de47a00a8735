/* nt-options.h: option tables declared by features, and the parser for
 * selections such as "shuffle:tiles=2,4,7,14" or "fgsm:eps=0.1".
 *
 * A feature declares a const table of NtOptionSpec ended by NT_OPTION_END.
 * The core parses "key=value,key=value" text against that table; no plugin
 * parses its own options. */
#ifndef NT_OPTIONS_H
#define NT_OPTIONS_H

#include <glib.h>
#include <math.h>

G_BEGIN_DECLS

#define NT_OPTIONS_ERROR (nt_options_error_quark ())
GQuark nt_options_error_quark (void);

typedef enum {
  NT_OPTIONS_ERROR_SYNTAX,       /* malformed selection text */
  NT_OPTIONS_ERROR_UNKNOWN_KEY,  /* key not in the feature's table */
  NT_OPTIONS_ERROR_BAD_VALUE,    /* value of the wrong type or not a choice */
  NT_OPTIONS_ERROR_OUT_OF_RANGE, /* number outside [min, max] */
  NT_OPTIONS_ERROR_DUPLICATE     /* key given twice */
} NtOptionsError;

typedef enum {
  NT_OPTION_INT,       /* 64-bit integer, range-checked */
  NT_OPTION_DOUBLE,    /* finite double, range-checked */
  NT_OPTION_BOOL,      /* true/false, yes/no, on/off, 1/0 */
  NT_OPTION_STRING,    /* any text without ',' */
  NT_OPTION_CHOICE,    /* one of a NULL-terminated list of strings */
  NT_OPTION_INT_LIST   /* "2,4,7,14": each element range-checked */
} NtOptionType;

/* One option of a feature. `default_value` is text parsed like user input
 * (NULL: no default, the option is then unset unless given). `min`/`max`
 * bound numbers (use NT_OPTION_NO_RANGE for none). `choices` is a
 * NULL-terminated array for NT_OPTION_CHOICE. */
typedef struct {
  const char *name;
  NtOptionType type;
  const char *default_value;
  double min, max;
  const char *const *choices;
  const char *help;
} NtOptionSpec;

#define NT_OPTION_NO_RANGE (-INFINITY), (INFINITY)
#define NT_OPTION_END { NULL, 0, NULL, 0, 0, NULL, NULL }

/* Parsed option values for one feature. Opaque; free with nt_options_free. */
typedef struct _NtOptions NtOptions;

/* Parses `text` ("key=value,key=value", may be NULL or empty) against
 * `specs` (may be NULL: the feature takes no options), filling in defaults.
 * Returns a new NtOptions (caller frees) or NULL with `error` set. */
NtOptions *nt_options_parse (const NtOptionSpec *specs, const char *text,
                             GError **error);

/* Frees `opts` (NULL is allowed). */
void nt_options_free (NtOptions *opts);

/* TRUE when `key` has a value (given or by default). */
gboolean nt_options_has (const NtOptions *opts, const char *key);

/* Typed getters. `key` must be declared in the table with the matching type;
 * asking for an undeclared key or the wrong type is a programming error
 * (g_critical) and returns 0/FALSE/NULL. Returned strings and arrays belong
 * to `opts`. */
gint64 nt_options_get_int (const NtOptions *opts, const char *key);
double nt_options_get_double (const NtOptions *opts, const char *key);
gboolean nt_options_get_bool (const NtOptions *opts, const char *key);
const char *nt_options_get_string (const NtOptions *opts, const char *key);
const gint64 *nt_options_get_int_list (const NtOptions *opts, const char *key,
                                       gsize *n_out);

/* The canonical text of all set options, "key=value,..." in table order
 * (caller frees). Parsing it again gives the same values. */
char *nt_options_to_string (const NtOptions *opts);

/* Splits a selection "name:key=value,..." into its feature name and option
 * text. Both outputs are newly allocated; *args_out is "" when there is no
 * ':'. Fails on an empty name. */
gboolean nt_selection_split (const char *selection, char **name_out,
                             char **args_out, GError **error);

/* A human name for a type ("int", "double", ...), for inspectors. */
const char *nt_option_type_name (NtOptionType type);

G_END_DECLS
#endif
