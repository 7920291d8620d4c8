import Support
import TOMLKit

/// The one reader of a lesson section's TOML table (`[model]`, `[gradcam]` and the tables of
/// arrays under them): each value read with its type and range checked, and every mistake a
/// `WorkbenchFailure.badInput` at `file:line:column`, the column of the key's first character
/// (column 1 of the section's header when no key is to blame). TOMLKit gives no positions, so the
/// lines are found in the file's text: a header from a line on, a key from its table's header on.
struct SectionReader {
    let file: String
    let lines: [String]

    /// The line (from 1) of the first header `text` (`[model]`, `[[gradcam.check]]`) at or after
    /// the line index `after`, or nil.
    func header(_ text: String, after: Int) -> Int? {
        lines.indices.first { $0 >= after && lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix(text) }.map { $0 + 1 }
    }

    /// Where `key = …` is written at or after line `after` (from 1): its line and column.
    func place(_ key: String, after: Int) -> (line: Int, column: Int) {
        for index in lines.indices where index >= after - 1 {
            let text = lines[index]
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(key + " ") || trimmed.hasPrefix(key + "=") || trimmed.hasPrefix(key + "\t") {
                return (index + 1, text.count - trimmed.count + 1)
            }
        }
        return (after, 1)
    }

    /// A mistake at `key` (searched from line `after`), or at line `after`, column 1, when `key` is nil.
    func fail(_ key: String?, after: Int, _ message: String) -> WorkbenchFailure {
        let (line, column) = key.map { place($0, after: after) } ?? (after, 1)
        return .badInput(message, at: SourceLocation(file: file, line: line, column: column))
    }

    /// Refuses a key that is not `allowed`, suggesting the closest one.
    func checkKeys(_ table: TOMLTable, allowed: [String], section: String, line: Int) throws(WorkbenchFailure) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            let suggestion = allowed.min { editDistance(key, $0) < editDistance(key, $1) }.flatMap { editDistance(key, $0) <= 2 ? $0 : nil }
            throw fail(key, after: line, "unknown key '\(key)' in \(section)" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; known keys: " + allowed.joined(separator: ", ")))
        }
    }

    func string(_ table: TOMLTable, _ key: String, line: Int) throws(WorkbenchFailure) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw fail(key, after: line, "'\(key)' must be a string") }
        return text
    }

    /// A finite number (a TOML integer or float).
    func number(_ table: TOMLTable, _ key: String, line: Int) throws(WorkbenchFailure) -> Double? {
        guard let value = table[key] else { return nil }
        if let int = value.int { return Double(int) }
        guard let double = value.double, double.isFinite else { throw fail(key, after: line, "'\(key)' must be a number") }
        return double
    }

    /// A TOML integer within `range`.
    func whole(_ table: TOMLTable, _ key: String, line: Int, in range: ClosedRange<Int>) throws(WorkbenchFailure) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int, range.contains(int) else {
            throw fail(key, after: line, "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return int
    }
}
