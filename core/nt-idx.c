/* nt-idx.c: IDX reader/writer (see nt-idx.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-idx.h"
#include "nt-dataset.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <zlib.h>

#define IDX_TYPE_UBYTE 0x08
/* Bytes per gzread call, and the first buffer size when the payload size
 * is not known to be backed by real data (compressed files). */
#define IDX_CHUNK ((gsize) 1 << 20)

/* "60000 x 28 x 28"; a 0 in `dims` is written as "N" when `any_is_n`. */
static char *
format_dims (guint n_dims, const guint32 *dims, gboolean any_is_n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n_dims; i++)
    {
      if (i > 0)
        g_string_append (s, " x ");
      if (any_is_n && dims[i] == 0)
        g_string_append (s, "N");
      else
        g_string_append_printf (s, "%u", dims[i]);
    }
  if (n_dims == 0)
    g_string_append (s, "(none)");
  return g_string_free (s, FALSE);
}

/* The file to read for `path`: itself if it exists, else path.gz. */
static char *
resolve_path (const char *path, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return g_strdup (path);
  if (!g_str_has_suffix (path, ".gz"))
    {
      char *gz = g_strconcat (path, ".gz", NULL);
      if (g_file_test (gz, G_FILE_TEST_EXISTS))
        return gz;
      g_free (gz);
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND,
                   "IDX file “%s” not found (nor “%s.gz”)", path, path);
      return NULL;
    }
  g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND,
               "IDX file “%s” not found", path);
  return NULL;
}

/* Reads up to `len` bytes; *got_out < len means end of data (for a gzip
 * file cut short too: zlib reports that like an end of file). FALSE only
 * on a read or decompression error. */
static gboolean
read_some (gzFile gz, const char *path, guint8 *buf, gsize len,
           gsize *got_out, GError **error)
{
  gsize got = 0;
  while (got < len)
    {
      unsigned want = (unsigned) MIN (len - got, IDX_CHUNK);
      int n = gzread (gz, buf + got, want);
      if (n < 0)
        {
          int errnum = Z_OK;
          const char *msg = gzerror (gz, &errnum);
          if (errnum == Z_ERRNO)
            msg = g_strerror (errno);
          /* zlib prefixes its message with the path we already name. */
          else if (msg != NULL && g_str_has_prefix (msg, path)
                   && g_str_has_prefix (msg + strlen (path), ": "))
            msg += strlen (path) + 2;
          g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                       "Cannot read “%s”: %s (the file is damaged; delete "
                       "it and fetch it again)", path, msg);
          return FALSE;
        }
      if (n == 0)
        break;
      got += (gsize) n;
    }
  *got_out = got;
  return TRUE;
}

/* "1 x 28 x 28 = 784 bytes", or "3 bytes" for one dimension. */
static char *
format_payload (const NtIdx *idx, guint64 total)
{
  if (idx->n_dims == 1)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", total);
  g_autofree char *dims = format_dims (idx->n_dims, idx->dims, FALSE);
  return g_strdup_printf ("%s = %" G_GUINT64_FORMAT " bytes", dims, total);
}

static void
set_truncated (GError **error, const NtIdx *idx, guint64 want, guint64 have)
{
  g_autofree char *size = format_payload (idx, want);
  g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
               "IDX file “%s” is truncated: its header announces %s of data "
               "but only %" G_GUINT64_FORMAT " are there (delete it and "
               "fetch it again)", idx->path, size, have);
}

static void
set_trailing (GError **error, const NtIdx *idx, guint64 want)
{
  g_autofree char *size = format_payload (idx, want);
  g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
               "IDX file “%s” has trailing garbage: more data follows the %s "
               "its header announces (the file is damaged or not what it "
               "claims to be)", idx->path, size);
}

/* The body of nt_idx_read once the file is open. `file_size` is the size
 * on disk, used to check raw files before any allocation. */
static gboolean
read_open (gzFile gz, NtIdx *idx, guint64 file_size, guint n_dims,
           const guint32 *expect_dims, GError **error)
{
  const char *path = idx->path;
  guint8 head[4 + 4 * NT_IDX_MAX_DIMS];
  gsize got = 0;

  if (!read_some (gz, path, head, 4, &got, error))
    return FALSE;
  if (got < 4)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                   "IDX file “%s” is truncated: %" G_GSIZE_FORMAT " bytes, "
                   "too short for an IDX header", path, got);
      return FALSE;
    }
  if (head[0] != 0 || head[1] != 0)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                   "“%s” is not an IDX file: wrong magic number "
                   "0x%02x%02x%02x%02x (an IDX file starts with two zero "
                   "bytes)", path, head[0], head[1], head[2], head[3]);
      return FALSE;
    }
  if (head[2] != IDX_TYPE_UBYTE)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                   "IDX file “%s” has data type 0x%02x; only unsigned bytes "
                   "(0x08) are supported", path, head[2]);
      return FALSE;
    }
  if (head[3] != n_dims)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                   "IDX file “%s” has %u dimensions; expected %u (%s)",
                   path, head[3], n_dims,
                   n_dims == 3 ? "count x rows x columns images"
                   : n_dims == 1 ? "a list of labels" : "by the caller");
      return FALSE;
    }

  if (!read_some (gz, path, head + 4, 4 * n_dims, &got, error))
    return FALSE;
  if (got < 4 * n_dims)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                   "IDX file “%s” is truncated inside its header", path);
      return FALSE;
    }

  /* Sizes, and their product saturated at G_MAXUINT64. */
  guint64 total = 1;
  idx->n_dims = n_dims;
  for (guint i = 0; i < n_dims; i++)
    {
      const guint8 *p = head + 4 + 4 * i;
      guint32 d = ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
                  | ((guint32) p[2] << 8) | p[3];
      idx->dims[i] = d;
      if (d != 0 && total > G_MAXUINT64 / d)
        total = G_MAXUINT64;
      else
        total *= d;
    }
  g_autofree char *dims_text = format_dims (n_dims, idx->dims, FALSE);

  if (expect_dims != NULL)
    for (guint i = 0; i < n_dims; i++)
      if (expect_dims[i] != 0 && expect_dims[i] != idx->dims[i])
        {
          g_autofree char *want = format_dims (n_dims, expect_dims, TRUE);
          g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                       "IDX file “%s” has sizes %s; expected %s", path,
                       dims_text, want);
          return FALSE;
        }

  if (total > NT_IDX_MAX_BYTES)
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                   "IDX file “%s” claims an absurd size: %s bytes, above the "
                   "limit of %" G_GUINT64_FORMAT " (the header is damaged)",
                   path, dims_text, NT_IDX_MAX_BYTES);
      return FALSE;
    }

  guint64 header_bytes = 4 + 4 * (guint64) n_dims;
  gboolean raw = gzdirect (gz) != 0;
  if (raw)
    {
      /* An uncompressed file's size must be exactly header + payload:
       * checked before allocating anything. */
      guint64 on_disk = file_size >= header_bytes ? file_size - header_bytes
                                                  : 0;
      if (on_disk < total)
        {
          set_truncated (error, idx, total, on_disk);
          return FALSE;
        }
      if (on_disk > total)
        {
          set_trailing (error, idx, total);
          return FALSE;
        }
    }

  /* Raw: the size is backed by the file, allocate it at once. Compressed:
   * grow the buffer as data actually arrives, so a lying header costs at
   * most twice the real data. */
  gsize cap = raw ? (gsize) total : (gsize) MIN (total, (guint64) IDX_CHUNK);
  gsize have = 0;
  guint8 *buf = g_malloc (MAX (cap, 1));
  for (;;)
    {
      gsize n = 0;
      if (!read_some (gz, path, buf + have, cap - have, &n, error))
        {
          g_free (buf);
          return FALSE;
        }
      have += n;
      if (have < cap || cap == total)
        break;
      cap = (gsize) MIN ((guint64) cap * 2, total);
      buf = g_realloc (buf, cap);
    }
  if (have < total)
    {
      g_free (buf);
      set_truncated (error, idx, total, have);
      return FALSE;
    }

  guint8 extra;
  gsize n_extra = 0;
  if (!read_some (gz, path, &extra, 1, &n_extra, error))
    {
      g_free (buf);
      return FALSE;
    }
  if (n_extra > 0)
    {
      g_free (buf);
      set_trailing (error, idx, total);
      return FALSE;
    }

  idx->data = buf;
  idx->n_bytes = (gsize) total;
  return TRUE;
}

NtIdx *
nt_idx_read (const char *path, guint n_dims, const guint32 *expect_dims,
             GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (n_dims >= 1 && n_dims <= NT_IDX_MAX_DIMS, NULL);

  char *file = resolve_path (path, error);
  if (file == NULL)
    return NULL;

  GStatBuf st;
  if (g_stat (file, &st) != 0)
    {
      int e = errno;
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND,
                   "Cannot open IDX file “%s”: %s", file, g_strerror (e));
      g_free (file);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                   "IDX file “%s” is not a regular file", file);
      g_free (file);
      return NULL;
    }

  gzFile gz = gzopen (file, "rb");
  if (gz == NULL)
    {
      int e = errno;
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND,
                   "Cannot open IDX file “%s”: %s", file,
                   e != 0 ? g_strerror (e) : "out of memory");
      g_free (file);
      return NULL;
    }

  NtIdx *idx = g_new0 (NtIdx, 1);
  idx->path = file;
  gboolean ok = read_open (gz, idx, (guint64) st.st_size, n_dims,
                           expect_dims, error);
  gzclose_r (gz);
  if (!ok)
    {
      nt_idx_free (idx);
      return NULL;
    }
  return idx;
}

NtIdx *
nt_idx_read_images (const char *path, guint32 rows, guint32 cols,
                    GError **error)
{
  const guint32 expect[3] = { 0, rows, cols };
  return nt_idx_read (path, 3, expect, error);
}

NtIdx *
nt_idx_read_labels (const char *path, guint n_classes, GError **error)
{
  NtIdx *idx = nt_idx_read (path, 1, NULL, error);
  if (idx == NULL)
    return NULL;
  for (gsize i = 0; i < idx->n_bytes; i++)
    if (idx->data[i] >= n_classes)
      {
        g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                     "IDX label file “%s” has label %u at index %"
                     G_GSIZE_FORMAT ", out of range (labels must be below "
                     "%u)", idx->path, idx->data[i], i, n_classes);
        nt_idx_free (idx);
        return NULL;
      }
  return idx;
}

gboolean
nt_idx_check_pair (const NtIdx *images, const NtIdx *labels, GError **error)
{
  g_return_val_if_fail (images != NULL && labels != NULL, FALSE);
  if (images->dims[0] != labels->dims[0])
    {
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                   "Image file “%s” holds %u images but label file “%s” "
                   "holds %u labels; they must match (mixed-up or damaged "
                   "files)", images->path, images->dims[0], labels->path,
                   labels->dims[0]);
      return FALSE;
    }
  return TRUE;
}

void
nt_idx_free (NtIdx *idx)
{
  if (idx == NULL)
    return;
  g_free (idx->path);
  g_free (idx->data);
  g_free (idx);
}

gboolean
nt_idx_write (const char *path, guint n_dims, const guint32 *dims,
              const guint8 *data, gboolean compress, GError **error)
{
  g_return_val_if_fail (path != NULL && dims != NULL, FALSE);
  g_return_val_if_fail (n_dims >= 1 && n_dims <= 255, FALSE);

  guint64 total = 1;
  for (guint i = 0; i < n_dims; i++)
    total *= dims[i];
  g_return_val_if_fail (data != NULL || total == 0, FALSE);

  /* "T": zlib writes the bytes as they are (no gzip wrapper). */
  gzFile gz = gzopen (path, compress ? "wb6" : "wbT");
  if (gz == NULL)
    {
      int e = errno;
      g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_NOT_FOUND,
                   "Cannot create “%s”: %s", path,
                   e != 0 ? g_strerror (e) : "out of memory");
      return FALSE;
    }

  GByteArray *head = g_byte_array_new ();
  guint8 magic[4] = { 0, 0, IDX_TYPE_UBYTE, (guint8) n_dims };
  g_byte_array_append (head, magic, 4);
  for (guint i = 0; i < n_dims; i++)
    {
      guint8 be[4] = { (guint8) (dims[i] >> 24), (guint8) (dims[i] >> 16),
                       (guint8) (dims[i] >> 8), (guint8) dims[i] };
      g_byte_array_append (head, be, 4);
    }
  gboolean ok = gzwrite (gz, head->data, head->len) == (int) head->len;
  g_byte_array_unref (head);

  for (guint64 off = 0; ok && off < total; off += IDX_CHUNK)
    {
      unsigned len = (unsigned) MIN (total - off, (guint64) IDX_CHUNK);
      ok = gzwrite (gz, data + off, len) == (int) len;
    }
  int errnum = Z_OK;
  const char *zmsg = ok ? NULL : gzerror (gz, &errnum);
  char *msg = g_strdup (zmsg != NULL ? zmsg : "");
  if (gzclose_w (gz) != Z_OK && ok)
    {
      ok = FALSE;
      g_free (msg);
      msg = g_strdup ("write failed on close");
    }
  if (!ok)
    g_set_error (error, NT_DATA_ERROR, NT_DATA_ERROR_FORMAT,
                 "Cannot write “%s”: %s", path, msg);
  g_free (msg);
  return ok;
}
