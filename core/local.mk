# libnulltool: the core host library.
lib_LTLIBRARIES += core/libnulltool.la

NT_CORE_API = \
	core/nulltool.h \
	core/nt-options.h \
	core/nt-registry.h \
	core/nt-plugin.h \
	core/nt-backend.h \
	core/nt-dataset.h \
	core/nt-model.h

ntinclude_HEADERS += $(NT_CORE_API)
noinst_HEADERS += \
	core/nt-registry-private.h \
	core/nt-dropout-private.h

core_libnulltool_la_SOURCES = \
	core/nt-options.c \
	core/nt-registry.c \
	core/nt-plugin.c \
	core/nt-backend.c

core_libnulltool_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DNT_PLUGIN_INSTALL_DIR='"$(pluginsdir)"' \
	-DNT_ABS_TOP_BUILDDIR='"$(abs_top_builddir)"'
core_libnulltool_la_LIBADD = $(GLIB_LIBS) $(ZLIB_LIBS) -lm
core_libnulltool_la_LDFLAGS = -version-info $(NT_LT_VERSION) -no-undefined \
	-export-symbols-regex '^nt_'

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = core/nulltool.pc
