/* nt-attack-protocol.c: the study's attack protocol on one set: source
 * selection with the baseline's threshold search, then scores at threshold
 * and over the epsilon sweep for each protocol (nt-attack-protocol.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-attack-protocol.h"
#include "nt-csv.h"
#include "nt-progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK (nt-protocol-error-quark, nt_protocol_error)

gsize
nt_protocol_stream_start (int set, int images_per_set, gsize n_test)
{
  g_return_val_if_fail (set >= 0 && images_per_set >= 0 && n_test > 0, 0);
  return (gsize) ((guint64) set * (guint64) images_per_set % n_test);
}

/* The source images of a set, in stream order. */
typedef struct {
  gsize *indices;        /* test-split indices */
  int *labels;
  float *thresholds;     /* the baseline's */
  float *states;         /* count x state_size: the attack's prepared state
                          * from the baseline's search (NULL when the attack
                          * keeps none) */
  int count;
} Sources;

static void
sources_clear (Sources *src)
{
  g_free (src->indices);
  g_free (src->labels);
  g_free (src->thresholds);
  g_free (src->states);
  memset (src, 0, sizeof *src);
}

/* Floats of prepared state per sample the protocol keeps for `attack`: 0
 * when the attack cannot both give and restore it. */
static gsize
state_floats (const NtAttack *attack)
{
  return attack->get_state && attack->set_state ? attack->state_size : 0;
}

/* What one run of the protocol on a set works with. */
typedef struct {
  const NtProtocolConfig *cfg;
  NtDataset *ds;
  NtAttack *attack;
  NtNetwork *const *nets;
  const char *const *types;
  guint n;
  int baseline;          /* index of the baseline in nets */
  int set;
  const char *out_dir;
} Run;

/* Reads the set's test stream from `start` (wrapping, one pass at most) in
 * chunks of the baseline's max_batch, and keeps the images that the
 * baseline classifies correctly and that have a threshold, with their
 * threshold and prepared attack state, until images_per_set are found. */
static gboolean
select_sources (Run *run, gsize start, Sources *src, NtProtocolSetInfo *info,
                GError **error)
{
  const NtProtocolConfig *cfg = run->cfg;
  NtAttack *attack = run->attack;
  NtNetwork *base = run->nets[run->baseline];
  gsize n_test = nt_dataset_split_size (run->ds, NT_SPLIT_TEST);
  gsize state_size = state_floats (attack);
  int want = cfg->images_per_set;
  int chunk = nt_network_max_batch (base);
  int *lab = g_new (int, chunk);
  gsize *idx = g_new (gsize, chunk);
  float *thr = g_new (float, chunk);
  float *states = state_size ? g_new (float, (gsize) chunk * state_size)
                             : NULL;
  gsize read = 0;           /* stream images read so far */
  gboolean ok = TRUE;

  src->indices = g_new (gsize, MAX (want, 1));
  src->labels = g_new (int, MAX (want, 1));
  src->thresholds = g_new (float, MAX (want, 1));
  src->states = state_size ? g_new (float, (gsize) MAX (want, 1) * state_size)
                           : NULL;
  src->count = 0;
  NtProgress *progress = cfg->progress
                             ? nt_progress_new ("  thresholds", want, "img")
                             : NULL;
  while (ok && src->count < want && read < n_test)
    {
      int n = (int) MIN ((gsize) chunk, n_test - read), k;
      for (int i = 0; i < n; i++)
        idx[i] = (start + read + i) % n_test;
      ok = nt_threshold_search_correct (attack, base, run->ds, NT_SPLIT_TEST,
                                        idx, n, cfg->search, cfg->resolution,
                                        lab, thr, &k, error)
           && (state_size == 0 || k == 0
               || attack->get_state (attack, k, states, error));
      if (!ok)
        break;
      /* the kept ones with a threshold, in stream order, up to the quota;
       * the stream position moves past the last image looked at */
      gsize used = (gsize) n;
      for (int i = 0; i < k && src->count < want; i++)
        if (thr[i] >= 0)
          {
            int c = src->count++;
            src->indices[c] = idx[i];
            src->labels[c] = lab[i];
            src->thresholds[c] = thr[i];
            if (state_size)
              memcpy (src->states + (gsize) c * state_size,
                      states + (gsize) i * state_size,
                      state_size * sizeof (float));
            if (src->count == want)
              used = (idx[i] + n_test - (start + read) % n_test) % n_test + 1;
          }
      read += used;
      if (progress)
        nt_progress_update (progress, src->count, NULL);
    }
  if (progress)
    nt_progress_finish (progress, NULL);
  info->stream_start = start;
  info->stream_read = read;
  info->images = src->count;
  g_free (lab);
  g_free (idx);
  g_free (thr);
  g_free (states);
  return ok;
}

/* The images a score counts. */
static guint64
score_total (const NtScore *s)
{
  return s->correct + s->misclassified + s->unclassified;
}

/* The error for a model found correct at its own threshold. */
static gboolean
not_exact (Run *run, const char *protocol, guint m, guint64 correct,
           guint64 scored, GError **error)
{
  g_set_error (error, NT_PROTOCOL_ERROR, NT_PROTOCOL_ERROR_NOT_EXACT,
               "set %d, %s protocol: the %s model classifies %"
               G_GUINT64_FORMAT " of its %" G_GUINT64_FORMAT " threshold "
               "images correctly, though each threshold is where its "
               "prediction turned wrong: the attack '%s' does not reproduce "
               "its adversarial images (report this as a bug)", run->set,
               protocol, run->types[m], correct, scored, run->cfg->attack);
  return FALSE;
}

/* Scores of one protocol for the set, written as the set's raw files. */
static gboolean
run_protocol (Run *run, const Sources *src, const char *protocol,
              GError **error)
{
  const NtProtocolConfig *cfg = run->cfg;
  NtAttack *attack = run->attack;
  NtNetwork *base = run->nets[run->baseline];
  NtBackend *be = nt_network_backend (base);
  gboolean transfer = strcmp (protocol, "transfer") == 0;
  gsize sample = nt_dataset_sample_size (run->ds);
  gsize state_size = state_floats (attack);
  int null_label = run->ds->n_classes;
  int n_eps = (int) floor (1.0 / cfg->sweep_step + 1e-9) + 1;
  int count = src->count;
  int chunk = nt_network_max_batch (base);
  NtCsv *per = nt_csv_new ((const char *const[]) {
      "protocol", "set", "image_index", "label", "model", "threshold",
      "prediction", NULL });
  NtCsv *scores = nt_csv_new ((const char *const[]) {
      "protocol", "set", "model", "n", "correct", "misclassified",
      "unclassified", NULL });
  NtCsv *sweep = nt_csv_new ((const char *const[]) {
      "protocol", "set", "model", "eps", "n", "correct", "misclassified",
      "unclassified", NULL });
  NtScore *at_thr = g_new0 (NtScore, run->n);
  NtScore *swept = g_new0 (NtScore, (gsize) run->n * n_eps);
  float *per_thr = g_new (float, (gsize) run->n * MAX (count, 1));
  int *per_pred = g_new (int, (gsize) run->n * MAX (count, 1));
  float *images = g_new (float, (gsize) chunk * sample);
  float *thr = g_new (float, chunk), *eps = g_new (float, chunk);
  int *lab = g_new (int, chunk), *pred = g_new (int, chunk);
  GError *local = NULL;
  NtBuffer *x = be->ops->alloc (be, (gsize) chunk * sample, &local);
  NtBuffer *scratch = x ? be->ops->alloc (be, (gsize) chunk * sample, &local)
                        : NULL;
  gboolean ok = scratch != NULL;
  if (!ok)
    g_propagate_error (error, local);
  char label[64];
  g_snprintf (label, sizeof label, "  %s set %d", protocol, run->set);
  NtProgress *progress = cfg->progress
                             ? nt_progress_new (label, (guint64) count
                                                           * run->n, "img")
                             : NULL;
  for (int start = 0; ok && start < count; start += chunk)
    {
      int n = MIN (chunk, count - start);
      if (!(ok = nt_dataset_get (run->ds, NT_SPLIT_TEST,
                                 src->indices + start, n, images, lab,
                                 error)))
        break;
      be->ops->upload (be, x, 0, images, (gsize) n * sample);
      /* transfer: the baseline's thresholds, and its directions as its
       * search left them (or, for an attack without state, prepared again:
       * deterministic per sample, so the same) */
      if (transfer)
        {
          memcpy (thr, src->thresholds + start, n * sizeof (float));
          ok = state_size
                   ? attack->set_state (attack,
                                        src->states
                                            + (gsize) start * state_size,
                                        n, error)
                   : attack->prepare (attack, base, x, lab, n, error);
        }
      for (guint m = 0; ok && m < run->n; m++)
        {
          NtNetwork *net = run->nets[m];
          NtNetwork *source = transfer ? base : net;
          /* white-box: each model's own search, which prepares the
           * directions the model's scores then use */
          if (!transfer
              && !(ok = nt_threshold_search (attack, source, net, x, lab, n,
                                             cfg->search, cfg->resolution,
                                             thr, error)))
            break;
          /* at threshold (dropped images, thr < 0, are not scored) */
          for (int i = 0; i < n; i++)
            eps[i] = MAX (thr[i], 0);
          if (!(ok = nt_attack_predict (attack, source, net, x, lab, n, eps,
                                        scratch, pred, error)))
            break;
          for (int i = 0; i < n; i++)
            {
              gsize row = (gsize) m * count + start + i;
              per_thr[row] = thr[i];
              per_pred[row] = thr[i] >= 0 ? pred[i] : -1;
              if (thr[i] >= 0)
                nt_score_add (&at_thr[m], pred + i, lab + i, 1, null_label);
            }
          /* the attacked model is wrong at its own threshold, measured */
          if ((!transfer || (int) m == run->baseline) && at_thr[m].correct > 0)
            {
              ok = not_exact (run, protocol, m, at_thr[m].correct,
                              score_total (&at_thr[m]), error);
              break;
            }
          /* the sweep over fixed budgets */
          for (int e = 0; ok && e < n_eps; e++)
            {
              for (int i = 0; i < n; i++)
                eps[i] = (float) MIN (e * cfg->sweep_step, 1.0);
              ok = nt_attack_predict (attack, source, net, x, lab, n, eps,
                                      scratch, pred, error);
              if (ok)
                nt_score_add (&swept[(gsize) m * n_eps + e], pred, lab, n,
                              null_label);
            }
          if (progress)
            nt_progress_update (progress, (guint64) start * run->n
                                              + (guint64) (m + 1) * n, NULL);
        }
    }
  if (progress)
    nt_progress_finish (progress, NULL);
  /* per image, model by model in source order, whatever the chunking */
  for (guint m = 0; ok && m < run->n; m++)
    for (int i = 0; i < count; i++)
      {
        gsize row = (gsize) m * count + i;
        char thr_text[32];
        g_ascii_formatd (thr_text, sizeof thr_text, "%.9g", per_thr[row]);
        nt_csv_append_printf (per, "%s,%d,%" G_GSIZE_FORMAT ",%d,%s,%s,%d",
                              protocol, run->set, src->indices[i],
                              src->labels[i], run->types[m], thr_text,
                              per_pred[row]);
      }
  for (guint m = 0; ok && m < run->n; m++)
    {
      nt_csv_append_printf (scores, "%s,%d,%s,%" G_GUINT64_FORMAT ",%"
                            G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%"
                            G_GUINT64_FORMAT, protocol, run->set,
                            run->types[m], score_total (&at_thr[m]),
                            at_thr[m].correct,
                            at_thr[m].misclassified, at_thr[m].unclassified);
      for (int e = 0; e < n_eps; e++)
        {
          const NtScore *s = &swept[(gsize) m * n_eps + e];
          char eps_text[32];
          g_ascii_formatd (eps_text, sizeof eps_text, "%.4f",
                           MIN (e * cfg->sweep_step, 1.0));
          nt_csv_append_printf (sweep, "%s,%d,%s,%s,%d,%" G_GUINT64_FORMAT
                                ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT,
                                protocol, run->set, run->types[m], eps_text,
                                count, s->correct, s->misclassified,
                                s->unclassified);
        }
    }
  if (ok)
    {
      const char *suffix[] = { "per-sample", "scores", "sweep" };
      NtCsv *tables[] = { per, scores, sweep };
      for (int t = 0; ok && t < 3; t++)
        {
          char *name = g_strdup_printf ("set-%02d-%s-%s.csv", run->set,
                                        protocol, suffix[t]);
          char *path = g_build_filename (run->out_dir, name, NULL);
          ok = nt_csv_write (tables[t], path, error);
          g_free (path);
          g_free (name);
        }
    }
  if (x)
    be->ops->free (be, x);
  if (scratch)
    be->ops->free (be, scratch);
  nt_csv_free (per);
  nt_csv_free (scores);
  nt_csv_free (sweep);
  g_free (at_thr);
  g_free (swept);
  g_free (per_thr);
  g_free (per_pred);
  g_free (images);
  g_free (thr);
  g_free (eps);
  g_free (lab);
  g_free (pred);
  return ok;
}

gboolean
nt_protocol_run_set (NtRegistry *registry, NtDataset *ds,
                     const NtProtocolConfig *cfg, NtNetwork *const *nets,
                     const char *const *types, guint n_models, int set,
                     const char *out_dir, NtProtocolSetInfo *info,
                     GError **error)
{
  g_return_val_if_fail (registry && ds && cfg && nets && types && out_dir,
                        FALSE);
  Run run = { cfg, ds, NULL, nets, types, n_models, -1, set, out_dir };
  for (guint m = 0; m < n_models; m++)
    if (strcmp (types[m], "baseline") == 0)
      run.baseline = (int) m;
  if (run.baseline < 0 || cfg->images_per_set < 1)
    {
      g_set_error (error, NT_PROTOCOL_ERROR, NT_PROTOCOL_ERROR_INVALID,
                   "set %d: the attack protocol needs a 'baseline' model "
                   "and at least one image per set", set);
      return FALSE;
    }
  NtNetwork *base = nets[run.baseline];
  gsize n_test = nt_dataset_split_size (ds, NT_SPLIT_TEST);
  NtProtocolSetInfo local_info = { 0 };
  Sources src = { 0 };
  gboolean ok = n_test > 0;
  if (!ok)
    g_set_error (error, NT_PROTOCOL_ERROR, NT_PROTOCOL_ERROR_INVALID,
                 "set %d: the dataset has no test images", set);
  ok = ok
       && (run.attack = nt_attack_open (registry, cfg->attack,
                                        nt_network_backend (base),
                                        nt_network_max_batch (base),
                                        nt_dataset_sample_size (ds),
                                        error)) != NULL;
  gsize start = ok ? nt_protocol_stream_start (set, cfg->images_per_set,
                                               n_test)
                   : 0;
  if (ok && cfg->progress)
    fprintf (stderr, "set %d: attack %s, source images from test image %"
             G_GSIZE_FORMAT "\n", set, cfg->attack, start);
  ok = ok && select_sources (&run, start, &src, &local_info, error);
  for (const char *const *p = cfg->protocols; ok && p && *p; p++)
    ok = run_protocol (&run, &src, *p, error);
  if (ok && info)
    *info = local_info;
  nt_attack_free (run.attack);
  sources_clear (&src);
  return ok;
}
