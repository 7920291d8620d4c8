import Autograd

// The program parser's notation entry points (Notation.swift calls them): quantities, claims,
// conditions and formulas that may name quantities. One lexer, one grammar of expressions: what
// follows `=` in a claim, each side of a condition and a student's formula are the program
// language's expressions, read by `parseExpression`.
//
// ```
// quantity  := (gradient | "updated" name | name) entry?
// gradient  := half "/" half                 -- df/dx, ∂f/∂x, d f/d x
// half      := "∂" name | "d" name | name starting with d (dA)
// entry     := "[" integer ("," integer)* "]"
// claim     := gradient "=" expression
// condition := expression ("<" | "<=" | ">" | ">=" | "==" | "!=") expression
// formula   := expression                    -- a gradient or `updated w` may stand as a primary
// ```
extension Parser {
    /// A place in a message: `column 9` in notation (one line), `2:9` in a program.
    static func place(_ position: SourcePosition, notation: Bool) -> String { notation ? "column \(position.column)" : position.description }

    /// The half `dA`, `d A` or `∂A` of a gradient at token `at`: A, where A is written, the token after.
    func gradientHalf(at: Int) -> (name: String, position: SourcePosition, next: Int)? {
        guard at + 1 < tokens.count else { return nil }
        let token = tokens[at]
        switch token.kind {
        case .symbol("∂"), .name("d"):
            guard case .name(let name) = tokens[at + 1].kind else { return nil }
            return (name, tokens[at + 1].position, at + 2)
        case .name(let word) where word.count > 1 && word.first == "d":
            return (String(word.dropFirst()), SourcePosition(line: token.position.line, column: token.position.column + 1), at + 1)
        default:
            return nil
        }
    }

    /// The gradient written from the current token, and the token after it; nil if there is none.
    func gradientAhead() -> (quantity: Quantity, next: Int)? {
        guard let a = gradientHalf(at: index), tokens[a.next].kind == .symbol("/"),
              let b = gradientHalf(at: a.next + 1) else { return nil }
        let quantity = Quantity(kind: .gradient(of: a.name, by: b.name), position: current.position, namePositions: [a.position, b.position])
        return (quantity, b.next)
    }

    /// Whether `dA/dB` at the current token reads as a division of two of the formula's own names.
    func readsAsDivision(next: Int) -> Bool {
        guard case .name(let top) = current.kind, case .name(let bottom) = tokens[next - 1].kind, next - index == 3 else { return false }
        let known = { (name: String) in self.givenInputs[name] != nil || self.environment[name] != nil }
        return known(top) && known(bottom)
    }

    /// `updated w` at the current token.
    func updatedAhead() -> Quantity? {
        guard case .name("updated") = current.kind, case .name(let name) = tokens[index + 1].kind else { return nil }
        return Quantity(kind: .updated(name), position: current.position, namePositions: [tokens[index + 1].position])
    }

    /// A gradient or `updated w` standing as a primary of a formula: its value from `quantityValue`,
    /// recorded as a constant. Nil (nothing read) when no quantity starts here.
    mutating func parseQuantityReference() throws(ExpressionError) -> NodeID? {
        let start = current.position
        let quantity: Quantity
        if let (gradient, next) = gradientAhead(), !readsAsDivision(next: next) {
            quantity = gradient
            index = next
        } else if let updated = updatedAhead() {
            quantity = updated
            index += 2
        } else {
            return nil
        }
        guard let quantityValue else { throw ExpressionError(.notation(.quantityInFormula(quantity.base)), at: start) }
        return graph.constant(try quantityValue(quantity))
    }

    /// A quantity alone, to the end of the text.
    mutating func parseQuantity() throws(ExpressionError) -> Quantity {
        var quantity: Quantity
        if let (gradient, next) = gradientAhead() {
            quantity = gradient
            index = next
        } else if let updated = updatedAhead() {
            quantity = updated
            index += 2
        } else if case .name(let name) = current.kind {
            quantity = Quantity(kind: .value(name), position: current.position, namePositions: [current.position])
            _ = advance()
        } else {
            throw ExpressionError(.notation(.expectedQuantity(found: describe(current))), at: current.position)
        }
        if isSymbol("[") {
            quantity = Quantity(kind: quantity.kind, entry: try parseEntry(), position: quantity.position, namePositions: quantity.namePositions)
        }
        guard current.kind == .end else {
            throw ExpressionError(.syntax("unexpected \(describe(current)) after \(quantity.description)"), at: current.position)
        }
        return quantity
    }

    /// `[0, 1]`: whole numbers only.
    mutating func parseEntry() throws(ExpressionError) -> [Int] {
        _ = advance()
        var entry: [Int] = []
        while true {
            var sign = 1
            if isSymbol("-") { _ = advance(); sign = -1 }
            guard case .number(let value) = current.kind, value == value.rounded(), Swift.abs(value) < 1e9 else {
                throw ExpressionError(.notation(.entryNotWhole), at: current.position)
            }
            _ = advance()
            entry.append(sign * Int(value))
            if isSymbol(",") { _ = advance(); continue }
            guard isSymbol("]") else { throw ExpressionError(.notation(.entryNotWhole), at: current.position) }
            _ = advance()
            return entry
        }
    }

    /// `dA/dB =` of a claim, one line: the left side and where the right side starts.
    mutating func parseClaimLeft() throws(ExpressionError) -> (left: Quantity, rightStart: SourcePosition) {
        if let lineBreak = tokens.indices.first(where: { tokens[$0].kind == .separator && $0 + 1 < tokens.count && tokens[$0 + 1].position.line > tokens[$0].position.line }) {
            throw ExpressionError(.notation(.oneLine), at: tokens[lineBreak].position)
        }
        guard tokens.contains(where: { $0.kind == .symbol("=") }) else {
            throw ExpressionError(.notation(.expectedEquals), at: tokens[tokens.count - 1].position)
        }
        let start = current.position
        func dWithoutName(at: Int) -> ExpressionError? {
            guard tokens[at].kind == .symbol("∂") || tokens[at].kind == .name("d"), at + 1 < tokens.count else { return nil }
            return ExpressionError(.notation(.expectedName(found: describe(tokens[at + 1]))), at: tokens[at + 1].position)
        }
        guard let a = gradientHalf(at: index) else {
            throw dWithoutName(at: index) ?? ExpressionError(.notation(.claimStart), at: current.position)
        }
        index = a.next
        guard isSymbol("/") else { throw ExpressionError(.notation(.expectedSlash(of: a.name)), at: current.position) }
        _ = advance()
        guard let b = gradientHalf(at: index) else {
            throw dWithoutName(at: index) ?? ExpressionError(.notation(.expectedD(of: a.name)), at: current.position)
        }
        index = b.next
        guard isSymbol("=") else {
            throw ExpressionError(.notation(.unexpectedAfterLeft(found: describe(current), of: a.name, by: b.name)), at: current.position)
        }
        let left = Quantity(kind: .gradient(of: a.name, by: b.name), position: start, namePositions: [a.position, b.position])
        _ = advance()
        guard current.kind != .end else { throw ExpressionError(.notation(.missingRightSide), at: current.position) }
        return (left, current.position)
    }

    /// `dA/dB = right`, one line, the right side evaluated.
    mutating func parseClaim() throws(ExpressionError) -> ClaimText {
        let (left, rightStart) = try parseClaimLeft()
        let node = try parseExpression()
        if isSymbol("=") { throw ExpressionError(.notation(.twoEquals), at: current.position) }
        if current.kind == .separator { throw ExpressionError(.notation(.oneExpression), at: current.position) }
        guard current.kind == .end else {
            throw ExpressionError(.syntax("expected an operator or the end of the claim, found \(describe(current))"), at: current.position)
        }
        let right = text(from: rightStart.column, to: nil)
        return ClaimText(left: left, right: right, rightPosition: rightStart, value: graph.value(of: node),
                         usesNames: !inputs.isEmpty, isLiteral: (try? InputValues.literal(right)) != nil)
    }

    /// A formula to the end of the text.
    mutating func parseFormula() throws(ExpressionError) -> NodeID {
        let node = try parseExpression()
        guard current.kind == .end else {
            throw ExpressionError(.syntax("expected an operator or \(describe(tokens[tokens.count - 1])), found \(describe(current))"), at: current.position)
        }
        return node
    }

    /// `left op right`, each side one number.
    mutating func parseCondition() throws(ExpressionError) -> Condition {
        let leftNode = try parseExpression()
        guard case .symbol(let symbol) = current.kind, let comparison = Comparison(rawValue: symbol) else {
            if isSymbol("=") { throw ExpressionError(.notation(.comparisonOperator), at: current.position) }
            if current.kind == .end { throw ExpressionError(.notation(.expectedComparison), at: current.position) }
            throw ExpressionError(.syntax("expected an operator or a comparison, found \(describe(current))"), at: current.position)
        }
        let operatorToken = advance()
        let rightNode = try parseExpression()
        if case .symbol(let next) = current.kind, Comparison(rawValue: next) != nil {
            throw ExpressionError(.notation(.oneComparison), at: current.position)
        }
        guard current.kind == .end else {
            throw ExpressionError(.syntax("expected an operator or \(describe(current.kind == .end ? current : tokens[tokens.count - 1])), found \(describe(current))"), at: current.position)
        }
        let x = graph.value(of: leftNode), y = graph.value(of: rightNode)
        guard x.count == 1, y.count == 1 else { throw ExpressionError(.notation(.comparisonOfTensors), at: operatorToken.position) }
        let column = operatorToken.position.column
        return Condition(left: text(from: 1, to: column), right: text(from: column + symbol.count, to: nil), comparison: comparison,
                         leftValue: x.storage[0], rightValue: y.storage[0])
    }

    /// The first line's text from column `from` up to (not including) column `to`, trimmed.
    func text(from: Int, to: Int?) -> String {
        let line = Array(Program.line(1, of: source) ?? "")
        let lower = Swift.min(Swift.max(0, from - 1), line.count), upper = Swift.max(lower, Swift.min(to.map { $0 - 1 } ?? line.count, line.count))
        var slice = line[lower..<upper]
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
