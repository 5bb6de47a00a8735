# The 'u' null-class strategy: uniform noise.
plugins_LTLIBRARIES += plugins/null-uniform/nt-null-uniform.la
plugins_null_uniform_nt_null_uniform_la_SOURCES = \
	plugins/null-uniform/nt-null-uniform.c
plugins_null_uniform_nt_null_uniform_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_null_uniform_nt_null_uniform_la_LIBADD = $(NT_PLUGIN_LIBADD)
