/* bench-cpu: the study's CPU workloads, measured through the real nulltool
 * API (so every backend or core speed-up shows here), side by side with the
 * same workloads in PyTorch (tests/bench/bench-pytorch.py, run as a child
 * process after ours). A benchmark, not a test: it prints figures and judges
 * nothing.
 *
 *   (a) training: the cnn, batch 32, Adam, dropout on, for STEPS steps
 *       (nt_train); images/s and useful GFLOP/s;
 *   (b1) the threshold search of the source-selection stage as the runner
 *       does it (select_sources in nt-experiment.c): chunks of max_batch
 *       test images, a forward to keep the correctly classified ones, then
 *       nt_threshold_search (fgsm, log grid, resolution 1e-3) with the
 *       trained model as source and target; searched images/s and the
 *       sample forwards it took;
 *   (b2) the sweep forward passes as the runner does them
 *       (attack_set_protocol): per chunk one fgsm prepare on the trained
 *       model, then nt_attack_predict at the 51 budgets 0, 0.02, .., 1 for
 *       each of M models; (images x models x eps)/s;
 *   (c) peak memory (ru_maxrss) of this process;
 *   (d) the fp32 GEMM peak of the machine (cblas_sgemm 2048^3) and the
 *       training GFLOP/s as a share of it.
 *
 * usage: bench-cpu [STEPS [BACKEND [MNIST_DIR]]]   (default 1875 cpu:threads=2)
 * environment: NULLTOOL_MNIST_DIR, BENCH_SEARCH_IMAGES (512 test images),
 * BENCH_SWEEP_IMAGES (256), BENCH_SWEEP_MODELS (2), BENCH_PYTORCH_SCRIPT
 * (the reference script; unset or empty: no PyTorch run), BENCH_PYTHON
 * (/usr/bin/python3: Debian's python3-torch). */
#include "config.h"
#include "nulltool.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads (int num_threads);
#endif

/* Multiply-adds of one cnn forward (28x28x1 in, 11 out). */
#define CNN_FORWARD_MACS (26 * 26 * 32 * 9.0 + 24 * 24 * 64 * 32 * 9.0 \
                          + 9216 * 128.0 + 128 * 11.0)
/* forward = 2 FLOP per MAC; forward + backward = 3x the forward */
#define FORWARD_GFLOP (2.0 * CNN_FORWARD_MACS / 1e9)
#define TRAIN_GFLOP (3.0 * FORWARD_GFLOP)
#define N_SWEEP_EPS 51
#define GEMM_SIZE 2048

/* Sample forwards of the threshold searches, read from the debug line
 * nt_threshold_search logs after each search; stays unseen if the core
 * stops logging it. */
static guint64 search_forwards;
static gboolean search_forwards_seen;

static void
log_handler (const char *domain, GLogLevelFlags level, const char *message,
             gpointer data)
{
  guint64 f;
  const char *p = strstr (message, "passes, ");
  if (g_str_has_prefix (message, "threshold search") && p != NULL
      && sscanf (p, "passes, %" G_GUINT64_FORMAT " sample forwards", &f) == 1)
    {
      search_forwards += f;
      search_forwards_seen = TRUE;
      return;
    }
  g_log_default_handler (domain, level, message, data);
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static int
env_int (const char *name, int fallback)
{
  const char *v = g_getenv (name);
  return v != NULL && *v ? atoi (v) : fallback;
}

/* Best of 4 timed cblas_sgemm calls (after one warm-up) on `threads`. */
static double
gemm_peak (int threads)
{
  const int n = GEMM_SIZE;
  float *a = g_new (float, (gsize) n * n), *b = g_new (float, (gsize) n * n);
  float *c = g_new0 (float, (gsize) n * n);
  for (gsize i = 0; i < (gsize) n * n; i++)
    {
      a[i] = (float) ((i * 7 % 13) - 6) / 13.0f;
      b[i] = (float) ((i * 5 % 11) - 5) / 11.0f;
    }
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
  openblas_set_num_threads (threads);
#else
  (void) threads;
#endif
  double best = G_MAXDOUBLE;
  for (int rep = 0; rep < 5; rep++)
    {
      double t0 = now ();
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                   a, n, b, n, 0.0f, c, n);
      if (rep > 0)
        best = MIN (best, now () - t0);
    }
  g_free (a);
  g_free (b);
  g_free (c);
  return 2.0 * n * n * (double) n / best / 1e9;
}

/* The threads a cpu backend selection asks for ("threads=N"; absent or 0:
 * one per processor). */
static int
backend_threads (const char *selection)
{
  const char *t = strstr (selection, "threads=");
  int n = t != NULL ? atoi (t + strlen ("threads=")) : 0;
  return n > 0 ? n : (int) g_get_num_processors ();
}

typedef struct {
  int tested, searched, dropped, at_zero;
  double thr_sum, seconds;
} SearchStats;

/* (b1): the runner's source selection (nt_threshold_search_correct, as
 * select_sources in nt-experiment.c calls it) on the first n_test test
 * images. */
static gboolean
bench_search (NtDataset *ds, NtNetwork *net, NtAttack *attack, int n_test,
              SearchStats *st, GError **error)
{
  int chunk = nt_network_max_batch (net);
  float *thr = g_new (float, chunk);
  int *lab = g_new (int, chunk);
  gsize *idx = g_new (gsize, chunk);
  gboolean ok = TRUE;
  double t0 = now ();
  memset (st, 0, sizeof *st);
  for (int pos = 0; ok && pos < n_test; pos += chunk)
    {
      int n = MIN (chunk, n_test - pos), k;
      for (int i = 0; i < n; i++)
        idx[i] = pos + i;
      if (!(ok = nt_threshold_search_correct (attack, net, ds, NT_SPLIT_TEST,
                                              idx, n, NT_THRESHOLD_LOG_GRID,
                                              1e-3, lab, thr, &k, error)))
        break;
      st->tested += n;
      st->searched += k;
      for (int i = 0; i < k; i++)
        {
          st->dropped += thr[i] < 0;
          st->at_zero += thr[i] == 0;
          st->thr_sum += MAX (thr[i], 0);
        }
    }
  st->seconds = now () - t0;
  g_free (thr);
  g_free (lab);
  g_free (idx);
  return ok;
}

/* (b2): the sweep of attack_set_protocol (transfer: nets[0]'s directions
 * for every model) on the first n_img test images. acc[] gets nets[0]'s
 * accuracy at eps 0, 0.1 and 0.3, as a plausibility check. */
static gboolean
bench_sweep (NtBackend *be, NtDataset *ds, NtNetwork **nets, int n_models,
             NtAttack *attack, int n_img, double acc[3], double *seconds,
             GError **error)
{
  gsize sample = nt_dataset_sample_size (ds);
  int chunk = nt_network_max_batch (nets[0]);
  float *images = g_new (float, (gsize) chunk * sample);
  float *eps = g_new (float, chunk);
  int *lab = g_new (int, chunk), *pred = g_new (int, chunk);
  gsize *idx = g_new (gsize, chunk);
  guint64 correct[N_SWEEP_EPS] = { 0 };
  NtBuffer *x = be->ops->alloc (be, (gsize) chunk * sample, error);
  NtBuffer *scratch = x ? be->ops->alloc (be, (gsize) chunk * sample, error)
                        : NULL;
  gboolean ok = scratch != NULL;
  double t0 = now ();
  for (int start = 0; ok && start < n_img; start += chunk)
    {
      int n = MIN (chunk, n_img - start);
      for (int i = 0; i < n; i++)
        idx[i] = start + i;
      if (!(ok = nt_dataset_get (ds, NT_SPLIT_TEST, idx, n, images, lab,
                                 error)))
        break;
      be->ops->upload (be, x, 0, images, (gsize) n * sample);
      ok = attack->prepare (attack, nets[0], x, lab, n, error);
      for (int m = 0; ok && m < n_models; m++)
        for (int e = 0; ok && e < N_SWEEP_EPS; e++)
          {
            for (int i = 0; i < n; i++)
              eps[i] = (float) MIN (e * 0.02, 1.0);
            ok = nt_attack_predict (attack, nets[0], nets[m], x, lab, n, eps,
                                    scratch, pred, error);
            for (int i = 0; ok && m == 0 && i < n; i++)
              correct[e] += pred[i] == lab[i];
          }
    }
  *seconds = now () - t0;
  acc[0] = (double) correct[0] / n_img;
  acc[1] = (double) correct[5] / n_img;
  acc[2] = (double) correct[15] / n_img;
  if (scratch)
    be->ops->free (be, scratch);
  if (x)
    be->ops->free (be, x);
  g_free (images);
  g_free (eps);
  g_free (lab);
  g_free (pred);
  g_free (idx);
  return ok;
}

/* Runs the PyTorch reference; returns its "key value" lines as a table
 * (NULL when it could not run, with *why set; caller frees both). */
static GHashTable *
run_pytorch (const char *script, int steps, int threads, const char *dir,
             int n_search, int n_sweep, int n_models, char **why)
{
  const char *python = g_getenv ("BENCH_PYTHON");
  python = python && *python ? python : "/usr/bin/python3";
  char *a_steps = g_strdup_printf ("%d", steps);
  char *a_threads = g_strdup_printf ("%d", threads);
  char *a_search = g_strdup_printf ("%d", n_search);
  char *a_sweep = g_strdup_printf ("%d", n_sweep);
  char *a_models = g_strdup_printf ("%d", n_models);
  const char *argv[] = { python, script, "--steps", a_steps, "--threads",
                         a_threads, "--mnist", dir, "--search-images",
                         a_search, "--sweep-images", a_sweep,
                         "--sweep-models", a_models, NULL };
  char **envp = g_get_environ ();
  envp = g_environ_setenv (envp, "OMP_NUM_THREADS", a_threads, TRUE);
  char *out = NULL;
  int status = 0;
  GError *error = NULL;
  GHashTable *kv = NULL;
  *why = NULL;
  fflush (stdout);
  if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, NULL, &status, &error))
    {
      *why = g_strdup_printf ("not installed (apt-get install python3-torch "
                              "python3-numpy): %s", error->message);
      g_error_free (error);
    }
  else
    {
      kv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      char **lines = g_strsplit (out, "\n", -1);
      for (char **l = lines; *l; l++)
        {
          char **kvp = g_strsplit (g_strstrip (*l), " ", 2);
          if (kvp[0] && kvp[1])
            g_hash_table_replace (kv, g_strdup (kvp[0]),
                                  g_strdup (g_strstrip (kvp[1])));
          g_strfreev (kvp);
        }
      g_strfreev (lines);
      if (g_hash_table_contains (kv, "pytorch_missing"))
        *why = g_strdup (g_hash_table_lookup (kv, "pytorch_missing"));
      else if (!g_spawn_check_wait_status (status, &error))
        {
          *why = g_strdup_printf ("%s failed: %s", script, error->message);
          g_error_free (error);
        }
      if (*why)
        g_clear_pointer (&kv, g_hash_table_unref);
    }
  g_free (out);
  g_strfreev (envp);
  g_free (a_steps);
  g_free (a_threads);
  g_free (a_search);
  g_free (a_sweep);
  g_free (a_models);
  return kv;
}

static double
kv_num (GHashTable *kv, const char *key)
{
  const char *v = kv ? g_hash_table_lookup (kv, key) : NULL;
  return v ? g_ascii_strtod (v, NULL) : NAN;
}

/* One table row: value ours, value theirs, ratio ours/theirs. */
static void
row (const char *what, const char *fmt, double ours, double theirs,
     gboolean have_ref)
{
  char a[32], b[32], r[32];
  g_snprintf (a, sizeof a, fmt, ours);
  if (have_ref && isfinite (theirs))
    g_snprintf (b, sizeof b, fmt, theirs);
  else
    g_strlcpy (b, "-", sizeof b);
  if (have_ref && isfinite (theirs) && theirs > 0 && isfinite (ours))
    g_snprintf (r, sizeof r, "%.2fx", ours / theirs);
  else
    g_strlcpy (r, "-", sizeof r);
  printf ("%-36s %12s %12s %8s\n", what, a, b, r);
}

int
main (int argc, char **argv)
{
  int steps = argc > 1 ? atoi (argv[1]) : 1875;
  const char *backend = argc > 2 ? argv[2] : "cpu:threads=2";
  const char *dir = argc > 3 ? argv[3] : g_getenv ("NULLTOOL_MNIST_DIR");
  int n_search = env_int ("BENCH_SEARCH_IMAGES", 512);
  int n_sweep = env_int ("BENCH_SWEEP_IMAGES", 256);
  int n_models = env_int ("BENCH_SWEEP_MODELS", 2);
  const char *script = g_getenv ("BENCH_PYTORCH_SCRIPT");
  if (steps < 1 || n_search < 1 || n_sweep < 1 || n_models < 1)
    {
      fprintf (stderr, "usage: bench-cpu [STEPS [BACKEND [MNIST_DIR]]] "
               "(STEPS and the BENCH_* image and model counts >= 1)\n");
      return 2;
    }
  g_log_set_handler (NULL, G_LOG_LEVEL_DEBUG, log_handler, NULL);
  int threads = backend_threads (backend);

  /* (d) first, before the backend's own thread pools exist */
  printf ("GEMM peak (cblas_sgemm %d^3, %d threads) ...\n", GEMM_SIZE,
          threads);
  fflush (stdout);
  double peak = gemm_peak (threads);

  char *sel = g_strdup_printf ("mnist%s%s", dir ? ":dir=" : "", dir ? dir : "");
  GError *error = NULL;
  NtRegistry *reg = nt_registry_new_default (NULL);
  NtBackend *be = nt_backend_open (reg, backend, &error);
  NtDataset *ds = be ? nt_dataset_open (reg, sel, &error) : NULL;
  /* nets[0] is trained and attacked; the others only add sweep work (the
   * forward cost does not depend on the weights) */
  NtNetwork **nets = g_new0 (NtNetwork *, n_models);
  gboolean built = ds != NULL;
  for (int m = 0; built && m < n_models; m++)
    {
      nets[m] = nt_model_build (reg, be, "cnn", ds->channels, ds->height,
                                ds->width, ds->n_classes + 1, &error);
      if ((built = nets[m] != NULL))
        nt_network_init_glorot (nets[m], m);
    }
  if (!built)
    {
      fprintf (stderr, "bench-cpu: %s\n", error->message);
      return 1;
    }
  NtNetwork *net = nets[0];
  n_search = (int) MIN ((gsize) n_search,
                        nt_dataset_split_size (ds, NT_SPLIT_TEST));
  n_sweep = (int) MIN ((gsize) n_sweep,
                       nt_dataset_split_size (ds, NT_SPLIT_TEST));

  /* (a) training */
  printf ("training %d steps on %s ...\n", steps, nt_backend_name (be));
  fflush (stdout);
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = 1;
  cfg.steps_per_epoch = steps;
  cfg.val_limit = 1;   /* measure training, not validation */
  GArray *h = NULL;
  if (!nt_train (net, ds, &cfg, &h, &error))
    {
      fprintf (stderr, "bench-cpu: %s\n", error->message);
      return 1;
    }
  const NtEpochStats *s = &g_array_index (h, NtEpochStats, 0);
  double train_ips = s->images_per_second;

  /* (b) the attack protocol's two hot loops, with the trained model */
  NtAttack *attack = nt_attack_open (reg, "fgsm", be,
                                     nt_network_max_batch (net),
                                     nt_network_input_size (net), &error);
  SearchStats ss;
  double acc[3], sweep_s = 0;
  printf ("threshold search on %d test images, sweep of %d images x %d "
          "models x %d eps ...\n", n_search, n_sweep, n_models, N_SWEEP_EPS);
  fflush (stdout);
  if (attack == NULL
      || !bench_search (ds, net, attack, n_search, &ss, &error)
      || !bench_sweep (be, ds, nets, n_models, attack, n_sweep, acc, &sweep_s,
                       &error))
    {
      fprintf (stderr, "bench-cpu: %s\n", error->message);
      return 1;
    }
  double search_ips = ss.searched / ss.seconds;
  double fwd_per_img = search_forwards_seen
                         ? (double) search_forwards / MAX (ss.searched, 1)
                         : NAN;
  double sweep_rate = (double) n_sweep * n_models * N_SWEEP_EPS / sweep_s;

  /* (c) before the child runs (RUSAGE_SELF never counts children anyway) */
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  double peak_mb = ru.ru_maxrss / 1024.0;

  printf ("\nnulltool (%s, %d threads)\n", nt_backend_name (be), threads);
  printf ("  training           %d steps x %d in %.2f s, final batch loss "
          "%.3f, accuracy %.3f\n", steps, cfg.batch, s->seconds,
          s->train_loss, s->train_accuracy);
  printf ("  threshold search   %d tested, %d searched, %d dropped, %d at 0, "
          "mean threshold %.4f, %.2f s\n", ss.tested, ss.searched, ss.dropped,
          ss.at_zero, ss.thr_sum / MAX (ss.searched, 1), ss.seconds);
  printf ("  sweep              %.2f s; trained model accuracy at eps 0 / "
          "0.1 / 0.3: %.3f / %.3f / %.3f\n", sweep_s, acc[0], acc[1], acc[2]);

  /* (e) the PyTorch reference */
  GHashTable *kv = NULL;
  char *why = NULL;
  if (script == NULL || *script == '\0')
    why = g_strdup ("skipped (BENCH_PYTORCH_SCRIPT not set)");
  else
    {
      printf ("\nPyTorch reference (%s) ...\n", script);
      fflush (stdout);
      kv = run_pytorch (script, steps, threads, dir ? dir : "data/mnist",
                        n_search, n_sweep, n_models, &why);
    }
  gboolean ref = kv != NULL;
  if (ref)
    {
      printf ("PyTorch %s (%s threads)\n",
              (char *) g_hash_table_lookup (kv, "torch_version"),
              (char *) g_hash_table_lookup (kv, "threads"));
      printf ("  training           %s s, final batch loss %s\n",
              (char *) g_hash_table_lookup (kv, "train_seconds"),
              (char *) g_hash_table_lookup (kv, "train_last_loss"));
      printf ("  threshold search   %s tested, %s searched, %s dropped, %s at "
              "0, mean threshold %s, %s s\n",
              (char *) g_hash_table_lookup (kv, "search_tested"),
              (char *) g_hash_table_lookup (kv, "search_searched"),
              (char *) g_hash_table_lookup (kv, "search_dropped"),
              (char *) g_hash_table_lookup (kv, "search_at_zero"),
              (char *) g_hash_table_lookup (kv, "search_mean_threshold"),
              (char *) g_hash_table_lookup (kv, "search_seconds"));
      printf ("  sweep              %s s; trained model accuracy at eps 0 / "
              "0.1 / 0.3: %s / %s / %s\n",
              (char *) g_hash_table_lookup (kv, "sweep_seconds"),
              (char *) g_hash_table_lookup (kv, "sweep_acc_eps0"),
              (char *) g_hash_table_lookup (kv, "sweep_acc_eps0.1"),
              (char *) g_hash_table_lookup (kv, "sweep_acc_eps0.3"));
    }
  else
    printf ("\nPyTorch reference: %s\n", why);

  printf ("\n%-36s %12s %12s %8s\n", "workload", "nulltool", "PyTorch",
          "ratio");
  printf ("%-36s %12s %12s %8s\n", "------------------------------------",
          "--------", "-------", "-----");
  row ("train images/s (batch 32)", "%.0f", train_ips,
       kv_num (kv, "train_images_per_s"), ref);
  row ("train GFLOP/s (useful)", "%.1f", train_ips * TRAIN_GFLOP,
       kv_num (kv, "train_images_per_s") * TRAIN_GFLOP, ref);
  row ("threshold search images/s", "%.1f", search_ips,
       kv_num (kv, "search_images_per_s"), ref);
  row ("  sample forwards/image (same work)", "%.2f", fwd_per_img,
       kv_num (kv, "search_forwards_per_image"), ref);
  row ("  sample forwards/s", "%.0f", fwd_per_img * search_ips,
       kv_num (kv, "search_forwards_per_image")
         * kv_num (kv, "search_images_per_s"), ref);
  row ("sweep (images x models x eps)/s", "%.0f", sweep_rate,
       kv_num (kv, "sweep_forwards_per_s"), ref);
  row ("  sweep GFLOP/s (forward)", "%.1f", sweep_rate * FORWARD_GFLOP,
       kv_num (kv, "sweep_forwards_per_s") * FORWARD_GFLOP, ref);
  row ("peak memory MB (ru_maxrss)", "%.0f", peak_mb,
       kv_num (kv, "peak_rss_kb") / 1024.0, ref);
  printf ("\nfp32 GEMM peak (cblas_sgemm %d^3, %d threads): %.1f GFLOP/s\n",
          GEMM_SIZE, threads, peak);
  printf ("training at %.1f %% of GEMM peak (nulltool)", 100.0 * train_ips
          * TRAIN_GFLOP / peak);
  if (ref)
    printf (", %.1f %% (PyTorch)", 100.0 * kv_num (kv, "train_images_per_s")
            * TRAIN_GFLOP / peak);
  printf ("\nratio = nulltool / PyTorch (throughput: higher is better; "
          "memory: lower is better)\n");

  if (kv)
    g_hash_table_unref (kv);
  g_free (why);
  g_array_unref (h);
  nt_attack_free (attack);
  for (int m = 0; m < n_models; m++)
    nt_network_free (nets[m]);
  g_free (nets);
  nt_dataset_free (ds);
  nt_backend_free (be);
  nt_registry_free (reg);
  g_free (sel);
  return 0;
}
