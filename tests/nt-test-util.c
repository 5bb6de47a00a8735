/* nt-test-util.c: helpers shared by the Check suites. */
#include "config.h"
#include "nt-test-util.h"
#include "nt-plugin.h"

#include <check.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>

const char *
nt_test_builddir (void)
{
  const char *d = g_getenv ("NT_TOP_BUILDDIR");
  return (d && *d) ? d : NT_TEST_BUILDDIR_FALLBACK;
}

const char *
nt_test_srcdir (void)
{
  const char *d = g_getenv ("NT_TOP_SRCDIR");
  return (d && *d) ? d : NT_TEST_SRCDIR_FALLBACK;
}

NtRegistry *
nt_test_registry (void)
{
  NtRegistry *registry = nt_registry_new ();
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  static const char *const roots[] = { "plugins", "backends" };
  for (guint r = 0; r < G_N_ELEMENTS (roots); r++)
    {
      char *root = g_build_filename (nt_test_builddir (), roots[r], NULL);
      GDir *gd = g_dir_open (root, 0, NULL);
      const char *name;
      while (gd && (name = g_dir_read_name (gd)) != NULL)
        g_ptr_array_add (dirs, g_build_filename (root, name, ".libs", NULL));
      if (gd)
        g_dir_close (gd);
      g_free (root);
    }
  nt_plugin_load_dirs (registry, dirs, FALSE);
  g_ptr_array_unref (dirs);
  return registry;
}

NtBackend *
nt_test_backend (NtRegistry *registry, const char *selection)
{
  GError *error = NULL;
  NtBackend *be = nt_backend_open (registry, selection, &error);
  if (be == NULL)
    ck_abort_msg ("cannot open backend '%s': %s", selection, error->message);
  return be;
}

void
nt_test_assert_synced (NtBackend *be, const char *what)
{
  GError *err = NULL;
  gboolean ok = be->ops->sync (be, &err);
  ck_assert_msg (ok, "%s (%s): sync failed: %s", what, nt_backend_name (be),
                 err != NULL ? err->message : "(no error set)");
}

NtBuffer *
nt_test_buf (NtBackend *be, const float *src, gsize count)
{
  GError *err = NULL;
  NtBuffer *b = be->ops->alloc (be, count, &err);

  ck_assert_msg (b != NULL, "alloc(%zu) on %s: %s", (size_t) count,
                 nt_backend_name (be), err != NULL ? err->message : "?");
  if (src != NULL)
    be->ops->upload (be, b, 0, src, count);
  return b;
}

NtBuffer *
nt_test_buf_nan (NtBackend *be, gsize count)
{
  NtBuffer *b = nt_test_buf (be, NULL, count);
  be->ops->fill (be, b, 0, count, NAN);
  return b;
}

float *
nt_test_buf_get (NtBackend *be, const NtBuffer *b, gsize count)
{
  GError *err = NULL;
  float *out = g_new (float, MAX (count, 1));

  ck_assert_msg (be->ops->download (be, b, 0, out, count, &err),
                 "download on %s: %s", nt_backend_name (be),
                 err != NULL ? err->message : "?");
  return out;
}

float *
nt_test_rand_array (GRand *r, gsize count, double lo, double hi)
{
  float *a = g_new (float, MAX (count, 1));
  for (gsize i = 0; i < count; i++)
    a[i] = (float) g_rand_double_range (r, lo, hi);
  return a;
}

char *
nt_test_mnist_dir (void)
{
  static const char *const files[] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
  };
  const char *env = g_getenv ("NULLTOOL_MNIST_DIR");
  char *dir = (env && *env) ? g_strdup (env)
                            : g_build_filename (nt_test_srcdir (), "data",
                                                "mnist", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      char *path = g_build_filename (dir, files[i], NULL);
      gboolean present = g_file_test (path, G_FILE_TEST_IS_REGULAR);
      g_free (path);
      if (!present)
        {
          g_free (dir);
          return NULL;
        }
    }
  return dir;
}

int
nt_test_run_suite (Suite *suite)
{
  SRunner *sr = srunner_create (suite);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void
nt_test_rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR)
      && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      GDir *d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d && (name = g_dir_read_name (d)))
        {
          char *p = g_build_filename (path, name, NULL);
          nt_test_rm_rf (p);
          g_free (p);
        }
      if (d)
        g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}
