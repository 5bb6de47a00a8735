/* nt-backend-cuda-impl.h: the interface between the thin "cuda" plugin
 * (nt-backend-cuda.c) and the CUDA implementation module
 * (nt-backend-cuda-impl.c and the rest). Not installed; no CUDA type here.
 *
 * Why two objects. Linking cuBLAS and cuDNN into the plugin made every
 * nulltool command map and relocate them when the registry loaded the
 * plugin (about 110 ms and 220 MB RSS, GPU or not). The plugin the loader
 * finds now links no CUDA library; the first probe or create opens the
 * implementation module with GModule and forwards to it.
 *
 * Where the module lives, relative to the directory of the plugin file:
 *   ../impl/.libs/  the build tree (backends/cuda/.libs is the plugin's)
 *   ../cuda/        installed: $(libdir)/nulltool/{plugins,cuda}
 * The module exports one symbol, NT_CUDA_IMPL_ENTRY_SYMBOL. */
#ifndef NT_BACKEND_CUDA_IMPL_H
#define NT_BACKEND_CUDA_IMPL_H

#include <glib.h>
#include <gmodule.h>  /* G_MODULE_SUFFIX */
#include "nt-backend.h"
#include "nt-options.h"

G_BEGIN_DECLS

/* Bump on any change of NtCudaImpl or of what its functions mean; the
 * plugin refuses a module of another value. */
#define NT_CUDA_IMPL_API_VERSION 2

#define NT_CUDA_IMPL_MODULE "nt-backend-cuda-impl." G_MODULE_SUFFIX
#define NT_CUDA_IMPL_ENTRY_SYMBOL "nt_cuda_impl_entry"

typedef struct {
  int api_version;            /* NT_CUDA_IMPL_API_VERSION */
  int backend_api_version;    /* NT_BACKEND_API_VERSION it was built with */
  /* NtBackendClass.create (the plugin probes with libcudart alone);
   * `klass` is the plugin's class, stored in the instance. */
  NtBackend *(*create) (const struct _NtBackendClass *klass,
                        const NtOptions *opts, GError **error);
} NtCudaImpl;

/* The type of the module's entry point: its function table (static, never
 * freed). */
typedef const NtCudaImpl *(*NtCudaImplEntryFunc) (void);

G_END_DECLS
#endif
