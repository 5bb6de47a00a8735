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

# Reference figures of a documented quick-preset run, shown by the README.
EXTRA_DIST += \
	figures/gallery/config.ini \
	figures/gallery/fig1-null-examples.png \
	figures/gallery/fig2-accuracy.png \
	figures/gallery/fig3-history.png \
	figures/gallery/fig4-thresholds-transfer.png \
	figures/gallery/fig4-thresholds-whitebox.png \
	figures/gallery/fig5-scores-transfer.png \
	figures/gallery/fig5-scores-whitebox.png \
	figures/gallery/fig6-sweep-transfer.png \
	figures/gallery/fig6-sweep-whitebox.png \
	figures/gallery/fig7-compare-transfer.png \
	figures/gallery/fig7-compare-whitebox.png \
	figures/gallery/summary.json \
	figures/gallery/ramp/accuracy.csv \
	figures/gallery/ramp/grid-fractions.csv \
	figures/gallery/ramp/ramp-optimal.png \
	figures/gallery/ramp/ramp-regions-baseline.png \
	figures/gallery/ramp/ramp-regions-uniform.png \
	figures/gallery/ramp/ramp-samples.png
