import Autograd
import Testing
import TestSupport

// 5. Every way the engine refuses an operation or a backward pass, with the exact error.

/// A program that must fail, and the error it must fail with.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    let checks: String
    let error: AutogradError
    /// Records leaves, then attempts the failing step (and nothing after it).
    let attempt: @Sendable (Graph) throws -> Void
    /// Whether the failing step is an `apply` (which must then record no node).
    var isApply = true
    var testDescription: String { checks }
}

private func t(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map(Double.init))
}

/// Records `x` of `shape` and applies `operation` with `attribute`.
private func unaryError(_ checks: String, _ operation: Operation, _ shape: [Int], _ attribute: OperationAttribute?,
                        _ error: AutogradError) -> ErrorCase {
    ErrorCase(checks: checks, error: error) { graph in
        let x = graph.input("x", t(shape))
        try graph.apply(operation, x, attribute: attribute)
    }
}

/// Records `x` and `y` of the given shapes and applies the binary `operation`.
private func binaryError(_ checks: String, _ operation: Operation, _ left: [Int], _ right: [Int],
                         _ error: AutogradError) -> ErrorCase {
    ErrorCase(checks: checks, error: error) { graph in
        let x = graph.input("x", t(left)), y = graph.input("y", t(right))
        try graph.apply(operation, x, y)
    }
}

let errorCases: [ErrorCase] = [
    // Shapes that do not broadcast, named with both shapes and the operator.
    binaryError("[2,3] + [4] does not broadcast", .add, [2, 3], [4],
                .shapeMismatch(operation: "+", left: [2, 3], right: [4])),
    binaryError("[2,3] * [3,2] does not broadcast", .multiply, [2, 3], [3, 2],
                .shapeMismatch(operation: "*", left: [2, 3], right: [3, 2])),
    binaryError("[3] max [2] does not broadcast", .maximum, [3], [2],
                .shapeMismatch(operation: "max", left: [3], right: [2])),
    // Matrix products whose inner sizes or ranks do not fit.
    binaryError("[2,3] @ [2,3]: inner sizes 3 and 2", .matmul, [2, 3], [2, 3],
                .shapeMismatch(operation: "@", left: [2, 3], right: [2, 3])),
    binaryError("[3] @ [4]: vector lengths differ", .matmul, [3], [4],
                .shapeMismatch(operation: "@", left: [3], right: [4])),
    binaryError("[2,3] @ [2]: matrix-vector inner mismatch", .matmul, [2, 3], [2],
                .shapeMismatch(operation: "@", left: [2, 3], right: [2])),
    binaryError("scalar @ [2]: rank 0 is not a matrix", .matmul, [], [2],
                .shapeMismatch(operation: "@", left: [], right: [2])),
    binaryError("[2,2,2] @ [3,2,2]: batch axes that do not broadcast", .matmul, [2, 2, 2], [3, 2, 2],
                .shapeMismatch(operation: "@", left: [2, 2, 2], right: [3, 2, 2])),
    // Axes out of range.
    unaryError("sum along axis 2 of [2,3]", .sum, [2, 3], .axis(2),
               .invalidOperand(operation: "sum", reason: "axis 2 is out of range for shape [2, 3]")),
    unaryError("mean along axis -3 of [2,3]", .mean, [2, 3], .axis(-3),
               .invalidOperand(operation: "mean", reason: "axis -3 is out of range for shape [2, 3]")),
    // A scalar is a 0-d tensor: axes 0 and -1 are allowed (PyTorch), 1 is not.
    unaryError("sum along axis 1 of a scalar", .sum, [], .axis(1),
               .invalidOperand(operation: "sum", reason: "axis 1 is out of range for shape []")),
    // Reshapes that cannot keep the entries.
    unaryError("reshape [2,3] to [4]", .reshape, [2, 3], .shape([4]),
               .invalidOperand(operation: "reshape", reason: "cannot reshape [2, 3] (6 entries) to [4]")),
    unaryError("reshape [2,3] to [4,-1]: -1 cannot fill it", .reshape, [2, 3], .shape([4, -1]),
               .invalidOperand(operation: "reshape", reason: "cannot reshape [2, 3] (6 entries) to [4, -1]")),
    unaryError("reshape with two -1s", .reshape, [2, 3], .shape([-1, -1]),
               .invalidOperand(operation: "reshape", reason: "invalid shape [-1, -1]")),
    unaryError("reshape to a negative size", .reshape, [2, 3], .shape([-2, -3]),
               .invalidOperand(operation: "reshape", reason: "invalid shape [-2, -3]")),
    unaryError("reshape to [0,-1] of a non-empty tensor", .reshape, [2, 3], .shape([0, -1]),
               .invalidOperand(operation: "reshape", reason: "invalid shape [0, -1]")),
    unaryError("reshape without a shape", .reshape, [2, 3], nil,
               .invalidOperand(operation: "reshape", reason: "the new shape must keep the number of entries")),
    // Indices that do not fit.
    unaryError("x[3] of a [3]", .index, [3], .index([.position(3)]),
               .invalidOperand(operation: "index", reason: "index 3 is out of range for axis 0 of size 3")),
    unaryError("x[-4] of a [3]", .index, [3], .index([.position(-4)]),
               .invalidOperand(operation: "index", reason: "index -4 is out of range for axis 0 of size 3")),
    unaryError("x[0, 5] of a [2,3]: second axis", .index, [2, 3], .index([.position(0), .position(5)]),
               .invalidOperand(operation: "index", reason: "index 5 is out of range for axis 1 of size 3")),
    unaryError("three indices for a [2,3]", .index, [2, 3], .index([.position(0), .position(0), .position(0)]),
               .invalidOperand(operation: "index", reason: "too many indices (3) for shape [2, 3]")),
    unaryError("a slice step of 0", .index, [3], .index([.slice(start: nil, stop: nil, step: 0)]),
               .invalidOperand(operation: "index", reason: "slice step cannot be 0")),
    unaryError("index without components", .index, [3], nil,
               .invalidOperand(operation: "index", reason: "no index given")),
    // Wrong numbers of inputs, on the scalar fast path and on tensors.
    ErrorCase(checks: "add with one scalar input", error: .wrongArity(operation: "add", expected: 2, got: 1)) { graph in
        try graph.apply(.add, graph.input("x", 1))
    },
    ErrorCase(checks: "tanh with two scalar inputs", error: .wrongArity(operation: "tanh", expected: 1, got: 2)) { graph in
        try graph.apply(.tanh, graph.input("x", 1), graph.input("y", 2))
    },
    ErrorCase(checks: "multiply with one tensor input", error: .wrongArity(operation: "multiply", expected: 2, got: 1)) { graph in
        try graph.apply(.multiply, graph.input("x", t([2])))
    },
    ErrorCase(checks: "matmul with one input", error: .wrongArity(operation: "matmul", expected: 2, got: 1)) { graph in
        try graph.apply(.matmul, graph.input("x", t([2, 2])))
    },
    ErrorCase(checks: "transpose with two inputs", error: .wrongArity(operation: "transpose", expected: 1, got: 2)) { graph in
        try graph.apply(.transpose, graph.input("x", t([2, 2])), graph.input("y", t([2, 2])))
    },
    ErrorCase(checks: "a leaf applied like an operation", error: .wrongArity(operation: "input", expected: 0, got: 1)) { graph in
        try graph.apply(.input, graph.input("x", 1))
    },
    // Backward refusals.
    ErrorCase(checks: "backward twice", error: .backwardTwice, attempt: { graph in
        let f = try graph.apply(.multiply, graph.input("x", 2), graph.input("y", 3))
        try graph.backward(from: f)
        try graph.backward(from: f)
    }, isApply: false),
    ErrorCase(checks: "backward from a [2,3] output without a seed", error: .nonScalarOutput(shape: [2, 3]), attempt: { graph in
        let f = try graph.apply(.tanh, graph.input("x", t([2, 3])))
        try graph.backward(from: f)
    }, isApply: false),
    ErrorCase(checks: "a seed shaped [3,2] for a [2,3] output", error: .seedShapeMismatch(expected: [2, 3], got: [3, 2]),
              attempt: { graph in
        let f = try graph.apply(.tanh, graph.input("x", t([2, 3])))
        try graph.backward(from: f, seed: t([3, 2]))
    }, isApply: false),
    ErrorCase(checks: "a [1] seed for a scalar output", error: .seedShapeMismatch(expected: [], got: [1]), attempt: { graph in
        let f = try graph.apply(.exp, graph.input("x", 1))
        try graph.backward(from: f, seed: Tensor(vector: [1]))
    }, isApply: false),
]

@Suite("Errors")
struct ErrorTests {
    @Test("each refusal throws the exact error", arguments: errorCases)
    func refusal(row: ErrorCase) throws {
        let graph = Graph()
        let error = #expect(throws: AutogradError.self) { try row.attempt(graph) }
        #expect(error == row.error, "got \(String(describing: error))")
        if row.isApply {
            // A refused apply records nothing: the graph holds only the leaves the row created.
            #expect(graph.count > 0 && graph.operations.allSatisfy(\.isLeaf), "a failed apply recorded a node")
        }
        // Every message is one non-empty sentence.
        #expect(error.map { !$0.description.isEmpty } == true)
    }

    @Test("a failed backward leaves the graph usable")
    func backwardAfterRefusal() throws {
        let graph = Graph()
        let x = graph.input("x", Tensor(vector: [1, 2]))
        let f = try graph.apply(.multiply, x, x)
        #expect(throws: AutogradError.nonScalarOutput(shape: [2])) { try graph.backward(from: f) }
        #expect(throws: AutogradError.seedShapeMismatch(expected: [2], got: [])) { try graph.backward(from: f, seed: Tensor(scalar: 1)) }
        #expect(graph.gradient(of: x) == nil)
        try graph.backward(from: f, seed: Tensor(vector: [1, 10]))
        #expect(graph.gradient(of: x) == Tensor(vector: [2, 40]))
    }

    @Test("messages name both shapes and say what to do",
          arguments: [
            (AutogradError.shapeMismatch(operation: "+", left: [2, 3], right: [4]),
             "shape mismatch in '+': [2, 3] and [4] (the shapes must be equal or broadcast)"),
            (.shapeMismatch(operation: "@", left: [2, 3], right: [2, 3]),
             "shape mismatch in '@': [2, 3] and [2, 3] (the inner sizes must agree)"),
            (.wrongArity(operation: "tanh", expected: 1, got: 2), "tanh takes 1 argument, got 2"),
            (.wrongArity(operation: "add", expected: 2, got: 1), "add takes 2 arguments, got 1"),
            (.nonScalarOutput(shape: [2, 3]),
             "the output has shape [2, 3]; backward needs a scalar output or a seed gradient (reduce it with sum(...) or mean(...))"),
            (.seedShapeMismatch(expected: [2, 3], got: [3, 2]), "the seed gradient has shape [3, 2] but the output has shape [2, 3]"),
            (.invalidOperand(operation: "sum", reason: "axis 2 is out of range for shape [2, 3]"),
             "sum: axis 2 is out of range for shape [2, 3]"),
          ])
    func message(row: (error: AutogradError, text: String)) {
        #expect(row.error.description == row.text)
    }
}
