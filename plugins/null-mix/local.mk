# The 'm' null-class strategy: the mean of two real images of different labels.
plugins_LTLIBRARIES += plugins/null-mix/nt-null-mix.la
plugins_null_mix_nt_null_mix_la_SOURCES = \
	plugins/null-mix/nt-null-mix.c
plugins_null_mix_nt_null_mix_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_null_mix_nt_null_mix_la_LIBADD = $(NT_PLUGIN_LIBADD)
