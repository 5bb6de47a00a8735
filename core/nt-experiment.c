/* nt-experiment.c: the study runner: configuration, training grid, attack
 * protocol, raw results per unit of work, summaries. */
#include "config.h"
/* flock() is BSD, hidden by a strict -std=c11 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "nt-experiment.h"
#include "nt-attack.h"
#include "nt-attack-protocol.h"
#include "nt-backend.h"
#include "nt-csv.h"
#include "nt-dataset.h"
#include "nt-model-file.h"
#include "nt-network.h"
#include "nt-null.h"
#include "nt-progress.h"
#include "nt-rng.h"
#include "nt-train.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

G_DEFINE_QUARK (nt-experiment-error-quark, nt_experiment_error)

struct _NtExperiment {
  NtRegistry *registry;          /* not owned */
  GKeyFile *kf;                  /* resolved configuration */
  char *dir;
  /* [study] */
  char *dataset_sel, *model_sel, *backend_sel;
  char **types;                  /* model types: baseline, u, usm, ... */
  double p_null;
  int sets, first_set, epochs, batch;
  gint64 steps_per_epoch;
  double lr;
  gint64 seed;
  int jobs;                      /* models trained at once; 0: automatic */
  gboolean progress;
  /* [attack] */
  char *attack_sel;
  char **protocols;              /* transfer, whitebox */
  int images_per_set;
  NtThresholdMethod search;
  double resolution, sweep_step;
  int attack_batch;              /* max_batch of the attacked networks; 0:
                                  * the model's own */
  /* opened at load time, so every selection is checked before work */
  NtBackend *be;
  NtDataset *ds;
  char *model;                   /* canonical model selection */
  int lock_fd;                   /* dir/.lock, flock()ed; -1: not held */
};

/* --- configuration ------------------------------------------------------ */

static gboolean
config_error (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
config_error (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, NT_EXPERIMENT_ERROR, NT_EXPERIMENT_ERROR_CONFIG,
                       msg);
  g_free (msg);
  return FALSE;
}

/* The keys each group accepts: anything else in a file is a mistake. */
static const char *const study_keys[] = {
  "name", "dataset", "model", "types", "p_null", "sets", "first_set",
  "epochs", "steps_per_epoch", "batch", "lr", "seed", "backend", "jobs",
  "output", "progress", NULL
};
static const char *const attack_keys[] = {
  "attack", "protocols", "images_per_set", "search", "resolution",
  "sweep_step", "batch", NULL
};

static gboolean
check_keys (GKeyFile *kf, GError **error)
{
  gsize n_groups = 0;
  char **groups = g_key_file_get_groups (kf, &n_groups);
  gboolean ok = TRUE;
  for (gsize g = 0; ok && g < n_groups; g++)
    {
      const char *const *allowed = strcmp (groups[g], "study") == 0
                                       ? study_keys
                                   : strcmp (groups[g], "attack") == 0
                                       ? attack_keys
                                       : NULL;
      if (allowed == NULL)
        {
          ok = config_error (error, "unknown group [%s] (groups: [study], "
                             "[attack])", groups[g]);
          break;
        }
      char **keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
      for (char **k = keys; ok && k && *k; k++)
        if (!g_strv_contains (allowed, *k))
          {
            char *list = g_strjoinv (", ", (char **) allowed);
            ok = config_error (error, "unknown key '%s' in [%s] (keys: %s)",
                               *k, groups[g], list);
            g_free (list);
          }
      g_strfreev (keys);
    }
  g_strfreev (groups);
  return ok;
}

/* GKeyFile keeps the last of two equal keys and merges two groups of one
 * name, so a key or group given twice in a run file would be a silent
 * mistake (which seed did the study use?): refuse it, naming the key, the
 * group, the file and both lines. Lines are split as GKeyFile splits them
 * (leading blanks skipped, '#' comments, "[group]", "key = value"); what
 * GKeyFile would refuse anyway is left to it. */
static gboolean
check_duplicates (const char *text, const char *path, GError **error)
{
  GHashTable *groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              NULL);
  GHashTable *keys = NULL;       /* the current group's keys -> line */
  const char *group = NULL;      /* owned by groups */
  char **lines = g_strsplit (text, "\n", -1);
  gboolean ok = TRUE;
  for (guint i = 0; ok && lines[i]; i++)
    {
      const char *l = lines[i], *end;
      guint line = i + 1;
      while (g_ascii_isspace (*l))
        l++;
      if (*l == '\0' || *l == '#')
        continue;
      if (*l == '[' && (end = strchr (l, ']')) != NULL)
        {
          char *name = g_strndup (l + 1, end - l - 1);
          gpointer first;
          if (g_hash_table_lookup_extended (groups, name, NULL, &first))
            {
              ok = config_error (error, "%s: group [%s] given twice (lines %u "
                                 "and %u); merge them into one", path, name,
                                 GPOINTER_TO_UINT (first), line);
              g_free (name);
              break;
            }
          g_hash_table_insert (groups, name, GUINT_TO_POINTER (line));
          group = name;
          if (keys)
            g_hash_table_destroy (keys);
          keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
        }
      else if (keys != NULL && (end = strchr (l, '=')) != NULL)
        {
          char *key = g_strchomp (g_strndup (l, end - l));
          gpointer first;
          if (g_hash_table_lookup_extended (keys, key, NULL, &first))
            {
              ok = config_error (error, "%s: key '%s' given twice in [%s] "
                                 "(lines %u and %u); keep one", path, key,
                                 group, GPOINTER_TO_UINT (first), line);
              g_free (key);
              break;
            }
          g_hash_table_insert (keys, key, GUINT_TO_POINTER (line));
        }
    }
  if (keys)
    g_hash_table_destroy (keys);
  g_hash_table_destroy (groups);
  g_strfreev (lines);
  return ok;
}

/* Typed getters with defaults and ranges; a bad value is a config error
 * naming the key. */
static gboolean
get_int (GKeyFile *kf, const char *group, const char *key, gint64 def,
         gint64 lo, gint64 hi, gint64 *out, GError **error)
{
  char *text = g_key_file_get_value (kf, group, key, NULL);
  *out = def;
  if (text)
    {
      char *end = NULL;
      *out = g_ascii_strtoll (g_strstrip (text), &end, 10);
      if (*text == '\0' || *end != '\0')
        {
          g_free (text);
          return config_error (error, "[%s] %s: not an integer", group, key);
        }
      g_free (text);
    }
  if (*out < lo || *out > hi)
    return config_error (error, "[%s] %s = %" G_GINT64_FORMAT " is out of "
                         "range [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                         group, key, *out, lo, hi);
  g_key_file_set_int64 (kf, group, key, *out);
  return TRUE;
}

static gboolean
get_double (GKeyFile *kf, const char *group, const char *key, double def,
            double lo, double hi, double *out, GError **error)
{
  char *text = g_key_file_get_value (kf, group, key, NULL);
  *out = def;
  if (text)
    {
      char *end = NULL;
      *out = g_ascii_strtod (g_strstrip (text), &end);
      if (*text == '\0' || *end != '\0' || !isfinite (*out))
        {
          g_free (text);
          return config_error (error, "[%s] %s: not a finite number", group,
                               key);
        }
      g_free (text);
    }
  if (*out < lo || *out > hi)
    return config_error (error, "[%s] %s = %g is out of range [%g, %g]",
                         group, key, *out, lo, hi);
  g_key_file_set_double (kf, group, key, *out);
  return TRUE;
}

static char *
get_string (GKeyFile *kf, const char *group, const char *key,
            const char *def)
{
  char *v = g_key_file_get_string (kf, group, key, NULL);
  if (v == NULL || *g_strstrip (v) == '\0')
    {
      g_free (v);
      v = g_strdup (def);
    }
  g_key_file_set_string (kf, group, key, v);
  return v;
}

/* Applies "group.key=value" overrides. */
static gboolean
apply_overrides (GKeyFile *kf, const char *const *overrides, GError **error)
{
  for (const char *const *o = overrides; o && *o; o++)
    {
      const char *dot = strchr (*o, '.'), *eq = strchr (*o, '=');
      if (dot == NULL || eq == NULL || dot > eq || dot == *o)
        return config_error (error, "override '%s': expected group.key=value",
                             *o);
      char *group = g_strndup (*o, dot - *o);
      char *key = g_strndup (dot + 1, eq - dot - 1);
      g_key_file_set_value (kf, group, key, eq + 1);
      g_free (group);
      g_free (key);
    }
  return TRUE;
}

/* Gives up the run directory's lock (closing the file releases it). */
static void
unlock_run_dir (NtExperiment *exp)
{
  if (exp->lock_fd >= 0)
    (void) close (exp->lock_fd);
  exp->lock_fd = -1;
}

void
nt_experiment_free (NtExperiment *exp)
{
  if (exp == NULL)
    return;
  unlock_run_dir (exp);
  g_key_file_unref (exp->kf);
  g_free (exp->dir);
  g_free (exp->dataset_sel);
  g_free (exp->model_sel);
  g_free (exp->backend_sel);
  g_strfreev (exp->types);
  g_free (exp->attack_sel);
  g_strfreev (exp->protocols);
  g_free (exp->model);
  nt_dataset_free (exp->ds);
  nt_backend_free (exp->be);
  g_free (exp);
}

NtExperiment *
nt_experiment_load (NtRegistry *registry, const char *ini_path,
                    const char *const *overrides, GError **error)
{
  NtExperiment *exp = g_new0 (NtExperiment, 1);
  exp->registry = registry;
  exp->lock_fd = -1;
  exp->kf = g_key_file_new ();
  g_key_file_set_list_separator (exp->kf, ';');
  gint64 v;
  if (ini_path)
    {
      char *text = NULL;
      gsize len = 0;
      /* g_file_get_contents's error names the file */
      if (!g_file_get_contents (ini_path, &text, &len, error))
        goto fail;
      gboolean read = check_duplicates (text, ini_path, error);
      if (read
          && !g_key_file_load_from_data (exp->kf, text, len, G_KEY_FILE_NONE,
                                         error))
        {
          g_prefix_error (error, "%s: ", ini_path);
          read = FALSE;
        }
      g_free (text);
      if (!read)
        goto fail;
    }
  if (!apply_overrides (exp->kf, overrides, error)
      || !check_keys (exp->kf, error))
    goto fail;

  g_free (get_string (exp->kf, "study", "name", "study"));
  exp->dataset_sel = get_string (exp->kf, "study", "dataset", "mnist");
  exp->model_sel = get_string (exp->kf, "study", "model", "cnn");
  exp->backend_sel = get_string (exp->kf, "study", "backend", "auto");
  char *types = get_string (exp->kf, "study", "types",
                            "baseline;u;s;m;us;um;sm;usm");
  exp->types = g_strsplit (types, ";", -1);
  g_free (types);
  if (!get_double (exp->kf, "study", "p_null", 0.5, 0, 1, &exp->p_null, error)
      || !get_int (exp->kf, "study", "sets", 1, 1, 10000, &v, error))
    goto fail;
  exp->sets = (int) v;
  if (!get_int (exp->kf, "study", "first_set", 0, 0, 1000000, &v, error))
    goto fail;
  exp->first_set = (int) v;
  if (!get_int (exp->kf, "study", "epochs", 20, 1, 100000, &v, error))
    goto fail;
  exp->epochs = (int) v;
  if (!get_int (exp->kf, "study", "batch", 32, 1, 65536, &v, error))
    goto fail;
  exp->batch = (int) v;
  if (!get_int (exp->kf, "study", "steps_per_epoch", 0, 0, G_MAXINT32,
                &exp->steps_per_epoch, error)
      || !get_double (exp->kf, "study", "lr", 1e-3, 1e-9, 1, &exp->lr, error)
      || !get_int (exp->kf, "study", "seed", 0, 0, G_MAXINT64, &exp->seed,
                   error)
      || !get_int (exp->kf, "study", "progress", 1, 0, 1, &v, error))
    goto fail;
  exp->progress = v != 0;
  if (!get_int (exp->kf, "study", "jobs", 0, 0, 64, &v, error))
    goto fail;
  exp->jobs = (int) v;
  char *out = get_string (exp->kf, "study", "output", "runs/study");
  exp->dir = out;

  exp->attack_sel = get_string (exp->kf, "attack", "attack", "fgsm");
  char *protocols = get_string (exp->kf, "attack", "protocols", "transfer");
  exp->protocols = g_strsplit (protocols, ";", -1);
  g_free (protocols);
  for (char **p = exp->protocols; *p; p++)
    if (strcmp (*p, "transfer") != 0 && strcmp (*p, "whitebox") != 0)
      {
        config_error (error, "[attack] protocols: '%s' is not transfer or "
                      "whitebox", *p);
        goto fail;
      }
  if (!get_int (exp->kf, "attack", "images_per_set", 1000, 0, 1000000, &v,
                error))
    goto fail;
  exp->images_per_set = (int) v;
  char *search = get_string (exp->kf, "attack", "search", "log-grid");
  if (strcmp (search, "log-grid") == 0)
    exp->search = NT_THRESHOLD_LOG_GRID;
  else if (strcmp (search, "bisection") == 0)
    exp->search = NT_THRESHOLD_BISECTION;
  else
    {
      config_error (error, "[attack] search: '%s' is not log-grid or "
                    "bisection", search);
      g_free (search);
      goto fail;
    }
  g_free (search);
  if (!get_double (exp->kf, "attack", "resolution", 1e-3, 1e-6, 0.1,
                   &exp->resolution, error)
      || !get_double (exp->kf, "attack", "sweep_step", 0.02, 1e-3, 1,
                      &exp->sweep_step, error)
      || !get_int (exp->kf, "attack", "batch", 0, 0, 65536, &v, error))
    goto fail;
  exp->attack_batch = (int) v;

  /* Resolve every selection now: nothing runs on a bad configuration. */
  if (g_strv_length (exp->types) == 0)
    {
      config_error (error, "[study] types is empty");
      goto fail;
    }
  if (!(exp->model = nt_model_canonical (registry, exp->model_sel, error))
      || !(exp->be = nt_backend_open (registry, exp->backend_sel, error))
      || !(exp->ds = nt_dataset_open (registry, exp->dataset_sel, error)))
    goto fail;
  for (char **t = exp->types; *t; t++)
    {
      NtNullMix *mix = nt_null_mix_new (registry, *t, exp->p_null, exp->ds,
                                        error);
      if (mix == NULL)
        {
          g_prefix_error (error, "[study] types: ");
          goto fail;
        }
      nt_null_mix_free (mix);
      for (char **u = exp->types; u < t; u++)
        if (strcmp (*u, *t) == 0)
          {
            config_error (error, "[study] types: '%s' given twice", *t);
            goto fail;
          }
    }
  if (exp->images_per_set > 0)
    {
      if (!g_strv_contains ((const char *const *) exp->types, "baseline"))
        {
          config_error (error, "[study] types must include 'baseline': the "
                        "attack protocol takes its source images and "
                        "transfer directions from it (or set [attack] "
                        "images_per_set = 0)");
          goto fail;
        }
      NtAttack *a = nt_attack_open (registry, exp->attack_sel, exp->be, 1,
                                    nt_dataset_sample_size (exp->ds), error);
      if (a == NULL)
        goto fail;
      nt_attack_free (a);
    }
  return exp;
fail:
  nt_experiment_free (exp);
  return NULL;
}

char *
nt_experiment_to_ini (const NtExperiment *exp)
{
  return g_key_file_to_data (exp->kf, NULL, NULL);
}

const char *
nt_experiment_dir (const NtExperiment *exp)
{
  return exp->dir;
}

void
nt_experiment_set_dir (NtExperiment *exp, const char *dir)
{
  unlock_run_dir (exp);
  g_free (exp->dir);
  exp->dir = g_strdup (dir);
  g_key_file_set_string (exp->kf, "study", "output", dir);
}

/* --- paths and markers ------------------------------------------------- */

static char *
run_path (const NtExperiment *exp, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static char *
run_path (const NtExperiment *exp, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *rel = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  char *path = g_build_filename (exp->dir, rel, NULL);
  g_free (rel);
  return path;
}

static gboolean
make_dirs (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      g_set_error (error, NT_EXPERIMENT_ERROR, NT_EXPERIMENT_ERROR_IO,
                   "cannot create %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* TRUE when every key of `a` (but [study] output, progress and jobs and
 * [attack] batch, which may change between a run and its resumption
 * without changing any result) has the same value in `b`. */
static gboolean
same_settings (GKeyFile *a, GKeyFile *b)
{
  gboolean same = TRUE;
  char **groups = g_key_file_get_groups (a, NULL);
  for (char **g = groups; same && *g; g++)
    {
      char **keys = g_key_file_get_keys (a, *g, NULL, NULL);
      for (char **k = keys; same && k && *k; k++)
        {
          if (strcmp (*g, "study") == 0
                  ? (strcmp (*k, "output") == 0 || strcmp (*k, "progress") == 0
                     || strcmp (*k, "jobs") == 0)
                  : strcmp (*g, "attack") == 0 && strcmp (*k, "batch") == 0)
            continue;
          char *va = g_key_file_get_value (a, *g, *k, NULL);
          char *vb = g_key_file_get_value (b, *g, *k, NULL);
          same = g_strcmp0 (va, vb) == 0;
          g_free (va);
          g_free (vb);
        }
      g_strfreev (keys);
    }
  g_strfreev (groups);
  return same;
}

/* Locks the run directory for this experiment until it is freed (or
 * its directory changes): dir/.lock, created if needed, flock()ed. The
 * lock belongs to the open file, so it dies with the process: a killed
 * run never leaves a stale lock, and the file itself is left in place
 * (removing it would let a third run lock a new file while a second still
 * holds the old one). The holder writes its PID and host into the file
 * for the message of the run it refuses. */
static gboolean
lock_run_dir (NtExperiment *exp, GError **error)
{
  if (exp->lock_fd >= 0)
    return TRUE;
  char *path = run_path (exp, ".lock");
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, NT_EXPERIMENT_ERROR, NT_EXPERIMENT_ERROR_IO,
                   "cannot open the lock file %s: %s", path, g_strerror (e));
      g_free (path);
      return FALSE;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int e = errno;
      if (e == EWOULDBLOCK)
        {
          /* the holder writes its PID just after it locks: wait a little
           * for it rather than name no one */
          char text[256] = "";
          for (int tries = 0; tries < 100; tries++)
            {
              ssize_t n = pread (fd, text, sizeof text - 1, 0);
              text[MAX (n, 0)] = '\0';
              if (atoi (text) > 0)
                break;
              g_usleep (2000);
            }
          int pid = atoi (text);
          char *host = strchr (text, ' ');
          if (host)
            g_strstrip (++host);
          char *holder = pid > 0 ? g_strdup_printf ("process %d%s%s", pid,
                                                    host && *host ? " on "
                                                                  : "",
                                                    host ? host : "")
                                 : g_strdup ("a process that has not yet "
                                             "written its PID");
          g_set_error (error, NT_EXPERIMENT_ERROR,
                       NT_EXPERIMENT_ERROR_LOCKED,
                       "%s is in use by another run (%s, which holds %s); "
                       "wait for it to finish or stop it, or choose another "
                       "output directory", exp->dir, holder, path);
          g_free (holder);
        }
      else if (e == ENOLCK || e == EOPNOTSUPP || e == ENOSYS)
        {
          /* a file system without locks: run, but say what is lost */
          fprintf (stderr, "warning: cannot lock %s (%s): a second run "
                   "started in %s now would not be stopped\n", path,
                   g_strerror (e), exp->dir);
          exp->lock_fd = fd;
          g_free (path);
          return TRUE;
        }
      else
        g_set_error (error, NT_EXPERIMENT_ERROR, NT_EXPERIMENT_ERROR_IO,
                     "cannot lock %s: %s", path, g_strerror (e));
      (void) close (fd);
      g_free (path);
      return FALSE;
    }
  char *me = g_strdup_printf ("%d %s\n", (int) getpid (), g_get_host_name ());
  if (ftruncate (fd, 0) != 0
      || pwrite (fd, me, strlen (me), 0) != (ssize_t) strlen (me))
    {
      int e = errno;
      g_set_error (error, NT_EXPERIMENT_ERROR, NT_EXPERIMENT_ERROR_IO,
                   "cannot write %s: %s", path, g_strerror (e));
      (void) close (fd);
      fd = -1;
    }
  g_free (me);
  g_free (path);
  exp->lock_fd = fd;
  return fd >= 0;
}

/* Writes config.ini, or checks that an existing one describes the same
 * study (output, progress and jobs may differ). Called with the directory
 * locked, so the check and the write are one step for other runs; the
 * file is written atomically (temporary file, rename). *resumed: TRUE when
 * the directory already held this study. */
static gboolean
check_run_dir (NtExperiment *exp, gboolean *resumed, GError **error)
{
  char *path = run_path (exp, "config.ini");
  gboolean ok = TRUE;
  *resumed = g_file_test (path, G_FILE_TEST_EXISTS);
  if (*resumed)
    {
      GKeyFile *old = g_key_file_new ();
      g_key_file_set_list_separator (old, ';');
      ok = g_key_file_load_from_file (old, path, G_KEY_FILE_NONE, error);
      if (ok && !(same_settings (exp->kf, old) && same_settings (old, exp->kf)))
        {
          g_set_error (error, NT_EXPERIMENT_ERROR,
                       NT_EXPERIMENT_ERROR_MISMATCH,
                       "%s holds a run of another configuration (see its "
                       "config.ini); choose another output directory",
                       exp->dir);
          ok = FALSE;
        }
      g_key_file_unref (old);
    }
  else
    {
      char *mine = nt_experiment_to_ini (exp);
      ok = g_file_set_contents (path, mine, -1, error);
      g_free (mine);
    }
  g_free (path);
  return ok;
}

/* --- training grid ------------------------------------------------------ */

/* Trains model `type` of `set` on `be` (the runner's backend, or a job's
 * own) and writes its .done marker; train_grid skips the models an
 * earlier run finished. `progress`: bars for this model (off when several
 * models train at once). */
static gboolean
train_one (NtExperiment *exp, NtBackend *be, int set, const char *type,
           gboolean progress, GError **error)
{
  char *dir = run_path (exp, "models/set-%02d", set);
  char *done = g_strdup_printf ("%s/%s.done", dir, type);
  char *ckpt = g_strdup_printf ("%s/%s.ckpt", dir, type);
  char *hist = g_strdup_printf ("%s/%s.history.csv", dir, type);
  NtNetwork *net = NULL, *best = NULL;
  NtNullMix *mix = NULL;
  gboolean ok = TRUE;
  ok = make_dirs (dir, error)
       && (mix = nt_null_mix_new (exp->registry, type, exp->p_null, exp->ds,
                                  error)) != NULL
       && (net = nt_model_build (exp->registry, be, exp->model,
                                 exp->ds->channels, exp->ds->height,
                                 exp->ds->width, exp->ds->n_classes + 1,
                                 error)) != NULL;
  if (!ok)
    goto out;
  if (exp->progress)
    fprintf (stderr, "set %d, model %s (nulls '%s')%s\n", set, type,
             nt_null_mix_name (mix), progress ? "" : ": training");
  /* one initialisation for every model of a set, as in the study */
  nt_network_init_glorot (net, nt_rng_key (exp->seed, set, "init"));
  char set_text[16], p_text[32];
  g_snprintf (set_text, sizeof set_text, "%d", set);
  g_ascii_dtostr (p_text, sizeof p_text, exp->p_null);
  const char *meta[] = { "dataset", exp->dataset_sel, "null",
                         nt_null_mix_name (mix), "p_null", p_text, "set",
                         set_text, "type", type, NULL };
  NtTrainConfig cfg;
  nt_train_config_init (&cfg);
  cfg.epochs = exp->epochs;
  cfg.batch = exp->batch;
  cfg.steps_per_epoch = exp->steps_per_epoch;
  cfg.lr = exp->lr;
  cfg.seed = exp->seed;
  cfg.set = set;
  cfg.nulls = nt_null_mix_n_strategies (mix) ? mix : NULL;
  cfg.model = exp->model;
  cfg.checkpoint_path = ckpt;
  cfg.history_path = hist;
  cfg.meta = meta;
  cfg.progress = progress;
  if (!(ok = nt_train (net, exp->ds, &cfg, NULL, error)))
    goto out;
  /* the kept model is the best-validation one: score that (the trained
   * network goes first: two at once would double the peak memory) */
  nt_network_free (net);
  net = NULL;
  NtEvalResult r;
  ok = (best = nt_model_file_load (exp->registry, be, ckpt, NULL,
                                   error)) != NULL
       && nt_evaluate (best, exp->ds, NT_SPLIT_TEST, 0, cfg.nulls,
                       nt_rng_key (exp->seed, set, "test-nulls"), &r, error);
  if (!ok)
    goto out;
  /* the backend too: results on another one differ in float rounding */
  char *marker = g_strdup_printf ("[model]\ntest_accuracy=%.6f\n"
                                  "null_recognised=%.6f\nbackend=%s\n",
                                  r.digit_accuracy,
                                  r.n_null ? r.null_recognised : NAN,
                                  nt_backend_name (be));
  if (exp->progress && !progress)
    fprintf (stderr, "set %d, model %s: done, test accuracy %.2f %%\n", set,
             type, 100.0 * r.digit_accuracy);
  nt_eval_result_clear (&r);
  ok = g_file_set_contents (done, marker, -1, error);
  g_free (marker);
out:
  nt_network_free (best);
  nt_network_free (net);
  nt_null_mix_free (mix);
  g_free (dir);
  g_free (done);
  g_free (ckpt);
  g_free (hist);
  return ok;
}

/* The training grid on `jobs` threads, each with its own backend instance
 * (opened from the run's selection) taking the next untrained model. Every
 * model's random draws depend only on (seed, set, type), so the models are
 * the same as when they are trained one after another. The first failure
 * stops the others after their current model. */
typedef struct {
  int set;
  const char *type;         /* one of exp->types */
} TrainTask;

typedef struct {
  NtExperiment *exp;
  GArray *todo;             /* TrainTask */
  gint next;                /* index of the next task (atomic) */
  gint failed;              /* set once a job has failed (atomic) */
  GMutex lock;
  GError *error;            /* the first failure */
} TrainGrid;

static gpointer
train_job (gpointer data)
{
  TrainGrid *grid = data;
  GError *local = NULL;
  NtBackend *be = nt_backend_open (grid->exp->registry,
                                   grid->exp->backend_sel, &local);
  while (be != NULL && !g_atomic_int_get (&grid->failed))
    {
      guint i = (guint) g_atomic_int_add (&grid->next, 1);
      if (i >= grid->todo->len)
        break;
      const TrainTask *task = &g_array_index (grid->todo, TrainTask, i);
      if (!train_one (grid->exp, be, task->set, task->type, FALSE, &local))
        break;
    }
  if (local != NULL)
    {
      g_mutex_lock (&grid->lock);
      if (grid->error == NULL)
        grid->error = local;
      else
        g_error_free (local);
      g_mutex_unlock (&grid->lock);
      g_atomic_int_set (&grid->failed, 1);
    }
  nt_backend_free (be);
  return NULL;
}

/* The number of models to train at once: [study] jobs, or automatically
 * one per model of a set on a GPU (small networks leave most of it idle)
 * and one on the CPU (whose backend already uses every core). */
static int
grid_jobs (const NtExperiment *exp, guint pending)
{
  int jobs = exp->jobs;
  if (jobs == 0)
    jobs = strcmp (nt_backend_name (exp->be), "cpu") == 0
               ? 1 : (int) MIN (g_strv_length (exp->types), 8);
  return (int) MIN ((guint) jobs, MAX (pending, 1));
}

/* Removes `path` if it is there. */
static gboolean
remove_file (const char *path, GError **error)
{
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int e = errno;
      g_set_error (error, NT_EXPERIMENT_ERROR, NT_EXPERIMENT_ERROR_IO,
                   "cannot remove %s: %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* The models to train (TrainTask, appended to `todo`): those without a
 * .done marker, and those whose marker is there but whose checkpoint is
 * missing or damaged (its SHA-256 is checked by loading it), which would
 * otherwise make every later step fail; a notice on stderr says which file,
 * why, and that the model is trained again, and its marker goes first, so
 * an interruption cannot leave it trusted. The attack marker of every set
 * with a model to train goes too: its attack results are redone on the
 * new model. *n_kept: the models reused. */
static gboolean
plan_training (NtExperiment *exp, GArray *todo, guint *n_kept,
               GError **error)
{
  *n_kept = 0;
  for (int s = 0; s < exp->sets; s++)
    for (char **t = exp->types; *t; t++)
      {
        TrainTask task = { exp->first_set + s, *t };
        char *done = run_path (exp, "models/set-%02d/%s.done", task.set,
                               task.type);
        char *ckpt = run_path (exp, "models/set-%02d/%s.ckpt", task.set,
                               task.type);
        char *attacked = run_path (exp, "attack/set-%02d.done", task.set);
        gboolean keep = FALSE, ok = TRUE;
        if (g_file_test (done, G_FILE_TEST_EXISTS))
          {
            GError *why = NULL;
            NtCheckpoint *ck = nt_checkpoint_load (ckpt, &why);
            keep = ck != NULL;
            nt_checkpoint_free (ck);
            if (!keep)
              {
                if (!g_file_test (ckpt, G_FILE_TEST_EXISTS))
                  fprintf (stderr, "warning: checkpoint %s is missing, but "
                           "its model is marked trained\n", ckpt);
                else
                  fprintf (stderr, "warning: %s\n", why->message);
                fprintf (stderr, "warning: training model %s of set %d "
                         "again%s\n", task.type, task.set,
                         exp->images_per_set > 0
                             ? ", then redoing the attacks on that set" : "");
                ok = remove_file (done, error);
              }
            g_clear_error (&why);
          }
        if (keep)
          (*n_kept)++;
        else if (ok && (ok = remove_file (attacked, error)))
          g_array_append_val (todo, task);
        g_free (done);
        g_free (ckpt);
        g_free (attacked);
        if (!ok)
          return FALSE;
      }
  return TRUE;
}

/* Trains the models in `todo` (from plan_training). */
static gboolean
train_grid (NtExperiment *exp, GArray *todo, GError **error)
{
  TrainGrid grid = { .exp = exp, .todo = todo };
  gboolean ok = TRUE;

  int jobs = grid_jobs (exp, grid.todo->len);
  if (jobs <= 1)
    /* one after another on the runner's backend, with progress bars */
    for (guint i = 0; ok && i < grid.todo->len; i++)
      {
        const TrainTask *task = &g_array_index (grid.todo, TrainTask, i);
        ok = train_one (exp, exp->be, task->set, task->type, exp->progress,
                        error);
      }
  else
    {
      if (exp->progress)
        fprintf (stderr, "training %u models, %d at a time\n",
                 grid.todo->len, jobs);
      g_mutex_init (&grid.lock);
      GThread **threads = g_new (GThread *, jobs);
      for (int j = 0; j < jobs; j++)
        threads[j] = g_thread_new ("nt-train-job", train_job, &grid);
      for (int j = 0; j < jobs; j++)
        g_thread_join (threads[j]);
      g_free (threads);
      g_mutex_clear (&grid.lock);
      if (grid.error != NULL)
        {
          g_propagate_error (error, grid.error);
          ok = FALSE;
        }
    }
  return ok;
}

/* --- attack protocol ----------------------------------------------------- */

typedef struct {
  NtNetwork **nets;       /* one per type, loaded from checkpoints */
  guint n;
  int baseline;           /* index of the baseline */
} SetModels;

static void
set_models_clear (SetModels *sm)
{
  for (guint i = 0; i < sm->n; i++)
    nt_network_free (sm->nets[i]);
  g_free (sm->nets);
  memset (sm, 0, sizeof *sm);
}

static gboolean
load_set_models (NtExperiment *exp, int set, SetModels *sm, GError **error)
{
  sm->n = g_strv_length (exp->types);
  sm->nets = g_new0 (NtNetwork *, sm->n);
  sm->baseline = -1;
  for (guint t = 0; t < sm->n; t++)
    {
      char *ckpt = run_path (exp, "models/set-%02d/%s.ckpt", set,
                             exp->types[t]);
      sm->nets[t] = nt_model_file_load_batch (exp->registry, exp->be, ckpt,
                                              exp->attack_batch, NULL, error);
      g_free (ckpt);
      if (sm->nets[t] == NULL)
        return FALSE;
      if (strcmp (exp->types[t], "baseline") == 0)
        sm->baseline = (int) t;
    }
  return TRUE;
}

/* Runs the attack protocol on one set (every protocol) unless an earlier
 * run finished it: each set's test stream starts at a fixed position
 * (nt_protocol_stream_start), so sets are independent of each other. */
static gboolean
attack_set (NtExperiment *exp, int set, GError **error)
{
  char *marker = run_path (exp, "attack/set-%02d.done", set);
  char *dir = run_path (exp, "attack");
  gboolean ok = TRUE;
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    goto out;
  SetModels sm = { 0 };
  NtProtocolConfig cfg = {
    .attack = exp->attack_sel,
    .protocols = (const char *const *) exp->protocols,
    .images_per_set = exp->images_per_set,
    .search = exp->search,
    .resolution = exp->resolution,
    .sweep_step = exp->sweep_step,
    .progress = exp->progress,
  };
  NtProtocolSetInfo info;
  ok = make_dirs (dir, error) && load_set_models (exp, set, &sm, error)
       && nt_protocol_run_set (exp->registry, exp->ds, &cfg,
                               sm.nets, (const char *const *) exp->types,
                               sm.n, set, dir, &info, error);
  set_models_clear (&sm);
  if (ok)
    {
      GKeyFile *kf = g_key_file_new ();
      g_key_file_set_uint64 (kf, "set", "stream_start", info.stream_start);
      g_key_file_set_uint64 (kf, "set", "stream_read", info.stream_read);
      g_key_file_set_integer (kf, "set", "images", info.images);
      /* the backend that produced this set's results: another one may
       * round differently */
      g_key_file_set_string (kf, "set", "backend", nt_backend_name (exp->be));
      ok = g_key_file_save_to_file (kf, marker, error);
      g_key_file_unref (kf);
    }
out:
  g_free (marker);
  g_free (dir);
  return ok;
}

/* Says which backend this run uses (with progress on) and records it in
 * run.ini, which same_settings never compares, so a run may resume on
 * another backend; the markers say which backend made each result. With
 * progress on, a resumed run whose earlier work came from another backend
 * says so. */
static gboolean
record_backend (NtExperiment *exp, gboolean resumed, GError **error)
{
  const char *name = nt_backend_name (exp->be);
  char *path = run_path (exp, "run.ini");
  GKeyFile *kf = g_key_file_new ();
  char *before = NULL;
  if (resumed && g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    before = g_key_file_get_string (kf, "run", "backend", NULL);
  if (exp->progress)
    {
      fprintf (stderr, "backend: %s (selection '%s')\n", name,
               exp->backend_sel);
      if (before && strcmp (before, name) != 0)
        fprintf (stderr, "note: the last run in %s used backend %s: results "
                 "of the two backends may differ in float rounding (each "
                 "model's and set's .done marker names its backend)\n",
                 exp->dir, before);
    }
  g_key_file_set_string (kf, "run", "backend", name);
  g_key_file_set_string (kf, "run", "selection", exp->backend_sel);
  char *text = g_key_file_to_data (kf, NULL, NULL);
  gboolean ok = g_file_set_contents (path, text, -1, error);
  g_free (text);
  g_free (before);
  g_key_file_unref (kf);
  g_free (path);
  return ok;
}

/* With progress on, says once what a resumed run reuses. */
static void
report_resume (NtExperiment *exp, guint n_kept)
{
  if (!exp->progress)
    return;
  guint n_types = g_strv_length (exp->types);
  GString *line = g_string_new (NULL);
  g_string_printf (line, "resuming %s: %u of %u models trained", exp->dir,
                   n_kept, exp->sets * n_types);
  if (exp->images_per_set > 0)
    {
      int attacked = 0;
      for (int s = 0; s < exp->sets; s++)
        {
          char *marker = run_path (exp, "attack/set-%02d.done",
                                   exp->first_set + s);
          attacked += g_file_test (marker, G_FILE_TEST_EXISTS);
          g_free (marker);
        }
      g_string_append_printf (line, ", %d of %d sets attacked", attacked,
                              exp->sets);
    }
  fprintf (stderr, "%s\n", line->str);
  g_string_free (line, TRUE);
}

gboolean
nt_experiment_run (NtExperiment *exp, GError **error)
{
  gboolean resumed = FALSE;
  if (!make_dirs (exp->dir, error) || !lock_run_dir (exp, error)
      || !check_run_dir (exp, &resumed, error)
      || !record_backend (exp, resumed, error))
    return FALSE;
  GArray *todo = g_array_new (FALSE, FALSE, sizeof (TrainTask));
  guint n_kept = 0;
  gboolean ok = plan_training (exp, todo, &n_kept, error);
  if (ok && resumed)
    report_resume (exp, n_kept);
  ok = ok && train_grid (exp, todo, error);
  g_array_unref (todo);
  for (int s = 0; ok && exp->images_per_set > 0 && s < exp->sets; s++)
    ok = attack_set (exp, exp->first_set + s, error);
  return ok && nt_experiment_summarise (exp->dir, error);
}

/* --- summaries ------------------------------------------------------------ */

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Quantile q of v (sorted in place), linear interpolation between order
 * statistics (numpy's default). */
static double
quantile (GArray *v, double q)
{
  if (v->len == 0)
    return NAN;
  g_array_sort (v, compare_doubles);
  double pos = q * (v->len - 1);
  guint lo = (guint) floor (pos), hi = MIN (lo + 1, v->len - 1);
  double a = g_array_index (v, double, lo), b = g_array_index (v, double, hi);
  return a + (pos - lo) * (b - a);
}

/* Mean and population standard deviation. */
static void
mean_std (GArray *v, double *mean, double *std)
{
  double s = 0, ss = 0;
  for (guint i = 0; i < v->len; i++)
    s += g_array_index (v, double, i);
  *mean = v->len ? s / v->len : NAN;
  for (guint i = 0; i < v->len; i++)
    {
      double d = g_array_index (v, double, i) - *mean;
      ss += d * d;
    }
  *std = v->len ? sqrt (ss / v->len) : NAN;
}

/* g_ptr_array_sort comparator for arrays of strings. */
static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The entries of `dir` starting with `prefix` and ending with `suffix`,
 * sorted (an absent folder gives none). Caller frees. */
static GPtrArray *
list_sorted (const char *dir, const char *prefix, const char *suffix)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GDir *gd = g_dir_open (dir, 0, NULL);
  const char *name;
  while (gd && (name = g_dir_read_name (gd)))
    if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, suffix))
      g_ptr_array_add (names, g_strdup (name));
  if (gd)
    g_dir_close (gd);
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* Values grouped by a text key, in first-seen order. */
typedef struct {
  GPtrArray *keys;      /* char* */
  GHashTable *values;   /* key -> GArray of double */
} Groups;

static void
groups_init (Groups *g)
{
  g->keys = g_ptr_array_new_with_free_func (g_free);
  g->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) g_array_unref);
}

static void
groups_add (Groups *g, const char *key, double v)
{
  GArray *a = g_hash_table_lookup (g->values, key);
  if (a == NULL)
    {
      a = g_array_new (FALSE, FALSE, sizeof (double));
      g_hash_table_insert (g->values, g_strdup (key), a);
      g_ptr_array_add (g->keys, g_strdup (key));
    }
  g_array_append_val (a, v);
}

static void
groups_clear (Groups *g)
{
  g_ptr_array_unref (g->keys);
  g_hash_table_destroy (g->values);
}

/* Concatenates the attack/ files ending in `suffix` into one table. */
static NtCsv *
concat_attack_files (const char *run_dir, const char *suffix,
                     const char *const *columns, GError **error)
{
  char *dir = g_build_filename (run_dir, "attack", NULL);
  NtCsv *all = nt_csv_new (columns);
  GPtrArray *names = list_sorted (dir, "", suffix);
  gboolean ok = TRUE;
  guint nc = g_strv_length ((char **) columns);
  const char **row = g_new0 (const char *, nc + 1);
  for (guint i = 0; ok && i < names->len; i++)
    {
      char *path = g_build_filename (dir, names->pdata[i], NULL);
      NtCsv *part = nt_csv_read (path, error);
      g_free (path);
      if (part == NULL)
        {
          ok = FALSE;
          break;
        }
      for (guint r = 0; r < nt_csv_n_rows (part); r++)
        {
          for (guint c = 0; c < nc; c++)
            row[c] = nt_csv_get (part, r, columns[c]);
          nt_csv_append (all, row);
        }
      nt_csv_free (part);
    }
  g_free (row);
  g_ptr_array_unref (names);
  g_free (dir);
  if (!ok)
    {
      nt_csv_free (all);
      return NULL;
    }
  return all;
}

/* A summary number in summary.json: NaN (no data) as null; otherwise
 * rounded to the 6 significant digits the summary has always had, and an
 * integral value as an integer, so a reader gets the numbers it got when
 * the document was written as "%.6g" (json-glib prints the rounded double
 * in full, e.g. 0.9841 as 0.98409999999999997: the same double). */
static void
json_number (JsonBuilder *js, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (!isfinite (v))
    {
      json_builder_add_null_value (js);
      return;
    }
  double r = g_ascii_strtod (g_ascii_formatd (buf, sizeof buf, "%.6g", v),
                             NULL);
  if (r == floor (r) && fabs (r) < 1e15)
    json_builder_add_int_value (js, (gint64) r);
  else
    json_builder_add_double_value (js, r);
}

/* Sets member `name` of the open object to the number v. */
static void
json_member_number (JsonBuilder *js, const char *name, double v)
{
  json_builder_set_member_name (js, name);
  json_number (js, v);
}

static const char *const score_names[] = { "correct", "misclassified",
                                           "unclassified" };

gboolean
nt_experiment_summarise (const char *run_dir, GError **error)
{
  char *results = g_build_filename (run_dir, "results", NULL);
  if (g_mkdir_with_parents (results, 0755) != 0)
    {
      g_set_error (error, NT_EXPERIMENT_ERROR, NT_EXPERIMENT_ERROR_IO,
                   "cannot create %s: %s", results, g_strerror (errno));
      g_free (results);
      return FALSE;
    }
  /* summary.json, built with json-glib (which escapes every string: the
   * run folder's name may hold any character) */
  JsonBuilder *js = json_builder_new ();
  json_builder_begin_object (js);
  json_builder_set_member_name (js, "run");
  char *run_name = g_filename_display_name (run_dir);   /* valid UTF-8 */
  json_builder_add_string_value (js, run_name);
  g_free (run_name);
  gboolean ok = TRUE;

  /* test accuracy per model type, from the training markers */
  NtCsv *acc = nt_csv_new ((const char *const[]) {
      "set", "model", "test_accuracy", "null_recognised", NULL });
  char *models_dir = g_build_filename (run_dir, "models", NULL);
  GPtrArray *set_dirs = list_sorted (models_dir, "set-", "");
  /* model types in the configured order */
  char *cfg_path = g_build_filename (run_dir, "config.ini", NULL);
  GKeyFile *cfg = g_key_file_new ();
  g_key_file_set_list_separator (cfg, ';');
  char **types = NULL;
  if (g_key_file_load_from_file (cfg, cfg_path, G_KEY_FILE_NONE, NULL))
    types = g_key_file_get_string_list (cfg, "study", "types", NULL, NULL);
  Groups acc_groups;
  groups_init (&acc_groups);
  for (guint d = 0; types && d < set_dirs->len; d++)
    for (char **t = types; *t; t++)
      {
        char *marker = g_strdup_printf ("%s/%s/%s.done", models_dir,
                                        (char *) set_dirs->pdata[d], *t);
        GKeyFile *kf = g_key_file_new ();
        if (g_key_file_load_from_file (kf, marker, G_KEY_FILE_NONE, NULL))
          {
            double a = g_key_file_get_double (kf, "model", "test_accuracy",
                                              NULL);
            char *nr = g_key_file_get_value (kf, "model", "null_recognised",
                                             NULL);
            nt_csv_append_printf (acc, "%d,%s,%.6f,%s",
                                  atoi ((char *) set_dirs->pdata[d] + 4), *t,
                                  a, nr ? nr : "nan");
            groups_add (&acc_groups, *t, a);
            g_free (nr);
          }
        g_key_file_unref (kf);
        g_free (marker);
      }
  NtCsv *acc_sum = nt_csv_new ((const char *const[]) {
      "model", "mean", "std", "median", "n_sets", NULL });
  json_builder_set_member_name (js, "test_accuracy");
  json_builder_begin_object (js);
  for (guint k = 0; k < acc_groups.keys->len; k++)
    {
      const char *model = acc_groups.keys->pdata[k];
      GArray *v = g_hash_table_lookup (acc_groups.values, model);
      double mean, std;
      mean_std (v, &mean, &std);
      double med = quantile (v, 0.5);
      nt_csv_append_printf (acc_sum, "%s,%.6f,%.6f,%.6f,%u", model, mean,
                            std, med, v->len);
      json_builder_set_member_name (js, model);
      json_builder_begin_object (js);
      json_member_number (js, "mean", mean);
      json_member_number (js, "std", std);
      json_member_number (js, "median", med);
      json_builder_set_member_name (js, "sets");
      json_builder_add_int_value (js, v->len);
      json_builder_end_object (js);
    }
  json_builder_end_object (js);
  groups_clear (&acc_groups);
  char *p = g_build_filename (results, "accuracy.csv", NULL);
  ok = nt_csv_write (acc, p, error);
  g_free (p);
  p = g_build_filename (results, "summary-accuracy.csv", NULL);
  ok = ok && nt_csv_write (acc_sum, p, error);
  g_free (p);
  nt_csv_free (acc);
  nt_csv_free (acc_sum);

  /* attack results */
  static const char *const per_cols[] = { "protocol", "set", "image_index",
                                          "label", "model", "threshold",
                                          "prediction", NULL };
  static const char *const score_cols[] = { "protocol", "set", "model", "n",
                                            "correct", "misclassified",
                                            "unclassified", NULL };
  static const char *const sweep_cols[] = { "protocol", "set", "model", "eps",
                                            "n", "correct", "misclassified",
                                            "unclassified", NULL };
  NtCsv *per = ok ? concat_attack_files (run_dir, "-per-sample.csv",
                                         per_cols, error) : NULL;
  NtCsv *scores = per ? concat_attack_files (run_dir, "-scores.csv",
                                             score_cols, error) : NULL;
  NtCsv *sweep = scores ? concat_attack_files (run_dir, "-sweep.csv",
                                               sweep_cols, error) : NULL;
  ok = sweep != NULL;
  if (ok)
    {
      char *p1 = g_build_filename (results, "per-sample.csv", NULL);
      char *p2 = g_build_filename (results, "scores-threshold.csv", NULL);
      char *p3 = g_build_filename (results, "sweep.csv", NULL);
      ok = nt_csv_write (per, p1, error) && nt_csv_write (scores, p2, error)
           && nt_csv_write (sweep, p3, error);
      g_free (p1);
      g_free (p2);
      g_free (p3);
    }

  /* scores at threshold: mean and std over sets of the percentages */
  if (ok)
    {
      Groups g[3];
      for (int k = 0; k < 3; k++)
        groups_init (&g[k]);
      for (guint r = 0; r < nt_csv_n_rows (scores); r++)
        {
          double n = nt_csv_get_double (scores, r, "n");
          char *key = g_strdup_printf ("%s,%s",
                                       nt_csv_get (scores, r, "protocol"),
                                       nt_csv_get (scores, r, "model"));
          for (int k = 0; k < 3 && n > 0; k++)
            groups_add (&g[k], key,
                        100.0 * nt_csv_get_double (scores, r, score_names[k])
                            / n);
          g_free (key);
        }
      NtCsv *sum = nt_csv_new ((const char *const[]) {
          "protocol", "model", "correct_mean", "correct_std",
          "misclassified_mean", "misclassified_std", "unclassified_mean",
          "unclassified_std", NULL });
      json_builder_set_member_name (js, "scores_at_threshold_percent");
      json_builder_begin_array (js);
      for (guint k = 0; k < g[0].keys->len; k++)
        {
          const char *key = g[0].keys->pdata[k];
          double m[3], s[3];
          for (int c = 0; c < 3; c++)
            mean_std (g_hash_table_lookup (g[c].values, key), &m[c], &s[c]);
          nt_csv_append_printf (sum, "%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f", key,
                                m[0], s[0], m[1], s[1], m[2], s[2]);
          char **pm = g_strsplit (key, ",", 2);
          json_builder_begin_object (js);
          json_builder_set_member_name (js, "protocol");
          json_builder_add_string_value (js, pm[0]);
          json_builder_set_member_name (js, "model");
          json_builder_add_string_value (js, pm[1]);
          for (int c = 0; c < 3; c++)
            {
              char *name = g_strconcat (score_names[c], "_mean", NULL);
              json_member_number (js, name, m[c]);
              g_free (name);
              name = g_strconcat (score_names[c], "_std", NULL);
              json_member_number (js, name, s[c]);
              g_free (name);
            }
          json_builder_end_object (js);
          g_strfreev (pm);
        }
      json_builder_end_array (js);
      char *path = g_build_filename (results, "summary-threshold.csv", NULL);
      ok = nt_csv_write (sum, path, error);
      g_free (path);
      nt_csv_free (sum);
      for (int k = 0; k < 3; k++)
        groups_clear (&g[k]);
    }

  /* sweep: median and quartiles over sets per (protocol, model, eps) */
  if (ok)
    {
      Groups g[3];
      for (int k = 0; k < 3; k++)
        groups_init (&g[k]);
      for (guint r = 0; r < nt_csv_n_rows (sweep); r++)
        {
          double n = nt_csv_get_double (sweep, r, "n");
          char *key = g_strdup_printf ("%s,%s,%s",
                                       nt_csv_get (sweep, r, "protocol"),
                                       nt_csv_get (sweep, r, "model"),
                                       nt_csv_get (sweep, r, "eps"));
          for (int k = 0; k < 3 && n > 0; k++)
            groups_add (&g[k], key,
                        100.0 * nt_csv_get_double (sweep, r, score_names[k])
                            / n);
          g_free (key);
        }
      NtCsv *sum = nt_csv_new ((const char *const[]) {
          "protocol", "model", "eps", "correct_median", "correct_q25",
          "correct_q75", "misclassified_median", "misclassified_q25",
          "misclassified_q75", "unclassified_median", "unclassified_q25",
          "unclassified_q75", NULL });
      for (guint k = 0; k < g[0].keys->len; k++)
        {
          const char *key = g[0].keys->pdata[k];
          GString *line = g_string_new (key);
          for (int c = 0; c < 3; c++)
            {
              GArray *v = g_hash_table_lookup (g[c].values, key);
              g_string_append_printf (line, ",%.4f,%.4f,%.4f",
                                      quantile (v, 0.5), quantile (v, 0.25),
                                      quantile (v, 0.75));
            }
          nt_csv_append_printf (sum, "%s", line->str);
          g_string_free (line, TRUE);
        }
      char *path = g_build_filename (results, "summary-sweep.csv", NULL);
      ok = nt_csv_write (sum, path, error);
      g_free (path);
      nt_csv_free (sum);
      for (int k = 0; k < 3; k++)
        groups_clear (&g[k]);
    }

  /* threshold histograms: 20 bins on [0, 1] per (protocol, model, set), of
   * the attacked model's thresholds */
  if (ok)
    {
      NtCsv *hist = nt_csv_new ((const char *const[]) {
          "protocol", "model", "set", "bin_lo", "bin_hi", "count", NULL });
      GHashTable *bins = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                g_free, g_free);
      GPtrArray *order = g_ptr_array_new ();
      for (guint r = 0; r < nt_csv_n_rows (per); r++)
        {
          const char *proto = nt_csv_get (per, r, "protocol");
          const char *model = nt_csv_get (per, r, "model");
          double thr = nt_csv_get_double (per, r, "threshold");
          /* transfer rows repeat the baseline's threshold for each model */
          if (strcmp (proto, "transfer") == 0
              && strcmp (model, "baseline") != 0)
            continue;
          if (!(thr >= 0))
            continue;
          char *key = g_strdup_printf ("%s,%s,%s", proto, model,
                                       nt_csv_get (per, r, "set"));
          guint64 *b = g_hash_table_lookup (bins, key);
          if (b == NULL)
            {
              b = g_new0 (guint64, 20);
              g_hash_table_insert (bins, key, b);
              g_ptr_array_add (order, key);
            }
          else
            g_free (key);
          b[MIN ((int) (thr * 20), 19)]++;
        }
      for (guint k = 0; k < order->len; k++)
        {
          guint64 *b = g_hash_table_lookup (bins, order->pdata[k]);
          for (int i = 0; i < 20; i++)
            nt_csv_append_printf (hist, "%s,%.2f,%.2f,%" G_GUINT64_FORMAT,
                                  (char *) order->pdata[k], i / 20.0,
                                  (i + 1) / 20.0, b[i]);
        }
      char *path = g_build_filename (results, "summary-thresholds.csv", NULL);
      ok = nt_csv_write (hist, path, error);
      g_free (path);
      nt_csv_free (hist);
      g_ptr_array_unref (order);
      g_hash_table_destroy (bins);
    }
  json_builder_set_member_name (js, "sets");
  json_builder_add_int_value (js, set_dirs->len);
  json_builder_end_object (js);
  if (ok)
    {
      JsonGenerator *gen = json_generator_new ();
      JsonNode *root = json_builder_get_root (js);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      json_generator_set_indent (gen, 2);
      gsize len = 0;
      char *doc = json_generator_to_data (gen, &len);
      char *text = g_strconcat (doc, "\n", NULL);
      char *path = g_build_filename (results, "summary.json", NULL);
      ok = g_file_set_contents (path, text, len + 1, error);
      g_free (path);
      g_free (text);
      g_free (doc);
      json_node_unref (root);
      g_object_unref (gen);
    }
  if (per)
    nt_csv_free (per);
  if (scores)
    nt_csv_free (scores);
  if (sweep)
    nt_csv_free (sweep);
  g_object_unref (js);
  g_strfreev (types);
  g_key_file_unref (cfg);
  g_free (cfg_path);
  g_ptr_array_unref (set_dirs);
  g_free (models_dir);
  g_free (results);
  return ok;
}
