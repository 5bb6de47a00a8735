/* nt-backend-cpu-conv.c: convolution by im2col + GEMM (3x3 stride-1 ones
 * by Winograd, nt-backend-cpu-winograd.c), and max pooling.
 *
 * Layout. For a block of nb images the columns form one [C*kh*kw x nb*P]
 * matrix (P = out_h * out_w), so the long dimension (images x output
 * positions) is the N of every product:
 *   forward          prod[K x nbP] = W[K x CRS] * cols[CRS x nbP]
 *   backward data    cols[CRS x nbP] = W^T * dy[K x nbP], then col2im
 *   backward filter  dW[K x CRS] += dy[K x nbP] * cols^T
 * OpenBLAS runs this orientation about twice as fast on the paper's CNN as
 * the transposed one (one image's positions as M). prod is scattered to (or
 * gathered from) NCHW, a memcpy of P floats per (image, channel); a block of
 * one image needs no reordering at all.
 *
 * Threads. The batch is split into one contiguous range of images per
 * OpenMP thread; each thread builds its own columns and calls a
 * single-threaded GEMM on them, in blocks small enough to stay in cache.
 * Only one thread pool is busy at a time: letting OpenBLAS's threads run the
 * GEMM while OpenMP's threads (which spin after each region) did im2col made
 * the two pools fight for the cores and cost about a third of the time on a
 * 2-core machine. The filter gradient is summed per thread, then the
 * partial sums are added in thread order, so results are deterministic for a
 * given thread count. BLAS itself always runs single-threaded (see
 * _nt_cpu_gemm_split). The scratch arrays live in the instance and are
 * reused.
 *
 * Fusion. conv2d_forward_bias adds the bias and applies the ReLU while each
 * block is scattered to NCHW, and conv2d_backward_bias masks, sums and
 * gathers the gradient once for the bias, filter and data gradients: the
 * separate bias, ReLU and gather passes over the activations cost about as
 * much as the GEMMs on a small CPU. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <limits.h>

#include "nt-backend.h"
#include "nt-backend-cpu-private.h"

/* Largest im2col block (floats) a thread builds at once, unless one image
 * alone needs more: 1 MiB, so the columns are still in cache when the GEMM
 * reads them. Measured on the paper's conv2 (batch 32, one thread): blocks
 * of 64 Ki..512 Ki floats run in 27-28 ms, 4 Mi floats or the whole batch
 * in 32 ms. */
#define NT_CPU_BLOCK_FLOATS ((gsize) 256 * 1024)

/* A validated convolution geometry, every size as gsize. */
typedef struct {
  gsize n, c, h, w;      /* input */
  gsize k;               /* output channels */
  gsize kh, kw, sh, sw;  /* window */
  gsize pt, pl;          /* top/left padding (bottom/right only bound out_h/w) */
  gsize oh, ow, p;       /* output height, width, positions */
  gsize crs;             /* C * kh * kw */
  gsize nb;              /* images per block */
  int nth;               /* threads sharing the batch */
} NtConvGeom;

/* Checks the shape and window and fills `g`; records an INVALID failure
 * naming `op` otherwise. */
static gboolean
nt_conv_geom (NtCpuBackend *cpu, const char *op, NtDims xd, int out_c,
              const NtWindow *win, NtConvGeom *g)
{
  int oh, ow;
  gsize per_thread;

  if (!_nt_backend_check_conv (&cpu->error, "cpu", op, xd, out_c, win))
    return FALSE;
  oh = nt_window_out_h (win, xd.h);
  ow = nt_window_out_w (win, xd.w);
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
  g->oh = oh;
  g->ow = ow;
  g->p = g->oh * g->ow;
  g->crs = g->c * g->kh * g->kw;
#ifdef _OPENMP
  g->nth = (int) MIN ((gsize) cpu->threads, g->n);
#else
  g->nth = 1;
#endif
  per_thread = (g->n + g->nth - 1) / g->nth;
  /* the block bounds both the columns and the product (K x positions) */
  g->nb = MIN (MAX (NT_CPU_BLOCK_FLOATS / (MAX (g->crs, g->k) * g->p), 1),
               per_thread);
  /* BLAS dimensions are int; whole-tensor and scratch sizes must fit a
   * gsize. */
  if (g->crs > INT_MAX || g->k > INT_MAX || g->p > INT_MAX / g->nb
      || g->k * g->crs > INT_MAX
      || g->n * g->c > G_MAXSIZE / (g->h * g->w)
      || g->n * g->k > G_MAXSIZE / g->p
      || g->crs * g->nth > G_MAXSIZE / (g->nb * g->p)
      || g->k * g->nth > G_MAXSIZE / (g->nb * g->p))
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                    "%s: convolution too large for BLAS int dimensions", op);
      return FALSE;
    }
  return TRUE;
}

/* Images [*lo, *hi) handled by thread t of a team of `team`: balanced
 * contiguous ranges covering the batch. */
static inline void
nt_thread_range (const NtConvGeom *g, int t, int team, gsize *lo, gsize *hi)
{
  *lo = g->n * (gsize) t / (gsize) team;
  *hi = g->n * (gsize) (t + 1) / (gsize) team;
}


/* First output column `o` (of `out`) whose input column o*s - pad + j lies
 * at or after `lo`, clamped to [0, out]. */
static inline gsize
nt_first_at_or_after (gsize lo, gsize s, gsize pad, gsize j, gsize out)
{
  gsize need;

  /* o*s + j >= lo + pad  <=>  o >= ceil((lo + pad - j) / s) */
  if (lo + pad <= j)
    return 0;
  need = (lo + pad - j + s - 1) / s;
  return MIN (need, out);
}

/* cols[CRS x nb*P] from images n0 .. n0+nb-1 of x. */
static void
nt_im2col (const NtConvGeom *g, const float *x, gsize n0, gsize nb,
           float *cols)
{
  const gsize np = nb * g->p;

  for (gsize r = 0; r < g->crs; r++)
    {
      gsize c = r / (g->kh * g->kw);
      gsize i = (r / g->kw) % g->kh;
      gsize j = r % g->kw;
      /* Output columns [lo, hi) read inside the image; the rest is
       * padding. */
      gsize lo = nt_first_at_or_after (0, g->sw, g->pl, j, g->ow);
      gsize hi = MAX (nt_first_at_or_after (g->w, g->sw, g->pl, j, g->ow),
                      lo);

      for (gsize nn = 0; nn < nb; nn++)
        {
          const float *plane = x + ((n0 + nn) * g->c + c) * g->h * g->w;
          float *dst = cols + r * np + nn * g->p;

          for (gsize oh = 0; oh < g->oh; oh++, dst += g->ow)
            {
              gsize ih_p = oh * g->sh + i;   /* ih + pad_top */
              const float *row;

              if (ih_p < g->pt || ih_p - g->pt >= g->h)
                {
                  memset (dst, 0, g->ow * sizeof (float));
                  continue;
                }
              /* Output column o reads input column o*sw + j - pl, which is
               * >= 0 for o >= lo. */
              row = plane + (ih_p - g->pt) * g->w;
              for (gsize o = 0; o < lo; o++)
                dst[o] = 0.0f;
              if (g->sw == 1 && hi > lo)
                memcpy (dst + lo, row + (lo + j - g->pl),
                        (hi - lo) * sizeof (float));
              else
                for (gsize o = lo; o < hi; o++)
                  dst[o] = row[o * g->sw + j - g->pl];
              for (gsize o = hi; o < g->ow; o++)
                dst[o] = 0.0f;
            }
        }
    }
}

/* dx of images n0 .. n0+nb-1 (overwritten) = col2im(cols): every column
 * entry is added back to the input pixel it was read from. */
static void
nt_col2im (const NtConvGeom *g, const float *cols, gsize n0, gsize nb,
           float *dx)
{
  const gsize np = nb * g->p;

  memset (dx + n0 * g->c * g->h * g->w, 0,
          nb * g->c * g->h * g->w * sizeof (float));
  for (gsize r = 0; r < g->crs; r++)
    {
      gsize c = r / (g->kh * g->kw);
      gsize i = (r / g->kw) % g->kh;
      gsize j = r % g->kw;
      gsize lo = nt_first_at_or_after (0, g->sw, g->pl, j, g->ow);
      gsize hi = MAX (nt_first_at_or_after (g->w, g->sw, g->pl, j, g->ow),
                      lo);

      for (gsize nn = 0; nn < nb; nn++)
        {
          float *plane = dx + ((n0 + nn) * g->c + c) * g->h * g->w;
          const float *src = cols + r * np + nn * g->p;

          for (gsize oh = 0; oh < g->oh; oh++, src += g->ow)
            {
              gsize ih_p = oh * g->sh + i;
              float *row;

              if (ih_p < g->pt || ih_p - g->pt >= g->h)
                continue;
              row = plane + (ih_p - g->pt) * g->w;
              if (g->sw == 1)
                {
                  /* contiguous: lets the compiler vectorise */
                  float *d = row + j - g->pl;
                  for (gsize o = lo; o < hi; o++)
                    d[o] += src[o];
                }
              else
                for (gsize o = lo; o < hi; o++)
                  row[o * g->sw + j - g->pl] += src[o];
            }
        }
    }
}

/* Grows the per-thread product scratch for `g`, and the column scratch
 * when `with_cols` (im2col; *cols is NULL otherwise); FALSE after
 * recording OUT_OF_MEMORY. */
static gboolean
nt_conv_scratch (NtCpuBackend *cpu, const NtConvGeom *g, gboolean with_cols,
                 float **cols, float **prod)
{
  *cols = NULL;
  if (with_cols
      && (*cols = _nt_cpu_scratch (cpu, &cpu->cols,
                                   g->nth * g->crs * g->nb * g->p)) == NULL)
    return FALSE;
  *prod = _nt_cpu_scratch (cpu, &cpu->prod, g->nth * g->k * g->nb * g->p);
  return *prod != NULL;
}

/* Sum of `count` floats in 16 interleaved partial sums, which the compiler
 * can keep in vector registers (a single running sum cannot be vectorised
 * without reassociating). */
static inline float
nt_sum (const float *x, gsize count)
{
  float part[16] = { 0 }, sum = 0.0f;
  gsize i = 0;

  for (; i + 16 <= count; i += 16)
    for (int j = 0; j < 16; j++)
      part[j] += x[i + j];
  for (; i < count; i++)
    sum += x[i];
  for (int j = 0; j < 16; j++)
    sum += part[j];
  return sum;
}

/* The Winograd tile size m (2 or 4) when the Winograd routine takes this
 * convolution (3x3, stride 1, top/left padding within the kernel so that
 * the data gradient's padding, 2 - pad, is not negative; at least 8
 * channels in and out: thinner GEMMs gain nothing; a batch of at least 2)
 * and the instance allows it; 0 otherwise.
 *
 * A single sample always runs im2col + GEMM. That is the attacks' case (each
 * sample's input gradient is computed alone), and there Winograd's tile
 * transforms do harm: they round mathematically equal outputs differently
 * by position, so the flat background of an MNIST digit loses its exact
 * max-pool ties, and the backward pass routes the gradient, and so the
 * FGSM direction, by rounding. im2col computes every position alike, as
 * cuDNN's implicit GEMM does: on a paper set's 1000 source images the CPU
 * then finds the same thresholds as an H200 for 975 images (66 with
 * Winograd), and is no slower at one sample. */
static int
nt_wino_applies (const NtCpuBackend *cpu, const NtConvGeom *g)
{
  return g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->pt <= 2
                 && g->pl <= 2 && g->c >= 8 && g->k >= 8 && g->n >= 2
             ? cpu->winograd
             : 0;
}

/* Floats of one Winograd kernel transform, a^2 K C, rounded to whole
 * cache lines (so is every region below). */
static gsize
nt_wino_kernel_size (int m, const NtConvGeom *g)
{
  return nt_cpu_round_line ((gsize) (m + 2) * (m + 2) * g->k * g->c);
}

/* Winograd scratch for tile size m: the kernel transform at the start,
 * then one slice per thread of `*per_thread` floats: `*filter_part` for
 * the forward or the filter gradient, then the data gradient's (the
 * backward needs both at once: the data gradient reads the channel-last
 * gradient the filter gradient left). NULL after recording OUT_OF_MEMORY. */
static float *
nt_wino_scratch (NtCpuBackend *cpu, int m, const NtConvGeom *g,
                 gsize *per_thread, gsize *filter_part)
{
  int c = (int) g->c, h = (int) g->h, w = (int) g->w, k = (int) g->k;
  int oh = (int) g->oh, ow = (int) g->ow;

  *filter_part = nt_cpu_round_line (
    _nt_cpu_winograd_scratch (m, c, h, w, k, oh, ow));
  *per_thread = *filter_part + nt_cpu_round_line (
    _nt_cpu_winograd_scratch (m, k, oh, ow, c, h, w));
  return _nt_cpu_scratch (cpu, &cpu->wino,
                          nt_wino_kernel_size (m, g)
                            + g->nth * *per_thread);
}

void
_nt_cpu_conv2d_forward_bias (NtBackend *be, const NtBuffer *x, NtDims xd,
                             const NtBuffer *w, const NtBuffer *b, int out_c,
                             const NtWindow *win, gboolean relu, NtBuffer *y)
{
  static const char op[] = "conv2d_forward";
  NtCpuBackend *cpu = NT_CPU (be);
  NtConvGeom g;
  float *cols_all, *prod_all;

  if (!nt_conv_geom (cpu, op, xd, out_c, win, &g)
      || !_nt_cpu_check_buf (cpu, op, "x", x, 0, g.n * g.c * g.h * g.w)
      || !_nt_cpu_check_buf (cpu, op, "w", w, 0, g.k * g.crs)
      || (b != NULL && !_nt_cpu_check_buf (cpu, op, "b", b, 0, g.k))
      || !_nt_cpu_check_buf (cpu, op, "y", y, 0, g.n * g.k * g.p))
    return;

  int wino = nt_wino_applies (cpu, &g);
  if (wino)
    {
      gsize slice, filter_part;
      float *u = nt_wino_scratch (cpu, wino, &g, &slice, &filter_part);

      if (u == NULL)
        return;
      _nt_cpu_winograd_kernels (g.nth, wino, w->data, (int) g.k, (int) g.c,
                                FALSE, u);
      NT_OMP (parallel num_threads (g.nth))
      {
        int t = nt_thread_num ();
        float *v = u + nt_wino_kernel_size (wino, &g) + (gsize) t * slice;
        gsize lo, hi;

        nt_thread_range (&g, t, nt_team_size (), &lo, &hi);
        for (gsize n = lo; n < hi; n++)
          _nt_cpu_winograd_image (wino, x->data + n * g.c * g.h * g.w,
                                  FALSE, (int) g.c, (int) g.h, (int) g.w,
                                  (int) g.pt, (int) g.pl, u, (int) g.k,
                                  (int) g.oh, (int) g.ow,
                                  b ? b->data : NULL, relu,
                                  y->data + n * g.k * g.p, v);
      }
      return;
    }

  if (!nt_conv_scratch (cpu, &g, TRUE, &cols_all, &prod_all))
    return;
  NT_OMP (parallel num_threads (g.nth))
  {
    int t = nt_thread_num ();
    float *cols = cols_all + (gsize) t * g.crs * g.nb * g.p;
    float *prod = prod_all + (gsize) t * g.k * g.nb * g.p;
    gsize lo, hi;

    nt_thread_range (&g, t, nt_team_size (), &lo, &hi);
    for (gsize n0 = lo; n0 < hi; n0 += g.nb)
      {
        gsize nb = MIN (g.nb, hi - n0);
        int np = (int) (nb * g.p);
        /* One image: its [K x P] block of y is the product itself. */
        float *out = nb == 1 ? y->data + n0 * g.k * g.p : prod;

        nt_im2col (&g, x->data, n0, nb, cols);
        _nt_cpu_sgemm (FALSE, FALSE, (int) g.k, np, (int) g.crs, 1.0f,
                       w->data, (int) g.crs, cols, np, 0.0f, out, np);
        /* bias and activation while the block is in cache, on the way
         * to NCHW */
        for (gsize nn = 0; nn < nb; nn++)
          for (gsize k = 0; k < g.k; k++)
            {
              float *dst = y->data + ((n0 + nn) * g.k + k) * g.p;
              const float *src = out + k * (gsize) np + nn * g.p;

              float bias = b ? b->data[k] : 0.0f;

              /* in place (dst == src) for a one-image block */
              if (b != NULL || relu)
                nt_bias_act (dst, src, g.p, bias, relu);
              else if (dst != src)
                memcpy (dst, src, g.p * sizeof (float));
            }
      }
  }
}

void
_nt_cpu_conv2d_forward (NtBackend *be, const NtBuffer *x, NtDims xd,
                        const NtBuffer *w, int out_c, const NtWindow *win,
                        NtBuffer *y)
{
  _nt_cpu_conv2d_forward_bias (be, x, xd, w, NULL, out_c, win, FALSE, y);
}

/* The backward of y = act(conv(x, w) + b), behind all three backward ops:
 * per block of images the gradient g (dy, masked by y > 0 for a ReLU) is
 * gathered once (or read in place: one image, no mask) and feeds the bias
 * sum, the filter gradient and the data gradient. dw, db and dx may each be
 * NULL (not wanted); x is read only for dw. By im2col the columns of x are
 * rebuilt in `cols` for the filter GEMM, which the data GEMM then
 * overwrites; by Winograd one image at a time, the filter gradient summed
 * in the transform domain (a^2 x C x K) and transformed once, the data
 * gradient reading the channel-last gradient the filter gradient made.
 * Per-thread partial sums are added in thread order, so results are
 * deterministic for a given thread count. */
static void
nt_conv_backward (NtBackend *be, const char *op, const NtBuffer *x,
                  const NtBuffer *y, const NtBuffer *dy, const NtBuffer *w,
                  NtDims xd, int out_c, const NtWindow *win, gboolean relu,
                  NtBuffer *dw, NtBuffer *db, NtBuffer *dx)
{
  NtCpuBackend *cpu = NT_CPU (be);
  NtConvGeom g;
  float *cols_all, *prod_all, *part = NULL, *u = NULL;
  gsize kw_size, stride, slice = 0, filter_scratch = 0;
  int team = 1;
  int wino;   /* the Winograd tile size, 0 for im2col */

  if (!nt_conv_geom (cpu, op, xd, out_c, win, &g)
      || (dw != NULL
          && !_nt_cpu_check_buf (cpu, op, "x", x, 0, g.n * g.c * g.h * g.w))
      || (relu && !_nt_cpu_check_buf (cpu, op, "y", y, 0, g.n * g.k * g.p))
      || !_nt_cpu_check_buf (cpu, op, "dy", dy, 0, g.n * g.k * g.p)
      || (dx != NULL && !_nt_cpu_check_buf (cpu, op, "w", w, 0, g.k * g.crs))
      || (dw != NULL
          && !_nt_cpu_check_buf (cpu, op, "dw", dw, 0, g.k * g.crs))
      || (db != NULL && !_nt_cpu_check_buf (cpu, op, "db", db, 0, g.k))
      || (dx != NULL
          && !_nt_cpu_check_buf (cpu, op, "dx", dx, 0, g.n * g.c * g.h * g.w)))
    return;
  wino = nt_wino_applies (cpu, &g);
  if (wino)
    g.nb = 1;
  if (!nt_conv_scratch (cpu, &g, !wino, &cols_all, &prod_all)
      || (wino && (u = nt_wino_scratch (cpu, wino, &g, &slice,
                                        &filter_scratch)) == NULL))
    return;
  if (wino && dx != NULL)
    /* pads of the data gradient: kh - 1 - pad_top, kw - 1 - pad_left */
    _nt_cpu_winograd_kernels (g.nth, wino, w->data, (int) g.k, (int) g.c,
                              TRUE, u);
  kw_size = dw == NULL ? 0 : wino ? nt_wino_kernel_size (wino, &g)
                                  : g.k * g.crs;
  /* one thread's partial filter gradient and db, whole cache lines apart */
  stride = nt_cpu_round_line (kw_size + g.k);
  /* Every thread sums into its own part; Winograd's thread 0 too (its sum
   * is in the transform domain), im2col's thread 0 straight into dw, db. */
  if ((dw != NULL || db != NULL) && (wino || g.nth > 1)
      && (part = _nt_cpu_scratch (cpu, &cpu->part, g.nth * stride)) == NULL)
    return;

  NT_OMP (parallel num_threads (g.nth))
  {
    int t = nt_thread_num ();
    float *cols = cols_all + (gsize) t * g.crs * g.nb * g.p;
    float *prod = prod_all + (gsize) t * g.k * g.nb * g.p;
    gboolean own = t > 0 || wino;   /* sums into part, not the outputs */
    float *acc = dw == NULL ? NULL
                 : own ? part + (gsize) t * stride : dw->data;
    float *bacc = db == NULL ? NULL
                  : own ? part + (gsize) t * stride + kw_size : db->data;
    float *v = wino ? u + nt_wino_kernel_size (wino, &g) + (gsize) t * slice
                    : NULL;
    gsize lo, hi;

    if (t == 0)
      team = nt_team_size ();
    nt_thread_range (&g, t, nt_team_size (), &lo, &hi);
    if (bacc != NULL)
      memset (bacc, 0, g.k * sizeof (float));
    for (gsize n0 = lo; n0 < hi; n0 += g.nb)
      {
        gsize nb = MIN (g.nb, hi - n0);
        int np = (int) (nb * g.p);
        const float *gk = prod;   /* g as [K x nb*P] */
        const float *g_last = NULL;

        if (!relu && nb == 1)
          gk = dy->data + n0 * g.k * g.p;   /* already that layout */
        else
          for (gsize nn = 0; nn < nb; nn++)
            for (gsize k = 0; k < g.k; k++)
              {
                gsize at = ((n0 + nn) * g.k + k) * g.p;
                float *dst = prod + k * (gsize) np + nn * g.p;

                if (relu)
                  nt_relu_mask (dst, dy->data + at, y->data + at, g.p);
                else
                  memcpy (dst, dy->data + at, g.p * sizeof (float));
              }
        if (bacc != NULL)
          for (gsize k = 0; k < g.k; k++)
            bacc[k] += nt_sum (gk + k * (gsize) np, (gsize) np);
        /* The first block of a thread overwrites, later ones add. */
        if (dw != NULL && wino)
          g_last = _nt_cpu_winograd_filter_image (
            wino, x->data + n0 * g.c * g.h * g.w, (int) g.c, (int) g.h,
            (int) g.w, (int) g.pt, (int) g.pl, gk, (int) g.k, (int) g.oh,
            (int) g.ow, n0 == lo, acc, v);
        else if (dw != NULL)
          {
            nt_im2col (&g, x->data, n0, nb, cols);
            _nt_cpu_sgemm (FALSE, TRUE, (int) g.k, (int) g.crs, np, 1.0f,
                           gk, np, cols, np, n0 == lo ? 0.0f : 1.0f, acc,
                           (int) g.crs);
          }
        if (dx != NULL && wino)
          _nt_cpu_winograd_image (wino, g_last ? g_last : gk, g_last != NULL,
                                  (int) g.k, (int) g.oh, (int) g.ow,
                                  2 - (int) g.pt, 2 - (int) g.pl, u,
                                  (int) g.c, (int) g.h, (int) g.w, NULL,
                                  FALSE, dx->data + n0 * g.c * g.h * g.w,
                                  v + filter_scratch);
        else if (dx != NULL)
          {
            _nt_cpu_sgemm (TRUE, FALSE, (int) g.crs, np, (int) g.k, 1.0f,
                           w->data, (int) g.crs, gk, np, 0.0f, cols, np);
            nt_col2im (&g, cols, n0, nb, dx->data);
          }
      }
  }
  if (part == NULL)
    return;   /* one im2col thread: the sums went straight to dw and db */
  /* Every thread had at least one image (team <= nth <= n); add the
   * partial sums in thread order. */
  float *sum_w = wino ? part : (dw ? dw->data : NULL);
  float *sum_b = wino ? part + kw_size : (db ? db->data : NULL);
  for (int t = 1; t < team; t++)
    {
      const float *src = part + (gsize) t * stride;
      for (gsize i = 0; sum_w != NULL && i < kw_size; i++)
        sum_w[i] += src[i];
      for (gsize i = 0; sum_b != NULL && i < g.k; i++)
        sum_b[i] += src[kw_size + i];
    }
  if (wino && dw != NULL)
    _nt_cpu_winograd_filter_finish (wino, part, (int) g.k, (int) g.c,
                                    dw->data);
  if (wino && db != NULL)
    memcpy (db->data, part + kw_size, g.k * sizeof (float));
}

void
_nt_cpu_conv2d_backward_data (NtBackend *be, const NtBuffer *dy,
                              const NtBuffer *w, NtDims xd, int out_c,
                              const NtWindow *win, NtBuffer *dx)
{
  nt_conv_backward (be, "conv2d_backward_data", NULL, NULL, dy, w, xd, out_c,
                    win, FALSE, NULL, NULL, dx);
}

void
_nt_cpu_conv2d_backward_filter (NtBackend *be, const NtBuffer *x,
                                const NtBuffer *dy, NtDims xd, int out_c,
                                const NtWindow *win, NtBuffer *dw)
{
  nt_conv_backward (be, "conv2d_backward_filter", x, NULL, dy, NULL, xd,
                    out_c, win, FALSE, dw, NULL, NULL);
}

void
_nt_cpu_conv2d_backward_bias (NtBackend *be, const NtBuffer *x,
                              const NtBuffer *y, const NtBuffer *dy,
                              const NtBuffer *w, NtDims xd, int out_c,
                              const NtWindow *win, gboolean relu,
                              NtBuffer *dw, NtBuffer *db, NtBuffer *dx)
{
  static const char op[] = "conv2d_backward_bias";

  /* dw, db and dx are each optional (NULL: skipped) */
  nt_conv_backward (be, op, x, y, dy, w, xd, out_c, win, relu, dw, db, dx);
}

/* ---- max pooling ------------------------------------------------------ */

/* Validates a pooling call; fills out_h/out_w. */
static gboolean
nt_pool_geom (NtCpuBackend *cpu, const char *op, NtDims xd,
              const NtWindow *win, gsize *oh, gsize *ow)
{
  if (!_nt_backend_check_pool (&cpu->error, "cpu", op, xd, win))
    return FALSE;
  *oh = nt_window_out_h (win, xd.h);
  *ow = nt_window_out_w (win, xd.w);
  if ((gsize) xd.n * xd.c > G_MAXSIZE / ((gsize) xd.h * xd.w))
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID, "%s: shape too large", op);
      return FALSE;
    }
  return TRUE;
}

/* Offset (within the plane) of the first maximum of the window whose top
 * left corner is at (r0, c0), scanning rows then columns. */
static inline gsize
nt_window_argmax (const float *plane, gsize w, gsize r0, gsize c0, gsize kh,
                  gsize kw)
{
  gsize best = r0 * w + c0;
  float bv = plane[best];

  for (gsize i = 0; i < kh; i++)
    for (gsize j = 0; j < kw; j++)
      {
        gsize at = (r0 + i) * w + c0 + j;
        if (plane[at] > bv)
          {
            bv = plane[at];
            best = at;
          }
      }
  return best;
}

void
_nt_cpu_maxpool_forward (NtBackend *be, const NtBuffer *x, NtDims xd,
                         const NtWindow *win, NtBuffer *y)
{
  static const char op[] = "maxpool_forward";
  NtCpuBackend *cpu = NT_CPU (be);
  gsize oh, ow, hw;
  gssize t, planes;

  if (!nt_pool_geom (cpu, op, xd, win, &oh, &ow))
    return;
  hw = (gsize) xd.h * xd.w;
  planes = (gssize) xd.n * xd.c;
  if (!_nt_cpu_check_buf (cpu, op, "x", x, 0, planes * hw)
      || !_nt_cpu_check_buf (cpu, op, "y", y, 0, planes * oh * ow))
    return;

  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (planes * (gssize) hw > NT_CPU_PAR_MIN))
  for (t = 0; t < planes; t++)
    {
      const float *plane = x->data + t * hw;
      float *out = y->data + t * oh * ow;

      if (win->kh == 2 && win->kw == 2 && win->stride_h == 2
          && win->stride_w == 2)
        {
          /* the paper's pooling; the first maximum of a window is its
           * value, so no index is needed */
          for (gsize r = 0; r < oh; r++)
            {
              const float *r0 = plane + 2 * r * xd.w, *r1 = r0 + xd.w;
              for (gsize c = 0; c < ow; c++)
                {
                  float a = MAX (r0[2 * c], r0[2 * c + 1]);
                  float b = MAX (r1[2 * c], r1[2 * c + 1]);
                  out[r * ow + c] = MAX (a, b);
                }
            }
          continue;
        }
      for (gsize r = 0; r < oh; r++)
        for (gsize c = 0; c < ow; c++)
          out[r * ow + c] = plane[nt_window_argmax (plane, xd.w,
                                                    r * win->stride_h,
                                                    c * win->stride_w,
                                                    win->kh, win->kw)];
    }
}

void
_nt_cpu_maxpool_backward (NtBackend *be, const NtBuffer *x,
                          const NtBuffer *dy, NtDims xd, const NtWindow *win,
                          NtBuffer *dx)
{
  static const char op[] = "maxpool_backward";
  NtCpuBackend *cpu = NT_CPU (be);
  gsize oh, ow, hw;
  gssize t, planes;

  if (!nt_pool_geom (cpu, op, xd, win, &oh, &ow))
    return;
  hw = (gsize) xd.h * xd.w;
  planes = (gssize) xd.n * xd.c;
  if (!_nt_cpu_check_buf (cpu, op, "x", x, 0, planes * hw)
      || !_nt_cpu_check_buf (cpu, op, "dy", dy, 0, planes * oh * ow)
      || !_nt_cpu_check_buf (cpu, op, "dx", dx, 0, planes * hw))
    return;

  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (planes * (gssize) hw > NT_CPU_PAR_MIN))
  for (t = 0; t < planes; t++)
    {
      const float *plane = x->data + t * hw;
      const float *g = dy->data + t * oh * ow;
      float *d = dx->data + t * hw;

      if (win->kh == 2 && win->kw == 2 && win->stride_h == 2
          && win->stride_w == 2)
        {
          /* the paper's pooling: disjoint windows, the first maximum in
           * the order (0,0) (0,1) (1,0) (1,1) takes the gradient; every
           * element of a window is written, so only an odd last row or
           * column needs clearing */
          if (xd.h % 2 || xd.w % 2)
            memset (d, 0, hw * sizeof (float));
          for (gsize r = 0; r < oh; r++)
            {
              const float *r0 = plane + 2 * r * xd.w, *r1 = r0 + xd.w;
              float *d0 = d + 2 * r * xd.w, *d1 = d0 + xd.w;
              for (gsize c = 0; c < ow; c++)
                {
                  float a = r0[2 * c], b = r0[2 * c + 1];
                  float e = r1[2 * c], f = r1[2 * c + 1];
                  float v = g[r * ow + c];
                  /* which of the four is the first maximum */
                  int top = MAX (a, b) >= MAX (e, f);
                  int at = top ? (b > a) : 2 + (f > e);

                  d0[2 * c] = at == 0 ? v : 0.0f;
                  d0[2 * c + 1] = at == 1 ? v : 0.0f;
                  d1[2 * c] = at == 2 ? v : 0.0f;
                  d1[2 * c + 1] = at == 3 ? v : 0.0f;
                }
            }
          continue;
        }
      memset (d, 0, hw * sizeof (float));
      for (gsize r = 0; r < oh; r++)
        for (gsize c = 0; c < ow; c++)
          d[nt_window_argmax (plane, xd.w, r * win->stride_h,
                              c * win->stride_w, win->kh, win->kw)]
            += g[r * ow + c];
    }
}
