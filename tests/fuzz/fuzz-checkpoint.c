/* fuzz-checkpoint.c: the checkpoint loader (core/nt-checkpoint.h) on
 * arbitrary files. Each input is loaded twice: as it is, and with its last
 * 32 bytes replaced by the SHA-256 of the rest, so that mutated content
 * also gets past the checksum to the parser. A checkpoint that loads is
 * read through every accessor. */
#include "config.h"
#include "nt-fuzz.h"
#include "nt-checkpoint.h"


static void
load (const char *path)
{
  GError *error = NULL;
  NtCheckpoint *ck = nt_checkpoint_load (path, &error);
  if (ck == NULL)
    {
      NT_FUZZ_CHECK (error != NULL && error->domain == NT_CHECKPOINT_ERROR,
                     "failed without a checkpoint error");
      g_error_free (error);
      return;
    }
  for (guint i = 0; i < nt_checkpoint_n_meta (ck); i++)
    {
      const char *key = nt_checkpoint_meta_key (ck, i);
      NT_FUZZ_CHECK (key != NULL && *key != '\0', "meta key %u", i);
      NT_FUZZ_CHECK (nt_checkpoint_get_meta (ck, key) != NULL, "'%s'", key);
    }
  for (guint i = 0; i < nt_checkpoint_n_tensors (ck); i++)
    {
      const char *name = nt_checkpoint_tensor_name (ck, i);
      int ndims = -1;
      const gint64 *dims = NULL;
      gsize count = 0;
      const float *x = nt_checkpoint_get_tensor (ck, name, &ndims, &dims,
                                                 &count, &error);
      NT_FUZZ_CHECK (error == NULL, "tensor '%s': %s", name, error->message);
      NT_FUZZ_CHECK (ndims >= 0 && ndims <= NT_CHECKPOINT_MAX_DIMS,
                     "tensor '%s' has %d dimensions", name, ndims);
      guint64 n = 1;
      for (int d = 0; d < ndims; d++)
        n *= (guint64) dims[d];
      NT_FUZZ_CHECK (n == count, "tensor '%s'", name);
      float sum = 0.0f;
      for (gsize k = 0; k < count; k++)
        sum += x[k];
      (void) sum;
    }
  nt_checkpoint_free (ck);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  nt_fuzz_load_checksummed ("input.ckpt", data, size, load);
  return 0;
}
