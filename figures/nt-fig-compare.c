/* nt-fig-compare.c: figure 7 of the study: for the m, s and sm models, the
 * null model's misclassified and unclassified curves against the
 * baseline's misclassified curve (results/summary-sweep.csv). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"

#include <math.h>
#include <string.h>

enum { MIS = 1, UNC = 2 };

gboolean
nt_fig_compare (const char *run_dir, const char *protocol, const char *path,
                GError **error)
{
  GPtrArray *curves = _nt_study_read_sweep (run_dir, protocol, error);
  if (curves == NULL)
    return FALSE;
  NtStudySweep *baseline = NULL;
  GPtrArray *chosen = g_ptr_array_new ();
  static const char *const preferred[] = { "m", "s", "sm" };
  for (guint p = 0; p < G_N_ELEMENTS (preferred); p++)
    for (guint i = 0; i < curves->len; i++)
      if (strcmp (((NtStudySweep *) curves->pdata[i])->model,
                  preferred[p]) == 0)
        g_ptr_array_add (chosen, curves->pdata[i]);
  for (guint i = 0; i < curves->len; i++)
    {
      NtStudySweep *c = curves->pdata[i];
      if (strcmp (c->model, "baseline") == 0)
        baseline = c;
    }
  gboolean fallback = chosen->len == 0;
  for (guint i = 0; fallback && i < curves->len; i++)
    if (curves->pdata[i] != baseline)
      g_ptr_array_add (chosen, curves->pdata[i]);
  if (chosen->len == 0)
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "results/summary-sweep.csv has no null model in its %s "
                   "rows", protocol ? protocol : "");
      g_ptr_array_unref (chosen);
      g_ptr_array_unref (curves);
      return FALSE;
    }
  double emax = 0;
  for (guint m = 0; m < curves->len; m++)
    {
      NtStudySweep *c = curves->pdata[m];
      if (c->n)
        emax = MAX (emax, c->eps[c->n - 1]);
    }
  emax = emax > 0 ? emax : 1;
  guint rows, cols;
  _nt_study_grid (chosen->len, 4, &rows, &cols);
  int width = MAX (900, 100 + 380 * (int) cols);
  int height = MAX (560, 175 + 330 * (int) rows);
  NtFigure *fig = nt_figure_open (path, width, height, error);
  if (fig == NULL)
    {
      g_ptr_array_unref (chosen);
      g_ptr_array_unref (curves);
      return FALSE;
    }
  _nt_study_begin (fig);
  int n_sets = _nt_study_n_sets_attacked (run_dir, protocol);
  char *subtitle = n_sets > 0
      ? g_strdup_printf ("%s; median over %d set%s, band 25-75 %%",
                         _nt_study_protocol_title (protocol), n_sets,
                         n_sets == 1 ? "" : "s")
      : g_strdup_printf ("%s; median over the sets, band 25-75 %%",
                         _nt_study_protocol_title (protocol));
  _nt_study_title ("Null models against the baseline", subtitle);
  g_free (subtitle);
  NtRgb base_rgb = { 0.15, 0.15, 0.15 };
  PLINT base_color = NT_SLOT_SERIES, base_band = NT_SLOT_BAND_NEUTRAL;
  _nt_study_set_slot (base_color, base_rgb, 1);
  _nt_study_set_slot (base_band, _nt_study_lighten (base_rgb, 0.6), 0.3);
  double left = _nt_study_px_x (92), right = 1 - _nt_study_px_x (20);
  double top = 1 - _nt_study_px_y (95), bottom = _nt_study_px_y (140);
  for (guint m = 0; m < chosen->len; m++)
    {
      NtStudySweep *c = chosen->pdata[m];
      double rect[4];
      _nt_study_panel_rect (m, rows, cols, left, right, bottom, top,
                            _nt_study_px_x (40), _nt_study_px_y (60), rect);
      char *title = g_strdup_printf ("%s model against the baseline",
                                     c->model);
      gboolean bottom_row = m + cols >= chosen->len;
      _nt_study_axes (rect, 0, emax, 0, 100, emax > 0.5 ? 0.2 : 0.1, 20,
                      TRUE, m % cols == 0,
                      bottom_row ? "ε (max. pixel change)" : NULL,
                      m % cols == 0 ? "share of images (%)" : NULL, title);
      g_free (title);
      if (baseline)
        _nt_study_band (baseline->n, baseline->eps, baseline->v[MIS][0],
                        baseline->v[MIS][2], base_band);
      _nt_study_band (c->n, c->eps, c->v[MIS][0], c->v[MIS][2],
                      NT_SLOT_BAND_MISCLASSIFIED);
      _nt_study_band (c->n, c->eps, c->v[UNC][0], c->v[UNC][2],
                      NT_SLOT_BAND_UNCLASSIFIED);
      if (baseline)
        _nt_study_line (baseline->n, baseline->eps, baseline->v[MIS][1],
                        base_color, 2, 2.2);
      _nt_study_line (c->n, c->eps, c->v[MIS][1], NT_COLOR_MISCLASSIFIED, 1,
                      2.4);
      _nt_study_line (c->n, c->eps, c->v[UNC][1], NT_COLOR_UNCLASSIFIED, 1,
                      2.4);
    }
  NtStudyKey keys[3] = {
    { "null model: misclassified", NT_STUDY_KEY_BAND, NT_COLOR_MISCLASSIFIED,
      NT_SLOT_BAND_MISCLASSIFIED, 1, 2.5 },
    { "null model: unclassified", NT_STUDY_KEY_BAND, NT_COLOR_UNCLASSIFIED,
      NT_SLOT_BAND_UNCLASSIFIED, 1, 2.5 },
    { "baseline: misclassified", NT_STUDY_KEY_BAND, base_color, base_band, 2,
      2.5 } };
  plvpor (0.02, 0.98, _nt_study_px_y (25), _nt_study_px_y (72));
  plwind (0, 1, 0, 1);
  _nt_study_legend (keys, baseline ? 3 : 2,
                    PL_POSITION_TOP | PL_POSITION_INSIDE, 0, 0.0,
                    3);
  _nt_study_footnote (fallback
                      ? "no m, s or sm model in this run: every null model "
                        "shown. " NT_STUDY_NULL_TYPES_NOTE
                      : NT_STUDY_NULL_TYPES_NOTE);
  g_ptr_array_unref (chosen);
  g_ptr_array_unref (curves);
  return nt_figure_close (fig, error);
}
