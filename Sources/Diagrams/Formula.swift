import Autograd

/// How an operation node is written as a formula, the way a program writes it: `x + y`,
/// `tanh(n3)`, `W @ x`, `xᵀ`, `x[0, 1:3]`, `sum(x, axis 0)`.
enum Formula {
    /// The primitives written between their operands.
    static let infix: Set<String> = ["add", "subtract", "multiply", "divide", "power", "matmul"]

    /// The node's operation applied to `operands` (labels such as `x`, or values such as `-2`).
    ///
    /// Negative operands after the first are put in parentheses: `3 * (-4)`, `−(-2)`.
    static func expression(_ node: Trace.Node, operands: [String]) -> String {
        let wrapped = operands.enumerated().map { DiagramText.operand($1, position: $0) }
        if infix.contains(node.operation) && wrapped.count == 2 {
            return "\(wrapped[0]) \(node.symbol) \(wrapped[1])"
        }
        switch (node.operation, wrapped.first) {
        case ("negate", let x?): return "−" + DiagramText.operand(x, position: 1)
        case ("transpose", let x?): return DiagramText.operand(x, position: 1) + "ᵀ"
        case ("index", let x?): return DiagramText.operand(x, position: 1) + (node.detail ?? "")
        default: return node.symbol + "(" + (operands + [node.detail].compactMap { $0 }).joined(separator: ", ") + ")"
        }
    }

    /// The node's formula in terms of its inputs' labels: `x + y` for `q = x + y`.
    static func symbolic(_ node: Trace.Node, in trace: Trace) -> String {
        expression(node, operands: node.inputs.map { trace.nodes[$0].label })
    }

    /// What a node is, for tooltips and prose: `q = x + y`, `x (input)`, `constant 2`.
    static func definition(_ node: Trace.Node, in trace: Trace) -> String {
        switch node.kind {
        case .operation: return "\(node.label) = \(symbolic(node, in: trace))"
        case .input, .parameter: return "\(node.label) (\(node.kind.rawValue))"
        case .constant: return node.name.map { "\($0) (constant)" } ?? "constant"
        }
    }
}
