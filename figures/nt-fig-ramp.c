/* nt-fig-ramp.c: the ramp toy's figures: prototypes and samples, optimal
 * decision regions, and predicted regions as solid voxels. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-ramp.h"
#include "nt-figure.h"
#include "nt-network.h"

#include <math.h>
#include <plplot.h>
#include <stdlib.h>

/* The fixed viewpoint of every 3-D panel: from above (alt), looking from
 * the x1 = 1, x2 = 0 side, so the walls x1 = 0 and x3 = 0, where the
 * prototype placements lie, face the viewer. */
#define VIEW_ALT 26.0
#define VIEW_AZ (-38.0)

void
nt_ramp_grid_point (int grid, gsize index, float x[3])
{
  g_return_if_fail (grid >= 2);
  gsize g = (gsize) grid;
  x[2] = (float) (index % g) / (grid - 1);
  x[1] = (float) ((index / g) % g) / (grid - 1);
  x[0] = (float) (index / (g * g)) / (grid - 1);
}

gboolean
nt_ramp_predict_grid (NtNetwork *net, int grid, guint8 *out, GError **error)
{
  g_return_val_if_fail (net != NULL && out != NULL && grid >= 2, FALSE);
  NtBackend *be = nt_network_backend (net);
  int max_batch = nt_network_max_batch (net);
  int n_out = nt_network_n_outputs (net);
  if (nt_network_input_size (net) != 3)
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_INVALID,
                   "the network takes %" G_GSIZE_FORMAT " values per sample; "
                   "the ramp grid has 3", nt_network_input_size (net));
      return FALSE;
    }
  NtBuffer *x = nt_network_input_buffer (net);
  if (x == NULL)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_OUT_OF_MEMORY,
                   "cannot allocate the network's input buffer");
      return FALSE;
    }
  gsize total = (gsize) grid * grid * grid;
  float *host = g_new (float, (gsize) max_batch * 3);
  int *pred = g_new (int, max_batch);
  gboolean ok = TRUE;
  for (gsize start = 0; ok && start < total; start += max_batch)
    {
      int n = (int) MIN ((gsize) max_batch, total - start);
      for (int i = 0; i < n; i++)
        nt_ramp_grid_point (grid, start + i, host + 3 * i);
      be->ops->upload (be, x, 0, host, (gsize) n * 3);
      const NtBuffer *logits = nt_network_forward (net, x, n, FALSE, 0);
      be->ops->argmax (be, logits, n, n_out, pred);
      ok = be->ops->sync (be, error);
      for (int i = 0; ok && i < n; i++)
        out[start + i] = (guint8) CLAMP (pred[i], 0, NT_RAMP_NULL);
    }
  g_free (host);
  g_free (pred);
  return ok;
}

/* The prototype placement p (0: down at 1-2, 1: down at 2-3, 2: up at 1-2,
 * 3: up at 2-3) as a 3-pixel vector; returns its label. */
static int
placement (int p, double v[3])
{
  int label = p < 2 ? NT_RAMP_DOWN : NT_RAMP_UP;
  int offset = p % 2;
  v[0] = v[1] = v[2] = 0;
  v[offset] = label == NT_RAMP_DOWN ? NT_RAMP_HIGH : NT_RAMP_LOW;
  v[offset + 1] = label == NT_RAMP_DOWN ? NT_RAMP_LOW : NT_RAMP_HIGH;
  return label;
}

static NtColor
label_color (int label)
{
  return label == NT_RAMP_DOWN ? NT_COLOR_DOWN
         : label == NT_RAMP_UP ? NT_COLOR_UP
                               : NT_COLOR_LIGHT_GRAY;
}

/* Axes of a line-plot panel over the three pixels. */
static void
pixel_axes (double x0, double x1, double y0, double y1, const char *title)
{
  plvpor (x0, x1, y0, y1);
  plwind (0.75, 3.25, -0.02, 1.02);
  plcol0 (NT_COLOR_LIGHT_GRAY);
  plbox ("g", 1, 0, "g", 0.2, 0);
  plcol0 (NT_COLOR_FOREGROUND);
  plbox ("bcnt", 1, 0, "bcnstv", 0.2, 2);
  plmtex ("b", 3.0, 0.5, 0.5, "pixel");
  plmtex ("l", 4.2, 0.5, 0.5, "value");
  plschr (0, 1.05);
  plmtex ("t", 1.0, 0.5, 0.5, title);
  plschr (0, 1.0);
}

/* A 3-pixel vector as a line with dots. */
static void
pixel_line (const double v[3], NtColor color, double width, int style)
{
  PLFLT x[3] = { 1, 2, 3 }, y[3] = { v[0], v[1], v[2] };
  plcol0 (color);
  plwidth (width);
  pllsty (style);
  plline (3, x, y);
  pllsty (1);
  plwidth (1);
  plschr (0, 0.9);
  plstring (3, x, y, "•");
  plschr (0, 1.0);
}

typedef struct {
  const float *samples;
  const int *labels;
  gsize n;
} SamplesFigure;

static void
draw_samples (NtFigure *fig, gpointer data)
{
  const SamplesFigure *d = data;
  nt_figure_text (0.5, 0.945, 0.5, 1.3, NT_COLOR_FOREGROUND,
                  "The ramp toy: prototypes and samples");
  /* left: the four placements of the two prototypes */
  pixel_axes (0.08, 0.47, 0.24, 0.82,
              "prototypes at pixels 1-2 (solid) or 2-3 (dashed)");
  for (int p = 0; p < 4; p++)
    {
      double v[3];
      int label = placement (p, v);
      pixel_line (v, label_color (label), 2.5, p % 2 ? 2 : 1);
    }
  /* right: the samples */
  char title[128];
  g_snprintf (title, sizeof title, "%" G_GSIZE_FORMAT " training samples "
              "(noise +-%.2f, clipped)", d->n, NT_RAMP_NOISE);
  pixel_axes (0.58, 0.97, 0.24, 0.82, title);
  for (gsize i = 0; i < d->n; i++)
    {
      double v[3] = { d->samples[3 * i], d->samples[3 * i + 1],
                      d->samples[3 * i + 2] };
      gboolean finite = TRUE;
      for (int a = 0; a < 3; a++)
        finite = finite && isfinite (v[a]);
      if (finite)
        pixel_line (v, label_color (d->labels[i]), 1.5, 1);
    }
  /* one legend for both panels, under them */
  static const char *names[2] = { "down = (0.666, 0.333), label 0",
                                  "up = (0.333, 0.666), label 1" };
  static const NtColor colors[2] = { NT_COLOR_DOWN, NT_COLOR_UP };
  plvpor (0.05, 0.95, 0.01, 0.1);
  nt_figure_legend (2, names, colors, NT_LEGEND_LINE,
                    PL_POSITION_BOTTOM | PL_POSITION_INSIDE, 0, 0.05, 2);
}

gboolean
nt_fig_ramp_samples (const char *path, const float *samples,
                     const int *labels, gsize n, GError **error)
{
  g_return_val_if_fail (path != NULL && (n == 0 || (samples && labels)),
                        FALSE);
  SamplesFigure d = { samples, labels, n };
  return nt_figure_render (path, 1200, 580, draw_samples, &d, error);
}

/* A box with its centre's depth, for painter's order. */
typedef struct {
  double lo[3], hi[3];
  double depth;
  int label;
} Box;

static int
compare_depth (const void *a, const void *b)
{
  double da = ((const Box *) a)->depth, db = ((const Box *) b)->depth;
  return (da > db) - (da < db);
}

typedef struct {
  const NtView3d *view;
  const Box *boxes;      /* 4, back to front */
} OptimalFigure;

static void
draw_optimal (NtFigure *fig, gpointer data)
{
  const OptimalFigure *d = data;
  nt_figure_text (0.5, 0.95, 0.5, 1.3, NT_COLOR_FOREGROUND,
                  "Optimal decision regions of the ramp toy");
  nt_figure_text (0.5, 0.905, 0.5, 0.9, NT_COLOR_GRAY,
                  "noise boxes (+-0.05, clipped to the cube) around the four "
                  "prototype placements");
  nt_figure_text (0.5, 0.87, 0.5, 0.9, NT_COLOR_GRAY,
                  "everything else is null");
  nt_view3d_begin (d->view, 0.03, 0.97, 0.1, 0.85, "x1", "x2", "x3");
  for (int p = 0; p < 4; p++)
    nt_view3d_box (d->view, d->boxes[p].lo, d->boxes[p].hi,
                   NT_BOX_ALL_FACES,
                   nt_figure_rgb (label_color (d->boxes[p].label)), FALSE);
  /* name each box by its placement, beside its top */
  for (int p = 0; p < 4; p++)
    {
      double v[3];
      int label = placement (p, v);
      double top[3] = { v[0], v[1], MIN (v[2] + NT_RAMP_NOISE, 1.0) };
      char text[64];
      g_snprintf (text, sizeof text, "%s, pixels %s",
                  label == NT_RAMP_DOWN ? "down" : "up",
                  p % 2 ? "2-3" : "1-2");
      nt_view3d_label (d->view, top, 0.06, 0.02, 0.0, text);
    }
  nt_view3d_end (d->view);
  static const char *names[2] = { "down", "up" };
  static const NtColor colors[2] = { NT_COLOR_DOWN, NT_COLOR_UP };
  plvpor (0.2, 0.8, 0.01, 0.08);
  nt_figure_legend (2, names, colors, NT_LEGEND_BOX,
                    PL_POSITION_BOTTOM | PL_POSITION_INSIDE, 0, 0.05, 2);
}

gboolean
nt_fig_ramp_optimal (const char *path, GError **error)
{
  NtView3d view;
  nt_view3d_init (&view, VIEW_ALT, VIEW_AZ);
  Box boxes[4];
  for (int p = 0; p < 4; p++)
    {
      double v[3];
      boxes[p].label = placement (p, v);
      boxes[p].depth = 0;
      for (int a = 0; a < 3; a++)
        {
          boxes[p].lo[a] = CLAMP (v[a] - NT_RAMP_NOISE, 0.0, 1.0);
          boxes[p].hi[a] = CLAMP (v[a] + NT_RAMP_NOISE, 0.0, 1.0);
          boxes[p].depth += view.depth[a] * (boxes[p].lo[a] + boxes[p].hi[a]);
        }
    }
  /* the boxes are disjoint and far apart: centre depth orders them */
  qsort (boxes, 4, sizeof (Box), compare_depth);
  OptimalFigure d = { &view, boxes };
  return nt_figure_render (path, 800, 720, draw_optimal, &d, error);
}

/* Draws the grid voxels whose label is in `mask` (bit per label) as solid
 * regions: only faces between a drawn voxel and an undrawn one (or the
 * cube's surface), visited back to front. Voxel (i, j, k) is the cell of
 * width 1/(grid-1) centred on its grid point, cut at the cube's surface. */
static void
draw_voxels (const NtView3d *view, const guint8 *classes, int grid,
             guint mask)
{
  int g = grid;
  NtRgb rgb[NT_RAMP_N_LABELS];
  for (int l = 0; l < NT_RAMP_N_LABELS; l++)
    rgb[l] = nt_figure_rgb (label_color (l));
  int start[3], step[3];
  for (int a = 0; a < 3; a++)
    {
      gboolean up = nt_view3d_axis_ascending (view, a);
      start[a] = up ? 0 : g - 1;
      step[a] = up ? 1 : -1;
    }
#define FILLED(i, j, k) \
  (((mask) >> classes[((gsize) (i) * g + (j)) * g + (k)]) & 1u)
  for (int ii = 0, i = start[0]; ii < g; ii++, i += step[0])
    for (int jj = 0, j = start[1]; jj < g; jj++, j += step[1])
      for (int kk = 0, k = start[2]; kk < g; kk++, k += step[2])
        {
          if (!FILLED (i, j, k))
            continue;
          int idx[3] = { i, j, k };
          guint faces = 0;
          double lo[3], hi[3];
          for (int a = 0; a < 3; a++)
            {
              int lo_n[3] = { i, j, k }, hi_n[3] = { i, j, k };
              lo_n[a]--;
              hi_n[a]++;
              if (idx[a] == 0 || !FILLED (lo_n[0], lo_n[1], lo_n[2]))
                faces |= 1u << (2 * a);
              if (idx[a] == g - 1 || !FILLED (hi_n[0], hi_n[1], hi_n[2]))
                faces |= 1u << (2 * a + 1);
              lo[a] = MAX (0.0, (idx[a] - 0.5) / (g - 1));
              hi[a] = MIN (1.0, (idx[a] + 0.5) / (g - 1));
            }
          if (faces)
            nt_view3d_box (view, lo, hi, faces,
                           rgb[classes[((gsize) i * g + j) * g + k]], TRUE);
        }
#undef FILLED
}

typedef struct {
  const char *model_name;
  const guint8 *classes;
  int grid;
  gsize total;
  const gsize *counts;   /* per label */
} RegionsFigure;

static void
draw_regions (NtFigure *fig, gpointer data)
{
  const RegionsFigure *d = data;
  NtView3d view;
  nt_view3d_init (&view, VIEW_ALT, VIEW_AZ);
  char title[512];
  g_snprintf (title, sizeof title, "Decision regions predicted by the %s "
              "model (grid of %d x %d x %d points)",
              d->model_name ? d->model_name : "", d->grid, d->grid, d->grid);
  nt_figure_text (0.5, 0.945, 0.5, 1.3, NT_COLOR_FOREGROUND, title);
  static const char *panel_titles[3] = { "all classes (null left empty)",
                                         "down only", "up only" };
  static const guint masks[3] = { 1u << NT_RAMP_DOWN | 1u << NT_RAMP_UP,
                                  1u << NT_RAMP_DOWN, 1u << NT_RAMP_UP };
  for (int panel = 0; panel < 3; panel++)
    {
      double x0 = 0.025 + panel / 3.0, x1 = x0 + 1 / 3.0 - 0.03;
      nt_figure_text ((x0 + x1) / 2, 0.86, 0.5, 1.05, NT_COLOR_FOREGROUND,
                      panel_titles[panel]);
      char share[160];
      if (panel == 0)
        g_snprintf (share, sizeof share,
                    "down %.1f %%, up %.1f %%, null %.1f %%",
                    100.0 * d->counts[0] / d->total,
                    100.0 * d->counts[1] / d->total,
                    100.0 * d->counts[2] / d->total);
      else
        g_snprintf (share, sizeof share, "%s: %.1f %% of the grid",
                    panel == 1 ? "down" : "up",
                    100.0 * d->counts[panel - 1] / d->total);
      nt_figure_text ((x0 + x1) / 2, 0.815, 0.5, 0.85, NT_COLOR_GRAY, share);
      nt_view3d_begin (&view, x0, x1, 0.1, 0.8, "x1", "x2", "x3");
      draw_voxels (&view, d->classes, d->grid, masks[panel]);
      nt_view3d_end (&view);
    }
  static const char *names[2] = { "down", "up" };
  static const NtColor colors[2] = { NT_COLOR_DOWN, NT_COLOR_UP };
  plvpor (0.35, 0.65, 0.01, 0.08);
  nt_figure_legend (2, names, colors, NT_LEGEND_BOX,
                    PL_POSITION_BOTTOM | PL_POSITION_INSIDE, 0, 0.05, 2);
}

gboolean
nt_fig_ramp_regions (const char *path, const char *model_name,
                     const guint8 *classes, int grid, GError **error)
{
  g_return_val_if_fail (path != NULL && classes != NULL, FALSE);
  if (grid < 2 || grid > 512)
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_INVALID,
                   "figure %s: a grid of %d points per axis is out of range "
                   "(2 to 512)", path, grid);
      return FALSE;
    }
  gsize total = (gsize) grid * grid * grid;
  gsize counts[NT_RAMP_N_LABELS] = { 0 };
  for (gsize p = 0; p < total; p++)
    {
      if (classes[p] >= NT_RAMP_N_LABELS)
        {
          g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_INVALID,
                       "figure %s: grid point %" G_GSIZE_FORMAT " has label "
                       "%d (expected 0 down, 1 up or 2 null)", path, p,
                       classes[p]);
          return FALSE;
        }
      counts[classes[p]]++;
    }
  RegionsFigure d = { model_name, classes, grid, total, counts };
  return nt_figure_render (path, 1500, 640, draw_regions, &d, error);
}
