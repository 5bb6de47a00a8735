/* nt-backend.c: opening backends by selection, with the probe and the API
 * version check. */
#include "config.h"
#include "nt-backend.h"

#include <string.h>

G_DEFINE_QUARK (nt-backend-error-quark, nt_backend_error)

/* Probes `klass`; on failure sets `error` with the reason. */
static gboolean
probe (const NtBackendClass *klass, GError **error)
{
  char *reason = NULL;
  if (klass->probe == NULL || klass->probe (&reason))
    return TRUE;
  g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_UNAVAILABLE,
               "backend '%s' is unavailable: %s", klass->feature.name,
               reason ? reason : "no reason given");
  g_free (reason);
  return FALSE;
}

NtBackend *
nt_backend_open (NtRegistry *registry, const char *selection, GError **error)
{
  const char *sel = selection;
  if (sel == NULL || strcmp (sel, "auto") == 0)
    {
      /* auto: the GPU when it is usable, the CPU otherwise */
      const NtFeature *cuda = nt_registry_lookup (registry, NT_KIND_BACKEND,
                                                  "cuda");
      sel = (cuda && probe ((const NtBackendClass *) cuda, NULL)) ? "cuda"
                                                                  : "cpu";
    }
  NtOptions *opts = NULL;
  const NtFeature *f = nt_registry_resolve (registry, NT_KIND_BACKEND, sel,
                                            &opts, error);
  if (f == NULL)
    return NULL;
  const NtBackendClass *klass = (const NtBackendClass *) f;
  NtBackend *be = NULL;
  if (probe (klass, error))
    be = klass->create (opts, error);
  nt_options_free (opts);
  if (be == NULL)
    return NULL;
  be->klass = klass;
  be->grad_buf[0] = be->grad_buf[1] = NULL;
  be->grad_count = 0;
  if (be->ops == NULL || be->ops->api_version != NT_BACKEND_API_VERSION)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_API,
                   "backend '%s' implements backend API %u, this nulltool "
                   "needs %u; rebuild the backend", f->name,
                   be->ops ? be->ops->api_version : 0,
                   NT_BACKEND_API_VERSION);
      if (be->ops && be->ops->destroy)
        be->ops->destroy (be);
      return NULL;
    }
  return be;
}

void
nt_backend_free (NtBackend *be)
{
  if (be == NULL)
    return;
  for (int i = 0; i < 2; i++)
    if (be->grad_buf[i] != NULL)
      be->ops->free (be, be->grad_buf[i]);
  be->ops->destroy (be);
}

const char *
nt_backend_name (const NtBackend *be)
{
  return be->klass ? be->klass->feature.name : "?";
}
