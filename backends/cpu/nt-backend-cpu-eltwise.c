/* nt-backend-cpu-eltwise.c: the CPU backend's element-wise and row-wise
 * operations: bias, ReLU, dropout, softmax cross-entropy, argmax, Adam and
 * the attack helpers. Loops run on OpenMP threads once they are long enough
 * to pay for waking the team (NT_CPU_PAR_MIN). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include "nt-backend.h"
#include "nt-dropout-private.h"
#include "nt-backend-cpu-private.h"

#define nt_count3(cpu, ...) \
  _nt_backend_count3 (&(cpu)->error, "cpu", __VA_ARGS__)

void
_nt_cpu_bias_add (NtBackend *be, NtBuffer *y, const NtBuffer *b, int n, int c,
                  int spatial)
{
  NtCpuBackend *cpu = NT_CPU (be);
  gsize count;
  gssize t, rows;

  if (!nt_count3 (cpu, "bias_add", n, c, spatial, &count)
      || !_nt_cpu_check_buf (cpu, "bias_add", "y", y, 0, count)
      || !_nt_cpu_check_buf (cpu, "bias_add", "b", b, 0, (gsize) c))
    return;
  rows = (gssize) n * c;
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (t = 0; t < rows; t++)
    {
      float *p = y->data + (gsize) t * spatial;
      float bias = b->data[t % c];

      for (int s = 0; s < spatial; s++)
        p[s] += bias;
    }
}

void
_nt_cpu_bias_grad (NtBackend *be, const NtBuffer *dy, int n, int c,
                   int spatial, NtBuffer *db)
{
  NtCpuBackend *cpu = NT_CPU (be);
  gsize count;
  int ch;

  if (!nt_count3 (cpu, "bias_grad", n, c, spatial, &count)
      || !_nt_cpu_check_buf (cpu, "bias_grad", "dy", dy, 0, count)
      || !_nt_cpu_check_buf (cpu, "bias_grad", "db", db, 0, (gsize) c))
    return;
  /* Sums in double: a dense layer's bias sums only n values, a conv layer's
   * n * out_h * out_w, which loses digits in float. */
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (ch = 0; ch < c; ch++)
    {
      double sum = 0.0;

      for (int i = 0; i < n; i++)
        {
          const float *p = dy->data + ((gsize) i * c + ch) * spatial;
          for (int s = 0; s < spatial; s++)
            sum += p[s];
        }
      db->data[ch] = (float) sum;
    }
}

void
_nt_cpu_relu_forward (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                      gsize count)
{
  NtCpuBackend *cpu = NT_CPU (be);
  const float *xp;
  float *yp;
  gssize i;

  if (!_nt_cpu_check_buf (cpu, "relu_forward", "x", x, 0, count)
      || !_nt_cpu_check_buf (cpu, "relu_forward", "y", y, 0, count))
    return;
  xp = x->data;
  yp = y->data;
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (i = 0; i < (gssize) count; i++)
    yp[i] = xp[i] > 0.0f ? xp[i] : 0.0f;
}

void
_nt_cpu_relu_backward (NtBackend *be, const NtBuffer *y, const NtBuffer *dy,
                       NtBuffer *dx, gsize count)
{
  NtCpuBackend *cpu = NT_CPU (be);
  const float *yp, *gp;
  float *dp;

  if (!_nt_cpu_check_buf (cpu, "relu_backward", "y", y, 0, count)
      || !_nt_cpu_check_buf (cpu, "relu_backward", "dy", dy, 0, count)
      || !_nt_cpu_check_buf (cpu, "relu_backward", "dx", dx, 0, count))
    return;
  yp = y->data;
  gp = dy->data;
  dp = dx->data;
  NT_OMP (parallel num_threads (cpu->threads) if (count > NT_CPU_PAR_MIN))
  {
    int t = nt_thread_num (), team = nt_team_size ();
    gsize lo = count * t / team, hi = count * (t + 1) / team;

    nt_relu_mask (dp + lo, gp + lo, yp + lo, hi - lo);
  }
}

/* Mask and output of elements [lo, hi). The hash's 64-bit multiplies
 * vectorise only with AVX-512 DQ: 8 elements at once instead of 1. */
NT_CPU_CLONES
static void
nt_dropout_range (guint64 seed, float rate, float scale, const float *x,
                  float *y, float *restrict mask, gsize lo, gsize hi)
{
  for (gsize i = lo; i < hi; i++)
    {
      float m = nt_dropout_keep (seed, (guint64) i, rate) ? scale : 0.0f;
      mask[i] = m;
      y[i] = x[i] * m;
    }
}

void
_nt_cpu_dropout_forward (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                         NtBuffer *mask, gsize count, float rate,
                         guint64 seed)
{
  NtCpuBackend *cpu = NT_CPU (be);
  const float *xp;
  float *yp, *mp, scale;

  if (!_nt_cpu_check_buf (cpu, "dropout_forward", "x", x, 0, count)
      || !_nt_cpu_check_buf (cpu, "dropout_forward", "y", y, 0, count)
      || !_nt_cpu_check_buf (cpu, "dropout_forward", "mask", mask, 0, count))
    return;
  if (!(rate >= 0.0f && rate < 1.0f))
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                    "dropout_forward: rate %g is outside [0, 1)",
                    (double) rate);
      return;
    }
  scale = 1.0f / (1.0f - rate);
  xp = x->data;
  yp = y->data;
  mp = mask->data;
  NT_OMP (parallel num_threads (cpu->threads)
          if (count > NT_CPU_PAR_MIN / 4))
  {
    int t = nt_thread_num (), team = nt_team_size ();

    nt_dropout_range (seed, rate, scale, xp, yp, mp, count * t / team,
                      count * (t + 1) / team);
  }
}

void
_nt_cpu_dropout_backward (NtBackend *be, const NtBuffer *dy,
                          const NtBuffer *mask, NtBuffer *dx, gsize count)
{
  NtCpuBackend *cpu = NT_CPU (be);
  const float *gp, *mp;
  float *dp;
  gssize i;

  if (!_nt_cpu_check_buf (cpu, "dropout_backward", "dy", dy, 0, count)
      || !_nt_cpu_check_buf (cpu, "dropout_backward", "mask", mask, 0, count)
      || !_nt_cpu_check_buf (cpu, "dropout_backward", "dx", dx, 0, count))
    return;
  gp = dy->data;
  mp = mask->data;
  dp = dx->data;
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (i = 0; i < (gssize) count; i++)
    dp[i] = gp[i] * mp[i];
}

void
_nt_cpu_softmax_xent (NtBackend *be, const NtBuffer *logits,
                      const int *labels, int n, int classes, float *loss_out,
                      NtBuffer *dlogits)
{
  static const char op[] = "softmax_xent";
  NtCpuBackend *cpu = NT_CPU (be);
  gsize count;
  double total = 0.0;
  int r;

  if (n < 1 || classes < 1)
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                    "%s: needs at least one row and one class (n=%d, "
                    "classes=%d)", op, n, classes);
      return;
    }
  count = (gsize) n * (gsize) classes;
  if (!_nt_cpu_check_buf (cpu, op, "logits", logits, 0, count)
      || (dlogits != NULL
          && !_nt_cpu_check_buf (cpu, op, "dlogits", dlogits, 0, count)))
    return;
  if (labels == NULL)
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID, "%s: labels are NULL", op);
      return;
    }
  /* Check every label first so that a bad one leaves the outputs alone. */
  for (r = 0; r < n; r++)
    if (labels[r] < 0 || labels[r] >= classes)
      {
        _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                      "%s: label %d of row %d is outside [0, %d); the data "
                      "set and the model disagree on the number of classes",
                      op, labels[r], r, classes);
        if (loss_out != NULL)
          *loss_out = NAN;
        return;
      }

  /* Row-wise log-sum-exp after subtracting the row maximum, so that large
   * logits cannot overflow exp(). */
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          reduction (+:total) if (count > NT_CPU_PAR_MIN / 8))
  for (r = 0; r < n; r++)
    {
      const float *z = logits->data + (gsize) r * classes;
      float mx = z[0];
      double sum = 0.0;

      for (int j = 1; j < classes; j++)
        if (z[j] > mx)
          mx = z[j];
      for (int j = 0; j < classes; j++)
        sum += exp ((double) z[j] - mx);
      total += log (sum) - ((double) z[labels[r]] - mx);
      if (dlogits != NULL)
        {
          float *d = dlogits->data + (gsize) r * classes;
          double inv = 1.0 / (sum * n);

          for (int j = 0; j < classes; j++)
            d[j] = (float) (exp ((double) z[j] - mx) * inv
                            - (j == labels[r] ? 1.0 / n : 0.0));
        }
    }
  if (loss_out != NULL)
    *loss_out = (float) (total / n);
}

void
_nt_cpu_argmax (NtBackend *be, const NtBuffer *x, int n, int classes,
                int *out)
{
  NtCpuBackend *cpu = NT_CPU (be);
  int r;

  if (n < 0 || classes < 1 || (n > 0 && out == NULL))
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                    "argmax: invalid arguments (n=%d, classes=%d)", n,
                    classes);
      return;
    }
  if (!_nt_cpu_check_buf (cpu, "argmax", "x", x, 0,
                          (gsize) n * (gsize) classes))
    return;
  for (r = 0; r < n; r++)
    {
      const float *z = x->data + (gsize) r * classes;
      int best = 0;

      for (int j = 1; j < classes; j++)
        if (z[j] > z[best])
          best = j;
      out[r] = best;
    }
}

void
_nt_cpu_adam_update (NtBackend *be, NtBuffer *param, const NtBuffer *grad,
                     NtBuffer *m, NtBuffer *v, gsize count, float lr,
                     float beta1, float beta2, float eps, int step)
{
  static const char op[] = "adam_update";
  NtCpuBackend *cpu = NT_CPU (be);
  float *pp, *mp, *vp, lr_t, b1, b2, c1, c2;
  const float *gp;
  gssize i;

  if (!_nt_cpu_check_buf (cpu, op, "param", param, 0, count)
      || !_nt_cpu_check_buf (cpu, op, "grad", grad, 0, count)
      || !_nt_cpu_check_buf (cpu, op, "m", m, 0, count)
      || !_nt_cpu_check_buf (cpu, op, "v", v, 0, count))
    return;
  if (step < 1)
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                    "%s: step %d is not >= 1", op, step);
      return;
    }
  /* The bias corrections folded into the step size, as Keras/TF do. */
  lr_t = (float) (lr * sqrt (1.0 - pow (beta2, step))
                  / (1.0 - pow (beta1, step)));
  b1 = beta1;
  b2 = beta2;
  c1 = 1.0f - beta1;
  c2 = 1.0f - beta2;
  pp = param->data;
  gp = grad->data;
  mp = m->data;
  vp = v->data;
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (i = 0; i < (gssize) count; i++)
    {
      float g = gp[i];
      float mi = b1 * mp[i] + c1 * g;
      float vi = b2 * vp[i] + c2 * g * g;

      mp[i] = mi;
      vp[i] = vi;
      pp[i] -= lr_t * mi / (sqrtf (vi) + eps);
    }
}

void
_nt_cpu_sign (NtBackend *be, const NtBuffer *x, NtBuffer *y, gsize count)
{
  NtCpuBackend *cpu = NT_CPU (be);
  const float *xp;
  float *yp;
  gssize i;

  if (!_nt_cpu_check_buf (cpu, "sign", "x", x, 0, count)
      || !_nt_cpu_check_buf (cpu, "sign", "y", y, 0, count))
    return;
  xp = x->data;
  yp = y->data;
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (i = 0; i < (gssize) count; i++)
    yp[i] = (float) ((xp[i] > 0.0f) - (xp[i] < 0.0f));  /* NaN -> 0 */
}

void
_nt_cpu_scale_add (NtBackend *be, NtBuffer *y, float alpha, const NtBuffer *x,
                   float beta, gsize count)
{
  NtCpuBackend *cpu = NT_CPU (be);
  const float *xp;
  float *yp;
  gssize i;

  if (!_nt_cpu_check_buf (cpu, "scale_add", "y", y, 0, count)
      || !_nt_cpu_check_buf (cpu, "scale_add", "x", x, 0, count))
    return;
  xp = x->data;
  yp = y->data;
  /* As in BLAS, beta == 0 does not read y (which may be uninitialised). */
  if (beta == 0.0f)
    {
      NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
              if (count > NT_CPU_PAR_MIN))
      for (i = 0; i < (gssize) count; i++)
        yp[i] = alpha * xp[i];
      return;
    }
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (i = 0; i < (gssize) count; i++)
    yp[i] = alpha * xp[i] + beta * yp[i];
}

static inline float
nt_clampf (float v, float lo, float hi)
{
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

void
_nt_cpu_clip (NtBackend *be, NtBuffer *x, float lo, float hi, gsize count)
{
  NtCpuBackend *cpu = NT_CPU (be);
  float *xp;
  gssize i;

  if (!_nt_cpu_check_buf (cpu, "clip", "x", x, 0, count))
    return;
  if (!(lo <= hi))
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                    "clip: lower bound %g above upper bound %g", (double) lo,
                    (double) hi);
      return;
    }
  xp = x->data;
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (i = 0; i < (gssize) count; i++)
    xp[i] = nt_clampf (xp[i], lo, hi);
}

void
_nt_cpu_perturb (NtBackend *be, const NtBuffer *x, const NtBuffer *dir,
                 const float *eps, int rows, int cols, float lo, float hi,
                 NtBuffer *out)
{
  static const char op[] = "perturb";
  NtCpuBackend *cpu = NT_CPU (be);
  gsize count;
  int r;

  if (rows < 0 || cols < 0 || (rows > 0 && eps == NULL) || !(lo <= hi))
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                    "%s: invalid arguments (rows=%d, cols=%d, bounds %g..%g, "
                    "eps %s)", op, rows, cols, (double) lo, (double) hi,
                    eps == NULL ? "NULL" : "given");
      return;
    }
  count = (gsize) rows * (gsize) cols;
  if (!_nt_cpu_check_buf (cpu, op, "x", x, 0, count)
      || !_nt_cpu_check_buf (cpu, op, "dir", dir, 0, count)
      || !_nt_cpu_check_buf (cpu, op, "out", out, 0, count))
    return;
  NT_OMP (parallel for num_threads (cpu->threads) schedule (static)
          if (count > NT_CPU_PAR_MIN))
  for (r = 0; r < rows; r++)
    {
      const float *xp = x->data + (gsize) r * cols;
      const float *dp = dir->data + (gsize) r * cols;
      float *op_ = out->data + (gsize) r * cols;
      float e = eps[r];

      for (int j = 0; j < cols; j++)
        op_[j] = nt_clampf (xp[j] + e * dp[j], lo, hi);
    }
}
