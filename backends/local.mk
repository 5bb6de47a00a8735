include $(srcdir)/backends/cpu/local.mk
# The CUDA fragment is read in every build so that its sources are always
# distributed; what it builds is inside 'if BUILD_CUDA'.
include $(srcdir)/backends/cuda/local.mk
