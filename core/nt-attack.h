/* nt-attack.h: adversarial attacks, a plugin kind, and the study's attack
 * protocol pieces: the threshold search and three-way scoring.
 *
 * An attack turns clean inputs into adversarial ones for a per-sample
 * budget eps (L-infinity), using a *source* network for gradients. FGSM
 * computes one direction per sample in prepare() and generate() is then
 * x + eps * direction clipped to [0, 1]; iterative attacks (PGD/BIM) run
 * their iterations inside generate(). All work goes through the backend. */
#ifndef NT_ATTACK_H
#define NT_ATTACK_H

#include <glib.h>
#include "nt-registry.h"
#include "nt-backend.h"
#include "nt-model.h"
#include "nt-dataset.h"

G_BEGIN_DECLS

#define NT_ATTACK_ERROR (nt_attack_error_quark ())
GQuark nt_attack_error_quark (void);

typedef enum {
  NT_ATTACK_ERROR_INVALID,   /* bad arguments (batch too large, eps < 0) */
  NT_ATTACK_ERROR_FAILED     /* a backend or network failure */
} NtAttackError;

typedef struct _NtAttack NtAttack;

/* Every attack instance starts with this header. */
struct _NtAttack {
  const struct _NtAttackClass *klass;
  /* Prepares a batch of n clean samples x (on the source's backend, n x
   * sample floats) with their true labels: gradient work that does not
   * depend on eps (FGSM's sign directions). */
  gboolean (*prepare) (NtAttack *attack, NtNetwork *source,
                       const NtBuffer *x, const int *labels, int n,
                       GError **error);
  /* Writes into `out` (n x sample) the adversarial samples for budgets
   * eps[0..n) (host array), for the batch last prepared. */
  gboolean (*generate) (NtAttack *attack, NtNetwork *source,
                        const NtBuffer *x, const int *labels, int n,
                        const float *eps, NtBuffer *out, GError **error);
  void (*destroy) (NtAttack *attack);
  /* Optional (both NULL, state_size 0, when the attack keeps nothing per
   * sample between prepare() and generate()): the prepared state of the
   * last prepared batch, state_size floats per sample. get_state copies the
   * state of its samples [0, n) to host memory; set_state makes `state`
   * (n samples, host) the prepared batch, exactly as if prepare() had
   * computed it. The study's protocol keeps the state of each source image
   * from its threshold search and applies it wherever that image is
   * attacked again, so no adversarial image comes from a second gradient
   * computation (FGSM: the sign directions). */
  gsize state_size;
  gboolean (*get_state) (NtAttack *attack, int n, float *state,
                         GError **error);
  gboolean (*set_state) (NtAttack *attack, const float *state, int n,
                         GError **error);
  /* Filled in by nt_attack_open (plugins need not set them): the largest
   * batch and the floats per sample the instance was created for. */
  int max_batch;
  gsize sample_size;
};

typedef struct _NtAttackClass {
  NtFeature feature;
  /* A new instance for batches of up to max_batch samples of `sample_size`
   * floats on `be`. */
  NtAttack *(*create) (const NtOptions *opts, NtBackend *be, int max_batch,
                       gsize sample_size, GError **error);
} NtAttackClass;

/* Opens the attack `selection` ("fgsm", "pgd:steps=10"). Free with
 * nt_attack_free. */
NtAttack *nt_attack_open (NtRegistry *registry, const char *selection,
                          NtBackend *be, int max_batch, gsize sample_size,
                          GError **error);
void nt_attack_free (NtAttack *attack);

/* Three-way score of predictions against true labels: correct, null
 * (prediction == null_label: "unclassified") or another class
 * ("misclassified"). */
typedef struct {
  guint64 correct, misclassified, unclassified;
} NtScore;

void nt_score_add (NtScore *score, const int *pred, const int *labels,
                   int n, int null_label);

/* How thresholds are searched. */
typedef enum {
  NT_THRESHOLD_LOG_GRID,   /* the study's: [0] + 9 log-spaced values from
                            * 1e-3 to 1, refined with 10 log-spaced values
                            * between the bracketing pair (the lower end
                            * excluded, the upper included; from upper/1000
                            * when the lower end is 0) until the gap is
                            * <= resolution; at each level the first wrong
                            * value in increasing order wins */
  NT_THRESHOLD_BISECTION   /* bisection of the bracketing pair down to the
                            * resolution */
} NtThresholdMethod;

/* Per-sample threshold search on `target` (the model whose prediction must
 * become wrong: the baseline in the transfer protocol, the model itself in
 * the white-box one), with adversarial samples from `attack` using
 * `source` gradients (prepare() is called here). For each of the n samples
 * (on the backend, n x sample), thresholds[i] gets the smallest eps found
 * at which target's prediction differs from labels[i] (within
 * `resolution`, the study's 1e-3), or a negative value when none up to 1 is
 * wrong (the image is dropped), and 0 when the clean image is already
 * wrong. Runs all n samples at once: every pass generates the whole batch
 * at per-sample budgets and forwards only the samples still searching
 * (about 23 sample forwards per image with the log grid, 16 with
 * bisection, on MNIST). n may exceed the networks' max_batch (forwards are
 * chunked) but not the attack's. */
gboolean nt_threshold_search (NtAttack *attack, NtNetwork *source,
                              NtNetwork *target, const NtBuffer *x,
                              const int *labels, int n,
                              NtThresholdMethod method, double resolution,
                              float *thresholds, GError **error);

/* The study's source selection for one chunk of images: reads images
 * indices[0..n) of `split` (n <= the max_batch of `net`), keeps those `net`
 * classifies correctly (indices[] and labels[] packed in place, in their
 * order, *kept their count) and searches their thresholds with `net` as
 * source and target (thresholds[0..*kept), as nt_threshold_search gives
 * them). labels and thresholds hold n values. */
gboolean nt_threshold_search_correct (NtAttack *attack, NtNetwork *net,
                                      NtDataset *ds, NtSplit split,
                                      gsize *indices, int n,
                                      NtThresholdMethod method,
                                      double resolution, int *labels,
                                      float *thresholds, int *kept,
                                      GError **error);

/* How the gradient of the softmax cross-entropy with respect to the logits
 * is computed for an attack direction. */
typedef enum {
  /* Exact: p - onehot(y) with p_y - 1 computed as -(sum of the other p_c),
   * so nothing cancels, and each row scaled by a positive factor that makes
   * its largest wrong-class entry 1, so nothing underflows even where
   * float32 probabilities are 0 (logit margins past ~100). Only the sign of
   * the input gradient matters to FGSM, and it is the exact one. */
  NT_LOSS_GRADIENT_EXACT,
  /* Emulates TensorFlow 2.1's fused sparse softmax cross-entropy on logits
   * in float32: p = exp(z - max) / sum in float, gradient p - onehot. Past a
   * margin of ~17 nats p_y rounds to 1 and the true-class term vanishes;
   * past ~104 nats every term underflows and the gradient is 0. */
  NT_LOSS_GRADIENT_TF21_LOGITS,
  /* Emulates TensorFlow 2.1 Keras' cross-entropy on softmax probabilities
   * (from_logits=False on an eager tensor) in float32: the probabilities are
   * clipped to [1e-7, 1 - 1e-7] and logged, so a probability outside that
   * range passes no gradient; a confident prediction (p_y > 1 - 1e-7, every
   * other p_c < 1e-7) has a zero gradient. */
  NT_LOSS_GRADIENT_TF21_PROBS
} NtLossGradient;

/* The name of `how` ("exact", "tf2.1-logits", "tf2.1-probs"). */
const char *nt_loss_gradient_name (NtLossGradient how);

/* dlogits (host, n x classes) for the input gradient of n samples with
 * logits (host, n x classes) and true labels in [0, classes), computed as
 * `how` says. Row i is the gradient of sample i's loss times a positive
 * factor (1 for the emulations, which reproduce float32 values). */
void nt_loss_gradient (NtLossGradient how, const float *logits,
                       const int *labels, int n, int classes,
                       float *dlogits);

/* For attack plugins: the gradient of the softmax cross-entropy of
 * `source` (dropout off) at the true labels with respect to its input, for
 * the n samples of x (backend, n x sample), written to dx (n x sample; must
 * not alias x; x may be the network's input buffer). Each sample is
 * computed alone (a batch of 1, as the original study did), so a sample's
 * gradient never depends on the batch around it: the same image gives the
 * same bits whatever the batch size, chunking or position. The loss
 * gradient is NT_LOSS_GRADIENT_EXACT: row i is the gradient of sample i's
 * loss times a positive factor, so its sign is exact. Synchronises. */
gboolean nt_attack_input_gradient (NtNetwork *source, const NtBuffer *x,
                                   const int *labels, int n, NtBuffer *dx,
                                   GError **error);

/* nt_attack_input_gradient with the loss gradient computed as `how` says. */
gboolean nt_attack_input_gradient_as (NtNetwork *source, const NtBuffer *x,
                                      const int *labels, int n,
                                      NtLossGradient how, NtBuffer *dx,
                                      GError **error);

/* Predictions (argmax, dropout off, first index on ties) of `net` for the
 * n samples of x (backend, n x sample; may be the network's input buffer),
 * into out (host, n). A prediction is the argmax of the sample's logits
 * computed alone (a batch of 1), so it does not depend on the batch: the
 * samples are forwarded in chunks of the network's max_batch, and a sample
 * whose top two logits are closer than 1e-4 * max(1, its largest |logit|)
 * (far more than the rounding a batched GEMM or convolution can move them
 * by) is forwarded again alone and takes that answer. Synchronises. */
gboolean nt_attack_forward_argmax (NtNetwork *net, const NtBuffer *x, int n,
                                   int *out, GError **error);

/* Predictions of `net` (argmax, dropout off) for the adversarial samples of
 * the last prepared batch at per-sample budgets eps (host, n values); out
 * gets n predictions. `scratch` is a backend buffer of n x sample floats. */
gboolean nt_attack_predict (NtAttack *attack, NtNetwork *source,
                            NtNetwork *net, const NtBuffer *x,
                            const int *labels, int n, const float *eps,
                            NtBuffer *scratch, int *out, GError **error);

G_END_DECLS
#endif
