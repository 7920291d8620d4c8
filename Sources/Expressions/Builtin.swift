import Autograd

/// The functions a program can call: PyTorch's names, with torch's parameters in torch's order, so
/// a call may give them by position or by keyword (`conv2d(x, w, b, stride=2)`).
struct Builtin: Sendable {
    /// What a call lowers to (Parser+Calls.swift records it in the graph).
    enum Form: Sendable {
        /// f(x): one elementwise or structural primitive.
        case unary(Operation)
        /// f(x, y): a binary primitive.
        case binary(Operation)
        /// leaky_relu(x, negative_slope=0.01), as in PyTorch.
        case leakyRelu
        /// sum, mean, amax, amin, logsumexp over everything or one dim, keepdim or not.
        case reduction(Operation)
        /// softmax / log_softmax along a dim (the last axis when none is given).
        case softmax(Operation)
        /// reshape(x, [shape]).
        case reshape
        /// flatten(x, start_dim, end_dim): a reshape.
        case flatten
        /// conv2d(input, weight, bias, stride, padding) on [N, C, H, W] or [C, H, W].
        case conv2d
        /// max_pool2d / avg_pool2d(input, kernel_size, stride, padding).
        case pool(Operation)
        /// argmax(x, dim, keepdim): positions, a constant (no gradient, as PyTorch's integers).
        case argmax
        /// transpose(x): every axis reversed; transpose(x, dim0, dim1): two axes swapped (a permute).
        case transpose
        /// permute(x, [dims]).
        case permute
        /// where(condition, input, other): masked(input, c) + masked(other, c == 0).
        case whereSelect
        /// cat(tensors, dim=0) / stack(tensors, dim=0): concatenations folded over the list.
        case cat, stack
        /// clamp(x, min=None, max=None): clamp_min then clamp_max.
        case clamp
        /// unsqueeze(x, dim) / squeeze(x, dim=None): reshapes.
        case unsqueeze, squeeze
        /// var / std(x, dim, correction, keepdim), written out as PyTorch's formula.
        case variance(squareRoot: Bool)
        /// The losses of torch.nn.functional, mean reduction.
        case loss(Loss)
    }

    enum Loss: Sendable { case crossEntropy, nll, mse, l1, binaryCrossEntropy, binaryCrossEntropyWithLogits }

    /// One parameter of a function, as PyTorch names it.
    struct Parameter: Sendable {
        enum Kind: Sendable {
            /// Any expression.
            case tensor
            /// An integer written in the program, at least `minimum`.
            case integer(minimum: Int?)
            /// `true` or `false` (also `True`, `False`).
            case boolean
            /// A list of integers written in the program, `[2, 3]`.
            case shape
            /// A list of expressions, `[a, b, c]` (cat's and stack's tensors).
            case tensors
            /// A window size, stride or padding: an integer, or a pair of equal integers `[2, 2]`.
            case window(minimum: Int)
        }
        let name: String
        let kind: Kind
        /// Whether a call must give it.
        let required: Bool
        /// Other keywords PyTorch accepts for it (`axis` for `dim`).
        var aliases: [String] = []

        /// What the value must be, for the wrong-type error.
        var expected: String {
            switch kind {
            case .tensor: return "an expression"
            case .integer(let minimum): return minimum.map { $0 == 0 ? "a non-negative integer" : "an integer of at least \($0)" } ?? "an integer"
            case .boolean: return "true or false"
            case .shape: return "a list of integers such as [2, 3]"
            case .tensors: return "a list of values such as [a, b]"
            case .window(let minimum): return (minimum == 0 ? "a non-negative integer" : "a positive integer") + " or a pair of equal ones such as [2, 2]"
            }
        }
    }

    let form: Form
    let parameters: [Parameter]
    /// How many parameters a call may give by position; the rest only by keyword (PyTorch's `*`).
    var positional: Int

    init(form: Form, parameters: [Parameter], positional: Int? = nil) {
        self.form = form
        self.parameters = parameters
        self.positional = positional ?? parameters.count
    }

    /// What the arity error says: "1 argument", "1 or 2 arguments", "2 to 5 arguments".
    var expectedArguments: String {
        let required = parameters.filter(\.required).count, total = positional
        if required == total { return "\(total) argument" + (total == 1 ? "" : "s") }
        return "\(required) \(total == required + 1 ? "or" : "to") \(total) arguments"
    }

    static func tensor(_ name: String, required: Bool = true) -> Parameter { Parameter(name: name, kind: .tensor, required: required) }
    static func dim(_ name: String = "dim", required: Bool = false) -> Parameter {
        Parameter(name: name, kind: .integer(minimum: nil), required: required, aliases: name == "dim" ? ["axis"] : [])
    }
    static let keepdim = Parameter(name: "keepdim", kind: .boolean, required: false)
    static let input = tensor("input")

    static let all: [String: Builtin] = {
        var table: [String: Builtin] = [:]
        for operation in [Operation.exp, .log, .sqrt, .sin, .cos, .tanh, .sigmoid, .relu, .abs, .step, .softplus, .gelu, .silu, .elu, .log1p, .expm1, .erf, .tan] {
            table[operation.primitive.name] = Builtin(form: .unary(operation), parameters: [input])
        }
        table["transpose"] = Builtin(form: .transpose, parameters: [input, dim("dim0"), dim("dim1")])
        table["permute"] = Builtin(form: .permute, parameters: [input, Parameter(name: "dims", kind: .shape, required: true)])
        table["unsqueeze"] = Builtin(form: .unsqueeze, parameters: [input, dim(required: true)])
        table["squeeze"] = Builtin(form: .squeeze, parameters: [input, dim()])
        for operation in [Operation.greater, .less, .greaterEqual, .lessEqual, .equal, .notEqual] {
            table[operation.primitive.name] = Builtin(form: .binary(operation), parameters: [input, tensor("other")])
        }
        table["where"] = Builtin(form: .whereSelect, parameters: [tensor("condition"), input, tensor("other")])
        let tensors = Parameter(name: "tensors", kind: .tensors, required: true)
        table["cat"] = Builtin(form: .cat, parameters: [tensors, dim()])
        table["stack"] = Builtin(form: .stack, parameters: [tensors, dim()])
        table["clamp"] = Builtin(form: .clamp, parameters: [input, tensor("min", required: false), tensor("max", required: false)])
        table["min"] = Builtin(form: .binary(.minimum), parameters: [input, tensor("other")])
        table["max"] = Builtin(form: .binary(.maximum), parameters: [input, tensor("other")])
        table["matmul"] = Builtin(form: .binary(.matmul), parameters: [input, tensor("other")])
        table["leaky_relu"] = Builtin(form: .leakyRelu, parameters: [input, tensor("negative_slope", required: false)])
        for operation in [Operation.sum, .mean, .amax, .amin, .logsumexp] {
            table[operation.primitive.name] = Builtin(form: .reduction(operation), parameters: [input, dim(), keepdim])
        }
        table["softmax"] = Builtin(form: .softmax(.softmax), parameters: [input, dim()])
        table["log_softmax"] = Builtin(form: .softmax(.logSoftmax), parameters: [input, dim()])
        table["reshape"] = Builtin(form: .reshape, parameters: [input, Parameter(name: "shape", kind: .shape, required: true)])
        table["flatten"] = Builtin(form: .flatten, parameters: [input, dim("start_dim"), dim("end_dim")])
        table["conv2d"] = Builtin(form: .conv2d, parameters: [
            input, tensor("weight"), tensor("bias", required: false),
            Parameter(name: "stride", kind: .window(minimum: 1), required: false),
            Parameter(name: "padding", kind: .window(minimum: 0), required: false)])
        for operation in [Operation.maxPool2d, .avgPool2d] {
            table[operation.primitive.name] = Builtin(form: .pool(operation), parameters: [
                input, Parameter(name: "kernel_size", kind: .window(minimum: 1), required: true),
                Parameter(name: "stride", kind: .window(minimum: 1), required: false),
                Parameter(name: "padding", kind: .window(minimum: 0), required: false)])
        }
        table["argmax"] = Builtin(form: .argmax, parameters: [input, dim(), keepdim])
        let correction = Parameter(name: "correction", kind: .integer(minimum: 0), required: false)
        table["var"] = Builtin(form: .variance(squareRoot: false), parameters: [input, dim(), correction, keepdim], positional: 2)
        table["std"] = Builtin(form: .variance(squareRoot: true), parameters: [input, dim(), correction, keepdim], positional: 2)
        let losses: [(String, Loss)] = [
            ("cross_entropy", .crossEntropy), ("nll_loss", .nll), ("mse_loss", .mse), ("l1_loss", .l1),
            ("binary_cross_entropy", .binaryCrossEntropy), ("binary_cross_entropy_with_logits", .binaryCrossEntropyWithLogits)]
        for (name, loss) in losses { table[name] = Builtin(form: .loss(loss), parameters: [input, tensor("target")]) }
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
