/* nt-adam.h: the Adam optimiser over a network's parameters (Keras/TF form,
 * see adam_update in nt-backend.h). Hyper-parameter defaults are the
 * caller's business (PROTOCOL.md: lr 1e-3, beta1 0.9, beta2 0.999,
 * eps 1e-8). */
#ifndef NT_ADAM_H
#define NT_ADAM_H

#include <glib.h>
#include "nt-network.h"

G_BEGIN_DECLS

typedef struct _NtAdam NtAdam;

/* A new optimiser for every parameter of `net` (which must outlive it),
 * with first and second moments zero-filled on the network's backend and
 * step count 0. NULL with error on bad hyper-parameters or out of memory.
 * Free with nt_adam_free. */
NtAdam *nt_adam_new (NtNetwork *net, float lr, float beta1, float beta2,
                     float eps, GError **error);
void nt_adam_free (NtAdam *adam);

/* One update: t += 1, then every parameter moves along its current
 * gradient (nt_network_param_grad, as left by nt_network_backward). */
void nt_adam_step (NtAdam *adam);

/* Number of steps taken (t). */
int nt_adam_steps (const NtAdam *adam);

/* For checkpoints that resume training: the moment buffers of parameter i
 * (same order and sizes as the network's parameters, owned by the
 * optimiser) and the step count. */
NtBuffer *nt_adam_m (NtAdam *adam, guint i);
NtBuffer *nt_adam_v (NtAdam *adam, guint i);
void nt_adam_set_steps (NtAdam *adam, int steps);

/* The learning rate, which callers may change between steps. */
float nt_adam_lr (const NtAdam *adam);
void nt_adam_set_lr (NtAdam *adam, float lr);

G_END_DECLS
#endif
