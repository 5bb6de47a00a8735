/* nt-model-file.c: networks to and from checkpoint files. */
#include "config.h"
#include "nt-model-file.h"
#include "nt-network.h"

#include <stdio.h>
#include <string.h>

#define MODEL_FORMAT "nulltool-model"

NtNetwork *
nt_model_build (NtRegistry *registry, NtBackend *be, const char *selection,
                int channels, int height, int width, int n_outputs,
                GError **error)
{
  NtOptions *opts = NULL;
  const NtFeature *f = nt_registry_resolve (registry, NT_KIND_MODEL,
                                            selection, &opts, error);
  if (f == NULL)
    return NULL;
  const NtModelClass *klass = (const NtModelClass *) f;
  NtNetwork *net = klass->build (be, opts, channels, height, width, n_outputs,
                                 error);
  nt_options_free (opts);
  if (net)
    {
      /* a network that does not produce the logits asked for is a bug of
       * the model plugin; say so rather than train it */
      if (nt_network_n_outputs (net) != n_outputs)
        {
          g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_INVALID,
                       "model '%s' built %d outputs instead of %d", f->name,
                       nt_network_n_outputs (net), n_outputs);
          nt_network_free (net);
          return NULL;
        }
    }
  else if (error && *error)
    g_prefix_error (error, "model '%s': ", f->name);
  return net;
}

char *
nt_model_canonical (NtRegistry *registry, const char *selection,
                    GError **error)
{
  NtOptions *opts = NULL;
  const NtFeature *f = nt_registry_resolve (registry, NT_KIND_MODEL,
                                            selection, &opts, error);
  if (f == NULL)
    return NULL;
  char *text = nt_options_to_string (opts);
  char *out = *text ? g_strdup_printf ("%s:%s", f->name, text)
                    : g_strdup (f->name);
  g_free (text);
  nt_options_free (opts);
  return out;
}

gboolean
nt_model_file_save (NtNetwork *net, const char *model,
                    const char *const *meta, const char *path,
                    GError **error)
{
  NtBackend *be = nt_network_backend (net);
  NtShape in = nt_network_input_shape (net);
  g_autoptr (NtCheckpoint) ck = nt_checkpoint_new ();
  char buf[64];
  nt_checkpoint_set_meta (ck, "format", MODEL_FORMAT);
  nt_checkpoint_set_meta (ck, "model", model);
  g_snprintf (buf, sizeof buf, "%dx%dx%d", in.c, in.h, in.w);
  nt_checkpoint_set_meta (ck, "input", buf);
  g_snprintf (buf, sizeof buf, "%d", nt_network_n_outputs (net));
  nt_checkpoint_set_meta (ck, "outputs", buf);
  for (const char *const *kv = meta; kv && kv[0] && kv[1]; kv += 2)
    nt_checkpoint_set_meta (ck, kv[0], kv[1]);

  for (guint i = 0; i < nt_network_n_params (net); i++)
    {
      gsize count = nt_network_param_count (net, i);
      gint64 dims[4];
      int ndims = nt_network_param_shape (net, i, dims);
      float *host = g_new (float, count);
      gboolean ok = be->ops->download (be, nt_network_param (net, i), 0, host,
                                       count, error)
                    && nt_checkpoint_add_tensor (ck,
                                                 nt_network_param_name (net, i),
                                                 ndims, dims, host, error);
      g_free (host);
      if (!ok)
        return FALSE;
    }
  return nt_checkpoint_save (ck, path, error);
}

/* `model` ("cnn:max_batch=256,...") with its max_batch option replaced by
 * `max_batch` (caller frees). */
static char *
with_max_batch (const char *model, int max_batch)
{
  const char *colon = strchr (model, ':');
  GString *sel = g_string_new_len (model, colon ? colon - model : -1);
  g_string_append_printf (sel, ":max_batch=%d", max_batch);
  char **opts = g_strsplit (colon ? colon + 1 : "", ",", -1);
  for (char **o = opts; *o; o++)
    if (**o && !g_str_has_prefix (*o, "max_batch="))
      g_string_append_printf (sel, ",%s", *o);
  g_strfreev (opts);
  return g_string_free (sel, FALSE);
}

NtNetwork *
nt_model_file_load (NtRegistry *registry, NtBackend *be, const char *path,
                    NtCheckpoint **ck_out, GError **error)
{
  return nt_model_file_load_batch (registry, be, path, 0, ck_out, error);
}

NtNetwork *
nt_model_file_load_batch (NtRegistry *registry, NtBackend *be,
                          const char *path, int max_batch,
                          NtCheckpoint **ck_out, GError **error)
{
  g_autoptr (NtCheckpoint) ck = nt_checkpoint_load (path, error);
  if (ck == NULL)
    return NULL;
  const char *format = nt_checkpoint_get_meta (ck, "format");
  const char *model = nt_checkpoint_get_meta (ck, "model");
  const char *input = nt_checkpoint_get_meta (ck, "input");
  const char *outputs = nt_checkpoint_get_meta (ck, "outputs");
  int c = 0, h = 0, w = 0, n_out = 0;
  if (g_strcmp0 (format, MODEL_FORMAT) != 0 || model == NULL || input == NULL
      || outputs == NULL || sscanf (input, "%dx%dx%d", &c, &h, &w) != 3
      || sscanf (outputs, "%d", &n_out) != 1 || c <= 0 || h <= 0 || w <= 0
      || n_out <= 0)
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_FORMAT,
                   "%s: a checkpoint, but not a nulltool model file (missing "
                   "or bad model/input/outputs metadata)", path);
      return NULL;
    }
  g_autofree char *rebuilt = max_batch > 0 ? with_max_batch (model, max_batch)
                                            : g_strdup (model);
  NtNetwork *net = nt_model_build (registry, be, rebuilt, c, h, w, n_out,
                                   error);
  if (net == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  if (nt_checkpoint_n_tensors (ck) != nt_network_n_params (net))
    {
      g_set_error (error, NT_CHECKPOINT_ERROR, NT_CHECKPOINT_ERROR_FORMAT,
                   "%s: has %u tensors, model '%s' has %u parameters", path,
                   nt_checkpoint_n_tensors (ck), model,
                   nt_network_n_params (net));
      nt_network_free (net);
      return NULL;
    }
  for (guint i = 0; i < nt_network_n_params (net); i++)
    {
      gsize count = 0;
      const float *data = nt_checkpoint_get_tensor (
          ck, nt_network_param_name (net, i), NULL, NULL, &count, error);
      if (data == NULL || count != nt_network_param_count (net, i))
        {
          if (data)
            g_set_error (error, NT_CHECKPOINT_ERROR,
                         NT_CHECKPOINT_ERROR_FORMAT,
                         "%s: tensor '%s' has %" G_GSIZE_FORMAT " values, the "
                         "model needs %" G_GSIZE_FORMAT, path,
                         nt_network_param_name (net, i), count,
                         nt_network_param_count (net, i));
          nt_network_free (net);
          return NULL;
        }
      be->ops->upload (be, nt_network_param (net, i), 0, data, count);
    }
  if (!be->ops->sync (be, error))
    {
      nt_network_free (net);
      return NULL;
    }
  if (ck_out)
    *ck_out = g_steal_pointer (&ck);
  return net;
}
