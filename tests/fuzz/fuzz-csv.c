/* fuzz-csv.c: the CSV reader (core/nt-csv.h) on arbitrary files. A table
 * that loads is read through every accessor, written back and read again:
 * the second reading must give the same table. */
#include "config.h"
#include "nt-fuzz.h"
#include "nt-csv.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = nt_fuzz_write ("input.csv", data, size);
  GError *error = NULL;
  NtCsv *csv = nt_csv_read (path, &error);
  if (csv == NULL)
    {
      NT_FUZZ_CHECK (error != NULL, "failed without an error");
      g_error_free (error);
      return 0;
    }
  guint n_cols = nt_csv_n_columns (csv), n_rows = nt_csv_n_rows (csv);
  NT_FUZZ_CHECK (n_cols > 0, "a table without columns");
  for (guint c = 0; c < n_cols; c++)
    {
      const char *name = nt_csv_column_name (csv, c);
      NT_FUZZ_CHECK (name != NULL, "column %u has no name", c);
      int found = nt_csv_column (csv, name);
      /* a repeated name finds its first column */
      NT_FUZZ_CHECK (found >= 0 && (guint) found <= c, "column '%s'", name);
      for (guint r = 0; r < n_rows; r++)
        {
          NT_FUZZ_CHECK (nt_csv_get (csv, r, name) != NULL, "row %u", r);
          double v = nt_csv_get_double (csv, r, name);
          (void) isnan (v);
        }
      NT_FUZZ_CHECK (nt_csv_get (csv, n_rows, name) == NULL, "past the end");
    }
  NT_FUZZ_CHECK (nt_csv_column_name (csv, n_cols) == NULL, "past the end");

  /* write it back and read it again (removed each time, so the atomic
   * write never has an old file to fsync) */
    {
      char *copy = g_strdup_printf ("%s.copy", path);
      NT_FUZZ_CHECK (nt_csv_write (csv, copy, &error), "write: %s",
                     error->message);
      NtCsv *again = nt_csv_read (copy, &error);
      NT_FUZZ_CHECK (again != NULL, "reread: %s", error->message);
      NT_FUZZ_CHECK (nt_csv_n_columns (again) == n_cols
                     && nt_csv_n_rows (again) == n_rows,
                     "%ux%u, then %ux%u", n_rows, n_cols,
                     nt_csv_n_rows (again), nt_csv_n_columns (again));
      for (guint c = 0; c < n_cols; c++)
        {
          const char *name = nt_csv_column_name (csv, c);
          NT_FUZZ_CHECK (strcmp (name, nt_csv_column_name (again, c)) == 0,
                         "column %u", c);
          for (guint r = 0; r < n_rows; r++)
            NT_FUZZ_CHECK (strcmp (nt_csv_get (csv, r, name),
                                   nt_csv_get (again, r, name)) == 0,
                           "row %u column '%s'", r, name);
        }
      nt_csv_free (again);
      g_unlink (copy);
      g_free (copy);
    }
  nt_csv_free (csv);
  return 0;
}
