# tools: the nulltool command-line program.
bin_PROGRAMS += tools/nulltool
tools_nulltool_SOURCES = \
	tools/nulltool.c \
	tools/nt-cli.h \
	tools/nt-cmd-list.c \
	tools/nt-cmd-train.c
tools_nulltool_CPPFLAGS = $(AM_CPPFLAGS) \
	-DNT_ABS_TOP_BUILDDIR='"$(abs_top_builddir)"' \
	-DNT_ABS_TOP_SRCDIR='"$(abs_top_srcdir)"' -DNT_BINDIR='"$(bindir)"'
tools_nulltool_LDADD = core/libnulltool.la $(GLIB_LIBS) -lm

# MNIST fetch script, and the checksums it verifies against.
dist_bin_SCRIPTS = tools/nulltool-fetch-mnist
dist_pkgdata_DATA = data/mnist.sha256
EXTRA_DIST += tools/setup-debian.sh
