/* nt-dataset-mnist.c: the MNIST digits, read from the four standard IDX
 * files (raw or .gz) of a directory. Pixels stay uint8 in memory (about
 * 55 MB) and are scaled to [0, 1] (x / 255) when a batch is filled. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gmodule.h>  /* G_MODULE_EXPORT, used by NT_PLUGIN_DEFINE */

#include "nt-plugin.h"
#include "nt-dataset.h"
#include "nt-idx.h"

#define MNIST_SIDE 28
#define MNIST_CLASSES 10

typedef struct {
  NtDataset base;
  NtIdx *images[2];   /* indexed by NtSplit */
  NtIdx *labels[2];
} NtMnist;

static const char *const file_names[2][2] = {
  [NT_SPLIT_TRAIN] = { "train-images-idx3-ubyte", "train-labels-idx1-ubyte" },
  [NT_SPLIT_TEST] = { "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" },
};

static const NtOptionSpec mnist_options[] = {
  { "dir", NT_OPTION_STRING, NULL, NT_OPTION_NO_RANGE, NULL,
    "directory of the IDX files (default: $NULLTOOL_MNIST_DIR, else "
    "./data/mnist)" },
  NT_OPTION_END
};

static void
mnist_get (NtDataset *ds, NtSplit split, const gsize *indices, gsize n,
           float *images, int *labels)
{
  NtMnist *m = (NtMnist *) ds;
  const gsize size = MNIST_SIDE * MNIST_SIDE;
  const guint8 *pix = m->images[split]->data;
  const guint8 *lab = m->labels[split]->data;
  for (gsize k = 0; k < n; k++)
    {
      const guint8 *src = pix + indices[k] * size;
      float *dst = images + k * size;
      for (gsize j = 0; j < size; j++)
        dst[j] = src[j] / 255.0f;
      if (labels != NULL)
        labels[k] = lab[indices[k]];
    }
}

static void
mnist_destroy (NtDataset *ds)
{
  NtMnist *m = (NtMnist *) ds;
  for (int s = 0; s < 2; s++)
    {
      nt_idx_free (m->images[s]);
      nt_idx_free (m->labels[s]);
    }
  g_free (m);
}

/* The directory to read: the option, else $NULLTOOL_MNIST_DIR, else
 * data/mnist (relative to the current directory). */
static const char *
mnist_dir (const NtOptions *opts)
{
  const char *dir = NULL;
  if (opts != NULL && nt_options_has (opts, "dir"))
    dir = nt_options_get_string (opts, "dir");
  if (dir == NULL || *dir == '\0')
    dir = g_getenv ("NULLTOOL_MNIST_DIR");
  if (dir == NULL || *dir == '\0')
    dir = "data/mnist";
  return dir;
}

/* Adds to a NOT_FOUND error how to get the files. */
static void
add_fetch_hint (GError *error, const char *dir)
{
  if (error == NULL || !g_error_matches (error, NT_DATA_ERROR,
                                         NT_DATA_ERROR_NOT_FOUND))
    return;
  char *msg = g_strdup_printf ("%s. MNIST is not in “%s”: run `nulltool "
                               "fetch mnist` (or tools/nulltool-fetch-mnist "
                               "%s), or point dir= or $NULLTOOL_MNIST_DIR "
                               "at a directory holding the four IDX files",
                               error->message, dir, dir);
  g_free (error->message);
  error->message = msg;
}

static NtDataset *
mnist_open (const NtOptions *opts, GError **error)
{
  const char *dir = mnist_dir (opts);
  NtMnist *m = g_new0 (NtMnist, 1);
  GError *local = NULL;

  for (int s = 0; s < 2; s++)
    {
      char *ip = g_build_filename (dir, file_names[s][0], NULL);
      char *lp = g_build_filename (dir, file_names[s][1], NULL);
      m->images[s] = nt_idx_read_images (ip, MNIST_SIDE, MNIST_SIDE, &local);
      if (m->images[s] != NULL)
        m->labels[s] = nt_idx_read_labels (lp, MNIST_CLASSES, &local);
      if (m->labels[s] != NULL)
        nt_idx_check_pair (m->images[s], m->labels[s], &local);
      if (local == NULL && m->images[s]->dims[0] == 0)
        g_set_error (&local, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                     "IDX file “%s” holds no images", m->images[s]->path);
      g_free (ip);
      g_free (lp);
      if (local != NULL)
        {
          add_fetch_hint (local, dir);
          g_propagate_error (error, local);
          mnist_destroy (&m->base);
          return NULL;
        }
    }

  m->base.channels = 1;
  m->base.height = MNIST_SIDE;
  m->base.width = MNIST_SIDE;
  m->base.n_classes = MNIST_CLASSES;
  m->base.n_train = m->images[NT_SPLIT_TRAIN]->dims[0];
  m->base.n_test = m->images[NT_SPLIT_TEST]->dims[0];
  m->base.get = mnist_get;
  m->base.destroy = mnist_destroy;
  return &m->base;
}

static const NtDatasetClass mnist_class = {
  .feature = {
    .kind = NT_KIND_DATASET,
    .name = "mnist",
    .description = "MNIST handwritten digits (28x28, 10 classes) from IDX "
                   "files, raw or .gz",
    .options = mnist_options,
  },
  .open = mnist_open,
};

static gboolean
mnist_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &mnist_class.feature, error);
}

NT_PLUGIN_DEFINE ("dataset-mnist", "The MNIST dataset",
                  PACKAGE_VERSION, "MIT", mnist_init);
