/* bench-train: training throughput of the paper's cnn on MNIST (batch 32,
 * Adam, dropout on) for a fixed number of steps, with peak memory. A
 * benchmark, not a test: it prints figures and judges nothing.
 *
 * usage: bench-train [STEPS [BACKEND [MNIST_DIR]]]   (default 300 cpu) */
#include "config.h"
#include "nulltool.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int
main (int argc, char **argv)
{
  int steps = argc > 1 ? atoi (argv[1]) : 300;
  const char *backend = argc > 2 ? argv[2] : "cpu";
  const char *dir = argc > 3 ? argv[3] : g_getenv ("NULLTOOL_MNIST_DIR");
  if (steps < 1)
    {
      fprintf (stderr, "usage: bench-train [STEPS [BACKEND [MNIST_DIR]]]\n");
      return 2;
    }
  char *sel = g_strdup_printf ("mnist%s%s", dir ? ":dir=" : "", dir ? dir : "");
  GError *error = NULL;
  NtRegistry *reg = nt_registry_new_default (NULL);
  NtBackend *be = nt_backend_open (reg, backend, &error);
  NtDataset *ds = be ? nt_dataset_open (reg, sel, &error) : NULL;
  NtNetwork *net = ds ? nt_model_build (reg, be, "cnn", ds->channels,
                                        ds->height, ds->width,
                                        ds->n_classes + 1, &error)
                      : NULL;
  if (net == NULL)
    {
      fprintf (stderr, "bench-train: %s\n", error->message);
      return 1;
    }
  nt_network_init_glorot (net, 0);
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = 1;
  cfg.steps_per_epoch = steps;
  cfg.val_limit = 1;   /* measure training, not validation */
  GArray *h = NULL;
  if (!nt_train (net, ds, &cfg, &h, &error))
    {
      fprintf (stderr, "bench-train: %s\n", error->message);
      return 1;
    }
  const NtEpochStats *s = &g_array_index (h, NtEpochStats, 0);
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  /* forward + backward of one image: 3x the forward multiply-adds x 2 */
  double gflop_per_image = 3.0 * 2.0 * (26 * 26 * 32 * 9.0
                                        + 24 * 24 * 64 * 32 * 9.0
                                        + 9216 * 128.0 + 128 * 11.0) / 1e9;
  printf ("backend            %s\n", nt_backend_name (be));
  printf ("steps x batch      %d x %d\n", steps, cfg.batch);
  printf ("training time      %.2f s\n", s->seconds);
  printf ("images/s           %.0f\n", s->images_per_second);
  printf ("GFLOP/s (useful)   %.1f\n", s->images_per_second * gflop_per_image);
  printf ("epoch (60000 img)  %.1f s\n", 60000 / s->images_per_second);
  printf ("peak memory        %.0f MB\n", ru.ru_maxrss / 1024.0);
  g_array_unref (h);
  nt_network_free (net);
  nt_dataset_free (ds);
  nt_backend_free (be);
  nt_registry_free (reg);
  g_free (sel);
  return 0;
}
