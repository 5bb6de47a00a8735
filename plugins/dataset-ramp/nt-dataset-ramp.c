/* nt-dataset-ramp.c: the ramp toy of the study (PROTOCOL.md, "The ramp
 * toy"). A sample is 3 pixels: the prototype down = (0.666, 0.333) (label
 * 0) or up = (0.333, 0.666) (label 1) placed at pixels 1-2 or 2-3, the
 * third pixel 0, plus uniform noise in [-0.05, 0.05] on every pixel,
 * clipped to [0, 1]. Classes and placements are equally likely.
 *
 * Samples are not stored: sample i of a split is a pure function of
 * (seed, split, i), computed with the counter-based hash shared with
 * dropout, so access by index is cheap and reproducible. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gmodule.h>  /* G_MODULE_EXPORT, used by NT_PLUGIN_DEFINE */

#include "nt-plugin.h"
#include "nt-dataset.h"
#include "nt-dropout-private.h"

#define RAMP_PIXELS 3
#define RAMP_NOISE 0.05f
#define RAMP_HIGH 0.666f
#define RAMP_LOW 0.333f

typedef struct {
  NtDataset base;
  guint64 split_key[2];   /* per-split hash keys derived from the seed */
} NtRamp;

static const NtOptionSpec ramp_options[] = {
  { "seed", NT_OPTION_INT, "0", 0, 9007199254740992.0, NULL,
    "seed of the generated samples" },
  { "train", NT_OPTION_INT, "32000", 1, 1e9, NULL,
    "number of training samples" },
  { "test", NT_OPTION_INT, "10000", 1, 1e9, NULL,
    "number of test samples" },
  NT_OPTION_END
};

/* A uniform float in [0, 1) from the top 24 bits of a hash. */
static inline float
unit_float (guint64 h)
{
  return (float) (h >> 40) * (1.0f / 16777216.0f);
}

/* Fills `x` (3 floats) and returns the label of sample `key`. */
static int
ramp_sample (guint64 key, float *x)
{
  int label = (int) (nt_hash64 (key, 0) >> 63);      /* 0 down, 1 up */
  int offset = (int) (nt_hash64 (key, 1) >> 63);     /* pixels 1-2 or 2-3 */
  float proto[RAMP_PIXELS] = { 0.0f, 0.0f, 0.0f };
  proto[offset] = label == 0 ? RAMP_HIGH : RAMP_LOW;
  proto[offset + 1] = label == 0 ? RAMP_LOW : RAMP_HIGH;
  for (int p = 0; p < RAMP_PIXELS; p++)
    {
      float noise = (2.0f * unit_float (nt_hash64 (key, 2 + p)) - 1.0f)
                    * RAMP_NOISE;
      x[p] = CLAMP (proto[p] + noise, 0.0f, 1.0f);
    }
  return label;
}

static void
ramp_get (NtDataset *ds, NtSplit split, const gsize *indices, gsize n,
          float *images, int *labels)
{
  NtRamp *r = (NtRamp *) ds;
  for (gsize k = 0; k < n; k++)
    {
      guint64 key = nt_hash64 (r->split_key[split], indices[k]);
      int label = ramp_sample (key, images + k * RAMP_PIXELS);
      if (labels != NULL)
        labels[k] = label;
    }
}

static void
ramp_destroy (NtDataset *ds)
{
  g_free (ds);
}

static NtDataset *
ramp_open (const NtOptions *opts, GError **error)
{
  (void) error;   /* generating cannot fail: options are checked by the core */
  NtRamp *r = g_new0 (NtRamp, 1);
  guint64 seed = (guint64) nt_options_get_int (opts, "seed");
  /* Distinct, well-mixed keys per split, so the test split is not a copy
   * of the training split. */
  r->split_key[NT_SPLIT_TRAIN] = nt_hash64 (seed, 2 * NT_SPLIT_TRAIN);
  r->split_key[NT_SPLIT_TEST] = nt_hash64 (seed, 2 * NT_SPLIT_TEST + 1);
  r->base.channels = 1;
  r->base.height = 1;
  r->base.width = RAMP_PIXELS;
  r->base.n_classes = 2;
  r->base.n_train = (gsize) nt_options_get_int (opts, "train");
  r->base.n_test = (gsize) nt_options_get_int (opts, "test");
  r->base.get = ramp_get;
  r->base.destroy = ramp_destroy;
  return &r->base;
}

static const NtDatasetClass ramp_class = {
  .feature = {
    .kind = NT_KIND_DATASET,
    .name = "ramp",
    .description = "The ramp toy: 3-pixel down/up ramps with noise, 2 "
                   "classes (generated)",
    .options = ramp_options,
  },
  .open = ramp_open,
};

static gboolean
ramp_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &ramp_class.feature, error);
}

NT_PLUGIN_DEFINE ("dataset-ramp", "The ramp toy dataset",
                  PACKAGE_VERSION, "MIT", ramp_init);
