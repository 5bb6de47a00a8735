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

/* For attack plugins: the gradient of the softmax cross-entropy of
 * `source` (dropout off) at the true labels with respect to its input, for
 * the n samples of x (backend, n x sample), written to dx (n x sample; must
 * not alias x). Row i is the gradient of sample i's own loss times a
 * positive factor (1 / the size of the forward chunk it was computed in), so
 * its sign is exact. Batches larger than the network's max_batch are
 * computed in chunks through the network's input buffer. */
gboolean nt_attack_input_gradient (NtNetwork *source, const NtBuffer *x,
                                   const int *labels, int n, NtBuffer *dx,
                                   GError **error);

/* Predictions of `net` (argmax, dropout off) for the adversarial samples of
 * the last prepared batch at per-sample budgets eps (host, n values); out
 * gets n predictions. `scratch` is a backend buffer of n x sample floats. */
gboolean nt_attack_predict (NtAttack *attack, NtNetwork *source,
                            NtNetwork *net, const NtBuffer *x,
                            const int *labels, int n, const float *eps,
                            NtBuffer *scratch, int *out, GError **error);

G_END_DECLS
#endif
