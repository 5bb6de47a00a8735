/* nt-null-shuffle.c: the study's 's' null class: a random real image cut
 * into square tiles, the tiles permuted.
 *
 * begin_batch() draws one tile size from the `tiles` list and one
 * permutation of the tiles; every shuffled image of the batch uses both
 * (PROTOCOL.md, "Training"). Tile size 1 is a pixel shuffle; a tile as
 * large as the image is the identity. Every tile size must divide both the
 * image height and width. All channels of an image move together.
 *
 * One-dimensional samples (height 1, such as the ramp toy's 3 pixels) have
 * no square tiles: there the whole pixel vector is permuted (one random
 * permutation per batch) and `tiles` is ignored. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gmodule.h>  /* G_MODULE_EXPORT, used by NT_PLUGIN_DEFINE */
#include <string.h>

#include "nt-plugin.h"
#include "nt-null.h"

typedef struct {
  NtNullStrategy base;
  NtDataset *ds;
  int channels, height, width;
  gboolean one_d;       /* height 1: permute the whole pixel vector */
  int *tiles;           /* allowed tile sizes */
  gsize n_tiles;
  /* per-batch state */
  gboolean begun;
  int tile;             /* this batch's tile size (1 for 1-D) */
  int grid_w;           /* tiles per row */
  guint32 *perm;        /* output tile i comes from source tile perm[i] */
  gsize n_cells;        /* tiles per image */
  /* scratch: source images */
  float *src;
  gsize src_cap;
  gsize *idx;
} NtNullShuffle;

static const NtOptionSpec shuffle_options[] = {
  { "tiles", NT_OPTION_INT_LIST, "2,4,7,14", 1, 4096, NULL,
    "tile sizes (pixels), one drawn per batch; each must divide the image "
    "height and width (1 = pixel shuffle; ignored for 1-D samples)" },
  NT_OPTION_END
};

static void
shuffle_begin_batch (NtNullStrategy *st, GRand *rng)
{
  NtNullShuffle *s = (NtNullShuffle *) st;
  if (s->one_d)
    {
      s->tile = 1;
      s->grid_w = s->width;
      s->n_cells = (gsize) s->width;
    }
  else
    {
      s->tile = s->tiles[g_rand_int_range (rng, 0, (gint32) s->n_tiles)];
      s->grid_w = s->width / s->tile;
      s->n_cells = (gsize) (s->height / s->tile) * (gsize) s->grid_w;
    }
  /* a uniform permutation (Fisher-Yates); perm holds the most cells */
  for (gsize i = 0; i < s->n_cells; i++)
    s->perm[i] = (guint32) i;
  for (gsize i = s->n_cells; i > 1; i--)
    {
      gsize j = (gsize) g_rand_int_range (rng, 0, (gint32) i);
      guint32 t = s->perm[i - 1];
      s->perm[i - 1] = s->perm[j];
      s->perm[j] = t;
    }
  s->begun = TRUE;
}

/* Writes the tile permutation of `src` (one sample) into `dst`. */
static void
permute_tiles (const NtNullShuffle *s, const float *src, float *dst)
{
  const int t = s->tile, w = s->width;
  const gsize plane = (gsize) s->height * (gsize) w;
  for (gsize cell = 0; cell < s->n_cells; cell++)
    {
      gsize from = s->perm[cell];
      int dy = (int) (cell / s->grid_w) * t, dx = (int) (cell % s->grid_w) * t;
      int sy = (int) (from / s->grid_w) * t, sx = (int) (from % s->grid_w) * t;
      for (int c = 0; c < s->channels; c++)
        for (int r = 0; r < t; r++)
          memcpy (dst + c * plane + (gsize) (dy + r) * w + dx,
                  src + c * plane + (gsize) (sy + r) * w + sx,
                  (gsize) t * sizeof (float));
    }
}

static gboolean
shuffle_fill (NtNullStrategy *st, NtSplit split, GRand *rng, gsize n,
              float *images, GError **error)
{
  NtNullShuffle *s = (NtNullShuffle *) st;
  gsize split_n = nt_dataset_split_size (s->ds, split);
  if (split_n == 0 || split_n > G_MAXINT32)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                   "cannot draw images to shuffle from a split of %"
                   G_GSIZE_FORMAT " samples", split_n);
      return FALSE;
    }
  /* a caller that fills without starting a batch (a figure drawing a few
   * examples) gets a fresh tile size and permutation */
  if (!s->begun)
    shuffle_begin_batch (st, rng);
  gsize sample = nt_dataset_sample_size (s->ds);
  if (n > s->src_cap)
    {
      s->src = g_renew (float, s->src, n * sample);
      s->idx = g_renew (gsize, s->idx, n);
      s->src_cap = n;
    }
  for (gsize i = 0; i < n; i++)
    s->idx[i] = (gsize) g_rand_int_range (rng, 0, (gint32) split_n);
  if (!nt_dataset_get (s->ds, split, s->idx, n, s->src, NULL, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    permute_tiles (s, s->src + i * sample, images + i * sample);
  return TRUE;
}

static void
shuffle_destroy (NtNullStrategy *st)
{
  NtNullShuffle *s = (NtNullShuffle *) st;
  g_free (s->tiles);
  g_free (s->perm);
  g_free (s->src);
  g_free (s->idx);
  g_free (s);
}

static NtNullStrategy *
shuffle_create (const NtOptions *opts, NtDataset *ds, GError **error)
{
  gsize n_tiles = 0;
  const gint64 *tiles = nt_options_get_int_list (opts, "tiles", &n_tiles);
  gboolean one_d = ds->height == 1;
  if (n_tiles == 0)
    {
      g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                   "shuffle needs at least one tile size (tiles=2,4,7,14)");
      return NULL;
    }
  if (!one_d)
    for (gsize i = 0; i < n_tiles; i++)
      if (ds->height % tiles[i] != 0 || ds->width % tiles[i] != 0)
        {
          if (ds->height == ds->width)
            g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                         "tile size %" G_GINT64_FORMAT " does not divide the "
                         "image side %d (images are %dx%d); use divisors "
                         "of %d", tiles[i], ds->height, ds->height,
                         ds->width, ds->height);
          else
            g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                         "tile size %" G_GINT64_FORMAT " does not divide "
                         "both image sides %d (height) and %d (width); use "
                         "common divisors", tiles[i], ds->height, ds->width);
          return NULL;
        }

  NtNullShuffle *s = g_new0 (NtNullShuffle, 1);
  s->ds = ds;
  s->channels = ds->channels;
  s->height = ds->height;
  s->width = ds->width;
  s->one_d = one_d;
  s->n_tiles = n_tiles;
  s->tiles = g_new (int, n_tiles);
  for (gsize i = 0; i < n_tiles; i++)
    s->tiles[i] = (int) tiles[i];
  /* the most tiles an image can have: tile size 1 */
  s->perm = g_new (guint32, (gsize) ds->height * (gsize) ds->width);
  s->base.begin_batch = shuffle_begin_batch;
  s->base.fill = shuffle_fill;
  s->base.destroy = shuffle_destroy;
  return &s->base;
}

static const NtNullClass shuffle_class = {
  .feature = {
    .kind = NT_KIND_NULL,
    .name = "shuffle",
    .description = "Real images with their square tiles permuted, one tile "
                   "size and permutation per batch (the study's 's'); 1-D "
                   "samples get their pixels permuted",
    .options = shuffle_options,
  },
  .short_name = 's',
  .create = shuffle_create,
};

static gboolean
shuffle_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &shuffle_class.feature, error);
}

NT_PLUGIN_DEFINE ("null-shuffle", "Tile-shuffle null samples",
                  PACKAGE_VERSION, "MIT", shuffle_init);
