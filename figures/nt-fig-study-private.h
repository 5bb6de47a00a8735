/* nt-fig-study-private.h: what the study's figure renderers share (reading
 * the run directory's tables, ordering model types, statistics, panel
 * layout, colour slots, legends). Not installed. */
#ifndef NT_FIG_STUDY_PRIVATE_H
#define NT_FIG_STUDY_PRIVATE_H

#include <glib.h>
#include <plplot.h>
#include "nt-csv.h"
#include "nt-figure.h"
#include "nt-fig-study.h"

G_BEGIN_DECLS

/* ---- data --------------------------------------------------------------*/

/* Reads RUN_DIR/`rel` and checks that it has every column of `columns`
 * (NULL-terminated). A missing file fails with NT_FIG_STUDY_ERROR_MISSING,
 * a missing column with NT_FIG_STUDY_ERROR_INVALID. */
NtCsv *_nt_study_read (const char *run_dir, const char *rel,
                       const char *const *columns, GError **error);

/* TRUE when row `row` belongs to `protocol` (always when protocol is NULL
 * or the table has no protocol column). */
gboolean _nt_study_row_in (const NtCsv *csv, guint row, const char *protocol);

/* The model types of config.ini [study] types (a list separated by ';' or
 * ','), or NULL when unknown. */
char **_nt_study_config_types (const char *run_dir);

/* The distinct values of column `column` in the rows of `protocol`,
 * ordered as the run's configured types, then the study's order
 * (baseline, u, s, m, us, um, sm, usm), then by first appearance.
 * Returns a GPtrArray of strings it owns (may be empty). */
GPtrArray *_nt_study_models (const char *run_dir, const NtCsv *csv,
                             const char *column, const char *protocol);

/* Orders `names` (strings) in place as _nt_study_models does. */
void _nt_study_sort_models (const char *run_dir, GPtrArray *names);

/* The number of sets of the run (distinct sets of results/accuracy.csv,
 * else the largest n_sets of results/summary-accuracy.csv), 0 if unknown. */
int _nt_study_n_sets (const char *run_dir);

/* The number of sets attacked in `protocol` (distinct sets of
 * results/scores-threshold.csv), else _nt_study_n_sets. */
int _nt_study_n_sets_attacked (const char *run_dir, const char *protocol);

/* The q-quantile (0..1) of v[0..n) with linear interpolation between
 * order statistics (NaNs ignored); NAN when there is no number. */
double _nt_study_quantile (const double *v, guint n, double q);

/* Smallest and largest number of v[0..n) (NaNs ignored); FALSE if none. */
gboolean _nt_study_min_max (const double *v, guint n, double *lo,
                            double *hi);

/* "within 'protocol'" etc: the protocol as shown in titles. */
const char *_nt_study_protocol_title (const char *protocol);

/* The subtitle of the epsilon-sweep figures (6 and 7): the protocol, then
 * "median over N sets, band 25-75 %" (n_sets <= 0: "over the sets"), into
 * buf of `size` bytes. */
void _nt_study_sweep_subtitle (char *buf, gsize size, const char *protocol,
                               int n_sets);

/* Figure 2's y range for the lowest value shown (mean minus std, or a
 * set's accuracy): [0.98, 1], the bottom lowered to the next multiple of
 * 0.01 at or below `lowest` when that is under 0.98 (never below 0). */
void _nt_study_accuracy_range (double lowest, double *lo, double *hi);

/* One model's curves of results/summary-sweep.csv, by ascending eps:
 * score s (0 correct, 1 misclassified, 2 unclassified), statistic k
 * (0 the 25 % quantile, 1 the median, 2 the 75 % quantile) at point i is
 * v[s][k][i], in %. */
typedef struct {
  char *model;
  guint n;
  double *eps;
  double *v[3][3];
} NtStudySweep;

/* The curves of `protocol`, one per model in the study's order (a
 * GPtrArray freeing them). Fails with NT_FIG_STUDY_ERROR_MISSING when the
 * file or its rows of `protocol` are absent, and with
 * NT_FIG_STUDY_ERROR_INVALID naming the row when an eps is not a number in
 * [0, 1] (the attack's pixel change) or a share is a number outside
 * [0, 100]; an empty or non-numeric share is missing (a gap). */
GPtrArray *_nt_study_read_sweep (const char *run_dir, const char *protocol,
                                 GError **error);

/* ---- drawing -----------------------------------------------------------*/

/* Extra colour map 0 slots, above the fixed NtColor ones: light versions of
 * the three score colours (for bands) and up to 32 series colours. */
enum {
  NT_SLOT_BAND_CORRECT = NT_N_COLORS,
  NT_SLOT_BAND_MISCLASSIFIED,
  NT_SLOT_BAND_UNCLASSIFIED,
  NT_SLOT_BAND_NEUTRAL,
  NT_SLOT_GRID,
  NT_SLOT_SERIES,
  NT_SLOT_N_SERIES = 32,
  NT_N_SLOTS = NT_SLOT_SERIES + NT_SLOT_N_SERIES
};

/* ---- model types' colours ----------------------------------------------
 * Green, red and blue mean correct, misclassified and unclassified in
 * every figure, so model types (and sets) never use them: they have a
 * palette of their own, the same type always in the same colour. */

/* The colour of model type `model`: baseline gray, u orange, s purple,
 * m brown, us pink, um olive, sm near-black, usm plum; other names get one
 * of the extra colours by a hash of the name. */
NtRgb _nt_study_model_rgb (const char *model);

/* Sets series slot `index` to the colour of `model` and returns the slot's
 * colour index. */
PLINT _nt_study_model_color (guint index, const char *model);

/* Call right after nt_figure_open: extends colour map 0 with the slots and
 * fixes the base character height at NT_STUDY_CHAR_MM whatever the page
 * size (PLplot scales it with the page, so big grids would get big
 * text). */
void _nt_study_begin (NtFigure *fig);

/* The base character height in PLplot millimetres (the cairo drivers
 * count 72 of them to the inch: about 11 pixels). */
#define NT_STUDY_CHAR_MM 4.0

/* Page-fraction coordinates of a distance in pixels from the bottom (x:
 * from the left) of the page being drawn. */
double _nt_study_px_y (double pixels);
double _nt_study_px_x (double pixels);

/* `rgb` mixed with white: 0 keeps it, 1 is white. */
NtRgb _nt_study_lighten (NtRgb rgb, double white);

/* Sets series slot i (of n series) to a distinct colour and returns its
 * colour index: the model types' palette up to 8 series, else a dark
 * purple to orange gradient (neither uses the score colours). */
PLINT _nt_study_series_color (guint i, guint n);

/* Sets colour slot `slot` to `rgb` with opacity `alpha`. */
void _nt_study_set_slot (PLINT slot, NtRgb rgb, double alpha);

/* Splits n panels into rows and columns (at most max_cols per row). */
void _nt_study_grid (guint n, guint max_cols, guint *rows, guint *cols);

/* Page rectangle of panel `index` (row-major) in a rows x cols grid that
 * fills [left, right] x [bottom, top] with gaps hgap and vgap (page
 * units): rect = { x0, x1, y0, y1 }. */
void _nt_study_panel_rect (guint index, guint rows, guint cols, double left,
                           double right, double bottom, double top,
                           double hgap, double vgap, double rect[4]);

/* A round tick spacing (1, 2 or 5 times a power of 10) giving at most
 * `max_ticks` intervals over `range` (> 0). */
double _nt_study_nice_tick (double range, int max_ticks);

/* Sets viewport `rect` and window, draws a light grid, the frame, ticks
 * (spacing xtick, ytick; 0 lets PLplot choose; xtick < 0: no x ticks nor
 * x grid, for bar charts), numeric labels when numbers_x / numbers_y,
 * axis labels and a panel title (each may be NULL). What reaches PLplot
 * is checked first: a range that is not finite or empty becomes [0, 1],
 * and a tick spacing that is not finite or would give more than 50 ticks
 * is replaced by a round one (PLplot ends the process on a tick spacing
 * far below the range). */
void _nt_study_axes (const double rect[4], double xmin, double xmax,
                     double ymin, double ymax, double xtick, double ytick,
                     gboolean numbers_x, gboolean numbers_y,
                     const char *xlabel, const char *ylabel,
                     const char *title);

/* Fills the band between lo and hi over x[0..n) (points where x, lo or hi
 * is not a finite number split it) in colour index `color`. */
void _nt_study_band (guint n, const double *x, const double *lo,
                     const double *hi, PLINT color);

/* Draws the polyline (x, y)[0..n) in colour index `color`, line style and
 * width, breaking it where x or y is not a finite number (a lone point
 * becomes a dot). */
void _nt_study_line (guint n, const double *x, const double *y, PLINT color,
                     PLINT style, double width);

/* Draws a circle of `radius_px` pixels centred on (x, y) (world
 * coordinates of the current viewport; nothing when not finite), filled
 * when `filled`, in colour index `color`. As a polygon, it is centred
 * exactly, which a text symbol is not. */
void _nt_study_circle (double x, double y, double radius_px, PLINT color,
                       gboolean filled);

/* The marker of points: a filled circle of `radius_px` pixels at each point
 * of (x, y)[0..n) where both are finite, in colour index `color`. */
void _nt_study_markers (guint n, const double *x, const double *y,
                        PLINT color, double radius_px);

/* One legend entry. */
typedef enum {
  NT_STUDY_KEY_LINE,      /* a line */
  NT_STUDY_KEY_BOX,       /* a filled square */
  NT_STUDY_KEY_BAND,      /* a line over a light box (median and band) */
  NT_STUDY_KEY_SYMBOL,    /* a symbol (text), e.g. a marker */
  NT_STUDY_KEY_LINE_SYMBOL  /* a line with a symbol on it */
} NtStudyKeyKind;

typedef struct {
  const char *label;
  NtStudyKeyKind kind;
  PLINT color;            /* line, box or symbol colour index */
  PLINT band_color;       /* NT_STUDY_KEY_BAND: the box's colour index */
  PLINT style;            /* line style (1 solid, 2 dashed, ...) */
  double width;           /* line width */
  const char *symbol;     /* NT_STUDY_KEY_*SYMBOL: the symbol (NULL: ●) */
  double symbol_scale;    /* its size (0: 1) */
} NtStudyKey;

/* Draws a framed legend of n entries in the current viewport at PLplot's
 * `position` offset by (x, y), in n_columns columns. */
void _nt_study_legend (const NtStudyKey *keys, guint n, int position,
                       double x, double y, int n_columns);

/* The figure title at the top of the page and an optional subtitle under
 * it. */
void _nt_study_title (const char *title, const char *subtitle);

/* Axes of shares in % run from -PAD to 100 + PAD (ticks 0 to 100), so a
 * curve at 0 % or 100 % is drawn inside the frame, not on it. */
#define NT_STUDY_PERCENT_PAD 4.0

/* A small gray note at the bottom left of the page. */
void _nt_study_footnote (const char *text);

/* The footnote naming the null types. */
#define NT_STUDY_NULL_TYPES_NOTE \
  "null types: u uniform noise, s tile-shuffled digits, m mixed digits; " \
  "baseline: no null class"

G_END_DECLS
#endif
