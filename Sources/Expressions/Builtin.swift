import Autograd

/// The functions a program can call, and how each maps onto the op table.
struct Builtin: Sendable {
    enum Form: Sendable {
        /// f(x): one elementwise or structural primitive.
        case unary(Operation)
        /// f(x, y): a binary primitive.
        case binary(Operation)
        /// leaky_relu(x) or leaky_relu(x, a); a defaults to 0.01 as in PyTorch.
        case leakyRelu
        /// sum(x) / mean(x) over everything, or sum(x, axis).
        case reduction(Operation)
        /// reshape(x, [shape]).
        case reshape
    }
    let form: Form

    /// What the arity error says: "1 argument", "1 or 2 arguments".
    var expectedArguments: String {
        switch form {
        case .unary: return "1 argument"
        case .binary: return "2 arguments"
        case .leakyRelu, .reduction: return "1 or 2 arguments"
        case .reshape: return "2 arguments (a tensor and a shape such as [2, 3])"
        }
    }

    static let all: [String: Builtin] = {
        var table: [String: Builtin] = [:]
        for operation in [Operation.exp, .log, .sqrt, .sin, .cos, .tanh, .sigmoid, .relu, .abs, .step, .softplus, .transpose, .logSoftmax] {
            table[operation.primitive.name] = Builtin(form: .unary(operation))
        }
        table["min"] = Builtin(form: .binary(.minimum))
        table["max"] = Builtin(form: .binary(.maximum))
        table["matmul"] = Builtin(form: .binary(.matmul))
        table["leaky_relu"] = Builtin(form: .leakyRelu)
        table["sum"] = Builtin(form: .reduction(.sum))
        table["mean"] = Builtin(form: .reduction(.mean))
        table["reshape"] = Builtin(form: .reshape)
        return table
    }()
}

/// The Levenshtein distance between two short strings.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// The closest of `candidates` to `name`, if close enough to be a likely typo.
func suggestion(for name: String, among candidates: some Sequence<String>) -> String? {
    let scored = candidates.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }) else { return nil }
    let allowed = max(1, min(name.count, best.0.count) / 3)
    return best.1 <= allowed ? best.0 : nil
}
