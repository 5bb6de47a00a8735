/* test-study-figures.c: the study's figures from a run directory. A
 * synthetic run (ramp dataset, types baseline;u;m;usm, 3 sets, both
 * protocols) is written in the documented formats (core/nt-experiment.h),
 * with its summaries computed here from the raw counts; then every figure
 * is rendered and checked (PNG signature and IHDR size), the markdown
 * table is compared with the numbers computed here, and missing or broken
 * result files must give notes or errors, never crashes or an exit.
 * What the figures draw is checked on their SVG versions, which hold
 * shapes (polylines, fill and stroke colours, coordinates) and text.
 * NT_KEEP_FIGURES=DIR keeps the rendered run in DIR (to look at it). */
#include "config.h"
#include "nt-csv.h"
#include "nt-fig-study.h"
#include "nt-fig-study-private.h"
#include "nt-test-util.h"

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <glib/gstdio.h>

#define N_SETS 3
#define N_IMAGES 1000
#define N_BINS 20
#define N_EPS 51
#define N_EPOCHS 20

static const char *const types[] = { "baseline", "u", "m", "usm" };
#define N_TYPES G_N_ELEMENTS (types)
static const char *const protocols[] = { "transfer", "whitebox" };

/* The summary-threshold means and stds written, in %, to compare the
 * markdown table with: [protocol][type][score][mean, std]. */
static double expected_scores[2][N_TYPES][3][2];

static void
write_file (const char *dir, const char *rel, const char *text)
{
  char *path = g_build_filename (dir, rel, NULL);
  char *parent = g_path_get_dirname (path);
  ck_assert_int_eq (g_mkdir_with_parents (parent, 0777), 0);
  GError *error = NULL;
  ck_assert_msg (g_file_set_contents (path, text, -1, &error), "%s",
                 error ? error->message : "");
  g_free (parent);
  g_free (path);
}

static double
mean_of (const double *v, int n)
{
  double s = 0;
  for (int i = 0; i < n; i++)
    s += v[i];
  return s / n;
}

/* Sample standard deviation (n - 1), 0 for one value. */
static double
std_of (const double *v, int n)
{
  if (n < 2)
    return 0;
  double m = mean_of (v, n), s = 0;
  for (int i = 0; i < n; i++)
    s += (v[i] - m) * (v[i] - m);
  return sqrt (s / (n - 1));
}

/* q-quantile by sorting (a plain reference, independent of the figures'
 * helper). */
static double
quantile_of (const double *v, int n, double q)
{
  double s[64];
  memcpy (s, v, n * sizeof *s);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && s[j - 1] > s[j]; j--)
      {
        double t = s[j];
        s[j] = s[j - 1];
        s[j - 1] = t;
      }
  double pos = q * (n - 1);
  int lo = (int) pos, hi = lo + 1 < n ? lo + 1 : lo;
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

/* Share (0..1) of the images a model still gets right at eps. */
static double
correct_share (int type, double eps, double noise)
{
  double scale = type == 0 ? 0.06 : 0.09 + 0.02 * type;
  return exp (-eps / (scale * (1 + noise)));
}

/* Share of the wrong answers that go to the null class. */
static double
null_share (int type, double eps)
{
  if (type == 0)
    return 0;
  double top = type == 1 ? 0.55 : type == 2 ? 0.8 : 0.9;
  return top * (1 - exp (-eps / 0.05));
}

/* Writes a whole synthetic run into `dir`. */
static void
make_run (const char *dir)
{
  GRand *rng = g_rand_new_with_seed (1234);
  write_file (dir, "config.ini",
              "[study]\ndataset=ramp\ntypes=baseline;u;m;usm\nsets=3\n"
              "seed=0\n");

  /* accuracy and histories */
  GString *acc = g_string_new ("set,model,test_accuracy,null_recognised\n");
  GString *sacc = g_string_new ("model,mean,std,median,n_sets\n");
  double accs[N_TYPES][N_SETS];
  for (guint t = 0; t < N_TYPES; t++)
    {
      for (int s = 0; s < N_SETS; s++)
        {
          accs[t][s] = 0.9915 - 0.0012 * t + g_rand_double_range (rng,
                                                                   -0.002,
                                                                   0.002);
          g_string_append_printf (acc, "%d,%s,%.6f,%.6f\n", s, types[t],
                                  accs[t][s], t == 0 ? 0.0 : 0.999);
          GString *h = g_string_new ("epoch,train_loss,train_accuracy,"
                                     "val_loss,val_accuracy,"
                                     "val_digit_accuracy,seconds,"
                                     "images_per_second\n");
          for (int e = 1; e <= N_EPOCHS; e++)
            {
              double v = accs[t][s] - 0.012 * exp (-(e - 1) / 3.0)
                         + g_rand_double_range (rng, -0.0008, 0.0008);
              g_string_append_printf (h, "%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,"
                                      "%.1f\n", e, 0.2 / e, 0.95 + 0.002 * e,
                                      0.05 + 0.001 * e, v - 0.001, v, 30.0,
                                      2000.0);
            }
          char *rel = g_strdup_printf ("models/set-%02d/%s.history.csv", s,
                                       types[t]);
          write_file (dir, rel, h->str);
          g_free (rel);
          g_string_free (h, TRUE);
        }
      g_string_append_printf (sacc, "%s,%.6f,%.6f,%.6f,%d\n", types[t],
                              mean_of (accs[t], N_SETS),
                              std_of (accs[t], N_SETS),
                              quantile_of (accs[t], N_SETS, 0.5), N_SETS);
    }
  write_file (dir, "results/accuracy.csv", acc->str);
  write_file (dir, "results/summary-accuracy.csv", sacc->str);
  g_string_free (acc, TRUE);
  g_string_free (sacc, TRUE);

  /* thresholds: log-normal around 0.08 (null models attacked directly
   * need larger ones) */
  GString *thr = g_string_new ("protocol,set,bin_lo,bin_hi,count,model\n");
  for (int p = 0; p < 2; p++)
    for (guint t = 0; t < (p == 0 ? 1 : N_TYPES); t++)
      for (int s = 0; s < N_SETS; s++)
        {
          int counts[N_BINS] = { 0 };
          for (int i = 0; i < N_IMAGES; i++)
            {
              double z = sqrt (-2 * log (g_rand_double_range (rng, 1e-12,
                                                              1)))
                         * cos (2 * G_PI * g_rand_double (rng));
              double th = 0.08 * (1 + 0.5 * t) * exp (0.6 * z);
              counts[MIN ((int) (th * N_BINS), N_BINS - 1)]++;
            }
          for (int b = 0; b < N_BINS; b++)
            g_string_append_printf (thr, "%s,%d,%.2f,%.2f,%d,%s\n",
                                    protocols[p], s, b / 20.0,
                                    (b + 1) / 20.0, counts[b], types[t]);
        }
  write_file (dir, "results/summary-thresholds.csv", thr->str);
  g_string_free (thr, TRUE);

  /* scores at threshold: counts per set, then their summary in % */
  GString *sc = g_string_new ("protocol,set,model,n,correct,misclassified,"
                              "unclassified\n");
  GString *ssc = g_string_new ("protocol,model,correct_mean,correct_std,"
                               "misclassified_mean,misclassified_std,"
                               "unclassified_mean,unclassified_std\n");
  for (int p = 0; p < 2; p++)
    for (guint t = 0; t < N_TYPES; t++)
      {
        double v[3][N_SETS];
        for (int s = 0; s < N_SETS; s++)
          {
            int c, m, u;
            if (t == 0)
              {
                /* the baseline at its own thresholds: whitebox fully
                 * misclassified; transfer about 3 % still correct (a
                 * measured value, so a table that printed 0 / 100 / 0
                 * for it without reading it would be caught) */
                c = p == 0 ? 30 + g_rand_int_range (rng, -6, 7) : 0;
                u = 0;
                m = N_IMAGES - c;
              }
            else
              {
                c = p == 0 ? 250 + 40 * (int) t
                             + g_rand_int_range (rng, -30, 30) : 0;
                u = (int) ((N_IMAGES - c) * (0.45 + 0.13 * t
                           + g_rand_double_range (rng, -0.05, 0.05)));
                m = N_IMAGES - c - u;
              }
            g_string_append_printf (sc, "%s,%d,%s,%d,%d,%d,%d\n",
                                    protocols[p], s, types[t], N_IMAGES, c,
                                    m, u);
            v[0][s] = 100.0 * c / N_IMAGES;
            v[1][s] = 100.0 * m / N_IMAGES;
            v[2][s] = 100.0 * u / N_IMAGES;
          }
        g_string_append_printf (ssc, "%s,%s", protocols[p], types[t]);
        for (int k = 0; k < 3; k++)
          {
            expected_scores[p][t][k][0] = mean_of (v[k], N_SETS);
            expected_scores[p][t][k][1] = std_of (v[k], N_SETS);
            g_string_append_printf (ssc, ",%.4f,%.4f",
                                    expected_scores[p][t][k][0],
                                    expected_scores[p][t][k][1]);
          }
        g_string_append_c (ssc, '\n');
      }
  write_file (dir, "results/scores-threshold.csv", sc->str);
  write_file (dir, "results/summary-threshold.csv", ssc->str);
  g_string_free (sc, TRUE);
  g_string_free (ssc, TRUE);

  /* sweep: counts per set and eps, then median and quartiles in % */
  GString *sw = g_string_new ("protocol,set,model,eps,n,correct,"
                              "misclassified,unclassified\n");
  GString *ssw = g_string_new (
      "protocol,model,eps,correct_median,correct_q25,correct_q75,"
      "misclassified_median,misclassified_q25,misclassified_q75,"
      "unclassified_median,unclassified_q25,unclassified_q75\n");
  for (int p = 0; p < 2; p++)
    for (guint t = 0; t < N_TYPES; t++)
      {
        double noise[N_SETS];
        for (int s = 0; s < N_SETS; s++)
          noise[s] = g_rand_double_range (rng, -0.25, 0.25);
        for (int e = 0; e < N_EPS; e++)
          {
            double eps = e * 0.02, v[3][N_SETS];
            for (int s = 0; s < N_SETS; s++)
              {
                double cs = correct_share (t, eps * (p ? 1.3 : 1), noise[s]);
                int c = (int) lround (N_IMAGES * cs);
                int u = (int) lround ((N_IMAGES - c)
                                      * null_share (t, eps) * (1 + noise[s]
                                                               / 3));
                u = MIN (u, N_IMAGES - c);
                int m = N_IMAGES - c - u;
                g_string_append_printf (sw, "%s,%d,%s,%.2f,%d,%d,%d,%d\n",
                                        protocols[p], s, types[t], eps,
                                        N_IMAGES, c, m, u);
                v[0][s] = 100.0 * c / N_IMAGES;
                v[1][s] = 100.0 * m / N_IMAGES;
                v[2][s] = 100.0 * u / N_IMAGES;
              }
            g_string_append_printf (ssw, "%s,%s,%.2f", protocols[p],
                                    types[t], eps);
            for (int k = 0; k < 3; k++)
              g_string_append_printf (ssw, ",%.4f,%.4f,%.4f",
                                      quantile_of (v[k], N_SETS, 0.5),
                                      quantile_of (v[k], N_SETS, 0.25),
                                      quantile_of (v[k], N_SETS, 0.75));
            g_string_append_c (ssw, '\n');
          }
      }
  write_file (dir, "results/sweep.csv", sw->str);
  write_file (dir, "results/summary-sweep.csv", ssw->str);
  g_string_free (sw, TRUE);
  g_string_free (ssw, TRUE);
  g_rand_free (rng);
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR)
      && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      GDir *dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)))
        {
          char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
          g_free (child);
        }
      if (dir)
        g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

/* A fresh run directory (under $NT_KEEP_FIGURES/NAME when set). */
static char *
new_run (const char *name)
{
  const char *keep = g_getenv ("NT_KEEP_FIGURES");
  char *dir;
  if (keep && *keep)
    {
      dir = g_build_filename (keep, name, NULL);
      remove_tree (dir);
      ck_assert_int_eq (g_mkdir_with_parents (dir, 0777), 0);
    }
  else
    {
      GError *error = NULL;
      dir = g_dir_make_tmp ("nt-study-figures-XXXXXX", &error);
      ck_assert_msg (dir != NULL, "%s", error ? error->message : "");
    }
  make_run (dir);
  return dir;
}

static void
done_run (char *dir)
{
  const char *keep = g_getenv ("NT_KEEP_FIGURES");
  if (!(keep && *keep))
    remove_tree (dir);
  g_free (dir);
}

/* Checks that `path` is a PNG and returns its size from the IHDR chunk. */
static void
check_png (const char *path, int *width, int *height)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
                                       0x1a, '\n' };
  char *data = NULL;
  gsize len = 0;
  ck_assert_msg (g_file_get_contents (path, &data, &len, NULL),
                 "%s not written", path);
  ck_assert_msg (len > 33, "%s: only %zu bytes", path, (size_t) len);
  ck_assert_msg (memcmp (data, signature, 8) == 0, "%s: not a PNG", path);
  const guint8 *u = (const guint8 *) data;
  ck_assert_msg (memcmp (data + 12, "IHDR", 4) == 0, "%s: no IHDR", path);
  *width = (u[16] << 24) | (u[17] << 16) | (u[18] << 8) | u[19];
  *height = (u[20] << 24) | (u[21] << 16) | (u[22] << 8) | u[23];
  ck_assert_msg (*width >= 300 && *width <= 4000 && *height >= 300
                 && *height <= 4000, "%s: odd size %dx%d", path, *width,
                 *height);
  g_free (data);
}

static gboolean
has_path (GPtrArray *a, const char *suffix)
{
  for (guint i = 0; i < a->len; i++)
    if (g_str_has_suffix (a->pdata[i], suffix))
      return TRUE;
  return FALSE;
}

static gboolean
has_note (GPtrArray *notes, const char *part1, const char *part2)
{
  for (guint i = 0; i < notes->len; i++)
    if (strstr (notes->pdata[i], part1)
        && (part2 == NULL || strstr (notes->pdata[i], part2)))
      return TRUE;
  return FALSE;
}

static gboolean
exists (const char *dir, const char *rel)
{
  char *path = g_build_filename (dir, rel, NULL);
  gboolean e = g_file_test (path, G_FILE_TEST_EXISTS);
  g_free (path);
  return e;
}

static const char *const all_figures[] = {
  "fig2-accuracy.png", "fig3-history.png", "fig4-thresholds-transfer.png",
  "fig5-scores-transfer.png", "fig6-sweep-transfer.png",
  "fig7-compare-transfer.png", "fig4-thresholds-whitebox.png",
  "fig5-scores-whitebox.png", "fig6-sweep-whitebox.png",
  "fig7-compare-whitebox.png" };

/* Renders `dir` (PNG) with the build tree's registry; returns the result
 * and fills written and notes. */
static gboolean
render (const char *dir, GPtrArray *written, GPtrArray *notes,
        GError **error)
{
  NtRegistry *reg = nt_test_registry ();
  gboolean ok = nt_figures_render_run (reg, dir, "png", written, notes,
                                       error);
  nt_registry_free (reg);
  return ok;
}

START_TEST (test_render_all)
{
  char *dir = new_run ("full");
  GPtrArray *written = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  ck_assert_msg (render (dir, written, notes, &error), "%s",
                 error ? error->message : "");
  for (guint i = 0; i < G_N_ELEMENTS (all_figures); i++)
    {
      char *path = g_build_filename (dir, "figures", all_figures[i], NULL);
      int w, h;
      check_png (path, &w, &h);
      ck_assert_msg (has_path (written, all_figures[i]), "%s not listed",
                     all_figures[i]);
      g_free (path);
    }
  /* 10 figures and 2 tables; no temporary files left beside them */
  ck_assert_uint_eq (written->len, 12);
  char *fig_dir = g_build_filename (dir, "figures", NULL);
  GDir *d = g_dir_open (fig_dir, 0, NULL);
  const char *name;
  int n_files = 0;
  while ((name = g_dir_read_name (d)))
    {
      ck_assert_msg (name[0] != '.', "left over: %s", name);
      n_files++;
    }
  g_dir_close (d);
  ck_assert_int_eq (n_files, (int) G_N_ELEMENTS (all_figures));
  g_free (fig_dir);
  /* ramp samples are 1-D: figure 1 is skipped with a note, only that */
  ck_assert (has_note (notes, "figure 1", "1-D"));
  ck_assert_uint_eq (notes->len, 1);
  ck_assert (!exists (dir, "figures/fig1-null-examples.png"));
  g_ptr_array_unref (written);
  g_ptr_array_unref (notes);
  done_run (dir);
}
END_TEST

/* Reads a whole file (fails the test when it cannot). */
static char *
read_text (const char *path)
{
  char *text = NULL;
  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "%s missing",
                 path);
  return text;
}

/* The markdown row of model type `t` in protocol `p`, from the numbers
 * written into summary-threshold.csv. */
static char *
expected_row (int p, guint t)
{
  return g_strdup_printf ("| %s | %.1f ± %.1f | %.1f ± %.1f | %.1f ± %.1f |",
                          types[t], expected_scores[p][t][0][0],
                          expected_scores[p][t][0][1],
                          expected_scores[p][t][1][0],
                          expected_scores[p][t][1][1],
                          expected_scores[p][t][2][0],
                          expected_scores[p][t][2][1]);
}

/* The markdown tables hold the summary's measured numbers for every model,
 * the baseline included (in the transfer protocol it is about 3 % correct
 * here, not an assumed 0 / 100 / 0), formatted "mean ± std" with one
 * decimal, the baseline first, and no other notes. */
START_TEST (test_tables)
{
  char *dir = new_run ("tables");
  GError *error = NULL;
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  ck_assert_msg (render (dir, NULL, notes, &error), "%s",
                 error ? error->message : "");
  /* the synthetic transfer baseline is measurably off 0 / 100 / 0 */
  ck_assert (expected_scores[0][0][0][0] >= 2.0
             && expected_scores[0][0][0][0] <= 4.0);
  ck_assert (expected_scores[0][0][1][0] <= 98.0);
  for (int p = 0; p < 2; p++)
    {
      char *rel = g_strdup_printf ("results/table-threshold-%s.md",
                                   protocols[p]);
      char *path = g_build_filename (dir, rel, NULL);
      char *text = read_text (path);
      ck_assert (strstr (text, "| model | correct (%) | misclassified (%) "
                               "| unclassified (%) |") != NULL);
      ck_assert (strstr (text, "over 3 sets") != NULL);
      for (guint t = 0; t < N_TYPES; t++)
        {
          char *row = expected_row (p, t);
          ck_assert_msg (strstr (text, row) != NULL, "%s: no row '%s' in\n%s",
                         rel, row, text);
          g_free (row);
        }
      /* one row per model, nothing assumed or footnoted */
      ck_assert_msg (strstr (text, "definition") == NULL
                     && strchr (text, '*') == NULL, "%s", text);
      const char *base = strstr (text, "| baseline |");
      ck_assert (base != NULL && strstr (base + 1, "| baseline |") == NULL);
      /* the baseline first, then the configured order */
      const char *u = strstr (text, "| u |"), *m = strstr (text, "| m |");
      const char *usm = strstr (text, "| usm |");
      ck_assert (base && u && m && usm && base < u && u < m && m < usm);
      g_free (text);
      g_free (path);
      g_free (rel);
    }
  g_ptr_array_unref (notes);
  done_run (dir);
}
END_TEST

/* Replaces the transfer baseline's row of results/summary-threshold.csv
 * with `row` (NULL drops it). */
static void
set_transfer_baseline (const char *dir, const char *row)
{
  char *path = g_build_filename (dir, "results", "summary-threshold.csv",
                                 NULL);
  char *text = read_text (path);
  char **lines = g_strsplit (text, "\n", -1);
  GString *out = g_string_new (NULL);
  gboolean found = FALSE;
  for (guint i = 0; lines[i]; i++)
    {
      if (*lines[i] == '\0')
        continue;
      if (g_str_has_prefix (lines[i], "transfer,baseline,"))
        {
          found = TRUE;
          if (row)
            g_string_append_printf (out, "%s\n", row);
        }
      else
        g_string_append_printf (out, "%s\n", lines[i]);
    }
  ck_assert (found);
  write_file (dir, "results/summary-threshold.csv", out->str);
  g_string_free (out, TRUE);
  g_strfreev (lines);
  g_free (text);
  g_free (path);
}

/* Renders figure 5 (transfer) into FIG.png and its table; returns the
 * PNG's bytes and the table's text. */
static void
render_scores (const char *dir, const char *name, GBytes **png,
               char **table)
{
  char *fig = g_strdup_printf ("%s.png", name);
  char *md = g_strdup_printf ("%s.md", name);
  char *fig_path = g_build_filename (dir, fig, NULL);
  char *md_path = g_build_filename (dir, md, NULL);
  GError *error = NULL;
  ck_assert_msg (nt_fig_scores (dir, "transfer", fig_path, md_path, &error),
                 "%s", error ? error->message : "");
  int w, h;
  check_png (fig_path, &w, &h);
  char *data = NULL;
  gsize len = 0;
  ck_assert (g_file_get_contents (fig_path, &data, &len, NULL));
  *png = g_bytes_new_take (data, len);
  *table = read_text (md_path);
  g_free (md_path);
  g_free (fig_path);
  g_free (md);
  g_free (fig);
}

/* Figure 5 and its table draw the transfer baseline from its measured row,
 * like any other model: other numbers give another figure and table, a
 * missing row gives no baseline (nothing is made up), and the baseline
 * leads even where the configured order puts it last. */
START_TEST (test_scores_baseline_measured)
{
  char *dir = new_run ("baseline");
  GBytes *measured, *again, *other;
  char *t_measured, *t_again, *t_other;
  render_scores (dir, "measured", &measured, &t_measured);
  /* the same input draws the same figure (so a difference below is the
   * baseline's numbers, not noise) */
  render_scores (dir, "again", &again, &t_again);
  ck_assert (g_bytes_equal (measured, again));
  ck_assert_str_eq (t_measured, t_again);
  char *row = expected_row (0, 0);
  ck_assert_msg (strstr (t_measured, row) != NULL, "no '%s' in\n%s", row,
                 t_measured);
  g_free (row);

  /* another measured baseline: the table shows it and the figure changes
   * (the bars and the numbers under them follow the file) */
  set_transfer_baseline (dir, "transfer,baseline,12.5,2.5,80.0,4.0,7.5,1.5");
  render_scores (dir, "other", &other, &t_other);
  ck_assert_msg (strstr (t_other, "| baseline | 12.5 ± 2.5 | 80.0 ± 4.0 | "
                                  "7.5 ± 1.5 |") != NULL, "%s", t_other);
  ck_assert (!g_bytes_equal (measured, other));
  /* the other models are untouched */
  for (guint t = 1; t < N_TYPES; t++)
    {
      char *r = expected_row (0, t);
      ck_assert (strstr (t_other, r) != NULL);
      g_free (r);
    }
  g_bytes_unref (other);
  g_free (t_other);

  /* the baseline last in the configured types: still the first row */
  write_file (dir, "config.ini",
              "[study]\ndataset=ramp\ntypes=usm;m;u;baseline\nsets=3\n");
  render_scores (dir, "order", &other, &t_other);
  const char *base = strstr (t_other, "| baseline |");
  const char *usm = strstr (t_other, "| usm |");
  const char *m = strstr (t_other, "| m |"), *u = strstr (t_other, "| u |");
  ck_assert_msg (base && usm && m && u && base < usm && usm < m && m < u,
                 "%s", t_other);
  g_bytes_unref (other);
  g_free (t_other);

  /* no measured row: no baseline in the table, none made up */
  set_transfer_baseline (dir, NULL);
  render_scores (dir, "none", &other, &t_other);
  ck_assert_msg (strstr (t_other, "baseline") == NULL, "%s", t_other);
  ck_assert (strstr (t_other, "| usm |") != NULL);
  ck_assert (!g_bytes_equal (measured, other));
  g_bytes_unref (other);
  g_free (t_other);

  g_bytes_unref (measured);
  g_bytes_unref (again);
  g_free (t_measured);
  g_free (t_again);
  done_run (dir);
}
END_TEST

/* Missing result files give notes; the other figures are still drawn. */
START_TEST (test_missing_files)
{
  char *dir = new_run ("missing");
  char *sweep = g_build_filename (dir, "results", "summary-sweep.csv", NULL);
  char *hist = g_build_filename (dir, "models", "set-01", "m.history.csv",
                                 NULL);
  ck_assert_int_eq (g_unlink (sweep), 0);
  ck_assert_int_eq (g_unlink (hist), 0);   /* one history: still drawn */
  GPtrArray *written = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  ck_assert_msg (render (dir, written, notes, &error), "%s",
                 error ? error->message : "");
  ck_assert (has_note (notes, "figure 6 (sweep, transfer)",
                       "summary-sweep.csv"));
  ck_assert (has_note (notes, "figure 7 (comparison, whitebox)",
                       "summary-sweep.csv"));
  ck_assert (!exists (dir, "figures/fig6-sweep-transfer.png"));
  ck_assert (!exists (dir, "figures/fig7-compare-whitebox.png"));
  ck_assert (exists (dir, "figures/fig3-history.png"));
  ck_assert (exists (dir, "figures/fig5-scores-whitebox.png"));
  ck_assert_uint_eq (written->len, 8);   /* 6 figures, 2 tables */
  g_ptr_array_unref (written);
  g_ptr_array_unref (notes);

  /* nothing but the config: every figure is a note, nothing fails */
  remove_tree (dir);
  ck_assert_int_eq (g_mkdir_with_parents (dir, 0777), 0);
  write_file (dir, "config.ini", "[study]\ndataset=ramp\n");
  written = g_ptr_array_new_with_free_func (g_free);
  notes = g_ptr_array_new_with_free_func (g_free);
  ck_assert_msg (render (dir, written, notes, &error), "%s",
                 error ? error->message : "");
  ck_assert_uint_eq (written->len, 0);
  ck_assert (has_note (notes, "figure 2", "summary-accuracy.csv"));
  ck_assert (has_note (notes, "figure 3", "history"));
  ck_assert (has_note (notes, "figures 4 to 7", NULL));
  g_ptr_array_unref (written);
  g_ptr_array_unref (notes);
  g_free (sweep);
  g_free (hist);
  done_run (dir);
}
END_TEST

/* A file lacking a column is an error naming it, after every other figure
 * was drawn; a bad format or run directory fails at once. */
START_TEST (test_errors)
{
  char *dir = new_run ("errors");
  write_file (dir, "results/summary-accuracy.csv",
              "model,mean,median,n_sets\nbaseline,0.99,0.99,3\n");
  GPtrArray *written = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  ck_assert (!render (dir, written, NULL, &error));
  ck_assert (error != NULL);
  ck_assert_msg (strstr (error->message, "summary-accuracy.csv")
                 && strstr (error->message, "'std'"), "%s", error->message);
  g_clear_error (&error);
  ck_assert_uint_eq (written->len, 11);   /* all but figure 2 */
  ck_assert (!exists (dir, "figures/fig2-accuracy.png"));
  g_ptr_array_unref (written);

  NtRegistry *reg = nt_test_registry ();
  ck_assert (!nt_figures_render_run (reg, dir, "gif", NULL, NULL, &error));
  ck_assert (strstr (error->message, "gif") != NULL);
  g_clear_error (&error);
  char *nowhere = g_build_filename (dir, "no-such-run", NULL);
  ck_assert (!nt_figures_render_run (reg, nowhere, "png", NULL, NULL,
                                     &error));
  ck_assert (strstr (error->message, "no-such-run") != NULL);
  g_clear_error (&error);
  g_free (nowhere);
  nt_registry_free (reg);
  done_run (dir);
}
END_TEST

/* SVG and PDF come from the file name's extension. */
START_TEST (test_vector_formats)
{
  char *dir = new_run ("vector");
  GError *error = NULL;
  char *svg = g_build_filename (dir, "sweep.svg", NULL);
  char *pdf = g_build_filename (dir, "scores.pdf", NULL);
  ck_assert_msg (nt_fig_sweep (dir, "transfer", svg, &error), "%s",
                 error ? error->message : "");
  ck_assert_msg (nt_fig_scores (dir, "whitebox", pdf, NULL, &error), "%s",
                 error ? error->message : "");
  char *text = NULL;
  gsize len;
  ck_assert (g_file_get_contents (svg, &text, &len, NULL));
  ck_assert (strstr (text, "<svg") != NULL);
  g_free (text);
  ck_assert (g_file_get_contents (pdf, &text, &len, NULL));
  ck_assert (len > 4 && memcmp (text, "%PDF", 4) == 0);
  g_free (text);
  /* no table was asked for */
  ck_assert (!exists (dir, "results/table-threshold-whitebox.md"));
  /* a protocol without rows is "missing" */
  ck_assert (!nt_fig_sweep (dir, "gray-box", svg, &error));
  ck_assert (g_error_matches (error, NT_FIG_STUDY_ERROR,
                              NT_FIG_STUDY_ERROR_MISSING));
  g_clear_error (&error);
  g_free (svg);
  g_free (pdf);
  done_run (dir);
}
END_TEST

/* Figure 1 when the run's dataset has images (real MNIST only). */
START_TEST (test_null_examples)
{
  char *mnist = nt_test_mnist_dir ();
  if (mnist == NULL)
    {
      fprintf (stderr, "test_null_examples: no MNIST files, skipped\n");
      return;
    }
  char *dir = new_run ("mnist");
  char *config = g_strdup_printf ("[study]\ndataset=mnist:dir=%s\n", mnist);
  write_file (dir, "config.ini", config);
  GPtrArray *written = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  ck_assert_msg (render (dir, written, NULL, &error), "%s",
                 error ? error->message : "");
  char *path = g_build_filename (dir, "figures", "fig1-null-examples.png",
                                 NULL);
  int w, h;
  check_png (path, &w, &h);
  ck_assert (has_path (written, "fig1-null-examples.png"));
  g_free (path);
  g_free (config);
  g_free (mnist);
  g_ptr_array_unref (written);
  done_run (dir);
}
END_TEST

/* The helpers against hand-computed values. */
START_TEST (test_helpers)
{
  double v[5] = { 3, 1, NAN, 2, 4 };
  ck_assert_double_eq_tol (_nt_study_quantile (v, 5, 0.5), 2.5, 1e-12);
  ck_assert_double_eq_tol (_nt_study_quantile (v, 5, 0.25), 1.75, 1e-12);
  ck_assert_double_eq_tol (_nt_study_quantile (v, 5, 0.0), 1, 1e-12);
  ck_assert_double_eq_tol (_nt_study_quantile (v, 5, 1.0), 4, 1e-12);
  ck_assert_double_eq_tol (_nt_study_quantile (v, 1, 0.75), 3, 1e-12);
  ck_assert (isnan (_nt_study_quantile (v + 2, 1, 0.5)));
  double lo, hi;
  ck_assert (_nt_study_min_max (v, 5, &lo, &hi));
  ck_assert (lo == 1 && hi == 4);

  _nt_study_accuracy_range (0.9931, &lo, &hi);
  ck_assert (lo == 0.98 && hi == 1.0);
  _nt_study_accuracy_range (0.98, &lo, &hi);
  ck_assert_double_eq_tol (lo, 0.98, 1e-12);
  _nt_study_accuracy_range (0.9734, &lo, &hi);
  ck_assert_double_eq_tol (lo, 0.97, 1e-12);
  _nt_study_accuracy_range (0.97, &lo, &hi);
  ck_assert_double_eq_tol (lo, 0.97, 1e-12);
  _nt_study_accuracy_range (0.4, &lo, &hi);
  ck_assert_double_eq_tol (lo, 0.4, 1e-12);
  _nt_study_accuracy_range (-0.2, &lo, &hi);
  ck_assert_double_eq_tol (lo, 0.0, 1e-12);

  /* model order: configured types first, then the study's, then others */
  char *dir = g_dir_make_tmp ("nt-study-order-XXXXXX", NULL);
  write_file (dir, "config.ini", "[study]\ntypes=usm,u;baseline\n");
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *in[] = { "zz", "m", "baseline", "u", "usm", "s", "aa" };
  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    g_ptr_array_add (names, g_strdup (in[i]));
  _nt_study_sort_models (dir, names);
  const char *want[] = { "usm", "u", "baseline", "s", "m", "zz", "aa" };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    ck_assert_str_eq (names->pdata[i], want[i]);
  g_ptr_array_unref (names);
  remove_tree (dir);
  g_free (dir);

  guint rows, cols;
  _nt_study_grid (8, 4, &rows, &cols);
  ck_assert (rows == 2 && cols == 4);
  _nt_study_grid (3, 4, &rows, &cols);
  ck_assert (rows == 1 && cols == 3);
  _nt_study_grid (5, 4, &rows, &cols);
  ck_assert (rows == 2 && cols == 4);
}
END_TEST

/* ---- probes of issue 13 ------------------------------------------------ */

/* In the first line of RUN/rel that starts with `prefix`, sets field
 * `field` (0 is the first) to `value`. */
static void
edit_field (const char *dir, const char *rel, const char *prefix, int field,
            const char *value)
{
  char *path = g_build_filename (dir, rel, NULL);
  char *text = read_text (path);
  char **lines = g_strsplit (text, "\n", -1);
  gboolean done = FALSE;
  for (guint i = 0; lines[i] && !done; i++)
    if (g_str_has_prefix (lines[i], prefix))
      {
        char **fields = g_strsplit (lines[i], ",", -1);
        ck_assert ((guint) field < g_strv_length (fields));
        g_free (fields[field]);
        fields[field] = g_strdup (value);
        g_free (lines[i]);
        lines[i] = g_strjoinv (",", fields);
        g_strfreev (fields);
        done = TRUE;
      }
  ck_assert_msg (done, "%s: no line starting with %s", rel, prefix);
  char *out = g_strjoinv ("\n", lines);
  write_file (dir, rel, out);
  g_free (out);
  g_strfreev (lines);
  g_free (text);
  g_free (path);
}

/* Names of the files in RUN/figures that start with a dot. */
static int
count_hidden (const char *dir)
{
  char *fig_dir = g_build_filename (dir, "figures", NULL);
  GDir *d = g_dir_open (fig_dir, 0, NULL);
  const char *name;
  int n = 0;
  while (d && (name = g_dir_read_name (d)))
    n += name[0] == '.';
  if (d)
    g_dir_close (d);
  g_free (fig_dir);
  return n;
}

/* One value out of range (eps 100000) used to make PLplot end the process
 * ("pldtik: magnitude of specified tick spacing is much too small") in
 * the middle of `nulltool plot`, leaving a temporary file and no later
 * figures. Now the figures that read it fail with an error naming the
 * figure and the value, and every other figure is drawn. */
START_TEST (test_out_of_range_value)
{
  char *dir = new_run ("out-of-range");
  edit_field (dir, "results/summary-sweep.csv", "transfer,baseline,0.02,",
              2, "100000");
  GPtrArray *written = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  ck_assert (!render (dir, written, notes, &error));
  ck_assert (g_error_matches (error, NT_FIG_STUDY_ERROR,
                              NT_FIG_STUDY_ERROR_INVALID));
  ck_assert_msg (strstr (error->message, "figure 6 (sweep, transfer)")
                 && strstr (error->message, "summary-sweep.csv")
                 && strstr (error->message, "eps = 100000"),
                 "%s", error->message);
  g_clear_error (&error);
  ck_assert (has_note (notes, "figure 7 (comparison, transfer)", "100000"));
  /* everything else: 8 figures and 2 tables */
  ck_assert_uint_eq (written->len, 10);
  ck_assert (exists (dir, "figures/fig6-sweep-whitebox.png"));
  ck_assert (exists (dir, "figures/fig7-compare-whitebox.png"));
  ck_assert (!exists (dir, "figures/fig6-sweep-transfer.png"));
  ck_assert_int_eq (count_hidden (dir), 0);
  g_ptr_array_unref (written);
  g_ptr_array_unref (notes);

  /* a share out of [0, 100] likewise; a share that is not a number is a
   * gap, drawn around */
  remove_tree (dir);
  g_free (dir);
  dir = new_run ("out-of-range");
  edit_field (dir, "results/summary-sweep.csv", "whitebox,u,0.10,", 3,
              "1e300");
  ck_assert (!nt_fig_sweep (dir, "whitebox", "/nonexistent/x.png", &error));
  ck_assert_msg (strstr (error->message, "correct_median = 1e300"),
                 "%s", error->message);
  g_clear_error (&error);
  edit_field (dir, "results/summary-sweep.csv", "whitebox,u,0.10,", 3,
              "inf");
  edit_field (dir, "results/summary-sweep.csv", "whitebox,m,0.20,", 6,
              "nan");
  edit_field (dir, "results/summary-sweep.csv", "whitebox,m,0.30,", 6,
              "");
  char *path = g_build_filename (dir, "gap.png", NULL);
  ck_assert_msg (nt_fig_sweep (dir, "whitebox", path, &error), "%s",
                 error ? error->message : "");
  int w, h;
  check_png (path, &w, &h);
  g_free (path);
  done_run (dir);
}
END_TEST

/* A plot killed midway left figures/.figN-....png.XXXXXX behind, and the
 * rerun kept it. The rerun removes such files (and says so), but not one a
 * live render holds, nor anything named otherwise. */
START_TEST (test_stale_temporaries)
{
  char *dir = new_run ("stale");
  write_file (dir, "figures/.fig6-sweep-transfer.png.Ab12Cd", "partial");
  write_file (dir, "figures/.fig2-accuracy.svg.x0X0x0", "partial");
  write_file (dir, "figures/.notes.txt.Ab12Cd", "not a figure");
  write_file (dir, "figures/.fig3-history.png.part", "not ours");
  char *live = g_build_filename (dir, "figures", ".fig5-scores.png.L1ve00",
                                 NULL);
  int fd = g_open (live, O_RDWR | O_CREAT, 0644);
  ck_assert (fd >= 0 && flock (fd, LOCK_EX) == 0);
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  ck_assert_msg (render (dir, NULL, notes, &error), "%s",
                 error ? error->message : "");
  ck_assert (!exists (dir, "figures/.fig6-sweep-transfer.png.Ab12Cd"));
  ck_assert (!exists (dir, "figures/.fig2-accuracy.svg.x0X0x0"));
  ck_assert (has_note (notes, "removed", ".fig6-sweep-transfer.png.Ab12Cd"));
  ck_assert (has_note (notes, "interrupted", ".fig2-accuracy.svg.x0X0x0"));
  ck_assert (exists (dir, "figures/.notes.txt.Ab12Cd"));
  ck_assert (exists (dir, "figures/.fig3-history.png.part"));
  ck_assert (g_file_test (live, G_FILE_TEST_EXISTS));
  ck_assert_int_eq (count_hidden (dir), 3);
  close (fd);
  g_ptr_array_unref (notes);
  g_free (live);
  done_run (dir);
}
END_TEST

/* ---- SVG: what a figure draws ------------------------------------------- */

/* A shape or a text of an SVG written by PLplot's svg driver. Coordinates
 * are PLplot's page coordinates in pixels, y upwards. */
typedef struct {
  gboolean is_text;
  guint32 stroke, fill;       /* 0xRRGGBB; NO_COLOR when none */
  double fill_opacity;
  GArray *points;             /* double pairs */
  double x0, x1, y0, y1;      /* bounding box (text: its anchor) */
  char *anchor, *text;
} SvgItem;

#define NO_COLOR 0xffffffffu

static void
svg_item_free (gpointer p)
{
  SvgItem *it = p;
  if (it->points)
    g_array_unref (it->points);
  g_free (it->anchor);
  g_free (it->text);
  g_free (it);
}

/* The value of attribute `name` in [start, end), or NULL. */
static char *
svg_attr (const char *start, const char *end, const char *name)
{
  char *key = g_strdup_printf (" %s=\"", name);
  char *elem = g_strndup (start, end - start);
  char *at = strstr (elem, key), *value = NULL;
  if (at)
    {
      at += strlen (key);
      value = g_strndup (at, strcspn (at, "\""));
    }
  g_free (elem);
  g_free (key);
  return value;
}

static guint32
svg_color (const char *start, const char *end, const char *name)
{
  char *v = svg_attr (start, end, name);
  guint32 c = v && v[0] == '#' ? (guint32) strtoul (v + 1, NULL, 16)
                               : NO_COLOR;
  g_free (v);
  return c;
}

/* Text content: tags dropped, character references decoded. */
static char *
svg_text (const char *start, const char *end)
{
  GString *out = g_string_new (NULL);
  for (const char *p = start; p < end;)
    {
      if (*p == '<')
        {
          p = strchr (p, '>') + 1;
          continue;
        }
      if (g_str_has_prefix (p, "&#x"))
        {
          char *semi;
          gunichar c = (gunichar) strtoul (p + 3, &semi, 16);
          g_string_append_unichar (out, c);
          p = semi + 1;
          continue;
        }
      static const char *const ents[][2] = { { "&amp;", "&" },
                                             { "&lt;", "<" },
                                             { "&gt;", ">" },
                                             { "&quot;", "\"" } };
      gboolean done = FALSE;
      for (guint e = 0; e < G_N_ELEMENTS (ents) && !done; e++)
        if (g_str_has_prefix (p, ents[e][0]))
          {
            g_string_append (out, ents[e][1]);
            p += strlen (ents[e][0]);
            done = TRUE;
          }
      if (!done)
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

/* Reads the polylines and texts of an SVG file, in drawing order. */
static GPtrArray *
svg_read (const char *path)
{
  char *data = read_text (path);
  ck_assert_msg (strstr (data, "<svg") != NULL, "%s: not an SVG", path);
  GPtrArray *items = g_ptr_array_new_with_free_func (svg_item_free);
  const char *p = data;
  while ((p = strchr (p, '<')) != NULL)
    {
      gboolean poly = g_str_has_prefix (p, "<polyline");
      gboolean text = g_str_has_prefix (p, "<text");
      if (!poly && !text)
        {
          p++;
          continue;
        }
      const char *tag_end = poly ? strstr (p, "/>") : strchr (p, '>');
      ck_assert (tag_end != NULL);
      SvgItem *it = g_new0 (SvgItem, 1);
      it->is_text = text;
      it->stroke = svg_color (p, tag_end, "stroke");
      it->fill = svg_color (p, tag_end, "fill");
      char *op = svg_attr (p, tag_end, "fill-opacity");
      it->fill_opacity = op ? g_ascii_strtod (op, NULL) : 1;
      g_free (op);
      if (poly)
        {
          char *pts = svg_attr (p, tag_end, "points");
          it->points = g_array_new (FALSE, FALSE, sizeof (double));
          it->x0 = it->y0 = G_MAXDOUBLE;
          it->x1 = it->y1 = -G_MAXDOUBLE;
          char *q = pts;
          double x, y;
          int used;
          while (q && sscanf (q, " %lf,%lf%n", &x, &y, &used) == 2)
            {
              g_array_append_val (it->points, x);
              g_array_append_val (it->points, y);
              it->x0 = MIN (it->x0, x);
              it->x1 = MAX (it->x1, x);
              it->y0 = MIN (it->y0, y);
              it->y1 = MAX (it->y1, y);
              q += used;
            }
          g_free (pts);
          p = tag_end + 2;
        }
      else
        {
          char *tr = svg_attr (p, tag_end, "transform");
          double m[6] = { 0 };
          ck_assert (tr && sscanf (tr, "matrix(%lf %lf %lf %lf %lf %lf)",
                                   &m[0], &m[1], &m[2], &m[3], &m[4],
                                   &m[5]) == 6);
          g_free (tr);
          it->x0 = it->x1 = m[4];
          it->y0 = it->y1 = m[5];
          it->anchor = svg_attr (p, tag_end, "text-anchor");
          const char *close = strstr (tag_end, "</text>");
          ck_assert (close != NULL);
          it->text = svg_text (tag_end + 1, close);
          p = close + 7;
        }
      g_ptr_array_add (items, it);
    }
  g_free (data);
  return items;
}

/* The first text containing `part`, or NULL. */
static const SvgItem *
svg_find_text (GPtrArray *items, const char *part)
{
  for (guint i = 0; i < items->len; i++)
    {
      const SvgItem *it = items->pdata[i];
      if (it->is_text && strstr (it->text, part))
        return it;
    }
  return NULL;
}

/* A filled circle drawn as a polygon (a marker): many points, small. */
static gboolean
svg_is_marker (const SvgItem *it)
{
  return !it->is_text && it->fill != NO_COLOR && it->points->len >= 2 * 16
         && it->x1 - it->x0 < 20 && it->y1 - it->y0 < 20;
}

static guint
svg_count_markers (GPtrArray *items)
{
  guint n = 0;
  for (guint i = 0; i < items->len; i++)
    n += svg_is_marker (items->pdata[i]);
  return n;
}

/* Renders one figure of `dir` as SVG with `render_fn` and reads it. */
static GPtrArray *
svg_of (const char *dir, const char *name,
        gboolean (*render_fn) (const char *, const char *, const char *,
                               GError **),
        const char *protocol)
{
  char *path = g_build_filename (dir, name, NULL);
  GError *error = NULL;
  ck_assert_msg (render_fn (dir, protocol, path, &error), "%s: %s", name,
                 error ? error->message : "");
  GPtrArray *items = svg_read (path);
  g_free (path);
  return items;
}

/* Adapters to one signature. */
static gboolean
render_accuracy (const char *dir, const char *protocol, const char *path,
                 GError **error)
{
  return nt_fig_accuracy (dir, path, error);
}

static gboolean
render_history (const char *dir, const char *protocol, const char *path,
                GError **error)
{
  return nt_fig_history (dir, path, error);
}

/* Figure 2 draws points with error bars, not bars from an axis that
 * starts at 0.97 (a 0.6-point difference looked like a factor of two), and
 * says what its marks mean. */
START_TEST (test_accuracy_points)
{
  char *dir = new_run ("accuracy-points");
  GPtrArray *svg = svg_of (dir, "fig2.svg", render_accuracy, NULL);
  for (guint i = 0; i < svg->len; i++)
    {
      const SvgItem *it = svg->pdata[i];
      if (it->is_text || it->fill == NO_COLOR || it->fill == 0xffffff)
        continue;
      ck_assert_msg (it->y1 - it->y0 < 20 && it->x1 - it->x0 < 20,
                     "a filled shape of %.0fx%.0f pixels (a bar?)",
                     it->x1 - it->x0, it->y1 - it->y0);
    }
  /* one marker per model type (and one in the key) */
  ck_assert_uint_eq (svg_count_markers (svg), N_TYPES + 1);
  ck_assert (svg_find_text (svg, "mean") && svg_find_text (svg, "std"));
  ck_assert (svg_find_text (svg, "one set") != NULL);
  ck_assert (svg_find_text (svg, "does not start at 0") != NULL);
  g_ptr_array_unref (svg);
  done_run (dir);
}
END_TEST

/* Keeps the first n epochs of every training history of `dir`. */
static void
truncate_histories (const char *dir, int n)
{
  for (int s = 0; s < N_SETS; s++)
    for (guint t = 0; t < N_TYPES; t++)
      {
        char *rel = g_strdup_printf ("models/set-%02d/%s.history.csv", s,
                                     types[t]);
        char *path = g_build_filename (dir, rel, NULL);
        char *text = read_text (path);
        char **lines = g_strsplit (text, "\n", -1);
        GString *out = g_string_new (NULL);
        for (int i = 0; i <= n && lines[i]; i++)
          g_string_append_printf (out, "%s\n", lines[i]);
        write_file (dir, rel, out->str);
        g_string_free (out, TRUE);
        g_strfreev (lines);
        g_free (text);
        g_free (path);
        g_free (rel);
      }
}

/* Figure 3 with few epochs: a marker at every epoch of every curve, and
 * whole-epoch ticks (one epoch used to be a lone dot per panel on ticks
 * 0.6, 0.8, ...). */
START_TEST (test_history_few_epochs)
{
  char *dir = new_run ("history-epochs");
  static const int epochs[] = { 3, 1 };   /* truncated in turn */
  for (guint e = 0; e < G_N_ELEMENTS (epochs); e++)
    {
      truncate_histories (dir, epochs[e]);
      GPtrArray *svg = svg_of (dir, "fig3.svg", render_history, NULL);
      ck_assert_uint_eq (svg_count_markers (svg),
                         N_TYPES * N_SETS * epochs[e]);
      guint n_ticks = 0;
      for (guint i = 0; i < svg->len; i++)
        {
          const SvgItem *it = svg->pdata[i];
          char *end;
          /* the x axes' numbers are centred under their ticks (the y
           * axis' are right-aligned) */
          if (!it->is_text || g_strcmp0 (it->anchor, "middle") != 0)
            continue;
          double v = g_ascii_strtod (it->text, &end);
          if (end == it->text || *end != '\0')
            continue;
          n_ticks++;
          ck_assert_msg (strchr (it->text, '.') == NULL && v >= 1
                         && v <= epochs[e],
                         "%d epochs: tick label '%s'", epochs[e], it->text);
        }
      ck_assert_uint_eq (n_ticks, N_TYPES * epochs[e]);
      g_ptr_array_unref (svg);
    }
  done_run (dir);
}
END_TEST

/* Figure 4's legend swatch of the min-max band is the colour the band is
 * drawn in: both opaque (a half transparent band looked darker over the
 * histogram's bars than its swatch on white). */
START_TEST (test_threshold_band_swatch)
{
  char *dir = new_run ("band-swatch");
  GPtrArray *svg = svg_of (dir, "fig4.svg", nt_fig_thresholds, "transfer");
  const SvgItem *label = svg_find_text (svg, "min-max over sets");
  ck_assert (label != NULL);
  /* the swatch: the nearest filled shape left of the label, on its line */
  const SvgItem *swatch = NULL;
  for (guint i = 0; i < svg->len; i++)
    {
      const SvgItem *it = svg->pdata[i];
      if (it->is_text || it->fill == NO_COLOR || it->x1 > label->x0
          || it->y0 > label->y0 + 12 || it->y1 < label->y0 - 12
          || it->x1 - it->x0 > 100)
        continue;
      if (swatch == NULL || it->x1 > swatch->x1)
        swatch = it;
    }
  ck_assert (swatch != NULL);
  ck_assert_double_eq_tol (swatch->fill_opacity, 1.0, 1e-9);
  guint band = 0;
  for (guint i = 0; i < svg->len; i++)
    {
      const SvgItem *it = svg->pdata[i];
      if (it == swatch || it->is_text || it->fill != swatch->fill)
        continue;
      ck_assert_double_eq_tol (it->fill_opacity, 1.0, 1e-9);
      band += it->y0 > label->y0 + 40;   /* in the panels */
    }
  ck_assert_msg (band > 0, "no band drawn in the swatch's colour %06x",
                 swatch->fill);
  g_ptr_array_unref (svg);
  done_run (dir);
}
END_TEST

/* Every curve of `svg` with more than 2 points (legend lines have 2) in
 * one of the score colours lies inside the frame (the black lines), at
 * least 2 pixels off it: a curve at 0 % or 100 % used to run under it. */
static void
check_curves_inside (GPtrArray *svg, const char *what)
{
  double top = -G_MAXDOUBLE, bottom = G_MAXDOUBLE;
  for (guint i = 0; i < svg->len; i++)
    {
      const SvgItem *it = svg->pdata[i];
      if (!it->is_text && it->stroke == 0 && it->fill == NO_COLOR)
        {
          top = MAX (top, it->y1);
          bottom = MIN (bottom, it->y0);
        }
    }
  ck_assert (top > bottom);
  static const NtColor scores[3] = { NT_COLOR_CORRECT, NT_COLOR_MISCLASSIFIED,
                                     NT_COLOR_UNCLASSIFIED };
  guint n_curves = 0;
  for (int s = 0; s < 3; s++)
    {
      NtRgb rgb = nt_figure_rgb (scores[s]);
      guint32 c = (guint32) lround (rgb.r * 255) << 16
                  | (guint32) lround (rgb.g * 255) << 8
                  | (guint32) lround (rgb.b * 255);
      for (guint i = 0; i < svg->len; i++)
        {
          const SvgItem *it = svg->pdata[i];
          if (it->is_text || it->stroke != c || it->fill != NO_COLOR
              || it->points->len <= 4)
            continue;
          n_curves++;
          ck_assert_msg (it->y1 < top - 2 && it->y0 > bottom + 2,
                         "%s: a curve (%.1f to %.1f) on the frame (%.1f to "
                         "%.1f)", what, it->y0, it->y1, bottom, top);
        }
    }
  ck_assert (n_curves > 0);
}

/* Figures 6 and 7 pad their axes: the synthetic curves reach 0 % and
 * 100 %. */
START_TEST (test_sweep_padding)
{
  char *dir = new_run ("padding");
  GPtrArray *svg = svg_of (dir, "fig6.svg", nt_fig_sweep, "transfer");
  check_curves_inside (svg, "figure 6");
  g_ptr_array_unref (svg);
  svg = svg_of (dir, "fig7.svg", nt_fig_compare, "whitebox");
  check_curves_inside (svg, "figure 7");
  g_ptr_array_unref (svg);
  done_run (dir);
}
END_TEST

/* Figure 7 says which null models it shows, and why the others (u, usm
 * here) are not there. */
START_TEST (test_compare_says_which)
{
  char *dir = new_run ("compare-which");
  GPtrArray *svg = svg_of (dir, "fig7.svg", nt_fig_compare, "transfer");
  ck_assert (svg_find_text (svg, "The m model against the baseline"));
  const SvgItem *why = svg_find_text (svg, "Shown: m");
  ck_assert (why != NULL);
  ck_assert_msg (strstr (why->text, "m, s and sm")
                 && strstr (why->text, "Not shown: u and usm")
                 && strstr (why->text, "figure 6"), "%s", why->text);
  g_ptr_array_unref (svg);
  done_run (dir);
}
END_TEST

/* TRUE when colour c is within 40 per channel of a score colour. */
static gboolean
near_score_color (guint32 c)
{
  static const NtColor scores[3] = { NT_COLOR_CORRECT, NT_COLOR_MISCLASSIFIED,
                                     NT_COLOR_UNCLASSIFIED };
  for (int s = 0; s < 3; s++)
    {
      NtRgb rgb = nt_figure_rgb (scores[s]);
      int d[3] = { (int) ((c >> 16) & 0xff) - (int) lround (rgb.r * 255),
                   (int) ((c >> 8) & 0xff) - (int) lround (rgb.g * 255),
                   (int) (c & 0xff) - (int) lround (rgb.b * 255) };
      if (abs (d[0]) <= 40 && abs (d[1]) <= 40 && abs (d[2]) <= 40)
        return TRUE;
    }
  return FALSE;
}

/* Model types (figures 2 and 4) and sets (figure 3) are not drawn in the
 * colours that mean correct, misclassified and unclassified. */
START_TEST (test_model_palette)
{
  char *dir = new_run ("palette");
  GPtrArray *figs[3] = {
    svg_of (dir, "fig2.svg", render_accuracy, NULL),
    svg_of (dir, "fig3.svg", render_history, NULL),
    svg_of (dir, "fig4.svg", nt_fig_thresholds, "whitebox") };
  for (int f = 0; f < 3; f++)
    {
      guint colored = 0;
      for (guint i = 0; i < figs[f]->len; i++)
        {
          const SvgItem *it = figs[f]->pdata[i];
          guint32 c[2] = { it->stroke, it->fill };
          for (int k = 0; k < 2; k++)
            {
              if (c[k] == NO_COLOR)
                continue;
              guint8 r = c[k] >> 16, g = c[k] >> 8, b = c[k];
              colored += !(r == g && g == b);
              ck_assert_msg (!near_score_color (c[k]), "figure %d: colour "
                             "%06x is a score colour", f + 2, c[k]);
            }
        }
      ck_assert (colored > 0);
      g_ptr_array_unref (figs[f]);
    }
  done_run (dir);
}
END_TEST

/* Every study figure as SVG keeps its text as text. */
START_TEST (test_svg_text)
{
  char *dir = new_run ("svg-text");
  NtRegistry *reg = nt_test_registry ();
  GPtrArray *written = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  ck_assert_msg (nt_figures_render_run (reg, dir, "svg", written, NULL,
                                        &error), "%s",
                 error ? error->message : "");
  guint n_svg = 0;
  for (guint i = 0; i < written->len; i++)
    {
      const char *path = written->pdata[i];
      if (!g_str_has_suffix (path, ".svg"))
        continue;
      n_svg++;
      GPtrArray *svg = svg_read (path);
      ck_assert_msg (svg_find_text (svg, "null types: u uniform noise")
                     != NULL, "%s: footnote not a text", path);
      g_ptr_array_unref (svg);
    }
  ck_assert_uint_eq (n_svg, 10);
  g_ptr_array_unref (written);
  nt_registry_free (reg);
  done_run (dir);
}
END_TEST

static Suite *
study_figures_suite (void)
{
  Suite *s = suite_create ("study-figures");
  TCase *tc = tcase_create ("render");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_helpers);
  tcase_add_test (tc, test_render_all);
  tcase_add_test (tc, test_tables);
  tcase_add_test (tc, test_scores_baseline_measured);
  tcase_add_test (tc, test_missing_files);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_vector_formats);
  tcase_add_test (tc, test_null_examples);
  tcase_add_test (tc, test_out_of_range_value);
  tcase_add_test (tc, test_stale_temporaries);
  tcase_add_test (tc, test_accuracy_points);
  tcase_add_test (tc, test_history_few_epochs);
  tcase_add_test (tc, test_threshold_band_swatch);
  tcase_add_test (tc, test_sweep_padding);
  tcase_add_test (tc, test_compare_says_which);
  tcase_add_test (tc, test_model_palette);
  tcase_add_test (tc, test_svg_text);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (study_figures_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
