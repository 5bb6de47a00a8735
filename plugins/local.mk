# One fragment per plugin folder.
include $(srcdir)/plugins/dataset-mnist/local.mk
include $(srcdir)/plugins/dataset-ramp/local.mk
include $(srcdir)/plugins/models.mk
include $(srcdir)/plugins/null-uniform/local.mk
include $(srcdir)/plugins/null-shuffle/local.mk
include $(srcdir)/plugins/null-mix/local.mk
include $(srcdir)/plugins/attack-fgsm/local.mk
include $(srcdir)/plugins/attack-pgd/local.mk
