import TOMLKit

/// What the workbench checks in TOML text before TOMLKit sees it.
///
/// TOMLKit's bundled toml++ aborts the process (a failed `assert`, in release builds too) on some
/// malformed keys: `[∂answers]`, found by the answer-file fuzzer (Tests/WorkbenchTests). TOML 1.0
/// allows characters beyond ASCII only inside strings and comments, so such text is refused here,
/// with its place, and never reaches the parser. The same abort follows a table header whose key
/// starts with a character a key cannot start with (`[=x]`, `[ +a]`), so a header's first key
/// character is checked too. NUL and other control characters outside strings are refused.
public enum TOMLGuard {
    /// Why text is not a TOML table: where (when known) and what.
    public struct Problem: Error {
        public let line: Int?, column: Int?
        public let message: String
    }

    /// The text's table: checked by `problem(in:)` first, then parsed by TOMLKit.
    public static func parse(_ text: String) throws(Problem) -> TOMLTable {
        if let problem = problem(in: text) { throw Problem(line: problem.line, column: problem.column, message: problem.message) }
        do { return try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw Problem(line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch { throw Problem(line: nil, column: nil, message: "\(error)") }
    }

    /// `parse`, with a failure as one line `FILE:LINE:COLUMN: error: …`, exit status 2.
    public static func table(_ text: String, file: String) throws(WorkbenchFailure) -> TOMLTable {
        do { return try parse(text) } catch {
            if let line = error.line, let column = error.column { throw .badInput("\(error.message)", at: SourceLocation(file: file, line: line, column: column)) }
            throw .badInput("\(error.message)", at: SourceLocation(file: file))
        }
    }

    /// The first character TOML forbids where it stands, as (line, column, message); nil when clean.
    public static func problem(in text: String) -> (line: Int, column: Int, message: String)? {
        enum State { case plain, comment, basic, literal, multilineBasic, multilineLiteral }
        var state = State.plain
        let characters = Array(text.unicodeScalars)
        var line = 1, column = 0
        var index = 0
        // Brackets and braces open in a value (`a = [1, [2]]`, over several lines too), and whether
        // this line has had its `=`: a `[` first on a line outside any value starts a table header.
        var valueDepth = 0, afterEquals = false, lineStart = true
        func isKeyStart(_ c: Unicode.Scalar) -> Bool {
            (c.value >= 0x30 && c.value <= 0x39) || (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A)
                || c == "_" || c == "-" || c == "\"" || c == "'" || c == "]"
        }
        func starts(_ marker: String, at position: Int) -> Bool {
            let scalars = Array(marker.unicodeScalars)
            guard position + scalars.count <= characters.count else { return false }
            return (0..<scalars.count).allSatisfy { characters[position + $0] == scalars[$0] }
        }
        while index < characters.count {
            let c = characters[index]
            column += 1
            if c == "\n" {
                if state == .comment { state = .plain }
                if state == .basic || state == .literal { return (line, column, "a string is not closed on its line") }
                line += 1; column = 0; index += 1
                if valueDepth == 0 { afterEquals = false }
                lineStart = true
                continue
            }
            let control = c.value < 0x20 && c != "\t" && c != "\r" || c.value == 0x7F
            switch state {
            case .plain:
                if control { return (line, column, "a control character (U+\(String(c.value, radix: 16, uppercase: true))) outside a string") }
                if c.value > 0x7F { return (line, column, "'\(Character(c))' outside a string: TOML keys are ASCII letters, digits, - and _ (quote other keys)") }
                if c == " " || c == "\t" || c == "\r" { index += 1; continue }
                defer { lineStart = false }
                if c == "=" && valueDepth == 0 { afterEquals = true }
                if c == "[" && lineStart && valueDepth == 0 && !afterEquals {
                    // A table header: `[key]` or `[[key]]`; its first key character must start a key.
                    var next = index + 1, nextColumn = column + 1
                    if next < characters.count && characters[next] == "[" { next += 1; nextColumn += 1 }
                    while next < characters.count && (characters[next] == " " || characters[next] == "\t") { next += 1; nextColumn += 1 }
                    if next >= characters.count { return (line, nextColumn, "a table header is not closed") }
                    if !isKeyStart(characters[next]) {
                        let shown = characters[next] == "\n" ? "end of line" : characters[next].value > 0x7F || characters[next].value < 0x20 ? "U+\(String(characters[next].value, radix: 16, uppercase: true))" : String(Character(characters[next]))
                        return (line, nextColumn, "'\(shown)' cannot start a table name (letters, digits, - and _, or a quoted name)")
                    }
                } else if (c == "[" || c == "{") && (afterEquals || valueDepth > 0) {
                    valueDepth += 1
                } else if (c == "]" || c == "}") && valueDepth > 0 {
                    valueDepth -= 1
                }
                if c == "#" { state = .comment }
                else if starts("\"\"\"", at: index) { state = .multilineBasic; index += 3; column += 2; continue }
                else if starts("'''", at: index) { state = .multilineLiteral; index += 3; column += 2; continue }
                else if c == "\"" { state = .basic }
                else if c == "'" { state = .literal }
            case .comment:
                if control { return (line, column, "a control character in a comment") }
            case .basic, .multilineBasic:
                if c == "\\" { index += 2; column += 1; continue }   // an escape: skip the escaped character
                if c.value == 0 { return (line, column, "a NUL character in a string") }
                if state == .basic && c == "\"" { state = .plain }
                else if state == .multilineBasic && starts("\"\"\"", at: index) { state = .plain; index += 3; column += 2; continue }
            case .literal, .multilineLiteral:
                if c.value == 0 { return (line, column, "a NUL character in a string") }
                if state == .literal && c == "'" { state = .plain }
                else if state == .multilineLiteral && starts("'''", at: index) { state = .plain; index += 3; column += 2; continue }
            }
            index += 1
        }
        return nil
    }
}
