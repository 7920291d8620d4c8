// Compiling a loop once per vector ISA. Swift builds for baseline x86-64 (SSE2), and per-module
// -mavx2 or -mavx512f would be unsafe flags (and would crash on a CPU without them); instead each
// loop is compiled three times with `target` attributes, and the widest variant the CPU runs is
// chosen once from cpuid. FMA contraction stays off, so every variant gives the same bits.
#ifndef CKERNELS_VARIANTS_H
#define CKERNELS_VARIANTS_H

// The body is the variadic part: a loop's commas (`long oh = …, ow = …`) would otherwise split it
// when VARIANTS hands it on to VARIANTS_BELOW_AVX512.
#define VARIANTS(name, params, ...) \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static void name##_avx512 params { _Pragma("clang fp contract(off)") __VA_ARGS__ } \
    VARIANTS_BELOW_AVX512(name, params, __VA_ARGS__)

/// The AVX2 and baseline variants alone, for a loop whose AVX-512 variant is written by hand.
#define VARIANTS_BELOW_AVX512(name, params, ...) \
    __attribute__((target("avx2"))) static void name##_avx2 params { _Pragma("clang fp contract(off)") __VA_ARGS__ } \
    static void name##_base params { _Pragma("clang fp contract(off)") __VA_ARGS__ }

/// 2: AVX-512, 1: AVX2, 0: baseline; from cpuid, once.
int ck_vector_level(void);

#define DISPATCH(name, arguments) \
    switch (ck_vector_level()) { \
    case 2: name##_avx512 arguments; break; \
    case 1: name##_avx2 arguments; break; \
    default: name##_base arguments; }

#endif
