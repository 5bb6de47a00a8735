# The study's figures from a synthetic run directory (nulltool plot).
# Included from tests/local.mk.
check_PROGRAMS += tests/test-study-figures
TESTS += tests/test-study-figures
tests_test_study_figures_SOURCES = tests/test-study-figures.c $(NT_TEST_UTIL)
tests_test_study_figures_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/figures
tests_test_study_figures_CFLAGS = $(NT_TEST_CFLAGS) $(PLPLOT_CFLAGS)
tests_test_study_figures_LDADD = figures/libntfigures.la $(NT_TEST_LDADD) \
	$(PLPLOT_LIBS)
