import Support
import Autograd

/// How numbers, tensors and formulas are written in a drawing and its narration, with the
/// precision of the options. Every number goes through `TraceFormat`, the project's one formatter.
struct DiagramText {
    /// Significant digits of every number shown.
    let precision: Int

    /// Tensors with more entries than this are summarized: long axes show their corners and `…`.
    static let summaryThreshold = 12
    /// How many entries a summarized axis keeps at each end.
    static let edgeItems = 2

    /// A number rounded to `precision` significant digits (integers exactly): `-4`, `0.7616`.
    func number(_ value: Double) -> String { TraceFormat.number(value, significantDigits: precision) }

    /// A value on one line: a scalar as a number, a tensor as nested brackets, summarized when large.
    ///
    /// ```
    /// [[1, 2], [3, 4]]
    /// [0.1, 0.2, …, 0.9, 1]      (a vector of 10 entries, corners only)
    /// ```
    func inline(_ value: Tensor) -> String {
        if value.isScalar { return number(value.scalar) }
        // Empty: `[]` whatever the shape, as NumPy prints it; never one `[]` per position of an axis.
        if value.count == 0 { return "[]" }
        return nest(value, axis: 0, offset: 0)
    }

    /// A value as lines: one line for a scalar or vector, one line per outermost row otherwise, so a
    /// matrix reads as a matrix.
    func lines(_ value: Tensor) -> [String] {
        guard value.rank >= 2, value.count > 0 else { return [inline(value)] }
        let strides = Tensor.strides(of: value.shape)
        let rows = positions(count: value.shape[0], summarized: isSummarized(value)).map { row in
            row.map { nest(value, axis: 1, offset: $0 * strides[0]) } ?? "…"
        }
        return rows.enumerated().map { position, row in
            (position == 0 ? "[" : " ") + row + (position == rows.count - 1 ? "]" : ",")
        }
    }

    /// A value with every digit, for tooltips: `[[1, 2], [3, 4]]`, `0.7615941559557649`.
    /// Every entry in full — for tooltips — up to `exactLimit` entries; a mini-batch's [784, 50]
    /// weights would make a 1.5 MB tooltip, so bigger tensors are summarized with 8 significant digits.
    static func exact(_ value: Tensor) -> String {
        value.count <= exactLimit ? TraceFormat.tensor(value) : DiagramText(precision: 8).inline(value) + " (summarized: \(value.count) entries)"
    }
    static let exactLimit = 400

    /// An operand inside an infix formula: negative numbers in parentheses unless first (`3 * (-4)`).
    static func operand(_ text: String, position: Int) -> String {
        position > 0 && text.hasPrefix("-") ? "(\(text))" : text
    }

    /// The sum of gradient contributions as the notes write it: `3 + 3 + 1`, `-4 + (-2)`.
    static func sum(_ terms: [String]) -> String {
        terms.enumerated().map { operand($1, position: $0) }.joined(separator: " + ")
    }

    // MARK: - Summaries

    private func isSummarized(_ value: Tensor) -> Bool { value.count > DiagramText.summaryThreshold }

    /// The indices an axis of `count` entries shows: all of them, or the corners with nil for `…`.
    private func positions(count: Int, summarized: Bool) -> [Int?] {
        let edge = DiagramText.edgeItems
        guard summarized && count > 2 * edge else { return Array(0..<count) }
        return Array(0..<edge) + [nil] + Array((count - edge)..<count)
    }

    private func nest(_ value: Tensor, axis: Int, offset: Int) -> String {
        let strides = Tensor.strides(of: value.shape)
        let items = positions(count: value.shape[axis], summarized: isSummarized(value)).map { index -> String in
            guard let index else { return "…" }
            let position = offset + index * strides[axis]
            return axis == value.rank - 1 ? number(value.storage[position]) : nest(value, axis: axis + 1, offset: position)
        }
        return "[" + items.joined(separator: ", ") + "]"
    }
}

// MARK: - Escaping

/// Escaping for the two kinds of DOT string the diagrams write.
enum DotEscape {
    /// Text inside an HTML-like label: `&`, `<`, `>` and quotes become entities, so a formula such
    /// as `1 if x < y` cannot end the label or open a tag; a newline becomes `<BR/>`.
    static func html(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { htmlEscaped(String($0)) }.joined(separator: "<BR/>")
    }

    /// A double-quoted DOT string (tooltips, ids): backslashes and quotes escaped, newlines as `\n`,
    /// which Graphviz turns back into line breaks in the SVG tooltip.
    static func quoted(_ text: String) -> String {
        var escaped = "\""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case "\r": break
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }
}

/// Text made safe for HTML (and Graphviz's HTML-like labels): as content and inside double- or
/// single-quoted attributes.
func htmlEscaped(_ text: String) -> String { TerminalText.entities(text) }
