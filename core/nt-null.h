/* nt-null.h: null-class strategies, a plugin kind, and the mixer that puts
 * null samples into batches (PROTOCOL.md "Training").
 *
 * A strategy generates non-class images labelled with the null label (the
 * dataset's n_classes). It may draw real samples from the dataset (shuffle
 * and mix do). Per-batch state, such as the shuffle's tile size and
 * permutation shared by a batch, is drawn in begin_batch(). */
#ifndef NT_NULL_H
#define NT_NULL_H

#include <glib.h>
#include "nt-registry.h"
#include "nt-dataset.h"

G_BEGIN_DECLS

typedef struct _NtNullStrategy NtNullStrategy;

/* Every strategy instance starts with this header. */
struct _NtNullStrategy {
  const struct _NtNullClass *klass;
  /* Draws the state shared by the null samples of one batch (may be NULL
   * when there is none). */
  void (*begin_batch) (NtNullStrategy *st, GRand *rng);
  /* Writes n null samples (n x sample floats in [0, 1]) into images,
   * drawing any real samples it needs from `split` of the dataset with
   * `rng`. */
  gboolean (*fill) (NtNullStrategy *st, NtSplit split, GRand *rng, gsize n,
                    float *images, GError **error);
  void (*destroy) (NtNullStrategy *st);
};

typedef struct _NtNullClass {
  NtFeature feature;
  /* The study's one-letter name ('u', 's', 'm'), or 0. */
  char short_name;
  /* A strategy for `ds` (kept, not owned) from parsed options (`opts` is
   * valid only during the call: copy what is needed); fails when the
   * options do not suit the dataset (a tile size that does not divide the
   * image side, ...). */
  NtNullStrategy *(*create) (const NtOptions *opts, NtDataset *ds,
                             GError **error);
} NtNullClass;

/* The strategies of a model type and the share of null samples. */
typedef struct _NtNullMix NtNullMix;

/* Parses a null selection: "none" or "baseline" (no nulls); the study's
 * letters "u", "s", "m" and their combinations ("usm"); or full selections
 * joined by '+' ("uniform+shuffle:tiles=2,4"). `p_null` is the probability
 * of each batch slot being a null sample. Returns a mix (free with
 * nt_null_mix_free) or NULL with error. */
NtNullMix *nt_null_mix_new (NtRegistry *registry, const char *selection,
                            double p_null, NtDataset *ds, GError **error);
void nt_null_mix_free (NtNullMix *mix);

/* Number of strategies (0 for none) and the mix's canonical name: the
 * letters when every strategy has one ("usm"), else the '+' form, "none"
 * when empty. */
guint nt_null_mix_n_strategies (const NtNullMix *mix);
const char *nt_null_mix_name (const NtNullMix *mix);
double nt_null_mix_p_null (const NtNullMix *mix);

/* Fills a batch of n samples of `split`: Binomial(n, p_null) null samples,
 * each of a type drawn uniformly among the mix's strategies, the rest real
 * samples drawn without replacement inside the batch (through `perm`, a
 * permutation scratch of the split's size, see nt_rng_sample). Null samples
 * get the label ds->n_classes. Sample order inside the batch is shuffled
 * so nulls are not grouped. *n_null_out (optional) gets the null count. */
gboolean nt_null_mix_fill_batch (NtNullMix *mix, NtSplit split, GRand *rng,
                                 guint32 *perm, gsize n, float *images,
                                 int *labels, gsize *n_null_out,
                                 GError **error);

/* Fills n null samples only (no real ones, no null count drawn), for
 * evaluating on nulls: calls begin_batch of every strategy once, draws
 * each sample's type uniformly among the strategies and writes the samples
 * grouped by type (the caller knows they are all nulls, with label
 * ds->n_classes). Fails when the mix has no strategies. */
gboolean nt_null_mix_fill_nulls (NtNullMix *mix, NtSplit split, GRand *rng,
                                 gsize n, float *images, GError **error);

G_END_DECLS
#endif
