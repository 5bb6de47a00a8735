# Null-class strategies and the batch mixer. Included from tests/local.mk.
check_PROGRAMS += tests/test-null
TESTS += tests/test-null
tests_test_null_SOURCES = tests/test-null.c $(NT_TEST_UTIL)
tests_test_null_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_null_LDADD = $(NT_TEST_LDADD)
