/* nt-plugin.c: loading plugin modules with GModule, the ABI check, and the
 * plugin search path. */
#include "config.h"
#include "nt-plugin.h"
#include "nt-registry-private.h"

#include <gmodule.h>
#include <string.h>

G_DEFINE_QUARK (nt-plugin-error-quark, nt_plugin_error)

const char *
nt_version (void)
{
  return PACKAGE_VERSION;
}

const char *
nt_plugin_install_dir (void)
{
  return NT_PLUGIN_INSTALL_DIR;
}

/* Records the refusal of `path` and hands the error to the caller. */
static gboolean
refuse (NtRegistry *registry, const char *path, GError *err, GError **error)
{
  _nt_registry_add_failure (registry, path, err->message);
  g_propagate_error (error, err);
  return FALSE;
}

gboolean
nt_plugin_load_file (NtRegistry *registry, const char *path, GError **error)
{
  _nt_registry_mark_seen (registry, path);

  /* OpenMP workers wait between parallel regions: sleeping at once
   * (OMP_WAIT_POLICY=PASSIVE) pays a wake-up for each of the ~40 regions
   * of a training step; spinning long starves any other process on the
   * machine. A short spin (GNU libgomp's GOMP_SPINCOUNT) gets both: on 2
   * cores, cnn training ran 2900 img/s (PASSIVE 2640, unbounded spinning
   * 2680) and, with a busy loop on one core, 1370 (PASSIVE 1350-1400,
   * spin count 30000: 1040-1140). The runtime reads these once, when a
   * plugin first loads it, so they are set before any plugin is opened; a
   * value chosen by the user wins. */
  if (g_getenv ("OMP_WAIT_POLICY") == NULL)
    g_setenv ("GOMP_SPINCOUNT", "3000", FALSE);

  /* Local binding: plugins' symbols never leak into each other. */
  GModule *module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    return refuse (registry, path,
                   g_error_new (NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_OPEN,
                                "%s: cannot load: %s", path,
                                g_module_error ()),
                   error);

  gpointer sym = NULL;
  if (!g_module_symbol (module, NT_PLUGIN_ENTRY_SYMBOL, &sym) || sym == NULL)
    {
      g_module_close (module);
      return refuse (registry, path,
                     g_error_new (NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_NO_ENTRY,
                                  "%s: not a nulltool plugin (no %s symbol)",
                                  path, NT_PLUGIN_ENTRY_SYMBOL),
                     error);
    }

  const NtPluginDescriptor *desc = sym;
  if (desc->abi_major != NT_ABI_MAJOR || desc->abi_minor > NT_ABI_MINOR)
    {
      GError *e = g_error_new (
          NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_ABI,
          "%s: built for plugin ABI %u.%u, but this nulltool has ABI %u.%u "
          "(%s); rebuild the plugin against this nulltool", path,
          desc->abi_major, desc->abi_minor, NT_ABI_MAJOR, NT_ABI_MINOR,
          desc->abi_major != NT_ABI_MAJOR ? "major versions differ"
                                          : "the plugin's minor is newer");
      g_module_close (module);
      return refuse (registry, path, e, error);
    }
  if (desc->init == NULL || desc->name == NULL)
    {
      g_module_close (module);
      return refuse (registry, path,
                     g_error_new (NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_INIT,
                                  "%s: descriptor has no name or init "
                                  "function", path),
                     error);
    }

  GError *init_error = NULL;
  _nt_registry_begin_plugin (registry, path, desc);
  gboolean ok = desc->init (registry, &init_error);
  GError *conflict = NULL;
  gboolean committed = _nt_registry_end_plugin (registry, ok, &conflict);
  if (!committed)
    {
      GError *e;
      if (conflict)
        e = g_error_new (NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_NAME_TAKEN,
                         "%s (plugin '%s'): %s", path, desc->name,
                         conflict->message);
      else
        e = g_error_new (NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_INIT,
                         "%s (plugin '%s'): init failed: %s", path,
                         desc->name,
                         init_error ? init_error->message
                                    : "no reason given");
      g_clear_error (&conflict);
      g_clear_error (&init_error);
      g_module_close (module);
      return refuse (registry, path, e, error);
    }
  g_clear_error (&init_error);
  /* Features point into the module: it must stay for the process's life. */
  g_module_make_resident (module);
  _nt_registry_add_loaded (registry, path);
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

void
nt_plugin_load_dirs (NtRegistry *registry, const GPtrArray *dirs,
                     gboolean report_missing)
{
  for (guint d = 0; d < dirs->len; d++)
    {
      const char *dir = g_ptr_array_index (dirs, d);
      GError *err = NULL;
      GDir *gd = g_dir_open (dir, 0, &err);
      if (gd == NULL)
        {
          if (report_missing)
            _nt_registry_add_failure (registry, dir, err->message);
          g_clear_error (&err);
          continue;
        }
      /* sorted, so the load order (and so name conflicts) is stable */
      GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      while ((name = g_dir_read_name (gd)) != NULL)
        if (g_str_has_suffix (name, "." G_MODULE_SUFFIX))
          g_ptr_array_add (files, g_strdup (name));
      g_dir_close (gd);
      g_ptr_array_sort (files, compare_strings);
      for (guint i = 0; i < files->len; i++)
        {
          const char *base = g_ptr_array_index (files, i);
          char *path = g_build_filename (dir, base, NULL);
          const char *first = NULL;
          if (_nt_registry_seen_basename (registry, base, &first))
            {
              char *why = g_strdup_printf ("shadowed by %s, found earlier in "
                                           "the plugin path", first);
              _nt_registry_add_failure (registry, path, why);
              g_free (why);
            }
          else
            nt_plugin_load_file (registry, path, NULL);
          g_free (path);
        }
      g_ptr_array_unref (files);
    }
}

static void
add_path_list (GPtrArray *out, const char *list)
{
  if (list == NULL)
    return;
  char **parts = g_strsplit (list, G_SEARCHPATH_SEPARATOR_S, -1);
  for (char **p = parts; *p; p++)
    if (**p)   /* empty entries would mean the current directory: skip */
      g_ptr_array_add (out, g_strdup (*p));
  g_strfreev (parts);
}

/* TRUE when the running executable lives in this build tree (libtool puts
 * uninstalled programs in .libs/ below it). */
gboolean
nt_running_uninstalled (void)
{
  char *exe = g_file_read_link ("/proc/self/exe", NULL);
  gboolean inside = exe && g_str_has_prefix (exe, NT_ABS_TOP_BUILDDIR "/");
  g_free (exe);
  return inside;
}

/* Every <top>/{plugins,backends}/<name>/.libs folder of the build tree. */
static void
add_build_tree (GPtrArray *out)
{
  static const char *const roots[] = { "plugins", "backends" };
  for (guint r = 0; r < G_N_ELEMENTS (roots); r++)
    {
      char *root = g_build_filename (NT_ABS_TOP_BUILDDIR, roots[r], NULL);
      GDir *gd = g_dir_open (root, 0, NULL);
      if (gd)
        {
          GPtrArray *subs = g_ptr_array_new_with_free_func (g_free);
          const char *name;
          while ((name = g_dir_read_name (gd)) != NULL)
            g_ptr_array_add (subs, g_build_filename (root, name, ".libs",
                                                     NULL));
          g_dir_close (gd);
          g_ptr_array_sort (subs, compare_strings);
          for (guint i = 0; i < subs->len; i++)
            if (g_file_test (subs->pdata[i], G_FILE_TEST_IS_DIR))
              g_ptr_array_add (out, g_strdup (subs->pdata[i]));
          g_ptr_array_unref (subs);
        }
      g_free (root);
    }
}

/* The default part of the path: the build tree when uninstalled, else the
 * installed plugin directory. */
static void
add_default_dirs (GPtrArray *out)
{
  if (nt_running_uninstalled ())
    add_build_tree (out);
  else
    g_ptr_array_add (out, g_strdup (NT_PLUGIN_INSTALL_DIR));
}

GPtrArray *
nt_plugin_search_path (const char *cli_path)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  add_path_list (out, cli_path);
  add_path_list (out, g_getenv ("NULLTOOL_PLUGIN_PATH"));
  add_default_dirs (out);
  return out;
}

NtRegistry *
nt_registry_new_default (const char *cli_path)
{
  NtRegistry *registry = nt_registry_new ();
  /* folders the user named are reported when missing; defaults are not */
  GPtrArray *named = g_ptr_array_new_with_free_func (g_free);
  add_path_list (named, cli_path);
  add_path_list (named, g_getenv ("NULLTOOL_PLUGIN_PATH"));
  nt_plugin_load_dirs (registry, named, TRUE);
  GPtrArray *defaults = g_ptr_array_new_with_free_func (g_free);
  add_default_dirs (defaults);
  nt_plugin_load_dirs (registry, defaults, FALSE);
  g_ptr_array_unref (named);
  g_ptr_array_unref (defaults);
  return registry;
}
