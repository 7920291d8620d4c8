import Autograd
import Foundation
import Testing
import TestSupport

// The operations training leans on: matrix products through OpenBLAS, and log-softmax.

@Suite("Training operations")
struct TrainingOpsTests {
    /// The plain triple loop, the reference for the BLAS path.
    static func naive(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for p in 0..<k { for j in 0..<n { out[i * n + j] += a.storage[i * k + p] * b.storage[p * n + j] } } }
        return Tensor(shape: [m, n], storage: out)
    }

    @Test("products above the threshold go through dgemm and agree with the loop", arguments: [(40, 50, 60), (64, 784, 50), (1, 4096, 10)])
    func blasProduct(m: Int, k: Int, n: Int) throws {
        #expect(m * k * n >= Tensor.blasThreshold)
        var random = SplitMix64(label: "blas \(m)×\(k)×\(n)")
        let a = Tensor.random(shape: [m, k], in: -1...1, using: &random), b = Tensor.random(shape: [k, n], in: -1...1, using: &random)
        let product = try #require(Tensor.matmul(a, b))
        #expect(isClose(product, Self.naive(a, b), relative: 1e-12, absolute: 1e-12))
        // NaN reaches the result as it would in NumPy.
        var poisoned = b
        poisoned.storage[0] = .nan
        #expect(try #require(Tensor.matmul(a, poisoned)).storage[0].isNaN)
    }

    @Test("log_softmax: rows sum to 1 after exp, no overflow at ±1000, gradient against finite differences")
    func logSoftmax() throws {
        let graph = Graph()
        let x = graph.input("x", Tensor(shape: [3, 3], storage: [1, 2, 3, 1000, 0, -1000, -5, -5, -5]))
        let logp = try graph.apply(.logSoftmax, x)
        let value = graph.value(of: logp)
        for row in 0..<3 {
            let total = (0..<3).map { Foundation.exp(value.storage[row * 3 + $0]) }.reduce(0, +)
            #expect(abs(total - 1) < 1e-12)
        }
        #expect(value.storage[3] == 0)          // log of a probability of 1
        #expect(value.storage[5] == -2000)
        #expect(isClose(value.storage[6], -Foundation.log(3), relative: 1e-15))
        let weights = graph.constant(Tensor(shape: [3, 3], storage: [1, 0, 0, 0, 2, 0, 0.5, 0.5, 0]))
        let loss = try graph.apply(.sum, try graph.apply(.multiply, logp, weights))
        try graph.backward(from: loss)
        let check = GradientCheck.run(graph, output: loss)
        #expect(check.passed, "\(check.entries.filter { $0.status == .fail })")
    }

    @Test("log_softmax of a scalar is 0, as of a 0-d tensor in PyTorch; of an empty row it is refused")
    func logSoftmaxScalar() throws {
        let graph = Graph()
        let x = graph.input("x", 2.0)
        let logp = try graph.apply(.logSoftmax, x)
        #expect(graph.scalarValue(of: logp) == 0)
        try graph.backward(from: logp)
        #expect(graph.gradient(of: x)?.scalar == 0)        // grad − exp(0)·grad
        let empty = graph.constant(Tensor(shape: [2, 0], storage: []))
        #expect(throws: AutogradError.self) { try graph.apply(.logSoftmax, empty) }
    }
}
