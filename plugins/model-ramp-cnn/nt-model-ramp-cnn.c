/* nt-model-ramp-cnn.c: the paper's 1-D model of the ramp toy (PROTOCOL.md,
 * "The ramp toy"). A 1-D signal is an image of height 1:
 *   conv 8 1x2 "same" (pad left 0, right 1) + ReLU
 *   -> conv 16 1x2 same + ReLU -> maxpool 1x2 stride 1 (width w -> w-1)
 *   -> dropout 0.25 -> flatten (16*(w-1)) -> dense 32 + ReLU
 *   -> dropout 0.5 -> dense n_outputs (logits).
 * For 1x1x3 inputs and 3 outputs it has 1,451 parameters. */
#include <gmodule.h>

#include "nt-plugin.h"
#include "nt-model.h"
#include "nt-network.h"

static const NtOptionSpec ramp_cnn_options[] = {
  { "max_batch", NT_OPTION_INT, "256", 1, 65536, NULL,
    "largest batch the network accepts; its buffers are sized for it" },
  { "dropout", NT_OPTION_BOOL, "true", NT_OPTION_NO_RANGE, NULL,
    "include the dropout layers (the paper's model); false leaves them out" },
  NT_OPTION_END
};

static NtNetwork *
ramp_cnn_build (NtBackend *be, const NtOptions *opts, int channels,
                int height, int width, int n_outputs, GError **error)
{
  int max_batch = opts != NULL ? (int) nt_options_get_int (opts, "max_batch")
    : 256;
  gboolean dropout = opts != NULL ? nt_options_get_bool (opts, "dropout")
    : TRUE;

  if (channels <= 0 || height != 1 || width < 2)
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_SHAPE,
                   "model ramp-cnn needs 1-D signals (height 1) of at least "
                   "2 samples, got %dx%dx%d (channels x height x width); use "
                   "it with the ramp dataset", channels, height, width);
      return NULL;
    }
  if (n_outputs < 1)
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_SHAPE,
                   "model ramp-cnn needs at least one output, got %d",
                   n_outputs);
      return NULL;
    }

  NtNetwork *net = nt_network_new (be, channels, height, width, max_batch);
  if (net == NULL)
    {
      g_set_error (error, NT_NETWORK_ERROR, NT_NETWORK_ERROR_INVALID,
                   "model ramp-cnn: cannot create a network for %dx%dx%d "
                   "inputs", channels, height, width);
      return NULL;
    }
  /* Keras "same" padding for an even kernel of 2 pads 0 before, 1 after. */
  if (!nt_network_add_conv2d (net, 8, 1, 2, 1, 0, 0, 0, 1, error)
      || !nt_network_add_relu (net, error)
      || !nt_network_add_conv2d (net, 16, 1, 2, 1, 0, 0, 0, 1, error)
      || !nt_network_add_relu (net, error)
      || !nt_network_add_maxpool (net, 1, 2, 1, 1, error)
      || (dropout && !nt_network_add_dropout (net, 0.25f, error))
      || !nt_network_add_flatten (net, error)
      || !nt_network_add_dense (net, 32, error)
      || !nt_network_add_relu (net, error)
      || (dropout && !nt_network_add_dropout (net, 0.5f, error))
      || !nt_network_add_dense (net, n_outputs, error))
    {
      nt_network_free (net);
      return NULL;
    }
  return net;
}

static const NtModelClass ramp_cnn_class = {
  { NT_KIND_MODEL, "ramp-cnn",
    "The paper's 1-D CNN of the ramp toy: conv 8 k2 same, conv 16 k2 same, "
    "maxpool 2 /1, dropout 0.25, dense 32, dropout 0.5, dense (logits)",
    ramp_cnn_options },
  ramp_cnn_build
};

static gboolean
ramp_cnn_plugin_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &ramp_cnn_class.feature, error);
}

NT_PLUGIN_DEFINE ("model-ramp-cnn", "The paper's ramp toy CNN model", "1.0",
                  "MIT", ramp_cnn_plugin_init);
