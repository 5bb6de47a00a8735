/* nt-registry.h: features (what plugins provide) and the registry that holds
 * them, one namespace per kind.
 *
 * A plugin's init function registers features into the registry. Each kind
 * has its own class struct that starts with an NtFeature (NtDatasetClass,
 * NtModelClass, NtBackendClass, ...); plugins define those structs as static
 * const data and pass &klass.feature to nt_registry_add(). The registry keeps
 * pointers to them, so plugin modules stay loaded for the life of the
 * process. */
#ifndef NT_REGISTRY_H
#define NT_REGISTRY_H

#include <glib.h>
#include "nt-options.h"

G_BEGIN_DECLS

typedef enum {
  NT_KIND_DATASET,
  NT_KIND_MODEL,
  NT_KIND_NULL,
  NT_KIND_ATTACK,
  NT_KIND_BACKEND,
  NT_N_KINDS
} NtKind;

/* The part every feature shares. `options` is NULL or a table ended by
 * NT_OPTION_END. `plugin_file` is filled in by the registry (not by the
 * plugin) with the path of the module the feature came from. */
typedef struct {
  NtKind kind;
  const char *name;
  const char *description;
  const NtOptionSpec *options;
} NtFeature;

typedef struct _NtRegistry NtRegistry;

/* A plugin file that was refused, with the reason. */
typedef struct {
  char *file;
  char *reason;
} NtPluginFailure;

/* "dataset", "model", "null", "attack", "backend". */
const char *nt_kind_name (NtKind kind);
/* Parses a kind name; returns FALSE if unknown. */
gboolean nt_kind_from_name (const char *name, NtKind *kind_out);

/* A new, empty registry (free with nt_registry_free). */
NtRegistry *nt_registry_new (void);
void nt_registry_free (NtRegistry *registry);

/* Registers `feature` (a static const struct owned by the plugin). Called
 * from plugin init functions. Fails if the name is already taken in that
 * kind; the plugin calling it is then refused as a whole, even if its init
 * ignores the error. */
gboolean nt_registry_add (NtRegistry *registry, const NtFeature *feature,
                          GError **error);

/* The feature `name` of `kind`, or NULL. */
const NtFeature *nt_registry_lookup (NtRegistry *registry, NtKind kind,
                                     const char *name);

/* Like nt_registry_lookup but fails with a GError that lists the available
 * names of that kind. */
const NtFeature *nt_registry_get (NtRegistry *registry, NtKind kind,
                                  const char *name, GError **error);

/* Resolves a selection "name:key=value,..." of `kind`: the feature and its
 * parsed options (caller frees *opts_out). */
const NtFeature *nt_registry_resolve (NtRegistry *registry, NtKind kind,
                                      const char *selection,
                                      NtOptions **opts_out, GError **error);

/* All features of `kind`, sorted by name (container owned by the caller, the
 * features by the registry). */
GPtrArray *nt_registry_list (NtRegistry *registry, NtKind kind);

/* The module file a registered feature came from ("(built-in)" for features
 * added outside any plugin). */
const char *nt_registry_feature_file (NtRegistry *registry,
                                      const NtFeature *feature);

/* The descriptor of the plugin a feature came from (NULL for features
 * added outside any plugin). */
const struct _NtPluginDescriptor *
nt_registry_feature_plugin (NtRegistry *registry, const NtFeature *feature);

/* Refused plugin files, in the order they were met (owned by the
 * registry). */
const GPtrArray *nt_registry_failures (NtRegistry *registry);

/* The names of the successfully loaded plugin files (owned by the
 * registry). */
const GPtrArray *nt_registry_loaded_files (NtRegistry *registry);

G_END_DECLS
#endif
