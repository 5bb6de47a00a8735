/* nt-fig-scores.c: figure 5 of the study, the scores at threshold: grouped
 * bars per model type (correct, misclassified, unclassified; mean with std
 * error bars over sets) with the numbers as a table under the bars, and
 * the same table as markdown (results/summary-threshold.csv).
 *
 * Every model, the baseline included, is drawn and tabulated from its own
 * measured row of the results file: nothing is assumed, so a baseline that
 * is not fully misclassified at its own threshold shows as such. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"

#include <math.h>
#include <string.h>

enum { CORRECT, MISCLASSIFIED, UNCLASSIFIED, N_SCORES };

static const char *const score_names[N_SCORES] = { "correct",
                                                   "misclassified",
                                                   "unclassified" };
static const NtColor score_colors[N_SCORES] = { NT_COLOR_CORRECT,
                                                NT_COLOR_MISCLASSIFIED,
                                                NT_COLOR_UNCLASSIFIED };

typedef struct {
  char *model;
  double mean[N_SCORES], sd[N_SCORES];
} Row;

static void
row_free (gpointer p)
{
  Row *r = p;
  g_free (r->model);
  g_free (r);
}

/* "97.3 ± 1.2" (not a number: "n/a") into out. */
static void
format_score (const Row *row, int s, char *out, gsize size)
{
  if (!isfinite (row->mean[s]))
    g_snprintf (out, size, "n/a");
  else
    g_snprintf (out, size, "%.1f ± %.1f", row->mean[s],
                isfinite (row->sd[s]) ? row->sd[s] : 0.0);
}

static gboolean
write_table (const char *table_path, const char *protocol, GPtrArray *rows,
             int n_sets, GError **error)
{
  GString *md = g_string_new (NULL);
  g_string_append_printf (md, "# Scores at threshold, %s protocol\n\n",
                          protocol ? protocol : "");
  if (n_sets > 0)
    g_string_append_printf (md, "Mean ± std over %d set%s, in %% of the "
                            "images at their attack threshold.\n\n", n_sets,
                            n_sets == 1 ? "" : "s");
  else
    g_string_append (md, "Mean ± std over the sets, in % of the images at "
                         "their attack threshold.\n\n");
  g_string_append (md, "| model | correct (%) | misclassified (%) | "
                       "unclassified (%) |\n|:--|--:|--:|--:|\n");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      g_string_append_printf (md, "| %s |", row->model);
      for (int s = 0; s < N_SCORES; s++)
        {
          char text[64];
          format_score (row, s, text, sizeof text);
          g_string_append_printf (md, " %s |", text);
        }
      g_string_append_c (md, '\n');
    }
  gboolean ok = g_file_set_contents (table_path, md->str, md->len, error);
  if (!ok)
    g_prefix_error (error, "cannot write the table %s: ", table_path);
  g_string_free (md, TRUE);
  return ok;
}

typedef struct {
  GPtrArray *rows;       /* Row, the baseline first */
  const char *protocol;
  int n_sets;
} ScoresFigure;

static void
draw_scores (NtFigure *fig, gpointer data)
{
  const ScoresFigure *d = data;
  GPtrArray *rows = d->rows;
  guint n = rows->len;
  _nt_study_begin (fig);
  char subtitle[256];
  if (d->n_sets > 0)
    g_snprintf (subtitle, sizeof subtitle, "%s; mean ± std over %d set%s",
                _nt_study_protocol_title (d->protocol), d->n_sets,
                d->n_sets == 1 ? "" : "s");
  else
    g_snprintf (subtitle, sizeof subtitle, "%s; mean ± std over the sets",
                _nt_study_protocol_title (d->protocol));
  _nt_study_title ("Scores at the attack threshold", subtitle);

  double left = _nt_study_px_x (150), right = 1 - _nt_study_px_x (25);
  double rect[4] = { left, right, _nt_study_px_y (290),
                     1 - _nt_study_px_y (118) };
  /* the axis reaches over 100 % to keep the error bars visible */
  _nt_study_axes (rect, 0, n, 0, 110, -1, 20, FALSE, TRUE, NULL,
                  "images at threshold (%)", NULL);
  double bw = 0.26;
  for (guint i = 0; i < n; i++)
    {
      Row *row = rows->pdata[i];
      for (int s = 0; s < N_SCORES; s++)
        {
          if (!isfinite (row->mean[s]))
            continue;
          double xc = i + 0.5 + (s - 1) * (bw + 0.015);
          double top = CLAMP (row->mean[s], 0, 105);
          PLFLT bx[4] = { xc - bw / 2, xc + bw / 2, xc + bw / 2, xc - bw / 2 };
          PLFLT by[4] = { 0, 0, top, top };
          plcol0 (score_colors[s]);
          if (top > 0)
            plfill (4, bx, by);
          else
            {
              /* a zero bar as a flat mark on the axis */
              PLFLT lx[2] = { bx[0], bx[1] }, ly[2] = { 0.25, 0.25 };
              plwidth (3);
              plline (2, lx, ly);
              plwidth (1);
            }
          if (isfinite (row->sd[s]) && row->sd[s] > 0)
            {
              PLFLT x = xc, lo = MAX (row->mean[s] - row->sd[s], 0);
              PLFLT hi = MIN (row->mean[s] + row->sd[s], 105);
              plcol0 (NT_COLOR_FOREGROUND);
              plwidth (1.5);
              plerry (1, &x, &lo, &hi);
              plwidth (1);
            }
        }
    }
  plcol0 (NT_COLOR_FOREGROUND);
  for (guint i = 0; i < n; i++)
    plmtex ("b", 1.4, (i + 0.5) / n, 0.5, ((Row *) rows->pdata[i])->model);
  plmtex ("b", 2.9, 0.5, 0.5, "model type");
  NtStudyKey keys[N_SCORES];
  for (int s = 0; s < N_SCORES; s++)
    keys[s] = (NtStudyKey) { score_names[s], NT_STUDY_KEY_BOX,
                             score_colors[s], 0, 1, 1 };
  plvpor (rect[0], rect[1], rect[2], rect[3]);
  _nt_study_legend (keys, N_SCORES,
                    PL_POSITION_TOP | PL_POSITION_OUTSIDE, 0, 0.01, 3);

  /* the table: one column per model, aligned with the bar groups */
  double t_top = _nt_study_px_y (197), row_h = _nt_study_px_y (34);
  plvpor (rect[0], rect[1], 0, 1);
  plwind (0, n, 0, 1);
  plschr (0, 0.95);
  for (guint i = 0; i < n; i++)
    {
      Row *row = rows->pdata[i];
      plcol0 (NT_COLOR_FOREGROUND);
      plptex (i + 0.5, t_top, 1, 0, 0.5, row->model);
      for (int s = 0; s < N_SCORES; s++)
        {
          char text[64];
          format_score (row, s, text, sizeof text);
          plcol0 (score_colors[s]);
          plptex (i + 0.5, t_top - (s + 1) * row_h, 1, 0, 0.5, text);
        }
    }
  /* rules under the header and under the last row */
  plcol0 (NT_COLOR_GRAY);
  PLFLT rx[2] = { 0, n }, ry[2] = { t_top - 0.4 * row_h, t_top - 0.4 * row_h };
  plline (2, rx, ry);
  ry[0] = ry[1] = t_top - 3.5 * row_h;
  plline (2, rx, ry);
  plschr (0, 1.0);
  /* row labels left of the table */
  for (int s = 0; s < N_SCORES; s++)
    {
      char label[64];
      g_snprintf (label, sizeof label, "%s (%%)", score_names[s]);
      nt_figure_text (left - _nt_study_px_x (12), t_top - (s + 1) * row_h,
                      1, 0.95, score_colors[s], label);
    }
  nt_figure_text (left - _nt_study_px_x (12), t_top, 1, 0.95,
                  NT_COLOR_FOREGROUND, "model");
  _nt_study_footnote (NT_STUDY_NULL_TYPES_NOTE);
}

gboolean
nt_fig_scores (const char *run_dir, const char *protocol, const char *path,
               const char *table_path, GError **error)
{
  static const char *const cols[] = {
    "protocol", "model", "correct_mean", "correct_std", "misclassified_mean",
    "misclassified_std", "unclassified_mean", "unclassified_std", NULL };
  NtCsv *csv = _nt_study_read (run_dir, "results/summary-threshold.csv",
                               cols, error);
  if (csv == NULL)
    return FALSE;
  GPtrArray *models = _nt_study_models (run_dir, csv, "model", protocol);
  if (models->len == 0)
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "results/summary-threshold.csv has no %s rows",
                   protocol ? protocol : "");
      g_ptr_array_unref (models);
      nt_csv_free (csv);
      return FALSE;
    }
  /* the baseline is the reference: it leads, whatever the configured
   * order (its row is measured like any other) */
  for (guint m = 1; m < models->len; m++)
    if (strcmp (models->pdata[m], "baseline") == 0)
      {
        gpointer base = models->pdata[m];
        memmove (models->pdata + 1, models->pdata, m * sizeof (gpointer));
        models->pdata[0] = base;
        break;
      }
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  for (guint m = 0; m < models->len; m++)
    {
      const char *name = models->pdata[m];
      Row *row = g_new0 (Row, 1);
      row->model = g_strdup (name);
      for (int s = 0; s < N_SCORES; s++)
        row->mean[s] = row->sd[s] = NAN;
      for (guint r = 0; r < nt_csv_n_rows (csv); r++)
        if (_nt_study_row_in (csv, r, protocol)
            && strcmp (nt_csv_get (csv, r, "model"), name) == 0)
          for (int s = 0; s < N_SCORES; s++)
            {
              char key[40];
              g_snprintf (key, sizeof key, "%s_mean", score_names[s]);
              row->mean[s] = nt_csv_get_double (csv, r, key);
              g_snprintf (key, sizeof key, "%s_std", score_names[s]);
              row->sd[s] = nt_csv_get_double (csv, r, key);
            }
      g_ptr_array_add (rows, row);
    }
  g_ptr_array_unref (models);
  nt_csv_free (csv);
  int n_sets = _nt_study_n_sets_attacked (run_dir, protocol);
  if (table_path && !write_table (table_path, protocol, rows, n_sets, error))
    {
      g_ptr_array_unref (rows);
      return FALSE;
    }

  ScoresFigure d = { rows, protocol, n_sets };
  int width = MAX (1000, 190 + 140 * (int) rows->len);
  gboolean ok = nt_figure_render (path, width, 740, draw_scores, &d, error);
  g_ptr_array_unref (rows);
  return ok;
}
