/* nt-null-mix.c: the study's 'm' null class: the pixel-wise mean of two
 * random real images whose labels differ. The second image is redrawn
 * until its label differs from the first's. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gmodule.h>  /* G_MODULE_EXPORT, used by NT_PLUGIN_DEFINE */

#include "nt-plugin.h"
#include "nt-null.h"

/* Redraws of the second image before giving up: with two or more labels
 * present in a split this is never reached in practice (each draw fails
 * with probability at most the largest class share). */
#define MIX_MAX_REDRAWS 10000

typedef struct {
  NtNullStrategy base;
  NtDataset *ds;
  float *a, *b;         /* one sample each */
} NtNullMixStrategy;

static gboolean
mix_fill (NtNullStrategy *st, NtSplit split, GRand *rng, gsize n,
          float *images, GError **error)
{
  NtNullMixStrategy *m = (NtNullMixStrategy *) st;
  gsize split_n = nt_dataset_split_size (m->ds, split);
  gsize sample = nt_dataset_sample_size (m->ds);
  if (split_n < 2 || split_n > G_MAXINT32)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                   "cannot draw pairs of images to mix from a split of %"
                   G_GSIZE_FORMAT " samples", split_n);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      gsize ia = (gsize) g_rand_int_range (rng, 0, (gint32) split_n), ib;
      int la, lb;
      if (!nt_dataset_get (m->ds, split, &ia, 1, m->a, &la, error))
        return FALSE;
      int tries = 0;
      do
        {
          if (++tries > MIX_MAX_REDRAWS)
            {
              g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                           "found no image with a label other than %d in "
                           "%d draws from the %s split; mixing needs two "
                           "labels", la, MIX_MAX_REDRAWS,
                           split == NT_SPLIT_TRAIN ? "train" : "test");
              return FALSE;
            }
          ib = (gsize) g_rand_int_range (rng, 0, (gint32) split_n);
          if (!nt_dataset_get (m->ds, split, &ib, 1, m->b, &lb, error))
            return FALSE;
        }
      while (lb == la);
      float *out = images + i * sample;
      for (gsize p = 0; p < sample; p++)
        out[p] = 0.5f * (m->a[p] + m->b[p]);
    }
  return TRUE;
}

static void
mix_destroy (NtNullStrategy *st)
{
  NtNullMixStrategy *m = (NtNullMixStrategy *) st;
  g_free (m->a);
  g_free (m->b);
  g_free (m);
}

static NtNullStrategy *
mix_create (const NtOptions *opts, NtDataset *ds, GError **error)
{
  (void) opts;
  if (ds->n_classes < 2)
    {
      g_set_error (error, NT_OPTIONS_ERROR, NT_OPTIONS_ERROR_BAD_VALUE,
                   "mix needs a dataset with at least two classes (this "
                   "one has %d)", ds->n_classes);
      return NULL;
    }
  NtNullMixStrategy *m = g_new0 (NtNullMixStrategy, 1);
  gsize sample = MAX (nt_dataset_sample_size (ds), 1);
  m->ds = ds;
  m->a = g_new (float, sample);
  m->b = g_new (float, sample);
  m->base.fill = mix_fill;
  m->base.destroy = mix_destroy;
  return &m->base;
}

static const NtNullClass mix_class = {
  .feature = {
    .kind = NT_KIND_NULL,
    .name = "mix",
    .description = "The pixel-wise mean of two real images with different "
                   "labels (the study's 'm')",
    .options = NULL,
  },
  .short_name = 'm',
  .create = mix_create,
};

static gboolean
mix_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &mix_class.feature, error);
}

NT_PLUGIN_DEFINE ("null-mix", "Mixed-image null samples", PACKAGE_VERSION,
                  "MIT", mix_init);
