/* nt-fig-accuracy.c: figure 2 of the study, test accuracy per model type
 * over sets (bars: mean, error bars: +- std, dots: the sets). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"

#include <math.h>
#include <string.h>

/* The y range: [0.98, 1.0] as in the paper, the bottom lowered in steps of
 * 0.01 when a bar's lower error bar or a set's dot falls below it. */
void
_nt_study_accuracy_range (double lowest, double *lo, double *hi)
{
  *hi = 1.0;
  *lo = 0.98;
  if (isfinite (lowest) && lowest < *lo)
    *lo = MAX (0.0, floor (lowest * 100 + 1e-6) / 100);
}

gboolean
nt_fig_accuracy (const char *run_dir, const char *path, GError **error)
{
  static const char *const cols[] = { "model", "mean", "std", NULL };
  static const char *const set_cols[] = { "set", "model", "test_accuracy",
                                          NULL };
  NtCsv *csv = _nt_study_read (run_dir, "results/summary-accuracy.csv", cols,
                               error);
  if (csv == NULL)
    return FALSE;
  GPtrArray *models = _nt_study_models (run_dir, csv, "model", NULL);
  if (models->len == 0)
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "results/summary-accuracy.csv has no rows");
      g_ptr_array_unref (models);
      nt_csv_free (csv);
      return FALSE;
    }
  guint n = models->len;
  double *mean = g_new (double, n), *sd = g_new (double, n);
  double lowest = INFINITY;
  for (guint m = 0; m < n; m++)
    {
      mean[m] = sd[m] = NAN;
      for (guint r = 0; r < nt_csv_n_rows (csv); r++)
        if (strcmp (nt_csv_get (csv, r, "model"), models->pdata[m]) == 0)
          {
            mean[m] = nt_csv_get_double (csv, r, "mean");
            sd[m] = nt_csv_get_double (csv, r, "std");
          }
      double s = isfinite (sd[m]) ? sd[m] : 0;
      if (isfinite (mean[m]))
        lowest = MIN (lowest, mean[m] - s);
    }
  /* the sets' own accuracies, when the raw file is there */
  NtCsv *sets = _nt_study_read (run_dir, "results/accuracy.csv", set_cols,
                                NULL);
  for (guint r = 0; sets && r < nt_csv_n_rows (sets); r++)
    {
      double a = nt_csv_get_double (sets, r, "test_accuracy");
      if (isfinite (a))
        lowest = MIN (lowest, a);
    }
  /* the highest dot per model, to put the mean's label above it */
  double *dot_max = g_new (double, n);
  for (guint m = 0; m < n; m++)
    dot_max[m] = -INFINITY;
  for (guint r = 0; sets && r < nt_csv_n_rows (sets); r++)
    {
      double a = nt_csv_get_double (sets, r, "test_accuracy");
      for (guint m = 0; m < n && isfinite (a); m++)
        if (strcmp (nt_csv_get (sets, r, "model"), models->pdata[m]) == 0)
          dot_max[m] = MAX (dot_max[m], a);
    }
  double ylo, yhi;
  _nt_study_accuracy_range (lowest, &ylo, &yhi);
  int n_sets = _nt_study_n_sets (run_dir);

  int width = MAX (760, 120 + 110 * (int) n);
  NtFigure *fig = nt_figure_open (path, width, 600, error);
  if (fig == NULL)
    goto out;
  _nt_study_begin (fig);
  char *subtitle = n_sets == 1
      ? g_strdup ("one set: bars are its accuracies (no spread to show)")
      : n_sets > 0
      ? g_strdup_printf ("bars: mean, error bars: ± std over %d set%s; "
                         "dots: the sets", n_sets, n_sets == 1 ? "" : "s")
      : g_strdup ("bars: mean, error bars: ± std over the sets; dots: the "
                  "sets");
  _nt_study_title ("Test accuracy per model type", subtitle);
  g_free (subtitle);

  double rect[4] = { _nt_study_px_x (95), 1 - _nt_study_px_x (25),
                     _nt_study_px_y (90), 1 - _nt_study_px_y (85) };
  double range = yhi - ylo;
  double ytick = range <= 0.031 ? 0.005 : range <= 0.11 ? 0.01
                 : range <= 0.31 ? 0.05 : 0.1;
  _nt_study_axes (rect, 0, n, ylo, yhi, -1, ytick, FALSE, TRUE,
                  "model type", NULL, NULL);
  plmtex ("l", ytick < 0.01 ? 5.0 : 4.4, 0.5, 0.5,
          "test accuracy (fraction of digits)");
  /* the bars, clipped at the bottom of the window */
  for (guint m = 0; m < n; m++)
    {
      if (!isfinite (mean[m]))
        continue;
      double x0 = m + 0.2, x1 = m + 0.8;
      double top = CLAMP (mean[m], ylo, yhi);
      PLFLT bx[4] = { x0, x1, x1, x0 }, by[4] = { ylo, ylo, top, top };
      gboolean base = strcmp (models->pdata[m], "baseline") == 0;
      plcol0 (base ? NT_SLOT_BAR_BASELINE : NT_SLOT_BAR);
      plfill (4, bx, by);
      plcol0 (NT_COLOR_FOREGROUND);
      plwidth (1);
      plline (4, bx, by);
    }
  /* the sets as dots, spread across the bar so they do not hide each
   * other */
  for (guint r = 0; sets && r < nt_csv_n_rows (sets); r++)
    {
      const char *model = nt_csv_get (sets, r, "model");
      double a = nt_csv_get_double (sets, r, "test_accuracy");
      double set = nt_csv_get_double (sets, r, "set");
      for (guint m = 0; m < n && isfinite (a); m++)
        if (strcmp (model, models->pdata[m]) == 0)
          {
            int k = n_sets > 0 ? n_sets : 1;
            double off = isfinite (set) && k > 1
                ? 0.3 * (fmod (set, k) / (k - 1) - 0.5) : 0;
            PLFLT px = m + 0.5 + off, py = a;
            plcol0 (NT_COLOR_FOREGROUND);
            plschr (0, 1.0);
            plstring (1, &px, &py, "•");
          }
    }
  /* error bars, then the mean as text above them */
  plwidth (1.6);
  for (guint m = 0; m < n; m++)
    {
      if (!isfinite (mean[m]))
        continue;
      double s = isfinite (sd[m]) ? sd[m] : 0;
      PLFLT x = m + 0.5, lo = MAX (mean[m] - s, ylo), hi = MIN (mean[m] + s,
                                                                  yhi);
      plcol0 (NT_COLOR_FOREGROUND);
      plerry (1, &x, &lo, &hi);
      char label[32];
      g_snprintf (label, sizeof label, "%.4f", mean[m]);
      plschr (0, 0.8);
      /* inside the bar's top when the error bar reaches the frame */
      double ty = MAX (mean[m] + s, dot_max[m]) + 0.04 * range;
      if (ty > yhi - 0.04 * range)
        {
          ty = MIN (mean[m], yhi) - 0.05 * range;
          plcol0 (NT_COLOR_BACKGROUND);
        }
      plptex (m + 0.5, ty, 1, 0, 0.5, label);
      plschr (0, 1.0);
      plcol0 (NT_COLOR_FOREGROUND);
    }
  plwidth (1);
  /* model names under the bars */
  plschr (0, 1.0);
  for (guint m = 0; m < n; m++)
    plmtex ("b", 1.3, (m + 0.5) / n, 0.5, models->pdata[m]);
  if (ylo < 0.98)
    nt_figure_text (_nt_study_px_x (10), _nt_study_px_y (26), 0, 0.8,
                    NT_COLOR_GRAY, "y axis widened below 0.98 to show every "
                    "value");
  _nt_study_footnote (NT_STUDY_NULL_TYPES_NOTE);
  gboolean ok = nt_figure_close (fig, error);
  g_free (mean);
  g_free (sd);
  g_free (dot_max);
  g_ptr_array_unref (models);
  nt_csv_free (sets);
  nt_csv_free (csv);
  return ok;
out:
  g_free (mean);
  g_free (sd);
  g_free (dot_max);
  g_ptr_array_unref (models);
  nt_csv_free (sets);
  nt_csv_free (csv);
  return FALSE;
}
