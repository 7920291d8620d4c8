import Autograd
import Foundation
import Testing
import TestSupport

// The ergonomic layer (`Variable`) against the graph it records into: every row builds one
// program twice, once with operators and once with `Graph.apply`, and the values and gradients
// must be identical (not close: the same op-table entries compute both).

/// One program written both ways, at the same inputs.
struct VariableCase: Sendable, CustomTestStringConvertible {
    let checks: String
    let inputs: [Tensor]
    /// The program with operators.
    let operators: @Sendable ([Variable]) -> Variable
    /// The same program through `Graph.apply` (and `constant` for numbers).
    let apply: @Sendable (Graph, [NodeID]) throws -> NodeID

    var testDescription: String { checks }
}

private func scalar(_ values: Double...) -> [Tensor] { values.map(Tensor.init(scalar:)) }
private let matrix = Tensor(shape: [2, 3], storage: [0.5, -1, 2, 1.5, 0.25, -0.75])
private let column = Tensor(shape: [3, 2], storage: [1, -2, 0.5, 3, -1, 0.25])

private let variableCases: [VariableCase] = [
    VariableCase(checks: "(x + y) * z, the notes' first circuit", inputs: scalar(-2, 5, -4),
                 operators: { v in (v[0] + v[1]) * v[2] },
                 apply: { g, n in try g.apply(.multiply, g.apply(.add, n[0], n[1]), n[2]) }),
    VariableCase(checks: "x - y / z and negation", inputs: scalar(1.5, -2, 4),
                 operators: { v in -(v[0] - v[1] / v[2]) },
                 apply: { g, n in try g.apply(.negate, g.apply(.subtract, n[0], g.apply(.divide, n[1], n[2]))) }),
    VariableCase(checks: "numbers on either side become constants: 2 * x + 1, 3 - x, 1 / x, x / 4", inputs: scalar(0.7),
                 operators: { v in (2 * v[0] + 1) * (3 - v[0]) + 1 / v[0] - v[0] / 4 },
                 apply: { g, n in
                     let twoX = try g.apply(.multiply, g.constant(2), n[0])
                     let left = try g.apply(.multiply, g.apply(.add, twoX, g.constant(1)), g.apply(.subtract, g.constant(3), n[0]))
                     let sum = try g.apply(.add, left, g.apply(.divide, g.constant(1), n[0]))
                     return try g.apply(.subtract, sum, g.apply(.divide, n[0], g.constant(4)))
                 }),
    VariableCase(checks: "exp, log, tanh, sigmoid, sqrt as functions and methods", inputs: scalar(0.8),
                 operators: { v in exp(v[0]) + log(v[0]) + tanh(v[0]) + sigmoid(v[0]) * sqrt(v[0]) },
                 apply: { g, n in
                     let a = try g.apply(.add, g.apply(.exp, n[0]), g.apply(.log, n[0]))
                     let b = try g.apply(.add, a, g.apply(.tanh, n[0]))
                     return try g.apply(.add, b, g.apply(.multiply, g.apply(.sigmoid, n[0]), g.apply(.sqrt, n[0])))
                 }),
    VariableCase(checks: "relu on both sides of 0, leaky relu, abs, softplus", inputs: scalar(-1.5, 2),
                 operators: { v in v[0].relu() + v[1].relu() + v[0].leakyRelu(slope: 0.1) + v[0].magnitude() + v[1].softplus() },
                 apply: { g, n in
                     let a = try g.apply(.add, g.apply(.relu, n[0]), g.apply(.relu, n[1]))
                     let b = try g.apply(.add, a, g.apply(.leakyRelu, n[0], g.constant(0.1)))
                     return try g.apply(.add, g.apply(.add, b, g.apply(.abs, n[0])), g.apply(.softplus, n[1]))
                 }),
    VariableCase(checks: "powers: x^3 with a constant exponent, x^y with a variable one", inputs: scalar(1.7, -0.5),
                 operators: { v in pow(v[0], 3) + v[0].power(v[1]) },
                 apply: { g, n in try g.apply(.add, g.apply(.power, n[0], g.constant(3)), g.apply(.power, n[0], n[1])) }),
    VariableCase(checks: "max and min, and a reused node (x * x) whose gradients add up", inputs: scalar(3, -1),
                 operators: { v in v[0].maximum(v[1]) * v[0].minimum(v[1]) + v[0] * v[0] },
                 apply: { g, n in
                     try g.apply(.add, g.apply(.multiply, g.apply(.maximum, n[0], n[1]), g.apply(.minimum, n[0], n[1])),
                                 g.apply(.multiply, n[0], n[0]))
                 }),
    VariableCase(checks: "+= and *= move the handle along a chain", inputs: scalar(0.3, 2),
                 operators: { v in
                     var total = v[0]
                     total += v[1]
                     total *= v[1]
                     total -= v[0]
                     total /= v[1]
                     return total
                 },
                 apply: { g, n in
                     try g.apply(.divide, g.apply(.subtract, g.apply(.multiply, g.apply(.add, n[0], n[1]), n[1]), n[0]), n[1])
                 }),
    VariableCase(checks: "a collection's sum(): micrograd's sum, left to right", inputs: scalar(1, 2, 3),
                 operators: { v in (v.map { $0 * $0 }).sum() },
                 apply: { g, n in
                     let squares = try n.map { try g.apply(.multiply, $0, $0) }
                     return try g.apply(.add, g.apply(.add, squares[0], squares[1]), squares[2])
                 }),
    VariableCase(checks: "matmul, transposed, sum", inputs: [matrix, column],
                 operators: { v in (matmul(v[0], v[1]) + v[1].transposed().matmul(v[0].transposed())).sum() },
                 apply: { g, n in
                     let product = try g.apply(.matmul, n[0], n[1])
                     let other = try g.apply(.matmul, g.apply(.transpose, n[1]), g.apply(.transpose, n[0]))
                     return try g.apply(.sum, g.apply(.add, product, other))
                 }),
    VariableCase(checks: "broadcasting a [3] row over [2, 3], sum along an axis, mean", inputs: [matrix, Tensor(vector: [1, 2, 3])],
                 operators: { v in (v[0] * v[1]).sum(alongAxis: -1).mean() + (v[0] - v[1]).mean(alongAxis: 0).sum() },
                 apply: { g, n in
                     let rows = try g.apply(.mean, g.apply(.sum, g.apply(.multiply, n[0], n[1]), attribute: .axis(-1)))
                     let columns = try g.apply(.sum, g.apply(.mean, g.apply(.subtract, n[0], n[1]), attribute: .axis(0)))
                     return try g.apply(.add, rows, columns)
                 }),
    VariableCase(checks: "reshaped with -1 and log-softmax", inputs: [matrix],
                 operators: { v in (v[0].reshaped([3, -1]).logSoftmax() * v[0].reshaped([3, 2])).sum() },
                 apply: { g, n in
                     let reshaped = try g.apply(.reshape, n[0], attribute: .shape([3, -1]))
                     let scores = try g.apply(.logSoftmax, reshaped)
                     return try g.apply(.sum, g.apply(.multiply, scores, g.apply(.reshape, n[0], attribute: .shape([3, 2]))))
                 }),
]

@Suite("Variable: operators over the graph")
struct VariableTests {
    @Test("values and gradients are the graph's own", arguments: variableCases)
    func sameAsGraph(row: VariableCase) throws {
        let graph = Graph()
        let variables = row.inputs.enumerated().map { Variable("x\($0.offset)", $0.element, in: graph) }
        let output = row.operators(variables)
        try output.backward()

        let reference = Graph()
        let nodes = row.inputs.enumerated().map { reference.input("x\($0.offset)", $0.element) }
        let expected = try row.apply(reference, nodes)
        try reference.backward(from: expected)

        #expect(output.value == reference.value(of: expected))
        for (variable, node) in zip(variables, nodes) {
            #expect(variable.gradient == reference.gradient(of: node), "∂/∂\(variable)")
        }
        // The same nodes, in the same order: the operators add nothing the program did not ask for.
        #expect(graph.operations == reference.operations)
    }

    @Test("negative control: a different program gives different gradients, and the comparison sees it")
    func negativeControl() throws {
        let graph = Graph(), reference = Graph()
        let x = Variable("x", 3, in: graph), y = Variable("y", 4, in: graph)
        try (x * y).backward()
        let (a, b) = (reference.input("x", 3), reference.input("y", 4))
        try reference.backward(from: reference.apply(.add, a, b))
        #expect(x.gradient != reference.gradient(of: a))
    }

    @Test("f = (x + y) z at (-2, 5, -4): the notes' numbers")
    func notesExample() throws {
        let example = Fixtures.sumTimes
        let graph = Graph()
        let inputs = example.inputs.map { Variable($0.name, $0.value, in: graph) }
        let f = (inputs[0] + inputs[1]) * inputs[2]
        try f.backward()
        #expect(f.value.scalar == example.output)
        #expect(inputs.map(\.gradient.scalar) == example.inputGradients.map(\.value))
        #expect(inputs.map(\.description) == ["x", "y", "z"])
        // What the README's and Variable's examples say `print` shows.
        #expect("\(f.value) \(inputs[0].gradient) \(inputs[1].gradient) \(inputs[2].gradient)" == "-12 -4 -4 3")
    }

    @Test("an input the output does not use, and a constant, have gradient 0 of their shape")
    func unusedGradientIsZero() throws {
        let graph = Graph()
        let x = Variable("x", 2, in: graph)
        let unused = Variable("u", Tensor(vector: [1, 2]), in: graph)
        let c = Variable(constant: 5, in: graph)
        try (x * c).backward()
        #expect(x.gradient == Tensor(scalar: 5))
        #expect(unused.gradient == Tensor.zeros([2]))
        #expect(c.gradient == Tensor(scalar: 0))
    }

    @Test("named(_:) names the node for traces and diagrams")
    func naming() {
        let graph = Graph()
        let q = (Variable("x", 1, in: graph) + Variable("y", 2, in: graph)).named("q")
        #expect(graph.name(of: q.node) == "q" && q.description == "q")
    }

    @Test("applying(_:_:attribute:) throws the engine's error and records nothing")
    func applyingThrows() {
        let graph = Graph()
        let a = Variable("a", Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]), in: graph)
        let before = graph.count
        #expect(throws: AutogradError.shapeMismatch(operation: "@", left: [2, 3], right: [2, 3])) { try a.applying(.matmul, a) }
        #expect(graph.count == before)
    }

    @Test("backward twice and a non-scalar output throw, as the graph does")
    func backwardErrors() throws {
        let graph = Graph()
        let v = Variable("v", Tensor(vector: [1, 2]), in: graph)
        let doubled = v * 2
        #expect(throws: AutogradError.nonScalarOutput(shape: [2])) { try doubled.backward() }
        try doubled.backward(seed: Tensor(vector: [1, 1]))
        #expect(v.gradient == Tensor(vector: [2, 2]))
        #expect(throws: AutogradError.backwardTwice) { try doubled.backward(seed: Tensor(vector: [1, 1])) }
    }
}
