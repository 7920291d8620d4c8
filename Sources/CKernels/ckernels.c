#define _GNU_SOURCE
#include "ckernels.h"
#include "variants.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

void ck_cpu_identify(ck_cpu *cpu) {
    memset(cpu, 0, sizeof *cpu);
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    unsigned maxLeaf = a;
    memcpy(cpu->vendor, &b, 4); memcpy(cpu->vendor + 4, &d, 4); memcpy(cpu->vendor + 8, &c, 4);
    __get_cpuid(1, &a, &b, &c, &d);
    int base = (a >> 8) & 0xf, extended = (a >> 20) & 0xff;
    cpu->family = base == 0xf ? base + extended : base;
    cpu->model = (base == 0x6 || base == 0xf) ? (((a >> 16) & 0xf) << 4) | ((a >> 4) & 0xf) : (a >> 4) & 0xf;
    cpu->stepping = a & 0xf;
    cpu->sse3 = c & 1;
    cpu->fma = (c >> 12) & 1;
    cpu->avx = (c >> 28) & 1;
    int osxsave = (c >> 27) & 1;
    if (osxsave) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        cpu->osAVX = (lo & 0x6) == 0x6;               // XMM and YMM state
        cpu->osAVX512 = (lo & 0xe6) == 0xe6;          // and opmask, ZMM_Hi256, Hi16_ZMM
    }
    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        cpu->avx2 = (b >> 5) & 1;
        cpu->avx512f = (b >> 16) & 1;
        cpu->avx512dq = (b >> 17) & 1;
        cpu->avx512cd = (b >> 28) & 1;
        cpu->avx512bw = (b >> 30) & 1;
        cpu->avx512vl = (b >> 31) & 1;
        cpu->avx512vnni = (c >> 11) & 1;
        __cpuid_count(7, 1, a, b, c, d);
        cpu->avx512bf16 = (a >> 5) & 1;
    }
    if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004) {
        unsigned *words = (unsigned *)cpu->brand;
        for (unsigned leaf = 0; leaf < 3; leaf++) {
            __get_cpuid(0x80000002 + leaf, &a, &b, &c, &d);
            words[leaf * 4] = a; words[leaf * 4 + 1] = b; words[leaf * 4 + 2] = c; words[leaf * 4 + 3] = d;
        }
        cpu->brand[48] = 0;
    }
#endif
}

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double *, int, const double *, int, double, double *, int);
static sgemm_fn sgemm;
static dgemm_fn dgemm;
static void (*set_threads)(int);
static char *(*corename)(void);
static char *(*config)(void);

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };

int ck_blas_load(const char *coretype, char *error, size_t errorSize) {
    static const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *handle = NULL;
    int already = 0;
    for (int i = 0; i < 2 && !handle; i++) {
        handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
        if (handle) already = 1;
    }
    if (!handle) {
        char *saved = NULL;
        int hadValue = 0;
        if (coretype) {
            const char *old = getenv("OPENBLAS_CORETYPE");
            if (old) { saved = strdup(old); hadValue = 1; }
            setenv("OPENBLAS_CORETYPE", coretype, 1);
        }
        for (int i = 0; i < 2 && !handle; i++) handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (coretype) {
            if (hadValue) setenv("OPENBLAS_CORETYPE", saved, 1); else unsetenv("OPENBLAS_CORETYPE");
            free(saved);
        }
    }
    if (!handle) {
        const char *why = dlerror();
        snprintf(error, errorSize, "%s", why ? why : "libopenblas.so.0 not found");
        return 0;
    }
    sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    dgemm = (dgemm_fn)dlsym(handle, "cblas_dgemm");
    set_threads = (void (*)(int))dlsym(handle, "openblas_set_num_threads");
    corename = (char *(*)(void))dlsym(handle, "openblas_get_corename");
    config = (char *(*)(void))dlsym(handle, "openblas_get_config");
    if (!sgemm || !dgemm || !set_threads || !corename || !config) {
        snprintf(error, errorSize, "the OpenBLAS found lacks cblas_sgemm, cblas_dgemm or openblas_get_corename");
        return 0;
    }
    return already ? 2 : 1;
}

const char *ck_blas_corename(void) { return corename ? corename() : "none"; }
const char *ck_blas_config(void) { return config ? config() : "none"; }
void ck_blas_set_threads(int threads) { if (set_threads) set_threads(threads); }

void ck_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void ck_dgemm(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda,
              const double *b, int ldb, double beta, double *c, int ldc) {
    dgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Subnormal floats (below 1.2e-38) as zero, in results (FTZ) and in inputs (DAZ), on this thread:
// a momentum buffer decaying towards zero passes through them, and each costs the CPU a microcode
// assist of about a hundred cycles (measured: 19 ms → 578 ms for an MLP epoch's momentum updates).
unsigned ck_denormals_flush(void) {
#if defined(__x86_64__)
    unsigned previous = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(previous | 0x8040);
    return previous;
#else
    return 0;
#endif
}

int ck_denormals_flushed(void) {
#if defined(__x86_64__)
    return (__builtin_ia32_stmxcsr() & 0x8040) == 0x8040;
#else
    return 0;
#endif
}

void ck_denormals_restore(unsigned previous) {
#if defined(__x86_64__)
    __builtin_ia32_ldmxcsr(previous);
#else
    (void)previous;
#endif
}

// The widest variant of variants.h this CPU runs: 2 AVX-512 (F, BW, DQ, VL with the OS saving ZMM
// state), 1 AVX2, 0 baseline.
static int level = -1;     // relaxed atomics: two threads may both compute it, with the same answer
int ck_vector_level(void) {
    int known = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (known < 0) {
        ck_cpu cpu;
        ck_cpu_identify(&cpu);
        known = (cpu.avx512f && cpu.avx512bw && cpu.avx512dq && cpu.avx512vl && cpu.osAVX512) ? 2 : (cpu.avx2 && cpu.osAVX) ? 1 : 0;
        __atomic_store_n(&level, known, __ATOMIC_RELAXED);
    }
    return known;
}

int ck_vector_level_force(int wanted) {
    int detected = (__atomic_store_n(&level, -1, __ATOMIC_RELAXED), ck_vector_level());
    if (wanted >= 0 && wanted < detected) __atomic_store_n(&level, wanted, __ATOMIC_RELAXED);
    return detected;
}
