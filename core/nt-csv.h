/* nt-csv.h: small CSV tables (a header line, then rows of fields without
 * quotes or embedded commas), as written and read by the experiment runner
 * and the figure renderers. */
#ifndef NT_CSV_H
#define NT_CSV_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _NtCsv NtCsv;

/* Reads `path`. Fails with a G_FILE_ERROR on I/O, or G_FILE_ERROR_INVAL
 * naming the file and line when a row has the wrong number of fields.
 * Free with nt_csv_free. */
NtCsv *nt_csv_read (const char *path, GError **error);
/* A new empty table with the given columns (NULL-terminated). */
NtCsv *nt_csv_new (const char *const *columns);
void nt_csv_free (NtCsv *csv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NtCsv, nt_csv_free)

guint nt_csv_n_rows (const NtCsv *csv);
guint nt_csv_n_columns (const NtCsv *csv);
const char *nt_csv_column_name (const NtCsv *csv, guint col);
/* Index of a column, or -1. */
int nt_csv_column (const NtCsv *csv, const char *name);
/* Field text (owned by the table); NULL for an unknown column. */
const char *nt_csv_get (const NtCsv *csv, guint row, const char *column);
/* Field as a number (NAN when missing or not a number). */
double nt_csv_get_double (const NtCsv *csv, guint row, const char *column);

/* Appends a row of exactly n_columns fields (copied). */
void nt_csv_append (NtCsv *csv, const char *const *fields);
/* Appends a row from printf-style text "a,b,c". */
void nt_csv_append_printf (NtCsv *csv, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

/* Writes the table atomically (g_file_set_contents). */
gboolean nt_csv_write (const NtCsv *csv, const char *path, GError **error);

G_END_DECLS
#endif
