/* test-mnist.c: the IDX reader (raw and gzip, good and bad files) and the
 * mnist dataset plugin (on small generated directories, and on the real
 * MNIST files when they are present). */
#include "config.h"
#include "nt-dataset.h"
#include "nt-idx.h"
#include "nt-test-util.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

/* --- helpers ------------------------------------------------------------ */

static char *
make_tmp_dir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("nt-test-mnist-XXXXXX", &error);
  ck_assert_msg (dir != NULL, "g_dir_make_tmp: %s",
                 error ? error->message : "");
  return dir;
}

/* Removes a flat temporary directory and its files. */
static void
remove_tmp_dir (char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
      g_free (p);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

/* Bytes from a fixed pseudo-random sequence (an LCG: independent of the
 * code under test). */
static guint8 *
pattern_bytes (gsize n, guint32 seed)
{
  guint8 *b = g_malloc (MAX (n, 1));
  guint32 s = seed * 2654435761u + 1;
  for (gsize i = 0; i < n; i++)
    {
      s = s * 1664525u + 1013904223u;
      b[i] = (guint8) (s >> 24);
    }
  return b;
}

static void
write_idx (const char *dir, const char *name, guint n_dims,
           const guint32 *dims, const guint8 *data, gboolean compress)
{
  GError *error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  gboolean ok = nt_idx_write (path, n_dims, dims, data, compress, &error);
  ck_assert_msg (ok, "nt_idx_write %s: %s", path,
                 error ? error->message : "");
  g_free (path);
}

/* Writes an IDX file by hand (header byte by byte), as an independent
 * check of nt_idx_write's layout. */
static void
write_idx_by_hand (const char *path, const guint8 *head, gsize head_len,
                   const guint8 *data, gsize len)
{
  GByteArray *a = g_byte_array_new ();
  g_byte_array_append (a, head, head_len);
  g_byte_array_append (a, data, len);
  ck_assert (g_file_set_contents (path, (const char *) a->data, a->len,
                                  NULL));
  g_byte_array_unref (a);
}

/* Writes a small MNIST-like directory: n_train and n_test 28x28 images with
 * labels i % 10 (train, raw files) and (i + 3) % 10 (test, .gz files).
 * Returns the pixel buffers through *train_px and *test_px (caller frees). */
static void
write_small_mnist (const char *dir, guint32 n_train, guint32 n_test,
                   guint8 **train_px, guint8 **test_px)
{
  const guint32 tdims[3] = { n_train, 28, 28 }, edims[3] = { n_test, 28, 28 };
  guint8 *tp = pattern_bytes ((gsize) n_train * 784, 1);
  guint8 *ep = pattern_bytes ((gsize) n_test * 784, 2);
  guint8 *tl = g_malloc (MAX (n_train, 1)), *el = g_malloc (MAX (n_test, 1));
  for (guint32 i = 0; i < n_train; i++)
    tl[i] = i % 10;
  for (guint32 i = 0; i < n_test; i++)
    el[i] = (i + 3) % 10;
  write_idx (dir, "train-images-idx3-ubyte", 3, tdims, tp, FALSE);
  write_idx (dir, "train-labels-idx1-ubyte", 1, &n_train, tl, FALSE);
  write_idx (dir, "t10k-images-idx3-ubyte.gz", 3, edims, ep, TRUE);
  write_idx (dir, "t10k-labels-idx1-ubyte.gz", 1, &n_test, el, TRUE);
  g_free (tl);
  g_free (el);
  if (train_px)
    *train_px = tp;
  else
    g_free (tp);
  if (test_px)
    *test_px = ep;
  else
    g_free (ep);
}

static void
copy_file (const char *from, const char *to)
{
  char *data = NULL;
  gsize len = 0;
  ck_assert_msg (g_file_get_contents (from, &data, &len, NULL), "read %s",
                 from);
  ck_assert (g_file_set_contents (to, data, len, NULL));
  g_free (data);
}

static char *
bad_idx_path (const char *name)
{
  return g_build_filename (nt_test_srcdir (), "tests", "data", "bad-idx",
                           name, NULL);
}

/* --- the reader on good files ------------------------------------------- */

/* Files written by hand (raw) and by nt_idx_write (raw and gzip) read back
 * byte for byte, with their sizes. */
START_TEST (test_read_good)
{
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  guint8 *px = pattern_bytes (3 * 784, 7);

  /* by hand: magic 00 00 08 03, sizes 3, 28, 28 big-endian */
  const guint8 head[16] = { 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28 };
  char *hand = g_build_filename (dir, "hand", NULL);
  write_idx_by_hand (hand, head, sizeof head, px, 3 * 784);
  NtIdx *a = nt_idx_read_images (hand, 28, 28, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (a->n_dims, 3);
  ck_assert_uint_eq (a->dims[0], 3);
  ck_assert_uint_eq (a->dims[1], 28);
  ck_assert_uint_eq (a->dims[2], 28);
  ck_assert_uint_eq (a->n_bytes, 3 * 784);
  ck_assert_str_eq (a->path, hand);
  ck_assert (memcmp (a->data, px, 3 * 784) == 0);

  /* nt_idx_write's raw output is the same bytes as the hand-made file */
  const guint32 dims[3] = { 3, 28, 28 };
  write_idx (dir, "raw", 3, dims, px, FALSE);
  char *raw = g_build_filename (dir, "raw", NULL);
  char *c1 = NULL, *c2 = NULL;
  gsize l1 = 0, l2 = 0;
  ck_assert (g_file_get_contents (hand, &c1, &l1, NULL));
  ck_assert (g_file_get_contents (raw, &c2, &l2, NULL));
  ck_assert_uint_eq (l1, l2);
  ck_assert (memcmp (c1, c2, l1) == 0);
  g_free (c1);
  g_free (c2);

  /* gzip: asked for by full name, and found as NAME.gz when NAME is absent */
  write_idx (dir, "comp.gz", 3, dims, px, TRUE);
  char *gz = g_build_filename (dir, "comp.gz", NULL);
  char *gz_base = g_build_filename (dir, "comp", NULL);
  char *gz_data = NULL;
  gsize gz_len = 0;
  ck_assert (g_file_get_contents (gz, &gz_data, &gz_len, NULL));
  ck_assert_uint_ge (gz_len, 2);
  ck_assert_uint_eq ((guint8) gz_data[0], 0x1f);  /* really compressed */
  ck_assert_uint_eq ((guint8) gz_data[1], 0x8b);
  g_free (gz_data);
  for (int k = 0; k < 2; k++)
    {
      NtIdx *b = nt_idx_read_images (k == 0 ? gz : gz_base, 28, 28, &error);
      ck_assert_msg (b != NULL, "%s", error ? error->message : "");
      ck_assert_str_eq (b->path, gz);
      ck_assert_uint_eq (b->dims[0], 3);
      ck_assert (memcmp (b->data, px, 3 * 784) == 0);
      nt_idx_free (b);
    }

  /* NAME wins over NAME.gz when both exist */
  write_idx (dir, "both", 3, dims, px, FALSE);
  const guint32 one[3] = { 1, 28, 28 };
  write_idx (dir, "both.gz", 3, one, px, TRUE);
  char *both = g_build_filename (dir, "both", NULL);
  NtIdx *c = nt_idx_read_images (both, 28, 28, &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (c->dims[0], 3);
  nt_idx_free (c);

  /* labels, and a 4-dimensional generic file */
  guint8 lab[5] = { 0, 9, 3, 3, 7 };
  guint32 n5 = 5;
  write_idx (dir, "lab.gz", 1, &n5, lab, TRUE);
  char *labp = g_build_filename (dir, "lab", NULL);
  NtIdx *l = nt_idx_read_labels (labp, 10, &error);
  ck_assert_msg (l != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (l->dims[0], 5);
  ck_assert (memcmp (l->data, lab, 5) == 0);
  ck_assert (nt_idx_check_pair (a, l, &error) == FALSE);
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT));
  g_clear_error (&error);
  nt_idx_free (l);

  const guint32 d4[4] = { 2, 3, 1, 5 };
  write_idx (dir, "four", 4, d4, px, FALSE);
  char *four = g_build_filename (dir, "four", NULL);
  const guint32 want4[4] = { 0, 3, 0, 5 };
  NtIdx *f = nt_idx_read (four, 4, want4, &error);
  ck_assert_msg (f != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (f->n_bytes, 30);
  ck_assert (memcmp (f->data, px, 30) == 0);
  nt_idx_free (f);

  /* an empty (0-image) file is well-formed for the reader */
  const guint32 zero[3] = { 0, 28, 28 };
  write_idx (dir, "zero.gz", 3, zero, NULL, TRUE);
  char *zp = g_build_filename (dir, "zero.gz", NULL);
  NtIdx *z = nt_idx_read_images (zp, 28, 28, &error);
  ck_assert_msg (z != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (z->n_bytes, 0);
  nt_idx_free (z);

  nt_idx_free (a);
  g_free (hand);
  g_free (raw);
  g_free (gz);
  g_free (gz_base);
  g_free (both);
  g_free (labp);
  g_free (four);
  g_free (zp);
  g_free (px);
  remove_tmp_dir (dir);
}
END_TEST

/* A gzip file larger than the reader's first buffer (1 MiB) grows it
 * correctly. */
START_TEST (test_read_large_gz)
{
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  const guint32 n = 3000;   /* 2.35 MB of pixels */
  guint8 *px = pattern_bytes ((gsize) n * 784, 11);
  const guint32 dims[3] = { n, 28, 28 };
  write_idx (dir, "big.gz", 3, dims, px, TRUE);
  char *p = g_build_filename (dir, "big", NULL);
  NtIdx *a = nt_idx_read_images (p, 28, 28, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (a->n_bytes, (gsize) n * 784);
  ck_assert (memcmp (a->data, px, a->n_bytes) == 0);
  nt_idx_free (a);
  g_free (p);
  g_free (px);
  remove_tmp_dir (dir);
}
END_TEST

/* --- the reader on bad files -------------------------------------------- */

START_TEST (test_read_missing)
{
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  char *p = g_build_filename (dir, "nope-idx3-ubyte", NULL);
  NtIdx *a = nt_idx_read_images (p, 28, 28, &error);
  ck_assert_ptr_null (a);
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND));
  ck_assert_msg (strstr (error->message, p) != NULL, "%s", error->message);
  g_clear_error (&error);

  /* a directory where a file is expected */
  ck_assert (g_mkdir (p, 0700) == 0);
  a = nt_idx_read_images (p, 28, 28, &error);
  ck_assert_ptr_null (a);
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT));
  ck_assert_msg (strstr (error->message, p) != NULL, "%s", error->message);
  g_clear_error (&error);
  g_rmdir (p);
  g_free (p);
  remove_tmp_dir (dir);
}
END_TEST

typedef struct {
  const char *file;      /* under tests/data/bad-idx */
  char reader;           /* 'I' images 28x28, 'L' labels < 10 */
  const char *needle;    /* a phrase the message must contain */
} BadCase;

/* Each corpus file and the error it must give (all NT_DATA_ERROR_FORMAT).
 * See tests/make-bad-idx.sh for how each was made. */
static const BadCase bad_cases[] = {
  { "empty.idx", 'I', "too short" },
  { "truncated-header.idx", 'I', "truncated" },
  { "bad-magic.idx", 'I', "magic" },
  { "bad-type.idx", 'I', "data type 0x0d" },
  { "bad-ndims-images.idx", 'I', "2 dimensions" },
  { "bad-ndims-labels.idx", 'L', "2 dimensions" },
  { "bad-image-size.idx", 'I', "2 x 10 x 10" },
  { "truncated-images.idx", 'I', "truncated" },
  { "trailing-images.idx", 'I', "trailing" },
  { "trailing-labels.idx", 'L', "trailing" },
  { "absurd-images.idx", 'I', "absurd" },
  { "huge-claim-images.idx", 'I', "truncated" },
  { "huge-claim-images.idx.gz", 'I', "truncated" },
  { "truncated-images.idx.gz", 'I', "truncated" },
  { "corrupt-images.idx.gz", 'I', "damaged" },
  { "trailing-labels.idx.gz", 'L', "trailing" },
  { "bad-label.idx", 'L', "label 10 at index 2" },
};

START_TEST (test_read_bad)
{
  const BadCase *c = &bad_cases[_i];
  char *path = bad_idx_path (c->file);
  ck_assert_msg (g_file_test (path, G_FILE_TEST_IS_REGULAR),
                 "corpus file %s is missing", path);
  GError *error = NULL;
  NtIdx *a = c->reader == 'I' ? nt_idx_read_images (path, 28, 28, &error)
                              : nt_idx_read_labels (path, 10, &error);
  ck_assert_msg (a == NULL, "%s was accepted", c->file);
  ck_assert_msg (error != NULL, "%s: no error set", c->file);
  ck_assert_msg (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT),
                 "%s: wrong error %s/%d: %s", c->file,
                 g_quark_to_string (error->domain), error->code,
                 error->message);
  ck_assert_msg (strstr (error->message, path) != NULL,
                 "%s: message does not name the file: %s", c->file,
                 error->message);
  ck_assert_msg (strstr (error->message, c->needle) != NULL,
                 "%s: message lacks \"%s\": %s", c->file, c->needle,
                 error->message);
  g_error_free (error);
  g_free (path);
}
END_TEST

/* A label file whose count differs from its image file's. */
START_TEST (test_pair_mismatch)
{
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  guint8 *px = pattern_bytes (5 * 784, 3);
  const guint32 dims[3] = { 5, 28, 28 };
  write_idx (dir, "img", 3, dims, px, FALSE);
  char *ip = g_build_filename (dir, "img", NULL);
  char *lp = bad_idx_path ("labels-count-4.idx");
  NtIdx *im = nt_idx_read_images (ip, 28, 28, &error);
  NtIdx *lb = nt_idx_read_labels (lp, 10, &error);
  ck_assert (im != NULL && lb != NULL);
  ck_assert (!nt_idx_check_pair (im, lb, &error));
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT));
  ck_assert_msg (strstr (error->message, ip) && strstr (error->message, lp)
                 && strstr (error->message, "5 images")
                 && strstr (error->message, "4 labels"), "%s",
                 error->message);
  g_clear_error (&error);
  nt_idx_free (im);
  nt_idx_free (lb);
  g_free (ip);
  g_free (lp);
  g_free (px);
  remove_tmp_dir (dir);
}
END_TEST

/* --- the mnist dataset --------------------------------------------------- */

static NtDataset *
open_mnist (NtRegistry *reg, const char *dir, GError **error)
{
  char *sel = g_strdup_printf ("mnist:dir=%s", dir);
  NtDataset *ds = nt_dataset_open (reg, sel, error);
  g_free (sel);
  return ds;
}

START_TEST (test_mnist_small)
{
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  guint8 *tp = NULL, *ep = NULL;
  write_small_mnist (dir, 5, 3, &tp, &ep);

  NtRegistry *reg = nt_test_registry ();
  NtDataset *ds = open_mnist (reg, dir, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->channels, 1);
  ck_assert_int_eq (ds->height, 28);
  ck_assert_int_eq (ds->width, 28);
  ck_assert_int_eq (ds->n_classes, 10);
  ck_assert_uint_eq (nt_dataset_split_size (ds, NT_SPLIT_TRAIN), 5);
  ck_assert_uint_eq (nt_dataset_split_size (ds, NT_SPLIT_TEST), 3);
  ck_assert_uint_eq (nt_dataset_sample_size (ds), 784);
  ck_assert_ptr_nonnull (ds->klass);
  ck_assert_str_eq (ds->klass->feature.name, "mnist");

  /* train, in a scrambled order with a repeat */
  const gsize idx[6] = { 4, 0, 2, 2, 1, 3 };
  float *img = g_new (float, 6 * 784);
  int lab[6];
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TRAIN, idx, 6, img, lab, &error));
  for (int k = 0; k < 6; k++)
    {
      ck_assert_int_eq (lab[k], (int) (idx[k] % 10));
      for (int j = 0; j < 784; j++)
        ck_assert_float_eq (img[k * 784 + j], tp[idx[k] * 784 + j] / 255.0f);
    }
  /* test split (from .gz files), labels optional */
  const gsize tidx[3] = { 2, 1, 0 };
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TEST, tidx, 3, img, lab, &error));
  for (int k = 0; k < 3; k++)
    {
      ck_assert_int_eq (lab[k], (int) ((tidx[k] + 3) % 10));
      for (int j = 0; j < 784; j++)
        ck_assert_float_eq (img[k * 784 + j], ep[tidx[k] * 784 + j] / 255.0f);
    }
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TEST, tidx, 3, img, NULL, &error));

  /* out of range: index == size fails, and nothing is written */
  const gsize bad[2] = { 0, 3 };
  img[0] = -7.0f;
  ck_assert (!nt_dataset_get (ds, NT_SPLIT_TEST, bad, 2, img, lab, &error));
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID));
  ck_assert_msg (strstr (error->message, "3") != NULL, "%s", error->message);
  ck_assert_float_eq (img[0], -7.0f);
  g_clear_error (&error);
  /* n == 0 is a no-op */
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TRAIN, NULL, 0, NULL, NULL,
                             &error));

  nt_dataset_free (ds);
  nt_registry_free (reg);
  g_free (img);
  g_free (tp);
  g_free (ep);
  remove_tmp_dir (dir);
}
END_TEST

/* Pixels 0 and 255 map to exactly 0.0 and 1.0. */
START_TEST (test_mnist_scaling)
{
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  write_small_mnist (dir, 2, 1, NULL, NULL);
  guint8 px[2 * 784];
  for (int j = 0; j < 2 * 784; j++)
    px[j] = (guint8) (j < 784 ? 0 : 255);
  const guint32 dims[3] = { 2, 28, 28 };
  char *p = g_build_filename (dir, "train-images-idx3-ubyte", NULL);
  g_unlink (p);
  write_idx (dir, "train-images-idx3-ubyte.gz", 3, dims, px, TRUE);

  NtRegistry *reg = nt_test_registry ();
  NtDataset *ds = open_mnist (reg, dir, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  float img[2 * 784];
  const gsize idx[2] = { 0, 1 };
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TRAIN, idx, 2, img, NULL, &error));
  for (int j = 0; j < 784; j++)
    {
      ck_assert (img[j] == 0.0f);
      ck_assert (img[784 + j] == 1.0f);
    }
  nt_dataset_free (ds);
  nt_registry_free (reg);
  g_free (p);
  remove_tmp_dir (dir);
}
END_TEST

/* dir= unset: $NULLTOOL_MNIST_DIR is used. */
START_TEST (test_mnist_env_dir)
{
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  write_small_mnist (dir, 4, 2, NULL, NULL);
  g_setenv ("NULLTOOL_MNIST_DIR", dir, TRUE);
  NtRegistry *reg = nt_test_registry ();
  NtDataset *ds = nt_dataset_open (reg, "mnist", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (ds->n_train, 4);
  ck_assert_uint_eq (ds->n_test, 2);
  nt_dataset_free (ds);

  /* an explicit dir= wins over the environment */
  char *empty = make_tmp_dir ();
  ds = open_mnist (reg, empty, &error);
  ck_assert_ptr_null (ds);
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND));
  g_clear_error (&error);
  g_unsetenv ("NULLTOOL_MNIST_DIR");
  nt_registry_free (reg);
  remove_tmp_dir (empty);
  remove_tmp_dir (dir);
}
END_TEST

/* Missing files: NOT_FOUND, naming the file and how to fetch MNIST. */
START_TEST (test_mnist_missing)
{
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  NtRegistry *reg = nt_test_registry ();

  NtDataset *ds = open_mnist (reg, dir, &error);
  ck_assert_ptr_null (ds);
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND));
  ck_assert_msg (strstr (error->message, "train-images-idx3-ubyte")
                 && strstr (error->message, dir)
                 && strstr (error->message, "nulltool fetch mnist")
                 && strstr (error->message, "nulltool-fetch-mnist"),
                 "%s", error->message);
  g_clear_error (&error);

  /* only the test labels missing */
  write_small_mnist (dir, 3, 2, NULL, NULL);
  char *p = g_build_filename (dir, "t10k-labels-idx1-ubyte.gz", NULL);
  g_unlink (p);
  ds = open_mnist (reg, dir, &error);
  ck_assert_ptr_null (ds);
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND));
  ck_assert_msg (strstr (error->message, "t10k-labels-idx1-ubyte"), "%s",
                 error->message);
  g_clear_error (&error);

  /* an unknown option is refused by the core, not by the plugin */
  ds = nt_dataset_open (reg, "mnist:folder=x", &error);
  ck_assert_ptr_null (ds);
  ck_assert (error != NULL && error->domain == NT_OPTIONS_ERROR);
  g_clear_error (&error);

  g_free (p);
  nt_registry_free (reg);
  remove_tmp_dir (dir);
}
END_TEST

/* One bad file among good ones makes open fail with that file's error. */
typedef struct {
  const char *corpus;   /* file of the corpus */
  const char *as;       /* the MNIST name it replaces */
} DirCase;

static const DirCase dir_cases[] = {
  { "bad-magic.idx", "train-images-idx3-ubyte" },
  { "bad-image-size.idx", "train-images-idx3-ubyte" },
  { "truncated-images.idx.gz", "t10k-images-idx3-ubyte.gz" },
  { "bad-label.idx", "train-labels-idx1-ubyte" },
  { "labels-count-4.idx", "train-labels-idx1-ubyte" },
  { "trailing-labels.idx.gz", "t10k-labels-idx1-ubyte.gz" },
  { "bad-ndims-images.idx", "train-labels-idx1-ubyte" },
};

START_TEST (test_mnist_bad_dir)
{
  const DirCase *c = &dir_cases[_i];
  char *dir = make_tmp_dir ();
  GError *error = NULL;
  write_small_mnist (dir, 5, 3, NULL, NULL);
  char *from = bad_idx_path (c->corpus);
  char *to = g_build_filename (dir, c->as, NULL);
  copy_file (from, to);

  NtRegistry *reg = nt_test_registry ();
  NtDataset *ds = open_mnist (reg, dir, &error);
  ck_assert_msg (ds == NULL, "%s accepted as %s", c->corpus, c->as);
  ck_assert_msg (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT),
                 "%s: %s", c->corpus, error ? error->message : "no error");
  ck_assert_msg (strstr (error->message, to) != NULL, "%s: %s", c->corpus,
                 error->message);
  g_clear_error (&error);
  nt_registry_free (reg);
  g_free (from);
  g_free (to);
  remove_tmp_dir (dir);
}
END_TEST

/* The real files, when present: sizes and the label histograms. */
START_TEST (test_mnist_real)
{
  char *dir = nt_test_mnist_dir ();
  if (dir == NULL)
    {
      g_printerr ("test_mnist_real: MNIST not found (set NULLTOOL_MNIST_DIR "
                  "or run tools/nulltool-fetch-mnist); skipped\n");
      return;
    }
  GError *error = NULL;
  NtRegistry *reg = nt_test_registry ();
  NtDataset *ds = open_mnist (reg, dir, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (ds->n_train, 60000);
  ck_assert_uint_eq (ds->n_test, 10000);

  /* The published class counts of MNIST. */
  static const int test_counts[10] = { 980, 1135, 1032, 1010, 982,
                                       892, 958, 1028, 974, 1009 };
  static const int train_counts[10] = { 5923, 6742, 5958, 6131, 5842,
                                        5421, 5918, 6265, 5851, 5949 };
  const gsize batch = 1000;
  gsize *idx = g_new (gsize, batch);
  float *img = g_new (float, batch * 784);
  int *lab = g_new (int, batch);
  for (int s = 0; s < 2; s++)
    {
      NtSplit split = s == 0 ? NT_SPLIT_TEST : NT_SPLIT_TRAIN;
      const int *want = s == 0 ? test_counts : train_counts;
      int count[10] = { 0 };
      double sum = 0;
      gsize n = nt_dataset_split_size (ds, split);
      for (gsize off = 0; off < n; off += batch)
        {
          for (gsize k = 0; k < batch; k++)
            idx[k] = off + k;
          ck_assert (nt_dataset_get (ds, split, idx, batch, img, lab,
                                     &error));
          for (gsize k = 0; k < batch; k++)
            {
              ck_assert (lab[k] >= 0 && lab[k] < 10);
              count[lab[k]]++;
            }
          for (gsize j = 0; j < batch * 784; j++)
            sum += img[j];
        }
      for (int d = 0; d < 10; d++)
        ck_assert_msg (count[d] == want[d], "%s digit %d: %d, expected %d",
                       s == 0 ? "test" : "train", d, count[d], want[d]);
      /* mean pixel of MNIST is about 0.13 (0.1307 train, 0.1325 test) */
      double mean = sum / ((double) n * 784);
      ck_assert_msg (mean > 0.125 && mean < 0.14, "mean %g", mean);
    }

  /* get() agrees with the file bytes read independently */
  char *path = g_build_filename (dir, "t10k-images-idx3-ubyte", NULL);
  char *raw = NULL;
  gsize len = 0;
  ck_assert (g_file_get_contents (path, &raw, &len, NULL));
  ck_assert_uint_eq (len, 16 + 10000 * 784);
  const gsize some[3] = { 0, 4321, 9999 };
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TEST, some, 3, img, NULL, &error));
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 784; j++)
      ck_assert_float_eq (img[k * 784 + j],
                          (guint8) raw[16 + some[k] * 784 + j] / 255.0f);
  g_free (raw);
  g_free (path);
  g_free (idx);
  g_free (img);
  g_free (lab);
  nt_dataset_free (ds);
  nt_registry_free (reg);
  g_free (dir);
}
END_TEST

static Suite *
mnist_suite (void)
{
  Suite *s = suite_create ("mnist");
  TCase *tc = tcase_create ("idx");
  tcase_add_test (tc, test_read_good);
  tcase_add_test (tc, test_read_large_gz);
  tcase_add_test (tc, test_read_missing);
  tcase_add_loop_test (tc, test_read_bad, 0, G_N_ELEMENTS (bad_cases));
  tcase_add_test (tc, test_pair_mismatch);
  suite_add_tcase (s, tc);

  tc = tcase_create ("dataset");
  tcase_add_test (tc, test_mnist_small);
  tcase_add_test (tc, test_mnist_scaling);
  tcase_add_test (tc, test_mnist_env_dir);
  tcase_add_test (tc, test_mnist_missing);
  tcase_add_loop_test (tc, test_mnist_bad_dir, 0, G_N_ELEMENTS (dir_cases));
  suite_add_tcase (s, tc);

  tc = tcase_create ("real");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_mnist_real);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (mnist_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
