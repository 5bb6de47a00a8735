/* test-figures.c: the PLplot figure module and its figure kinds. Each
 * figure is rendered into a temporary folder and checked to be a PNG (or
 * SVG, PDF) of the requested size whose content is well above a blank
 * render of the same size; errors (unwritable paths, 1-D datasets, bad
 * labels, a second open figure, an error on which PLplot would end the
 * process, a write that fails midway) must come back as GErrors and leave
 * no file, and temporary files of killed renders are removed. The grid
 * predictions are checked against one-sample forwards. */
#include "config.h"
#include "nt-figure.h"
#include "nt-fig-null-examples.h"
#include "nt-fig-ramp.h"
#include "nt-network.h"
#include "nt-model-file.h"
#include "nt-train.h"
#include "nt-test-util.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <glib/gstdio.h>
#include <plplot.h>

/* ---- a small generated image dataset, registered without a plugin ---- */

#define SQ_SIDE 14
#define SQ_CLASSES 4

/* Sample i: a bright 4x4 square whose position depends on the label
 * (i % SQ_CLASSES), on a dim background that varies with i. */
static void
squares_get (NtDataset *ds, NtSplit split, const gsize *indices, gsize n,
             float *images, int *labels)
{
  for (gsize k = 0; k < n; k++)
    {
      gsize i = indices[k] + (split == NT_SPLIT_TEST ? 1000 : 0);
      int label = (int) (i % SQ_CLASSES);
      float *img = images + k * SQ_SIDE * SQ_SIDE;
      int r0 = 2 + 6 * (label / 2), c0 = 2 + 6 * (label % 2);
      for (int r = 0; r < SQ_SIDE; r++)
        for (int c = 0; c < SQ_SIDE; c++)
          {
            gboolean in = r >= r0 && r < r0 + 4 && c >= c0 && c < c0 + 4;
            img[r * SQ_SIDE + c] = in ? 1.0f
                                      : 0.1f * ((r * 7 + c * 3 + i) % 5);
          }
      if (labels)
        labels[k] = label;
    }
}

static void
squares_destroy (NtDataset *ds)
{
  g_free (ds);
}

static NtDataset *
squares_open (const NtOptions *opts, GError **error)
{
  NtDataset *ds = g_new0 (NtDataset, 1);
  ds->channels = 1;
  ds->height = ds->width = SQ_SIDE;
  ds->n_classes = SQ_CLASSES;
  ds->n_train = 40;
  ds->n_test = 8;
  ds->get = squares_get;
  ds->destroy = squares_destroy;
  return ds;
}

static const NtDatasetClass squares_class = {
  .feature = { .kind = NT_KIND_DATASET, .name = "test-squares",
               .description = "generated 14x14 squares (test)" },
  .open = squares_open,
};

/* ---- helpers ---------------------------------------------------------- */

static char *tmpdir;

static void
setup (void)
{
  GError *error = NULL;
  tmpdir = g_dir_make_tmp ("nt-test-figures-XXXXXX", &error);
  ck_assert_msg (tmpdir != NULL, "tmpdir: %s", error ? error->message : "");
}

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        remove_tree (p);
      else
        g_unlink (p);
      g_free (p);
    }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
teardown (void)
{
  remove_tree (tmpdir);
  g_free (tmpdir);
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Number of entries in the temporary folder (to see that failed figures
 * leave nothing, temporary files included). */
static int
count_files (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  int n = 0;
  while (d && g_dir_read_name (d))
    n++;
  if (d)
    g_dir_close (d);
  return n;
}

/* Reads big-endian 32 bits. */
static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8
         | p[3];
}

/* Checks that `path` is a PNG of width x height pixels; returns its size. */
static gsize
check_png (const char *path, guint32 width, guint32 height)
{
  char *data = NULL;
  gsize len = 0;
  GError *error = NULL;
  ck_assert_msg (g_file_get_contents (path, &data, &len, &error),
                 "%s: %s", path, error ? error->message : "");
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
                                 '\n' };
  ck_assert_msg (len > 33, "%s: only %zu bytes", path, len);
  const guint8 *b = (const guint8 *) data;
  ck_assert_msg (memcmp (b, sig, 8) == 0, "%s: not a PNG signature", path);
  ck_assert_uint_eq (be32 (b + 8), 13);
  ck_assert_msg (memcmp (b + 12, "IHDR", 4) == 0, "%s: no IHDR", path);
  ck_assert_msg (be32 (b + 16) == width && be32 (b + 20) == height,
                 "%s: %ux%u pixels, expected %ux%u", path, be32 (b + 16),
                 be32 (b + 20), width, height);
  g_free (data);
  return len;
}

/* The size of a blank figure of width x height, rendered the same way. */
static gsize
blank_size (guint32 width, guint32 height)
{
  char *path = tmp_path ("blank.png");
  GError *error = NULL;
  NtFigure *fig = nt_figure_open (path, width, height, &error);
  ck_assert_msg (fig != NULL, "blank: %s", error ? error->message : "");
  ck_assert (nt_figure_close (fig, &error));
  gsize size = check_png (path, width, height);
  g_unlink (path);
  g_free (path);
  return size;
}

/* A figure with content: a PNG of the size, at least `factor` times the
 * bytes of a blank one. */
static void
check_figure (const char *path, guint32 width, guint32 height, double factor)
{
  gsize size = check_png (path, width, height);
  gsize blank = blank_size (width, height);
  ck_assert_msg (size > factor * blank, "%s: %zu bytes, a blank figure has "
                 "%zu: nothing drawn?", path, size, blank);
}

/* ---- the common module ------------------------------------------------ */

START_TEST (test_device_by_extension)
{
  ck_assert_str_eq (nt_figure_device_for ("a.png"), "pngcairo");
  ck_assert_str_eq (nt_figure_device_for ("a.SVG"), "svg");
  ck_assert_str_eq (nt_figure_device_for ("dir.pdf/a.pdf"), "pdfcairo");
  ck_assert_str_eq (nt_figure_device_for ("noext"), "pngcairo");
}
END_TEST

START_TEST (test_unwritable_path)
{
  GError *error = NULL;
  /* a folder that does not exist */
  char *path = tmp_path ("missing/fig.png");
  ck_assert (nt_figure_open (path, 200, 100, &error) == NULL);
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO));
  ck_assert_msg (strstr (error->message, "missing") != NULL,
                 "message does not name the folder: %s", error->message);
  g_clear_error (&error);
  g_free (path);
  /* a path below a regular file: fails even for root */
  char *file = tmp_path ("plain");
  ck_assert (g_file_set_contents (file, "x", 1, NULL));
  path = g_build_filename (file, "fig.png", NULL);
  ck_assert (!nt_fig_ramp_optimal (path, &error));
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO));
  g_clear_error (&error);
  ck_assert_int_eq (count_files (), 1);
  /* the module is usable after the failure */
  char *good = tmp_path ("after.png");
  ck_assert_msg (nt_fig_ramp_optimal (good, &error), "%s",
                 error ? error->message : "");
  check_png (good, 800, 720);
  g_free (good);
  g_free (path);
  g_free (file);
}
END_TEST

START_TEST (test_one_figure_at_a_time)
{
  GError *error = NULL;
  char *a = tmp_path ("a.png"), *b = tmp_path ("b.png");
  NtFigure *fig = nt_figure_open (a, 300, 200, &error);
  ck_assert (fig != NULL);
  ck_assert (nt_figure_open (b, 300, 200, &error) == NULL);
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_BUSY));
  g_clear_error (&error);
  nt_figure_text (0.5, 0.5, 0.5, 1.0, NT_COLOR_FOREGROUND, "first");
  ck_assert (nt_figure_close (fig, &error));
  /* several figures in one process, one after the other */
  for (int i = 0; i < 3; i++)
    {
      fig = nt_figure_open (b, 320 + i, 200, &error);
      ck_assert_msg (fig != NULL, "%s", error ? error->message : "");
      nt_figure_text (0.5, 0.5, 0.5, 1.0, NT_COLOR_FOREGROUND, "again");
      ck_assert (nt_figure_close (fig, &error));
      check_png (b, 320 + i, 200);
    }
  check_png (a, 300, 200);
  /* a discarded figure leaves no file */
  char *c = tmp_path ("c.png");
  fig = nt_figure_open (c, 300, 200, &error);
  nt_figure_discard (fig);
  ck_assert (!g_file_test (c, G_FILE_TEST_EXISTS));
  ck_assert_int_eq (count_files (), 2);
  /* bad sizes */
  ck_assert (nt_figure_open (c, 5, 200, &error) == NULL);
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR,
                              NT_FIGURE_ERROR_INVALID));
  g_clear_error (&error);
  g_free (a);
  g_free (b);
  g_free (c);
}
END_TEST

START_TEST (test_vector_formats)
{
  GError *error = NULL;
  char *svg = tmp_path ("opt.svg"), *pdf = tmp_path ("opt.pdf");
  ck_assert_msg (nt_fig_ramp_optimal (svg, &error), "%s",
                 error ? error->message : "");
  ck_assert_msg (nt_fig_ramp_optimal (pdf, &error), "%s",
                 error ? error->message : "");
  char *data = NULL;
  gsize len = 0;
  ck_assert (g_file_get_contents (svg, &data, &len, NULL));
  ck_assert_msg (strstr (data, "<svg") != NULL, "no <svg> element");
  g_free (data);
  ck_assert (g_file_get_contents (pdf, &data, &len, NULL));
  ck_assert_msg (len > 1000 && memcmp (data, "%PDF", 4) == 0,
                 "not a PDF (%zu bytes)", len);
  g_free (data);
  g_free (svg);
  g_free (pdf);
}
END_TEST

/* ---- failures PLplot or the disk would hide ---------------------------- */

/* An axis PLplot cannot tick: it ends the process (plexit, "pldtik:
 * magnitude of specified tick spacing is much too small") unless trapped. */
static void
draw_bad_ticks (NtFigure *fig, gpointer data)
{
  int *reached = data;
  plvpor (0.1, 0.9, 0.1, 0.9);
  plwind (0, 100000, 0, 100);
  plbox ("bcnst", 0.2, 0, "bcnst", 20, 0);
  *reached = 1;   /* never: PLplot does not come back from plbox */
}

static void
draw_text (NtFigure *fig, gpointer data)
{
  nt_figure_text (0.5, 0.5, 0.5, 1.0, NT_COLOR_FOREGROUND, data);
}

/* A fatal PLplot error inside a render is a GError naming the figure; the
 * process goes on, nothing is written (an older file at the target stays),
 * and the next figure renders. */
START_TEST (test_plplot_exit_trapped)
{
  GError *error = NULL;
  char *path = tmp_path ("ticks.png");
  ck_assert_msg (nt_figure_render (path, 400, 300, draw_text, "before",
                                   &error), "%s",
                 error ? error->message : "");
  gsize before = check_png (path, 400, 300);
  for (int i = 0; i < 2; i++)
    {
      int reached = 0;
      ck_assert (!nt_figure_render (path, 400, 300, draw_bad_ticks, &reached,
                                    &error));
      ck_assert (g_error_matches (error, NT_FIGURE_ERROR,
                                  NT_FIGURE_ERROR_DRIVER));
      ck_assert_msg (strstr (error->message, path) != NULL
                     && strstr (error->message, "pldtik") != NULL,
                     "%s", error->message);
      ck_assert_int_eq (reached, 0);
      g_clear_error (&error);
      ck_assert_uint_eq (check_png (path, 400, 300), before);
      ck_assert_int_eq (count_files (), 1);
    }
  char *after = tmp_path ("after.png");
  ck_assert_msg (nt_figure_render (after, 400, 300, draw_text, "after",
                                   &error), "%s",
                 error ? error->message : "");
  check_png (after, 400, 300);
  g_free (after);
  g_free (path);
}
END_TEST

/* Renders `path` with the file size limited to `limit` bytes: writes past
 * it fail (EFBIG) as on a full disk, after a fragment was written. */
static gboolean
render_with_file_limit (const char *path, rlim_t limit, GError **error)
{
  struct rlimit old, small;
  ck_assert_int_eq (getrlimit (RLIMIT_FSIZE, &old), 0);
  void (*old_handler) (int) = signal (SIGXFSZ, SIG_IGN);
  small = old;
  small.rlim_cur = limit;
  ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &small), 0);
  gboolean ok = nt_fig_ramp_optimal (path, error);
  /* restored before any check: the test framework writes files too */
  setrlimit (RLIMIT_FSIZE, &old);
  signal (SIGXFSZ, old_handler);
  return ok;
}

/* A write that fails midway (here the file size limit, like a full disk
 * that lets a 12 KB fragment through) fails the figure: nothing is
 * renamed into place, the previous figure stays, no temporary file is
 * left, and the message names the figure and the cause. */
START_TEST (test_write_failure)
{
  GError *error = NULL;
  char *png = tmp_path ("optimal.png");
  ck_assert_msg (nt_fig_ramp_optimal (png, &error), "%s",
                 error ? error->message : "");
  gsize before = check_png (png, 800, 720);
  ck_assert_msg (before > 24000, "figure too small for the test: %zu",
                 before);
  ck_assert (!render_with_file_limit (png, 12000, &error));
  ck_assert_msg (error != NULL, "a truncated figure was reported written");
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO));
  ck_assert_msg (strstr (error->message, png) != NULL
                 && strstr (error->message, g_strerror (EFBIG)) != NULL,
                 "%s", error->message);
  g_clear_error (&error);
  ck_assert_uint_eq (check_png (png, 800, 720), before);
  ck_assert_int_eq (count_files (), 1);

  /* a new target: nothing appears */
  char *svg = tmp_path ("optimal.svg");
  ck_assert (!render_with_file_limit (svg, 12000, &error));
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO));
  g_clear_error (&error);
  ck_assert (!g_file_test (svg, G_FILE_TEST_EXISTS));
  ck_assert_int_eq (count_files (), 1);
  /* and with room, both render */
  ck_assert (render_with_file_limit (svg, RLIM_INFINITY, &error));
  ck_assert_int_eq (count_files (), 2);
  g_free (svg);
  g_free (png);
}
END_TEST

START_TEST (test_temporary_names)
{
  ck_assert (nt_figure_is_temporary_name (".fig6-sweep-transfer.png.Ab12Cd"));
  ck_assert (nt_figure_is_temporary_name (".a.SVG.000000"));
  ck_assert (nt_figure_is_temporary_name (".fig2-accuracy.pdf.zzzzzz"));
  ck_assert (!nt_figure_is_temporary_name ("fig2.png.Ab12Cd"));
  ck_assert (!nt_figure_is_temporary_name (".fig2.png.Ab12C"));
  ck_assert (!nt_figure_is_temporary_name (".fig2.png.Ab12Cd7"));
  ck_assert (!nt_figure_is_temporary_name (".fig2.png.Ab-2Cd"));
  ck_assert (!nt_figure_is_temporary_name (".notes.txt.Ab12Cd"));
  ck_assert (!nt_figure_is_temporary_name (".png.Ab12Cd"));
  ck_assert (!nt_figure_is_temporary_name (".fig2.png"));
}
END_TEST

/* Stale temporary files go; one that a live render holds (locked), and
 * everything not named like them, stay. */
START_TEST (test_remove_stale)
{
  static const char *const stale[] = { ".fig6-sweep-transfer.png.Ab12Cd",
                                       ".x.svg.QQQQQQ" };
  static const char *const kept[] = { ".fig3-history.png.tmp",
                                      ".notes.txt.Ab12Cd", "fig2.png",
                                      ".fig2.png.Ab12C" };
  for (guint i = 0; i < G_N_ELEMENTS (stale); i++)
    {
      char *p = tmp_path (stale[i]);
      ck_assert (g_file_set_contents (p, "partial", -1, NULL));
      g_free (p);
    }
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      char *p = tmp_path (kept[i]);
      ck_assert (g_file_set_contents (p, "other", -1, NULL));
      g_free (p);
    }
  /* a render in progress elsewhere holds its lock */
  char *live = tmp_path (".fig5-scores.png.L1ve00");
  int fd = g_open (live, O_RDWR | O_CREAT, 0644);
  ck_assert (fd >= 0);
  ck_assert_int_eq (flock (fd, LOCK_EX), 0);
  GPtrArray *removed = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  ck_assert_msg (nt_figure_remove_stale (tmpdir, removed, &error), "%s",
                 error ? error->message : "");
  ck_assert_uint_eq (removed->len, G_N_ELEMENTS (stale));
  for (guint i = 0; i < G_N_ELEMENTS (stale); i++)
    {
      char *p = tmp_path (stale[i]);
      ck_assert_msg (!g_file_test (p, G_FILE_TEST_EXISTS), "%s stayed", p);
      g_free (p);
    }
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      char *p = tmp_path (kept[i]);
      ck_assert_msg (g_file_test (p, G_FILE_TEST_EXISTS), "%s removed", p);
      g_free (p);
    }
  ck_assert (g_file_test (live, G_FILE_TEST_EXISTS));
  /* once its render is gone, it is stale too */
  close (fd);
  g_ptr_array_set_size (removed, 0);
  ck_assert (nt_figure_remove_stale (tmpdir, removed, &error));
  ck_assert_uint_eq (removed->len, 1);
  ck_assert (!g_file_test (live, G_FILE_TEST_EXISTS));
  /* a folder that is not there */
  char *nowhere = tmp_path ("nowhere");
  ck_assert (!nt_figure_remove_stale (nowhere, NULL, &error));
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO));
  g_clear_error (&error);
  g_free (nowhere);
  g_ptr_array_unref (removed);
  g_free (live);
}
END_TEST

/* SVG keeps text as text (PLplot's svg driver; cairo's SVG surface stores
 * glyph outlines, which cannot be searched, selected or edited). */
START_TEST (test_svg_text)
{
  GError *error = NULL;
  char *svg = tmp_path ("text.svg");
  ck_assert_msg (nt_figure_render (svg, 400, 300, draw_text, "Hello figure",
                                   &error), "%s",
                 error ? error->message : "");
  char *data = NULL;
  ck_assert (g_file_get_contents (svg, &data, NULL, NULL));
  ck_assert_msg (strstr (data, "<text") != NULL, "no <text> element");
  /* "Hello" as character references */
  ck_assert (strstr (data, "&#x48;&#x65;&#x6c;&#x6c;&#x6f;") != NULL);
  ck_assert (strstr (data, "<symbol") == NULL);
  g_free (data);
  g_free (svg);
}
END_TEST

/* ---- null examples ---------------------------------------------------- */

START_TEST (test_null_examples)
{
  NtRegistry *reg = nt_test_registry ();
  GError *error = NULL;
  ck_assert (nt_registry_add (reg, &squares_class.feature, &error));
  NtDataset *ds = nt_dataset_open (reg, "test-squares", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  char *path = tmp_path ("null-examples.png");
  ck_assert_msg (nt_fig_null_examples (reg, ds, "test-squares", 3, path,
                                       &error),
                 "%s", error ? error->message : "");
  check_figure (path, 1100, 700, 3.0);
  /* a 1-D dataset is refused, with no file left */
  NtDataset *ramp = nt_dataset_open (reg, "ramp", &error);
  ck_assert_msg (ramp != NULL, "%s", error ? error->message : "");
  char *bad = tmp_path ("ramp-examples.png");
  ck_assert (!nt_fig_null_examples (reg, ramp, "ramp", 0, bad, &error));
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR,
                              NT_FIGURE_ERROR_INVALID));
  g_clear_error (&error);
  ck_assert (!g_file_test (bad, G_FILE_TEST_EXISTS));
  /* an unwritable target */
  char *nowhere = tmp_path ("no/such/dir.png");
  ck_assert (!nt_fig_null_examples (reg, ds, "test-squares", 3, nowhere,
                                    &error));
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO));
  g_clear_error (&error);
  ck_assert_int_eq (count_files (), 1);
  g_free (nowhere);
  g_free (bad);
  g_free (path);
  nt_dataset_free (ramp);
  nt_dataset_free (ds);
  nt_registry_free (reg);
}
END_TEST

/* ---- ramp ------------------------------------------------------------- */

START_TEST (test_grid_points)
{
  float x[3];
  nt_ramp_grid_point (48, 0, x);
  ck_assert (x[0] == 0 && x[1] == 0 && x[2] == 0);
  nt_ramp_grid_point (48, 48 * 48 * 48 - 1, x);
  ck_assert (x[0] == 1 && x[1] == 1 && x[2] == 1);
  /* index = (i * g + j) * g + k with x = (i, j, k) / (g - 1) */
  nt_ramp_grid_point (5, (2 * 5 + 3) * 5 + 1, x);
  ck_assert_float_eq_tol (x[0], 0.5f, 1e-6f);
  ck_assert_float_eq_tol (x[1], 0.75f, 1e-6f);
  ck_assert_float_eq_tol (x[2], 0.25f, 1e-6f);
}
END_TEST

START_TEST (test_ramp_figures)
{
  NtRegistry *reg = nt_test_registry ();
  NtBackend *be = nt_test_backend (reg, "cpu:threads=1");
  GError *error = NULL;
  NtDataset *ds = nt_dataset_open (reg, "ramp", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  NtNetwork *net = nt_model_build (reg, be, "ramp-cnn:max_batch=64", 1, 1, 3,
                                   3, &error);
  ck_assert_msg (net != NULL, "%s", error ? error->message : "");
  nt_network_init_glorot (net, 5);
  NtNullMix *nulls = nt_null_mix_new (reg, "u", 0.5, ds, &error);
  ck_assert (nulls != NULL);
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = 1;
  cfg.steps_per_epoch = 200;
  cfg.val_limit = 200;
  cfg.nulls = nulls;
  ck_assert_msg (nt_train (net, ds, &cfg, NULL, &error), "%s",
                 error ? error->message : "");

  /* grid predictions against one-sample forwards (the grid's size is not
   * a multiple of the batch, so the last batch is partial) */
  const int grid = 11;
  gsize total = grid * grid * grid;
  guint8 *classes = g_new (guint8, total);
  ck_assert_msg (nt_ramp_predict_grid (net, grid, classes, &error), "%s",
                 error ? error->message : "");
  NtBuffer *x = nt_network_input_buffer (net);
  gsize counts[3] = { 0 };
  for (gsize p = 0; p < total; p++)
    {
      float v[3];
      nt_ramp_grid_point (grid, p, v);
      be->ops->upload (be, x, 0, v, 3);
      const NtBuffer *logits = nt_network_forward (net, x, 1, FALSE, 0);
      float out[3];
      ck_assert (be->ops->download (be, logits, 0, out, 3, NULL));
      int best = 0;
      for (int c = 1; c < 3; c++)
        if (out[c] > out[best])
          best = c;
      ck_assert_msg (classes[p] == best, "grid point %zu: %d, forward says "
                     "%d", p, classes[p], best);
      counts[best]++;
    }

  char *samples_png = tmp_path ("ramp-samples.png");
  float s[10 * 3];
  int labels[10];
  gsize idx[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  ck_assert (nt_dataset_get (ds, NT_SPLIT_TRAIN, idx, 10, s, labels, NULL));
  ck_assert_msg (nt_fig_ramp_samples (samples_png, s, labels, 10, &error),
                 "%s", error ? error->message : "");
  check_figure (samples_png, 1200, 580, 2.0);

  char *optimal_png = tmp_path ("ramp-optimal.png");
  ck_assert_msg (nt_fig_ramp_optimal (optimal_png, &error), "%s",
                 error ? error->message : "");
  check_figure (optimal_png, 800, 720, 2.0);

  char *regions_png = tmp_path ("ramp-regions.png");
  ck_assert_msg (nt_fig_ramp_regions (regions_png, "test", classes, grid,
                                      &error),
                 "%s", error ? error->message : "");
  check_figure (regions_png, 1500, 640, 2.0);

  /* a label out of range is refused, the old figure stays */
  gsize before = check_png (regions_png, 1500, 640);
  classes[7] = 9;
  ck_assert (!nt_fig_ramp_regions (regions_png, "test", classes, grid,
                                   &error));
  ck_assert (g_error_matches (error, NT_FIGURE_ERROR,
                              NT_FIGURE_ERROR_INVALID));
  g_clear_error (&error);
  ck_assert_uint_eq (check_png (regions_png, 1500, 640), before);
  ck_assert_int_eq (count_files (), 3);

  g_free (samples_png);
  g_free (optimal_png);
  g_free (regions_png);
  g_free (classes);
  nt_null_mix_free (nulls);
  nt_network_free (net);
  nt_dataset_free (ds);
  nt_backend_free (be);
  nt_registry_free (reg);
}
END_TEST

static Suite *
figures_suite (void)
{
  Suite *s = suite_create ("figures");
  TCase *tc = tcase_create ("figures");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_device_by_extension);
  tcase_add_test (tc, test_unwritable_path);
  tcase_add_test (tc, test_one_figure_at_a_time);
  tcase_add_test (tc, test_vector_formats);
  tcase_add_test (tc, test_plplot_exit_trapped);
  tcase_add_test (tc, test_write_failure);
  tcase_add_test (tc, test_temporary_names);
  tcase_add_test (tc, test_remove_stale);
  tcase_add_test (tc, test_svg_text);
  tcase_add_test (tc, test_null_examples);
  tcase_add_test (tc, test_grid_points);
  tcase_add_test (tc, test_ramp_figures);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (figures_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
