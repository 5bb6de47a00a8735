# Checkpoint format: bit-exact round trip, damage and foreign-file detection,
# atomic save. Needs no plugins.
check_PROGRAMS += tests/test-checkpoint
TESTS += tests/test-checkpoint
tests_test_checkpoint_SOURCES = tests/test-checkpoint.c
tests_test_checkpoint_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_checkpoint_LDADD = $(NT_TEST_LDADD)
