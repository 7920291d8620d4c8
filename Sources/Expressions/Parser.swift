import Autograd

/// A recursive-descent parser that evaluates as it parses: each operator records its node in the
/// graph the moment both operands are known, so there is no syntax tree to walk afterwards.
///
/// Grammar (see docs/expression-language.md):
/// ```
/// program    := statement (separator statement)*
/// statement  := name "=" expression | expression
/// expression := term (("+" | "-") term)*
/// term       := unary (("*" | "/" | "@") unary)*
/// unary      := "-" unary | "+" unary | power
/// power      := postfix ("^" unary)?          -- right-associative, tighter than unary minus
/// postfix    := primary ("[" index ("," index)* "]")*
/// primary    := number | name | name "(" arguments ")" | "(" expression ")" | tensor
/// ```
/// Left-associative chains are loops, so only nesting recurses, and nesting is limited.
struct Parser {
    let tokens: [Token]
    var index = 0
    var depth = 0
    let graph = Graph()
    var environment: [String: NodeID] = [:]
    let givenInputs: [String: Tensor]
    let options: EvaluationOptions
    var inputs: [(name: String, node: NodeID)] = []
    var assignments: [(name: String, node: NodeID)] = []
    var positions = NodePositions(capacity: 0)
    /// Every name some statement assigns, with where: a use before that point is a mistake worth naming.
    var assignedLater: [String: SourcePosition] = [:]
    let source: String
    // Notation (quantities, claims, answers, conditions: Notation.swift): whether the text is notation,
    // the value of a quantity written inside a formula (`abs(df/dw)`), and what the end is called.
    let notation: Bool
    var quantityValue: QuantityLookup? = nil
    var endName: String? = nil

    init(source: String, options: EvaluationOptions, notation: Bool = false) throws(ExpressionError) {
        self.source = source
        self.notation = notation
        graph.limits = ExpressionLimits.graph
        self.tokens = try Lexer.tokenize(source, notation: notation)
        self.options = options
        // A program records at most about one node per token: room for them at once, so the graph's
        // arrays and the positions table are not grown and rehashed as the program is read (the
        // rehashing was a tenth of evaluating the server's 102-node program, perf).
        graph.reserveCapacity(tokens.count)
        positions = NodePositions(capacity: tokens.count)
        var given: [String: Tensor] = [:]
        for (name, value) in options.inputs { given[name] = value }
        self.givenInputs = given
        for (position, token) in tokens.enumerated() {
            guard case .name(let name) = token.kind, position + 1 < tokens.count,
                  tokens[position + 1].kind == .symbol("="),
                  position == 0 || tokens[position - 1].kind == .separator else { continue }
            if assignedLater[name] == nil { assignedLater[name] = token.position }
        }
    }

    var current: Token { tokens[index] }

    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }

    /// Steps over `symbol`, or throws naming what was found. `context` is written only for the
    /// error: built for every call, its text was a tenth of parsing a program of calls (perf).
    mutating func expect(_ symbol: String, _ context: @autoclosure () -> String) throws(ExpressionError) {
        guard isSymbol(symbol) else {
            throw ExpressionError(.syntax("expected '\(symbol)' \(context()), found \(describe(current))"), at: current.position)
        }
        _ = advance()
    }

    func describe(_ token: Token) -> String {
        switch token.kind {
        case .end: return endName ?? token.text
        case .separator: return token.text
        default: return "'\(token.text)'"
        }
    }

    mutating func enter() throws(ExpressionError) {
        depth += 1
        if depth > ExpressionLimits.maximumDepth {
            throw ExpressionError(.tooDeep(limit: ExpressionLimits.maximumDepth), at: current.position)
        }
    }

    // MARK: - Statements

    mutating func parseProgram() throws(ExpressionError) -> Program {
        var output: NodeID?
        while true {
            while current.kind == .separator { _ = advance() }
            if current.kind == .end { break }
            output = try parseStatement()
            guard current.kind == .separator || current.kind == .end else {
                throw ExpressionError(.syntax("expected an operator or the end of the statement, found \(describe(current))"), at: current.position)
            }
        }
        guard let output else { throw ExpressionError(.emptyProgram, at: nil) }
        var unused: [String] = []
        if options.keepUnusedInputs {
            for (name, value) in options.inputs where !inputs.contains(where: { $0.name == name }) && !unused.contains(name) {
                let node = options.parameters.contains(name) ? graph.parameter(name, value) : graph.input(name, value)
                inputs.append((name, node))
                unused.append(name)
            }
        } else if options.rejectUnusedInputs {
            for (name, _) in options.inputs where !inputs.contains(where: { $0.name == name }) {
                throw ExpressionError(.unusedInput(name), at: nil)
            }
        }
        var program = Program(graph: graph, output: output, inputs: inputs, assignments: assignments,
                              positions: positions, source: source)
        program.unusedInputs = unused
        return program
    }

    mutating func parseStatement() throws(ExpressionError) -> NodeID {
        if case .name(let name) = current.kind, tokens[index + 1].kind == .symbol("=") {
            let target = advance()
            _ = advance()
            if Builtin.all[name] != nil {
                throw ExpressionError(.syntax("cannot assign to '\(name)', which is a function"), at: target.position)
            }
            if givenInputs[name] != nil {
                throw ExpressionError(.syntax("'\(name)' is given with --at but the program assigns it; use another name"), at: target.position)
            }
            let node = try parseExpression()
            // A name assigned again: the earlier node becomes a₁ (a₂, …) so no two nodes share a label.
            if let earlier = environment[name], graph.name(of: earlier) == name {
                let count = assignments.filter { $0.name == name }.count
                let digits = String(count).unicodeScalars.map { Character(Unicode.Scalar(0x2080 + $0.value - 0x30)!) }
                graph.setName(name + String(digits), for: earlier)
            }
            environment[name] = node
            assignments.append((name, node))
            if graph.name(of: node) == nil || graph.operations[node.index] == .constant { graph.setName(name, for: node) }
            return node
        }
        return try parseExpression()
    }

    // MARK: - Expressions

    mutating func parseExpression() throws(ExpressionError) -> NodeID {
        var left = try parseTerm()
        while case .symbol(let symbol) = current.kind, symbol == "+" || symbol == "-" {
            let token = advance()
            let right = try parseTerm()
            left = try apply(symbol == "+" ? .add : .subtract, left, right, at: token.position)
        }
        return left
    }

    mutating func parseTerm() throws(ExpressionError) -> NodeID {
        var left = try parseUnary()
        while case .symbol(let symbol) = current.kind, symbol == "*" || symbol == "/" || symbol == "@" {
            let token = advance()
            let right = try parseUnary()
            let operation: Operation = symbol == "*" ? .multiply : (symbol == "/" ? .divide : .matmul)
            left = try apply(operation, left, right, at: token.position)
        }
        return left
    }

    mutating func parseUnary() throws(ExpressionError) -> NodeID {
        if isSymbol("-") || isSymbol("+") {
            let token = advance()
            try enter()
            defer { depth -= 1 }
            // A minus written straight before a number is part of the number (`-4`), unless a `^` or
            // an index follows, since `-2^2` is −(2²).
            if token.kind == .symbol("-"), case .number(let value) = current.kind,
               tokens[index + 1].kind != .symbol("^"), tokens[index + 1].kind != .symbol("[") {
                _ = advance()
                return graph.constant(-value)
            }
            let operand = try parseUnary()
            return token.kind == .symbol("-") ? try apply(.negate, operand, nil, at: token.position) : operand
        }
        return try parsePower()
    }

    mutating func parsePower() throws(ExpressionError) -> NodeID {
        let base = try parsePostfix()
        guard isSymbol("^") else { return base }
        let token = advance()
        try enter()
        defer { depth -= 1 }
        let exponent = try parseUnary()
        return try apply(.power, base, exponent, at: token.position)
    }

    mutating func parsePostfix() throws(ExpressionError) -> NodeID {
        var value = try parsePrimary()
        while isSymbol("[") {
            let token = advance()
            var components: [IndexComponent] = []
            repeat {
                if isSymbol(",") { _ = advance() }
                components.append(try parseIndexComponent())
            } while isSymbol(",")
            try expect("]", "to close the index")
            value = try apply(.index, value, nil, attribute: .index(components), at: token.position)
        }
        return value
    }

    mutating func parseIndexComponent() throws(ExpressionError) -> IndexComponent {
        var parts: [Int?] = [try parseOptionalInteger()]
        var colons = 0
        while isSymbol(":") && colons < 2 {
            _ = advance()
            colons += 1
            parts.append(try parseOptionalInteger())
        }
        if colons == 0 {
            guard let position = parts[0] else {
                throw ExpressionError(.syntax("expected an index (an integer or a slice such as 1:3), found \(describe(current))"), at: current.position)
            }
            return .position(position)
        }
        return .slice(start: parts[0], stop: parts[1], step: parts.count > 2 ? parts[2] : nil)
    }

    mutating func parseOptionalInteger() throws(ExpressionError) -> Int? {
        var sign = 1.0
        let start = current.position
        if isSymbol("-") { _ = advance(); sign = -1 }
        guard case .number(let value) = current.kind else {
            if sign < 0 { throw ExpressionError(.syntax("expected an integer after '-'"), at: current.position) }
            return nil
        }
        _ = advance()
        guard value == value.rounded(), Swift.abs(value) < 1e9 else {
            throw ExpressionError(.syntax("an index must be an integer, found \(TraceFormat.number(value))"), at: start)
        }
        return Int(sign * value)
    }

    mutating func parsePrimary() throws(ExpressionError) -> NodeID {
        if notation, let node = try parseQuantityReference() { return node }
        let token = current
        switch token.kind {
        case .number(let value):
            _ = advance()
            return graph.constant(value)
        case .name(let name):
            _ = advance()
            if isSymbol("(") { return try parseCall(name, at: token.position) }
            return try reference(name, at: token.position)
        case .symbol("("):
            _ = advance()
            try enter()
            defer { depth -= 1 }
            let value = try parseExpression()
            let notation = self.notation
            try expect(")", "to close the '(' at \(Parser.place(token.position, notation: notation))")
            return value
        case .symbol("["):
            return graph.constant(try parseTensorLiteral())
        default:
            throw ExpressionError(.syntax("expected a number, a name or '(', found \(describe(token))"), at: token.position)
        }
    }

    /// The node a name stands for: an assigned value, or an input leaf created at first use.
    mutating func reference(_ name: String, at position: SourcePosition) throws(ExpressionError) -> NodeID {
        if let node = environment[name] { return node }
        if Builtin.all[name] != nil {
            throw ExpressionError(.syntax("'\(name)' is a function; call it as \(name)(…)"), at: position)
        }
        if let value = givenInputs[name] {
            let node = options.parameters.contains(name) ? graph.parameter(name, value) : graph.input(name, value)
            environment[name] = node
            inputs.append((name, node))
            return node
        }
        if let assigned = assignedLater[name] {
            throw ExpressionError(.syntax("'\(name)' is used before it is assigned at \(assigned)"), at: position)
        }
        let known = Array(environment.keys) + Array(givenInputs.keys) + Array(Builtin.all.keys)
        // A one-letter name is one edit from every other one-letter name: it is an input, not a typo.
        if name.count > 1, let close = suggestion(for: name, among: known) {
            throw ExpressionError(.unknownName(name, suggestion: close), at: position)
        }
        throw ExpressionError(.missingInput(name), at: position)
    }

    // MARK: - Calls (Parser+Calls.swift reads the arguments and lowers the call)

    mutating func apply(_ operation: Operation, _ x: NodeID, _ y: NodeID?, attribute: OperationAttribute? = nil,
                        at position: SourcePosition) throws(ExpressionError) -> NodeID {
        do {
            let node = try graph.apply(operation, x, y, attribute: attribute)
            positions.record(position, at: node.index)
            return node
        } catch {
            throw ExpressionError(.engine(error), at: position)
        }
    }

    // MARK: - Tensor literals

    /// `[[1, 2], [3, 4]]`: nested lists of (signed) numbers, every row the same length.
    mutating func parseTensorLiteral() throws(ExpressionError) -> Tensor {
        let open = current.position
        let (shape, values) = try parseList()
        guard !values.isEmpty else {
            throw ExpressionError(.syntax("a tensor literal cannot be empty"), at: open)
        }
        guard shape.count <= GraphLimits.maximumRank else {
            throw ExpressionError(.syntax("this tensor has \(shape.count) axes; a value has at most \(GraphLimits.maximumRank)"), at: open)
        }
        return Tensor(shape: shape, storage: values)
    }

    mutating func parseList() throws(ExpressionError) -> (shape: [Int], values: [Double]) {
        let open = current.position
        try enter()
        defer { depth -= 1 }
        try expect("[", "to start a tensor")
        var rowShape: [Int]?
        var values: [Double] = []
        var count = 0
        while !isSymbol("]") {
            if count > 0 { try expect(",", "between tensor entries") }
            if isSymbol("]") { break }    // a trailing comma
            count += 1
            let entryPosition = current.position
            if isSymbol("[") {
                let (shape, entries) = try parseList()
                if let rowShape, rowShape != shape {
                    throw ExpressionError(.syntax("this row has shape \(Tensor.describe(shape: shape)) but the first row has \(Tensor.describe(shape: rowShape))"), at: entryPosition)
                }
                rowShape = shape
                values += entries
            } else {
                var sign = 1.0
                if isSymbol("-") { _ = advance(); sign = -1 }
                guard case .number(let value) = current.kind else {
                    throw ExpressionError(.syntax("tensor entries must be numbers, found \(describe(current))"), at: current.position)
                }
                _ = advance()
                if rowShape != nil && rowShape != [] {
                    throw ExpressionError(.syntax("a number where the other entries are lists"), at: entryPosition)
                }
                rowShape = []
                values.append(sign * value)
            }
        }
        let notation = self.notation
        try expect("]", "to close the '[' at \(Parser.place(open, notation: notation))")
        return ([count] + (rowShape ?? []), values)
    }
}
