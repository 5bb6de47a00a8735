include $(srcdir)/backends/cpu/local.mk
