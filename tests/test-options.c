/* test-options.c: the option parser accepts good selections and rejects
 * each kind of bad one with the right error code. */
#include "config.h"
#include "nt-options.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const char *const modes[] = { "transfer", "whitebox", NULL };

static const NtOptionSpec specs[] = {
  { "threads", NT_OPTION_INT, "0", 0, 256, NULL, "threads" },
  { "eps", NT_OPTION_DOUBLE, "0.1", 0, 1, NULL, "step" },
  { "random", NT_OPTION_BOOL, "false", NT_OPTION_NO_RANGE, NULL, "start" },
  { "dir", NT_OPTION_STRING, NULL, NT_OPTION_NO_RANGE, NULL, "folder" },
  { "protocol", NT_OPTION_CHOICE, "transfer", NT_OPTION_NO_RANGE, modes,
    "protocol" },
  { "tiles", NT_OPTION_INT_LIST, "2,4,7,14", 1, 28, NULL, "tile sizes" },
  NT_OPTION_END
};

START_TEST (test_defaults)
{
  GError *error = NULL;
  NtOptions *o = nt_options_parse (specs, NULL, &error);
  ck_assert_ptr_nonnull (o);
  ck_assert_int_eq (nt_options_get_int (o, "threads"), 0);
  ck_assert_double_eq (nt_options_get_double (o, "eps"), 0.1);
  ck_assert (!nt_options_get_bool (o, "random"));
  ck_assert (!nt_options_has (o, "dir"));
  ck_assert_ptr_null (nt_options_get_string (o, "dir"));
  ck_assert_str_eq (nt_options_get_string (o, "protocol"), "transfer");
  gsize n = 0;
  const gint64 *t = nt_options_get_int_list (o, "tiles", &n);
  ck_assert_uint_eq (n, 4);
  ck_assert_int_eq (t[0], 2);
  ck_assert_int_eq (t[3], 14);
  nt_options_free (o);
}
END_TEST

START_TEST (test_good_values)
{
  GError *error = NULL;
  NtOptions *o = nt_options_parse (
      specs, "tiles=1,28,eps=1e-3,random=yes,dir=/tmp/x y,threads=256,"
             "protocol=whitebox", &error);
  ck_assert_msg (o != NULL, "%s", error ? error->message : "");
  gsize n = 0;
  const gint64 *t = nt_options_get_int_list (o, "tiles", &n);
  ck_assert_uint_eq (n, 2);
  ck_assert_int_eq (t[0], 1);
  ck_assert_int_eq (t[1], 28);
  ck_assert_double_eq_tol (nt_options_get_double (o, "eps"), 1e-3, 1e-15);
  ck_assert (nt_options_get_bool (o, "random"));
  ck_assert_str_eq (nt_options_get_string (o, "dir"), "/tmp/x y");
  ck_assert_int_eq (nt_options_get_int (o, "threads"), 256);
  ck_assert_str_eq (nt_options_get_string (o, "protocol"), "whitebox");
  /* the canonical text parses back to the same values */
  char *text = nt_options_to_string (o);
  NtOptions *o2 = nt_options_parse (specs, text, &error);
  ck_assert_msg (o2 != NULL, "%s: %s", text, error ? error->message : "");
  char *text2 = nt_options_to_string (o2);
  ck_assert_str_eq (text, text2);
  g_free (text);
  g_free (text2);
  nt_options_free (o);
  nt_options_free (o2);
}
END_TEST

/* Each bad selection with the error code it must produce. */
static const struct {
  const char *text;
  int code;
} bad[] = {
  { "threads", NT_OPTIONS_ERROR_SYNTAX },
  { "=3", NT_OPTIONS_ERROR_SYNTAX },
  { "threads=2,,eps=0.1", NT_OPTIONS_ERROR_SYNTAX },
  { "eps=0.1,", NT_OPTIONS_ERROR_SYNTAX },
  { "colour=red", NT_OPTIONS_ERROR_UNKNOWN_KEY },
  { "Threads=2", NT_OPTIONS_ERROR_UNKNOWN_KEY },
  { "threads=two", NT_OPTIONS_ERROR_BAD_VALUE },
  { "threads=2.5", NT_OPTIONS_ERROR_BAD_VALUE },
  { "threads=", NT_OPTIONS_ERROR_BAD_VALUE },
  { "threads=99999999999999999999", NT_OPTIONS_ERROR_BAD_VALUE },
  { "eps=nan", NT_OPTIONS_ERROR_BAD_VALUE },
  { "eps=inf", NT_OPTIONS_ERROR_BAD_VALUE },
  { "eps=0.1x", NT_OPTIONS_ERROR_BAD_VALUE },
  { "random=maybe", NT_OPTIONS_ERROR_BAD_VALUE },
  { "protocol=greybox", NT_OPTIONS_ERROR_BAD_VALUE },
  { "tiles=2,x", NT_OPTIONS_ERROR_BAD_VALUE },
  { "threads=257", NT_OPTIONS_ERROR_OUT_OF_RANGE },
  { "threads=-1", NT_OPTIONS_ERROR_OUT_OF_RANGE },
  { "eps=1.5", NT_OPTIONS_ERROR_OUT_OF_RANGE },
  { "tiles=2,29", NT_OPTIONS_ERROR_OUT_OF_RANGE },
  { "tiles=0", NT_OPTIONS_ERROR_OUT_OF_RANGE },
  { "eps=0.1,eps=0.2", NT_OPTIONS_ERROR_DUPLICATE },
};

START_TEST (test_bad_values)
{
  GError *error = NULL;
  NtOptions *o = nt_options_parse (specs, bad[_i].text, &error);
  ck_assert_msg (o == NULL, "'%s' was accepted", bad[_i].text);
  ck_assert_msg (error && error->domain == NT_OPTIONS_ERROR
                     && error->code == bad[_i].code,
                 "'%s': expected code %d, got %s (%d)", bad[_i].text,
                 bad[_i].code, error ? error->message : "no error",
                 error ? error->code : -1);
  ck_assert (strlen (error->message) > 10);
  g_error_free (error);
}
END_TEST

START_TEST (test_no_options_table)
{
  GError *error = NULL;
  NtOptions *o = nt_options_parse (NULL, "", &error);
  ck_assert_ptr_nonnull (o);
  nt_options_free (o);
  ck_assert_ptr_null (nt_options_parse (NULL, "x=1", &error));
  ck_assert (g_error_matches (error, NT_OPTIONS_ERROR,
                              NT_OPTIONS_ERROR_UNKNOWN_KEY));
  ck_assert (strstr (error->message, "none"));
  g_error_free (error);
}
END_TEST

START_TEST (test_selection_split)
{
  char *name, *args;
  GError *error = NULL;
  ck_assert (nt_selection_split ("shuffle:tiles=2,4,7,14", &name, &args,
                                 &error));
  ck_assert_str_eq (name, "shuffle");
  ck_assert_str_eq (args, "tiles=2,4,7,14");
  g_free (name);
  g_free (args);
  ck_assert (nt_selection_split ("fgsm", &name, &args, &error));
  ck_assert_str_eq (name, "fgsm");
  ck_assert_str_eq (args, "");
  g_free (name);
  g_free (args);
  ck_assert (!nt_selection_split (":eps=1", &name, &args, &error));
  ck_assert (g_error_matches (error, NT_OPTIONS_ERROR,
                              NT_OPTIONS_ERROR_SYNTAX));
  g_error_free (error);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("options");
  TCase *tc = tcase_create ("parse");
  tcase_add_test (tc, test_defaults);
  tcase_add_test (tc, test_good_values);
  tcase_add_loop_test (tc, test_bad_values, 0, G_N_ELEMENTS (bad));
  tcase_add_test (tc, test_no_options_table);
  tcase_add_test (tc, test_selection_split);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
