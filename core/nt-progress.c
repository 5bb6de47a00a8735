/* nt-progress.c: terminal progress bars and plain progress lines. */
#include "config.h"
#include "nt-progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct _NtProgress {
  char *label, *unit;
  guint64 total;
  gint64 start_us, last_us;
  int last_decile;
  gboolean tty, quiet;
};

NtProgress *
nt_progress_new (const char *label, guint64 total, const char *unit)
{
  NtProgress *p = g_new0 (NtProgress, 1);
  p->label = g_strdup (label);
  p->unit = g_strdup (unit ? unit : "");
  p->total = total;
  p->start_us = p->last_us = g_get_monotonic_time ();
  const char *env = g_getenv ("NULLTOOL_PROGRESS");
  p->quiet = env && strcmp (env, "0") == 0;
  p->tty = (env && strcmp (env, "1") == 0) || isatty (STDERR_FILENO);
  return p;
}

static void
format_duration (char *buf, gsize size, double s)
{
  if (s < 0 || s > 1e7)
    g_snprintf (buf, size, "--:--");
  else if (s >= 3600)
    g_snprintf (buf, size, "%d:%02d:%02d", (int) s / 3600,
                (int) s / 60 % 60, (int) s % 60);
  else
    g_snprintf (buf, size, "%02d:%02d", (int) s / 60, (int) s % 60);
}

void
nt_progress_update (NtProgress *p, guint64 done, const char *extra)
{
  if (p->quiet)
    return;
  gint64 now = g_get_monotonic_time ();
  double elapsed = (now - p->start_us) / 1e6;
  double frac = p->total ? (double) done / p->total : 0;
  double rate = elapsed > 0 ? done / elapsed : 0;
  char eta[32];
  format_duration (eta, sizeof eta, rate > 0 ? (p->total - done) / rate : -1);
  if (p->tty)
    {
      if (now - p->last_us < 100000 && done < p->total)
        return;   /* at most ten redraws a second */
      p->last_us = now;
      char bar[31];
      int filled = (int) (frac * 30);
      for (int i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
      bar[30] = '\0';
      fprintf (stderr, "\r%s [%s] %3d%% %.0f %s/s ETA %s %s\033[K", p->label,
               bar, (int) (frac * 100), rate, p->unit, eta,
               extra ? extra : "");
    }
  else
    {
      int decile = (int) (frac * 10);
      if (decile <= p->last_decile || decile >= 10)
        return;
      p->last_decile = decile;
      fprintf (stderr, "%s: %d%% (%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
               " %s, %.0f %s/s, ETA %s)%s%s\n", p->label, decile * 10, done,
               p->total, p->unit, rate, p->unit, eta, extra ? " " : "",
               extra ? extra : "");
    }
  fflush (stderr);
}

void
nt_progress_finish (NtProgress *p, const char *extra)
{
  if (!p->quiet)
    {
      double elapsed = (g_get_monotonic_time () - p->start_us) / 1e6;
      char took[32];
      format_duration (took, sizeof took, elapsed);
      fprintf (stderr, "%s%s: done, %" G_GUINT64_FORMAT " %s in %s (%.0f %s/s)"
               "%s%s%s\n", p->tty ? "\r" : "", p->label, p->total, p->unit,
               took, elapsed > 0 ? p->total / elapsed : 0, p->unit,
               extra ? ", " : "", extra ? extra : "", p->tty ? "\033[K" : "");
    }
  nt_progress_free (p);
}

void
nt_progress_free (NtProgress *p)
{
  if (p == NULL)
    return;
  g_free (p->label);
  g_free (p->unit);
  g_free (p);
}
