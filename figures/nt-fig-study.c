/* nt-fig-study.c: the study's figures from a run directory: the helpers the
 * renderers share (nt-fig-study-private.h) and nt_figures_render_run. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-study.h"
#include "nt-fig-study-private.h"
#include "nt-fig-null-examples.h"
#include "nt-dataset.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (nt-fig-study-error-quark, nt_fig_study_error)

/* ---- data ------------------------------------------------------------ */

NtCsv *
_nt_study_read (const char *run_dir, const char *rel,
                const char *const *columns, GError **error)
{
  char *path = g_build_filename (run_dir, rel, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_MISSING,
                   "%s is missing", rel);
      g_free (path);
      return NULL;
    }
  NtCsv *csv = nt_csv_read (path, error);
  for (const char *const *c = columns; csv && c && *c; c++)
    if (nt_csv_column (csv, *c) < 0)
      {
        g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_INVALID,
                     "%s has no column '%s' (rerun `nulltool run` on the "
                     "run directory to rewrite its summaries)", path, *c);
        nt_csv_free (csv);
        csv = NULL;
      }
  g_free (path);
  return csv;
}

gboolean
_nt_study_row_in (const NtCsv *csv, guint row, const char *protocol)
{
  if (protocol == NULL)
    return TRUE;
  const char *p = nt_csv_get (csv, row, "protocol");
  return p == NULL || strcmp (p, protocol) == 0;
}

char **
_nt_study_config_types (const char *run_dir)
{
  char *path = g_build_filename (run_dir, "config.ini", NULL);
  GKeyFile *kf = g_key_file_new ();
  char **types = NULL;
  if (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    {
      char *value = g_key_file_get_value (kf, "study", "types", NULL);
      if (value != NULL)
        {
          /* accept "a;b;c" (GKeyFile lists) and "a,b,c" */
          char **parts = g_strsplit_set (value, ";,", -1);
          GPtrArray *out = g_ptr_array_new ();
          for (guint i = 0; parts[i]; i++)
            {
              char *t = g_strstrip (parts[i]);
              if (*t)
                g_ptr_array_add (out, g_strdup (t));
            }
          g_ptr_array_add (out, NULL);
          types = (char **) g_ptr_array_free (out, FALSE);
          g_strfreev (parts);
          g_free (value);
        }
    }
  g_key_file_free (kf);
  g_free (path);
  return types;
}

/* Sort key of a model name: position in the configured types, then in the
 * study's order, then none (G_MAXINT: keeps first-appearance order). */
static int
model_rank (const char *name, char **configured)
{
  static const char *const study[] = { "baseline", "u", "s", "m", "us",
                                       "um", "sm", "usm" };
  guint n_conf = configured ? g_strv_length (configured) : 0;
  for (guint i = 0; i < n_conf; i++)
    if (strcmp (configured[i], name) == 0)
      return (int) i;
  for (guint i = 0; i < G_N_ELEMENTS (study); i++)
    if (strcmp (study[i], name) == 0)
      return (int) (n_conf + i);
  return G_MAXINT;
}

void
_nt_study_sort_models (const char *run_dir, GPtrArray *names)
{
  char **configured = _nt_study_config_types (run_dir);
  /* insertion sort: stable, so unknown names keep their order */
  for (guint i = 1; i < names->len; i++)
    for (guint j = i; j > 0; j--)
      {
        int a = model_rank (names->pdata[j - 1], configured);
        int b = model_rank (names->pdata[j], configured);
        if (a <= b)
          break;
        gpointer t = names->pdata[j - 1];
        names->pdata[j - 1] = names->pdata[j];
        names->pdata[j] = t;
      }
  g_strfreev (configured);
}

static gboolean
contains (GPtrArray *names, const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (strcmp (names->pdata[i], name) == 0)
      return TRUE;
  return FALSE;
}

GPtrArray *
_nt_study_models (const char *run_dir, const NtCsv *csv, const char *column,
                  const char *protocol)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  for (guint r = 0; r < nt_csv_n_rows (csv); r++)
    {
      const char *m = nt_csv_get (csv, r, column);
      if (m && *m && _nt_study_row_in (csv, r, protocol)
          && !contains (names, m))
        g_ptr_array_add (names, g_strdup (m));
    }
  _nt_study_sort_models (run_dir, names);
  return names;
}

/* Distinct values of `column` in a table. */
static guint
count_distinct (const NtCsv *csv, const char *column)
{
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint r = 0; r < nt_csv_n_rows (csv); r++)
    {
      const char *v = nt_csv_get (csv, r, column);
      if (v)
        g_hash_table_add (seen, (gpointer) v);
    }
  guint n = g_hash_table_size (seen);
  g_hash_table_destroy (seen);
  return n;
}

int
_nt_study_n_sets (const char *run_dir)
{
  static const char *const acc_cols[] = { "set", NULL };
  static const char *const sum_cols[] = { "n_sets", NULL };
  NtCsv *csv = _nt_study_read (run_dir, "results/accuracy.csv", acc_cols,
                               NULL);
  if (csv != NULL)
    {
      int n = (int) count_distinct (csv, "set");
      nt_csv_free (csv);
      if (n > 0)
        return n;
    }
  csv = _nt_study_read (run_dir, "results/summary-accuracy.csv", sum_cols,
                        NULL);
  int n = 0;
  for (guint r = 0; csv && r < nt_csv_n_rows (csv); r++)
    {
      double v = nt_csv_get_double (csv, r, "n_sets");
      if (isfinite (v) && v > n)
        n = (int) v;
    }
  nt_csv_free (csv);
  return n;
}

/* The number of sets of `protocol` in results/scores-threshold.csv, else
 * the run's number of sets (0 unknown). */
int
_nt_study_n_sets_attacked (const char *run_dir, const char *protocol)
{
  static const char *const cols[] = { "protocol", "set", NULL };
  NtCsv *csv = _nt_study_read (run_dir, "results/scores-threshold.csv", cols,
                               NULL);
  if (csv == NULL)
    return _nt_study_n_sets (run_dir);
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint r = 0; r < nt_csv_n_rows (csv); r++)
    if (_nt_study_row_in (csv, r, protocol))
      g_hash_table_add (seen, (gpointer) nt_csv_get (csv, r, "set"));
  int n = (int) g_hash_table_size (seen);
  g_hash_table_destroy (seen);
  nt_csv_free (csv);
  return n > 0 ? n : _nt_study_n_sets (run_dir);
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
_nt_study_quantile (const double *v, guint n, double q)
{
  double *s = g_new (double, MAX (n, 1));
  guint m = 0;
  for (guint i = 0; i < n; i++)
    if (!isnan (v[i]))
      s[m++] = v[i];
  double out = NAN;
  if (m > 0)
    {
      qsort (s, m, sizeof *s, compare_double);
      /* position q * (m - 1) between order statistics (R's type 7) */
      double pos = CLAMP (q, 0.0, 1.0) * (m - 1);
      guint lo = (guint) floor (pos);
      guint hi = MIN (lo + 1, m - 1);
      out = s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
  g_free (s);
  return out;
}

gboolean
_nt_study_min_max (const double *v, guint n, double *lo, double *hi)
{
  gboolean any = FALSE;
  for (guint i = 0; i < n; i++)
    if (!isnan (v[i]))
      {
        if (!any || v[i] < *lo)
          *lo = v[i];
        if (!any || v[i] > *hi)
          *hi = v[i];
        any = TRUE;
      }
  return any;
}

const char *
_nt_study_protocol_title (const char *protocol)
{
  if (g_strcmp0 (protocol, "transfer") == 0)
    return "transfer attack: FGSM directions and thresholds of the baseline";
  if (g_strcmp0 (protocol, "whitebox") == 0)
    return "white-box attack: each model attacked with its own gradients";
  return protocol ? protocol : "";
}

void
_nt_study_sweep_subtitle (char *buf, gsize size, const char *protocol,
                          int n_sets)
{
  if (n_sets > 0)
    g_snprintf (buf, size, "%s; median over %d set%s, band 25-75 %%",
                _nt_study_protocol_title (protocol), n_sets,
                n_sets == 1 ? "" : "s");
  else
    g_snprintf (buf, size, "%s; median over the sets, band 25-75 %%",
                _nt_study_protocol_title (protocol));
}

/* ---- drawing --------------------------------------------------------- */

void
_nt_study_set_slot (PLINT slot, NtRgb rgb, double alpha)
{
  plscol0a (slot, (PLINT) lround (CLAMP (rgb.r, 0, 1) * 255),
            (PLINT) lround (CLAMP (rgb.g, 0, 1) * 255),
            (PLINT) lround (CLAMP (rgb.b, 0, 1) * 255), CLAMP (alpha, 0, 1));
}

NtRgb
_nt_study_lighten (NtRgb rgb, double white)
{
  NtRgb out = { rgb.r + (1 - rgb.r) * white, rgb.g + (1 - rgb.g) * white,
                rgb.b + (1 - rgb.b) * white };
  return out;
}

/* The page size in pixels, for _nt_study_px_x/y. */
static double page_w = 1000, page_h = 1000;

double
_nt_study_px_x (double pixels)
{
  return pixels / page_w;
}

double
_nt_study_px_y (double pixels)
{
  return pixels / page_h;
}

void
_nt_study_begin (NtFigure *fig)
{
  page_w = nt_figure_width (fig);
  page_h = nt_figure_height (fig);
  plschr (NT_STUDY_CHAR_MM, 1.0);
  /* plscmap0n keeps the existing entries and appends new ones */
  plscmap0n (NT_N_SLOTS);
  /* bands: light and half transparent, so overlapping bands stay visible */
  _nt_study_set_slot (NT_SLOT_BAND_CORRECT,
                      _nt_study_lighten (nt_figure_rgb (NT_COLOR_CORRECT),
                                         0.55), 0.45);
  _nt_study_set_slot (NT_SLOT_BAND_MISCLASSIFIED,
                      _nt_study_lighten (
                          nt_figure_rgb (NT_COLOR_MISCLASSIFIED), 0.55), 0.45);
  _nt_study_set_slot (NT_SLOT_BAND_UNCLASSIFIED,
                      _nt_study_lighten (
                          nt_figure_rgb (NT_COLOR_UNCLASSIFIED), 0.55), 0.45);
  NtRgb neutral = { 0.55, 0.55, 0.55 };
  _nt_study_set_slot (NT_SLOT_BAND_NEUTRAL, neutral, 0.35);
  NtRgb grid = { 0.90, 0.90, 0.90 };
  _nt_study_set_slot (NT_SLOT_GRID, grid, 1);
}

/* The model types' palette: no green, red or blue (the score colours). */
static const guint8 model_palette[8][3] = {
  { 102, 102, 102 },   /* baseline: gray, the reference */
  { 230, 159, 0 },     /* u: orange */
  { 142, 68, 173 },    /* s: purple */
  { 140, 86, 75 },     /* m: brown */
  { 227, 119, 194 },   /* us: pink */
  { 160, 155, 10 },    /* um: olive */
  { 38, 38, 38 },      /* sm: near-black */
  { 156, 42, 122 } };  /* usm: plum */
static const char *const model_names[8] = { "baseline", "u", "s", "m",
                                            "us", "um", "sm", "usm" };

static NtRgb
palette_rgb (guint i)
{
  const guint8 *c = model_palette[i % G_N_ELEMENTS (model_palette)];
  return (NtRgb) { c[0] / 255.0, c[1] / 255.0, c[2] / 255.0 };
}

NtRgb
_nt_study_model_rgb (const char *model)
{
  for (guint i = 0; i < G_N_ELEMENTS (model_names); i++)
    if (g_strcmp0 (model, model_names[i]) == 0)
      return palette_rgb (i);
  /* other names: a stable choice among the null types' colours */
  return palette_rgb (1 + g_str_hash (model ? model : "") % 7);
}

PLINT
_nt_study_model_color (guint index, const char *model)
{
  PLINT slot = NT_SLOT_SERIES + (PLINT) (index % NT_SLOT_N_SERIES);
  _nt_study_set_slot (slot, _nt_study_model_rgb (model), 1);
  return slot;
}

PLINT
_nt_study_series_color (guint i, guint n)
{
  NtRgb rgb;
  if (n <= 8)
    /* the palette without the baseline's gray first */
    rgb = palette_rgb ((i + 1) % 8);
  else
    {
      /* dark purple -> magenta -> orange, roughly perceptually even */
      double t = n > 1 ? (double) i / (n - 1) : 0;
      static const double stops[3][3] = { { 0.23, 0.06, 0.44 },
                                          { 0.65, 0.20, 0.55 },
                                          { 0.96, 0.60, 0.10 } };
      int k = t < 0.5 ? 0 : 1;
      double u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
      rgb = (NtRgb) { stops[k][0] + u * (stops[k + 1][0] - stops[k][0]),
                      stops[k][1] + u * (stops[k + 1][1] - stops[k][1]),
                      stops[k][2] + u * (stops[k + 1][2] - stops[k][2]) };
    }
  PLINT slot = NT_SLOT_SERIES + (PLINT) (i % NT_SLOT_N_SERIES);
  _nt_study_set_slot (slot, rgb, 1);
  return slot;
}

void
_nt_study_grid (guint n, guint max_cols, guint *rows, guint *cols)
{
  n = MAX (n, 1);
  *cols = MIN (n, MAX (max_cols, 1));
  *rows = (n + *cols - 1) / *cols;
}

void
_nt_study_panel_rect (guint index, guint rows, guint cols, double left,
                      double right, double bottom, double top, double hgap,
                      double vgap, double rect[4])
{
  guint r = index / cols, c = index % cols;
  double w = (right - left - (cols - 1) * hgap) / cols;
  double h = (top - bottom - (rows - 1) * vgap) / rows;
  rect[0] = left + c * (w + hgap);
  rect[1] = rect[0] + w;
  rect[3] = top - r * (h + vgap);
  rect[2] = rect[3] - h;
}

double
_nt_study_nice_tick (double range, int max_ticks)
{
  if (!isfinite (range) || range <= 0)
    return 1;
  max_ticks = MAX (max_ticks, 1);
  static const double steps[] = { 1, 2, 5 };
  double p = pow (10, floor (log10 (range / max_ticks)));
  for (int decade = 0; decade < 2; decade++, p *= 10)
    for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
      if (range / (steps[i] * p) <= max_ticks + 1e-9)
        return steps[i] * p;
  return 10 * p;
}

/* A usable axis range: finite, not empty. */
static void
sane_range (double *lo, double *hi)
{
  if (!isfinite (*lo) || !isfinite (*hi) || !(*hi > *lo)
      || !isfinite (*hi - *lo)
      || *hi - *lo < 1e-9 * MAX (fabs (*lo), fabs (*hi)))
    {
      *lo = 0;
      *hi = 1;
    }
}

/* A tick spacing PLplot accepts for [lo, hi]: 0 (PLplot's choice) stays,
 * a spacing giving more than 50 ticks is replaced. */
static double
sane_tick (double tick, double lo, double hi)
{
  if (tick == 0)
    return 0;
  if (!isfinite (tick) || tick < 0 || (hi - lo) / tick > 50)
    return _nt_study_nice_tick (hi - lo, 8);
  return tick;
}

void
_nt_study_axes (const double rect[4], double xmin, double xmax, double ymin,
                double ymax, double xtick, double ytick, gboolean numbers_x,
                gboolean numbers_y, const char *xlabel, const char *ylabel,
                const char *title)
{
  gboolean x_ticks = xtick >= 0;
  sane_range (&xmin, &xmax);
  sane_range (&ymin, &ymax);
  xtick = x_ticks ? sane_tick (xtick, xmin, xmax) : 0;
  ytick = sane_tick (ytick, ymin, ymax);
  plvpor (rect[0], rect[1], rect[2], rect[3]);
  plwind (xmin, xmax, ymin, ymax);
  plcol0 (NT_SLOT_GRID);
  plwidth (1);
  plbox (x_ticks ? "g" : "", xtick, 0, "g", ytick, 0);
  plcol0 (NT_COLOR_FOREGROUND);
  plschr (0, 0.9);
  plbox (!x_ticks ? "bc" : numbers_x ? "bcnst" : "bcst", xtick, 0,
         numbers_y ? "bcnstv" : "bcstv", ytick, 0);
  plschr (0, 1.0);
  if (xlabel)
    plmtex ("b", 2.9, 0.5, 0.5, xlabel);
  if (ylabel)
    {
      /* clear of the widest tick label: count its characters */
      int decimals = ytick >= 1 || ytick <= 0
          ? 0 : (int) ceil (-log10 (ytick) - 1e-9);
      char lo[64], hi[64];
      g_snprintf (lo, sizeof lo, "%.*f", decimals, ymin);
      g_snprintf (hi, sizeof hi, "%.*f", decimals, ymax);
      int chars = (int) MAX (strlen (lo), strlen (hi));
      plmtex ("l", 2.0 + 0.6 * chars, 0.5, 0.5, ylabel);
    }
  if (title)
    {
      plschr (0, 1.05);
      plmtex ("t", 0.9, 0.5, 0.5, title);
      plschr (0, 1.0);
    }
}

void
_nt_study_band (guint n, const double *x, const double *lo, const double *hi,
                PLINT color)
{
  /* one polygon per run of points where both edges are numbers */
  PLFLT *px = g_new (PLFLT, 2 * (gsize) n + 1);
  PLFLT *py = g_new (PLFLT, 2 * (gsize) n + 1);
  plcol0 (color);
  guint i = 0;
  while (i < n)
    {
      while (i < n && !(isfinite (x[i]) && isfinite (lo[i])
                        && isfinite (hi[i])))
        i++;
      guint start = i;
      while (i < n && isfinite (x[i]) && isfinite (lo[i])
             && isfinite (hi[i]))
        i++;
      guint len = i - start;
      if (len < 2)
        continue;
      guint k = 0;
      for (guint j = start; j < i; j++, k++)
        {
          px[k] = x[j];
          py[k] = hi[j];
        }
      for (guint j = i; j-- > start; k++)
        {
          px[k] = x[j];
          py[k] = lo[j];
        }
      plfill ((PLINT) k, px, py);
    }
  g_free (px);
  g_free (py);
  plcol0 (NT_COLOR_FOREGROUND);
}

void
_nt_study_line (guint n, const double *x, const double *y, PLINT color,
                PLINT style, double width)
{
  plcol0 (color);
  pllsty (style);
  plwidth (width);
  guint i = 0;
  while (i < n)
    {
      while (i < n && !(isfinite (x[i]) && isfinite (y[i])))
        i++;
      guint start = i;
      while (i < n && isfinite (x[i]) && isfinite (y[i]))
        i++;
      if (i - start >= 2)
        plline ((PLINT) (i - start), x + start, y + start);
      else if (i - start == 1)
        _nt_study_circle (x[start], y[start], 2.5, color, TRUE);
    }
  pllsty (1);
  plwidth (1);
  plcol0 (NT_COLOR_FOREGROUND);
}

/* The size in world units of one pixel of the current viewport. */
static void
world_per_pixel (double *wx, double *wy)
{
  PLFLT vx0, vx1, vy0, vy1, x0, x1, y0, y1;
  plgvpd (&vx0, &vx1, &vy0, &vy1);
  plgvpw (&x0, &x1, &y0, &y1);
  *wx = (x1 - x0) / MAX ((vx1 - vx0) * page_w, 1e-9);
  *wy = (y1 - y0) / MAX ((vy1 - vy0) * page_h, 1e-9);
}

void
_nt_study_circle (double x, double y, double radius_px, PLINT color,
                  gboolean filled)
{
  if (!isfinite (x) || !isfinite (y))
    return;
  double wx, wy;
  world_per_pixel (&wx, &wy);
  enum { N = 24 };
  PLFLT px[N + 1], py[N + 1];
  for (int i = 0; i <= N; i++)
    {
      double a = 2 * G_PI * i / N;
      px[i] = x + radius_px * wx * cos (a);
      py[i] = y + radius_px * wy * sin (a);
    }
  plcol0 (color);
  if (filled)
    plfill (N, px, py);
  plwidth (filled ? 0.8 : 1.0);
  plline (N + 1, px, py);
  plwidth (1);
  plcol0 (NT_COLOR_FOREGROUND);
}

void
_nt_study_markers (guint n, const double *x, const double *y, PLINT color,
                   double radius_px)
{
  for (guint i = 0; i < n; i++)
    _nt_study_circle (x[i], y[i], radius_px, color, TRUE);
}

void
_nt_study_legend (const NtStudyKey *keys, guint n, int position, double x,
                  double y, int n_columns)
{
  g_return_if_fail (n > 0 && n <= 32);
  PLINT opts[32], text_colors[32], box_colors[32], box_patterns[32];
  PLINT line_colors[32], line_styles[32], symbol_colors[32];
  PLINT symbol_numbers[32];
  PLFLT box_scales[32], box_widths[32], line_widths[32], symbol_scales[32];
  const char *labels[32], *symbols[32];
  gboolean any_box = FALSE;
  for (guint i = 0; i < n; i++)
    {
      switch (keys[i].kind)
        {
        case NT_STUDY_KEY_LINE:
          opts[i] = PL_LEGEND_LINE;
          break;
        case NT_STUDY_KEY_BOX:
          opts[i] = PL_LEGEND_COLOR_BOX;
          break;
        case NT_STUDY_KEY_BAND:
          opts[i] = PL_LEGEND_COLOR_BOX | PL_LEGEND_LINE;
          break;
        case NT_STUDY_KEY_SYMBOL:
          opts[i] = PL_LEGEND_SYMBOL;
          break;
        default:
          opts[i] = PL_LEGEND_LINE | PL_LEGEND_SYMBOL;
          break;
        }
      any_box = any_box || (opts[i] & PL_LEGEND_COLOR_BOX);
      labels[i] = keys[i].label;
      text_colors[i] = NT_COLOR_FOREGROUND;
      line_colors[i] = symbol_colors[i] = keys[i].color;
      box_colors[i] = keys[i].kind == NT_STUDY_KEY_BAND ? keys[i].band_color
                                                        : keys[i].color;
      box_patterns[i] = 0;
      box_scales[i] = 0.8;
      box_widths[i] = 0;
      line_styles[i] = keys[i].style > 0 ? keys[i].style : 1;
      line_widths[i] = keys[i].width > 0 ? keys[i].width : 2;
      symbols[i] = keys[i].symbol ? keys[i].symbol : "●";
      symbol_scales[i] = keys[i].symbol_scale > 0 ? keys[i].symbol_scale
                                                  : 1.0;
      symbol_numbers[i] = 1;
    }
  PLFLT width, height;
  int n_rows = ((int) n + n_columns - 1) / n_columns;
  plschr (0, 0.95);
  pllegend (&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
            position, x, y, any_box ? 0.05 : 0.07, NT_COLOR_BACKGROUND,
            NT_COLOR_GRAY, 1, n_rows, n_columns, (PLINT) n, opts, 1.0, 1.0,
            2.0, 0.0, text_colors, labels, box_colors, box_patterns,
            box_scales, box_widths, line_colors, line_styles, line_widths,
            symbol_colors, symbol_scales, symbol_numbers, symbols);
  plschr (0, 1.0);
}

void
_nt_study_title (const char *title, const char *subtitle)
{
  nt_figure_text (0.5, 1 - _nt_study_px_y (subtitle ? 24 : 34), 0.5, 1.35,
                  NT_COLOR_FOREGROUND, title);
  if (subtitle)
    nt_figure_text (0.5, 1 - _nt_study_px_y (54), 0.5, 0.95, NT_COLOR_GRAY,
                    subtitle);
}

void
_nt_study_footnote (const char *text)
{
  nt_figure_text (_nt_study_px_x (10), _nt_study_px_y (8), 0, 0.8,
                  NT_COLOR_GRAY, text);
}

/* ---- the whole run ---------------------------------------------------- */

/* Protocols named in the protocol column of a results file, appended to
 * `protocols` (strings) when new. */
static void
add_protocols (const char *run_dir, const char *rel, GPtrArray *protocols)
{
  static const char *const cols[] = { "protocol", NULL };
  NtCsv *csv = _nt_study_read (run_dir, rel, cols, NULL);
  for (guint r = 0; csv && r < nt_csv_n_rows (csv); r++)
    {
      const char *p = nt_csv_get (csv, r, "protocol");
      if (p && *p && !contains (protocols, p))
        g_ptr_array_add (protocols, g_strdup (p));
    }
  nt_csv_free (csv);
}

/* transfer first, whitebox second, others after */
static int
compare_protocols (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;
  int rx = !strcmp (x, "transfer") ? 0 : !strcmp (x, "whitebox") ? 1 : 2;
  int ry = !strcmp (y, "transfer") ? 0 : !strcmp (y, "whitebox") ? 1 : 2;
  return rx != ry ? rx - ry : strcmp (x, y);
}

/* "BASE-PROTO.EXT" (or "BASE.EXT"), the protocol reduced to letters,
 * digits, '-' and '_' so a results file cannot name paths. */
static char *
fig_name (const char *base, const char *protocol, const char *ext)
{
  char *proto = g_strdup (protocol ? protocol : "");
  g_strcanon (proto, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-_", '_');
  char *name = g_strdup_printf ("%s%s%s.%s", base, protocol ? "-" : "",
                                proto, ext);
  g_free (proto);
  return name;
}

static char *
fig_path (const char *fig_dir, const char *base, const char *protocol,
          const char *ext)
{
  char *name = fig_name (base, protocol, ext);
  char *path = g_build_filename (fig_dir, name, NULL);
  g_free (name);
  return path;
}

typedef struct {
  GPtrArray *written, *notes;
  GError *first_error;
} RenderState;

static void
add_note (RenderState *st, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
add_note (RenderState *st, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  char *note = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (st->notes)
    g_ptr_array_add (st->notes, note);
  else
    {
      g_message ("%s", note);
      g_free (note);
    }
}

/* Books the outcome of one figure: written, skipped with a note (missing
 * input), or failed (first error kept). */
static void
outcome (RenderState *st, const char *what, const char *path, gboolean ok,
         GError *error)
{
  if (ok)
    {
      if (st->written)
        g_ptr_array_add (st->written, g_strdup (path));
      return;
    }
  if (g_error_matches (error, NT_FIG_STUDY_ERROR,
                       NT_FIG_STUDY_ERROR_MISSING))
    add_note (st, "%s skipped: %s", what, error->message);
  else if (st->first_error == NULL)
    {
      st->first_error = g_error_copy (error);
      g_prefix_error (&st->first_error, "%s: ", what);
    }
  else
    add_note (st, "%s failed too: %s", what, error->message);
  g_error_free (error);
}

/* Figure 1 for the run's dataset (config.ini [study] dataset, seed). */
static void
render_null_examples (NtRegistry *registry, const char *run_dir,
                      const char *path, RenderState *st)
{
  const char *what = "figure 1 (null examples)";
  if (registry == NULL)
    {
      add_note (st, "%s skipped: no plugin registry given", what);
      return;
    }
  char *config = g_build_filename (run_dir, "config.ini", NULL);
  GKeyFile *kf = g_key_file_new ();
  GError *error = NULL;
  char *dataset = NULL;
  if (!g_key_file_load_from_file (kf, config, G_KEY_FILE_NONE, &error)
      || !(dataset = g_key_file_get_string (kf, "study", "dataset", &error)))
    {
      add_note (st, "%s skipped: cannot read [study] dataset of %s: %s",
                what, config, error->message);
      g_clear_error (&error);
      goto out;
    }
  gint64 seed = g_key_file_get_int64 (kf, "study", "seed", NULL);
  NtDataset *ds = nt_dataset_open (registry, dataset, &error);
  if (ds == NULL)
    {
      add_note (st, "%s skipped: cannot open dataset '%s': %s", what,
                dataset, error->message);
      g_clear_error (&error);
    }
  else if (ds->height < 2 || ds->width < 2)
    add_note (st, "%s skipped: dataset '%s' has 1-D samples (%dx%d), not "
              "images", what, dataset, ds->height, ds->width);
  else
    {
      gboolean ok = nt_fig_null_examples (registry, ds, dataset,
                                          (guint64) MAX (seed, 0), path,
                                          &error);
      outcome (st, what, path, ok, error);
    }
  nt_dataset_free (ds);
out:
  g_free (dataset);
  g_key_file_free (kf);
  g_free (config);
}

gboolean
nt_figures_render_run (NtRegistry *registry, const char *run_dir,
                       const char *format, GPtrArray *written,
                       GPtrArray *notes, GError **error)
{
  g_return_val_if_fail (run_dir != NULL, FALSE);
  if (format == NULL)
    format = "png";
  if (strcmp (format, "png") && strcmp (format, "svg")
      && strcmp (format, "pdf"))
    {
      g_set_error (error, NT_FIG_STUDY_ERROR, NT_FIG_STUDY_ERROR_INVALID,
                   "unknown figure format '%s' (use png, svg or pdf)",
                   format);
      return FALSE;
    }
  if (!g_file_test (run_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "run directory %s does not exist (give the output folder "
                   "of `nulltool run`)", run_dir);
      return FALSE;
    }
  char *fig_dir = g_build_filename (run_dir, "figures", NULL);
  if (g_mkdir_with_parents (fig_dir, 0777) != 0)
    {
      int err = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
                   "cannot create the figure folder %s: %s", fig_dir,
                   g_strerror (err));
      g_free (fig_dir);
      return FALSE;
    }
  RenderState st = { written, notes, NULL };
  GError *err = NULL;
  char *path;

  /* temporary files of a plot that was killed midway */
  GPtrArray *stale = g_ptr_array_new_with_free_func (g_free);
  if (!nt_figure_remove_stale (fig_dir, stale, &err))
    {
      add_note (&st, "%s", err->message);
      g_clear_error (&err);
    }
  for (guint i = 0; i < stale->len; i++)
    add_note (&st, "removed %s, left by an interrupted plot",
              (const char *) stale->pdata[i]);
  g_ptr_array_unref (stale);

  path = fig_path (fig_dir, "fig1-null-examples", NULL, format);
  render_null_examples (registry, run_dir, path, &st);
  g_free (path);

  path = fig_path (fig_dir, "fig2-accuracy", NULL, format);
  gboolean ok = nt_fig_accuracy (run_dir, path, &err);
  outcome (&st, "figure 2 (accuracy)", path, ok, err);
  err = NULL;
  g_free (path);

  path = fig_path (fig_dir, "fig3-history", NULL, format);
  ok = nt_fig_history (run_dir, path, &err);
  outcome (&st, "figure 3 (history)", path, ok, err);
  err = NULL;
  g_free (path);

  GPtrArray *protocols = g_ptr_array_new_with_free_func (g_free);
  add_protocols (run_dir, "results/summary-thresholds.csv", protocols);
  add_protocols (run_dir, "results/summary-threshold.csv", protocols);
  add_protocols (run_dir, "results/summary-sweep.csv", protocols);
  g_ptr_array_sort (protocols, compare_protocols);
  if (protocols->len == 0)
    add_note (&st, "figures 4 to 7 skipped: no attack results yet "
              "(results/summary-thresholds.csv, summary-threshold.csv and "
              "summary-sweep.csv are missing or empty)");
  for (guint i = 0; i < protocols->len; i++)
    {
      const char *proto = protocols->pdata[i];
      char *what;

      what = g_strdup_printf ("figure 4 (thresholds, %s)", proto);
      path = fig_path (fig_dir, "fig4-thresholds", proto, format);
      ok = nt_fig_thresholds (run_dir, proto, path, &err);
      outcome (&st, what, path, ok, err);
      err = NULL;
      g_free (path);
      g_free (what);

      what = g_strdup_printf ("figure 5 (scores at threshold, %s)", proto);
      path = fig_path (fig_dir, "fig5-scores", proto, format);
      char *table_rel = fig_name ("table-threshold", proto, "md");
      char *table = g_build_filename (run_dir, "results", table_rel, NULL);
      ok = nt_fig_scores (run_dir, proto, path, table, &err);
      if (ok && written)
        g_ptr_array_add (written, g_strdup (table));
      outcome (&st, what, path, ok, err);
      err = NULL;
      g_free (table);
      g_free (table_rel);
      g_free (path);
      g_free (what);

      what = g_strdup_printf ("figure 6 (sweep, %s)", proto);
      path = fig_path (fig_dir, "fig6-sweep", proto, format);
      ok = nt_fig_sweep (run_dir, proto, path, &err);
      outcome (&st, what, path, ok, err);
      err = NULL;
      g_free (path);
      g_free (what);

      what = g_strdup_printf ("figure 7 (comparison, %s)", proto);
      path = fig_path (fig_dir, "fig7-compare", proto, format);
      ok = nt_fig_compare (run_dir, proto, path, &err);
      outcome (&st, what, path, ok, err);
      err = NULL;
      g_free (path);
      g_free (what);
    }
  g_ptr_array_unref (protocols);
  g_free (fig_dir);
  if (st.first_error)
    {
      g_propagate_error (error, st.first_error);
      return FALSE;
    }
  return TRUE;
}
