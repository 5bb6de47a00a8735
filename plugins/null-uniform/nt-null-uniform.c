/* nt-null-uniform.c: the study's 'u' null class: every value uniform in
 * [0, 1), whatever the dataset's sample shape. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gmodule.h>  /* G_MODULE_EXPORT, used by NT_PLUGIN_DEFINE */

#include "nt-plugin.h"
#include "nt-null.h"

typedef struct {
  NtNullStrategy base;
  gsize sample;         /* floats per sample */
} NtNullUniform;

static gboolean
uniform_fill (NtNullStrategy *st, NtSplit split, GRand *rng, gsize n,
              float *images, GError **error)
{
  (void) split;
  (void) error;
  NtNullUniform *u = (NtNullUniform *) st;
  /* 24 random bits scaled by 2^-24: exactly representable floats in
   * [0, 1); rounding a double draw to float could give 1.0f */
  for (gsize i = 0; i < n * u->sample; i++)
    images[i] = (float) (g_rand_int (rng) >> 8) * (1.0f / 16777216.0f);
  return TRUE;
}

static void
uniform_destroy (NtNullStrategy *st)
{
  g_free (st);
}

static NtNullStrategy *
uniform_create (const NtOptions *opts, NtDataset *ds, GError **error)
{
  (void) opts;
  (void) error;
  NtNullUniform *u = g_new0 (NtNullUniform, 1);
  u->sample = nt_dataset_sample_size (ds);
  u->base.fill = uniform_fill;
  u->base.destroy = uniform_destroy;
  return &u->base;
}

static const NtNullClass uniform_class = {
  .feature = {
    .kind = NT_KIND_NULL,
    .name = "uniform",
    .description = "Null samples with every value uniform in [0, 1) (the "
                   "study's 'u')",
    .options = NULL,
  },
  .short_name = 'u',
  .create = uniform_create,
};

static gboolean
uniform_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &uniform_class.feature, error);
}

NT_PLUGIN_DEFINE ("null-uniform", "Uniform-noise null samples",
                  PACKAGE_VERSION, "MIT", uniform_init);
