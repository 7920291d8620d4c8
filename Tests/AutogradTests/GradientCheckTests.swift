import Autograd
import Foundation
import Testing
import TestSupport

// 7. The gradient check itself: it passes smooth programs, calls a kink a kink, and fails a wrong gradient.

/// A program checked end to end by `GradientCheck.run`.
struct CheckedProgram: Sendable, CustomTestStringConvertible {
    let checks: String
    /// Records the program; returns its scalar output.
    let build: @Sendable (Graph) throws -> NodeID
    var testDescription: String { checks }
}

private func random(_ shape: [Int], _ label: String, in range: ClosedRange<Double> = -1...1) -> Tensor {
    var generator = SplitMix64(label: label)
    return Tensor.random(shape: shape, in: range, using: &generator)
}

let smoothPrograms: [CheckedProgram] = [
    .init(checks: "the notes' f = (x + y)·z") { graph in try Fixtures.sumTimes.build(in: graph).output },
    .init(checks: "the notes' neuron f = w·x + b") { graph in try Fixtures.neuron.build(in: graph).output },
    .init(checks: "the notes' f = y + e^(xy), x = cos t, y = t²") { graph in try Fixtures.cosineSquare(at: 0.9).build(in: graph).output },
    .init(checks: "a two-layer network with a squared-error loss") { graph in
        let inputs = graph.input("X", random([4, 3], "X"))
        let w1 = graph.parameter("W1", random([3, 5], "W1")), b1 = graph.parameter("b1", random([5], "b1"))
        let w2 = graph.parameter("W2", random([5, 2], "W2")), b2 = graph.parameter("b2", random([2], "b2"))
        let targets = graph.constant(random([4, 2], "Y", in: 0...1), name: "Y")
        let hidden = try graph.apply(.tanh, graph.apply(.add, graph.apply(.matmul, inputs, w1), b1))
        let output = try graph.apply(.sigmoid, graph.apply(.add, graph.apply(.matmul, hidden, w2), b2))
        let error = try graph.apply(.subtract, output, targets)
        return try graph.apply(.mean, graph.apply(.power, error, graph.constant(2)))
    },
    .init(checks: "softplus, log, exp, sqrt, division and sin together") { graph in
        let x = graph.input("x", 0.7), y = graph.input("y", -1.1), z = graph.input("z", 2.3)
        let a = try graph.apply(.log, graph.apply(.add, graph.constant(1), graph.apply(.exp, x)))
        let b = try graph.apply(.divide, graph.apply(.multiply, x, graph.apply(.sin, y)), graph.apply(.sqrt, z))
        return try graph.apply(.add, graph.apply(.subtract, a, graph.apply(.softplus, y)), b)
    },
    .init(checks: "broadcasting and axis reductions") { graph in
        let a = graph.input("A", random([3, 4], "A")), b = graph.input("b", random([4], "b"))
        let c = graph.input("c", 1.7)
        let columns = try graph.apply(.sum, graph.apply(.multiply, a, b), attribute: .axis(0))
        let rows = try graph.apply(.mean, graph.apply(.cos, a), attribute: .axis(-1))
        let s = try graph.apply(.add, graph.apply(.sum, graph.apply(.divide, columns, c)), graph.apply(.sum, rows))
        let every2nd = try graph.apply(.index, b, attribute: .index([.slice(start: nil, stop: nil, step: -2)]))
        return try graph.apply(.sum, graph.apply(.multiply, s, every2nd))
    },
]

/// A program whose checked input sits exactly on a kink, and which entry it is.
struct KinkCase: Sendable, CustomTestStringConvertible {
    let checks: String
    let build: @Sendable (Graph) throws -> NodeID
    /// Every entry at the kink, as input label and position (perturbing any operand of a tie moves it off).
    let kinks: [String]
    /// Whether the difference quotient disagrees with the convention there (so `.pass` is impossible).
    let disagrees: Bool
    var testDescription: String { checks }
}

let kinkCases: [KinkCase] = [
    .init(checks: "relu at 0: numeric ½, analytic 0", build: { graph in
        try graph.apply(.relu, graph.input("x", 0))
    }, kinks: ["x[]"], disagrees: true),
    .init(checks: "abs at 0", build: { graph in
        try graph.apply(.abs, graph.input("x", 0))
    }, kinks: ["x[]"], disagrees: false),
    .init(checks: "max tie at 2", build: { graph in
        try graph.apply(.maximum, graph.input("x", 2), graph.input("y", 2))
    }, kinks: ["x[]", "y[]"], disagrees: false),
    .init(checks: "min tie at -1", build: { graph in
        try graph.apply(.minimum, graph.input("x", -1), graph.input("y", -1))
    }, kinks: ["x[]", "y[]"], disagrees: false),
    .init(checks: "step at 0: a jump, numeric 1/2h", build: { graph in
        try graph.apply(.step, graph.input("x", 0))
    }, kinks: ["x[]"], disagrees: true),
    .init(checks: "leaky_relu at 0: numeric (1 + a)/2, analytic a", build: { graph in
        try graph.apply(.leakyRelu, graph.input("x", 0), graph.constant(0.1))
    }, kinks: ["x[]"], disagrees: true),
    .init(checks: "relu of a vector: only the entry at 0 is a kink", build: { graph in
        try graph.apply(.sum, graph.apply(.relu, graph.input("v", Tensor(vector: [-1, 0, 2]))))
    }, kinks: ["v[1]"], disagrees: true),
    .init(checks: "relu at 0 deep inside a program", build: { graph in
        let x = graph.input("x", 1.5), y = graph.input("y", 3)
        let inner = try graph.apply(.subtract, graph.apply(.multiply, x, graph.constant(2)), y)   // 2x − y = 0
        return try graph.apply(.multiply, graph.apply(.relu, inner), graph.apply(.exp, x))
    }, kinks: ["x[]", "y[]"], disagrees: true),
]

@Suite("Gradient check")
struct GradientCheckTests {
    @Test("passes smooth programs, every entry in order", arguments: smoothPrograms)
    func passesSmoothPrograms(row: CheckedProgram) throws {
        let graph = Graph()
        let output = try row.build(graph)
        try graph.backward(from: output)
        let check = GradientCheck.run(graph, output: output)
        let leaves = graph.nodes.filter { graph.operations[$0.index] == .input || graph.operations[$0.index] == .parameter }
        #expect(check.entries.count == leaves.reduce(0) { $0 + graph.value(of: $1).count })
        #expect(check.passed)
        #expect(check.maximumRelativeError <= check.tolerance)
        #expect(check.entries.allSatisfy { $0.status == .pass })
        #expect(check.step == 1e-6 && check.tolerance == 1e-6)
        // Entries follow creation order, then row-major positions.
        let expectedOrder = leaves.flatMap { leaf -> [String] in
            let shape = graph.shape(of: leaf)
            return (0..<graph.value(of: leaf).count).map { offset in
                var position: [Int] = [], rest = offset
                for stride in Tensor.strides(of: shape) { position.append(rest / stride); rest %= stride }
                return "\(graph.label(of: leaf))\(position)"
            }
        }
        #expect(check.entries.map { "\($0.input)\($0.position)" } == expectedOrder)
        // Each entry's analytic value is the gradient backward computed.
        for entry in check.entries {
            let leaf = try #require(leaves.first { graph.label(of: $0) == entry.input })
            let gradient = try #require(graph.gradient(of: leaf))
            let offset = zip(entry.position, Tensor.strides(of: gradient.shape)).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(entry.analytic == gradient.storage[offset])
        }
    }

    @Test("a kink is reported as .kink, not .fail", arguments: kinkCases)
    func reportsKinks(row: KinkCase) throws {
        let graph = Graph()
        let output = try row.build(graph)
        try graph.backward(from: output)
        let check = GradientCheck.run(graph, output: output)
        let kinks = check.entries.filter { $0.status == .kink }
        #expect(kinks.map { "\($0.input)\($0.position)" } == row.kinks)
        if row.disagrees {
            // Without the kink verdict these entries would fail: the difference quotient straddles the kink.
            #expect(kinks.allSatisfy { $0.relativeError > check.tolerance })
        }
        // Kinks do not fail the check or count towards the largest error; every other entry passes.
        #expect(check.passed)
        #expect(check.entries.filter { $0.status != .kink }.allSatisfy { $0.status == .pass })
        #expect(check.maximumRelativeError <= check.tolerance)
    }

    @Test("a wrong gradient fails: backward seeded with 2 doubles every gradient")
    func failsAWrongGradient() throws {
        let graph = Graph()
        let (output, _) = try Fixtures.sumTimes.build(in: graph)
        try graph.backward(from: output, seed: Tensor(scalar: 2))
        let check = GradientCheck.run(graph, output: output)
        #expect(!check.passed)
        #expect(check.entries.count == 3)
        for (entry, expected) in zip(check.entries, Fixtures.sumTimes.inputGradients) {
            #expect(entry.input == expected.name)
            #expect(entry.status == .fail)
            #expect(entry.analytic == 2 * expected.value)
            #expect(isClose(entry.numeric, expected.value, relative: 1e-8))
            // |2g − g| / max(|2g|, |g|) = ½.
            #expect(isClose(entry.relativeError, 0.5, relative: 1e-8))
        }
        #expect(isClose(check.maximumRelativeError, 0.5, relative: 1e-8))
        // The tolerance is the line between pass and fail.
        #expect(GradientCheck.run(graph, output: output, tolerance: 0.6).passed)
        #expect(!GradientCheck.run(graph, output: output, tolerance: 0.4).passed)
    }

    @Test("relative error is |a − n| / max(|a|, |n|, 1e−12) on every entry",
          arguments: [0.5, 2, -3] as [Double])
    func relativeErrorFormula(seed: Double) throws {
        let graph = Graph()
        let x = graph.input("x", Tensor(vector: [0.3, -1.2])), y = graph.input("y", 0.8)
        let f = try graph.apply(.sum, graph.apply(.multiply, graph.apply(.tanh, x), y))
        try graph.backward(from: f, seed: Tensor(scalar: seed))
        let check = GradientCheck.run(graph, output: f)
        #expect(check.entries.count == 3)
        for entry in check.entries {
            let expected = abs(entry.analytic - entry.numeric) / max(abs(entry.analytic), abs(entry.numeric), 1e-12)
            #expect(entry.relativeError == expected)
            #expect(entry.status == (expected <= check.tolerance ? .pass : .fail))
            // A seed of s scales backward by s, so the error is |s − 1| / max(|s|, 1).
            #expect(isClose(entry.relativeError, abs(seed - 1) / max(abs(seed), 1), relative: 1e-6))
        }
        #expect(check.passed == false)
    }

    @Test("a NaN gradient fails: x^y with x < 0 and an input exponent")
    func nanGradientFails() throws {
        let graph = Graph()
        let x = graph.input("x", -2), y = graph.input("y", 3)
        let f = try graph.apply(.power, x, y)
        try graph.backward(from: f)
        let check = GradientCheck.run(graph, output: f)
        let exponent = try #require(check.entries.first { $0.input == "y" })
        #expect(exponent.analytic.isNaN)
        #expect(exponent.status == .fail)
        let base = try #require(check.entries.first { $0.input == "x" })
        #expect(base.status == .pass)
        #expect(!check.passed)
    }

    @Test("zero gradients agree exactly; constants and later leaves are not checked")
    func scope() throws {
        let graph = Graph()
        let x = graph.input("x", 2), unused = graph.input("u", 5)
        let c = graph.constant(3)
        let f = try graph.apply(.multiply, x, c)
        graph.input("late", 1)   // created after the output: not an input of f
        try graph.backward(from: f)
        let check = GradientCheck.run(graph, output: f)
        #expect(check.entries.map(\.input) == ["x", "u"])
        let unusedEntry = try #require(check.entries.first { $0.input == graph.label(of: unused) })
        #expect(unusedEntry.analytic == 0 && unusedEntry.numeric == 0 && unusedEntry.status == .pass)
        #expect(check.entries[0].analytic == 3)
        #expect(check.passed)
    }
}
