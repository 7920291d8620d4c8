import Support
import Autograd

/// The bounds on what `backprop trace` prints and checks, so that one program cannot print hundreds
/// of megabytes (a 2000 × 2000 `m @ m` wrote a 236 MB table in 56 s) or run a gradient check for
/// hours. `--full` and `--json` print every value and step; docs/reliability.md lists every limit.
public enum TraceLimits {
    /// Tensors with more entries than this are summarized in the table (NumPy's threshold).
    public static let tableEntries = 1000
    /// How many entries a summarized axis keeps at each end (NumPy's `edgeitems`).
    public static let edgeItems = 3
    /// The most entries a summary shows; past it the summary is flat: the first and last entries.
    public static let summaryEntries = 100
    /// The most forward (and, separately, backward) steps the table prints; past it, the first and
    /// last halves, and one line saying how many were left out.
    public static let tableSteps = 2000
    /// The most entries a gradient check may recompute: two forward replays per checked input
    /// entry, each over the whole graph. `BACKPROP_MAX_CHECK_WORK` raises it.
    public static let checkWork = GraphLimits.environment("BACKPROP_MAX_CHECK_WORK", default: 200_000_000)

    /// A value as the table prints it: in full up to `tableEntries` entries (or always with `full`),
    /// else summarized as the diagrams do, with the corners of long axes and `…`:
    /// `[[1, 2, 3, …, 1998, 1999, 2000], …]`.
    public static func text(_ value: Tensor, significantDigits digits: Int?, full: Bool = false) -> String {
        guard !full, value.count > tableEntries else { return TraceFormat.tensor(value, significantDigits: digits) }
        let format: (Double) -> String = { x in digits.map { TraceFormat.number(x, significantDigits: $0) } ?? TraceFormat.number(x) }
        func positions(_ count: Int) -> [Int?] {
            count <= 2 * edgeItems ? Array(0..<count) : Array(0..<edgeItems) + [nil] + Array((count - edgeItems)..<count)
        }
        let shown = value.shape.map { min($0, 2 * edgeItems) }
        let shape = Tensor.describe(shape: value.shape)
        // Many short axes ([2, 2, …, 2]) would show every entry: write the first and last entries flat.
        guard let entries = GraphLimits.entries(of: shown), entries <= summaryEntries else {
            let head = value.storage.prefix(edgeItems).map(format), tail = value.storage.suffix(edgeItems).map(format)
            return "[" + (head + ["…"] + tail).joined(separator: ", ") + "] (shape \(shape), \(value.count) entries, row-major)"
        }
        let strides = Tensor.strides(of: value.shape)
        func nest(_ axis: Int, _ offset: Int) -> String {
            "[" + positions(value.shape[axis]).map { index -> String in
                guard let index else { return "…" }
                let position = offset + index * strides[axis]
                return axis == value.rank - 1 ? format(value.storage[position]) : nest(axis + 1, position)
            }.joined(separator: ", ") + "]"
        }
        return nest(0, 0)
    }

    /// The steps a table prints: all of them up to `tableSteps` (or with `full`), else the first and
    /// last halves with nil where the rest were left out.
    static func steps(_ all: [Int], full: Bool) -> [Int?] {
        guard !full, all.count > tableSteps else { return all }
        let half = tableSteps / 2
        return Array(all.prefix(half)) + [nil] + Array(all.suffix(half))
    }

    /// The line that stands for the steps `steps` left out.
    static func omitted(_ total: Int) -> String {
        "  … \(total - tableSteps) steps left out (the table prints at most \(tableSteps); --full or --json prints them all)"
    }
}
