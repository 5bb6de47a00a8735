/* nt-fig-sweep.c: figure 6 of the study, the scores versus epsilon, one
 * panel per model type, median over sets with the 25-75 % band
 * (results/summary-sweep.csv); and the reader of that file, shared with
 * figure 7. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const score_names[3] = { "correct", "misclassified",
                                            "unclassified" };
static const char *const stat_suffix[3] = { "q25", "median", "q75" };

static void
sweep_free (gpointer p)
{
  NtStudySweep *c = p;
  g_free (c->model);
  g_free (c->eps);
  for (int s = 0; s < 3; s++)
    for (int k = 0; k < 3; k++)
      g_free (c->v[s][k]);
  g_free (c);
}

typedef struct {
  double eps;
  guint row;
} Point;

static int
compare_points (const void *a, const void *b)
{
  double x = ((const Point *) a)->eps, y = ((const Point *) b)->eps;
  return (x > y) - (x < y);
}

GPtrArray *
_nt_study_read_sweep (const char *run_dir, const char *protocol,
                      GError **error)
{
  const char *cols[3 + 9 + 1] = { "protocol", "model", "eps" };
  char *names[9];
  for (int s = 0; s < 3; s++)
    for (int k = 0; k < 3; k++)
      cols[3 + 3 * s + k] = names[3 * s + k]
          = g_strdup_printf ("%s_%s", score_names[s], stat_suffix[k]);
  cols[12] = NULL;
  NtCsv *csv = _nt_study_read (run_dir, "results/summary-sweep.csv", cols,
                               error);
  GPtrArray *curves = NULL;
  if (csv == NULL)
    goto out;
  GPtrArray *models = _nt_study_models (run_dir, csv, "model", protocol);
  if (models->len == 0)
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "results/summary-sweep.csv has no %s rows",
                   protocol ? protocol : "");
      g_ptr_array_unref (models);
      goto out;
    }
  curves = g_ptr_array_new_with_free_func (sweep_free);
  Point *points = g_new (Point, MAX (nt_csv_n_rows (csv), 1));
  /* what reaches the figure is checked first: a damaged value fails the
   * figure with a message naming it, instead of an axis PLplot cannot
   * draw */
  for (guint r = 0; r < nt_csv_n_rows (csv); r++)
    {
      if (!_nt_study_row_in (csv, r, protocol))
        continue;
      double eps = nt_csv_get_double (csv, r, "eps");
      const char *bad = NULL;
      if (!isfinite (eps) || eps < 0 || eps > 1)
        bad = "eps";
      for (int i = 0; i < 9 && bad == NULL; i++)
        {
          double v = nt_csv_get_double (csv, r, names[i]);
          if (isfinite (v) && (v < -1e-6 || v > 100 + 1e-6))
            bad = names[i];
        }
      if (bad != NULL)
        {
          g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_INVALID,
                       "results/summary-sweep.csv, data row %u (%s, %s): "
                       "%s = %s is out of range (eps is a pixel change in "
                       "[0, 1], shares are %% in [0, 100]); the file is "
                       "damaged: rerun `nulltool run` on the run directory "
                       "to rewrite it", r + 1, protocol ? protocol : "",
                       nt_csv_get (csv, r, "model"), bad,
                       nt_csv_get (csv, r, bad));
          g_ptr_array_unref (curves);
          curves = NULL;
          g_free (points);
          g_ptr_array_unref (models);
          goto out;
        }
    }
  for (guint m = 0; m < models->len; m++)
    {
      guint n = 0;
      for (guint r = 0; r < nt_csv_n_rows (csv); r++)
        {
          double eps = nt_csv_get_double (csv, r, "eps");
          if (_nt_study_row_in (csv, r, protocol) && isfinite (eps)
              && strcmp (nt_csv_get (csv, r, "model"), models->pdata[m]) == 0)
            points[n++] = (Point) { eps, r };
        }
      qsort (points, n, sizeof *points, compare_points);
      NtStudySweep *c = g_new0 (NtStudySweep, 1);
      c->model = g_strdup (models->pdata[m]);
      c->n = n;
      c->eps = g_new (double, MAX (n, 1));
      for (int s = 0; s < 3; s++)
        for (int k = 0; k < 3; k++)
          c->v[s][k] = g_new (double, MAX (n, 1));
      for (guint i = 0; i < n; i++)
        {
          c->eps[i] = points[i].eps;
          for (int s = 0; s < 3; s++)
            for (int k = 0; k < 3; k++)
              {
                double v = nt_csv_get_double (csv, points[i].row,
                                              names[3 * s + k]);
                c->v[s][k][i] = isfinite (v) ? v : NAN;
              }
        }
      g_ptr_array_add (curves, c);
    }
  g_free (points);
  g_ptr_array_unref (models);
out:
  nt_csv_free (csv);
  for (int i = 0; i < 9; i++)
    g_free (names[i]);
  return curves;
}

typedef struct {
  GPtrArray *curves;
  const char *protocol;
  int n_sets;
  double emax;
  guint rows, cols;
} SweepFigure;

static void
draw_sweep (NtFigure *fig, gpointer data)
{
  const SweepFigure *d = data;
  GPtrArray *curves = d->curves;
  _nt_study_begin (fig);
  char subtitle[256];
  _nt_study_sweep_subtitle (subtitle, sizeof subtitle, d->protocol,
                            d->n_sets);
  _nt_study_title ("Scores versus attack strength ε", subtitle);
  static const NtColor line_colors[3] = { NT_COLOR_CORRECT,
                                          NT_COLOR_MISCLASSIFIED,
                                          NT_COLOR_UNCLASSIFIED };
  static const PLINT band_colors[3] = { NT_SLOT_BAND_CORRECT,
                                        NT_SLOT_BAND_MISCLASSIFIED,
                                        NT_SLOT_BAND_UNCLASSIFIED };
  double left = _nt_study_px_x (92), right = 1 - _nt_study_px_x (20);
  double top = 1 - _nt_study_px_y (95), bottom = _nt_study_px_y (140);
  guint cols = d->cols;
  /* padded on every side: curves at 0 %, 100 %, eps 0 and eps max stay
   * off the frame */
  double xpad = 0.02 * d->emax, ypad = NT_STUDY_PERCENT_PAD;
  for (guint m = 0; m < curves->len; m++)
    {
      NtStudySweep *c = curves->pdata[m];
      double rect[4];
      _nt_study_panel_rect (m, d->rows, cols, left, right, bottom, top,
                            _nt_study_px_x (40), _nt_study_px_y (60), rect);
      gboolean bottom_row = m + cols >= curves->len;
      _nt_study_axes (rect, -xpad, d->emax + xpad, -ypad, 100 + ypad,
                      d->emax > 0.5 ? 0.2 : 0.1, 20, TRUE, m % cols == 0,
                      bottom_row ? "ε (max. pixel change)" : NULL,
                      m % cols == 0 ? "share of images (%)" : NULL,
                      c->model);
      for (int s = 0; s < 3; s++)
        _nt_study_band (c->n, c->eps, c->v[s][0], c->v[s][2],
                        band_colors[s]);
      for (int s = 0; s < 3; s++)
        _nt_study_line (c->n, c->eps, c->v[s][1], line_colors[s], 1, 2.2);
    }
  NtStudyKey keys[3];
  for (int s = 0; s < 3; s++)
    keys[s] = (NtStudyKey) { score_names[s], NT_STUDY_KEY_BAND,
                             line_colors[s], band_colors[s], 1, 2.5, NULL,
                             0 };
  plvpor (0.02, 0.98, _nt_study_px_y (25), _nt_study_px_y (72));
  plwind (0, 1, 0, 1);
  _nt_study_legend (keys, 3, PL_POSITION_TOP | PL_POSITION_INSIDE, 0, 0.0,
                    3);
  _nt_study_footnote ("lines: median over sets; bands: 25-75 % of the sets. "
                      NT_STUDY_NULL_TYPES_NOTE);
}

gboolean
nt_fig_sweep (const char *run_dir, const char *protocol, const char *path,
              GError **error)
{
  GPtrArray *curves = _nt_study_read_sweep (run_dir, protocol, error);
  if (curves == NULL)
    return FALSE;
  SweepFigure d = { curves, protocol, 0, 0, 1, 1 };
  for (guint m = 0; m < curves->len; m++)
    {
      NtStudySweep *c = curves->pdata[m];
      if (c->n)
        d.emax = MAX (d.emax, c->eps[c->n - 1]);
    }
  d.emax = d.emax > 0 ? d.emax : 1;
  _nt_study_grid (curves->len, 4, &d.rows, &d.cols);
  int width = 100 + 320 * (int) d.cols, height = 175 + 300 * (int) d.rows;
  d.n_sets = _nt_study_n_sets_attacked (run_dir, protocol);
  gboolean ok = nt_figure_render (path, width, height, draw_sweep, &d,
                                  error);
  g_ptr_array_unref (curves);
  return ok;
}
