# Fuzz targets: one per loader or parser that reads outside input
# (tests/fuzz/nt-fuzz.h says how they are written). Each target is built
#   - in every build as tests/fuzz/replay-NAME, a 'make check' test that
#     feeds it each seed of tests/fuzz/corpus/NAME once;
#   - in a Clang build configured with --enable-fuzzing as
#     tests/fuzz/fuzz-NAME, a libFuzzer program that 'make fuzz-smoke' runs
#     for NT_FUZZ_SECONDS (10) seconds each, starting from the seeds, and
#     that fails on any crash, leak, timeout or failed property.
# 'make fuzz-corpus' rewrites the seeds (tests/fuzz/nt-fuzz-seeds.c).
NT_FUZZ_NAMES = idx csv options checkpoint model-file
NT_FUZZ_COMMON = tests/fuzz/nt-fuzz.h tests/fuzz/nt-fuzz-util.c
NT_FUZZ_CPPFLAGS = $(AM_CPPFLAGS) \
	-DNT_FUZZ_BUILDDIR='"$(abs_top_builddir)"' \
	-DNT_FUZZ_SRCDIR='"$(abs_top_srcdir)"'
NT_FUZZ_LDADD = core/libnulltool.la $(GLIB_LIBS) -lm
# what the model-file target (and the seed writer) load from the build tree
NT_FUZZ_PLUGINS = plugins/model-cnn/nt-model-cnn.la \
	plugins/model-ramp-cnn/nt-model-ramp-cnn.la \
	backends/cpu/nt-backend-cpu.la
EXTRA_DIST += tests/fuzz/corpus

NT_FUZZ_REPLAYS = tests/fuzz/replay-idx tests/fuzz/replay-csv \
	tests/fuzz/replay-options tests/fuzz/replay-checkpoint \
	tests/fuzz/replay-model-file
check_PROGRAMS += $(NT_FUZZ_REPLAYS) tests/fuzz/nt-fuzz-seeds
TESTS += $(NT_FUZZ_REPLAYS)

tests_fuzz_replay_idx_SOURCES = tests/fuzz/fuzz-idx.c \
	tests/fuzz/nt-fuzz-replay.c $(NT_FUZZ_COMMON)
tests_fuzz_replay_idx_CPPFLAGS = $(NT_FUZZ_CPPFLAGS) -DNT_FUZZ_NAME='"idx"'
tests_fuzz_replay_idx_LDADD = $(NT_FUZZ_LDADD)

tests_fuzz_replay_csv_SOURCES = tests/fuzz/fuzz-csv.c \
	tests/fuzz/nt-fuzz-replay.c $(NT_FUZZ_COMMON)
tests_fuzz_replay_csv_CPPFLAGS = $(NT_FUZZ_CPPFLAGS) -DNT_FUZZ_NAME='"csv"'
tests_fuzz_replay_csv_LDADD = $(NT_FUZZ_LDADD)

tests_fuzz_replay_options_SOURCES = tests/fuzz/fuzz-options.c \
	tests/fuzz/nt-fuzz-replay.c $(NT_FUZZ_COMMON)
tests_fuzz_replay_options_CPPFLAGS = $(NT_FUZZ_CPPFLAGS) \
	-DNT_FUZZ_NAME='"options"'
tests_fuzz_replay_options_LDADD = $(NT_FUZZ_LDADD)

tests_fuzz_replay_checkpoint_SOURCES = tests/fuzz/fuzz-checkpoint.c \
	tests/fuzz/nt-fuzz-replay.c $(NT_FUZZ_COMMON)
tests_fuzz_replay_checkpoint_CPPFLAGS = $(NT_FUZZ_CPPFLAGS) \
	-DNT_FUZZ_NAME='"checkpoint"'
tests_fuzz_replay_checkpoint_LDADD = $(NT_FUZZ_LDADD)

tests_fuzz_replay_model_file_SOURCES = tests/fuzz/fuzz-model-file.c \
	tests/fuzz/nt-fuzz-replay.c $(NT_FUZZ_COMMON)
tests_fuzz_replay_model_file_CPPFLAGS = $(NT_FUZZ_CPPFLAGS) \
	-DNT_FUZZ_NAME='"model-file"'
tests_fuzz_replay_model_file_LDADD = $(NT_FUZZ_LDADD)
EXTRA_tests_fuzz_replay_model_file_DEPENDENCIES = $(NT_FUZZ_PLUGINS)

tests_fuzz_nt_fuzz_seeds_SOURCES = tests/fuzz/nt-fuzz-seeds.c \
	$(NT_FUZZ_COMMON)
tests_fuzz_nt_fuzz_seeds_CPPFLAGS = $(NT_FUZZ_CPPFLAGS)
tests_fuzz_nt_fuzz_seeds_LDADD = $(NT_FUZZ_LDADD)
EXTRA_tests_fuzz_nt_fuzz_seeds_DEPENDENCIES = $(NT_FUZZ_PLUGINS)

fuzz-corpus: tests/fuzz/nt-fuzz-seeds$(EXEEXT) $(NT_FUZZ_PLUGINS)
	NT_TOP_BUILDDIR='$(abs_top_builddir)' \
	  ./tests/fuzz/nt-fuzz-seeds $(srcdir)/tests/fuzz/corpus

# The libFuzzer programs. -no-install: real executables (no libtool
# wrapper script) that find the build tree's libnulltool by their rpath.
NT_FUZZ_SECONDS = 10
if NT_FUZZING
NT_FUZZERS = tests/fuzz/fuzz-idx tests/fuzz/fuzz-csv \
	tests/fuzz/fuzz-options tests/fuzz/fuzz-checkpoint \
	tests/fuzz/fuzz-model-file
noinst_PROGRAMS += $(NT_FUZZERS)
NT_FUZZ_LINK = $(AM_LDFLAGS) $(NT_FUZZ_LDFLAGS) -no-install

tests_fuzz_fuzz_idx_SOURCES = tests/fuzz/fuzz-idx.c $(NT_FUZZ_COMMON)
tests_fuzz_fuzz_idx_CPPFLAGS = $(NT_FUZZ_CPPFLAGS)
tests_fuzz_fuzz_idx_LDFLAGS = $(NT_FUZZ_LINK)
tests_fuzz_fuzz_idx_LDADD = $(NT_FUZZ_LDADD)

tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/fuzz-csv.c $(NT_FUZZ_COMMON)
tests_fuzz_fuzz_csv_CPPFLAGS = $(NT_FUZZ_CPPFLAGS)
tests_fuzz_fuzz_csv_LDFLAGS = $(NT_FUZZ_LINK)
tests_fuzz_fuzz_csv_LDADD = $(NT_FUZZ_LDADD)

tests_fuzz_fuzz_options_SOURCES = tests/fuzz/fuzz-options.c $(NT_FUZZ_COMMON)
tests_fuzz_fuzz_options_CPPFLAGS = $(NT_FUZZ_CPPFLAGS)
tests_fuzz_fuzz_options_LDFLAGS = $(NT_FUZZ_LINK)
tests_fuzz_fuzz_options_LDADD = $(NT_FUZZ_LDADD)

tests_fuzz_fuzz_checkpoint_SOURCES = tests/fuzz/fuzz-checkpoint.c \
	$(NT_FUZZ_COMMON)
tests_fuzz_fuzz_checkpoint_CPPFLAGS = $(NT_FUZZ_CPPFLAGS)
tests_fuzz_fuzz_checkpoint_LDFLAGS = $(NT_FUZZ_LINK)
tests_fuzz_fuzz_checkpoint_LDADD = $(NT_FUZZ_LDADD)

tests_fuzz_fuzz_model_file_SOURCES = tests/fuzz/fuzz-model-file.c \
	$(NT_FUZZ_COMMON)
tests_fuzz_fuzz_model_file_CPPFLAGS = $(NT_FUZZ_CPPFLAGS)
tests_fuzz_fuzz_model_file_LDFLAGS = $(NT_FUZZ_LINK)
tests_fuzz_fuzz_model_file_LDADD = $(NT_FUZZ_LDADD)
EXTRA_tests_fuzz_fuzz_model_file_DEPENDENCIES = $(NT_FUZZ_PLUGINS)

# Each target starts from its seeds (a fresh working corpus every run) and
# stops after NT_FUZZ_SECONDS. libFuzzer's own limits stay on: an input
# that runs over 30 s, or a process over 2 GB, or one malloc over 2 GB,
# counts as a crash. A crashing input is kept as tests/fuzz/crash-NAME-*;
# 'tests/fuzz/fuzz-NAME FILE' replays it.
fuzz-smoke: $(NT_FUZZERS) $(NT_FUZZ_PLUGINS)
	@fail=; for t in $(NT_FUZZ_NAMES); do \
	  work=tests/fuzz/work/$$t; rm -rf $$work; $(MKDIR_P) $$work; \
	  echo "fuzz-smoke: $$t, $(NT_FUZZ_SECONDS) s"; \
	  if NT_TOP_BUILDDIR='$(abs_top_builddir)' \
	     ASAN_OPTIONS=detect_leaks=1 \
	     LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/sanitizers/lsan.supp' \
	     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	     ./tests/fuzz/fuzz-$$t -max_total_time=$(NT_FUZZ_SECONDS) \
	       -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
	       -artifact_prefix=tests/fuzz/crash-$$t- \
	       $$work $(srcdir)/tests/fuzz/corpus/$$t \
	       > tests/fuzz/fuzz-$$t.log 2>&1; then \
	    grep -E '^stat::number_of_executed_units' tests/fuzz/fuzz-$$t.log; \
	  else \
	    tail -n 60 tests/fuzz/fuzz-$$t.log; fail="$$fail $$t"; \
	  fi; \
	done; \
	if test -n "$$fail"; then \
	  echo "fuzz-smoke: FAILED:$$fail (logs tests/fuzz/fuzz-*.log," \
	    "inputs tests/fuzz/crash-*)"; exit 1; \
	fi; \
	echo "fuzz-smoke: all $(words $(NT_FUZZ_NAMES)) targets passed"
else
fuzz-smoke:
	@echo "make fuzz-smoke needs a Clang build with libFuzzer, e.g.:" >&2
	@echo "  mkdir build-fuzz && cd build-fuzz &&" \
	  "CC=clang ../configure --enable-fuzzing --with-cuda=no &&" \
	  "make fuzz-smoke" >&2
	@exit 1
endif
.PHONY: fuzz-smoke fuzz-corpus
CLEANFILES += tests/fuzz/fuzz-*.log

clean-local: clean-fuzz
clean-fuzz:
	-rm -rf tests/fuzz/work tests/fuzz/crash-*
.PHONY: clean-fuzz
