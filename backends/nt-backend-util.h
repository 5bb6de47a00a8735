/* nt-backend-util.h: what the in-tree backends (cpu, cuda) share, so that
 * both keep the same buffer header and reject bad arguments with the same
 * rules and words: the sticky first-failure error and the argument checks.
 * Compiled into each backend (backends/nt-backend-util.c); not installed.
 *
 * Every check returns TRUE when the arguments are fine; otherwise it
 * records an INVALID failure in *sticky ("<backend> backend: <op>: ...")
 * unless one is already there, and returns FALSE. */
#ifndef NT_BACKEND_UTIL_H
#define NT_BACKEND_UTIL_H

#include <glib.h>
#include "nt-backend.h"

G_BEGIN_DECLS

struct _NtBuffer {
  gsize count;   /* elements */
  float *data;   /* the backend's memory (host or device), NULL when
                  * count == 0 */
};

/* Sets *sticky to a new NT_BACKEND_ERROR `code` with the message
 * "<backend> backend: <format...>", unless it already holds a failure (the
 * first one is the one reported). */
void _nt_backend_fail (GError **sticky, const char *backend,
                       NtBackendError code, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

/* `buf` is not NULL and holds at least offset + count elements. */
gboolean _nt_backend_check_buf (GError **sticky, const char *backend,
                                const char *op, const char *what,
                                const NtBuffer *buf, gsize offset,
                                gsize count);

/* Every dimension of an image batch is positive (non-negative where
 * `allow_zero`). */
gboolean _nt_backend_check_dims (GError **sticky, const char *backend,
                                 const char *op, NtDims d,
                                 gboolean allow_zero);

/* n, c, spatial are not negative and *out = n * c * spatial fits a gsize. */
gboolean _nt_backend_count3 (GError **sticky, const char *backend,
                             const char *op, int n, int c, int spatial,
                             gsize *out);

/* A convolution's batch dims, window and out_c are valid and the kernel
 * fits the padded input. */
gboolean _nt_backend_check_conv (GError **sticky, const char *backend,
                                 const char *op, NtDims xd, int out_c,
                                 const NtWindow *win);

/* A max pooling's batch dims and window are valid: no padding, the window
 * within the input. */
gboolean _nt_backend_check_pool (GError **sticky, const char *backend,
                                 const char *op, NtDims xd,
                                 const NtWindow *win);

G_END_DECLS

#endif
