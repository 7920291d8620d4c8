import Autograd
import Foundation
import Testing
import TestSupport

/// The engine's operation, not Foundation's `Operation` (NSOperation).
typealias Operation = Autograd.Operation

// Helpers shared by the Autograd tests: building a case's graph at a point, and an independent
// central-difference gradient that rebuilds the graph instead of using `Graph.replay`.

/// One input of a gradient case: its name, shape, and the range random values are drawn from.
struct InputSpec: Sendable, CustomStringConvertible {
    let name: String
    let shape: [Int]
    let range: ClosedRange<Double>
    /// Record it as a parameter leaf rather than an input leaf.
    var isParameter = false

    var description: String { "\(name)\(Tensor.describe(shape: shape))" }
}

/// A program over some inputs whose gradient is checked at a seeded random point.
///
/// The checked scalar is `sum(out * w)` with `w` a random constant of `out`'s shape, so every entry
/// of the result carries its own weight (a seed of ones would hide a transposed or misplaced gradient).
struct GradientCase: Sendable, CustomTestStringConvertible {
    /// What the row checks.
    let checks: String
    /// The primitive under test (the coverage test reads this, and the graph must contain it).
    let operation: Operation
    let inputs: [InputSpec]
    let build: @Sendable (Graph, [NodeID]) throws -> NodeID

    var testDescription: String { "\(operation.primitive.name): \(checks)" }

    /// A row applying `operation` directly to its inputs.
    static func apply(_ operation: Operation, _ checks: String, _ inputs: [InputSpec],
                      attribute: OperationAttribute? = nil) -> GradientCase {
        GradientCase(checks: checks, operation: operation, inputs: inputs) { graph, ids in
            try graph.apply(operation, ids[0], ids.count > 1 ? ids[1] : nil, attribute: attribute)
        }
    }
}

/// A case recorded at one point.
struct RecordedCase {
    let graph: Graph
    let inputs: [NodeID]
    /// The program's result.
    let result: NodeID
    /// The weights of the checked sum.
    let weights: Tensor
    /// sum(result * weights): the scalar backward and the checks start from.
    let output: NodeID
}

enum Harness {
    /// The case's seeded random point: one tensor per input.
    static func point(for row: GradientCase) -> (values: [Tensor], generator: SplitMix64) {
        var generator = SplitMix64(label: row.testDescription)
        let values = row.inputs.map { Tensor.random(shape: $0.shape, in: $0.range, using: &generator) }
        return (values, generator)
    }

    /// Records the case at `values`; draws the weights from `generator` unless given.
    static func record(_ row: GradientCase, at values: [Tensor], weights: Tensor? = nil,
                       generator: inout SplitMix64) throws -> RecordedCase {
        let graph = Graph()
        let ids = zip(row.inputs, values).map { spec, value in
            spec.isParameter ? graph.parameter(spec.name, value) : graph.input(spec.name, value)
        }
        let result = try row.build(graph, ids)
        let weights = weights ?? Tensor.random(shape: graph.shape(of: result), in: 0.5...1.5, using: &generator)
        let weighted = try graph.apply(.multiply, result, graph.constant(weights, name: "w"))
        let output = try graph.apply(.sum, weighted)
        return RecordedCase(graph: graph, inputs: ids, result: result, weights: weights, output: output)
    }

    /// The output's value with the case rebuilt from scratch at `values` (no replay, no backward).
    static func evaluate(_ row: GradientCase, at values: [Tensor], weights: Tensor) throws -> Double {
        var unused = SplitMix64(seed: 0)
        let recorded = try record(row, at: values, weights: weights, generator: &unused)
        return recorded.graph.value(of: recorded.output).scalar
    }

    /// An independent central-difference gradient: (F(v + h·e) − F(v − h·e)) / 2h for every entry,
    /// where F rebuilds the whole graph.
    static func finiteDifferenceGradient(_ row: GradientCase, at values: [Tensor], weights: Tensor,
                                         step: Double = 1e-5) throws -> [Tensor] {
        try values.indices.map { input in
            var gradient = Tensor.zeros(values[input].shape)
            for offset in 0..<values[input].count {
                let h = step * max(1, abs(values[input].storage[offset]))
                var plus = values, minus = values
                plus[input].storage[offset] += h
                minus[input].storage[offset] -= h
                gradient.storage[offset] = (try evaluate(row, at: plus, weights: weights)
                                            - evaluate(row, at: minus, weights: weights)) / (2 * h)
            }
            return gradient
        }
    }
}

/// Whether an analytic and a numeric derivative agree: |a − n| ≤ tolerance·max(1, |a|, |n|).
func agrees(_ analytic: Double, _ numeric: Double, tolerance: Double = 1e-6) -> Bool {
    abs(analytic - numeric) <= tolerance * max(1, abs(analytic), abs(numeric))
}

/// Records scalar inputs named `x`, `y`, … with the given values.
func scalarInputs(_ graph: Graph, _ values: Double...) -> [NodeID] {
    let names = ["x", "y", "z", "w"]
    return values.enumerated().map { graph.input(names[$0.offset], $0.element) }
}
