/* nt-rng.c: derived generators and sampling helpers. */
#include "config.h"
#include "nt-rng.h"
#include "nt-dropout-private.h"

guint64
nt_rng_key (guint64 seed, guint set, const char *purpose)
{
  /* FNV-1a of the purpose, then two rounds of the splitmix finaliser */
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  for (const char *p = purpose; p && *p; p++)
    h = (h ^ (guchar) *p) * G_GUINT64_CONSTANT (0x100000001b3);
  return nt_hash64 (nt_hash64 (seed, set), h);
}

GRand *
nt_rng_new (guint64 seed, guint set, const char *purpose)
{
  guint64 key = nt_rng_key (seed, set, purpose);
  guint32 words[2] = { (guint32) key, (guint32) (key >> 32) };
  return g_rand_new_with_seed_array (words, 2);
}

void
nt_rng_perm_init (guint32 *perm, gsize n)
{
  for (gsize i = 0; i < n; i++)
    perm[i] = (guint32) i;
}

void
nt_rng_sample (GRand *rng, guint32 *perm, gsize n, gsize *out, gsize k)
{
  g_return_if_fail (k <= n && n <= G_MAXINT32);
  /* The first k slots of a partial shuffle are a uniform sample without
   * replacement; the permutation stays valid for the next call. */
  for (gsize i = 0; i < k; i++)
    {
      gsize j = i + (gsize) g_rand_int_range (rng, 0, (gint32) (n - i));
      guint32 t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      out[i] = perm[i];
    }
}

int
nt_rng_binomial (GRand *rng, int n, double p)
{
  int k = 0;
  for (int i = 0; i < n; i++)
    k += g_rand_double (rng) < p;
  return k;
}
