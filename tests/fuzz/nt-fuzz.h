/* nt-fuzz.h: what the fuzz targets of tests/fuzz share.
 *
 * Each target is one file defining LLVMFuzzerTestOneInput (the libFuzzer
 * entry). It is linked two ways:
 *   - with libFuzzer (a Clang build configured with --enable-fuzzing):
 *     tests/fuzz/fuzz-NAME, run by 'make fuzz-smoke' from the seeds in
 *     tests/fuzz/corpus/NAME;
 *   - with nt-fuzz-replay.c (every build): tests/fuzz/replay-NAME, a
 *     'make check' test that feeds each seed of the corpus once, so the
 *     seeds stay valid inputs and the targets keep compiling with GCC.
 * A target must neither leak nor exit: libFuzzer runs millions of inputs in
 * one process and reports both. The loaders take file paths, so the input
 * is written to a file first (nt_fuzz_write). */
#ifndef NT_FUZZ_H
#define NT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "nt-registry.h"
#include "nt-backend.h"

G_BEGIN_DECLS

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Writes `size` bytes to the file `name` in this process's private
 * temporary folder (made on first use, removed at exit) and returns its
 * path, owned by the helper and the same for the same name. Aborts when
 * the file cannot be written: that is a broken harness, not a finding. */
const char *nt_fuzz_write (const char *name, const void *data, gsize size);

/* Calls load() on the input written as file `name`, then, when the input is
 * longer than the SHA-256 trailer of a checkpoint and that trailer does not
 * match, on a copy with the trailer made to match, so that mutated content
 * also gets past the checksum (checkpoints and model files). */
void nt_fuzz_load_checksummed (const char *name, const uint8_t *data,
                               size_t size, void (*load) (const char *path));

/* A registry holding the build tree's model plugins and cpu backend, and
 * that backend ("cpu:threads=1"), made on first use and kept for the whole
 * process (one-time state, never a per-input leak). Aborts when the build
 * tree's plugins cannot be loaded. */
NtRegistry *nt_fuzz_registry (void);
NtBackend *nt_fuzz_backend (void);

/* Stops the process with a message when a property a target checks does not
 * hold (a finding: libFuzzer saves the input that caused it). */
#define NT_FUZZ_CHECK(cond, ...)                                            \
  G_STMT_START {                                                            \
    if (G_UNLIKELY (!(cond)))                                               \
      {                                                                     \
        g_printerr ("fuzz property failed: %s: ", #cond);                   \
        g_printerr (__VA_ARGS__);                                           \
        g_printerr ("\n");                                                  \
        abort ();                                                           \
      }                                                                     \
  } G_STMT_END

G_END_DECLS
#endif
