import Autograd

/// A quantity as a lesson's `[[check]]`, an exercise, a condition, a claim's left side or a
/// student's answer write it: a name (`q`), a gradient (`df/dx`, `∂f/∂x`, `d f/d x`), an updated
/// parameter (`updated w`), each optionally with one entry (`s[2]`, `W[0, 1]`). Parsed by the one
/// parser (`Notation.quantity`); resolved against a run by `Resolver` (Claims).
///
/// ```swift
/// let quantity = try Notation.quantity("∂f/∂W[0, 1]")
/// // quantity.kind == .gradient(of: "f", by: "W"), quantity.entry == [0, 1]
/// ```
public struct Quantity: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A value of the program: an input or an assigned name.
        case value(String)
        /// ∂`of`/∂`by`.
        case gradient(of: String, by: String)
        /// The value of a parameter after one step of the lesson's update.
        case updated(String)
    }

    public let kind: Kind
    /// The entry asked for, if any (`[0, 1]` for `W[0, 1]`).
    public let entry: [Int]?
    /// Where the quantity starts.
    public let position: SourcePosition
    /// Where each name stands: A then B for a gradient, the one name otherwise.
    public let namePositions: [SourcePosition]

    public init(kind: Kind, entry: [Int]? = nil, position: SourcePosition = SourcePosition(line: 1, column: 1),
                namePositions: [SourcePosition] = []) {
        self.kind = kind; self.entry = entry; self.position = position; self.namePositions = namePositions
    }

    /// The same quantity without its entry.
    public var withoutEntry: Quantity { Quantity(kind: kind, entry: nil, position: position, namePositions: namePositions) }

    /// The names it uses, in order.
    public var names: [String] {
        switch kind {
        case .value(let name), .updated(let name): return [name]
        case .gradient(let of, let by): return [of, by]
        }
    }

    /// As the tool prints it, without the entry: `∂f/∂x`, `updated w`, `q`. It parses back.
    public var base: String {
        switch kind {
        case .value(let name): return name
        case .gradient(let of, let by): return "∂\(of)/∂\(by)"
        case .updated(let name): return "updated \(name)"
        }
    }

    /// `[0, 1]`, or "" without an entry.
    public var entrySuffix: String { entry.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "" }

    /// As the tool prints it: `∂f/∂W[0, 1]`. It parses back to the same quantity.
    public var description: String { base + entrySuffix }

    /// Equal kinds and entries, wherever they were written.
    public func sameQuantity(as other: Quantity) -> Bool { kind == other.kind && entry == other.entry }

    /// The entry `entry` of `tensor`, if the entry exists.
    public static func pick(_ entry: [Int], in tensor: Tensor) -> Double? {
        guard entry.count == tensor.rank, zip(entry, tensor.shape).allSatisfy({ $0 >= 0 && $0 < $1 }) else { return nil }
        return tensor.storage[zip(entry, Tensor.strides(of: tensor.shape)).map(*).reduce(0, +)]
    }
}

/// The value of a quantity written inside a formula (`abs(df/dw)`), given by whoever resolves it.
public typealias QuantityLookup = (Quantity) throws(ExpressionError) -> Tensor
