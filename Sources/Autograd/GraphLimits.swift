import Foundation

/// How big the values of one graph may be, so that a hostile or mistaken program is refused with a
/// sentence before it asks for gigabytes (`reshape(v, [30000, 1]) * v` would be 900 million
/// entries, 7.2 GB of `Double`s).
///
/// Every size is checked here, before anything is allocated: the rank (at most `maximumRank`),
/// every axis, the strides, the entries and the bytes of every value an operation would make,
/// empty values included. A graph made with `Graph()` is limited like a program of the expression
/// language (`GraphLimits.standard`); the trainers, whose batches are checked by size, ask for
/// `Graph(limits: .unlimited)`, which still refuses what does not fit in an `Int`.
public struct GraphLimits: Sendable, Equatable {
    /// The most entries one node's value may have. An empty value's axes are held to it too: the
    /// product of its axes, zeros counted as 1 (`extent(of:)`), may not pass it.
    public var entriesPerValue: Int
    /// The most tensor entries the whole graph may hold (values; backward adds as many gradients).
    public var entriesPerGraph: Int

    public init(entriesPerValue: Int, entriesPerGraph: Int) {
        self.entriesPerValue = entriesPerValue
        self.entriesPerGraph = entriesPerGraph
    }

    /// The most axes a value may have: 16 (the lessons use at most 4, [N, C, H, W]). A one-entry
    /// value of rank 10,000 passed every entry limit and printed as 800 MB of brackets.
    public static let maximumRank = 16

    /// The bytes of one entry (a `Double`).
    public static let bytesPerEntry = MemoryLayout<Double>.stride

    /// The limits of a graph made with `Graph()` and of every program of the expression language:
    /// 2²⁰ entries per value (8 MB; `BACKPROP_MAX_VALUE_ENTRIES`) and 2²³ per graph (64 MB, as much
    /// again for the gradients; `BACKPROP_MAX_PROGRAM_ENTRIES`).
    public static let standard = GraphLimits(
        entriesPerValue: environment("BACKPROP_MAX_VALUE_ENTRIES", default: 1 << 20),
        entriesPerGraph: environment("BACKPROP_MAX_PROGRAM_ENTRIES", default: 1 << 23))

    /// No limit but what fits in an `Int` (the trainers' graphs, whose batches are checked by size).
    /// The rank is still at most `maximumRank`.
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

    /// The product of the axes of `shape` with every 0 counted as 1, or nil when it does not fit in
    /// an `Int` (or an axis is negative). It bounds every stride and every loop over the positions
    /// of an axis, so `[0, 999999999, 999999999, 999999999]`, which has no entries, is still refused.
    public static func extent(of shape: some Sequence<Int>) -> Int? {
        entries(of: shape.lazy.map { $0 == 0 ? 1 : $0 })
    }

    /// Row-major strides of `shape`, or nil when they do not fit in an `Int`. They always fit when
    /// `extent(of:)` does: a stride is a product of later axes, 0 once one of them is 0.
    public static func strides(of shape: [Int]) -> [Int]? {
        var strides = Array(repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            guard shape[axis] >= 0 else { return nil }
            if axis == 0 { break }
            let (next, overflow) = step.multipliedReportingOverflow(by: shape[axis])
            if overflow { return nil }
            step = next
        }
        return strides
    }

    /// The bytes of `entries` `Double`s, or nil when that does not fit in an `Int`.
    public static func bytes(ofEntries entries: Int) -> Int? {
        let (bytes, overflow) = entries.multipliedReportingOverflow(by: bytesPerEntry)
        return overflow || entries < 0 ? nil : bytes
    }

    /// Why a value of `shape` cannot be made under these limits, as the end of a sentence, or nil
    /// when it can. O(rank); nothing is allocated.
    public func problem(with shape: [Int]) -> String? {
        let described = shape.count > GraphLimits.maximumRank ? "of rank \(shape.count)" : Tensor.describe(shape: shape)
        guard shape.count <= GraphLimits.maximumRank else {
            return "the result would have \(shape.count) axes; a value has at most \(GraphLimits.maximumRank)"
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { return "the shape \(described) has a negative axis" }
        guard let extent = GraphLimits.extent(of: shape), let count = GraphLimits.entries(of: shape),
              GraphLimits.bytes(ofEntries: count) != nil else {
            if GraphLimits.entries(of: shape) == 0 {
                return "the result's shape \(described) is empty, but its other axes multiply past what an integer can count (an empty value's axes are limited as its entries are; docs/reliability.md)"
            }
            return "the result's shape \(described) has more entries than an integer can count"
        }
        if count == 0 && extent > entriesPerValue {
            return "the result's shape \(described) is empty, but its other axes multiply to \(extent), past the limit of \(entriesPerValue) entries per value (an empty value's axes are limited as its entries are; docs/reliability.md)"
        }
        guard count <= entriesPerValue else {
            return "the result would have \(count) entries (shape \(described)); the limit is \(entriesPerValue) entries per value (it would take \(GraphLimits.describe(bytes: count * GraphLimits.bytesPerEntry)); docs/reliability.md says how to raise the limit)"
        }
        return nil
    }

    /// `8 MB`, `1.5 GB`: a size in bytes as people read it (powers of 1000, as `ls -h --si`).
    public static func describe(bytes: Int) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }

    /// A positive whole number from the environment variable `name`, or `fallback`.
    public static func environment(_ name: String, default fallback: Int) -> Int {
        guard let text = ProcessInfo.processInfo.environment[name], let value = Int(text), value > 0 else { return fallback }
        return value
    }
}

extension Graph {
    /// Refuses a result of `shape` for `operation` when its rank, axes, entries or bytes pass
    /// `limits`, or the graph's total would. Called before the operation allocates anything.
    func checkSize(_ shape: [Int], for operation: String) throws(AutogradError) {
        if let problem = limits.problem(with: shape) { throw .invalidOperand(operation: operation, reason: problem) }
        let count = Tensor.product(shape)
        let (total, overflow) = entries.addingReportingOverflow(count)
        guard !overflow, total <= limits.entriesPerGraph else {
            throw .invalidOperand(operation: operation, reason: "the program would hold more than \(limits.entriesPerGraph) tensor entries in all (this result adds \(count)); that is the limit per program (docs/reliability.md says how to raise it)")
        }
    }
}
