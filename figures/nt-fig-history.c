/* nt-fig-history.c: figure 3 of the study, validation accuracy per epoch,
 * one panel per model type, one curve per set
 * (models/set-SS/TYPE.history.csv). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_SUFFIX ".history.csv"

/* One history curve. */
typedef struct {
  int set;
  char *model;
  GArray *epoch, *acc;   /* doubles */
} Curve;

static void
curve_free (gpointer p)
{
  Curve *c = p;
  g_free (c->model);
  g_array_unref (c->epoch);
  g_array_unref (c->acc);
  g_free (c);
}

/* Reads every models/set-SS/TYPE.history.csv. A history without an epoch
 * and accuracy column fails (NT_FIG_STUDY_ERROR_INVALID). */
static GPtrArray *
read_curves (const char *run_dir, GError **error)
{
  GPtrArray *curves = g_ptr_array_new_with_free_func (curve_free);
  char *models_dir = g_build_filename (run_dir, "models", NULL);
  GDir *dir = g_dir_open (models_dir, 0, NULL);
  const char *set_name;
  while (dir && (set_name = g_dir_read_name (dir)))
    {
      char *end;
      if (!g_str_has_prefix (set_name, "set-"))
        continue;
      long set = strtol (set_name + 4, &end, 10);
      if (*end != '\0' || end == set_name + 4 || set < 0)
        continue;
      char *set_dir = g_build_filename (models_dir, set_name, NULL);
      GDir *sd = g_dir_open (set_dir, 0, NULL);
      const char *file;
      while (sd && (file = g_dir_read_name (sd)))
        {
          if (!g_str_has_suffix (file, HISTORY_SUFFIX)
              || strlen (file) == strlen (HISTORY_SUFFIX))
            continue;
          char *rel = g_build_filename ("models", set_name, file, NULL);
          static const char *const cols[] = { "epoch", NULL };
          NtCsv *csv = _nt_study_read (run_dir, rel, cols, error);
          const char *acc_col = NULL;
          if (csv && nt_csv_column (csv, "val_digit_accuracy") >= 0)
            acc_col = "val_digit_accuracy";
          else if (csv && nt_csv_column (csv, "val_accuracy") >= 0)
            acc_col = "val_accuracy";
          else if (csv)
            g_set_error (error, NT_FIG_STUDY_ERROR,
                         NT_FIG_STUDY_ERROR_INVALID,
                         "%s/%s has neither val_digit_accuracy nor "
                         "val_accuracy", run_dir, rel);
          g_free (rel);
          if (acc_col == NULL)
            {
              nt_csv_free (csv);
              g_dir_close (sd);
              g_free (set_dir);
              g_dir_close (dir);
              g_free (models_dir);
              g_ptr_array_unref (curves);
              return NULL;
            }
          Curve *c = g_new0 (Curve, 1);
          c->set = (int) set;
          c->model = g_strndup (file, strlen (file) - strlen (HISTORY_SUFFIX));
          c->epoch = g_array_new (FALSE, FALSE, sizeof (double));
          c->acc = g_array_new (FALSE, FALSE, sizeof (double));
          for (guint r = 0; r < nt_csv_n_rows (csv); r++)
            {
              double e = nt_csv_get_double (csv, r, "epoch");
              double a = nt_csv_get_double (csv, r, acc_col);
              if (isfinite (e))
                {
                  g_array_append_val (c->epoch, e);
                  g_array_append_val (c->acc, a);
                }
            }
          nt_csv_free (csv);
          if (c->epoch->len > 0)
            g_ptr_array_add (curves, c);
          else
            curve_free (c);
        }
      if (sd)
        g_dir_close (sd);
      g_free (set_dir);
    }
  if (dir)
    g_dir_close (dir);
  g_free (models_dir);
  if (curves->len == 0)
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "no training history (models/set-SS/TYPE.history.csv) "
                   "in %s", run_dir);
      g_ptr_array_unref (curves);
      return NULL;
    }
  return curves;
}

static int
compare_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

typedef struct {
  GPtrArray *curves;     /* Curve */
  GPtrArray *models;     /* names, in the study's order */
  GArray *sets;          /* int, ascending */
  double emax, ylo, yhi, xtick, ytick;
  gboolean markers;      /* few epochs: a marker at each */
  guint rows, cols;
} HistoryFigure;

static void
draw_history (NtFigure *fig, gpointer data)
{
  const HistoryFigure *d = data;
  _nt_study_begin (fig);
  char subtitle[160];
  g_snprintf (subtitle, sizeof subtitle, "accuracy on the test digits after "
              "each epoch, one curve per set (%u set%s)", d->sets->len,
              d->sets->len == 1 ? "" : "s");
  _nt_study_title ("Validation accuracy during training", subtitle);
  /* margins in pixels: labels, title, legend; panels share the y axis */
  double left = _nt_study_px_x (92), right = 1 - _nt_study_px_x (20);
  double top = 1 - _nt_study_px_y (95), bottom = _nt_study_px_y (140);
  guint cols = d->cols;
  for (guint m = 0; m < d->models->len; m++)
    {
      double rect[4];
      _nt_study_panel_rect (m, d->rows, cols, left, right, bottom, top,
                            _nt_study_px_x (22), _nt_study_px_y (60), rect);
      guint r = m / cols, c = m % cols;
      gboolean last_row = r == d->rows - 1 || m + cols >= d->models->len;
      /* epochs are whole numbers: integer ticks, half an epoch of margin */
      _nt_study_axes (rect, 0.5, d->emax + 0.5, d->ylo, d->yhi, d->xtick,
                      d->ytick, TRUE, c == 0, last_row ? "epoch" : NULL,
                      c == 0 ? "validation accuracy" : NULL,
                      d->models->pdata[m]);
      for (guint i = 0; i < d->curves->len; i++)
        {
          Curve *cv = d->curves->pdata[i];
          if (strcmp (cv->model, d->models->pdata[m]) != 0)
            continue;
          guint s = 0;
          while (s < d->sets->len
                 && g_array_index (d->sets, int, s) != cv->set)
            s++;
          PLINT color = _nt_study_series_color (s, d->sets->len);
          /* (a lone point is the marker's alone) */
          if (!d->markers || cv->epoch->len > 1)
            _nt_study_line (cv->epoch->len, (double *) cv->epoch->data,
                            (double *) cv->acc->data, color, 1,
                            d->sets->len > 10 ? 1.1 : 1.8);
          if (d->markers)
            _nt_study_markers (cv->epoch->len, (double *) cv->epoch->data,
                               (double *) cv->acc->data, color, 3.5);
        }
    }
  /* legend of the sets (or a note when there are too many to list) */
  plvpor (0.02, 0.98, _nt_study_px_y (25), _nt_study_px_y (72));
  plwind (0, 1, 0, 1);
  if (d->sets->len <= 10)
    {
      NtStudyKey keys[10];
      char labels[10][32];
      for (guint s = 0; s < d->sets->len; s++)
        {
          g_snprintf (labels[s], sizeof labels[s], "set %d",
                      g_array_index (d->sets, int, s));
          keys[s] = (NtStudyKey) { labels[s],
                                   d->markers ? NT_STUDY_KEY_LINE_SYMBOL
                                              : NT_STUDY_KEY_LINE,
                                   _nt_study_series_color (s, d->sets->len),
                                   0, 1, 2.5, NULL, 1.0 };
        }
      _nt_study_legend (keys, d->sets->len,
                        PL_POSITION_TOP | PL_POSITION_INSIDE, 0, 0,
                        MIN (d->sets->len, 10));
    }
  else
    {
      char note[128];
      g_snprintf (note, sizeof note,
                  "colour: set %d (dark purple) to set %d (orange)",
                  g_array_index (d->sets, int, 0),
                  g_array_index (d->sets, int, d->sets->len - 1));
      nt_figure_text (0.5, _nt_study_px_y (50), 0.5, 0.9,
                      NT_COLOR_FOREGROUND, note);
    }
  _nt_study_footnote (NT_STUDY_NULL_TYPES_NOTE);
}

gboolean
nt_fig_history (const char *run_dir, const char *path, GError **error)
{
  GPtrArray *curves = read_curves (run_dir, error);
  if (curves == NULL)
    return FALSE;
  /* the model types, the sets and the common axis ranges */
  HistoryFigure d = { 0 };
  d.curves = curves;
  d.models = g_ptr_array_new_with_free_func (g_free);
  d.sets = g_array_new (FALSE, FALSE, sizeof (int));
  double emax = 1, amin = INFINITY, amax = -INFINITY;
  guint max_points = 0;
  for (guint i = 0; i < curves->len; i++)
    {
      Curve *c = curves->pdata[i];
      gboolean have = FALSE;
      for (guint m = 0; m < d.models->len && !have; m++)
        have = strcmp (d.models->pdata[m], c->model) == 0;
      if (!have)
        g_ptr_array_add (d.models, g_strdup (c->model));
      have = FALSE;
      for (guint s = 0; s < d.sets->len && !have; s++)
        have = g_array_index (d.sets, int, s) == c->set;
      if (!have)
        g_array_append_val (d.sets, c->set);
      max_points = MAX (max_points, c->epoch->len);
      for (guint k = 0; k < c->epoch->len; k++)
        {
          emax = MAX (emax, g_array_index (c->epoch, double, k));
          double a = g_array_index (c->acc, double, k);
          if (isfinite (a))
            {
              amin = MIN (amin, a);
              amax = MAX (amax, a);
            }
        }
    }
  _nt_study_sort_models (run_dir, d.models);
  g_array_sort (d.sets, compare_int);
  if (!isfinite (amin))
    {
      amin = 0;
      amax = 1;
    }
  /* y from a round value under the lowest accuracy to 1 (or a little over
   * the highest when all are far below 1) */
  d.yhi = amax > 0.9 ? 1.0 : ceil (amax * 10 + 1e-9) / 10;
  d.yhi = CLAMP (d.yhi, 0.01, 1.0);
  d.ylo = floor (amin * 100 - 0.25) / 100;
  d.ylo = CLAMP (d.ylo, 0, d.yhi - 0.01);
  d.ytick = _nt_study_nice_tick (d.yhi - d.ylo, 7);
  d.emax = emax = MIN (emax, 1e6);
  /* whole epochs: at least 1 per tick */
  d.xtick = MAX (1.0, _nt_study_nice_tick (emax, 8));
  /* few points per curve: show each epoch as a marker */
  d.markers = max_points <= 15;
  _nt_study_grid (d.models->len, 4, &d.rows, &d.cols);
  int width = 120 + 310 * (int) d.cols, height = 190 + 260 * (int) d.rows;
  gboolean ok = nt_figure_render (path, width, height, draw_history, &d,
                                  error);
  g_ptr_array_unref (d.models);
  g_array_unref (d.sets);
  g_ptr_array_unref (curves);
  return ok;
}
