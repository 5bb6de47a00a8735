/* nt-attack-pgd.c: projected gradient descent (Madry et al.) in the
 * L-infinity ball, and BIM (random_start=false). For a sample x with budget
 * eps and step alpha = step * eps:
 *   x_0 = clip(x + eps * u, 0, 1), u uniform in [-1, 1) per value (or x_0 =
 *         x without random start);
 *   x_{k+1} = clip(P(x_k + alpha * sign(grad L(x_k))), 0, 1), k < steps,
 * with L the source network's cross-entropy at the true label and P the
 * projection onto [x - eps, x + eps]. All samples of a batch run together,
 * each with its own eps.
 *
 * The backend has no per-row clamp, so the projection is built from per-row
 * perturb() calls (perturb(x, dir, e) = clip(x + e_row * dir)):
 *   d = y - x                               (copy, scale_add)
 *   u = perturb(0, d, 1/eps, -1, 1)          = clip((y - x) / eps, -1, 1)
 *   x_{k+1} = perturb(x, u, eps, 0, 1)       = clip(x + eps * u, 0, 1)
 * which is the exact projection up to float rounding (a few ulps). Clipping
 * to [0, 1] and projecting commute here because x is in [0, 1]. When the
 * iterates cannot leave the ball (no random start and steps * step <= 1)
 * the projection is skipped, so steps=1,step=1,random_start=false is FGSM
 * exactly.
 *
 * The random start noise u is drawn once per prepare() from the instance's
 * generator (seeded by `seed`) and scaled by each call's eps, so for a
 * prepared batch generate() is a deterministic function of eps (what the
 * threshold search needs). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gmodule.h>  /* G_MODULE_EXPORT, used by NT_PLUGIN_DEFINE */
#include <math.h>

#include "nt-plugin.h"
#include "nt-attack.h"
#include "nt-network.h"

typedef struct {
  NtAttack base;
  NtBackend *be;
  int steps;
  double step;            /* alpha as a fraction of eps */
  gboolean random_start;
  GRand *rng;
  NtBuffer *g;            /* gradient / sign / scaled offsets */
  NtBuffer *d;            /* the step's result and its offset from x */
  NtBuffer *zeros;        /* all zero, for per-row scaling with perturb */
  NtBuffer *noise;        /* random start directions, uniform in [-1, 1) */
  float *host_row;        /* one sample of noise, host */
  float *alpha, *inv_eps; /* per-row step and 1/eps, host */
  int n_prepared;
} NtPgd;

static const NtOptionSpec pgd_options[] = {
  { "steps", NT_OPTION_INT, "10", 1, 1000, NULL,
    "gradient steps per adversarial sample" },
  { "step", NT_OPTION_DOUBLE, "0.25", 1e-6, 1.0, NULL,
    "step size as a fraction of the budget eps (alpha = step * eps)" },
  { "random_start", NT_OPTION_BOOL, "true", NT_OPTION_NO_RANGE, NULL,
    "start from a uniform point of the eps ball (false: BIM, start at x)" },
  { "seed", NT_OPTION_INT, "0", 0, 9007199254740992.0, NULL,
    "seed of the random starts" },
  NT_OPTION_END
};

static gboolean
pgd_prepare (NtAttack *attack, NtNetwork *source, const NtBuffer *x,
             const int *labels, int n, GError **error)
{
  (void) source;
  (void) x;
  (void) labels;
  NtPgd *p = (NtPgd *) attack;
  gsize s = attack->sample_size;
  p->n_prepared = 0;
  if (n < 1 || n > attack->max_batch)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "pgd: batch of %d samples, the attack was opened for 1 "
                   "to %d", n, attack->max_batch);
      return FALSE;
    }
  if (p->random_start)
    for (int i = 0; i < n; i++)
      {
        /* 24 random bits: exact floats in [-1, 1) */
        for (gsize j = 0; j < s; j++)
          p->host_row[j] = (float) (g_rand_int (p->rng) >> 8)
                           * (2.0f / 16777216.0f) - 1.0f;
        p->be->ops->upload (p->be, p->noise, (gsize) i * s, p->host_row, s);
      }
  if (!p->be->ops->sync (p->be, error))
    return FALSE;
  p->n_prepared = n;
  return TRUE;
}

static gboolean
pgd_generate (NtAttack *attack, NtNetwork *source, const NtBuffer *x,
              const int *labels, int n, const float *eps, NtBuffer *out,
              GError **error)
{
  NtPgd *p = (NtPgd *) attack;
  NtBackend *be = p->be;
  int s = (int) attack->sample_size;
  gsize count = (gsize) n * s;
  if (n != p->n_prepared)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "pgd: generate for %d samples but the last prepared "
                   "batch has %d; call prepare first", n, p->n_prepared);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      if (!(eps[i] >= 0.0f) || !isfinite (eps[i]))
        {
          g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                       "pgd: budget eps[%d] = %g must be finite and >= 0",
                       i, (double) eps[i]);
          return FALSE;
        }
      p->alpha[i] = (float) (p->step * eps[i]);
      p->inv_eps[i] = eps[i] > 0.0f ? 1.0f / eps[i] : 0.0f;
    }
  /* without a random start the iterates stay in the ball when the steps
   * add up to at most eps (1e-9: rounding of a product like 4 * 0.25) */
  gboolean project = p->random_start || p->steps * p->step > 1.0 + 1e-9;

  if (p->random_start)
    be->ops->perturb (be, x, p->noise, eps, n, s, 0.0f, 1.0f, out);
  else
    be->ops->copy (be, out, 0, x, 0, count);
  for (int k = 0; k < p->steps; k++)
    {
      if (!nt_attack_input_gradient (source, out, labels, n, p->g, error))
        return FALSE;
      be->ops->sign (be, p->g, p->g, count);
      /* d = clip(x_k + alpha * sign, 0, 1) */
      be->ops->perturb (be, out, p->g, p->alpha, n, s, 0.0f, 1.0f, p->d);
      if (!project)
        {
          be->ops->copy (be, out, 0, p->d, 0, count);
          continue;
        }
      be->ops->scale_add (be, p->d, -1.0f, x, 1.0f, count);
      be->ops->perturb (be, p->zeros, p->d, p->inv_eps, n, s, -1.0f, 1.0f,
                        p->g);
      be->ops->perturb (be, x, p->g, eps, n, s, 0.0f, 1.0f, out);
    }
  return be->ops->sync (be, error);
}

static void
pgd_destroy (NtAttack *attack)
{
  NtPgd *p = (NtPgd *) attack;
  NtBuffer *bufs[] = { p->g, p->d, p->zeros, p->noise };
  for (guint i = 0; i < G_N_ELEMENTS (bufs); i++)
    if (bufs[i] != NULL)
      p->be->ops->free (p->be, bufs[i]);
  if (p->rng != NULL)
    g_rand_free (p->rng);
  g_free (p->host_row);
  g_free (p->alpha);
  g_free (p->inv_eps);
  g_free (p);
}

static NtAttack *
pgd_create (const NtOptions *opts, NtBackend *be, int max_batch,
            gsize sample_size, GError **error)
{
  NtPgd *p = g_new0 (NtPgd, 1);
  gsize count = (gsize) max_batch * sample_size;
  p->be = be;
  p->base.prepare = pgd_prepare;
  p->base.generate = pgd_generate;
  p->base.destroy = pgd_destroy;
  /* also set by nt_attack_open; the checks above need them */
  p->base.max_batch = max_batch;
  p->base.sample_size = sample_size;
  p->steps = (int) nt_options_get_int (opts, "steps");
  p->step = nt_options_get_double (opts, "step");
  p->random_start = nt_options_get_bool (opts, "random_start");
  guint64 seed = (guint64) nt_options_get_int (opts, "seed");
  guint32 words[2] = { (guint32) seed, (guint32) (seed >> 32) };
  p->rng = g_rand_new_with_seed_array (words, 2);
  p->host_row = g_new (float, sample_size);
  p->alpha = g_new (float, max_batch);
  p->inv_eps = g_new (float, max_batch);
  if (!(p->g = be->ops->alloc (be, count, error))
      || !(p->d = be->ops->alloc (be, count, error))
      || !(p->zeros = be->ops->alloc (be, count, error))
      || !(p->noise = be->ops->alloc (be, count, error)))
    {
      g_prefix_error (error, "pgd: buffers for %d samples: ", max_batch);
      pgd_destroy (&p->base);
      return NULL;
    }
  be->ops->fill (be, p->zeros, 0, count, 0.0f);
  return &p->base;
}

static const NtAttackClass pgd_class = {
  .feature = {
    .kind = NT_KIND_ATTACK,
    .name = "pgd",
    .description = "Projected gradient descent in the L-infinity ball "
                   "(random_start=false: the basic iterative method, BIM)",
    .options = pgd_options,
  },
  .create = pgd_create,
};

static gboolean
pgd_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &pgd_class.feature, error);
}

NT_PLUGIN_DEFINE ("attack-pgd", "Projected gradient descent (PGD) and BIM",
                  PACKAGE_VERSION, "MIT", pgd_init);
