/* nt-backend-cuda-private.h: the CUDA implementation module's internal
 * interface. Not installed; CUDA types never reach an installed header.
 *
 * The backend is a thin plugin, nt-backend-cuda.c (descriptor, class,
 * options; links no CUDA library, see nt-backend-cuda-impl.h), and an
 * implementation module loaded on demand, split in three files:
 *   nt-backend-cuda-impl.c     module entry, instance (device check,
 *                              stream, cuBLAS and cuDNN handles), memory,
 *                              staging, sticky errors, GEMM and the
 *                              element-wise ops; the probe is the plugin's
 *   nt-backend-cuda-conv.c     convolution through cuDNN (algorithm cache,
 *                              workspace, explicit asymmetric padding) and
 *                              max pooling through our own kernels
 *   nt-backend-cuda-kernels.cu the kernels and their launchers
 *
 * This header has two parts. The first, the C <-> CUDA interface, is also
 * read by nvcc: launchers with C linkage, plain C types and cudaStream_t.
 * Each launcher queues its kernel on `stream` and returns the launch status
 * (cudaGetLastError), cudaSuccess without launching anything when there is
 * no work. The second part (the instance and its helpers) is for the C files
 * only. */
#ifndef NT_BACKEND_CUDA_PRIVATE_H
#define NT_BACKEND_CUDA_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- part 1: kernel launchers (nt-backend-cuda-kernels.cu) ------------ */

/* p[0..n) = v */
cudaError_t _nt_cuda_k_fill (cudaStream_t stream, float *p, size_t n,
                             float v);
/* p[i] = beta == 0 ? 0 : beta * p[i] (GEMM with k == 0) */
cudaError_t _nt_cuda_k_scale (cudaStream_t stream, float *p, size_t n,
                              float beta);
/* y[(i*c + ch)*spatial + s] += b[ch], total = n * c * spatial */
cudaError_t _nt_cuda_k_bias_add (cudaStream_t stream, float *y,
                                 const float *b, size_t total, int c,
                                 int spatial);
/* db[ch] = sum over n and spatial of dy, summed in double in a fixed order */
cudaError_t _nt_cuda_k_bias_grad (cudaStream_t stream, const float *dy,
                                  int n, int c, int spatial, float *db);
cudaError_t _nt_cuda_k_relu_forward (cudaStream_t stream, const float *x,
                                     float *y, size_t n);
cudaError_t _nt_cuda_k_relu_backward (cudaStream_t stream, const float *y,
                                      const float *dy, float *dx, size_t n);
/* mask[i] = nt_dropout_keep (seed, i, rate) ? scale : 0; y = x * mask */
cudaError_t _nt_cuda_k_dropout_forward (cudaStream_t stream, const float *x,
                                        float *y, float *mask, size_t n,
                                        float rate, float scale,
                                        uint64_t seed);
cudaError_t _nt_cuda_k_dropout_backward (cudaStream_t stream,
                                         const float *dy, const float *mask,
                                         float *dx, size_t n);
/* One thread per row. Labels are already checked to lie in [0, classes).
 * row_loss (may be NULL): per-row loss in double. dlogits (may be NULL):
 * (softmax - onehot) / n. */
cudaError_t _nt_cuda_k_softmax_xent (cudaStream_t stream,
                                     const float *logits, const int *labels,
                                     int n, int classes, double *row_loss,
                                     float *dlogits);
/* out[r] = first index of the largest value of row r */
cudaError_t _nt_cuda_k_argmax (cudaStream_t stream, const float *x, int n,
                               int classes, int *out);
/* Adam with the bias corrections folded into lr_t (see nt-backend.h);
 * c1 = 1 - beta1, c2 = 1 - beta2 computed by the caller in float. */
cudaError_t _nt_cuda_k_adam (cudaStream_t stream, float *param,
                             const float *grad, float *m, float *v, size_t n,
                             float lr_t, float beta1, float beta2, float c1,
                             float c2, float eps);
cudaError_t _nt_cuda_k_sign (cudaStream_t stream, const float *x, float *y,
                             size_t n);
/* y = alpha * x + beta * y; beta == 0 does not read y */
cudaError_t _nt_cuda_k_scale_add (cudaStream_t stream, float *y, float alpha,
                                  const float *x, float beta, size_t n);
cudaError_t _nt_cuda_k_clip (cudaStream_t stream, float *x, float lo,
                             float hi, size_t n);
/* out[r][j] = clip(x[r][j] + eps[r] * dir[r][j], lo, hi); eps on the
 * device */
cudaError_t _nt_cuda_k_perturb (cudaStream_t stream, const float *x,
                                const float *dir, const float *eps, int rows,
                                int cols, float lo, float hi, float *out);
/* xp [planes x hp x wp] = x [planes x h x w] placed at (top, left), zeros
 * around it. */
cudaError_t _nt_cuda_k_pad (cudaStream_t stream, const float *x,
                            size_t planes, int h, int w, int top, int left,
                            int hp, int wp, float *xp);
/* x [planes x h x w] = the window of xp [planes x hp x wp] at (top, left) */
cudaError_t _nt_cuda_k_crop (cudaStream_t stream, const float *xp,
                             size_t planes, int h, int w, int top, int left,
                             int hp, int wp, float *x);
/* Max pooling without padding, `planes` = n * c planes of h x w. Forward:
 * one thread per output, the first maximum of its window (rows, then
 * columns). Backward: one thread per input element, which adds the dy of
 * every window (in row, then column order) whose first maximum it is; no
 * atomics, so results are deterministic and sum in the CPU's order. */
cudaError_t _nt_cuda_k_maxpool_forward (cudaStream_t stream, const float *x,
                                        size_t planes, int h, int w, int kh,
                                        int kw, int sh, int sw, int oh,
                                        int ow, float *y);
cudaError_t _nt_cuda_k_maxpool_backward (cudaStream_t stream,
                                         const float *x, const float *dy,
                                         size_t planes, int h, int w, int kh,
                                         int kw, int sh, int sw, int oh,
                                         int ow, float *dx);

#ifdef __cplusplus
}
#endif

/* ---- part 2: the instance (C files only) ------------------------------ */
#ifndef __CUDACC__

#include <glib.h>
#include <cublas_v2.h>
#include <cudnn.h>
#include "nt-backend.h"
#include "nt-backend-util.h"   /* NtBuffer (data in device memory) */

G_BEGIN_DECLS

/* A device scratch array owned by the instance, grown on demand and reused
 * (stream order makes reuse between operations safe). */
typedef struct {
  void *data;
  gsize bytes;
} NtCudaScratch;

typedef struct {
  NtBackend parent;           /* must stay first */
  int device;                 /* CUDA device index */
  GError *error;              /* first failure (sticky), or NULL */
  cudaStream_t stream;        /* every operation of the instance runs here */
  cublasHandle_t cublas;      /* bound to `stream` */
  cudnnHandle_t cudnn;        /* bound to `stream` */
  /* Pinned host staging for host arrays (uploads, labels, eps, losses,
   * argmax results). stage_done is recorded after the last copy that reads
   * the staging area; the host waits for it before writing there again. */
  void *stage;
  gsize stage_bytes;
  cudaEvent_t stage_done;
  NtCudaScratch aux;          /* labels, eps, row losses, argmax results */
  NtCudaScratch pad;          /* zero-padded input / its gradient; also
                               * the temporary of an overlapping copy */
  NtCudaScratch workspace;    /* cuDNN workspace */
  /* cuDNN descriptors, re-set for every call. */
  cudnnTensorDescriptor_t x_desc, y_desc;
  cudnnFilterDescriptor_t w_desc;
  cudnnConvolutionDescriptor_t conv_desc;
  GHashTable *algos;          /* shape key (string) -> NtCudaAlgo */
} NtCudaBackend;

#define NT_CUDA(be) ((NtCudaBackend *) (be))

/* The sticky error and argument checks of nt-backend-util.h (the CPU
 * backend's rules and words) on the instance's error. */
#define _nt_cuda_fail(cu, ...) \
  _nt_backend_fail (&(cu)->error, "cuda", __VA_ARGS__)
#define _nt_cuda_check_buf(cu, ...) \
  _nt_backend_check_buf (&(cu)->error, "cuda", __VA_ARGS__)
#define _nt_cuda_check_dims(cu, ...) \
  _nt_backend_check_dims (&(cu)->error, "cuda", __VA_ARGS__)

/* Each returns TRUE on success; otherwise records a DEVICE failure (OUT_OF
 * MEMORY for allocation failures) naming `what` (the call) and the
 * library's own error name and text. */
gboolean _nt_cuda_check (NtCudaBackend *cu, cudaError_t rc, const char *what);
gboolean _nt_cublas_check (NtCudaBackend *cu, cublasStatus_t rc,
                           const char *what);
gboolean _nt_cudnn_check (NtCudaBackend *cu, cudnnStatus_t rc,
                          const char *what);

/* Shorthands that name the call by its source text. */
#define NT_CUDA_TRY(cu, call) _nt_cuda_check ((cu), (call), #call)
#define NT_CUBLAS_TRY(cu, call) _nt_cublas_check ((cu), (call), #call)
#define NT_CUDNN_TRY(cu, call) _nt_cudnn_check ((cu), (call), #call)

/* Makes the instance's device current for the calling thread (the current
 * device is per host thread); FALSE after recording the failure. */
gboolean _nt_cuda_enter (NtCudaBackend *cu);

/* The scratch array grown to at least `bytes` (> 0: no caller asks for
 * none), or NULL after recording the failure. Growing waits for the stream
 * first, since queued work may still use the old memory. */
void *_nt_cuda_scratch (NtCudaBackend *cu, NtCudaScratch *s, gsize bytes);
/* Frees a scratch array (the stream must be idle). */
void _nt_cuda_scratch_free (NtCudaScratch *s);

/* Operations of nt-backend-cuda-conv.c (see NtBackendOps for contracts). */
void _nt_cuda_conv2d_forward (NtBackend *be, const NtBuffer *x, NtDims xd,
                              const NtBuffer *w, int out_c,
                              const NtWindow *win, NtBuffer *y);
void _nt_cuda_conv2d_backward_data (NtBackend *be, const NtBuffer *dy,
                                    const NtBuffer *w, NtDims xd, int out_c,
                                    const NtWindow *win, NtBuffer *dx);
void _nt_cuda_conv2d_backward_filter (NtBackend *be, const NtBuffer *x,
                                      const NtBuffer *dy, NtDims xd,
                                      int out_c, const NtWindow *win,
                                      NtBuffer *dw);
void _nt_cuda_maxpool_forward (NtBackend *be, const NtBuffer *x, NtDims xd,
                               const NtWindow *win, NtBuffer *y);
void _nt_cuda_maxpool_backward (NtBackend *be, const NtBuffer *x,
                                const NtBuffer *dy, NtDims xd,
                                const NtWindow *win, NtBuffer *dx);

/* Creates / destroys the cuDNN descriptors and the algorithm cache of an
 * instance (nt-backend-cuda-conv.c). Init returns FALSE after recording
 * the failure in cu->error, like every other step of create. */
gboolean _nt_cuda_conv_init (NtCudaBackend *cu);
void _nt_cuda_conv_clear (NtCudaBackend *cu);

G_END_DECLS

#endif /* !__CUDACC__ */
#endif
