/* nt-backend-cuda.c: the "cuda" compute backend plugin, the thin part: the
 * descriptor, the class with its option table, and a probe and create that
 * load the CUDA implementation module on first use and forward to it.
 *
 * This file links no CUDA library on purpose: the registry loads every
 * plugin for every command, and cuBLAS and cuDNN cost about 110 ms and
 * 220 MB RSS just to map and relocate. They are loaded only when the cuda
 * backend is probed or created (nulltool list, backend=auto or cuda). See
 * nt-backend-cuda-impl.h for where the module is looked for. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* dladdr, Dl_info */
#endif
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <gmodule.h>  /* G_MODULE_EXPORT, used by NT_PLUGIN_DEFINE */

#include "nt-plugin.h"
#include "nt-backend.h"
#include "nt-backend-cuda-impl.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const NtOptionSpec nt_cuda_options[] = {
  { "device", NT_OPTION_INT, "0", 0, 1023, NULL,
    "index of the GPU to use (as numbered by CUDA)" },
  NT_OPTION_END
};

static const NtBackendClass nt_cuda_class;

/* ---- loading the implementation module -------------------------------- */

/* Loaded once per process, under the lock (probe and create may come from
 * several threads). A failure is kept too: it will not change. */
static GMutex nt_cuda_impl_lock;
static gboolean nt_cuda_impl_tried;
static const NtCudaImpl *nt_cuda_impl;
static char *nt_cuda_impl_failure;

/* Appends the module's candidate folders next to the plugin file `file`
 * (its build-tree and its installed sibling), unless already there. */
static void
add_candidates (GPtrArray *dirs, const char *file)
{
  char *abs = g_canonicalize_filename (file, NULL);
  char *own = g_path_get_dirname (abs);
  char *parent = g_path_get_dirname (own);
  char *cands[2];

  cands[0] = g_build_filename (parent, "impl", ".libs", NULL);
  cands[1] = g_build_filename (parent, "cuda", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cands); i++)
    {
      gboolean seen = FALSE;

      for (guint j = 0; j < dirs->len && !seen; j++)
        seen = strcmp (g_ptr_array_index (dirs, j), cands[i]) == 0;
      if (seen)
        g_free (cands[i]);
      else
        g_ptr_array_add (dirs, cands[i]);
    }
  g_free (parent);
  g_free (own);
  g_free (abs);
}

/* The folders to look in, in order: next to this plugin's file as the
 * dynamic linker opened it, then next to the file it resolves to (a plugin
 * linked into another folder), then the configured install folder. */
static GPtrArray *
candidate_dirs (void)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  Dl_info info;

  if (dladdr ((const void *) &nt_cuda_class, &info) != 0
      && info.dli_fname != NULL && info.dli_fname[0] != '\0')
    {
      char *real = realpath (info.dli_fname, NULL);

      add_candidates (dirs, info.dli_fname);
      if (real != NULL)
        add_candidates (dirs, real);
      free (real);
    }
#ifdef NT_CUDA_IMPL_INSTALL_DIR
  {
    gboolean seen = FALSE;

    for (guint j = 0; j < dirs->len && !seen; j++)
      seen = strcmp (g_ptr_array_index (dirs, j),
                     NT_CUDA_IMPL_INSTALL_DIR) == 0;
    if (!seen)
      g_ptr_array_add (dirs, g_strdup (NT_CUDA_IMPL_INSTALL_DIR));
  }
#endif
  return dirs;
}

/* Opens the first usable module among the candidates. NULL with *why_out
 * (caller frees) naming every file tried and why it was not used. */
static const NtCudaImpl *
load_impl (char **why_out)
{
  GPtrArray *dirs = candidate_dirs ();
  GString *tried = g_string_new (NULL);
  const NtCudaImpl *impl = NULL;

  for (guint i = 0; i < dirs->len && impl == NULL; i++)
    {
      char *path = g_build_filename (g_ptr_array_index (dirs, i),
                                     NT_CUDA_IMPL_MODULE, NULL);
      GModule *module = NULL;
      gpointer sym = NULL;

      if (tried->len > 0)
        g_string_append (tried, "; ");
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        g_string_append_printf (tried, "%s: no such file", path);
      /* Local binding, as for plugins: CUDA's symbols stay in the module. */
      else if ((module = g_module_open (path, G_MODULE_BIND_LOCAL)) == NULL)
        {
          /* dlerror() usually starts with the path already */
          const char *msg = g_module_error ();
          gsize n = strlen (path);

          if (msg == NULL)
            msg = "unknown error";
          else if (strncmp (msg, path, n) == 0
                   && strncmp (msg + n, ": ", 2) == 0)
            msg += n + 2;
          g_string_append_printf (tried, "%s: %s", path, msg);
        }
      else if (!g_module_symbol (module, NT_CUDA_IMPL_ENTRY_SYMBOL, &sym)
               || sym == NULL)
        g_string_append_printf (tried, "%s: no %s symbol", path,
                                NT_CUDA_IMPL_ENTRY_SYMBOL);
      else
        {
          const NtCudaImpl *found = ((NtCudaImplEntryFunc) sym) ();

          if (found != NULL
              && found->api_version == NT_CUDA_IMPL_API_VERSION
              && found->backend_api_version == NT_BACKEND_API_VERSION
              && found->create != NULL)
            impl = found;
          else
            g_string_append_printf
              (tried, "%s: built for interface %d, backend API %d; this "
               "plugin needs %d, %d (the plugin and the module come from "
               "different builds)", path, found ? found->api_version : 0,
               found ? found->backend_api_version : 0,
               NT_CUDA_IMPL_API_VERSION, NT_BACKEND_API_VERSION);
        }
      if (impl != NULL)
        /* Instances point into the module: it stays for the process. */
        g_module_make_resident (module);
      else if (module != NULL)
        g_module_close (module);
      g_free (path);
    }
  if (impl == NULL)
    *why_out = g_strdup_printf ("cannot load the CUDA implementation module "
                                "%s (%s); reinstall or rebuild nulltool "
                                "with CUDA", NT_CUDA_IMPL_MODULE,
                                dirs->len > 0 ? tried->str
                                              : "no folder to look in");
  g_string_free (tried, TRUE);
  g_ptr_array_unref (dirs);
  return impl;
}

/* The module's functions, loading it on the first call; NULL with *why_out
 * (caller frees) when it cannot be used. */
static const NtCudaImpl *
get_impl (char **why_out)
{
  const NtCudaImpl *impl;

  g_mutex_lock (&nt_cuda_impl_lock);
  if (!nt_cuda_impl_tried)
    {
      nt_cuda_impl = load_impl (&nt_cuda_impl_failure);
      nt_cuda_impl_tried = TRUE;
    }
  impl = nt_cuda_impl;
  if (impl == NULL)
    *why_out = g_strdup (nt_cuda_impl_failure);
  g_mutex_unlock (&nt_cuda_impl_lock);
  return impl;
}

/* ---- asking the CUDA runtime alone ------------------------------------ */

#ifndef NT_CUDART_SONAME
#define NT_CUDART_SONAME "libcudart.so"
#endif

/* cudart's functions, declared without its headers (cudaError_t is an
 * enum, passed as int); cudaErrorInsufficientDriver is 35. */
typedef int (*NtCudaGetDeviceCount) (int *count);
typedef const char *(*NtCudaErrorText) (int error);
#define NT_CUDA_ERROR_INSUFFICIENT_DRIVER 35

static struct {
  gboolean tried;
  NtCudaGetDeviceCount get_count;
  NtCudaErrorText error_string, error_name;
  char *failure;
} nt_cudart;

/* TRUE when libcudart (about 2 MB, where the implementation module with
 * cuBLAS and cuDNN maps 220 MB) sees at least one device; otherwise FALSE
 * and *why_out (caller frees) says why in the runtime's words. This keeps
 * nulltool list and backend=auto light on machines without a GPU. */
static gboolean
cudart_sees_device (char **why_out)
{
  int count = 0, rc;

  g_mutex_lock (&nt_cuda_impl_lock);
  if (!nt_cudart.tried)
    {
      const char *names[] = {
#ifdef NT_CUDART_DIR
        NT_CUDART_DIR "/" NT_CUDART_SONAME,
#endif
        NT_CUDART_SONAME };
      GString *tried = g_string_new (NULL);
      GModule *m = NULL;

      for (guint i = 0; m == NULL && i < G_N_ELEMENTS (names); i++)
        if ((m = g_module_open (names[i], G_MODULE_BIND_LOCAL)) == NULL)
          g_string_append_printf (tried, "%s%s", tried->len ? "; " : "",
                                  g_module_error ());
      if (m != NULL
          && g_module_symbol (m, "cudaGetDeviceCount",
                              (gpointer *) &nt_cudart.get_count)
          && g_module_symbol (m, "cudaGetErrorString",
                              (gpointer *) &nt_cudart.error_string)
          && g_module_symbol (m, "cudaGetErrorName",
                              (gpointer *) &nt_cudart.error_name))
        g_module_make_resident (m);
      else
        {
          nt_cudart.get_count = NULL;
          nt_cudart.failure = g_strdup_printf (
            "cannot load the CUDA runtime %s (%s); install the CUDA "
            "toolkit's runtime or the NVIDIA driver packages",
            NT_CUDART_SONAME, m ? g_module_error () : tried->str);
          if (m != NULL)
            g_module_close (m);
        }
      g_string_free (tried, TRUE);
      nt_cudart.tried = TRUE;
    }
  g_mutex_unlock (&nt_cuda_impl_lock);
  if (nt_cudart.get_count == NULL)
    {
      *why_out = g_strdup (nt_cudart.failure);
      return FALSE;
    }
  rc = nt_cudart.get_count (&count);
  if (rc != 0)
    {
      /* the same words as the implementation's create */
      *why_out = g_strdup_printf (
        "%s (cudaGetDeviceCount: %s)%s", nt_cudart.error_string (rc),
        nt_cudart.error_name (rc),
        rc == NT_CUDA_ERROR_INSUFFICIENT_DRIVER
        ? "; no NVIDIA driver is installed, or it is older than this CUDA "
          "runtime needs" : "");
      return FALSE;
    }
  if (count < 1)
    {
      *why_out = g_strdup ("no CUDA-capable device is detected "
                           "(cudaGetDeviceCount returned 0)");
      return FALSE;
    }
  return TRUE;
}

/* ---- the class -------------------------------------------------------- */

/* The runtime's answer, then whether the implementation module loads (a
 * device it cannot drive is reported by create, with the runtime's
 * words). */
static gboolean
nt_cuda_probe (char **reason_out)
{
  char *why = NULL;

  if (cudart_sees_device (&why) && get_impl (&why) != NULL)
    {
      if (reason_out != NULL)
        *reason_out = NULL;
      return TRUE;
    }
  if (reason_out != NULL)
    *reason_out = why;
  else
    g_free (why);
  return FALSE;
}

static NtBackend *
nt_cuda_create (const NtOptions *opts, GError **error)
{
  char *why = NULL;
  const NtCudaImpl *impl = get_impl (&why);

  if (impl != NULL)
    return impl->create (&nt_cuda_class, opts, error);
  g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_UNAVAILABLE,
               "cuda backend: %s", why);
  g_free (why);
  return NULL;
}

static const NtBackendClass nt_cuda_class = {
  .feature = {
    .kind = NT_KIND_BACKEND,
    .name = "cuda",
    .description = "NVIDIA GPU: cuBLAS GEMM, cuDNN convolutions, own kernels",
    .options = nt_cuda_options,
  },
  .probe = nt_cuda_probe,
  .create = nt_cuda_create,
};

static gboolean
nt_cuda_plugin_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &nt_cuda_class.feature, error);
}

NT_PLUGIN_DEFINE ("backend-cuda", "The CUDA compute backend (cuBLAS, cuDNN)",
                  PACKAGE_VERSION, "MIT", nt_cuda_plugin_init);
