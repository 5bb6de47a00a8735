/* nt-checkpoint.h: versioned binary checkpoints (string metadata + named
 * float32 tensors), saved atomically and verified by a SHA-256 on load.
 *
 * File layout, every integer little-endian whatever the host:
 *
 *   8 bytes   magic "NTCKPT\r\n" (the \r\n catches text-mode transfers)
 *   u32       format version (NT_CHECKPOINT_FORMAT_VERSION)
 *   u32       number of metadata entries, then per entry:
 *               u32 key length, key bytes, u32 value length, value bytes
 *               (UTF-8, no NUL, no terminator; keys unique and non-empty)
 *   u32       number of tensors, then per tensor:
 *               u32 name length, name bytes (UTF-8, unique, non-empty)
 *               u32 ndims (0..NT_CHECKPOINT_MAX_DIMS), ndims x i64 dims (>= 0)
 *               product(dims) x float32 data (IEEE-754 bit patterns)
 *   32 bytes  SHA-256 of every byte before it
 *
 * The magic, the version and the trailing SHA-256 are the invariant part of
 * the format: a later version may change anything in between, so a reader
 * verifies the checksum first and then refuses a newer version by number.
 *
 * Ownership: an NtCheckpoint owns copies of everything put into it; the
 * strings and arrays it returns stay valid until the entry is replaced or the
 * checkpoint is freed. An NtCheckpoint is not thread-safe. */
#ifndef NT_CHECKPOINT_H
#define NT_CHECKPOINT_H

#include <glib.h>

G_BEGIN_DECLS

/* Version written by nt_checkpoint_save(); nt_checkpoint_load() reads this
 * version and older ones. */
#define NT_CHECKPOINT_FORMAT_VERSION 1

/* Most dimensions a tensor may have. */
#define NT_CHECKPOINT_MAX_DIMS 8

/* Largest file that is saved or loaded (4 GiB); larger ones are refused
 * before anything is allocated. */
#define NT_CHECKPOINT_MAX_FILE_SIZE (G_GUINT64_CONSTANT (4) << 30)

#define NT_CHECKPOINT_ERROR (nt_checkpoint_error_quark ())
GQuark nt_checkpoint_error_quark (void);

typedef enum {
  NT_CHECKPOINT_ERROR_IO,       /* open/read/write/fsync/rename failed */
  NT_CHECKPOINT_ERROR_FORMAT,   /* not a checkpoint (foreign file, bad magic) */
  NT_CHECKPOINT_ERROR_VERSION,  /* written by a newer format version */
  NT_CHECKPOINT_ERROR_CORRUPT,  /* checksum mismatch, truncated, bad sizes */
  NT_CHECKPOINT_ERROR_MISSING,  /* requested tensor is not in the checkpoint */
  NT_CHECKPOINT_ERROR_INVALID   /* bad arguments: duplicate name, bad shape */
} NtCheckpointError;

typedef struct _NtCheckpoint NtCheckpoint;

/* A new empty checkpoint. Free with nt_checkpoint_free(). */
NtCheckpoint *nt_checkpoint_new (void);

/* Frees ck and everything it holds. NULL is allowed. */
void nt_checkpoint_free (NtCheckpoint *ck);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NtCheckpoint, nt_checkpoint_free)

/* Sets metadata key (non-empty UTF-8) to value (UTF-8, may be empty), both
 * copied; replaces an earlier value of the same key. Entries keep their
 * first-insertion order. Meant for model name and options, dataset, null
 * selection, epoch, seed and the like (numbers as decimal strings). */
void nt_checkpoint_set_meta (NtCheckpoint *ck, const char *key,
                             const char *value);

/* The value of key, owned by ck, or NULL when absent. */
const char *nt_checkpoint_get_meta (const NtCheckpoint *ck, const char *key);

/* Number of metadata entries and the key of entry i (owned by ck), in
 * insertion / file order; for listing a checkpoint's contents. */
guint nt_checkpoint_n_meta (const NtCheckpoint *ck);
const char *nt_checkpoint_meta_key (const NtCheckpoint *ck, guint i);

/* Adds tensor name (non-empty UTF-8) of shape dims[0..ndims-1] (0 <= ndims
 * <= NT_CHECKPOINT_MAX_DIMS; ndims 0 is a scalar of one element) and copies
 * its product(dims) floats from data (which may be NULL only when that
 * product is 0). Bit patterns, NaN payloads included, are kept exactly.
 * Fails with NT_CHECKPOINT_ERROR_INVALID on a duplicate name, a negative
 * dimension or a tensor too large to save. */
gboolean nt_checkpoint_add_tensor (NtCheckpoint *ck, const char *name,
                                   int ndims, const gint64 *dims,
                                   const float *data, GError **error);

/* Number of tensors and the name of tensor i (owned by ck), in insertion /
 * file order. */
guint nt_checkpoint_n_tensors (const NtCheckpoint *ck);
const char *nt_checkpoint_tensor_name (const NtCheckpoint *ck, guint i);

/* Looks tensor name up. Returns its data (owned by ck, product(dims) floats;
 * may be NULL for an empty tensor, so test the error rather than the
 * pointer when count can be 0) and, through the optional out arguments, its
 * number of dimensions, its dims (owned by ck) and its element count.
 * Fails with NT_CHECKPOINT_ERROR_MISSING, naming the tensor, the file (when
 * loaded from one) and the tensors present. */
const float *nt_checkpoint_get_tensor (const NtCheckpoint *ck,
                                       const char *name, int *ndims_out,
                                       const gint64 **dims_out,
                                       gsize *count_out, GError **error);

/* Writes ck to path atomically: a temporary file next to path is written,
 * flushed, fsync()ed and renamed over path, and the directory is synced.
 * On failure path is untouched (an existing file there keeps its old
 * content) and the temporary file is removed. */
gboolean nt_checkpoint_save (const NtCheckpoint *ck, const char *path,
                             GError **error);

/* Reads the checkpoint at path. The checksum is verified before any field is
 * interpreted and every length is bounds-checked, so a damaged, truncated or
 * foreign file fails with a GError in NT_CHECKPOINT_ERROR (FORMAT, VERSION,
 * CORRUPT or IO) naming the file. Free the result with nt_checkpoint_free(). */
NtCheckpoint *nt_checkpoint_load (const char *path, GError **error);

G_END_DECLS

#endif
