/* nt-registry-private.h: what the plugin loader needs from the registry.
 * Not installed. */
#ifndef NT_REGISTRY_PRIVATE_H
#define NT_REGISTRY_PRIVATE_H

#include "nt-registry.h"

/* Features added between begin and end are held back; end commits them when
 * `commit` is TRUE and no name was taken, otherwise drops them. end returns
 * FALSE with the name conflict in `error` when a name was taken. */
void _nt_registry_begin_plugin (NtRegistry *registry, const char *file,
                                const struct _NtPluginDescriptor *desc);
gboolean _nt_registry_end_plugin (NtRegistry *registry, gboolean commit,
                                  GError **error);
void _nt_registry_add_failure (NtRegistry *registry, const char *file,
                               const char *reason);
/* TRUE if a file of this base name was already loaded or refused. */
gboolean _nt_registry_seen_basename (NtRegistry *registry, const char *base,
                                     const char **first_path_out);
void _nt_registry_mark_seen (NtRegistry *registry, const char *path);
void _nt_registry_add_loaded (NtRegistry *registry, const char *file);

#endif
