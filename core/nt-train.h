/* nt-train.h: training a network on a dataset (PROTOCOL.md "Training"), and
 * evaluating it.
 *
 * Each step draws a batch of digits at random (without replacement inside a
 * batch, independently between batches), runs forward and backward with
 * dropout, and takes an Adam step. After every epoch the network is
 * validated on the test split; the parameters with the best validation loss
 * are written to the checkpoint, and one line per epoch to the history
 * CSV. */
#ifndef NT_TRAIN_H
#define NT_TRAIN_H

#include <glib.h>
#include "nt-dataset.h"
#include "nt-model.h"
#include "nt-null.h"

G_BEGIN_DECLS

#define NT_TRAIN_ERROR (nt_train_error_quark ())
GQuark nt_train_error_quark (void);

typedef enum {
  NT_TRAIN_ERROR_CONFIG,     /* impossible settings */
  NT_TRAIN_ERROR_DIVERGED,   /* the loss became NaN or infinite */
  NT_TRAIN_ERROR_IO          /* history file cannot be written */
} NtTrainError;

typedef struct {
  int epochs;                 /* 20 */
  int batch;                  /* 32 */
  gsize steps_per_epoch;      /* 0: n_train / batch (1875 for MNIST) */
  gsize val_limit;            /* 0: the whole test split */
  double lr, beta1, beta2, eps;   /* Adam: 1e-3, 0.9, 0.999, 1e-8 */
  guint64 seed;               /* run seed */
  guint set;                  /* set index (mixed into every RNG) */
  NtNullMix *nulls;           /* null samples mixed in, or NULL for none */
  const char *model;          /* canonical model selection, for the file */
  const char *checkpoint_path;    /* best-validation checkpoint, or NULL */
  const char *history_path;       /* CSV, or NULL */
  const char *const *meta;    /* extra checkpoint metadata: k, v, ..., NULL */
  gboolean progress;          /* progress bars on stderr */
} NtTrainConfig;

/* Fills `cfg` with the paper's settings. */
void nt_train_config_init (NtTrainConfig *cfg);

typedef struct {
  int epoch;                  /* 1-based */
  double train_loss, train_accuracy;
  double val_loss, val_accuracy;   /* on test digits and nulls mixed */
  double val_digit_accuracy;       /* on the test digits alone */
  double seconds;             /* training time of the epoch */
  double images_per_second;
} NtEpochStats;

/* Trains `net` (already initialised) on `ds`. *history_out (optional,
 * caller frees) gets one NtEpochStats per epoch. Fails on bad settings, a
 * diverging loss (nothing more is written then), a backend failure or a file
 * that cannot be written. */
gboolean nt_train (NtNetwork *net, NtDataset *ds, const NtTrainConfig *cfg,
                   GArray **history_out, GError **error);

typedef struct {
  gsize n;                    /* samples evaluated (digits + nulls) */
  gsize n_null;               /* of which null samples */
  double loss;                /* mean cross-entropy over all */
  double accuracy;            /* fraction predicted as their label */
  double digit_accuracy;      /* the same over the real samples only */
  double null_recognised;     /* fraction of null samples predicted null */
  int n_rows, n_cols;         /* true labels x predicted outputs */
  guint64 *confusion;         /* n_rows * n_cols counts (caller frees) */
} NtEvalResult;

/* Evaluates `net` (dropout off) on the first `limit` samples of `split`
 * (0: all), in order, then, when `nulls` has strategies, on null samples
 * in the proportion p_null of the whole (drawn from a generator seeded with
 * `null_seed`, so every call sees the same ones). Rows of the confusion
 * matrix are the dataset's labels (plus a null row when nulls are used),
 * columns the network's outputs (the last is the null class when outputs >
 * classes). */
gboolean nt_evaluate (NtNetwork *net, NtDataset *ds, NtSplit split,
                      gsize limit, NtNullMix *nulls, guint64 null_seed,
                      NtEvalResult *out, GError **error);
void nt_eval_result_clear (NtEvalResult *r);

G_END_DECLS
#endif
