import Autograd

/// A number (or tensor) that training adjusts: it outlives the graphs, entering each one as a
/// parameter leaf, and reads its gradient back from the graph it last entered.
///
/// A graph runs backward once, so a training loop records each step into a fresh graph (as
/// micrograd builds fresh `Value`s every forward pass). `variable(in:)` records the parameter the
/// first time a graph asks and hands back the same leaf after that, so a weight used for every
/// example of a batch is one node whose gradient adds up over its uses.
///
/// ```swift
/// let w = Parameter(2, name: "w")
/// let graph = Graph()
/// let x = Variable("x", 3, in: graph)
/// try (w.variable(in: graph) * x).backward()
/// print(w.gradient)   // Prints "3"
/// ```
///
/// A parameter holds on to the graph it last entered (until it enters the next one).
public final class Parameter: CustomStringConvertible {
    /// The current value; an optimizer's `step()` updates it.
    public var value: Tensor
    /// The name its leaves get in traces and diagrams.
    public let name: String?
    /// The leaf in the graph this parameter entered last.
    private var leaf: Variable?

    /// A parameter with the given value.
    public init(_ value: Tensor, name: String? = nil) {
        self.value = value
        self.name = name
    }

    /// A scalar parameter.
    public convenience init(_ value: Double, name: String? = nil) {
        self.init(Tensor(scalar: value), name: name)
    }

    /// This parameter's leaf in `graph`: recorded with the current value on the first call for
    /// that graph, the same leaf on every later call.
    public func variable(in graph: Graph) -> Variable {
        if let leaf, leaf.graph === graph, leaf.node.graph == graph.identity { return leaf }
        let recorded = Variable(parameter: name, value, in: graph)
        leaf = recorded
        return recorded
    }

    /// ∂output/∂parameter from the backward pass of the graph it entered last (0 when that
    /// output does not depend on it).
    /// - Precondition: the parameter has entered a graph and backward has run on it.
    public var gradient: Tensor {
        guard let leaf else {
            fatalError("gradient of \(self): the parameter has not been recorded in a graph; use variable(in:) in the forward pass")
        }
        return leaf.gradient
    }

    /// The name, else `parameter`.
    public var description: String { name ?? "parameter" }
}

/// Something with parameters to train: a neuron, a layer, a model.
public protocol Module {
    /// Every parameter, in a fixed order (an optimizer keeps its state in this order).
    var parameters: [Parameter] { get }
}
