/* test-checkpoint.c: the checkpoint format, its damage detection and its
 * atomic save.
 *
 * Truth comes from outside the module: a hand-built byte image of a small
 * checkpoint (little-endian written byte by byte, SHA-256 from GChecksum),
 * bit patterns compared with memcmp, and files crafted with a valid checksum
 * but inconsistent lengths to exercise the parser past the checksum. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "nt-checkpoint.h"

/* ---- helpers ----------------------------------------------------------- */

static char *
make_tmp_dir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("nt-test-checkpoint-XXXXXX", &error);
  ck_assert_msg (dir != NULL, "g_dir_make_tmp: %s",
                 error ? error->message : "?");
  return dir;
}

/* Number of entries in dir; when only is not NULL, also checks that the
 * sole entry is called only. */
static guint
count_entries (const char *dir, const char *only)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;
  ck_assert_ptr_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (only != NULL)
        ck_assert_str_eq (name, only);
      n++;
    }
  g_dir_close (d);
  return n;
}

/* Removes dir and the plain files in it (the tests make no subdirectories
 * except where they remove them themselves). */
static void
remove_tmp_dir (char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          char *p = g_build_filename (dir, name, NULL);
          if (g_unlink (p) != 0)
            g_rmdir (p);
          g_free (p);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
  g_free (dir);
}

/* Plain stdio rather than g_file_set_contents(), whose fsync() would make
 * the thousand writes of the damage tests slow. */
static void
write_file (const char *path, const guint8 *data, gsize len)
{
  FILE *fp = g_fopen (path, "wb");
  ck_assert_msg (fp != NULL, "cannot create %s", path);
  ck_assert_uint_eq (fwrite (data, 1, len, fp), len);
  ck_assert_int_eq (fclose (fp), 0);
}

static guint8 *
read_file (const char *path, gsize *len)
{
  GError *error = NULL;
  char *data = NULL;
  ck_assert_msg (g_file_get_contents (path, &data, len, &error),
                 "read %s: %s", path, error ? error->message : "?");
  return (guint8 *) data;
}

/* Loads path and requires a failure with one of the given codes (-1 ends
 * the list); returns the message, to be freed. */
static char *
expect_load_error (const char *path, int code1, int code2)
{
  GError *error = NULL;
  NtCheckpoint *ck = nt_checkpoint_load (path, &error);
  char *msg;
  ck_assert_msg (ck == NULL, "loading %s should have failed", path);
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (error->domain == NT_CHECKPOINT_ERROR,
                 "wrong domain: %s", error->message);
  ck_assert_msg (error->code == code1 || error->code == code2,
                 "wrong code %d: %s", error->code, error->message);
  /* every load error names the file */
  ck_assert_msg (strstr (error->message, path) != NULL,
                 "message does not name the file: %s", error->message);
  msg = g_strdup (error->message);
  g_error_free (error);
  return msg;
}

static void
put_u32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  g_byte_array_append (b, x, 4);
}

static void
put_i64 (GByteArray *b, gint64 v)
{
  guint64 u = (guint64) v;
  guint8 x[8];
  for (int i = 0; i < 8; i++)
    x[i] = (u >> (8 * i)) & 0xff;
  g_byte_array_append (b, x, 8);
}

static void
put_str (GByteArray *b, const char *s, gsize len)
{
  put_u32 (b, (guint32) len);
  g_byte_array_append (b, (const guint8 *) s, (guint) len);
}

static void
put_float_bits (GByteArray *b, guint32 bits)
{
  put_u32 (b, bits);
}

/* Appends the SHA-256 of the content so far. */
static void
put_digest (GByteArray *b)
{
  guint8 digest[32];
  gsize len = sizeof digest;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, b->data, b->len);
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  ck_assert_uint_eq (len, 32);
  g_byte_array_append (b, digest, 32);
}

/* Replaces the trailing SHA-256 of a file image by the right one. */
static void
fix_digest (GByteArray *b)
{
  ck_assert_uint_ge (b->len, 32);
  g_byte_array_set_size (b, b->len - 32);
  put_digest (b);
}

static GByteArray *
header (guint32 version)
{
  GByteArray *b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) "NTCKPT\r\n", 8);
  put_u32 (b, version);
  return b;
}

/* A small checkpoint used by the damage tests: two metadata entries and
 * three tensors, a few hundred bytes. */
static NtCheckpoint *
small_checkpoint (void)
{
  NtCheckpoint *ck = nt_checkpoint_new ();
  GError *error = NULL;
  const gint64 d1[2] = { 2, 3 }, d2[1] = { 4 };
  const float a[6] = { 1, -2, 3.5f, 0, -0.0f, 1e-3f };
  const float b[4] = { INFINITY, -INFINITY, 1e30f, -1e-30f };
  const float s = 42.0f;

  nt_checkpoint_set_meta (ck, "model", "cnn");
  nt_checkpoint_set_meta (ck, "epoch", "7");
  ck_assert (nt_checkpoint_add_tensor (ck, "w", 2, d1, a, &error));
  ck_assert (nt_checkpoint_add_tensor (ck, "b", 1, d2, b, &error));
  ck_assert (nt_checkpoint_add_tensor (ck, "s", 0, NULL, &s, &error));
  ck_assert_ptr_null (error);
  return ck;
}

static void
save_ok (const NtCheckpoint *ck, const char *path)
{
  GError *error = NULL;
  ck_assert_msg (nt_checkpoint_save (ck, path, &error), "save %s: %s", path,
                 error ? error->message : "?");
}

static NtCheckpoint *
load_ok (const char *path)
{
  GError *error = NULL;
  NtCheckpoint *ck = nt_checkpoint_load (path, &error);
  ck_assert_msg (ck != NULL, "load %s: %s", path,
                 error ? error->message : "?");
  return ck;
}

/* ---- format ------------------------------------------------------------ */

/* The file written for a tiny checkpoint equals a byte image built by hand
 * from the documented layout. */
START_TEST (test_known_bytes)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "k.ckpt", NULL);
  NtCheckpoint *ck = nt_checkpoint_new ();
  GError *error = NULL;
  const gint64 dims[2] = { 2, 1 };
  const float data[2] = { 1.0f, -2.0f };
  GByteArray *want = header (1);
  guint8 *got;
  gsize len;

  nt_checkpoint_set_meta (ck, "k", "v");
  nt_checkpoint_set_meta (ck, "empty", "");
  ck_assert (nt_checkpoint_add_tensor (ck, "w", 2, dims, data, &error));
  save_ok (ck, path);

  put_u32 (want, 2);
  put_str (want, "k", 1);
  put_str (want, "v", 1);
  put_str (want, "empty", 5);
  put_str (want, "", 0);
  put_u32 (want, 1);
  put_str (want, "w", 1);
  put_u32 (want, 2);
  put_i64 (want, 2);
  put_i64 (want, 1);
  put_float_bits (want, 0x3f800000u); /* 1.0f */
  put_float_bits (want, 0xc0000000u); /* -2.0f */
  put_digest (want);

  got = read_file (path, &len);
  ck_assert_uint_eq (len, want->len);
  ck_assert (memcmp (got, want->data, len) == 0);

  g_free (got);
  g_byte_array_free (want, TRUE);
  nt_checkpoint_free (ck);
  g_free (path);
  remove_tmp_dir (dir);
}
END_TEST

/* Random tensors with every kind of float bit pattern (NaN payloads, both
 * infinities, denormals, -0), odd shapes and UTF-8 metadata survive a save
 * and load bit for bit; saving the loaded copy gives identical bytes. */
START_TEST (test_round_trip)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "rt.ckpt", NULL);
  char *path2 = g_build_filename (dir, "rt2.ckpt", NULL);
  GRand *rand = g_rand_new_with_seed (1234);
  NtCheckpoint *ck = nt_checkpoint_new (), *back;
  GError *error = NULL;
  const guint32 specials[] = {
    0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7fbfffffu, /* NaNs */
    0x7f800000u, 0xff800000u,                           /* +-inf */
    0x00000001u, 0x807fffffu, 0x00400000u,              /* denormals */
    0x80000000u, 0x00000000u, 0x7f7fffffu, 0x00800000u, /* -0, 0, max, min */
  };
  struct { const char *name; int ndims; gint64 dims[8]; } shapes[] = {
    { "conv1.weight", 4, { 32, 1, 5, 5 } },
    { "conv1.bias", 1, { 32 } },
    { "scalar", 0, { 0 } },
    { "empty", 2, { 0, 7 } },
    { "eight", 8, { 1, 2, 1, 3, 1, 2, 1, 2 } },
    { "dense.weight", 2, { 100, 37 } },
    { "ünïcödé ✓ 名前", 1, { 3 } },
  };
  gsize len1, len2;
  guint8 *bytes1, *bytes2;
  float **datas = g_new0 (float *, G_N_ELEMENTS (shapes));

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      gsize count = 1;
      for (int d = 0; d < shapes[s].ndims; d++)
        count *= (gsize) shapes[s].dims[d];
      datas[s] = g_new (float, count + 1);
      for (gsize i = 0; i < count; i++)
        {
          guint32 bits = g_rand_int (rand);
          if (i < G_N_ELEMENTS (specials))
            bits = specials[i];
          memcpy (&datas[s][i], &bits, 4);
        }
      ck_assert_msg (nt_checkpoint_add_tensor (ck, shapes[s].name,
                                               shapes[s].ndims,
                                               shapes[s].dims, datas[s],
                                               &error),
                     "%s", error ? error->message : "?");
    }
  nt_checkpoint_set_meta (ck, "model", "cnn");
  nt_checkpoint_set_meta (ck, "options", "dropout=0.25,filters=32");
  nt_checkpoint_set_meta (ck, "empty", "");
  nt_checkpoint_set_meta (ck, "utf8 ключ", "Größe ✓ 模型 🙂");
  nt_checkpoint_set_meta (ck, "epoch", "3");
  nt_checkpoint_set_meta (ck, "epoch", "12"); /* replaces, keeps position */
  ck_assert_uint_eq (nt_checkpoint_n_meta (ck), 5);
  ck_assert_str_eq (nt_checkpoint_get_meta (ck, "epoch"), "12");
  ck_assert_ptr_null (nt_checkpoint_get_meta (ck, "absent"));

  save_ok (ck, path);
  back = load_ok (path);

  ck_assert_uint_eq (nt_checkpoint_n_meta (back), 5);
  for (guint i = 0; i < 5; i++)
    {
      const char *k = nt_checkpoint_meta_key (ck, i);
      ck_assert_str_eq (nt_checkpoint_meta_key (back, i), k);
      ck_assert_str_eq (nt_checkpoint_get_meta (back, k),
                        nt_checkpoint_get_meta (ck, k));
    }
  ck_assert_str_eq (nt_checkpoint_meta_key (back, 4), "epoch");
  ck_assert_str_eq (nt_checkpoint_get_meta (back, "epoch"), "12");
  ck_assert_str_eq (nt_checkpoint_get_meta (back, "empty"), "");
  ck_assert_str_eq (nt_checkpoint_get_meta (back, "utf8 ключ"),
                    "Größe ✓ 模型 🙂");

  ck_assert_uint_eq (nt_checkpoint_n_tensors (back), G_N_ELEMENTS (shapes));
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int ndims = -1;
      const gint64 *dims = NULL;
      gsize count = 12345, want = 1;
      const float *data;

      ck_assert_str_eq (nt_checkpoint_tensor_name (back, s), shapes[s].name);
      data = nt_checkpoint_get_tensor (back, shapes[s].name, &ndims, &dims,
                                       &count, &error);
      ck_assert_msg (error == NULL, "%s", error ? error->message : "");
      ck_assert_int_eq (ndims, shapes[s].ndims);
      for (int d = 0; d < ndims; d++)
        {
          ck_assert_int_eq (dims[d], shapes[s].dims[d]);
          want *= (gsize) shapes[s].dims[d];
        }
      ck_assert_uint_eq (count, want);
      if (count > 0)
        ck_assert (memcmp (data, datas[s], count * 4) == 0);
    }

  /* deterministic: the loaded copy saves to the same bytes */
  save_ok (back, path2);
  bytes1 = read_file (path, &len1);
  bytes2 = read_file (path2, &len2);
  ck_assert_uint_eq (len1, len2);
  ck_assert (memcmp (bytes1, bytes2, len1) == 0);

  g_free (bytes1);
  g_free (bytes2);
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    g_free (datas[s]);
  g_free (datas);
  nt_checkpoint_free (back);
  nt_checkpoint_free (ck);
  g_rand_free (rand);
  g_free (path);
  g_free (path2);
  remove_tmp_dir (dir);
}
END_TEST

/* The data is copied in: changing the caller's array later changes
 * nothing. */
START_TEST (test_data_copied)
{
  NtCheckpoint *ck = nt_checkpoint_new ();
  GError *error = NULL;
  float v[3] = { 1, 2, 3 };
  const gint64 dims[1] = { 3 };
  const float *got;

  ck_assert (nt_checkpoint_add_tensor (ck, "v", 1, dims, v, &error));
  v[1] = 99;
  got = nt_checkpoint_get_tensor (ck, "v", NULL, NULL, NULL, &error);
  ck_assert_ptr_nonnull (got);
  ck_assert_float_eq (got[1], 2.0f);
  nt_checkpoint_free (ck);
}
END_TEST

START_TEST (test_add_tensor_errors)
{
  NtCheckpoint *ck = nt_checkpoint_new ();
  GError *error = NULL;
  const float v[2] = { 1, 2 };
  const gint64 two[1] = { 2 }, neg[2] = { 2, -1 };
  const gint64 nine[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  const gint64 huge[3] = { G_GINT64_CONSTANT (1) << 40,
                           G_GINT64_CONSTANT (1) << 40, 4 };

  ck_assert (nt_checkpoint_add_tensor (ck, "x", 1, two, v, &error));

  ck_assert (!nt_checkpoint_add_tensor (ck, "x", 1, two, v, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "'x'"));
  g_clear_error (&error);

  ck_assert (!nt_checkpoint_add_tensor (ck, "n", 2, neg, v, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_INVALID));
  g_clear_error (&error);

  ck_assert (!nt_checkpoint_add_tensor (ck, "nine", 9, nine, v, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_INVALID));
  g_clear_error (&error);

  /* too large to save: refused before any allocation */
  ck_assert (!nt_checkpoint_add_tensor (ck, "huge", 3, huge, v, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_INVALID));
  g_clear_error (&error);

  ck_assert (!nt_checkpoint_add_tensor (ck, "", 1, two, v, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_INVALID));
  g_clear_error (&error);

  ck_assert_uint_eq (nt_checkpoint_n_tensors (ck), 1);
  nt_checkpoint_free (ck);
}
END_TEST

/* A missing tensor is an error naming it, the file and what is there. */
START_TEST (test_missing_tensor)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "m.ckpt", NULL);
  NtCheckpoint *ck = small_checkpoint (), *back;
  GError *error = NULL;
  int ndims = 77;

  ck_assert_ptr_null (nt_checkpoint_get_tensor (ck, "nope", &ndims, NULL,
                                                NULL, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_MISSING));
  ck_assert_int_eq (ndims, 77); /* outputs untouched on failure */
  g_clear_error (&error);

  save_ok (ck, path);
  back = load_ok (path);
  ck_assert_ptr_null (nt_checkpoint_get_tensor (back, "conv9.weight", NULL,
                                                NULL, NULL, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_MISSING));
  ck_assert_ptr_nonnull (strstr (error->message, "conv9.weight"));
  ck_assert_ptr_nonnull (strstr (error->message, path));
  ck_assert_ptr_nonnull (strstr (error->message, "'w'"));
  g_clear_error (&error);

  nt_checkpoint_free (back);
  nt_checkpoint_free (ck);
  g_free (path);
  remove_tmp_dir (dir);
}
END_TEST

/* ---- damaged and foreign files ----------------------------------------- */

/* Every single byte of a small checkpoint, changed in three ways, makes the
 * load fail with CORRUPT (or FORMAT inside the magic) — never a crash, never
 * a silently different checkpoint. */
START_TEST (test_byte_flips)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "good.ckpt", NULL);
  char *bad = g_build_filename (dir, "bad.ckpt", NULL);
  NtCheckpoint *ck = small_checkpoint ();
  const guint8 masks[] = { 0x01, 0x80, 0xff };
  guint8 *good;
  gsize len;
  guint n_format = 0, n_corrupt = 0;

  save_ok (ck, path);
  good = read_file (path, &len);
  ck_assert_uint_gt (len, 100);
  ck_assert_uint_lt (len, 1000);

  for (gsize pos = 0; pos < len; pos++)
    for (guint m = 0; m < G_N_ELEMENTS (masks); m++)
      {
        GError *error = NULL;
        NtCheckpoint *back;
        good[pos] ^= masks[m];
        write_file (bad, good, len);
        good[pos] ^= masks[m];
        back = nt_checkpoint_load (bad, &error);
        ck_assert_msg (back == NULL, "flip at byte %zu (mask 0x%02x) not "
                       "detected", pos, masks[m]);
        ck_assert_msg (error != NULL && error->domain == NT_CHECKPOINT_ERROR
                       && (error->code == NT_CHECKPOINT_ERROR_CORRUPT
                           || error->code == NT_CHECKPOINT_ERROR_FORMAT),
                       "flip at byte %zu: unexpected error %s", pos,
                       error ? error->message : "(none)");
        if (error->code == NT_CHECKPOINT_ERROR_FORMAT)
          {
            ck_assert_msg (pos < 8, "FORMAT for a flip past the magic (%zu)",
                           pos);
            n_format++;
          }
        else
          n_corrupt++;
        g_error_free (error);
      }
  ck_assert_uint_eq (n_format, 8 * G_N_ELEMENTS (masks));
  ck_assert_uint_eq (n_corrupt, (len - 8) * G_N_ELEMENTS (masks));

  g_free (good);
  nt_checkpoint_free (ck);
  g_free (path);
  g_free (bad);
  remove_tmp_dir (dir);
}
END_TEST

/* A checkpoint cut at any length fails cleanly: FORMAT when empty, else
 * CORRUPT. */
START_TEST (test_truncation)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "good.ckpt", NULL);
  char *bad = g_build_filename (dir, "cut.ckpt", NULL);
  NtCheckpoint *ck = small_checkpoint ();
  guint8 *good;
  gsize len;

  save_ok (ck, path);
  good = read_file (path, &len);
  for (gsize cut = 0; cut < len; cut++)
    {
      char *msg;
      write_file (bad, good, cut);
      msg = expect_load_error (bad, cut == 0 ? NT_CHECKPOINT_ERROR_FORMAT
                                             : NT_CHECKPOINT_ERROR_CORRUPT,
                               -1);
      g_free (msg);
    }
  /* and one byte too many */
  {
    guint8 *more = g_malloc (len + 1);
    char *msg;
    memcpy (more, good, len);
    more[len] = '\n';
    write_file (bad, more, len + 1);
    msg = expect_load_error (bad, NT_CHECKPOINT_ERROR_CORRUPT, -1);
    g_free (msg);
    g_free (more);
  }

  g_free (good);
  nt_checkpoint_free (ck);
  g_free (path);
  g_free (bad);
  remove_tmp_dir (dir);
}
END_TEST

START_TEST (test_foreign_files)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "foreign", NULL);
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0,
                                0, 0, 1, 0, 8, 6, 0, 0, 0, 0x5c, 0x72, 0xa8,
                                0x66, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae,
                                'B', 0x60, 0x82 };
  static const guint8 elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
  const char *text = "epoch,loss,accuracy\n1,0.5,0.9\n2,0.3,0.95\n"
                     "this is a CSV history file, not a checkpoint\n";
  struct { const guint8 *data; gsize len; } cases[] = {
    { png, sizeof png },
    { elf, sizeof elf },
    { (const guint8 *) text, strlen (text) },
    { (const guint8 *) "", 0 },
    { (const guint8 *) "x", 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *msg;
      write_file (path, cases[i].data, cases[i].len);
      msg = expect_load_error (path, NT_CHECKPOINT_ERROR_FORMAT, -1);
      ck_assert_ptr_nonnull (strstr (msg, "checkpoint"));
      g_free (msg);
    }
  g_free (path);
  remove_tmp_dir (dir);
}
END_TEST

/* A checkpoint whose CRLF became LF (or LF became CRLF) in a text-mode
 * transfer is refused with a hint about it. */
START_TEST (test_text_mode_mangling)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "good.ckpt", NULL);
  char *bad = g_build_filename (dir, "mangled.ckpt", NULL);
  NtCheckpoint *ck = small_checkpoint ();
  guint8 *good;
  gsize len;
  GByteArray *b;
  char *msg;

  save_ok (ck, path);
  good = read_file (path, &len);

  /* dos2unix: drop the \r of the magic */
  b = g_byte_array_new ();
  g_byte_array_append (b, good, 6);
  g_byte_array_append (b, good + 7, (guint) (len - 7));
  write_file (bad, b->data, b->len);
  msg = expect_load_error (bad, NT_CHECKPOINT_ERROR_FORMAT, -1);
  ck_assert_ptr_nonnull (strstr (msg, "binary mode"));
  g_free (msg);
  g_byte_array_free (b, TRUE);

  /* unix2dos: \n -> \r\n gives \r\r\n */
  b = g_byte_array_new ();
  g_byte_array_append (b, good, 7);
  g_byte_array_append (b, (const guint8 *) "\r", 1);
  g_byte_array_append (b, good + 7, (guint) (len - 7));
  write_file (bad, b->data, b->len);
  msg = expect_load_error (bad, NT_CHECKPOINT_ERROR_FORMAT, -1);
  ck_assert_ptr_nonnull (strstr (msg, "binary mode"));
  g_free (msg);
  g_byte_array_free (b, TRUE);

  g_free (good);
  nt_checkpoint_free (ck);
  g_free (path);
  g_free (bad);
  remove_tmp_dir (dir);
}
END_TEST

/* A well-formed file of a newer version is refused with VERSION naming both
 * versions; version 0 does not exist. */
START_TEST (test_newer_version)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "v.ckpt", NULL);
  GByteArray *b;
  char *msg;

  /* a future version may lay out its body differently */
  b = header (2);
  g_byte_array_append (b, (const guint8 *) "future body", 11);
  put_digest (b);
  write_file (path, b->data, b->len);
  msg = expect_load_error (path, NT_CHECKPOINT_ERROR_VERSION, -1);
  ck_assert_msg (strstr (msg, "version 2") != NULL
                 && strstr (msg, "up to 1") != NULL, "%s", msg);
  g_free (msg);
  g_byte_array_free (b, TRUE);

  b = header (0xfffffffeu);
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_digest (b);
  write_file (path, b->data, b->len);
  msg = expect_load_error (path, NT_CHECKPOINT_ERROR_VERSION, -1);
  ck_assert_ptr_nonnull (strstr (msg, "4294967294"));
  g_free (msg);
  g_byte_array_free (b, TRUE);

  b = header (0);
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_digest (b);
  write_file (path, b->data, b->len);
  msg = expect_load_error (path, NT_CHECKPOINT_ERROR_CORRUPT, -1);
  g_free (msg);
  g_byte_array_free (b, TRUE);

  /* the smallest valid version-1 file: no metadata, no tensors */
  b = header (1);
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_digest (b);
  write_file (path, b->data, b->len);
  {
    NtCheckpoint *ck = load_ok (path);
    ck_assert_uint_eq (nt_checkpoint_n_meta (ck), 0);
    ck_assert_uint_eq (nt_checkpoint_n_tensors (ck), 0);
    nt_checkpoint_free (ck);
  }
  g_byte_array_free (b, TRUE);

  g_free (path);
  remove_tmp_dir (dir);
}
END_TEST

/* Files with a correct checksum but inconsistent content (as a buggy or
 * hostile writer would make): every length is bounds-checked, so each fails
 * with CORRUPT without a huge allocation or an out-of-bounds read. */
START_TEST (test_inconsistent_lengths)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "x.ckpt", NULL);
  const int n_cases = 14;

  for (int c = 0; c < n_cases; c++)
    {
      GByteArray *b = header (1);
      char *msg;
      switch (c)
        {
        case 0: /* metadata count far beyond the content */
          put_u32 (b, 0xffffffffu);
          break;
        case 1: /* key length far beyond the content */
          put_u32 (b, 1);
          put_u32 (b, 0xffffffffu);
          g_byte_array_append (b, (const guint8 *) "abc", 3);
          break;
        case 2: /* empty key */
          put_u32 (b, 1);
          put_str (b, "", 0);
          put_str (b, "v", 1);
          put_u32 (b, 0);
          break;
        case 3: /* key with a NUL byte */
          put_u32 (b, 1);
          put_str (b, "a\0b", 3);
          put_str (b, "v", 1);
          put_u32 (b, 0);
          break;
        case 4: /* value not UTF-8 */
          put_u32 (b, 1);
          put_str (b, "k", 1);
          put_str (b, "\xff\xfe", 2);
          put_u32 (b, 0);
          break;
        case 5: /* duplicate key */
          put_u32 (b, 2);
          put_str (b, "k", 1);
          put_str (b, "1", 1);
          put_str (b, "k", 1);
          put_str (b, "2", 1);
          put_u32 (b, 0);
          break;
        case 6: /* tensor count without tensors */
          put_u32 (b, 0);
          put_u32 (b, 1000000);
          break;
        case 7: /* nine dimensions */
          put_u32 (b, 0);
          put_u32 (b, 1);
          put_str (b, "t", 1);
          put_u32 (b, 9);
          for (int i = 0; i < 9; i++)
            put_i64 (b, 1);
          put_float_bits (b, 0);
          break;
        case 8: /* dims whose product overflows 64 bits */
          put_u32 (b, 0);
          put_u32 (b, 1);
          put_str (b, "t", 1);
          put_u32 (b, 3);
          put_i64 (b, G_GINT64_CONSTANT (1) << 40);
          put_i64 (b, G_GINT64_CONSTANT (1) << 40);
          put_i64 (b, G_GINT64_CONSTANT (1) << 40);
          break;
        case 9: /* large but representable shape, data absent */
          put_u32 (b, 0);
          put_u32 (b, 1);
          put_str (b, "t", 1);
          put_u32 (b, 2);
          put_i64 (b, 1 << 15);
          put_i64 (b, 1 << 14);
          put_float_bits (b, 0);
          break;
        case 10: /* negative dimension */
          put_u32 (b, 0);
          put_u32 (b, 1);
          put_str (b, "t", 1);
          put_u32 (b, 2);
          put_i64 (b, -1);
          put_i64 (b, -4);
          for (int i = 0; i < 4; i++)
            put_float_bits (b, 0);
          break;
        case 11: /* duplicate tensor name */
          put_u32 (b, 0);
          put_u32 (b, 2);
          for (int t = 0; t < 2; t++)
            {
              put_str (b, "t", 1);
              put_u32 (b, 1);
              put_i64 (b, 1);
              put_float_bits (b, 0x3f800000u);
            }
          break;
        case 12: /* trailing garbage after the last tensor */
          put_u32 (b, 0);
          put_u32 (b, 0);
          g_byte_array_append (b, (const guint8 *) "junk", 4);
          break;
        case 13: /* data one float short */
          put_u32 (b, 0);
          put_u32 (b, 1);
          put_str (b, "t", 1);
          put_u32 (b, 1);
          put_i64 (b, 3);
          put_float_bits (b, 0);
          put_float_bits (b, 0);
          break;
        default:
          ck_abort ();
        }
      put_digest (b);
      write_file (path, b->data, b->len);
      msg = expect_load_error (path, NT_CHECKPOINT_ERROR_CORRUPT, -1);
      g_free (msg);
      g_byte_array_free (b, TRUE);
    }
  g_free (path);
  remove_tmp_dir (dir);
}
END_TEST

/* fix_digest keeps the damage tests honest: a change the checksum would
 * catch, made with a recomputed checksum, is accepted and visible. */
START_TEST (test_checksum_is_what_detects)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "c.ckpt", NULL);
  NtCheckpoint *ck = small_checkpoint (), *back;
  GByteArray *b = g_byte_array_new ();
  guint8 *good;
  gsize len;
  const float *w;
  GError *error = NULL;

  save_ok (ck, path);
  good = read_file (path, &len);
  g_byte_array_append (b, good, (guint) len);
  /* last float of the last tensor "s" (42.0f) lies just before the digest;
   * set its top byte so it becomes -42.0f */
  b->data[len - 32 - 1] ^= 0x80;
  fix_digest (b);
  write_file (path, b->data, b->len);
  back = load_ok (path);
  w = nt_checkpoint_get_tensor (back, "s", NULL, NULL, NULL, &error);
  ck_assert_ptr_nonnull (w);
  ck_assert_float_eq (w[0], -42.0f);

  nt_checkpoint_free (back);
  g_byte_array_free (b, TRUE);
  g_free (good);
  nt_checkpoint_free (ck);
  g_free (path);
  remove_tmp_dir (dir);
}
END_TEST

START_TEST (test_load_not_a_file)
{
  char *dir = make_tmp_dir ();
  char *none = g_build_filename (dir, "does-not-exist.ckpt", NULL);
  char *msg;

  msg = expect_load_error (none, NT_CHECKPOINT_ERROR_IO, -1);
  g_free (msg);
  msg = expect_load_error (dir, NT_CHECKPOINT_ERROR_IO, -1);
  g_free (msg);

  g_free (none);
  remove_tmp_dir (dir);
}
END_TEST

/* ---- atomic save ------------------------------------------------------- */

START_TEST (test_save_bad_directory)
{
  char *dir = make_tmp_dir ();
  char *missing = g_build_filename (dir, "no-such-dir", "a.ckpt", NULL);
  char *file = g_build_filename (dir, "plain-file", NULL);
  char *under_file = g_build_filename (file, "a.ckpt", NULL);
  NtCheckpoint *ck = small_checkpoint ();
  GError *error = NULL;

  ck_assert (!nt_checkpoint_save (ck, missing, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_IO));
  ck_assert_ptr_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  ck_assert_uint_eq (count_entries (dir, NULL), 0);

  /* a parent that is a plain file (ENOTDIR), refused even for root */
  write_file (file, (const guint8 *) "x", 1);
  ck_assert (!nt_checkpoint_save (ck, under_file, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_IO));
  g_clear_error (&error);
  ck_assert_uint_eq (count_entries (dir, "plain-file"), 1);

  /* a read-only directory; root bypasses permissions, so only then */
  if (geteuid () != 0)
    {
      char *ro = g_build_filename (dir, "ro", NULL);
      char *in_ro = g_build_filename (ro, "a.ckpt", NULL);
      ck_assert_int_eq (g_mkdir (ro, 0500), 0);
      ck_assert (!nt_checkpoint_save (ck, in_ro, &error));
      ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                                  NT_CHECKPOINT_ERROR_IO));
      g_clear_error (&error);
      ck_assert_uint_eq (count_entries (ro, NULL), 0);
      g_chmod (ro, 0700);
      g_rmdir (ro);
      g_free (ro);
      g_free (in_ro);
    }

  nt_checkpoint_free (ck);
  g_free (missing);
  g_free (file);
  g_free (under_file);
  remove_tmp_dir (dir);
}
END_TEST

/* Saving onto a directory fails at the rename; the temporary is removed. */
START_TEST (test_save_onto_directory)
{
  char *dir = make_tmp_dir ();
  char *target = g_build_filename (dir, "taken", NULL);
  NtCheckpoint *ck = small_checkpoint ();
  GError *error = NULL;

  ck_assert_int_eq (g_mkdir (target, 0700), 0);
  ck_assert (!nt_checkpoint_save (ck, target, &error));
  ck_assert (g_error_matches (error, NT_CHECKPOINT_ERROR,
                              NT_CHECKPOINT_ERROR_IO));
  ck_assert_ptr_nonnull (strstr (error->message, "rename"));
  g_clear_error (&error);
  ck_assert_uint_eq (count_entries (dir, "taken"), 1);

  g_rmdir (target);
  nt_checkpoint_free (ck);
  g_free (target);
  remove_tmp_dir (dir);
}
END_TEST

START_TEST (test_overwrite)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "best.ckpt", NULL);
  NtCheckpoint *a = small_checkpoint (), *b = nt_checkpoint_new (), *back;
  GError *error = NULL;
  const gint64 dims[1] = { 2 };
  const float v[2] = { 5, 6 };

  nt_checkpoint_set_meta (b, "epoch", "9");
  ck_assert (nt_checkpoint_add_tensor (b, "other", 1, dims, v, &error));

  save_ok (a, path);
  save_ok (b, path);
  ck_assert_uint_eq (count_entries (dir, "best.ckpt"), 1);
  back = load_ok (path);
  ck_assert_str_eq (nt_checkpoint_get_meta (back, "epoch"), "9");
  ck_assert_uint_eq (nt_checkpoint_n_tensors (back), 1);
  ck_assert_str_eq (nt_checkpoint_tensor_name (back, 0), "other");
  nt_checkpoint_free (back);

  /* and back again */
  save_ok (a, path);
  back = load_ok (path);
  ck_assert_str_eq (nt_checkpoint_get_meta (back, "epoch"), "7");
  ck_assert_uint_eq (nt_checkpoint_n_tensors (back), 3);
  ck_assert_uint_eq (count_entries (dir, "best.ckpt"), 1);

  nt_checkpoint_free (back);
  nt_checkpoint_free (a);
  nt_checkpoint_free (b);
  g_free (path);
  remove_tmp_dir (dir);
}
END_TEST

/* A write that fails midway (file size limit, as a full disk would) leaves
 * the previous checkpoint byte for byte and no temporary file. The limit is
 * set in the forked test process only. */
START_TEST (test_save_fails_midway)
{
  char *dir = make_tmp_dir ();
  char *path = g_build_filename (dir, "best.ckpt", NULL);
  NtCheckpoint *small = small_checkpoint (), *big = nt_checkpoint_new ();
  GError *error = NULL;
  const gint64 dims[2] = { 256, 1024 };
  float *data = g_new0 (float, 256 * 1024);
  guint8 *before, *after;
  gsize len_before, len_after;
  struct rlimit old, lim;

  ck_assert (nt_checkpoint_add_tensor (big, "w", 2, dims, data, &error));
  save_ok (small, path);
  before = read_file (path, &len_before);

  ck_assert_int_eq (getrlimit (RLIMIT_FSIZE, &old), 0);
  lim = old;
  lim.rlim_cur = 100000; /* bytes; the big checkpoint is about 1 MiB */
  signal (SIGXFSZ, SIG_IGN); /* get EFBIG instead of being killed */
  ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &lim), 0);
  ck_assert (!nt_checkpoint_save (big, path, &error));
  ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &old), 0);
  signal (SIGXFSZ, SIG_DFL);

  ck_assert_msg (g_error_matches (error, NT_CHECKPOINT_ERROR,
                                  NT_CHECKPOINT_ERROR_IO),
                 "%s", error ? error->message : "(no error)");
  ck_assert_ptr_nonnull (strstr (error->message, "unchanged"));
  g_clear_error (&error);
  ck_assert_uint_eq (count_entries (dir, "best.ckpt"), 1);
  after = read_file (path, &len_after);
  ck_assert_uint_eq (len_before, len_after);
  ck_assert (memcmp (before, after, len_before) == 0);

  g_free (before);
  g_free (after);
  g_free (data);
  nt_checkpoint_free (small);
  nt_checkpoint_free (big);
  g_free (path);
  remove_tmp_dir (dir);
}
END_TEST

/* A relative path without a directory part saves next to the current
 * directory (the temporary file goes into "."). */
START_TEST (test_save_relative_path)
{
  char *dir = make_tmp_dir ();
  char *cwd = g_get_current_dir ();
  NtCheckpoint *ck = small_checkpoint (), *back;

  ck_assert_int_eq (chdir (dir), 0);
  save_ok (ck, "rel.ckpt");
  back = load_ok ("rel.ckpt");
  ck_assert_uint_eq (nt_checkpoint_n_tensors (back), 3);
  ck_assert_uint_eq (count_entries (dir, "rel.ckpt"), 1);
  ck_assert_int_eq (chdir (cwd), 0);

  nt_checkpoint_free (back);
  nt_checkpoint_free (ck);
  g_free (cwd);
  remove_tmp_dir (dir);
}
END_TEST

static Suite *
checkpoint_suite (void)
{
  Suite *s = suite_create ("checkpoint");
  TCase *tc;

  tc = tcase_create ("format");
  tcase_add_test (tc, test_known_bytes);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_data_copied);
  tcase_add_test (tc, test_add_tensor_errors);
  tcase_add_test (tc, test_missing_tensor);
  suite_add_tcase (s, tc);

  tc = tcase_create ("damage");
  tcase_add_test (tc, test_byte_flips);
  tcase_add_test (tc, test_truncation);
  tcase_add_test (tc, test_foreign_files);
  tcase_add_test (tc, test_text_mode_mangling);
  tcase_add_test (tc, test_newer_version);
  tcase_add_test (tc, test_inconsistent_lengths);
  tcase_add_test (tc, test_checksum_is_what_detects);
  tcase_add_test (tc, test_load_not_a_file);
  suite_add_tcase (s, tc);

  tc = tcase_create ("save");
  tcase_add_test (tc, test_save_bad_directory);
  tcase_add_test (tc, test_save_onto_directory);
  tcase_add_test (tc, test_overwrite);
  tcase_add_test (tc, test_save_fails_midway);
  tcase_add_test (tc, test_save_relative_path);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (checkpoint_suite ());
  int failed;
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
