# CPU backend: the "cpu" backend plugin (CBLAS GEMM, im2col convolutions,
# OpenMP loops) and its op-by-op test against naive references.
plugins_LTLIBRARIES += backends/cpu/nt-backend-cpu.la
backends_cpu_nt_backend_cpu_la_SOURCES = \
	backends/cpu/nt-backend-cpu.c \
	backends/cpu/nt-backend-cpu-conv.c \
	backends/cpu/nt-backend-cpu-eltwise.c \
	backends/cpu/nt-backend-cpu-gemm.c \
	backends/cpu/nt-backend-cpu-winograd.c \
	backends/cpu/nt-backend-cpu-private.h \
	backends/nt-backend-util.c backends/nt-backend-util.h
# NT_CPU_OPT_CFLAGS: those of -ftree-vectorize -fvect-cost-model=dynamic
# -fno-math-errno that the compiler accepts (configure tries each; the cost
# model flag is GCC's alone), plus -Wno-unknown-pragmas where '#pragma GCC
# ivdep' is unknown (Clang).
# -fvect-cost-model=dynamic: -O2 alone vectorises only loops that need no
# runtime alias or trip-count checks, which left every element-wise loop
# scalar. -fno-math-errno: sqrtf may then be a vector instruction (Adam's
# loop stayed scalar for the errno of a negative argument, which it never
# has); nothing here reads errno after a math function.
backends_cpu_nt_backend_cpu_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/backends
backends_cpu_nt_backend_cpu_la_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS) \
	$(NT_CPU_OPT_CFLAGS) $(OPENMP_CFLAGS)
backends_cpu_nt_backend_cpu_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS) $(OPENMP_CFLAGS)
backends_cpu_nt_backend_cpu_la_LIBADD = $(NT_PLUGIN_LIBADD) $(BLAS_LIBS) -lm

check_PROGRAMS += tests/test-cpu-ops
TESTS += tests/test-cpu-ops
tests_test_cpu_ops_SOURCES = tests/test-cpu-ops.c \
	tests/nt-ref-ops.c tests/nt-ref-ops.h $(NT_TEST_UTIL)
# NT_TEST_CFLAGS / NT_TEST_LDADD come from tests/local.mk
tests_test_cpu_ops_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_cpu_ops_LDADD = $(NT_TEST_LDADD)
# the test loads the plugin from the build tree
EXTRA_tests_test_cpu_ops_DEPENDENCIES = backends/cpu/nt-backend-cpu.la
