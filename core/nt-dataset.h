/* nt-dataset.h: datasets, a plugin kind.
 *
 * A dataset instance knows its sample shape, its number of classes (the null
 * label is n_classes), the sizes of its train and test splits, and fills
 * batches by index. Random batches are drawn by the caller (indices from an
 * RNG), so every dataset is addressed the same way. */
#ifndef NT_DATASET_H
#define NT_DATASET_H

#include <glib.h>
#include "nt-registry.h"

G_BEGIN_DECLS

#define NT_DATA_ERROR (nt_data_error_quark ())
GQuark nt_data_error_quark (void);

typedef enum {
  NT_DATA_ERROR_NOT_FOUND,   /* a file is missing */
  NT_DATA_ERROR_FORMAT,      /* wrong magic, dimensions, truncated, ... */
  NT_DATA_ERROR_CHECKSUM,    /* a file does not match its known checksum */
  NT_DATA_ERROR_INVALID      /* bad request (index out of range, ...) */
} NtDataError;

typedef enum { NT_SPLIT_TRAIN, NT_SPLIT_TEST } NtSplit;

typedef struct _NtDataset NtDataset;

/* Every dataset instance starts with this header. */
struct _NtDataset {
  const struct _NtDatasetClass *klass;
  int channels, height, width;   /* shape of one sample (NCHW without N) */
  int n_classes;                 /* labels 0..n_classes-1; null = n_classes */
  gsize n_train, n_test;
  /* Copies samples indices[0..n) of `split` into `images` (n x sample
   * floats, values in [0, 1]) and `labels` (n ints; may be NULL). Indices
   * must be below the split size (checked by nt_dataset_get). */
  void (*get) (NtDataset *ds, NtSplit split, const gsize *indices, gsize n,
               float *images, int *labels);
  void (*destroy) (NtDataset *ds);
};

typedef struct _NtDatasetClass {
  NtFeature feature;
  /* Opens an instance from parsed options; NULL with error on failure. */
  NtDataset *(*open) (const NtOptions *opts, GError **error);
} NtDatasetClass;

/* Opens the dataset named by `selection` ("mnist:dir=data/mnist"). */
NtDataset *nt_dataset_open (NtRegistry *registry, const char *selection,
                            GError **error);
void nt_dataset_free (NtDataset *ds);

/* Floats in one sample. */
gsize nt_dataset_sample_size (const NtDataset *ds);
/* Size of a split. */
gsize nt_dataset_split_size (const NtDataset *ds, NtSplit split);
/* Checked wrapper around ds->get: fails on an index out of range. */
gboolean nt_dataset_get (NtDataset *ds, NtSplit split, const gsize *indices,
                         gsize n, float *images, int *labels, GError **error);

G_END_DECLS
#endif
