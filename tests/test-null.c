/* test-null.c: null-class strategies (uniform, shuffle, mix) and the batch
 * mixer: each null type checked against the dataset it draws from (a small
 * generated MNIST-like directory of random images, searched exhaustively),
 * the binomial null count, the choice among types, selection parsing and
 * the ramp toy's pixel permutation. */
#include "config.h"
#include "nt-null.h"
#include "nt-dataset.h"
#include "nt-idx.h"
#include "nt-rng.h"
#include "nt-test-util.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#define SIDE 28
#define PIX (SIDE * SIDE)
#define N_TRAIN 40
#define N_TEST 20
#define NULL_LABEL 10

/* ---- fixture: a small MNIST-like directory ----------------------------- */

typedef struct {
  char *dir;
  NtRegistry *reg;
  NtDataset *ds;
  float *train;     /* N_TRAIN x PIX, as the dataset returns them */
  int labels[N_TRAIN];
  float *test;
  int test_labels[N_TEST];
} Fixture;

/* Bytes from an LCG (independent of the code under test): random images,
 * so every image and every tile of 2x2 or more is unique. */
static guint8 *
pattern_bytes (gsize n, guint32 seed)
{
  guint8 *b = g_malloc (n);
  guint32 s = seed * 2654435761u + 7;
  for (gsize i = 0; i < n; i++)
    {
      s = s * 1664525u + 1013904223u;
      b[i] = (guint8) (s >> 24);
    }
  return b;
}

static void
write_idx (const char *dir, const char *name, guint n_dims,
           const guint32 *dims, const guint8 *data)
{
  GError *error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  ck_assert_msg (nt_idx_write (path, n_dims, dims, data, FALSE, &error),
                 "nt_idx_write %s: %s", path, error ? error->message : "");
  g_free (path);
}

static void
get_all (NtDataset *ds, NtSplit split, gsize n, float *x, int *y)
{
  GError *error = NULL;
  gsize *idx = g_new (gsize, n);
  for (gsize i = 0; i < n; i++)
    idx[i] = i;
  ck_assert_msg (nt_dataset_get (ds, split, idx, n, x, y, &error), "%s",
                 error ? error->message : "");
  g_free (idx);
}

static void
fixture_open (Fixture *f)
{
  GError *error = NULL;
  memset (f, 0, sizeof *f);
  f->dir = g_dir_make_tmp ("nt-test-null-XXXXXX", &error);
  ck_assert_msg (f->dir != NULL, "%s", error ? error->message : "");
  const guint32 tdims[3] = { N_TRAIN, SIDE, SIDE };
  const guint32 edims[3] = { N_TEST, SIDE, SIDE };
  guint32 nt = N_TRAIN, ne = N_TEST;
  guint8 *tp = pattern_bytes ((gsize) N_TRAIN * PIX, 11);
  guint8 *ep = pattern_bytes ((gsize) N_TEST * PIX, 12);
  guint8 tl[N_TRAIN], el[N_TEST];
  for (int i = 0; i < N_TRAIN; i++)
    tl[i] = (guint8) (i % 10);
  for (int i = 0; i < N_TEST; i++)
    el[i] = (guint8) ((i * 7 + 3) % 10);
  write_idx (f->dir, "train-images-idx3-ubyte", 3, tdims, tp);
  write_idx (f->dir, "train-labels-idx1-ubyte", 1, &nt, tl);
  write_idx (f->dir, "t10k-images-idx3-ubyte", 3, edims, ep);
  write_idx (f->dir, "t10k-labels-idx1-ubyte", 1, &ne, el);
  g_free (tp);
  g_free (ep);

  f->reg = nt_test_registry ();
  char *sel = g_strdup_printf ("mnist:dir=%s", f->dir);
  f->ds = nt_dataset_open (f->reg, sel, &error);
  ck_assert_msg (f->ds != NULL, "%s: %s", sel, error ? error->message : "");
  g_free (sel);
  ck_assert_int_eq (f->ds->n_classes, 10);
  f->train = g_new (float, (gsize) N_TRAIN * PIX);
  f->test = g_new (float, (gsize) N_TEST * PIX);
  get_all (f->ds, NT_SPLIT_TRAIN, N_TRAIN, f->train, f->labels);
  get_all (f->ds, NT_SPLIT_TEST, N_TEST, f->test, f->test_labels);
}

static void
fixture_close (Fixture *f)
{
  nt_dataset_free (f->ds);
  nt_registry_free (f->reg);
  const char *names[] = { "train-images-idx3-ubyte",
                          "train-labels-idx1-ubyte",
                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *p = g_build_filename (f->dir, names[i], NULL);
      g_unlink (p);
      g_free (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->train);
  g_free (f->test);
}

static NtNullMix *
mix_ok (Fixture *f, NtDataset *ds, const char *sel, double p)
{
  GError *error = NULL;
  NtNullMix *mix = nt_null_mix_new (f->reg, sel, p, ds, &error);
  ck_assert_msg (mix != NULL, "'%s': %s", sel, error ? error->message : "");
  return mix;
}

/* The error of a selection that must fail (caller frees). */
static GError *
mix_fails (Fixture *f, const char *sel, double p)
{
  GError *error = NULL;
  NtNullMix *mix = nt_null_mix_new (f->reg, sel, p, f->ds, &error);
  ck_assert_msg (mix == NULL, "'%s' (p %g) was accepted as '%s'", sel, p,
                 mix ? nt_null_mix_name (mix) : "");
  ck_assert_msg (error != NULL && error->message[0] != '\0',
                 "'%s' failed without a message", sel);
  return error;
}

/* A batch through the mixer (perm is a split-sized scratch). */
static gsize
fill (NtNullMix *mix, NtSplit split, GRand *rng, guint32 *perm, gsize n,
      float *x, int *y)
{
  GError *error = NULL;
  gsize n_null = 12345;
  ck_assert_msg (nt_null_mix_fill_batch (mix, split, rng, perm, n, x, y,
                                         &n_null, &error),
                 "%s", error ? error->message : "");
  ck_assert_uint_le (n_null, n);
  return n_null;
}

static guint32 *
new_perm (gsize n)
{
  guint32 *perm = g_new (guint32, n);
  nt_rng_perm_init (perm, n);
  return perm;
}

/* ---- image helpers ------------------------------------------------------ */

/* Whether every value is a multiple of 1/scale (within float rounding). */
static gboolean
on_grid (const float *x, gsize n, double scale)
{
  for (gsize i = 0; i < n; i++)
    {
      double v = x[i] * scale;
      if (fabs (v - rint (v)) > 1e-3)
        return FALSE;
    }
  return TRUE;
}

static void
to_bytes (const float *x, guint8 *out)
{
  for (int i = 0; i < PIX; i++)
    out[i] = (guint8) lrint (x[i] * 255.0);
}

static gsize tile_bytes;   /* comparator state for qsort */

static int
cmp_tile (const void *a, const void *b)
{
  return memcmp (a, b, tile_bytes);
}

/* The tiles t x t of a 28x28 byte image, tile after tile in row-major cell
 * order (n_cells * t * t bytes); sorted when `sort` is set. */
static void
cut_tiles (const guint8 *img, int t, gboolean sort, guint8 *out)
{
  int g = SIDE / t;
  for (int cy = 0; cy < g; cy++)
    for (int cx = 0; cx < g; cx++)
      for (int r = 0; r < t; r++)
        memcpy (out + ((gsize) (cy * g + cx) * t + r) * t,
                img + (cy * t + r) * SIDE + cx * t, t);
  if (sort)
    {
      tile_bytes = (gsize) t * t;
      qsort (out, (gsize) g * g, tile_bytes, cmp_tile);
    }
}

/* The index of the image of `set` (n images) whose multiset of t x t tiles
 * is that of `img`, or -1. */
static int
find_tile_source (const guint8 *img, const guint8 *set, int n, int t)
{
  guint8 a[PIX], b[PIX];
  cut_tiles (img, t, TRUE, a);
  for (int j = 0; j < n; j++)
    {
      cut_tiles (set + (gsize) j * PIX, t, TRUE, b);
      if (memcmp (a, b, PIX) == 0)
        return j;
    }
  return -1;
}

/* perm[cell] = the source cell whose tile sits at `cell` of img. */
static void
derive_perm (const guint8 *img, const guint8 *src, int t, int *perm)
{
  guint8 a[PIX], b[PIX];
  int g = SIDE / t, cells = g * g;
  gsize tb = (gsize) t * t;
  cut_tiles (img, t, FALSE, a);
  cut_tiles (src, t, FALSE, b);
  for (int i = 0; i < cells; i++)
    {
      perm[i] = -1;
      for (int k = 0; k < cells && perm[i] < 0; k++)
        if (memcmp (a + i * tb, b + k * tb, tb) == 0)
          perm[i] = k;
      ck_assert_int_ge (perm[i], 0);
    }
}

static void
float_set_to_bytes (const float *x, int n, guint8 *out)
{
  for (int j = 0; j < n; j++)
    to_bytes (x + (gsize) j * PIX, out + (gsize) j * PIX);
}

/* The index of the image of `set` equal to x, or -1. */
static int
find_equal (const float *x, const float *set, int n, gsize sample)
{
  for (int j = 0; j < n; j++)
    if (memcmp (x, set + (gsize) j * sample, sample * sizeof (float)) == 0)
      return j;
  return -1;
}

/* ---- uniform ------------------------------------------------------------ */

START_TEST (test_uniform)
{
  Fixture f;
  fixture_open (&f);
  NtNullMix *mix = mix_ok (&f, f.ds, "u", 1.0);
  ck_assert_str_eq (nt_null_mix_name (mix), "u");
  GRand *rng = g_rand_new_with_seed (1);
  guint32 *perm = new_perm (N_TRAIN);
  enum { B = 100, N = 32 };
  float *x = g_new (float, (gsize) N * PIX);
  int y[N];
  double sum = 0, sum2 = 0;
  float lo = 1, hi = 0;
  for (int b = 0; b < B; b++)
    {
      ck_assert_uint_eq (fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y), N);
      for (int i = 0; i < N; i++)
        ck_assert_int_eq (y[i], NULL_LABEL);
      for (gsize i = 0; i < (gsize) N * PIX; i++)
        {
          lo = fminf (lo, x[i]);
          hi = fmaxf (hi, x[i]);
          sum += x[i];
          sum2 += (double) x[i] * x[i];
        }
    }
  double cnt = (double) B * N * PIX;
  double mean = sum / cnt, var = sum2 / cnt - mean * mean;
  /* U[0,1): mean 1/2 (sd 1/sqrt(12)), variance 1/12; the sd of the sample
   * variance is sqrt((1/80 - 1/144) / cnt) */
  double sd_mean = sqrt (1.0 / 12.0 / cnt);
  double sd_var = sqrt ((1.0 / 80 - 1.0 / 144) / cnt);
  ck_assert_msg (lo >= 0.0f && hi < 1.0f, "range [%g, %g]", lo, hi);
  ck_assert_msg (fabs (mean - 0.5) < 5 * sd_mean, "mean %.6f (sd %.2g)", mean,
                 sd_mean);
  ck_assert_msg (fabs (var - 1.0 / 12) < 5 * sd_var, "variance %.6f", var);
  /* values spread over the whole interval */
  ck_assert (lo < 1e-4f && hi > 1.0f - 1e-4f);
  nt_null_mix_free (mix);
  g_free (x);
  g_free (perm);
  g_rand_free (rng);
  fixture_close (&f);
}
END_TEST

/* ---- shuffle ------------------------------------------------------------ */

/* For one batch of shuffled images (train or test split), finds the tile
 * size: the largest of `tiles` at which every image is a tile permutation
 * of a dataset image, checks all images share that size and one
 * permutation, and returns the size. */
static int
check_shuffle_batch (const float *x, int n, const guint8 *set, int n_set)
{
  static const int sizes[] = { 14, 7, 4, 2 };
  guint8 img[PIX];
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      int t = sizes[s], cells = (SIDE / t) * (SIDE / t);
      int matched = 0;
      int perm0[PIX], perm[PIX];
      for (int i = 0; i < n; i++)
        {
          ck_assert_msg (on_grid (x + (gsize) i * PIX, PIX, 255.0),
                         "shuffled image %d has values off the 1/255 grid",
                         i);
          to_bytes (x + (gsize) i * PIX, img);
          int j = find_tile_source (img, set, n_set, t);
          if (j < 0)
            continue;
          matched++;
          derive_perm (img, set + (gsize) j * PIX, t, matched == 1 ? perm0
                                                                    : perm);
          if (matched > 1)
            ck_assert_msg (memcmp (perm0, perm, cells * sizeof (int)) == 0,
                           "two images of one batch have different %dx%d "
                           "tile permutations", t, t);
        }
      ck_assert_msg (matched == 0 || matched == n,
                     "%d of %d images are %dx%d tile shuffles: the batch "
                     "does not share one tile size", matched, n, t, t);
      if (matched == n)
        return t;
    }
  ck_abort_msg ("a batch is no tile shuffle of dataset images");
  return 0;
}

START_TEST (test_shuffle_tiles)
{
  Fixture f;
  fixture_open (&f);
  NtNullMix *mix = mix_ok (&f, f.ds, "s", 1.0);
  ck_assert_str_eq (nt_null_mix_name (mix), "s");
  guint8 *train = g_malloc ((gsize) N_TRAIN * PIX);
  guint8 *test = g_malloc ((gsize) N_TEST * PIX);
  float_set_to_bytes (f.train, N_TRAIN, train);
  float_set_to_bytes (f.test, N_TEST, test);
  GRand *rng = g_rand_new_with_seed (2);
  guint32 *perm = new_perm (N_TRAIN);
  enum { B = 60, N = 8 };
  float x[N * PIX];
  int y[N];
  int seen[15] = { 0 };
  for (int b = 0; b < B; b++)
    {
      fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
      for (int i = 0; i < N; i++)
        ck_assert_int_eq (y[i], NULL_LABEL);
      seen[check_shuffle_batch (x, N, train, N_TRAIN)]++;
    }
  /* each size of the default list {2, 4, 7, 14} is drawn (P(miss) ~ 1e-7) */
  ck_assert_msg (seen[2] && seen[4] && seen[7] && seen[14],
                 "tile sizes seen: 2:%d 4:%d 7:%d 14:%d", seen[2], seen[4],
                 seen[7], seen[14]);
  /* the images come from the split asked for */
  guint32 *tperm = new_perm (N_TEST);
  fill (mix, NT_SPLIT_TEST, rng, tperm, N, x, y);
  check_shuffle_batch (x, N, test, N_TEST);
  g_free (tperm);
  nt_null_mix_free (mix);

  /* one given size: 7x7 tiles in every batch */
  mix = mix_ok (&f, f.ds, "shuffle:tiles=7", 1.0);
  ck_assert_str_eq (nt_null_mix_name (mix), "shuffle:tiles=7");
  for (int b = 0; b < 5; b++)
    {
      fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
      ck_assert_int_eq (check_shuffle_batch (x, N, train, N_TRAIN), 7);
    }
  nt_null_mix_free (mix);

  /* tile size 28 is the identity: each image is a dataset image */
  mix = mix_ok (&f, f.ds, "shuffle:tiles=28", 1.0);
  fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
  for (int i = 0; i < N; i++)
    ck_assert_int_ge (find_equal (x + i * PIX, f.train, N_TRAIN, PIX), 0);
  nt_null_mix_free (mix);

  /* tile size 1 is a pixel shuffle: same multiset of pixel values, and
   * (random images) not the image itself */
  mix = mix_ok (&f, f.ds, "shuffle:tiles=1", 1.0);
  fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
  for (int i = 0; i < N; i++)
    {
      guint8 img[PIX];
      to_bytes (x + i * PIX, img);
      int j = find_tile_source (img, train, N_TRAIN, 1);
      ck_assert_msg (j >= 0, "pixel-shuffled image %d is no permutation of "
                     "a dataset image", i);
      ck_assert_int_lt (find_equal (x + i * PIX, f.train, N_TRAIN, PIX), 0);
    }
  nt_null_mix_free (mix);

  g_free (perm);
  g_free (train);
  g_free (test);
  g_rand_free (rng);
  fixture_close (&f);
}
END_TEST

/* ---- mix ---------------------------------------------------------------- */

START_TEST (test_mix_pairs)
{
  Fixture f;
  fixture_open (&f);
  NtNullMix *mix = mix_ok (&f, f.ds, "m", 1.0);
  ck_assert_str_eq (nt_null_mix_name (mix), "m");
  GRand *rng = g_rand_new_with_seed (3);
  guint32 *perm = new_perm (N_TRAIN);
  enum { B = 10, N = 16 };
  float x[N * PIX];
  int y[N];
  for (int b = 0; b < B; b++)
    {
      fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
      for (int i = 0; i < N; i++)
        {
          ck_assert_int_eq (y[i], NULL_LABEL);
          /* every pair (a <= b, a == b included) whose mean is the image */
          int found = 0, fa = -1, fb = -1;
          for (int a = 0; a < N_TRAIN; a++)
            for (int c = a; c < N_TRAIN; c++)
              {
                const float *xa = f.train + a * PIX, *xc = f.train + c * PIX;
                gboolean eq = TRUE;
                for (int p = 0; p < PIX && eq; p++)
                  eq = fabsf (x[i * PIX + p] - 0.5f * (xa[p] + xc[p]))
                       <= 1e-6f;
                if (eq)
                  {
                    found++;
                    fa = a;
                    fb = c;
                  }
              }
          ck_assert_msg (found == 1, "mixed image matches %d pairs", found);
          ck_assert_msg (f.labels[fa] != f.labels[fb],
                         "mixed image of two images labelled %d",
                         f.labels[fa]);
        }
    }
  nt_null_mix_free (mix);
  g_free (perm);
  g_rand_free (rng);
  fixture_close (&f);
}
END_TEST

/* ---- the mixer ---------------------------------------------------------- */

START_TEST (test_same_seed)
{
  Fixture f;
  fixture_open (&f);
  enum { B = 20, N = 32 };
  float *x[3];
  int *y[3];
  gsize nn[3][B];
  const char *sels[3] = { "usm", "msu", "usm" };
  const guint32 seeds[3] = { 7, 7, 8 };
  for (int r = 0; r < 3; r++)
    {
      NtNullMix *mix = mix_ok (&f, f.ds, sels[r], 0.5);
      ck_assert_str_eq (nt_null_mix_name (mix), "usm");
      GRand *rng = g_rand_new_with_seed (seeds[r]);
      guint32 *perm = new_perm (N_TRAIN);
      x[r] = g_new (float, (gsize) B * N * PIX);
      y[r] = g_new (int, B * N);
      for (int b = 0; b < B; b++)
        nn[r][b] = fill (mix, NT_SPLIT_TRAIN, rng, perm, N,
                         x[r] + (gsize) b * N * PIX, y[r] + b * N);
      g_free (perm);
      g_rand_free (rng);
      nt_null_mix_free (mix);
    }
  /* same seed (and "msu" is the same mix as "usm"): the same samples */
  ck_assert (memcmp (x[0], x[1], sizeof (float) * B * N * PIX) == 0);
  ck_assert (memcmp (y[0], y[1], sizeof (int) * B * N) == 0);
  ck_assert (memcmp (nn[0], nn[1], sizeof nn[0]) == 0);
  /* another seed: other samples */
  ck_assert (memcmp (x[0], x[2], sizeof (float) * B * N * PIX) != 0);
  for (int r = 0; r < 3; r++)
    {
      g_free (x[r]);
      g_free (y[r]);
    }
  fixture_close (&f);
}
END_TEST

/* Binomial(N, p) null counts; labels; real samples distinct inside a
 * batch, with their own labels; nulls anywhere in the batch. */
static void
check_counts (Fixture *f, double p, int batches)
{
  enum { N = 32 };
  NtNullMix *mix = mix_ok (f, f->ds, "u", p);
  GRand *rng = g_rand_new_with_seed ((guint32) (p * 1000) + 5);
  guint32 *perm = new_perm (N_TRAIN);
  float *x = g_new (float, (gsize) N * PIX);
  int y[N];
  double s = 0, s2 = 0;
  int first_null = 0, last_null = 0;
  for (int b = 0; b < batches; b++)
    {
      gsize k = fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
      s += k;
      s2 += (double) k * k;
      gsize nulls = 0;
      gboolean used[N_TRAIN] = { FALSE };
      for (int i = 0; i < N; i++)
        {
          if (y[i] == NULL_LABEL)
            {
              nulls++;
              ck_assert (!on_grid (x + (gsize) i * PIX, PIX, 255.0));
              continue;
            }
          int j = find_equal (x + (gsize) i * PIX, f->train, N_TRAIN, PIX);
          ck_assert_msg (j >= 0, "a real sample is no dataset image");
          ck_assert_int_eq (y[i], f->labels[j]);
          ck_assert_msg (!used[j], "image %d twice in one batch", j);
          used[j] = TRUE;
        }
      ck_assert_uint_eq (nulls, k);
      first_null += y[0] == NULL_LABEL;
      last_null += y[N - 1] == NULL_LABEL;
    }
  double mean = s / batches, var = s2 / batches - mean * mean;
  double mu = N * p, v = N * p * (1 - p);
  /* sd of the sample variance from the binomial's fourth central moment */
  double mu4 = 3 * v * v + v * (1 - 6 * p * (1 - p));
  double sd_var = sqrt ((mu4 - v * v) / batches);
  ck_assert_msg (fabs (mean - mu) < 4 * sqrt (v / batches),
                 "p %g: mean null count %.3f, expected %.3f", p, mean, mu);
  ck_assert_msg (fabs (var - v) < 5 * sd_var,
                 "p %g: null count variance %.3f, expected %.3f", p, var, v);
  /* positions are shuffled: the first and last slots are nulls with
   * probability p each */
  double sd_pos = sqrt (batches * p * (1 - p));
  ck_assert_msg (fabs (first_null - batches * p) < 5 * sd_pos
                 && fabs (last_null - batches * p) < 5 * sd_pos,
                 "p %g: null at slot 0 %d times, at slot %d %d times, "
                 "expected %.0f", p, first_null, N - 1, last_null,
                 batches * p);
  g_free (x);
  g_free (perm);
  g_rand_free (rng);
  nt_null_mix_free (mix);
}

START_TEST (test_binomial_count)
{
  Fixture f;
  fixture_open (&f);
  check_counts (&f, 0.5, 3000);
  check_counts (&f, 0.2, 1500);

  /* p 0 and "none": all real */
  GRand *rng = g_rand_new_with_seed (9);
  guint32 *perm = new_perm (N_TRAIN);
  float *x = g_new (float, 32 * PIX);
  int y[32];
  const char *sels[] = { "usm", "none" };
  const double ps[] = { 0.0, 0.5 };
  for (int r = 0; r < 2; r++)
    {
      NtNullMix *mix = mix_ok (&f, f.ds, sels[r], ps[r]);
      for (int b = 0; b < 20; b++)
        {
          ck_assert_uint_eq (fill (mix, NT_SPLIT_TRAIN, rng, perm, 32, x, y),
                             0);
          for (int i = 0; i < 32; i++)
            ck_assert_int_lt (y[i], NULL_LABEL);
        }
      nt_null_mix_free (mix);
    }
  /* more real samples than the split holds cannot be drawn distinct */
  NtNullMix *mix = mix_ok (&f, f.ds, "none", 0.5);
  float *big = g_new (float, (gsize) (N_TRAIN + 1) * PIX);
  int by[N_TRAIN + 1];
  GError *error = NULL;
  ck_assert (!nt_null_mix_fill_batch (mix, NT_SPLIT_TRAIN, rng, perm,
                                      N_TRAIN + 1, big, by, NULL, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  /* fill_nulls needs strategies */
  ck_assert (!nt_null_mix_fill_nulls (mix, NT_SPLIT_TEST, rng, 4, big,
                                      &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  nt_null_mix_free (mix);
  g_free (big);
  g_free (x);
  g_free (perm);
  g_rand_free (rng);
  fixture_close (&f);
}
END_TEST

/* 0 shuffle (values on the 1/255 grid), 1 mix (1/510 grid), 2 uniform
 * (neither): random images make the grids tell the types apart. */
static int
classify (const float *x)
{
  if (on_grid (x, PIX, 255.0))
    return 0;
  if (on_grid (x, PIX, 510.0))
    return 1;
  return 2;
}

START_TEST (test_type_balance)
{
  Fixture f;
  fixture_open (&f);
  GRand *rng = g_rand_new_with_seed (4);
  guint32 *perm = new_perm (N_TRAIN);
  enum { B = 150, N = 32 };
  float *x = g_new (float, (gsize) N * PIX);
  int y[N];
  /* selection, its canonical name, which classes it may produce */
  const struct { const char *sel, *name; gboolean has[3]; } cases[] = {
    { "usm", "usm", { TRUE, TRUE, TRUE } },
    { "um", "um", { FALSE, TRUE, TRUE } },
    { "uniform+mix", "um", { FALSE, TRUE, TRUE } },
    { "su", "us", { TRUE, FALSE, TRUE } },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      NtNullMix *mix = mix_ok (&f, f.ds, cases[c].sel, 1.0);
      ck_assert_str_eq (nt_null_mix_name (mix), cases[c].name);
      int k = 0;
      for (int t = 0; t < 3; t++)
        k += cases[c].has[t];
      ck_assert_uint_eq (nt_null_mix_n_strategies (mix), k);
      double count[3] = { 0, 0, 0 };
      for (int b = 0; b < B; b++)
        {
          fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
          for (int i = 0; i < N; i++)
            count[classify (x + (gsize) i * PIX)]++;
        }
      /* chi-square against equal shares; k - 1 <= 2 degrees of freedom,
       * P(chi2 > 20) < 5e-5 */
      double expect = (double) B * N / k, chi2 = 0;
      for (int t = 0; t < 3; t++)
        if (cases[c].has[t])
          chi2 += (count[t] - expect) * (count[t] - expect) / expect;
        else
          ck_assert_msg (count[t] == 0, "'%s' produced type %d", cases[c].sel,
                         t);
      ck_assert_msg (chi2 < 20, "'%s': counts s %.0f m %.0f u %.0f, chi2 %.1f",
                     cases[c].sel, count[0], count[1], count[2], chi2);
      nt_null_mix_free (mix);
    }

  /* fill_nulls: only nulls, of every type */
  NtNullMix *mix = mix_ok (&f, f.ds, "usm", 0.5);
  GError *error = NULL;
  double count[3] = { 0, 0, 0 };
  for (int b = 0; b < 20; b++)
    {
      ck_assert_msg (nt_null_mix_fill_nulls (mix, NT_SPLIT_TEST, rng, N, x,
                                             &error),
                     "%s", error ? error->message : "");
      for (int i = 0; i < N; i++)
        count[classify (x + (gsize) i * PIX)]++;
    }
  ck_assert (count[0] > 0 && count[1] > 0 && count[2] > 0);
  nt_null_mix_free (mix);
  g_free (x);
  g_free (perm);
  g_rand_free (rng);
  fixture_close (&f);
}
END_TEST

/* ---- selection parsing -------------------------------------------------- */

static void
expect_name (Fixture *f, const char *sel, const char *name, guint n)
{
  NtNullMix *mix = mix_ok (f, f->ds, sel, 0.5);
  ck_assert_msg (strcmp (nt_null_mix_name (mix), name) == 0,
                 "'%s' is named '%s', expected '%s'", sel,
                 nt_null_mix_name (mix), name);
  ck_assert_uint_eq (nt_null_mix_n_strategies (mix), n);
  ck_assert (nt_null_mix_p_null (mix) == 0.5);
  /* the name parses back to the same mix */
  NtNullMix *again = mix_ok (f, f->ds, name, 0.5);
  ck_assert_str_eq (nt_null_mix_name (again), name);
  nt_null_mix_free (again);
  nt_null_mix_free (mix);
}

static void
expect_error (Fixture *f, const char *sel, double p, const char *const *words)
{
  GError *error = mix_fails (f, sel, p);
  for (; words && *words; words++)
    ck_assert_msg (strstr (error->message, *words) != NULL,
                   "error for '%s' lacks '%s': %s", sel, *words,
                   error->message);
  g_error_free (error);
}

START_TEST (test_parse)
{
  Fixture f;
  fixture_open (&f);
  expect_name (&f, "usm", "usm", 3);
  expect_name (&f, "mus", "usm", 3);
  expect_name (&f, "su", "us", 2);
  expect_name (&f, "s", "s", 1);
  expect_name (&f, "none", "none", 0);
  expect_name (&f, "baseline", "none", 0);
  expect_name (&f, " u ", "u", 1);
  expect_name (&f, "uniform+mix", "um", 2);
  expect_name (&f, "mix+uniform+shuffle", "usm", 3);
  expect_name (&f, "shuffle:tiles=2,4,7,14", "s", 1);
  expect_name (&f, "m+u", "um", 2);
  expect_name (&f, "uniform+shuffle:tiles=2,4", "uniform+shuffle:tiles=2,4",
               2);
  expect_name (&f, "shuffle:tiles=14+mix", "shuffle:tiles=14+mix", 2);

  const char *const unknown_letter[] = { "'x'", "u = uniform", "s = shuffle",
                                         "m = mix", NULL };
  expect_error (&f, "x", 0.5, unknown_letter);
  const char *const unknown_in[] = { "'x'", "usx", NULL };
  expect_error (&f, "usx", 0.5, unknown_in);
  const char *const twice[] = { "uniform", "twice", NULL };
  expect_error (&f, "uu", 0.5, twice);
  expect_error (&f, "uniform+u", 0.5, twice);
  const char *const unknown_name[] = { "foo", "uniform", "shuffle", "mix",
                                       NULL };
  expect_error (&f, "foo:a=1", 0.5, unknown_name);
  expect_error (&f, "uniform+foo", 0.5, unknown_name);
  const char *const tile5[] = { "5", "28", NULL };
  expect_error (&f, "shuffle:tiles=5", 0.5, tile5);
  expect_error (&f, "shuffle:tiles=2,5,7", 0.5, tile5);
  const char *const tile56[] = { "56", "28", NULL };
  expect_error (&f, "shuffle:tiles=56", 0.5, tile56);
  const char *const range[] = { "tiles", NULL };
  expect_error (&f, "shuffle:tiles=0", 0.5, range);
  expect_error (&f, "shuffle:tiles=8192", 0.5, range);
  const char *const key[] = { "size", NULL };
  expect_error (&f, "shuffle:size=2", 0.5, key);
  expect_error (&f, "uniform:level=2", 0.5, NULL);
  expect_error (&f, "", 0.5, NULL);
  expect_error (&f, "u++m", 0.5, NULL);
  expect_error (&f, "u+", 0.5, NULL);
  const char *const pnull[] = { "p_null", NULL };
  expect_error (&f, "u", -0.1, pnull);
  expect_error (&f, "u", 1.5, pnull);
  expect_error (&f, "none", NAN, pnull);
  fixture_close (&f);
}
END_TEST

/* ---- the ramp toy ------------------------------------------------------- */

START_TEST (test_ramp_shuffle)
{
  Fixture f;
  fixture_open (&f);
  GError *error = NULL;
  enum { RN = 300, B = 50, N = 32 };
  NtDataset *ramp = nt_dataset_open (f.reg, "ramp:train=300,test=50", &error);
  ck_assert_msg (ramp != NULL, "%s", error ? error->message : "");
  float *set = g_new (float, RN * 3);
  int labels[RN];
  get_all (ramp, NT_SPLIT_TRAIN, RN, set, labels);
  /* tile sizes mean nothing for 1-D samples and are ignored */
  NtNullMix *ignored = mix_ok (&f, ramp, "shuffle:tiles=5", 1.0);
  nt_null_mix_free (ignored);

  NtNullMix *mix = mix_ok (&f, ramp, "s", 1.0);
  GRand *rng = g_rand_new_with_seed (5);
  guint32 *perm = new_perm (RN);
  static const int perms[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
                                   { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
  int used[6] = { 0 };
  float x[N * 3];
  int y[N];
  for (int b = 0; b < B; b++)
    {
      fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
      /* the permutations that explain every image of the batch */
      gboolean fits_all[6] = { TRUE, TRUE, TRUE, TRUE, TRUE, TRUE };
      for (int i = 0; i < N; i++)
        {
          ck_assert_int_eq (y[i], 2);
          gboolean fits[6] = { FALSE };
          for (int j = 0; j < RN; j++)
            for (int q = 0; q < 6; q++)
              if (x[i * 3 + 0] == set[j * 3 + perms[q][0]]
                  && x[i * 3 + 1] == set[j * 3 + perms[q][1]]
                  && x[i * 3 + 2] == set[j * 3 + perms[q][2]])
                fits[q] = TRUE;
          for (int q = 0; q < 6; q++)
            fits_all[q] = fits_all[q] && fits[q];
        }
      int which = -1;
      for (int q = 0; q < 6 && which < 0; q++)
        if (fits_all[q])
          which = q;
      ck_assert_msg (which >= 0, "batch %d: no one permutation of ramp "
                     "samples explains every image", b);
      used[which]++;
    }
  /* a uniform permutation per batch: 50 batches show at least 4 of the 6
   * (P(3 or fewer) ~ 20 * (1/2)^50) */
  int distinct = 0;
  for (int q = 0; q < 6; q++)
    distinct += used[q] > 0;
  ck_assert_msg (distinct >= 4, "only %d distinct permutations", distinct);

  /* uniform and mix on the ramp's shape */
  nt_null_mix_free (mix);
  mix = mix_ok (&f, ramp, "usm", 1.0);
  ck_assert_str_eq (nt_null_mix_name (mix), "usm");
  for (int b = 0; b < 10; b++)
    {
      fill (mix, NT_SPLIT_TRAIN, rng, perm, N, x, y);
      for (int i = 0; i < N * 3; i++)
        ck_assert (x[i] >= 0.0f && x[i] <= 1.0f);
    }
  nt_null_mix_free (mix);
  g_free (perm);
  g_free (set);
  g_rand_free (rng);
  nt_dataset_free (ramp);
  fixture_close (&f);
}
END_TEST

/* ---- real MNIST (when present) ------------------------------------------ */

START_TEST (test_real_mnist)
{
  char *dir = nt_test_mnist_dir ();
  if (dir == NULL)
    return;   /* the real files are optional */
  GError *error = NULL;
  NtRegistry *reg = nt_test_registry ();
  char *sel = g_strdup_printf ("mnist:dir=%s", dir);
  NtDataset *ds = nt_dataset_open (reg, sel, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  NtNullMix *mix = nt_null_mix_new (reg, "usm", 0.5, ds, &error);
  ck_assert_msg (mix != NULL, "%s", error ? error->message : "");
  gsize n_train = nt_dataset_split_size (ds, NT_SPLIT_TRAIN);
  guint32 *perm = new_perm (n_train);
  GRand *rng = g_rand_new_with_seed (6);
  float *x = g_new (float, 32 * PIX);
  int y[32];
  for (int b = 0; b < 50; b++)
    {
      ck_assert_msg (nt_null_mix_fill_batch (mix, NT_SPLIT_TRAIN, rng, perm,
                                             32, x, y, NULL, &error),
                     "%s", error ? error->message : "");
      for (int i = 0; i < 32 * PIX; i++)
        ck_assert (x[i] >= 0.0f && x[i] <= 1.0f);
      for (int i = 0; i < 32; i++)
        ck_assert (y[i] >= 0 && y[i] <= NULL_LABEL);
    }
  NtNullMix *bad = nt_null_mix_new (reg, "shuffle:tiles=5", 0.5, ds, &error);
  ck_assert (bad == NULL && strstr (error->message, "28") != NULL);
  g_clear_error (&error);
  g_free (x);
  g_free (perm);
  g_rand_free (rng);
  nt_null_mix_free (mix);
  nt_dataset_free (ds);
  nt_registry_free (reg);
  g_free (sel);
  g_free (dir);
}
END_TEST

static Suite *
null_suite (void)
{
  Suite *s = suite_create ("null");
  TCase *tc = tcase_create ("null");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_uniform);
  tcase_add_test (tc, test_shuffle_tiles);
  tcase_add_test (tc, test_mix_pairs);
  tcase_add_test (tc, test_same_seed);
  tcase_add_test (tc, test_binomial_count);
  tcase_add_test (tc, test_type_balance);
  tcase_add_test (tc, test_parse);
  tcase_add_test (tc, test_ramp_shuffle);
  tcase_add_test (tc, test_real_mnist);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (null_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
