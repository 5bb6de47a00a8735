/* fuzz-model-file.c: the model-file loader (core/nt-model-file.h) on
 * arbitrary files, with the build tree's model plugins and cpu backend.
 * As for checkpoints, each input is loaded as it is and with its SHA-256
 * made to match, so that mutated metadata and tensors reach the loader.
 * The network is rebuilt for batches of one sample (max_batch 1), as
 * 'nulltool eval' could: the file's own max_batch only sizes buffers. */
#include "config.h"
#include "nt-fuzz.h"
#include "nt-model-file.h"
#include "nt-network.h"


static void
load (const char *path)
{
  GError *error = NULL;
  NtCheckpoint *ck = NULL;
  NtNetwork *net = nt_model_file_load_batch (nt_fuzz_registry (),
                                             nt_fuzz_backend (), path, 1,
                                             &ck, &error);
  if (net == NULL)
    {
      NT_FUZZ_CHECK (ck == NULL, "a checkpoint without a network");
      /* a damaged file is reported, never silently refused */
      NT_FUZZ_CHECK (error != NULL, "failed without an error");
      g_error_free (error);
      return;
    }
  NT_FUZZ_CHECK (error == NULL, "succeeded with an error set");
  NT_FUZZ_CHECK (ck != NULL, "no checkpoint");
  nt_checkpoint_free (ck);
  nt_network_free (net);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  nt_fuzz_load_checksummed ("input.model", data, size, load);
  return 0;
}
