/* nt-attack-fgsm.c: the fast gradient sign method, the study's attack
 * (PROTOCOL.md, "Attack and scoring"): the direction of a sample is the
 * sign of the gradient of the source network's cross-entropy at the true
 * label with respect to the input; the adversarial sample at budget eps is
 * clip(x + eps * direction, 0, 1). The directions are computed once per
 * batch in prepare(), each sample alone (nt_attack_input_gradient_as), so
 * generate() is one element-wise backend op; they are the attack's
 * per-sample state (get_state/set_state), so the study's protocol applies
 * the directions of a threshold search wherever the image is attacked
 * again. The option `gradient` chooses how the loss gradient at the logits
 * is computed: exactly, or as TensorFlow 2.1 did in float32 (to replicate
 * the original study's attack). */
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
  NtBuffer *dir;        /* max_batch x sample sign directions */
  int n_prepared;       /* samples of the last prepared batch, 0: none */
  NtLossGradient how;
} NtFgsm;

/* The choices of option `gradient`, in NtLossGradient order. */
static const char *const gradient_choices[] = { "exact", "tf2.1-logits",
                                                "tf2.1-probs", NULL };

static const NtOptionSpec fgsm_options[] = {
  { "gradient", NT_OPTION_CHOICE, "exact", NT_OPTION_NO_RANGE,
    gradient_choices,
    "loss gradient at the logits: exact (no cancellation, no underflow), "
    "tf2.1-logits (TensorFlow 2.1's fused float32 softmax cross-entropy: "
    "the true-class term vanishes past ~17 nats of margin, everything past "
    "~104), tf2.1-probs (Keras cross-entropy on float32 probabilities "
    "clipped to [1e-7, 1-1e-7]: no gradient for confident samples)" },
  NT_OPTION_END
};

/* FALSE with an error unless 1 <= n <= the attack's max_batch; `what`
 * names the samples ("batch", "state"). */
static gboolean
check_count (NtAttack *attack, int n, const char *what, GError **error)
{
  if (n >= 1 && n <= attack->max_batch)
    return TRUE;
  g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
               "fgsm: %s of %d samples, the attack was opened for 1 to %d",
               what, n, attack->max_batch);
  return FALSE;
}

static gboolean
fgsm_prepare (NtAttack *attack, NtNetwork *source, const NtBuffer *x,
              const int *labels, int n, GError **error)
{
  NtFgsm *f = (NtFgsm *) attack;
  f->n_prepared = 0;
  if (!check_count (attack, n, "batch", error))
    return FALSE;
  /* the gradient lands in dir and is turned into its sign in place */
  if (!nt_attack_input_gradient_as (source, x, labels, n, f->how, f->dir,
                                    error))
    return FALSE;
  f->be->ops->sign (f->be, f->dir, f->dir, (gsize) n * attack->sample_size);
  if (!f->be->ops->sync (f->be, error))
    return FALSE;
  f->n_prepared = n;
  return TRUE;
}

static gboolean
fgsm_generate (NtAttack *attack, NtNetwork *source, const NtBuffer *x,
               const int *labels, int n, const float *eps, NtBuffer *out,
               GError **error)
{
  (void) source;
  (void) labels;
  NtFgsm *f = (NtFgsm *) attack;
  if (n != f->n_prepared)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "fgsm: generate for %d samples but the last prepared "
                   "batch has %d; call prepare first", n, f->n_prepared);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    if (!(eps[i] >= 0.0f) || !isfinite (eps[i]))
      {
        g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                     "fgsm: budget eps[%d] = %g must be finite and >= 0", i,
                     (double) eps[i]);
        return FALSE;
      }
  f->be->ops->perturb (f->be, x, f->dir, eps, n, (int) attack->sample_size,
                       0.0f, 1.0f, out);
  return TRUE;
}

static gboolean
fgsm_get_state (NtAttack *attack, int n, float *state, GError **error)
{
  NtFgsm *f = (NtFgsm *) attack;
  if (n < 0 || n > f->n_prepared)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "fgsm: state of %d samples asked, %d are prepared", n,
                   f->n_prepared);
      return FALSE;
    }
  return f->be->ops->download (f->be, f->dir, 0, state,
                               (gsize) n * attack->sample_size, error);
}

static gboolean
fgsm_set_state (NtAttack *attack, const float *state, int n, GError **error)
{
  NtFgsm *f = (NtFgsm *) attack;
  f->n_prepared = 0;
  if (!check_count (attack, n, "state", error))
    return FALSE;
  f->be->ops->upload (f->be, f->dir, 0, state,
                      (gsize) n * attack->sample_size);
  if (!f->be->ops->sync (f->be, error))
    return FALSE;
  f->n_prepared = n;
  return TRUE;
}

static void
fgsm_destroy (NtAttack *attack)
{
  NtFgsm *f = (NtFgsm *) attack;
  if (f->dir != NULL)
    f->be->ops->free (f->be, f->dir);
  g_free (f);
}

static NtAttack *
fgsm_create (const NtOptions *opts, NtBackend *be, int max_batch,
             gsize sample_size, GError **error)
{
  NtFgsm *f = g_new0 (NtFgsm, 1);
  f->be = be;
  const char *how = nt_options_get_string (opts, "gradient");
  for (int k = 0; gradient_choices[k]; k++)
    if (g_strcmp0 (how, gradient_choices[k]) == 0)
      f->how = (NtLossGradient) k;
  f->base.prepare = fgsm_prepare;
  f->base.generate = fgsm_generate;
  f->base.destroy = fgsm_destroy;
  f->base.state_size = sample_size;
  f->base.get_state = fgsm_get_state;
  f->base.set_state = fgsm_set_state;
  /* also set by nt_attack_open; the checks above need them */
  f->base.max_batch = max_batch;
  f->base.sample_size = sample_size;
  f->dir = be->ops->alloc (be, (gsize) max_batch * sample_size, error);
  if (f->dir == NULL)
    {
      g_prefix_error (error, "fgsm: directions for %d samples: ", max_batch);
      g_free (f);
      return NULL;
    }
  return &f->base;
}

static const NtAttackClass fgsm_class = {
  .feature = {
    .kind = NT_KIND_ATTACK,
    .name = "fgsm",
    .description = "Fast gradient sign method: x + eps * sign(grad of the "
                   "source's cross-entropy), clipped to [0, 1] (the study's "
                   "attack)",
    .options = fgsm_options,
  },
  .create = fgsm_create,
};

static gboolean
fgsm_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &fgsm_class.feature, error);
}

NT_PLUGIN_DEFINE ("attack-fgsm", "The fast gradient sign method (FGSM)",
                  PACKAGE_VERSION, "MIT", fgsm_init);
