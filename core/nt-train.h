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
  double val_loss, val_accuracy;
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
  gsize n;                    /* samples evaluated */
  double loss;                /* mean cross-entropy */
  double accuracy;            /* fraction predicted as their label */
  int n_rows, n_cols;         /* true labels x predicted outputs */
  guint64 *confusion;         /* n_rows * n_cols counts (caller frees) */
} NtEvalResult;

/* Evaluates `net` (dropout off) on the first `limit` samples of `split`
 * (0: all). Rows of the confusion matrix are the dataset's labels, columns
 * the network's outputs (the last one is the null class when outputs >
 * classes). */
gboolean nt_evaluate (NtNetwork *net, NtDataset *ds, NtSplit split,
                      gsize limit, NtEvalResult *out, GError **error);
void nt_eval_result_clear (NtEvalResult *r);

G_END_DECLS
#endif
