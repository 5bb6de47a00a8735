/* nt-plugin.h: the plugin ABI and the loader.
 *
 * A plugin is a shared object exporting exactly one symbol,
 * `nt_plugin_descriptor`, produced by one NT_PLUGIN_DEFINE line. The loader
 * accepts it when its ABI major equals the core's and its minor is not newer
 * than the core's; then it calls init, which registers features. */
#ifndef NT_PLUGIN_H
#define NT_PLUGIN_H

#include <glib.h>
#include <gmodule.h>
#include "nt-registry.h"

G_BEGIN_DECLS

/* Bump the major on any incompatible change of a public struct or vtable;
 * bump the minor when adding something plugins may rely on. */
#define NT_ABI_MAJOR 2
#define NT_ABI_MINOR 0

#define NT_PLUGIN_ERROR (nt_plugin_error_quark ())
GQuark nt_plugin_error_quark (void);

typedef enum {
  NT_PLUGIN_ERROR_OPEN,        /* dlopen failed */
  NT_PLUGIN_ERROR_NO_ENTRY,    /* no nt_plugin_descriptor symbol */
  NT_PLUGIN_ERROR_ABI,         /* incompatible ABI version */
  NT_PLUGIN_ERROR_INIT,        /* init failed */
  NT_PLUGIN_ERROR_NAME_TAKEN,  /* a feature name is already registered */
  NT_PLUGIN_ERROR_SHADOWED     /* same file name met earlier in the path */
} NtPluginError;

typedef gboolean (*NtPluginInitFunc) (NtRegistry *registry, GError **error);

typedef struct _NtPluginDescriptor {
  guint abi_major;
  guint abi_minor;
  const char *name;
  const char *description;
  const char *version;
  const char *license;
  NtPluginInitFunc init;
} NtPluginDescriptor;

#define NT_PLUGIN_ENTRY_SYMBOL "nt_plugin_descriptor"

/* The one line each plugin's main file carries. */
#define NT_PLUGIN_DEFINE(name, description, version, license, init)          \
  G_MODULE_EXPORT const NtPluginDescriptor nt_plugin_descriptor = {          \
    NT_ABI_MAJOR, NT_ABI_MINOR, name, description, version, license, init }

/* Loads one plugin file into `registry`. On refusal returns FALSE, sets
 * `error` and records the failure in the registry (nt_registry_failures). */
gboolean nt_plugin_load_file (NtRegistry *registry, const char *path,
                              GError **error);

/* Loads every plugin module (*.so) found in `dirs`, in order. A file name
 * already loaded from an earlier directory is skipped and recorded as
 * shadowed. Failures are recorded, never fatal; a directory that does not
 * exist is recorded too when `report_missing` is set. */
void nt_plugin_load_dirs (NtRegistry *registry, const GPtrArray *dirs,
                          gboolean report_missing);

/* The plugin search path, in order: the entries of `cli_path` (colon
 * separated, may be NULL), then those of $NULLTOOL_PLUGIN_PATH, then the
 * build tree when the running program is an uninstalled build, otherwise the
 * installed plugin directory. Never the current directory. Returns a new
 * array of strings (caller frees). */
GPtrArray *nt_plugin_search_path (const char *cli_path);

/* Convenience: a new registry loaded from nt_plugin_search_path(cli_path). */
NtRegistry *nt_registry_new_default (const char *cli_path);

/* TRUE when the running program is an uninstalled build in this build tree
 * (then plugins, presets and scripts are taken from the trees, not from
 * the installed folders). */
gboolean nt_running_uninstalled (void);

/* The installed plugin directory and nulltool's version string. */
const char *nt_plugin_install_dir (void);
const char *nt_version (void);

G_END_DECLS
#endif
