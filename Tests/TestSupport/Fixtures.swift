import Autograd
import Foundation

// Shared test data for every test target: the notes' worked examples, seeded random numbers,
// random tensors and approximate comparison.

// MARK: - The notes' worked examples

/// A named number: an input's value, an intermediate's value or a gradient.
public struct NamedValue: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let value: Double
    public init(_ name: String, _ value: Double) { self.name = name; self.value = value }
    public var description: String { "\(name) = \(value)" }
}

/// A worked example from the notes: the program, the point it is evaluated at, and every value
/// and gradient the notes compute by hand.
public struct WorkedExample: Sendable, CustomStringConvertible {
    /// A short name (`sum-times`, `neuron`).
    public let name: String
    /// The program in the expression language (statements separated by newlines).
    public let source: String
    /// The inputs in the order the program first uses them, with the notes' values.
    public let inputs: [NamedValue]
    /// Named intermediate values (`q = 3`).
    public let intermediates: [NamedValue]
    /// The output's name (`f`).
    public let outputName: String
    /// The output's value.
    public let output: Double
    /// ∂output/∂name for each input, in input order.
    public let inputGradients: [NamedValue]
    /// ∂output/∂name for named intermediates.
    public let intermediateGradients: [NamedValue]
    /// Records the program on `graph` given the input nodes by name; returns every named node
    /// it creates (intermediates and the output), already named with `Graph.setName`.
    let record: @Sendable (Graph, [String: NodeID]) throws -> [String: NodeID]

    public var description: String { name }

    /// Records the example: its inputs (in order, as input leaves), then the program.
    /// - Returns: the output node and every named node, inputs included.
    public func build(in graph: Graph) throws -> (output: NodeID, nodes: [String: NodeID]) {
        var nodes: [String: NodeID] = [:]
        for input in inputs { nodes[input.name] = graph.input(input.name, input.value) }
        let recorded = try record(graph, nodes)
        nodes.merge(recorded) { _, new in new }
        guard let output = nodes[outputName] else { preconditionFailure("\(name) records no \(outputName)") }
        return (output, nodes)
    }

    /// The expected value of a name: an input, an intermediate or the output.
    public func value(of name: String) -> Double? {
        if name == outputName { return output }
        return (inputs + intermediates).first { $0.name == name }?.value
    }

    /// The expected gradient of a name: an input or a named intermediate (1 for the output).
    public func gradient(of name: String) -> Double? {
        if name == outputName { return 1 }
        return (inputGradients + intermediateGradients).first { $0.name == name }?.value
    }
}

public enum Fixtures {
    /// The notes' first circuit: f = (x + y)·z at x = −2, y = 5, z = −4.
    /// q = 3, f = −12; ∂f/∂q = z = −4, ∂f/∂z = q = 3, ∂f/∂x = ∂f/∂y = 1·(−4) = −4.
    public static let sumTimes = WorkedExample(
        name: "sum-times",
        source: "q = x + y\nf = q * z",
        inputs: [NamedValue("x", -2), NamedValue("y", 5), NamedValue("z", -4)],
        intermediates: [NamedValue("q", 3)],
        outputName: "f", output: -12,
        inputGradients: [NamedValue("x", -4), NamedValue("y", -4), NamedValue("z", 3)],
        intermediateGradients: [NamedValue("q", -4)],
        record: { graph, input in
            let q = try graph.apply(.add, input["x"]!, input["y"]!)
            graph.setName("q", for: q)
            let f = try graph.apply(.multiply, q, input["z"]!)
            graph.setName("f", for: f)
            return ["q": q, "f": f]
        })

    /// The notes' single neuron before its activation: f = w·x + b at w = −2, x = 5, b = 3.
    /// f = −7; ∂f/∂w = x = 5, ∂f/∂x = w = −2, ∂f/∂b = 1.
    public static let neuron = WorkedExample(
        name: "neuron",
        source: "f = w * x + b",
        inputs: [NamedValue("w", -2), NamedValue("x", 5), NamedValue("b", 3)],
        intermediates: [],
        outputName: "f", output: -7,
        inputGradients: [NamedValue("w", 5), NamedValue("x", -2), NamedValue("b", 1)],
        intermediateGradients: [],
        record: { graph, input in
            let product = try graph.apply(.multiply, input["w"]!, input["x"]!)
            let f = try graph.apply(.add, product, input["b"]!)
            graph.setName("f", for: f)
            return ["f": f]
        })

    /// Every worked example above.
    public static let workedExamples: [WorkedExample] = [sumTimes, neuron]

    /// The notes' chain-rule example f = y + e^(xy) with x = cos t, y = t², whose derivative by hand is
    /// df/dt = 2t + e^(xy)·(y·(−sin t) + x·2t).
    public static func cosineSquare(at t: Double) -> WorkedExample {
        let x = Foundation.cos(t), y = t * t
        let e = Foundation.exp(x * y)
        let dfdt = 2 * t + e * (y * -Foundation.sin(t) + x * 2 * t)
        return WorkedExample(
            name: "cosine-square at t = \(t)",
            source: "x = cos(t)\ny = t^2\nf = y + exp(x * y)",
            inputs: [NamedValue("t", t)],
            intermediates: [NamedValue("x", x), NamedValue("y", y)],
            outputName: "f", output: y + e,
            inputGradients: [NamedValue("t", dfdt)],
            // ∂f/∂x = e^(xy)·y and ∂f/∂y = 1 + e^(xy)·x, holding the other fixed.
            intermediateGradients: [NamedValue("x", e * y), NamedValue("y", 1 + e * x)],
            record: { graph, input in
                let t = input["t"]!
                let x = try graph.apply(.cos, t)
                graph.setName("x", for: x)
                let y = try graph.apply(.power, t, graph.constant(2))
                graph.setName("y", for: y)
                let xy = try graph.apply(.multiply, x, y)
                let e = try graph.apply(.exp, xy)
                let f = try graph.apply(.add, y, e)
                graph.setName("f", for: f)
                return ["x": x, "y": y, "f": f]
            })
    }
}

// MARK: - Seeded random numbers

/// SplitMix64 (Steele, Lea and Flood): a tiny seeded generator, so "random" test points are the
/// same on every run and every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator seeded from a label (FNV-1a of its UTF-8), e.g. a test row's name, so every row
    /// draws its own stable points whatever order the rows run in.
    public init(label: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in label.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        state = hash
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension Tensor {
    /// A tensor of the given shape with entries drawn uniformly from `range`.
    public static func random<G: RandomNumberGenerator>(shape: [Int], in range: ClosedRange<Double>,
                                                        using generator: inout G) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<count).map { _ in Double.random(in: range, using: &generator) })
    }
}

// MARK: - Approximate comparison

/// Whether `a` and `b` agree within `relative`·max(|a|, |b|) or `absolute`; NaNs agree with NaNs and
/// infinities with infinities of the same sign.
public func isClose(_ a: Double, _ b: Double, relative: Double = 1e-12, absolute: Double = 0) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a.isInfinite || b.isInfinite { return a == b }
    return Swift.abs(a - b) <= Swift.max(relative * Swift.max(Swift.abs(a), Swift.abs(b)), absolute)
}

/// Whether two tensors have the same shape and entries that are `isClose`.
public func isClose(_ a: Tensor, _ b: Tensor, relative: Double = 1e-12, absolute: Double = 0) -> Bool {
    a.shape == b.shape && zip(a.storage, b.storage).allSatisfy { isClose($0, $1, relative: relative, absolute: absolute) }
}
