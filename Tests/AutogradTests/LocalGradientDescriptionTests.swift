import Autograd
import Testing
import TestSupport

// 3. The op table's local-gradient descriptions, and how a trace writes them with the program's names.

/// One op-table entry as the notes write it.
struct TableRow: Sendable, CustomTestStringConvertible {
    let operation: Operation
    let name: String
    let symbol: String
    let localGradient: [String]
    var testDescription: String { name }
}

/// Every entry, written out (no loop over `allCases`), so an edited or added description shows up here.
let tableRows: [TableRow] = [
    .init(operation: .input, name: "input", symbol: "input", localGradient: []),
    .init(operation: .parameter, name: "parameter", symbol: "parameter", localGradient: []),
    .init(operation: .constant, name: "constant", symbol: "constant", localGradient: []),
    .init(operation: .add, name: "add", symbol: "+", localGradient: ["1", "1"]),
    .init(operation: .subtract, name: "subtract", symbol: "−", localGradient: ["1", "−1"]),
    .init(operation: .multiply, name: "multiply", symbol: "*", localGradient: ["y", "x"]),
    .init(operation: .divide, name: "divide", symbol: "/", localGradient: ["1/y", "−x/y²"]),
    .init(operation: .power, name: "power", symbol: "^", localGradient: ["y·x^(y−1)", "x^y·ln(x)"]),
    .init(operation: .minimum, name: "min", symbol: "min",
          localGradient: ["1 if x < y, ½ on a tie, else 0", "1 if y < x, ½ on a tie, else 0"]),
    .init(operation: .maximum, name: "max", symbol: "max",
          localGradient: ["1 if x > y, ½ on a tie, else 0", "1 if y > x, ½ on a tie, else 0"]),
    .init(operation: .leakyRelu, name: "leaky_relu", symbol: "leaky_relu", localGradient: ["1 if x > 0 else y", "0 if x > 0 else x"]),
    .init(operation: .negate, name: "negate", symbol: "−", localGradient: ["−1"]),
    .init(operation: .exp, name: "exp", symbol: "exp", localGradient: ["exp(x)"]),
    .init(operation: .log, name: "log", symbol: "log", localGradient: ["1/x"]),
    .init(operation: .sqrt, name: "sqrt", symbol: "sqrt", localGradient: ["1/(2·sqrt(x))"]),
    .init(operation: .sin, name: "sin", symbol: "sin", localGradient: ["cos(x)"]),
    .init(operation: .cos, name: "cos", symbol: "cos", localGradient: ["−sin(x)"]),
    .init(operation: .tanh, name: "tanh", symbol: "tanh", localGradient: ["1 − tanh²(x)"]),
    .init(operation: .sigmoid, name: "sigmoid", symbol: "σ", localGradient: ["σ(x)·(1 − σ(x))"]),
    .init(operation: .relu, name: "relu", symbol: "relu", localGradient: ["1 if x > 0 else 0"]),
    .init(operation: .abs, name: "abs", symbol: "abs", localGradient: ["sign(x)"]),
    .init(operation: .step, name: "step", symbol: "step", localGradient: ["0"]),
    .init(operation: .softplus, name: "softplus", symbol: "softplus", localGradient: ["σ(x)"]),
    .init(operation: .matmul, name: "matmul", symbol: "@", localGradient: ["upstream @ yᵀ", "xᵀ @ upstream"]),
    .init(operation: .transpose, name: "transpose", symbol: "ᵀ", localGradient: ["transpose of upstream"]),
    .init(operation: .sum, name: "sum", symbol: "sum", localGradient: ["1 for every entry (upstream copied back)"]),
    .init(operation: .mean, name: "mean", symbol: "mean", localGradient: ["1/n for every entry"]),
    .init(operation: .reshape, name: "reshape", symbol: "reshape", localGradient: ["upstream reshaped back"]),
    .init(operation: .index, name: "index", symbol: "[]", localGradient: ["upstream scattered back into the selected entries"]),
    .init(operation: .logSoftmax, name: "log_softmax", symbol: "log_softmax", localGradient: ["upstream − softmax(x) · Σ upstream (along dim)"]),
    .init(operation: .conv2d, name: "conv2d", symbol: "conv2d", localGradient: ["upstream correlated back through the filters (col2im of yᵀ @ upstream)", "upstream @ windows of x (im2col)ᵀ"]),
    .init(operation: .maxPool2d, name: "max_pool2d", symbol: "maxpool", localGradient: ["upstream routed to each window's argmax"]),
    .init(operation: .avgPool2d, name: "avg_pool2d", symbol: "avgpool", localGradient: ["upstream / K² to every entry of its window"]),
    .init(operation: .softmax, name: "softmax", symbol: "softmax", localGradient: ["softmax(x) · (upstream − Σ upstream · softmax(x)) (along dim)"]),
    .init(operation: .amax, name: "amax", symbol: "amax", localGradient: ["upstream split evenly among the largest entries"]),
    .init(operation: .amin, name: "amin", symbol: "amin", localGradient: ["upstream split evenly among the smallest entries"]),
    .init(operation: .logsumexp, name: "logsumexp", symbol: "logsumexp", localGradient: ["exp(x − f), the softmax (along dim)"]),
    .init(operation: .permute, name: "permute", symbol: "permute", localGradient: ["upstream with the axes put back"]),
    .init(operation: .gelu, name: "gelu", symbol: "gelu", localGradient: ["Φ(x) + x·φ(x)"]),
    .init(operation: .silu, name: "silu", symbol: "silu", localGradient: ["σ(x)·(1 + x·(1 − σ(x)))"]),
    .init(operation: .elu, name: "elu", symbol: "elu", localGradient: ["1 if x > 0 else exp(x)"]),
    .init(operation: .log1p, name: "log1p", symbol: "log1p", localGradient: ["1/(1 + x)"]),
    .init(operation: .expm1, name: "expm1", symbol: "expm1", localGradient: ["exp(x)"]),
    .init(operation: .erf, name: "erf", symbol: "erf", localGradient: ["2/√π·exp(−x²)"]),
    .init(operation: .tan, name: "tan", symbol: "tan", localGradient: ["1 + tan²(x)"]),
    .init(operation: .greater, name: "gt", symbol: ">", localGradient: ["0", "0"]),
    .init(operation: .less, name: "lt", symbol: "<", localGradient: ["0", "0"]),
    .init(operation: .greaterEqual, name: "ge", symbol: "≥", localGradient: ["0", "0"]),
    .init(operation: .lessEqual, name: "le", symbol: "≤", localGradient: ["0", "0"]),
    .init(operation: .equal, name: "eq", symbol: "==", localGradient: ["0", "0"]),
    .init(operation: .notEqual, name: "ne", symbol: "≠", localGradient: ["0", "0"]),
    .init(operation: .clampMin, name: "clamp_min", symbol: "clamp_min", localGradient: ["1 if x ≥ y else 0", "1 if x < y else 0"]),
    .init(operation: .clampMax, name: "clamp_max", symbol: "clamp_max", localGradient: ["1 if x ≤ y else 0", "1 if x > y else 0"]),
    .init(operation: .masked, name: "masked", symbol: "where", localGradient: ["1 where y ≠ 0, else 0", "0 (a condition)"]),
    .init(operation: .concatenate, name: "cat", symbol: "cat", localGradient: ["upstream's part for x", "upstream's part for y"]),
    .init(operation: .nllLoss, name: "nll_loss", symbol: "nll_loss", localGradient: ["−upstream/N at each target class, 0 elsewhere", "0 (class indices)"]),
]

/// A small program, and the description a trace gives one of its edges.
struct EdgeDescriptionCase: Sendable, CustomTestStringConvertible {
    let checks: String
    /// Records the program; returns the output.
    let build: @Sendable (Graph) throws -> NodeID
    /// The edge's (from, to) labels, and the statement the trace should write on it.
    let from: String
    let to: String
    let description: String
    var testDescription: String { checks }
}

private func named(_ graph: Graph, _ name: String, _ node: NodeID) -> NodeID {
    graph.setName(name, for: node)
    return node
}

let edgeDescriptionCases: [EdgeDescriptionCase] = {
    let sumTimes: @Sendable (Graph) throws -> NodeID = { graph in try Fixtures.sumTimes.build(in: graph).output }
    let divide: @Sendable (Graph) throws -> NodeID = { graph in
        let a = graph.input("a", 3), b = graph.input("b", -2)
        return named(graph, "f", try graph.apply(.divide, a, b))
    }
    let matmul: @Sendable (Graph) throws -> NodeID = { graph in
        let w = graph.input("W", Tensor(shape: [2, 2], storage: [1, 2, 3, 4])), v = graph.input("v", Tensor(vector: [1, -1]))
        return named(graph, "h", try graph.apply(.matmul, w, v))
    }
    return [
        .init(checks: "f = q * z: multiply's [\"y\", \"x\"] reads ∂f/∂q = z", build: sumTimes, from: "q", to: "f", description: "∂f/∂q = z"),
        .init(checks: "f = q * z: and ∂f/∂z = q", build: sumTimes, from: "z", to: "f", description: "∂f/∂z = q"),
        .init(checks: "q = x + y: ∂q/∂x = 1", build: sumTimes, from: "x", to: "q", description: "∂q/∂x = 1"),
        .init(checks: "o = tanh(n): the result's names replace x", build: { graph in
            named(graph, "o", try graph.apply(.tanh, graph.input("n", 0.5)))
        }, from: "n", to: "o", description: "∂o/∂n = 1 − tanh²(n)"),
        .init(checks: "f = a / b: x and y both replaced in 1/y", build: divide, from: "a", to: "f", description: "∂f/∂a = 1/b"),
        .init(checks: "f = a / b: y replaced before a superscript (−x/y²)", build: divide, from: "b", to: "f", description: "∂f/∂b = −a/b²"),
        .init(checks: "f = x * (-2): a negative constant is parenthesised", build: { graph in
            named(graph, "f", try graph.apply(.multiply, graph.input("x", 3), graph.constant(-2)))
        }, from: "x", to: "f", description: "∂f/∂x = (-2)"),
        .init(checks: "f = t ^ 3: constants are labelled by value", build: { graph in
            named(graph, "f", try graph.apply(.power, graph.input("t", 2), graph.constant(3)))
        }, from: "t", to: "f", description: "∂f/∂t = 3·t^(3−1)"),
        .init(checks: "s = sigmoid(u)", build: { graph in
            named(graph, "s", try graph.apply(.sigmoid, graph.input("u", 0)))
        }, from: "u", to: "s", description: "∂s/∂u = σ(u)·(1 − σ(u))"),
        .init(checks: "r = leaky_relu(u, alpha): y replaced by the slope's name", build: { graph in
            named(graph, "r", try graph.apply(.leakyRelu, graph.input("u", -1), graph.input("alpha", 0.1)))
        }, from: "u", to: "r", description: "∂r/∂u = 1 if u > 0 else alpha"),
        .init(checks: "h = W @ v: y replaced before ᵀ", build: matmul, from: "W", to: "h", description: "∂h/∂W = upstream @ vᵀ"),
        .init(checks: "h = W @ v: x replaced before ᵀ", build: matmul, from: "v", to: "h", description: "∂h/∂v = Wᵀ @ upstream"),
        .init(checks: "an unnamed result is n<id>", build: { graph in
            try graph.apply(.exp, graph.input("x", 1))
        }, from: "x", to: "n1", description: "∂n1/∂x = exp(x)"),
    ]
}()

@Suite("Local-gradient descriptions")
struct LocalGradientDescriptionTests {
    @Test("every operation has a table row here", arguments: Operation.allCases)
    func everyOperationHasARow(operation: Operation) {
        #expect(tableRows.filter { $0.operation == operation }.count == 1, "\(operation) needs exactly one row")
    }

    @Test("op-table entries", arguments: tableRows)
    func entry(row: TableRow) {
        let primitive = row.operation.primitive
        #expect(primitive.operation == row.operation)
        #expect(primitive.name == row.name)
        #expect(primitive.symbol == row.symbol)
        #expect(primitive.localGradient == row.localGradient)
    }

    @Test("one description per input", arguments: Operation.allCases)
    func onePerInput(operation: Operation) {
        let primitive = operation.primitive
        #expect(primitive.arity == primitive.localGradient.count)
        #expect(primitive.localGradient.allSatisfy { !$0.isEmpty })
        #expect(operation.isLeaf ? primitive.arity == 0 : (1...2).contains(primitive.arity))
    }

    @Test("a trace writes each edge's local gradient with the program's names", arguments: edgeDescriptionCases)
    func traceEdge(row: EdgeDescriptionCase) throws {
        let graph = Graph()
        _ = try row.build(graph)
        let trace = graph.trace()
        let label = { (node: Int) in trace.nodes[node].label }
        let edge = try #require(trace.edges.first { label($0.from) == row.from && label($0.to) == row.to },
                                "no edge \(row.from) → \(row.to)")
        #expect(edge.localGradient.description == row.description)
        #expect(edge.localGradient.description == "∂\(row.to)/∂\(row.from) = \(edge.localGradient.formula)")
    }

    @Test("substitute replaces whole words only",
          arguments: [
            (template: "y·x^(y−1)", operands: ["a", "b"], result: "f", expected: "b·a^(b−1)"),
            (template: "exp(x)", operands: ["xx"], result: "f", expected: "exp(xx)"),
            (template: "x + xy + f", operands: ["p", "q"], result: "out", expected: "p + xy + out"),
            (template: "1 − tanh²(x)", operands: ["-2"], result: "f", expected: "1 − tanh²((-2))"),
            (template: "−x/y²", operands: ["a", "b"], result: "f", expected: "−a/b²"),
            (template: "xᵀ @ upstream", operands: ["W", "v"], result: "h", expected: "Wᵀ @ upstream"),
          ])
    func substitute(row: (template: String, operands: [String], result: String, expected: String)) {
        #expect(TraceFormat.substitute(row.template, operands: row.operands, result: row.result) == row.expected)
    }
}
