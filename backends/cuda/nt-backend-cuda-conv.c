/* nt-backend-cuda-conv.c: convolution through cuDNN and max pooling through
 * our own kernels.
 *
 * Convolution. cuDNN's legacy convolution API (cudnn_cnn, still in cuDNN 9)
 * with NCHW float tensors, cross-correlation mode, FP32 compute and
 * CUDNN_FMA_MATH, so no TF32 tensor-core rounding creeps in (the CPU parity
 * tolerance is 1e-4). For each direction (forward, backward data, backward
 * filter) and shape the algorithm comes from cuDNN's heuristics
 * (cudnnGet*Algorithm_v7): the first result, in cuDNN's order of expected
 * speed, that succeeded, is deterministic, does not need tensor-core math,
 * is not the less precise non-fused Winograd, and whose workspace fits
 * NT_CUDA_WORKSPACE_MAX; when none qualifies, a
 * fixed deterministic algorithm that supports every shape. Choices are
 * cached per instance in a hash table keyed by direction, dims and window,
 * so the heuristics run once per shape. The workspace is one device buffer
 * per instance, grown to the largest need and reused.
 *
 * Deterministic algorithms keep training on one GPU reproducible for a
 * given seed (the design's promise for every backend).
 *
 * Padding. cuDNN pads symmetrically. When the top and bottom (or left and
 * right) padding differ, as with the ramp model's "same" padding of an even
 * kernel, the input is copied into a zero-padded scratch tensor and cuDNN
 * runs without padding; backward data then computes the gradient of the
 * padded tensor in scratch and crops it. The same path is taken when a pad
 * is not smaller than the kernel, which some cuDNN algorithms refuse.
 *
 * Pooling. Own kernels (nt-backend-cuda-kernels.cu), not cuDNN: the
 * contract routes the gradient to the *first* maximum of a window and lets
 * overlapping windows accumulate, which cuDNN does not promise for ties. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <string.h>

#include "nt-backend.h"
#include "nt-backend-cuda-private.h"

/* Largest cuDNN workspace an algorithm may ask for: 256 MiB. */
#define NT_CUDA_WORKSPACE_MAX ((size_t) 256 << 20)

typedef enum {
  NT_CONV_FORWARD = 'f',
  NT_CONV_BACKWARD_DATA = 'd',
  NT_CONV_BACKWARD_FILTER = 'w'
} NtConvDir;

/* A cached algorithm choice: the cuDNN enum value of its direction and the
 * workspace it needs. */
typedef struct {
  int algo;
  size_t workspace;
} NtCudaAlgo;

/* A validated convolution, in the terms cuDNN sees: input n x c x h x w
 * (the padded copy when `explicit_pad`), symmetric padding ph, pw. */
typedef struct {
  int n, c, h, w;         /* the caller's input */
  int k, kh, kw, sh, sw;
  int pt, pl;             /* top/left padding */
  int oh, ow;
  gboolean explicit_pad;  /* run on a zero-padded copy */
  int ch, cw;             /* input height/width given to cuDNN */
  int ph, pw;             /* padding given to cuDNN */
} NtCudaConv;

gboolean
_nt_cuda_conv_init (NtCudaBackend *cu)
{
  if (!NT_CUDNN_TRY (cu, cudnnCreateTensorDescriptor (&cu->x_desc))
      || !NT_CUDNN_TRY (cu, cudnnCreateTensorDescriptor (&cu->y_desc))
      || !NT_CUDNN_TRY (cu, cudnnCreateFilterDescriptor (&cu->w_desc))
      || !NT_CUDNN_TRY (cu, cudnnCreateConvolutionDescriptor (&cu->conv_desc)))
    return FALSE;
  cu->algos = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     g_free);
  return TRUE;
}

void
_nt_cuda_conv_clear (NtCudaBackend *cu)
{
  /* g_clear_pointer (typeof-based: no cast) drops the returned statuses. */
  g_clear_pointer (&cu->conv_desc, cudnnDestroyConvolutionDescriptor);
  g_clear_pointer (&cu->w_desc, cudnnDestroyFilterDescriptor);
  g_clear_pointer (&cu->y_desc, cudnnDestroyTensorDescriptor);
  g_clear_pointer (&cu->x_desc, cudnnDestroyTensorDescriptor);
  g_clear_pointer (&cu->algos, g_hash_table_destroy);
}

/* Checks the shape and window (the CPU backend's rules and messages) and
 * fills `g`; records an INVALID failure naming `op` otherwise. */
static gboolean
nt_conv_geom (NtCudaBackend *cu, const char *op, NtDims xd, int out_c,
              const NtWindow *win, NtCudaConv *g)
{
  if (!_nt_backend_check_conv (&cu->error, "cuda", op, xd, out_c, win))
    return FALSE;

  gint64 hp = (gint64) xd.h + win->pad_top + win->pad_bottom;
  gint64 wp = (gint64) xd.w + win->pad_left + win->pad_right;
  /* cuDNN describes tensors with int dims and strides. */
  if (hp > INT_MAX || wp > INT_MAX
      || (gint64) xd.n * xd.c * hp * wp > INT_MAX
      || (gint64) xd.n * out_c * hp * wp > INT_MAX
      || (gint64) out_c * xd.c * win->kh * win->kw > INT_MAX)
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID,
                     "%s: convolution too large for cuDNN (tensors must hold "
                     "fewer than 2^31 elements); use a smaller batch", op);
      return FALSE;
    }
  g->n = xd.n;
  g->c = xd.c;
  g->h = xd.h;
  g->w = xd.w;
  g->k = out_c;
  g->kh = win->kh;
  g->kw = win->kw;
  g->sh = win->stride_h;
  g->sw = win->stride_w;
  g->pt = win->pad_top;
  g->pl = win->pad_left;
  g->oh = nt_window_out_h (win, xd.h);
  g->ow = nt_window_out_w (win, xd.w);
  g->explicit_pad = win->pad_top != win->pad_bottom
                    || win->pad_left != win->pad_right
                    || win->pad_top >= win->kh || win->pad_left >= win->kw;
  if (g->explicit_pad)
    {
      g->ch = (int) hp;
      g->cw = (int) wp;
      g->ph = 0;
      g->pw = 0;
    }
  else
    {
      g->ch = g->h;
      g->cw = g->w;
      g->ph = g->pt;
      g->pw = g->pl;
    }
  return TRUE;
}

/* Sets the instance's descriptors for `g`: x (the input cuDNN sees), w, y
 * and the convolution; checks that cuDNN's output size is ours. */
static gboolean
nt_conv_describe (NtCudaBackend *cu, const char *op, const NtCudaConv *g)
{
  int on, oc, oh, ow;

  if (!NT_CUDNN_TRY (cu, cudnnSetTensor4dDescriptor (cu->x_desc,
                                                     CUDNN_TENSOR_NCHW,
                                                     CUDNN_DATA_FLOAT, g->n,
                                                     g->c, g->ch, g->cw))
      || !NT_CUDNN_TRY (cu, cudnnSetFilter4dDescriptor (cu->w_desc,
                                                        CUDNN_DATA_FLOAT,
                                                        CUDNN_TENSOR_NCHW,
                                                        g->k, g->c, g->kh,
                                                        g->kw))
      || !NT_CUDNN_TRY (cu, cudnnSetConvolution2dDescriptor
                              (cu->conv_desc, g->ph, g->pw, g->sh, g->sw, 1,
                               1, CUDNN_CROSS_CORRELATION,
                               CUDNN_DATA_FLOAT))
      /* After the geometry, so nothing resets it: FMA only, no TF32. */
      || !NT_CUDNN_TRY (cu, cudnnSetConvolutionMathType (cu->conv_desc,
                                                         CUDNN_FMA_MATH))
      || !NT_CUDNN_TRY (cu, cudnnGetConvolution2dForwardOutputDim
                              (cu->conv_desc, cu->x_desc, cu->w_desc, &on,
                               &oc, &oh, &ow)))
    return FALSE;
  if (on != g->n || oc != g->k || oh != g->oh || ow != g->ow)
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_DEVICE,
                     "%s: cuDNN computes a %d x %d x %d x %d output where "
                     "%d x %d x %d x %d is expected", op, on, oc, oh, ow,
                     g->n, g->k, g->oh, g->ow);
      return FALSE;
    }
  return NT_CUDNN_TRY (cu, cudnnSetTensor4dDescriptor (cu->y_desc,
                                                       CUDNN_TENSOR_NCHW,
                                                       CUDNN_DATA_FLOAT,
                                                       g->n, g->k, g->oh,
                                                       g->ow));
}

/* Workspace that `algo` needs for direction `dir` with the current
 * descriptors; FALSE when cuDNN does not support it here (nothing is
 * recorded: the caller tries another). */
static gboolean
nt_conv_workspace (NtCudaBackend *cu, NtConvDir dir, int algo, size_t *size)
{
  cudnnStatus_t rc;

  *size = 0;
  switch (dir)
    {
    case NT_CONV_FORWARD:
      rc = cudnnGetConvolutionForwardWorkspaceSize
             (cu->cudnn, cu->x_desc, cu->w_desc, cu->conv_desc, cu->y_desc,
              (cudnnConvolutionFwdAlgo_t) algo, size);
      break;
    case NT_CONV_BACKWARD_DATA:
      rc = cudnnGetConvolutionBackwardDataWorkspaceSize
             (cu->cudnn, cu->w_desc, cu->y_desc, cu->conv_desc, cu->x_desc,
              (cudnnConvolutionBwdDataAlgo_t) algo, size);
      break;
    default:
      rc = cudnnGetConvolutionBackwardFilterWorkspaceSize
             (cu->cudnn, cu->x_desc, cu->y_desc, cu->conv_desc, cu->w_desc,
              (cudnnConvolutionBwdFilterAlgo_t) algo, size);
      break;
    }
  return rc == CUDNN_STATUS_SUCCESS;
}

/* TRUE for the non-fused Winograd algorithms, whose rounding error is
 * known to be larger (TensorFlow skips them too); the others stay within
 * the parity tolerance. */
static gboolean
nt_conv_imprecise (NtConvDir dir, int algo)
{
  switch (dir)
    {
    case NT_CONV_FORWARD:
      return algo == (int) CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
    case NT_CONV_BACKWARD_DATA:
      return algo == (int) CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
    default:
      return algo
             == (int) CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
    }
}

/* TRUE when a heuristic result may be used. */
static gboolean
nt_conv_acceptable (NtCudaBackend *cu, NtConvDir dir, int algo,
                    cudnnStatus_t status, cudnnDeterminism_t determinism,
                    cudnnMathType_t math, size_t *workspace)
{
  return status == CUDNN_STATUS_SUCCESS
         && determinism == CUDNN_DETERMINISTIC
         && !nt_conv_imprecise (dir, algo)
         && (math == CUDNN_DEFAULT_MATH || math == CUDNN_FMA_MATH)
         && nt_conv_workspace (cu, dir, algo, workspace)
         && *workspace <= NT_CUDA_WORKSPACE_MAX;
}

/* The algorithm for direction `dir` and the current descriptors (set for
 * `g`): from the cache, else from cuDNN's heuristics. NULL after recording
 * a failure. */
static const NtCudaAlgo *
nt_conv_algo (NtCudaBackend *cu, const char *op, NtConvDir dir,
              const NtCudaConv *g)
{
  char *key;
  NtCudaAlgo *hit, choice = { -1, 0 };
  int max = 0, got = 0, fallback;
  gboolean asked = FALSE;   /* the heuristics answered */

  key = g_strdup_printf ("%c %d %d %d %d %d %d %d %d %d %d %d", (int) dir,
                         g->n, g->c, g->ch, g->cw, g->k, g->kh, g->kw, g->sh,
                         g->sw, g->ph, g->pw);
  hit = g_hash_table_lookup (cu->algos, key);
  if (hit != NULL)
    {
      g_free (key);
      return hit;
    }

  switch (dir)
    {
    case NT_CONV_FORWARD:
      {
        cudnnConvolutionFwdAlgoPerf_t *perf;

        if (!NT_CUDNN_TRY (cu, cudnnGetConvolutionForwardAlgorithmMaxCount
                                 (cu->cudnn, &max)))
          break;
        perf = g_new0 (cudnnConvolutionFwdAlgoPerf_t, MAX (max, 1));
        asked = NT_CUDNN_TRY (cu, cudnnGetConvolutionForwardAlgorithm_v7
                                (cu->cudnn, cu->x_desc, cu->w_desc,
                                 cu->conv_desc, cu->y_desc,
                                 MAX (max, 1), &got, perf));
        if (asked)
          for (int i = 0; i < got && choice.algo < 0; i++)
            if (nt_conv_acceptable (cu, dir, perf[i].algo, perf[i].status,
                                    perf[i].determinism, perf[i].mathType,
                                    &choice.workspace))
              choice.algo = perf[i].algo;
        g_free (perf);
        break;
      }
    case NT_CONV_BACKWARD_DATA:
      {
        cudnnConvolutionBwdDataAlgoPerf_t *perf;

        if (!NT_CUDNN_TRY (cu,
                           cudnnGetConvolutionBackwardDataAlgorithmMaxCount
                             (cu->cudnn, &max)))
          break;
        perf = g_new0 (cudnnConvolutionBwdDataAlgoPerf_t, MAX (max, 1));
        asked = NT_CUDNN_TRY (cu, cudnnGetConvolutionBackwardDataAlgorithm_v7
                                (cu->cudnn, cu->w_desc, cu->y_desc,
                                 cu->conv_desc, cu->x_desc,
                                 MAX (max, 1), &got, perf));
        if (asked)
          for (int i = 0; i < got && choice.algo < 0; i++)
            if (nt_conv_acceptable (cu, dir, perf[i].algo, perf[i].status,
                                    perf[i].determinism, perf[i].mathType,
                                    &choice.workspace))
              choice.algo = perf[i].algo;
        g_free (perf);
        break;
      }
    default:
      {
        cudnnConvolutionBwdFilterAlgoPerf_t *perf;

        if (!NT_CUDNN_TRY (cu,
                           cudnnGetConvolutionBackwardFilterAlgorithmMaxCount
                             (cu->cudnn, &max)))
          break;
        perf = g_new0 (cudnnConvolutionBwdFilterAlgoPerf_t, MAX (max, 1));
        asked = NT_CUDNN_TRY (cu, cudnnGetConvolutionBackwardFilterAlgorithm_v7
                                (cu->cudnn, cu->x_desc, cu->y_desc,
                                 cu->conv_desc, cu->w_desc,
                                 MAX (max, 1), &got, perf));
        if (asked)
          for (int i = 0; i < got && choice.algo < 0; i++)
            if (nt_conv_acceptable (cu, dir, perf[i].algo, perf[i].status,
                                    perf[i].determinism, perf[i].mathType,
                                    &choice.workspace))
              choice.algo = perf[i].algo;
        g_free (perf);
        break;
      }
    }
  if (!asked)
    {
      /* A heuristics call failed (recorded); do not cache anything. */
      g_free (key);
      return NULL;
    }

  if (choice.algo < 0)
    {
      /* Deterministic algorithms that handle every NCHW float shape. */
      fallback = dir == NT_CONV_FORWARD
                 ? (int) CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM
                 : dir == NT_CONV_BACKWARD_DATA
                 ? (int) CUDNN_CONVOLUTION_BWD_DATA_ALGO_1
                 : (int) CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
      if (!nt_conv_workspace (cu, dir, fallback, &choice.workspace))
        {
          _nt_cuda_fail (cu, NT_BACKEND_ERROR_DEVICE,
                         "%s: cuDNN offers no usable deterministic algorithm "
                         "for input %d x %d x %d x %d, %d filters %dx%d, "
                         "stride %dx%d, padding %dx%d", op, g->n, g->c, g->ch,
                         g->cw, g->k, g->kh, g->kw, g->sh, g->sw, g->ph,
                         g->pw);
          g_free (key);
          return NULL;
        }
      choice.algo = fallback;
    }
  g_debug ("cuda backend: %s on %s: cuDNN algorithm %d, workspace %zu bytes",
           op, key, choice.algo, choice.workspace);
  hit = g_memdup2 (&choice, sizeof choice);
  g_hash_table_insert (cu->algos, key, hit);
  return hit;
}

/* A buffer a convolution checks: its name in messages and the tensor
 * whose size it must hold ('x' input, 'w' filters, 'y' output). */
typedef struct {
  const char *name;
  const NtBuffer *buf;
  char tensor;
} NtConvBuf;

/* The setup of the three convolutions: checks the geometry (filling `g`)
 * and the buffers in the op's order, makes the device current, sets the
 * descriptors, then picks the algorithm for `dir` and its workspace (*ws,
 * NULL when it needs none). NULL after recording the first failure. */
static const NtCudaAlgo *
nt_conv_prepare (NtCudaBackend *cu, const char *op, NtConvDir dir,
                 NtDims xd, int out_c, const NtWindow *win,
                 const NtConvBuf bufs[3], NtCudaConv *g, void **ws)
{
  const NtCudaAlgo *algo;

  if (!nt_conv_geom (cu, op, xd, out_c, win, g))
    return NULL;
  for (int i = 0; i < 3; i++)
    {
      gsize count = bufs[i].tensor == 'x' ? (gsize) g->n * g->c * g->h * g->w
                    : bufs[i].tensor == 'w'
                    ? (gsize) g->k * g->c * g->kh * g->kw
                    : (gsize) g->n * g->k * g->oh * g->ow;

      if (!_nt_cuda_check_buf (cu, op, bufs[i].name, bufs[i].buf, 0, count))
        return NULL;
    }
  if (!_nt_cuda_enter (cu)
      || !nt_conv_describe (cu, op, g)
      || (algo = nt_conv_algo (cu, op, dir, g)) == NULL)
    return NULL;
  *ws = NULL;
  if (algo->workspace > 0
      && (*ws = _nt_cuda_scratch (cu, &cu->workspace,
                                  algo->workspace)) == NULL)
    return NULL;
  return algo;
}

/* The zero-padded input scratch of `g` (n x c x ch x cw floats). */
static float *
nt_conv_pad_buf (NtCudaBackend *cu, const NtCudaConv *g)
{
  return _nt_cuda_scratch (cu, &cu->pad, (gsize) g->n * g->c * g->ch * g->cw
                                         * sizeof (float));
}

/* x copied into the padded scratch; NULL after a recorded failure. */
static const float *
nt_conv_padded_input (NtCudaBackend *cu, const NtCudaConv *g, const float *x)
{
  float *xp = nt_conv_pad_buf (cu, g);

  if (xp == NULL
      || !_nt_cuda_check (cu, _nt_cuda_k_pad (cu->stream, x,
                                              (size_t) g->n * g->c, g->h,
                                              g->w, g->pt, g->pl, g->ch,
                                              g->cw, xp),
                          "convolution padding kernel launch"))
    return NULL;
  return xp;
}

void
_nt_cuda_conv2d_forward (NtBackend *be, const NtBuffer *x, NtDims xd,
                         const NtBuffer *w, int out_c, const NtWindow *win,
                         NtBuffer *y)
{
  static const char op[] = "conv2d_forward";
  static const float one = 1.0f, zero = 0.0f;
  NtCudaBackend *cu = NT_CUDA (be);
  const NtConvBuf bufs[3] = { { "x", x, 'x' }, { "w", w, 'w' },
                              { "y", y, 'y' } };
  NtCudaConv g;
  const NtCudaAlgo *algo;
  const float *xin;
  void *ws;

  if ((algo = nt_conv_prepare (cu, op, NT_CONV_FORWARD, xd, out_c, win,
                               bufs, &g, &ws)) == NULL
      || (xin = g.explicit_pad ? nt_conv_padded_input (cu, &g, x->data)
                               : x->data) == NULL)
    return;
  (void) NT_CUDNN_TRY (cu, cudnnConvolutionForward
                             (cu->cudnn, &one, cu->x_desc, xin, cu->w_desc,
                              w->data, cu->conv_desc,
                              (cudnnConvolutionFwdAlgo_t) algo->algo, ws,
                              algo->workspace, &zero, cu->y_desc, y->data));
}

void
_nt_cuda_conv2d_backward_data (NtBackend *be, const NtBuffer *dy,
                               const NtBuffer *w, NtDims xd, int out_c,
                               const NtWindow *win, NtBuffer *dx)
{
  static const char op[] = "conv2d_backward_data";
  static const float one = 1.0f, zero = 0.0f;
  NtCudaBackend *cu = NT_CUDA (be);
  const NtConvBuf bufs[3] = { { "dy", dy, 'y' }, { "w", w, 'w' },
                              { "dx", dx, 'x' } };
  NtCudaConv g;
  const NtCudaAlgo *algo;
  float *dxin;
  void *ws;

  if ((algo = nt_conv_prepare (cu, op, NT_CONV_BACKWARD_DATA, xd, out_c,
                               win, bufs, &g, &ws)) == NULL)
    return;
  /* With explicit padding the gradient of the padded input goes to
   * scratch (every element overwritten, beta = 0) and is cropped. */
  dxin = g.explicit_pad ? nt_conv_pad_buf (cu, &g) : dx->data;
  if (dxin == NULL
      || !NT_CUDNN_TRY (cu, cudnnConvolutionBackwardData
                              (cu->cudnn, &one, cu->w_desc, w->data,
                               cu->y_desc, dy->data, cu->conv_desc,
                               (cudnnConvolutionBwdDataAlgo_t) algo->algo,
                               ws, algo->workspace, &zero, cu->x_desc,
                               dxin)))
    return;
  if (g.explicit_pad)
    (void) _nt_cuda_check (cu, _nt_cuda_k_crop (cu->stream, dxin,
                                                (size_t) g.n * g.c, g.h, g.w,
                                                g.pt, g.pl, g.ch, g.cw,
                                                dx->data),
                           "convolution crop kernel launch");
}

void
_nt_cuda_conv2d_backward_filter (NtBackend *be, const NtBuffer *x,
                                 const NtBuffer *dy, NtDims xd, int out_c,
                                 const NtWindow *win, NtBuffer *dw)
{
  static const char op[] = "conv2d_backward_filter";
  static const float one = 1.0f, zero = 0.0f;
  NtCudaBackend *cu = NT_CUDA (be);
  const NtConvBuf bufs[3] = { { "x", x, 'x' }, { "dy", dy, 'y' },
                              { "dw", dw, 'w' } };
  NtCudaConv g;
  const NtCudaAlgo *algo;
  const float *xin;
  void *ws;

  if ((algo = nt_conv_prepare (cu, op, NT_CONV_BACKWARD_FILTER, xd, out_c,
                               win, bufs, &g, &ws)) == NULL
      || (xin = g.explicit_pad ? nt_conv_padded_input (cu, &g, x->data)
                               : x->data) == NULL)
    return;
  (void) NT_CUDNN_TRY (cu, cudnnConvolutionBackwardFilter
                             (cu->cudnn, &one, cu->x_desc, xin, cu->y_desc,
                              dy->data, cu->conv_desc,
                              (cudnnConvolutionBwdFilterAlgo_t) algo->algo,
                              ws, algo->workspace, &zero, cu->w_desc,
                              dw->data));
}

/* ---- max pooling ------------------------------------------------------ */

/* Validates a pooling call (the CPU backend's rules); fills oh, ow. */
static gboolean
nt_pool_geom (NtCudaBackend *cu, const char *op, NtDims xd,
              const NtWindow *win, int *oh, int *ow)
{
  if (!_nt_backend_check_pool (&cu->error, "cuda", op, xd, win))
    return FALSE;
  /* The kernels index a plane with int offsets. */
  if ((gint64) xd.h * xd.w > INT_MAX
      || (gsize) xd.n * xd.c > G_MAXSIZE / ((gsize) xd.h * xd.w))
    {
      _nt_cuda_fail (cu, NT_BACKEND_ERROR_INVALID, "%s: shape too large",
                     op);
      return FALSE;
    }
  *oh = nt_window_out_h (win, xd.h);
  *ow = nt_window_out_w (win, xd.w);
  return TRUE;
}

void
_nt_cuda_maxpool_forward (NtBackend *be, const NtBuffer *x, NtDims xd,
                          const NtWindow *win, NtBuffer *y)
{
  static const char op[] = "maxpool_forward";
  NtCudaBackend *cu = NT_CUDA (be);
  int oh, ow;
  gsize planes;

  if (!nt_pool_geom (cu, op, xd, win, &oh, &ow))
    return;
  planes = (gsize) xd.n * xd.c;
  if (!_nt_cuda_check_buf (cu, op, "x", x, 0, planes * xd.h * xd.w)
      || !_nt_cuda_check_buf (cu, op, "y", y, 0, planes * oh * ow)
      || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_maxpool_forward
                               (cu->stream, x->data, planes, xd.h, xd.w,
                                win->kh, win->kw, win->stride_h,
                                win->stride_w, oh, ow, y->data),
                         "maxpool_forward kernel launch");
}

void
_nt_cuda_maxpool_backward (NtBackend *be, const NtBuffer *x,
                           const NtBuffer *dy, NtDims xd, const NtWindow *win,
                           NtBuffer *dx)
{
  static const char op[] = "maxpool_backward";
  NtCudaBackend *cu = NT_CUDA (be);
  int oh, ow;
  gsize planes;

  if (!nt_pool_geom (cu, op, xd, win, &oh, &ow))
    return;
  planes = (gsize) xd.n * xd.c;
  if (!_nt_cuda_check_buf (cu, op, "x", x, 0, planes * xd.h * xd.w)
      || !_nt_cuda_check_buf (cu, op, "dy", dy, 0, planes * oh * ow)
      || !_nt_cuda_check_buf (cu, op, "dx", dx, 0, planes * xd.h * xd.w)
      || !_nt_cuda_enter (cu))
    return;
  (void) _nt_cuda_check (cu, _nt_cuda_k_maxpool_backward
                               (cu->stream, x->data, dy->data, planes, xd.h,
                                xd.w, win->kh, win->kw, win->stride_h,
                                win->stride_w, oh, ow, dx->data),
                         "maxpool_backward kernel launch");
}
