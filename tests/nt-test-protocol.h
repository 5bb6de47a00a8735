/* nt-test-protocol.h: the attack protocol's exactness check, shared by the
 * CPU suite (test-attack-exact) and the CUDA parity suite. */
#ifndef NT_TEST_PROTOCOL_H
#define NT_TEST_PROTOCOL_H

#include <glib.h>
#include "nt-registry.h"
#include "nt-backend.h"

/* Trains a baseline and a null model (`null_type`) of `model` on `dataset`
 * for `steps` steps on `be`, then runs the attack protocol (fgsm, transfer
 * and white-box, `images` source images of set `set`) twice: with networks
 * of max_batch 64 and of max_batch `small_batch`. Fails the test unless
 * both runs write byte-identical files, the baseline misclassifies every one
 * of its own transfer threshold images (counted from the files), every model
 * is wrong at its own white-box threshold, and the baseline's white-box
 * thresholds equal its transfer ones. Files go below `dir`. */
void nt_test_check_protocol_exact (NtRegistry *reg, NtBackend *be,
                                   const char *dataset, const char *model,
                                   const char *null_type, int steps,
                                   int images, int set, int small_batch,
                                   const char *dir);

#endif
