import Autograd

extension Notation {
    /// A lesson's narration placeholder, `{expression}`, `{expression:N}` (N significant digits) or
    /// `{[e1, e2]}` (a list of expressions, nested for a matrix), split at the lexer's tokens: the
    /// expression without its digits, the digits, and the list's items when it is one.
    public static func placeholder(_ text: String) -> (expression: String, digits: Int?, items: [String]?) {
        guard let tokens = try? Lexer.tokenize(text, notation: true), tokens.allSatisfy({ $0.position.line == 1 }) else {
            return (text, nil, nil)
        }
        let characters = Array(text)
        func slice(_ from: Int, _ to: Int) -> String {   // columns, `to` excluded
            var part = characters[Swift.max(0, from - 1)..<Swift.min(characters.count, Swift.max(from - 1, to - 1))]
            while let first = part.first, first.isWhitespace { part.removeFirst() }
            while let last = part.last, last.isWhitespace { part.removeLast() }
            return String(part)
        }
        var depth: [Int] = []   // the bracket depth before each token
        var level = 0
        for token in tokens {
            if token.kind == .symbol(")") || token.kind == .symbol("]") { level -= 1 }
            depth.append(level)
            if token.kind == .symbol("(") || token.kind == .symbol("[") { level += 1 }
        }
        var last = tokens.count - 1   // the end
        var digits: Int? = nil
        if last >= 2, tokens[last - 2].kind == .symbol(":"), depth[last - 2] == 0, case .number(let value) = tokens[last - 1].kind,
           value == value.rounded(), Swift.abs(value) < 1e6 {
            digits = Int(value)
            last -= 2
        }
        let expression = slice(1, tokens[last].position.column)
        // A list: `[` first, its `]` last, items split at the commas directly inside.
        guard last >= 2, tokens[0].kind == .symbol("["), tokens[last - 1].kind == .symbol("]"), depth[last - 1] == 0,
              !depth[1..<(last - 1)].contains(0) else { return (expression, digits, nil) }
        var items: [String] = []
        var start = tokens[1].position.column
        for index in 1..<(last - 1) where tokens[index].kind == .symbol(",") && depth[index] == 1 {
            items.append(slice(start, tokens[index].position.column))
            start = tokens[index + 1].position.column
        }
        items.append(slice(start, tokens[last - 1].position.column))
        return (expression, digits, items)
    }
}
