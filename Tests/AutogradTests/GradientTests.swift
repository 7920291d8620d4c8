import Autograd
import Foundation
import Testing
import TestSupport

// 2. Backward against finite differences at seeded random points, for every primitive.

/// Where each elementwise primitive is checked: smooth, and away from flat spots where a relative
/// error would only measure rounding (cos near 0, ln x near 1 for ∂(x^y)/∂y). Written out operation
/// by operation so a new primitive without a row fails `everyPrimitiveHasAGradientRow`.
private let elementwiseDomains: [(operation: Operation, ranges: [ClosedRange<Double>])] = [
    (.add, [-2...2, -2...2]),
    (.subtract, [-2...2, -2...2]),
    (.multiply, [-2...2, -2...2]),
    (.divide, [-2...2, 0.5...2]),
    (.power, [1.3...2.5, -2...2]),
    (.minimum, [-2...2, -2...2]),
    (.maximum, [-2...2, -2...2]),
    (.leakyRelu, [-2...2, 0.01...0.3]),
    (.negate, [-2...2]),
    (.exp, [-2...2]),
    (.log, [0.5...3]),
    (.sqrt, [0.5...3]),
    (.sin, [-1.2...1.2]),
    (.cos, [0.3...2.8]),
    (.tanh, [-2...2]),
    (.sigmoid, [-3...3]),
    (.relu, [-2...2]),
    (.abs, [-2...2]),
    (.step, [-2...2]),
    (.softplus, [-3...3]),
    (.gelu, [-3...3]),
    (.silu, [-3...3]),
    (.elu, [-2...2]),
    (.log1p, [-0.5...2]),
    (.expm1, [-2...2]),
    (.erf, [-1.5...1.5]),
    (.tan, [-1.2...1.2]),
    (.greater, [-2...2, -2...2]),
    (.less, [-2...2, -2...2]),
    (.greaterEqual, [-2...2, -2...2]),
    (.lessEqual, [-2...2, -2...2]),
    (.equal, [-2...2, -2...2]),
    (.notEqual, [-2...2, -2...2]),
    (.clampMin, [-2...2, -2...2]),
    (.clampMax, [-2...2, -2...2]),
    (.masked, [-2...2, -2...2]),
]

private func specs(_ shapes: [[Int]], _ ranges: [ClosedRange<Double>]) -> [InputSpec] {
    let names = ["x", "y", "z"]
    return zip(shapes, ranges).enumerated().map { InputSpec(name: names[$0.offset], shape: $0.element.0, range: $0.element.1) }
}

private func index(_ components: IndexComponent...) -> OperationAttribute { .index(components) }
private let all = IndexComponent.slice(start: nil, stop: nil, step: nil)
private let wide: ClosedRange<Double> = -2...2

let gradientCases: [GradientCase] = {
    var rows: [GradientCase] = []
    // Every elementwise primitive on scalars and on [2,3] tensors.
    for (operation, ranges) in elementwiseDomains {
        let arity = ranges.count
        rows.append(.apply(operation, "scalars", specs(Array(repeating: [], count: arity), ranges)))
        rows.append(.apply(operation, "[2,3] tensors", specs(Array(repeating: [2, 3], count: arity), ranges)))
    }
    // Broadcasting: the gradient is summed back to each input's shape.
    rows += [
        .apply(.add, "[2,3] + [3] broadcasts the row", specs([[2, 3], [3]], [wide, wide])),
        .apply(.multiply, "[2,1] * [1,3] broadcasts both", specs([[2, 1], [1, 3]], [wide, wide])),
        .apply(.multiply, "scalar * [2,2]", specs([[], [2, 2]], [wide, wide])),
        .apply(.subtract, "[3] − [2,3] broadcasts the left", specs([[3], [2, 3]], [wide, wide])),
        .apply(.divide, "[2,3] / [2,1]", specs([[2, 3], [2, 1]], [wide, 0.5...2])),
        .apply(.add, "[2,1,3] + [4,1] → [2,4,3]", specs([[2, 1, 3], [4, 1]], [wide, wide])),
        .apply(.maximum, "[2,3] against a scalar threshold", specs([[2, 3], []], [wide, wide])),
        .apply(.minimum, "[3,1] against [4] → [3,4]", specs([[3, 1], [4]], [wide, wide])),
        .apply(.power, "[2,2] ^ scalar exponent", specs([[2, 2], []], [1.3...2.5, wide])),
        .apply(.leakyRelu, "[2,3] with one shared slope", specs([[2, 3], []], [wide, 0.01...0.3])),
    ]
    // Matrix products in NumPy's four rank combinations.
    rows += [
        .apply(.matmul, "[2,3] @ [3,4]", specs([[2, 3], [3, 4]], [wide, wide])),
        .apply(.matmul, "[3] @ [3,2]", specs([[3], [3, 2]], [wide, wide])),
        .apply(.matmul, "[2,3] @ [3]", specs([[2, 3], [3]], [wide, wide])),
        .apply(.matmul, "[4] @ [4]", specs([[4], [4]], [wide, wide])),
        .apply(.matmul, "[1,1] @ [1,3]", specs([[1, 1], [1, 3]], [wide, wide])),
        .apply(.matmul, "[2,3,4] @ [4,2]: batched, the right broadcast", specs([[2, 3, 4], [4, 2]], [wide, wide])),
        .apply(.matmul, "[2,1,2,3] @ [3,3,2]: batch axes broadcast both ways", specs([[2, 1, 2, 3], [3, 3, 2]], [wide, wide])),
        .apply(.matmul, "[3] @ [2,3,2]: a vector on the left", specs([[3], [2, 3, 2]], [wide, wide])),
        .apply(.matmul, "[2,2,3] @ [3]: a vector on the right", specs([[2, 2, 3], [3]], [wide, wide])),
    ]
    // Movement and reductions.
    rows += [
        .apply(.conv2d, "[2,2,5,5] ⊛ [3,2,3,3], stride 1, padding 1", specs([[2, 2, 5, 5], [3, 2, 3, 3]], [wide, wide]),
               attribute: .window(size: 3, stride: 1, padding: 1)),
        .apply(.conv2d, "[1,1,5,5] ⊛ [2,1,3,3], stride 2", specs([[1, 1, 5, 5], [2, 1, 3, 3]], [wide, wide]),
               attribute: .window(size: 3, stride: 2, padding: 0)),
        .apply(.maxPool2d, "[2,2,4,4], 2×2 windows", specs([[2, 2, 4, 4]], [wide]), attribute: .window(size: 2, stride: 2, padding: 0)),
        .apply(.avgPool2d, "[2,2,4,4], 2×2 windows", specs([[2, 2, 4, 4]], [wide]), attribute: .window(size: 2, stride: 2, padding: 0)),
        .apply(.avgPool2d, "[1,1,5,5], 3×3 windows, stride 1 (overlapping)", specs([[1, 1, 5, 5]], [wide]), attribute: .window(size: 3, stride: 1, padding: 0)),
        .apply(.logSoftmax, "[4]", specs([[4]], [wide])),
        .apply(.logSoftmax, "[3,4] row by row", specs([[3, 4]], [wide])),
        .apply(.logSoftmax, "[3,4] along axis 0", specs([[3, 4]], [wide]), attribute: .axis(0)),
        .apply(.softmax, "[4]", specs([[4]], [wide])),
        .apply(.concatenate, "[2,3] and [2,2] along axis 1", specs([[2, 3], [2, 2]], [wide, wide]), attribute: .axis(1)),
        .apply(.concatenate, "[1,2,2] and [2,2,2] along axis 0", specs([[1, 2, 2], [2, 2, 2]], [wide, wide]), attribute: .axis(0)),
        .apply(.permute, "[2,3,4] to (2, 0, 1)", specs([[2, 3, 4]], [wide]), attribute: .permutation([2, 0, 1])),
        .apply(.permute, "[2,3] swapped, negative dims", specs([[2, 3]], [wide]), attribute: .permutation([-1, 0])),
        .apply(.softmax, "[3,4] along axis 0", specs([[3, 4]], [wide]), attribute: .axis(0)),
        .apply(.softmax, "[2,3,2] along the middle axis", specs([[2, 3, 2]], [wide]), attribute: .axis(1)),
        .apply(.amax, "whole [2,3]", specs([[2, 3]], [wide])),
        .apply(.amax, "[3,4] along axis 1", specs([[3, 4]], [wide]), attribute: .axis(1)),
        .apply(.amin, "[3,4] along axis 0", specs([[3, 4]], [wide]), attribute: .axis(0)),
        .apply(.logsumexp, "whole [2,3]", specs([[2, 3]], [wide])),
        .apply(.logsumexp, "[2,3,2] along the middle axis", specs([[2, 3, 2]], [wide]), attribute: .axis(1)),
        .apply(.maxPool2d, "[1,2,5,5], 3×3 windows, stride 2, padding 1", specs([[1, 2, 5, 5]], [wide]), attribute: .window(size: 3, stride: 2, padding: 1)),
        .apply(.avgPool2d, "[1,1,5,5], 3×3 windows, stride 2, padding 1", specs([[1, 1, 5, 5]], [wide]), attribute: .window(size: 3, stride: 2, padding: 1)),
        GradientCase(checks: "[3,4] log-probabilities, classes [2, 0, 3]", operation: .nllLoss, inputs: specs([[3, 4]], [wide])) { graph, ids in
            try graph.apply(.nllLoss, ids[0], graph.constant(Tensor(vector: [2, 0, 3])))
        },
        GradientCase(checks: "[4] log-probabilities, one 0-d class", operation: .nllLoss, inputs: specs([[4]], [wide])) { graph, ids in
            try graph.apply(.nllLoss, ids[0], graph.constant(Tensor(scalar: 1)))
        },
        .apply(.transpose, "[2,3]", specs([[2, 3]], [wide])),
        .apply(.transpose, "[2,3,2] reverses every axis", specs([[2, 3, 2]], [wide])),
        .apply(.transpose, "a vector is unchanged", specs([[3]], [wide])),
        .apply(.sum, "whole [2,3]", specs([[2, 3]], [wide])),
        .apply(.sum, "[2,3] along axis 0", specs([[2, 3]], [wide]), attribute: .axis(0)),
        .apply(.sum, "[2,3] along axis 1", specs([[2, 3]], [wide]), attribute: .axis(1)),
        .apply(.sum, "[2,3] along axis -1", specs([[2, 3]], [wide]), attribute: .axis(-1)),
        .apply(.sum, "[2,3,2] along the middle axis", specs([[2, 3, 2]], [wide]), attribute: .axis(1)),
        .apply(.sum, "[3] along axis 0 → scalar", specs([[3]], [wide]), attribute: .axis(0)),
        .apply(.sum, "a scalar", specs([[]], [wide])),
        .apply(.mean, "whole [2,3]", specs([[2, 3]], [wide])),
        .apply(.mean, "[2,3] along axis 0", specs([[2, 3]], [wide]), attribute: .axis(0)),
        .apply(.mean, "[2,3] along axis 1", specs([[2, 3]], [wide]), attribute: .axis(1)),
        .apply(.mean, "[2,3] along axis -1", specs([[2, 3]], [wide]), attribute: .axis(-1)),
        .apply(.mean, "[2,3,2] along axis -2", specs([[2, 3, 2]], [wide]), attribute: .axis(-2)),
        .apply(.reshape, "[2,3] → [3,-1]", specs([[2, 3]], [wide]), attribute: .shape([3, -1])),
        .apply(.reshape, "[2,3] → [-1]", specs([[2, 3]], [wide]), attribute: .shape([-1])),
        .apply(.reshape, "[6] → [2,1,3]", specs([[6]], [wide]), attribute: .shape([2, 1, 3])),
        .apply(.reshape, "scalar → [1]", specs([[]], [wide]), attribute: .shape([1])),
        .apply(.index, "[3,4][1]: a row", specs([[3, 4]], [wide]), attribute: index(.position(1))),
        .apply(.index, "[3,4][-1, -2]: negative positions → scalar", specs([[3, 4]], [wide]),
               attribute: index(.position(-1), .position(-2))),
        .apply(.index, "[3,4][::2, 1::2]: stepped slices", specs([[3, 4]], [wide]),
               attribute: index(.slice(start: nil, stop: nil, step: 2), .slice(start: 1, stop: nil, step: 2))),
        .apply(.index, "[5][::-1]: reversed", specs([[5]], [wide]), attribute: index(.slice(start: nil, stop: nil, step: -1))),
        .apply(.index, "[5][-2:0:-1]: negative start and step", specs([[5]], [wide]),
               attribute: index(.slice(start: -2, stop: 0, step: -1))),
        .apply(.index, "[3,4][0:3:2, -1]: slice then position", specs([[3, 4]], [wide]),
               attribute: index(.slice(start: 0, stop: 3, step: 2), .position(-1))),
        .apply(.index, "[2,3][:]: trailing axes kept whole", specs([[2, 3]], [wide]), attribute: index(all)),
        GradientCase(checks: "x[0, 1:3] + x[0, 0:2]: overlapping selections add up", operation: .index,
                     inputs: specs([[2, 3]], [wide])) { graph, ids in
            let left = try graph.apply(.index, ids[0], attribute: .index([.position(0), .slice(start: 1, stop: 3, step: nil)]))
            let right = try graph.apply(.index, ids[0], attribute: .index([.position(0), .slice(start: 0, stop: 2, step: nil)]))
            return try graph.apply(.add, left, right)
        },
        GradientCase(checks: "x[1] * x[1]: the same entry twice", operation: .index, inputs: specs([[3]], [wide])) { graph, ids in
            let a = try graph.apply(.index, ids[0], attribute: .index([.position(1)]))
            let b = try graph.apply(.index, ids[0], attribute: .index([.position(-2)]))
            return try graph.apply(.multiply, a, b)
        },
    ]
    return rows
}()

@Suite("Backward against finite differences")
struct GradientTests {
    @Test("every non-leaf primitive has gradient rows (scalar and tensor for elementwise)",
          arguments: Operation.allCases.filter { !$0.isLeaf })
    func everyPrimitiveHasAGradientRow(operation: Operation) {
        let rows = gradientCases.filter { $0.operation == operation }
        #expect(!rows.isEmpty, "no gradient test row for \(operation.primitive.name)")
        if operation.primitive.isElementwise {
            #expect(rows.contains { $0.inputs.allSatisfy { $0.shape.isEmpty } }, "no scalar row for \(operation.primitive.name)")
            #expect(rows.contains { $0.inputs.contains { !$0.shape.isEmpty } }, "no tensor row for \(operation.primitive.name)")
        }
    }

    @Test("backward matches GradientCheck and an independent central difference", arguments: gradientCases)
    func backwardMatchesFiniteDifferences(row: GradientCase) throws {
        let (values, start) = Harness.point(for: row)
        var generator = start
        let recorded = try Harness.record(row, at: values, generator: &generator)
        let graph = recorded.graph
        #expect(graph.operations.contains(row.operation), "the row's graph does not use \(row.operation.primitive.name)")
        #expect(graph.value(of: recorded.output).isFinite)
        try graph.backward(from: recorded.output)

        // Each input's gradient exists and has the input's shape.
        var analytic: [Tensor] = []
        for (spec, id) in zip(row.inputs, recorded.inputs) {
            let gradient = try #require(graph.gradient(of: id), "no gradient for \(spec.name)")
            #expect(gradient.shape == spec.shape, "∂f/∂\(spec.name) has shape \(gradient.shape), the input \(spec.shape)")
            #expect(gradient.isFinite)
            analytic.append(gradient)
        }

        // The engine's own check: every entry passes (random points sit on no kink).
        let check = GradientCheck.run(graph, output: recorded.output)
        #expect(check.entries.count == values.reduce(0) { $0 + $1.count })
        for entry in check.entries {
            #expect(entry.status == .pass,
                    "\(entry.input)\(entry.position): analytic \(entry.analytic), numeric \(entry.numeric), relative error \(entry.relativeError)")
        }
        #expect(check.passed)

        // An independent central difference that rebuilds the graph for every perturbation.
        let numeric = try Harness.finiteDifferenceGradient(row, at: values, weights: recorded.weights)
        for (input, spec) in row.inputs.enumerated() {
            for offset in 0..<values[input].count {
                let a = analytic[input].storage[offset], n = numeric[input].storage[offset]
                #expect(agrees(a, n), "∂f/∂\(spec.name)[\(offset)]: backward \(a), central difference \(n)")
            }
        }
    }
}
