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
  NtRgb bar = { 0.36, 0.52, 0.70 }, bar_base = { 0.62, 0.62, 0.62 };
  _nt_study_set_slot (NT_SLOT_BAR, bar, 1);
  _nt_study_set_slot (NT_SLOT_BAR_BASELINE, bar_base, 1);
  NtRgb grid = { 0.90, 0.90, 0.90 };
  _nt_study_set_slot (NT_SLOT_GRID, grid, 1);
}

PLINT
_nt_study_series_color (guint i, guint n)
{
  /* a qualitative palette (readable on white, distinct in print) */
  static const guint8 qual[10][3] = {
    { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 148, 103, 189 },
    { 140, 86, 75 }, { 227, 119, 194 }, { 23, 190, 207 }, { 188, 189, 34 },
    { 127, 127, 127 }, { 214, 39, 40 } };
  NtRgb rgb;
  if (n <= 10)
    rgb = (NtRgb) { qual[i % 10][0] / 255.0, qual[i % 10][1] / 255.0,
                    qual[i % 10][2] / 255.0 };
  else
    {
      /* dark blue -> teal -> yellow-green, roughly perceptually even */
      double t = n > 1 ? (double) i / (n - 1) : 0;
      static const double stops[3][3] = { { 0.19, 0.10, 0.45 },
                                          { 0.13, 0.57, 0.55 },
                                          { 0.75, 0.85, 0.15 } };
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

void
_nt_study_axes (const double rect[4], double xmin, double xmax, double ymin,
                double ymax, double xtick, double ytick, gboolean numbers_x,
                gboolean numbers_y, const char *xlabel, const char *ylabel,
                const char *title)
{
  plvpor (rect[0], rect[1], rect[2], rect[3]);
  plwind (xmin, xmax, ymin, ymax);
  plcol0 (NT_SLOT_GRID);
  plwidth (1);
  gboolean x_ticks = xtick >= 0;
  plbox (x_ticks ? "g" : "", MAX (xtick, 0), 0, "g", ytick, 0);
  plcol0 (NT_COLOR_FOREGROUND);
  plschr (0, 0.9);
  plbox (!x_ticks ? "bc" : numbers_x ? "bcnst" : "bcst", MAX (xtick, 0), 0,
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
      while (i < n && (isnan (lo[i]) || isnan (hi[i])))
        i++;
      guint start = i;
      while (i < n && !isnan (lo[i]) && !isnan (hi[i]))
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
      while (i < n && isnan (y[i]))
        i++;
      guint start = i;
      while (i < n && !isnan (y[i]))
        i++;
      if (i - start >= 2)
        plline ((PLINT) (i - start), x + start, y + start);
      else if (i - start == 1)
        plstring (1, x + start, y + start, "•");
    }
  pllsty (1);
  plwidth (1);
  plcol0 (NT_COLOR_FOREGROUND);
}

void
_nt_study_legend (const NtStudyKey *keys, guint n, int position, double x,
                  double y, int n_columns)
{
  g_return_if_fail (n > 0 && n <= 32);
  PLINT opts[32], text_colors[32], box_colors[32], box_patterns[32];
  PLINT line_colors[32], line_styles[32];
  PLFLT box_scales[32], box_widths[32], line_widths[32];
  const char *labels[32];
  gboolean any_box = FALSE;
  for (guint i = 0; i < n; i++)
    {
      opts[i] = keys[i].kind == NT_STUDY_KEY_LINE ? PL_LEGEND_LINE
                : keys[i].kind == NT_STUDY_KEY_BOX
                    ? PL_LEGEND_COLOR_BOX
                    : PL_LEGEND_COLOR_BOX | PL_LEGEND_LINE;
      any_box = any_box || keys[i].kind != NT_STUDY_KEY_LINE;
      labels[i] = keys[i].label;
      text_colors[i] = NT_COLOR_FOREGROUND;
      line_colors[i] = keys[i].color;
      box_colors[i] = keys[i].kind == NT_STUDY_KEY_BAND ? keys[i].band_color
                                                        : keys[i].color;
      box_patterns[i] = 0;
      box_scales[i] = 0.8;
      box_widths[i] = 0;
      line_styles[i] = keys[i].style > 0 ? keys[i].style : 1;
      line_widths[i] = keys[i].width > 0 ? keys[i].width : 2;
    }
  PLFLT width, height;
  int n_rows = ((int) n + n_columns - 1) / n_columns;
  plschr (0, 0.95);
  pllegend (&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
            position, x, y, any_box ? 0.05 : 0.07, NT_COLOR_BACKGROUND,
            NT_COLOR_GRAY, 1, n_rows, n_columns, (PLINT) n, opts, 1.0, 1.0,
            2.0, 0.0, text_colors, labels, box_colors, box_patterns,
            box_scales, box_widths, line_colors, line_styles, line_widths,
            NULL, NULL, NULL, NULL);
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
