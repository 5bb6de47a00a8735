# tools: the nulltool command-line program.
bin_PROGRAMS += tools/nulltool
tools_nulltool_SOURCES = \
	tools/nulltool.c \
	tools/nt-cli.h \
	tools/nt-cmd-list.c
tools_nulltool_LDADD = core/libnulltool.la $(GLIB_LIBS) -lm
