# One fragment per plugin folder.
