import Autograd
import Foundation
import Testing
import TestSupport

// 6. A million-operation chain: recording and backward are loops, not recursion.

@Suite("Long chains")
struct LongChainTests {
    @Test("1,000,000 scalar ops (mul, add, tanh in turn): no stack overflow, finite gradients equal to forward mode",
          .timeLimit(.minutes(1)))
    func millionOperationChain() throws {
        let length = 1_000_000
        let graph = Graph()
        graph.reserveCapacity(length + 3)
        let x = graph.input("x", 0.3), a = graph.input("a", 0.9), b = graph.input("b", 0.1)
        var v = x
        for i in 0..<length {
            switch i % 3 {
            case 0: v = try graph.apply(.multiply, v, a)
            case 1: v = try graph.apply(.add, v, b)
            default: v = try graph.apply(.tanh, v)
            }
        }
        #expect(graph.count == length + 3)
        try graph.backward(from: v)

        // The same recurrence in plain Swift, differentiated forward: (value, ∂/∂x, ∂/∂a, ∂/∂b).
        var value = 0.3, dx = 1.0, da = 0.0, db = 0.0
        for i in 0..<length {
            switch i % 3 {
            case 0: (value, dx, da, db) = (value * 0.9, dx * 0.9, da * 0.9 + value, db * 0.9)
            case 1: (value, db) = (value + 0.1, db + 1)
            default:
                value = Foundation.tanh(value)
                let slope = 1 - value * value
                (dx, da, db) = (dx * slope, da * slope, db * slope)
            }
        }
        #expect(graph.scalarValue(of: v) == value)
        let gx = try #require(graph.gradient(of: x)).scalar
        let ga = try #require(graph.gradient(of: a)).scalar
        let gb = try #require(graph.gradient(of: b)).scalar
        #expect(gx.isFinite && ga.isFinite && gb.isFinite)
        // ∂/∂x decays through a third of a million contractions; ∂/∂a and ∂/∂b settle to the fixed point's.
        #expect(isClose(gx, dx, relative: 1e-9, absolute: 1e-300))
        #expect(isClose(ga, da, relative: 1e-9))
        #expect(isClose(gb, db, relative: 1e-9))
        #expect(ga != 0 && gb != 0)
        // Every chain node was reached: the gradient of the first op is the product of every later slope.
        #expect(graph.gradient(of: (try graph.node(at: 3))) != nil)
    }

    @Test("a deep chain of tensor ops backward without recursion", .timeLimit(.minutes(1)))
    func deepTensorChain() throws {
        let graph = Graph()
        let x = graph.input("x", Tensor(vector: [0.1, -0.2, 0.3]))
        var v = x
        for _ in 0..<20_000 { v = try graph.apply(.sin, v) }
        let f = try graph.apply(.sum, v)
        try graph.backward(from: f)
        let gradient = try #require(graph.gradient(of: x))
        #expect(gradient.shape == [3])
        #expect(gradient.isFinite)
        // Forward mode on each entry: d/dx sinⁿ(x) = ∏ cos(sinᵏ(x)).
        for (i, start) in [0.1, -0.2, 0.3].enumerated() {
            var value = start, derivative = 1.0
            for _ in 0..<20_000 { derivative *= Foundation.cos(value); value = Foundation.sin(value) }
            #expect(isClose(gradient.storage[i], derivative, relative: 1e-9))
        }
    }
}
