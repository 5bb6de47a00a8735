/* nt-figure.c: one figure file drawn with PLplot (see nt-figure.h). */
/* fopencookie, flock, fsync, O_NOFOLLOW: GNU and POSIX extensions */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nt-figure.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <glib/gstdio.h>
#include <plplot.h>

G_DEFINE_QUARK (nt-figure-error-quark, nt_figure_error)

/* Dots per inch: sets the base character height in pixels (PLplot's
 * default character height is in millimetres). */
#define FIGURE_DPI 100.0

/* Where PLplot's output goes: a stdio stream of our own (fopencookie) over
 * the temporary file, so that every write, the sync and the close are
 * checked (PLplot and its cairo driver ignore write errors, and PLplot
 * closes the stream itself). Allocated apart from the figure: if PLplot's
 * stream has to be abandoned (see end_stream), PLplot still points at the
 * FILE, so the FILE and this state are then left allocated, disconnected
 * (fd -1). */
typedef struct {
  int fd;              /* a dup of the figure's fd; -1 once closed */
  guint64 bytes;       /* bytes written to fd */
  int err;             /* first errno of a write, fsync or close */
  const char *step;    /* which of them failed */
  gboolean closed;     /* PLplot has closed the FILE */
} Output;

struct _NtFigure {
  char *path;          /* the target */
  char *tmp_path;      /* rendered here, renamed to path on success */
  int width, height;
  const char *device;
  int fd;              /* the temporary file; holds its flock until the end */
  Output *out;
  FILE *file;          /* PLplot's OutFile: writes through `out` */
  PLINT stream, prev_stream;
  PLINT errcode;       /* PLplot's error slot for this stream (plsError) */
  char errmsg[1024];
  char *fatal;         /* what PLplot said when it wanted to end the process */
};

/* The figure being drawn: PLplot's state is global, so one at a time. */
static NtFigure *current_figure;

/* The study's colours; index = NtColor. */
static const guint8 palette[NT_N_COLORS][3] = {
  [NT_COLOR_BACKGROUND] = { 255, 255, 255 },
  [NT_COLOR_FOREGROUND] = { 0, 0, 0 },
  [NT_COLOR_CORRECT] = { 34, 150, 34 },
  [NT_COLOR_MISCLASSIFIED] = { 214, 39, 40 },
  [NT_COLOR_UNCLASSIFIED] = { 31, 90, 200 },
  [NT_COLOR_DOWN] = { 214, 0, 214 },
  [NT_COLOR_UP] = { 0, 190, 230 },
  [NT_COLOR_LIGHT_GRAY] = { 215, 215, 215 },
  [NT_COLOR_GRAY] = { 120, 120, 120 },
  [NT_COLOR_SCRATCH] = { 0, 0, 0 },
};

const char *
nt_figure_device_for (const char *path)
{
  if (path != NULL)
    {
      const char *dot = strrchr (path, '.');
      if (dot && g_ascii_strcasecmp (dot, ".svg") == 0)
        return "svg";
      if (dot && g_ascii_strcasecmp (dot, ".pdf") == 0)
        return "pdfcairo";
    }
  return "pngcairo";
}

/* TRUE when PLplot knows the device `name` (the cairo drivers come in
 * a separate Debian package, plplot-driver-cairo). */
static gboolean
device_available (const char *name)
{
  const char **menus = NULL, **names = NULL;
  int n = 64;
  menus = g_new0 (const char *, n);
  names = g_new0 (const char *, n);
  plgDevs (&menus, &names, &n);
  gboolean found = FALSE;
  for (int i = 0; i < n && !found; i++)
    found = names[i] != NULL && strcmp (names[i], name) == 0;
  g_free (menus);
  g_free (names);
  return found;
}

/* ---- the trap for PLplot's exit ----------------------------------------
 * PLplot's plexit() calls the handler installed with plsexit() and then
 * ends the process whatever the handler returns (PLplot 5.15, plctrl.c):
 * the only way to keep the process is not to return. So the handler
 * longjmps back to the innermost trap (trapped_call) when there is one;
 * the figure is then marked failed and its stream ended the way plexit
 * would have (plend1). Without a trap it removes the temporary file of the
 * figure being drawn and lets PLplot exit. */

static jmp_buf *exit_trap;       /* the innermost active trap, or NULL */
static char *exit_message;       /* PLplot's message, taken by the trap */

static int
on_plplot_exit (const char *message)
{
  if (exit_trap != NULL)
    {
      jmp_buf *trap = exit_trap;
      exit_trap = NULL;
      g_free (exit_message);
      exit_message = g_strdup (message && *message
                               ? message : "(PLplot gave no message)");
      g_strstrip (exit_message);
      longjmp (*trap, 1);
    }
  if (current_figure != NULL && current_figure->tmp_path != NULL)
    g_unlink (current_figure->tmp_path);
  return 1;
}

/* Calls fn (fig, data) under the trap. Returns FALSE, with PLplot's
 * message in fig->fatal, when PLplot tried to end the process in it. */
static gboolean
trapped_call (NtFigure *fig, NtFigureDrawFunc fn, gpointer data)
{
  jmp_buf trap;
  jmp_buf *volatile outer = exit_trap;
  /* PLplot switches LC_NUMERIC to "C" around some calls; an error in
   * between would leave it so */
  char *volatile locale = g_strdup (setlocale (LC_NUMERIC, NULL));
  NtFigure *volatile vfig = fig;
  gboolean volatile ok = TRUE;
  plsexit (on_plplot_exit);
  if (setjmp (trap) == 0)
    {
      exit_trap = &trap;
      fn (vfig, data);
    }
  else
    {
      ok = FALSE;
      if (vfig->fatal == NULL)
        vfig->fatal = exit_message;
      else
        g_free (exit_message);
      exit_message = NULL;
      if (locale != NULL)
        setlocale (LC_NUMERIC, locale);
    }
  exit_trap = outer;
  g_free (locale);
  return ok;
}

/* ---- output ------------------------------------------------------------ */

static ssize_t
output_write (void *cookie, const char *buf, size_t size)
{
  Output *out = cookie;
  if (out->err != 0 || out->fd < 0)
    {
      errno = out->err ? out->err : EBADF;
      return -1;
    }
  size_t done = 0;
  while (done < size)
    {
      ssize_t n = write (out->fd, buf + done, size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          out->err = n < 0 ? errno : ENOSPC;
          out->step = "write";
          errno = out->err;
          return -1;
        }
      done += (size_t) n;
      out->bytes += (guint64) n;
    }
  return (ssize_t) size;
}

/* Syncs and closes the writing descriptor (the figure keeps its own, with
 * the lock, until the file is renamed or removed). */
static void
output_finish (Output *out)
{
  if (out->fd < 0)
    return;
  if (out->err == 0)
    while (fsync (out->fd) != 0)
      if (errno != EINTR)
        {
          out->err = errno;
          out->step = "sync";
          break;
        }
  /* close() can report a delayed write error (NFS) */
  if (close (out->fd) != 0 && out->err == 0 && errno != EINTR)
    {
      out->err = errno;
      out->step = "close";
    }
  out->fd = -1;
}

static int
output_close (void *cookie)
{
  Output *out = cookie;
  out->closed = TRUE;
  output_finish (out);
  return out->err == 0 ? 0 : -1;
}

static const cookie_io_functions_t output_functions = {
  .read = NULL, .write = output_write, .seek = NULL, .close = output_close
};

/* ---- open, render, close ------------------------------------------------ */

/* Creates the temporary file beside `path` and takes its lock. A cleaner
 * (nt_figure_remove_stale) may lock and remove a file in the instant
 * between its creation and our lock; then the file has no link left once
 * we hold the lock, and another is made. */
static int
create_temporary (const char *path, char **tmp_path, GError **error)
{
  char *dir = g_path_get_dirname (path);
  char *base = g_path_get_basename (path);
  int fd = -1;
  for (int attempt = 0; attempt < 8 && fd < 0; attempt++)
    {
      char *tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
      fd = g_mkstemp (tmpl);
      if (fd < 0)
        {
          int err = errno;
          g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO,
                       "cannot write figure %s: %s (check that the folder "
                       "%s exists and is writable)", path, g_strerror (err),
                       dir);
          g_free (tmpl);
          break;
        }
      while (flock (fd, LOCK_EX) != 0 && errno == EINTR)
        ;
      /* without flock support the file simply stays unlocked */
      struct stat st;
      if (fstat (fd, &st) == 0 && st.st_nlink == 0)
        {
          close (fd);
          fd = -1;
          g_free (tmpl);
          continue;
        }
      *tmp_path = tmpl;
    }
  if (fd < 0 && error != NULL && *error == NULL)
    g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO,
                 "cannot write figure %s: its temporary file kept being "
                 "removed by another process", path);
  g_free (base);
  g_free (dir);
  return fd;
}

static void
figure_free (NtFigure *fig)
{
  if (fig->fd >= 0)
    close (fig->fd);
  g_free (fig->path);
  g_free (fig->tmp_path);
  g_free (fig->fatal);
  g_free (fig);
}

/* The part of opening that talks to PLplot (under the trap). */
static void
start_stream (NtFigure *fig, gpointer data)
{
  /* PLplot reports recoverable errors in these instead of on stderr */
  plsError (&fig->errcode, fig->errmsg);
  plsdev (fig->device);
  plsfile (fig->file);
  plspage (FIGURE_DPI, FIGURE_DPI, fig->width, fig->height, 0, 0);
  PLINT r[NT_N_COLORS], g[NT_N_COLORS], b[NT_N_COLORS];
  for (int i = 0; i < NT_N_COLORS; i++)
    {
      r[i] = palette[i][0];
      g[i] = palette[i][1];
      b[i] = palette[i][2];
    }
  plscmap0 (r, g, b, NT_N_COLORS);
  /* Driver options are per driver, and PLplot exits on one it does not
   * know. Cairo: images as one raster each (drawn cell by cell,
   * antialiasing would leave hairlines between the pixels), text not
   * clipped. */
  if (g_str_has_suffix (fig->device, "cairo"))
    plsetopt ("drvopt", "rasterize_image=1,text_clipping=0");
  else
    plsetopt ("drvopt", "text_clipping=0");
  plinit ();
  /* colour map 1: grayscale, for images */
  PLFLT pos[2] = { 0, 1 }, lo_hi[2] = { 0, 1 };
  plscmap1n (256);
  plscmap1l (1, 2, pos, lo_hi, lo_hi, lo_hi, NULL);
  pladv (0);
  plcol0 (NT_COLOR_FOREGROUND);
  plschr (0, 1.0);
  plwidth (1.0);
}

static void
stop_stream (NtFigure *fig, gpointer data)
{
  plend1 ();
}

/* Ends PLplot's stream of `fig` (which closes the output) and restores the
 * previous one. Afterwards fig->out holds the output's outcome and belongs
 * to fig. When PLplot fails fatally even here, its stream is abandoned: it
 * stays allocated in PLplot, pointing at our FILE and its Output, which
 * therefore stay allocated too, disconnected from the file (fd -1); the
 * figure keeps a copy of the outcome. */
static void
end_stream (NtFigure *fig)
{
  plsstrm (fig->stream);
  /* plend1 also frees a stream that plinit never started */
  gboolean ended = trapped_call (fig, stop_stream, NULL);
  plsstrm (fig->prev_stream);
  current_figure = NULL;
  if (ended && !fig->out->closed)
    fclose (fig->file);   /* PLplot did not take it (or did not close it) */
  else if (!ended)
    {
      output_finish (fig->out);
      Output *copy = g_new (Output, 1);
      *copy = *fig->out;
      fig->out = copy;
    }
  fig->file = NULL;
}

NtFigure *
nt_figure_open (const char *path, int width, int height, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  if (current_figure != NULL)
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_BUSY,
                   "cannot start figure %s while %s is being drawn (PLplot "
                   "draws one figure at a time)", path, current_figure->path);
      return NULL;
    }
  if (width < 16 || height < 16 || width > 20000 || height > 20000)
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_INVALID,
                   "figure %s: size %dx%d pixels is out of range (16 to "
                   "20000 per side)", path, width, height);
      return NULL;
    }
  const char *device = nt_figure_device_for (path);
  if (!device_available (device))
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_DRIVER,
                   "PLplot has no '%s' device to write %s; install the "
                   "Debian package %s", device, path,
                   g_str_has_suffix (device, "cairo")
                   ? "plplot-driver-cairo" : "libplplot17");
      return NULL;
    }
  /* Create the temporary file ourselves: PLplot exits the process when it
   * cannot open its output, so nothing may be left for it to fail on. */
  char *tmp_path = NULL;
  int fd = create_temporary (path, &tmp_path, error);
  if (fd < 0)
    return NULL;
  /* mkstemp makes the file private; give it the usual mode */
  mode_t mask = umask (0);
  umask (mask);
  (void) fchmod (fd, 0666 & ~mask);

  NtFigure *fig = g_new0 (NtFigure, 1);
  fig->path = g_strdup (path);
  fig->tmp_path = tmp_path;
  fig->fd = fd;
  fig->width = width;
  fig->height = height;
  fig->device = device;
  fig->out = g_new0 (Output, 1);
  fig->out->fd = dup (fd);
  if (fig->out->fd >= 0)
    fig->file = fopencookie (fig->out, "w", output_functions);
  if (fig->file == NULL)
    {
      int err = errno;
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO,
                   "cannot write figure %s: %s", path, g_strerror (err));
      if (fig->out->fd >= 0)
        close (fig->out->fd);
      g_free (fig->out);
      g_unlink (fig->tmp_path);
      figure_free (fig);
      return NULL;
    }
  plgstrm (&fig->prev_stream);
  plmkstrm (&fig->stream);
  if (fig->stream < 0)
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_DRIVER,
                   "cannot start figure %s: PLplot has no free stream", path);
      fclose (fig->file);
      g_free (fig->out);
      g_unlink (fig->tmp_path);
      figure_free (fig);
      return NULL;
    }
  current_figure = fig;
  if (!trapped_call (fig, start_stream, NULL))
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_DRIVER,
                   "cannot start figure %s: PLplot failed: %s", path,
                   fig->fatal);
      nt_figure_discard (fig);
      return NULL;
    }
  return fig;
}

void
nt_figure_discard (NtFigure *fig)
{
  if (fig == NULL)
    return;
  end_stream (fig);
  g_unlink (fig->tmp_path);
  g_free (fig->out);
  figure_free (fig);
}

/* TRUE when the first `len` bytes of the file hold a finished file of
 * `device`'s format (checked at its end: a driver stopped midway, or a
 * truncated copy, fails). */
static gboolean
output_complete (int fd, guint64 len, const char *device)
{
  char tail[64];
  gsize want = (gsize) MIN (len, (guint64) sizeof tail);
  if (want == 0
      || pread (fd, tail, want, (off_t) (len - want)) != (ssize_t) want)
    return FALSE;
  if (strcmp (device, "pngcairo") == 0)
    {
      /* the IEND chunk: length 0, type, CRC */
      static const guint8 iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
                                       0xae, 0x42, 0x60, 0x82 };
      return want >= 12 && memcmp (tail + want - 12, iend, 12) == 0;
    }
  char *text = g_strndup (tail, want);
  gboolean ok = strcmp (device, "svg") == 0
      ? g_strrstr (text, "</svg>") != NULL
      : g_strrstr (text, "%%EOF") != NULL;
  g_free (text);
  return ok;
}

/* Makes the rename durable. Failure is ignored: the new file is already
 * complete and in place, and some file systems refuse fsync on folders. */
static void
sync_folder (const char *path)
{
  char *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd >= 0)
    {
      (void) fsync (fd);
      close (fd);
    }
  g_free (dir);
}

gboolean
nt_figure_close (NtFigure *fig, GError **error)
{
  g_return_val_if_fail (fig != NULL, FALSE);
  end_stream (fig);
  Output *out = fig->out;
  gboolean ok = FALSE;
  struct stat st;
  if (fig->fatal != NULL)
    g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_DRIVER,
                 "figure %s: PLplot failed fatally: %s", fig->path,
                 fig->fatal);
  else if (fig->errcode != 0)
    {
      char *msg = g_strstrip (g_strdup (fig->errmsg));
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_DRIVER,
                   "figure %s: PLplot failed: %s", fig->path,
                   *msg ? msg : "(no message)");
      g_free (msg);
    }
  else if (out->err != 0)
    g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO,
                 "cannot write figure %s: %s failed after %" G_GUINT64_FORMAT
                 " bytes: %s (is the disk full?)", fig->path, out->step,
                 out->bytes, g_strerror (out->err));
  else if (fstat (fig->fd, &st) != 0 || out->bytes == 0
           || (guint64) st.st_size != out->bytes)
    g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO,
                 "cannot write figure %s: PLplot produced %" G_GUINT64_FORMAT
                 " bytes but the file holds %" G_GUINT64_FORMAT, fig->path,
                 out->bytes, (guint64) st.st_size);
  else if (!output_complete (fig->fd, out->bytes, fig->device))
    g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_DRIVER,
                 "figure %s: PLplot's %s driver did not finish the file "
                 "(%" G_GUINT64_FORMAT " bytes)", fig->path, fig->device,
                 out->bytes);
  else if (g_rename (fig->tmp_path, fig->path) != 0)
    {
      int err = errno;
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO,
                   "cannot write figure %s: %s", fig->path, g_strerror (err));
    }
  else
    {
      ok = TRUE;
      sync_folder (fig->path);
    }
  if (!ok)
    g_unlink (fig->tmp_path);
  g_free (fig->out);
  figure_free (fig);
  return ok;
}

gboolean
nt_figure_render (const char *path, int width, int height,
                  NtFigureDrawFunc draw, gpointer data, GError **error)
{
  g_return_val_if_fail (draw != NULL, FALSE);
  NtFigure *fig = nt_figure_open (path, width, height, error);
  if (fig == NULL)
    return FALSE;
  trapped_call (fig, draw, data);
  return nt_figure_close (fig, error);
}

/* ---- stale temporary files ---------------------------------------------- */

gboolean
nt_figure_is_temporary_name (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);
  static const char *const exts[] = { ".png", ".svg", ".pdf" };
  gsize len = strlen (name);
  /* "." NAME EXT "." XXXXXX, NAME not empty */
  if (len < 1 + 1 + 4 + 7 || name[0] != '.' || name[len - 7] != '.')
    return FALSE;
  for (gsize i = len - 6; i < len; i++)
    if (!g_ascii_isalnum (name[i]))
      return FALSE;
  for (guint e = 0; e < G_N_ELEMENTS (exts); e++)
    if (g_ascii_strncasecmp (name + len - 11, exts[e], 4) == 0)
      return TRUE;
  return FALSE;
}

/* TRUE when the temporary file at `path` is stale (no process holds its
 * lock) and was removed; FALSE with errno 0 when it is in use or gone. */
static gboolean
remove_if_stale (const char *path, int *err)
{
  *err = 0;
  int fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  struct stat st, now;
  gboolean stale = FALSE;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    {
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        stale = TRUE;
      else if (errno != EWOULDBLOCK && errno != EINTR)
        /* no flock here: only an old file is surely abandoned */
        stale = st.st_mtime < time (NULL) - 3600;
    }
  /* still the same file under that name */
  if (stale && (g_lstat (path, &now) != 0 || now.st_ino != st.st_ino
                || now.st_dev != st.st_dev))
    stale = FALSE;
  gboolean removed = FALSE;
  if (stale)
    {
      if (g_unlink (path) == 0)
        removed = TRUE;
      else if (errno != ENOENT)
        *err = errno;
    }
  close (fd);
  return removed;
}

gboolean
nt_figure_remove_stale (const char *dir, GPtrArray *removed, GError **error)
{
  g_return_val_if_fail (dir != NULL, FALSE);
  GError *local = NULL;
  GDir *d = g_dir_open (dir, 0, &local);
  if (d == NULL)
    {
      g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO,
                   "cannot look for stale figure files in %s: %s", dir,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  const char *name;
  gboolean ok = TRUE;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (!nt_figure_is_temporary_name (name))
        continue;
      char *path = g_build_filename (dir, name, NULL);
      int err;
      if (remove_if_stale (path, &err))
        {
          if (removed)
            g_ptr_array_add (removed, path);
          else
            g_free (path);
          continue;
        }
      if (err != 0 && ok)
        {
          g_set_error (error, NT_FIGURE_ERROR, NT_FIGURE_ERROR_IO,
                       "cannot remove the stale figure file %s: %s", path,
                       g_strerror (err));
          ok = FALSE;
        }
      g_free (path);
    }
  g_dir_close (d);
  return ok;
}

int
nt_figure_width (const NtFigure *fig)
{
  return fig->width;
}

int
nt_figure_height (const NtFigure *fig)
{
  return fig->height;
}

NtRgb
nt_figure_rgb (NtColor color)
{
  NtRgb black = { 0, 0, 0 };
  g_return_val_if_fail (color < NT_N_COLORS, black);
  NtRgb c = { palette[color][0] / 255.0, palette[color][1] / 255.0,
              palette[color][2] / 255.0 };
  return c;
}

void
nt_figure_color (NtColor color)
{
  plcol0 (color);
}

void
nt_figure_set_rgb (NtRgb rgb)
{
  plscol0 (NT_COLOR_SCRATCH, (PLINT) lround (CLAMP (rgb.r, 0, 1) * 255),
           (PLINT) lround (CLAMP (rgb.g, 0, 1) * 255),
           (PLINT) lround (CLAMP (rgb.b, 0, 1) * 255));
  plcol0 (NT_COLOR_SCRATCH);
}

NtRgb
nt_rgb_shade (NtRgb rgb, double factor)
{
  NtRgb out = { rgb.r * factor, rgb.g * factor, rgb.b * factor };
  return out;
}

void
nt_figure_text (double x, double y, double just, double scale, NtColor color,
                const char *text)
{
  plvpor (0, 1, 0, 1);
  plwind (0, 1, 0, 1);
  plschr (0, scale);
  plcol0 (color);
  plptex (x, y, 1, 0, just, text);
  plschr (0, 1.0);
  plcol0 (NT_COLOR_FOREGROUND);
}

void
nt_figure_gray_image (const float *pixels, int height, int width, double x0,
                      double x1, double y0, double y1, double vmin,
                      double vmax, const char *title)
{
  g_return_if_fail (pixels != NULL && height > 0 && width > 0);
  g_return_if_fail (vmax > vmin);
  /* PLplot wants columns: data[ix][iy] with iy = 0 at the bottom */
  PLFLT **data = g_new (PLFLT *, width);
  PLFLT *cells = g_new (PLFLT, (gsize) width * height);
  for (int ix = 0; ix < width; ix++)
    {
      data[ix] = cells + (gsize) ix * height;
      for (int iy = 0; iy < height; iy++)
        data[ix][iy] = CLAMP (pixels[(gsize) (height - 1 - iy) * width + ix],
                              vmin, vmax);
    }
  plvpor (x0, x1, y0, y1);
  plwind (0, width, 0, height);
  plimagefr ((PLFLT_MATRIX) data, width, height, 0, width, 0, height, vmin,
             vmax, vmin, vmax, NULL, NULL);
  plcol0 (NT_COLOR_GRAY);
  plbox ("bc", 0, 0, "bc", 0, 0);
  if (title != NULL)
    {
      plcol0 (NT_COLOR_FOREGROUND);
      plschr (0, 0.9);
      plmtex ("t", 0.8, 0.5, 0.5, title);
      plschr (0, 1.0);
    }
  g_free (cells);
  g_free (data);
}

void
nt_figure_legend (guint n, const char *const *labels, const NtColor *colors,
                  NtLegendKind kind, int position, double x, double y,
                  int n_columns)
{
  g_return_if_fail (n > 0 && n <= 16);
  PLINT opts[16], text_colors[16], box_colors[16], box_patterns[16];
  PLINT line_colors[16], line_styles[16], symbol_colors[16];
  PLINT symbol_numbers[16];
  PLFLT box_scales[16], box_widths[16], line_widths[16], symbol_scales[16];
  const char *symbols[16];
  for (guint i = 0; i < n; i++)
    {
      opts[i] = kind == NT_LEGEND_BOX ? PL_LEGEND_COLOR_BOX
                                      : PL_LEGEND_LINE | PL_LEGEND_SYMBOL;
      text_colors[i] = NT_COLOR_FOREGROUND;
      box_colors[i] = line_colors[i] = symbol_colors[i] = colors[i];
      box_patterns[i] = 0;
      box_scales[i] = 0.8;
      box_widths[i] = 1;
      line_styles[i] = 1;
      line_widths[i] = 2.5;
      symbol_scales[i] = 1.0;
      symbol_numbers[i] = 1;
      symbols[i] = "•";
    }
  PLFLT width, height;
  int n_rows = ((int) n + n_columns - 1) / n_columns;
  pllegend (&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
            position, x, y, kind == NT_LEGEND_BOX ? 0.03 : 0.08,
            NT_COLOR_BACKGROUND, NT_COLOR_GRAY, 1, n_rows, n_columns,
            (PLINT) n, opts, 1.0, 1.0, 2.0, 0.0, text_colors,
            (const char **) labels, box_colors, box_patterns, box_scales,
            box_widths, line_colors, line_styles, line_widths,
            symbol_colors, symbol_scales, symbol_numbers, symbols);
}

/* ---- 3-D views ------------------------------------------------------- */

void
nt_view3d_init (NtView3d *view, double alt, double az)
{
  view->alt = alt;
  view->az = az;
  double salt = sin (alt * G_PI / 180), calt = cos (alt * G_PI / 180);
  double saz = sin (az * G_PI / 180), caz = cos (az * G_PI / 180);
  /* PLplot's plw3d rotates the (scaled) world by
   *   [ caz        -saz        0    ]   screen x
   *   [ salt*saz    salt*caz   calt ]   screen y
   *   [ -calt*saz  -calt*caz   salt ]   towards the viewer
   * so the last row is the direction the viewer looks from. */
  view->depth[0] = -calt * saz;
  view->depth[1] = -calt * caz;
  view->depth[2] = salt;
  /* Lambert shading from a light above, on the viewer's side and to the
   * viewer's left (screen x is (caz, -saz, 0)), so the three visible
   * faces get three different shades. */
  double light[3] = { 0.5 * view->depth[0] - 0.4 * caz,
                      0.5 * view->depth[1] + 0.4 * saz, 1.0 };
  double norm = sqrt (light[0] * light[0] + light[1] * light[1]
                      + light[2] * light[2]);
  for (int axis = 0; axis < 3; axis++)
    for (int side = 0; side < 2; side++)
      {
        double l = (side ? 1 : -1) * light[axis] / norm;
        view->shade[2 * axis + side] = 0.68 + 0.32 * MAX (l, 0.0);
      }
}

gboolean
nt_view3d_axis_ascending (const NtView3d *view, int axis)
{
  return view->depth[axis] >= 0;
}

/* Screen coordinates of world point p under plw3d with unit bases (the
 * formula of plP_w3wcx/plP_w3wcy), to size the window around the cube. */
static void
project (const NtView3d *view, const double p[3], double *sx, double *sy)
{
  double salt = sin (view->alt * G_PI / 180), calt = cos (view->alt * G_PI / 180);
  double saz = sin (view->az * G_PI / 180), caz = cos (view->az * G_PI / 180);
  *sx = caz * (p[0] - 0.5) - saz * (p[1] - 0.5);
  *sy = salt * saz * (p[0] - 0.5) + salt * caz * (p[1] - 0.5) + calt * p[2];
}

/* One edge of the unit cube: along `axis`, at the two other coordinates
 * given by the bits of `corner`. */
static void
cube_edge (int axis, int corner, double from[3], double to[3])
{
  int b = (axis + 1) % 3, c = (axis + 2) % 3;
  from[axis] = 0;
  to[axis] = 1;
  from[b] = to[b] = corner & 1;
  from[c] = to[c] = (corner >> 1) & 1;
}

/* TRUE when an edge lies on a face turned towards the viewer (it is then
 * drawn over the contents). */
static gboolean
edge_in_front (const NtView3d *view, int axis, int corner)
{
  int b = (axis + 1) % 3, c = (axis + 2) % 3;
  gboolean face_b = (corner & 1) ? view->depth[b] > 0 : view->depth[b] < 0;
  gboolean face_c = ((corner >> 1) & 1) ? view->depth[c] > 0
                                         : view->depth[c] < 0;
  return face_b || face_c;
}

/* The three faces of the cube turned away from the viewer, filled very
 * light with a grid every 0.25: the "room" the contents sit in, which
 * makes depth readable. */
static void
draw_back_walls (const NtView3d *view)
{
  for (int axis = 0; axis < 3; axis++)
    {
      /* the wall on the far side along this axis */
      double at = view->depth[axis] >= 0 ? 0.0 : 1.0;
      int b = (axis + 1) % 3, c = (axis + 2) % 3;
      PLFLT p[3][4];
      static const int ub[4] = { 0, 1, 1, 0 }, uc[4] = { 0, 0, 1, 1 };
      for (int k = 0; k < 4; k++)
        {
          p[axis][k] = at;
          p[b][k] = ub[k];
          p[c][k] = uc[k];
        }
      nt_figure_set_rgb ((NtRgb) { 0.965, 0.965, 0.965 });
      plfill3 (4, p[0], p[1], p[2]);
      nt_figure_color (NT_COLOR_LIGHT_GRAY);
      plwidth (0.7);
      for (int t = 1; t < 4; t++)
        for (int dir = 0; dir < 2; dir++)
          {
            PLFLT q[3][2];
            q[axis][0] = q[axis][1] = at;
            int along = dir ? b : c, across = dir ? c : b;
            q[along][0] = 0;
            q[along][1] = 1;
            q[across][0] = q[across][1] = t / 4.0;
            plline3 (2, q[0], q[1], q[2]);
          }
      plwidth (1.0);
    }
}

static void
draw_edges (const NtView3d *view, gboolean front)
{
  plcol0 (NT_COLOR_GRAY);
  plwidth (0.8);
  for (int axis = 0; axis < 3; axis++)
    for (int corner = 0; corner < 4; corner++)
      if (edge_in_front (view, axis, corner) == front)
        {
          double from[3], to[3];
          cube_edge (axis, corner, from, to);
          PLFLT x[2] = { from[0], to[0] }, y[2] = { from[1], to[1] },
                z[2] = { from[2], to[2] };
          plline3 (2, x, y, z);
        }
  plwidth (1.0);
  plcol0 (NT_COLOR_FOREGROUND);
}

void
nt_view3d_begin (const NtView3d *view, double x0, double x1, double y0,
                 double y1, const char *xlabel, const char *ylabel,
                 const char *zlabel)
{
  /* the projected cube's bounding box, widened for the axis labels and
   * stretched to the viewport's aspect so the cube is not distorted */
  double xmin = G_MAXDOUBLE, xmax = -G_MAXDOUBLE;
  double ymin = G_MAXDOUBLE, ymax = -G_MAXDOUBLE;
  for (int c = 0; c < 8; c++)
    {
      double p[3] = { c & 1, (c >> 1) & 1, (c >> 2) & 1 }, sx, sy;
      project (view, p, &sx, &sy);
      xmin = MIN (xmin, sx);
      xmax = MAX (xmax, sx);
      ymin = MIN (ymin, sy);
      ymax = MAX (ymax, sy);
    }
  double margin = 0.13 * MAX (xmax - xmin, ymax - ymin);
  xmin -= 1.6 * margin;   /* room for the vertical axis' label */
  xmax += margin;
  ymin -= 1.2 * margin;
  ymax += 0.2 * margin;
  double vw = (x1 - x0) * (current_figure ? current_figure->width : 1);
  double vh = (y1 - y0) * (current_figure ? current_figure->height : 1);
  double ww = xmax - xmin, wh = ymax - ymin;
  if (ww / wh < vw / vh)
    {
      double grow = (wh * vw / vh - ww) / 2;
      xmin -= grow;
      xmax += grow;
    }
  else
    {
      double grow = (ww * vh / vw - wh) / 2;
      ymin -= grow;
      ymax += grow;
    }
  plvpor (x0, x1, y0, y1);
  plwind (xmin, xmax, ymin, ymax);
  plw3d (1, 1, 1, 0, 1, 0, 1, 0, 1, view->alt, view->az);
  draw_back_walls (view);
  plcol0 (NT_COLOR_FOREGROUND);
  plschr (0, 0.85);
  plbox3 ("bnstu", xlabel, 0.5, 5, "bnstu", ylabel, 0.5, 5, "bnstu",
          zlabel, 0.5, 5);
  plschr (0, 1.0);
  draw_edges (view, FALSE);
}

void
nt_view3d_label (const NtView3d *view, const double p[3], double dx,
                 double dy, double just, const char *text)
{
  double sx, sy;
  project (view, p, &sx, &sy);
  plschr (0, 0.85);
  plcol0 (NT_COLOR_FOREGROUND);
  plptex (sx + dx, sy + dy, 1, 0, just, text);
  plschr (0, 1.0);
}

void
nt_view3d_end (const NtView3d *view)
{
  draw_edges (view, TRUE);
}

void
nt_view3d_box (const NtView3d *view, const double lo[3], const double hi[3],
               guint faces, NtRgb rgb, gboolean outline)
{
  for (int axis = 0; axis < 3; axis++)
    for (int side = 0; side < 2; side++)
      {
        guint bit = 1u << (2 * axis + side);
        /* back faces are hidden by the box itself */
        gboolean visible = side ? view->depth[axis] > 0
                                : view->depth[axis] < 0;
        if (!(faces & bit) || !visible)
          continue;
        int b = (axis + 1) % 3, c = (axis + 2) % 3;
        PLFLT p[3][5];
        static const int ub[5] = { 0, 1, 1, 0, 0 }, uc[5] = { 0, 0, 1, 1, 0 };
        for (int k = 0; k < 5; k++)
          {
            p[axis][k] = side ? hi[axis] : lo[axis];
            p[b][k] = ub[k] ? hi[b] : lo[b];
            p[c][k] = uc[k] ? hi[c] : lo[c];
          }
        nt_figure_set_rgb (nt_rgb_shade (rgb, view->shade[2 * axis + side]));
        plfill3 (4, p[0], p[1], p[2]);
        if (outline)
          {
            plwidth (0.6);
            plline3 (5, p[0], p[1], p[2]);
            plwidth (1.0);
          }
      }
}
