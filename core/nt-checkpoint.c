/* nt-checkpoint.c: versioned binary checkpoints; see nt-checkpoint.h for the
 * file layout. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
/* fsync() and O_DIRECTORY are POSIX.1-2008, hidden by a strict -std=c11 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "nt-checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

G_DEFINE_QUARK (nt-checkpoint-error-quark, nt_checkpoint_error)

#define MAGIC "NTCKPT\r\n"
#define MAGIC_LEN 8
#define DIGEST_LEN 32 /* SHA-256 */
/* magic + version: what is read before the whole file is allocated */
#define HEADER_LEN (MAGIC_LEN + 4)
/* smallest file of any version: magic, version, checksum */
#define MIN_ANY_VERSION (HEADER_LEN + DIGEST_LEN)
/* at most this many tensor names are listed in a MISSING message */
#define MAX_NAMES_LISTED 12

typedef struct {
  char *key;
  char *value;
} MetaEntry;

typedef struct {
  char *name;
  int ndims;
  gint64 dims[NT_CHECKPOINT_MAX_DIMS];
  gsize count;
  float *data; /* NULL when count is 0 */
} Tensor;

struct _NtCheckpoint {
  GPtrArray *meta;          /* MetaEntry *, owned, insertion order */
  GHashTable *meta_index;   /* key (owned by the entry) -> MetaEntry * */
  GPtrArray *tensors;       /* Tensor *, owned, insertion order */
  GHashTable *tensor_index; /* name (owned by the tensor) -> Tensor * */
  char *origin;             /* file it was loaded from, or NULL */
};

static void
meta_entry_free (gpointer p)
{
  MetaEntry *e = p;
  g_free (e->key);
  g_free (e->value);
  g_free (e);
}

static void
tensor_free (gpointer p)
{
  Tensor *t = p;
  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

NtCheckpoint *
nt_checkpoint_new (void)
{
  NtCheckpoint *ck = g_new0 (NtCheckpoint, 1);
  ck->meta = g_ptr_array_new_with_free_func (meta_entry_free);
  ck->meta_index = g_hash_table_new (g_str_hash, g_str_equal);
  ck->tensors = g_ptr_array_new_with_free_func (tensor_free);
  ck->tensor_index = g_hash_table_new (g_str_hash, g_str_equal);
  return ck;
}

void
nt_checkpoint_free (NtCheckpoint *ck)
{
  if (ck == NULL)
    return;
  /* indexes first: their keys point into the entries */
  g_hash_table_destroy (ck->meta_index);
  g_hash_table_destroy (ck->tensor_index);
  g_ptr_array_free (ck->meta, TRUE);
  g_ptr_array_free (ck->tensors, TRUE);
  g_free (ck->origin);
  g_free (ck);
}

/* ---- metadata ---------------------------------------------------------- */

/* Takes ownership of key and value. */
static void
meta_set_owned (NtCheckpoint *ck, char *key, char *value)
{
  MetaEntry *e = g_hash_table_lookup (ck->meta_index, key);
  if (e != NULL)
    {
      g_free (key);
      g_free (e->value);
      e->value = value;
      return;
    }
  e = g_new (MetaEntry, 1);
  e->key = key;
  e->value = value;
  g_ptr_array_add (ck->meta, e);
  g_hash_table_insert (ck->meta_index, e->key, e);
}

void
nt_checkpoint_set_meta (NtCheckpoint *ck, const char *key, const char *value)
{
  g_return_if_fail (ck != NULL);
  g_return_if_fail (key != NULL && key[0] != '\0');
  g_return_if_fail (value != NULL);
  g_return_if_fail (g_utf8_validate (key, -1, NULL));
  g_return_if_fail (g_utf8_validate (value, -1, NULL));
  meta_set_owned (ck, g_strdup (key), g_strdup (value));
}

const char *
nt_checkpoint_get_meta (const NtCheckpoint *ck, const char *key)
{
  MetaEntry *e;
  g_return_val_if_fail (ck != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  e = g_hash_table_lookup (ck->meta_index, key);
  return e != NULL ? e->value : NULL;
}

guint
nt_checkpoint_n_meta (const NtCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, 0);
  return ck->meta->len;
}

const char *
nt_checkpoint_meta_key (const NtCheckpoint *ck, guint i)
{
  g_return_val_if_fail (ck != NULL, NULL);
  g_return_val_if_fail (i < ck->meta->len, NULL);
  return ((MetaEntry *) g_ptr_array_index (ck->meta, i))->key;
}

/* ---- tensors ----------------------------------------------------------- */

/* Element count of a shape, or FALSE when a dimension is negative or the
 * data could not fit in a file of NT_CHECKPOINT_MAX_FILE_SIZE. Division
 * instead of multiplication keeps the check itself from overflowing. */
static gboolean
shape_count (int ndims, const gint64 *dims, gsize *count_out)
{
  const guint64 max_count = NT_CHECKPOINT_MAX_FILE_SIZE / sizeof (float);
  guint64 count = 1;
  for (int i = 0; i < ndims; i++)
    {
      if (dims[i] < 0)
        return FALSE;
      if (dims[i] == 0)
        count = 0;
      else if (count > max_count / (guint64) dims[i])
        return FALSE;
      else
        count *= (guint64) dims[i];
    }
  *count_out = (gsize) count;
  return TRUE;
}

static char *
shape_to_string (int ndims, const gint64 *dims)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < ndims; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", dims[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* Takes ownership of t. The caller has checked that the name is new. */
static void
tensor_insert (NtCheckpoint *ck, Tensor *t)
{
  g_ptr_array_add (ck->tensors, t);
  g_hash_table_insert (ck->tensor_index, t->name, t);
}

gboolean
nt_checkpoint_add_tensor (NtCheckpoint *ck, const char *name, int ndims,
                          const gint64 *dims, const float *data,
                          GError **error)
{
  gsize count;
  Tensor *t;

  g_return_val_if_fail (ck != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (ndims == 0 || dims != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (name[0] == '\0' || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_INVALID,
                   "Cannot add a tensor with an empty or non-UTF-8 name to a "
                   "checkpoint; give each tensor a readable name");
      return FALSE;
    }
  if (g_hash_table_contains (ck->tensor_index, name))
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_INVALID,
                   "Checkpoint already holds a tensor named '%s'; tensor "
                   "names must be unique", name);
      return FALSE;
    }
  if (ndims < 0 || ndims > NT_CHECKPOINT_MAX_DIMS)
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_INVALID,
                   "Tensor '%s' has %d dimensions; a checkpoint stores 0 to "
                   "%d", name, ndims, NT_CHECKPOINT_MAX_DIMS);
      return FALSE;
    }
  if (!shape_count (ndims, dims, &count))
    {
      g_autofree char *shape = shape_to_string (ndims, dims);
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_INVALID,
                   "Tensor '%s' has shape %s: a negative dimension, or more "
                   "data than a checkpoint can hold (%" G_GUINT64_FORMAT
                   " bytes)", name, shape, NT_CHECKPOINT_MAX_FILE_SIZE);
      return FALSE;
    }
  g_return_val_if_fail (count == 0 || data != NULL, FALSE);

  t = g_new0 (Tensor, 1);
  if (count > 0)
    {
      t->data = g_try_malloc (count * sizeof (float));
      if (t->data == NULL)
        {
          g_free (t);
          g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_IO,
                       "Not enough memory to copy tensor '%s' (%" G_GSIZE_FORMAT
                       " floats) into a checkpoint", name, count);
          return FALSE;
        }
      memcpy (t->data, data, count * sizeof (float));
    }
  t->name = g_strdup (name);
  t->ndims = ndims;
  if (ndims > 0)
    memcpy (t->dims, dims, (gsize) ndims * sizeof (gint64));
  t->count = count;
  tensor_insert (ck, t);
  return TRUE;
}

guint
nt_checkpoint_n_tensors (const NtCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, 0);
  return ck->tensors->len;
}

const char *
nt_checkpoint_tensor_name (const NtCheckpoint *ck, guint i)
{
  g_return_val_if_fail (ck != NULL, NULL);
  g_return_val_if_fail (i < ck->tensors->len, NULL);
  return ((Tensor *) g_ptr_array_index (ck->tensors, i))->name;
}

const float *
nt_checkpoint_get_tensor (const NtCheckpoint *ck, const char *name,
                          int *ndims_out, const gint64 **dims_out,
                          gsize *count_out, GError **error)
{
  Tensor *t;

  g_return_val_if_fail (ck != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  t = g_hash_table_lookup (ck->tensor_index, name);
  if (t == NULL)
    {
      GString *have = g_string_new (NULL);
      guint n = ck->tensors->len;
      for (guint i = 0; i < n && i < MAX_NAMES_LISTED; i++)
        g_string_append_printf (have, "%s'%s'", i ? ", " : "",
                                ((Tensor *) ck->tensors->pdata[i])->name);
      if (n > MAX_NAMES_LISTED)
        g_string_append_printf (have, " and %u more", n - MAX_NAMES_LISTED);
      if (n == 0)
        g_string_append (have, "none");
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_MISSING,
                   "Checkpoint%s%s%s has no tensor '%s' (it holds: %s); it "
                   "was probably saved for another model or model options",
                   ck->origin ? " '" : "", ck->origin ? ck->origin : "",
                   ck->origin ? "'" : "", name, have->str);
      g_string_free (have, TRUE);
      return NULL;
    }
  if (ndims_out != NULL)
    *ndims_out = t->ndims;
  if (dims_out != NULL)
    *dims_out = t->dims;
  if (count_out != NULL)
    *count_out = t->count;
  return t->data;
}

/* ---- saving ------------------------------------------------------------ */

/* Buffered writer to a file descriptor that hashes what it writes. The
 * first failure is kept in err and later writes are skipped. */
typedef struct {
  int fd;
  GChecksum *sum; /* NULL once the digest has been taken */
  guint8 buf[1 << 16];
  gsize fill;
  int err; /* errno of the first failure, 0 if none */
} Writer;

static void
w_flush (Writer *w)
{
  gsize done = 0;
  while (w->err == 0 && done < w->fill)
    {
      ssize_t n = write (w->fd, w->buf + done, w->fill - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        w->err = n < 0 ? errno : EIO;
      else
        done += (gsize) n;
    }
  w->fill = 0;
}

static void
w_bytes (Writer *w, const void *p, gsize n)
{
  const guint8 *b = p;
  if (w->sum != NULL)
    g_checksum_update (w->sum, b, n);
  while (n > 0 && w->err == 0)
    {
      gsize k = MIN (n, sizeof w->buf - w->fill);
      memcpy (w->buf + w->fill, b, k);
      w->fill += k;
      b += k;
      n -= k;
      if (w->fill == sizeof w->buf)
        w_flush (w);
    }
}

static void
w_u32 (Writer *w, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);
  w_bytes (w, &le, 4);
}

static void
w_i64 (Writer *w, gint64 v)
{
  guint64 le = GUINT64_TO_LE ((guint64) v);
  w_bytes (w, &le, 8);
}

static void
w_string (Writer *w, const char *s)
{
  gsize len = strlen (s);
  w_u32 (w, (guint32) len);
  w_bytes (w, s, len);
}

/* Floats go through their bit pattern, so NaN payloads survive and the file
 * is little-endian on any host. */
static void
w_floats (Writer *w, const float *data, gsize count)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  w_bytes (w, data, count * sizeof (float));
#else
  guint32 chunk[1024];
  while (count > 0)
    {
      gsize k = MIN (count, G_N_ELEMENTS (chunk));
      for (gsize i = 0; i < k; i++)
        {
          guint32 bits;
          memcpy (&bits, &data[i], 4);
          chunk[i] = GUINT32_TO_LE (bits);
        }
      w_bytes (w, chunk, k * 4);
      data += k;
      count -= k;
    }
#endif
}

/* Exact size of the file nt_checkpoint_save() writes, or FALSE if a string
 * is too long for its u32 length field. */
static gboolean
file_size (const NtCheckpoint *ck, guint64 *size_out)
{
  guint64 size = HEADER_LEN + 4 + 4 + DIGEST_LEN;
  for (guint i = 0; i < ck->meta->len; i++)
    {
      MetaEntry *e = ck->meta->pdata[i];
      gsize kl = strlen (e->key), vl = strlen (e->value);
      if (kl > G_MAXUINT32 || vl > G_MAXUINT32)
        return FALSE;
      size += 8 + (guint64) kl + vl;
    }
  for (guint i = 0; i < ck->tensors->len; i++)
    {
      Tensor *t = ck->tensors->pdata[i];
      gsize nl = strlen (t->name);
      if (nl > G_MAXUINT32)
        return FALSE;
      size += 4 + (guint64) nl + 4 + 8 * (guint64) t->ndims
              + sizeof (float) * (guint64) t->count;
    }
  *size_out = size;
  return TRUE;
}

static void
w_content (Writer *w, const NtCheckpoint *ck)
{
  w_bytes (w, MAGIC, MAGIC_LEN);
  w_u32 (w, NT_CHECKPOINT_FORMAT_VERSION);
  w_u32 (w, ck->meta->len);
  for (guint i = 0; i < ck->meta->len; i++)
    {
      MetaEntry *e = ck->meta->pdata[i];
      w_string (w, e->key);
      w_string (w, e->value);
    }
  w_u32 (w, ck->tensors->len);
  for (guint i = 0; i < ck->tensors->len; i++)
    {
      Tensor *t = ck->tensors->pdata[i];
      w_string (w, t->name);
      w_u32 (w, (guint32) t->ndims);
      for (int d = 0; d < t->ndims; d++)
        w_i64 (w, t->dims[d]);
      w_floats (w, t->data, t->count);
    }
}

/* Makes the rename durable. Failure is ignored: the new file is already
 * complete and in place, and some filesystems refuse fsync on directories. */
static void
sync_directory (const char *dir)
{
#ifdef O_DIRECTORY
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd >= 0)
    {
      (void) fsync (fd);
      (void) g_close (fd, NULL);
    }
#else
  (void) dir;
#endif
}

gboolean
nt_checkpoint_save (const NtCheckpoint *ck, const char *path, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_name = NULL;
  g_autofree char *tmp_path = NULL;
  guint8 digest[DIGEST_LEN];
  gsize digest_len = sizeof digest;
  guint64 size;
  Writer *w;
  int saved_errno;
  const char *step;

  g_return_val_if_fail (ck != NULL, FALSE);
  g_return_val_if_fail (path != NULL && path[0] != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!file_size (ck, &size) || size > NT_CHECKPOINT_MAX_FILE_SIZE)
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_INVALID,
                   "Cannot save checkpoint '%s': its content is larger than "
                   "the %" G_GUINT64_FORMAT "-byte limit of the format",
                   path, NT_CHECKPOINT_MAX_FILE_SIZE);
      return FALSE;
    }

  /* The temporary file lives in the target's directory so that rename()
   * stays within one filesystem and is atomic; it is hidden and named after
   * the target so that a leftover from a crash is recognisable. */
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  tmp_name = g_strdup_printf (".%s.tmp-XXXXXX", base);
  tmp_path = g_build_filename (dir, tmp_name, NULL);

  w = g_new (Writer, 1);
  w->fill = 0;
  w->err = 0;
  /* mode 0666 minus the umask, like a file made by fopen() */
  w->fd = g_mkstemp_full (tmp_path, O_WRONLY, 0666);
  if (w->fd < 0)
    {
      saved_errno = errno;
      g_free (w);
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_IO,
                   "Cannot save checkpoint '%s': cannot create a temporary "
                   "file in directory '%s': %s. Check that the directory "
                   "exists and is writable", path, dir,
                   g_strerror (saved_errno));
      return FALSE;
    }
  w->sum = g_checksum_new (G_CHECKSUM_SHA256);

  step = "write";
  w_content (w, ck);
  g_checksum_get_digest (w->sum, digest, &digest_len);
  g_checksum_free (w->sum);
  w->sum = NULL;
  w_bytes (w, digest, DIGEST_LEN);
  w_flush (w);

  if (w->err == 0)
    {
      step = "flush";
      while (fsync (w->fd) != 0)
        if (errno != EINTR)
          {
            w->err = errno;
            break;
          }
    }
  /* close() can report a delayed write error (NFS), so it is checked */
  if (close (w->fd) != 0 && w->err == 0 && errno != EINTR)
    {
      step = "close";
      w->err = errno;
    }
  if (w->err == 0 && g_rename (tmp_path, path) != 0)
    {
      step = "rename";
      w->err = errno;
    }

  saved_errno = w->err;
  g_free (w);
  if (saved_errno != 0)
    {
      (void) g_unlink (tmp_path);
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_IO,
                   "Cannot save checkpoint '%s' (%s of temporary file '%s' "
                   "failed: %s). The temporary file was removed and any "
                   "previous '%s' is unchanged; check free disk space and "
                   "permissions", path, step, tmp_path,
                   g_strerror (saved_errno), path);
      return FALSE;
    }
  sync_directory (dir);
  return TRUE;
}

/* ---- loading ----------------------------------------------------------- */

static void
set_corrupt (GError **error, const char *path, const char *why)
{
  g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_CORRUPT,
               "Checkpoint '%s' is damaged: %s. It cannot be used; restore "
               "it from a backup or train the model again", path, why);
}

/* Reads exactly len bytes; FALSE with errno set (0 at end of file). */
static gboolean
read_full (int fd, guint8 *buf, gsize len, gsize *got_out)
{
  gsize got = 0;
  gboolean ok = TRUE;
  while (got < len)
    {
      ssize_t n = read (fd, buf + got, len - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = 0;
          ok = FALSE;
          break;
        }
      got += (gsize) n;
    }
  *got_out = got;
  return ok;
}

/* Checks the first bytes of a file of total size size (of which have are
 * in buf) against the magic; distinguishes a foreign file (FORMAT), a
 * checkpoint mangled by a text-mode transfer (FORMAT, with that hint) and
 * a checkpoint cut inside its magic (CORRUPT). */
static gboolean
check_magic (const char *path, const guint8 *buf, gsize have,
             GError **error)
{
  gsize n = MIN (have, (gsize) MAGIC_LEN);

  if (have == 0)
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_FORMAT,
                   "'%s' is an empty file, not a nulltool checkpoint; "
                   "check the path, or train again if a save was "
                   "interrupted", path);
      return FALSE;
    }
  if (memcmp (buf, MAGIC, n) == 0)
    {
      if (n == MAGIC_LEN)
        return TRUE;
      set_corrupt (error, path, "it is truncated inside its header");
      return FALSE;
    }
  if (have >= 6 && memcmp (buf, MAGIC, 6) == 0)
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_FORMAT,
                   "'%s' starts like a nulltool checkpoint but its line-end "
                   "bytes were changed, as a text-mode transfer does; copy "
                   "the file again in binary mode", path);
      return FALSE;
    }
  g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_FORMAT,
               "'%s' is not a nulltool checkpoint (it does not start with "
               "the checkpoint signature); pass a file written by nulltool",
               path);
  return FALSE;
}

/* Bounds-checked little-endian reader over the verified file content. */
typedef struct {
  const guint8 *p;
  gsize left;
  const char *path;
} Reader;

static gboolean
r_need (Reader *r, guint64 n, const char *what, GError **error)
{
  if (n <= r->left)
    return TRUE;
  {
    g_autofree char *why = g_strdup_printf (
        "%s needs %" G_GUINT64_FORMAT " bytes but only %" G_GSIZE_FORMAT
        " remain", what, n, r->left);
    set_corrupt (error, r->path, why);
  }
  return FALSE;
}

static gboolean
r_u32 (Reader *r, guint32 *v, const char *what, GError **error)
{
  guint32 le;
  if (!r_need (r, 4, what, error))
    return FALSE;
  memcpy (&le, r->p, 4);
  *v = GUINT32_FROM_LE (le);
  r->p += 4;
  r->left -= 4;
  return TRUE;
}

static gboolean
r_i64 (Reader *r, gint64 *v, const char *what, GError **error)
{
  guint64 le;
  if (!r_need (r, 8, what, error))
    return FALSE;
  memcpy (&le, r->p, 8);
  *v = (gint64) GUINT64_FROM_LE (le);
  r->p += 8;
  r->left -= 8;
  return TRUE;
}

/* A u32-length string: valid UTF-8 without NUL bytes (and non-empty when
 * nonempty is set). Returns a new NUL-terminated copy or NULL. */
static char *
r_string (Reader *r, gboolean nonempty, const char *what, GError **error)
{
  guint32 len;
  char *s;
  if (!r_u32 (r, &len, what, error) || !r_need (r, len, what, error))
    return NULL;
  if ((nonempty && len == 0) || memchr (r->p, '\0', len) != NULL
      || !g_utf8_validate ((const char *) r->p, len, NULL))
    {
      g_autofree char *why = g_strdup_printf (
          "%s is empty, contains a NUL byte or is not UTF-8", what);
      set_corrupt (error, r->path, why);
      return NULL;
    }
  s = g_strndup ((const char *) r->p, len);
  r->p += len;
  r->left -= len;
  return s;
}

static gboolean
parse_v1 (NtCheckpoint *ck, Reader *r, GError **error)
{
  guint32 n_meta, n_tensors;

  if (!r_u32 (r, &n_meta, "metadata count", error))
    return FALSE;
  for (guint32 i = 0; i < n_meta; i++)
    {
      char *key, *value;
      if ((key = r_string (r, TRUE, "a metadata key", error)) == NULL)
        return FALSE;
      if ((value = r_string (r, FALSE, "a metadata value", error)) == NULL)
        {
          g_free (key);
          return FALSE;
        }
      if (g_hash_table_contains (ck->meta_index, key))
        {
          g_autofree char *why = g_strdup_printf (
              "metadata key '%s' appears twice", key);
          g_free (key);
          g_free (value);
          set_corrupt (error, r->path, why);
          return FALSE;
        }
      meta_set_owned (ck, key, value);
    }

  if (!r_u32 (r, &n_tensors, "tensor count", error))
    return FALSE;
  for (guint32 i = 0; i < n_tensors; i++)
    {
      g_autofree char *name = NULL;
      guint32 ndims;
      gint64 dims[NT_CHECKPOINT_MAX_DIMS];
      gsize count;
      Tensor *t;

      if ((name = r_string (r, TRUE, "a tensor name", error)) == NULL)
        return FALSE;
      if (g_hash_table_contains (ck->tensor_index, name))
        {
          g_autofree char *why = g_strdup_printf (
              "tensor '%s' appears twice", name);
          set_corrupt (error, r->path, why);
          return FALSE;
        }
      if (!r_u32 (r, &ndims, "a tensor's dimension count", error))
        return FALSE;
      if (ndims > NT_CHECKPOINT_MAX_DIMS)
        {
          g_autofree char *why = g_strdup_printf (
              "tensor '%s' claims %u dimensions (at most %d)", name, ndims,
              NT_CHECKPOINT_MAX_DIMS);
          set_corrupt (error, r->path, why);
          return FALSE;
        }
      for (guint32 d = 0; d < ndims; d++)
        if (!r_i64 (r, &dims[d], "a tensor dimension", error))
          return FALSE;
      /* the shape is checked against the bytes actually present before any
       * allocation, so a bad dimension cannot cause a huge allocation */
      if (!shape_count ((int) ndims, dims, &count))
        {
          g_autofree char *shape = shape_to_string ((int) ndims, dims);
          g_autofree char *why = g_strdup_printf (
              "tensor '%s' has impossible shape %s", name, shape);
          set_corrupt (error, r->path, why);
          return FALSE;
        }
      if (!r_need (r, (guint64) count * sizeof (float), "tensor data", error))
        return FALSE;

      t = g_new0 (Tensor, 1);
      if (count > 0)
        {
          t->data = g_try_malloc (count * sizeof (float));
          if (t->data == NULL)
            {
              g_free (t);
              g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_IO,
                           "Not enough memory to load tensor '%s' (%"
                           G_GSIZE_FORMAT " floats) from checkpoint '%s'",
                           name, count, r->path);
              return FALSE;
            }
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
          memcpy (t->data, r->p, count * sizeof (float));
#else
          for (gsize k = 0; k < count; k++)
            {
              guint32 bits;
              memcpy (&bits, r->p + 4 * k, 4);
              bits = GUINT32_FROM_LE (bits);
              memcpy (&t->data[k], &bits, 4);
            }
#endif
        }
      r->p += count * sizeof (float);
      r->left -= count * sizeof (float);
      t->name = g_steal_pointer (&name);
      t->ndims = (int) ndims;
      if (ndims > 0)
        memcpy (t->dims, dims, ndims * sizeof (gint64));
      t->count = count;
      tensor_insert (ck, t);
    }

  if (r->left != 0)
    {
      g_autofree char *why = g_strdup_printf (
          "%" G_GSIZE_FORMAT " unexpected bytes follow the last tensor",
          r->left);
      set_corrupt (error, r->path, why);
      return FALSE;
    }
  return TRUE;
}

NtCheckpoint *
nt_checkpoint_load (const char *path, GError **error)
{
  guint8 header[HEADER_LEN];
  guint8 digest[DIGEST_LEN];
  gsize digest_len = sizeof digest;
  guint8 *buf = NULL;
  gsize have, size, got;
  guint32 version;
  GStatBuf st;
  GChecksum *sum;
  NtCheckpoint *ck = NULL;
  Reader r;
  int fd, saved_errno;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = g_open (path, O_RDONLY, 0);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_IO,
                   "Cannot open checkpoint '%s': %s. Check the path and its "
                   "permissions", path, g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_IO,
                   "Cannot read checkpoint '%s': it is not a regular file",
                   path);
      goto out;
    }

  /* Magic first, so that a large foreign file is refused without being
   * read, then the size limit, then the whole file. */
  if (!read_full (fd, header, sizeof header, &have) && errno != 0)
    goto read_error;
  if (!check_magic (path, header, have, error))
    goto out;
  /* on 32-bit hosts the limit is also what fits in memory */
  if ((guint64) st.st_size > MIN (NT_CHECKPOINT_MAX_FILE_SIZE,
                                  (guint64) G_MAXSIZE))
    {
      g_autofree char *why = g_strdup_printf (
          "it is %" G_GUINT64_FORMAT " bytes, more than the %"
          G_GUINT64_FORMAT "-byte limit", (guint64) st.st_size,
          NT_CHECKPOINT_MAX_FILE_SIZE);
      set_corrupt (error, path, why);
      goto out;
    }
  size = (gsize) st.st_size;
  if (size < MIN_ANY_VERSION || have < HEADER_LEN)
    {
      g_autofree char *why = g_strdup_printf (
          "it is truncated (%" G_GSIZE_FORMAT " bytes, a checkpoint has at "
          "least %d)", size, MIN_ANY_VERSION);
      set_corrupt (error, path, why);
      goto out;
    }

  buf = g_try_malloc (size);
  if (buf == NULL)
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_IO,
                   "Not enough memory to read checkpoint '%s' (%"
                   G_GSIZE_FORMAT " bytes)", path, size);
      goto out;
    }
  memcpy (buf, header, HEADER_LEN);
  if (!read_full (fd, buf + HEADER_LEN, size - HEADER_LEN, &got))
    {
      if (errno != 0)
        goto read_error;
      /* the file shrank between fstat() and read(): a concurrent writer */
      set_corrupt (error, path, "it became shorter while it was read");
      goto out;
    }

  /* The checksum covers everything, so nothing is interpreted before it
   * matches; only a file that passes is looked at for its version. */
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, buf, size - DIGEST_LEN);
  g_checksum_get_digest (sum, digest, &digest_len);
  g_checksum_free (sum);
  if (memcmp (digest, buf + size - DIGEST_LEN, DIGEST_LEN) != 0)
    {
      set_corrupt (error, path, "its SHA-256 checksum does not match its "
                   "content (the file was modified, truncated or only "
                   "partly copied)");
      goto out;
    }

  memcpy (&version, buf + MAGIC_LEN, 4);
  version = GUINT32_FROM_LE (version);
  if (version > NT_CHECKPOINT_FORMAT_VERSION)
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_VERSION,
                   "Checkpoint '%s' uses format version %u, but this "
                   "nulltool reads format versions up to %d; upgrade "
                   "nulltool to load it", path, version,
                   NT_CHECKPOINT_FORMAT_VERSION);
      goto out;
    }
  if (version == 0)
    {
      set_corrupt (error, path, "it declares format version 0, which does "
                   "not exist");
      goto out;
    }

  ck = nt_checkpoint_new ();
  r.p = buf + HEADER_LEN;
  r.left = size - HEADER_LEN - DIGEST_LEN;
  r.path = path;
  if (!parse_v1 (ck, &r, error))
    {
      nt_checkpoint_free (ck);
      ck = NULL;
      goto out;
    }
  ck->origin = g_strdup (path);
  goto out;

read_error:
  saved_errno = errno;
  g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_IO,
               "Cannot read checkpoint '%s': %s", path,
               g_strerror (saved_errno));
out:
  g_free (buf);
  (void) g_close (fd, NULL);
  return ck;
}
