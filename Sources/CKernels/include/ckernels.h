// The C side of the kernels layer (Sources/Autograd/Kernels*.swift): the CPU's identity and vector ISA
// from cpuid, and OpenBLAS loaded with dlopen after its core has been chosen.
//
// Why dlopen: OpenBLAS (DYNAMIC_ARCH builds such as Debian's) picks its kernels once, in a load-time
// constructor, from the CPU's family and model, or from OPENBLAS_CORETYPE if set. A CPU newer than the
// library falls back silently: Debian's 0.3.21 runs its SSE3 "Prescott" kernels on an Intel family 6
// model 207, and its AVX2 "Haswell" kernels on an AMD Zen 5, both with AVX-512. Linking it would run
// that constructor before main; loading it here, after setting OPENBLAS_CORETYPE from the CPU's ISA
// features, works for the command line and for library users alike.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

typedef struct {
    char vendor[13];
    char brand[49];
    int family, model, stepping;
    int sse3, avx, fma, avx2;
    int avx512f, avx512bw, avx512dq, avx512vl, avx512cd, avx512bf16, avx512vnni;
    int osAVX, osAVX512;        // the OS saves the YMM / ZMM and mask registers (XCR0)
} ck_cpu;

/// Fills `cpu` from cpuid (zeros everywhere on a CPU without cpuid, or not x86-64).
void ck_cpu_identify(ck_cpu *cpu);

/// Loads OpenBLAS (libopenblas.so.0, then libopenblas.so) with OPENBLAS_CORETYPE set to `coretype`
/// during the load (NULL: leave the environment alone), and restores the environment afterwards, so
/// child processes do not inherit the choice. Returns 1 if loaded; 2 if the library was already in the
/// process before this call (its core was chosen then); 0 on failure, with the reason in `error`.
int ck_blas_load(const char *coretype, char *error, size_t errorSize);

/// After a successful load: the core OpenBLAS runs ("SkylakeX", "Haswell", "Prescott", …) and its config line.
const char *ck_blas_corename(void);
const char *ck_blas_config(void);
void ck_blas_set_threads(int threads);

/// Row-major C[m×n] = alpha·op(A)·op(B) + beta·C (cblas_sgemm / cblas_dgemm). Only after a successful load.
void ck_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);
void ck_dgemm(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda,
              const double *b, int ldb, double beta, double *c, int ldc);

/// √x with no errno (llvm.sqrt), so loops over it vectorize without -fno-math-errno on the module.
#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
static inline float ck_sqrtf(float x) { return __builtin_elementwise_sqrt(x); }
static inline double ck_sqrt(double x) { return __builtin_elementwise_sqrt(x); }
#else
static inline float ck_sqrtf(float x) { return __builtin_sqrtf(x); }
static inline double ck_sqrt(double x) { return __builtin_sqrt(x); }
#endif

/// The Float32 optimizer steps of Optimizer+Kernels.swift, vectorized for the CPU's widest ISA (optimizers.c).
void ck_adam_f32(float *p, const float *gradient, float *m, float *v, long n, float stepSize, float inverseCorrection,
                 float decay, float beta1, float beta2, float epsilon);
void ck_momentum_f32(float *p, const float *gradient, float *b, long n, float rate, float decay, float momentum, int nesterov);

/// glibc's allocator set for a server: blocks up to 4 MB from the heap (not an mmap each time), up
/// to 64 MB of free heap kept rather than given back and asked for again, heaps grown 16 MB at a time
/// (Autograd's Kernels.tuneAllocatorForServing). Returns how many of the three settings glibc accepted (0 without glibc).
int ck_memory_tune_for_serving(void);

/// Subnormal floats flushed to zero (FTZ and DAZ) on the calling thread; returns the state to restore.
unsigned ck_denormals_flush(void);
void ck_denormals_restore(unsigned previous);
/// Whether the calling thread flushes subnormals now.
int ck_denormals_flushed(void);

/// Makes the variants of variants.h dispatch at `level` (0 baseline, 1 AVX2, 2 AVX-512) if the CPU
/// runs it, or at the detected level when `level` is -1 or above it; returns the detected level.
/// Every variant gives the same bits, so a test can run all of them (KernelTests).
int ck_vector_level_force(int level);

/// Billions of float multiply-adds ×2 per second on `threads` (1 or 2) threads at once, each running
/// `reps` rounds of 128 independent multiply-adds on the widest vectors (throughput.c).
double ck_fma_gflops(int threads, long reps);

/// The Float32 path's layers with the CPU's widest vectors (layers.c): the same bits as the Swift loops.
void ck_relu_f32(const float *x, float *y, long n);
void ck_relu_backward_f32(const float *y, const float *dy, float *dx, long n);
void ck_sigmoid_f32(const float *x, float *y, long n);
void ck_sigmoid_backward_f32(const float *y, const float *dy, float *dx, long n);
void ck_tanh_f32(const float *x, float *y, long n);
void ck_tanh_backward_f32(const float *y, const float *dy, float *dx, long n);
/// 2 × 2 windows, stride 2, over `planes` planes of height × width; argmax: the winner's offset in x.
void ck_maxpool2_f32(const float *x, long planes, long height, long width, float *y, int *argmax);
/// dx (inputs entries) = 0, then dx[argmax[i]] += dy[i].
void ck_maxpool_backward_f32(const float *dy, const int *argmax, long outputs, float *dx, long inputs);
/// The same for 2 × 2 windows with stride 2 over `planes` planes of height × width, written directly.
void ck_maxpool2_backward_f32(const float *dy, const int *argmax, long planes, long height, long width, float *dx);
void ck_avgpool2_f32(const float *x, long planes, long height, long width, float *y);
void ck_avgpool2_backward_f32(const float *dy, long planes, long height, long width, float *dx);

/// oneDNN's blocked layout [B, C/16, H, W, 16] (C a multiple of 16), kept between convolutions:
/// 2 × 2 max pooling with stride 2 over `groups` = B·C/16 blocks, and flatten to rows [B, C·H·W] and back.
void ck_maxpool2_blocked_f32(const float *x, long groups, long height, long width, float *y, int *argmax);
void ck_maxpool2_blocked_backward_f32(const float *dy, const int *argmax, long groups, long height, long width, float *dx);
void ck_blocked_to_rows_f32(const float *x, long batch, long channels, long plane, float *y);
void ck_rows_to_blocked_f32(const float *x, long batch, long channels, long plane, float *y);

/// Convolutions through oneDNN (convolution.c), loaded with dlopen at the first plan.
/// The library's name and version, or NULL (then `ck_dnnl_error` says why).
const char *ck_dnnl_version(void);
const char *ck_dnnl_error(void);

/// A convolution of one batch size: inputs and outputs channel-major, [C, B, H, W] and [F, B, H', W'],
/// or in the blocked layout above when `blockedInput` / `blockedOutput` (C, F multiples of 16);
/// weights [F, C, K, K], bias [F]. Not shared between threads. NULL on failure, with the reason.
typedef struct ck_conv ck_conv;
ck_conv *ck_conv_create(int batch, int channels, int height, int width, int filters, int size, int stride, int padding,
                        int inputGradient, int blockedInput, int blockedOutput, char *error, size_t errorSize);
void ck_conv_destroy(ck_conv *conv);
const char *ck_conv_impl(const ck_conv *conv);
/// y = conv(x, w) + b. Returns 1 on success.
int ck_conv_forward(ck_conv *conv, const float *x, const float *w, const float *b, float *y);
/// dw, db (overwritten) and, when dx is not NULL, dx (overwritten), after a forward on the same x.
int ck_conv_backward(ck_conv *conv, const float *x, const float *dy, const float *w, float *dx, float *dw, float *db);

#endif
