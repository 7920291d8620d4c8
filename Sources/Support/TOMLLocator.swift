/// A place in a text file: 1-based line and column (columns count Unicode scalars, as TOMLGuard does).
public struct TOMLPosition: Sendable, Equatable {
    public let line: Int
    public let column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
}

/// Where keys, values and `[[layer]]` headers stand in TOML text, for messages.
///
/// TOMLKit gives values without their places, so this scans the text once, line by line: each
/// `[[layer]]` header starts a section (numbered from 0), and each `key = value` line records the
/// key's and the value's column in the section it is in (`nil`: the top level). Multi-line arrays
/// and strings are skipped over. It only locates: TOMLKit has already checked the syntax, and a key
/// it cannot place (inside an inline table) falls back to its table's place in the caller.
public struct TOMLLocator {
    /// The `[[layer]]` headers in file order.
    public private(set) var layerHeaders: [TOMLPosition] = []
    private struct Key: Hashable { let section: Int?; let name: String }
    private var keys: [Key: (key: TOMLPosition, value: TOMLPosition)] = [:]

    /// The place of `name` itself in `section` (nil: the top level), if it was written as `name = …`
    /// or, at the top level, as a `[name]` or `[[name]]` header.
    public func key(_ name: String, in section: Int?) -> TOMLPosition? { keys[Key(section: section, name: name)]?.key }

    /// The place of the value after `name =` in `section`.
    public func value(_ name: String, in section: Int?) -> TOMLPosition? { keys[Key(section: section, name: name)]?.value }

    public init(text: String) {
        /// A section that is neither the top level nor a [[layer]]: keys there are not recorded.
        let elsewhere = -1
        var section: Int? = nil
        var depth = 0                       // brackets and braces open in a multi-line value
        var multiline: [Unicode.Scalar]? = nil   // the closing `"""` or `'''` of an open string
        for (lineIndex, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let characters = Array(line.unicodeScalars)
            var index = 0
            func skipSpaces() { while index < characters.count && (characters[index] == " " || characters[index] == "\t") { index += 1 } }
            func position() -> TOMLPosition { TOMLPosition(line: lineIndex + 1, column: index + 1) }
            func record(_ name: String, key: TOMLPosition, value: TOMLPosition) {
                let entry = Key(section: section, name: name)
                if section != elsewhere, keys[entry] == nil { keys[entry] = (key, value) }
            }
            if multiline == nil && depth == 0 {
                skipSpaces()
                guard index < characters.count, characters[index] != "#" else { continue }
                if characters[index] == "[" {
                    // A table header: [[name]] or [name]; only [[layer]] opens a section we read.
                    let start = position()
                    let double = index + 1 < characters.count && characters[index + 1] == "["
                    let body = String(String.UnicodeScalarView(characters[(index + (double ? 2 : 1))...]))
                    let name = body.prefix { $0 != "]" }.trimmingSpaces
                    let first = String(name.prefix { $0 != "." }).trimmingSpaces
                    section = nil
                    record(first.unquoted, key: start, value: start)
                    if double && name == "layer" {
                        section = layerHeaders.count
                        layerHeaders.append(start)
                    } else {
                        section = elsewhere
                    }
                    continue
                }
                // key = value: the key runs to the first `=` outside quotes.
                let keyStart = position()
                var quote: Unicode.Scalar? = nil
                var keyText = ""
                while index < characters.count {
                    let c = characters[index]
                    if let open = quote { if c == open { quote = nil } }
                    else if c == "\"" || c == "'" { quote = c }
                    else if c == "=" { break }
                    keyText.unicodeScalars.append(c)
                    index += 1
                }
                guard index < characters.count else { continue }
                index += 1
                skipSpaces()
                let first = keyText.trimmingSpaces.unquotedFirstComponent
                record(first, key: keyStart, value: position())
            }
            // The rest of the line (a value, or the continuation of one): follow strings and brackets.
            while index < characters.count {
                let c = characters[index]
                func starts(_ marker: [Unicode.Scalar]) -> Bool {
                    index + marker.count <= characters.count && (0..<marker.count).allSatisfy { characters[index + $0] == marker[$0] }
                }
                if let closing = multiline {
                    if closing[0] == "\"" && c == "\\" { index += 2; continue }
                    if starts(closing) { multiline = nil; index += 3; continue }
                    index += 1; continue
                }
                if c == "#" { break }
                if starts(["\"", "\"", "\""]) { multiline = ["\"", "\"", "\""]; index += 3; continue }
                if starts(["'", "'", "'"]) { multiline = ["'", "'", "'"]; index += 3; continue }
                if c == "\"" || c == "'" {
                    index += 1
                    while index < characters.count && characters[index] != c {
                        if c == "\"" && characters[index] == "\\" { index += 1 }
                        index += 1
                    }
                    index += 1; continue
                }
                if c == "[" || c == "{" { depth += 1 }
                if (c == "]" || c == "}") && depth > 0 { depth -= 1 }
                index += 1
            }
        }
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// `"a b"` → `a b`, `'x'` → `x`; anything else as it is.
    fileprivate var unquoted: String {
        let text = String(self)
        if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first { return String(text.dropFirst().dropLast()) }
        return text
    }

    /// The first part of a dotted key (`a.b` → `a`), unquoted; a quoted key stays whole.
    fileprivate var unquotedFirstComponent: String {
        let text = String(self)
        if text.first == "\"" || text.first == "'" { return text.unquoted }
        return String(text.prefix { $0 != "." }).trimmingSpaces
    }
}
