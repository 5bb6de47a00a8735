/* nt-model-file.h: a trained network in a checkpoint file, and building a
 * model by selection.
 *
 * A model file is a checkpoint (nt-checkpoint.h) whose metadata says how to
 * rebuild the network: "format" = "nulltool-model", "model" (the model
 * selection, e.g. "cnn:max_batch=256"), "input" ("CxHxW"), "outputs", plus
 * whatever the caller adds (dataset, null selection, epoch, seed, ...). Its
 * tensors are the network's parameters by name. */
#ifndef NT_MODEL_FILE_H
#define NT_MODEL_FILE_H

#include <glib.h>
#include "nt-registry.h"
#include "nt-backend.h"
#include "nt-model.h"
#include "nt-checkpoint.h"

G_BEGIN_DECLS

/* Builds the model `selection` ("cnn", "ramp-cnn:max_batch=64") on `be` for
 * samples of channels x height x width and n_outputs logits. Caller frees
 * with nt_network_free. */
NtNetwork *nt_model_build (NtRegistry *registry, NtBackend *be,
                           const char *selection, int channels, int height,
                           int width, int n_outputs, GError **error);

/* The canonical selection text of `selection` with every option spelled out
 * (caller frees); NULL with error if the model or an option is unknown. */
char *nt_model_canonical (NtRegistry *registry, const char *selection,
                          GError **error);

/* Writes the network's parameters with the rebuild metadata and the extra
 * key/value pairs `meta` (a NULL-terminated list "k1", "v1", "k2", ...;
 * may be NULL) to `path`, atomically. `model` is the canonical model
 * selection the network was built from. */
gboolean nt_model_file_save (NtNetwork *net, const char *model,
                             const char *const *meta, const char *path,
                             GError **error);

/* Rebuilds the network saved in `path` on `be` and loads its weights.
 * *ck_out (optional, caller frees) receives the checkpoint for its
 * metadata. Fails cleanly on a damaged or foreign file, or when the tensors
 * do not match the model's parameters. */
NtNetwork *nt_model_file_load (NtRegistry *registry, NtBackend *be,
                               const char *path, NtCheckpoint **ck_out,
                               GError **error);

/* nt_model_file_load with the network built for batches of up to max_batch
 * samples (the model's max_batch option replaced; 0: as saved), which
 * changes nothing but the batches its passes may take. */
NtNetwork *nt_model_file_load_batch (NtRegistry *registry, NtBackend *be,
                                     const char *path, int max_batch,
                                     NtCheckpoint **ck_out, GError **error);

G_END_DECLS
#endif
