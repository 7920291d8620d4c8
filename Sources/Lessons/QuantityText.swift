import Autograd
import Foundation

/// A quantity as a lesson's `[[check]]` and an exercise write it, read before the engine resolves
/// it: a name (`q`), a gradient (`df/dx` or `∂f/∂x`), an updated parameter (`updated w`), each
/// optionally with one entry of a tensor (`s[2]`, `W[0, 1]`). The lesson runner and the grader read
/// quantities through this one grammar and resolve them against their own program.
///
/// ```swift
/// let quantity = try QuantityText("∂f/∂W[0, 1]")
/// // quantity.kind == .gradient(of: "f", by: "W"), quantity.entry == [0, 1]
/// ```
public struct QuantityText: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
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
    /// The text without the entry, trimmed (`W` for `W[0, 1]`): what an error message names.
    public let base: String

    public init(kind: Kind, entry: [Int]?, base: String) {
        self.kind = kind; self.entry = entry; self.base = base
    }

    /// Reads `text`; the failure is the message for an entry not written with whole numbers.
    public init(_ text: String) throws(QuantityTextError) {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        var entry: [Int]? = nil
        if trimmed.hasSuffix("]"), let open = trimmed.lastIndex(of: "[") {
            let parts = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)].split(separator: ",")
            let numbers = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.count == parts.count, !numbers.isEmpty else { throw QuantityTextError() }
            entry = numbers
            trimmed = String(trimmed[..<open]).trimmingCharacters(in: .whitespaces)
        }
        self.entry = entry
        self.base = trimmed
        if trimmed.hasPrefix("updated ") {
            kind = .updated(String(trimmed.dropFirst("updated ".count)).trimmingCharacters(in: .whitespaces))
            return
        }
        for (d, slash) in [("d", "/d"), ("∂", "/∂")] where trimmed.hasPrefix(d) && trimmed.contains(slash) {
            let parts = trimmed.dropFirst(d.count).components(separatedBy: slash).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { kind = .gradient(of: parts[0], by: parts[1]); return }
            break
        }
        kind = .value(trimmed)
    }

    /// The entry `entry` of `tensor`, if the entry exists.
    public static func pick(_ entry: [Int], in tensor: Tensor) -> Double? {
        guard entry.count == tensor.rank, zip(entry, tensor.shape).allSatisfy({ $0 >= 0 && $0 < $1 }) else { return nil }
        return tensor.storage[zip(entry, Tensor.strides(of: tensor.shape)).map(*).reduce(0, +)]
    }
}

/// An entry of a quantity not written with whole numbers (`s[a]`).
public struct QuantityTextError: Error, Sendable {
    public let message = "an entry is written with whole numbers, e.g. s[0] or W[1, 2]"
}
