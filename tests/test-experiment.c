/* test-experiment.c: the study runner: a bad run file is refused before
 * any work, a run killed midway resumes to the same results as an
 * uninterrupted one, the summaries add up (summary.json is valid JSON
 * whatever the run folder's name), a damaged checkpoint is trained again,
 * two runs never share a folder, and a resumed run says what it reuses.
 * Uses the ramp toy so the whole study takes seconds. */
#include "config.h"
#include "nulltool.h"
#include "nt-test-util.h"

#include <check.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static NtRegistry *reg;
static char *tmpdir;

static const char *const small_study =
  "[study]\n"
  "dataset=ramp\n"
  "model=ramp-cnn:max_batch=64\n"
  "types=baseline;u;s\n"
  "sets=2\n"
  "epochs=2\n"
  "steps_per_epoch=60\n"
  "backend=cpu:threads=1\n"
  "progress=0\n"
  "[attack]\n"
  "attack=fgsm\n"
  "protocols=transfer;whitebox\n"
  "images_per_set=30\n"
  "sweep_step=0.1\n";

static void
setup (void)
{
  reg = nt_test_registry ();
  tmpdir = g_dir_make_tmp ("nt-test-experiment-XXXXXX", NULL);
}

static void
teardown (void)
{
  nt_test_rm_rf (tmpdir);
  g_free (tmpdir);
  nt_registry_free (reg);
}

static char *
write_ini (const char *name, const char *text)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static NtExperiment *
load (const char *ini, const char *dir, GError **error)
{
  NtExperiment *exp = nt_experiment_load (reg, ini, NULL, error);
  if (exp)
    nt_experiment_set_dir (exp, dir);
  return exp;
}

static char *
read_result (const char *dir, const char *file)
{
  char *path = g_build_filename (dir, "results", file, NULL);
  char *text = NULL;
  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "%s", path);
  g_free (path);
  return text;
}

/* Each bad run file, with a word its error must contain. */
static const struct {
  const char *extra;      /* replaces the [attack] group */
  const char *word;
} bad[] = {
  { "[attack]\nattack=nope\n", "nope" },
  { "[attack]\nattack=fgsm\nimages=3\n", "images" },
  { "[attack]\nprotocols=transfer;greybox\n", "greybox" },
  { "[attack]\nsearch=golden\n", "golden" },
  { "[attack]\nimages_per_set=-1\n", "images_per_set" },
  { "[attack]\nresolution=abc\n", "resolution" },
  { "[attacks]\nattack=fgsm\n", "attacks" },
  { "[attack]\nattack=pgd:steps=0\n", "steps" },
};

START_TEST (test_bad_run_file_refused)
{
  /* the good study with its [attack] group swapped for a bad one */
  const char *cut = strstr (small_study, "[attack]");
  char *text = g_strdup_printf ("%.*s%s", (int) (cut - small_study),
                                small_study, bad[_i].extra);
  char *ini = write_ini ("bad.ini", text);
  char *dir = g_build_filename (tmpdir, "bad-run", NULL);
  GError *error = NULL;
  NtExperiment *exp = load (ini, dir, &error);
  ck_assert_msg (exp == NULL, "accepted:\n%s", text);
  ck_assert_msg (strstr (error->message, bad[_i].word), "'%s' not in: %s",
                 bad[_i].word, error->message);
  /* refused before any work: nothing written */
  ck_assert (!g_file_test (dir, G_FILE_TEST_EXISTS));
  g_error_free (error);
  g_free (text);
  g_free (ini);
  g_free (dir);
}
END_TEST

START_TEST (test_bad_study_values_refused)
{
  static const char *const cases[][2] = {
    { "study.types=baseline;x", "x" },
    { "study.types=u;s", "baseline" },
    { "study.types=baseline;u;u", "twice" },
    { "study.model=nope", "nope" },
    { "study.dataset=ramp:seed=-4", "seed" },
    { "study.backend=gpu", "gpu" },
    { "study.p_null=1.5", "p_null" },
    { "study.sets=0", "sets" },
    { "study.jobs=65", "jobs" },
    { "study.colour=red", "colour" },
    { "nodot=1", "group.key=value" },
  };
  char *ini = write_ini ("good.ini", small_study);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *ov[] = { cases[i][0], NULL };
      GError *error = NULL;
      NtExperiment *exp = nt_experiment_load (reg, ini, ov, &error);
      ck_assert_msg (exp == NULL, "accepted %s", cases[i][0]);
      ck_assert_msg (strstr (error->message, cases[i][1]), "%s: %s",
                     cases[i][0], error->message);
      g_error_free (error);
    }
  g_free (ini);
}
END_TEST

/* Runs the study in a child process and kills it once `marker` exists
 * (or lets it finish if it gets there first). */
static void
run_and_kill (const char *ini, const char *dir, const char *marker)
{
  char *marker_path = g_build_filename (dir, marker, NULL);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      GError *error = NULL;
      NtExperiment *exp = load (ini, dir, &error);
      _exit (exp && nt_experiment_run (exp, &error) ? 0 : 1);
    }
  int status = 0;
  for (;;)
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        break;
      if (g_file_test (marker_path, G_FILE_TEST_EXISTS))
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          break;
        }
      g_usleep (2000);
    }
  g_free (marker_path);
}

START_TEST (test_kill_and_resume_same_results)
{
  char *ini = write_ini ("study.ini", small_study);
  char *full = g_build_filename (tmpdir, "full", NULL);
  char *killed = g_build_filename (tmpdir, "killed", NULL);
  GError *error = NULL;

  NtExperiment *exp = load (ini, full, &error);
  ck_assert_msg (exp != NULL, "%s", error ? error->message : "");
  ck_assert_msg (nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);

  /* killed during training of the second set, then during its attack */
  run_and_kill (ini, killed, "models/set-01/baseline.done");
  char *summary = g_build_filename (killed, "results", "summary.json", NULL);
  ck_assert_msg (!g_file_test (summary, G_FILE_TEST_EXISTS),
                 "the run finished before it could be killed");
  g_free (summary);
  run_and_kill (ini, killed, "attack/set-00.done");
  exp = load (ini, killed, &error);
  ck_assert (nt_experiment_run (exp, &error));
  nt_experiment_free (exp);

  static const char *const files[] = {
    "accuracy.csv", "per-sample.csv", "scores-threshold.csv", "sweep.csv",
    "summary-accuracy.csv", "summary-threshold.csv", "summary-sweep.csv",
    "summary-thresholds.csv"
  };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      char *a = read_result (full, files[i]);
      char *b = read_result (killed, files[i]);
      ck_assert_msg (strcmp (a, b) == 0, "%s differs after resume", files[i]);
      g_free (a);
      g_free (b);
    }

  /* a finished run reruns without redoing anything: the checkpoints keep
   * their modification times */
  char *ckpt = g_build_filename (full, "models", "set-00", "u.ckpt", NULL);
  GStatBuf before, after;
  ck_assert_int_eq (g_stat (ckpt, &before), 0);
  exp = load (ini, full, &error);
  ck_assert (nt_experiment_run (exp, &error));
  nt_experiment_free (exp);
  ck_assert_int_eq (g_stat (ckpt, &after), 0);
  ck_assert_int_eq (before.st_mtime, after.st_mtime);

  /* the same directory with another configuration is refused */
  const char *ov[] = { "study.epochs=3", NULL };
  exp = nt_experiment_load (reg, ini, ov, &error);
  ck_assert_ptr_nonnull (exp);
  nt_experiment_set_dir (exp, full);
  ck_assert (!nt_experiment_run (exp, &error));
  ck_assert (g_error_matches (error, NT_EXPERIMENT_ERROR,
                              NT_EXPERIMENT_ERROR_MISMATCH));
  g_clear_error (&error);
  nt_experiment_free (exp);
  g_free (ckpt);
  g_free (ini);
  g_free (full);
  g_free (killed);
}
END_TEST

/* Byte-identical file `rel` in two run directories. */
static void
expect_same_file (const char *a_dir, const char *b_dir, const char *rel)
{
  char *pa = g_build_filename (a_dir, rel, NULL);
  char *pb = g_build_filename (b_dir, rel, NULL);
  char *a = NULL, *b = NULL;
  gsize na = 0, nb = 0;

  ck_assert_msg (g_file_get_contents (pa, &a, &na, NULL), "%s", pa);
  ck_assert_msg (g_file_get_contents (pb, &b, &nb, NULL), "%s", pb);
  ck_assert_msg (na == nb && memcmp (a, b, na) == 0, "%s differs", rel);
  g_free (a);
  g_free (b);
  g_free (pa);
  g_free (pb);
}

/* Models trained several at once (each job its own backend instance and
 * thread) are the same, bit for bit, as models trained one by one; a run
 * started with one jobs value resumes with another. */
START_TEST (test_jobs_same_results)
{
  char *ini = write_ini ("study.ini", small_study);
  char *one = g_build_filename (tmpdir, "one", NULL);
  char *many = g_build_filename (tmpdir, "many", NULL);
  const char *ov[] = { "study.jobs=4", NULL };
  GError *error = NULL;

  NtExperiment *exp = load (ini, one, &error);
  ck_assert_msg (exp && nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);
  exp = nt_experiment_load (reg, ini, ov, &error);
  ck_assert_msg (exp != NULL, "%s", error ? error->message : "");
  nt_experiment_set_dir (exp, many);
  ck_assert_msg (nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);

  for (int set = 0; set < 2; set++)
    for (const char *const *t = (const char *const[]) { "baseline", "u", "s",
                                                          NULL };
         *t; t++)
      {
        char *rel = g_strdup_printf ("models/set-%02d/%s.ckpt", set, *t);
        expect_same_file (one, many, rel);
        g_free (rel);
      }
  expect_same_file (one, many, "results/sweep.csv");
  expect_same_file (one, many, "results/per-sample.csv");

  /* resuming the finished run with jobs=1 is the same configuration */
  exp = load (ini, many, &error);
  ck_assert_msg (exp && nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);
  g_free (ini);
  g_free (one);
  g_free (many);
}
END_TEST

/* The attack phase with networks of max_batch 5 gives the same files as
 * with the model's own (64), and resumes a run made with another batch;
 * set 1 run on its own (first_set = 1) gives the same models and attack
 * files as set 1 of a two-set run: each set's test stream starts at a fixed
 * position. */
START_TEST (test_attack_batch_and_set_alone)
{
  char *ini = write_ini ("study.ini", small_study);
  char *ref = g_build_filename (tmpdir, "ref", NULL);
  char *batch = g_build_filename (tmpdir, "batch5", NULL);
  char *alone = g_build_filename (tmpdir, "alone", NULL);
  const char *ov_batch[] = { "attack.batch=5", NULL };
  const char *ov_alone[] = { "study.first_set=1", "study.sets=1", NULL };
  GError *error = NULL;

  NtExperiment *exp = load (ini, ref, &error);
  ck_assert_msg (exp && nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);
  exp = nt_experiment_load (reg, ini, ov_batch, &error);
  ck_assert_msg (exp != NULL, "%s", error ? error->message : "");
  nt_experiment_set_dir (exp, batch);
  ck_assert_msg (nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);
  static const char *const files[] = {
    "results/per-sample.csv", "results/scores-threshold.csv",
    "results/sweep.csv", "attack/set-00.done", "attack/set-01.done"
  };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    expect_same_file (ref, batch, files[i]);
  /* the batch is not part of the study: resuming with another is fine */
  exp = load (ini, batch, &error);
  ck_assert_msg (exp && nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);

  exp = nt_experiment_load (reg, ini, ov_alone, &error);
  ck_assert_msg (exp != NULL, "%s", error ? error->message : "");
  nt_experiment_set_dir (exp, alone);
  ck_assert_msg (nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);
  static const char *const set1[] = {
    "models/set-01/baseline.ckpt", "models/set-01/s.ckpt",
    "attack/set-01.done", "attack/set-01-transfer-per-sample.csv",
    "attack/set-01-transfer-sweep.csv", "attack/set-01-whitebox-scores.csv"
  };
  for (guint i = 0; i < G_N_ELEMENTS (set1); i++)
    expect_same_file (ref, alone, set1[i]);
  g_free (ini);
  g_free (ref);
  g_free (batch);
  g_free (alone);
}
END_TEST

/* The summaries agree with the raw counts they come from. */
START_TEST (test_summaries_add_up)
{
  char *ini = write_ini ("study.ini", small_study);
  /* a folder name that hand-made JSON would not escape */
  char *dir = g_build_filename (tmpdir, "run \"quoted\" back\\slash", NULL);
  GError *error = NULL;
  NtExperiment *exp = load (ini, dir, &error);
  ck_assert (nt_experiment_run (exp, &error));
  nt_experiment_free (exp);

  char *path = g_build_filename (dir, "results", "scores-threshold.csv", NULL);
  NtCsv *scores = nt_csv_read (path, &error);
  ck_assert_ptr_nonnull (scores);
  /* 2 protocols x 2 sets x 3 models; each row's three counts sum to n, and
   * n is the set's 30 images (the ramp baseline is easily fooled) */
  ck_assert_uint_eq (nt_csv_n_rows (scores), 12);
  double correct_u_transfer = 0;
  for (guint r = 0; r < nt_csv_n_rows (scores); r++)
    {
      double n = nt_csv_get_double (scores, r, "n");
      double sum = nt_csv_get_double (scores, r, "correct")
                   + nt_csv_get_double (scores, r, "misclassified")
                   + nt_csv_get_double (scores, r, "unclassified");
      ck_assert_double_eq (n, sum);
      ck_assert_double_le (n, 30);
      if (strcmp (nt_csv_get (scores, r, "model"), "baseline") == 0)
        /* measured: at its own threshold the baseline is never right */
        ck_assert_double_eq (nt_csv_get_double (scores, r, "correct"), 0);
      if (strcmp (nt_csv_get (scores, r, "protocol"), "transfer") == 0
          && strcmp (nt_csv_get (scores, r, "model"), "u") == 0)
        correct_u_transfer += 100 * nt_csv_get_double (scores, r, "correct")
                              / n;
    }
  nt_csv_free (scores);
  g_free (path);

  path = g_build_filename (dir, "results", "summary-threshold.csv", NULL);
  NtCsv *sum = nt_csv_read (path, &error);
  ck_assert_ptr_nonnull (sum);
  for (guint r = 0; r < nt_csv_n_rows (sum); r++)
    if (strcmp (nt_csv_get (sum, r, "protocol"), "transfer") == 0
        && strcmp (nt_csv_get (sum, r, "model"), "u") == 0)
      ck_assert_double_eq_tol (nt_csv_get_double (sum, r, "correct_mean"),
                               correct_u_transfer / 2, 1e-3);
  nt_csv_free (sum);
  g_free (path);

  /* the sweep has 11 budgets (step 0.1) per protocol, set and model; at
   * eps 0 the baseline is right on every source image */
  path = g_build_filename (dir, "results", "sweep.csv", NULL);
  NtCsv *sweep = nt_csv_read (path, &error);
  ck_assert_uint_eq (nt_csv_n_rows (sweep), 2 * 2 * 3 * 11);
  for (guint r = 0; r < nt_csv_n_rows (sweep); r++)
    if (nt_csv_get_double (sweep, r, "eps") == 0
        && strcmp (nt_csv_get (sweep, r, "model"), "baseline") == 0)
      ck_assert_double_eq (nt_csv_get_double (sweep, r, "correct"),
                           nt_csv_get_double (sweep, r, "n"));
  nt_csv_free (sweep);
  g_free (path);

  /* summary.json is valid JSON holding the same numbers as the CSV files */
  path = g_build_filename (dir, "results", "summary.json", NULL);
  JsonParser *parser = json_parser_new ();
  ck_assert_msg (json_parser_load_from_file (parser, path, &error),
                 "summary.json: %s", error ? error->message : "");
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  ck_assert_str_eq (json_object_get_string_member (root, "run"), dir);
  ck_assert_int_eq (json_object_get_int_member (root, "sets"), 2);
  g_free (path);
  path = g_build_filename (dir, "results", "summary-accuracy.csv", NULL);
  NtCsv *acc = nt_csv_read (path, &error);
  ck_assert_ptr_nonnull (acc);
  JsonObject *accj = json_object_get_object_member (root, "test_accuracy");
  ck_assert_uint_eq (json_object_get_size (accj), 3);
  for (guint r = 0; r < nt_csv_n_rows (acc); r++)
    {
      JsonObject *m = json_object_get_object_member (
          accj, nt_csv_get (acc, r, "model"));
      ck_assert_ptr_nonnull (m);
      ck_assert_double_eq_tol (json_object_get_double_member (m, "mean"),
                               nt_csv_get_double (acc, r, "mean"), 1e-6);
      ck_assert_double_eq_tol (json_object_get_double_member (m, "median"),
                               nt_csv_get_double (acc, r, "median"), 1e-6);
      ck_assert_int_eq (json_object_get_int_member (m, "sets"), 2);
    }
  nt_csv_free (acc);
  JsonArray *thr = json_object_get_array_member (
      root, "scores_at_threshold_percent");
  ck_assert_uint_eq (json_array_get_length (thr), 2 * 3);
  for (guint i = 0; i < json_array_get_length (thr); i++)
    {
      JsonObject *o = json_array_get_object_element (thr, i);
      if (strcmp (json_object_get_string_member (o, "protocol"), "transfer")
              == 0
          && strcmp (json_object_get_string_member (o, "model"), "u") == 0)
        ck_assert_double_eq_tol (
            json_object_get_double_member (o, "correct_mean"),
            correct_u_transfer / 2, 1e-3);
      ck_assert (json_object_has_member (o, "unclassified_std"));
    }
  g_object_unref (parser);
  g_free (path);
  g_free (ini);
  g_free (dir);
}
END_TEST

/* A key or a group given twice in a run file is refused with the key, the
 * group and the file named (GKeyFile alone would keep the last). */
START_TEST (test_duplicate_key_refused)
{
  /* the good study with "seed" twice in [study], then with a second
   * [attack] group; each error names the key (or group) and the file */
  char *texts[2];
  const char *cut = strstr (small_study, "[attack]");
  texts[0] = g_strdup_printf ("[study]\nseed=1\n%.*sseed = 2\n%s",
                              (int) (cut - small_study - strlen ("[study]\n")),
                              small_study + strlen ("[study]\n"), cut);
  texts[1] = g_strconcat (small_study, "[attack]\nsweep_step=0.2\n", NULL);
  static const char *const words[2][2] = { { "'seed'", "[study]" },
                                           { "[attack]", "twice" } };
  for (guint i = 0; i < 2; i++)
    {
      char *ini = write_ini ("dup.ini", texts[i]);
      char *dir = g_build_filename (tmpdir, "dup-run", NULL);
      GError *error = NULL;
      NtExperiment *exp = load (ini, dir, &error);
      ck_assert_msg (exp == NULL, "accepted:\n%s", texts[i]);
      for (int w = 0; w < 2; w++)
        ck_assert_msg (strstr (error->message, words[i][w]), "'%s' not in: %s",
                       words[i][w], error->message);
      ck_assert_msg (strstr (error->message, ini), "file not named: %s",
                     error->message);
      ck_assert (!g_file_test (dir, G_FILE_TEST_EXISTS));
      g_error_free (error);
      g_free (texts[i]);
      g_free (ini);
      g_free (dir);
    }
}
END_TEST

/* Runs `exp` with stderr sent to a file; *err_out (caller frees) gets what
 * it wrote there. */
static gboolean
run_capturing_stderr (NtExperiment *exp, char **err_out, GError **error)
{
  char *path = g_build_filename (tmpdir, "stderr.txt", NULL);
  fflush (stderr);
  int saved = dup (2);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ck_assert_int_ge (fd, 0);
  dup2 (fd, 2);
  close (fd);
  gboolean ok = nt_experiment_run (exp, error);
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  ck_assert (g_file_get_contents (path, err_out, NULL, NULL));
  g_unlink (path);
  g_free (path);
  return ok;
}

/* The end of a long text, for a failure message (Check limits its size). */
static const char *
tail (const char *text)
{
  size_t n = strlen (text);
  return n > 1500 ? text + n - 1500 : text;
}

/* The [key] group's value in the key file at dir/rel (caller frees). */
static char *
marker_value (const char *dir, const char *rel, const char *group,
              const char *key)
{
  char *path = g_build_filename (dir, rel, NULL);
  GKeyFile *kf = g_key_file_new ();
  char *v = NULL;
  if (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    v = g_key_file_get_value (kf, group, key, NULL);
  g_key_file_unref (kf);
  g_free (path);
  return v;
}

/* A checkpoint damaged or deleted after its model was marked done is
 * trained again on the next run, with a notice naming it, and the attack
 * results of its set are redone; the other set is left alone. */
START_TEST (test_damaged_checkpoint_retrained)
{
  char *ini = write_ini ("study.ini", small_study);
  char *dir = g_build_filename (tmpdir, "run", NULL);
  GError *error = NULL;
  NtExperiment *exp = load (ini, dir, &error);
  ck_assert_msg (exp && nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);

  char *u1 = g_build_filename (dir, "models", "set-01", "u.ckpt", NULL);
  char *s1 = g_build_filename (dir, "models", "set-01", "s.ckpt", NULL);
  char *u0 = g_build_filename (dir, "models", "set-00", "u.ckpt", NULL);
  char *orig = NULL, *text = NULL;
  gsize n_orig = 0, n = 0;
  ck_assert (g_file_get_contents (u1, &orig, &n_orig, NULL));
  /* one flipped bit in the middle of the weights */
  char *bad = g_memdup2 (orig, n_orig);
  bad[n_orig / 2] ^= 0x10;
  ck_assert (g_file_set_contents (u1, bad, n_orig, NULL));
  g_free (bad);
  ck_assert_int_eq (g_unlink (s1), 0);
  /* a mark in both attack markers: a redone set loses it */
  for (int set = 0; set < 2; set++)
    {
      char *m = g_strdup_printf ("%s/attack/set-%02d.done", dir, set);
      char *old = NULL;
      ck_assert (g_file_get_contents (m, &old, NULL, NULL));
      char *marked = g_strconcat (old, "[test]\nmark=1\n", NULL);
      ck_assert (g_file_set_contents (m, marked, -1, NULL));
      g_free (marked);
      g_free (old);
      g_free (m);
    }
  GStatBuf before, after;
  ck_assert_int_eq (g_stat (u0, &before), 0);

  char *err = NULL;
  exp = load (ini, dir, &error);
  ck_assert (exp != NULL);
  ck_assert_msg (run_capturing_stderr (exp, &err, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);
  ck_assert_msg (strstr (err, u1) && strstr (err, s1), "files not named: %s",
                 tail (err));
  ck_assert_msg (strstr (err, "again"), "no retraining notice: %s", tail (err));

  /* both retrained, to the very same bytes (same seed and backend) */
  ck_assert (g_file_get_contents (u1, &text, &n, NULL));
  ck_assert (n == n_orig && memcmp (text, orig, n) == 0);
  g_free (text);
  NtCheckpoint *ck = nt_checkpoint_load (s1, &error);
  ck_assert_msg (ck != NULL, "%s", error ? error->message : "");
  nt_checkpoint_free (ck);
  /* set 1 attacked again, set 0 untouched */
  char *mark1 = marker_value (dir, "attack/set-01.done", "test", "mark");
  char *mark0 = marker_value (dir, "attack/set-00.done", "test", "mark");
  ck_assert_msg (mark1 == NULL, "the attacks of set 1 were not redone");
  ck_assert_ptr_nonnull (mark0);
  g_free (mark0);
  ck_assert_int_eq (g_stat (u0, &after), 0);
  ck_assert_int_eq (before.st_mtime, after.st_mtime);
  ck_assert_int_eq (before.st_size, after.st_size);
  g_free (err);
  g_free (orig);
  g_free (u0);
  g_free (u1);
  g_free (s1);
  g_free (ini);
  g_free (dir);
}
END_TEST

/* While one run works in a folder a second is refused with the first's
 * PID; a killed run leaves no stale lock. */
START_TEST (test_concurrent_run_refused)
{
  char *ini = write_ini ("study.ini", small_study);
  char *dir = g_build_filename (tmpdir, "run", NULL);
  char *config = g_build_filename (dir, "config.ini", NULL);
  GError *error = NULL;

  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      NtExperiment *exp = load (ini, dir, &error);
      _exit (exp && nt_experiment_run (exp, &error) ? 0 : 1);
    }
  /* the child writes config.ini once it holds the folder */
  while (!g_file_test (config, G_FILE_TEST_EXISTS))
    {
      int status;
      ck_assert_msg (waitpid (pid, &status, WNOHANG) == 0,
                     "the first run ended before it wrote config.ini");
      g_usleep (1000);
    }
  NtExperiment *exp = load (ini, dir, &error);
  ck_assert (exp != NULL);
  gboolean ran = nt_experiment_run (exp, &error);
  int status = 0;
  gboolean child_done = waitpid (pid, &status, WNOHANG) == pid;
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  ck_assert_msg (!ran, "a second run worked in the folder of a running one");
  ck_assert_msg (!child_done, "the first run finished too early to test");
  ck_assert (g_error_matches (error, NT_EXPERIMENT_ERROR,
                              NT_EXPERIMENT_ERROR_LOCKED));
  char *pid_text = g_strdup_printf ("%d", (int) pid);
  ck_assert_msg (strstr (error->message, pid_text), "no PID %s in: %s",
                 pid_text, error->message);
  g_clear_error (&error);
  g_free (pid_text);

  /* the killed run's lock died with it: the folder resumes */
  ck_assert_msg (nt_experiment_run (exp, &error), "%s",
                 error ? error->message : "");
  /* and the lock is held until the experiment is freed (figures are drawn
   * after the run), by this process too */
  NtExperiment *other = load (ini, dir, &error);
  ck_assert (!nt_experiment_run (other, &error));
  ck_assert (g_error_matches (error, NT_EXPERIMENT_ERROR,
                              NT_EXPERIMENT_ERROR_LOCKED));
  g_clear_error (&error);
  nt_experiment_free (exp);
  ck_assert_msg (nt_experiment_run (other, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (other);
  g_free (config);
  g_free (ini);
  g_free (dir);
}
END_TEST

/* With progress on, a run names its backend, and a resumed one says once
 * what it reuses; the backend is recorded in the folder and in every
 * model's and set's marker. */
START_TEST (test_resume_reports_and_backend)
{
  char *ini = write_ini ("study.ini", small_study);
  char *dir = g_build_filename (tmpdir, "run", NULL);
  const char *ov[] = { "study.progress=1", NULL };
  GError *error = NULL;
  char *err = NULL;

  NtExperiment *exp = nt_experiment_load (reg, ini, ov, &error);
  ck_assert (exp != NULL);
  nt_experiment_set_dir (exp, dir);
  ck_assert_msg (run_capturing_stderr (exp, &err, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);
  ck_assert_msg (strstr (err, "backend: cpu"), "backend not named: %s",
                 tail (err));
  ck_assert_msg (!strstr (err, "resuming"), "a new run resumes: %s",
                 tail (err));
  g_free (err);
  static const char *const markers[][2] = {
    { "run.ini", "run" },
    { "models/set-00/baseline.done", "model" },
    { "models/set-01/s.done", "model" },
    { "attack/set-00.done", "set" },
    { "attack/set-01.done", "set" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      char *v = marker_value (dir, markers[i][0], markers[i][1], "backend");
      ck_assert_msg (v != NULL && strcmp (v, "cpu") == 0, "%s: backend %s",
                     markers[i][0], v ? v : "missing");
      g_free (v);
    }

  /* one model of set 1 undone: 5 of 6 models, 1 of 2 sets are reused */
  char *done = g_build_filename (dir, "models", "set-01", "s.done", NULL);
  ck_assert_int_eq (g_unlink (done), 0);
  exp = nt_experiment_load (reg, ini, ov, &error);
  nt_experiment_set_dir (exp, dir);
  ck_assert_msg (run_capturing_stderr (exp, &err, &error), "%s",
                 error ? error->message : "");
  nt_experiment_free (exp);
  char *line = g_strdup_printf ("resuming %s: 5 of 6 models trained, 1 of 2 "
                                "sets attacked", dir);
  const char *at = strstr (err, line);
  ck_assert_msg (at != NULL, "'%s' not in: %s", line, tail (err));
  ck_assert_msg (strstr (at + 1, "resuming") == NULL, "said twice: %s",
                 tail (err));

  /* the same run quiet says nothing */
  g_free (err);
  exp = load (ini, dir, &error);
  ck_assert (run_capturing_stderr (exp, &err, &error));
  nt_experiment_free (exp);
  ck_assert_msg (*err == '\0', "quiet run wrote: %s", tail (err));
  g_free (err);
  g_free (line);
  g_free (done);
  g_free (ini);
  g_free (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("experiment");
  TCase *tc = tcase_create ("run");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 300);
  tcase_add_loop_test (tc, test_bad_run_file_refused, 0, G_N_ELEMENTS (bad));
  tcase_add_test (tc, test_bad_study_values_refused);
  tcase_add_test (tc, test_kill_and_resume_same_results);
  tcase_add_test (tc, test_summaries_add_up);
  tcase_add_test (tc, test_jobs_same_results);
  tcase_add_test (tc, test_attack_batch_and_set_alone);
  tcase_add_test (tc, test_duplicate_key_refused);
  tcase_add_test (tc, test_damaged_checkpoint_retrained);
  tcase_add_test (tc, test_concurrent_run_refused);
  tcase_add_test (tc, test_resume_reports_and_backend);
  suite_add_tcase (s, tc);
  return nt_test_run_suite (s);
}
