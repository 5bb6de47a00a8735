/* nt-null.c: null selections ("usm", "uniform+shuffle:tiles=2,4", "none")
 * and the mixer that puts null samples into batches (PROTOCOL.md,
 * "Training"). The strategies themselves are plugins (plugins/null-*). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-null.h"
#include "nt-rng.h"
#include "nt-plugin.h"

#include <string.h>

/* One selected strategy. */
typedef struct {
  const NtNullClass *klass;
  NtNullStrategy *st;
  char *opts_text;     /* canonical options, "k=v,..." ("" when none) */
  gboolean defaults;   /* the options are the feature's defaults */
} NullEntry;

struct _NtNullMix {
  NtDataset *ds;        /* kept, not owned */
  double p_null;
  GArray *entries;      /* NullEntry, in canonical order */
  char *name;
  gsize *counts;        /* per strategy, scratch of fill_* */
  gsize *idx;           /* real-sample indices, scratch */
  gsize idx_cap;
  float *tmp;           /* one sample, scratch of the position shuffle */
};

/* ---- selection parsing ----------------------------------------------- */

/* "u = uniform, s = shuffle, m = mix" and "mix, shuffle, uniform": what a
 * user may write, for error messages (caller frees both). */
static void
describe_available (NtRegistry *registry, char **letters_out,
                    char **names_out)
{
  GPtrArray *all = nt_registry_list (registry, NT_KIND_NULL);
  GString *letters = g_string_new (NULL), *names = g_string_new (NULL);
  for (guint i = 0; i < all->len; i++)
    {
      const NtNullClass *k = all->pdata[i];
      g_string_append_printf (names, "%s%s", names->len ? ", " : "",
                              k->feature.name);
      if (k->short_name)
        g_string_append_printf (letters, "%s%c = %s",
                                letters->len ? ", " : "", k->short_name,
                                k->feature.name);
    }
  g_ptr_array_unref (all);
  *letters_out = g_string_free (letters->len ? letters
                                : g_string_append (letters, "none loaded"),
                                FALSE);
  *names_out = g_string_free (names->len ? names
                              : g_string_append (names, "none loaded"),
                              FALSE);
}

/* The null feature whose one-letter name is `c`, or NULL. The registry
 * lists features sorted by name, so a letter claimed twice maps to the
 * first name. */
static const NtNullClass *
lookup_letter (NtRegistry *registry, char c)
{
  const NtNullClass *found = NULL;
  GPtrArray *all = nt_registry_list (registry, NT_KIND_NULL);
  for (guint i = 0; i < all->len && found == NULL; i++)
    {
      const NtNullClass *k = all->pdata[i];
      if (k->short_name == c)
        found = k;
    }
  g_ptr_array_unref (all);
  return found;
}

static void
entry_clear (NullEntry *e)
{
  if (e->st != NULL)
    {
      if (e->st->destroy != NULL)
        e->st->destroy (e->st);
      else
        g_free (e->st);
    }
  g_free (e->opts_text);
}

/* Creates the strategy `klass` with option text `args` and appends it.
 * `selection` is the whole user text, for messages. */
static gboolean
add_strategy (NtNullMix *mix, NtRegistry *registry, const NtNullClass *klass,
              const char *args, const char *selection, GError **error)
{
  const char *name = klass->feature.name;
  for (guint i = 0; i < mix->entries->len; i++)
    if (g_array_index (mix->entries, NullEntry, i).klass == klass)
      {
        g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_DUPLICATE,
                     "null strategy '%s' is selected twice in '%s'; name "
                     "each strategy once", name, selection);
        return FALSE;
      }
  if (klass->create == NULL)
    {
      g_set_error (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_INIT,
                   "null strategy '%s' (from %s) has no create function",
                   name, nt_registry_feature_file (registry,
                                                   &klass->feature));
      return FALSE;
    }
  NtOptions *opts = nt_options_parse (klass->feature.options, args, error);
  if (opts == NULL)
    {
      g_prefix_error (error, "null '%s': ", name);
      return FALSE;
    }
  GError *local = NULL;
  NtNullStrategy *st = klass->create (opts, mix->ds, &local);
  if (st == NULL)
    {
      nt_options_free (opts);
      if (local == NULL)
        g_set_error (&local, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                     "null strategy '%s' could not be created (no reason "
                     "given)", name);
      g_propagate_prefixed_error (error, local, "null '%s': ", name);
      return FALSE;
    }
  g_clear_error (&local);
  if (st->klass == NULL)
    st->klass = klass;

  /* the canonical option text, and whether it is the default one (then
   * the strategy's letter alone names it) */
  NullEntry e = { klass, st, nt_options_to_string (opts), FALSE };
  nt_options_free (opts);
  NtOptions *defaults = nt_options_parse (klass->feature.options, NULL, NULL);
  char *default_text = defaults ? nt_options_to_string (defaults)
                                : g_strdup ("");
  e.defaults = g_strcmp0 (e.opts_text, default_text) == 0;
  g_free (default_text);
  nt_options_free (defaults);
  g_array_append_val (mix->entries, e);
  return TRUE;
}

/* Whether `s` is a non-empty run of ASCII letters. */
static gboolean
all_letters (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalpha (*s))
      return FALSE;
  return TRUE;
}

/* One '+'-separated part: a feature selection "name:key=value,...", or
 * study letters ("us"). */
static gboolean
add_part (NtNullMix *mix, NtRegistry *registry, const char *part,
          const char *selection, GError **error)
{
  char *name = NULL, *args = NULL;
  gboolean ok = FALSE;
  if (!nt_selection_split (part, &name, &args, error))
    {
      g_prefix_error (error, "null selection '%s': ", selection);
      return FALSE;
    }
  const NtFeature *f = nt_registry_lookup (registry, NT_KIND_NULL, name);
  if (f != NULL)
    ok = add_strategy (mix, registry, (const NtNullClass *) f, args,
                       selection, error);
  else if (*args == '\0' && all_letters (name))
    {
      /* a name that is no feature: read it as the study's letters */
      ok = TRUE;
      for (const char *c = name; ok && *c; c++)
        {
          const NtNullClass *k = lookup_letter (registry, *c);
          if (k == NULL)
            {
              char *letters, *names;
              describe_available (registry, &letters, &names);
              if (name[1] == '\0')
                g_set_error (error, NT_OPTIONS_ERROR,
                             NT_OPTIONS_ERROR_BAD_VALUE,
                             "unknown null-class letter '%c' in '%s' "
                             "(letters: %s; names: %s; or 'none' for no "
                             "nulls)", *c, selection, letters, names);
              else
                g_set_error (error, NT_OPTIONS_ERROR,
                             NT_OPTIONS_ERROR_BAD_VALUE,
                             "'%s' in '%s' is neither a null strategy name "
                             "nor study letters (unknown letter '%c'); "
                             "names: %s; letters: %s; or 'none' for no "
                             "nulls", name, selection, *c, names, letters);
              g_free (letters);
              g_free (names);
              ok = FALSE;
            }
          else
            ok = add_strategy (mix, registry, k, "", selection, error);
        }
    }
  else
    {
      char *letters, *names;
      describe_available (registry, &letters, &names);
      g_set_error (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_NO_ENTRY,
                   "no null strategy named '%s' in '%s' (names: %s; "
                   "letters: %s; or 'none' for no nulls); see 'nulltool "
                   "list'", name, selection, names, letters);
      g_free (letters);
      g_free (names);
    }
  g_free (name);
  g_free (args);
  return ok;
}

/* Splits at the '+' that join strategies, keeping the '+' of a number's
 * exponent ("eps=1e+3") inside its part. */
static GPtrArray *
split_plus (const char *s)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  const char *start = s;
  for (const char *p = s; *p; p++)
    {
      gboolean exponent = p - s >= 2 && (p[-1] == 'e' || p[-1] == 'E')
                          && (g_ascii_isdigit (p[-2]) || p[-2] == '.');
      if (*p == '+' && !exponent)
        {
          g_ptr_array_add (parts, g_strndup (start, p - start));
          start = p + 1;
        }
    }
  g_ptr_array_add (parts, g_strdup (start));
  return parts;
}

/* Canonical order: the study's letters first in its order (u, s, m), then
 * other letters, then features without a letter by name; ties (none today:
 * a feature is selected once) by options. So "su" and "us" are one mix,
 * drawing the same samples from the same seed. */
static int
letter_rank (char c)
{
  switch (c)
    {
    case 'u': return 0;
    case 's': return 1;
    case 'm': return 2;
    case 0: return 1000;
    default: return 3 + (guchar) c;
    }
}

static gint
entry_compare (gconstpointer a, gconstpointer b)
{
  const NullEntry *x = a, *y = b;
  int rx = letter_rank (x->klass->short_name);
  int ry = letter_rank (y->klass->short_name);
  if (rx != ry)
    return rx < ry ? -1 : 1;
  int c = strcmp (x->klass->feature.name, y->klass->feature.name);
  return c ? c : strcmp (x->opts_text, y->opts_text);
}

/* "usm" when every strategy has a letter and default options, else the
 * '+' form with non-default options spelled out; parsing it gives the same
 * mix. */
static char *
canonical_name (GArray *entries)
{
  if (entries->len == 0)
    return g_strdup ("none");
  gboolean letters = TRUE;
  for (guint i = 0; i < entries->len; i++)
    {
      const NullEntry *e = &g_array_index (entries, NullEntry, i);
      letters = letters && e->klass->short_name && e->defaults;
    }
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < entries->len; i++)
    {
      const NullEntry *e = &g_array_index (entries, NullEntry, i);
      if (letters)
        g_string_append_c (s, e->klass->short_name);
      else
        {
          if (i > 0)
            g_string_append_c (s, '+');
          g_string_append (s, e->klass->feature.name);
          if (!e->defaults && *e->opts_text)
            g_string_append_printf (s, ":%s", e->opts_text);
        }
    }
  return g_string_free (s, FALSE);
}

NtNullMix *
nt_null_mix_new (NtRegistry *registry, const char *selection, double p_null,
                 NtDataset *ds, GError **error)
{
  g_return_val_if_fail (registry != NULL, NULL);
  g_return_val_if_fail (selection != NULL, NULL);
  g_return_val_if_fail (ds != NULL, NULL);

  if (!(p_null >= 0.0 && p_null <= 1.0))   /* NaN fails too */
    {
      g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_OUT_OF_RANGE,
                   "p_null %g is outside [0, 1] (it is the probability of "
                   "each batch slot holding a null sample)", p_null);
      return NULL;
    }

  NtNullMix *mix = g_new0 (NtNullMix, 1);
  mix->ds = ds;
  mix->p_null = p_null;
  mix->entries = g_array_new (FALSE, TRUE, sizeof (NullEntry));
  g_array_set_clear_func (mix->entries, (GDestroyNotify) entry_clear);

  char *text = g_strstrip (g_strdup (selection));
  gboolean ok = TRUE;
  if (*text == '\0')
    {
      g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_SYNTAX,
                   "empty null selection; write 'none' (or 'baseline') for "
                   "no null samples");
      ok = FALSE;
    }
  else if (strcmp (text, "none") != 0 && strcmp (text, "baseline") != 0)
    {
      GPtrArray *parts = split_plus (text);
      for (guint i = 0; ok && i < parts->len; i++)
        {
          const char *part = g_strstrip ((char *) parts->pdata[i]);
          if (*part == '\0')
            {
              g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_SYNTAX,
                           "empty strategy in null selection '%s' (join "
                           "strategies with one '+': 'uniform+mix')", text);
              ok = FALSE;
            }
          else
            ok = add_part (mix, registry, part, text, error);
        }
      g_ptr_array_unref (parts);
    }
  g_free (text);
  if (!ok)
    {
      nt_null_mix_free (mix);
      return NULL;
    }
  g_array_sort (mix->entries, entry_compare);
  mix->name = canonical_name (mix->entries);
  mix->counts = g_new0 (gsize, MAX (mix->entries->len, 1));
  mix->tmp = g_new (float, MAX (nt_dataset_sample_size (ds), 1));
  return mix;
}

void
nt_null_mix_free (NtNullMix *mix)
{
  if (mix == NULL)
    return;
  g_array_unref (mix->entries);
  g_free (mix->name);
  g_free (mix->counts);
  g_free (mix->idx);
  g_free (mix->tmp);
  g_free (mix);
}

guint
nt_null_mix_n_strategies (const NtNullMix *mix)
{
  g_return_val_if_fail (mix != NULL, 0);
  return mix->entries->len;
}

const char *
nt_null_mix_name (const NtNullMix *mix)
{
  g_return_val_if_fail (mix != NULL, NULL);
  return mix->name;
}

double
nt_null_mix_p_null (const NtNullMix *mix)
{
  g_return_val_if_fail (mix != NULL, 0.0);
  return mix->p_null;
}

/* ---- filling batches -------------------------------------------------- */

/* begin_batch of every strategy, then `n` types drawn uniformly into
 * mix->counts. */
static void
draw_types (NtNullMix *mix, GRand *rng, gsize n)
{
  guint n_st = mix->entries->len;
  for (guint t = 0; t < n_st; t++)
    {
      NtNullStrategy *st = g_array_index (mix->entries, NullEntry, t).st;
      if (st->begin_batch != NULL)
        st->begin_batch (st, rng);
      mix->counts[t] = 0;
    }
  for (gsize i = 0; i < n; i++)
    mix->counts[g_rand_int_range (rng, 0, (gint32) n_st)]++;
}

/* Writes the null samples counted in mix->counts, grouped by type, into
 * images (and the null label into labels, when given). */
static gboolean
fill_counted (NtNullMix *mix, NtSplit split, GRand *rng, float *images,
              int *labels, GError **error)
{
  gsize sample = nt_dataset_sample_size (mix->ds);
  gsize off = 0;
  for (guint t = 0; t < mix->entries->len; t++)
    {
      gsize c = mix->counts[t];
      if (c == 0)
        continue;
      NtNullStrategy *st = g_array_index (mix->entries, NullEntry, t).st;
      if (!st->fill (st, split, rng, c, images + off * sample, error))
        {
          g_prefix_error (error, "null '%s': ",
                          g_array_index (mix->entries, NullEntry,
                                         t).klass->feature.name);
          return FALSE;
        }
      if (labels != NULL)
        for (gsize i = 0; i < c; i++)
          labels[off + i] = mix->ds->n_classes;
      off += c;
    }
  return TRUE;
}

gboolean
nt_null_mix_fill_batch (NtNullMix *mix, NtSplit split, GRand *rng,
                        guint32 *perm, gsize n, float *images, int *labels,
                        gsize *n_null_out, GError **error)
{
  g_return_val_if_fail (mix != NULL && rng != NULL && perm != NULL, FALSE);
  g_return_val_if_fail (n == 0 || images != NULL, FALSE);

  NtDataset *ds = mix->ds;
  gsize sample = nt_dataset_sample_size (ds);
  gsize split_n = nt_dataset_split_size (ds, split);
  if (n > G_MAXINT)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                   "batch of %" G_GSIZE_FORMAT " samples is too large", n);
      return FALSE;
    }

  /* the protocol's order of draws: null count, per-batch strategy state,
   * null types, real samples, null samples, positions */
  gsize k = 0;
  if (mix->entries->len > 0)
    {
      k = (gsize) nt_rng_binomial (rng, (int) n, mix->p_null);
      draw_types (mix, rng, k);
    }
  gsize real = n - k;
  if (real > split_n)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                   "a batch needs %" G_GSIZE_FORMAT " distinct real samples "
                   "but the %s split holds only %" G_GSIZE_FORMAT "; use a "
                   "smaller batch", real,
                   split == NT_SPLIT_TRAIN ? "train" : "test", split_n);
      return FALSE;
    }
  if (real > mix->idx_cap)
    {
      mix->idx = g_renew (gsize, mix->idx, real);
      mix->idx_cap = real;
    }
  nt_rng_sample (rng, perm, split_n, mix->idx, real);
  if (!nt_dataset_get (ds, split, mix->idx, real, images, labels, error))
    return FALSE;
  if (k > 0 && !fill_counted (mix, split, rng, images + real * sample,
                              labels ? labels + real : NULL, error))
    return FALSE;

  /* Fisher-Yates over the positions, so nulls are not grouped at the end
   * nor by type */
  for (gsize i = n; i > 1; i--)
    {
      gsize j = (gsize) g_rand_int_range (rng, 0, (gint32) i);
      if (j == i - 1)
        continue;
      float *a = images + (i - 1) * sample, *b = images + j * sample;
      memcpy (mix->tmp, a, sample * sizeof (float));
      memcpy (a, b, sample * sizeof (float));
      memcpy (b, mix->tmp, sample * sizeof (float));
      if (labels != NULL)
        {
          int t = labels[i - 1];
          labels[i - 1] = labels[j];
          labels[j] = t;
        }
    }
  if (n_null_out != NULL)
    *n_null_out = k;
  return TRUE;
}

gboolean
nt_null_mix_fill_nulls (NtNullMix *mix, NtSplit split, GRand *rng, gsize n,
                        float *images, GError **error)
{
  g_return_val_if_fail (mix != NULL && rng != NULL, FALSE);
  if (mix->entries->len == 0)
    {
      g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                   "the null selection 'none' has no strategies to draw "
                   "null samples from");
      return FALSE;
    }
  draw_types (mix, rng, n);
  return fill_counted (mix, split, rng, images, NULL, error);
}
