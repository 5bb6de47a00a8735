/* nt-backend-cpu-private.h: state shared by the CPU backend's source files.
 * Not installed.
 *
 * The backend is split in five modules:
 *   nt-backend-cpu.c         plugin entry, instance, memory, GEMM, sticky errors
 *   nt-backend-cpu-conv.c    convolution (im2col + GEMM) and max pooling
 *   nt-backend-cpu-winograd.c  3x3 stride-1 convolution by Winograd
 *   nt-backend-cpu-gemm.c    the dense layers' skinny GEMMs
 *   nt-backend-cpu-eltwise.c bias, ReLU, dropout, softmax, argmax, Adam, attack
 *                            helpers */
#ifndef NT_BACKEND_CPU_PRIVATE_H
#define NT_BACKEND_CPU_PRIVATE_H

#include <glib.h>
#include "nt-backend.h"
#include "nt-backend-util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

G_BEGIN_DECLS

/* OpenMP pragmas that vanish (without -Wunknown-pragmas noise) when the
 * compiler has no OpenMP. Usage: NT_OMP (parallel for num_threads (nth)). */
#ifdef _OPENMP
#define _NT_PRAGMA(...) _Pragma (#__VA_ARGS__)
#define NT_OMP(...) _NT_PRAGMA (omp __VA_ARGS__)
#else
#define NT_OMP(...)
#endif

/* Index of the calling thread in the current team (0 without OpenMP). */
static inline int
nt_thread_num (void)
{
#ifdef _OPENMP
  return omp_get_thread_num ();
#else
  return 0;
#endif
}

/* Size of the current team (1 without OpenMP). It may be smaller than the
 * num_threads asked for (thread limits, nesting), never larger. */
static inline int
nt_team_size (void)
{
#ifdef _OPENMP
  return omp_get_num_threads ();
#else
  return 1;
#endif
}

/* Hot routines are cloned for AVX-512 (x86-64-v4: F, BW, CD, DQ, VL),
 * AVX2 with FMA (x86-64-v3) and baseline x86-64, picked at load time, so
 * that their loops vectorise to the machine's width (the rest of the
 * backend is built for baseline x86-64). Helpers they call need
 * always_inline to be compiled into each clone. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NT_CPU_CLONES                                                      \
  __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3",        \
                                 "default")))
#else
#define NT_CPU_CLONES
#endif
#define NT_AI static inline __attribute__ ((always_inline))

/* Below this many elements an element-wise loop runs on one thread: waking
 * the team costs more than the work. */
#define NT_CPU_PAR_MIN 32768

/* Data of every buffer is aligned to this many bytes (a cache line; also
 * enough for AVX-512 loads). */
#define NT_CPU_ALIGN 64

/* `count` floats rounded up to whole cache lines, so that a scratch region
 * placed after them starts on one. */
static inline gsize
nt_cpu_round_line (gsize count)
{
  gsize per_line = NT_CPU_ALIGN / sizeof (float);

  return (count + per_line - 1) / per_line * per_line;
}

/* dst[i] = act(src[i] + bias), act = ReLU when `relu`; dst may be src
 * (ivdep: element-wise, no dependence between iterations, so the loop
 * vectorises without GCC's run-time overlap check, which fails and falls
 * back to scalar code when dst == src). */
NT_AI void
nt_bias_act (float *dst, const float *src, gsize count, float bias,
             gboolean relu)
{
  if (relu)
    {
#pragma GCC ivdep
      for (gsize i = 0; i < count; i++)
        {
          float v = src[i] + bias;
          dst[i] = v > 0.0f ? v : 0.0f;
        }
    }
  else
    {
#pragma GCC ivdep
      for (gsize i = 0; i < count; i++)
        dst[i] = src[i] + bias;
    }
}

/* dst[i] = y[i] > 0 ? g[i] : 0 (the ReLU's backward); dst may be g. g[i]
 * is read whatever y[i] is: a load under the condition keeps GCC from
 * vectorising, and the scalar loop's branch, taken at random, cost 2.8 ns
 * an element (a third of conv1's backward). */
NT_AI void
nt_relu_mask (float *dst, const float *g, const float *y, gsize count)
{
#pragma GCC ivdep
  for (gsize i = 0; i < count; i++)
    {
      float gi = g[i];
      dst[i] = y[i] > 0.0f ? gi : 0.0f;
    }
}

/* A growable scratch array owned by the instance, reused between calls so a
 * training step allocates nothing. */
typedef struct {
  float *data;
  gsize capacity;  /* elements */
} NtCpuScratch;

typedef struct {
  NtBackend parent;   /* must stay first */
  int threads;        /* resolved thread count, >= 1 */
  int winograd;       /* Winograd tile m of F(m x m,3x3): 4, 2 or 0 (off) */
  GError *error;      /* first failure (sticky), or NULL */
  /* Convolution scratch, one slice per OpenMP thread. */
  NtCpuScratch cols;  /* im2col columns [C*kh*kw x nb*P] */
  NtCpuScratch prod;  /* GEMM result / gathered gradient [K x nb*P] */
  NtCpuScratch part;  /* per-thread partial filter and bias gradients */
  NtCpuScratch wino;  /* Winograd kernel transform, then per-thread tiles */
} NtCpuBackend;

#define NT_CPU(be) ((NtCpuBackend *) (be))

/* The sticky error and argument checks of nt-backend-util.h on the
 * instance's error (buffers' data are NT_CPU_ALIGN-aligned): records the
 * first failure; later operations still run and the caller learns of it at
 * the next sync. */
#define _nt_cpu_fail(cpu, ...) \
  _nt_backend_fail (&(cpu)->error, "cpu", __VA_ARGS__)
#define _nt_cpu_check_buf(cpu, ...) \
  _nt_backend_check_buf (&(cpu)->error, "cpu", __VA_ARGS__)
#define _nt_cpu_check_dims(cpu, ...) \
  _nt_backend_check_dims (&(cpu)->error, "cpu", __VA_ARGS__)

/* The scratch array grown to at least `count` elements, or NULL after
 * recording an OUT_OF_MEMORY failure. Contents are undefined. */
float *_nt_cpu_scratch (NtCpuBackend *cpu, NtCpuScratch *s, gsize count);

/* cblas_sgemm, row-major. */
void _nt_cpu_sgemm (gboolean trans_a, gboolean trans_b, int m, int n, int k,
                    float alpha, const float *a, int lda, const float *b,
                    int ldb, float beta, float *c, int ldc);

/* Row-major C[m x n] = alpha op(A) op(B) + beta C with dense leading
 * dimensions, on up to `threads` OpenMP threads, each calling a
 * single-threaded BLAS on its block of C. */
void _nt_cpu_gemm_split (int threads, gboolean trans_a, gboolean trans_b,
                         int m, int n, int k, float alpha, const float *a,
                         const float *b, float beta, float *c);

/* The dense layers' skinny GEMMs (nt-backend-cpu-gemm.c). _fits: TRUE for
 * the shapes (of a whole product) where the backend's own kernels beat
 * OpenBLAS: NT with a long k, NN or TN with a short k and long rows.
 * _skinny: row-major C = alpha op(A) op(B) + beta C like _nt_cpu_sgemm, for
 * any block of such a product (not TT). */
gboolean _nt_cpu_gemm_skinny_fits (gboolean trans_a, gboolean trans_b,
                                   int m, int n, int k);
void _nt_cpu_gemm_skinny (gboolean trans_a, gboolean trans_b, int m, int n,
                          int k, float alpha, const float *a, int lda,
                          const float *b, int ldb, float beta, float *c,
                          int ldc);

/* Winograd F(m x m, 3x3), m = 2 or 4 (nt-backend-cpu-winograd.c).
 * _kernels: the a^2 x C x K transform (a = m + 2) of w [K][C][3][3] (with
 * `flip`: a^2 x K x C, of the kernel rotated by 180 degrees, for the data
 * gradient). _image: one image, y[K][oh][ow] = act(conv(x padded by
 * pad_top/pad_left, zero elsewhere) + bias) with act = ReLU when `relu`,
 * bias may be NULL, x [C][h][w] or, with `x_last`, channel-last [h][w][C];
 * _scratch(m, c, h, w, k, oh, ow) floats of scratch. */
void _nt_cpu_winograd_kernels (int threads, int m, const float *w, int k,
                               int c, gboolean flip, float *u);
gsize _nt_cpu_winograd_scratch (int m, int c, int h, int w, int k, int oh,
                                int ow);
void _nt_cpu_winograd_image (int m, const float *x, gboolean x_last, int c,
                             int h, int w, int pad_top, int pad_left,
                             const float *u, int k, int oh, int ow,
                             const float *bias, gboolean relu, float *y,
                             float *scratch);
/* The filter gradient by Winograd: _filter_image adds (or writes, when
 * `first`) one image's share, for input x [C][h][w] (padded as in the
 * forward) and output gradient g [K][oh][ow], to du (a^2 x C x K, the
 * transform domain), with _scratch(m, c, h, w, k, oh, ow) floats of
 * scratch, and returns g channel-last (in the scratch: the data gradient's
 * input); _filter_finish turns the summed du into dw [K][C][3][3]. */
const float *_nt_cpu_winograd_filter_image (int m, const float *x, int c,
                                            int h, int w, int pad_top,
                                            int pad_left, const float *g,
                                            int k, int oh, int ow,
                                            gboolean first, float *du,
                                            float *scratch);
void _nt_cpu_winograd_filter_finish (int m, const float *du, int k, int c,
                                     float *dw);

/* Operations of nt-backend-cpu-conv.c (see NtBackendOps for contracts). */
void _nt_cpu_conv2d_forward (NtBackend *be, const NtBuffer *x, NtDims xd,
                             const NtBuffer *w, int out_c,
                             const NtWindow *win, NtBuffer *y);
void _nt_cpu_conv2d_backward_data (NtBackend *be, const NtBuffer *dy,
                                   const NtBuffer *w, NtDims xd, int out_c,
                                   const NtWindow *win, NtBuffer *dx);
void _nt_cpu_conv2d_backward_filter (NtBackend *be, const NtBuffer *x,
                                     const NtBuffer *dy, NtDims xd, int out_c,
                                     const NtWindow *win, NtBuffer *dw);
void _nt_cpu_conv2d_forward_bias (NtBackend *be, const NtBuffer *x,
                                  NtDims xd, const NtBuffer *w,
                                  const NtBuffer *b, int out_c,
                                  const NtWindow *win, gboolean relu,
                                  NtBuffer *y);
void _nt_cpu_conv2d_backward_bias (NtBackend *be, const NtBuffer *x,
                                   const NtBuffer *y, const NtBuffer *dy,
                                   const NtBuffer *w, NtDims xd, int out_c,
                                   const NtWindow *win, gboolean relu,
                                   NtBuffer *dw, NtBuffer *db, NtBuffer *dx);
void _nt_cpu_maxpool_forward (NtBackend *be, const NtBuffer *x, NtDims xd,
                              const NtWindow *win, NtBuffer *y);
void _nt_cpu_maxpool_backward (NtBackend *be, const NtBuffer *x,
                               const NtBuffer *dy, NtDims xd,
                               const NtWindow *win, NtBuffer *dx);

/* Operations of nt-backend-cpu-eltwise.c. */
void _nt_cpu_bias_add (NtBackend *be, NtBuffer *y, const NtBuffer *b, int n,
                       int c, int spatial);
void _nt_cpu_bias_grad (NtBackend *be, const NtBuffer *dy, int n, int c,
                        int spatial, NtBuffer *db);
void _nt_cpu_relu_forward (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                           gsize count);
void _nt_cpu_relu_backward (NtBackend *be, const NtBuffer *y,
                            const NtBuffer *dy, NtBuffer *dx, gsize count);
void _nt_cpu_dropout_forward (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                              NtBuffer *mask, gsize count, float rate,
                              guint64 seed);
void _nt_cpu_dropout_backward (NtBackend *be, const NtBuffer *dy,
                               const NtBuffer *mask, NtBuffer *dx,
                               gsize count);
void _nt_cpu_softmax_xent (NtBackend *be, const NtBuffer *logits,
                           const int *labels, int n, int classes,
                           float *loss_out, NtBuffer *dlogits);
void _nt_cpu_argmax (NtBackend *be, const NtBuffer *x, int n, int classes,
                     int *out);
void _nt_cpu_adam_update (NtBackend *be, NtBuffer *param,
                          const NtBuffer *grad, NtBuffer *m, NtBuffer *v,
                          gsize count, float lr, float beta1, float beta2,
                          float eps, int step);
void _nt_cpu_sign (NtBackend *be, const NtBuffer *x, NtBuffer *y,
                   gsize count);
void _nt_cpu_scale_add (NtBackend *be, NtBuffer *y, float alpha,
                        const NtBuffer *x, float beta, gsize count);
void _nt_cpu_clip (NtBackend *be, NtBuffer *x, float lo, float hi,
                   gsize count);
void _nt_cpu_perturb (NtBackend *be, const NtBuffer *x, const NtBuffer *dir,
                      const float *eps, int rows, int cols, float lo,
                      float hi, NtBuffer *out);

G_END_DECLS
#endif
