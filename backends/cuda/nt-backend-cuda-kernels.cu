/* nt-backend-cuda-kernels.cu: the CUDA backend's own kernels and their
 * launchers (interface in nt-backend-cuda-private.h).
 *
 * Numerics. This file is compiled with -fmad=false so that a * b + c is
 * rounded twice, as in the CPU backend's C code (x86-64 without FMA): the
 * element-wise ops (dropout, Adam, scale_add, perturb) then give the CPU's
 * bits, and parity tests can demand exact equality where the CPU is exact.
 * Reductions (bias gradient, softmax) accumulate in double like the CPU.
 *
 * Every element-wise kernel uses a grid-stride loop over size_t indices, so
 * any count works with a bounded grid. Launchers return cudaSuccess without
 * launching when there is no work (a zero-sized grid is a launch error). */
#include "nt-backend-cuda-private.h"
#include "nt-dropout-private.h"

#define NT_THREADS 256
/* Grid cap for grid-stride loops: plenty of blocks to fill any GPU. */
#define NT_MAX_BLOCKS 65536

static unsigned int
nt_blocks (size_t n)
{
  size_t b = (n + NT_THREADS - 1) / NT_THREADS;
  return (unsigned int) (b < NT_MAX_BLOCKS ? b : NT_MAX_BLOCKS);
}

/* Queues `kernel` (args converted to its parameter types) on `stream` with
 * the grid-stride grid for `work` elements; cudaSuccess without launching
 * when there is none. */
template <typename... P, typename... A>
static cudaError_t
nt_launch (cudaStream_t stream, size_t work, void (*kernel) (P...),
           A... args)
{
  if (work == 0)
    return cudaSuccess;
  kernel<<<nt_blocks (work), NT_THREADS, 0, stream>>> (args...);
  return cudaGetLastError ();
}

#define NT_FOR_EACH(i, n)                                                   \
  for (size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x; i < (n);  \
       i += (size_t) gridDim.x * blockDim.x)

/* ---- fill, scale ------------------------------------------------------- */

__global__ void
k_fill (float *p, size_t n, float v)
{
  NT_FOR_EACH (i, n)
    p[i] = v;
}

extern "C" cudaError_t
_nt_cuda_k_fill (cudaStream_t stream, float *p, size_t n, float v)
{
  return nt_launch (stream, n, k_fill, p, n, v);
}

__global__ void
k_scale (float *p, size_t n, float beta)
{
  NT_FOR_EACH (i, n)
    p[i] = beta == 0.0f ? 0.0f : beta * p[i];
}

extern "C" cudaError_t
_nt_cuda_k_scale (cudaStream_t stream, float *p, size_t n, float beta)
{
  return nt_launch (stream, n, k_scale, p, n, beta);
}

/* ---- bias --------------------------------------------------------------- */

__global__ void
k_bias_add (float *y, const float *b, size_t total, int c, int spatial)
{
  NT_FOR_EACH (i, total)
    y[i] += b[(i / (size_t) spatial) % (size_t) c];
}

extern "C" cudaError_t
_nt_cuda_k_bias_add (cudaStream_t stream, float *y, const float *b,
                     size_t total, int c, int spatial)
{
  return nt_launch (stream, total, k_bias_add, y, b, total, c, spatial);
}

/* One block per channel: each thread sums a fixed strided subset in double,
 * then a tree reduction in shared memory; the order never changes, so the
 * result is deterministic. */
__global__ void
k_bias_grad (const float *dy, int n, int c, int spatial, float *db)
{
  __shared__ double part[NT_THREADS];
  const int ch = blockIdx.x;
  const size_t per_channel = (size_t) n * (size_t) spatial;
  double sum = 0.0;

  for (size_t k = threadIdx.x; k < per_channel; k += blockDim.x)
    {
      size_t i = k / (size_t) spatial, s = k % (size_t) spatial;
      sum += (double) dy[(i * (size_t) c + (size_t) ch) * (size_t) spatial
                         + s];
    }
  part[threadIdx.x] = sum;
  __syncthreads ();
  for (unsigned int half = blockDim.x / 2; half > 0; half /= 2)
    {
      if (threadIdx.x < half)
        part[threadIdx.x] += part[threadIdx.x + half];
      __syncthreads ();
    }
  if (threadIdx.x == 0)
    db[ch] = (float) part[0];
}

extern "C" cudaError_t
_nt_cuda_k_bias_grad (cudaStream_t stream, const float *dy, int n, int c,
                      int spatial, float *db)
{
  if (c <= 0)
    return cudaSuccess;
  /* n * spatial == 0 still writes zeros: the gradient is overwritten. */
  k_bias_grad<<<(unsigned int) c, NT_THREADS, 0, stream>>> (dy, n, c,
                                                             spatial, db);
  return cudaGetLastError ();
}

/* ---- ReLU, dropout ------------------------------------------------------ */

__global__ void
k_relu_forward (const float *x, float *y, size_t n)
{
  NT_FOR_EACH (i, n)
    {
      float v = x[i];
      y[i] = v > 0.0f ? v : 0.0f;
    }
}

extern "C" cudaError_t
_nt_cuda_k_relu_forward (cudaStream_t stream, const float *x, float *y,
                         size_t n)
{
  return nt_launch (stream, n, k_relu_forward, x, y, n);
}

__global__ void
k_relu_backward (const float *y, const float *dy, float *dx, size_t n)
{
  NT_FOR_EACH (i, n)
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

extern "C" cudaError_t
_nt_cuda_k_relu_backward (cudaStream_t stream, const float *y,
                          const float *dy, float *dx, size_t n)
{
  return nt_launch (stream, n, k_relu_backward, y, dy, dx, n);
}

__global__ void
k_dropout_forward (const float *x, float *y, float *mask, size_t n,
                   float rate, float scale, uint64_t seed)
{
  NT_FOR_EACH (i, n)
    {
      float m = nt_dropout_keep (seed, (uint64_t) i, rate) ? scale : 0.0f;
      mask[i] = m;
      y[i] = x[i] * m;
    }
}

extern "C" cudaError_t
_nt_cuda_k_dropout_forward (cudaStream_t stream, const float *x, float *y,
                            float *mask, size_t n, float rate, float scale,
                            uint64_t seed)
{
  return nt_launch (stream, n, k_dropout_forward, x, y, mask, n, rate, scale,
                    seed);
}

__global__ void
k_dropout_backward (const float *dy, const float *mask, float *dx, size_t n)
{
  NT_FOR_EACH (i, n)
    dx[i] = dy[i] * mask[i];
}

extern "C" cudaError_t
_nt_cuda_k_dropout_backward (cudaStream_t stream, const float *dy,
                             const float *mask, float *dx, size_t n)
{
  return nt_launch (stream, n, k_dropout_backward, dy, mask, dx, n);
}

/* ---- softmax cross-entropy, argmax ------------------------------------- */

/* The CPU backend's formulas, row by row: log-sum-exp after subtracting the
 * row maximum, in double. */
__global__ void
k_softmax_xent (const float *logits, const int *labels, int n, int classes,
                double *row_loss, float *dlogits)
{
  NT_FOR_EACH (r, (size_t) n)
    {
      const float *z = logits + r * (size_t) classes;
      const int label = labels[r];
      float mx = z[0];
      double sum = 0.0;

      for (int j = 1; j < classes; j++)
        if (z[j] > mx)
          mx = z[j];
      for (int j = 0; j < classes; j++)
        sum += exp ((double) z[j] - mx);
      if (row_loss != NULL)
        row_loss[r] = log (sum) - ((double) z[label] - mx);
      if (dlogits != NULL)
        {
          float *d = dlogits + r * (size_t) classes;
          double inv = 1.0 / (sum * n);

          for (int j = 0; j < classes; j++)
            d[j] = (float) (exp ((double) z[j] - mx) * inv
                            - (j == label ? 1.0 / n : 0.0));
        }
    }
}

extern "C" cudaError_t
_nt_cuda_k_softmax_xent (cudaStream_t stream, const float *logits,
                         const int *labels, int n, int classes,
                         double *row_loss, float *dlogits)
{
  return nt_launch (stream, n > 0 ? (size_t) n : 0, k_softmax_xent, logits,
                    labels, n, classes, row_loss, dlogits);
}

__global__ void
k_argmax (const float *x, int n, int classes, int *out)
{
  NT_FOR_EACH (r, (size_t) n)
    {
      const float *z = x + r * (size_t) classes;
      int best = 0;

      for (int j = 1; j < classes; j++)
        if (z[j] > z[best])
          best = j;
      out[r] = best;
    }
}

extern "C" cudaError_t
_nt_cuda_k_argmax (cudaStream_t stream, const float *x, int n, int classes,
                   int *out)
{
  return nt_launch (stream, n > 0 ? (size_t) n : 0, k_argmax, x, n, classes,
                    out);
}

/* ---- Adam --------------------------------------------------------------- */

__global__ void
k_adam (float *param, const float *grad, float *m, float *v, size_t n,
        float lr_t, float b1, float b2, float c1, float c2, float eps)
{
  NT_FOR_EACH (i, n)
    {
      float g = grad[i];
      float mi = b1 * m[i] + c1 * g;
      float vi = b2 * v[i] + c2 * g * g;

      m[i] = mi;
      v[i] = vi;
      param[i] -= lr_t * mi / (sqrtf (vi) + eps);
    }
}

extern "C" cudaError_t
_nt_cuda_k_adam (cudaStream_t stream, float *param, const float *grad,
                 float *m, float *v, size_t n, float lr_t, float beta1,
                 float beta2, float c1, float c2, float eps)
{
  return nt_launch (stream, n, k_adam, param, grad, m, v, n, lr_t, beta1,
                    beta2, c1, c2, eps);
}

/* ---- attack helpers ----------------------------------------------------- */

__device__ __forceinline__ float
nt_clampf (float v, float lo, float hi)
{
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

__global__ void
k_sign (const float *x, float *y, size_t n)
{
  NT_FOR_EACH (i, n)
    {
      float v = x[i];
      y[i] = (float) ((v > 0.0f) - (v < 0.0f));  /* NaN -> 0 */
    }
}

extern "C" cudaError_t
_nt_cuda_k_sign (cudaStream_t stream, const float *x, float *y, size_t n)
{
  return nt_launch (stream, n, k_sign, x, y, n);
}

__global__ void
k_scale_add (float *y, float alpha, const float *x, float beta, size_t n)
{
  if (beta == 0.0f)
    {
      NT_FOR_EACH (i, n)
        y[i] = alpha * x[i];
    }
  else
    {
      NT_FOR_EACH (i, n)
        y[i] = alpha * x[i] + beta * y[i];
    }
}

extern "C" cudaError_t
_nt_cuda_k_scale_add (cudaStream_t stream, float *y, float alpha,
                      const float *x, float beta, size_t n)
{
  return nt_launch (stream, n, k_scale_add, y, alpha, x, beta, n);
}

__global__ void
k_clip (float *x, float lo, float hi, size_t n)
{
  NT_FOR_EACH (i, n)
    x[i] = nt_clampf (x[i], lo, hi);
}

extern "C" cudaError_t
_nt_cuda_k_clip (cudaStream_t stream, float *x, float lo, float hi, size_t n)
{
  return nt_launch (stream, n, k_clip, x, lo, hi, n);
}

__global__ void
k_perturb (const float *x, const float *dir, const float *eps, int rows,
           int cols, float lo, float hi, float *out)
{
  const size_t total = (size_t) rows * (size_t) cols;

  NT_FOR_EACH (i, total)
    out[i] = nt_clampf (x[i] + eps[i / (size_t) cols] * dir[i], lo, hi);
}

extern "C" cudaError_t
_nt_cuda_k_perturb (cudaStream_t stream, const float *x, const float *dir,
                    const float *eps, int rows, int cols, float lo, float hi,
                    float *out)
{
  return nt_launch (stream,
                    rows > 0 && cols > 0 ? (size_t) rows * (size_t) cols : 0,
                    k_perturb, x, dir, eps, rows, cols, lo, hi, out);
}

/* ---- explicit padding for asymmetric convolutions ----------------------- */

__global__ void
k_pad (const float *x, size_t planes, int h, int w, int top, int left,
       int hp, int wp, float *xp)
{
  const size_t total = planes * (size_t) hp * (size_t) wp;

  NT_FOR_EACH (i, total)
    {
      size_t plane = i / ((size_t) hp * (size_t) wp);
      int r = (int) ((i / (size_t) wp) % (size_t) hp) - top;
      int c = (int) (i % (size_t) wp) - left;

      xp[i] = (r >= 0 && r < h && c >= 0 && c < w)
              ? x[(plane * (size_t) h + (size_t) r) * (size_t) w
                  + (size_t) c]
              : 0.0f;
    }
}

extern "C" cudaError_t
_nt_cuda_k_pad (cudaStream_t stream, const float *x, size_t planes, int h,
                int w, int top, int left, int hp, int wp, float *xp)
{
  return nt_launch (stream, planes * (size_t) hp * (size_t) wp, k_pad, x,
                    planes, h, w, top, left, hp, wp, xp);
}

__global__ void
k_crop (const float *xp, size_t planes, int h, int w, int top, int left,
        int hp, int wp, float *x)
{
  const size_t total = planes * (size_t) h * (size_t) w;

  NT_FOR_EACH (i, total)
    {
      size_t plane = i / ((size_t) h * (size_t) w);
      size_t r = (i / (size_t) w) % (size_t) h + (size_t) top;
      size_t c = i % (size_t) w + (size_t) left;

      x[i] = xp[(plane * (size_t) hp + r) * (size_t) wp + c];
    }
}

extern "C" cudaError_t
_nt_cuda_k_crop (cudaStream_t stream, const float *xp, size_t planes, int h,
                 int w, int top, int left, int hp, int wp, float *x)
{
  return nt_launch (stream, planes * (size_t) h * (size_t) w, k_crop, xp,
                    planes, h, w, top, left, hp, wp, x);
}

/* ---- max pooling ------------------------------------------------------- */

/* Offset within the plane of the first maximum of the window at (r0, c0),
 * scanning rows then columns; strict '>' keeps the first of equal values
 * (and a leading NaN, as on the CPU). */
__device__ __forceinline__ int
nt_window_argmax (const float *plane, int w, int r0, int c0, int kh, int kw)
{
  int best = r0 * w + c0;
  float bv = plane[best];

  for (int i = 0; i < kh; i++)
    for (int j = 0; j < kw; j++)
      {
        int at = (r0 + i) * w + c0 + j;
        if (plane[at] > bv)
          {
            bv = plane[at];
            best = at;
          }
      }
  return best;
}

__global__ void
k_maxpool_forward (const float *x, size_t planes, int h, int w, int kh,
                   int kw, int sh, int sw, int oh, int ow, float *y)
{
  const size_t total = planes * (size_t) oh * (size_t) ow;

  NT_FOR_EACH (i, total)
    {
      size_t t = i / ((size_t) oh * (size_t) ow);
      int r = (int) ((i / (size_t) ow) % (size_t) oh);
      int c = (int) (i % (size_t) ow);
      const float *plane = x + t * (size_t) h * (size_t) w;

      y[i] = plane[nt_window_argmax (plane, w, r * sh, c * sw, kh, kw)];
    }
}

extern "C" cudaError_t
_nt_cuda_k_maxpool_forward (cudaStream_t stream, const float *x,
                            size_t planes, int h, int w, int kh, int kw,
                            int sh, int sw, int oh, int ow, float *y)
{
  return nt_launch (stream, planes * (size_t) oh * (size_t) ow,
                    k_maxpool_forward, x, planes, h, w, kh, kw, sh, sw, oh,
                    ow, y);
}

__global__ void
k_maxpool_backward (const float *x, const float *dy, size_t planes, int h,
                    int w, int kh, int kw, int sh, int sw, int oh, int ow,
                    float *dx)
{
  const size_t total = planes * (size_t) h * (size_t) w;

  NT_FOR_EACH (i, total)
    {
      size_t t = i / ((size_t) h * (size_t) w);
      int ih = (int) ((i / (size_t) w) % (size_t) h);
      int iw = (int) (i % (size_t) w);
      int self = ih * w + iw;
      const float *plane = x + t * (size_t) h * (size_t) w;
      const float *g = dy + t * (size_t) oh * (size_t) ow;
      /* Windows containing (ih, iw): rows r with r*sh <= ih <= r*sh+kh-1,
       * columns likewise. */
      int r_lo = ih - kh + 1 <= 0 ? 0 : (ih - kh + 1 + sh - 1) / sh;
      int r_hi = min (ih / sh, oh - 1);
      int c_lo = iw - kw + 1 <= 0 ? 0 : (iw - kw + 1 + sw - 1) / sw;
      int c_hi = min (iw / sw, ow - 1);
      float sum = 0.0f;

      for (int r = r_lo; r <= r_hi; r++)
        for (int c = c_lo; c <= c_hi; c++)
          if (nt_window_argmax (plane, w, r * sh, c * sw, kh, kw) == self)
            sum += g[r * ow + c];
      dx[i] = sum;
    }
}

extern "C" cudaError_t
_nt_cuda_k_maxpool_backward (cudaStream_t stream, const float *x,
                             const float *dy, size_t planes, int h, int w,
                             int kh, int kw, int sh, int sw, int oh, int ow,
                             float *dx)
{
  return nt_launch (stream, planes * (size_t) h * (size_t) w,
                    k_maxpool_backward, x, dy, planes, h, w, kh, kw, sh, sw,
                    oh, ow, dx);
}
