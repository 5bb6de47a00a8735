/* nt-layer.h: the core layer kinds that networks (nt-network.h) stack.
 *
 * A layer maps a batch of n samples of shape `in` (channels x height x width,
 * NCHW) to n samples of shape `out`. Each kind has a forward and a backward
 * function, written side by side in nt-layer.c. Layers own their output,
 * mask and parameter buffers, all allocated once by nt_layer_setup() for the
 * network's largest batch, so forward and backward never allocate.
 *
 * Layers are created and owned by a network; this header is public so that
 * tools can inspect a network's layers, but plugins build models through the
 * nt_network_add_* builders, not through these functions.
 *
 * Parameter layouts (these are also the checkpoint tensor layouts):
 *   conv2d  kernel [out_c, in_c, kh, kw], bias [out_c]
 *   dense   kernel [out, in] (y = x W^T + b; `in` is the flattened NCHW
 *           sample, i.e. channel-major, unlike Keras' HWC order), bias [out]
 */
#ifndef NT_LAYER_H
#define NT_LAYER_H

#include <glib.h>
#include "nt-backend.h"

G_BEGIN_DECLS

typedef enum {
  NT_LAYER_CONV2D,
  NT_LAYER_MAXPOOL,
  NT_LAYER_DENSE,
  NT_LAYER_RELU,
  NT_LAYER_DROPOUT,
  NT_LAYER_FLATTEN,
  NT_N_LAYER_KINDS
} NtLayerKind;

/* Shape of one sample. */
typedef struct {
  int c, h, w;
} NtShape;

static inline gsize
nt_shape_size (NtShape s)
{
  return (gsize) s.c * (gsize) s.h * (gsize) s.w;
}

#define NT_LAYER_MAX_PARAMS 2

typedef struct _NtLayer NtLayer;
struct _NtLayer {
  NtLayerKind kind;
  char *name;            /* "conv1", "dense2", ... (unique in a network) */
  NtShape in, out;       /* per-sample shapes */
  int max_batch;

  /* kind-specific settings */
  int out_c;             /* conv2d: filters; dense: out features */
  NtWindow win;          /* conv2d, maxpool */
  float rate;            /* dropout */

  /* parameters and their gradients (same sizes), in checkpoint order */
  guint n_params;
  const char *param_suffix[NT_LAYER_MAX_PARAMS];  /* "kernel", "bias" */
  int param_ndims[NT_LAYER_MAX_PARAMS];
  gint64 param_dims[NT_LAYER_MAX_PARAMS][4];
  gsize param_count[NT_LAYER_MAX_PARAMS];
  NtBuffer *param[NT_LAYER_MAX_PARAMS];
  NtBuffer *grad[NT_LAYER_MAX_PARAMS];

  /* buffers: output (NULL for kinds that pass their input through or work
   * in place) and the dropout mask */
  NtBuffer *y;
  NtBuffer *mask;

  /* state of the last forward, used by backward. ReLU works in place on
   * the previous layer's output (unless that is the caller's input), so
   * after a forward the y_out of a layer followed by a ReLU holds the
   * rectified values. */
  const NtBuffer *x_in;  /* the input buffer seen */
  const NtBuffer *y_out; /* the output produced (may be x_in or y) */
  int n;
  gboolean training;

  /* Fusion (set by the network when the backend has fused convolutions):
   * a conv2d with `fused_relu` applies the ReLU of the layer after it, in
   * its forward and backward, and that relu layer has `fused` set and
   * passes values and gradients through untouched. */
  gboolean fused_relu;
  gboolean fused;
};

/* Kind names: "conv2d", "maxpool", "dense", "relu", "dropout", "flatten". */
const char *nt_layer_kind_name (NtLayerKind kind);

/* A new layer of `kind` named `name` with settings filled in by the caller
 * (out_c, win, rate), not yet set up. Free with nt_layer_free. */
NtLayer *nt_layer_new (NtLayerKind kind, const char *name);

/* Infers the output shape from `in`, declares the parameters and allocates
 * every buffer for batches of up to `max_batch` samples. `may_see_input` is
 * TRUE when this layer may be handed the network's (caller-owned, read-only)
 * input, so that in-place kinds (relu) need a buffer of their own. Fails on
 * impossible shapes (NT_NETWORK_ERROR) or allocation failure. */
gboolean nt_layer_setup (NtLayer *layer, NtBackend *be, NtShape in,
                         int max_batch, gboolean may_see_input,
                         GError **error);

/* Forward of n samples from x (n x in). `x_is_external` says x is the
 * caller's read-only buffer (relu then writes into its own buffer instead
 * of in place). Returns the output buffer (n x out), owned by the layer or
 * the network. Dropout draws its mask from `seed` when `training`. */
const NtBuffer *nt_layer_forward (NtLayer *layer, NtBackend *be,
                                  const NtBuffer *x, gboolean x_is_external,
                                  int n, gboolean training, guint64 seed);

/* Backward after a forward: overwrites the parameter gradients from dy
 * (n x out) and, when dx is not NULL, writes the gradient with respect to
 * the input into dx (n x in) and returns dx. Kinds that pass their gradient
 * through unchanged (flatten, dropout at inference) return dy instead and
 * leave dx alone. Returns NULL when dx is NULL and nothing was produced. */
const NtBuffer *nt_layer_backward (NtLayer *layer, NtBackend *be,
                                   const NtBuffer *dy, NtBuffer *dx);

/* The input gradient alone: like nt_layer_backward with dx, but parameter
 * gradients are neither computed nor touched (attacks need only dx). */
const NtBuffer *nt_layer_backward_input (NtLayer *layer, NtBackend *be,
                                         const NtBuffer *dy, NtBuffer *dx);

/* Frees the layer and its buffers (NULL is allowed). */
void nt_layer_free (NtLayer *layer, NtBackend *be);

/* One line "kind settings" (caller frees), e.g. "conv2d 32 3x3 stride 1x1
 * pad t0 b0 l0 r0". */
char *nt_layer_describe (const NtLayer *layer);

G_END_DECLS
#endif
