import Foundation

/// How many tensor entries one graph may hold, so that a hostile or mistaken program is refused
/// with a sentence before it asks for gigabytes (`reshape(v, [30000, 1]) * v` would be 900 million
/// entries, 7.2 GB of `Double`s).
///
/// A graph built by hand is unlimited (`Graph().limits == .unlimited`); the expression language
/// sets `ExpressionLimits.graph`. Sizes are always computed with checked arithmetic
/// (`GraphLimits.entries(of:)`), limited or not, so a shape such as `[65536, 65536, 65536, 65536]`
/// cannot wrap around to 0.
public struct GraphLimits: Sendable, Equatable {
    /// The most entries one node's value may have.
    public var entriesPerValue: Int
    /// The most tensor entries the whole graph may hold (values; backward adds as many gradients).
    public var entriesPerGraph: Int

    public init(entriesPerValue: Int, entriesPerGraph: Int) {
        self.entriesPerValue = entriesPerValue
        self.entriesPerGraph = entriesPerGraph
    }

    /// No limit but what fits in an `Int` (the trainers' graphs, whose batches are checked by size).
    public static let unlimited = GraphLimits(entriesPerValue: .max, entriesPerGraph: .max)

    /// The number of entries of `shape`, or nil when the product does not fit in an `Int` (or an
    /// axis is negative).
    public static func entries(of shape: some Sequence<Int>) -> Int? {
        var product = 1
        for size in shape {
            guard size >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// A positive whole number from the environment variable `name`, or `fallback`.
    public static func environment(_ name: String, default fallback: Int) -> Int {
        guard let text = ProcessInfo.processInfo.environment[name], let value = Int(text), value > 0 else { return fallback }
        return value
    }
}

extension Graph {
    /// Refuses a result of `shape` for `operation` when its entries overflow or pass `limits`.
    func checkSize(_ shape: [Int], for operation: String) throws(AutogradError) {
        guard let count = GraphLimits.entries(of: shape) else {
            throw .invalidOperand(operation: operation, reason: "the result's shape \(Tensor.describe(shape: shape)) has more entries than an integer can count")
        }
        guard count <= limits.entriesPerValue else {
            throw .invalidOperand(operation: operation, reason: "the result would have \(count) entries (shape \(Tensor.describe(shape: shape))); the limit is \(limits.entriesPerValue) entries per value (docs/reliability.md says how to raise it)")
        }
        let (total, overflow) = entries.addingReportingOverflow(count)
        guard !overflow, total <= limits.entriesPerGraph else {
            throw .invalidOperand(operation: operation, reason: "the program would hold more than \(limits.entriesPerGraph) tensor entries in all (this result adds \(count)); that is the limit per program (docs/reliability.md says how to raise it)")
        }
    }
}
