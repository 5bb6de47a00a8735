/* nt-train.c: the training loop and evaluation. */
#include "config.h"
#include "nt-train.h"
#include "nt-network.h"
#include "nt-adam.h"
#include "nt-rng.h"
#include "nt-progress.h"
#include "nt-model-file.h"
#include "nt-dropout-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK (nt-train-error-quark, nt_train_error)

void
nt_train_config_init (NtTrainConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->epochs = 20;
  cfg->batch = 32;
  cfg->lr = 1e-3;
  cfg->beta1 = 0.9;
  cfg->beta2 = 0.999;
  cfg->eps = 1e-8;
  cfg->model = "?";
}

void
nt_eval_result_clear (NtEvalResult *r)
{
  g_clear_pointer (&r->confusion, g_free);
}

/* Host staging for one batch. */
typedef struct {
  float *images;
  int *labels;
  int *pred;
  gsize *indices;
} Batch;

static void
batch_init (Batch *b, int n, gsize sample)
{
  b->images = g_new (float, (gsize) n * sample);
  b->labels = g_new (int, n);
  b->pred = g_new (int, n);
  b->indices = g_new (gsize, n);
}

static void
batch_clear (Batch *b)
{
  g_free (b->images);
  g_free (b->labels);
  g_free (b->pred);
  g_free (b->indices);
}

/* Forward of the n samples staged in b, accumulating loss, counts and the
 * confusion matrix into out. */
static gboolean
eval_chunk (NtNetwork *net, Batch *b, int n, gsize sample, NtEvalResult *out,
            double *loss_sum, gsize *correct, GError **error)
{
  NtBackend *be = nt_network_backend (net);
  NtBuffer *x = nt_network_input_buffer (net);
  be->ops->upload (be, x, 0, b->images, (gsize) n * sample);
  const NtBuffer *logits = nt_network_forward (net, x, n, FALSE, 0);
  float loss = 0;
  be->ops->softmax_xent (be, logits, b->labels, n, out->n_cols, &loss, NULL);
  be->ops->argmax (be, logits, n, out->n_cols, b->pred);
  if (!be->ops->sync (be, error))
    return FALSE;
  *loss_sum += (double) loss * n;
  for (int i = 0; i < n; i++)
    {
      *correct += b->pred[i] == b->labels[i];
      out->confusion[(gsize) b->labels[i] * out->n_cols + b->pred[i]]++;
    }
  out->n += n;
  return TRUE;
}

gboolean
nt_evaluate (NtNetwork *net, NtDataset *ds, NtSplit split, gsize limit,
             NtNullMix *nulls, guint64 null_seed, NtEvalResult *out,
             GError **error)
{
  gsize total = nt_dataset_split_size (ds, split);
  if (limit && limit < total)
    total = limit;
  int chunk = nt_network_max_batch (net);
  gsize sample = nt_dataset_sample_size (ds);
  gboolean with_nulls = nulls && nt_null_mix_n_strategies (nulls) > 0;
  double p = with_nulls ? nt_null_mix_p_null (nulls) : 0;
  /* nulls in the proportion p of the whole: n_null / (total + n_null) = p */
  gsize n_null = (with_nulls && p < 1) ? (gsize) (total * p / (1 - p) + 0.5)
                                       : 0;
  memset (out, 0, sizeof *out);
  out->n_rows = ds->n_classes + (with_nulls ? 1 : 0);
  out->n_cols = nt_network_n_outputs (net);
  if (out->n_rows > out->n_cols || nt_network_input_buffer (net) == NULL)
    {
      g_set_error (error, NT_TRAIN_ERROR, NT_TRAIN_ERROR_CONFIG,
                   "the network has %d outputs, evaluating needs %d (or its "
                   "input buffer cannot be allocated)", out->n_cols,
                   out->n_rows);
      return FALSE;
    }
  out->confusion = g_new0 (guint64, (gsize) out->n_rows * out->n_cols);

  Batch b;
  batch_init (&b, chunk, sample);
  double loss_sum = 0;
  gsize correct = 0, digits_correct = 0;
  gboolean ok = TRUE;
  for (gsize start = 0; ok && start < total; start += chunk)
    {
      int n = (int) MIN ((gsize) chunk, total - start);
      for (int i = 0; i < n; i++)
        b.indices[i] = start + i;
      ok = nt_dataset_get (ds, split, b.indices, n, b.images, b.labels, error)
           && eval_chunk (net, &b, n, sample, out, &loss_sum, &correct,
                          error);
    }
  digits_correct = correct;
  GRand *rng = with_nulls ? g_rand_new_with_seed ((guint32) null_seed
                                                  ^ (guint32) (null_seed
                                                               >> 32))
                          : NULL;
  for (gsize done = 0; ok && done < n_null; done += chunk)
    {
      int n = (int) MIN ((gsize) chunk, n_null - done);
      for (int i = 0; i < n; i++)
        b.labels[i] = ds->n_classes;
      ok = nt_null_mix_fill_nulls (nulls, split, rng, n, b.images, error)
           && eval_chunk (net, &b, n, sample, out, &loss_sum, &correct,
                          error);
    }
  if (rng)
    g_rand_free (rng);
  batch_clear (&b);
  if (!ok)
    {
      nt_eval_result_clear (out);
      return FALSE;
    }
  out->n_null = n_null;
  out->loss = out->n ? loss_sum / out->n : NAN;
  out->accuracy = out->n ? (double) correct / out->n : NAN;
  out->digit_accuracy = total ? (double) digits_correct / total : NAN;
  out->null_recognised = n_null ? (double) (correct - digits_correct) / n_null
                                : NAN;
  return TRUE;
}

static gboolean
write_history (const char *path, GArray *history, GError **error)
{
  GString *csv = g_string_new ("epoch,train_loss,train_accuracy,val_loss,"
                               "val_accuracy,val_digit_accuracy,seconds,"
                               "images_per_second\n");
  for (guint i = 0; i < history->len; i++)
    {
      const NtEpochStats *s = &g_array_index (history, NtEpochStats, i);
      g_string_append_printf (csv, "%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f\n",
                              s->epoch, s->train_loss, s->train_accuracy,
                              s->val_loss, s->val_accuracy,
                              s->val_digit_accuracy, s->seconds,
                              s->images_per_second);
    }
  gboolean ok = g_file_set_contents (path, csv->str, csv->len, error);
  if (!ok)
    g_prefix_error (error, "cannot write the training history: ");
  g_string_free (csv, TRUE);
  return ok;
}

/* Saves the best checkpoint with the epoch's numbers in its metadata. */
static gboolean
save_best (NtNetwork *net, const NtTrainConfig *cfg, const NtEpochStats *s,
           GError **error)
{
  GPtrArray *kv = g_ptr_array_new_with_free_func (g_free);
  for (const char *const *m = cfg->meta; m && m[0] && m[1]; m += 2)
    {
      g_ptr_array_add (kv, g_strdup (m[0]));
      g_ptr_array_add (kv, g_strdup (m[1]));
    }
  g_ptr_array_add (kv, g_strdup ("epoch"));
  g_ptr_array_add (kv, g_strdup_printf ("%d", s->epoch));
  g_ptr_array_add (kv, g_strdup ("val_loss"));
  g_ptr_array_add (kv, g_strdup_printf ("%.6f", s->val_loss));
  g_ptr_array_add (kv, g_strdup ("val_accuracy"));
  g_ptr_array_add (kv, g_strdup_printf ("%.6f", s->val_accuracy));
  g_ptr_array_add (kv, g_strdup ("seed"));
  g_ptr_array_add (kv, g_strdup_printf ("%" G_GUINT64_FORMAT, cfg->seed));
  g_ptr_array_add (kv, NULL);
  gboolean ok = nt_model_file_save (net, cfg->model,
                                    (const char *const *) kv->pdata,
                                    cfg->checkpoint_path, error);
  g_ptr_array_unref (kv);
  return ok;
}

gboolean
nt_train (NtNetwork *net, NtDataset *ds, const NtTrainConfig *cfg,
          GArray **history_out, GError **error)
{
  NtBackend *be = nt_network_backend (net);
  gsize n_train = nt_dataset_split_size (ds, NT_SPLIT_TRAIN);
  gsize sample = nt_dataset_sample_size (ds);
  int n_out = nt_network_n_outputs (net);
  if (cfg->batch < 1 || cfg->batch > nt_network_max_batch (net)
      || (gsize) cfg->batch > n_train || cfg->epochs < 1)
    {
      g_set_error (error, NT_TRAIN_ERROR, NT_TRAIN_ERROR_CONFIG,
                   "batch %d, epochs %d: need 1 <= batch <= %d (the model's "
                   "max_batch) and <= %" G_GSIZE_FORMAT " (training samples), "
                   "and epochs >= 1", cfg->batch, cfg->epochs,
                   nt_network_max_batch (net), n_train);
      return FALSE;
    }
  if (nt_network_input_size (net) != sample || n_out < ds->n_classes
      || (cfg->nulls && n_out <= ds->n_classes))
    {
      g_set_error (error, NT_TRAIN_ERROR, NT_TRAIN_ERROR_CONFIG,
                   "the network takes %" G_GSIZE_FORMAT " values and gives %d "
                   "outputs, the dataset has %" G_GSIZE_FORMAT " values and "
                   "%d classes", nt_network_input_size (net), n_out, sample,
                   ds->n_classes);
      return FALSE;
    }
  gsize steps = cfg->steps_per_epoch ? cfg->steps_per_epoch
                                     : n_train / cfg->batch;
  NtAdam *adam = nt_adam_new (net, cfg->lr, cfg->beta1, cfg->beta2, cfg->eps,
                              error);
  if (adam == NULL)
    return FALSE;
  NtBuffer *x = nt_network_input_buffer (net);
  NtBuffer *dlogits = nt_network_dlogits_buffer (net);
  GRand *batch_rng = nt_rng_new (cfg->seed, cfg->set, "batches");
  guint64 dropout_key = nt_rng_key (cfg->seed, cfg->set, "dropout");
  /* the same validation nulls every epoch, so losses compare */
  guint64 val_key = nt_rng_key (cfg->seed, cfg->set, "validation");
  guint32 *perm = g_new (guint32, n_train);
  nt_rng_perm_init (perm, n_train);
  GArray *history = g_array_new (FALSE, TRUE, sizeof (NtEpochStats));
  Batch b;
  batch_init (&b, cfg->batch, sample);
  double best_loss = INFINITY;
  gboolean ok = x != NULL && dlogits != NULL;
  if (!ok)
    g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_OUT_OF_MEMORY,
                 "cannot allocate the network's batch buffers");

  for (int epoch = 1; ok && epoch <= cfg->epochs; epoch++)
    {
      char label[64];
      g_snprintf (label, sizeof label, "epoch %d/%d", epoch, cfg->epochs);
      NtProgress *progress = cfg->progress
                                 ? nt_progress_new (label,
                                                    steps * cfg->batch, "img")
                                 : NULL;
      gint64 t0 = g_get_monotonic_time ();
      double loss_sum = 0;
      gsize correct = 0;
      for (gsize step = 0; step < steps; step++)
        {
          int n = cfg->batch;
          gboolean filled;
          if (cfg->nulls)
            filled = nt_null_mix_fill_batch (cfg->nulls, NT_SPLIT_TRAIN,
                                             batch_rng, perm, n, b.images,
                                             b.labels, NULL, error);
          else
            {
              nt_rng_sample (batch_rng, perm, n_train, b.indices, n);
              filled = nt_dataset_get (ds, NT_SPLIT_TRAIN, b.indices, n,
                                       b.images, b.labels, error);
            }
          if (!filled)
            {
              ok = FALSE;
              break;
            }
          be->ops->upload (be, x, 0, b.images, (gsize) n * sample);
          guint64 global_step = (guint64) (epoch - 1) * steps + step;
          const NtBuffer *logits = nt_network_forward (
              net, x, n, TRUE, nt_hash64 (dropout_key, global_step));
          float loss = 0;
          be->ops->softmax_xent (be, logits, b.labels, n, n_out, &loss,
                                 dlogits);
          be->ops->argmax (be, logits, n, n_out, b.pred);
          nt_network_backward (net, dlogits, NULL);
          nt_adam_step (adam);
          if (!be->ops->sync (be, error))
            {
              ok = FALSE;
              break;
            }
          if (!isfinite (loss))
            {
              g_set_error (error, NT_TRAIN_ERROR, NT_TRAIN_ERROR_DIVERGED,
                           "training diverged: the loss is %f at epoch %d, "
                           "step %" G_GSIZE_FORMAT "; try a lower learning "
                           "rate (the best checkpoint so far is kept)",
                           loss, epoch, step + 1);
              ok = FALSE;
              break;
            }
          loss_sum += loss;
          for (int i = 0; i < n; i++)
            correct += b.pred[i] == b.labels[i];
          if (progress && (step % 16 == 0 || step + 1 == steps))
            {
              char extra[48];
              g_snprintf (extra, sizeof extra, "loss %.4f",
                          loss_sum / (step + 1));
              nt_progress_update (progress, (step + 1) * n, extra);
            }
        }
      if (!ok)
        {
          nt_progress_free (progress);
          break;
        }
      NtEpochStats s = { 0 };
      s.epoch = epoch;
      s.seconds = (g_get_monotonic_time () - t0) / 1e6;
      s.images_per_second = steps * cfg->batch / MAX (s.seconds, 1e-9);
      s.train_loss = loss_sum / steps;
      s.train_accuracy = (double) correct / (steps * cfg->batch);
      if (progress)
        {
          /* closed before validation, so the rate shown is training's */
          char extra[48];
          g_snprintf (extra, sizeof extra, "loss %.4f", s.train_loss);
          nt_progress_finish (progress, extra);
        }
      NtEvalResult val;
      if (!nt_evaluate (net, ds, NT_SPLIT_TEST, cfg->val_limit, cfg->nulls,
                        val_key, &val, error))
        {
          ok = FALSE;
          break;
        }
      s.val_loss = val.loss;
      s.val_accuracy = val.accuracy;
      s.val_digit_accuracy = val.digit_accuracy;
      nt_eval_result_clear (&val);
      g_array_append_val (history, s);
      if (progress)
        fprintf (stderr, "%s: validation on %" G_GSIZE_FORMAT " samples: "
                 "val_loss %.4f, val_acc %.4f (digits %.4f)\n", label,
                 val.n, s.val_loss, s.val_accuracy, s.val_digit_accuracy);
      if (s.val_loss < best_loss)
        {
          best_loss = s.val_loss;
          if (cfg->checkpoint_path && !save_best (net, cfg, &s, error))
            ok = FALSE;
        }
      if (ok && cfg->history_path
          && !write_history (cfg->history_path, history, error))
        ok = FALSE;
    }
  batch_clear (&b);
  g_free (perm);
  g_rand_free (batch_rng);
  nt_adam_free (adam);
  if (ok && history_out)
    *history_out = history;
  else
    g_array_unref (history);
  return ok;
}
