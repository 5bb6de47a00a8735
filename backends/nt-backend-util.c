/* nt-backend-util.c: the in-tree backends' sticky error and argument
 * checks (see nt-backend-util.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>

#include "nt-backend-util.h"

void
_nt_backend_fail (GError **sticky, const char *backend, NtBackendError code,
                  const char *format, ...)
{
  va_list ap;
  char *msg;

  if (*sticky != NULL)
    return;  /* the first failure is the one reported */
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  *sticky = g_error_new (NT_BACKEND_ERROR, code, "%s backend: %s", backend,
                         msg);
  g_free (msg);
}

gboolean
_nt_backend_check_buf (GError **sticky, const char *backend, const char *op,
                       const char *what, const NtBuffer *buf, gsize offset,
                       gsize count)
{
  if (buf == NULL)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: buffer '%s' is NULL", op, what);
      return FALSE;
    }
  if (offset > buf->count || count > buf->count - offset)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: buffer '%s' holds %" G_GSIZE_FORMAT
                        " elements but the operation needs %" G_GSIZE_FORMAT
                        " from offset %" G_GSIZE_FORMAT " (a shape does not "
                        "match the buffers)", op, what, buf->count, count,
                        offset);
      return FALSE;
    }
  return TRUE;
}

gboolean
_nt_backend_check_dims (GError **sticky, const char *backend, const char *op,
                        NtDims d, gboolean allow_zero)
{
  int lo = allow_zero ? 0 : 1;

  if (d.n < lo || d.c < lo || d.h < lo || d.w < lo)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: invalid shape %d x %d x %d x %d (NCHW)", op, d.n,
                        d.c, d.h, d.w);
      return FALSE;
    }
  return TRUE;
}

gboolean
_nt_backend_count3 (GError **sticky, const char *backend, const char *op,
                    int n, int c, int spatial, gsize *out)
{
  gsize nc;

  if (n < 0 || c < 0 || spatial < 0)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: negative size (n=%d, c=%d, spatial=%d)", op, n,
                        c, spatial);
      return FALSE;
    }
  nc = (gsize) n * (gsize) c;
  if (spatial > 0 && nc > G_MAXSIZE / (gsize) spatial)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: size overflows", op);
      return FALSE;
    }
  *out = nc * (gsize) spatial;
  return TRUE;
}

gboolean
_nt_backend_check_conv (GError **sticky, const char *backend, const char *op,
                        NtDims xd, int out_c, const NtWindow *win)
{
  if (!_nt_backend_check_dims (sticky, backend, op, xd, FALSE))
    return FALSE;
  if (win == NULL || win->kh < 1 || win->kw < 1 || win->stride_h < 1
      || win->stride_w < 1 || win->pad_top < 0 || win->pad_bottom < 0
      || win->pad_left < 0 || win->pad_right < 0 || out_c < 1)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: invalid window or channel count (kernel, stride "
                        "and out_c must be >= 1, padding >= 0)", op);
      return FALSE;
    }
  if ((gint64) xd.h + win->pad_top + win->pad_bottom < win->kh
      || (gint64) xd.w + win->pad_left + win->pad_right < win->kw)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: %dx%d kernel larger than the padded %dx%d input",
                        op, win->kh, win->kw, xd.h, xd.w);
      return FALSE;
    }
  return TRUE;
}

gboolean
_nt_backend_check_pool (GError **sticky, const char *backend, const char *op,
                        NtDims xd, const NtWindow *win)
{
  if (!_nt_backend_check_dims (sticky, backend, op, xd, FALSE))
    return FALSE;
  if (win == NULL || win->kh < 1 || win->kw < 1 || win->stride_h < 1
      || win->stride_w < 1)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: invalid window (kernel and stride must be >= 1)",
                        op);
      return FALSE;
    }
  if (win->pad_top != 0 || win->pad_bottom != 0 || win->pad_left != 0
      || win->pad_right != 0)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: max pooling takes no padding", op);
      return FALSE;
    }
  if (win->kh > xd.h || win->kw > xd.w)
    {
      _nt_backend_fail (sticky, backend, NT_BACKEND_ERROR_INVALID,
                        "%s: %dx%d window larger than the %dx%d input", op,
                        win->kh, win->kw, xd.h, xd.w);
      return FALSE;
    }
  return TRUE;
}
