import Foundation
import Autograd

/// Reads `--at` values: `x=-2,y=5,z=-4`, tensors as literals: `x=[1,2,3],W=[[1,2],[3,4]]`.
public enum InputValues {
    /// The name–value pairs of an `--at` argument, in order.
    /// - Throws: `ExpressionError` with the column of the first mistake (the "line" is the argument).
    public static func parse(_ text: String) throws(ExpressionError) -> [(name: String, value: Tensor)] {
        var pairs: [(name: String, value: Tensor)] = []
        var start = text.startIndex
        var depth = 0
        var pieces: [(Substring, Int)] = []
        var column = 1, pieceColumn = 1
        for index in text.indices {
            let character = text[index]
            if character == "[" { depth += 1 } else if character == "]" { depth -= 1 }
            if character == "," && depth == 0 {
                pieces.append((text[start..<index], pieceColumn))
                start = text.index(after: index)
                pieceColumn = column + 1
            }
            column += 1
        }
        pieces.append((text[start...], pieceColumn))
        for (piece, column) in pieces {
            guard let equals = piece.firstIndex(of: "=") else {
                throw ExpressionError(.syntax("expected name=value in --at, found '\(piece)'"),
                                      at: SourcePosition(line: 1, column: column), sourceLine: text)
            }
            let name = piece[..<equals].trimmingCharacters(in: .whitespaces)
            let valueText = String(piece[piece.index(after: equals)...])
            guard let first = name.first, first.isLetter || first == "_",
                  name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ExpressionError(.syntax("'\(name)' is not a name"), at: SourcePosition(line: 1, column: column), sourceLine: text)
            }
            if pairs.contains(where: { $0.name == name }) {
                throw ExpressionError(.syntax("'\(name)' is given twice"), at: SourcePosition(line: 1, column: column), sourceLine: text)
            }
            let valueColumn = column + piece.distance(from: piece.startIndex, to: equals) + 1
            do {
                pairs.append((name, try literal(valueText)))
            } catch {
                let inner = error.position?.column ?? 1
                throw ExpressionError(error.kind, at: SourcePosition(line: 1, column: valueColumn + inner - 1), sourceLine: text)
            }
        }
        return pairs
    }

    /// A number (`-2`, `1e-3`) or a tensor literal (`[[1, 2], [3, 4]]`).
    public static func literal(_ text: String) throws(ExpressionError) -> Tensor {
        if let number = plainNumber(text) { return Tensor(scalar: number) }
        var parser = try Parser(source: text, options: .init())
        while parser.current.kind == .separator { _ = parser.advance() }
        let value: Tensor
        if parser.isSymbol("[") {
            value = try parser.parseTensorLiteral()
        } else {
            var sign = 1.0
            if parser.isSymbol("-") { _ = parser.advance(); sign = -1 }
            guard case .number(let number) = parser.current.kind else {
                throw ExpressionError(.syntax("expected a number or a tensor such as [1, 2], found \(parser.describe(parser.current))"), at: parser.current.position)
            }
            _ = parser.advance()
            value = Tensor(scalar: sign * number)
        }
        guard parser.current.kind == .end else {
            throw ExpressionError(.syntax("unexpected \(parser.describe(parser.current)) after the value"), at: parser.current.position)
        }
        return value
    }

    /// A plain number (`0.5`, `-2`, `1e-3`) read without a parser: the server reads one per input
    /// of every request. Anything else, and any mistake, is left to the parser and its messages.
    static func plainNumber(_ text: String) -> Double? {
        let bytes = text.utf8
        guard let first = bytes.first, bytes.count <= 40 else { return nil }
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        // The language's number, after an optional minus: starts with a digit or a point, no plus in front.
        let start = first == UInt8(ascii: "-") ? bytes.dropFirst().first : first
        guard let start, digits.contains(start) || start == UInt8(ascii: ".") else { return nil }
        for byte in bytes.dropFirst() where !(digits.contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                                             || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")) { return nil }
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
