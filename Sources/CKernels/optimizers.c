// The Float32 path's optimizer steps with the CPU's widest vectors. Swift builds for baseline x86-64
// (SSE2), and per-module -mavx2 or -mavx512f would be unsafe flags; here each loop is compiled three
// times with `target` attributes and the widest one the CPU runs is chosen once from cpuid. The
// arithmetic is the same in each (no FMA contraction: -ffp-contract stays off for these functions),
// so every variant gives the same bits as the Swift loop in Optimizer+Kernels.swift.
#include "ckernels.h"

#define ADAM_BODY \
    for (long i = 0; i < n; i++) { \
        float g = gradient[i] + decay * p[i]; \
        m[i] = beta1 * m[i] + keep1 * g; \
        v[i] = beta2 * v[i] + keep2 * g * g; \
        p[i] -= stepSize * (m[i] / (ck_sqrtf(v[i]) / correction + epsilon)); \
    }

#define MOMENTUM_BODY \
    for (long i = 0; i < n; i++) { \
        float g = gradient[i] + decay * p[i]; \
        b[i] = momentum * b[i] + g; \
        p[i] -= rate * (nesterov ? g + momentum * b[i] : b[i]); \
    }

#define VARIANTS(name, params, body) \
    __attribute__((target("avx512f"))) static void name##_avx512 params { _Pragma("clang fp contract(off)") body } \
    __attribute__((target("avx2"))) static void name##_avx2 params { _Pragma("clang fp contract(off)") body } \
    static void name##_base params { _Pragma("clang fp contract(off)") body }

VARIANTS(adam, (float *restrict p, const float *restrict gradient, float *restrict m, float *restrict v, long n, float stepSize,
                float correction, float decay, float beta1, float beta2, float epsilon, float keep1, float keep2), ADAM_BODY)
VARIANTS(momentum, (float *restrict p, const float *restrict gradient, float *restrict b, long n, float rate, float decay,
                    float momentum, int nesterov), MOMENTUM_BODY)

static int level = -1;     // 2: AVX-512, 1: AVX2, 0: baseline
static int vectorLevel(void) {
    if (level < 0) {
        ck_cpu cpu;
        ck_cpu_identify(&cpu);
        level = (cpu.avx512f && cpu.osAVX512) ? 2 : (cpu.avx2 && cpu.osAVX) ? 1 : 0;
    }
    return level;
}

void ck_adam_f32(float *p, const float *gradient, float *m, float *v, long n, float stepSize, float correction,
                 float decay, float beta1, float beta2, float epsilon) {
    float keep1 = 1 - beta1, keep2 = 1 - beta2;
    switch (vectorLevel()) {
    case 2: adam_avx512(p, gradient, m, v, n, stepSize, correction, decay, beta1, beta2, epsilon, keep1, keep2); break;
    case 1: adam_avx2(p, gradient, m, v, n, stepSize, correction, decay, beta1, beta2, epsilon, keep1, keep2); break;
    default: adam_base(p, gradient, m, v, n, stepSize, correction, decay, beta1, beta2, epsilon, keep1, keep2);
    }
}

void ck_momentum_f32(float *p, const float *gradient, float *b, long n, float rate, float decay, float momentum, int nesterov) {
    switch (vectorLevel()) {
    case 2: momentum_avx512(p, gradient, b, n, rate, decay, momentum, nesterov); break;
    case 1: momentum_avx2(p, gradient, b, n, rate, decay, momentum, nesterov); break;
    default: momentum_base(p, gradient, b, n, rate, decay, momentum, nesterov);
    }
}
