/// Why the engine refused an operation or a backward pass.
public enum AutogradError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The operands' shapes do not fit the operation (`+` needs broadcastable shapes, `@` matching inner sizes).
    case shapeMismatch(operation: String, left: [Int], right: [Int])
    /// An operand, axis, shape or index the operation cannot take.
    case invalidOperand(operation: String, reason: String)
    /// The operation got the wrong number of inputs.
    case wrongArity(operation: String, expected: Int, got: Int)
    /// `backward` was called a second time on the same graph.
    case backwardTwice
    /// `backward` was called on a non-scalar output without a seed gradient.
    case nonScalarOutput(shape: [Int])
    /// The seed gradient's shape differs from the output's.
    case seedShapeMismatch(expected: [Int], got: [Int])
    /// A node id of another graph (or of this graph before `removeAll`) was passed to `apply` or
    /// `backward`: `node` is its label (`n3`), `nodeGraph` and `graph` the two graphs (`graph #2`).
    case foreignNode(node: String, nodeGraph: String, graph: String)
    /// The graph's deadline (`Graph.deadline`, the server's time per request) passed: the work was stopped.
    case deadlinePassed

    /// One sentence saying what went wrong and, where we can tell, what to do.
    public var description: String {
        switch self {
        case .shapeMismatch(let operation, let left, let right):
            let ranks = [left.count, right.count]
            let hint = operation != "@" ? "the shapes must be equal or broadcast"
                : ranks.contains(0) ? "@ takes vectors, matrices and batches of matrices, not scalars"
                : ranks.contains { $0 > 2 } ? "the inner sizes must agree and the batch axes broadcast" : "the inner sizes must agree"
            return "shape mismatch in '\(operation)': \(Tensor.describe(shape: left)) and \(Tensor.describe(shape: right)) (\(hint))"
        case .invalidOperand(let operation, let reason):
            return "\(operation): \(reason)"
        case .wrongArity(let operation, let expected, let got):
            return "\(operation) takes \(expected) argument\(expected == 1 ? "" : "s"), got \(got)"
        case .backwardTwice:
            return "backward was already run on this graph; build the graph again to run it twice"
        case .nonScalarOutput(let shape):
            return "the output has shape \(Tensor.describe(shape: shape)); backward needs a scalar output or a seed gradient (reduce it with sum(...) or mean(...))"
        case .seedShapeMismatch(let expected, let got):
            return "the seed gradient has shape \(Tensor.describe(shape: got)) but the output has shape \(Tensor.describe(shape: expected))"
        case .foreignNode(let node, let nodeGraph, let graph):
            return "node \(node) belongs to \(nodeGraph), not to \(graph); a graph only takes its own nodes (record every operand in one graph)"
        case .deadlinePassed:
            return "the computation took longer than its time limit and was stopped"
        }
    }
}
