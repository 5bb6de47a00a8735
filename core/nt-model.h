/* nt-model.h: models, a plugin kind. A model builds a network (a stack of
 * core layers, nt-network.h) for an input shape and a number of outputs. */
#ifndef NT_MODEL_H
#define NT_MODEL_H

#include <glib.h>
#include "nt-registry.h"
#include "nt-backend.h"

G_BEGIN_DECLS

typedef struct _NtNetwork NtNetwork;

typedef struct _NtModelClass {
  NtFeature feature;
  /* Builds the (uninitialised) network on `be` for samples of shape
   * channels x height x width and `n_outputs` logits. NULL with error when
   * the shape does not suit the model. */
  NtNetwork *(*build) (NtBackend *be, const NtOptions *opts, int channels,
                       int height, int width, int n_outputs, GError **error);
} NtModelClass;

G_END_DECLS
#endif
