/* nt-registry.c: one namespace of features per kind, plus the record of
 * loaded and refused plugin files. */
#include "config.h"
#include "nt-registry.h"
#include "nt-registry-private.h"
#include "nt-plugin.h"

#include <string.h>

typedef struct {
  const NtFeature *feature;
  const char *file;            /* interned */
  const struct _NtPluginDescriptor *plugin;
} Entry;

struct _NtRegistry {
  GHashTable *by_kind[NT_N_KINDS];   /* name -> Entry* */
  GPtrArray *failures;               /* NtPluginFailure* */
  GPtrArray *loaded;                 /* char* */
  GHashTable *seen;                  /* basename -> first path */
  /* while a plugin's init runs */
  const char *current_file;
  const struct _NtPluginDescriptor *current_plugin;
  GPtrArray *pending;                /* Entry* */
  GError *conflict;
};

static const char *const kind_names[NT_N_KINDS] = {
  "dataset", "model", "null", "attack", "backend"
};

const char *
nt_kind_name (NtKind kind)
{
  return (kind < NT_N_KINDS) ? kind_names[kind] : "unknown";
}

gboolean
nt_kind_from_name (const char *name, NtKind *kind_out)
{
  for (int k = 0; k < NT_N_KINDS; k++)
    if (g_strcmp0 (name, kind_names[k]) == 0)
      {
        *kind_out = (NtKind) k;
        return TRUE;
      }
  return FALSE;
}

static void
failure_free (gpointer p)
{
  NtPluginFailure *f = p;
  g_free (f->file);
  g_free (f->reason);
  g_free (f);
}

NtRegistry *
nt_registry_new (void)
{
  NtRegistry *r = g_new0 (NtRegistry, 1);
  for (int k = 0; k < NT_N_KINDS; k++)
    r->by_kind[k] = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           g_free);
  r->failures = g_ptr_array_new_with_free_func (failure_free);
  r->loaded = g_ptr_array_new_with_free_func (g_free);
  r->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return r;
}

void
nt_registry_free (NtRegistry *r)
{
  if (r == NULL)
    return;
  for (int k = 0; k < NT_N_KINDS; k++)
    g_hash_table_destroy (r->by_kind[k]);
  g_ptr_array_unref (r->failures);
  g_ptr_array_unref (r->loaded);
  g_hash_table_destroy (r->seen);
  if (r->pending)
    g_ptr_array_unref (r->pending);
  g_clear_error (&r->conflict);
  g_free (r);
}

/* TRUE if `name` is taken in `kind`, either committed or pending. */
static const Entry *
find_entry (NtRegistry *r, NtKind kind, const char *name)
{
  const Entry *e = g_hash_table_lookup (r->by_kind[kind], name);
  if (e == NULL && r->pending)
    for (guint i = 0; i < r->pending->len; i++)
      {
        const Entry *p = g_ptr_array_index (r->pending, i);
        if (p->feature->kind == kind && strcmp (p->feature->name, name) == 0)
          return p;
      }
  return e;
}

gboolean
nt_registry_add (NtRegistry *r, const NtFeature *feature, GError **error)
{
  g_return_val_if_fail (r != NULL && feature != NULL, FALSE);
  GError *e = NULL;
  const Entry *old = NULL;
  if (feature->kind >= NT_N_KINDS || feature->name == NULL
      || feature->name[0] == '\0' || strchr (feature->name, ':') != NULL)
    e = g_error_new (NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_INIT,
                     "invalid feature (kind %d, name '%s'): names must be "
                     "non-empty and contain no ':'", feature->kind,
                     feature->name ? feature->name : "(null)");
  else if ((old = find_entry (r, feature->kind, feature->name)) != NULL)
    e = g_error_new (NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_NAME_TAKEN,
                     "%s '%s' is already registered by %s",
                     nt_kind_name (feature->kind), feature->name, old->file);
  if (e)
    {
      /* remembered so the plugin is refused even if its init ignores it */
      if (r->pending && r->conflict == NULL)
        r->conflict = g_error_copy (e);
      g_propagate_error (error, e);
      return FALSE;
    }
  Entry *entry = g_new0 (Entry, 1);
  entry->feature = feature;
  entry->file = g_intern_string (r->current_file ? r->current_file
                                                 : "(built-in)");
  entry->plugin = r->current_plugin;
  if (r->pending)
    g_ptr_array_add (r->pending, entry);
  else
    g_hash_table_insert (r->by_kind[feature->kind], (gpointer) feature->name,
                         entry);
  return TRUE;
}

void
_nt_registry_begin_plugin (NtRegistry *r, const char *file,
                           const struct _NtPluginDescriptor *desc)
{
  r->current_plugin = desc;
  g_assert (r->pending == NULL);
  r->pending = g_ptr_array_new ();
  r->current_file = file;
  g_clear_error (&r->conflict);
}

gboolean
_nt_registry_end_plugin (NtRegistry *r, gboolean commit, GError **error)
{
  gboolean ok = commit && r->conflict == NULL;
  for (guint i = 0; i < r->pending->len; i++)
    {
      Entry *e = g_ptr_array_index (r->pending, i);
      if (ok)
        g_hash_table_insert (r->by_kind[e->feature->kind],
                             (gpointer) e->feature->name, e);
      else
        g_free (e);
    }
  g_ptr_array_unref (r->pending);
  r->pending = NULL;
  r->current_file = NULL;
  r->current_plugin = NULL;
  if (r->conflict)
    {
      g_propagate_error (error, r->conflict);
      r->conflict = NULL;
      return FALSE;
    }
  return ok;
}

void
_nt_registry_add_failure (NtRegistry *r, const char *file, const char *reason)
{
  NtPluginFailure *f = g_new0 (NtPluginFailure, 1);
  f->file = g_strdup (file);
  f->reason = g_strdup (reason);
  g_ptr_array_add (r->failures, f);
}

gboolean
_nt_registry_seen_basename (NtRegistry *r, const char *base,
                            const char **first_path_out)
{
  const char *first = g_hash_table_lookup (r->seen, base);
  if (first_path_out)
    *first_path_out = first;
  return first != NULL;
}

void
_nt_registry_mark_seen (NtRegistry *r, const char *path)
{
  char *base = g_path_get_basename (path);
  if (g_hash_table_contains (r->seen, base))
    g_free (base);
  else
    g_hash_table_insert (r->seen, base, g_strdup (path));
}

void
_nt_registry_add_loaded (NtRegistry *r, const char *file)
{
  g_ptr_array_add (r->loaded, g_strdup (file));
}

const NtFeature *
nt_registry_lookup (NtRegistry *r, NtKind kind, const char *name)
{
  g_return_val_if_fail (r != NULL && kind < NT_N_KINDS, NULL);
  const Entry *e = g_hash_table_lookup (r->by_kind[kind], name);
  return e ? e->feature : NULL;
}

static int
compare_features (gconstpointer a, gconstpointer b)
{
  const NtFeature *fa = *(const NtFeature *const *) a;
  const NtFeature *fb = *(const NtFeature *const *) b;
  return strcmp (fa->name, fb->name);
}

GPtrArray *
nt_registry_list (NtRegistry *r, NtKind kind)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, r->by_kind[kind]);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (out, (gpointer) ((Entry *) value)->feature);
  g_ptr_array_sort (out, compare_features);
  return out;
}

const NtFeature *
nt_registry_get (NtRegistry *r, NtKind kind, const char *name, GError **error)
{
  const NtFeature *f = nt_registry_lookup (r, kind, name);
  if (f)
    return f;
  GPtrArray *all = nt_registry_list (r, kind);
  GString *names = g_string_new (NULL);
  for (guint i = 0; i < all->len; i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "",
                            ((const NtFeature *) all->pdata[i])->name);
  g_set_error (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_NO_ENTRY,
               "no %s named '%s' (available: %s); see 'nulltool list'",
               nt_kind_name (kind), name,
               names->len ? names->str : "none loaded");
  g_string_free (names, TRUE);
  g_ptr_array_unref (all);
  return NULL;
}

const NtFeature *
nt_registry_resolve (NtRegistry *r, NtKind kind, const char *selection,
                     NtOptions **opts_out, GError **error)
{
  char *name = NULL, *args = NULL;
  const NtFeature *f = NULL;
  if (!nt_selection_split (selection, &name, &args, error))
    return NULL;
  f = nt_registry_get (r, kind, name, error);
  if (f)
    {
      NtOptions *opts = nt_options_parse (f->options, args, error);
      if (opts == NULL)
        {
          g_prefix_error (error, "%s '%s': ", nt_kind_name (kind), name);
          f = NULL;
        }
      else if (opts_out)
        *opts_out = opts;
      else
        nt_options_free (opts);
    }
  g_free (name);
  g_free (args);
  return f;
}

const char *
nt_registry_feature_file (NtRegistry *r, const NtFeature *feature)
{
  const Entry *e = g_hash_table_lookup (r->by_kind[feature->kind],
                                        feature->name);
  return (e && e->feature == feature) ? e->file : NULL;
}

const struct _NtPluginDescriptor *
nt_registry_feature_plugin (NtRegistry *r, const NtFeature *feature)
{
  const Entry *e = g_hash_table_lookup (r->by_kind[feature->kind],
                                        feature->name);
  return (e && e->feature == feature) ? e->plugin : NULL;
}

const GPtrArray *
nt_registry_failures (NtRegistry *r)
{
  return r->failures;
}

const GPtrArray *
nt_registry_loaded_files (NtRegistry *r)
{
  return r->loaded;
}
