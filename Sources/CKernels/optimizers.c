// The Float32 path's optimizer steps with the CPU's widest vectors. Swift builds for baseline x86-64
// (SSE2), and per-module -mavx2 or -mavx512f would be unsafe flags; here each loop is compiled three
// times with `target` attributes and the widest one the CPU runs is chosen once from cpuid. The
// arithmetic is the same in each (no FMA contraction: -ffp-contract stays off for these functions),
// so every variant gives the same bits as the Swift loop in Optimizer+Kernels.swift.
#include "ckernels.h"
#include "variants.h"

#define ADAM_BODY \
    for (long i = 0; i < n; i++) { \
        float g = gradient[i] + decay * p[i]; \
        m[i] = beta1 * m[i] + keep1 * g; \
        v[i] = beta2 * v[i] + keep2 * g * g; \
        p[i] -= stepSize * (m[i] / (ck_sqrtf(v[i]) * inverseCorrection + epsilon)); \
    }

#define MOMENTUM_BODY \
    for (long i = 0; i < n; i++) { \
        float g = gradient[i] + decay * p[i]; \
        b[i] = momentum * b[i] + g; \
        p[i] -= rate * (nesterov ? g + momentum * b[i] : b[i]); \
    }

VARIANTS(adam, (float *restrict p, const float *restrict gradient, float *restrict m, float *restrict v, long n, float stepSize,
                float inverseCorrection, float decay, float beta1, float beta2, float epsilon, float keep1, float keep2), ADAM_BODY)
VARIANTS(momentum, (float *restrict p, const float *restrict gradient, float *restrict b, long n, float rate, float decay,
                    float momentum, int nesterov), MOMENTUM_BODY)

void ck_adam_f32(float *p, const float *gradient, float *m, float *v, long n, float stepSize, float inverseCorrection,
                 float decay, float beta1, float beta2, float epsilon) {
    float keep1 = 1 - beta1, keep2 = 1 - beta2;
    DISPATCH(adam, (p, gradient, m, v, n, stepSize, inverseCorrection, decay, beta1, beta2, epsilon, keep1, keep2))
}

void ck_momentum_f32(float *p, const float *gradient, float *b, long n, float rate, float decay, float momentum, int nesterov) {
    DISPATCH(momentum, (p, gradient, b, n, rate, decay, momentum, nesterov))
}
