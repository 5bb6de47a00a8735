/* fuzz-idx.c: the IDX reader (core/nt-idx.h) on arbitrary files, raw or
 * gzip-compressed (zlib tells them apart by content). Every entry point
 * reads the same file: the generic reader with the dimension count the
 * header claims, the image reader (4x4 images) and the label reader (10
 * classes); what one returns must agree with its header. */
#include "config.h"
#include "nt-fuzz.h"
#include "nt-idx.h"

static void
check (NtIdx *idx, GError *error, guint n_dims)
{
  if (idx == NULL)
    {
      NT_FUZZ_CHECK (error != NULL, "failed without an error");
      g_error_free (error);
      return;
    }
  NT_FUZZ_CHECK (error == NULL, "succeeded with an error set");
  NT_FUZZ_CHECK (idx->n_dims == n_dims, "%u dimensions, asked for %u",
                 idx->n_dims, n_dims);
  guint64 n = 1;
  for (guint d = 0; d < idx->n_dims; d++)
    n *= idx->dims[d];
  NT_FUZZ_CHECK (n == idx->n_bytes, "%" G_GSIZE_FORMAT " bytes for a "
                 "product of sizes of %" G_GUINT64_FORMAT, idx->n_bytes, n);
  /* touch every byte, so ASan sees a short buffer */
  guint sum = 0;
  for (gsize i = 0; i < idx->n_bytes; i++)
    sum += idx->data[i];
  (void) sum;
  nt_idx_free (idx);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = nt_fuzz_write ("input-idx", data, size);
  GError *error = NULL;
  /* the dimension count of a raw header, kept within what is accepted */
  guint n_dims = size >= 4 ? CLAMP (data[3], 1, NT_IDX_MAX_DIMS) : 1;

  NtIdx *idx = nt_idx_read (path, n_dims, NULL, &error);
  check (idx, error, n_dims);
  error = NULL;
  idx = nt_idx_read_images (path, 4, 4, &error);
  check (idx, error, 3);
  error = NULL;
  idx = nt_idx_read_labels (path, 10, &error);
  if (idx != NULL)
    for (gsize i = 0; i < idx->n_bytes; i++)
      NT_FUZZ_CHECK (idx->data[i] < 10, "label %u accepted", idx->data[i]);
  check (idx, error, 1);
  return 0;
}
