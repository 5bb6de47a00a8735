/* nt-rng.h: seeded random generators derived from (run seed, set, purpose),
 * so every random choice of a run is reproducible and independent of the
 * others. */
#ifndef NT_RNG_H
#define NT_RNG_H

#include <glib.h>

G_BEGIN_DECLS

/* A 64-bit key mixing `seed`, `set` and the text `purpose` ("batches",
 * "init", "dropout", ...). The same inputs always give the same key. */
guint64 nt_rng_key (guint64 seed, guint set, const char *purpose);

/* A new GRand seeded from nt_rng_key (caller frees with g_rand_free). */
GRand *nt_rng_new (guint64 seed, guint set, const char *purpose);

/* Fills out[0..k) with distinct indices drawn uniformly from [0, n)
 * (k <= n), by a partial Fisher-Yates over a scratch permutation that the
 * caller keeps between calls: `perm` must hold n entries and be initialised
 * once with nt_rng_perm_init. */
void nt_rng_perm_init (guint32 *perm, gsize n);
void nt_rng_sample (GRand *rng, guint32 *perm, gsize n, gsize *out, gsize k);

/* A Binomial(n, p) draw (n small: sums of Bernoulli draws). */
int nt_rng_binomial (GRand *rng, int n, double p);

G_END_DECLS
#endif
