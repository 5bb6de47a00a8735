/* nt-fig-study.h: the study's figures 1 to 7 (PROTOCOL.md "Figures of the
 * study"), drawn from the result files of a run directory (layout in
 * nt-experiment.h), so `nulltool plot RUN_DIR` redraws them without
 * recomputing anything.
 *
 * Every renderer reads only the files it needs. When such a file is
 * absent, or holds no rows for the protocol asked for, it fails with
 * NT_FIG_STUDY_ERROR_MISSING and writes nothing: nt_figures_render_run
 * turns that into a note and goes on. A file that is present but lacks a
 * column fails with NT_FIG_STUDY_ERROR_INVALID. Output format by the
 * file name's extension (see nt-figure.h). */
#ifndef NT_FIG_STUDY_H
#define NT_FIG_STUDY_H

#include <glib.h>
#include "nt-registry.h"

G_BEGIN_DECLS

#define NT_FIG_STUDY_ERROR (nt_fig_study_error_quark ())
GQuark nt_fig_study_error_quark (void);

typedef enum {
  NT_FIG_STUDY_ERROR_MISSING,  /* a results file (or its rows) is absent */
  NT_FIG_STUDY_ERROR_INVALID   /* a results file lacks a needed column */
} NtFigStudyError;

/* Figure 2: test accuracy per model type: the mean over sets as a point
 * (in the model type's colour) with a +- std error bar
 * (results/summary-accuracy.csv), and each set's accuracy as a small
 * circle beside it when results/accuracy.csv is there; a key under the
 * axis explains the marks. Points, not bars: the y axis is zoomed to
 * [0.98, 1.0], lowered to the next 0.01 below the lowest value when
 * needed, where bars would misstate ratios. An accuracy outside [0, 1]
 * fails with NT_FIG_STUDY_ERROR_INVALID. */
gboolean nt_fig_accuracy (const char *run_dir, const char *path,
                          GError **error);

/* Figure 3: validation accuracy on the test digits per epoch, one panel
 * per model type, one curve per set (models/set-SS/TYPE.history.csv,
 * column val_digit_accuracy, else val_accuracy), with whole-epoch ticks,
 * and a marker at each epoch when there are at most 15. */
gboolean nt_fig_history (const char *run_dir, const char *path,
                         GError **error);

/* Figure 4: histogram of the attacked models' thresholds, 20 bins on
 * [0, 1], median over sets with a min-max band, and its cumulative
 * version (results/summary-thresholds.csv, rows of `protocol`), in each
 * model type's colour. With one attacked model (transfer: the baseline)
 * two panels: histogram and cumulative share. With several (whitebox:
 * every model) one histogram panel per model, and one last panel with
 * every model's cumulative median. */
gboolean nt_fig_thresholds (const char *run_dir, const char *protocol,
                            const char *path, GError **error);

/* Figure 5: scores at threshold, grouped bars per model type (correct
 * green, misclassified red, unclassified blue), mean with std error bars
 * (results/summary-threshold.csv, rows of `protocol`), with the same
 * numbers as a table under the bars. Every model, the baseline included,
 * shows its measured row of that file; a model without a row there is not
 * shown. The baseline comes first (it is the reference), the others in
 * the usual model order. When `table_path` is not NULL the table is also
 * written there as markdown. */
gboolean nt_fig_scores (const char *run_dir, const char *protocol,
                        const char *path, const char *table_path,
                        GError **error);

/* Figure 6: scores versus epsilon, one panel per model type (grid of up to
 * 4 columns), median over sets with the 25-75 % band
 * (results/summary-sweep.csv), on axes padded past 0 and 100 % so no
 * curve runs along the frame. A row whose eps is not in [0, 1] or whose
 * share is a number outside [0, 100] fails with
 * NT_FIG_STUDY_ERROR_INVALID naming it (figure 7 too). */
gboolean nt_fig_sweep (const char *run_dir, const char *protocol,
                       const char *path, GError **error);

/* Figure 7: for the m, s and sm models (those of them the run has; if
 * none, every null model), the model's misclassified and unclassified
 * curves against the baseline's misclassified curve, one panel per model
 * (results/summary-sweep.csv). The title names the models shown, and a
 * note says why they were chosen and which null models of the run are
 * left out (they are in figure 6). */
gboolean nt_fig_compare (const char *run_dir, const char *protocol,
                         const char *path, GError **error);

/* Renders every study figure of `run_dir` into RUN_DIR/figures (created
 * if needed) in `format` ("png", "svg" or "pdf"; NULL means png):
 * fig1-null-examples (when `registry` is not NULL and the dataset named
 * in config.ini [study] dataset has 2-D images), fig2-accuracy,
 * fig3-history, and for each protocol found in the results
 * fig4-thresholds-PROTO, fig5-scores-PROTO (plus the markdown table
 * results/table-threshold-PROTO.md), fig6-sweep-PROTO, fig7-compare-PROTO.
 * First removes the temporary files a killed render left in the figure
 * folder (nt_figure_remove_stale), with a note for each. A figure whose
 * input is missing is skipped with a note; the others are still drawn.
 * The paths written are appended to `written` and the notes to `notes`
 * (GPtrArrays of strings that own them, e.g. made with
 * g_ptr_array_new_with_free_func (g_free); either may be NULL, notes then
 * go to g_message). Fails when the run directory does not exist, the
 * format is unknown, or a figure fails for another reason than missing
 * input (the first such error; the other figures are still attempted). */
gboolean nt_figures_render_run (NtRegistry *registry, const char *run_dir,
                                const char *format, GPtrArray *written,
                                GPtrArray *notes, GError **error);

G_END_DECLS
#endif
