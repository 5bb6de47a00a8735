/* nt-layer.c: the layer kinds. Each kind has a setup (shape inference,
 * parameter declaration), a forward and a backward function, written side by
 * side; a table indexed by NtLayerKind ties them together. All device work
 * goes through the backend's operation table. */
#include "nt-layer.h"
#include "nt-network.h"

#include <string.h>

typedef struct {
  const char *name;
  gboolean (*setup) (NtLayer *l, GError **error);
  const NtBuffer *(*forward) (NtLayer *l, NtBackend *be, const NtBuffer *x,
                              gboolean x_is_external, int n,
                              gboolean training, guint64 seed);
  const NtBuffer *(*backward) (NtLayer *l, NtBackend *be, const NtBuffer *dy,
                               NtBuffer *dx);
  /* the input gradient alone (NULL: backward, the kind has no parameters) */
  const NtBuffer *(*backward_input) (NtLayer *l, NtBackend *be,
                                     const NtBuffer *dy, NtBuffer *dx);
} LayerKindOps;

static gboolean
shape_error (NtLayer *l, GError **error, const char *what)
{
  g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_SHAPE,
               "layer %s (%s) cannot take input of shape %dx%dx%d: %s",
               l->name, nt_layer_kind_name (l->kind), l->in.c, l->in.h,
               l->in.w, what);
  return FALSE;
}

/* Declares parameter i with the given dims (row-major). */
static void
declare_param (NtLayer *l, const char *suffix, int ndims, const gint64 *dims)
{
  guint i = l->n_params++;
  gsize count = 1;

  l->param_suffix[i] = suffix;
  l->param_ndims[i] = ndims;
  for (int d = 0; d < 4; d++)
    l->param_dims[i][d] = d < ndims ? dims[d] : 1;
  for (int d = 0; d < ndims; d++)
    count *= (gsize) dims[d];
  l->param_count[i] = count;
}

static NtDims
batch_dims (NtShape s, int n)
{
  NtDims d = { n, s.c, s.h, s.w };
  return d;
}

/* ------------------------------------------------------------------ conv2d
 * y = conv(x, W) + b; dW = conv_bf(x, dy); db = sum dy; dx = conv_bd(dy, W).
 */
static gboolean
conv2d_setup (NtLayer *l, GError **error)
{
  const NtWindow *w = &l->win;

  if (l->out_c <= 0 || w->kh <= 0 || w->kw <= 0 || w->stride_h <= 0
      || w->stride_w <= 0 || w->pad_top < 0 || w->pad_bottom < 0
      || w->pad_left < 0 || w->pad_right < 0)
    return shape_error (l, error, "filters, kernel and strides must be "
                        "positive and paddings non-negative");
  if (l->in.h + w->pad_top + w->pad_bottom < w->kh
      || l->in.w + w->pad_left + w->pad_right < w->kw)
    {
      char *msg = g_strdup_printf ("the %dx%d kernel does not fit the padded "
                                   "input", w->kh, w->kw);
      shape_error (l, error, msg);
      g_free (msg);
      return FALSE;
    }
  l->out.c = l->out_c;
  l->out.h = nt_window_out_h (w, l->in.h);
  l->out.w = nt_window_out_w (w, l->in.w);

  gint64 kd[4] = { l->out_c, l->in.c, w->kh, w->kw };
  gint64 bd[1] = { l->out_c };
  declare_param (l, "kernel", 4, kd);
  declare_param (l, "bias", 1, bd);
  return TRUE;
}

static const NtBuffer *
conv2d_forward (NtLayer *l, NtBackend *be, const NtBuffer *x,
                gboolean x_is_external, int n, gboolean training,
                guint64 seed)
{
  if (be->ops->conv2d_forward_bias != NULL)
    {
      be->ops->conv2d_forward_bias (be, x, batch_dims (l->in, n),
                                    l->param[0], l->param[1], l->out_c,
                                    &l->win, l->fused_relu, l->y);
      return l->y;
    }
  be->ops->conv2d_forward (be, x, batch_dims (l->in, n), l->param[0],
                           l->out_c, &l->win, l->y);
  be->ops->bias_add (be, l->y, l->param[1], n, l->out_c,
                     l->out.h * l->out.w);
  return l->y;
}

static const NtBuffer *
conv2d_backward (NtLayer *l, NtBackend *be, const NtBuffer *dy, NtBuffer *dx)
{
  NtDims xd = batch_dims (l->in, l->n);

  if (be->ops->conv2d_backward_bias != NULL)
    {
      be->ops->conv2d_backward_bias (be, l->x_in, l->y, dy, l->param[0], xd,
                                     l->out_c, &l->win, l->fused_relu,
                                     l->grad[0], l->grad[1], dx);
      return dx;
    }
  be->ops->conv2d_backward_filter (be, l->x_in, dy, xd, l->out_c, &l->win,
                                   l->grad[0]);
  be->ops->bias_grad (be, dy, l->n, l->out_c, l->out.h * l->out.w,
                      l->grad[1]);
  if (dx == NULL)
    return NULL;
  be->ops->conv2d_backward_data (be, dy, l->param[0], xd, l->out_c, &l->win,
                                 dx);
  return dx;
}

static const NtBuffer *
conv2d_backward_input (NtLayer *l, NtBackend *be, const NtBuffer *dy,
                       NtBuffer *dx)
{
  NtDims xd = batch_dims (l->in, l->n);

  /* a fused ReLU needs the fused op (which masks dy with y > 0) */
  if (be->ops->conv2d_backward_bias != NULL)
    be->ops->conv2d_backward_bias (be, l->x_in, l->y, dy, l->param[0], xd,
                                   l->out_c, &l->win, l->fused_relu, NULL,
                                   NULL, dx);
  else
    be->ops->conv2d_backward_data (be, dy, l->param[0], xd, l->out_c,
                                   &l->win, dx);
  return dx;
}

/* ----------------------------------------------------------------- maxpool
 * No padding; backward routes dy to the first maximum of each window. */
static gboolean
maxpool_setup (NtLayer *l, GError **error)
{
  NtWindow *w = &l->win;

  w->pad_top = w->pad_bottom = w->pad_left = w->pad_right = 0;
  if (w->kh <= 0 || w->kw <= 0 || w->stride_h <= 0 || w->stride_w <= 0)
    return shape_error (l, error, "pool size and strides must be positive");
  if (w->kh > l->in.h || w->kw > l->in.w)
    {
      char *msg = g_strdup_printf ("the %dx%d pool window is larger than the "
                                   "input", w->kh, w->kw);
      shape_error (l, error, msg);
      g_free (msg);
      return FALSE;
    }
  l->out.c = l->in.c;
  l->out.h = nt_window_out_h (w, l->in.h);
  l->out.w = nt_window_out_w (w, l->in.w);
  return TRUE;
}

static const NtBuffer *
maxpool_forward (NtLayer *l, NtBackend *be, const NtBuffer *x,
                 gboolean x_is_external, int n, gboolean training,
                 guint64 seed)
{
  be->ops->maxpool_forward (be, x, batch_dims (l->in, n), &l->win, l->y);
  return l->y;
}

static const NtBuffer *
maxpool_backward (NtLayer *l, NtBackend *be, const NtBuffer *dy, NtBuffer *dx)
{
  if (dx == NULL)
    return NULL;
  be->ops->maxpool_backward (be, l->x_in, dy, batch_dims (l->in, l->n),
                             &l->win, dx);
  return dx;
}

/* ------------------------------------------------------------------- dense
 * The input sample is used flat (NCHW order), so no flatten layer is
 * needed before a dense layer. W is [out x in]:
 *   y[n x out] = x[n x in] W^T + b
 *   dW[out x in] = dy^T x;  db = sum over n of dy;  dx[n x in] = dy W. */
static gboolean
dense_setup (NtLayer *l, GError **error)
{
  gsize in = nt_shape_size (l->in);

  if (l->out_c <= 0)
    return shape_error (l, error, "the number of units must be positive");
  if (in > G_MAXINT / 2 || (gsize) l->out_c * in > G_MAXINT)
    return shape_error (l, error, "the kernel would be too large");
  l->out.c = l->out_c;
  l->out.h = 1;
  l->out.w = 1;

  gint64 kd[2] = { l->out_c, (gint64) in };
  gint64 bd[1] = { l->out_c };
  declare_param (l, "kernel", 2, kd);
  declare_param (l, "bias", 1, bd);
  return TRUE;
}

static const NtBuffer *
dense_forward (NtLayer *l, NtBackend *be, const NtBuffer *x,
               gboolean x_is_external, int n, gboolean training, guint64 seed)
{
  int in = (int) nt_shape_size (l->in);

  be->ops->gemm (be, FALSE, TRUE, n, l->out_c, in, 1.0f, x, l->param[0],
                 0.0f, l->y);
  be->ops->bias_add (be, l->y, l->param[1], n, l->out_c, 1);
  return l->y;
}

static const NtBuffer *
dense_backward (NtLayer *l, NtBackend *be, const NtBuffer *dy, NtBuffer *dx)
{
  int in = (int) nt_shape_size (l->in);

  be->ops->gemm (be, TRUE, FALSE, l->out_c, in, l->n, 1.0f, dy, l->x_in,
                 0.0f, l->grad[0]);
  be->ops->bias_grad (be, dy, l->n, l->out_c, 1, l->grad[1]);
  if (dx == NULL)
    return NULL;
  be->ops->gemm (be, FALSE, FALSE, l->n, in, l->out_c, 1.0f, dy,
                 l->param[0], 0.0f, dx);
  return dx;
}

static const NtBuffer *
dense_backward_input (NtLayer *l, NtBackend *be, const NtBuffer *dy,
                      NtBuffer *dx)
{
  be->ops->gemm (be, FALSE, FALSE, l->n, (int) nt_shape_size (l->in),
                 l->out_c, 1.0f, dy, l->param[0], 0.0f, dx);
  return dx;
}

/* -------------------------------------------------------------------- relu
 * Works in place on the previous layer's output (no layer needs its own
 * output in backward except relu itself, and relu of relu is the same
 * values), and in its own buffer when handed the caller's input. */
static gboolean
relu_setup (NtLayer *l, GError **error)
{
  l->out = l->in;
  return TRUE;
}

static const NtBuffer *
relu_forward (NtLayer *l, NtBackend *be, const NtBuffer *x,
              gboolean x_is_external, int n, gboolean training, guint64 seed)
{
  if (l->fused)
    return x;  /* the conv2d before applied it */

  /* The cast is safe: a non-external input is a buffer the network owns. */
  NtBuffer *y = x_is_external ? l->y : (NtBuffer *) x;

  g_return_val_if_fail (y != NULL, NULL);
  be->ops->relu_forward (be, x, y, (gsize) n * nt_shape_size (l->in));
  return y;
}

static const NtBuffer *
relu_backward (NtLayer *l, NtBackend *be, const NtBuffer *dy, NtBuffer *dx)
{
  if (l->fused)
    return dy;  /* the conv2d before applies the mask */
  if (dx == NULL)
    return NULL;
  be->ops->relu_backward (be, l->y_out, dy, dx,
                          (gsize) l->n * nt_shape_size (l->in));
  return dx;
}

/* ----------------------------------------------------------------- dropout
 * Inverted dropout with a counter-based mask (same on every backend); the
 * identity (input passed through, no work) at inference. */
static gboolean
dropout_setup (NtLayer *l, GError **error)
{
  if (!(l->rate >= 0.0f && l->rate < 1.0f))
    return shape_error (l, error, "the dropout rate must be in [0, 1)");
  l->out = l->in;
  return TRUE;
}

static const NtBuffer *
dropout_forward (NtLayer *l, NtBackend *be, const NtBuffer *x,
                 gboolean x_is_external, int n, gboolean training,
                 guint64 seed)
{
  if (!training)
    return x;
  be->ops->dropout_forward (be, x, l->y, l->mask,
                            (gsize) n * nt_shape_size (l->in), l->rate, seed);
  return l->y;
}

static const NtBuffer *
dropout_backward (NtLayer *l, NtBackend *be, const NtBuffer *dy, NtBuffer *dx)
{
  if (!l->training)
    return dy;
  if (dx == NULL)
    return NULL;
  be->ops->dropout_backward (be, dy, l->mask, dx,
                             (gsize) l->n * nt_shape_size (l->in));
  return dx;
}

/* ----------------------------------------------------------------- flatten
 * NCHW samples are already contiguous: flatten only relabels the shape. */
static gboolean
flatten_setup (NtLayer *l, GError **error)
{
  l->out.c = (int) nt_shape_size (l->in);
  l->out.h = 1;
  l->out.w = 1;
  return TRUE;
}

static const NtBuffer *
flatten_forward (NtLayer *l, NtBackend *be, const NtBuffer *x,
                 gboolean x_is_external, int n, gboolean training,
                 guint64 seed)
{
  return x;
}

static const NtBuffer *
flatten_backward (NtLayer *l, NtBackend *be, const NtBuffer *dy, NtBuffer *dx)
{
  return dy;
}

/* ------------------------------------------------------------------- table */
static const LayerKindOps kind_ops[NT_N_LAYER_KINDS] = {
  [NT_LAYER_CONV2D] = { "conv2d", conv2d_setup, conv2d_forward,
                        conv2d_backward, conv2d_backward_input },
  [NT_LAYER_MAXPOOL] = { "maxpool", maxpool_setup, maxpool_forward,
                         maxpool_backward },
  [NT_LAYER_DENSE] = { "dense", dense_setup, dense_forward, dense_backward,
                       dense_backward_input },
  [NT_LAYER_RELU] = { "relu", relu_setup, relu_forward, relu_backward },
  [NT_LAYER_DROPOUT] = { "dropout", dropout_setup, dropout_forward,
                         dropout_backward },
  [NT_LAYER_FLATTEN] = { "flatten", flatten_setup, flatten_forward,
                         flatten_backward },
};

const char *
nt_layer_kind_name (NtLayerKind kind)
{
  g_return_val_if_fail ((guint) kind < NT_N_LAYER_KINDS, "?");
  return kind_ops[kind].name;
}

NtLayer *
nt_layer_new (NtLayerKind kind, const char *name)
{
  g_return_val_if_fail ((guint) kind < NT_N_LAYER_KINDS, NULL);
  NtLayer *l = g_new0 (NtLayer, 1);
  l->kind = kind;
  l->name = g_strdup (name);
  return l;
}

static NtBuffer *
alloc_zero (NtBackend *be, gsize count, GError **error)
{
  NtBuffer *b = be->ops->alloc (be, count, error);
  if (b != NULL)
    be->ops->fill (be, b, 0, count, 0.0f);
  return b;
}

gboolean
nt_layer_setup (NtLayer *l, NtBackend *be, NtShape in, int max_batch,
                gboolean may_see_input, GError **error)
{
  g_return_val_if_fail (l != NULL && be != NULL && max_batch > 0, FALSE);

  l->in = in;
  l->max_batch = max_batch;
  l->n_params = 0;
  if (!kind_ops[l->kind].setup (l, error))
    return FALSE;
  if (l->out.c <= 0 || l->out.h <= 0 || l->out.w <= 0)
    return shape_error (l, error, "the output would be empty");

  for (guint i = 0; i < l->n_params; i++)
    {
      /* Parameters start at zero; the network's initialiser fills them. */
      l->param[i] = alloc_zero (be, l->param_count[i], error);
      if (l->param[i] == NULL)
        return FALSE;
      l->grad[i] = alloc_zero (be, l->param_count[i], error);
      if (l->grad[i] == NULL)
        return FALSE;
    }

  gsize out_total = (gsize) max_batch * nt_shape_size (l->out);
  gboolean own_output;
  switch (l->kind)
    {
    case NT_LAYER_RELU:
      own_output = may_see_input;
      break;
    case NT_LAYER_FLATTEN:
      own_output = FALSE;
      break;
    default:
      own_output = TRUE;
    }
  if (own_output)
    {
      l->y = be->ops->alloc (be, out_total, error);
      if (l->y == NULL)
        return FALSE;
    }
  if (l->kind == NT_LAYER_DROPOUT)
    {
      l->mask = be->ops->alloc (be, out_total, error);
      if (l->mask == NULL)
        return FALSE;
    }
  return TRUE;
}

const NtBuffer *
nt_layer_forward (NtLayer *l, NtBackend *be, const NtBuffer *x,
                  gboolean x_is_external, int n, gboolean training,
                  guint64 seed)
{
  g_return_val_if_fail (l != NULL && x != NULL, NULL);
  g_return_val_if_fail (n > 0 && n <= l->max_batch, NULL);

  l->x_in = x;
  l->n = n;
  l->training = training;
  l->y_out = kind_ops[l->kind].forward (l, be, x, x_is_external, n, training,
                                        seed);
  return l->y_out;
}

const NtBuffer *
nt_layer_backward (NtLayer *l, NtBackend *be, const NtBuffer *dy,
                   NtBuffer *dx)
{
  g_return_val_if_fail (l != NULL && dy != NULL, NULL);
  g_return_val_if_fail (l->x_in != NULL, NULL);
  return kind_ops[l->kind].backward (l, be, dy, dx);
}

const NtBuffer *
nt_layer_backward_input (NtLayer *l, NtBackend *be, const NtBuffer *dy,
                         NtBuffer *dx)
{
  g_return_val_if_fail (l != NULL && dy != NULL && dx != NULL, NULL);
  g_return_val_if_fail (l->x_in != NULL, NULL);
  if (kind_ops[l->kind].backward_input != NULL)
    return kind_ops[l->kind].backward_input (l, be, dy, dx);
  return kind_ops[l->kind].backward (l, be, dy, dx);
}

void
nt_layer_free (NtLayer *l, NtBackend *be)
{
  if (l == NULL)
    return;
  for (guint i = 0; i < NT_LAYER_MAX_PARAMS; i++)
    {
      if (l->param[i] != NULL)
        be->ops->free (be, l->param[i]);
      if (l->grad[i] != NULL)
        be->ops->free (be, l->grad[i]);
    }
  if (l->y != NULL)
    be->ops->free (be, l->y);
  if (l->mask != NULL)
    be->ops->free (be, l->mask);
  g_free (l->name);
  g_free (l);
}

char *
nt_layer_describe (const NtLayer *l)
{
  const NtWindow *w = &l->win;

  switch (l->kind)
    {
    case NT_LAYER_CONV2D:
      return g_strdup_printf ("conv2d %d %dx%d stride %dx%d pad t%d b%d l%d "
                              "r%d",
                              l->out_c, w->kh, w->kw, w->stride_h,
                              w->stride_w, w->pad_top, w->pad_bottom,
                              w->pad_left, w->pad_right);
    case NT_LAYER_MAXPOOL:
      return g_strdup_printf ("maxpool %dx%d stride %dx%d", w->kh, w->kw,
                              w->stride_h, w->stride_w);
    case NT_LAYER_DENSE:
      return g_strdup_printf ("dense %d", l->out_c);
    case NT_LAYER_DROPOUT:
      return g_strdup_printf ("dropout %g", (double) l->rate);
    default:
      return g_strdup (nt_layer_kind_name (l->kind));
    }
}
