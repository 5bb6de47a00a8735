/* nt-csv.c: small CSV tables. */
#include "config.h"
#include "nt-csv.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

struct _NtCsv {
  GPtrArray *columns;   /* char* */
  GPtrArray *rows;      /* char** (n_columns each, g_strfreev) */
};

NtCsv *
nt_csv_new (const char *const *columns)
{
  NtCsv *csv = g_new0 (NtCsv, 1);
  csv->columns = g_ptr_array_new_with_free_func (g_free);
  csv->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  for (const char *const *c = columns; c && *c; c++)
    g_ptr_array_add (csv->columns, g_strdup (*c));
  return csv;
}

void
nt_csv_free (NtCsv *csv)
{
  if (csv == NULL)
    return;
  g_ptr_array_unref (csv->columns);
  g_ptr_array_unref (csv->rows);
  g_free (csv);
}

NtCsv *
nt_csv_read (const char *path, GError **error)
{
  char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  char **lines = g_strsplit (text, "\n", -1);
  g_free (text);
  NtCsv *csv = NULL;
  for (guint i = 0; lines[i]; i++)
    {
      char *line = g_strchomp (lines[i]);   /* tolerate \r\n */
      if (*line == '\0')
        continue;
      char **fields = g_strsplit (line, ",", -1);
      if (csv == NULL)
        {
          csv = nt_csv_new ((const char *const *) fields);
          g_strfreev (fields);
          continue;
        }
      if (g_strv_length (fields) != csv->columns->len)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s:%u: %u fields, the header has %u", path, i + 1,
                       g_strv_length (fields), csv->columns->len);
          g_strfreev (fields);
          nt_csv_free (csv);
          g_strfreev (lines);
          return NULL;
        }
      g_ptr_array_add (csv->rows, fields);
    }
  g_strfreev (lines);
  if (csv == NULL)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s: empty file (no header line)", path);
  return csv;
}

guint
nt_csv_n_rows (const NtCsv *csv)
{
  return csv->rows->len;
}

guint
nt_csv_n_columns (const NtCsv *csv)
{
  return csv->columns->len;
}

const char *
nt_csv_column_name (const NtCsv *csv, guint col)
{
  return col < csv->columns->len ? csv->columns->pdata[col] : NULL;
}

int
nt_csv_column (const NtCsv *csv, const char *name)
{
  for (guint i = 0; i < csv->columns->len; i++)
    if (strcmp (csv->columns->pdata[i], name) == 0)
      return (int) i;
  return -1;
}

const char *
nt_csv_get (const NtCsv *csv, guint row, const char *column)
{
  int c = nt_csv_column (csv, column);
  if (c < 0 || row >= csv->rows->len)
    return NULL;
  return ((char **) csv->rows->pdata[row])[c];
}

double
nt_csv_get_double (const NtCsv *csv, guint row, const char *column)
{
  const char *text = nt_csv_get (csv, row, column);
  char *end = NULL;
  double v = text ? g_ascii_strtod (text, &end) : NAN;
  return (text && end != text && *end == '\0') ? v : NAN;
}

void
nt_csv_append (NtCsv *csv, const char *const *fields)
{
  char **row = g_new0 (char *, csv->columns->len + 1);
  for (guint i = 0; i < csv->columns->len; i++)
    row[i] = g_strdup (fields[i] ? fields[i] : "");
  g_ptr_array_add (csv->rows, row);
}

void
nt_csv_append_printf (NtCsv *csv, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  char *line = g_strdup_vprintf (format, ap);
  va_end (ap);
  char **fields = g_strsplit (line, ",", -1);
  g_return_if_fail (g_strv_length (fields) == csv->columns->len);
  g_ptr_array_add (csv->rows, fields);
  g_free (line);
}

gboolean
nt_csv_write (const NtCsv *csv, const char *path, GError **error)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < csv->columns->len; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "",
                            (char *) csv->columns->pdata[i]);
  g_string_append_c (s, '\n');
  for (guint r = 0; r < csv->rows->len; r++)
    {
      char **row = csv->rows->pdata[r];
      for (guint i = 0; i < csv->columns->len; i++)
        g_string_append_printf (s, "%s%s", i ? "," : "", row[i]);
      g_string_append_c (s, '\n');
    }
  gboolean ok = g_file_set_contents (path, s->str, s->len, error);
  g_string_free (s, TRUE);
  return ok;
}
