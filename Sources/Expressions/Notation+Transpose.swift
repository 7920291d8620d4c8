import Autograd

extension Notation {
    /// Each formula made from `formula` by transposing one operand of a product `@` (or dropping the
    /// `transpose(…)` around it), with that operand as written: `transpose(W) @ v` for `W @ v`. The
    /// operands are found by the lexer's tokens and brackets, so the suggestion is the student's own
    /// text with one change, and it parses.
    public static func transposedVariants(_ formula: String) -> [(variant: String, operand: String)] {
        guard let tokens = try? Lexer.tokenize(formula, notation: true), tokens.allSatisfy({ $0.position.line == 1 }) else { return [] }
        let characters = Array(formula)
        func isOpen(_ index: Int) -> Bool { tokens[index].kind == .symbol("(") || tokens[index].kind == .symbol("[") }
        func isClose(_ index: Int) -> Bool { tokens[index].kind == .symbol(")") || tokens[index].kind == .symbol("]") }
        func isAtom(_ index: Int) -> Bool {
            switch tokens[index].kind {
            case .name, .number: return true
            default: return false
            }
        }
        /// The bracket matching the one at `index`, searching in `step`'s direction.
        func match(_ index: Int, step: Int) -> Int? {
            var depth = 0, at = index
            while at >= 0 && at < tokens.count {
                if isOpen(at) { depth += step } else if isClose(at) { depth -= step }
                if depth == 0 { return at }
                at += step
            }
            return nil
        }
        /// The characters of tokens `first...last`.
        func span(_ first: Int, _ last: Int) -> Range<Int> {
            let start = tokens[first].position.column - 1
            var end = tokens[last + 1].position.column - 1
            while end > start && characters[end - 1].isWhitespace { end -= 1 }
            return start..<end
        }
        var variants: [(variant: String, operand: String)] = []
        for at in tokens.indices where tokens[at].kind == .symbol("@") {
            var operands: [(Int, Int)] = []
            if at > 0 {
                var first = at - 1
                if isClose(first), let open = match(first, step: -1) { first = open; if first > 0, isAtom(first - 1) { first -= 1 } }
                if isAtom(first) || isOpen(first) { operands.append((first, at - 1)) }
            }
            if at + 1 < tokens.count - 1 {
                var last = at + 1
                if isAtom(last), last + 1 < tokens.count, isOpen(last + 1), let close = match(last + 1, step: 1) { last = close }
                else if isOpen(last), let close = match(last, step: 1) { last = close }
                if isAtom(at + 1) || isOpen(at + 1) { operands.append((at + 1, last)) }
            }
            for (first, last) in operands {
                let range = span(first, last)
                let text = String(characters[range])
                var replacement = "transpose(\(text))"
                if tokens[first].kind == .name("transpose"), first + 1 < last, tokens[first + 1].kind == .symbol("("), match(first + 1, step: 1) == last {
                    replacement = String(characters[span(first + 2, last - 1)])
                }
                variants.append((String(characters[..<range.lowerBound]) + replacement + String(characters[range.upperBound...]), text))
            }
        }
        return variants
    }
}
