/* nt-fig-compare.c: figure 7 of the study: for the m, s and sm models, the
 * null model's misclassified and unclassified curves against the
 * baseline's misclassified curve (results/summary-sweep.csv). The figure
 * names the models it shows, why, and the run's other null models. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"

#include <math.h>
#include <string.h>

enum { MIS = 1, UNC = 2 };

/* The null models the paper's figure 7 compares with the baseline. */
static const char *const preferred[] = { "m", "s", "sm" };

typedef struct {
  GPtrArray *chosen;         /* NtStudySweep, the panels */
  NtStudySweep *baseline;    /* or NULL */
  const char *protocol;
  int n_sets;
  double emax;
  guint rows, cols;
  char *title, *why;         /* figure title; which models, and why */
} CompareFigure;

static void
draw_compare (NtFigure *fig, gpointer data)
{
  const CompareFigure *d = data;
  const NtStudySweep *baseline = d->baseline;
  _nt_study_begin (fig);
  char subtitle[256];
  _nt_study_sweep_subtitle (subtitle, sizeof subtitle, d->protocol,
                            d->n_sets);
  _nt_study_title (d->title, subtitle);
  PLINT base_color = NT_SLOT_SERIES, base_band = NT_SLOT_BAND_NEUTRAL;
  NtRgb base_rgb = _nt_study_model_rgb ("baseline");
  _nt_study_set_slot (base_color, nt_rgb_shade (base_rgb, 0.6), 1);
  _nt_study_set_slot (base_band, _nt_study_lighten (base_rgb, 0.6), 0.3);
  double left = _nt_study_px_x (92), right = 1 - _nt_study_px_x (20);
  double top = 1 - _nt_study_px_y (95), bottom = _nt_study_px_y (155);
  double xpad = 0.02 * d->emax, ypad = NT_STUDY_PERCENT_PAD;
  guint cols = d->cols;
  for (guint m = 0; m < d->chosen->len; m++)
    {
      NtStudySweep *c = d->chosen->pdata[m];
      double rect[4];
      _nt_study_panel_rect (m, d->rows, cols, left, right, bottom, top,
                            _nt_study_px_x (40), _nt_study_px_y (60), rect);
      /* one panel: the figure's title names its model */
      char title[128];
      g_snprintf (title, sizeof title, "%s model", c->model);
      gboolean bottom_row = m + cols >= d->chosen->len;
      _nt_study_axes (rect, -xpad, d->emax + xpad, -ypad, 100 + ypad,
                      d->emax > 0.5 ? 0.2 : 0.1, 20, TRUE, m % cols == 0,
                      bottom_row ? "ε (max. pixel change)" : NULL,
                      m % cols == 0 ? "share of images (%)" : NULL,
                      d->chosen->len > 1 ? title : NULL);
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
      NT_SLOT_BAND_MISCLASSIFIED, 1, 2.5, NULL, 0 },
    { "null model: unclassified", NT_STUDY_KEY_BAND, NT_COLOR_UNCLASSIFIED,
      NT_SLOT_BAND_UNCLASSIFIED, 1, 2.5, NULL, 0 },
    { "baseline: misclassified", NT_STUDY_KEY_BAND, base_color, base_band, 2,
      2.5, NULL, 0 } };
  plvpor (0.02, 0.98, _nt_study_px_y (42), _nt_study_px_y (89));
  plwind (0, 1, 0, 1);
  _nt_study_legend (keys, baseline ? 3 : 2,
                    PL_POSITION_TOP | PL_POSITION_INSIDE, 0, 0.0, 3);
  nt_figure_text (_nt_study_px_x (10), _nt_study_px_y (26), 0, 0.8,
                  NT_COLOR_GRAY, d->why);
  _nt_study_footnote (NT_STUDY_NULL_TYPES_NOTE);
}

/* "a", "a and b", "a, b and c" */
static void
append_list (GString *out, GPtrArray *names)
{
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (out, "%s%s", i == 0 ? ""
                            : i + 1 == names->len ? " and " : ", ",
                            (const char *) names->pdata[i]);
}

gboolean
nt_fig_compare (const char *run_dir, const char *protocol, const char *path,
                GError **error)
{
  GPtrArray *curves = _nt_study_read_sweep (run_dir, protocol, error);
  if (curves == NULL)
    return FALSE;
  CompareFigure d = { g_ptr_array_new (), NULL, protocol, 0, 0, 1, 1,
                      NULL, NULL };
  for (guint p = 0; p < G_N_ELEMENTS (preferred); p++)
    for (guint i = 0; i < curves->len; i++)
      if (strcmp (((NtStudySweep *) curves->pdata[i])->model,
                  preferred[p]) == 0)
        g_ptr_array_add (d.chosen, curves->pdata[i]);
  for (guint i = 0; i < curves->len; i++)
    {
      NtStudySweep *c = curves->pdata[i];
      if (strcmp (c->model, "baseline") == 0)
        d.baseline = c;
    }
  gboolean fallback = d.chosen->len == 0;
  for (guint i = 0; fallback && i < curves->len; i++)
    if (curves->pdata[i] != d.baseline)
      g_ptr_array_add (d.chosen, curves->pdata[i]);
  if (d.chosen->len == 0)
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "results/summary-sweep.csv has no null model in its %s "
                   "rows", protocol ? protocol : "");
      g_ptr_array_unref (d.chosen);
      g_ptr_array_unref (curves);
      return FALSE;
    }
  /* say which null models are drawn and why, and where the others are */
  GPtrArray *shown = g_ptr_array_new (), *others = g_ptr_array_new ();
  for (guint i = 0; i < d.chosen->len; i++)
    g_ptr_array_add (shown, ((NtStudySweep *) d.chosen->pdata[i])->model);
  for (guint i = 0; i < curves->len; i++)
    if (curves->pdata[i] != d.baseline
        && !g_ptr_array_find (d.chosen, curves->pdata[i], NULL))
      g_ptr_array_add (others, ((NtStudySweep *) curves->pdata[i])->model);
  GString *title = g_string_new (NULL);
  if (fallback)
    g_string_append (title, "Null models against the baseline");
  else
    {
      g_string_append (title, shown->len == 1 ? "The " : "Null models ");
      append_list (title, shown);
      g_string_append (title, shown->len == 1 ? " model against the baseline"
                                              : " against the baseline");
    }
  GString *why = g_string_new (NULL);
  if (fallback)
    g_string_append (why, "The paper compares the m, s and sm models with "
                     "the baseline; this run has none of them, so every "
                     "null model is shown.");
  else
    {
      g_string_append (why, "Shown: ");
      append_list (why, shown);
      g_string_append (why, shown->len < G_N_ELEMENTS (preferred)
                       ? " (of the m, s and sm models the paper compares "
                         "with the baseline, the ones in this run)."
                       : " (the models the paper compares with the "
                         "baseline).");
      if (others->len > 0)
        {
          g_string_append (why, " Not shown: ");
          append_list (why, others);
          g_string_append (why, " (see figure 6).");
        }
    }
  g_ptr_array_unref (shown);
  g_ptr_array_unref (others);
  d.title = g_string_free (title, FALSE);
  d.why = g_string_free (why, FALSE);
  for (guint m = 0; m < curves->len; m++)
    {
      NtStudySweep *c = curves->pdata[m];
      if (c->n)
        d.emax = MAX (d.emax, c->eps[c->n - 1]);
    }
  d.emax = d.emax > 0 ? d.emax : 1;
  _nt_study_grid (d.chosen->len, 4, &d.rows, &d.cols);
  int width = MAX (900, 100 + 380 * (int) d.cols);
  int height = MAX (580, 190 + 330 * (int) d.rows);
  d.n_sets = _nt_study_n_sets_attacked (run_dir, protocol);
  gboolean ok = nt_figure_render (path, width, height, draw_compare, &d,
                                  error);
  g_free (d.title);
  g_free (d.why);
  g_ptr_array_unref (d.chosen);
  g_ptr_array_unref (curves);
  return ok;
}
