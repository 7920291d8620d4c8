import Autograd
import Diagrams
import Expressions
import TestSupport

/// The programs the diagram tests draw, each evaluated (and by default differentiated) into a trace.
struct DiagramExample: Sendable, CustomStringConvertible {
    /// The golden file's base name (`001-sum-times`).
    let name: String
    /// The program text.
    let source: String
    /// The inputs' values, in order.
    let inputs: [(name: String, value: Tensor)]
    /// Names among the inputs to record as parameters.
    var parameters: Set<String> = []
    /// Whether to run backward before taking the trace.
    var runsBackward = true
    /// The options to draw with.
    var options = DiagramOptions()

    var description: String { name }

    /// Evaluates the program and takes its trace (after backward unless `runsBackward` is false).
    func trace() throws -> Trace {
        let program = try Expressions.evaluate(source, options: .init(inputs: inputs, parameters: parameters))
        if runsBackward { try program.graph.backward(from: program.output) }
        return program.graph.trace()
    }
}

extension DiagramExample {
    /// The notes' (001) circuit f = (x + y)·z at x = −2, y = 5, z = −4.
    static let sumTimes = DiagramExample(
        name: "001-sum-times", source: Fixtures.sumTimes.source,
        inputs: Fixtures.sumTimes.inputs.map { ($0.name, Tensor(scalar: $0.value)) })
    /// The notes' (004) neuron f = w·x + b at w = −2, x = 5, b = 3, with w and b as parameters.
    static let neuron = DiagramExample(
        name: "004-neuron", source: Fixtures.neuron.source,
        inputs: Fixtures.neuron.inputs.map { ($0.name, Tensor(scalar: $0.value)) }, parameters: ["w", "b"])
    /// A value used three times: ∂f/∂x = x + x + 1 = 7 at x = 3.
    static let fanOut = DiagramExample(
        name: "fan-out", source: "f = x * x + x", inputs: [("x", Tensor(scalar: 3))])
    /// Tensors: f = sum(tanh(W @ x)) with W = [[1, 2], [3, 4]] (a parameter) and x = [1, −1].
    static let tensor = DiagramExample(
        name: "tensor", source: "f = sum(tanh(W @ x))",
        inputs: [("W", Tensor(shape: [2, 2], storage: [1, 2, 3, 4])), ("x", Tensor(vector: [1, -1]))],
        parameters: ["W"])
    /// The 001 circuit before backward: every gradient is `?`.
    static let forwardOnly = DiagramExample(
        name: "001-forward-only", source: Fixtures.sumTimes.source,
        inputs: Fixtures.sumTimes.inputs.map { ($0.name, Tensor(scalar: $0.value)) }, runsBackward: false)

    /// Every example with a golden DOT file.
    static let all: [DiagramExample] = [sumTimes, neuron, fanOut, tensor, forwardOnly]
}
