# Check suites. Every test sees only the build tree's plugins.
include $(srcdir)/tests/plugins/local.mk
include $(srcdir)/tests/checkpoint.mk
include $(srcdir)/tests/data.mk
include $(srcdir)/tests/layers.mk
include $(srcdir)/tests/attack.mk
include $(srcdir)/tests/null.mk
include $(srcdir)/tests/figures.mk
include $(srcdir)/tests/fuzz/local.mk

# --enable-sanitizers: the options every suite runs with (Makefile.am adds
# them to AM_TESTS_ENVIRONMENT). allocator_may_return_null: suites ask for
# absurd sizes on purpose (test-cpu-ops: G_MAXSIZE / 16 floats) to prove
# that the code reports the failure, where ASan would stop the process
# instead of returning NULL. The suppressions are one-time caches of other
# libraries only (tests/sanitizers/lsan.supp says which). UBSan stops at
# its first finding.
EXTRA_DIST += tests/sanitizers/lsan.supp
if NT_SANITIZERS
NT_SANITIZER_TESTS_ENVIRONMENT = \
	ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1; export ASAN_OPTIONS; \
	LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/sanitizers/lsan.supp:print_suppressions=0'; export LSAN_OPTIONS; \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1; export UBSAN_OPTIONS;
endif

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
# bench-cpu measures the study's workloads (training, threshold search,
# sweep), the GEMM peak and its peak memory, then runs the same workloads in
# PyTorch (tests/bench/bench-pytorch.py, Debian's python3-torch, a reference
# only: nulltool never depends on it) and prints both side by side.
# Overrides: BENCH_STEPS (1875: one epoch, the study's unit; denormals
# appear only once training converges), BENCH_BACKEND (cpu:threads=2),
# BENCH_SEARCH_IMAGES (512), BENCH_SWEEP_IMAGES (256), BENCH_SWEEP_MODELS (2),
# BENCH_PYTHON (/usr/bin/python3), BENCH_PYTORCH_SCRIPT (empty: no PyTorch).
EXTRA_PROGRAMS += tests/bench/bench-cpu
tests_bench_bench_cpu_SOURCES = tests/bench/bench-cpu.c
tests_bench_bench_cpu_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
tests_bench_bench_cpu_LDADD = core/libnulltool.la $(GLIB_LIBS) $(BLAS_LIBS) -lm
EXTRA_DIST += tests/bench/bench-pytorch.py
CLEANFILES += $(EXTRA_PROGRAMS)

# With the CUDA backend built, 'make bench' also runs bench-cuda
# (backends/cuda/local.mk).
if BUILD_CUDA
NT_BENCH_CUDA = bench-cuda
endif

bench: $(EXTRA_PROGRAMS) all
	NULLTOOL_MNIST_DIR="$${NULLTOOL_MNIST_DIR:-$(abs_top_srcdir)/data/mnist}" \
	BENCH_PYTORCH_SCRIPT="$${BENCH_PYTORCH_SCRIPT-$(abs_top_srcdir)/tests/bench/bench-pytorch.py}" \
	  ./tests/bench/bench-cpu $${BENCH_STEPS:-1875} \
	    "$${BENCH_BACKEND:-cpu:threads=2}"
	@if test -n "$(NT_BENCH_CUDA)"; then \
	  $(MAKE) $(AM_MAKEFLAGS) $(NT_BENCH_CUDA); \
	fi
.PHONY: bench
include $(srcdir)/tests/study-figures.mk

check_PROGRAMS += tests/test-experiment
TESTS += tests/test-experiment
tests_test_experiment_SOURCES = tests/test-experiment.c $(NT_TEST_UTIL)
# reads results/summary.json with json-glib
tests_test_experiment_CFLAGS = $(NT_TEST_CFLAGS) $(JSON_GLIB_CFLAGS)
tests_test_experiment_LDADD = $(NT_TEST_LDADD) $(JSON_GLIB_LIBS)

# The nulltool program as a user runs it (exit statuses and messages), on
# the ramp toy: no MNIST needed.
TESTS += tests/check-cli.sh
EXTRA_DIST += tests/check-cli.sh
