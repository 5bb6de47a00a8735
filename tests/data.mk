# Dataset tests: the IDX reader and mnist plugin (with the bad-file corpus),
# the ramp toy, and the MNIST fetch script. Included from tests/local.mk.
check_PROGRAMS += tests/test-mnist tests/test-ramp
TESTS += tests/test-mnist tests/test-ramp tests/check-fetch-mnist.sh

tests_test_mnist_SOURCES = tests/test-mnist.c $(NT_TEST_UTIL)
tests_test_mnist_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_mnist_LDADD = $(NT_TEST_LDADD)

tests_test_ramp_SOURCES = tests/test-ramp.c $(NT_TEST_UTIL)
tests_test_ramp_CFLAGS = $(NT_TEST_CFLAGS)
tests_test_ramp_LDADD = $(NT_TEST_LDADD)

# Small damaged IDX files; tests/make-bad-idx.sh regenerates them.
NT_BAD_IDX = \
	tests/data/bad-idx/absurd-images.idx \
	tests/data/bad-idx/bad-image-size.idx \
	tests/data/bad-idx/bad-label.idx \
	tests/data/bad-idx/bad-magic.idx \
	tests/data/bad-idx/bad-ndims-images.idx \
	tests/data/bad-idx/bad-ndims-labels.idx \
	tests/data/bad-idx/bad-type.idx \
	tests/data/bad-idx/corrupt-images.idx.gz \
	tests/data/bad-idx/empty.idx \
	tests/data/bad-idx/huge-claim-images.idx \
	tests/data/bad-idx/huge-claim-images.idx.gz \
	tests/data/bad-idx/labels-count-4.idx \
	tests/data/bad-idx/trailing-images.idx \
	tests/data/bad-idx/trailing-labels.idx \
	tests/data/bad-idx/trailing-labels.idx.gz \
	tests/data/bad-idx/truncated-header.idx \
	tests/data/bad-idx/truncated-images.idx \
	tests/data/bad-idx/truncated-images.idx.gz

EXTRA_DIST += $(NT_BAD_IDX) tests/make-bad-idx.sh tests/check-fetch-mnist.sh
