/* nt-fig-thresholds.c: figure 4 of the study, the histogram of the attack
 * thresholds (20 bins on [0, 1]) and its cumulative version, median over
 * sets with a min-max band (results/summary-thresholds.csv).
 *
 * Transfer protocol: one attacked model (the baseline), two panels.
 * White-box protocol: every model is attacked, so one histogram panel per
 * model (same axes, for comparison) and a last panel overlaying every
 * model's cumulative median: the union of all models' thresholds would
 * mix distributions the study wants to compare. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The thresholds of one attacked model: counts[set][bin]. */
typedef struct {
  char *model;
  guint n_sets, n_bins;
  double *lo, *hi;        /* bin edges */
  double *counts;         /* n_sets x n_bins */
  /* per bin over sets: histogram and cumulative share (%) */
  double *h_med, *h_min, *h_max, *c_med, *c_min, *c_max;
} Group;

static void
group_free (gpointer p)
{
  Group *g = p;
  g_free (g->model);
  g_free (g->lo);
  g_free (g->hi);
  g_free (g->counts);
  g_free (g->h_med);
  g_free (g->h_min);
  g_free (g->h_max);
  g_free (g->c_med);
  g_free (g->c_min);
  g_free (g->c_max);
  g_free (g);
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Index of v in the sorted array a[0..n), or -1. */
static int
find (const double *a, guint n, double v)
{
  for (guint i = 0; i < n; i++)
    if (fabs (a[i] - v) < 1e-9)
      return (int) i;
  return -1;
}

/* Builds the group of `model` (NULL: every row) from the rows of
 * `protocol`, and its statistics over sets. */
static Group *
make_group (const NtCsv *csv, const char *protocol, const char *model)
{
  gboolean has_model = nt_csv_column (csv, "model") >= 0;
  GArray *los = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *sets = g_array_new (FALSE, FALSE, sizeof (double));
  guint n_rows = nt_csv_n_rows (csv);
  for (guint r = 0; r < n_rows; r++)
    {
      if (!_nt_study_row_in (csv, r, protocol)
          || (model && has_model
              && strcmp (nt_csv_get (csv, r, "model"), model) != 0))
        continue;
      double lo = nt_csv_get_double (csv, r, "bin_lo");
      double set = nt_csv_get_double (csv, r, "set");
      if (!isfinite (lo) || !isfinite (set))
        continue;
      if (find ((double *) los->data, los->len, lo) < 0)
        g_array_append_val (los, lo);
      if (find ((double *) sets->data, sets->len, set) < 0)
        g_array_append_val (sets, set);
    }
  g_array_sort (los, compare_double);
  Group *g = g_new0 (Group, 1);
  g->model = g_strdup (model ? model : "baseline");
  g->n_bins = los->len;
  g->n_sets = sets->len;
  g->lo = (double *) g_array_free (los, FALSE);
  g->hi = g_new (double, MAX (g->n_bins, 1));
  g->counts = g_new0 (double, MAX (g->n_sets * g->n_bins, 1));
  for (guint b = 0; b < g->n_bins; b++)
    g->hi[b] = b + 1 < g->n_bins ? g->lo[b + 1] : 1.0;
  for (guint r = 0; r < n_rows; r++)
    {
      if (!_nt_study_row_in (csv, r, protocol)
          || (model && has_model
              && strcmp (nt_csv_get (csv, r, "model"), model) != 0))
        continue;
      int b = find (g->lo, g->n_bins,
                    nt_csv_get_double (csv, r, "bin_lo"));
      int s = find ((double *) sets->data, sets->len,
                    nt_csv_get_double (csv, r, "set"));
      double count = nt_csv_get_double (csv, r, "count");
      double hi = nt_csv_get_double (csv, r, "bin_hi");
      if (b < 0 || s < 0)
        continue;
      if (isfinite (hi))
        g->hi[b] = hi;
      if (isfinite (count))
        g->counts[(gsize) s * g->n_bins + b] += count;
    }
  g_array_unref (sets);
  /* statistics over sets, bin by bin */
  guint nb = g->n_bins, ns = g->n_sets;
  g->h_med = g_new (double, MAX (nb, 1));
  g->h_min = g_new (double, MAX (nb, 1));
  g->h_max = g_new (double, MAX (nb, 1));
  g->c_med = g_new (double, MAX (nb, 1));
  g->c_min = g_new (double, MAX (nb, 1));
  g->c_max = g_new (double, MAX (nb, 1));
  double *col = g_new (double, MAX (ns, 1));
  double *cum = g_new0 (double, MAX (ns, 1));
  double *total = g_new0 (double, MAX (ns, 1));
  for (guint s = 0; s < ns; s++)
    for (guint b = 0; b < nb; b++)
      total[s] += g->counts[(gsize) s * nb + b];
  for (guint b = 0; b < nb; b++)
    {
      for (guint s = 0; s < ns; s++)
        col[s] = g->counts[(gsize) s * nb + b];
      g->h_med[b] = _nt_study_quantile (col, ns, 0.5);
      _nt_study_min_max (col, ns, &g->h_min[b], &g->h_max[b]);
      for (guint s = 0; s < ns; s++)
        {
          cum[s] += g->counts[(gsize) s * nb + b];
          col[s] = total[s] > 0 ? 100.0 * cum[s] / total[s] : NAN;
        }
      g->c_med[b] = _nt_study_quantile (col, ns, 0.5);
      if (!_nt_study_min_max (col, ns, &g->c_min[b], &g->c_max[b]))
        g->c_min[b] = g->c_max[b] = NAN;
    }
  g_free (col);
  g_free (cum);
  g_free (total);
  return g;
}

/* The histogram of a group as steps: light bars up to the median, the
 * min-max band over them, and the median as a line, in `color`, with the
 * bars in `bar` and the band in `band`. The band is opaque, so it looks
 * the same over the bars as over the background, and as its legend
 * swatch. */
static void
draw_histogram (const Group *g, PLINT color, PLINT bar, PLINT band)
{
  guint nb = g->n_bins;
  double *x = g_new (double, 2 * nb), *lo = g_new (double, 2 * nb);
  double *hi = g_new (double, 2 * nb), *med = g_new (double, 2 * nb);
  for (guint b = 0; b < nb; b++)
    {
      x[2 * b] = g->lo[b];
      x[2 * b + 1] = g->hi[b];
      lo[2 * b] = lo[2 * b + 1] = g->h_min[b];
      hi[2 * b] = hi[2 * b + 1] = g->h_max[b];
      med[2 * b] = med[2 * b + 1] = g->h_med[b];
    }
  /* light bars under the median, so the shape reads as a histogram */
  for (guint b = 0; b < nb; b++)
    if (g->h_med[b] > 0 && isfinite (g->h_med[b]))
      {
        PLFLT bx[4] = { g->lo[b], g->hi[b], g->hi[b], g->lo[b] };
        PLFLT by[4] = { 0, 0, g->h_med[b], g->h_med[b] };
        plcol0 (bar);
        plfill (4, bx, by);
      }
  _nt_study_band (2 * nb, x, lo, hi, band);
  _nt_study_line (2 * nb, x, med, color, 1, 2.2);
  g_free (x);
  g_free (lo);
  g_free (hi);
  g_free (med);
}

/* The cumulative share at the bins' upper edges, from (first edge, 0). */
static void
draw_cumulative (const Group *g, PLINT color, PLINT band, gboolean with_band)
{
  guint nb = g->n_bins;
  double *x = g_new (double, nb + 1), *lo = g_new (double, nb + 1);
  double *hi = g_new (double, nb + 1), *med = g_new (double, nb + 1);
  x[0] = nb ? g->lo[0] : 0;
  lo[0] = hi[0] = med[0] = 0;
  for (guint b = 0; b < nb; b++)
    {
      x[b + 1] = g->hi[b];
      lo[b + 1] = g->c_min[b];
      hi[b + 1] = g->c_max[b];
      med[b + 1] = g->c_med[b];
    }
  if (with_band)
    _nt_study_band (nb + 1, x, lo, hi, band);
  _nt_study_line (nb + 1, x, med, color, 1, 2.2);
  _nt_study_markers (nb + 1, x, med, color, 2.5);
  g_free (x);
  g_free (lo);
  g_free (hi);
  g_free (med);
}

/* y range of histograms: 0 to a little above the largest maximum. */
static double
hist_top (GPtrArray *groups)
{
  double top = 1;
  for (guint i = 0; i < groups->len; i++)
    {
      Group *g = groups->pdata[i];
      for (guint b = 0; b < g->n_bins; b++)
        if (isfinite (g->h_max[b]))
          top = MAX (top, g->h_max[b]);
    }
  /* a round value with some headroom */
  double p = pow (10, floor (log10 (top * 1.08)));
  double t = ceil (top * 1.08 / p * 2) / 2 * p;
  return t;
}

static double
count_tick (double top)
{
  double p = pow (10, floor (log10 (top)));
  double r = top / p;
  return (r <= 2 ? 0.5 : r <= 5 ? 1 : 2) * p;
}

/* Colour slots of a figure's models: line, histogram bars, band. The
 * series slots hold the lines (0..n), then bars and bands (2 per model). */
typedef struct {
  GPtrArray *groups;     /* Group, at most NT_SLOT_N_SERIES / 3 */
  guint n_sets;
  double ytop, ytick;
  const char *protocol;
  guint rows, cols;      /* several groups: the grid of panels */
} ThresholdsFigure;

#define MAX_GROUPS (NT_SLOT_N_SERIES / 3)

/* Sets the colours of group i: its model's colour for the line, light
 * tints of it for the bars and the band. */
static void
group_colors (const Group *g, guint i, PLINT *line, PLINT *bar, PLINT *band)
{
  NtRgb rgb = _nt_study_model_rgb (g->model);
  *line = _nt_study_model_color (i, g->model);
  *bar = NT_SLOT_SERIES + MAX_GROUPS + 2 * i;
  *band = *bar + 1;
  _nt_study_set_slot (*bar, _nt_study_lighten (rgb, 0.85), 1);
  _nt_study_set_slot (*band, _nt_study_lighten (rgb, 0.55), 1);
}

static void
draw_thresholds (NtFigure *fig, gpointer data)
{
  const ThresholdsFigure *d = data;
  GPtrArray *groups = d->groups;
  _nt_study_begin (fig);
  const char *xlabel = "threshold ε (max. pixel change)";
  char subtitle[256];
  g_snprintf (subtitle, sizeof subtitle,
              "%s; median over %u set%s (line) with min-max band",
              _nt_study_protocol_title (d->protocol), d->n_sets,
              d->n_sets == 1 ? "" : "s");
  if (groups->len == 1)
    {
      Group *g = groups->pdata[0];
      char title[160];
      g_snprintf (title, sizeof title, "Attack thresholds of the %s model",
                  g->model);
      _nt_study_title (title, subtitle);
      PLINT color, bar, band;
      group_colors (g, 0, &color, &bar, &band);
      double b = _nt_study_px_y (140), t = 1 - _nt_study_px_y (95);
      double left[4] = { _nt_study_px_x (92), 0.5 - _nt_study_px_x (40), b,
                         t };
      double right[4] = { 0.5 + _nt_study_px_x (92),
                          1 - _nt_study_px_x (25), b, t };
      _nt_study_axes (left, 0, 1, 0, d->ytop, 0.1, d->ytick, TRUE, TRUE,
                      xlabel, "images per bin (per set)",
                      "histogram (20 bins)");
      draw_histogram (g, color, bar, band);
      _nt_study_axes (right, 0, 1, -NT_STUDY_PERCENT_PAD,
                      100 + NT_STUDY_PERCENT_PAD, 0.1, 20, TRUE, TRUE, xlabel,
                      "images with threshold ≤ ε (%)", "cumulative share");
      draw_cumulative (g, color, band, TRUE);
      NtStudyKey keys[2] = {
        { "median over sets", NT_STUDY_KEY_BAND, color, bar, 1, 2.2, NULL,
          0 },
        { "min-max over sets", NT_STUDY_KEY_BOX, band, 0, 1, 1, NULL, 0 } };
      plvpor (0.02, 0.98, _nt_study_px_y (25), _nt_study_px_y (72));
      plwind (0, 1, 0, 1);
      _nt_study_legend (keys, 2, PL_POSITION_TOP | PL_POSITION_INSIDE, 0, 0,
                        2);
      _nt_study_footnote (NT_STUDY_NULL_TYPES_NOTE);
      return;
    }
  /* one histogram per model, and one panel of cumulative medians */
  _nt_study_title ("Attack thresholds of each model", subtitle);
  guint n_panels = groups->len + 1, rows = d->rows, cols = d->cols;
  double l = _nt_study_px_x (92), r = 1 - _nt_study_px_x (25);
  double t = 1 - _nt_study_px_y (95), b = _nt_study_px_y (90);
  double hgap = _nt_study_px_x (60), vgap = _nt_study_px_y (75);
  PLINT colors[MAX_GROUPS];
  for (guint i = 0; i < groups->len; i++)
    {
      Group *g = groups->pdata[i];
      PLINT bar, band;
      group_colors (g, i, &colors[i], &bar, &band);
      double rect[4];
      _nt_study_panel_rect (i, rows, cols, l, r, b, t, hgap, vgap, rect);
      gboolean bottom_row = i + cols >= n_panels;
      char title[160];
      g_snprintf (title, sizeof title, "%s: histogram", g->model);
      _nt_study_axes (rect, 0, 1, 0, d->ytop, 0.2, d->ytick, TRUE, TRUE,
                      bottom_row ? xlabel : NULL,
                      i % cols == 0 ? "images per bin" : NULL, title);
      draw_histogram (g, colors[i], bar, band);
    }
  double rect[4];
  _nt_study_panel_rect (groups->len, rows, cols, l, r, b, t, hgap, vgap,
                        rect);
  _nt_study_axes (rect, 0, 1, -NT_STUDY_PERCENT_PAD,
                  100 + NT_STUDY_PERCENT_PAD, 0.2, 20, TRUE, TRUE, xlabel,
                  groups->len % cols == 0 ? "threshold ≤ ε (%)" : NULL,
                  "cumulative share (%), medians");
  NtStudyKey keys[MAX_GROUPS];
  for (guint i = 0; i < groups->len; i++)
    {
      Group *g = groups->pdata[i];
      draw_cumulative (g, colors[i], 0, FALSE);
      keys[i] = (NtStudyKey) { g->model, NT_STUDY_KEY_LINE, colors[i], 0,
                               1, 2.2, NULL, 0 };
    }
  _nt_study_legend (keys, groups->len,
                    PL_POSITION_BOTTOM | PL_POSITION_RIGHT
                        | PL_POSITION_INSIDE,
                    0.03, 0.04, groups->len > 4 ? 2 : 1);
  _nt_study_footnote ("histograms: median over sets (line and light bars), "
                      "min-max band; " NT_STUDY_NULL_TYPES_NOTE);
}

gboolean
nt_fig_thresholds (const char *run_dir, const char *protocol,
                   const char *path, GError **error)
{
  static const char *const cols[] = { "protocol", "set", "bin_lo", "bin_hi",
                                      "count", NULL };
  NtCsv *csv = _nt_study_read (run_dir, "results/summary-thresholds.csv",
                               cols, error);
  if (csv == NULL)
    return FALSE;
  GPtrArray *groups = g_ptr_array_new_with_free_func (group_free);
  GPtrArray *models = nt_csv_column (csv, "model") >= 0
      ? _nt_study_models (run_dir, csv, "model", protocol) : NULL;
  /* transfer attacks the baseline only: its thresholds are the ones that
   * count, even if the file repeats them for the other models */
  gboolean baseline_only = FALSE;
  for (guint m = 0; models && m < models->len; m++)
    baseline_only = baseline_only
        || (g_strcmp0 (protocol, "transfer") == 0
            && strcmp (models->pdata[m], "baseline") == 0);
  if (models && models->len > 0)
    {
      for (guint m = 0; m < models->len; m++)
        if (!baseline_only || strcmp (models->pdata[m], "baseline") == 0)
          g_ptr_array_add (groups, make_group (csv, protocol,
                                               models->pdata[m]));
    }
  else
    {
      Group *g = make_group (csv, protocol, NULL);
      if (g->n_bins > 0)
        g_ptr_array_add (groups, g);
      else
        group_free (g);
    }
  if (models)
    g_ptr_array_unref (models);
  nt_csv_free (csv);
  if (groups->len == 0)
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "results/summary-thresholds.csv has no %s rows",
                   protocol ? protocol : "");
      g_ptr_array_unref (groups);
      return FALSE;
    }
  /* three colour slots per model */
  if (groups->len > MAX_GROUPS)
    g_ptr_array_set_size (groups, MAX_GROUPS);
  ThresholdsFigure d = { groups, 0, 0, 0, protocol, 1, 1 };
  for (guint i = 0; i < groups->len; i++)
    d.n_sets = MAX (d.n_sets, ((Group *) groups->pdata[i])->n_sets);
  d.ytop = hist_top (groups);
  d.ytick = count_tick (d.ytop);
  int width = 1200, height = 560;
  if (groups->len > 1)
    {
      guint n_panels = groups->len + 1;
      _nt_study_grid (n_panels, n_panels <= 4 ? 4 : 3, &d.rows, &d.cols);
      width = 110 + 360 * (int) d.cols;
      height = 150 + 290 * (int) d.rows;
    }
  gboolean ok = nt_figure_render (path, width, height, draw_thresholds, &d,
                                  error);
  g_ptr_array_unref (groups);
  return ok;
}
