/* nt-ref-ops.c: naive reference operations (see nt-ref-ops.h). Clarity over
 * speed: every loop follows the definition, sums are in double. */
#include <math.h>
#include <string.h>

#include "nt-ref-ops.h"
#include "nt-dropout-private.h"

void
nt_ref_gemm (gboolean trans_a, gboolean trans_b, int m, int n, int k,
             float alpha, const float *a, const float *b, float beta,
             float *c)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        double sum = 0.0;

        for (int l = 0; l < k; l++)
          {
            /* op(A)[i][l] and op(B)[l][j] */
            double av = trans_a ? a[(gsize) l * m + i] : a[(gsize) i * k + l];
            double bv = trans_b ? b[(gsize) j * k + l] : b[(gsize) l * n + j];
            sum += av * bv;
          }
        sum *= alpha;
        if (beta != 0.0f)
          sum += (double) beta * c[(gsize) i * n + j];
        c[(gsize) i * n + j] = (float) sum;
      }
}

/* Input pixel (ih, iw) read by output (oh, ow) at kernel tap (i, j), or
 * FALSE when it falls in the padding. */
static gboolean
ref_tap (const NtWindow *win, NtDims xd, int oh, int ow, int i, int j,
         int *ih, int *iw)
{
  *ih = oh * win->stride_h - win->pad_top + i;
  *iw = ow * win->stride_w - win->pad_left + j;
  return *ih >= 0 && *ih < xd.h && *iw >= 0 && *iw < xd.w;
}

#define X4(arr, d1, d2, d3, a, b, c_, e) \
  (arr)[(((gsize) (a) * (d1) + (b)) * (d2) + (c_)) * (d3) + (e)]

void
nt_ref_conv2d_forward (const float *x, NtDims xd, const float *w, int out_c,
                       const NtWindow *win, float *y)
{
  int oh_n = nt_window_out_h (win, xd.h), ow_n = nt_window_out_w (win, xd.w);

  for (int n = 0; n < xd.n; n++)
    for (int k = 0; k < out_c; k++)
      for (int oh = 0; oh < oh_n; oh++)
        for (int ow = 0; ow < ow_n; ow++)
          {
            double sum = 0.0;

            for (int c = 0; c < xd.c; c++)
              for (int i = 0; i < win->kh; i++)
                for (int j = 0; j < win->kw; j++)
                  {
                    int ih, iw;
                    if (ref_tap (win, xd, oh, ow, i, j, &ih, &iw))
                      sum += (double) X4 (x, xd.c, xd.h, xd.w, n, c, ih, iw)
                             * X4 (w, xd.c, win->kh, win->kw, k, c, i, j);
                  }
            X4 (y, out_c, oh_n, ow_n, n, k, oh, ow) = (float) sum;
          }
}

void
nt_ref_conv2d_backward_data (const float *dy, const float *w, NtDims xd,
                             int out_c, const NtWindow *win, float *dx)
{
  int oh_n = nt_window_out_h (win, xd.h), ow_n = nt_window_out_w (win, xd.w);
  gsize count = (gsize) xd.n * xd.c * xd.h * xd.w;
  double *acc = g_new0 (double, count);

  /* Scatter form: every product of the forward pass sends its gradient
   * back to the input pixel it read. */
  for (int n = 0; n < xd.n; n++)
    for (int k = 0; k < out_c; k++)
      for (int oh = 0; oh < oh_n; oh++)
        for (int ow = 0; ow < ow_n; ow++)
          {
            double g = X4 (dy, out_c, oh_n, ow_n, n, k, oh, ow);

            for (int c = 0; c < xd.c; c++)
              for (int i = 0; i < win->kh; i++)
                for (int j = 0; j < win->kw; j++)
                  {
                    int ih, iw;
                    if (ref_tap (win, xd, oh, ow, i, j, &ih, &iw))
                      X4 (acc, xd.c, xd.h, xd.w, n, c, ih, iw)
                        += g * X4 (w, xd.c, win->kh, win->kw, k, c, i, j);
                  }
          }
  for (gsize t = 0; t < count; t++)
    dx[t] = (float) acc[t];
  g_free (acc);
}

void
nt_ref_conv2d_backward_filter (const float *x, const float *dy, NtDims xd,
                               int out_c, const NtWindow *win, float *dw)
{
  int oh_n = nt_window_out_h (win, xd.h), ow_n = nt_window_out_w (win, xd.w);

  for (int k = 0; k < out_c; k++)
    for (int c = 0; c < xd.c; c++)
      for (int i = 0; i < win->kh; i++)
        for (int j = 0; j < win->kw; j++)
          {
            double sum = 0.0;

            for (int n = 0; n < xd.n; n++)
              for (int oh = 0; oh < oh_n; oh++)
                for (int ow = 0; ow < ow_n; ow++)
                  {
                    int ih, iw;
                    if (ref_tap (win, xd, oh, ow, i, j, &ih, &iw))
                      sum += (double) X4 (dy, out_c, oh_n, ow_n, n, k, oh, ow)
                             * X4 (x, xd.c, xd.h, xd.w, n, c, ih, iw);
                  }
            X4 (dw, xd.c, win->kh, win->kw, k, c, i, j) = (float) sum;
          }
}

/* Plane offset of the first maximum of window (oh, ow). */
static gsize
ref_pool_argmax (const float *plane, NtDims xd, const NtWindow *win, int oh,
                 int ow)
{
  gsize best = 0;
  gboolean have = FALSE;

  for (int i = 0; i < win->kh; i++)
    for (int j = 0; j < win->kw; j++)
      {
        gsize at = (gsize) (oh * win->stride_h + i) * xd.w
                   + ow * win->stride_w + j;
        if (!have || plane[at] > plane[best])
          {
            best = at;
            have = TRUE;
          }
      }
  return best;
}

void
nt_ref_maxpool_forward (const float *x, NtDims xd, const NtWindow *win,
                        float *y)
{
  int oh_n = nt_window_out_h (win, xd.h), ow_n = nt_window_out_w (win, xd.w);

  for (int p = 0; p < xd.n * xd.c; p++)
    {
      const float *plane = x + (gsize) p * xd.h * xd.w;
      for (int oh = 0; oh < oh_n; oh++)
        for (int ow = 0; ow < ow_n; ow++)
          y[((gsize) p * oh_n + oh) * ow_n + ow]
            = plane[ref_pool_argmax (plane, xd, win, oh, ow)];
    }
}

void
nt_ref_maxpool_backward (const float *x, const float *dy, NtDims xd,
                         const NtWindow *win, float *dx)
{
  int oh_n = nt_window_out_h (win, xd.h), ow_n = nt_window_out_w (win, xd.w);
  gsize hw = (gsize) xd.h * xd.w;

  memset (dx, 0, (gsize) xd.n * xd.c * hw * sizeof (float));
  for (int p = 0; p < xd.n * xd.c; p++)
    for (int oh = 0; oh < oh_n; oh++)
      for (int ow = 0; ow < ow_n; ow++)
        dx[p * hw + ref_pool_argmax (x + p * hw, xd, win, oh, ow)]
          += dy[((gsize) p * oh_n + oh) * ow_n + ow];
}

void
nt_ref_bias_add (float *y, const float *b, int n, int c, int spatial)
{
  for (int i = 0; i < n; i++)
    for (int ch = 0; ch < c; ch++)
      for (int s = 0; s < spatial; s++)
        y[((gsize) i * c + ch) * spatial + s] += b[ch];
}

void
nt_ref_bias_grad (const float *dy, int n, int c, int spatial, float *db)
{
  for (int ch = 0; ch < c; ch++)
    {
      double sum = 0.0;
      for (int i = 0; i < n; i++)
        for (int s = 0; s < spatial; s++)
          sum += dy[((gsize) i * c + ch) * spatial + s];
      db[ch] = (float) sum;
    }
}

void
nt_ref_relu_forward (const float *x, float *y, gsize count)
{
  for (gsize i = 0; i < count; i++)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
nt_ref_relu_backward (const float *y, const float *dy, float *dx, gsize count)
{
  for (gsize i = 0; i < count; i++)
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void
nt_ref_dropout_forward (const float *x, float *y, float *mask, gsize count,
                        float rate, guint64 seed)
{
  for (gsize i = 0; i < count; i++)
    {
      mask[i] = nt_dropout_keep (seed, i, rate) ? 1.0f / (1.0f - rate) : 0.0f;
      y[i] = x[i] * mask[i];
    }
}

void
nt_ref_dropout_backward (const float *dy, const float *mask, float *dx,
                         gsize count)
{
  for (gsize i = 0; i < count; i++)
    dx[i] = dy[i] * mask[i];
}

gboolean
nt_ref_softmax_xent (const float *logits, const int *labels, int n,
                     int classes, double *loss_out, float *dlogits)
{
  double total = 0.0;

  for (int r = 0; r < n; r++)
    if (labels[r] < 0 || labels[r] >= classes)
      return FALSE;
  for (int r = 0; r < n; r++)
    {
      const float *z = logits + (gsize) r * classes;
      double mx = z[0], sum = 0.0;

      for (int j = 1; j < classes; j++)
        mx = MAX (mx, (double) z[j]);
      for (int j = 0; j < classes; j++)
        sum += exp (z[j] - mx);
      total += -(z[labels[r]] - mx - log (sum));
      if (dlogits != NULL)
        for (int j = 0; j < classes; j++)
          dlogits[(gsize) r * classes + j]
            = (float) ((exp (z[j] - mx) / sum - (j == labels[r])) / n);
    }
  *loss_out = total / n;
  return TRUE;
}

void
nt_ref_argmax (const float *x, int n, int classes, int *out)
{
  for (int r = 0; r < n; r++)
    {
      int best = 0;
      for (int j = 1; j < classes; j++)
        if (x[(gsize) r * classes + j] > x[(gsize) r * classes + best])
          best = j;
      out[r] = best;
    }
}

void
nt_ref_adam_update (float *param, const float *grad, float *m, float *v,
                    gsize count, float lr, float beta1, float beta2,
                    float eps, int step)
{
  double scale = lr * sqrt (1.0 - pow (beta2, step))
                 / (1.0 - pow (beta1, step));

  for (gsize i = 0; i < count; i++)
    {
      double g = grad[i];
      double mi = beta1 * (double) m[i] + (1.0 - beta1) * g;
      double vi = beta2 * (double) v[i] + (1.0 - beta2) * g * g;

      m[i] = (float) mi;
      v[i] = (float) vi;
      param[i] = (float) (param[i] - scale * mi / (sqrt (vi) + eps));
    }
}

void
nt_ref_sign (const float *x, float *y, gsize count)
{
  for (gsize i = 0; i < count; i++)
    y[i] = x[i] > 0.0f ? 1.0f : x[i] < 0.0f ? -1.0f : 0.0f;
}

void
nt_ref_scale_add (float *y, float alpha, const float *x, float beta,
                  gsize count)
{
  for (gsize i = 0; i < count; i++)
    y[i] = (float) ((double) alpha * x[i]
                    + (beta != 0.0f ? (double) beta * y[i] : 0.0));
}

static float
ref_clamp (float v, float lo, float hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

void
nt_ref_clip (float *x, float lo, float hi, gsize count)
{
  for (gsize i = 0; i < count; i++)
    x[i] = ref_clamp (x[i], lo, hi);
}

void
nt_ref_perturb (const float *x, const float *dir, const float *eps, int rows,
                int cols, float lo, float hi, float *out)
{
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++)
      {
        gsize at = (gsize) r * cols + j;
        out[at] = ref_clamp ((float) (x[at] + (double) eps[r] * dir[at]),
                             lo, hi);
      }
}
