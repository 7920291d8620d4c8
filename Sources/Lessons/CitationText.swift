import Foundation

/// A citation of the notes in a lesson file, with the words it quotes, so that a test can find
/// them at the lines it names (docs/lesson-format.md, "Citations"). Written `004:112-116 'the
/// words'` (or `004:181: "…"` in a comment), or `'the words' (004:181)`; `…` or `...` inside a
/// quotation leaves words out, and the parts must stand at those lines in order.
public struct CitationText: Sendable, Equatable {
    /// The notes' document, `000` to `004`.
    public let document: String
    public let lines: ClosedRange<Int>
    /// The quoted words, or nil for a bare citation.
    public let quotation: String?
    /// Where the citation starts in the text it was found in.
    public let offset: Int

    static let citation = #"\b(00[0-4])(?:_[0-9a-f]+\.txt)?:(\d+)(?:[-–](\d+))?"#
    /// An opening quote follows no letter or digit (`003's` is not one); inside, `'` before a letter is an apostrophe.
    static let quote = #"(?:(?<![\p{L}\p{N}])'((?:[^'\n]|'(?=\p{L}))*)'|“([^”]*)”|"([^"\n]*)")"#
    /// A citation and its quotation after it, or a quotation and its citation after it in brackets.
    public static let quotedPattern = citation + #"(?:\s*\((?:and|also) [\d, ]+\))?:?\s*"# + quote
        + "|" + quote + #"\s*\("# + citation + #"\)"#

    /// Every citation in `text`, with its quotation when one stands next to it.
    public static func all(in text: String) -> [CitationText] {
        let ns = text as NSString
        func group(_ match: NSTextCheckingResult, _ index: Int) -> String? {
            let range = match.range(at: index)
            return range.location == NSNotFound ? nil : ns.substring(with: range)
        }
        var found: [CitationText] = []
        var quoted = IndexSet()
        let full = NSRange(location: 0, length: ns.length)
        for match in try! NSRegularExpression(pattern: quotedPattern).matches(in: text, range: full) {
            // Groups: 1-3 citation, 4-6 quotation after; 7-9 quotation before, 10-12 citation.
            let after = group(match, 1) != nil
            let base = after ? 1 : 10, words = after ? (4...6) : (7...9)
            let first = Int(group(match, base + 1)!)!, last = group(match, base + 2).flatMap { Int($0) } ?? first
            let citationRange = match.range(at: base)
            quoted.insert(citationRange.location)
            found.append(CitationText(document: group(match, base)!, lines: first...max(first, last),
                                      quotation: words.lazy.compactMap { group(match, $0) }.first, offset: citationRange.location))
        }
        for match in try! NSRegularExpression(pattern: citation).matches(in: text, range: full) where !quoted.contains(match.range.location) {
            let first = Int(group(match, 2)!)!, last = group(match, 3).flatMap { Int($0) } ?? first
            found.append(CitationText(document: group(match, 1)!, lines: first...max(first, last), quotation: nil, offset: match.range.location))
        }
        return found.sorted { $0.offset < $1.offset }
    }

    /// Whether the quotation stands at the cited lines of `notes` (the document's lines): each part
    /// between elisions, with runs of white space read as one space, in order.
    public func stands(in notes: [String]) -> Bool {
        guard let quotation, lines.lowerBound >= 1, lines.upperBound <= notes.count else { return false }
        func squeeze(_ s: String) -> String { s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let text = squeeze(notes[(lines.lowerBound - 1)..<lines.upperBound].joined(separator: " "))
        var rest = text[...]
        for part in quotation.replacingOccurrences(of: "...", with: "…").components(separatedBy: "…").map(squeeze) where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }
}
