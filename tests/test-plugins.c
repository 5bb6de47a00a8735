/* test-plugins.c: the plugin loader, the ABI rule, name conflicts, failing
 * init, and the search path order. */
#include "config.h"
#include "nulltool.h"
#include "nt-test-util.h"

#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Path of the built test plugin in tests/plugins/<variant>/.libs. */
static char *
plugin_dir (const char *variant)
{
  return g_build_filename (nt_test_builddir (), "tests", "plugins", variant,
                           ".libs", NULL);
}

static char *
plugin_file (const char *variant, const char *base)
{
  char *dir = plugin_dir (variant);
  char *name = g_strconcat (base, "." G_MODULE_SUFFIX, NULL);
  char *path = g_build_filename (dir, name, NULL);
  g_free (dir);
  g_free (name);
  return path;
}

/* Loads one test plugin; returns the error (or NULL on success). */
static GError *
load (NtRegistry *reg, const char *variant)
{
  char *base = g_strconcat ("nt-test-", variant, NULL);
  char *path = plugin_file (variant, base);
  GError *error = NULL;
  gboolean ok = nt_plugin_load_file (reg, path, &error);
  ck_assert (ok == (error == NULL));
  g_free (base);
  g_free (path);
  return error;
}

static const char *
last_failure (NtRegistry *reg)
{
  const GPtrArray *f = nt_registry_failures (reg);
  ck_assert_uint_gt (f->len, 0);
  return ((const NtPluginFailure *) g_ptr_array_index (f, f->len - 1))->reason;
}

START_TEST (test_good_plugin_loads)
{
  NtRegistry *reg = nt_registry_new ();
  GError *error = load (reg, "good");
  ck_assert_msg (error == NULL, "%s", error ? error->message : "");
  const NtFeature *f = nt_registry_lookup (reg, NT_KIND_ATTACK, "test-good");
  ck_assert_ptr_nonnull (f);
  ck_assert_str_eq (f->description, "a plugin that loads");
  ck_assert (strstr (nt_registry_feature_file (reg, f), "nt-test-good") != NULL);
  const NtPluginDescriptor *d = nt_registry_feature_plugin (reg, f);
  ck_assert_str_eq (d->name, "test-plugin");
  ck_assert_uint_eq (nt_registry_loaded_files (reg)->len, 1);
  ck_assert_uint_eq (nt_registry_failures (reg)->len, 0);
  /* a feature of another kind with that name does not exist */
  ck_assert_ptr_null (nt_registry_lookup (reg, NT_KIND_MODEL, "test-good"));
  nt_registry_free (reg);
}
END_TEST

START_TEST (test_abi_major_refused)
{
  NtRegistry *reg = nt_registry_new ();
  GError *error = load (reg, "abi-major");
  ck_assert (g_error_matches (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_ABI));
  char *theirs = g_strdup_printf ("ABI %d.0", NT_ABI_MAJOR + 1);
  char *ours = g_strdup_printf ("ABI %d.%d", NT_ABI_MAJOR, NT_ABI_MINOR);
  ck_assert_msg (strstr (error->message, "nt-test-abi-major." G_MODULE_SUFFIX),
                 "%s", error->message);
  ck_assert_msg (strstr (error->message, theirs), "%s", error->message);
  ck_assert_msg (strstr (error->message, ours), "%s", error->message);
  ck_assert_str_eq (last_failure (reg), error->message);
  ck_assert_uint_eq (nt_registry_loaded_files (reg)->len, 0);
  ck_assert_ptr_null (nt_registry_lookup (reg, NT_KIND_ATTACK, "test-good"));
  g_free (theirs);
  g_free (ours);
  g_error_free (error);
  nt_registry_free (reg);
}
END_TEST

START_TEST (test_abi_newer_minor_refused)
{
  NtRegistry *reg = nt_registry_new ();
  GError *error = load (reg, "abi-minor");
  ck_assert (g_error_matches (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_ABI));
  char *theirs = g_strdup_printf ("ABI %d.%d", NT_ABI_MAJOR, NT_ABI_MINOR + 1);
  ck_assert_msg (strstr (error->message, theirs), "%s", error->message);
  ck_assert_msg (strstr (error->message, "nt-test-abi-minor"), "%s",
                 error->message);
  ck_assert_ptr_null (nt_registry_lookup (reg, NT_KIND_ATTACK, "test-good"));
  g_free (theirs);
  g_error_free (error);
  nt_registry_free (reg);
}
END_TEST

START_TEST (test_taken_name_refused_whole)
{
  NtRegistry *reg = nt_registry_new ();
  ck_assert_ptr_null (load (reg, "good"));
  GError *error = load (reg, "dup");
  ck_assert (g_error_matches (error, NT_PLUGIN_ERROR,
                              NT_PLUGIN_ERROR_NAME_TAKEN));
  ck_assert_msg (strstr (error->message, "test-good"), "%s", error->message);
  ck_assert_msg (strstr (error->message, "nt-test-dup"), "%s", error->message);
  /* the plugin's other feature was rolled back */
  ck_assert_ptr_null (nt_registry_lookup (reg, NT_KIND_ATTACK, "test-unique"));
  /* and the first registration stands */
  const NtFeature *f = nt_registry_lookup (reg, NT_KIND_ATTACK, "test-good");
  ck_assert (strstr (nt_registry_feature_file (reg, f), "nt-test-good"));
  ck_assert_uint_eq (nt_registry_failures (reg)->len, 1);
  g_error_free (error);
  nt_registry_free (reg);
}
END_TEST

START_TEST (test_init_failure_listed)
{
  NtRegistry *reg = nt_registry_new ();
  GError *error = load (reg, "initfail");
  ck_assert (g_error_matches (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_INIT));
  ck_assert_msg (strstr (error->message, "deliberate failure"), "%s",
                 error->message);
  const NtPluginFailure *f = g_ptr_array_index (nt_registry_failures (reg), 0);
  ck_assert (strstr (f->file, "nt-test-initfail"));
  ck_assert (strstr (f->reason, "deliberate failure"));
  g_error_free (error);
  nt_registry_free (reg);
}
END_TEST

START_TEST (test_not_a_plugin_refused)
{
  NtRegistry *reg = nt_registry_new ();
  GError *error = load (reg, "noentry");
  ck_assert (g_error_matches (error, NT_PLUGIN_ERROR,
                              NT_PLUGIN_ERROR_NO_ENTRY));
  g_clear_error (&error);
  /* a file that is not a shared object at all */
  char *tmp = g_dir_make_tmp ("nt-plugins-XXXXXX", NULL);
  char *bogus = g_build_filename (tmp, "nt-bogus." G_MODULE_SUFFIX, NULL);
  g_file_set_contents (bogus, "not an ELF file", -1, NULL);
  ck_assert (!nt_plugin_load_file (reg, bogus, &error));
  ck_assert (g_error_matches (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_OPEN));
  ck_assert (strstr (error->message, bogus));
  g_error_free (error);
  g_unlink (bogus);
  g_rmdir (tmp);
  g_free (bogus);
  g_free (tmp);
  nt_registry_free (reg);
}
END_TEST

/* Loads a whole folder: the good plugins register, the bad ones are listed,
 * nothing is dropped silently. */
START_TEST (test_load_dirs_records_everything)
{
  static const char *const variants[] = { "good", "abi-major", "abi-minor",
                                          "dup", "initfail", "noentry" };
  NtRegistry *reg = nt_registry_new ();
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    g_ptr_array_add (dirs, plugin_dir (variants[i]));
  g_ptr_array_add (dirs, g_strdup ("/nonexistent/nulltool/plugins"));
  nt_plugin_load_dirs (reg, dirs, TRUE);
  ck_assert_uint_eq (nt_registry_loaded_files (reg)->len, 1);
  /* 5 refused files + the missing folder */
  ck_assert_uint_eq (nt_registry_failures (reg)->len, 6);
  ck_assert_ptr_nonnull (nt_registry_lookup (reg, NT_KIND_ATTACK,
                                             "test-good"));
  g_ptr_array_unref (dirs);
  nt_registry_free (reg);
}
END_TEST

START_TEST (test_search_path_order)
{
  char *a = plugin_dir ("order-a");
  char *b = plugin_dir ("order-b");
  /* --plugin-path before $NULLTOOL_PLUGIN_PATH */
  g_setenv ("NULLTOOL_PLUGIN_PATH", b, TRUE);
  GPtrArray *path = nt_plugin_search_path (a);
  ck_assert_str_eq (g_ptr_array_index (path, 0), a);
  ck_assert_str_eq (g_ptr_array_index (path, 1), b);
  /* an uninstalled test program searches the build tree, not the installed
   * folder, and never the current directory */
  for (guint i = 0; i < path->len; i++)
    {
      const char *d = g_ptr_array_index (path, i);
      ck_assert_str_ne (d, nt_plugin_install_dir ());
      ck_assert_msg (g_path_is_absolute (d), "relative entry '%s'", d);
    }
  g_ptr_array_unref (path);

  NtRegistry *reg = nt_registry_new_default (a);
  const NtFeature *f = nt_registry_lookup (reg, NT_KIND_ATTACK, "test-order");
  ck_assert_ptr_nonnull (f);
  ck_assert_str_eq (f->description, "from A");
  /* the same file name later in the path is shadowed, and said so */
  const NtPluginFailure *fail = g_ptr_array_index (nt_registry_failures (reg),
                                                   0);
  ck_assert (g_str_has_prefix (fail->file, b));
  ck_assert (strstr (fail->reason, "shadowed"));
  nt_registry_free (reg);

  /* without --plugin-path, the environment's folder is used */
  reg = nt_registry_new_default (NULL);
  f = nt_registry_lookup (reg, NT_KIND_ATTACK, "test-order");
  ck_assert_ptr_nonnull (f);
  ck_assert_str_eq (f->description, "from B");
  nt_registry_free (reg);

  /* empty entries (":" separated) never mean the current directory */
  char *cwd = g_get_current_dir ();
  ck_assert_int_eq (chdir (a), 0);
  g_setenv ("NULLTOOL_PLUGIN_PATH", ":", TRUE);
  reg = nt_registry_new_default ("");
  ck_assert_ptr_null (nt_registry_lookup (reg, NT_KIND_ATTACK, "test-order"));
  nt_registry_free (reg);
  ck_assert_int_eq (chdir (cwd), 0);
  g_unsetenv ("NULLTOOL_PLUGIN_PATH");
  g_free (cwd);
  g_free (a);
  g_free (b);
}
END_TEST

START_TEST (test_resolve_selection)
{
  NtRegistry *reg = nt_registry_new ();
  ck_assert_ptr_null (load (reg, "good"));
  NtOptions *opts = NULL;
  GError *error = NULL;
  const NtFeature *f = nt_registry_resolve (reg, NT_KIND_ATTACK,
                                            "test-good:count=7,mode=slow",
                                            &opts, &error);
  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (nt_options_get_int (opts, "count"), 7);
  ck_assert_str_eq (nt_options_get_string (opts, "mode"), "slow");
  ck_assert_double_eq (nt_options_get_double (opts, "rate"), 0.5);
  nt_options_free (opts);
  /* an unknown feature names the available ones */
  ck_assert_ptr_null (nt_registry_resolve (reg, NT_KIND_ATTACK, "nope",
                                           NULL, &error));
  ck_assert (strstr (error->message, "test-good"));
  g_clear_error (&error);
  /* a bad option names the feature and the key */
  ck_assert_ptr_null (nt_registry_resolve (reg, NT_KIND_ATTACK,
                                           "test-good:count=11", NULL,
                                           &error));
  ck_assert (g_error_matches (error, NT_OPTIONS_ERROR,
                              NT_OPTIONS_ERROR_OUT_OF_RANGE));
  ck_assert (strstr (error->message, "test-good"));
  ck_assert (strstr (error->message, "count"));
  g_clear_error (&error);
  nt_registry_free (reg);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("plugins");
  TCase *tc = tcase_create ("loader");
  tcase_add_test (tc, test_good_plugin_loads);
  tcase_add_test (tc, test_abi_major_refused);
  tcase_add_test (tc, test_abi_newer_minor_refused);
  tcase_add_test (tc, test_taken_name_refused_whole);
  tcase_add_test (tc, test_init_failure_listed);
  tcase_add_test (tc, test_not_a_plugin_refused);
  tcase_add_test (tc, test_load_dirs_records_everything);
  tcase_add_test (tc, test_search_path_order);
  tcase_add_test (tc, test_resolve_selection);
  suite_add_tcase (s, tc);
  return nt_test_run_suite (s);
}
