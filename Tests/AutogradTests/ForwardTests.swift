import Autograd
import Foundation
import Testing
import TestSupport

// 1. Forward values of every primitive against Foundation, and the conventions at edge points.

/// An elementwise primitive with its definition written independently in Foundation, and points
/// to compare at (unary primitives ignore `y`).
struct ElementwiseReference: Sendable, CustomTestStringConvertible {
    let operation: Operation
    let reference: @Sendable (Double, Double) -> Double
    let points: [[Double]]
    /// The relative tolerance: 1e-15, or looser where the engine uses a different (more careful)
    /// formula than the textbook one written here.
    var tolerance: Double = 1e-15
    var testDescription: String { operation.primitive.name }
}

/// Written out operation by operation (no `default`), so a new elementwise primitive without a row
/// fails `everyPrimitiveHasAForwardRow`.
let elementwiseReferences: [ElementwiseReference] = [
    .init(operation: .add, reference: { $0 + $1 }, points: [[-2, 5], [0.5, -0.25], [1e10, 1], [-0.0, 0]]),
    .init(operation: .subtract, reference: { $0 - $1 }, points: [[-2, 5], [0.5, -0.25], [3, 3]]),
    .init(operation: .multiply, reference: { $0 * $1 }, points: [[3, -4], [0.5, 0.25], [-1e-3, -2e3]]),
    .init(operation: .divide, reference: { $0 / $1 }, points: [[1, 3], [-7, 2], [1, 0], [0, 0]]),
    .init(operation: .power, reference: { Foundation.pow($0, $1) },
          points: [[2, 3], [2, -0.5], [-2, 3], [-2, 0.5], [0, 0], [9, 0.5], [0, -1]]),
    .init(operation: .minimum, reference: { Foundation.fmin($0, $1) }, points: [[1, 2], [2, 1], [-3, -3]]),
    .init(operation: .maximum, reference: { Foundation.fmax($0, $1) }, points: [[1, 2], [2, 1], [-3, -3]]),
    .init(operation: .leakyRelu, reference: { x, a in x > 0 ? x : a * x },
          points: [[2, 0.1], [-2, 0.1], [0, 0.1], [-3, 0.2]]),
    .init(operation: .negate, reference: { x, _ in -x }, points: [[-2], [0], [3.5]]),
    .init(operation: .exp, reference: { x, _ in Foundation.exp(x) }, points: [[-1], [0], [2.5], [700]]),
    .init(operation: .log, reference: { x, _ in Foundation.log(x) }, points: [[0.5], [1], [10], [0], [-1]]),
    .init(operation: .sqrt, reference: { x, _ in Foundation.sqrt(x) }, points: [[0], [2], [9], [-1]]),
    .init(operation: .sin, reference: { x, _ in Foundation.sin(x) }, points: [[-1], [0], [0.5], [3]]),
    .init(operation: .cos, reference: { x, _ in Foundation.cos(x) }, points: [[-1], [0], [0.5], [3]]),
    .init(operation: .tanh, reference: { x, _ in Foundation.tanh(x) }, points: [[-3], [0], [0.5], [20]]),
    .init(operation: .sigmoid, reference: { x, _ in 1 / (1 + Foundation.exp(-x)) }, points: [[-5], [0], [3], [30]],
          tolerance: 1e-13),
    .init(operation: .relu, reference: { x, _ in Foundation.fmax(x, 0) }, points: [[-2], [0], [1.5]]),
    .init(operation: .abs, reference: { x, _ in Foundation.fabs(x) }, points: [[-2], [0], [1.5]]),
    .init(operation: .step, reference: { x, _ in x >= 0 ? 1 : 0 }, points: [[-1], [0], [-0.0], [2], [-1e-300]]),
    .init(operation: .softplus, reference: { x, _ in Foundation.log(1 + Foundation.exp(x)) },
          points: [[-3], [0], [2], [10]], tolerance: 1e-13),
    .init(operation: .gelu, reference: { x, _ in x * 0.5 * Foundation.erfc(-x / 2.0.squareRoot()) }, points: [[-3], [0], [0.5], [4]],
          tolerance: 1e-13),
    .init(operation: .silu, reference: { x, _ in x / (1 + Foundation.exp(-x)) }, points: [[-5], [0], [3], [30]], tolerance: 1e-13),
    .init(operation: .elu, reference: { x, _ in x > 0 ? x : Foundation.exp(x) - 1 }, points: [[-2], [0], [1.5]], tolerance: 1e-13),
    .init(operation: .log1p, reference: { x, _ in Foundation.log(1 + x) }, points: [[-0.5], [0], [2]], tolerance: 1e-13),
    .init(operation: .expm1, reference: { x, _ in Foundation.exp(x) - 1 }, points: [[-1], [0], [2.5]], tolerance: 1e-13),
    .init(operation: .erf, reference: { x, _ in 1 - Foundation.erfc(x) }, points: [[-1], [0.5], [2]], tolerance: 1e-13),
    .init(operation: .greater, reference: { $0 > $1 ? 1 : 0 }, points: [[1, 2], [2, 1], [3, 3]]),
    .init(operation: .less, reference: { $0 < $1 ? 1 : 0 }, points: [[1, 2], [2, 1], [3, 3]]),
    .init(operation: .greaterEqual, reference: { $0 >= $1 ? 1 : 0 }, points: [[1, 2], [2, 1], [3, 3]]),
    .init(operation: .lessEqual, reference: { $0 <= $1 ? 1 : 0 }, points: [[1, 2], [2, 1], [3, 3]]),
    .init(operation: .equal, reference: { $0 == $1 ? 1 : 0 }, points: [[1, 2], [3, 3]]),
    .init(operation: .notEqual, reference: { $0 != $1 ? 1 : 0 }, points: [[1, 2], [3, 3]]),
    .init(operation: .clampMin, reference: { Foundation.fmax($0, $1) }, points: [[1, 2], [2, 1], [3, 3]]),
    .init(operation: .clampMax, reference: { Foundation.fmin($0, $1) }, points: [[1, 2], [2, 1], [3, 3]]),
    .init(operation: .masked, reference: { x, y in y != 0 ? x : 0 }, points: [[3, 1], [3, 0], [-2, -0.5]]),
    .init(operation: .tan, reference: { x, _ in Foundation.sin(x) / Foundation.cos(x) }, points: [[-1], [0], [0.5]], tolerance: 1e-13),
]

/// A primitive at one point with the value and local gradients the conventions prescribe.
struct ConventionCase: Sendable, CustomTestStringConvertible {
    let checks: String
    let operation: Operation
    let operands: [Double]
    let value: Double
    /// ∂f/∂operand for each operand.
    let gradients: [Double]
    /// Relative tolerance for the value (0: exact).
    var tolerance: Double = 0
    var testDescription: String { "\(operation.primitive.name)\(operands): \(checks)" }
}

let conventionCases: [ConventionCase] = [
    .init(checks: "relu(0) = 0 with gradient 0 (PyTorch)", operation: .relu, operands: [0], value: 0, gradients: [0]),
    .init(checks: "relu(-1) = 0, gradient 0", operation: .relu, operands: [-1], value: 0, gradients: [0]),
    .init(checks: "relu(2) = 2, gradient 1", operation: .relu, operands: [2], value: 2, gradients: [1]),
    .init(checks: "abs'(0) = sign(0) = 0", operation: .abs, operands: [0], value: 0, gradients: [0]),
    .init(checks: "abs'(-3) = -1", operation: .abs, operands: [-3], value: 3, gradients: [-1]),
    .init(checks: "step(0) = 1 (binary step), gradient 0", operation: .step, operands: [0], value: 1, gradients: [0]),
    .init(checks: "step(-0.5) = 0, gradient 0", operation: .step, operands: [-0.5], value: 0, gradients: [0]),
    .init(checks: "max tie sends ½ to each side", operation: .maximum, operands: [2, 2], value: 2, gradients: [0.5, 0.5]),
    .init(checks: "min tie sends ½ to each side", operation: .minimum, operands: [-1, -1], value: -1, gradients: [0.5, 0.5]),
    .init(checks: "max picks the larger (y)", operation: .maximum, operands: [1, 3], value: 3, gradients: [0, 1]),
    .init(checks: "min picks the smaller (y)", operation: .minimum, operands: [1, -3], value: -3, gradients: [0, 1]),
    .init(checks: "leaky_relu(0, a): slope a at 0, ∂/∂a = x = 0", operation: .leakyRelu, operands: [0, 0.1], value: 0, gradients: [0.1, 0]),
    .init(checks: "leaky_relu(x<0, a) = a·x: slope a, ∂/∂a = x", operation: .leakyRelu, operands: [-2, 0.1], value: -0.2, gradients: [0.1, -2]),
    .init(checks: "leaky_relu(x>0, a) = x: slope 1, ∂/∂a = 0", operation: .leakyRelu, operands: [3, 0.1], value: 3, gradients: [1, 0]),
    .init(checks: "sigmoid(800) = 1 without NaN, gradient 0", operation: .sigmoid, operands: [800], value: 1, gradients: [0]),
    .init(checks: "sigmoid(-800) = 0 without NaN, gradient 0", operation: .sigmoid, operands: [-800], value: 0, gradients: [0]),
    .init(checks: "sigmoid(0) = ½, gradient ¼", operation: .sigmoid, operands: [0], value: 0.5, gradients: [0.25]),
    .init(checks: "softplus(800) = 800 (no overflow), gradient 1", operation: .softplus, operands: [800], value: 800, gradients: [1]),
    .init(checks: "softplus(-800) = 0 (underflows cleanly), gradient 0", operation: .softplus, operands: [-800], value: 0, gradients: [0]),
    .init(checks: "softplus(-50) = log1p(e^-50) ≈ e^-50, not 0", operation: .softplus, operands: [-50],
          value: Foundation.exp(-50), gradients: [Foundation.exp(-50)], tolerance: 1e-12),
    .init(checks: "softplus(0) = ln 2, gradient ½", operation: .softplus, operands: [0], value: Foundation.log(2), gradients: [0.5]),
    .init(checks: "pow(2, 3): ∂/∂x = 3·2², ∂/∂y = 8·ln 2", operation: .power, operands: [2, 3],
          value: 8, gradients: [12, 8 * Foundation.log(2)]),
    .init(checks: "pow(0, 2): ∂/∂y = 0 at x = 0 with y ≥ 0 (PyTorch)", operation: .power, operands: [0, 2], value: 0, gradients: [0, 0]),
    .init(checks: "pow(0, 0) = 1: ∂/∂x = 0 where y = 0, ∂/∂y = 0", operation: .power, operands: [0, 0], value: 1, gradients: [0, 0]),
    .init(checks: "pow(0, -1) = ∞: ∂/∂y = f·ln 0 = −∞ (PyTorch)", operation: .power, operands: [0, -1],
          value: .infinity, gradients: [-.infinity, -.infinity]),
    .init(checks: "pow(-2, 3): ∂/∂x = 12, ∂/∂y = NaN (ln of a negative)", operation: .power, operands: [-2, 3],
          value: -8, gradients: [12, .nan]),
    .init(checks: "pow(-5, 1): ∂/∂x = 1, ∂/∂y = NaN for x < 0", operation: .power, operands: [-5, 1], value: -5, gradients: [1, .nan]),
    .init(checks: "sqrt'(0) = +∞", operation: .sqrt, operands: [0], value: 0, gradients: [.infinity]),
    .init(checks: "divide: ∂/∂x = 1/y, ∂/∂y = −x/y²", operation: .divide, operands: [3, -2], value: -1.5, gradients: [-0.5, -0.75]),
    .init(checks: "exp reuses its result as gradient", operation: .exp, operands: [1], value: M_E, gradients: [M_E], tolerance: 1e-15),
    .init(checks: "tanh' = 1 − tanh²", operation: .tanh, operands: [0.5],
          value: Foundation.tanh(0.5), gradients: [1 - Foundation.tanh(0.5) * Foundation.tanh(0.5)]),
]

/// A structural primitive on small tensors with the result worked out by hand.
struct StructuralForwardCase: Sendable, CustomTestStringConvertible {
    let checks: String
    let operation: Operation
    let operands: [Tensor]
    var attribute: OperationAttribute? = nil
    let expected: Tensor
    /// The attribute the node should be recorded with (axes and -1 normalized).
    var recordedAttribute: OperationAttribute? = nil
    var testDescription: String { "\(operation.primitive.name): \(checks)" }
}

private let a23 = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
private let b32 = Tensor(shape: [3, 2], storage: [7, 8, 9, 10, 11, 12])

let structuralForwardCases: [StructuralForwardCase] = [
    .init(checks: "[2,3] @ [3,2] → [2,2]", operation: .matmul, operands: [a23, b32],
          expected: Tensor(shape: [2, 2], storage: [58, 64, 139, 154])),
    .init(checks: "[3] @ [3,2] → [2]", operation: .matmul, operands: [Tensor(vector: [1, 2, 3]), b32],
          expected: Tensor(vector: [58, 64])),
    .init(checks: "[2,3] @ [3] → [2]", operation: .matmul, operands: [a23, Tensor(vector: [1, 0, -1])],
          expected: Tensor(vector: [-2, -2])),
    .init(checks: "[3] @ [3] → [] (dot product)", operation: .matmul, operands: [Tensor(vector: [1, 2, 3]), Tensor(vector: [4, 5, 6])],
          expected: Tensor(scalar: 32)),
    .init(checks: "[2,3]ᵀ → [3,2]", operation: .transpose, operands: [a23],
          expected: Tensor(shape: [3, 2], storage: [1, 4, 2, 5, 3, 6])),
    .init(checks: "a vector's transpose is itself", operation: .transpose, operands: [Tensor(vector: [1, 2, 3])],
          expected: Tensor(vector: [1, 2, 3])),
    .init(checks: "whole sum → []", operation: .sum, operands: [a23], expected: Tensor(scalar: 21)),
    .init(checks: "sum along axis 0", operation: .sum, operands: [a23], attribute: .axis(0),
          expected: Tensor(vector: [5, 7, 9]), recordedAttribute: .axis(0)),
    .init(checks: "sum along axis 1", operation: .sum, operands: [a23], attribute: .axis(1),
          expected: Tensor(vector: [6, 15]), recordedAttribute: .axis(1)),
    .init(checks: "sum along axis -1 is axis 1", operation: .sum, operands: [a23], attribute: .axis(-1),
          expected: Tensor(vector: [6, 15]), recordedAttribute: .axis(1)),
    .init(checks: "whole mean → []", operation: .mean, operands: [a23], expected: Tensor(scalar: 3.5)),
    // The notes' 6×6 image (003) with their two 3×3 filters: maps that start 3, -1 (003:1819, 1821);
    // the rest as lesson 13 computes them window by window with slices in the expression language.
    .init(checks: "conv2d: the notes' image and filters, stride 1, no padding", operation: .conv2d,
          operands: [Tensor(shape: [1, 1, 6, 6], storage: [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0,
                                                           1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0]),
                     Tensor(shape: [2, 1, 3, 3], storage: [1, -1, -1, -1, 1, -1, -1, -1, 1, -1, 1, -1, -1, 1, -1, -1, 1, -1])],
          attribute: .window(size: 3, stride: 1, padding: 0),
          expected: Tensor(shape: [1, 2, 4, 4], storage: [3, -1, -3, -1, -3, 1, 0, -3, -3, -3, 0, 1, 3, -2, -2, -1,
                                                          -1, -1, -1, -1, -1, -1, -2, 1, -1, -1, -2, 1, -1, 0, -4, 3]),
          recordedAttribute: .window(size: 3, stride: 1, padding: 0)),
    .init(checks: "max_pool2d 2×2 of [[1, 5, 2, 0], [3, 4, 6, 1], …]", operation: .maxPool2d,
          operands: [Tensor(shape: [1, 1, 2, 4], storage: [1, 5, 2, 0, 3, 4, 6, 1])],
          attribute: .window(size: 2, stride: 2, padding: 0),
          expected: Tensor(shape: [1, 1, 1, 2], storage: [5, 6]), recordedAttribute: .window(size: 2, stride: 2, padding: 0)),
    .init(checks: "avg_pool2d 2×2 of [[1, 5, 2, 0], [3, 4, 6, 1]]", operation: .avgPool2d,
          operands: [Tensor(shape: [1, 1, 2, 4], storage: [1, 5, 2, 0, 3, 4, 6, 1])],
          attribute: .window(size: 2, stride: 2, padding: 0),
          expected: Tensor(shape: [1, 1, 1, 2], storage: [3.25, 2.25]), recordedAttribute: .window(size: 2, stride: 2, padding: 0)),
    .init(checks: "log_softmax of equal scores is −log n", operation: .logSoftmax, operands: [Tensor(vector: [0, 0, 0, 0])],
          expected: Tensor(vector: [-log(4), -log(4), -log(4), -log(4)])),
    .init(checks: "log_softmax row by row, and 1000 does not overflow", operation: .logSoftmax,
          operands: [Tensor(shape: [2, 2], storage: [0, 0, 1000, 0])],
          expected: Tensor(shape: [2, 2], storage: [-log(2), -log(2), 0, -1000])),
    .init(checks: "permute (1, 0) of a [2,3] is its transpose", operation: .permute, operands: [a23], attribute: .permutation([1, 0]),
          expected: Tensor(shape: [3, 2], storage: [1, 4, 2, 5, 3, 6]), recordedAttribute: .permutation([1, 0])),
    .init(checks: "cat of [2,3] and [2,1] along axis 1", operation: .concatenate, operands: [a23, Tensor(shape: [2, 1], storage: [7, 8])],
          attribute: .axis(1), expected: Tensor(shape: [2, 4], storage: [1, 2, 3, 7, 4, 5, 6, 8]), recordedAttribute: .axis(1)),
    .init(checks: "softmax of equal scores is 1/n", operation: .softmax, operands: [Tensor(vector: [0, 0, 0, 0])],
          expected: Tensor(vector: [0.25, 0.25, 0.25, 0.25])),
    .init(checks: "log_softmax along axis 0: each column", operation: .logSoftmax,
          operands: [Tensor(shape: [2, 2], storage: [0, 1000, 0, 0])], attribute: .axis(0),
          expected: Tensor(shape: [2, 2], storage: [-log(2), 0, -log(2), -1000]), recordedAttribute: .axis(0)),
    .init(checks: "amax along axis 1", operation: .amax, operands: [a23], attribute: .axis(1),
          expected: Tensor(vector: [3, 6]), recordedAttribute: .axis(1)),
    .init(checks: "amin of everything", operation: .amin, operands: [a23], expected: Tensor(scalar: 1)),
    .init(checks: "logsumexp of [0, 0] is ln 2, and 1000 does not overflow", operation: .logsumexp,
          operands: [Tensor(shape: [2, 2], storage: [0, 0, 1000, 1000])], attribute: .axis(1),
          expected: Tensor(vector: [log(2), 1000 + log(2)]), recordedAttribute: .axis(1)),
    .init(checks: "nll_loss: minus the mean of the picked entries", operation: .nllLoss,
          operands: [a23, Tensor(vector: [2, 0])], expected: Tensor(scalar: -3.5)),
    .init(checks: "max_pool2d 3×3, stride 2, padding 1 (the border is −∞)", operation: .maxPool2d,
          operands: [Tensor(shape: [1, 1, 3, 3], storage: [-1, -2, -3, -4, -5, -6, -7, -8, -9])],
          attribute: .window(size: 3, stride: 2, padding: 1),
          expected: Tensor(shape: [1, 1, 2, 2], storage: [-1, -2, -4, -5])),
    .init(checks: "avg_pool2d 3×3, stride 2, padding 1 (the border counts as zeros)", operation: .avgPool2d,
          operands: [Tensor(shape: [1, 1, 3, 3], storage: [9, 9, 9, 9, 9, 9, 9, 9, 9])],
          attribute: .window(size: 3, stride: 2, padding: 1),
          expected: Tensor(shape: [1, 1, 2, 2], storage: [4, 4, 4, 4])),
    .init(checks: "mean along axis 0", operation: .mean, operands: [a23], attribute: .axis(0),
          expected: Tensor(vector: [2.5, 3.5, 4.5]), recordedAttribute: .axis(0)),
    .init(checks: "mean along axis -1", operation: .mean, operands: [a23], attribute: .axis(-1),
          expected: Tensor(vector: [2, 5]), recordedAttribute: .axis(1)),
    .init(checks: "reshape [2,3] → [3,-1] resolves to [3,2]", operation: .reshape, operands: [a23], attribute: .shape([3, -1]),
          expected: Tensor(shape: [3, 2], storage: [1, 2, 3, 4, 5, 6]), recordedAttribute: .shape([3, 2])),
    .init(checks: "reshape to [-1] flattens", operation: .reshape, operands: [a23], attribute: .shape([-1]),
          expected: Tensor(vector: [1, 2, 3, 4, 5, 6]), recordedAttribute: .shape([6])),
    .init(checks: "x[1] drops the axis", operation: .index, operands: [a23], attribute: .index([.position(1)]),
          expected: Tensor(vector: [4, 5, 6]), recordedAttribute: .index([.position(1)])),
    .init(checks: "x[-1, ::2]: negative position and a stepped slice", operation: .index, operands: [a23],
          attribute: .index([.position(-1), .slice(start: nil, stop: nil, step: 2)]), expected: Tensor(vector: [4, 6])),
    .init(checks: "x[:, ::-1] reverses the columns", operation: .index, operands: [a23],
          attribute: .index([.slice(start: nil, stop: nil, step: nil), .slice(start: nil, stop: nil, step: -1)]),
          expected: Tensor(shape: [2, 3], storage: [3, 2, 1, 6, 5, 4])),
    .init(checks: "x[0, 1] is a scalar", operation: .index, operands: [a23], attribute: .index([.position(0), .position(1)]),
          expected: Tensor(scalar: 2)),
]

@Suite("Forward values")
struct ForwardTests {
    @Test("every non-leaf primitive has a forward row", arguments: Operation.allCases.filter { !$0.isLeaf })
    func everyPrimitiveHasAForwardRow(operation: Operation) {
        let covered = elementwiseReferences.contains { $0.operation == operation }
            || structuralForwardCases.contains { $0.operation == operation }
        #expect(covered, "no forward test row for \(operation.primitive.name)")
        if operation.primitive.isElementwise {
            #expect(elementwiseReferences.contains { $0.operation == operation },
                    "\(operation.primitive.name) is elementwise but has no Foundation reference")
        }
    }

    @Test("elementwise forward matches Foundation (scalar and tensor paths)", arguments: elementwiseReferences)
    func elementwiseMatchesFoundation(row: ElementwiseReference) throws {
        let arity = row.operation.primitive.arity
        #expect(row.points.allSatisfy { $0.count == arity })
        // The scalar fast path, one point at a time.
        for point in row.points {
            let graph = Graph()
            let ids = point.enumerated().map { graph.input("v\($0.offset)", $0.element) }
            let node = try graph.apply(row.operation, ids[0], arity > 1 ? ids[1] : nil)
            let expected = row.reference(point[0], arity > 1 ? point[1] : 0)
            #expect(graph.shape(of: node) == [])
            #expect(isClose(graph.scalarValue(of: node), expected, relative: row.tolerance),
                    "\(row.operation.primitive.name)\(point) = \(graph.scalarValue(of: node)), Foundation says \(expected)")
        }
        // The tensor path, all points at once.
        let graph = Graph()
        let columns = (0..<arity).map { operand in Tensor(vector: row.points.map { $0[operand] }) }
        let ids = columns.enumerated().map { graph.input("v\($0.offset)", $0.element) }
        let node = try graph.apply(row.operation, ids[0], arity > 1 ? ids[1] : nil)
        let value = graph.value(of: node)
        #expect(value.shape == [row.points.count])
        for (i, point) in row.points.enumerated() {
            let expected = row.reference(point[0], arity > 1 ? point[1] : 0)
            #expect(isClose(value.storage[i], expected, relative: row.tolerance),
                    "\(row.operation.primitive.name)\(point) as a tensor entry = \(value.storage[i]), Foundation says \(expected)")
        }
    }

    @Test("conventions at edge points: value and local gradients", arguments: conventionCases)
    func conventions(row: ConventionCase) throws {
        #expect(row.operands.count == row.operation.primitive.arity)
        #expect(row.gradients.count == row.operands.count)
        // Scalar path: backward from the node itself.
        let graph = Graph()
        let ids = row.operands.enumerated().map { graph.input("v\($0.offset)", $0.element) }
        let node = try graph.apply(row.operation, ids[0], ids.count > 1 ? ids[1] : nil)
        let value = graph.scalarValue(of: node)
        #expect(!value.isNaN)
        #expect(isClose(value, row.value, relative: row.tolerance), "value \(value), expected \(row.value)")
        try graph.backward(from: node)
        for (operand, id) in ids.enumerated() {
            let gradient = try #require(graph.gradient(of: id)).scalar
            #expect(isClose(gradient, row.gradients[operand], relative: max(row.tolerance, 1e-15)),
                    "∂f/∂operand\(operand) = \(gradient), expected \(row.gradients[operand])")
        }
        // Tensor path: the same point as a [2]-vector (both entries equal), seeded with ones.
        let tensorGraph = Graph()
        let tensorIds = row.operands.enumerated().map { tensorGraph.input("v\($0.offset)", Tensor(vector: [$0.element, $0.element])) }
        let tensorNode = try tensorGraph.apply(row.operation, tensorIds[0], tensorIds.count > 1 ? tensorIds[1] : nil)
        #expect(isClose(tensorGraph.value(of: tensorNode), Tensor(vector: [row.value, row.value]), relative: row.tolerance))
        try tensorGraph.backward(from: tensorNode, seed: Tensor(vector: [1, 1]))
        for (operand, id) in tensorIds.enumerated() {
            let gradient = try #require(tensorGraph.gradient(of: id))
            let expected = Tensor(vector: [row.gradients[operand], row.gradients[operand]])
            #expect(isClose(gradient, expected, relative: max(row.tolerance, 1e-15)), "tensor gradient \(gradient), expected \(expected)")
        }
    }

    @Test("structural forward values", arguments: structuralForwardCases)
    func structural(row: StructuralForwardCase) throws {
        let graph = Graph()
        let ids = row.operands.enumerated().map { graph.input("v\($0.offset)", $0.element) }
        let node = try graph.apply(row.operation, ids[0], ids.count > 1 ? ids[1] : nil, attribute: row.attribute)
        #expect(graph.value(of: node) == row.expected)
        #expect(graph.shape(of: node) == row.expected.shape)
        #expect(graph.operations[node.index] == row.operation)
        if let recorded = row.recordedAttribute {
            #expect(graph.attribute(of: node) == recorded)
        }
    }

    @Test("the op table is in Operation order and named lookups round-trip", arguments: Operation.allCases)
    func tableOrder(operation: Operation) throws {
        #expect(Primitive.table[Int(operation.rawValue)].operation == operation)
        #expect(operation.primitive.operation == operation)
        let named = try #require(Primitive.named(operation.primitive.name))
        #expect(named.operation == operation)
        #expect(operation.isLeaf == (operation.primitive.arity == 0))
    }
}
