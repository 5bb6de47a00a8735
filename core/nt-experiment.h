/* nt-experiment.h: a whole study as one run (PROTOCOL.md): train the grid
 * of (set, model type), run the attack protocol on every set, write the
 * results. Described by a GKeyFile (.ini); presets are shipped ini files.
 *
 * Run directory layout (every file written atomically; a rerun skips what
 * is complete, so an interrupted run resumes and ends with the same
 * results):
 *   config.ini                      the resolved configuration
 *   run.ini                         [run] backend (the backend the last
 *                                   run used, "auto" resolved) and
 *                                   selection; never compared on resume
 *   .lock                           flock()ed by the run working here;
 *                                   holds its PID and host
 *   models/set-SS/TYPE.ckpt         best-validation checkpoint (SS = set,
 *   models/set-SS/TYPE.history.csv  two digits; TYPE = baseline, u, s, m,
 *   models/set-SS/TYPE.done         us, ... as in [study] types) + marker
 *                                   ([model] test_accuracy,
 *                                   null_recognised, backend)
 *   attack/set-SS-PROTO-per-sample.csv, -scores.csv, -sweep.csv
 *                                   one set's raw results (PROTO =
 *                                   transfer or whitebox), same columns
 *                                   as the results/ files below
 *   attack/set-SS.done              marker of a finished set: where its
 *                                   test stream started, how many test
 *                                   images it read, the source images,
 *                                   the backend that made its results
 *   results/accuracy.csv            set,model,test_accuracy,null_recognised
 *   results/per-sample.csv          protocol,set,image_index,label,model,
 *                                   threshold,prediction
 *   results/scores-threshold.csv    protocol,set,model,n,correct,
 *                                   misclassified,unclassified  (counts)
 *   results/sweep.csv               protocol,set,model,eps,n,correct,
 *                                   misclassified,unclassified  (counts)
 *   results/summary-accuracy.csv    model,mean,std,median,n_sets
 *   results/summary-threshold.csv   protocol,model,correct_mean,correct_std,
 *                                   misclassified_mean,misclassified_std,
 *                                   unclassified_mean,unclassified_std (%)
 *   results/summary-sweep.csv       protocol,model,eps,correct_median,
 *                                   correct_q25,correct_q75,
 *                                   misclassified_median,..._q25,..._q75,
 *                                   unclassified_median,..._q25,..._q75 (%)
 *   results/summary-thresholds.csv  protocol,model,set,bin_lo,bin_hi,count
 *                                   (20 bins on [0, 1] of the thresholds
 *                                   of the attacked model: the baseline
 *                                   for transfer, each model for whitebox)
 *   results/summary.json            the summaries in one JSON document
 *   figures/NAME.png                rendered by `nulltool plot RUN_DIR`
 * In per-sample.csv the transfer rows hold, for every model of the set, the
 * baseline's threshold and the model's prediction at it; the whitebox rows
 * hold each model's own threshold and its prediction there (rows model by
 * model, images in stream order; thresholds with 9 significant digits, the
 * exact float). Model names are the type names; "baseline" is the model
 * without nulls.
 *
 * The attack protocol (nt-attack-protocol.h) is exact and batch-free: the
 * files do not change with [attack] batch (the attacked networks'
 * max_batch, a speed setting that may change on resume), [study] jobs, or
 * a resume; set k reads the test stream from image (k x images_per_set)
 * mod n_test, so any set can run alone (first_set). */
#ifndef NT_EXPERIMENT_H
#define NT_EXPERIMENT_H

#include <glib.h>
#include "nt-registry.h"

G_BEGIN_DECLS

#define NT_EXPERIMENT_ERROR (nt_experiment_error_quark ())
GQuark nt_experiment_error_quark (void);

typedef enum {
  NT_EXPERIMENT_ERROR_CONFIG,    /* a bad key, value or selection */
  NT_EXPERIMENT_ERROR_MISMATCH,  /* the run directory holds another config */
  NT_EXPERIMENT_ERROR_IO,
  NT_EXPERIMENT_ERROR_LOCKED     /* another run is working in the directory */
} NtExperimentError;

typedef struct _NtExperiment NtExperiment;

/* Loads and checks a configuration: every selection (dataset, model, null
 * types, attack, backend) is resolved and every value range-checked here,
 * before any work starts; a key or group given twice in the file is
 * refused. `overrides` (may be NULL) holds "group.key=value" strings
 * applied on top of the file. Free with nt_experiment_free. */
NtExperiment *nt_experiment_load (NtRegistry *registry, const char *ini_path,
                                  const char *const *overrides,
                                  GError **error);
/* Frees exp and releases the run directory's lock, if it holds it. */
void nt_experiment_free (NtExperiment *exp);

/* The resolved configuration as ini text (caller frees). */
char *nt_experiment_to_ini (const NtExperiment *exp);
/* The run directory (from the config's output key or set by the caller;
 * owned by exp). */
const char *nt_experiment_dir (const NtExperiment *exp);
/* Sets the run directory (copied), releasing the lock of the old one. */
void nt_experiment_set_dir (NtExperiment *exp, const char *dir);

/* Runs (or resumes) the experiment: training grid, attack protocol,
 * results. First locks the run directory (.lock) and keeps it locked until
 * exp is freed, so that the caller's work on the results (figures) is
 * covered too; another run working there (in this process or another)
 * fails this one with NT_EXPERIMENT_ERROR_LOCKED naming its PID. Fails
 * with NT_EXPERIMENT_ERROR_MISMATCH if the directory holds a different
 * configuration. On resume, a model marked done whose checkpoint is
 * missing or damaged is trained again (with a notice on stderr) and its
 * set attacked again. With [study] progress on, says on stderr which
 * backend runs and, on resume, what is reused. */
gboolean nt_experiment_run (NtExperiment *exp, GError **error);

/* Recomputes the summary files of a run directory from its raw results. */
gboolean nt_experiment_summarise (const char *run_dir, GError **error);

G_END_DECLS
#endif
