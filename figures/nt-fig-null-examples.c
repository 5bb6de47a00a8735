/* nt-fig-null-examples.c: figure 1 of the study, null-class image examples
 * drawn from the null strategies themselves. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-fig-null-examples.h"
#include "nt-figure.h"
#include "nt-null.h"
#include "nt-rng.h"

#include <plplot.h>
#include <string.h>

/* Images per row, and the study's tile sizes for the shuffle row. */
#define N_COLUMNS 5
static const int tile_sizes[] = { 1, 2, 4, 7, 14 };

/* Draws n null samples of `selection` into `out` (n samples). */
static gboolean
draw_nulls (NtRegistry *registry, NtDataset *ds, const char *selection,
            GRand *rng, gsize n, float *out, GError **error)
{
  NtNullMix *mix = nt_null_mix_new (registry, selection, 0.5, ds, error);
  if (mix == NULL)
    return FALSE;
  gboolean ok = nt_null_mix_fill_nulls (mix, NT_SPLIT_TRAIN, rng, n, out,
                                        error);
  nt_null_mix_free (mix);
  return ok;
}

typedef struct {
  const char *ds_name;
  int h, w;
  gsize sample;          /* floats per sample */
  const float *uniform, *mixed, *shuffled;
  const int *shown_tiles;
  guint n_shuffled, n_skipped;
  const GString *skipped;
} ExamplesFigure;

static void
draw_examples (NtFigure *fig, gpointer data)
{
  const ExamplesFigure *d = data;
  double W = nt_figure_width (fig), H = nt_figure_height (fig);
  /* the dataset's name without its options */
  char *name = g_strndup (d->ds_name ? d->ds_name : "dataset",
                          strcspn (d->ds_name ? d->ds_name : "dataset", ":"));
  char *title = g_strdup_printf ("Null-class image examples (%s)", name);
  g_free (name);
  nt_figure_text (0.5, 0.955, 0.5, 1.35, NT_COLOR_FOREGROUND, title);
  g_free (title);
  /* three rows of square images: a label column on the left, the
   * images in N_COLUMNS cells, each image 76% of its cell */
  double left = 0.2, right = 0.985, top = 0.91, bottom = 0.05;
  double cell_w = (right - left) / N_COLUMNS;
  double cell_h = (top - bottom) / 3;
  double side_px = 0.76 * MIN (cell_w * W, cell_h * H);
  double iw = side_px / W, ih = side_px / H;
  static const char *row_names[3] = { "uniform (u)", "mix (m)",
                                      "tile shuffle (s)" };
  for (int row = 0; row < 3; row++)
    {
      double cy = top - (row + 0.5) * cell_h - 0.012;
      nt_figure_text (left - 0.025, cy - 0.01, 1.0, 1.05,
                      NT_COLOR_FOREGROUND, row_names[row]);
      guint n = row < 2 ? N_COLUMNS : d->n_shuffled;
      for (guint col = 0; col < n; col++)
        {
          const float *img = row == 0 ? d->uniform + col * d->sample
                             : row == 1 ? d->mixed + col * d->sample
                                        : d->shuffled + col * d->sample;
          char label[48];
          if (row == 0)
            g_snprintf (label, sizeof label, "uniform %u", col + 1);
          else if (row == 1)
            g_snprintf (label, sizeof label, "mix %u", col + 1);
          else if (d->shown_tiles[col] == 1)
            g_snprintf (label, sizeof label, "tiles 1x1 (pixels)");
          else
            g_snprintf (label, sizeof label, "tiles %dx%d%s",
                        d->shown_tiles[col], d->shown_tiles[col],
                        d->shown_tiles[col] == d->h && d->h == d->w
                        ? " (identity)" : "");
          double cx = left + (col + 0.5) * cell_w;
          nt_figure_gray_image (img, d->h, d->w, cx - iw / 2, cx + iw / 2,
                                cy - ih / 2, cy + ih / 2, 0.0, 1.0,
                                label);
        }
    }
  if (d->skipped->len > 0)
    {
      char *note = g_strdup_printf ("Tile size%s %s skipped: %s not "
                                    "divide the %dx%d image.",
                                    d->n_skipped > 1 ? "s" : "",
                                    d->skipped->str,
                                    d->n_skipped > 1 ? "they do" : "it does",
                                    d->h, d->w);
      nt_figure_text (0.5, 0.02, 0.5, 0.9, NT_COLOR_GRAY, note);
      g_free (note);
    }
}

gboolean
nt_fig_null_examples (NtRegistry *registry, NtDataset *ds,
                      const char *ds_name, guint64 seed, const char *path,
                      GError **error)
{
  g_return_val_if_fail (registry != NULL && ds != NULL && path != NULL,
                        FALSE);
  int h = ds->height, w = ds->width;
  if (h < 2 || w < 2)
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_INVALID,
                   "the null-examples figure shows images; dataset '%s' has "
                   "samples of %dx%dx%d values (try an image dataset such "
                   "as mnist)", ds_name ? ds_name : "?", ds->channels, h, w);
      return FALSE;
    }
  /* samples are NCHW: an image shows the first channel */
  gsize sample = nt_dataset_sample_size (ds);

  /* generate everything before opening the figure, so a failing strategy
   * leaves no file behind */
  GRand *rng = nt_rng_new (seed, 0, "null-examples");
  float *uniform = g_new (float, N_COLUMNS * sample);
  float *mixed = g_new (float, N_COLUMNS * sample);
  float *shuffled = g_new (float, G_N_ELEMENTS (tile_sizes) * sample);
  int shown_tiles[G_N_ELEMENTS (tile_sizes)];
  guint n_shuffled = 0;
  GString *skipped = g_string_new (NULL);
  guint n_skipped = 0;
  gboolean ok = draw_nulls (registry, ds, "uniform", rng, N_COLUMNS, uniform,
                            error)
                && draw_nulls (registry, ds, "mix", rng, N_COLUMNS, mixed,
                               error);
  for (guint t = 0; ok && t < G_N_ELEMENTS (tile_sizes); t++)
    {
      int tile = tile_sizes[t];
      if (h % tile != 0 || w % tile != 0)
        {
          g_string_append_printf (skipped, "%s%d", skipped->len ? ", " : "",
                                  tile);
          n_skipped++;
          continue;
        }
      char sel[64];
      g_snprintf (sel, sizeof sel, "shuffle:tiles=%d", tile);
      ok = draw_nulls (registry, ds, sel, rng, 1,
                       shuffled + n_shuffled * sample, error);
      shown_tiles[n_shuffled++] = tile;
    }
  g_rand_free (rng);

  if (ok)
    {
      ExamplesFigure d = { ds_name, h, w, sample, uniform, mixed, shuffled,
                           shown_tiles, n_shuffled, n_skipped, skipped };
      ok = nt_figure_render (path, 1100, 700, draw_examples, &d, error);
    }
  g_string_free (skipped, TRUE);
  g_free (uniform);
  g_free (mixed);
  g_free (shuffled);
  return ok;
}
