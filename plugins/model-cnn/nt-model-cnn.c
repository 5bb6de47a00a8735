/* nt-model-cnn.c: the paper's MNIST model (PROTOCOL.md, "The MNIST model"):
 *   conv 32 3x3 valid + ReLU -> conv 64 3x3 valid + ReLU -> maxpool 2x2 /2
 *   -> dropout 0.25 -> flatten -> dense 128 + ReLU -> dropout 0.5
 *   -> dense n_outputs (logits).
 * For 1x28x28 inputs and 11 outputs it has 1,200,011 parameters. */
#include <gmodule.h>

#include "nt-plugin.h"
#include "nt-model.h"
#include "nt-network.h"

static const NtOptionSpec cnn_options[] = {
  { "max_batch", NT_OPTION_INT, "256", 1, 65536, NULL,
    "largest batch the network accepts; its buffers are sized for it" },
  { "dropout", NT_OPTION_BOOL, "true", NT_OPTION_NO_RANGE, NULL,
    "include the dropout layers (the paper's model); false leaves them out" },
  NT_OPTION_END
};

static NtNetwork *
cnn_build (NtBackend *be, const NtOptions *opts, int channels, int height,
           int width, int n_outputs, GError **error)
{
  int max_batch = opts != NULL ? (int) nt_options_get_int (opts, "max_batch")
    : 256;
  gboolean dropout = opts != NULL ? nt_options_get_bool (opts, "dropout")
    : TRUE;

  /* Two valid 3x3 convolutions take 4 pixels off each side length, and the
   * 2x2 pool needs at least 2 left. */
  if (channels <= 0 || height < 6 || width < 6)
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_SHAPE,
                   "model cnn needs images of at least 6x6 pixels (two 3x3 "
                   "valid convolutions and a 2x2 pool), got %dx%dx%d "
                   "(channels x height x width); use it with an image "
                   "dataset such as mnist", channels, height, width);
      return NULL;
    }
  if (n_outputs < 1)
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_SHAPE,
                   "model cnn needs at least one output, got %d", n_outputs);
      return NULL;
    }

  NtNetwork *net = nt_network_new (be, channels, height, width, max_batch);
  if (net == NULL)
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_INVALID,
                   "model cnn: cannot create a network for %dx%dx%d inputs",
                   channels, height, width);
      return NULL;
    }
  if (!nt_network_add_conv2d (net, 32, 3, 3, 1, 0, 0, 0, 0, error)
      || !nt_network_add_relu (net, error)
      || !nt_network_add_conv2d (net, 64, 3, 3, 1, 0, 0, 0, 0, error)
      || !nt_network_add_relu (net, error)
      || !nt_network_add_maxpool (net, 2, 2, 2, 2, error)
      || (dropout && !nt_network_add_dropout (net, 0.25f, error))
      || !nt_network_add_flatten (net, error)
      || !nt_network_add_dense (net, 128, error)
      || !nt_network_add_relu (net, error)
      || (dropout && !nt_network_add_dropout (net, 0.5f, error))
      || !nt_network_add_dense (net, n_outputs, error))
    {
      nt_network_free (net);
      return NULL;
    }
  return net;
}

static const NtModelClass cnn_class = {
  { NT_KIND_MODEL, "cnn",
    "The paper's MNIST CNN: conv 32 3x3, conv 64 3x3, maxpool 2x2, "
    "dropout 0.25, dense 128, dropout 0.5, dense (logits)", cnn_options },
  cnn_build
};

static gboolean
cnn_plugin_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &cnn_class.feature, error);
}

NT_PLUGIN_DEFINE ("model-cnn", "The paper's MNIST CNN model", "1.0", "MIT",
                  cnn_plugin_init);
