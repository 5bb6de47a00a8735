/* bench-cuda: training throughput of the paper's cnn on MNIST (batch 32,
 * Adam, dropout on) on the cuda backend:
 *  (a) one model: images/s and the time of one epoch (1875 steps x 32);
 *  (b) N = 1, 2, 4, 8 models trained at once, each on its own backend
 *      instance (own stream and library handles) driven by its own host
 *      thread: aggregate images/s and model-epochs per hour.
 * A benchmark, not a test: it prints figures and judges nothing. Where the
 * cuda backend is unavailable it prints the probe's reason and exits 0.
 *
 * usage: bench-cuda [STEPS [MNIST_DIR]]
 *   STEPS: training steps per model (default 300); MNIST_DIR: default
 *   $NULLTOOL_MNIST_DIR, else the mnist plugin's default. */
#include "config.h"
#include "nulltool.h"

#include <stdio.h>
#include <stdlib.h>

#define BATCH 32
#define EPOCH_STEPS 1875            /* 60000 / 32 */
#define WARMUP_STEPS 20             /* cuDNN heuristics, lazy module loads */

/* One model to train: its instance, data set and network. */
typedef struct {
  NtBackend *be;
  NtDataset *ds;
  NtNetwork *net;
  int steps;
  guint set;
  double seconds;            /* nt_train's training time */
  GError *error;
} Job;

/* Threads wait for `go` so that all start together. */
static GMutex go_lock;
static GCond go_cond;
static gboolean go;

static gboolean
train (Job *job, int steps)
{
  NtTrainConfig cfg;
  GArray *h = NULL;

  nt_train_config_init (&cfg);
  cfg.epochs = 1;
  cfg.steps_per_epoch = steps;
  cfg.val_limit = 1;          /* measure training, not validation */
  cfg.set = job->set;
  if (!nt_train (job->net, job->ds, &cfg, &h, &job->error))
    return FALSE;
  job->seconds = g_array_index (h, NtEpochStats, 0).seconds;
  g_array_unref (h);
  return TRUE;
}

static gpointer
job_thread (gpointer data)
{
  Job *job = data;

  g_mutex_lock (&go_lock);
  while (!go)
    g_cond_wait (&go_cond, &go_lock);
  g_mutex_unlock (&go_lock);
  (void) train (job, job->steps);
  return NULL;
}

/* Opens an instance, the data set and an initialised cnn, and warms them
 * up. FALSE with job->error set on failure. */
static gboolean
job_open (Job *job, NtRegistry *reg, const char *data_sel, guint set)
{
  job->set = set;
  job->be = nt_backend_open (reg, "cuda", &job->error);
  job->ds = job->be ? nt_dataset_open (reg, data_sel, &job->error) : NULL;
  job->net = job->ds ? nt_model_build (reg, job->be, "cnn",
                                       job->ds->channels, job->ds->height,
                                       job->ds->width,
                                       job->ds->n_classes + 1, &job->error)
                     : NULL;
  if (job->net == NULL)
    return FALSE;
  nt_network_init_glorot (job->net, set);
  return train (job, WARMUP_STEPS);
}

static void
job_close (Job *job)
{
  nt_network_free (job->net);
  nt_dataset_free (job->ds);
  nt_backend_free (job->be);
  g_clear_error (&job->error);
}

int
main (int argc, char **argv)
{
  int steps = argc > 1 ? atoi (argv[1]) : 300;
  const char *dir = argc > 2 ? argv[2] : g_getenv ("NULLTOOL_MNIST_DIR");
  static const int counts[] = { 1, 2, 4, 8 };
  NtRegistry *reg;
  const NtBackendClass *klass;
  char *reason = NULL, *data_sel;
  int status = 0;

  if (steps < 1)
    {
      fprintf (stderr, "usage: bench-cuda [STEPS [MNIST_DIR]]\n");
      return 2;
    }
  reg = nt_registry_new_default (NULL);
  klass = (const NtBackendClass *) nt_registry_lookup (reg, NT_KIND_BACKEND,
                                                       "cuda");
  if (klass == NULL)
    {
      printf ("bench-cuda: no cuda backend plugin here (built without CUDA, "
              "or it failed to load: see 'nulltool list --failed')\n");
      nt_registry_free (reg);
      return 0;
    }
  if (klass->probe != NULL && !klass->probe (&reason))
    {
      printf ("bench-cuda: cuda backend unavailable: %s\n",
              reason ? reason : "no reason given");
      g_free (reason);
      nt_registry_free (reg);
      return 0;
    }
  data_sel = g_strdup_printf ("mnist%s%s", dir ? ":dir=" : "",
                              dir ? dir : "");

  /* (a) one model */
  {
    Job job = { 0 };
    if (!job_open (&job, reg, data_sel, 0) || !train (&job, steps))
      {
        fprintf (stderr, "bench-cuda: %s\n", job.error->message);
        job_close (&job);
        g_free (data_sel);
        nt_registry_free (reg);
        return 1;
      }
    double ips = (double) steps * BATCH / job.seconds;
    printf ("cuda backend, cnn, batch %d, Adam, dropout on, %d steps per "
            "model (after %d warm-up steps)\n\n", BATCH, steps, WARMUP_STEPS);
    printf ("(a) one model\n");
    printf ("  training time      %.2f s\n", job.seconds);
    printf ("  images/s           %.0f\n", ips);
    printf ("  epoch (%d x %d)  %.1f s\n\n", EPOCH_STEPS, BATCH,
            EPOCH_STEPS * (double) BATCH / ips);
    job_close (&job);
  }

  /* (b) N models at once */
  printf ("(b) N models at once, one instance and thread each\n");
  printf ("  %2s %9s %14s %16s %18s\n", "N", "wall s", "aggregate img/s",
          "per-model img/s", "model-epochs/hour");
  for (guint c = 0; c < G_N_ELEMENTS (counts) && status == 0; c++)
    {
      int n = counts[c];
      Job *jobs = g_new0 (Job, n);
      GThread **threads = g_new0 (GThread *, n);
      gint64 t0, t1;
      double wall, agg, per_model = 0.0;

      for (int i = 0; i < n && status == 0; i++)
        if (!job_open (&jobs[i], reg, data_sel, (guint) i + 1))
          {
            fprintf (stderr, "bench-cuda: model %d of %d: %s\n", i + 1, n,
                     jobs[i].error->message);
            status = 1;
          }
      if (status == 0)
        {
          go = FALSE;
          for (int i = 0; i < n; i++)
            {
              jobs[i].steps = steps;
              threads[i] = g_thread_new ("bench-cuda", job_thread, &jobs[i]);
            }
          t0 = g_get_monotonic_time ();
          g_mutex_lock (&go_lock);
          go = TRUE;
          g_cond_broadcast (&go_cond);
          g_mutex_unlock (&go_lock);
          for (int i = 0; i < n; i++)
            g_thread_join (threads[i]);
          t1 = g_get_monotonic_time ();
          for (int i = 0; i < n; i++)
            if (jobs[i].error != NULL)
              {
                fprintf (stderr, "bench-cuda: model %d of %d: %s\n", i + 1,
                         n, jobs[i].error->message);
                status = 1;
              }
            else
              per_model += (double) steps * BATCH / jobs[i].seconds / n;
        }
      if (status == 0)
        {
          wall = (t1 - t0) / 1e6;
          agg = (double) n * steps * BATCH / wall;
          printf ("  %2d %9.2f %14.0f %16.0f %18.1f\n", n, wall, agg,
                  per_model, agg * 3600.0 / (EPOCH_STEPS * (double) BATCH));
        }
      for (int i = 0; i < n; i++)
        job_close (&jobs[i]);
      g_free (jobs);
      g_free (threads);
    }
  g_free (data_sel);
  nt_registry_free (reg);
  return status;
}
