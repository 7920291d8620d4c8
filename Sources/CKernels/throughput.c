// How many multiply-adds the CPU's vector units do per second on one thread and on two at once:
// whether two logical CPUs are two cores or the two hyperthreads of one (sharing its FMA units),
// which decides what a second thread can add to the convolutions (`backprop doctor`).
#define _GNU_SOURCE
#include "ckernels.h"
#include "variants.h"
#include <pthread.h>
#include <time.h>

#define CHAINS 8       // eight independent registers of chains: enough to keep two FMA ports busy
#define LANES (CHAINS * 16)

typedef float v16 __attribute__((vector_size(64)));

// Read through volatile, so the compiler cannot work the rounds out at compile time.
static volatile float multiplier = 0.9999999f, addend = 1e-7f;

// The rounds cannot be folded: float multiply-adds do not reassociate without fast-math.
#define SPIN_BODY \
    _Pragma("clang fp contract(fast)") \
    v16 acc[CHAINS]; \
    for (int c = 0; c < CHAINS; c++) for (int j = 0; j < 16; j++) acc[c][j] = 1.0f + (float)(c * 16 + j) * 1e-7f; \
    float m = multiplier, a = addend; \
    for (long r = 0; r < reps; r++) { \
        for (int c = 0; c < CHAINS; c++) acc[c] = acc[c] * m + a; \
    } \
    float sum = 0; \
    for (int c = 0; c < CHAINS; c++) for (int j = 0; j < 16; j++) sum += acc[c][j]; \
    *out = sum; \
    __asm__ volatile("" : : "r"(out) : "memory");

__attribute__((target("avx512f,fma"))) static void spin_avx512(long reps, float *out) { SPIN_BODY }
__attribute__((target("avx2,fma"))) static void spin_avx2(long reps, float *out) { SPIN_BODY }
static void spin_base(long reps, float *out) { SPIN_BODY }

typedef struct { long reps; float sink; } job;

static void *run(void *argument) {
    job *j = argument;
    DISPATCH(spin, (j->reps, &j->sink))
    return NULL;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double ck_fma_gflops(int threads, long reps) {
    if (threads < 1 || threads > 2 || reps < 1) return 0;
    job jobs[2] = {{reps, 0}, {reps, 0}};
    pthread_t other;
    double start = seconds();
    int second = threads == 2 && pthread_create(&other, NULL, run, &jobs[1]) == 0;
    run(&jobs[0]);
    if (second) pthread_join(other, NULL);
    double elapsed = seconds() - start;
    return elapsed > 0 ? (double)(second ? 2 : 1) * (double)reps * LANES * 2 / elapsed / 1e9 : 0;
}
