/* nt-backend-cuda-impl.c: the CUDA implementation module of the "cuda"
 * compute backend (loaded on demand by the thin plugin nt-backend-cuda.c,
 * see nt-backend-cuda-impl.h): its entry point, device check,
 * instance life cycle, memory, host staging, sticky errors, GEMM through
 * cuBLAS and the element-wise operations (kernels in
 * nt-backend-cuda-kernels.cu).
 *
 * Concurrency. Each instance owns one non-blocking CUDA stream and one
 * cuBLAS and one cuDNN handle bound to it; every operation of the instance
 * is queued on that stream and nothing ever uses the legacy default stream,
 * so instances driven from different host threads (one model per thread)
 * run side by side. An instance itself is used by one thread at a time.
 *
 * Asynchrony and errors. Operations queue work and return; argument errors
 * and failed library calls are recorded as the instance's first failure
 * (sticky, like CUDA's own), and sync() / download() wait for the stream and
 * report it. Operations that hand results to host memory (download, the
 * loss of softmax_xent, argmax) wait for the stream themselves.
 *
 * Host arrays. Host data going to the device (uploads, labels, eps) is
 * copied into a pinned staging area owned by the instance and sent from
 * there with cudaMemcpyAsync, so the caller may reuse its array as soon as
 * the operation returns; an event recorded after each such copy tells the
 * next writer of the staging area when it is free again. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <gmodule.h>  /* G_MODULE_EXPORT */

#include "nt-backend.h"
#include "nt-backend-cuda-impl.h"
#include "nt-backend-cuda-private.h"

/* Uploads larger than this go through the staging area in chunks. */
#define NT_CUDA_STAGE_CHUNK ((gsize) 4 << 20)
/* Smallest staging area allocated. */
#define NT_CUDA_STAGE_MIN ((gsize) 64 << 10)

/* ---- sticky errors and argument checks -------------------------------- */

gboolean
_nt_cuda_check (NtCudaBackend *cu, cudaError_t rc, const char *what)
{
  if (rc == cudaSuccess)
    return TRUE;
  /* Clear the runtime's per-thread "last error" so that a later launch
   * check (cudaGetLastError) does not report this failure again. Sticky
   * context errors stay, and every later call reports them. */
  (void) cudaGetLastError ();
  _nt_cuda_fail (cu, rc == cudaErrorMemoryAllocation
                     ? NT_BACKEND_ERROR_OUT_OF_MEMORY
                     : NT_BACKEND_ERROR_DEVICE,
                 "%s failed: %s (%s)", what, cudaGetErrorName (rc),
                 cudaGetErrorString (rc));
  return FALSE;
}

gboolean
_nt_cublas_check (NtCudaBackend *cu, cublasStatus_t rc, const char *what)
{
  if (rc == CUBLAS_STATUS_SUCCESS)
    return TRUE;
  _nt_cuda_fail (cu, rc == CUBLAS_STATUS_ALLOC_FAILED
                     ? NT_BACKEND_ERROR_OUT_OF_MEMORY
                     : NT_BACKEND_ERROR_DEVICE,
                 "%s failed: %s (%s)", what, cublasGetStatusName (rc),
                 cublasGetStatusString (rc));
  return FALSE;
}

gboolean
_nt_cudnn_check (NtCudaBackend *cu, cudnnStatus_t rc, const char *what)
{
  char detail[512];

  if (rc == CUDNN_STATUS_SUCCESS)
    return TRUE;
  /* cuDNN 9 keeps a more precise message of the last failure. */
  detail[0] = '\0';
  cudnnGetLastErrorString (detail, sizeof detail);
  detail[sizeof detail - 1] = '\0';
  _nt_cuda_fail (cu, rc == CUDNN_STATUS_ALLOC_FAILED
                     ? NT_BACKEND_ERROR_OUT_OF_MEMORY
                     : NT_BACKEND_ERROR_DEVICE,
                 "%s failed: %s%s%s", what, cudnnGetErrorString (rc),
                 detail[0] ? ": " : "", detail);
  return FALSE;
}

gboolean
_nt_cuda_enter (NtCudaBackend *cu)
{
  /* cudaSetDevice is a cheap per-thread setting once the device's primary
   * context exists (the instance created it). */
  return NT_CUDA_TRY (cu, cudaSetDevice (cu->device));
}

/* ---- scratch and staging ---------------------------------------------- */

void *
_nt_cuda_scratch (NtCudaBackend *cu, NtCudaScratch *s, gsize bytes)
{
  void *data = NULL;

  if (bytes <= s->bytes)
    return s->data;
  /* Queued work may still read or write the old array. */
  if (!NT_CUDA_TRY (cu, cudaStreamSynchronize (cu->stream)))
    return NULL;
  /* A quarter more than asked, so that slightly larger shapes do not
   * reallocate. */
  if (bytes < G_MAXSIZE / 2)
    bytes += bytes / 4;
  if (!NT_CUDA_TRY (cu, cudaMalloc (&data, bytes)))
    return NULL;
  if (s->data != NULL)
    (void) NT_CUDA_TRY (cu, cudaFree (s->data));
  s->data = data;
  s->bytes = bytes;
  return data;
}

void
_nt_cuda_scratch_free (NtCudaScratch *s)
{
  g_clear_pointer (&s->data, cudaFree);
  s->bytes = 0;
}

/* The pinned staging area, at least `bytes` large, once every earlier copy
 * from it has completed; NULL after recording a failure. The caller writes
 * its data, queues the copy and calls nt_cuda_staged(). */
static void *
nt_cuda_stage (NtCudaBackend *cu, gsize bytes)
{
  void *p = NULL;

  if (!NT_CUDA_TRY (cu, cudaEventSynchronize (cu->stage_done)))
    return NULL;
  if (bytes <= cu->stage_bytes && cu->stage != NULL)
    return cu->stage;
  bytes = MAX (bytes, NT_CUDA_STAGE_MIN);
  if (!NT_CUDA_TRY (cu, cudaMallocHost (&p, bytes)))
    return NULL;
  if (cu->stage != NULL)
    (void) NT_CUDA_TRY (cu, cudaFreeHost (cu->stage));
  cu->stage = p;
  cu->stage_bytes = bytes;
  return p;
}

/* Marks the end of the copies queued from the staging area. */
static gboolean
nt_cuda_staged (NtCudaBackend *cu)
{
  return NT_CUDA_TRY (cu, cudaEventRecord (cu->stage_done, cu->stream));
}

/* Sends `bytes` of host data to device memory `dst` through the staging
 * area (in chunks); the host array may be reused on return. */
static gboolean
nt_cuda_send (NtCudaBackend *cu, void *dst, const void *src, gsize bytes)
{
  while (bytes > 0)
    {
      gsize chunk = MIN (bytes, NT_CUDA_STAGE_CHUNK);
      void *stage = nt_cuda_stage (cu, chunk);

      if (stage == NULL)
        return FALSE;
      memcpy (stage, src, chunk);
      if (!NT_CUDA_TRY (cu, cudaMemcpyAsync (dst, stage, chunk,
                                             cudaMemcpyHostToDevice,
                                             cu->stream))
          || !nt_cuda_staged (cu))
        return FALSE;
      dst = (char *) dst + chunk;
      src = (const char *) src + chunk;
      bytes -= chunk;
    }
  return TRUE;
}

/* Byte size of `n` (an int row count, >= 0) elements of `size` bytes
 * rounded up to 16. With an element of a few bytes it cannot overflow a
 * 64-bit size (CUDA has no 32-bit hosts). */
G_STATIC_ASSERT (sizeof (gsize) >= 8);
static gsize
nt_cuda_bytes (int n, gsize size)
{
  return ((gsize) n * size + 15) & ~(gsize) 15;
}

/* ---- memory ----------------------------------------------------------- */

static NtBuffer *
nt_cuda_alloc (NtBackend *be, gsize count, GError **error)
{
  NtCudaBackend *cu = NT_CUDA (be);
  NtBuffer *buf;
  cudaError_t rc;

  buf = g_try_new0 (NtBuffer, 1);
  if (buf == NULL)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_OUT_OF_MEMORY,
                   "cuda backend: out of memory allocating a buffer header");
      return NULL;
    }
  buf->count = count;
  if (count == 0)
    return buf;
  if (count > G_MAXSIZE / sizeof (float))
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_OUT_OF_MEMORY,
                   "cuda backend: a buffer of %" G_GSIZE_FORMAT " floats is "
                   "too large", count);
      g_free (buf);
      return NULL;
    }
  rc = cudaSetDevice (cu->device);
  if (rc == cudaSuccess)
    rc = cudaMalloc ((void **) &buf->data, count * sizeof (float));
  if (rc != cudaSuccess)
    {
      (void) cudaGetLastError ();  /* not a sticky error: clear it */
      g_set_error (error, NT_BACKEND_ERROR,
                   rc == cudaErrorMemoryAllocation
                   ? NT_BACKEND_ERROR_OUT_OF_MEMORY : NT_BACKEND_ERROR_DEVICE,
                   "cuda backend: cannot allocate a buffer of %"
                   G_GSIZE_FORMAT " floats (%.1f MiB) on device %d: %s (%s); "
                   "free GPU memory or use a smaller batch", count,
                   (double) count * sizeof (float) / (1024.0 * 1024.0),
                   cu->device, cudaGetErrorName (rc), cudaGetErrorString (rc));
      g_free (buf);
      return NULL;
    }
  return buf;
}

static void
nt_cuda_free (NtBackend *be, NtBuffer *buf)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (buf == NULL)
    return;
  if (buf->data != NULL && _nt_cuda_enter (cu))
    {
      /* Work queued on the stream may still use the buffer. */
      (void) NT_CUDA_TRY (cu, cudaStreamSynchronize (cu->stream));
      (void) NT_CUDA_TRY (cu, cudaFree (buf->data));
    }
  g_free (buf);
}

static void
nt_cuda_upload (NtBackend *be, NtBuffer *dst, gsize offset, const float *src,
                gsize count)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (!_nt_cuda_check_buf (cu, "upload", "dst", dst, offset, count))
    return;
  if (count > 0 && src == NULL)
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID, "upload: source is NULL");
      return;
    }
  if (count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) nt_cuda_send (cu, dst->data + offset, src, count * sizeof (float));
}

static gboolean
nt_cuda_download (NtBackend *be, const NtBuffer *src, gsize offset,
                  float *dst, gsize count, GError **error)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (cu->error != NULL)
    {
      g_propagate_error (error, g_error_copy (cu->error));
      return FALSE;
    }
  if (src == NULL || offset > src->count || count > src->count - offset
      || (count > 0 && dst == NULL))
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_INVALID,
                   "cuda backend: download of %" G_GSIZE_FORMAT " elements "
                   "from offset %" G_GSIZE_FORMAT " is outside the buffer (%"
                   G_GSIZE_FORMAT " elements)", count, offset,
                   src != NULL ? src->count : 0);
      return FALSE;
    }
  /* Also a sync point when there is nothing to copy. The copy into
   * pageable memory is complete once the stream is. */
  if (_nt_cuda_enter (cu)
      && (count == 0
          || NT_CUDA_TRY (cu, cudaMemcpyAsync (dst, src->data + offset,
                                               count * sizeof (float),
                                               cudaMemcpyDeviceToHost,
                                               cu->stream))))
    (void) NT_CUDA_TRY (cu, cudaStreamSynchronize (cu->stream));
  if (cu->error != NULL)
    {
      g_propagate_error (error, g_error_copy (cu->error));
      return FALSE;
    }
  return TRUE;
}

static void
nt_cuda_fill (NtBackend *be, NtBuffer *buf, gsize offset, gsize count,
              float value)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (!_nt_cuda_check_buf (cu, "fill", "buf", buf, offset, count)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_fill (cu->stream, buf->data + offset,
                                              count, value),
                         "fill kernel launch");
}

static void
nt_cuda_copy (NtBackend *be, NtBuffer *dst, gsize dst_off,
              const NtBuffer *src, gsize src_off, gsize count)
{
  NtCudaBackend *cu = NT_CUDA (be);
  gsize bytes = count * sizeof (float);

  if (!_nt_cuda_check_buf (cu, "copy", "dst", dst, dst_off, count)
      || !_nt_cuda_check_buf (cu, "copy", "src", src, src_off, count)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  if (dst == src && dst_off < src_off + count && src_off < dst_off + count)
    {
      /* Overlapping ranges are outside the contract; go through scratch
       * memory so that they still behave like memmove. The padding
       * scratch: only convolutions use it otherwise, and stream order puts
       * their work before or after both copies. */
      void *tmp = _nt_cuda_scratch (cu, &cu->pad, bytes);

      if (tmp == NULL
          || !NT_CUDA_TRY (cu, cudaMemcpyAsync (tmp, src->data + src_off,
                                                bytes,
                                                cudaMemcpyDeviceToDevice,
                                                cu->stream)))
        return;
      (void) NT_CUDA_TRY (cu, cudaMemcpyAsync (dst->data + dst_off, tmp,
                                               bytes,
                                               cudaMemcpyDeviceToDevice,
                                               cu->stream));
      return;
    }
  (void) NT_CUDA_TRY (cu, cudaMemcpyAsync (dst->data + dst_off,
                                           src->data + src_off, bytes,
                                           cudaMemcpyDeviceToDevice,
                                           cu->stream));
}

/* ---- GEMM ------------------------------------------------------------- */

static void
nt_cuda_gemm (NtBackend *be, gboolean trans_a, gboolean trans_b, int m,
              int n, int k, float alpha, const NtBuffer *a,
              const NtBuffer *b, float beta, NtBuffer *c)
{
  NtCudaBackend *cu = NT_CUDA (be);
  gsize mn;

  if (m < 0 || n < 0 || k < 0)
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                     "gemm: negative size m=%d n=%d k=%d", m, n, k);
      return;
    }
  mn = (gsize) m * (gsize) n;
  if (!_nt_cuda_check_buf (cu, "gemm", "a", a, 0, (gsize) m * (gsize) k)
      || !_nt_cuda_check_buf (cu, "gemm", "b", b, 0, (gsize) k * (gsize) n)
      || !_nt_cuda_check_buf (cu, "gemm", "c", c, 0, mn))
    return;
  if (mn == 0 || !_nt_cuda_enter (cu))
    return;
  if (k == 0)
    {
      /* C = beta * C; do not rely on BLAS for k == 0. */
      (void) _nt_cuda_check (cu, _nt_cuda_k_scale (cu->stream, c->data, mn,
                                                   beta),
                             "gemm (k = 0) scale kernel launch");
      return;
    }
  /* cuBLAS is column-major. A row-major R x C matrix is the column-major
   * C x R matrix of its transpose, so the row-major C = op(A) op(B) is the
   * column-major C^T = op(B)^T op(A)^T: swap the operands (and m, n), keep
   * each operand's own transpose flag and leading dimension (its row
   * length: n or k for B, k or m for A). */
  (void) NT_CUBLAS_TRY (cu, cublasSgemm (cu->cublas,
                                         trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                         trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                                         n, m, k, &alpha, b->data,
                                         MAX (trans_b ? k : n, 1), a->data,
                                         MAX (trans_a ? m : k, 1), &beta,
                                         c->data, MAX (n, 1)));
}

/* ---- bias, ReLU, dropout ---------------------------------------------- */

#define nt_count3(cu, ...) \
  _nt_backend_count3 (&(cu)->error, "cuda", __VA_ARGS__)

static void
nt_cuda_bias_add (NtBackend *be, NtBuffer *y, const NtBuffer *b, int n,
                  int c, int spatial)
{
  NtCudaBackend *cu = NT_CUDA (be);
  gsize count;

  if (!nt_count3 (cu, "bias_add", n, c, spatial, &count)
      || !_nt_cuda_check_buf (cu, "bias_add", "y", y, 0, count)
      || !_nt_cuda_check_buf (cu, "bias_add", "b", b, 0, (gsize) c)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_bias_add (cu->stream, y->data,
                                                  b->data, count, c, spatial),
                         "bias_add kernel launch");
}

static void
nt_cuda_bias_grad (NtBackend *be, const NtBuffer *dy, int n, int c,
                   int spatial, NtBuffer *db)
{
  NtCudaBackend *cu = NT_CUDA (be);
  gsize count;

  if (!nt_count3 (cu, "bias_grad", n, c, spatial, &count)
      || !_nt_cuda_check_buf (cu, "bias_grad", "dy", dy, 0, count)
      || !_nt_cuda_check_buf (cu, "bias_grad", "db", db, 0, (gsize) c)
      || c == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_bias_grad (cu->stream, dy->data, n,
                                                   c, spatial, db->data),
                         "bias_grad kernel launch");
}

static void
nt_cuda_relu_forward (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                      gsize count)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (!_nt_cuda_check_buf (cu, "relu_forward", "x", x, 0, count)
      || !_nt_cuda_check_buf (cu, "relu_forward", "y", y, 0, count)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_relu_forward (cu->stream, x->data,
                                                      y->data, count),
                         "relu_forward kernel launch");
}

static void
nt_cuda_relu_backward (NtBackend *be, const NtBuffer *y, const NtBuffer *dy,
                       NtBuffer *dx, gsize count)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (!_nt_cuda_check_buf (cu, "relu_backward", "y", y, 0, count)
      || !_nt_cuda_check_buf (cu, "relu_backward", "dy", dy, 0, count)
      || !_nt_cuda_check_buf (cu, "relu_backward", "dx", dx, 0, count)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_relu_backward (cu->stream, y->data,
                                                       dy->data, dx->data,
                                                       count),
                         "relu_backward kernel launch");
}

static void
nt_cuda_dropout_forward (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                         NtBuffer *mask, gsize count, float rate,
                         guint64 seed)
{
  NtCudaBackend *cu = NT_CUDA (be);
  float scale;

  if (!_nt_cuda_check_buf (cu, "dropout_forward", "x", x, 0, count)
      || !_nt_cuda_check_buf (cu, "dropout_forward", "y", y, 0, count)
      || !_nt_cuda_check_buf (cu, "dropout_forward", "mask", mask, 0, count))
    return;
  if (!(rate >= 0.0f && rate < 1.0f))
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                     "dropout_forward: rate %g is outside [0, 1)",
                     (double) rate);
      return;
    }
  if (count == 0 || !_nt_cuda_enter (cu))
    return;
  scale = 1.0f / (1.0f - rate);   /* as the CPU computes it */
  (void) _nt_cuda_check (cu, _nt_cuda_k_dropout_forward (cu->stream, x->data,
                                                         y->data, mask->data,
                                                         count, rate, scale,
                                                         seed),
                         "dropout_forward kernel launch");
}

static void
nt_cuda_dropout_backward (NtBackend *be, const NtBuffer *dy,
                          const NtBuffer *mask, NtBuffer *dx, gsize count)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (!_nt_cuda_check_buf (cu, "dropout_backward", "dy", dy, 0, count)
      || !_nt_cuda_check_buf (cu, "dropout_backward", "mask", mask, 0, count)
      || !_nt_cuda_check_buf (cu, "dropout_backward", "dx", dx, 0, count)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_dropout_backward (cu->stream,
                                                          dy->data,
                                                          mask->data,
                                                          dx->data, count),
                         "dropout_backward kernel launch");
}

/* ---- softmax cross-entropy, argmax ------------------------------------ */

static void
nt_cuda_softmax_xent (NtBackend *be, const NtBuffer *logits,
                      const int *labels, int n, int classes, float *loss_out,
                      NtBuffer *dlogits)
{
  static const char op[] = "softmax_xent";
  NtCudaBackend *cu = NT_CUDA (be);
  gsize count, label_bytes, loss_bytes;
  char *dev, *stage;
  double total = 0.0;

  if (n < 1 || classes < 1)
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                     "%s: needs at least one row and one class (n=%d, "
                     "classes=%d)", op, n, classes);
      return;
    }
  count = (gsize) n * (gsize) classes;
  if (!_nt_cuda_check_buf (cu, op, "logits", logits, 0, count)
      || (dlogits != NULL
          && !_nt_cuda_check_buf (cu, op, "dlogits", dlogits, 0, count)))
    return;
  if (labels == NULL)
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID, "%s: labels are NULL", op);
      return;
    }
  /* The labels are on the host: check them all here, before any work, so
   * that a bad one leaves the outputs alone (as on the CPU). */
  for (int r = 0; r < n; r++)
    if (labels[r] < 0 || labels[r] >= classes)
      {
        _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                       "%s: label %d of row %d is outside [0, %d); the data "
                       "set and the model disagree on the number of classes",
                       op, labels[r], r, classes);
        if (loss_out != NULL)
          *loss_out = NAN;
        return;
      }
  if (loss_out != NULL)
    *loss_out = NAN;   /* until the loss is known */
  if (loss_out == NULL && dlogits == NULL)
    return;
  if (!_nt_cuda_enter (cu))
    return;

  /* aux: [labels (int) | row losses (double)]; staging likewise. */
  label_bytes = nt_cuda_bytes (n, sizeof (int));
  loss_bytes = loss_out != NULL ? nt_cuda_bytes (n, sizeof (double)) : 0;
  dev = _nt_cuda_scratch (cu, &cu->aux, label_bytes + loss_bytes);
  stage = dev != NULL ? nt_cuda_stage (cu, label_bytes + loss_bytes) : NULL;
  if (stage == NULL)
    return;
  memcpy (stage, labels, (gsize) n * sizeof (int));
  if (!NT_CUDA_TRY (cu, cudaMemcpyAsync (dev, stage,
                                         (gsize) n * sizeof (int),
                                         cudaMemcpyHostToDevice, cu->stream))
      || !nt_cuda_staged (cu)
      || !_nt_cuda_check (cu, _nt_cuda_k_softmax_xent
                                (cu->stream, logits->data, (const int *) dev,
                                 n, classes,
                                 loss_out != NULL
                                 ? (double *) (dev + label_bytes) : NULL,
                                 dlogits != NULL ? dlogits->data : NULL),
                          "softmax_xent kernel launch"))
    return;
  if (loss_out == NULL)
    return;
  /* The loss goes to host memory: a sync point. */
  if (!NT_CUDA_TRY (cu, cudaMemcpyAsync (stage + label_bytes,
                                         dev + label_bytes,
                                         (gsize) n * sizeof (double),
                                         cudaMemcpyDeviceToHost, cu->stream))
      || !NT_CUDA_TRY (cu, cudaStreamSynchronize (cu->stream)))
    return;
  /* Summed in row order in double, then averaged, as on the CPU. */
  for (int r = 0; r < n; r++)
    total += ((const double *) (stage + label_bytes))[r];
  *loss_out = (float) (total / n);
}

static void
nt_cuda_argmax (NtBackend *be, const NtBuffer *x, int n, int classes,
                int *out)
{
  NtCudaBackend *cu = NT_CUDA (be);
  gsize bytes;
  void *dev, *stage;

  if (n < 0 || classes < 1 || (n > 0 && out == NULL))
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                     "argmax: invalid arguments (n=%d, classes=%d)", n,
                     classes);
      return;
    }
  if (!_nt_cuda_check_buf (cu, "argmax", "x", x, 0,
                           (gsize) n * (gsize) classes)
      || n == 0 || !_nt_cuda_enter (cu))
    return;
  bytes = (gsize) n * sizeof (int);
  dev = _nt_cuda_scratch (cu, &cu->aux, bytes);
  stage = dev != NULL ? nt_cuda_stage (cu, bytes) : NULL;
  if (stage == NULL
      || !_nt_cuda_check (cu, _nt_cuda_k_argmax (cu->stream, x->data, n,
                                                 classes, (int *) dev),
                          "argmax kernel launch")
      || !NT_CUDA_TRY (cu, cudaMemcpyAsync (stage, dev, bytes,
                                            cudaMemcpyDeviceToHost,
                                            cu->stream))
      || !NT_CUDA_TRY (cu, cudaStreamSynchronize (cu->stream)))
    return;
  memcpy (out, stage, bytes);
}

/* ---- Adam --------------------------------------------------------------- */

static void
nt_cuda_adam_update (NtBackend *be, NtBuffer *param, const NtBuffer *grad,
                     NtBuffer *m, NtBuffer *v, gsize count, float lr,
                     float beta1, float beta2, float eps, int step)
{
  static const char op[] = "adam_update";
  NtCudaBackend *cu = NT_CUDA (be);
  float lr_t;

  if (!_nt_cuda_check_buf (cu, op, "param", param, 0, count)
      || !_nt_cuda_check_buf (cu, op, "grad", grad, 0, count)
      || !_nt_cuda_check_buf (cu, op, "m", m, 0, count)
      || !_nt_cuda_check_buf (cu, op, "v", v, 0, count))
    return;
  if (step < 1)
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                     "%s: step %d is not >= 1", op, step);
      return;
    }
  if (count == 0 || !_nt_cuda_enter (cu))
    return;
  /* The bias corrections folded into the step size, computed on the host
   * exactly as the CPU backend does. */
  lr_t = (float) (lr * sqrt (1.0 - pow (beta2, step))
                  / (1.0 - pow (beta1, step)));
  (void) _nt_cuda_check (cu, _nt_cuda_k_adam (cu->stream, param->data,
                                              grad->data, m->data, v->data,
                                              count, lr_t, beta1, beta2,
                                              1.0f - beta1, 1.0f - beta2,
                                              eps),
                         "adam kernel launch");
}

/* ---- attack helpers --------------------------------------------------- */

static void
nt_cuda_sign (NtBackend *be, const NtBuffer *x, NtBuffer *y, gsize count)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (!_nt_cuda_check_buf (cu, "sign", "x", x, 0, count)
      || !_nt_cuda_check_buf (cu, "sign", "y", y, 0, count)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_sign (cu->stream, x->data, y->data,
                                              count),
                         "sign kernel launch");
}

static void
nt_cuda_scale_add (NtBackend *be, NtBuffer *y, float alpha,
                   const NtBuffer *x, float beta, gsize count)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (!_nt_cuda_check_buf (cu, "scale_add", "y", y, 0, count)
      || !_nt_cuda_check_buf (cu, "scale_add", "x", x, 0, count)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_scale_add (cu->stream, y->data, alpha,
                                                   x->data, beta, count),
                         "scale_add kernel launch");
}

static void
nt_cuda_clip (NtBackend *be, NtBuffer *x, float lo, float hi, gsize count)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (!_nt_cuda_check_buf (cu, "clip", "x", x, 0, count))
    return;
  if (!(lo <= hi))
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                     "clip: lower bound %g above upper bound %g", (double) lo,
                     (double) hi);
      return;
    }
  if (count == 0 || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_clip (cu->stream, x->data, lo, hi,
                                              count),
                         "clip kernel launch");
}

static void
nt_cuda_perturb (NtBackend *be, const NtBuffer *x, const NtBuffer *dir,
                 const float *eps, int rows, int cols, float lo, float hi,
                 NtBuffer *out)
{
  static const char op[] = "perturb";
  NtCudaBackend *cu = NT_CUDA (be);
  gsize count, bytes;
  void *dev, *stage;

  if (rows < 0 || cols < 0 || (rows > 0 && eps == NULL) || !(lo <= hi))
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                     "%s: invalid arguments (rows=%d, cols=%d, bounds "
                     "%g..%g, eps %s)", op, rows, cols, (double) lo,
                     (double) hi, eps == NULL ? "NULL" : "given");
      return;
    }
  count = (gsize) rows * (gsize) cols;
  if (!_nt_cuda_check_buf (cu, op, "x", x, 0, count)
      || !_nt_cuda_check_buf (cu, op, "dir", dir, 0, count)
      || !_nt_cuda_check_buf (cu, op, "out", out, 0, count)
      || count == 0 || !_nt_cuda_enter (cu))
    return;
  bytes = (gsize) rows * sizeof (float);
  dev = _nt_cuda_scratch (cu, &cu->aux, bytes);
  stage = dev != NULL ? nt_cuda_stage (cu, bytes) : NULL;
  if (stage == NULL)
    return;
  memcpy (stage, eps, bytes);
  if (!NT_CUDA_TRY (cu, cudaMemcpyAsync (dev, stage, bytes,
                                         cudaMemcpyHostToDevice, cu->stream))
      || !nt_cuda_staged (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_perturb (cu->stream, x->data,
                                                 dir->data,
                                                 (const float *) dev, rows,
                                                 cols, lo, hi, out->data),
                         "perturb kernel launch");
}

/* ---- instance --------------------------------------------------------- */

static gboolean
nt_cuda_sync (NtBackend *be, GError **error)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (cu->error == NULL && _nt_cuda_enter (cu))
    (void) NT_CUDA_TRY (cu, cudaStreamSynchronize (cu->stream));
  if (cu->error != NULL)
    {
      g_propagate_error (error, g_error_copy (cu->error));
      return FALSE;
    }
  return TRUE;
}

static void
nt_cuda_destroy (NtBackend *be)
{
  NtCudaBackend *cu = NT_CUDA (be);

  if (cu == NULL)
    return;
  /* Best effort: errors here have no one to go to. */
  (void) cudaSetDevice (cu->device);
  if (cu->stream != NULL)
    (void) cudaStreamSynchronize (cu->stream);
  _nt_cuda_conv_clear (cu);
  _nt_cuda_scratch_free (&cu->aux);
  _nt_cuda_scratch_free (&cu->pad);
  _nt_cuda_scratch_free (&cu->workspace);
  g_clear_pointer (&cu->stage, cudaFreeHost);
  g_clear_pointer (&cu->stage_done, cudaEventDestroy);
  g_clear_pointer (&cu->cudnn, cudnnDestroy);
  g_clear_pointer (&cu->cublas, cublasDestroy);
  g_clear_pointer (&cu->stream, cudaStreamDestroy);
  (void) cudaGetLastError ();
  g_clear_error (&cu->error);
  g_free (cu);
}

static const NtBackendOps nt_cuda_ops = {
  .api_version = NT_BACKEND_API_VERSION,
  .destroy = nt_cuda_destroy,
  .sync = nt_cuda_sync,
  .alloc = nt_cuda_alloc,
  .free = nt_cuda_free,
  .upload = nt_cuda_upload,
  .download = nt_cuda_download,
  .fill = nt_cuda_fill,
  .copy = nt_cuda_copy,
  .gemm = nt_cuda_gemm,
  .conv2d_forward = _nt_cuda_conv2d_forward,
  .conv2d_backward_data = _nt_cuda_conv2d_backward_data,
  .conv2d_backward_filter = _nt_cuda_conv2d_backward_filter,
  .maxpool_forward = _nt_cuda_maxpool_forward,
  .maxpool_backward = _nt_cuda_maxpool_backward,
  .bias_add = nt_cuda_bias_add,
  .bias_grad = nt_cuda_bias_grad,
  .relu_forward = nt_cuda_relu_forward,
  .relu_backward = nt_cuda_relu_backward,
  .dropout_forward = nt_cuda_dropout_forward,
  .dropout_backward = nt_cuda_dropout_backward,
  .softmax_xent = nt_cuda_softmax_xent,
  .argmax = nt_cuda_argmax,
  .adam_update = nt_cuda_adam_update,
  .sign = nt_cuda_sign,
  .scale_add = nt_cuda_scale_add,
  .clip = nt_cuda_clip,
  .perturb = nt_cuda_perturb,
  /* The fused convolutions of API 2 are optional: the core then runs
   * conv2d_forward + bias_add + relu_forward (and their backwards) here,
   * which on a GPU costs a few more small kernels, not extra passes worth
   * fusing for. */
  .conv2d_forward_bias = NULL,
  .conv2d_backward_bias = NULL,
};

/* Number of usable devices, or -1 with *reason_out (caller frees) set. */
static int
nt_cuda_device_count (char **reason_out)
{
  int count = 0;
  cudaError_t rc = cudaGetDeviceCount (&count);

  if (rc != cudaSuccess)
    {
      (void) cudaGetLastError ();
      /* cudart says "driver version is insufficient" also when there is
       * no driver at all: say both. */
      if (reason_out != NULL)
        *reason_out = g_strdup_printf
          ("%s (cudaGetDeviceCount: %s)%s", cudaGetErrorString (rc),
           cudaGetErrorName (rc),
           rc == cudaErrorInsufficientDriver
           ? "; no NVIDIA driver is installed, or it is older than this "
             "CUDA runtime needs" : "");
      return -1;
    }
  if (count < 1)
    {
      if (reason_out != NULL)
        *reason_out = g_strdup ("no CUDA-capable device is detected "
                                "(cudaGetDeviceCount returned 0)");
      return -1;
    }
  return count;
}

/* Runs one tiny kernel and waits for it, so that a GPU this build has no
 * code for (older than the NVCCFLAGS targets) fails when the instance is
 * created, with advice, instead of at the first operation. */
static gboolean
nt_cuda_smoke_test (NtCudaBackend *cu)
{
  float *p = _nt_cuda_scratch (cu, &cu->aux, 16);
  cudaError_t rc;

  if (p == NULL)
    return FALSE;
  rc = _nt_cuda_k_fill (cu->stream, p, 4, 0.0f);
  if (rc == cudaSuccess)
    rc = cudaStreamSynchronize (cu->stream);
  if (rc == cudaErrorNoKernelImageForDevice
      || rc == cudaErrorInvalidDeviceFunction)
    {
      int major = 0, minor = 0;

      (void) cudaGetLastError ();
      (void) cudaDeviceGetAttribute (&major,
                                     cudaDevAttrComputeCapabilityMajor,
                                     cu->device);
      (void) cudaDeviceGetAttribute (&minor,
                                     cudaDevAttrComputeCapabilityMinor,
                                     cu->device);
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_UNAVAILABLE,
                     "device %d (compute capability %d.%d) cannot run this "
                     "build's kernels (%s); rebuild with NVCCFLAGS naming "
                     "its architecture, e.g. -gencode arch=compute_%d%d,"
                     "code=sm_%d%d", cu->device, major, minor,
                     cudaGetErrorName (rc), major, minor, major, minor);
      return FALSE;
    }
  return _nt_cuda_check (cu, rc, "the start-up test kernel");
}

static NtBackend *
nt_cuda_create (const NtBackendClass *klass, const NtOptions *opts,
                GError **error)
{
  NtCudaBackend *cu;
  gint64 device = 0;
  char *reason = NULL;
  int count;

  if (opts != NULL && nt_options_has (opts, "device"))
    device = nt_options_get_int (opts, "device");
  count = nt_cuda_device_count (&reason);
  if (count < 0)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_UNAVAILABLE,
                   "cuda backend: %s", reason);
      g_free (reason);
      return NULL;
    }
  if (device < 0 || device >= count)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_INVALID,
                   "cuda backend: device=%" G_GINT64_FORMAT " does not exist "
                   "(this machine has %d CUDA device%s, 0..%d)", device,
                   count, count == 1 ? "" : "s", count - 1);
      return NULL;
    }

  cu = g_try_new0 (NtCudaBackend, 1);
  if (cu == NULL)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_OUT_OF_MEMORY,
                   "cuda backend: out of memory creating an instance");
      return NULL;
    }
  cu->parent.ops = &nt_cuda_ops;
  cu->parent.klass = klass;
  cu->device = (int) device;

  /* Each step records its failure in cu->error; the first one is given to
   * the caller below. */
  if (_nt_cuda_enter (cu)
      && NT_CUDA_TRY (cu, cudaStreamCreateWithFlags (&cu->stream,
                                                     cudaStreamNonBlocking))
      && NT_CUDA_TRY (cu, cudaEventCreateWithFlags (&cu->stage_done,
                                                    cudaEventDisableTiming))
      && NT_CUBLAS_TRY (cu, cublasCreate (&cu->cublas))
      && NT_CUBLAS_TRY (cu, cublasSetStream (cu->cublas, cu->stream))
      /* FP32 GEMM in FP32: no TF32 tensor-core downconversion. */
      && NT_CUBLAS_TRY (cu, cublasSetMathMode (cu->cublas,
                                               CUBLAS_DEFAULT_MATH))
      && NT_CUDNN_TRY (cu, cudnnCreate (&cu->cudnn))
      && NT_CUDNN_TRY (cu, cudnnSetStream (cu->cudnn, cu->stream))
      && _nt_cuda_conv_init (cu)
      && nt_cuda_smoke_test (cu))
    return &cu->parent;
  g_propagate_error (error, cu->error);
  cu->error = NULL;
  nt_cuda_destroy (&cu->parent);
  return NULL;
}

static const NtCudaImpl nt_cuda_impl = {
  .api_version = NT_CUDA_IMPL_API_VERSION,
  .backend_api_version = NT_BACKEND_API_VERSION,
  .create = nt_cuda_create,
};

/* The module's only exported symbol (-export-symbols-regex). */
G_MODULE_EXPORT const NtCudaImpl *nt_cuda_impl_entry (void);

const NtCudaImpl *
nt_cuda_impl_entry (void)
{
  return &nt_cuda_impl;
}
