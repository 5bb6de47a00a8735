# Attacks, the threshold search and scoring. Included from tests/local.mk.
check_PROGRAMS += tests/test-attack
TESTS += tests/test-attack
tests_test_attack_SOURCES = tests/test-attack.c $(NT_TEST_UTIL)
tests_test_attack_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_attack_LDADD = $(NT_TEST_LDADD)
