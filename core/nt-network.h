/* nt-network.h: a network is an ordered stack of core layers (nt-layer.h)
 * on one backend, with forward, backward, parameter lists, Keras-style
 * initialisation and a finite-difference gradient checker.
 *
 * Shapes are NCHW; a network is built for samples of channels x height x
 * width and batches of at most `max_batch` samples. Every buffer (outputs,
 * masks, gradients, parameters) is allocated once while the network is
 * built, so forward and backward never allocate. The scratch buffers for
 * gradients between layers are shared by all networks of one backend
 * instance (an instance is driven by one thread at a time, so two
 * backward passes on it never overlap).
 *
 * Parameters are listed in layer order, kernel then bias, with stable names
 * "<layer>.<kernel|bias>" where layers are named by kind and a per-kind
 * counter: "conv1.kernel", "conv1.bias", "conv2.kernel", ...,
 * "dense1.kernel". Layouts: conv kernels [out_c, in_c, kh, kw], dense kernels
 * [out, in] with `in` the flattened NCHW sample (channel-major), biases
 * [out]. */
#ifndef NT_NETWORK_H
#define NT_NETWORK_H

#include <glib.h>
#include "nt-backend.h"
#include "nt-model.h"   /* typedef struct _NtNetwork NtNetwork */
#include "nt-layer.h"

G_BEGIN_DECLS

#define NT_NETWORK_ERROR (nt_network_error_quark ())
GQuark nt_network_error_quark (void);

typedef enum {
  NT_NETWORK_ERROR_SHAPE,      /* a layer cannot take the shape it is given */
  NT_NETWORK_ERROR_INVALID,    /* bad arguments (batch size, labels, ...) */
  NT_NETWORK_ERROR_GRADCHECK   /* analytic and numeric gradients disagree */
} NtNetworkError;

/* A new empty network on `be` (not owned) for samples of shape
 * channels x height x width and batches of up to max_batch samples. Returns
 * NULL (with a critical warning) on non-positive sizes. Free with
 * nt_network_free. */
NtNetwork *nt_network_new (NtBackend *be, int channels, int height, int width,
                           int max_batch);
void nt_network_free (NtNetwork *net);

/* Builders: each appends one layer whose input is the previous layer's
 * output and allocates its buffers. They fail with NT_NETWORK_ERROR_SHAPE on
 * impossible shapes, or with the backend's error when memory runs out; the
 * network is then unchanged. */
gboolean nt_network_add_conv2d (NtNetwork *net, int out_c, int kh, int kw,
                                int stride, int pad_top, int pad_bottom,
                                int pad_left, int pad_right, GError **error);
/* Max pooling without padding; windows may overlap (stride < size). */
gboolean nt_network_add_maxpool (NtNetwork *net, int kh, int kw,
                                 int stride_h, int stride_w, GError **error);
/* Fully connected. Flattens its input implicitly (NCHW order), so a flatten
 * layer before it is optional (models add one to mirror the paper). Output
 * shape out_features x 1 x 1. */
gboolean nt_network_add_dense (NtNetwork *net, int out_features,
                               GError **error);
gboolean nt_network_add_relu (NtNetwork *net, GError **error);
/* Inverted dropout, rate in [0, 1). */
gboolean nt_network_add_dropout (NtNetwork *net, float rate, GError **error);
/* Relabels the shape c x h x w as (c*h*w) x 1 x 1; no data movement. */
gboolean nt_network_add_flatten (NtNetwork *net, GError **error);

/* Number of logits per sample: the size of the last layer's output (the
 * input size when there are no layers). */
int nt_network_n_outputs (const NtNetwork *net);

/* Keras defaults: every kernel Glorot-uniform in [-limit, limit], limit =
 * sqrt(6 / (fan_in + fan_out)), conv fan_in = kh*kw*in_c and fan_out =
 * kh*kw*out_c, dense fan_in = in and fan_out = out; biases zero. The values
 * depend only on the seed and the parameter's index and position (a
 * counter-based hash), so they are the same on every backend. */
void nt_network_init_glorot (NtNetwork *net, guint64 seed);

/* Forward of the first n samples (n <= max_batch) of x, a backend buffer of
 * at least n*C*H*W floats that is only read. Returns the logits (n x
 * outputs), owned by the network and valid until the next forward. When
 * `training`, dropout layers drop with masks drawn from dropout_seed (layer
 * k uses a seed derived from dropout_seed and k); otherwise they are the
 * identity. */
const NtBuffer *nt_network_forward (NtNetwork *net, const NtBuffer *x, int n,
                                    gboolean training, guint64 dropout_seed);

/* Backward from dlogits (n x outputs, on the backend) after a forward with
 * the same n and input (the input buffer must not have changed since).
 * Overwrites every parameter gradient; when dx is not NULL also writes the
 * gradient with respect to the input (n*C*H*W) into dx. */
void nt_network_backward (NtNetwork *net, const NtBuffer *dlogits,
                          NtBuffer *dx);

/* The gradient with respect to the input alone, into dx (n*C*H*W), after
 * a forward as for nt_network_backward; parameter gradients are neither
 * computed nor touched. */
void nt_network_backward_input (NtNetwork *net, const NtBuffer *dlogits,
                                NtBuffer *dx);

/* Convenience buffers owned by the network, sized for max_batch, allocated
 * on first use (NULL, with a warning, if the backend is out of memory). */
NtBuffer *nt_network_input_buffer (NtNetwork *net);   /* n x C x H x W */
NtBuffer *nt_network_dlogits_buffer (NtNetwork *net); /* n x outputs */

/* Parameters in layer order (see the naming and layouts above). Buffers
 * and names are owned by the network. */
guint nt_network_n_params (const NtNetwork *net);
const char *nt_network_param_name (const NtNetwork *net, guint i);
gsize nt_network_param_count (const NtNetwork *net, guint i);
NtBuffer *nt_network_param (NtNetwork *net, guint i);
NtBuffer *nt_network_param_grad (NtNetwork *net, guint i);
/* Fills dims[0..ndims-1] (unused dims set to 1) and returns ndims. */
int nt_network_param_shape (const NtNetwork *net, guint i, gint64 dims[4]);
/* Index of the parameter named `name`, or -1. */
int nt_network_find_param (const NtNetwork *net, const char *name);
/* Total number of parameter scalars. */
gsize nt_network_total_params (const NtNetwork *net);

NtBackend *nt_network_backend (const NtNetwork *net);
int nt_network_max_batch (const NtNetwork *net);
/* Per-sample input shape and size (C*H*W). */
NtShape nt_network_input_shape (const NtNetwork *net);
gsize nt_network_input_size (const NtNetwork *net);

/* Layers, in order (owned by the network). */
guint nt_network_n_layers (const NtNetwork *net);
const NtLayer *nt_network_layer (const NtNetwork *net, guint i);

/* One line per layer with its output shape and parameter count, plus a
 * total line (caller frees). */
char *nt_network_describe (const NtNetwork *net);

/* Gradient check of the mean softmax cross-entropy of the logits against
 * `labels` (n ints in [0, outputs)) on the n samples of x_host (host
 * memory, n*C*H*W). Compares backward's gradients, for every parameter
 * tensor and for the input, with finite differences on n_probe coordinates
 * per tensor (chosen by a fixed-seed draw; all coordinates when n_probe >=
 * size). Dropout is off.
 *
 * The logits are differenced numerically (central, step eps) and combined
 * with dL/dlogits computed in double, which is exact between kinks because
 * these layers are piecewise affine. When the curvature of the logits shows
 * that a ReLU or max-pool kink within the step (or float rounding) could
 * move the estimate by more than half the budget, the step is retried at
 * eps/4, eps/16, eps/64, then the coordinate is skipped; a tensor with no
 * coordinate left is an error. The error of one coordinate is
 *   |analytic - numeric| / max(|analytic|, |numeric|, floor)
 * with floor = 0.03 * the largest |analytic| of that tensor, so that tiny
 * entries are judged against their tensor's scale rather than against
 * float rounding.
 *
 * Stores the largest error in *max_rel_err (may be NULL) and fails with
 * NT_NETWORK_ERROR_GRADCHECK naming the tensor and coordinate when it
 * exceeds tol. Parameter values are restored; parameter gradients and the
 * network's input buffer are overwritten. G_MESSAGES_DEBUG=all logs every
 * probe. */
gboolean nt_network_gradcheck (NtNetwork *net, const float *x_host,
                               const int *labels, int n, int n_probe,
                               double eps, double tol, double *max_rel_err,
                               GError **error);

/* The same check in training mode: dropout layers draw their masks from
 * dropout_seed, the same for every evaluation, so the function checked is
 * the network with those masks fixed. */
gboolean nt_network_gradcheck_training (NtNetwork *net, const float *x_host,
                                        const int *labels, int n,
                                        int n_probe, double eps, double tol,
                                        guint64 dropout_seed,
                                        double *max_rel_err, GError **error);

G_END_DECLS
#endif
