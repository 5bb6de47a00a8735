/* nt-fuzz-seeds.c: writes the seed corpora of the fuzz targets,
 * tests/fuzz/corpus/TARGET/, a few valid and damaged files each (run by
 * 'make fuzz-corpus'; the files are kept in the repository, so this only
 * needs running when a format changes). Usage: nt-fuzz-seeds CORPUS_DIR */
#include "config.h"
#include "nt-fuzz.h"
#include "nt-idx.h"
#include "nt-checkpoint.h"
#include "nt-model-file.h"
#include "nt-network.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static const char *top;

static char *
seed_path (const char *target, const char *name)
{
  char *dir = g_build_filename (top, target, NULL);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    g_error ("cannot make %s", dir);
  char *path = g_build_filename (dir, name, NULL);
  g_free (dir);
  return path;
}

static GBytes *
read_all (const char *path)
{
  char *data;
  gsize size;
  GError *error = NULL;
  if (!g_file_get_contents (path, &data, &size, &error))
    g_error ("%s", error->message);
  return g_bytes_new_take (data, size);
}

/* Writes `size` bytes of `data` as seed `name` of `target`. */
static void
put (const char *target, const char *name, const void *data, gsize size)
{
  char *path = seed_path (target, name);
  GError *error = NULL;
  if (!g_file_set_contents (path, data, (gssize) size, &error))
    g_error ("%s", error->message);
  g_free (path);
}

static void
put_text (const char *target, const char *name, const char *text)
{
  put (target, name, text, strlen (text));
}

/* Writes `data` as put() does, after setting its last 32 bytes to the
 * SHA-256 of the rest, as a checkpoint's trailer (so that the damage it
 * carries gets past the checksum to the parser). */
static void
put_resummed (const char *target, const char *name, guint8 *data, gsize size)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = 32;
  g_checksum_update (sum, data, size - 32);
  g_checksum_get_digest (sum, data + size - 32, &len);
  g_checksum_free (sum);
  put (target, name, data, size);
}

static void
idx_seeds (void)
{
  GError *error = NULL;
  guint8 images[3 * 4 * 4], labels[3] = { 0, 7, 9 };
  guint32 idims[3] = { 3, 4, 4 }, ldims[1] = { 3 };
  for (guint i = 0; i < sizeof images; i++)
    images[i] = (guint8) (i * 17);
  char *p;
#define WRITE(name, n, dims, data, gz)                                     \
  p = seed_path ("idx", name);                                             \
  if (!nt_idx_write (p, n, dims, data, gz, &error))                        \
    g_error ("%s", error->message);                                        \
  g_free (p)
  WRITE ("images", 3, idims, images, FALSE);
  WRITE ("images-gzip", 3, idims, images, TRUE);
  WRITE ("labels", 1, ldims, labels, FALSE);
  WRITE ("labels-gzip", 1, ldims, labels, TRUE);
#undef WRITE
  p = seed_path ("idx", "images");
  GBytes *raw = read_all (p);
  g_free (p);
  gsize n;
  const guint8 *img = g_bytes_get_data (raw, &n);
  guint8 *d = g_memdup2 (img, n);
  put ("idx", "damaged-truncated", d, n - 5);
  d[2] = 0x0d;                          /* float data: not read */
  put ("idx", "damaged-type", d, n);
  memcpy (d, img, n);
  d[3] = 9;                             /* nine dimensions */
  put ("idx", "damaged-dims", d, n);
  memcpy (d, img, n);
  d[4] = d[5] = 0x7f;                   /* a count the file does not hold */
  put ("idx", "damaged-lying-count", d, n);
  g_free (d);
  g_bytes_unref (raw);
  p = seed_path ("idx", "images-gzip");
  GBytes *gz = read_all (p);
  g_free (p);
  const guint8 *gzd = g_bytes_get_data (gz, &n);
  put ("idx", "damaged-gzip-truncated", gzd, n / 2);
  g_bytes_unref (gz);
  guint8 bad_label[] = { 0, 0, 8, 1, 0, 0, 0, 2, 3, 12 };
  put ("idx", "damaged-label", bad_label, sizeof bad_label);
}

static void
checkpoint_seeds (void)
{
  GError *error = NULL;
  NtCheckpoint *ck = nt_checkpoint_new ();
  float w[6] = { 1, -2, 3.5f, 0, 1e-3f, -1e3f }, b[3] = { 0.5f, 0, -0.5f };
  float s = 42;
  gint64 wd[2] = { 2, 3 }, bd[1] = { 3 }, ed[2] = { 0, 4 };
  nt_checkpoint_set_meta (ck, "model", "cnn:max_batch=2");
  nt_checkpoint_set_meta (ck, "epoch", "3");
  nt_checkpoint_set_meta (ck, "note", "");
  if (!nt_checkpoint_add_tensor (ck, "w", 2, wd, w, &error)
      || !nt_checkpoint_add_tensor (ck, "b", 1, bd, b, &error)
      || !nt_checkpoint_add_tensor (ck, "scalar", 0, NULL, &s, &error)
      || !nt_checkpoint_add_tensor (ck, "empty", 2, ed, NULL, &error))
    g_error ("%s", error->message);
  char *p = seed_path ("checkpoint", "valid");
  if (!nt_checkpoint_save (ck, p, &error))
    g_error ("%s", error->message);
  nt_checkpoint_free (ck);
  GBytes *valid = read_all (p);
  g_free (p);

  ck = nt_checkpoint_new ();
  p = seed_path ("checkpoint", "valid-empty");
  if (!nt_checkpoint_save (ck, p, &error))
    g_error ("%s", error->message);
  nt_checkpoint_free (ck);
  g_free (p);

  gsize n;
  const guint8 *v = g_bytes_get_data (valid, &n);
  guint8 *d = g_memdup2 (v, n);
  d[n / 2] ^= 0x40;
  put ("checkpoint", "damaged-checksum", d, n);
  put ("checkpoint", "damaged-truncated", v, n / 2);
  memcpy (d, v, n);
  d[8] = 2;                             /* format version 2 */
  put_resummed ("checkpoint", "damaged-newer-version", d, n);
  memcpy (d, v, n);
  d[16] = 0xff;                         /* first key length ~4 GB */
  d[19] = 0x7f;
  put_resummed ("checkpoint", "damaged-key-length", d, n);
  memcpy (d, v, n);
  d[0] = 'X';
  put ("checkpoint", "damaged-magic", d, n);
  g_free (d);
  g_bytes_unref (valid);
}

static void
model_file_seeds (void)
{
  GError *error = NULL;
  NtRegistry *registry = nt_fuzz_registry ();
  NtBackend *be = nt_fuzz_backend ();
  const char *sel = "ramp-cnn:max_batch=2";
  char *canon = nt_model_canonical (registry, sel, &error);
  NtNetwork *net = canon ? nt_model_build (registry, be, sel, 1, 1, 3, 3,
                                           &error) : NULL;
  if (net == NULL)
    g_error ("%s", error->message);
  nt_network_init_glorot (net, 7);
  const char *const meta[] = { "dataset", "ramp", "null", "uniform", NULL };
  char *p = seed_path ("model-file", "valid-ramp-cnn");
  if (!nt_model_file_save (net, canon, meta, p, &error))
    g_error ("%s", error->message);
  nt_network_free (net);

  /* the same tensors under wrong metadata, each with a good checksum */
  static const char *const bad[][3] = {
    { "damaged-input", "input", "1x1x2" },
    { "damaged-input-syntax", "input", "1x1" },
    { "damaged-outputs", "outputs", "0" },
    { "damaged-model", "model", "no-such-model" },
    { "damaged-model-options", "model", "ramp-cnn:dropout=maybe" },
    { "damaged-format", "format", "something-else" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      NtCheckpoint *ck = nt_checkpoint_load (p, &error);
      if (ck == NULL)
        g_error ("%s", error->message);
      nt_checkpoint_set_meta (ck, bad[i][1], bad[i][2]);
      char *q = seed_path ("model-file", bad[i][0]);
      if (!nt_checkpoint_save (ck, q, &error))
        g_error ("%s", error->message);
      g_free (q);
      nt_checkpoint_free (ck);
    }
  GBytes *valid = read_all (p);
  gsize n;
  const guint8 *v = g_bytes_get_data (valid, &n);
  put ("model-file", "damaged-truncated", v, n - 40);
  g_bytes_unref (valid);
  g_free (p);
  g_free (canon);
}

static void
csv_seeds (void)
{
  put_text ("csv", "valid",
            "set,type,epoch,loss,accuracy\n"
            "0,baseline,1,0.25,0.93\n"
            "0,usm,1,0.5,nan\n"
            "1,m,20,1e-3,-inf\n");
  put_text ("csv", "valid-crlf", "a,b\r\n1,2\r\n\r\n3,\r\n");
  put_text ("csv", "valid-header-only", "only,a,header\n");
  put_text ("csv", "valid-no-final-newline", "x\n1\n2");
  put_text ("csv", "damaged-fields", "a,b,c\n1,2,3\n4,5\n");
  put_text ("csv", "damaged-empty", "");
  put_text ("csv", "damaged-blank", "\n \n\t\n");
}

static void
options_seeds (void)
{
  put_text ("options", "valid-all",
            "shuffle:n=7,big=-9223372036854775808,eps=0.25,x=-1e300,"
            "flag=yes,name=abc,mode=exact,tiles=2,4,7,14,list=-1,0,1");
  put_text ("options", "valid-plain", "n=1000,flag=off,tiles=28");
  put_text ("options", "valid-empty-string", "fgsm:name=,x=0");
  put_text ("options", "damaged-range", "n=1001,eps=1.5");
  put_text ("options", "damaged-number", "big=99999999999999999999,x=nan");
  put_text ("options", "damaged-duplicate", "n=1,n=2");
  put_text ("options", "damaged-syntax", ":=,,=x,tiles=,list=1,,2");
  put_text ("options", "damaged-choice", "mode=slow,flag=maybe,what=1");
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      g_printerr ("usage: %s CORPUS_DIR\n", argv[0]);
      return EXIT_FAILURE;
    }
  top = argv[1];
  idx_seeds ();
  checkpoint_seeds ();
  model_file_seeds ();
  csv_seeds ();
  options_seeds ();
  return EXIT_SUCCESS;
}
