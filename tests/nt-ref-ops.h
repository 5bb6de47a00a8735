/* nt-ref-ops.h: naive host reference implementations of every NtBackendOps
 * operation, written straight from the definitions in nt-backend.h (direct
 * loops, double accumulation, no im2col, no BLAS). They are the independent
 * truth the backend tests compare against (CPU now, CUDA parity later).
 *
 * All arrays are plain host float arrays with the shapes of the matching
 * backend operation; outputs are overwritten unless stated. */
#ifndef NT_REF_OPS_H
#define NT_REF_OPS_H

#include <glib.h>
#include "nt-backend.h"

G_BEGIN_DECLS

/* C[m x n] = alpha * op(A) * op(B) + beta * C (row-major); beta == 0 does
 * not read C. */
void nt_ref_gemm (gboolean trans_a, gboolean trans_b, int m, int n, int k,
                  float alpha, const float *a, const float *b, float beta,
                  float *c);

/* Cross-correlation with per-side zero padding; w is out_c x C x kh x kw,
 * y is N x out_c x out_h x out_w. */
void nt_ref_conv2d_forward (const float *x, NtDims xd, const float *w,
                            int out_c, const NtWindow *win, float *y);
/* dx = gradient of sum(y * dy) with respect to x. */
void nt_ref_conv2d_backward_data (const float *dy, const float *w, NtDims xd,
                                  int out_c, const NtWindow *win, float *dx);
/* dw = gradient of sum(y * dy) with respect to w. */
void nt_ref_conv2d_backward_filter (const float *x, const float *dy,
                                    NtDims xd, int out_c, const NtWindow *win,
                                    float *dw);

/* Max pooling without padding; backward gives each dy to the first maximum
 * of its window (rows, then columns), accumulating. */
void nt_ref_maxpool_forward (const float *x, NtDims xd, const NtWindow *win,
                             float *y);
void nt_ref_maxpool_backward (const float *x, const float *dy, NtDims xd,
                              const NtWindow *win, float *dx);

/* y[n][c][s] += b[c] in place; db[c] = sum over n and s of dy. */
void nt_ref_bias_add (float *y, const float *b, int n, int c, int spatial);
void nt_ref_bias_grad (const float *dy, int n, int c, int spatial,
                       float *db);

void nt_ref_relu_forward (const float *x, float *y, gsize count);
void nt_ref_relu_backward (const float *y, const float *dy, float *dx,
                           gsize count);

/* Inverted dropout with the shared counter-based mask. */
void nt_ref_dropout_forward (const float *x, float *y, float *mask,
                             gsize count, float rate, guint64 seed);
void nt_ref_dropout_backward (const float *dy, const float *mask, float *dx,
                              gsize count);

/* Mean softmax cross-entropy (returned through *loss_out) and, when dlogits
 * is not NULL, (softmax - onehot) / n. Returns FALSE, writing nothing, when
 * a label is outside [0, classes). */
gboolean nt_ref_softmax_xent (const float *logits, const int *labels, int n,
                              int classes, double *loss_out, float *dlogits);
/* Index of each row's largest value, first on ties. */
void nt_ref_argmax (const float *x, int n, int classes, int *out);

/* One Keras/TF-form Adam step (1-based step), in double. */
void nt_ref_adam_update (float *param, const float *grad, float *m, float *v,
                         gsize count, float lr, float beta1, float beta2,
                         float eps, int step);

void nt_ref_sign (const float *x, float *y, gsize count);
/* y = alpha * x + beta * y; beta == 0 does not read y. */
void nt_ref_scale_add (float *y, float alpha, const float *x, float beta,
                       gsize count);
void nt_ref_clip (float *x, float lo, float hi, gsize count);
void nt_ref_perturb (const float *x, const float *dir, const float *eps,
                     int rows, int cols, float lo, float hi, float *out);

G_END_DECLS
#endif
