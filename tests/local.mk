# Check suites. Every test sees only the build tree's plugins.
include $(srcdir)/tests/plugins/local.mk
include $(srcdir)/tests/checkpoint.mk
include $(srcdir)/tests/data.mk
include $(srcdir)/tests/layers.mk
include $(srcdir)/tests/attack.mk
include $(srcdir)/tests/null.mk
include $(srcdir)/tests/figures.mk

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

check_PROGRAMS += tests/test-train
TESTS += tests/test-train
tests_test_train_SOURCES = tests/test-train.c $(NT_TEST_UTIL)
tests_test_train_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_train_LDADD = $(NT_TEST_LDADD)

# Benchmarks: built by 'make bench' (never by 'make check'), then run.
EXTRA_PROGRAMS += tests/bench/bench-train
tests_bench_bench_train_SOURCES = tests/bench/bench-train.c
tests_bench_bench_train_LDADD = core/libnulltool.la $(GLIB_LIBS) -lm
CLEANFILES += $(EXTRA_PROGRAMS)

bench: $(EXTRA_PROGRAMS) all
	NULLTOOL_MNIST_DIR="$${NULLTOOL_MNIST_DIR:-$(abs_top_srcdir)/data/mnist}" \
	  ./tests/bench/bench-train $${BENCH_STEPS:-300} $${BENCH_BACKEND:-cpu}
.PHONY: bench
include $(srcdir)/tests/study-figures.mk

check_PROGRAMS += tests/test-experiment
TESTS += tests/test-experiment
tests_test_experiment_SOURCES = tests/test-experiment.c $(NT_TEST_UTIL)
tests_test_experiment_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_experiment_LDADD = $(NT_TEST_LDADD)
