import Autograd

/// The notation of everything a user writes besides a program, read by the one parser (the program
/// parser's notation entry points, Parser+Notation.swift): quantities, claims (`df/dx = z`),
/// exercise conditions (`df/dx < 0`) and students' answers (a number, a tensor or a formula).
/// Formulas are the expression language, with the notes' notation everywhere: `σ(x)` for
/// `sigmoid(x)`, `ln(x)` for `log(x)`, `·` and `×` for `*`, `−` for `-`, `y²` for `y^2`.
/// Grammar and examples: docs/expression-language.md, "Quantities, claims and answers".
public enum Notation {
    // MARK: - Entry points

    /// A quantity alone: `q`, `s[2]`, `df/dx`, `∂f/∂W[0, 1]`, `d f/d x`, `updated w`.
    /// - Throws: `ExpressionError` with the column of the mistake.
    public static func quantity(_ text: String) throws(ExpressionError) -> Quantity {
        try run(text, end: "the end of the quantity") { (parser: inout Parser) throws(ExpressionError) in try parser.parseQuantity() }
    }

    /// Whether `text` is a quantity alone (rather than a formula such as `abs(df/dw)`).
    public static func isQuantity(_ text: String) -> Bool { (try? quantity(text)) != nil }

    /// A claim `dA/dB = right`, its right side evaluated with `names` as its names' values (the
    /// program's inputs and assigned names at a point).
    /// - Throws: `ExpressionError` with the column inside the claim; a name the right side uses that
    ///   `names` lacks is `.missingInput`.
    public static func claim(_ text: String, names: [(name: String, value: Tensor)]) throws(ExpressionError) -> ClaimText {
        try run(text, inputs: names, end: "the end of the claim") { (parser: inout Parser) throws(ExpressionError) in try parser.parseClaim() }
    }

    /// A claim's left side and its right side as written, the right side not evaluated.
    public static func claimLeft(_ text: String) throws(ExpressionError) -> (left: Quantity, right: String) {
        try run(text, end: "the end of the claim") { (parser: inout Parser) throws(ExpressionError) in
            let (left, start) = try parser.parseClaimLeft()
            return (left, parser.text(from: start.column, to: nil))
        }
    }

    /// Whether an answer is a whole claim (`df/dx = z`, a `=` outside brackets) rather than a formula.
    public static func isClaim(_ text: String) -> Bool {
        guard let tokens = try? Lexer.tokenize(text, notation: true) else { return false }
        return tokens.contains { $0.kind == .symbol("=") }
    }

    /// The value of a formula over `names`, and whether it uses any of them. A gradient or `updated w`
    /// inside it (`abs(df/dw)`, `dH/da[3] + 1`) takes its value from `quantities`; without it, such a
    /// quantity is an error.
    public static func evaluate(_ text: String, names: [(name: String, value: Tensor)], quantities: QuantityLookup? = nil,
                                end: String = "the end of the formula") throws(ExpressionError) -> (value: Tensor, usesNames: Bool) {
        try run(text, inputs: names, quantities: quantities, end: end) { (parser: inout Parser) throws(ExpressionError) in
            let node = try parser.parseFormula()
            return (parser.graph.value(of: node), !parser.inputs.isEmpty)
        }
    }

    /// A condition `left op right` (op one of < <= > >= == !=), both sides formulas as in `evaluate`.
    public static func condition(_ text: String, names: [(name: String, value: Tensor)],
                                 quantities: QuantityLookup? = nil) throws(ExpressionError) -> Condition {
        try run(text, inputs: names, quantities: quantities, end: "the end of the condition") { (parser: inout Parser) throws(ExpressionError) in
            try parser.parseCondition()
        }
    }

    /// The program's names a formula or a condition uses (the quantities in it reach `quantities`).
    public static func references(_ text: String, names: [(name: String, value: Tensor)],
                                  quantities: QuantityLookup? = nil) throws(ExpressionError) -> [String] {
        try run(text, inputs: names, quantities: quantities, end: "the end of the text") { (parser: inout Parser) throws(ExpressionError) in
            let isCondition = parser.tokens.contains { token in
                if case .symbol(let symbol) = token.kind { return Comparison(rawValue: symbol) != nil }
                return false
            }
            if isCondition { _ = try parser.parseCondition() } else { _ = try parser.parseFormula() }
            return parser.inputs.map(\.name)
        }
    }

    /// What a formula asks for, read from its tokens before it is evaluated (the grader's limits):
    /// the functions it calls (`σ(…)` as `sigmoid`), how deep it nests, its tensor literals' numbers.
    public static func outline(_ text: String) throws(ExpressionError) -> FormulaOutline {
        let tokens: [Token]
        do { tokens = try Lexer.tokenize(text, notation: true) } catch {
            // What comes before a character no token starts with still counts (`system("ls")` calls system).
            guard let position = error.position, position.line == 1, position.column > 1 else { throw error }
            tokens = try Lexer.tokenize(String(Array(text).prefix(position.column - 1)), notation: true)
        }
        var outline = FormulaOutline()
        var depth = 0, literal = 0
        for (index, token) in tokens.enumerated() {
            switch token.kind {
            case .name(let name) where tokens[index + 1].kind == .symbol("("):
                outline.calls.append(name)
            case .number where literal > 0:
                outline.literalNumbers += 1
            case .symbol("("):
                depth += 1
            case .symbol("["):
                depth += 1
                // After a name, `)` or `]`, a `[` indexes; anywhere else it starts (or nests) a tensor literal.
                var indexes = false
                if index > 0 {
                    switch tokens[index - 1].kind {
                    case .name, .number, .symbol(")"), .symbol("]"): indexes = true
                    default: indexes = false
                    }
                }
                if literal > 0 || !indexes { literal += 1 }
            case .symbol(")"):
                depth -= 1
            case .symbol("]"):
                depth -= 1
                if literal > 0 { literal -= 1 }
            default:
                break
            }
            outline.deepest = Swift.max(outline.deepest, depth)
            outline.literalDepth = Swift.max(outline.literalDepth, literal)
        }
        return outline
    }

    /// Parses `text` in notation mode with `body`, placing any error's source line.
    static func run<T>(_ text: String, inputs: [(name: String, value: Tensor)] = [], quantities: QuantityLookup? = nil, end: String,
                       _ body: (inout Parser) throws(ExpressionError) -> T) throws(ExpressionError) -> T {
        let bytes = text.utf8.count
        guard bytes <= ExpressionLimits.maximumBytes else {
            throw ExpressionError(.tooLong(bytes: bytes, limit: ExpressionLimits.maximumBytes), at: nil)
        }
        do {
            var parser = try Parser(source: text, options: .init(inputs: inputs, rejectUnusedInputs: false), notation: true)
            parser.quantityValue = quantities
            parser.endName = end
            return try body(&parser)
        } catch var error {
            if let position = error.position, error.sourceLine == nil { error.sourceLine = Program.line(position.line, of: text) }
            throw error
        }
    }

    // MARK: - The lexer's notation

    /// The one-character symbols of the notes' notation, as the language's own: `·`, `⋅` and `×` are
    /// `*`, `−` is `-`; in notation, `∂` starts a gradient.
    static func symbol(_ character: Character, notation: Bool) -> String? {
        switch character {
        case "·", "⋅", "×": return "*"
        case "−": return "-"
        case "∂": return notation ? "∂" : nil
        default: return nil
        }
    }

    /// A superscript digit's value (`²` in `y²`), which the lexer reads as `^` and the digit.
    static func superscript(_ character: Character) -> Int? {
        switch character {
        case "⁰": return 0
        case "¹": return 1
        case "²": return 2
        case "³": return 3
        case "⁴": return 4
        default: return nil
        }
    }

    /// The function a name stands for when it is called: the notes' `σ(x)` is `sigmoid(x)`, `ln(x)` is `log(x)`.
    static func callName(_ name: String, calling: Bool) -> String {
        guard calling else { return name }
        switch name {
        case "σ": return "sigmoid"
        case "ln": return "log"
        default: return name
        }
    }

    /// A comparison at `first` (and `second`): `<`, `<=`, `>`, `>=`, `==`, `!=`.
    static func comparison(_ first: UInt8?, next second: UInt8?) -> String? {
        let equals = second == UInt8(ascii: "=")
        switch first {
        case UInt8(ascii: "<"): return equals ? "<=" : "<"
        case UInt8(ascii: ">"): return equals ? ">=" : ">"
        case UInt8(ascii: "="): return equals ? "==" : nil
        case UInt8(ascii: "!"): return equals ? "!=" : nil
        default: return nil
        }
    }
}

/// A formula's outline: what `Notation.outline` reads from its tokens.
public struct FormulaOutline: Sendable, Equatable {
    /// The functions called, in order (the notes' names as the language's: `σ` is `sigmoid`).
    public var calls: [String] = []
    /// The deepest nesting of parentheses and brackets.
    public var deepest = 0
    /// The numbers inside tensor literals, and the literals' deepest nesting.
    public var literalNumbers = 0, literalDepth = 0
}

/// A claim as written: its left side (a gradient) and its right side, evaluated at the point given.
public struct ClaimText: Sendable {
    /// ∂A/∂B.
    public let left: Quantity
    /// The right side as written, trimmed.
    public let right: String
    /// Where the right side starts.
    public let rightPosition: SourcePosition
    /// The right side's value at the names given.
    public let value: Tensor
    /// Whether the right side uses any of the names (a formula to check at other points too).
    public let usesNames: Bool
    /// Whether the right side is a number or a tensor literal alone (its digits set its tolerance).
    public let isLiteral: Bool
}

/// A comparison of an exercise's condition.
public enum Comparison: String, Sendable, CaseIterable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

    /// Whether `x op y` holds, with equality to a relative 1e-9.
    public func holds(_ x: Double, _ y: Double) -> Bool {
        let equal = Swift.abs(x - y) <= 1e-9 * Swift.max(1, Swift.abs(x), Swift.abs(y))
        switch self {
        case .less: return x < y && !equal
        case .lessOrEqual: return x < y || equal
        case .greater: return x > y && !equal
        case .greaterOrEqual: return x > y || equal
        case .equal: return equal
        case .notEqual: return !equal
        }
    }
}

/// A condition evaluated: both sides as written and their values.
public struct Condition: Sendable {
    public let left: String, right: String
    public let comparison: Comparison
    public let leftValue: Double, rightValue: Double
    /// Whether the comparison holds.
    public var holds: Bool { comparison.holds(leftValue, rightValue) }
}
