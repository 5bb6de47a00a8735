/* nt-fig-ramp.h: the ramp toy's figures (PROTOCOL.md "The ramp toy"): the
 * prototypes and samples, the optimal decision regions, and the regions a
 * network predicts on a grid over the unit cube. */
#ifndef NT_FIG_RAMP_H
#define NT_FIG_RAMP_H

#include <glib.h>
#include "nt-model.h"

G_BEGIN_DECLS

/* The toy's constants: the two prototypes' values and the noise half
 * width. */
#define NT_RAMP_HIGH 0.666
#define NT_RAMP_LOW 0.333
#define NT_RAMP_NOISE 0.05

/* Class labels of the ramp dataset and its null class. */
enum { NT_RAMP_DOWN = 0, NT_RAMP_UP = 1, NT_RAMP_NULL = 2, NT_RAMP_N_LABELS };

/* Grid point `index` of a grid x grid x grid lattice over the unit cube
 * (corners included): x[0] = i / (grid - 1), x[1] = j / (grid - 1),
 * x[2] = k / (grid - 1) with index = (i * grid + j) * grid + k. */
void nt_ramp_grid_point (int grid, gsize index, float x[3]);

/* Fills out[0..grid^3) with the label `net` predicts (argmax of its
 * logits, dropout off) at every grid point, in batches of the network's
 * size; outputs beyond the null class count as null. Fails on a backend
 * error. */
gboolean nt_ramp_predict_grid (NtNetwork *net, int grid, guint8 *out,
                               GError **error);

/* (a) The two prototypes and n samples (n x 3 values, labels 0 down, 1
 * up), as line plots over the three pixels: down magenta, up cyan. */
gboolean nt_fig_ramp_samples (const char *path, const float *samples,
                              const int *labels, gsize n, GError **error);

/* (b) The optimal decision regions: the noise boxes (prototype +- 0.05,
 * clipped to [0, 1]) around the four prototype placements, as solid boxes
 * in the unit cube. */
gboolean nt_fig_ramp_optimal (const char *path, GError **error);

/* (c) The regions predicted by model `model_name` on a grid (labels per
 * grid point, indexed as in nt_ramp_grid_point, values NT_RAMP_DOWN,
 * NT_RAMP_UP or NT_RAMP_NULL): all classes together (null left empty),
 * then down alone and up alone, as solid voxels, with each class's share
 * of the grid. */
gboolean nt_fig_ramp_regions (const char *path, const char *model_name,
                              const guint8 *classes, int grid,
                              GError **error);

G_END_DECLS
#endif
