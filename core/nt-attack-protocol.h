/* nt-attack-protocol.h: the study's attack protocol on one set of models
 * (PROTOCOL.md, "Attack and scoring").
 *
 * Source selection: the set's test stream (nt_protocol_stream_start) is
 * read in order; the images the baseline classifies correctly get a
 * threshold search on the baseline, and those with a threshold become the
 * set's source images until images_per_set are found. The search keeps,
 * per image, its threshold and the attack's prepared state (FGSM: its sign
 * direction); every later use of the image applies exactly those.
 *
 * Then, per protocol, every model of the set is scored on the source
 * images, correct / misclassified / unclassified (predicted null):
 *   transfer  the baseline's threshold images and directions, for every
 *             model (the study's protocol);
 *   whitebox  each model's own threshold search, from its own gradients.
 * plus the same counts over the epsilon sweep 0, step, ..., 1.
 *
 * Exactness: attack gradients and predictions are per-sample (see
 * nt_attack_input_gradient and nt_attack_forward_argmax), so thresholds and
 * scores do not depend on the networks' max_batch or on the chunking, and
 * every model is wrong at its own threshold by construction. The protocol
 * measures that: a model classifying one of its own threshold images
 * correctly (the baseline in transfer, any model in whitebox) is an error,
 * never a number.
 *
 * Files (in out_dir, each written atomically): set-SS-PROTO-per-sample.csv,
 * -scores.csv and -sweep.csv, with the columns of nt-experiment.h. */
#ifndef NT_ATTACK_PROTOCOL_H
#define NT_ATTACK_PROTOCOL_H

#include <glib.h>
#include "nt-attack.h"
#include "nt-dataset.h"
#include "nt-network.h"
#include "nt-registry.h"

G_BEGIN_DECLS

#define NT_PROTOCOL_ERROR (nt_protocol_error_quark ())
GQuark nt_protocol_error_quark (void);

typedef enum {
  NT_PROTOCOL_ERROR_INVALID,     /* bad arguments (no baseline, ...) */
  NT_PROTOCOL_ERROR_NOT_EXACT    /* a model correct at its own threshold */
} NtProtocolError;

/* What the protocol does for a set. Strings are borrowed. */
typedef struct {
  const char *attack;                 /* attack selection, e.g. "fgsm" */
  const char *const *protocols;       /* "transfer" and/or "whitebox" */
  int images_per_set;                 /* source images wanted per set */
  NtThresholdMethod search;
  double resolution;                  /* threshold resolution (1e-3) */
  double sweep_step;                  /* eps step of the sweep (0.02) */
  gboolean progress;                  /* progress bars on stderr */
} NtProtocolConfig;

/* Where set `set` starts reading the test stream: image
 * (set x images_per_set) mod n_test. The study continued one stream across
 * sets; a fixed start per set keeps that spacing (each set takes slightly
 * more than images_per_set images, as the baseline misses a few) while
 * making every set reproducible on its own, in any order, on any machine.
 * A set's stream wraps around the end of the test split and stops after
 * one full pass. */
gsize nt_protocol_stream_start (int set, int images_per_set, gsize n_test);

/* What a set's run read from the stream. */
typedef struct {
  gsize stream_start;     /* first test image read */
  gsize stream_read;      /* test images read (stream order, with wrap) */
  int images;             /* source images found (<= images_per_set) */
} NtProtocolSetInfo;

/* Runs the protocol on the n_models networks `nets` of set `set` (one
 * backend; named by `types`, which must include "baseline"), with test
 * images from `ds`, and writes the set's raw result files into out_dir.
 * `info` (may be NULL) receives what was read. */
gboolean nt_protocol_run_set (NtRegistry *registry, NtDataset *ds,
                              const NtProtocolConfig *cfg,
                              NtNetwork *const *nets,
                              const char *const *types, guint n_models,
                              int set, const char *out_dir,
                              NtProtocolSetInfo *info, GError **error);

G_END_DECLS
#endif
