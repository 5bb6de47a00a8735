# tools: the nulltool command-line program.
bin_PROGRAMS += tools/nulltool
tools_nulltool_SOURCES = \
	tools/nulltool.c \
	tools/nt-cli.h \
	tools/nt-cmd-list.c \
	tools/nt-cmd-train.c
tools_nulltool_CPPFLAGS = $(AM_CPPFLAGS) \
	-DNT_ABS_TOP_SRCDIR='"$(abs_top_srcdir)"' -DNT_BINDIR='"$(bindir)"' \
	-DNT_PRESETS_DIR='"$(pkgdatadir)/presets"'
tools_nulltool_LDADD = core/libnulltool.la $(GLIB_LIBS) -lm

# MNIST fetch script, and the checksums it verifies against.
dist_bin_SCRIPTS = tools/nulltool-fetch-mnist
dist_pkgdata_DATA = data/mnist.sha256
EXTRA_DIST += tools/setup-debian.sh tools/gpu-check.sh tools/update-gallery.sh
# figure commands (null-examples, ramp): PLplot renderers from figures/
tools_nulltool_SOURCES += tools/nt-cmd-figures.c
tools_nulltool_CPPFLAGS += -I$(top_srcdir)/figures
tools_nulltool_LDADD += figures/libntfigures.la $(PLPLOT_LIBS) -lm
# nulltool plot: the study's figures from a run directory
tools_nulltool_SOURCES += tools/nt-cmd-plot.c tools/nt-cmd-run.c

# Experiment presets for nulltool run.
presetsdir = $(pkgdatadir)/presets
dist_presets_DATA = tools/presets/quick.ini tools/presets/paper.ini \
	tools/presets/ramp.ini
