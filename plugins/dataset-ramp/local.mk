# The ramp toy dataset plugin.
plugins_LTLIBRARIES += plugins/dataset-ramp/nt-dataset-ramp.la
plugins_dataset_ramp_nt_dataset_ramp_la_SOURCES = \
	plugins/dataset-ramp/nt-dataset-ramp.c
plugins_dataset_ramp_nt_dataset_ramp_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_dataset_ramp_nt_dataset_ramp_la_LIBADD = $(NT_PLUGIN_LIBADD)
