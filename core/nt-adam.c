/* nt-adam.c: Adam over a network's parameters; the arithmetic is the
 * backend's adam_update. */
#include "nt-adam.h"

#include <math.h>

struct _NtAdam {
  NtNetwork *net;
  float lr, beta1, beta2, eps;
  int t;
  guint n;
  NtBuffer **m, **v;
};

NtAdam *
nt_adam_new (NtNetwork *net, float lr, float beta1, float beta2, float eps,
             GError **error)
{
  g_return_val_if_fail (net != NULL, NULL);
  if (!(lr > 0.0f && isfinite (lr)) || !(beta1 >= 0.0f && beta1 < 1.0f)
      || !(beta2 >= 0.0f && beta2 < 1.0f) || !(eps >= 0.0f && isfinite (eps)))
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_INVALID,
                   "Adam: need lr > 0, 0 <= beta1, beta2 < 1 and eps >= 0 "
                   "(got lr %g, beta1 %g, beta2 %g, eps %g)", (double) lr,
                   (double) beta1, (double) beta2, (double) eps);
      return NULL;
    }

  NtBackend *be = nt_network_backend (net);
  NtAdam *adam = g_new0 (NtAdam, 1);
  adam->net = net;
  adam->lr = lr;
  adam->beta1 = beta1;
  adam->beta2 = beta2;
  adam->eps = eps;
  adam->n = nt_network_n_params (net);
  adam->m = g_new0 (NtBuffer *, adam->n);
  adam->v = g_new0 (NtBuffer *, adam->n);
  for (guint i = 0; i < adam->n; i++)
    {
      gsize count = nt_network_param_count (net, i);
      adam->m[i] = be->ops->alloc (be, count, error);
      if (adam->m[i] == NULL)
        goto fail;
      adam->v[i] = be->ops->alloc (be, count, error);
      if (adam->v[i] == NULL)
        goto fail;
      be->ops->fill (be, adam->m[i], 0, count, 0.0f);
      be->ops->fill (be, adam->v[i], 0, count, 0.0f);
    }
  return adam;

fail:
  nt_adam_free (adam);
  return NULL;
}

void
nt_adam_free (NtAdam *adam)
{
  if (adam == NULL)
    return;
  NtBackend *be = nt_network_backend (adam->net);
  for (guint i = 0; i < adam->n; i++)
    {
      if (adam->m[i] != NULL)
        be->ops->free (be, adam->m[i]);
      if (adam->v[i] != NULL)
        be->ops->free (be, adam->v[i]);
    }
  g_free (adam->m);
  g_free (adam->v);
  g_free (adam);
}

void
nt_adam_step (NtAdam *adam)
{
  g_return_if_fail (adam != NULL);
  NtNetwork *net = adam->net;
  NtBackend *be = nt_network_backend (net);

  adam->t++;
  for (guint i = 0; i < adam->n; i++)
    be->ops->adam_update (be, nt_network_param (net, i),
                          nt_network_param_grad (net, i), adam->m[i],
                          adam->v[i], nt_network_param_count (net, i),
                          adam->lr, adam->beta1, adam->beta2, adam->eps,
                          adam->t);
}

int
nt_adam_steps (const NtAdam *adam)
{
  g_return_val_if_fail (adam != NULL, 0);
  return adam->t;
}

NtBuffer *
nt_adam_m (NtAdam *adam, guint i)
{
  g_return_val_if_fail (adam != NULL && i < adam->n, NULL);
  return adam->m[i];
}

NtBuffer *
nt_adam_v (NtAdam *adam, guint i)
{
  g_return_val_if_fail (adam != NULL && i < adam->n, NULL);
  return adam->v[i];
}

void
nt_adam_set_steps (NtAdam *adam, int steps)
{
  g_return_if_fail (adam != NULL && steps >= 0);
  adam->t = steps;
}

float
nt_adam_lr (const NtAdam *adam)
{
  g_return_val_if_fail (adam != NULL, 0.0f);
  return adam->lr;
}

void
nt_adam_set_lr (NtAdam *adam, float lr)
{
  g_return_if_fail (adam != NULL && lr > 0.0f);
  adam->lr = lr;
}
