import Autograd

/// A place in program text: 1-based line and column (columns count characters).
public struct SourcePosition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    /// 1-based line.
    public let line: Int
    /// 1-based column, in characters.
    public let column: Int
    /// A position.
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public static func < (a: SourcePosition, b: SourcePosition) -> Bool { (a.line, a.column) < (b.line, b.column) }
    /// `line:column`.
    public var description: String { "\(line):\(column)" }
}

/// Why a program could not be evaluated: what, where, and when we can tell, what to do.
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of mistake, each with what the message needs.
    public enum Kind: Sendable, Equatable {
        /// A character or token that does not belong here (`expected ')'`).
        case syntax(String)
        /// A name that is neither assigned, nor an input, nor a function; with the closest known name.
        case unknownName(String, suggestion: String?)
        /// A free name of the program with no value in `--at`.
        case missingInput(String)
        /// A value given in `--at` that the program never uses.
        case unusedInput(String)
        /// A function called with the wrong number of arguments.
        case wrongArity(function: String, expected: String, got: Int)
        /// The engine refused the operation (shapes, axes, indices).
        case engine(AutogradError)
        /// Nothing to evaluate.
        case emptyProgram
        /// Parentheses, brackets or operators nested deeper than the limit.
        case tooDeep(limit: Int)
        /// The program text is longer than the limit.
        case tooLong(bytes: Int, limit: Int)
        /// A quantity, claim, condition or answer that is not written as the notation says, or that
        /// names what the run does not have (NotationProblem.swift).
        case notation(NotationProblem)
    }

    /// What went wrong.
    public let kind: Kind
    /// Where, when there is a place in the source.
    public let position: SourcePosition?
    /// The source line at `position`, for the caret display.
    public var sourceLine: String?

    /// An error of `kind` at `position`.
    public init(_ kind: Kind, at position: SourcePosition?, sourceLine: String? = nil) {
        self.kind = kind
        self.position = position
        self.sourceLine = sourceLine
    }

    /// The message without the position: `unknown name 'zz'; did you mean 'z'?`.
    public var message: String {
        switch kind {
        case .syntax(let text): return text
        case .unknownName(let name, let suggestion):
            return "unknown name '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
        case .missingInput(let name):
            return "no value for input '\(name)'; give one with --at \(name)=…"
        case .unusedInput(let name):
            return "--at gives '\(name)', which the program does not use"
        case .wrongArity(let function, let expected, let got):
            return "\(function) takes \(expected), got \(got)"
        case .engine(let error): return error.description
        case .emptyProgram: return "empty program: write at least one expression, e.g. 'f = (x + y) * z'"
        case .tooDeep(let limit): return "the program nests deeper than \(limit) levels"
        case .tooLong(let bytes, let limit): return "the program is \(bytes) bytes long; the limit is \(limit)"
        case .notation(let problem): return problem.message
        }
    }

    /// One line: `program:1:7: error: unknown name 'zz'; did you mean 'z'?`.
    public func line(file: String = "program") -> String {
        let place = position.map { "\(file):\($0.line):\($0.column)" } ?? file
        return "\(place): error: \(message)"
    }

    /// The one-line message, then the source line and a caret under the position (when known).
    public func rendered(file: String = "program") -> String {
        guard let position, let sourceLine, sourceLine.count < 200 else { return line(file: file) }
        let caret = String(repeating: " ", count: max(0, position.column - 1)) + "^"
        return line(file: file) + "\n    " + sourceLine + "\n    " + caret
    }

    public var description: String { rendered() }
}
