import Autograd
import Expressions
import Foundation
import Testing

// The programs of issue 27 item 3 that PyTorch computes, through the language: each figure is
// PyTorch's, derived from its autograd formulas (torch was not installed; see
// Tests/AutogradTests/ConstantsTests.swift): x ^ (1 + 1) at −2 → 4, ∂f/∂x = −4;
// x * sqrt(0 * 1) at 1 → 0, ∂f/∂x = 0; sum(sqrt(relu(x))) at [−1, 4] → 2, ∂f/∂x = [0, 0.25];
// log_softmax of a 0-d tensor → 0, gradient 0.

@Suite("Programs on constants and 0-d tensors")
struct ConstantProgramTests {
    static func run(_ source: String, _ at: String) throws -> (value: Tensor, gradient: Tensor?, program: Program) {
        let program = try Expressions.evaluate(source, options: .init(inputs: try InputValues.parse(at)))
        let graph = program.graph
        try graph.backward(from: program.output)
        let x = try #require(program.inputs.first { $0.name == "x" }).node
        return (graph.value(of: program.output), graph.gradient(of: x), program)
    }

    @Test("PyTorch's figures", arguments: [
        ("f = x ^ (1 + 1)", "x=-2", Tensor(scalar: 4), Tensor(scalar: -4)),
        ("f = x * sqrt(0 * 1)", "x=1", Tensor(scalar: 0), Tensor(scalar: 0)),
        ("f = sum(sqrt(relu(x)))", "x=[-1, 4]", Tensor(scalar: 2), Tensor(shape: [2], storage: [0, 0.25])),
        ("f = log_softmax(x)", "x=2", Tensor(scalar: 0), Tensor(scalar: 0)),
        ("f = sum(x, 0) * mean(x, -1)", "x=3", Tensor(scalar: 9), Tensor(scalar: 6)),
        ("f = x * max(0 - 1, 2 * 0)", "x=5", Tensor(scalar: 0), Tensor(scalar: 0)),
    ])
    func pytorchFigures(source: String, at: String, value: Tensor, gradient: Tensor) throws {
        let (computed, grad, program) = try Self.run(source, at)
        #expect(computed == value)
        #expect(grad == gradient)
        #expect(program.graph.firstNonFiniteInputGradient == nil)
    }

    @Test("a subexpression on constants only requires no gradient and gets none")
    func constantSubexpression() throws {
        let (_, _, program) = try Self.run("q = 1 + 1\nf = x ^ q", "x=-2")
        let graph = program.graph
        let q = try #require(graph.nodes.first { graph.name(of: $0) == "q" })
        #expect(!graph.requiresGradient(q))
        #expect(graph.gradient(of: q) == nil)
        #expect(graph.requiresGradient(program.output))
    }
}
