import Autograd
import Expressions

// What a report prints about a program's nodes and gradients, in the student's own terms: a node by
// its name or by the expression the student wrote for it (never a number such as `n2`), and the
// engine's formula only when it reads back as a formula (`σ(z)·(1 − σ(z))` does, `1 if x > 0 else 0`
// does not).
extension ClaimCheck {
    /// A node as the student wrote it: its name, a constant's value, or its expression (`w * x`).
    static func written(_ id: Int, in trace: Trace, depth: Int = 0) -> String {
        let node = trace.nodes[id]
        guard node.name == nil, node.kind == .operation else { return node.label }
        guard depth < 4 else { return "…" }
        let operands = node.inputs.map { written($0, in: trace, depth: depth + 1) }
        let grouped = operands.map { $0.contains(" ") ? "(\($0))" : $0 }
        let infix = ["add": "+", "subtract": "-", "multiply": "*", "divide": "/", "matmul": "@", "power": "^"]
        if let symbol = infix[node.operation], grouped.count == 2 { return "\(grouped[0]) \(symbol) \(grouped[1])" }
        if node.operation == "negate", grouped.count == 1 { return "-\(grouped[0])" }
        return "\(node.operation)(\(operands.joined(separator: ", ")))"
    }

    /// `∂f/∂q`, or `∂f/∂(w * x)` for a node without a name.
    static func gradientName(of: String, at id: Int, in trace: Trace) -> String {
        let node = written(id, in: trace)
        return "∂\(of)/∂" + (node.contains(" ") ? "(\(node))" : node)
    }

    /// `formula` if it reads back, over the program's names, to `value`: what a suggestion may print.
    static func readsBack(_ formula: String, as value: Tensor, program: Program) -> String? {
        guard let read = try? formulaValue(formula, names: names(of: program)).value, agree(read, value, tolerances: nil) else { return nil }
        return formula
    }
}
