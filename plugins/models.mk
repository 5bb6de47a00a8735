# The model plugins: the paper's MNIST CNN and the ramp toy's 1-D CNN.
plugins_LTLIBRARIES += plugins/model-cnn/nt-model-cnn.la
plugins_model_cnn_nt_model_cnn_la_SOURCES = \
	plugins/model-cnn/nt-model-cnn.c
plugins_model_cnn_nt_model_cnn_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_model_cnn_nt_model_cnn_la_LIBADD = $(NT_PLUGIN_LIBADD)

plugins_LTLIBRARIES += plugins/model-ramp-cnn/nt-model-ramp-cnn.la
plugins_model_ramp_cnn_nt_model_ramp_cnn_la_SOURCES = \
	plugins/model-ramp-cnn/nt-model-ramp-cnn.c
plugins_model_ramp_cnn_nt_model_ramp_cnn_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_model_ramp_cnn_nt_model_ramp_cnn_la_LIBADD = $(NT_PLUGIN_LIBADD)
