/* test-ramp.c: the ramp toy dataset: shape, class balance, every sample in
 * the noise box of a prototype placement of its class, determinism. */
#include "config.h"
#include "nt-dataset.h"
#include "nt-test-util.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The four prototype placements, written out from PROTOCOL.md:
 * [label][placement][pixel]. */
static const float protos[2][2][3] = {
  { { 0.666f, 0.333f, 0.0f }, { 0.0f, 0.666f, 0.333f } },   /* down, 0 */
  { { 0.333f, 0.666f, 0.0f }, { 0.0f, 0.333f, 0.666f } },   /* up, 1 */
};
#define NOISE 0.05f
#define TOL 1e-6f

static NtDataset *
open_ramp (NtRegistry *reg, const char *sel)
{
  GError *error = NULL;
  NtDataset *ds = nt_dataset_open (reg, sel, &error);
  ck_assert_msg (ds != NULL, "%s: %s", sel, error ? error->message : "");
  return ds;
}

/* Fills samples first..first+n-1 of `split`. */
static void
get_range (NtDataset *ds, NtSplit split, gsize first, gsize n, float *x,
           int *y)
{
  GError *error = NULL;
  gsize *idx = g_new (gsize, n);
  for (gsize k = 0; k < n; k++)
    idx[k] = first + k;
  ck_assert_msg (nt_dataset_get (ds, split, idx, n, x, y, &error), "%s",
                 error ? error->message : "");
  g_free (idx);
}

/* Which placement box of class `label` holds x: 0, 1, or -1 for none. */
static int
box_of (const float *x, int label, float *max_dev)
{
  int found = -1;
  for (int p = 0; p < 2; p++)
    {
      float dev = 0;
      for (int j = 0; j < 3; j++)
        dev = fmaxf (dev, fabsf (x[j] - protos[label][p][j]));
      if (dev <= NOISE + TOL)
        {
          found = p;
          if (max_dev)
            *max_dev = fmaxf (*max_dev, dev);
        }
    }
  return found;
}

START_TEST (test_shape)
{
  NtRegistry *reg = nt_test_registry ();
  NtDataset *ds = open_ramp (reg, "ramp");
  ck_assert_int_eq (ds->channels, 1);
  ck_assert_int_eq (ds->height, 1);
  ck_assert_int_eq (ds->width, 3);
  ck_assert_int_eq (ds->n_classes, 2);
  ck_assert_uint_eq (nt_dataset_sample_size (ds), 3);
  ck_assert_uint_eq (nt_dataset_split_size (ds, NT_SPLIT_TRAIN), 32000);
  ck_assert_uint_eq (nt_dataset_split_size (ds, NT_SPLIT_TEST), 10000);
  ck_assert_str_eq (ds->klass->feature.name, "ramp");
  nt_dataset_free (ds);

  ds = open_ramp (reg, "ramp:train=100,test=7,seed=3");
  ck_assert_uint_eq (ds->n_train, 100);
  ck_assert_uint_eq (ds->n_test, 7);
  /* index checks use those sizes */
  GError *error = NULL;
  float x[3];
  const gsize last = 6, past = 7;
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TEST, &last, 1, x, NULL, &error));
  ck_assert (!nt_dataset_get (ds, NT_SPLIT_TEST, &past, 1, x, NULL, &error));
  ck_assert (g_error_matches (error, NT_DATA_ERROR, NT_DATA_ERROR_INVALID));
  g_clear_error (&error);
  nt_dataset_free (ds);

  /* bad option values are refused */
  ck_assert_ptr_null (nt_dataset_open (reg, "ramp:train=0", &error));
  ck_assert (error != NULL && error->domain == NT_OPTIONS_ERROR);
  g_clear_error (&error);
  ck_assert_ptr_null (nt_dataset_open (reg, "ramp:colour=red", &error));
  ck_assert (error != NULL && error->domain == NT_OPTIONS_ERROR);
  g_clear_error (&error);
  nt_registry_free (reg);
}
END_TEST

/* Over many samples of both splits: labels and placements ~50/50, values
 * in [0, 1], each sample in a box of its class (and so in no box of the
 * other class: the four boxes are disjoint), noise spanning the box. */
START_TEST (test_distribution)
{
  NtRegistry *reg = nt_test_registry ();
  NtDataset *ds = open_ramp (reg, "ramp:seed=12,train=20000");
  const gsize n = 20000;
  float *x = g_new (float, n * 3);
  int *y = g_new (int, n);
  for (int s = 0; s < 2; s++)
    {
      NtSplit split = s == 0 ? NT_SPLIT_TRAIN : NT_SPLIT_TEST;
      gsize m = MIN (n, nt_dataset_split_size (ds, split));
      get_range (ds, split, 0, m, x, y);
      gsize ups = 0, second = 0, zero_pixel = 0, below = 0, above = 0;
      float max_dev = 0;
      for (gsize k = 0; k < m; k++)
        {
          const float *v = x + 3 * k;
          ck_assert (y[k] == 0 || y[k] == 1);
          for (int j = 0; j < 3; j++)
            ck_assert_msg (v[j] >= 0.0f && v[j] <= 1.0f, "pixel %g", v[j]);
          int p = box_of (v, y[k], &max_dev);
          ck_assert_msg (p >= 0, "sample %zu (%g %g %g) label %d is in no "
                         "box of its class", k, v[0], v[1], v[2], y[k]);
          ck_assert_int_eq (box_of (v, 1 - y[k], NULL), -1);
          ups += y[k];
          second += p;
          /* the empty pixel: noise below 0 is clipped to exactly 0 */
          float e = p == 0 ? v[2] : v[0];
          zero_pixel += e == 0.0f;
          /* the high pixel's noise takes both signs */
          float hi = v[y[k] == 0 ? p : p + 1];
          below += hi < 0.666f - 0.025f;
          above += hi > 0.666f + 0.025f;
        }
      /* binomial(m, 1/2): sd = sqrt(m)/2 (71 for 20000); allow 5 sd */
      double tol = 5 * sqrt ((double) m) / 2;
      ck_assert_msg (fabs ((double) ups - m / 2.0) < tol, "ups %zu of %zu",
                     ups, m);
      ck_assert_msg (fabs ((double) second - m / 2.0) < tol,
                     "second placement %zu of %zu", second, m);
      ck_assert_msg (fabs ((double) zero_pixel - m / 2.0) < tol,
                     "clipped empty pixel %zu of %zu", zero_pixel, m);
      /* each tail of the noise holds ~1/4 of the samples */
      ck_assert_msg (fabs ((double) below - m / 4.0) < tol, "below %zu",
                     below);
      ck_assert_msg (fabs ((double) above - m / 4.0) < tol, "above %zu",
                     above);
      ck_assert_msg (max_dev > 0.049f, "noise reaches only %g", max_dev);
    }
  g_free (x);
  g_free (y);
  nt_dataset_free (ds);
  nt_registry_free (reg);
}
END_TEST

START_TEST (test_determinism)
{
  NtRegistry *reg = nt_test_registry ();
  NtDataset *a = open_ramp (reg, "ramp:seed=5");
  NtDataset *b = open_ramp (reg, "ramp:seed=5");
  NtDataset *c = open_ramp (reg, "ramp:seed=6");
  const gsize n = 256;
  float *xa = g_new (float, n * 3), *xb = g_new (float, n * 3);
  float *xc = g_new (float, n * 3);
  int *ya = g_new (int, n), *yb = g_new (int, n), *yc = g_new (int, n);

  /* same seed, same index: same sample, bit for bit */
  get_range (a, NT_SPLIT_TRAIN, 1000, n, xa, ya);
  get_range (b, NT_SPLIT_TRAIN, 1000, n, xb, yb);
  ck_assert (memcmp (xa, xb, n * 3 * sizeof (float)) == 0);
  ck_assert (memcmp (ya, yb, n * sizeof (int)) == 0);

  /* by index: one sample alone, or in another batch order, is the same */
  GError *error = NULL;
  const gsize pick[3] = { 1000 + 17, 31999, 1000 + 17 };
  float xp[9];
  int yp[3];
  ck_assert (nt_dataset_get (b, NT_SPLIT_TRAIN, pick, 3, xp, yp, &error));
  ck_assert (memcmp (xp, xa + 17 * 3, 3 * sizeof (float)) == 0);
  ck_assert (memcmp (xp + 6, xa + 17 * 3, 3 * sizeof (float)) == 0);
  ck_assert_int_eq (yp[0], ya[17]);
  /* labels may be omitted without changing images */
  ck_assert (nt_dataset_get (b, NT_SPLIT_TRAIN, pick, 1, xp, NULL, &error));
  ck_assert (memcmp (xp, xa + 17 * 3, 3 * sizeof (float)) == 0);

  /* another seed, or the other split: different samples */
  get_range (c, NT_SPLIT_TRAIN, 1000, n, xc, yc);
  gsize same = 0;
  for (gsize k = 0; k < n; k++)
    same += memcmp (xa + 3 * k, xc + 3 * k, 3 * sizeof (float)) == 0;
  ck_assert_msg (same == 0, "%zu of %zu samples equal across seeds", same, n);
  get_range (a, NT_SPLIT_TEST, 1000, n, xc, yc);
  same = 0;
  for (gsize k = 0; k < n; k++)
    same += memcmp (xa + 3 * k, xc + 3 * k, 3 * sizeof (float)) == 0;
  ck_assert_msg (same == 0, "%zu of %zu samples equal across splits", same,
                 n);
  /* neighbouring indices differ too */
  same = 0;
  for (gsize k = 1; k < n; k++)
    same += memcmp (xa + 3 * k, xa + 3 * (k - 1), 3 * sizeof (float)) == 0;
  ck_assert_uint_eq (same, 0);

  g_free (xa);
  g_free (xb);
  g_free (xc);
  g_free (ya);
  g_free (yb);
  g_free (yc);
  nt_dataset_free (a);
  nt_dataset_free (b);
  nt_dataset_free (c);
  nt_registry_free (reg);
}
END_TEST

static Suite *
ramp_suite (void)
{
  Suite *s = suite_create ("ramp");
  TCase *tc = tcase_create ("ramp");
  tcase_add_test (tc, test_shape);
  tcase_add_test (tc, test_distribution);
  tcase_add_test (tc, test_determinism);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (ramp_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
