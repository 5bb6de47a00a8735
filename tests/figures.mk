# Figure renderers (PLplot): the common module, the null-examples figure
# and the ramp figures. Included from tests/local.mk.
check_PROGRAMS += tests/test-figures
TESTS += tests/test-figures
tests_test_figures_SOURCES = tests/test-figures.c $(NT_TEST_UTIL)
tests_test_figures_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/figures
tests_test_figures_CFLAGS = $(NT_TEST_CFLAGS) $(PLPLOT_CFLAGS)
tests_test_figures_LDADD = figures/libntfigures.la $(NT_TEST_LDADD) \
	$(PLPLOT_LIBS)
