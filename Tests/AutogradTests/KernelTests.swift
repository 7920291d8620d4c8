import Autograd
import Foundation
import Testing
import TestSupport

// Every kernel of the kernels layer against its plain reference loop (Kernels+Reference.swift), in
// Float and in Double, on windows with padding, strides and both plane layouts; and the report of
// the CPU and the chosen core.

private func randomArray<T: BinaryFloatingPoint>(_ count: Int, _ label: String, as: T.Type = T.self) -> [T] {
    var random = SplitMix64(label: label)
    return (0..<count).map { _ in T(Double(random.next() % 2_000_001) / 1_000_000 - 1) }
}

private func worst<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Double {
    #expect(a.count == b.count)
    let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1e-30)
    return zip(a, b).map { abs(Double($0) - Double($1)) / scale }.max() ?? 0
}

@Suite("Kernels against their reference loops")
struct KernelTests {
    struct Geometry: Sendable, CustomTestStringConvertible {
        let window: Kernels.Window, batch: Int, channelsFirst: Bool
        var testDescription: String {
            "C\(window.channels) \(window.height)×\(window.width) K\(window.size) S\(window.stride) P\(window.padding) B\(batch)\(channelsFirst ? " [C,B,H,W]" : " [N,C,H,W]")"
        }
        var planes: Kernels.Planes { channelsFirst ? .channelsFirst(batch: batch) : .examplesFirst(channels: window.channels) }
        var inputCount: Int { window.channels * batch * window.inputPlane }
    }

    static let geometries: [Geometry] = [
        Geometry(window: .init(channels: 1, height: 28, width: 28, size: 5, stride: 1, padding: 2), batch: 3, channelsFirst: true),
        Geometry(window: .init(channels: 3, height: 9, width: 7, size: 3, stride: 2, padding: 1), batch: 2, channelsFirst: true),
        Geometry(window: .init(channels: 2, height: 6, width: 6, size: 2, stride: 1, padding: 0), batch: 3, channelsFirst: false),
        Geometry(window: .init(channels: 2, height: 5, width: 11, size: 3, stride: 3, padding: 2), batch: 2, channelsFirst: false),
        Geometry(window: .init(channels: 1, height: 3, width: 3, size: 3, stride: 1, padding: 0), batch: 1, channelsFirst: true),
    ]

    @Test("gemm (OpenBLAS) equals the reference loop, every transpose, Float and Double",
          arguments: [(1, 1, 1), (7, 13, 5), (32, 50, 784), (33, 17, 257), (16, 300, 25)])
    func gemm(m: Int, n: Int, k: Int) {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            func check<T: KernelScalar>(_: T.Type, tolerance: Double) {
                let a: [T] = randomArray(m * k, "a \(m) \(n) \(k)"), b: [T] = randomArray(k * n, "b \(m) \(n) \(k)")
                let start: [T] = randomArray(m * n, "c \(m) \(n) \(k)")
                var fast = start, slow = start
                let (lda, ldb) = (ta ? m : k, tb ? k : n)
                for beta: T in [0, 1] {
                    fast = start; slow = start
                    Kernels.gemm(ta, tb, m, n, k, a, lda, b, ldb, beta: beta, &fast, n)
                    Kernels.Reference.gemm(ta, tb, m, n, k, a, lda, b, ldb, beta: beta, &slow, n)
                    #expect(worst(fast, slow) < tolerance, "\(T.self) \(m)×\(n)×\(k) ta \(ta) tb \(tb) beta \(beta)")
                }
                #expect(slow.contains { $0 != 0 })
            }
            check(Float.self, tolerance: 1e-5)
            check(Double.self, tolerance: 1e-12)
        }
    }

    @Test("im2col, col2im and the padded im2col equal their reference loops", arguments: geometries)
    func windows(_ g: Geometry) {
        func check<T: KernelScalar>(_: T.Type) {
            let w = g.window
            let x: [T] = randomArray(g.inputCount, "x \(g.testDescription)")
            for examples in [0..<g.batch, (g.batch - 1)..<g.batch] {
                let expected = Kernels.Reference.im2col(x, w, g.planes, examples: examples)
                var columns = [T](repeating: .nan, count: expected.count)
                Kernels.im2col(x, w, g.planes, examples: examples, into: &columns)
                #expect(columns == expected, "im2col \(T.self) \(examples)")
                if w.stride == 1 {
                    let p = w.padded
                    var padded = [T](repeating: .nan, count: w.channels * g.batch * p.inputPlane)
                    Kernels.pad(x, w, count: w.channels * g.batch, into: &padded)
                    var fromPadded = [T](repeating: .nan, count: expected.count)
                    Kernels.im2colPadded(padded, w, g.planes, examples: examples, into: &fromPadded)
                    #expect(fromPadded == expected, "im2colPadded \(T.self) \(examples)")
                }
                let upstream: [T] = randomArray(expected.count, "cols \(g.testDescription)")
                let base: [T] = randomArray(g.inputCount, "base \(g.testDescription)")
                var summed = base
                Kernels.col2im(upstream, w, g.planes, examples: examples, into: &summed)
                #expect(worst(summed, Kernels.Reference.col2im(upstream, w, g.planes, examples: examples, into: base)) < 1e-6, "col2im \(T.self)")
                #expect(summed != base)
            }
        }
        check(Float.self)
        check(Double.self)
    }

    @Test("max and average pooling, forward and backward, equal their reference loops",
          arguments: [(2, 2, 6, 8), (2, 2, 7, 9), (2, 2, 6, 40), (2, 2, 5, 35), (3, 2, 7, 7), (2, 1, 5, 4), (3, 3, 9, 9)])
    func pooling(size: Int, stride: Int, height: Int, width: Int) {
        func check<T: KernelScalar>(_: T.Type) {
            let w = Kernels.Window(channels: 1, height: height, width: width, size: size, stride: stride, padding: 0)
            let count = 5
            var x: [T] = randomArray(count * w.inputPlane, "pool \(size) \(stride) \(height)")
            x[3] = x[2]                  // a tie: the first largest wins
            x[w.inputPlane + 1] = .nan   // a NaN wins its window
            let (values, argmax) = Kernels.Reference.maxPool(x, w, count: count)
            var y = [T](repeating: 0, count: values.count), at = [Int32](repeating: -1, count: values.count)
            Kernels.maxPool(x, w, count: count, into: &y, argmax: &at)
            #expect(at.map(Int.init) == argmax, "argmax \(T.self)")
            #expect(zip(y, values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "max \(T.self)")
            #expect(y.contains { $0.isNaN })
            let dy: [T] = randomArray(values.count, "dy \(size)")
            var dx = [T](repeating: .nan, count: x.count)
            Kernels.maxPoolBackward(dy, argmax: at, outputs: dy.count, into: &dx, inputs: x.count)
            var expected = [T](repeating: 0, count: x.count)
            for (i, offset) in argmax.enumerated() { expected[offset] += dy[i] }
            #expect(dx == expected)
            var windowed = [T](repeating: .nan, count: x.count)
            Kernels.maxPoolBackward(dy, argmax: at, w, count: count, into: &windowed)
            #expect(windowed.map { Double($0).bitPattern } == expected.map { Double($0).bitPattern }, "window by window \(T.self)")

            let clean: [T] = randomArray(count * w.inputPlane, "avg \(size)")
            var mean = [T](repeating: 0, count: values.count)
            Kernels.avgPool(clean, w, count: count, into: &mean)
            #expect(worst(mean, Kernels.Reference.avgPool(clean, w, count: count)) < 1e-6, "avg \(T.self)")
            var spread = [T](repeating: .nan, count: x.count)
            Kernels.avgPoolBackward(dy, w, count: count, into: &spread)
            #expect(worst(spread, Kernels.Reference.avgPoolBackward(dy, w, count: count)) < 1e-6, "avg backward \(T.self)")
        }
        check(Float.self)
        check(Double.self)
    }

    @Test("log-softmax and its backward equal the definition, large scores included")
    func logSoftmax() {
        func check<T: KernelScalar>(_: T.Type, tolerance: Double) {
            var x: [T] = randomArray(40, "logsoftmax").map { $0 * 10 }
            x[0] = 500; x[11] = -500          // would overflow e^x without the shift
            var y = [T](repeating: 0, count: 40)
            Kernels.logSoftmax(x, rows: 4, width: 10, into: &y)
            let shifted = x.enumerated().map { $0.offset < 10 ? $0.element - 500 : $0.element }
            let expected = Kernels.Reference.logSoftmax(shifted, width: 10)
            #expect(worst(Array(y[10...]), Array(expected[10...])) < tolerance)
            #expect(abs(Double(y[0])) < tolerance && y.allSatisfy { $0.isFinite })
            let dy: [T] = randomArray(40, "dy")
            var dx = [T](repeating: 0, count: 40)
            Kernels.logSoftmaxBackward(y, dy, rows: 4, width: 10, into: &dx)
            #expect(worst(dx, Kernels.Reference.logSoftmaxBackward(y, dy, width: 10)) < tolerance)
        }
        check(Float.self, tolerance: 1e-5)
        check(Double.self, tolerance: 1e-12)
    }

    @Test("oneDNN's convolution (forward, to the weights, bias and input) equals im2col and the reference product",
          arguments: [geometries[0], geometries[1], geometries[4]])
    func convolution(_ g: Geometry) throws {
        let w = g.window, filters = 4, batch = g.batch
        guard let plan = Kernels.Convolution(w, filters: filters, batch: batch, inputGradient: true) else {
            #expect(Kernels.convolutionLibrary == nil, "oneDNN is loaded but refused \(g.testDescription)")
            return
        }
        let planes = Kernels.Planes.channelsFirst(batch: batch)
        let x: [Float] = randomArray(g.inputCount, "conv x"), weights: [Float] = randomArray(filters * w.depth, "conv w")
        let bias: [Float] = randomArray(filters, "conv b"), spatial = batch * w.outputPlane
        let columns = Kernels.Reference.im2col(x, w, planes, examples: 0..<batch)
        // Reference: y = W·columns + b; dW = dy·columnsᵀ; db = Σ dy; dx = col2im(Wᵀ·dy).
        var expectedY = [Float](repeating: 0, count: filters * spatial)
        Kernels.Reference.gemm(false, false, filters, spatial, w.depth, weights, w.depth, columns, spatial, beta: 0, &expectedY, spatial)
        for f in 0..<filters { for i in 0..<spatial { expectedY[f * spatial + i] += bias[f] } }
        var y = [Float](repeating: .nan, count: expectedY.count)
        plan.forward(x, weights, bias, into: &y)
        #expect(worst(y, expectedY) < 1e-5, "forward")
        let dy: [Float] = randomArray(y.count, "conv dy")
        var expectedDW = [Float](repeating: 0, count: weights.count), dColumns = [Float](repeating: 0, count: columns.count)
        Kernels.Reference.gemm(false, true, filters, w.depth, spatial, dy, spatial, columns, spatial, beta: 0, &expectedDW, w.depth)
        Kernels.Reference.gemm(true, false, w.depth, spatial, filters, weights, w.depth, dy, spatial, beta: 0, &dColumns, spatial)
        let expectedDX = Kernels.Reference.col2im(dColumns, w, planes, examples: 0..<batch, into: [Float](repeating: 0, count: x.count))
        let expectedDB = (0..<filters).map { f in dy[(f * spatial)..<((f + 1) * spatial)].reduce(0, +) }
        var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: .nan, count: weights.count), db = [Float](repeating: .nan, count: filters)
        plan.backward(x, dy, weights, dx: &dx, dw: &dw, db: &db)
        #expect(worst(dw, expectedDW) < 1e-5, "to the weights")
        #expect(worst(db, expectedDB) < 1e-5, "to the bias")
        #expect(worst(dx, expectedDX) < 1e-5, "to the input")
        #expect(!plan.implementation.isEmpty)
    }

    @Test("the vectorized activations give the Swift loops' bits, forward and backward", arguments: [1, 7, 16, 1_003])
    func activations(count: Int) {
        var x: [Float] = randomArray(count, "act \(count)").map { $0 * 30 }
        x[0] = count > 1 ? -0.0 : .nan
        if count > 7 { x[3] = .nan; x[4] = .infinity; x[5] = -.infinity; x[6] = 90 }
        let dy: [Float] = randomArray(count, "act dy \(count)")
        func swiftLoop(_ f: (Kernels.Vector.V) -> Kernels.Vector.V) -> [Float] {
            var y = [Float](repeating: 0, count: count)
            Kernels.Vector.map(x, &y, count, f)
            return y
        }
        let expected: [(Kernels.Activation, [Float])] = [
            (.relu, x.map { $0 > 0 ? $0 : 0 }), (.sigmoid, swiftLoop(Kernels.Vector.sigmoid)), (.tanh, swiftLoop(Kernels.Vector.tanh)),
        ]
        // Bits, with every NaN as one (x86 may flip a NaN's sign bit along the way; it means nothing).
        func bits(_ values: [Float]) -> [UInt32] { values.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern } }
        for (f, reference) in expected {
            var y = [Float](repeating: 1, count: count)
            Kernels.activate(f, x, &y, count)
            #expect(bits(y) == bits(reference), "\(f) forward")
            var dx = [Float](repeating: 1, count: count)
            Kernels.activationBackward(f, y, dy, &dx, count)
            let backward: [Float] = (0..<count).map { i in
                switch f {
                case .relu: return y[i] > 0 ? dy[i] : 0
                case .sigmoid: return dy[i] * y[i] * (1 - y[i])
                case .tanh: return dy[i] * (1 - y[i] * y[i])
                }
            }
            #expect(bits(dx) == bits(backward), "\(f) backward")
        }
    }

    @Test("flushingSubnormals turns subnormal results into zero on this thread and on both replicas, then restores")
    func subnormals() {
        // Opaque to the optimizer: read through an array at run time.
        let values: [Float] = [1e-30, 1e-10]
        func product() -> Float { values[0] * values[1] }          // 1e-40: subnormal
        #expect(product() != 0 && product().isSubnormal)
        #expect(Kernels.flushingSubnormals { product() } == 0)
        let paired = Kernels.flushingSubnormals { Kernels.pair { _ in product() } }
        #expect(paired == [0, 0])
        let unflushed = Kernels.pair { _ in product() }
        #expect(unflushed.allSatisfy { $0.isSubnormal }, "the replicas follow their caller")
        #expect(product().isSubnormal, "restored afterwards")
    }

    @Test("every ISA variant of the C loops (baseline, AVX2, AVX-512) gives the same bits")
    func everyVariant() throws {
        // Odd sizes: the vector loops' remainders, odd pooled edges, a run of windows past 16.
        let w = Kernels.Window(channels: 3, height: 9, width: 37, size: 2, stride: 2, padding: 0)
        var x: [Float] = randomArray(3 * w.inputPlane, "variants x").map { $0 * 20 }
        x[5] = .nan; x[40] = x[41]
        let dy: [Float] = randomArray(3 * w.outputPlane, "variants dy")
        let blockedX: [Float] = randomArray(2 * 16 * 6 * 7, "variants blocked")
        let blockedDY: [Float] = randomArray(2 * 16 * 3 * 3, "variants blocked dy")
        func outputs() -> [[UInt32]] {
            var results: [[Float]] = []
            var y = [Float](repeating: 0, count: dy.count), at = [Int32](repeating: 0, count: dy.count)
            Kernels.maxPool(x, w, count: 3, into: &y, argmax: &at)
            var dx = [Float](repeating: .nan, count: x.count)
            Kernels.maxPoolBackward(dy, argmax: at, w, count: 3, into: &dx)
            results += [y, at.map { Float($0) }, dx]
            var mean = y, spread = dx
            Kernels.avgPool(x, w, count: 3, into: &mean)
            Kernels.avgPoolBackward(dy, w, count: 3, into: &spread)
            results += [mean, spread]
            var by = [Float](repeating: 0, count: blockedDY.count), bat = [Int32](repeating: 0, count: blockedDY.count)
            Kernels.Blocked.maxPool(blockedX, groups: 2, height: 6, width: 7, into: &by, argmax: &bat)
            var bdx = [Float](repeating: .nan, count: blockedX.count), rows = bdx, back = bdx
            Kernels.Blocked.maxPoolBackward(blockedDY, argmax: bat, groups: 2, height: 6, width: 7, into: &bdx)
            Kernels.Blocked.toRows(blockedX, batch: 2, channels: 16, plane: 42, into: &rows)
            Kernels.Blocked.fromRows(rows, batch: 2, channels: 16, plane: 42, into: &back)
            results += [by, bat.map { Float($0) }, bdx, rows, back]
            for f in [Kernels.Activation.relu, .sigmoid, .tanh] {
                var a = x, g = x
                Kernels.activate(f, x, &a, x.count)
                Kernels.activationBackward(f, a, x, &g, x.count)
                results += [a, g]
            }
            var p = x, m = x.map { $0 * 0.1 }, v = x.map { $0 * $0 }, b = m
            p.withUnsafeMutableBufferPointer { p in x.withUnsafeBufferPointer { g in m.withUnsafeMutableBufferPointer { m in v.withUnsafeMutableBufferPointer { v in
                Kernels.adam(p, g, m, v, stepSize: 0.001, inverseCorrection: 3, decay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
            } } } }
            p.withUnsafeMutableBufferPointer { p in x.withUnsafeBufferPointer { g in b.withUnsafeMutableBufferPointer { b in
                Kernels.sgdMomentum(p, g, b, rate: 0.01, decay: 0.01, momentum: 0.5, nesterov: true)
            } } }
            results += [p, m, v, b]
            // Bits, with every NaN as one (its sign bit means nothing).
            return results.map { $0.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern } }
        }
        let widest = outputs()
        let baseline = try #require(Kernels.withVectorLevel(0) { outputs() })
        #expect(baseline == widest, "baseline variant")
        if let avx2 = Kernels.withVectorLevel(1, { outputs() }) { #expect(avx2 == widest, "AVX2 variant") }
        #expect(widest.contains { $0.contains(Float.nan.bitPattern) }, "the NaN went through")
    }

    @Test("the vectorized Adam and momentum steps give the plain loop's bits", arguments: [1, 7, 16, 1_000, 42_310])
    func optimizerSteps(count: Int) {
        let gradient: [Float] = randomArray(count, "g \(count)"), start: [Float] = randomArray(count, "p \(count)")
        var p = start, m: [Float] = randomArray(count, "m").map { $0 * 0.1 }, v: [Float] = randomArray(count, "v").map { $0 * $0 }
        var (rp, rm, rv) = (p, m, v)
        let (stepSize, inverseCorrection, decay, beta1, beta2, epsilon): (Float, Float, Float, Float, Float, Float) = (0.001, 1 / 0.3, 0.01, 0.9, 0.999, 1e-8)
        for i in 0..<count {
            let g = gradient[i] + decay * rp[i]
            rm[i] = beta1 * rm[i] + (1 - beta1) * g
            rv[i] = beta2 * rv[i] + (1 - beta2) * g * g
            rp[i] -= stepSize * (rm[i] / (rv[i].squareRoot() * inverseCorrection + epsilon))
        }
        p.withUnsafeMutableBufferPointer { p in gradient.withUnsafeBufferPointer { g in m.withUnsafeMutableBufferPointer { m in v.withUnsafeMutableBufferPointer { v in
            Kernels.adam(p, g, m, v, stepSize: stepSize, inverseCorrection: inverseCorrection, decay: decay, beta1: beta1, beta2: beta2, epsilon: epsilon)
        } } } }
        #expect(p == rp && m == rm && v == rv)
        #expect(p != start)
        for nesterov in [false, true] {
            var q = start, b: [Float] = randomArray(count, "b"), (rq, rb) = (q, b)
            for i in 0..<count {
                let g = gradient[i] + decay * rq[i]
                rb[i] = 0.5 * rb[i] + g
                rq[i] -= 0.01 * (nesterov ? g + 0.5 * rb[i] : rb[i])
            }
            q.withUnsafeMutableBufferPointer { q in gradient.withUnsafeBufferPointer { g in b.withUnsafeMutableBufferPointer { b in
                Kernels.sgdMomentum(q, g, b, rate: 0.01, decay: decay, momentum: 0.5, nesterov: nesterov)
            } } }
            #expect(q == rq && b == rb, "nesterov \(nesterov)")
        }
    }

    @Test("a wrong kernel is caught: the comparison fails on a shifted im2col")
    func comparisonCanFail() {
        let g = Self.geometries[1]
        let x: [Float] = randomArray(g.inputCount, "x")
        let expected = Kernels.Reference.im2col(x, g.window, g.planes, examples: 0..<g.batch)
        var columns = [Float](repeating: 0, count: expected.count)
        Kernels.im2col(x, g.window, g.planes, examples: 0..<g.batch, into: &columns)
        columns[columns.count / 2] += 0.001
        #expect(columns != expected)
    }

    @Test("the report names the CPU, its vector ISA, the library and its core; no core below the CPU's ISA")
    func report() {
        let lines = Kernels.report()
        #expect(lines.count >= 4)
        #expect(lines[0].hasPrefix("CPU: ") && lines[1].hasPrefix("vector ISA: ") && lines[2].hasPrefix("kernel library: ") && lines[3].hasPrefix("kernel core: "))
        let cpu = Kernels.CPU.current, library = Kernels.library
        #expect(lines[1].contains(cpu.vectorISA))
        #expect(lines[3].contains(library.core))
        // The escape hatch can force any core; without it, the core reaches the CPU's level.
        if ProcessInfo.processInfo.environment["BACKPROP_CORETYPE"] == nil {
            #expect(!library.belowCPU, "\(lines.joined(separator: "\n"))")
            #expect(!lines.contains { $0.hasPrefix("WARNING") })
        }
        #expect(Kernels.coreType(for: cpu) == (cpu.vectorISA == "AVX-512" ? "SkylakeX" : cpu.vectorISA == "AVX2" ? "Haswell" : nil))
        #expect(Kernels.isa(ofCore: "Prescott") == "SSE" && Kernels.isa(ofCore: "SkylakeX") == "AVX-512" && Kernels.isa(ofCore: "Haswell") == "AVX2")
    }
}
