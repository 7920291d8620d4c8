// The Float32 training path's elementwise and pooling layers with the CPU's widest vectors
// (variants.h): relu, sigmoid and tanh forward and backward, and 2 × 2 max and average pooling
// with stride 2. Each is the same arithmetic, in the same order, as its Swift loop in Autograd's
// Kernels+Windows.swift and Kernels+Elementwise.swift, so the results are the same bits; the tests
// compare them (KernelTests). Swift's loops stay for Double and for other window sizes.
#include "ckernels.h"
#include "variants.h"
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

// No FMA contraction anywhere in this file, the helpers below included: the Swift loops have none.
#pragma clang fp contract(off)

// ---- relu

#define RELU_BODY for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
VARIANTS(relu, (const float *restrict x, float *restrict y, long n), RELU_BODY)
void ck_relu_f32(const float *x, float *y, long n) { DISPATCH(relu, (x, y, n)) }

#define RELU_BACKWARD_BODY for (long i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
VARIANTS(reluBackward, (const float *restrict y, const float *restrict dy, float *restrict dx, long n), RELU_BACKWARD_BODY)
void ck_relu_backward_f32(const float *y, const float *dy, float *dx, long n) { DISPATCH(reluBackward, (y, dy, dx, n)) }

// ---- sigmoid and tanh, from Cephes' expf polynomial (Kernels.Vector.expNonPositive)

static inline __attribute__((always_inline)) float expNonPositive(float value) {
    float x = value < -87 ? -87 : value;
    float shifted = x * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.16657959e-2f;
    p = p * r + 1.66666555e-1f;
    p = p * r + 5.00000012e-1f;
    p = p * (r * r) + r + 1;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    int32_t exponent = (int32_t)((uint32_t)(bits - 0x4B400000 + 127) << 23);
    float scale;
    memcpy(&scale, &exponent, sizeof scale);
    return p * scale;
}

static inline __attribute__((always_inline)) float magnitude(float x) { return x < 0 ? -x : x; }

static inline __attribute__((always_inline)) float sigmoid(float x) {
    float e = expNonPositive(-magnitude(x));
    float positive = 1 / (1 + e);
    return x < 0 ? e * positive : positive;
}

static inline __attribute__((always_inline)) float tanhCephes(float x) {
    float size = magnitude(x);
    float e = expNonPositive(-2 * size);
    float large = (1 - e) / (1 + e);
    float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * x + x;
    float signed_ = x < 0 ? -large : large;
    return size < 0.625f ? small : signed_;
}

#define SIGMOID_BODY for (long i = 0; i < n; i++) y[i] = sigmoid(x[i]);
VARIANTS(sigmoidForward, (const float *restrict x, float *restrict y, long n), SIGMOID_BODY)
void ck_sigmoid_f32(const float *x, float *y, long n) { DISPATCH(sigmoidForward, (x, y, n)) }

#define TANH_BODY for (long i = 0; i < n; i++) y[i] = tanhCephes(x[i]);
VARIANTS(tanhForward, (const float *restrict x, float *restrict y, long n), TANH_BODY)
void ck_tanh_f32(const float *x, float *y, long n) { DISPATCH(tanhForward, (x, y, n)) }

#define SIGMOID_BACKWARD_BODY for (long i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
VARIANTS(sigmoidBackward, (const float *restrict y, const float *restrict dy, float *restrict dx, long n), SIGMOID_BACKWARD_BODY)
void ck_sigmoid_backward_f32(const float *y, const float *dy, float *dx, long n) { DISPATCH(sigmoidBackward, (y, dy, dx, n)) }

#define TANH_BACKWARD_BODY for (long i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
VARIANTS(tanhBackward, (const float *restrict y, const float *restrict dy, float *restrict dx, long n), TANH_BACKWARD_BODY)
void ck_tanh_backward_f32(const float *y, const float *dy, float *dx, long n) { DISPATCH(tanhBackward, (y, dy, dx, n)) }

// ---- 2 × 2 pooling, stride 2, no padding, over `planes` planes of height × width (odd edges dropped)

// Whether v replaces the running maximum: larger, or NaN (the last NaN wins), as Kernels.wins.
#define WINS(v, value) (((v) > (value)) != ((v) != (v)))

// One 2 × 2 window whose entries are at offsets p0 (top left), p1 (top right), p2 (bottom left), p3
// (bottom right) of x: its largest entry, compared in that order with WINS's rule, and that entry's
// offset in `at`. Shared by the channel-major and the blocked layouts, which differ only in offsets.
static inline __attribute__((always_inline)) float windowMax(const float *x, long p0, long p1, long p2, long p3, int32_t *at) {
    long best = p0; float value = x[p0];
    float v = x[p1]; int take = WINS(v, value);
    value = take ? v : value; best = take ? p1 : best;
    v = x[p2]; take = WINS(v, value);
    value = take ? v : value; best = take ? p2 : best;
    v = x[p3]; take = WINS(v, value);
    value = take ? v : value; best = take ? p3 : best;
    *at = (int32_t)best;
    return value;
}

// Its backward: the window's upstream g to the entry `a` that won it, 0 to the other three; `0 + g`,
// as the scatter into zeros of ck_maxpool_backward_f32, so −0 becomes +0 alike.
static inline __attribute__((always_inline)) void windowGradient(float *dx, long p0, long p1, long p2, long p3, int32_t a, float g) {
    float v = 0.0f + g;
    dx[p0] = a == p0 ? v : 0.0f; dx[p1] = a == p1 ? v : 0.0f;
    dx[p2] = a == p2 ? v : 0.0f; dx[p3] = a == p3 ? v : 0.0f;
}

#define MAXPOOL2_BODY \
    long oh = height / 2, ow = width / 2; \
    for (long plane = 0; plane < planes; plane++) { \
        long base = plane * height * width, out = plane * oh * ow; \
        for (long oi = 0; oi < oh; oi++) { \
            long top = base + 2 * oi * width, bottom = top + width; \
            float *restrict row = y + out + oi * ow; \
            int32_t *restrict at = argmax + out + oi * ow; \
            for (long oj = 0; oj < ow; oj++) { \
                long p0 = top + 2 * oj, p2 = bottom + 2 * oj; \
                row[oj] = windowMax(x, p0, p0 + 1, p2, p2 + 1, at + oj); \
            } \
        } \
    }
VARIANTS_BELOW_AVX512(maxPool2, (const float *restrict x, long planes, long height, long width, float *restrict y, int32_t *restrict argmax), MAXPOOL2_BODY)

// On AVX-512, by hand: output rows are short (14 and 7 entries in the MNIST CNN), below the 16 lanes
// the compiler's vector loop needs, so it ran them one by one. Here each run of up to 16 outputs of a
// row is one masked vector: its 2 × 16 inputs of the top and of the bottom row are loaded (masked),
// split into even and odd columns, and compared in the scalar loop's order with its rule.
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

AVX512 static inline __mmask16 firstLanes(long n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

AVX512 static void maxPool2_avx512(const float *restrict x, long planes, long height, long width, float *restrict y, int32_t *restrict argmax) {
    long oh = height / 2, ow = width / 2;
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_add_epi32(evens, _mm512_set1_epi32(1));
    for (long plane = 0; plane < planes; plane++) {
        long base = plane * height * width, out = plane * oh * ow;
        for (long oi = 0; oi < oh; oi++) {
            long top = base + 2 * oi * width, bottom = top + width;
            for (long oj = 0; oj < ow; oj += 16) {
                long n = ow - oj < 16 ? ow - oj : 16;
                __mmask16 lo = firstLanes(2 * n), hi = firstLanes(2 * n - 16 > 0 ? 2 * n - 16 : 0), outputs = firstLanes(n);
                const float *t = x + top + 2 * oj, *b = x + bottom + 2 * oj;
                __m512 t0 = _mm512_maskz_loadu_ps(lo, t), t1 = _mm512_maskz_loadu_ps(hi, t + 16);
                __m512 b0 = _mm512_maskz_loadu_ps(lo, b), b1 = _mm512_maskz_loadu_ps(hi, b + 16);
                __m512i at = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(top + 2 * oj)), evens);
                __m512i atBottom = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(bottom + 2 * oj)), evens);
                __m512i one = _mm512_set1_epi32(1);
                __m512 value = _mm512_permutex2var_ps(t0, evens, t1);
                __m512i best = at;
                __m512 candidates[3] = {_mm512_permutex2var_ps(t0, odds, t1), _mm512_permutex2var_ps(b0, evens, b1), _mm512_permutex2var_ps(b0, odds, b1)};
                __m512i offsets[3] = {_mm512_add_epi32(at, one), atBottom, _mm512_add_epi32(atBottom, one)};
                for (int k = 0; k < 3; k++) {
                    __m512 v = candidates[k];
                    __mmask16 take = _mm512_cmp_ps_mask(v, value, _CMP_GT_OQ) ^ _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
                    value = _mm512_mask_mov_ps(value, take, v);
                    best = _mm512_mask_mov_epi32(best, take, offsets[k]);
                }
                _mm512_mask_storeu_ps(y + out + oi * ow + oj, outputs, value);
                _mm512_mask_storeu_epi32(argmax + out + oi * ow + oj, outputs, best);
            }
        }
    }
}
void ck_maxpool2_f32(const float *x, long planes, long height, long width, float *y, int32_t *argmax) {
    DISPATCH(maxPool2, (x, planes, height, width, y, argmax))
}

// dx = 0, then each window's upstream to the entry that won it (2 × 2 windows do not overlap).
#define MAXPOOL_BACKWARD_BODY \
    memset(dx, 0, (size_t)inputs * sizeof(float)); \
    for (long i = 0; i < outputs; i++) dx[argmax[i]] += dy[i];
VARIANTS(maxPoolBackward, (const float *restrict dy, const int32_t *restrict argmax, long outputs, float *restrict dx, long inputs), MAXPOOL_BACKWARD_BODY)
void ck_maxpool_backward_f32(const float *dy, const int32_t *argmax, long outputs, float *dx, long inputs) {
    DISPATCH(maxPoolBackward, (dy, argmax, outputs, dx, inputs))
}

// The mean of each window, summed in the reference's order (row by row) and scaled by 1/4.
#define AVGPOOL2_BODY \
    long oh = height / 2, ow = width / 2; \
    for (long plane = 0; plane < planes; plane++) { \
        long base = plane * height * width, out = plane * oh * ow; \
        for (long oi = 0; oi < oh; oi++) { \
            const float *restrict top = x + base + 2 * oi * width, *restrict bottom = top + width; \
            float *restrict row = y + out + oi * ow; \
            for (long oj = 0; oj < ow; oj++) { \
                float sum = 0; \
                sum += top[2 * oj]; sum += top[2 * oj + 1]; sum += bottom[2 * oj]; sum += bottom[2 * oj + 1]; \
                row[oj] = sum * 0.25f; \
            } \
        } \
    }
VARIANTS(avgPool2, (const float *restrict x, long planes, long height, long width, float *restrict y), AVGPOOL2_BODY)
void ck_avgpool2_f32(const float *x, long planes, long height, long width, float *y) {
    DISPATCH(avgPool2, (x, planes, height, width, y))
}

// Each window's upstream / 4 to its four entries; entries in no window (an odd last row or column) get 0.
#define AVGPOOL2_BACKWARD_BODY \
    long oh = height / 2, ow = width / 2; \
    memset(dx, 0, (size_t)(planes * height * width) * sizeof(float)); \
    for (long plane = 0; plane < planes; plane++) { \
        long base = plane * height * width, out = plane * oh * ow; \
        for (long oi = 0; oi < oh; oi++) { \
            float *restrict top = dx + base + 2 * oi * width, *restrict bottom = top + width; \
            const float *restrict row = dy + out + oi * ow; \
            for (long oj = 0; oj < ow; oj++) { \
                float share = 0.0f + row[oj] * 0.25f; /* as the reference's += into zeros: −0 becomes +0 */ \
                top[2 * oj] = share; top[2 * oj + 1] = share; bottom[2 * oj] = share; bottom[2 * oj + 1] = share; \
            } \
        } \
    }
VARIANTS(avgPool2Backward, (const float *restrict dy, long planes, long height, long width, float *restrict dx), AVGPOOL2_BACKWARD_BODY)
void ck_avgpool2_backward_f32(const float *dy, long planes, long height, long width, float *dx) {
    DISPATCH(avgPool2Backward, (dy, planes, height, width, dx))
}

// 2 × 2 windows, stride 2: each entry of a window gets the window's upstream if it won the window,
// else 0, written directly (the windows do not overlap); an odd last row or column gets 0.
#define MAXPOOL2_BACKWARD_BODY \
    long oh = height / 2, ow = width / 2; \
    if ((height | width) & 1) memset(dx, 0, (size_t)(planes * height * width) * sizeof(float)); \
    for (long plane = 0; plane < planes; plane++) { \
        long base = plane * height * width, out = plane * oh * ow; \
        for (long oi = 0; oi < oh; oi++) { \
            long top = base + 2 * oi * width, bottom = top + width; \
            const float *restrict g = dy + out + oi * ow; \
            const int32_t *restrict at = argmax + out + oi * ow; \
            for (long oj = 0; oj < ow; oj++) { \
                long p0 = top + 2 * oj, p2 = bottom + 2 * oj; \
                windowGradient(dx, p0, p0 + 1, p2, p2 + 1, at[oj], g[oj]); \
            } \
        } \
    }
VARIANTS_BELOW_AVX512(maxPool2Backward, (const float *restrict dy, const int32_t *restrict argmax, long planes, long height, long width, float *restrict dx), MAXPOOL2_BACKWARD_BODY)

// By hand on AVX-512, as the forward: each run of up to 16 windows of a row gives its four corners as
// four vectors, interleaved back into the top and bottom rows' 2 × 16 entries.
AVX512 static void maxPool2Backward_avx512(const float *restrict dy, const int32_t *restrict argmax, long planes, long height, long width, float *restrict dx) {
    long oh = height / 2, ow = width / 2;
    if ((height | width) & 1) memset(dx, 0, (size_t)(planes * height * width) * sizeof(float));
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i one = _mm512_set1_epi32(1);
    // Interleaving: entry 2j of a row is the even corner of window j, 2j + 1 the odd corner.
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512 zero = _mm512_setzero_ps();
    for (long plane = 0; plane < planes; plane++) {
        long base = plane * height * width, out = plane * oh * ow;
        for (long oi = 0; oi < oh; oi++) {
            long top = base + 2 * oi * width, bottom = top + width;
            for (long oj = 0; oj < ow; oj += 16) {
                long n = ow - oj < 16 ? ow - oj : 16;
                __mmask16 lo = firstLanes(2 * n), hi = firstLanes(2 * n - 16 > 0 ? 2 * n - 16 : 0), windows = firstLanes(n);
                __m512 g = _mm512_add_ps(zero, _mm512_maskz_loadu_ps(windows, dy + out + oi * ow + oj));
                __m512i at = _mm512_maskz_loadu_epi32(windows, argmax + out + oi * ow + oj);
                __m512i tl = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(top + 2 * oj)), evens);
                __m512i bl = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(bottom + 2 * oj)), evens);
                __m512 a = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, tl), g);
                __m512 b = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(tl, one)), g);
                __m512 c = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, bl), g);
                __m512 d = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(bl, one)), g);
                float *t = dx + top + 2 * oj, *u = dx + bottom + 2 * oj;
                _mm512_mask_storeu_ps(t, lo, _mm512_permutex2var_ps(a, low, b));
                _mm512_mask_storeu_ps(t + 16, hi, _mm512_permutex2var_ps(a, high, b));
                _mm512_mask_storeu_ps(u, lo, _mm512_permutex2var_ps(c, low, d));
                _mm512_mask_storeu_ps(u + 16, hi, _mm512_permutex2var_ps(c, high, d));
            }
        }
    }
}
void ck_maxpool2_backward_f32(const float *dy, const int32_t *argmax, long planes, long height, long width, float *dx) {
    DISPATCH(maxPool2Backward, (dy, argmax, planes, height, width, dx))
}

// ---- oneDNN's blocked layout, [B, C/16, H, W, 16] ("aBcd16b"), which the Float32 path keeps between
// convolutions whose channels are a multiple of 16, so that no reorder runs before or after them.
// `groups` = B · C/16 blocks of height × width × 16 entries. The 16 channels of a position are
// contiguous, so these loops vectorize as they are, 16 lanes wide.

// 2 × 2 max pooling, stride 2: the same order (top left, top right, bottom left, bottom right) and
// rule as ck_maxpool2_f32; argmax: the winner's offset in x.
#define MAXPOOL2_BLOCKED_BODY \
    long oh = height / 2, ow = width / 2; \
    for (long g = 0; g < groups; g++) { \
        for (long oi = 0; oi < oh; oi++) { \
            for (long oj = 0; oj < ow; oj++) { \
                long p0 = ((g * height + 2 * oi) * width + 2 * oj) * 16, p1 = p0 + 16; \
                long p2 = p0 + width * 16, p3 = p2 + 16, o = ((g * oh + oi) * ow + oj) * 16; \
                for (long l = 0; l < 16; l++) \
                    y[o + l] = windowMax(x, p0 + l, p1 + l, p2 + l, p3 + l, argmax + o + l); \
            } \
        } \
    }
VARIANTS(maxPool2Blocked, (const float *restrict x, long groups, long height, long width, float *restrict y, int32_t *restrict argmax), MAXPOOL2_BLOCKED_BODY)
void ck_maxpool2_blocked_f32(const float *x, long groups, long height, long width, float *y, int32_t *argmax) {
    DISPATCH(maxPool2Blocked, (x, groups, height, width, y, argmax))
}

#define MAXPOOL2_BLOCKED_BACKWARD_BODY \
    long oh = height / 2, ow = width / 2; \
    if ((height | width) & 1) memset(dx, 0, (size_t)(groups * height * width * 16) * sizeof(float)); \
    for (long g = 0; g < groups; g++) { \
        for (long oi = 0; oi < oh; oi++) { \
            for (long oj = 0; oj < ow; oj++) { \
                long p0 = ((g * height + 2 * oi) * width + 2 * oj) * 16, p1 = p0 + 16; \
                long p2 = p0 + width * 16, p3 = p2 + 16, o = ((g * oh + oi) * ow + oj) * 16; \
                for (long l = 0; l < 16; l++) \
                    windowGradient(dx, p0 + l, p1 + l, p2 + l, p3 + l, argmax[o + l], dy[o + l]); \
            } \
        } \
    }
VARIANTS(maxPool2BlockedBackward, (const float *restrict dy, const int32_t *restrict argmax, long groups, long height, long width, float *restrict dx), MAXPOOL2_BLOCKED_BACKWARD_BODY)
void ck_maxpool2_blocked_backward_f32(const float *dy, const int32_t *argmax, long groups, long height, long width, float *dx) {
    DISPATCH(maxPool2BlockedBackward, (dy, argmax, groups, height, width, dx))
}

// Blocked [B, C/16, P, 16] to rows [B, C·P] (what flatten gives the linear layer), and back.
#define BLOCKED_TO_ROWS_BODY \
    long blocks = channels / 16; \
    for (long b = 0; b < batch; b++) \
        for (long cb = 0; cb < blocks; cb++) \
            for (long l = 0; l < 16; l++) { \
                const float *restrict from = x + (b * blocks + cb) * plane * 16 + l; \
                float *restrict to = y + (b * channels + cb * 16 + l) * plane; \
                for (long p = 0; p < plane; p++) to[p] = from[p * 16]; \
            }
VARIANTS(blockedToRows, (const float *restrict x, long batch, long channels, long plane, float *restrict y), BLOCKED_TO_ROWS_BODY)
void ck_blocked_to_rows_f32(const float *x, long batch, long channels, long plane, float *y) {
    DISPATCH(blockedToRows, (x, batch, channels, plane, y))
}

#define ROWS_TO_BLOCKED_BODY \
    long blocks = channels / 16; \
    for (long b = 0; b < batch; b++) \
        for (long cb = 0; cb < blocks; cb++) \
            for (long p = 0; p < plane; p++) \
                for (long l = 0; l < 16; l++) \
                    y[((b * blocks + cb) * plane + p) * 16 + l] = x[(b * channels + cb * 16 + l) * plane + p];
VARIANTS(rowsToBlocked, (const float *restrict x, long batch, long channels, long plane, float *restrict y), ROWS_TO_BLOCKED_BODY)
void ck_rows_to_blocked_f32(const float *x, long batch, long channels, long plane, float *y) {
    DISPATCH(rowsToBlocked, (x, batch, channels, plane, y))
}
