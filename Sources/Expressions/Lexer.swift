import Autograd

/// A token of the expression language, with where it starts.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case number(Double)
        case name(String)
        case symbol(String)        // + - * / @ ^ ( ) [ ] , : =, and in notation ∂ < > <= >= == !=
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
    static let symbols: Set<UInt8> = Set("+-*/@^()[],:=".utf8)

    /// The tokens of `source`, ending with `.end`. Columns count characters (grapheme clusters).
    /// `notation`: also the tokens of quantities, claims and conditions (`∂`, comparisons); see Notation.swift.
    /// - Throws: `ExpressionError` at the first character that starts no token.
    static func tokenize(_ source: String, notation: Bool = false) throws(ExpressionError) -> [Token] {
        // Most programs are ASCII: lexed as bytes, one per column, with no grapheme breaking nor
        // Unicode property lookups (which were 8% of the server's CPU for a 100-node trace, perf).
        // A carriage return (`\r\n` is one character) sends a program down the general path.
        if source.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\r") }) { return try tokenize(Array(source.utf8), notation: notation) }
        return try tokenize(Array(source), notation: notation)
    }

    static func tokenize<C: LexedCharacter>(_ characters: [C], notation: Bool = false) throws(ExpressionError) -> [Token] {
        var tokens: [Token] = []
        var index = 0, line = 1, column = 1
        func isDigit(at index: Int) -> Bool { index < characters.count && characters[index].isDigit }
        func ascii(at index: Int) -> UInt8? { index < characters.count ? characters[index].ascii : nil }
        while index < characters.count {
            let character = characters[index]
            let position = SourcePosition(line: line, column: column)
            if character.isLineBreak || character.ascii == UInt8(ascii: ";") {
                tokens.append(Token(kind: .separator, position: position))
                index += 1
                if character.isLineBreak { line += 1; column = 1 } else { column += 1 }
            } else if character.isSpace {
                index += 1; column += 1
            } else if character.ascii == UInt8(ascii: "#") {
                while index < characters.count && !characters[index].isLineBreak { index += 1; column += 1 }
            } else if character.isDigit || (character.ascii == UInt8(ascii: ".") && isDigit(at: index + 1)) {
                var end = index
                while isDigit(at: end) || ascii(at: end) == UInt8(ascii: ".") { end += 1 }
                if ascii(at: end) == UInt8(ascii: "e") || ascii(at: end) == UInt8(ascii: "E") {
                    var exponentEnd = end + 1
                    if ascii(at: exponentEnd) == UInt8(ascii: "+") || ascii(at: exponentEnd) == UInt8(ascii: "-") { exponentEnd += 1 }
                    if isDigit(at: exponentEnd) {
                        end = exponentEnd
                        while isDigit(at: end) { end += 1 }
                    }
                }
                let text = C.text(characters[index..<end])
                guard let value = Double(text), value.isFinite else {
                    throw ExpressionError(.syntax("'\(text)' is not a number"), at: position)
                }
                tokens.append(Token(kind: .number(value), position: position))
                column += end - index
                index = end
            } else if character.isLetter || character.ascii == UInt8(ascii: "_") {
                var end = index
                while end < characters.count && (characters[end].isLetter || characters[end].isNumber || characters[end].ascii == UInt8(ascii: "_"))
                        && (characters[end].ascii != nil || Notation.superscript(characters[end].character) == nil) { end += 1 }
                tokens.append(Token(kind: .name(Notation.callName(C.text(characters[index..<end]), calling: ascii(at: end) == UInt8(ascii: "("))), position: position))
                column += end - index
                index = end
            } else if character.ascii == UInt8(ascii: "*") && ascii(at: index + 1) == UInt8(ascii: "*") {
                // Accept Python's ** as a spelling of ^.
                tokens.append(Token(kind: .symbol("^"), position: position))
                index += 2; column += 2
            } else if notation, let symbol = Notation.comparison(character.ascii, next: ascii(at: index + 1)) {
                tokens.append(Token(kind: .symbol(symbol), position: position))
                index += symbol.count; column += symbol.count
            } else if let symbol = character.ascii, Lexer.symbols.contains(symbol) {
                tokens.append(Token(kind: .symbol(String(UnicodeScalar(symbol))), position: position))
                index += 1; column += 1
            } else if let symbol = Notation.symbol(character.character, notation: notation) {
                // The notes' notation: `·` and `×` multiply, `−` subtracts, `∂` starts a gradient.
                tokens.append(Token(kind: .symbol(symbol), position: position))
                index += 1; column += 1
            } else if let power = Notation.superscript(character.character) {
                // `y²` is `y ^ 2`, as the engine's formulas write it.
                tokens.append(Token(kind: .symbol("^"), position: position))
                tokens.append(Token(kind: .number(Double(power)), position: position))
                index += 1; column += 1
            } else {
                throw ExpressionError(.syntax("unexpected character '\(character.character)'"), at: position)
            }
        }
        tokens.append(Token(kind: .end, position: SourcePosition(line: line, column: column)))
        return tokens
    }
}

/// What the lexer asks of one character of a program: a `Character`, or a byte of an ASCII program.
protocol LexedCharacter {
    /// `\n`, or `\r\n` (one character).
    var isLineBreak: Bool { get }
    var isSpace: Bool { get }
    /// 0 to 9.
    var isDigit: Bool { get }
    var isLetter: Bool { get }
    var isNumber: Bool { get }
    /// The ASCII code, for the one-byte characters the language spells with.
    var ascii: UInt8? { get }
    var character: Character { get }
    static func text(_ characters: ArraySlice<Self>) -> String
}

extension Character: LexedCharacter {
    var isLineBreak: Bool { self == "\n" || self == "\r\n" }
    var isSpace: Bool { isWhitespace }
    var isDigit: Bool { isASCII && isNumber }
    var ascii: UInt8? { isASCII ? asciiValue : nil }
    var character: Character { self }
    static func text(_ characters: ArraySlice<Character>) -> String { String(characters) }
}

extension UInt8: LexedCharacter {
    var isLineBreak: Bool { self == UInt8(ascii: "\n") }
    /// Unicode's White_Space among ASCII: tab, line feed, vertical tab, form feed, carriage return, space.
    var isSpace: Bool { self == UInt8(ascii: " ") || (0x09...0x0D).contains(self) }
    var isDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
    var isLetter: Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self | 0x20) }
    var isNumber: Bool { isDigit }
    var ascii: UInt8? { self }
    var character: Character { Character(UnicodeScalar(self)) }
    static func text(_ characters: ArraySlice<UInt8>) -> String { String(decoding: characters, as: UTF8.self) }
}
