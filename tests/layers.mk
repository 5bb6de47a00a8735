# Layers, networks, Adam and the model plugins (uses NT_TEST_CFLAGS and
# NT_TEST_LDADD from tests/local.mk). Both load the CPU backend (and the
# model plugins) from the build tree.
check_PROGRAMS += tests/test-layers tests/test-models
TESTS += tests/test-layers tests/test-models

tests_test_layers_SOURCES = tests/test-layers.c $(NT_TEST_UTIL)
tests_test_layers_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_layers_LDADD = $(NT_TEST_LDADD)
EXTRA_tests_test_layers_DEPENDENCIES = backends/cpu/nt-backend-cpu.la

tests_test_models_SOURCES = tests/test-models.c $(NT_TEST_UTIL)
tests_test_models_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_models_LDADD = $(NT_TEST_LDADD)
EXTRA_tests_test_models_DEPENDENCIES = backends/cpu/nt-backend-cpu.la \
	plugins/model-cnn/nt-model-cnn.la \
	plugins/model-ramp-cnn/nt-model-ramp-cnn.la
