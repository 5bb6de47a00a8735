/* nt-network.c: the layer stack, its parameters, Glorot initialisation,
 * forward/backward and the finite-difference gradient checker. */
#include "nt-network.h"
#include "nt-dropout-private.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (nt-network-error-quark, nt_network_error)

typedef struct {
  NtLayer *layer;
  guint k;          /* index inside the layer */
  char *name;       /* "conv1.kernel" */
} ParamRef;

struct _NtNetwork {
  NtBackend *be;
  NtShape in;
  int max_batch;
  GPtrArray *layers;                 /* NtLayer* */
  int counters[NT_N_LAYER_KINDS];    /* per-kind layer numbering */
  GArray *params;                    /* ParamRef */
  int first_param_layer;             /* -1 when no layer has parameters */

  NtBuffer *input;                   /* lazily allocated convenience */
  NtBuffer *dlogits;
  gsize dlogits_count;

  int last_n;                        /* n of the last forward, 0 if none */
};

/* The gradient ping-pong buffers are scratch: written and read within one
 * nt_network_backward. Every network on one backend instance shares one
 * pair (NtBackend.grad_buf, grown to the largest need), so the study's
 * runner, which holds every model of a set at once, keeps one pair instead
 * of one per model (75 MB each for the cnn at batch 256). A backend
 * instance is used by one thread at a time, so two backward passes never
 * overlap on it. Grows the pair to at least `need` floats each. */
static gboolean
grads_reserve (NtBackend *be, gsize need, GError **error)
{
  if (need <= be->grad_count)
    return TRUE;
  NtBuffer *g0 = be->ops->alloc (be, need, error);
  NtBuffer *g1 = g0 ? be->ops->alloc (be, need, error) : NULL;
  if (g1 == NULL)
    {
      if (g0)
        be->ops->free (be, g0);
      return FALSE;
    }
  for (int i = 0; i < 2; i++)
    if (be->grad_buf[i] != NULL)
      be->ops->free (be, be->grad_buf[i]);
  be->grad_buf[0] = g0;
  be->grad_buf[1] = g1;
  be->grad_count = need;
  return TRUE;
}

NtNetwork *
nt_network_new (NtBackend *be, int channels, int height, int width,
                int max_batch)
{
  g_return_val_if_fail (be != NULL, NULL);
  g_return_val_if_fail (channels > 0 && height > 0 && width > 0, NULL);
  g_return_val_if_fail (max_batch > 0, NULL);

  NtNetwork *net = g_new0 (NtNetwork, 1);
  net->be = be;
  net->in.c = channels;
  net->in.h = height;
  net->in.w = width;
  net->max_batch = max_batch;
  net->layers = g_ptr_array_new ();
  net->params = g_array_new (FALSE, TRUE, sizeof (ParamRef));
  net->first_param_layer = -1;
  return net;
}

void
nt_network_free (NtNetwork *net)
{
  if (net == NULL)
    return;
  NtBackend *be = net->be;
  for (guint i = 0; i < net->layers->len; i++)
    nt_layer_free (g_ptr_array_index (net->layers, i), be);
  g_ptr_array_free (net->layers, TRUE);
  for (guint i = 0; i < net->params->len; i++)
    g_free (g_array_index (net->params, ParamRef, i).name);
  g_array_free (net->params, TRUE);
  if (net->input != NULL)
    be->ops->free (be, net->input);
  if (net->dlogits != NULL)
    be->ops->free (be, net->dlogits);
  g_free (net);
}

static NtShape
current_shape (const NtNetwork *net)
{
  if (net->layers->len == 0)
    return net->in;
  const NtLayer *last = g_ptr_array_index (net->layers,
                                           net->layers->len - 1);
  return last->out;
}

/* Sets up `layer` as the next one and appends it; on failure frees it and
 * leaves the network as it was. */
static gboolean
append_layer (NtNetwork *net, NtLayer *layer, GError **error)
{
  NtBackend *be = net->be;
  guint index = net->layers->len;
  gboolean may_see_input = TRUE;

  /* Only flatten and dropout (at inference) hand their input on. */
  for (guint i = 0; i < index; i++)
    {
      const NtLayer *p = g_ptr_array_index (net->layers, i);
      if (p->kind != NT_LAYER_FLATTEN && p->kind != NT_LAYER_DROPOUT)
        may_see_input = FALSE;
    }

  if (!nt_layer_setup (layer, be, current_shape (net), net->max_batch,
                       may_see_input, error))
    goto fail;

  /* Layers after the first write their input gradient into the ping-pong
   * buffers; grow them if this layer's input is the largest so far. */
  gsize need = (gsize) net->max_batch * nt_shape_size (layer->in);
  if (index > 0 && !grads_reserve (be, need, error))
    goto fail;

  g_ptr_array_add (net->layers, layer);
  net->counters[layer->kind]++;
  for (guint k = 0; k < layer->n_params; k++)
    {
      ParamRef ref = { layer, k, g_strdup_printf ("%s.%s", layer->name,
                                                  layer->param_suffix[k]) };
      g_array_append_val (net->params, ref);
    }
  if (layer->n_params > 0 && net->first_param_layer < 0)
    net->first_param_layer = (int) index;
  net->last_n = 0;
  return TRUE;

fail:
  nt_layer_free (layer, be);
  return FALSE;
}

static NtLayer *
new_layer (NtNetwork *net, NtLayerKind kind)
{
  char *name = g_strdup_printf ("%s%d", nt_layer_kind_name (kind),
                                net->counters[kind] + 1);
  /* "conv2d1" reads badly; conv layers are "conv1", "conv2", ... */
  if (kind == NT_LAYER_CONV2D)
    {
      g_free (name);
      name = g_strdup_printf ("conv%d", net->counters[kind] + 1);
    }
  NtLayer *l = nt_layer_new (kind, name);
  g_free (name);
  return l;
}

gboolean
nt_network_add_conv2d (NtNetwork *net, int out_c, int kh, int kw, int stride,
                       int pad_top, int pad_bottom, int pad_left,
                       int pad_right, GError **error)
{
  g_return_val_if_fail (net != NULL, FALSE);
  NtLayer *l = new_layer (net, NT_LAYER_CONV2D);
  l->out_c = out_c;
  l->win.kh = kh;
  l->win.kw = kw;
  l->win.stride_h = l->win.stride_w = stride;
  l->win.pad_top = pad_top;
  l->win.pad_bottom = pad_bottom;
  l->win.pad_left = pad_left;
  l->win.pad_right = pad_right;
  return append_layer (net, l, error);
}

gboolean
nt_network_add_maxpool (NtNetwork *net, int kh, int kw, int stride_h,
                        int stride_w, GError **error)
{
  g_return_val_if_fail (net != NULL, FALSE);
  NtLayer *l = new_layer (net, NT_LAYER_MAXPOOL);
  l->win.kh = kh;
  l->win.kw = kw;
  l->win.stride_h = stride_h;
  l->win.stride_w = stride_w;
  return append_layer (net, l, error);
}

gboolean
nt_network_add_dense (NtNetwork *net, int out_features, GError **error)
{
  g_return_val_if_fail (net != NULL, FALSE);
  NtLayer *l = new_layer (net, NT_LAYER_DENSE);
  l->out_c = out_features;
  return append_layer (net, l, error);
}

gboolean
nt_network_add_relu (NtNetwork *net, GError **error)
{
  g_return_val_if_fail (net != NULL, FALSE);
  NtLayer *l = new_layer (net, NT_LAYER_RELU);
  NtLayer *prev = net->layers->len
                      ? g_ptr_array_index (net->layers, net->layers->len - 1)
                      : NULL;
  /* conv2d + relu run as one fused op when the backend has it */
  gboolean fuse = prev != NULL && prev->kind == NT_LAYER_CONV2D
                  && net->be->ops->conv2d_forward_bias != NULL
                  && net->be->ops->conv2d_backward_bias != NULL;
  if (!append_layer (net, l, error))
    return FALSE;
  if (fuse)
    prev->fused_relu = l->fused = TRUE;
  return TRUE;
}

gboolean
nt_network_add_dropout (NtNetwork *net, float rate, GError **error)
{
  g_return_val_if_fail (net != NULL, FALSE);
  NtLayer *l = new_layer (net, NT_LAYER_DROPOUT);
  l->rate = rate;
  return append_layer (net, l, error);
}

gboolean
nt_network_add_flatten (NtNetwork *net, GError **error)
{
  g_return_val_if_fail (net != NULL, FALSE);
  return append_layer (net, new_layer (net, NT_LAYER_FLATTEN), error);
}

int
nt_network_n_outputs (const NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, 0);
  return (int) nt_shape_size (current_shape (net));
}

/* ---------------------------------------------------------- initialisation */

/* Uniform double in [0, 1) from the top 53 bits of a hash. */
static double
hash_uniform (guint64 seed, guint64 index)
{
  return (double) (nt_hash64 (seed, index) >> 11) * (1.0 / 9007199254740992.0);
}

void
nt_network_init_glorot (NtNetwork *net, guint64 seed)
{
  g_return_if_fail (net != NULL);
  NtBackend *be = net->be;

  for (guint i = 0; i < net->params->len; i++)
    {
      ParamRef *ref = &g_array_index (net->params, ParamRef, i);
      NtLayer *l = ref->layer;
      gsize count = l->param_count[ref->k];

      if (strcmp (l->param_suffix[ref->k], "kernel") != 0)
        {
          be->ops->fill (be, l->param[ref->k], 0, count, 0.0f);
          continue;
        }
      double fan_in, fan_out;
      if (l->kind == NT_LAYER_CONV2D)
        {
          double rf = (double) l->win.kh * l->win.kw;
          fan_in = rf * l->in.c;
          fan_out = rf * l->out_c;
        }
      else
        {
          fan_in = (double) nt_shape_size (l->in);
          fan_out = l->out_c;
        }
      double limit = sqrt (6.0 / (fan_in + fan_out));
      /* "glorot" in ASCII, so that other draws from the same run seed
       * differ. */
      guint64 tseed = nt_hash64 (seed ^ G_GUINT64_CONSTANT (0x676c6f726f74),
                                 i);
      float *host = g_new (float, count);
      for (gsize j = 0; j < count; j++)
        host[j] = (float) (limit * (2.0 * hash_uniform (tseed, j) - 1.0));
      be->ops->upload (be, l->param[ref->k], 0, host, count);
      g_free (host);
    }
}

/* ------------------------------------------------------- forward, backward */

const NtBuffer *
nt_network_forward (NtNetwork *net, const NtBuffer *x, int n,
                    gboolean training, guint64 dropout_seed)
{
  g_return_val_if_fail (net != NULL && x != NULL, NULL);
  g_return_val_if_fail (n > 0 && n <= net->max_batch, NULL);

  const NtBuffer *cur = x;
  for (guint i = 0; i < net->layers->len; i++)
    {
      NtLayer *l = g_ptr_array_index (net->layers, i);
      cur = nt_layer_forward (l, net->be, cur, cur == x, n, training,
                              nt_hash64 (dropout_seed, i));
    }
  net->last_n = n;
  return cur;
}

void
nt_network_backward (NtNetwork *net, const NtBuffer *dlogits, NtBuffer *dx)
{
  g_return_if_fail (net != NULL && dlogits != NULL);
  g_return_if_fail (net->last_n > 0);

  NtBackend *be = net->be;
  int n_layers = (int) net->layers->len;
  /* Without dx, layers before the first one with parameters need no
   * backward at all, and that one needs no input gradient. */
  int stop = dx != NULL ? 0 : net->first_param_layer;
  const NtBuffer *dy = dlogits;

  if (stop < 0)
    return;
  for (int i = n_layers - 1; i >= stop; i--)
    {
      NtLayer *l = g_ptr_array_index (net->layers, i);
      NtBuffer *target;

      if (i == 0)
        target = dx;
      else if (i == stop)
        target = NULL;
      else
        target = dy == be->grad_buf[0] ? be->grad_buf[1] : be->grad_buf[0];
      dy = nt_layer_backward (l, be, dy, target);
    }
  /* A pass-through first layer (or no layers) leaves the gradient where it
   * was. */
  if (dx != NULL && dy != dx)
    be->ops->copy (be, dx, 0, dy, 0,
                   (gsize) net->last_n * nt_shape_size (net->in));
}

void
nt_network_backward_input (NtNetwork *net, const NtBuffer *dlogits,
                           NtBuffer *dx)
{
  g_return_if_fail (net != NULL && dlogits != NULL && dx != NULL);
  g_return_if_fail (net->last_n > 0);

  NtBackend *be = net->be;
  const NtBuffer *dy = dlogits;
  for (int i = (int) net->layers->len - 1; i >= 0; i--)
    {
      NtLayer *l = g_ptr_array_index (net->layers, i);
      NtBuffer *target = i == 0 ? dx
                         : dy == be->grad_buf[0] ? be->grad_buf[1]
                                                 : be->grad_buf[0];
      dy = nt_layer_backward_input (l, be, dy, target);
    }
  if (dy != dx)
    be->ops->copy (be, dx, 0, dy, 0,
                   (gsize) net->last_n * nt_shape_size (net->in));
}

/* ---------------------------------------------------------------- buffers */

NtBuffer *
nt_network_input_buffer (NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, NULL);
  if (net->input == NULL)
    {
      GError *error = NULL;
      net->input = net->be->ops->alloc (net->be, (gsize) net->max_batch
                                        * nt_shape_size (net->in), &error);
      if (net->input == NULL)
        {
          g_warning ("cannot allocate the network's input buffer: %s",
                     error->message);
          g_error_free (error);
        }
    }
  return net->input;
}

NtBuffer *
nt_network_dlogits_buffer (NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, NULL);
  gsize need = (gsize) net->max_batch * nt_network_n_outputs (net);
  if (net->dlogits != NULL && net->dlogits_count != need)
    {
      /* layers were added since it was allocated */
      net->be->ops->free (net->be, net->dlogits);
      net->dlogits = NULL;
    }
  if (net->dlogits == NULL)
    {
      GError *error = NULL;
      net->dlogits = net->be->ops->alloc (net->be, need, &error);
      if (net->dlogits == NULL)
        {
          g_warning ("cannot allocate the network's logit gradients: %s",
                     error->message);
          g_error_free (error);
          return NULL;
        }
      net->dlogits_count = need;
    }
  return net->dlogits;
}

/* ------------------------------------------------------------- parameters */

guint
nt_network_n_params (const NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, 0);
  return net->params->len;
}

static const ParamRef *
param_ref (const NtNetwork *net, guint i)
{
  g_return_val_if_fail (net != NULL && i < net->params->len, NULL);
  return &g_array_index (net->params, ParamRef, i);
}

const char *
nt_network_param_name (const NtNetwork *net, guint i)
{
  const ParamRef *r = param_ref (net, i);
  return r != NULL ? r->name : NULL;
}

gsize
nt_network_param_count (const NtNetwork *net, guint i)
{
  const ParamRef *r = param_ref (net, i);
  return r != NULL ? r->layer->param_count[r->k] : 0;
}

NtBuffer *
nt_network_param (NtNetwork *net, guint i)
{
  const ParamRef *r = param_ref (net, i);
  return r != NULL ? r->layer->param[r->k] : NULL;
}

NtBuffer *
nt_network_param_grad (NtNetwork *net, guint i)
{
  const ParamRef *r = param_ref (net, i);
  return r != NULL ? r->layer->grad[r->k] : NULL;
}

int
nt_network_param_shape (const NtNetwork *net, guint i, gint64 dims[4])
{
  const ParamRef *r = param_ref (net, i);
  if (r == NULL)
    return 0;
  for (int d = 0; d < 4; d++)
    dims[d] = r->layer->param_dims[r->k][d];
  return r->layer->param_ndims[r->k];
}

int
nt_network_find_param (const NtNetwork *net, const char *name)
{
  g_return_val_if_fail (net != NULL && name != NULL, -1);
  for (guint i = 0; i < net->params->len; i++)
    if (strcmp (g_array_index (net->params, ParamRef, i).name, name) == 0)
      return (int) i;
  return -1;
}

gsize
nt_network_total_params (const NtNetwork *net)
{
  gsize total = 0;
  for (guint i = 0; i < nt_network_n_params (net); i++)
    total += nt_network_param_count (net, i);
  return total;
}

NtBackend *
nt_network_backend (const NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, NULL);
  return net->be;
}

int
nt_network_max_batch (const NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, 0);
  return net->max_batch;
}

NtShape
nt_network_input_shape (const NtNetwork *net)
{
  NtShape none = { 0, 0, 0 };
  g_return_val_if_fail (net != NULL, none);
  return net->in;
}

gsize
nt_network_input_size (const NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, 0);
  return nt_shape_size (net->in);
}

guint
nt_network_n_layers (const NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, 0);
  return net->layers->len;
}

const NtLayer *
nt_network_layer (const NtNetwork *net, guint i)
{
  g_return_val_if_fail (net != NULL && i < net->layers->len, NULL);
  return g_ptr_array_index (net->layers, i);
}

char *
nt_network_describe (const NtNetwork *net)
{
  g_return_val_if_fail (net != NULL, NULL);
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%-10s %-40s %dx%dx%d\n", "input", "",
                          net->in.c, net->in.h, net->in.w);
  for (guint i = 0; i < net->layers->len; i++)
    {
      const NtLayer *l = g_ptr_array_index (net->layers, i);
      char *what = nt_layer_describe (l);
      char *shape = g_strdup_printf ("%dx%dx%d", l->out.c, l->out.h,
                                     l->out.w);
      gsize count = 0;
      for (guint k = 0; k < l->n_params; k++)
        count += l->param_count[k];
      g_string_append_printf (s, "%-10s %-40s %-12s %" G_GSIZE_FORMAT
                              " params\n", l->name, what, shape, count);
      g_free (what);
      g_free (shape);
    }
  g_string_append_printf (s, "total %" G_GSIZE_FORMAT " parameters, %d "
                          "outputs\n", nt_network_total_params (net),
                          nt_network_n_outputs (net));
  return g_string_free (s, FALSE);
}

/* ---------------------------------------------------------- gradient check
 *
 * With dropout masks fixed, every layer here is piecewise affine, so the
 * logits z are piecewise affine in any single coordinate t: between kinks
 * (a ReLU changing sign, a pooling window changing its maximum) a finite
 * difference of z is exact up to float rounding. The checker therefore
 * differentiates the logits numerically and applies the chain rule with
 * g = dL/dz at the base point, computed in double on the host:
 *   numeric = g . (z(t+h) - z(t-h)) / 2h.
 * A kink within the step shows as curvature of z, which an affine piece
 * lacks; its effect on the estimate is bounded by
 *   defect = sum |g| |z(t+h) - 2 z(t) + z(t-h)| / 2h
 * (component-wise, so kinks of different samples cannot cancel). A step
 * whose defect exceeds half the error budget is retried shorter (h/4,
 * h/16, h/64) and at last the coordinate is skipped. Float rounding also
 * counts as defect, so a step too short to be accurate is never trusted.
 */

/* Entries smaller than this fraction of their tensor's largest gradient
 * (at the full step) are judged by absolute error against it. */
#define NT_GRADCHECK_FLOOR 0.03

/* Downloads the logits of a forward pass into z (n x classes, double). */
static gboolean
forward_logits (NtNetwork *net, NtBuffer *x, int n, gboolean training,
                guint64 seed, int classes, float *scratch, double *z,
                GError **error)
{
  NtBackend *be = net->be;
  const NtBuffer *logits = nt_network_forward (net, x, n, training, seed);
  gsize count = (gsize) n * classes;

  if (!be->ops->download (be, logits, 0, scratch, count, error))
    return FALSE;
  for (gsize i = 0; i < count; i++)
    z[i] = scratch[i];
  return TRUE;
}

/* g = d(mean softmax cross-entropy)/dz = (softmax(z) - onehot) / n. */
static void
loss_gradient (const double *z, const int *labels, int n, int classes,
               double *g)
{
  for (int r = 0; r < n; r++)
    {
      const double *zr = z + (gsize) r * classes;
      double *gr = g + (gsize) r * classes;
      double zmax = zr[0], sum = 0.0;
      for (int c = 1; c < classes; c++)
        zmax = MAX (zmax, zr[c]);
      for (int c = 0; c < classes; c++)
        sum += (gr[c] = exp (zr[c] - zmax));
      for (int c = 0; c < classes; c++)
        gr[c] = (gr[c] / sum - (c == labels[r] ? 1.0 : 0.0)) / n;
    }
}

typedef struct {
  NtNetwork *net;
  NtBuffer *x;
  int n, classes;
  gboolean training;
  guint64 seed;
  float *scratch;
  double *z0, *zp, *zm, *g;
} Probe;

/* Central difference and defect (see above) of coordinate j of value_buf
 * (host value v) with step h; the coordinate is restored in every case. */
static gboolean
central_difference (Probe *p, NtBuffer *value_buf, gsize j, float v,
                    double h, double *numeric_out, double *defect_out,
                    GError **error)
{
  NtBackend *be = p->net->be;
  gsize count = (gsize) p->n * p->classes;
  float vp = (float) (v + h), vm = (float) (v - h);
  gboolean fine;

  be->ops->upload (be, value_buf, j, &vp, 1);
  fine = forward_logits (p->net, p->x, p->n, p->training, p->seed,
                         p->classes, p->scratch, p->zp, error);
  if (fine)
    {
      be->ops->upload (be, value_buf, j, &vm, 1);
      fine = forward_logits (p->net, p->x, p->n, p->training, p->seed,
                             p->classes, p->scratch, p->zm, error);
    }
  be->ops->upload (be, value_buf, j, &v, 1);
  if (!fine)
    return FALSE;

  /* the actual float steps, not h */
  double hp = (double) vp - (double) v, hm = (double) v - (double) vm;
  double numeric = 0.0, defect = 0.0;
  for (gsize i = 0; i < count; i++)
    {
      double dp = (p->zp[i] - p->z0[i]) / hp;
      double dm = (p->z0[i] - p->zm[i]) / hm;
      numeric += p->g[i] * 0.5 * (dp + dm);
      defect += fabs (p->g[i]) * 0.5 * fabs (dp - dm);
    }
  *numeric_out = numeric;
  *defect_out = defect;
  return TRUE;
}

static gboolean
gradcheck_impl (NtNetwork *net, const float *x_host, const int *labels,
                int n, int n_probe, double eps, double tol, gboolean training,
                guint64 seed, double *max_rel_err, GError **error)
{
  g_return_val_if_fail (net != NULL && x_host != NULL && labels != NULL,
                        FALSE);
  NtBackend *be = net->be;
  int classes = nt_network_n_outputs (net);
  gsize in_count = (gsize) n * nt_shape_size (net->in);
  gsize z_count = (gsize) n * classes;
  gboolean ok = FALSE;
  double worst = 0.0;
  float *grad = NULL, *vals = NULL;
  NtBuffer *dx = NULL;
  GRand *rand = NULL;
  Probe p = { net, NULL, n, classes, training, seed, NULL, NULL, NULL, NULL,
              NULL };

  if (max_rel_err != NULL)
    *max_rel_err = 0.0;
  if (n <= 0 || n > net->max_batch || n_probe <= 0 || !(eps > 0.0)
      || !(tol > 0.0))
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_INVALID,
                   "gradient check: need 1 <= n <= %d, n_probe >= 1, eps > 0 "
                   "and tol > 0 (got n %d, n_probe %d, eps %g, tol %g)",
                   net->max_batch, n, n_probe, eps, tol);
      return FALSE;
    }
  for (int r = 0; r < n; r++)
    if (labels[r] < 0 || labels[r] >= classes)
      {
        g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_INVALID,
                     "gradient check: label %d of sample %d is outside "
                     "[0, %d)", labels[r], r, classes);
        return FALSE;
      }

  NtBuffer *x = nt_network_input_buffer (net);
  NtBuffer *dlogits = nt_network_dlogits_buffer (net);
  if (x == NULL || dlogits == NULL)
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_INVALID,
                   "gradient check: out of backend memory");
      return FALSE;
    }
  dx = be->ops->alloc (be, in_count, error);
  if (dx == NULL)
    return FALSE;
  be->ops->upload (be, x, 0, x_host, in_count);
  p.x = x;
  p.scratch = g_new (float, z_count);
  p.z0 = g_new (double, z_count);
  p.zp = g_new (double, z_count);
  p.zm = g_new (double, z_count);
  p.g = g_new (double, z_count);

  /* the base point: logits, dL/dz, and backward's gradients */
  float loss_f;
  if (!forward_logits (net, x, n, training, seed, classes, p.scratch, p.z0,
                       error))
    goto out;
  loss_gradient (p.z0, labels, n, classes, p.g);
  be->ops->softmax_xent (be, nt_network_forward (net, x, n, training, seed),
                         labels, n, classes, &loss_f, dlogits);
  nt_network_backward (net, dlogits, dx);
  if (!be->ops->sync (be, error))
    goto out;

  rand = g_rand_new_with_seed (20200225);
  guint n_tensors = net->params->len + 1;
  for (guint t = 0; t < n_tensors; t++)
    {
      gboolean is_input = t == net->params->len;
      NtBuffer *value_buf = is_input ? x : nt_network_param (net, t);
      const NtBuffer *grad_buf = is_input ? dx : nt_network_param_grad (net,
                                                                         t);
      gsize count = is_input ? in_count : nt_network_param_count (net, t);
      const char *name = is_input ? "input" : nt_network_param_name (net, t);
      gsize checked = 0, skipped = 0;
      double tensor_worst = 0.0;

      g_free (grad);
      g_free (vals);
      grad = g_new (float, count);
      vals = g_new (float, count);
      if (!be->ops->download (be, grad_buf, 0, grad, count, error)
          || !be->ops->download (be, value_buf, 0, vals, count, error))
        goto out;
      double scale = 0.0;
      for (gsize j = 0; j < count; j++)
        scale = MAX (scale, fabs ((double) grad[j]));
      double floor_ = NT_GRADCHECK_FLOOR * scale + 1e-7;

      gsize probes = (gsize) n_probe >= count ? count : (gsize) n_probe;
      for (gsize k = 0; k < probes; k++)
        {
          gsize j = probes == count ? k
            : (gsize) g_rand_double_range (rand, 0.0, (double) count);
          if (j >= count)
            j = count - 1;
          double analytic = grad[j], numeric = 0.0, denom = 1.0, step;
          gboolean smooth = FALSE;

          for (step = eps; step >= eps / 64.0 * 0.99; step /= 4.0)
            {
              double defect;
              if (!central_difference (&p, value_buf, j, vals[j], step,
                                       &numeric, &defect, error))
                goto out;
              denom = MAX (MAX (fabs (analytic), fabs (numeric)), floor_);
              g_debug ("  step %g: numeric %.8g, defect %.3g", step, numeric,
                       defect);
              if (defect <= 0.5 * MAX (tol, 1e-3) * denom)
                {
                  smooth = TRUE;
                  break;
                }
            }
          g_debug ("gradcheck %s[%" G_GSIZE_FORMAT "]: analytic %.6g, "
                   "numeric %.6g%s", name, j, analytic, numeric,
                   smooth ? "" : " (kink, skipped)");
          if (!smooth)
            {
              skipped++;
              continue;
            }
          checked++;
          double err = fabs (analytic - numeric) / denom;
          tensor_worst = MAX (tensor_worst, err);
          worst = MAX (worst, err);
          if (err > tol)
            {
              g_set_error (error, NT_NETWORK_ERROR,
                           NT_NETWORK_ERROR_GRADCHECK,
                           "gradient check failed for %s[%" G_GSIZE_FORMAT
                           "]: backward gives %.6g, finite differences "
                           "%.6g (relative error %.3g > %.3g)", name, j,
                           analytic, numeric, err, tol);
              goto out;
            }
        }
      g_debug ("gradcheck %s: %" G_GSIZE_FORMAT " coordinates checked, %"
               G_GSIZE_FORMAT " skipped at kinks, largest |gradient| %.3g, "
               "max relative error %.3g", name, checked, skipped, scale,
               tensor_worst);
      if (checked == 0)
        {
          g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_GRADCHECK,
                       "gradient check: no probed coordinate of %s could "
                       "be checked (each lies at a ReLU or max-pool kink, "
                       "or its gradient is below float rounding); try other "
                       "inputs or more probes", name);
          goto out;
        }
    }
  ok = TRUE;

out:
  if (max_rel_err != NULL)
    *max_rel_err = worst;
  if (rand != NULL)
    g_rand_free (rand);
  g_free (p.scratch);
  g_free (p.z0);
  g_free (p.zp);
  g_free (p.zm);
  g_free (p.g);
  g_free (grad);
  g_free (vals);
  if (dx != NULL)
    be->ops->free (be, dx);
  return ok;
}

gboolean
nt_network_gradcheck (NtNetwork *net, const float *x_host, const int *labels,
                      int n, int n_probe, double eps, double tol,
                      double *max_rel_err, GError **error)
{
  return gradcheck_impl (net, x_host, labels, n, n_probe, eps, tol, FALSE, 0,
                         max_rel_err, error);
}

gboolean
nt_network_gradcheck_training (NtNetwork *net, const float *x_host,
                               const int *labels, int n, int n_probe,
                               double eps, double tol, guint64 dropout_seed,
                               double *max_rel_err, GError **error)
{
  return gradcheck_impl (net, x_host, labels, n, n_probe, eps, tol, TRUE,
                         dropout_seed, max_rel_err, error);
}
