/* nt-fig-accuracy.c: figure 2 of the study, test accuracy per model type
 * over sets: the mean as a point with a +- std error bar, and each set as a
 * small circle beside it.
 *
 * Points, not bars: the accuracies differ by tenths of a percent, so the
 * axis is zoomed to them, and a bar on a zoomed axis reads as a ratio of
 * lengths (a 0.6-point difference looked like a factor of two). A point's
 * position means the same on any axis. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"

#include <math.h>
#include <string.h>

/* The y range: [0.98, 1.0] as in the paper, the bottom lowered in steps of
 * 0.01 when a mean's lower error bar or a set's value falls below it. */
void
_nt_study_accuracy_range (double lowest, double *lo, double *hi)
{
  *hi = 1.0;
  *lo = 0.98;
  if (isfinite (lowest) && lowest < *lo)
    *lo = MAX (0.0, floor (lowest * 100 + 1e-6) / 100);
}

/* One set's accuracy, placed at its model. */
typedef struct {
  guint model;
  double set, accuracy;
} SetPoint;

typedef struct {
  GPtrArray *models;     /* names */
  double *mean, *sd;     /* per model; NaN when missing (sd: 0) */
  GArray *sets;          /* SetPoint */
  int n_sets;
  double ylo, yhi;       /* the value range shown (without padding) */
} AccuracyFigure;

/* The value of `column` in row r of `csv` as an accuracy: NaN when empty
 * or not a number; FALSE (with error) when a number outside [0, 1]. */
static gboolean
read_fraction (const NtCsv *csv, guint r, const char *column,
               const char *rel, double *out, GError **error)
{
  double v = nt_csv_get_double (csv, r, column);
  *out = isfinite (v) ? v : NAN;
  if (isfinite (v) && (v < 0 || v > 1))
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_INVALID,
                   "%s, data row %u: %s = %g is not a fraction in [0, 1] (the "
                   "file is damaged; rerun `nulltool run` on the run "
                   "directory to rewrite it)", rel, r + 1, column, v);
      return FALSE;
    }
  return TRUE;
}

static void
draw_accuracy (NtFigure *fig, gpointer data)
{
  const AccuracyFigure *d = data;
  guint n = d->models->len;
  _nt_study_begin (fig);
  char subtitle[256], over[32] = "the sets";
  if (d->n_sets > 1)
    g_snprintf (over, sizeof over, "%d sets", d->n_sets);
  if (d->n_sets == 1)
    g_snprintf (subtitle, sizeof subtitle, "one set: each point is its "
                "accuracy (no spread to show); the axis is zoomed, it does "
                "not start at 0");
  else
    g_snprintf (subtitle, sizeof subtitle, "points: mean ± std over %s, "
                "circles: each set; the axis is zoomed, it does not start "
                "at 0", over);
  _nt_study_title ("Test accuracy per model type", subtitle);

  double rect[4] = { _nt_study_px_x (95), 1 - _nt_study_px_x (25),
                     _nt_study_px_y (150), 1 - _nt_study_px_y (85) };
  double range = d->yhi - d->ylo;
  double ytick = range <= 0.031 ? 0.005 : range <= 0.11 ? 0.01
                 : range <= 0.31 ? 0.05 : 0.1;
  /* padded, so that a point at the top or bottom is not on the frame */
  double pad = 0.04 * range;
  _nt_study_axes (rect, 0, n, d->ylo - pad, d->yhi + pad, -1, ytick, FALSE,
                  TRUE, "model type", NULL, NULL);
  plmtex ("l", ytick < 0.01 ? 5.0 : 4.4, 0.5, 0.5,
          "test accuracy (fraction of digits)");
  /* the sets: small circles left of the mean, spread so they do not hide
   * each other */
  int k = d->n_sets > 0 ? d->n_sets : 1;
  /* (one set: its accuracy is the point itself) */
  for (guint i = 0; d->n_sets != 1 && i < d->sets->len; i++)
    {
      const SetPoint *p = &g_array_index (d->sets, SetPoint, i);
      double off = isfinite (p->set) && k > 1
          ? 0.12 * (fmod (p->set, k) / (k - 1) - 0.5) : 0;
      _nt_study_circle (p->model + 0.3 + off, p->accuracy, 3.5,
                        NT_COLOR_GRAY, FALSE);
    }
  /* the means: a point in the model's colour on a black +- std bar, and
   * its value to the right */
  for (guint m = 0; m < n; m++)
    {
      if (!isfinite (d->mean[m]))
        continue;
      PLFLT x = m + 0.5, y = d->mean[m];
      double s = isfinite (d->sd[m]) ? d->sd[m] : 0;
      if (s > 0)
        {
          PLFLT lo = d->mean[m] - s, hi = d->mean[m] + s;
          plcol0 (NT_COLOR_FOREGROUND);
          plwidth (1.6);
          plerry (1, &x, &lo, &hi);
          plwidth (1);
        }
      PLINT color = _nt_study_model_color (m, d->models->pdata[m]);
      _nt_study_markers (1, &x, &y, color, 6.5);
      char label[32];
      g_snprintf (label, sizeof label, "%.4f", d->mean[m]);
      plcol0 (NT_COLOR_FOREGROUND);
      plschr (0, 0.8);
      plptex (m + 0.6, y, 1, 0, 0, label);
      plschr (0, 1.0);
    }
  /* model names under their points */
  plcol0 (NT_COLOR_FOREGROUND);
  for (guint m = 0; m < n; m++)
    plmtex ("b", 1.3, (m + 0.5) / n, 0.5, d->models->pdata[m]);

  /* the key of the marks, under the axis label */
  gboolean one = d->n_sets == 1;
  double half = _nt_study_px_x (one ? 190 : 310);
  plvpor (0.5 - half, 0.5 + half, _nt_study_px_y (30), _nt_study_px_y (66));
  plwind (0, 1, 0, 1);
  PLFLT fx[5] = { 0, 1, 1, 0, 0 }, fy[5] = { 0, 0, 1, 1, 0 };
  plcol0 (NT_COLOR_GRAY);
  plline (5, fx, fy);
  PLFLT bx = one ? 0.08 : 0.06, by = 0.5, blo = 0.15, bhi = 0.85;
  if (!one)
    {
      plcol0 (NT_COLOR_FOREGROUND);
      plwidth (1.6);
      plerry (1, &bx, &blo, &bhi);
      plwidth (1);
    }
  NtRgb dark = { 0.25, 0.25, 0.25 };
  _nt_study_set_slot (NT_SLOT_BAND_NEUTRAL, dark, 1);
  _nt_study_markers (1, &bx, &by, NT_SLOT_BAND_NEUTRAL, 6.5);
  plcol0 (NT_COLOR_FOREGROUND);
  plschr (0, 0.9);
  plptex (bx + (one ? 0.06 : 0.04), 0.5, 1, 0, 0,
          one ? "the set's accuracy (colour: model type)"
              : "mean, bar: ± 1 std (colour: model type)");
  if (!one)
    {
      _nt_study_circle (0.72, by, 3.5, NT_COLOR_GRAY, FALSE);
      plcol0 (NT_COLOR_FOREGROUND);
      plptex (0.75, 0.5, 1, 0, 0, "one set");
    }
  plschr (0, 1.0);
  if (d->ylo < 0.98)
    nt_figure_text (_nt_study_px_x (10), _nt_study_px_y (80), 0, 0.8,
                    NT_COLOR_GRAY, "y axis widened below 0.98 to show every "
                    "value");
  _nt_study_footnote (NT_STUDY_NULL_TYPES_NOTE);
}

gboolean
nt_fig_accuracy (const char *run_dir, const char *path, GError **error)
{
  static const char *const cols[] = { "model", "mean", "std", NULL };
  static const char *const set_cols[] = { "set", "model", "test_accuracy",
                                          NULL };
  static const char *const rel = "results/summary-accuracy.csv";
  static const char *const set_rel = "results/accuracy.csv";
  NtCsv *csv = _nt_study_read (run_dir, rel, cols, error);
  if (csv == NULL)
    return FALSE;
  AccuracyFigure d = { 0 };
  d.models = _nt_study_models (run_dir, csv, "model", NULL);
  guint n = d.models->len;
  d.mean = g_new (double, MAX (n, 1));
  d.sd = g_new (double, MAX (n, 1));
  d.sets = g_array_new (FALSE, FALSE, sizeof (SetPoint));
  NtCsv *sets = NULL;
  gboolean ok = FALSE;
  if (n == 0)
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "%s has no rows", rel);
      goto out;
    }
  double lowest = INFINITY;
  for (guint m = 0; m < n; m++)
    {
      d.mean[m] = d.sd[m] = NAN;
      for (guint r = 0; r < nt_csv_n_rows (csv); r++)
        if (strcmp (nt_csv_get (csv, r, "model"), d.models->pdata[m]) == 0
            && (!read_fraction (csv, r, "mean", rel, &d.mean[m], error)
                || !read_fraction (csv, r, "std", rel, &d.sd[m], error)))
          goto out;
      double s = isfinite (d.sd[m]) ? d.sd[m] : 0;
      if (isfinite (d.mean[m]))
        lowest = MIN (lowest, d.mean[m] - s);
    }
  /* the sets' own accuracies, when the raw file is there */
  sets = _nt_study_read (run_dir, set_rel, set_cols, NULL);
  for (guint r = 0; sets && r < nt_csv_n_rows (sets); r++)
    {
      SetPoint p;
      if (!read_fraction (sets, r, "test_accuracy", set_rel, &p.accuracy,
                          error))
        goto out;
      p.set = nt_csv_get_double (sets, r, "set");
      const char *model = nt_csv_get (sets, r, "model");
      for (guint m = 0; m < n && isfinite (p.accuracy); m++)
        if (strcmp (model, d.models->pdata[m]) == 0)
          {
            p.model = m;
            g_array_append_val (d.sets, p);
            lowest = MIN (lowest, p.accuracy);
          }
    }
  _nt_study_accuracy_range (lowest, &d.ylo, &d.yhi);
  d.n_sets = _nt_study_n_sets (run_dir);
  int width = MAX (760, 120 + 125 * (int) n);
  ok = nt_figure_render (path, width, 640, draw_accuracy, &d, error);
out:
  g_free (d.mean);
  g_free (d.sd);
  g_array_unref (d.sets);
  g_ptr_array_unref (d.models);
  nt_csv_free (sets);
  nt_csv_free (csv);
  return ok;
}
