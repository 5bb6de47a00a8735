# Check suites. Every test sees only the build tree's plugins.
include $(srcdir)/tests/plugins/local.mk

NT_TEST_UTIL = tests/nt-test-util.c tests/nt-test-util.h
NT_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-DNT_TEST_SRCDIR_FALLBACK='"$(abs_top_srcdir)"' \
	-DNT_TEST_BUILDDIR_FALLBACK='"$(abs_top_builddir)"'
NT_TEST_LDADD = core/libnulltool.la $(CHECK_LIBS) $(GLIB_LIBS) -lm

check_PROGRAMS += tests/test-plugins tests/test-options
TESTS += tests/test-plugins tests/test-options

tests_test_plugins_SOURCES = tests/test-plugins.c $(NT_TEST_UTIL)
tests_test_plugins_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_plugins_LDADD = $(NT_TEST_LDADD)
# the loader tests need the test plugins built first
EXTRA_tests_test_plugins_DEPENDENCIES = $(check_LTLIBRARIES)

tests_test_options_SOURCES = tests/test-options.c $(NT_TEST_UTIL)
tests_test_options_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_options_LDADD = $(NT_TEST_LDADD)
