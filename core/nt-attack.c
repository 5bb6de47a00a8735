/* nt-attack.c: opening attacks, the input gradient they share, batched
 * predictions on adversarial samples, the study's per-sample threshold
 * search (PROTOCOL.md, "Attack and scoring") and three-way scoring. The
 * attacks themselves are plugins (plugins/attack-*). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-attack.h"
#include "nt-network.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (nt-attack-error-quark, nt_attack_error)

/* The coarse grid of the study: 0, then 9 values log-spaced from 1e-3 to 1
 * (10^(-3 + 3k/8), k = 0..8). */
#define N_COARSE 10
/* Candidates per refinement round of the log-grid method: 10 log-spaced
 * values between the bracketing pair, excluding the lower end and including
 * the upper one; the upper one is already known to be wrong, so 9 are
 * evaluated. */
#define N_REFINE 10
/* A safety net: every round shrinks the gap by a factor of at least ~2, so
 * no sane resolution needs more rounds than this. */
#define MAX_ROUNDS 200

NtAttack *
nt_attack_open (NtRegistry *registry, const char *selection, NtBackend *be,
                int max_batch, gsize sample_size, GError **error)
{
  g_return_val_if_fail (registry != NULL && selection != NULL && be != NULL,
                        NULL);
  if (max_batch < 1 || sample_size < 1)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "attack '%s': batch size (%d) and sample size (%"
                   G_GSIZE_FORMAT ") must be positive", selection, max_batch,
                   sample_size);
      return NULL;
    }
  NtOptions *opts = NULL;
  const NtFeature *f = nt_registry_resolve (registry, NT_KIND_ATTACK,
                                            selection, &opts, error);
  if (f == NULL)
    return NULL;
  const NtAttackClass *klass = (const NtAttackClass *) f;
  NtAttack *attack = klass->create (opts, be, max_batch, sample_size, error);
  nt_options_free (opts);
  if (attack == NULL)
    return NULL;
  attack->klass = klass;
  attack->max_batch = max_batch;
  attack->sample_size = sample_size;
  return attack;
}

void
nt_attack_free (NtAttack *attack)
{
  if (attack != NULL && attack->destroy != NULL)
    attack->destroy (attack);
}

void
nt_score_add (NtScore *score, const int *pred, const int *labels, int n,
              int null_label)
{
  g_return_if_fail (score != NULL && (n == 0 || (pred && labels)));
  for (int i = 0; i < n; i++)
    {
      if (pred[i] == labels[i])
        score->correct++;
      else if (pred[i] == null_label)
        score->unclassified++;
      else
        score->misclassified++;
    }
}

/* ---- chunked network passes ------------------------------------------- */

/* The buffer holding rows [r0, r0 + m) of `src` at offset 0 for a forward
 * of `net`: src itself for the first chunk, else a copy in the network's
 * input buffer. */
static const NtBuffer *
chunk_input (NtNetwork *net, const NtBuffer *src, int r0, int m,
             GError **error)
{
  if (r0 == 0)
    return src;
  NtBackend *be = nt_network_backend (net);
  gsize s = nt_network_input_size (net);
  NtBuffer *in = nt_network_input_buffer (net);
  if (in == NULL)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_FAILED,
                   "out of backend memory for the network's input buffer");
      return NULL;
    }
  be->ops->copy (be, in, 0, src, (gsize) r0 * s, (gsize) m * s);
  return in;
}

/* ---- the loss gradient of an attack direction ------------------------- */

const char *
nt_loss_gradient_name (NtLossGradient how)
{
  switch (how)
    {
    case NT_LOSS_GRADIENT_EXACT:
      return "exact";
    case NT_LOSS_GRADIENT_TF21_LOGITS:
      return "tf2.1-logits";
    case NT_LOSS_GRADIENT_TF21_PROBS:
      return "tf2.1-probs";
    }
  return "unknown";
}

/* Exact, scaled: g_c = exp(z_c - m) for c != y, with m the largest wrong
 * logit, and g_y = -(sum of those). This is p - onehot(y) times
 * 1 / p_m > 0, computed in double, so the largest wrong-class entry is 1
 * whatever the margin and p_y - 1 never suffers cancellation. */
static void
loss_gradient_exact (const float *z, int y, int classes, float *g)
{
  double m = -INFINITY, sum = 0.0;
  for (int c = 0; c < classes; c++)
    if (c != y && z[c] > m)
      m = z[c];
  for (int c = 0; c < classes; c++)
    if (c != y)
      {
        double e = exp ((double) z[c] - m);
        g[c] = (float) e;
        sum += e;
      }
  g[y] = (float) -sum;
}

/* Softmax in float32 as TensorFlow computes it: exp(z - max) / sum. */
static void
softmax_float (const float *z, int classes, float *p)
{
  float mx = z[0], sum = 0.0f;
  for (int c = 1; c < classes; c++)
    mx = MAX (mx, z[c]);
  for (int c = 0; c < classes; c++)
    {
      p[c] = expf (z[c] - mx);
      sum += p[c];
    }
  for (int c = 0; c < classes; c++)
    p[c] /= sum;
}

/* TensorFlow 2.1's fused sparse softmax cross-entropy gradient, float32. */
static void
loss_gradient_tf21_logits (const float *z, int y, int classes, float *g)
{
  softmax_float (z, classes, g);
  g[y] -= 1.0f;
}

/* TensorFlow 2.1 Keras' sparse categorical cross-entropy on probabilities
 * (from_logits=False, eager), float32: o = log(clip(p, 1e-7, 1 - 1e-7)),
 * loss = the fused cross-entropy of o; back through log, the clip (no
 * gradient outside the range, ends included inside) and the softmax
 * ((dp - sum(dp * p)) * p). */
static void
loss_gradient_tf21_probs (const float *z, int y, int classes, float *g)
{
  float p[classes], pc[classes], o[classes], dp[classes];
  const float lo = 1e-7f, hi = 1.0f - 1e-7f;
  softmax_float (z, classes, p);
  for (int c = 0; c < classes; c++)
    {
      pc[c] = MIN (MAX (p[c], lo), hi);
      o[c] = logf (pc[c]);
    }
  softmax_float (o, classes, dp);     /* dL/do = softmax(o) - onehot */
  dp[y] -= 1.0f;
  float dot = 0.0f;
  for (int c = 0; c < classes; c++)
    {
      gboolean passes = p[c] >= lo && p[c] <= hi;
      dp[c] = passes ? dp[c] * (1.0f / pc[c]) : 0.0f;
      dot += dp[c] * p[c];
    }
  for (int c = 0; c < classes; c++)
    g[c] = (dp[c] - dot) * p[c];
}

void
nt_loss_gradient (NtLossGradient how, const float *logits, const int *labels,
                  int n, int classes, float *dlogits)
{
  g_return_if_fail (n == 0 || (logits && labels && dlogits && classes > 0));
  for (int i = 0; i < n; i++)
    {
      const float *z = logits + (gsize) i * classes;
      float *g = dlogits + (gsize) i * classes;
      int y = labels[i];
      g_return_if_fail (y >= 0 && y < classes);
      switch (how)
        {
        case NT_LOSS_GRADIENT_TF21_LOGITS:
          loss_gradient_tf21_logits (z, y, classes, g);
          break;
        case NT_LOSS_GRADIENT_TF21_PROBS:
          loss_gradient_tf21_probs (z, y, classes, g);
          break;
        default:
          loss_gradient_exact (z, y, classes, g);
          break;
        }
    }
}

/* ---- per-sample network passes ------------------------------------------ */

/* A one-sample buffer of the network's input size (caller frees). */
static NtBuffer *
sample_buffer (NtNetwork *net, GError **error)
{
  NtBackend *be = nt_network_backend (net);
  NtBuffer *b = be->ops->alloc (be, nt_network_input_size (net), error);
  if (b == NULL)
    g_prefix_error (error, "one-sample buffer: ");
  return b;
}

/* Logits (host, `classes` floats) of sample `row` of x computed alone,
 * through `one` (a one-sample buffer, not x). */
static gboolean
forward_one (NtNetwork *net, const NtBuffer *x, int row, NtBuffer *one,
             float *logits, GError **error)
{
  NtBackend *be = nt_network_backend (net);
  gsize s = nt_network_input_size (net);
  int classes = nt_network_n_outputs (net);
  be->ops->copy (be, one, 0, x, (gsize) row * s, s);
  return be->ops->download (be, nt_network_forward (net, one, 1, FALSE, 0),
                            0, logits, classes, error);
}

/* The largest |logit| below which a top-two gap counts as a possible tie
 * (relative to max(1, largest |logit|)): batched and single forwards of the
 * same sample differ by float reordering, a few ulps of the sums, orders of
 * magnitude less than this. */
#define TIE_GUARD 1e-4f

gboolean
nt_attack_forward_argmax (NtNetwork *net, const NtBuffer *x, int n, int *out,
                          GError **error)
{
  g_return_val_if_fail (net && x && out, FALSE);
  NtBackend *be = nt_network_backend (net);
  int mb = nt_network_max_batch (net);
  int classes = nt_network_n_outputs (net);
  float *logits = g_new (float, (gsize) MIN (mb, MAX (n, 1)) * classes);
  NtBuffer *one = NULL;
  gboolean ok = TRUE;
  for (int r0 = 0; ok && r0 < n; r0 += mb)
    {
      int m = MIN (mb, n - r0);
      const NtBuffer *in = chunk_input (net, x, r0, m, error);
      ok = in != NULL
           && be->ops->download (be, nt_network_forward (net, in, m, FALSE, 0),
                                 0, logits, (gsize) m * classes, error);
      for (int i = 0; ok && i < m; i++)
        {
          float *z = logits + (gsize) i * classes;
          int top = 0, second = -1;
          float scale = fabsf (z[0]);
          for (int c = 1; c < classes; c++)
            {
              scale = MAX (scale, fabsf (z[c]));
              if (z[c] > z[top])
                {
                  second = top;
                  top = c;
                }
              else if (second < 0 || z[c] > z[second])
                second = c;
            }
          if (second >= 0
              && z[top] - z[second] <= TIE_GUARD * MAX (1.0f, scale))
            {
              /* a possible tie: the answer of the sample alone (x's row
               * r0 + i: the chunk copy may have moved, x has not) */
              ok = (one != NULL || (one = sample_buffer (net, error)))
                   && forward_one (net, x, r0 + i, one, z, error);
              top = 0;
              for (int c = 1; ok && c < classes; c++)
                if (z[c] > z[top])
                  top = c;
            }
          out[r0 + i] = top;
        }
    }
  if (one)
    be->ops->free (be, one);
  g_free (logits);
  return ok && be->ops->sync (be, error);
}

gboolean
nt_attack_input_gradient_as (NtNetwork *source, const NtBuffer *x,
                             const int *labels, int n, NtLossGradient how,
                             NtBuffer *dx, GError **error)
{
  g_return_val_if_fail (source && x && labels && dx && x != dx, FALSE);
  NtBackend *be = nt_network_backend (source);
  int classes = nt_network_n_outputs (source);
  gsize s = nt_network_input_size (source);
  NtBuffer *dlogits = nt_network_dlogits_buffer (source);
  if (dlogits == NULL)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_FAILED,
                   "out of backend memory for the source network's logit "
                   "gradients");
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    if (labels[i] < 0 || labels[i] >= classes)
      {
        g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                     "label %d of sample %d is not a class of the source "
                     "network (0 to %d)", labels[i], i, classes - 1);
        return FALSE;
      }
  /* one sample at a time, through a one-sample copy (x may be the
   * network's input buffer); backward() writes row 0 of dx, so the samples
   * go last to first and each is moved to its row before the next */
  NtBuffer *one = sample_buffer (source, error);
  if (one == NULL)
    return FALSE;
  gboolean ok = TRUE;
  float z[classes], g[classes];
  for (int i = n - 1; ok && i >= 0; i--)
    {
      if (!(ok = forward_one (source, x, i, one, z, error)))
        break;
      nt_loss_gradient (how, z, labels + i, 1, classes, g);
      be->ops->upload (be, dlogits, 0, g, classes);
      nt_network_backward_input (source, dlogits, dx);
      if (i > 0)
        be->ops->copy (be, dx, (gsize) i * s, dx, 0, s);
    }
  be->ops->free (be, one);
  if (ok && !be->ops->sync (be, error))
    ok = FALSE;
  if (!ok)
    g_prefix_error (error, "input gradient of the source network: ");
  return ok;
}

gboolean
nt_attack_input_gradient (NtNetwork *source, const NtBuffer *x,
                          const int *labels, int n, NtBuffer *dx,
                          GError **error)
{
  return nt_attack_input_gradient_as (source, x, labels, n,
                                      NT_LOSS_GRADIENT_EXACT, dx, error);
}

/* ---- checks ------------------------------------------------------------ */

static gboolean
check_net (NtAttack *attack, NtNetwork *net, const char *role, GError **error)
{
  if (nt_network_input_size (net) != attack->sample_size)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "the %s network takes samples of %" G_GSIZE_FORMAT
                   " values but the attack was opened for %" G_GSIZE_FORMAT,
                   role, nt_network_input_size (net), attack->sample_size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_batch (NtAttack *attack, int n, GError **error)
{
  if (n < 1 || n > attack->max_batch)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "batch of %d samples: the attack was opened for 1 to %d; "
                   "open it with a larger batch or split the samples", n,
                   attack->max_batch);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_eps (const float *eps, int n, GError **error)
{
  for (int i = 0; i < n; i++)
    if (!(eps[i] >= 0.0f) || !isfinite (eps[i]))
      {
        g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                     "attack budget eps[%d] = %g: must be finite and >= 0",
                     i, (double) eps[i]);
        return FALSE;
      }
  return TRUE;
}

gboolean
nt_attack_predict (NtAttack *attack, NtNetwork *source, NtNetwork *net,
                   const NtBuffer *x, const int *labels, int n,
                   const float *eps, NtBuffer *scratch, int *out,
                   GError **error)
{
  g_return_val_if_fail (attack && source && net && x && labels && eps
                        && scratch && out, FALSE);
  if (!check_batch (attack, n, error) || !check_eps (eps, n, error)
      || !check_net (attack, source, "source", error)
      || !check_net (attack, net, "target", error))
    return FALSE;
  if (!attack->generate (attack, source, x, labels, n, eps, scratch, error))
    return FALSE;
  return nt_attack_forward_argmax (net, scratch, n, out, error);
}

/* ---- threshold search -------------------------------------------------- */

typedef struct {
  NtAttack *attack;
  NtNetwork *source, *target;
  const NtBuffer *x;
  const int *labels;
  int n;
  gsize sample;
  NtBuffer *scratch;      /* n x sample adversarial samples */
  float *eps;             /* n budgets, host */
  int *active;            /* indices evaluated in one pass, ascending */
  int *pred;              /* their predictions */
  guint passes;           /* statistics, for the debug log */
  guint64 forwards;
} Search;

/* One pass: the adversarial samples of all n at budgets s->eps (samples not
 * in the active list get 0), then target predictions for the n_active
 * listed samples only: their rows are packed to the front of the scratch
 * first, so the forward cost follows the number still searching. wrong[a]
 * says whether active[a]'s prediction differs from its label. */
static gboolean
search_pass (Search *s, int n_active, gboolean *wrong, GError **error)
{
  NtBackend *be = nt_network_backend (s->target);
  if (!s->attack->generate (s->attack, s->source, s->x, s->labels, s->n,
                            s->eps, s->scratch, error))
    return FALSE;
  /* active is ascending, so row active[a] >= a has not been overwritten
   * yet when it is moved to row a */
  for (int a = 0; a < n_active; a++)
    if (s->active[a] != a)
      be->ops->copy (be, s->scratch, (gsize) a * s->sample, s->scratch,
                     (gsize) s->active[a] * s->sample, s->sample);
  if (!nt_attack_forward_argmax (s->target, s->scratch, n_active, s->pred,
                                 error))
    return FALSE;
  s->passes++;
  s->forwards += n_active;
  for (int a = 0; a < n_active; a++)
    wrong[a] = s->pred[a] != s->labels[s->active[a]];
  return TRUE;
}

/* Runs passes over the candidate lists cand (n x n_cand, row i the
 * candidates of sample i, ascending) for the samples with todo[i], stopping
 * per sample at its first wrong prediction: found[i] gets the index of that
 * candidate, or -1. */
static gboolean
search_candidates (Search *s, const double *cand, int n_cand,
                   const gboolean *todo, int *found, gboolean *wrong,
                   GError **error)
{
  for (int i = 0; i < s->n; i++)
    found[i] = -1;
  for (int k = 0; k < n_cand; k++)
    {
      int n_active = 0;
      for (int i = 0; i < s->n; i++)
        {
          s->eps[i] = 0.0f;
          if (todo[i] && found[i] < 0)
            {
              s->eps[i] = (float) cand[(gsize) i * n_cand + k];
              s->active[n_active++] = i;
            }
        }
      if (n_active == 0)
        break;
      if (!search_pass (s, n_active, wrong, error))
        return FALSE;
      for (int a = 0; a < n_active; a++)
        if (wrong[a])
          found[s->active[a]] = k;
    }
  return TRUE;
}

gboolean
nt_threshold_search (NtAttack *attack, NtNetwork *source, NtNetwork *target,
                     const NtBuffer *x, const int *labels, int n,
                     NtThresholdMethod method, double resolution,
                     float *thresholds, GError **error)
{
  g_return_val_if_fail (attack && source && target && x && labels
                        && thresholds, FALSE);
  if (!check_batch (attack, n, error)
      || !check_net (attack, source, "source", error)
      || !check_net (attack, target, "target", error))
    return FALSE;
  if (!(resolution > 0.0) || !isfinite (resolution))
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "threshold resolution %g: must be positive (the study "
                   "uses 1e-3)", resolution);
      return FALSE;
    }
  if (method != NT_THRESHOLD_LOG_GRID && method != NT_THRESHOLD_BISECTION)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "unknown threshold search method %d", (int) method);
      return FALSE;
    }
  if (!attack->prepare (attack, source, x, labels, n, error))
    return FALSE;

  NtBackend *be = nt_network_backend (target);
  Search s = { attack, source, target, x, labels, n,
               attack->sample_size, NULL, NULL, NULL, NULL, 0, 0 };
  s.scratch = be->ops->alloc (be, (gsize) n * s.sample, error);
  if (s.scratch == NULL)
    return FALSE;
  s.eps = g_new (float, n);
  s.active = g_new (int, n);
  s.pred = g_new (int, n);
  gboolean *wrong = g_new (gboolean, n);
  gboolean *todo = g_new (gboolean, n);
  int *found = g_new (int, n);
  double *lo = g_new (double, n), *hi = g_new (double, n);
  double *cand = g_new (double, (gsize) n * N_COARSE);
  gboolean ok = FALSE;
  /* a gap equal to the resolution up to rounding counts as reached (the
   * study's first step, 1e-3 - 0, must stop at resolution 1e-3) */
  double tol = resolution * (1.0 + 1e-9);

  /* Coarse grid, the same for every sample. */
  for (int i = 0; i < n; i++)
    {
      todo[i] = TRUE;
      cand[(gsize) i * N_COARSE] = 0.0;
      for (int k = 1; k < N_COARSE; k++)
        cand[(gsize) i * N_COARSE + k] =
          pow (10.0, -3.0 + 3.0 * (k - 1) / (N_COARSE - 2));
      /* the ends exactly */
      cand[(gsize) i * N_COARSE + 1] = 1e-3;
      cand[(gsize) i * N_COARSE + N_COARSE - 1] = 1.0;
    }
  if (!search_candidates (&s, cand, N_COARSE, todo, found, wrong, error))
    goto out;
  int pending = 0;
  for (int i = 0; i < n; i++)
    {
      todo[i] = FALSE;
      if (found[i] < 0)
        thresholds[i] = -1.0f;          /* never wrong up to 1: dropped */
      else if (found[i] == 0)
        thresholds[i] = 0.0f;           /* already wrong on the clean image */
      else
        {
          lo[i] = cand[(gsize) i * N_COARSE + found[i] - 1];
          hi[i] = cand[(gsize) i * N_COARSE + found[i]];
          thresholds[i] = (float) hi[i];
          todo[i] = hi[i] - lo[i] > tol;
          pending += todo[i];
        }
    }

  /* Refinement, all pending samples together. */
  for (int round = 0; pending > 0; round++)
    {
      if (round == MAX_ROUNDS)
        {
          g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_FAILED,
                       "threshold search did not reach resolution %g after "
                       "%d rounds", resolution, MAX_ROUNDS);
          goto out;
        }
      if (method == NT_THRESHOLD_LOG_GRID)
        {
          /* candidates base * (hi/base)^(k/10), k = 1..9; when the lower
           * end is 0 (no log spacing from 0) the spacing starts at
           * hi / 1000 and the lower end stays 0 if the first is wrong */
          const int nc = N_REFINE - 1;
          for (int i = 0; i < n; i++)
            if (todo[i])
              {
                double base = lo[i] > 0.0 ? lo[i] : hi[i] * 1e-3;
                double ratio = hi[i] / base;
                for (int k = 1; k <= nc; k++)
                  cand[(gsize) i * nc + k - 1] =
                    base * pow (ratio, (double) k / N_REFINE);
              }
          if (!search_candidates (&s, cand, nc, todo, found, wrong, error))
            goto out;
          for (int i = 0; i < n; i++)
            if (todo[i])
              {
                if (found[i] < 0)
                  lo[i] = cand[(gsize) i * nc + nc - 1];
                else
                  {
                    hi[i] = cand[(gsize) i * nc + found[i]];
                    if (found[i] > 0)
                      lo[i] = cand[(gsize) i * nc + found[i] - 1];
                  }
              }
        }
      else
        {
          for (int i = 0; i < n; i++)
            if (todo[i])
              cand[i] = 0.5 * (lo[i] + hi[i]);
          if (!search_candidates (&s, cand, 1, todo, found, wrong, error))
            goto out;
          for (int i = 0; i < n; i++)
            if (todo[i])
              {
                if (found[i] == 0)
                  hi[i] = cand[i];
                else
                  lo[i] = cand[i];
              }
        }
      pending = 0;
      for (int i = 0; i < n; i++)
        if (todo[i])
          {
            thresholds[i] = (float) hi[i];
            todo[i] = hi[i] - lo[i] > tol;
            pending += todo[i];
          }
    }
  ok = TRUE;
  g_debug ("threshold search (%s): %d samples, %u passes, %" G_GUINT64_FORMAT
           " sample forwards (%.1f per sample)",
           method == NT_THRESHOLD_LOG_GRID ? "log grid" : "bisection", n,
           s.passes, s.forwards, (double) s.forwards / n);

out:
  be->ops->free (be, s.scratch);
  g_free (s.eps);
  g_free (s.active);
  g_free (s.pred);
  g_free (wrong);
  g_free (todo);
  g_free (found);
  g_free (lo);
  g_free (hi);
  g_free (cand);
  return ok;
}

gboolean
nt_threshold_search_correct (NtAttack *attack, NtNetwork *net, NtDataset *ds,
                             NtSplit split, gsize *indices, int n,
                             NtThresholdMethod method, double resolution,
                             int *labels, float *thresholds, int *kept,
                             GError **error)
{
  g_return_val_if_fail (attack && net && ds && indices && labels
                        && thresholds && kept, FALSE);
  NtBackend *be = nt_network_backend (net);
  NtBuffer *x = nt_network_input_buffer (net);
  gsize sample = nt_dataset_sample_size (ds);
  int *pred = NULL;
  float *images = NULL;
  gboolean ok;

  *kept = 0;
  if (n <= 0 || n > nt_network_max_batch (net))
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "%d images for a network of batches up to %d", n,
                   nt_network_max_batch (net));
      return FALSE;
    }
  if (x == NULL)
    {
      g_set_error (error, NT_ATTACK_ERROR, NT_ATTACK_ERROR_INVALID,
                   "the network has no input buffer (not set up)");
      return FALSE;
    }
  images = g_new (float, (gsize) n * sample);
  pred = g_new (int, n);
  ok = nt_dataset_get (ds, split, indices, n, images, labels, error);
  if (ok)
    {
      be->ops->upload (be, x, 0, images, (gsize) n * sample);
      ok = nt_attack_forward_argmax (net, x, n, pred, error);
    }
  /* keep the correctly classified ones, packed */
  int k = 0;
  for (int i = 0; ok && i < n; i++)
    if (pred[i] == labels[i])
      {
        memmove (images + (gsize) k * sample, images + (gsize) i * sample,
                 sample * sizeof (float));
        labels[k] = labels[i];
        indices[k++] = indices[i];
      }
  if (ok && k > 0)
    {
      be->ops->upload (be, x, 0, images, (gsize) k * sample);
      ok = nt_threshold_search (attack, net, net, x, labels, k, method,
                                resolution, thresholds, error);
    }
  if (ok)
    *kept = k;
  g_free (images);
  g_free (pred);
  return ok;
}
