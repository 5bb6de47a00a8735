# Attacks, the threshold search and scoring. Included from tests/local.mk.
check_PROGRAMS += tests/test-attack
TESTS += tests/test-attack
tests_test_attack_SOURCES = tests/test-attack.c $(NT_TEST_UTIL)
tests_test_attack_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_attack_LDADD = $(NT_TEST_LDADD)

# The exact attack protocol: saturated loss gradients, batch invariance,
# the baseline wrong at its own threshold. nt-test-protocol.c is shared with
# the CUDA parity suite.
check_PROGRAMS += tests/test-attack-exact
TESTS += tests/test-attack-exact
tests_test_attack_exact_SOURCES = tests/test-attack-exact.c \
	tests/nt-test-protocol.c tests/nt-test-protocol.h $(NT_TEST_UTIL)
tests_test_attack_exact_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_attack_exact_LDADD = $(NT_TEST_LDADD)
