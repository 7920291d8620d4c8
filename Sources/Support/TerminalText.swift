import Foundation

/// Text a student wrote made safe for where it goes: a terminal, a CSV cell, a Markdown or HTML page.
///
/// Control characters (C0, DEL, C1: terminal escape sequences start with ESC or CSI) and format
/// characters (the bidi overrides U+202A–U+202E and U+2066–U+2069, zero-width characters, the byte
/// order mark), and the line and paragraph separators, are written as `\u{1b}` so that they cannot act
/// on a terminal, reorder a line, or hide text. Everything else is kept as written.
public enum TerminalText {
    /// Whether a scalar is written as an escape: C0 and C1 controls, DEL, format characters, and the
    /// line and paragraph separators.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 || (0x7F...0x9F).contains(value) { return true }
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator, .control, .surrogate, .privateUse: return true
        default: return false
        }
    }

    /// One line of text with every control or format character written as `\u{…}` (line breaks too).
    public static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) { result += "\\u{\(String(scalar.value, radix: 16))}" } else { result.unicodeScalars.append(scalar) }
        }
        return result
    }

    /// Several lines (a report): like `safe`, but line breaks stay.
    public static func lines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { safe(String($0)) }.joined(separator: "\n")
    }

    /// Text for an HTML page: `safe`, then `& < > " '` as entities.
    public static func html(_ text: String) -> String { entities(safe(text)) }

    /// `& < > " '` as HTML entities, nothing else changed: text that is safe as HTML content and
    /// inside double- or single-quoted attributes (and Graphviz's HTML-like labels).
    public static func entities(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// Text for a Markdown page: `safe`, HTML's `& < >` as entities (no raw HTML gets through), and
    /// every character Markdown could read as markup escaped with a backslash.
    public static func markdown(_ text: String) -> String {
        var result = ""
        for character in safe(text) {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\\", "`", "*", "_", "[", "]", "#", "|", "~":
                result += "\\" + String(character)
            default: result.append(character)
            }
        }
        return result
    }
}
