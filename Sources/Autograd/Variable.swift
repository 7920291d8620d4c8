import Foundation

/// A node of a `Graph` with Swift's operators: arithmetic on variables records into their graph.
///
/// The graph stays the one place where values, edges and gradients live; a `Variable` is a handle
/// on it (the graph and a `NodeID`), so copying one copies the handle, not the node. Every
/// operator goes through `Graph.apply` and the op table, so a variable's value and gradient are
/// exactly the ones `graph.value(of:)` and `graph.gradient(of:)` report.
///
/// ```swift
/// let graph = Graph()
/// let x = Variable("x", -2, in: graph), y = Variable("y", 5, in: graph), z = Variable("z", -4, in: graph)
/// let f = (x + y) * z
/// try f.backward()
/// print(f.value, x.gradient, y.gradient, z.gradient)   // Prints "-12 -4 -4 3"
/// ```
///
/// Mistakes in the program itself stop it with a message, as an array index out of range does:
/// combining variables of two graphs (or a variable recorded before `graph.removeAll`) and, for
/// the operators, shapes that do not fit. Where shapes come from data, use `applying(_:_:attribute:)`,
/// which throws `AutogradError` instead.
public struct Variable: CustomStringConvertible {
    /// The graph the variable's node lives in.
    public let graph: Graph
    /// The variable's node in `graph`.
    public let node: NodeID

    /// Wraps a node of `graph`.
    /// - Precondition: `node` belongs to `graph`.
    public init(_ node: NodeID, in graph: Graph) {
        if node.graph != graph.identity { Variable.stop("Variable(_:in:)", graph.foreignNodeError(node)) }
        self.node = node
        self.graph = graph
    }

    // MARK: - Leaves

    /// Records an input leaf (a value the user gives; backward computes its gradient).
    public init(_ name: String, _ value: Double, in graph: Graph) {
        self.init(graph.input(name, value), in: graph)
    }

    /// Records a tensor input leaf.
    public init(_ name: String, _ value: Tensor, in graph: Graph) {
        self.init(graph.input(name, value), in: graph)
    }

    /// Records a parameter leaf: like an input, but drawn and reported as something training updates.
    public init(parameter name: String?, _ value: Tensor, in graph: Graph) {
        self.init(graph.parameter(name, value), in: graph)
    }

    /// Records a constant leaf: backward sends it no gradient.
    public init(constant value: Double, in graph: Graph) {
        self.init(graph.constant(value), in: graph)
    }

    /// Records a tensor constant leaf.
    public init(constant value: Tensor, in graph: Graph) {
        self.init(graph.constant(value), in: graph)
    }

    // MARK: - Reading

    /// The forward value (a scalar is a tensor of shape `[]`).
    public var value: Tensor { graph.value(of: node) }
    /// The shape of the value (`[]` for a scalar).
    public var shape: [Int] { graph.shape(of: node) }

    /// ∂output/∂self after `backward()` ran on this variable's graph, shaped like the value.
    ///
    /// A variable the output does not depend on (and a constant) has gradient 0: backward did
    /// not reach it, and a change of it would not change the output.
    /// - Precondition: backward has run on the graph (reading a gradient before is a mistake in
    ///   the program, not a zero).
    public var gradient: Tensor {
        guard graph.backwardOutput != nil else {
            Variable.stop("gradient of \(graph.label(of: node))",
                          "backward has not run on \(graph.identity); call backward() on the output first")
        }
        return graph.gradient(of: node) ?? .zeros(shape)
    }

    /// The label prose and diagrams use: the name, a constant's value, else `n<index>`.
    public var description: String { graph.label(of: node) }

    /// Gives the node a name (for traces and diagrams); returns the variable, so it chains.
    @discardableResult
    public func named(_ name: String) -> Variable {
        graph.setName(name, for: node)
        return self
    }

    // MARK: - Backward

    /// Runs backward from this variable: every variable it depends on gets ∂self/∂variable.
    ///
    /// - Parameter seed: the gradient of this variable; needed when it is not a scalar.
    /// - Throws: `AutogradError` when backward already ran on the graph, or the output is not a
    ///   scalar and no seed (or a seed of the wrong shape) is given.
    /// - Complexity: O(nodes + edges) of the graph.
    public func backward(seed: Tensor? = nil) throws(AutogradError) {
        try graph.backward(from: node, seed: seed)
    }

    // MARK: - Recording

    /// Records `operation` on this variable (and `other`) and returns the result, or throws
    /// `AutogradError` (shapes that do not fit, an attribute that is invalid, a variable of
    /// another graph) without recording anything.
    ///
    /// ```swift
    /// let scores = try inputs.applying(.matmul, weights)   // shapes read from a file
    /// ```
    public func applying(_ operation: Operation, _ other: Variable? = nil,
                         attribute: OperationAttribute? = nil) throws(AutogradError) -> Variable {
        if let other, other.graph !== graph {
            throw graph.foreignNodeError(other.node)
        }
        return Variable(try graph.apply(operation, node, other?.node, attribute: attribute), in: graph)
    }

    /// `applying`, for the operators: a refusal is a mistake in the program and stops it with the
    /// error's sentence, prefixed by what was being recorded.
    func recording(_ operation: Operation, _ other: Variable? = nil,
                   attribute: OperationAttribute? = nil) -> Variable {
        do {
            return try applying(operation, other, attribute: attribute)
        } catch {
            Variable.stop(operation.primitive.name, error)
        }
    }

    /// A constant of this variable's graph, for a number written next to a variable (`x * 2`).
    func constant(_ value: Double) -> Variable { Variable(constant: value, in: graph) }

    /// Stops the program with one line naming the operation and the reason.
    ///
    /// `fatalError`, not `precondition`: an optimized build drops a precondition's message, and
    /// this message is the only way a user learns which operands did not fit.
    static func stop(_ what: String, _ reason: some CustomStringConvertible) -> Never {
        fatalError("\(what): \(reason)")
    }
}
