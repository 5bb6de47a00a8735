/* nt-dataset.c: opening datasets through the registry, and the checked
 * accessors of nt-dataset.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-dataset.h"

G_DEFINE_QUARK (nt-data-error-quark, nt_data_error)

NtDataset *
nt_dataset_open (NtRegistry *registry, const char *selection, GError **error)
{
  g_return_val_if_fail (registry != NULL, NULL);
  g_return_val_if_fail (selection != NULL, NULL);

  NtOptions *opts = NULL;
  const NtFeature *feature = nt_registry_resolve (registry, NT_KIND_DATASET,
                                                  selection, &opts, error);
  if (feature == NULL)
    return NULL;

  /* Every dataset feature is the first member of an NtDatasetClass. */
  const NtDatasetClass *klass = (const NtDatasetClass *) feature;
  if (klass->open == NULL)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                   "Dataset “%s” (from %s) has no open function",
                   feature->name,
                   nt_registry_feature_file (registry, feature));
      nt_options_free (opts);
      return NULL;
    }

  GError *local = NULL;
  NtDataset *ds = klass->open (opts, &local);
  nt_options_free (opts);
  if (ds == NULL)
    {
      /* A plugin that fails without saying why still yields a message. */
      if (local == NULL)
        g_set_error (&local, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                     "Dataset “%s” failed to open (no reason given)",
                     feature->name);
      g_propagate_error (error, local);
      return NULL;
    }
  if (local != NULL)
    g_error_free (local);
  if (ds->klass == NULL)
    ds->klass = klass;
  return ds;
}

void
nt_dataset_free (NtDataset *ds)
{
  if (ds == NULL)
    return;
  if (ds->destroy != NULL)
    ds->destroy (ds);
  else
    g_free (ds);
}

gsize
nt_dataset_sample_size (const NtDataset *ds)
{
  g_return_val_if_fail (ds != NULL, 0);
  return (gsize) ds->channels * (gsize) ds->height * (gsize) ds->width;
}

gsize
nt_dataset_split_size (const NtDataset *ds, NtSplit split)
{
  g_return_val_if_fail (ds != NULL, 0);
  return split == NT_SPLIT_TRAIN ? ds->n_train : ds->n_test;
}

gboolean
nt_dataset_get (NtDataset *ds, NtSplit split, const gsize *indices, gsize n,
                float *images, int *labels, GError **error)
{
  g_return_val_if_fail (ds != NULL && ds->get != NULL, FALSE);
  if (n == 0)
    return TRUE;
  g_return_val_if_fail (indices != NULL && images != NULL, FALSE);

  if (split != NT_SPLIT_TRAIN && split != NT_SPLIT_TEST)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                   "Unknown dataset split %d", (int) split);
      return FALSE;
    }
  gsize size = nt_dataset_split_size (ds, split);
  for (gsize i = 0; i < n; i++)
    if (indices[i] >= size)
      {
        g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID,
                     "Sample index %" G_GSIZE_FORMAT " is out of range for "
                     "the %s split of dataset “%s” (%" G_GSIZE_FORMAT
                     " samples)", indices[i],
                     split == NT_SPLIT_TRAIN ? "train" : "test",
                     ds->klass != NULL ? ds->klass->feature.name : "?",
                     size);
        return FALSE;
      }
  ds->get (ds, split, indices, n, images, labels);
  return TRUE;
}
