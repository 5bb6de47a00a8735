# The MNIST dataset plugin (IDX reading is in core/nt-idx.c).
plugins_LTLIBRARIES += plugins/dataset-mnist/nt-dataset-mnist.la
plugins_dataset_mnist_nt_dataset_mnist_la_SOURCES = \
	plugins/dataset-mnist/nt-dataset-mnist.c
plugins_dataset_mnist_nt_dataset_mnist_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_dataset_mnist_nt_dataset_mnist_la_LIBADD = $(NT_PLUGIN_LIBADD)
