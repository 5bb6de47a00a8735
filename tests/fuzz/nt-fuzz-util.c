/* nt-fuzz-util.c: the fuzz targets' temporary files and plugins. */
#include "config.h"
#include "nt-fuzz.h"
#include "nt-plugin.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static char *tmp_dir;
static GHashTable *tmp_files;   /* name -> path (both owned) */

static void
remove_tmp (void)
{
  GHashTableIter it;
  gpointer path;
  g_hash_table_iter_init (&it, tmp_files);
  while (g_hash_table_iter_next (&it, NULL, &path))
    g_unlink (path);
  g_rmdir (tmp_dir);
}

/* libFuzzer calls this once before the first input; nt-fuzz-replay.c
 * does too. */
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  return 0;
}

const char *
nt_fuzz_write (const char *name, const void *data, gsize size)
{
  GError *error = NULL;
  if (tmp_dir == NULL)
    {
      tmp_dir = g_dir_make_tmp ("nt-fuzz-XXXXXX", &error);
      if (tmp_dir == NULL)
        g_error ("cannot make a temporary folder: %s", error->message);
      tmp_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         g_free);
      atexit (remove_tmp);
    }
  char *path = g_hash_table_lookup (tmp_files, name);
  if (path == NULL)
    {
      path = g_build_filename (tmp_dir, name, NULL);
      g_hash_table_insert (tmp_files, g_strdup (name), path);
    }
  /* g_file_set_contents would fsync and rename every input: too slow. */
  FILE *f = fopen (path, "wb");
  if (f == NULL || (size > 0 && fwrite (data, 1, size, f) != size)
      || fclose (f) != 0)
    g_error ("cannot write the fuzz input to %s", path);
  return path;
}

static NtRegistry *registry;
static NtBackend *backend;

NtRegistry *
nt_fuzz_registry (void)
{
  if (registry == NULL)
    {
      /* Only what the model-file target needs, from the build tree
       * (NT_FUZZ_BUILDDIR, set by tests/fuzz/local.mk). */
      static const char *const dirs[] = {
        "plugins/model-cnn", "plugins/model-ramp-cnn", "backends/cpu"
      };
      const char *top = g_getenv ("NT_TOP_BUILDDIR");
      if (top == NULL || *top == '\0')
        top = NT_FUZZ_BUILDDIR;
      GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
        g_ptr_array_add (paths, g_build_filename (top, dirs[i], ".libs", NULL));
      registry = nt_registry_new ();
      nt_plugin_load_dirs (registry, paths, TRUE);
      g_ptr_array_unref (paths);
    }
  return registry;
}

NtBackend *
nt_fuzz_backend (void)
{
  if (backend == NULL)
    {
      GError *error = NULL;
      backend = nt_backend_open (nt_fuzz_registry (), "cpu:threads=1", &error);
      if (backend == NULL)
        g_error ("cannot open the build tree's cpu backend: %s",
                 error->message);
    }
  return backend;
}

void
nt_fuzz_load_checksummed (const char *name, const uint8_t *data, size_t size,
                          void (*load) (const char *path))
{
  enum { DIGEST_LEN = 32 };
  load (nt_fuzz_write (name, data, size));
  if (size <= DIGEST_LEN)
    return;
  guint8 *fixed = g_memdup2 (data, size);
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = DIGEST_LEN;
  g_checksum_update (sum, fixed, size - DIGEST_LEN);
  g_checksum_get_digest (sum, fixed + size - DIGEST_LEN, &len);
  g_checksum_free (sum);
  if (memcmp (fixed, data, size) != 0)
    load (nt_fuzz_write (name, fixed, size));
  g_free (fixed);
}
