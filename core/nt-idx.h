/* nt-idx.h: reader (and small writer) for unsigned-byte IDX files, the
 * format of the MNIST distribution, raw or gzip-compressed.
 *
 * An IDX file is a 4-byte magic (0x00 0x00 TYPE NDIMS), NDIMS big-endian
 * uint32 sizes, then the product of the sizes in data bytes. Only TYPE 0x08
 * (unsigned byte) is read. The reader checks every claim of the header
 * against the file before trusting it: a raw file's size must equal what
 * the header announces, and a compressed file is read incrementally with a
 * cap (NT_IDX_MAX_BYTES), so a lying header never causes a large
 * allocation. Every problem is a GError in NT_DATA_ERROR (nt-dataset.h)
 * whose message names the file. */
#ifndef NT_IDX_H
#define NT_IDX_H

#include <glib.h>

G_BEGIN_DECLS

/* The most dimensions an IDX file may declare that we accept. */
#define NT_IDX_MAX_DIMS 4
/* The largest payload (bytes) we accept; MNIST's largest file is 47 MB. */
#define NT_IDX_MAX_BYTES G_GUINT64_CONSTANT (1000000000)

/* A loaded IDX file. Free with nt_idx_free. */
typedef struct {
  char *path;                     /* the file actually read (NAME or NAME.gz) */
  guint n_dims;
  guint32 dims[NT_IDX_MAX_DIMS];  /* sizes; unused entries are 0 */
  guint8 *data;                   /* n_bytes bytes, row-major */
  gsize n_bytes;                  /* product of the sizes */
} NtIdx;

/* Reads the uint8 IDX file `path`; when `path` does not exist and does not
 * already end in ".gz", `path`.gz is tried. The file must declare exactly
 * `n_dims` dimensions; `expect_dims` (NULL, or n_dims entries) gives the
 * required size of each dimension, 0 meaning any. Returns a new NtIdx
 * (caller frees) or NULL with `error` set: NT_DATA_ERROR_NOT_FOUND when
 * neither file exists or cannot be opened, NT_DATA_ERROR_FORMAT otherwise. */
NtIdx *nt_idx_read (const char *path, guint n_dims, const guint32 *expect_dims,
                    GError **error);

/* Reads a 3-dimensional image file (count x rows x cols) whose images are
 * exactly rows x cols. */
NtIdx *nt_idx_read_images (const char *path, guint32 rows, guint32 cols,
                           GError **error);

/* Reads a 1-dimensional label file whose every label is below
 * `n_classes`. */
NtIdx *nt_idx_read_labels (const char *path, guint n_classes, GError **error);

/* Checks that `labels` has one label per image of `images` (the first
 * dimensions agree); the error names both files. */
gboolean nt_idx_check_pair (const NtIdx *images, const NtIdx *labels,
                            GError **error);

/* Frees `idx` (NULL is allowed). */
void nt_idx_free (NtIdx *idx);

/* Writes a uint8 IDX file with the given sizes and data (the product of
 * the sizes in bytes), gzip-compressed when `compress` is set (the name is
 * used as given). For tests and tools. */
gboolean nt_idx_write (const char *path, guint n_dims, const guint32 *dims,
                       const guint8 *data, gboolean compress, GError **error);

G_END_DECLS
#endif
