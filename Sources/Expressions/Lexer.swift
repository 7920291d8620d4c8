import Autograd

/// A token of the expression language, with where it starts.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case number(Double)
        case name(String)
        case symbol(String)        // + - * / @ ^ ( ) [ ] , : =
        case separator             // ; or newline
        case end
    }
    let kind: Kind
    let position: SourcePosition

    var text: String {
        switch kind {
        case .number(let value): return TraceFormat.number(value)
        case .name(let name): return name
        case .symbol(let symbol): return symbol
        case .separator: return "end of statement"
        case .end: return "end of program"
        }
    }
}

/// Splits program text into tokens: numbers, names, symbols and statement separators; `#` starts a comment.
struct Lexer {
    static let symbols: Set<Character> = ["+", "-", "*", "/", "@", "^", "(", ")", "[", "]", ",", ":", "="]

    /// The tokens of `source`, ending with `.end`.
    /// - Throws: `ExpressionError` at the first character that starts no token.
    static func tokenize(_ source: String) throws(ExpressionError) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(source)
        var index = 0, line = 1, column = 1
        while index < characters.count {
            let character = characters[index]
            let position = SourcePosition(line: line, column: column)
            if character == "\n" || character == "\r\n" || character == ";" {
                tokens.append(Token(kind: .separator, position: position))
                index += 1
                if character == ";" { column += 1 } else { line += 1; column = 1 }
            } else if character.isWhitespace {
                index += 1; column += 1
            } else if character == "#" {
                while index < characters.count && characters[index] != "\n" && characters[index] != "\r\n" { index += 1; column += 1 }
            } else if character.isASCII && (character.isNumber || (character == "." && index + 1 < characters.count && characters[index + 1].isASCII && characters[index + 1].isNumber)) {
                var end = index
                while end < characters.count && characters[end].isASCII && (characters[end].isNumber || characters[end] == ".") { end += 1 }
                if end < characters.count && (characters[end] == "e" || characters[end] == "E") {
                    var exponentEnd = end + 1
                    if exponentEnd < characters.count && (characters[exponentEnd] == "+" || characters[exponentEnd] == "-") { exponentEnd += 1 }
                    if exponentEnd < characters.count && characters[exponentEnd].isASCII && characters[exponentEnd].isNumber {
                        end = exponentEnd
                        while end < characters.count && characters[end].isASCII && characters[end].isNumber { end += 1 }
                    }
                }
                let text = String(characters[index..<end])
                guard let value = Double(text), value.isFinite else {
                    throw ExpressionError(.syntax("'\(text)' is not a number"), at: position)
                }
                tokens.append(Token(kind: .number(value), position: position))
                column += end - index
                index = end
            } else if character.isLetter || character == "_" {
                var end = index
                while end < characters.count && (characters[end].isLetter || characters[end].isNumber || characters[end] == "_") { end += 1 }
                tokens.append(Token(kind: .name(String(characters[index..<end])), position: position))
                column += end - index
                index = end
            } else if character == "*" && index + 1 < characters.count && characters[index + 1] == "*" {
                // Accept Python's ** as a spelling of ^.
                tokens.append(Token(kind: .symbol("^"), position: position))
                index += 2; column += 2
            } else if Lexer.symbols.contains(character) {
                tokens.append(Token(kind: .symbol(String(character)), position: position))
                index += 1; column += 1
            } else {
                throw ExpressionError(.syntax("unexpected character '\(character)'"), at: position)
            }
        }
        tokens.append(Token(kind: .end, position: SourcePosition(line: line, column: column)))
        return tokens
    }
}
