// Elementwise kernels of the Float32 training path, eight entries at a time.
import CKernels

/// Elementwise functions eight entries at a time. `Foundation.exp` is a call per entry that the
/// compiler cannot vectorize (13.7% of a LeNet-5 epoch); this exp is Cephes' `expf` polynomial
/// (relative error about 1e-7, as Float's rounding), written on `SIMD8<Float>`.
extension Kernels {
public enum Vector {
    public typealias V = SIMD8<Float>

    /// eˣ for x ≤ 0 (what the sigmoid and tanh below need); about 1.6e-38 below −87.
    @inlinable @inline(__always) public static func expNonPositive(_ value: V) -> V {
        let x = value.replacing(with: -87, where: value .< -87)
        // n = round(x·log₂e) by the 1.5·2²³ trick: adding it rounds, and its bit pattern then holds n.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 0.166_666_55     // not 1.666_666_55e-1: Swift 6.3 reads that as 0.16666666 (0x3E2AAAAA)
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(exponent, to: V.self)
    }

    @inlinable @inline(__always) public static func magnitude(_ x: V) -> V { x.replacing(with: -x, where: x .< 0) }

    /// σ(x) = 1/(1 + e^(−x)), from e^(−|x|) so nothing overflows.
    @inlinable @inline(__always) public static func sigmoid(_ x: V) -> V {
        let e = expNonPositive(-magnitude(x))
        let positive = 1 / (1 + e)
        return positive.replacing(with: e * positive, where: x .< 0)
    }

    /// tanh x = sign(x)·(1 − e^(−2|x|)) / (1 + e^(−2|x|)); below |x| = 0.625, where 1 − e cancels,
    /// Cephes' `tanhf` odd polynomial instead.
    @inlinable @inline(__always) public static func tanh(_ x: V) -> V {
        let size = magnitude(x)
        let e = expNonPositive(-2 * size)
        let large = (1 - e) / (1 + e)
        let z = x * x
        var p = V(repeating: -5.704_988_727_45e-3)
        p = p * z + 2.063_908_879_54e-2
        p = p * z - 5.373_971_555_31e-2
        p = p * z + 1.333_144_220_36e-1
        p = p * z - 3.333_328_194_22e-1
        let small = p * z * x + x
        return large.replacing(with: -large, where: x .< 0).replacing(with: small, where: size .< 0.625)
    }

    /// y[i] = f(x[i]) for i < count, eight at a time (the tail padded with zeros).
    @inlinable @inline(__always) public static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: V.self)
            i += 8
        }
        if i < count {
            var v = V(repeating: 0)
            for j in 0..<(count - i) { v[j] = x[i + j] }
            let result = f(v)
            for j in 0..<(count - i) { y[i + j] = result[j] }
        }
    }
}
}

extension Kernels {
    /// The Float32 path's activations, forward (y = f(x)) and backward (dx from the output y and the
    /// upstream dy), with the CPU's widest vectors: CKernels/layers.c, the same operations in the same
    /// order as `Vector.sigmoid`, `Vector.tanh` and the plain relu loop, so the same bits.
    public enum Activation: Sendable { case relu, sigmoid, tanh }

    public static func activate(_ f: Activation, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        switch f {
        case .relu: ck_relu_f32(x, y, count)
        case .sigmoid: ck_sigmoid_f32(x, y, count)
        case .tanh: ck_tanh_f32(x, y, count)
        }
    }

    public static func activationBackward(_ f: Activation, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                          _ dx: UnsafeMutablePointer<Float>, _ count: Int) {
        switch f {
        case .relu: ck_relu_backward_f32(y, dy, dx, count)
        case .sigmoid: ck_sigmoid_backward_f32(y, dy, dx, count)
        case .tanh: ck_tanh_backward_f32(y, dy, dx, count)
        }
    }
}

extension Kernels {
    /// Runs `body` with the C loops (CKernels/layers.c, optimizers.c) dispatched to the variant of
    /// `level` (0 baseline, 1 AVX2, 2 AVX-512) when the CPU runs it, then back to the widest. Every
    /// variant computes the same bits, so other threads meanwhile get the same results, only slower.
    /// Returns nil, without running `body`, when the CPU does not run `level`.
    public static func withVectorLevel<T>(_ level: Int, _ body: () throws -> T) rethrows -> T? {
        let detected = Int(ck_vector_level_force(Int32(level)))
        defer { _ = ck_vector_level_force(-1) }
        guard level <= detected else { return nil }
        return try body()
    }
}

extension Kernels {
    /// √x for the optimizers' loops. `x.squareRoot()` becomes a libm call that may set errno (clang's
    /// default on Linux), which keeps the loop from vectorizing; this is LLVM's sqrt with no errno
    /// (ckernels.h), what `-fno-math-errno` on the whole module used to buy: Adam 552 → 123 µs per step
    /// on 42,000 Float parameters.
    @inlinable @inline(__always)
    public static func squareRoot<T: BinaryFloatingPoint>(_ x: T) -> T {
        if T.self == Float.self { return unsafeBitCast(ck_sqrtf(unsafeBitCast(x, to: Float.self)), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(ck_sqrt(unsafeBitCast(x, to: Double.self)), to: T.self) }
        return x.squareRoot()
    }
}

extension Kernels {
    /// Adam's step on Float parameters with the CPU's widest vectors (CKernels/optimizers.c: AVX-512,
    /// AVX2 or baseline, chosen from cpuid; the same operations in the same order as
    /// `OptimizerKernels.adam`, so the same bits). Swift alone compiles for baseline x86-64.
    public static func adam(_ p: UnsafeMutableBufferPointer<Float>, _ gradient: UnsafeBufferPointer<Float>,
                            _ m: UnsafeMutableBufferPointer<Float>, _ v: UnsafeMutableBufferPointer<Float>,
                            stepSize: Float, inverseCorrection: Float, decay: Float, beta1: Float, beta2: Float, epsilon: Float) {
        precondition(gradient.count >= p.count && m.count >= p.count && v.count >= p.count)
        guard let base = p.baseAddress else { return }
        ck_adam_f32(base, gradient.baseAddress!, m.baseAddress!, v.baseAddress!, p.count, stepSize, inverseCorrection, decay, beta1, beta2, epsilon)
    }

    /// SGD with momentum on Float parameters, as `adam` above.
    public static func sgdMomentum(_ p: UnsafeMutableBufferPointer<Float>, _ gradient: UnsafeBufferPointer<Float>,
                                   _ b: UnsafeMutableBufferPointer<Float>, rate: Float, decay: Float, momentum: Float, nesterov: Bool) {
        precondition(gradient.count >= p.count && b.count >= p.count)
        guard let base = p.baseAddress else { return }
        ck_momentum_f32(base, gradient.baseAddress!, b.baseAddress!, p.count, rate, decay, momentum, nesterov ? 1 : 0)
    }
}
