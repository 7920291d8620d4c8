import Autograd

/// A program evaluated into a recorded graph: the output, the inputs and where each operation was written.
public struct Program {
    /// The recorded computation.
    public let graph: Graph
    /// The last statement's value.
    public let output: NodeID
    /// The inputs (and parameters), in the order the program first uses them.
    public let inputs: [(name: String, node: NodeID)]
    /// Every name the program assigned, with the node it names (the last assignment wins).
    public let assignments: [(name: String, node: NodeID)]
    /// Where each operation node's operator or function name stands in the source.
    public let positions: NodePositions
    /// The program text.
    public let source: String
    /// Names given a value that the program never uses, when `EvaluationOptions.keepUnusedInputs`
    /// recorded them as input leaves after the program's own nodes (nothing depends on them).
    public internal(set) var unusedInputs: [String] = []

    /// The text of a 1-based source line, for caret displays.
    public func sourceLine(_ line: Int) -> String? { Program.line(line, of: source) }

    static func line(_ line: Int, of source: String) -> String? {
        var current = 1
        var start = source.startIndex
        for index in source.indices where source[index] == "\n" {
            if current == line { return String(source[start..<index]) }
            current += 1
            start = source.index(after: index)
        }
        return current == line ? String(source[start...]) : nil
    }

    /// The node the program called `name` (assigned or input).
    public func node(named name: String) -> NodeID? {
        assignments.last { $0.name == name }?.node ?? inputs.first { $0.name == name }?.node
    }
}

/// How to evaluate a program.
public struct EvaluationOptions: Sendable {
    /// Values of the program's free names (`--at x=-2,y=5`), in the order given.
    public var inputs: [(name: String, value: Tensor)]
    /// Names among `inputs` to record as parameters rather than inputs.
    public var parameters: Set<String>
    /// Whether a value in `inputs` that the program never uses is an error (a likely typo).
    public var rejectUnusedInputs: Bool
    /// Whether a value in `inputs` that the program never uses becomes an input leaf anyway, created
    /// after every node of the program (so the program's node ids do not change). Nothing depends on
    /// it, so its gradient is 0; `Program.unusedInputs` names it. Takes precedence over `rejectUnusedInputs`.
    public var keepUnusedInputs: Bool

    /// Options with the given input values.
    public init(inputs: [(name: String, value: Tensor)] = [], parameters: Set<String> = [], rejectUnusedInputs: Bool = true,
                keepUnusedInputs: Bool = false) {
        self.inputs = inputs
        self.parameters = parameters
        self.rejectUnusedInputs = rejectUnusedInputs
        self.keepUnusedInputs = keepUnusedInputs
    }
}

/// The limits that keep hostile or accidental input from exhausting the stack or memory.
public enum ExpressionLimits {
    /// The longest program accepted, in bytes of UTF-8.
    public static let maximumBytes = 1_000_000
    /// The deepest nesting of parentheses, brackets, calls, unary minus and `^` chains.
    public static let maximumDepth = 200
    /// The most entries one value of a program may have (2²⁰ = 1,048,576, 8 MB of `Double`s):
    /// `BACKPROP_MAX_VALUE_ENTRIES` raises or lowers it.
    public static let entriesPerValue = GraphLimits.standard.entriesPerValue
    /// The most tensor entries all the values of a program may hold together (2²³ = 8,388,608,
    /// 64 MB, as much again for the gradients): `BACKPROP_MAX_PROGRAM_ENTRIES` raises or lowers it.
    public static let entriesPerProgram = GraphLimits.standard.entriesPerGraph
    /// The limits every program's graph is recorded under.
    public static var graph: GraphLimits { GraphLimits(entriesPerValue: entriesPerValue, entriesPerGraph: entriesPerProgram) }
}

/// Evaluates programs of the expression language into recorded graphs.
public enum Expressions {
    /// Parses and evaluates `source`, recording every operation in a new graph.
    ///
    /// ```swift
    /// let program = try Expressions.evaluate("q = x + y; f = q * z",
    ///     options: .init(inputs: [("x", Tensor(scalar: -2)), ("y", Tensor(scalar: 5)), ("z", Tensor(scalar: -4))]))
    /// print(program.graph.value(of: program.output))   // Prints "-12"
    /// ```
    /// - Throws: `ExpressionError` with the position and source line of the first mistake.
    public static func evaluate(_ source: String, options: EvaluationOptions = .init()) throws(ExpressionError) -> Program {
        let bytes = source.utf8.count
        guard bytes <= ExpressionLimits.maximumBytes else {
            throw ExpressionError(.tooLong(bytes: bytes, limit: ExpressionLimits.maximumBytes), at: nil)
        }
        do {
            var parser = try Parser(source: source, options: options)
            return try parser.parseProgram()
        } catch var error {
            if let position = error.position, error.sourceLine == nil { error.sourceLine = Program.line(position.line, of: source) }
            throw error
        }
    }

    /// The names of the functions a program can call, sorted.
    public static var functionNames: [String] { Builtin.all.keys.sorted() }
}

/// Where each operation node's operator or function name stands in the source, by creation index.
/// An array, not a dictionary keyed by `NodeID`: hashing a node (its index and its graph) at every
/// operation was a twentieth of parsing (perf, the server's 102-node program).
public struct NodePositions: Sendable {
    private var byIndex: [SourcePosition?] = []

    init(capacity: Int) { byIndex.reserveCapacity(capacity) }

    /// Where `node` was written, or nil for a leaf, a constant or a node of another graph's size.
    public subscript(node: NodeID) -> SourcePosition? { self[index: node.index] }

    /// Where the node created `index`-th was written.
    public subscript(index index: Int) -> SourcePosition? { byIndex.indices.contains(index) ? byIndex[index] : nil }

    mutating func record(_ position: SourcePosition, at index: Int) {
        if index >= byIndex.count { byIndex.append(contentsOf: repeatElement(nil, count: index + 1 - byIndex.count)) }
        byIndex[index] = position
    }
}
