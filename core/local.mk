# libnulltool: the core host library.
lib_LTLIBRARIES += core/libnulltool.la

NT_CORE_API = \
	core/nulltool.h \
	core/nt-options.h \
	core/nt-registry.h \
	core/nt-plugin.h \
	core/nt-backend.h \
	core/nt-dataset.h \
	core/nt-model.h \
	core/nt-idx.h \
	core/nt-checkpoint.h \
	core/nt-layer.h \
	core/nt-network.h \
	core/nt-adam.h \
	core/nt-rng.h \
	core/nt-progress.h \
	core/nt-model-file.h \
	core/nt-train.h \
	core/nt-null.h \
	core/nt-attack.h \
	core/nt-attack-protocol.h \
	core/nt-csv.h \
	core/nt-experiment.h

ntinclude_HEADERS += $(NT_CORE_API)
noinst_HEADERS += \
	core/nt-registry-private.h \
	core/nt-dropout-private.h

core_libnulltool_la_SOURCES = \
	core/nt-options.c \
	core/nt-registry.c \
	core/nt-plugin.c \
	core/nt-backend.c \
	core/nt-dataset.c \
	core/nt-idx.c \
	core/nt-checkpoint.c \
	core/nt-layer.c \
	core/nt-network.c \
	core/nt-adam.c \
	core/nt-rng.c \
	core/nt-progress.c \
	core/nt-model-file.c \
	core/nt-train.c \
	core/nt-null.c \
	core/nt-attack.c \
	core/nt-attack-protocol.c \
	core/nt-csv.c \
	core/nt-experiment.c

core_libnulltool_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DNT_PLUGIN_INSTALL_DIR='"$(pluginsdir)"' \
	-DNT_ABS_TOP_BUILDDIR='"$(abs_top_builddir)"' \
	$(JSON_GLIB_CFLAGS)
core_libnulltool_la_LIBADD = $(GLIB_LIBS) $(ZLIB_LIBS) $(JSON_GLIB_LIBS) -lm
core_libnulltool_la_LDFLAGS = -version-info $(NT_LT_VERSION) -no-undefined \
	-export-symbols-regex '^nt_'

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = core/nulltool.pc
