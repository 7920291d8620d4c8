import Autograd

/// The value of one argument of a call, read as its parameter's kind asks.
enum ArgumentValue {
    case node(NodeID)
    case integer(Int)
    case boolean(Bool)
    case shape([Int])
    case nodes([NodeID])
}

/// The arguments of one call, by parameter name, with where each was written.
struct CallArguments {
    var values: [String: (value: ArgumentValue, position: SourcePosition)] = [:]

    func node(_ name: String) -> NodeID? {
        if case .node(let node)? = values[name]?.value { return node }
        return nil
    }
    func integer(_ name: String) -> Int? {
        if case .integer(let value)? = values[name]?.value { return value }
        return nil
    }
    func boolean(_ name: String) -> Bool? {
        if case .boolean(let value)? = values[name]?.value { return value }
        return nil
    }
    func shape(_ name: String) -> [Int]? {
        if case .shape(let value)? = values[name]?.value { return value }
        return nil
    }
    func nodes(_ name: String) -> [NodeID]? {
        if case .nodes(let value)? = values[name]?.value { return value }
        return nil
    }
    func position(_ name: String) -> SourcePosition? { values[name]?.position }
}

extension Parser {
    /// `name(argument, …, keyword=argument, …)`: positional arguments in PyTorch's order, then
    /// keywords; each value read as its parameter's kind asks (an expression, an integer, true or
    /// false, a list of integers), then the call lowered into the graph (Parser+Lowering.swift).
    mutating func parseCall(_ name: String, at position: SourcePosition) throws(ExpressionError) -> NodeID {
        guard let builtin = Builtin.all[name] else {
            let close = suggestion(for: name, among: Builtin.all.keys)
            throw ExpressionError(.unknownName(name, suggestion: close), at: position)
        }
        try enter()
        defer { depth -= 1 }
        try expect("(", "after \(name)")
        var arguments = CallArguments()
        var count = 0, sawKeyword = false
        while !isSymbol(")") {
            if count > 0 { try expect(",", "between arguments") }
            if isSymbol(")") && count > 0 { break }    // a trailing comma, as Python allows
            count += 1
            let parameter: Builtin.Parameter
            let start = current.position
            if case .name(let keyword) = current.kind, tokens[index + 1].kind == .symbol("=") {
                guard let found = builtin.parameters.first(where: { $0.name == keyword || $0.aliases.contains(keyword) }) else {
                    let close = suggestion(for: keyword, among: builtin.parameters.map(\.name))
                    throw ExpressionError(.syntax("\(name) has no argument '\(keyword)'" + (close.map { "; did you mean '\($0)'?" } ?? "")
                                                  + " (it takes " + builtin.parameters.map(\.name).joined(separator: ", ") + ")"), at: start)
                }
                _ = advance(); _ = advance()
                parameter = found
                sawKeyword = true
            } else {
                if sawKeyword {
                    throw ExpressionError(.syntax("a positional argument follows a keyword argument in the call to \(name)"), at: start)
                }
                guard count <= builtin.positional else {
                    if builtin.positional < builtin.parameters.count {
                        let rest = builtin.parameters[builtin.positional...].map { "\($0.name)=" }.joined(separator: ", ")
                        throw ExpressionError(.syntax("\(name) takes at most \(builtin.positional) arguments by position; give the others by keyword (\(rest))"), at: start)
                    }
                    throw ExpressionError(.wrongArity(function: name, expected: builtin.expectedArguments, got: count), at: position)
                }
                parameter = builtin.parameters[count - 1]
            }
            if arguments.values[parameter.name] != nil {
                throw ExpressionError(.syntax("\(name) is given its argument '\(parameter.name)' twice"), at: start)
            }
            if let value = try parseArgument(parameter, of: name) { arguments.values[parameter.name] = (value, start) }
        }
        try expect(")", "to close the call to \(name)")
        for parameter in builtin.parameters where parameter.required && arguments.values[parameter.name] == nil {
            if sawKeyword {
                throw ExpressionError(.syntax("\(name) needs its argument '\(parameter.name)'"), at: position)
            }
            throw ExpressionError(.wrongArity(function: name, expected: builtin.expectedArguments, got: count), at: position)
        }
        return try lower(builtin, name, arguments, at: position)
    }

    /// One argument's value, or nil for `None` (PyTorch's "not given") where the parameter is optional.
    mutating func parseArgument(_ parameter: Builtin.Parameter, of function: String) throws(ExpressionError) -> ArgumentValue? {
        let start = current.position
        if !parameter.required, case .name(let word) = current.kind, word == "None",
           tokens[index + 1].kind == .symbol(",") || tokens[index + 1].kind == .symbol(")") {
            _ = advance()
            return nil
        }
        func wrongType() -> ExpressionError {
            ExpressionError(.syntax("the argument '\(parameter.name)' of \(function) must be \(parameter.expected), found \(describe(current))"), at: current.position)
        }
        switch parameter.kind {
        case .tensor:
            return .node(try parseExpression())
        case .boolean:
            guard case .name(let word) = current.kind, ["true", "false", "True", "False"].contains(word) else { throw wrongType() }
            _ = advance()
            return .boolean(word.lowercased() == "true")
        case .integer(let minimum):
            guard let value = try parseArgumentInteger() else { throw wrongType() }
            if let minimum, value < minimum {
                throw ExpressionError(.syntax("the argument '\(parameter.name)' of \(function) must be \(parameter.expected), got \(value)"), at: start)
            }
            return .integer(value)
        case .shape:
            guard isSymbol("[") else { throw wrongType() }
            let literal = try parseTensorLiteral()
            guard literal.rank == 1, literal.storage.allSatisfy({ $0 == $0.rounded() && Swift.abs($0) < 1e9 }) else {
                throw ExpressionError(.syntax("the argument '\(parameter.name)' of \(function) must be \(parameter.expected)"), at: start)
            }
            return .shape(literal.storage.map { Int($0) })
        case .tensors:
            guard isSymbol("[") else { throw wrongType() }
            _ = advance()
            var nodes: [NodeID] = []
            while !isSymbol("]") {
                if !nodes.isEmpty { try expect(",", "between the values of the list") }
                if isSymbol("]") { break }
                nodes.append(try parseExpression())
            }
            try expect("]", "to close the list of \(parameter.name)")
            guard !nodes.isEmpty else {
                throw ExpressionError(.syntax("the argument '\(parameter.name)' of \(function) must be \(parameter.expected), found an empty list"), at: start)
            }
            return .nodes(nodes)
        case .window(let minimum):
            var value: Int
            if isSymbol("[") {
                let literal = try parseTensorLiteral()
                guard literal.shape == [2], literal.storage[0] == literal.storage[1],
                      literal.storage[0] == literal.storage[0].rounded(), Swift.abs(literal.storage[0]) < 1e9 else {
                    throw ExpressionError(.syntax("the argument '\(parameter.name)' of \(function) must be \(parameter.expected) (windows are square here)"), at: start)
                }
                value = Int(literal.storage[0])
            } else {
                guard let integer = try parseArgumentInteger() else { throw wrongType() }
                value = integer
            }
            guard value >= minimum else {
                throw ExpressionError(.syntax("the argument '\(parameter.name)' of \(function) must be \(parameter.expected), got \(value)"), at: start)
            }
            return .integer(value)
        }
    }

    /// An integer written in the program (with an optional `-`), below 10⁹ in size; nil when the
    /// next token is not a number. A number with a fraction is an error here.
    mutating func parseArgumentInteger() throws(ExpressionError) -> Int? {
        let start = current.position
        let negative = isSymbol("-")
        if negative {
            guard case .number = tokens[index + 1].kind else { return nil }
            _ = advance()
        }
        guard case .number(let value) = current.kind else { return nil }
        _ = advance()
        guard value == value.rounded(), value < 1e9 else {
            throw ExpressionError(.syntax("expected an integer below 10⁹, found \(negative ? "-" : "")\(TraceFormat.number(value))"), at: start)
        }
        return Int(value) * (negative ? -1 : 1)
    }
}
