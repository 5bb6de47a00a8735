/* nt-backend.h: the compute backend boundary.
 *
 * A backend is a plugin feature of kind NT_KIND_BACKEND whose class answers a
 * probe ("is a device usable here, and if not, why") and creates instances.
 * An instance (NtBackend) carries a table of layer-level operations in the
 * spirit of cuDNN, so each backend can use its best library. Memory lives in
 * opaque NtBuffer handles owned by the backend that allocated them.
 *
 * Conventions for every operation:
 *  - float32 tensors, row-major, images in NCHW order; a 1-D signal is an
 *    image of height 1.
 *  - operations may run asynchronously and return nothing; the first failure
 *    is kept by the instance and reported by sync() (like CUDA's sticky
 *    errors). download() is a sync point and reports it too.
 *  - an output buffer never aliases an input unless the op says so.
 *  - counts are element counts, not bytes.
 * Host arrays (labels, per-row epsilons, argmax results) are plain C memory. */
#ifndef NT_BACKEND_H
#define NT_BACKEND_H

#include <glib.h>
#include "nt-registry.h"

G_BEGIN_DECLS

/* Version of NtBackendOps; a backend built against another value is refused
 * when an instance is created. */
#define NT_BACKEND_API_VERSION 3

#define NT_BACKEND_ERROR (nt_backend_error_quark ())
GQuark nt_backend_error_quark (void);

typedef enum {
  NT_BACKEND_ERROR_UNAVAILABLE,  /* probe says no usable device */
  NT_BACKEND_ERROR_API,          /* ops table of another API version */
  NT_BACKEND_ERROR_OUT_OF_MEMORY,
  NT_BACKEND_ERROR_DEVICE,       /* a library or driver call failed */
  NT_BACKEND_ERROR_INVALID       /* bad arguments (shapes, sizes) */
} NtBackendError;

typedef struct _NtBackend NtBackend;
typedef struct _NtBuffer NtBuffer;   /* defined privately by each backend */
typedef struct _NtBackendOps NtBackendOps;

/* Shape of a batch of images, NCHW. */
typedef struct {
  int n, c, h, w;
} NtDims;

/* Geometry of a 2-D convolution or pooling window. Padding is per side
 * because "same" padding with an even kernel is asymmetric. */
typedef struct {
  int kh, kw;
  int stride_h, stride_w;
  int pad_top, pad_bottom, pad_left, pad_right;
} NtWindow;

/* Output height/width of a window applied to `in` (NCHW). */
static inline int
nt_window_out_h (const NtWindow *win, int in_h)
{
  return (in_h + win->pad_top + win->pad_bottom - win->kh) / win->stride_h + 1;
}
static inline int
nt_window_out_w (const NtWindow *win, int in_w)
{
  return (in_w + win->pad_left + win->pad_right - win->kw) / win->stride_w + 1;
}

struct _NtBackendOps {
  guint api_version;                 /* NT_BACKEND_API_VERSION */

  void (*destroy) (NtBackend *be);
  /* TRUE if no operation has failed so far; otherwise the first failure. */
  gboolean (*sync) (NtBackend *be, GError **error);

  /* Memory. alloc returns NULL with error on failure; contents undefined. */
  NtBuffer *(*alloc) (NtBackend *be, gsize count, GError **error);
  void (*free) (NtBackend *be, NtBuffer *buf);
  void (*upload) (NtBackend *be, NtBuffer *dst, gsize offset,
                  const float *src, gsize count);
  gboolean (*download) (NtBackend *be, const NtBuffer *src, gsize offset,
                        float *dst, gsize count, GError **error);
  void (*fill) (NtBackend *be, NtBuffer *buf, gsize offset, gsize count,
                float value);
  /* dst[dst_off..] = src[src_off..], count elements; may be the same buffer
   * if the ranges do not overlap. */
  void (*copy) (NtBackend *be, NtBuffer *dst, gsize dst_off,
                const NtBuffer *src, gsize src_off, gsize count);

  /* C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C, all dense
   * row-major; op(X) is X or its transpose. */
  void (*gemm) (NtBackend *be, gboolean trans_a, gboolean trans_b,
                int m, int n, int k, float alpha, const NtBuffer *a,
                const NtBuffer *b, float beta, NtBuffer *c);

  /* Convolution (cross-correlation, as in Keras/cuDNN). x: xd; w: out_c x
   * xd.c x kh x kw; y: xd.n x out_c x out_h x out_w. Outputs overwritten. */
  void (*conv2d_forward) (NtBackend *be, const NtBuffer *x, NtDims xd,
                          const NtBuffer *w, int out_c, const NtWindow *win,
                          NtBuffer *y);
  void (*conv2d_backward_data) (NtBackend *be, const NtBuffer *dy,
                                const NtBuffer *w, NtDims xd, int out_c,
                                const NtWindow *win, NtBuffer *dx);
  void (*conv2d_backward_filter) (NtBackend *be, const NtBuffer *x,
                                  const NtBuffer *dy, NtDims xd, int out_c,
                                  const NtWindow *win, NtBuffer *dw);

  /* Max pooling (no padding). Backward routes each dy to the first maximum
   * of its window (scanning rows then columns); dx is overwritten and
   * accumulates where windows overlap. */
  void (*maxpool_forward) (NtBackend *be, const NtBuffer *x, NtDims xd,
                           const NtWindow *win, NtBuffer *y);
  void (*maxpool_backward) (NtBackend *be, const NtBuffer *x,
                            const NtBuffer *dy, NtDims xd,
                            const NtWindow *win, NtBuffer *dx);

  /* y[n][c][s] += b[c] (in place) for n x c x spatial; db[c] = sum of dy
   * over n and spatial (overwritten). Dense layers use spatial = 1. */
  void (*bias_add) (NtBackend *be, NtBuffer *y, const NtBuffer *b, int n,
                    int c, int spatial);
  void (*bias_grad) (NtBackend *be, const NtBuffer *dy, int n, int c,
                     int spatial, NtBuffer *db);

  /* y = max(x, 0) (x == y allowed); dx = dy where y > 0, else 0 (dx == dy
   * allowed). */
  void (*relu_forward) (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                        gsize count);
  void (*relu_backward) (NtBackend *be, const NtBuffer *y,
                         const NtBuffer *dy, NtBuffer *dx, gsize count);

  /* Inverted dropout. Element i is kept when
   * nt_dropout_keep(seed, i, rate) (nt-dropout-private.h: a counter-based
   * hash, so every backend draws the same mask); mask[i] = 1/(1-rate) when
   * kept, else 0; y = x * mask (x == y allowed). dx = dy * mask. */
  void (*dropout_forward) (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                           NtBuffer *mask, gsize count, float rate,
                           guint64 seed);
  void (*dropout_backward) (NtBackend *be, const NtBuffer *dy,
                            const NtBuffer *mask, NtBuffer *dx, gsize count);

  /* Softmax cross-entropy on logits (n x classes) with integer labels
   * (host array). *loss_out (host) gets the mean loss over the n rows; when
   * dlogits is not NULL it gets (softmax - onehot) / n. Labels outside
   * [0, classes) are an error reported by sync(). */
  void (*softmax_xent) (NtBackend *be, const NtBuffer *logits,
                        const int *labels, int n, int classes,
                        float *loss_out, NtBuffer *dlogits);
  /* out[i] = index of the largest of row i (first on ties), host array. */
  void (*argmax) (NtBackend *be, const NtBuffer *x, int n, int classes,
                  int *out);

  /* Adam step t (1-based), the Keras/TF form:
   *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
   *   p -= lr * sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps). */
  void (*adam_update) (NtBackend *be, NtBuffer *param, const NtBuffer *grad,
                       NtBuffer *m, NtBuffer *v, gsize count, float lr,
                       float beta1, float beta2, float eps, int step);

  /* Element-wise helpers for attacks. sign: y = -1, 0 or 1 (x == y allowed).
   * scale_add: y = alpha * x + beta * y. clip: x = min(max(x, lo), hi) in
   * place. perturb: out[r][j] = clip(x[r][j] + eps[r] * dir[r][j], lo, hi)
   * for rows x cols, with eps a host array of `rows` values. */
  void (*sign) (NtBackend *be, const NtBuffer *x, NtBuffer *y, gsize count);
  void (*scale_add) (NtBackend *be, NtBuffer *y, float alpha,
                     const NtBuffer *x, float beta, gsize count);
  void (*clip) (NtBackend *be, NtBuffer *x, float lo, float hi, gsize count);
  void (*perturb) (NtBackend *be, const NtBuffer *x, const NtBuffer *dir,
                   const float *eps, int rows, int cols, float lo, float hi,
                   NtBuffer *out);

  /* Optional fused convolutions (API 2): NULL when a backend does not
   * provide them, and the core then calls the separate ops above. They save
   * whole passes over the activations, which cost as much as the GEMMs on a
   * CPU.
   * conv2d_forward_bias: y = act(conv(x, w) + b[k]), act = ReLU when `relu`,
   * else the identity.
   * conv2d_backward_bias: the backward of that: g = relu ? dy * (y > 0) : dy
   * (y is the forward's output, dy is only read); db = sum of g over images
   * and positions; dw = filter gradient of g; dx = data gradient of g.
   * Outputs overwritten; any of dw, db, dx may be NULL: skipped (API 3:
   * attacks need dx alone). */
  void (*conv2d_forward_bias) (NtBackend *be, const NtBuffer *x, NtDims xd,
                               const NtBuffer *w, const NtBuffer *b,
                               int out_c, const NtWindow *win, gboolean relu,
                               NtBuffer *y);
  void (*conv2d_backward_bias) (NtBackend *be, const NtBuffer *x,
                                const NtBuffer *y, const NtBuffer *dy,
                                const NtBuffer *w, NtDims xd, int out_c,
                                const NtWindow *win, gboolean relu,
                                NtBuffer *dw, NtBuffer *db, NtBuffer *dx);
};

/* Every backend instance starts with this header; the backend allocates a
 * larger struct with its private state after it. */
struct _NtBackend {
  const NtBackendOps *ops;
  const struct _NtBackendClass *klass;
  /* Owned by the core, left alone by backends (nt_backend_open clears
   * them, nt_backend_free frees them): the two gradient ping-pong buffers
   * that every network on this instance shares (nt-network.c), each of
   * grad_count floats. */
  NtBuffer *grad_buf[2];
  gsize grad_count;
};

/* The class of a backend feature. probe: TRUE when usable here; otherwise
 * FALSE and *reason_out (caller frees) says why. create: a new instance from
 * parsed options. */
typedef struct _NtBackendClass {
  NtFeature feature;
  gboolean (*probe) (char **reason_out);
  NtBackend *(*create) (const NtOptions *opts, GError **error);
} NtBackendClass;

/* Opens a backend from a selection ("cpu", "cpu:threads=2", "cuda", or
 * "auto": cuda when its probe succeeds, else cpu). Fails with the probe's
 * reason when the named backend is unavailable. Free with nt_backend_free. */
NtBackend *nt_backend_open (NtRegistry *registry, const char *selection,
                            GError **error);
void nt_backend_free (NtBackend *be);

/* The backend's feature name ("cpu", "cuda"). */
const char *nt_backend_name (const NtBackend *be);

G_END_DECLS
#endif
