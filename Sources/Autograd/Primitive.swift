import Foundation

/// Every operation the graph can record. Raw values index `Primitive.table`.
public enum Operation: UInt8, Sendable, CaseIterable, Codable {
    // Leaves: they have no inputs and no backward.
    case input, parameter, constant
    // Binary elementwise (NumPy broadcasting).
    case add, subtract, multiply, divide, power, minimum, maximum, leakyRelu
    // Unary elementwise.
    case negate, exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs, step, softplus
    // Structural: shapes change, the local gradient is a Jacobian rather than a number per entry.
    case matmul, transpose, sum, mean, reshape, index
    // Structural, added for training: numerically stable log-softmax along the last axis,
    // 2-D convolution (cross-correlation, as the notes and PyTorch compute it) and max-pooling.
    case logSoftmax, conv2d, maxPool2d, avgPool2d
    // Structural, added for PyTorch's names (Primitive+Torch.swift): softmax along a dim, the
    // largest/smallest entry and log Σ eˣ over a dim or everything, and the mean negative log-likelihood.
    case softmax, amax, amin, logsumexp, nllLoss
    // PyTorch's permute (and two-axis transpose): the axes in a new order.
    case permute
    // Unary elementwise, added for PyTorch's names: gelu (erf form), silu, elu (α = 1), log1p,
    // expm1, erf, tan.
    case gelu, silu, elu, log1p, expm1, erf, tan
    // Binary elementwise, added for PyTorch's names: comparisons giving masks (1 or 0), and
    // clamp's two halves, clamp_min and clamp_max.
    case greater, less, greaterEqual, lessEqual, equal, notEqual, clampMin, clampMax
    // where's half: x where the condition y is non-zero, else 0 (torch.where(y, x, 0)); and the
    // concatenation of two values along an axis (cat and stack fold it over their list).
    case masked, concatenate

    /// The table entry with this operation's forward, backward and local-gradient description.
    public var primitive: Primitive { Primitive.table[Int(rawValue)] }
    /// Whether this is an input, a parameter or a constant.
    public var isLeaf: Bool { self == .input || self == .parameter || self == .constant }
}

/// What a structural operation needs beyond its inputs: an axis, a target shape or an index.
public enum OperationAttribute: Sendable, Hashable {
    /// The axis (PyTorch's `dim`) of `sum`, `mean`, `amax`, `amin`, `logsumexp`, `softmax` and
    /// `log_softmax`, already normalized to `0..<rank`.
    case axis(Int)
    /// The target shape of `reshape`, with any `-1` already resolved.
    case shape([Int])
    /// The components of `x[...]`, as written.
    case index([IndexComponent])
    /// A convolution's or a pooling's square window, stride and zero padding on each side.
    case window(size: Int, stride: Int, padding: Int)
    /// The axes of `permute` in their new order (result axis i is input axis dims[i]), normalized.
    case permutation([Int])
}

/// How a primitive computes: per entry through scalar functions, or on whole tensors.
public enum PrimitiveRule: Sendable {
    /// A leaf: nothing to compute.
    case leaf
    /// An elementwise rule: `forward(x, y)` and the local partial derivatives `(∂f/∂x, ∂f/∂y)`
    /// given `x`, `y` and the result `f` (unary primitives ignore `y` and return 0 for it).
    case elementwise(
        forward: @Sendable (Double, Double) -> Double,
        local: @Sendable (Double, Double, Double) -> (Double, Double))
    /// A whole-tensor rule: forward may reject its operands with a sentence; backward returns the
    /// vector-Jacobian product for each input, shaped like that input.
    case structural(
        forward: @Sendable ([Tensor], OperationAttribute?) -> Result<Tensor, AutogradError>,
        backward: @Sendable ([Tensor], Tensor, Tensor, OperationAttribute?) -> [Tensor])
}

/// One entry of the op table: how an operation computes forward, how it sends gradients back,
/// and how to say its local gradient in words, side by side.
///
/// The descriptions use `x` and `y` for the operands and `f` for the result; a trace replaces them
/// with the names in the user's program, so `multiply`'s `["y", "x"]` reads `∂f/∂q = z` for `f = q * z`.
public struct Primitive: Sendable {
    /// The operation this entry describes.
    public let operation: Operation
    /// The name used in programs and JSON (`multiply`, `leaky_relu`).
    public let name: String
    /// How a diagram labels the node (`*`, `tanh`).
    public let symbol: String
    /// How many inputs it takes.
    public let arity: Int
    /// The local gradient ∂f/∂input for each input, in words, in terms of `x`, `y` and `f`.
    public let localGradient: [String]
    /// The forward and backward rule.
    public let rule: PrimitiveRule
    /// For kinked primitives, how far an input point is from the kink (0 exactly at it); nil when smooth.
    public let kinkDistance: (@Sendable (Double, Double) -> Double)?
    /// Where PyTorch's backward selects rather than multiplies (`threshold_backward`, `masked_fill`,
    /// `where`): given the operands `x`, `y`, whether the contribution to each is 0 whatever the
    /// upstream gradient, even ±∞ or NaN. Nil when the contributions are always local × upstream.
    public let mask: (@Sendable (Double, Double) -> (Bool, Bool))?

    /// Whether the primitive computes entry by entry.
    public var isElementwise: Bool { if case .elementwise = rule { return true } else { return false } }

    /// The primitive called `name` in programs (`tanh`, `leaky_relu`), if any.
    public static func named(_ name: String) -> Primitive? { table.first { $0.name == name } }
}

// MARK: - Numerically careful scalar helpers

/// The logistic function 1 / (1 + e^(−x)), computed without overflow for large |x|.
@inline(__always) func logistic(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
}

/// The split of the gradient at a tie of `min`/`max`: each side gets half, as PyTorch and JAX do.
@inline(__always) func selection(_ chosen: Bool, tie: Bool) -> Double { tie ? 0.5 : (chosen ? 1 : 0) }

extension Primitive {
    static func leaf(_ operation: Operation, _ name: String) -> Primitive {
        Primitive(operation: operation, name: name, symbol: name, arity: 0, localGradient: [], rule: .leaf, kinkDistance: nil, mask: nil)
    }

    static func unary(
        _ operation: Operation, _ name: String, symbol: String? = nil, local description: String,
        kink: (@Sendable (Double, Double) -> Double)? = nil,
        mask: (@Sendable (Double) -> Bool)? = nil,
        forward: @escaping @Sendable (Double) -> Double,
        local: @escaping @Sendable (_ x: Double, _ f: Double) -> Double
    ) -> Primitive {
        var binaryMask: (@Sendable (Double, Double) -> (Bool, Bool))?
        if let mask { binaryMask = { x, _ in (mask(x), false) } }
        return Primitive(
            operation: operation, name: name, symbol: symbol ?? name, arity: 1, localGradient: [description],
            rule: .elementwise(forward: { x, _ in forward(x) }, local: { x, _, f in (local(x, f), 0) }),
            kinkDistance: kink, mask: binaryMask)
    }

    /// A comparison: 1 where it holds, else 0; flat, so its contribution to either side is 0
    /// whatever the upstream (PyTorch's comparisons give booleans, which carry no gradient).
    static func comparison(_ operation: Operation, _ name: String, symbol: String,
                           _ holds: @escaping @Sendable (Double, Double) -> Bool) -> Primitive {
        binary(operation, name, symbol: symbol, local: ["0", "0"], kink: { x, y in Swift.abs(x - y) }, mask: { _, _ in (true, true) },
               forward: { x, y in holds(x, y) ? 1 : 0 }, local: { _, _, _ in (0, 0) })
    }

    static func binary(
        _ operation: Operation, _ name: String, symbol: String, local descriptions: [String],
        kink: (@Sendable (Double, Double) -> Double)? = nil,
        mask: (@Sendable (Double, Double) -> (Bool, Bool))? = nil,
        forward: @escaping @Sendable (Double, Double) -> Double,
        local: @escaping @Sendable (Double, Double, Double) -> (Double, Double)
    ) -> Primitive {
        Primitive(
            operation: operation, name: name, symbol: symbol, arity: 2, localGradient: descriptions,
            rule: .elementwise(forward: forward, local: local), kinkDistance: kink, mask: mask)
    }
}

// MARK: - The op table

extension Primitive {
    /// Every primitive, indexed by `Operation.rawValue`. This is the only place an operation's
    /// forward rule, backward rule and local-gradient description are written.
    public static let table: [Primitive] = {
        let entries: [Primitive] = [
            // ───────────── leaves ─────────────
            leaf(.input, "input"), leaf(.parameter, "parameter"), leaf(.constant, "constant"),

            // ───────────── binary elementwise ─────────────
            binary(.add, "add", symbol: "+", local: ["1", "1"],
                   forward: { x, y in x + y }, local: { _, _, _ in (1, 1) }),
            binary(.subtract, "subtract", symbol: "−", local: ["1", "−1"],
                   forward: { x, y in x - y }, local: { _, _, _ in (1, -1) }),
            binary(.multiply, "multiply", symbol: "*", local: ["y", "x"],
                   forward: { x, y in x * y }, local: { x, y, _ in (y, x) }),
            // ∂/∂y (x/y) = −x/y²; y = 0 gives an infinite value, which the evaluation reports.
            binary(.divide, "divide", symbol: "/", local: ["1/y", "−x/y²"],
                   forward: { x, y in x / y }, local: { x, y, _ in (1 / y, -x / (y * y)) }),
            // As PyTorch: ∂/∂x is 0 where y = 0; ∂/∂y is 0 at x = 0 with y ≥ 0 and f·ln x everywhere else:
            // NaN for x < 0, −∞ for 0^(negative) = ∞ (computed only when the exponent requires a
            // gradient: `x ^ 2` and `x ^ (1 + 1)` never compute it). PyTorch's pow_backward_self
            // selects (`where(exponent == 0, 0, grad·…)`), its pow_backward_exponent multiplies.
            binary(.power, "power", symbol: "^", local: ["y·x^(y−1)", "x^y·ln(x)"],
                   mask: { _, y in (y == 0, false) },
                   forward: { x, y in Foundation.pow(x, y) },
                   local: { x, y, f in
                       let dx = y == 0 ? 0 : y * Foundation.pow(x, y - 1)
                       let dy = x == 0 && y >= 0 ? 0 : f * Foundation.log(x)
                       return (dx, dy)
                   }),
            // A tie sends half the gradient to each side (PyTorch's and JAX's choice); a tie is a kink.
            // The side not chosen gets 0 whatever the upstream (PyTorch's `masked_fill_(self > other, 0)`).
            binary(.minimum, "min", symbol: "min", local: ["1 if x < y, ½ on a tie, else 0", "1 if y < x, ½ on a tie, else 0"],
                   kink: { x, y in Swift.abs(x - y) }, mask: { x, y in (x > y, y > x) },
                   forward: { x, y in Swift.min(x, y) },
                   local: { x, y, _ in (selection(x < y, tie: x == y), selection(y < x, tie: x == y)) }),
            binary(.maximum, "max", symbol: "max", local: ["1 if x > y, ½ on a tie, else 0", "1 if y > x, ½ on a tie, else 0"],
                   kink: { x, y in Swift.abs(x - y) }, mask: { x, y in (x < y, y < x) },
                   forward: { x, y in Swift.max(x, y) },
                   local: { x, y, _ in (selection(x > y, tie: x == y), selection(y > x, tie: x == y)) }),
            // leaky_relu(x, a) = x for x > 0, a·x otherwise (PyTorch's convention at 0: slope a).
            // As PyTorch's prelu backward: ∂/∂x multiplies (grad or a·grad); the slope gets 0 where x > 0
            // whatever the upstream, x·grad elsewhere.
            binary(.leakyRelu, "leaky_relu", symbol: "leaky_relu", local: ["1 if x > 0 else y", "0 if x > 0 else x"],
                   kink: { x, _ in Swift.abs(x) }, mask: { x, _ in (false, x > 0) },
                   forward: { x, a in x > 0 ? x : a * x },
                   local: { x, a, _ in x > 0 ? (1, 0) : (a, x) }),

            // ───────────── unary elementwise ─────────────
            unary(.negate, "negate", symbol: "−", local: "−1", forward: { -$0 }, local: { _, _ in -1 }),
            // exp reuses its result: d/dx eˣ = eˣ = f.
            unary(.exp, "exp", local: "exp(x)", forward: { Foundation.exp($0) }, local: { _, f in f }),
            // log of a non-positive number is NaN or −∞: a failed evaluation, reported by the caller.
            unary(.log, "log", local: "1/x", forward: { Foundation.log($0) }, local: { x, _ in 1 / x }),
            unary(.sqrt, "sqrt", local: "1/(2·sqrt(x))", forward: { Foundation.sqrt($0) }, local: { _, f in 0.5 / f }),
            unary(.sin, "sin", local: "cos(x)", forward: { Foundation.sin($0) }, local: { x, _ in Foundation.cos(x) }),
            unary(.cos, "cos", local: "−sin(x)", forward: { Foundation.cos($0) }, local: { x, _ in -Foundation.sin(x) }),
            // tanh reuses its result: 1 − tanh²x = 1 − f².
            unary(.tanh, "tanh", local: "1 − tanh²(x)", forward: { Foundation.tanh($0) }, local: { _, f in 1 - f * f }),
            // σ′ = σ(1 − σ), from the result; σ itself is computed without overflow.
            unary(.sigmoid, "sigmoid", symbol: "σ", local: "σ(x)·(1 − σ(x))", forward: logistic, local: { _, f in f * (1 - f) }),
            // relu at 0 has gradient 0 (PyTorch's and JAX's choice); 0 is a kink. Where x ≤ 0 the
            // contribution is 0 whatever the upstream, even ∞ (PyTorch's threshold_backward selects).
            unary(.relu, "relu", local: "1 if x > 0 else 0", kink: { x, _ in Swift.abs(x) }, mask: { x in !(x > 0) },
                  forward: { $0 > 0 ? $0 : 0 }, local: { x, _ in x > 0 ? 1 : 0 }),
            // abs at 0 has gradient sign(0) = 0; 0 is a kink. PyTorch multiplies (grad·sgn(x)), so
            // ∞ upstream at x = 0 gives NaN there too: no mask.
            unary(.abs, "abs", local: "sign(x)", kink: { x, _ in Swift.abs(x) },
                  forward: { Swift.abs($0) }, local: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }),
            // The binary step of the notes (004): 1 for x ≥ 0, else 0. Flat on both sides, so its
            // gradient is 0; at 0 it is undefined (a kink). Its contribution is 0 whatever the
            // upstream, as PyTorch's flat functions (sign, round, heaviside-like) give zeros_like(grad).
            unary(.step, "step", local: "0", kink: { x, _ in Swift.abs(x) }, mask: { _ in true },
                  forward: { $0 >= 0 ? 1 : 0 }, local: { _, _ in 0 }),
            // softplus x = ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|)), whose derivative is σ(x).
            unary(.softplus, "softplus", local: "σ(x)",
                  forward: { x in Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) },
                  local: { x, _ in logistic(x) }),
        ] + structuralEntries + torchEntries + [
            // ───────────── unary elementwise, added for PyTorch's names ─────────────
            // gelu x = x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's approximate='none'); Φ(x) + x·φ(x).
            unary(.gelu, "gelu", local: "Φ(x) + x·φ(x)",
                  forward: { x in 0.5 * x * (1 + Foundation.erf(x * 0.5.squareRoot())) },
                  local: { x, _ in
                      0.5 * (1 + Foundation.erf(x * 0.5.squareRoot())) + x * Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
                  }),
            // silu x = x·σ(x); σ(x)·(1 + x·(1 − σ(x))).
            unary(.silu, "silu", local: "σ(x)·(1 + x·(1 − σ(x)))",
                  forward: { x in x * logistic(x) },
                  local: { x, _ in let s = logistic(x); return s * (1 + x * (1 - s)) }),
            // elu x = x for x > 0, eˣ − 1 otherwise (α = 1); at 0 PyTorch takes the eˣ side: 1 on both.
            unary(.elu, "elu", local: "1 if x > 0 else exp(x)",
                  forward: { x in x > 0 ? x : Foundation.expm1(x) },
                  local: { x, _ in x > 0 ? 1 : Foundation.exp(x) }),
            unary(.log1p, "log1p", local: "1/(1 + x)", forward: { Foundation.log1p($0) }, local: { x, _ in 1 / (1 + x) }),
            // expm1 reuses its result: d/dx (eˣ − 1) = eˣ = f + 1.
            unary(.expm1, "expm1", local: "exp(x)", forward: { Foundation.expm1($0) }, local: { _, f in f + 1 }),
            unary(.erf, "erf", local: "2/√π·exp(−x²)", forward: { Foundation.erf($0) },
                  local: { x, _ in 2 / Double.pi.squareRoot() * Foundation.exp(-x * x) }),
            // tan reuses its result: 1 + tan²x = 1 + f².
            unary(.tan, "tan", local: "1 + tan²(x)", forward: { Foundation.tan($0) }, local: { _, f in 1 + f * f }),

            // ───────────── comparisons and clamp, added for PyTorch's names ─────────────
            comparison(.greater, "gt", symbol: ">") { $0 > $1 },
            comparison(.less, "lt", symbol: "<") { $0 < $1 },
            comparison(.greaterEqual, "ge", symbol: "≥") { $0 >= $1 },
            comparison(.lessEqual, "le", symbol: "≤") { $0 <= $1 },
            comparison(.equal, "eq", symbol: "==") { $0 == $1 },
            comparison(.notEqual, "ne", symbol: "≠") { $0 != $1 },
            // clamp(x, lo, hi) = clamp_max(clamp_min(x, lo), hi). PyTorch's clamp_backward selects:
            // x gets the upstream where lo ≤ x ≤ hi (both ends included), 0 elsewhere whatever the
            // upstream; a tensor bound gets it where it binds (x < lo, x > hi). NaN in x stays NaN.
            binary(.clampMin, "clamp_min", symbol: "clamp_min", local: ["1 if x ≥ y else 0", "1 if x < y else 0"],
                   kink: { x, y in Swift.abs(x - y) }, mask: { x, y in (!(x >= y) && !x.isNaN, !(x < y)) },
                   forward: { x, y in x >= y || x.isNaN ? x : y },
                   local: { x, y, _ in x >= y || x.isNaN ? (1, 0) : (0, 1) }),
            // where(c, a, b) = masked(a, c) + masked(b, c == 0): each half selects, as PyTorch's where
            // backward (`where(c, grad, 0)`): a NaN or ∞ of the side not chosen never reaches the result.
            binary(.masked, "masked", symbol: "where", local: ["1 where y ≠ 0, else 0", "0 (a condition)"],
                   mask: { _, y in (y == 0, true) },
                   forward: { x, y in y != 0 ? x : 0 },
                   local: { _, y, _ in (y != 0 ? 1 : 0, 0) }),
            binary(.clampMax, "clamp_max", symbol: "clamp_max", local: ["1 if x ≤ y else 0", "1 if x > y else 0"],
                   kink: { x, y in Swift.abs(x - y) }, mask: { x, y in (!(x <= y) && !x.isNaN, !(x > y)) },
                   forward: { x, y in x <= y || x.isNaN ? x : y },
                   local: { x, y, _ in x <= y || x.isNaN ? (1, 0) : (0, 1) }),
        ]
        // The entries are grouped by kind above; the table is indexed by the operation's raw value.
        let table = entries.sorted { $0.operation.rawValue < $1.operation.rawValue }
        precondition(table.map(\.operation) == Operation.allCases, "op table: an operation missing or twice")
        return table
    }()
}
