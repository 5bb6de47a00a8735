# The 's' null-class strategy: tile-shuffled real images.
plugins_LTLIBRARIES += plugins/null-shuffle/nt-null-shuffle.la
plugins_null_shuffle_nt_null_shuffle_la_SOURCES = \
	plugins/null-shuffle/nt-null-shuffle.c
plugins_null_shuffle_nt_null_shuffle_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_null_shuffle_nt_null_shuffle_la_LIBADD = $(NT_PLUGIN_LIBADD)
