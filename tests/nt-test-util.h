/* nt-test-util.h: helpers shared by the Check suites. */
#ifndef NT_TEST_UTIL_H
#define NT_TEST_UTIL_H

#include <glib.h>
#include <check.h>
#include "nt-registry.h"
#include "nt-backend.h"

/* $NT_TOP_BUILDDIR / $NT_TOP_SRCDIR (set by make check); falls back to "."
 * and the source dir compiled in. Owned by the helper. */
const char *nt_test_builddir (void);
const char *nt_test_srcdir (void);

/* A registry holding only the build tree's plugins (plugins/ and backends/),
 * never installed ones nor $NULLTOOL_PLUGIN_PATH. Caller frees. */
NtRegistry *nt_test_registry (void);

/* The build tree's backend named by `selection` with its options (e.g.
 * "cpu", "cpu:threads=1" or "cuda"), aborting the test with a message if it
 * cannot open. */
NtBackend *nt_test_backend (NtRegistry *registry, const char *selection);

/* Fails the test unless `be` syncs without error; `what` names the step
 * in the message, with the backend's name. */
void nt_test_assert_synced (NtBackend *be, const char *what);

/* A buffer of `count` elements on `be`, holding `src` when not NULL (else
 * uninitialised); fails the test when the allocation fails. */
NtBuffer *nt_test_buf (NtBackend *be, const float *src, gsize count);

/* A buffer of `count` elements on `be` filled with NaN, to prove that an
 * output is overwritten. */
NtBuffer *nt_test_buf_nan (NtBackend *be, gsize count);

/* The first `count` elements of `b` on `be` (caller frees; never NULL, even
 * for count 0); fails the test when the download fails. */
float *nt_test_buf_get (NtBackend *be, const NtBuffer *b, gsize count);

/* `count` floats drawn in order by g_rand_double_range (r, lo, hi), so a
 * seeded GRand gives the same array every run (caller frees; never NULL). */
float *nt_test_rand_array (GRand *r, gsize count, double lo, double hi);

/* Path of the real MNIST directory when all four files are present
 * ($NULLTOOL_MNIST_DIR, else <srcdir>/data/mnist), else NULL. Caller frees. */
char *nt_test_mnist_dir (void);

/* Removes `path` and, for a folder, everything below it (test temp
 * folders). */
void nt_test_rm_rf (const char *path);

/* Runs the suite with Check's normal output; returns the process exit
 * status (EXIT_SUCCESS when every test passed). */
int nt_test_run_suite (Suite *suite);

#endif
