# figures: the PLplot renderers, one source file per figure kind plus the
# common module, as a convenience library linked into tools/nulltool and
# the figure tests. The top Makefile.am does not define
# noinst_LTLIBRARIES, so it is defined here.
noinst_LTLIBRARIES = figures/libntfigures.la
figures_libntfigures_la_SOURCES = \
	figures/nt-figure.c \
	figures/nt-figure.h \
	figures/nt-fig-null-examples.c \
	figures/nt-fig-null-examples.h \
	figures/nt-fig-ramp.c \
	figures/nt-fig-ramp.h
figures_libntfigures_la_CFLAGS = $(AM_CFLAGS) $(PLPLOT_CFLAGS)
figures_libntfigures_la_LIBADD = $(PLPLOT_LIBS) -lm
# the study's figures 2 to 7 from a run directory (nulltool plot)
figures_libntfigures_la_SOURCES += \
	figures/nt-fig-study.c \
	figures/nt-fig-study.h \
	figures/nt-fig-study-private.h \
	figures/nt-fig-accuracy.c \
	figures/nt-fig-history.c \
	figures/nt-fig-thresholds.c \
	figures/nt-fig-scores.c \
	figures/nt-fig-sweep.c \
	figures/nt-fig-compare.c
