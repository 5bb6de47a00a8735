/* nt-fuzz-replay.c: a main() for a fuzz target without libFuzzer. It feeds
 * each file named on the command line (or found in a folder named there)
 * to LLVMFuzzerTestOneInput once; with no arguments it replays the seed
 * corpus tests/fuzz/corpus/NT_FUZZ_NAME of the source tree. 'make check'
 * runs it, so every build checks the targets and their seeds; it fails
 * when there is nothing to replay. */
#include "config.h"
#include "nt-fuzz.h"

#include <stdlib.h>

static int
compare_paths (const void *a, const void *b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static void
add_inputs (GPtrArray *files, const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  guint first = files->len;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (files, g_build_filename (path, name, NULL));
  g_dir_close (dir);
  /* a stable order, so a failure names the same input every run */
  qsort (files->pdata + first, files->len - first, sizeof (gpointer),
         compare_paths);
}

int
main (int argc, char **argv)
{
  LLVMFuzzerInitialize (&argc, &argv);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  if (argc > 1)
    for (int i = 1; i < argc; i++)
      add_inputs (files, argv[i]);
  else
    {
      const char *top = g_getenv ("NT_TOP_SRCDIR");
      char *corpus = g_build_filename (top && *top ? top : NT_FUZZ_SRCDIR,
                                       "tests", "fuzz", "corpus",
                                       NT_FUZZ_NAME, NULL);
      add_inputs (files, corpus);
      g_free (corpus);
    }
  if (files->len == 0)
    {
      g_printerr ("%s: no inputs to replay\n", argv[0]);
      return EXIT_FAILURE;
    }
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      char *data = NULL;
      gsize size = 0;
      GError *error = NULL;
      if (!g_file_get_contents (path, &data, &size, &error))
        {
          g_printerr ("%s: %s\n", argv[0], error->message);
          g_error_free (error);
          g_ptr_array_unref (files);
          return EXIT_FAILURE;
        }
      g_print ("%s\n", path);
      LLVMFuzzerTestOneInput ((const uint8_t *) data, size);
      g_free (data);
    }
  g_print ("%s: %u inputs replayed\n", NT_FUZZ_NAME, files->len);
  g_ptr_array_unref (files);
  return EXIT_SUCCESS;
}
