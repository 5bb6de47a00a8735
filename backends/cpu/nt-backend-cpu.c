/* nt-backend-cpu.c: the "cpu" compute backend plugin: entry point, instance
 * life cycle, memory, GEMM through CBLAS and the sticky error.
 *
 * Every operation runs synchronously on the calling thread (with OpenMP
 * threads inside, each calling a single-threaded BLAS), so sync() only has
 * to report the
 * first failure. A failed operation leaves its outputs untouched and records
 * the failure; later operations still run (as with CUDA's sticky errors the
 * caller learns of it at the next sync or download). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif
#include <gmodule.h>  /* G_MODULE_EXPORT, used by NT_PLUGIN_DEFINE */

#include "nt-plugin.h"
#include "nt-backend.h"
#include "nt-backend-cpu-private.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
/* Declared by OpenBLAS's cblas.h, but not by every CBLAS header that may be
 * found first; the prototype is OpenBLAS's own. */
void openblas_set_num_threads (int num_threads);
#endif

/* ---- sticky errors and argument checks -------------------------------- */

/* ---- memory ----------------------------------------------------------- */

/* `count` floats aligned to NT_CPU_ALIGN, or NULL (also when the byte size
 * would overflow). */
static float *
nt_cpu_aligned_new (gsize count)
{
  gsize bytes;

  if (count > (G_MAXSIZE - NT_CPU_ALIGN) / sizeof (float))
    return NULL;
  /* aligned_alloc wants a multiple of the alignment. */
  bytes = (count * sizeof (float) + NT_CPU_ALIGN - 1) & ~(gsize) (NT_CPU_ALIGN - 1);
  return aligned_alloc (NT_CPU_ALIGN, bytes);
}

float *
_nt_cpu_scratch (NtCpuBackend *cpu, NtCpuScratch *s, gsize count)
{
  float *data;

  if (count <= s->capacity && s->data != NULL)
    return s->data;
  /* Grow by a quarter more than asked so that slightly larger shapes (a
   * last, smaller batch followed by a full one, say) do not reallocate. */
  if (count < G_MAXSIZE / 8)
    count += count / 4;
  data = nt_cpu_aligned_new (count);
  if (data == NULL)
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_OUT_OF_MEMORY,
                    "cannot allocate %" G_GSIZE_FORMAT " MiB of scratch "
                    "memory; use a smaller batch",
                    count / (1024 * 1024 / sizeof (float)));
      return NULL;
    }
  free (s->data);
  s->data = data;
  s->capacity = count;
  return data;
}

static NtBuffer *
nt_cpu_alloc (NtBackend *be, gsize count, GError **error)
{
  NtBuffer *buf;

  (void) be;
  buf = g_try_new0 (NtBuffer, 1);
  if (buf == NULL)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_OUT_OF_MEMORY,
                   "cpu backend: out of memory allocating a buffer header");
      return NULL;
    }
  buf->count = count;
  if (count > 0)
    {
      buf->data = nt_cpu_aligned_new (count);
      if (buf->data == NULL)
        {
          g_set_error (error, NT_BACKEND_ERROR,
                       NT_BACKEND_ERROR_OUT_OF_MEMORY,
                       "cpu backend: cannot allocate a buffer of %"
                       G_GSIZE_FORMAT " floats (%.1f MiB); free memory or "
                       "use a smaller batch", count,
                       (double) count * sizeof (float) / (1024.0 * 1024.0));
          g_free (buf);
          return NULL;
        }
    }
  return buf;
}

static void
nt_cpu_free (NtBackend *be, NtBuffer *buf)
{
  (void) be;
  if (buf == NULL)
    return;
  free (buf->data);
  g_free (buf);
}

static void
nt_cpu_upload (NtBackend *be, NtBuffer *dst, gsize offset, const float *src,
               gsize count)
{
  NtCpuBackend *cpu = NT_CPU (be);

  if (!_nt_cpu_check_buf (cpu, "upload", "dst", dst, offset, count))
    return;
  if (count > 0 && src == NULL)
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID, "upload: source is NULL");
      return;
    }
  if (count > 0)
    memcpy (dst->data + offset, src, count * sizeof (float));
}

static gboolean
nt_cpu_download (NtBackend *be, const NtBuffer *src, gsize offset,
                 float *dst, gsize count, GError **error)
{
  NtCpuBackend *cpu = NT_CPU (be);

  if (cpu->error != NULL)
    {
      g_propagate_error (error, g_error_copy (cpu->error));
      return FALSE;
    }
  if (src == NULL || offset > src->count || count > src->count - offset
      || (count > 0 && dst == NULL))
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_INVALID,
                   "cpu backend: download of %" G_GSIZE_FORMAT " elements "
                   "from offset %" G_GSIZE_FORMAT " is outside the buffer (%"
                   G_GSIZE_FORMAT " elements)", count, offset,
                   src != NULL ? src->count : 0);
      return FALSE;
    }
  if (count > 0)
    memcpy (dst, src->data + offset, count * sizeof (float));
  return TRUE;
}

static void
nt_cpu_fill (NtBackend *be, NtBuffer *buf, gsize offset, gsize count,
             float value)
{
  NtCpuBackend *cpu = NT_CPU (be);
  float *p;
  gssize i;

  if (!_nt_cpu_check_buf (cpu, "fill", "buf", buf, offset, count))
    return;
  p = buf->data + offset;
  NT_OMP (parallel for num_threads (cpu->threads) if (count > NT_CPU_PAR_MIN))
  for (i = 0; i < (gssize) count; i++)
    p[i] = value;
}

static void
nt_cpu_copy (NtBackend *be, NtBuffer *dst, gsize dst_off,
             const NtBuffer *src, gsize src_off, gsize count)
{
  NtCpuBackend *cpu = NT_CPU (be);

  if (!_nt_cpu_check_buf (cpu, "copy", "dst", dst, dst_off, count)
      || !_nt_cpu_check_buf (cpu, "copy", "src", src, src_off, count))
    return;
  /* memmove: overlapping ranges of one buffer are outside the contract but
   * cost nothing to get right. */
  if (count > 0)
    memmove (dst->data + dst_off, src->data + src_off,
             count * sizeof (float));
}

/* ---- GEMM ------------------------------------------------------------- */

void
_nt_cpu_sgemm (gboolean trans_a, gboolean trans_b, int m, int n, int k,
               float alpha, const float *a, int lda, const float *b, int ldb,
               float beta, float *c, int ldc)
{
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
               MAX (lda, 1), b, MAX (ldb, 1), beta, c, MAX (ldc, 1));
}

static void
nt_cpu_gemm (NtBackend *be, gboolean trans_a, gboolean trans_b, int m, int n,
             int k, float alpha, const NtBuffer *a, const NtBuffer *b,
             float beta, NtBuffer *c)
{
  NtCpuBackend *cpu = NT_CPU (be);
  gsize mn;

  if (m < 0 || n < 0 || k < 0)
    {
      _nt_cpu_fail (cpu, NT_BACKEND_ERROR_INVALID,
                    "gemm: negative size m=%d n=%d k=%d", m, n, k);
      return;
    }
  mn = (gsize) m * (gsize) n;
  if (!_nt_cpu_check_buf (cpu, "gemm", "a", a, 0, (gsize) m * (gsize) k)
      || !_nt_cpu_check_buf (cpu, "gemm", "b", b, 0, (gsize) k * (gsize) n)
      || !_nt_cpu_check_buf (cpu, "gemm", "c", c, 0, mn))
    return;
  if (mn == 0)
    return;
  if (k == 0)
    {
      /* C = beta * C; BLAS implementations differ on k == 0. */
      for (gsize i = 0; i < mn; i++)
        c->data[i] = beta == 0.0f ? 0.0f : beta * c->data[i];
      return;
    }
  _nt_cpu_gemm_split (cpu->threads, trans_a, trans_b, m, n, k, alpha,
                      a->data, b->data, beta, c->data);
}

/* One thread's block, by the skinny kernels when `skinny`, else BLAS. */
static void
nt_cpu_gemm_block (gboolean skinny, gboolean trans_a, gboolean trans_b,
                   int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc)
{
  if (skinny)
    _nt_cpu_gemm_skinny (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                         beta, c, ldc);
  else
    _nt_cpu_sgemm (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                   ldc);
}

/* Smallest product (m*n*k) worth splitting over threads. */
#define NT_CPU_GEMM_SPLIT_MIN (64 * 64 * 64)

void
_nt_cpu_gemm_split (int threads, gboolean trans_a, gboolean trans_b, int m,
                    int n, int k, float alpha, const float *a,
                    const float *b, float beta, float *c)
{
  int lda = trans_a ? m : k, ldb = trans_b ? k : n;
  gboolean split_n = n >= m;
  int len = split_n ? n : m;
  int team = threads;
  /* chosen for the whole product, so that neither the kernel nor its
   * rounding depends on the thread count */
  gboolean skinny = _nt_cpu_gemm_skinny_fits (trans_a, trans_b, m, n, k);

  /* BLAS runs single-threaded everywhere; the threads split C into column
   * (or row) blocks, a multiple of 16 wide so each block starts on a cache
   * line. OpenBLAS's own threads spin (sched_yield) after each call and
   * took the cores from the OpenMP loops that follow. */
  if ((double) m * n * k < NT_CPU_GEMM_SPLIT_MIN || len < 32)
    team = 1;
  team = MIN (team, len / 16);
  if (team <= 1)
    {
      nt_cpu_gemm_block (skinny, trans_a, trans_b, m, n, k, alpha, a, lda, b,
                         ldb, beta, c, n);
      return;
    }
  NT_OMP (parallel for num_threads (team) schedule (static, 1))
  for (int t = 0; t < team; t++)
    {
      /* blocks at least 16 wide (team <= len / 16), never empty */
      int lo = (int) ((gint64) len * t / team) & ~15;
      int hi = t + 1 == team ? len
                             : (int) ((gint64) len * (t + 1) / team) & ~15;

      if (split_n)
        /* C[:, lo:hi] = op(A) * op(B)[:, lo:hi] */
        nt_cpu_gemm_block (skinny, trans_a, trans_b, m, hi - lo, k, alpha, a,
                           lda, trans_b ? b + (gsize) lo * k : b + lo, ldb,
                           beta, c + lo, n);
      else
        /* C[lo:hi, :] = op(A)[lo:hi, :] * op(B) */
        nt_cpu_gemm_block (skinny, trans_a, trans_b, hi - lo, n, k, alpha,
                           trans_a ? a + lo : a + (gsize) lo * k, lda, b,
                           ldb, beta, c + (gsize) lo * n, n);
    }
}

/* ---- instance --------------------------------------------------------- */

/* Flush-to-zero and denormals-are-zero (MXCSR bits 15 and 6) in the calling
 * thread and in the OpenMP workers (threads created later inherit them).
 * As training converges, softmax probabilities and gradients fall below
 * FLT_MIN; arithmetic on such denormal floats is up to a hundred times
 * slower, and training slowed from 2500 to 1300 img/s within the first
 * epoch. TensorFlow, which the study used, flushes them too. */
static void
nt_cpu_flush_denormals (int threads, gboolean flush)
{
#ifdef __SSE__
  unsigned int bits = 0x8040;
  unsigned int mode = flush ? (_mm_getcsr () | bits) : (_mm_getcsr () & ~bits);

  _mm_setcsr (mode);
  NT_OMP (parallel num_threads (threads))
  _mm_setcsr (mode);
#else
  (void) threads;
  (void) flush;
#endif
}

static gboolean
nt_cpu_sync (NtBackend *be, GError **error)
{
  NtCpuBackend *cpu = NT_CPU (be);

  if (cpu->error != NULL)
    {
      g_propagate_error (error, g_error_copy (cpu->error));
      return FALSE;
    }
  return TRUE;
}

static void
nt_cpu_destroy (NtBackend *be)
{
  NtCpuBackend *cpu = NT_CPU (be);

  if (cpu == NULL)
    return;
  g_clear_error (&cpu->error);
  free (cpu->cols.data);
  free (cpu->prod.data);
  free (cpu->part.data);
  free (cpu->wino.data);
  g_free (cpu);
}

static const NtBackendOps nt_cpu_ops = {
  .api_version = NT_BACKEND_API_VERSION,
  .destroy = nt_cpu_destroy,
  .sync = nt_cpu_sync,
  .alloc = nt_cpu_alloc,
  .free = nt_cpu_free,
  .upload = nt_cpu_upload,
  .download = nt_cpu_download,
  .fill = nt_cpu_fill,
  .copy = nt_cpu_copy,
  .gemm = nt_cpu_gemm,
  .conv2d_forward = _nt_cpu_conv2d_forward,
  .conv2d_backward_data = _nt_cpu_conv2d_backward_data,
  .conv2d_backward_filter = _nt_cpu_conv2d_backward_filter,
  .maxpool_forward = _nt_cpu_maxpool_forward,
  .maxpool_backward = _nt_cpu_maxpool_backward,
  .bias_add = _nt_cpu_bias_add,
  .bias_grad = _nt_cpu_bias_grad,
  .relu_forward = _nt_cpu_relu_forward,
  .relu_backward = _nt_cpu_relu_backward,
  .dropout_forward = _nt_cpu_dropout_forward,
  .dropout_backward = _nt_cpu_dropout_backward,
  .softmax_xent = _nt_cpu_softmax_xent,
  .argmax = _nt_cpu_argmax,
  .adam_update = _nt_cpu_adam_update,
  .sign = _nt_cpu_sign,
  .scale_add = _nt_cpu_scale_add,
  .clip = _nt_cpu_clip,
  .perturb = _nt_cpu_perturb,
  .conv2d_forward_bias = _nt_cpu_conv2d_forward_bias,
  .conv2d_backward_bias = _nt_cpu_conv2d_backward_bias,
};

static const char *const nt_cpu_winograd_choices[] = { "4x4", "2x2", "off",
                                                       NULL };

static const NtOptionSpec nt_cpu_options[] = {
  { "threads", NT_OPTION_INT, "0", 0, 256, NULL,
    "worker threads for BLAS and OpenMP loops (0: one per processor)" },
  { "flush_denormals", NT_OPTION_BOOL, "true", 0, 0, NULL,
    "treat denormal floats as zero, as TensorFlow does (false: IEEE "
    "denormals, much slower once training converges); a per-thread mode, "
    "set for the creating thread and the workers by each new instance" },
  { "winograd", NT_OPTION_CHOICE, "4x4", 0, 0, nt_cpu_winograd_choices,
    "3x3 stride-1 convolutions of 2 or more samples by Winograd "
    "F(4x4,3x3) or F(2x2,3x3) (a little less float rounding), or off "
    "(im2col + GEMM only); one sample always runs im2col, which keeps "
    "exact max-pool ties for the attacks' per-sample gradients" },
  NT_OPTION_END
};

static gboolean
nt_cpu_probe (char **reason_out)
{
  /* The CPU is always there. */
  if (reason_out != NULL)
    *reason_out = NULL;
  return TRUE;
}

static const NtBackendClass nt_cpu_class;

/* A boolean option of the table above; on (its default) when unset. */
static gboolean
nt_cpu_option_on (const NtOptions *opts, const char *key)
{
  return opts == NULL || !nt_options_has (opts, key)
         || nt_options_get_bool (opts, key);
}

/* The Winograd tile size the options ask for (4 by default), 0 for off. */
static int
nt_cpu_winograd_tile (const NtOptions *opts)
{
  const char *choice = opts && nt_options_has (opts, "winograd")
                           ? nt_options_get_string (opts, "winograd")
                           : "4x4";

  return strcmp (choice, "off") == 0 ? 0 : choice[0] - '0';
}

static NtBackend *
nt_cpu_create (const NtOptions *opts, GError **error)
{
  NtCpuBackend *cpu;
  gint64 threads = 0;

  if (opts != NULL && nt_options_has (opts, "threads"))
    threads = nt_options_get_int (opts, "threads");
  if (threads < 0 || threads > 256)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_INVALID,
                   "cpu backend: threads=%" G_GINT64_FORMAT " is outside "
                   "0..256", threads);
      return NULL;
    }
  if (threads == 0)
    threads = MAX (g_get_num_processors (), 1);

  cpu = g_try_new0 (NtCpuBackend, 1);
  if (cpu == NULL)
    {
      g_set_error (error, NT_BACKEND_ERROR, NT_BACKEND_ERROR_OUT_OF_MEMORY,
                   "cpu backend: out of memory creating an instance");
      return NULL;
    }
  cpu->parent.ops = &nt_cpu_ops;
  cpu->parent.klass = &nt_cpu_class;
  cpu->threads = (int) threads;
  cpu->winograd = nt_cpu_winograd_tile (opts);
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
  /* Process-wide, and the same for every instance: the backend splits work
   * over its own OpenMP threads, each calling a single-threaded BLAS
   * (OpenBLAS's own threads spin after each call and took the cores). */
  openblas_set_num_threads (1);
#endif
  nt_cpu_flush_denormals (cpu->threads,
                          nt_cpu_option_on (opts, "flush_denormals"));
  return &cpu->parent;
}

static const NtBackendClass nt_cpu_class = {
  .feature = {
    .kind = NT_KIND_BACKEND,
    .name = "cpu",
    .description = "CPU: CBLAS GEMM (im2col convolutions) and OpenMP loops",
    .options = nt_cpu_options,
  },
  .probe = nt_cpu_probe,
  .create = nt_cpu_create,
};

static gboolean
nt_cpu_plugin_init (NtRegistry *registry, GError **error)
{
  return nt_registry_add (registry, &nt_cpu_class.feature, error);
}

NT_PLUGIN_DEFINE ("backend-cpu", "The CPU compute backend (CBLAS, OpenMP)",
                  PACKAGE_VERSION, "MIT", nt_cpu_plugin_init);
