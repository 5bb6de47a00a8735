/* nt-figure.h: one figure file drawn with PLplot, and the
 * helpers every figure kind shares (the study's colours, page-level text,
 * grayscale images, solid 3-D boxes seen from a fixed viewpoint).
 *
 * The output format follows the file name: .png (pngcairo, also the
 * default for other names), .svg (PLplot's own svg driver, which keeps
 * text as <text> elements; cairo's SVG surface can only store glyph
 * outlines), .pdf (pdfcairo).
 *
 * A figure is rendered into a temporary file beside the target,
 * ".NAME.XXXXXX", locked (flock) while it is drawn, and renamed over the
 * target only when PLplot has finished without complaint and every byte
 * the driver produced has been written, flushed, synced and closed
 * without error; otherwise the temporary file is removed and the target,
 * if any, is left as it was. Temporary files of a process that was killed
 * while drawing are removed by nt_figure_remove_stale.
 *
 * PLplot ends the process (its plexit) on some errors, e.g. a tick
 * spacing far too small for the axis. nt_figure_render traps that: the
 * figure is abandoned and reported as an NT_FIGURE_ERROR_DRIVER GError
 * naming it, and the process goes on. Renderers validate their data first,
 * so the trap is a safety net (see nt_figure_render).
 *
 * PLplot keeps global state: only one figure may be open at a time in a
 * process (a second nt_figure_open fails until the first is closed), and
 * figures must not be drawn from several threads. Between open and close,
 * the PLplot API can be called directly (plvpor, plbox, plline, ...). */
#ifndef NT_FIGURE_H
#define NT_FIGURE_H

#include <glib.h>

G_BEGIN_DECLS

#define NT_FIGURE_ERROR (nt_figure_error_quark ())
GQuark nt_figure_error_quark (void);

typedef enum {
  NT_FIGURE_ERROR_IO,       /* the file cannot be written */
  NT_FIGURE_ERROR_DRIVER,   /* PLplot or its driver failed */
  NT_FIGURE_ERROR_BUSY,     /* another figure is open */
  NT_FIGURE_ERROR_INVALID   /* bad arguments or data */
} NtFigureError;

/* Colour map 0 of every figure: fixed indices. */
typedef enum {
  NT_COLOR_BACKGROUND = 0,  /* white */
  NT_COLOR_FOREGROUND,      /* black: axes, text */
  NT_COLOR_CORRECT,         /* green */
  NT_COLOR_MISCLASSIFIED,   /* red */
  NT_COLOR_UNCLASSIFIED,    /* blue */
  NT_COLOR_DOWN,            /* magenta: the ramp's "down" class */
  NT_COLOR_UP,              /* cyan: the ramp's "up" class */
  NT_COLOR_LIGHT_GRAY,      /* null regions, frames */
  NT_COLOR_GRAY,            /* secondary text, grids */
  NT_COLOR_SCRATCH,         /* set by nt_figure_set_rgb */
  NT_N_COLORS
} NtColor;

typedef struct {
  double r, g, b;           /* in [0, 1] */
} NtRgb;

typedef struct _NtFigure NtFigure;

/* The PLplot device for `path`: "pngcairo", "svg" or "pdfcairo". */
const char *nt_figure_device_for (const char *path);

/* Opens a figure of width x height pixels (at 100 dots per inch for the
 * vector formats) on a white page and starts its single page. Fails when
 * another figure is open, the sizes are out of [16, 20000], the PLplot
 * driver is missing or the file cannot be created (missing folder, no
 * permission). */
NtFigure *nt_figure_open (const char *path, int width, int height,
                          GError **error);

/* Ends the figure and puts the file in place. Fails with
 * NT_FIGURE_ERROR_DRIVER when PLplot reported an error while drawing, and
 * with NT_FIGURE_ERROR_IO when a write, flush, sync or close of the file
 * failed (a full disk, a quota), the file on disk is not the size of what
 * the driver produced, or the driver did not finish the file (no PNG IEND
 * chunk, no closing </svg>, no PDF %%EOF); the temporary file is then
 * removed and the target left as it was. Frees `fig` in every case. */
gboolean nt_figure_close (NtFigure *fig, GError **error);

/* Ends the figure without writing anything (error paths). */
void nt_figure_discard (NtFigure *fig);

/* Draws the content of a figure between open and close. */
typedef void (*NtFigureDrawFunc) (NtFigure *fig, gpointer data);

/* Opens `path` (as nt_figure_open), calls draw (fig, data) and closes it
 * (as nt_figure_close). When PLplot meets an error on which it would end
 * the process (its plexit), the figure is abandoned instead: nothing is
 * written, and FALSE is returned with NT_FIGURE_ERROR_DRIVER naming the
 * figure and quoting PLplot. The trap unwinds `draw` with longjmp, so
 * whatever `draw` allocated itself is then leaked and its cleanup code is
 * skipped: keep owned data in `data` (freed by the caller) and validate it
 * before drawing, so that the trap stays a safety net. PLplot calls made
 * outside a render (between a plain nt_figure_open and close) are not
 * covered: on such an error PLplot still ends the process (the temporary
 * file is removed first). */
gboolean nt_figure_render (const char *path, int width, int height,
                           NtFigureDrawFunc draw, gpointer data,
                           GError **error);

/* TRUE when `name` (a file name, no folder) has the form of the temporary
 * files figures are drawn into: ".NAME.EXT.XXXXXX" with EXT png, svg or
 * pdf and XXXXXX six letters or digits. */
gboolean nt_figure_is_temporary_name (const char *name);

/* Removes from the folder `dir` the temporary files left by figures whose
 * process was killed while drawing: files whose name passes
 * nt_figure_is_temporary_name and that no process holds (a figure being
 * drawn keeps its temporary file locked; on a file system without flock,
 * only files older than an hour are taken). Nothing else is touched. The
 * paths removed are appended to `removed` (strings it owns; may be NULL).
 * Fails when the folder cannot be read or a stale file cannot be removed
 * (the others are still tried). */
gboolean nt_figure_remove_stale (const char *dir, GPtrArray *removed,
                                 GError **error);

/* The figure's size in pixels. */
int nt_figure_width (const NtFigure *fig);
int nt_figure_height (const NtFigure *fig);

/* The RGB values of a fixed colour. */
NtRgb nt_figure_rgb (NtColor color);

/* Selects a fixed colour for lines, fills and text. */
void nt_figure_color (NtColor color);

/* Selects an arbitrary colour (stored in NT_COLOR_SCRATCH). */
void nt_figure_set_rgb (NtRgb rgb);

/* `rgb` darkened by `factor` in [0, 1] (1 keeps it). */
NtRgb nt_rgb_shade (NtRgb rgb, double factor);

/* Text in page coordinates (0..1 from the bottom-left corner), justified
 * by `just` (0 left, 0.5 centre, 1 right), at `scale` times the base
 * character height. Leaves the viewport covering the page. */
void nt_figure_text (double x, double y, double just, double scale,
                     NtColor color, const char *text);

/* Draws a grayscale image (height x width floats, row-major, row 0 on
 * top) into the page rectangle [x0, x1] x [y0, y1], values vmin (black)
 * to vmax (white), with a thin frame and an optional title above it. */
void nt_figure_gray_image (const float *pixels, int height, int width,
                           double x0, double x1, double y0, double y1,
                           double vmin, double vmax, const char *title);

/* Legend entries: a line with a dot, or a filled square. */
typedef enum { NT_LEGEND_LINE, NT_LEGEND_BOX } NtLegendKind;

/* Draws a legend of n entries in the current viewport (set it first), at
 * PLplot's `position` (PL_POSITION_* flags, e.g. PL_POSITION_TOP |
 * PL_POSITION_RIGHT | PL_POSITION_INSIDE) offset by (x, y), in
 * `n_columns` columns, framed. */
void nt_figure_legend (guint n, const char *const *labels,
                       const NtColor *colors, NtLegendKind kind, int position,
                       double x, double y, int n_columns);

/* ---- 3-D views ---------------------------------------------------------
 * A fixed parallel projection of the unit cube, set up with plw3d. Solid
 * boxes are drawn with plfill3, face by face, with one shade per face
 * orientation; PLplot does no hidden-surface removal, so callers draw in
 * back-to-front order (nt_view3d_axis_ascending tells which way that is
 * along each axis). */
typedef struct {
  double alt, az;           /* PLplot's altitude and azimuth, degrees */
  double depth[3];          /* the unit vector towards the viewer */
  double shade[6];          /* brightness of faces -x, +x, -y, +y, -z, +z */
} NtView3d;

/* A view from altitude `alt` (0..90, degrees above the x-y plane) and
 * azimuth `az` (PLplot's convention: rotation of the x-y plane about z).
 * Faces are shaded by a fixed light from the viewer's upper left. */
void nt_view3d_init (NtView3d *view, double alt, double az);

/* Sets up the viewport [x0, x1] x [y0, y1] (page coordinates) and plw3d
 * for the unit cube, draws its axes labelled xlabel, ylabel, zlabel and
 * the cube's back edges. */
void nt_view3d_begin (const NtView3d *view, double x0, double x1, double y0,
                      double y1, const char *xlabel, const char *ylabel,
                      const char *zlabel);

/* Writes `text` beside the world point p, offset by (dx, dy) in units of
 * the cube's size on screen, justified by `just`. */
void nt_view3d_label (const NtView3d *view, const double p[3], double dx,
                      double dy, double just, const char *text);

/* Draws the cube's front edges (call after the contents). */
void nt_view3d_end (const NtView3d *view);

/* TRUE when drawing back to front means ascending coordinates along
 * `axis` (0, 1, 2). */
gboolean nt_view3d_axis_ascending (const NtView3d *view, int axis);

/* Faces of a box, as bits: 1 << (2 * axis + (positive side ? 1 : 0)). */
#define NT_BOX_ALL_FACES 0x3fu

/* Draws the visible faces among `faces` of the box [lo, hi] in colour
 * `rgb`, shaded by orientation. When `outline` the faces are also stroked
 * in their own colour, which hides the hairline seams antialiasing leaves
 * between adjacent faces. */
void nt_view3d_box (const NtView3d *view, const double lo[3],
                    const double hi[3], guint faces, NtRgb rgb,
                    gboolean outline);

G_END_DECLS
#endif
