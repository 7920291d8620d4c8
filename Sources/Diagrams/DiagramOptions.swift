import Autograd

/// How a trace is drawn: the layout direction, how many digits numbers keep, whether gradients are
/// shown, and which step (node or edge) is lit.
///
/// ```swift
/// var options = DiagramOptions()
/// options.direction = .topToBottom
/// options.highlight = .edge(3)
/// let dot = Diagram.dot(for: trace, options: options)
/// ```
public struct DiagramOptions: Sendable, Equatable {
    /// Which way the graph flows, as Graphviz's `rankdir`.
    public enum Direction: String, Sendable, CaseIterable {
        /// Inputs on the left, the output on the right (`rankdir=LR`), as the CS231n notes draw circuits.
        case leftToRight = "LR"
        /// Inputs at the top, the output at the bottom (`rankdir=TB`).
        case topToBottom = "TB"
    }

    /// Which way the graph flows; left to right by default.
    public var direction: Direction
    /// Significant digits of every number drawn (values, gradients, local gradients); 4 by default.
    /// Integers are always drawn exactly (`-12`, not `-12.00`). Tooltips keep every digit.
    public var precision: Int
    /// Whether to draw only the forward pass: every gradient shows `?`. A trace taken before
    /// backward is drawn this way whatever this says.
    public var forwardOnly: Bool
    /// The node or edge to light (a thicker blue outline and the SVG class `highlight`), if any.
    public var highlight: DiagramElement?
    /// Whether edges from constants carry their local gradient (`∂f/∂2 = x`); false by default:
    /// no gradient flows into a constant, so its edge is drawn dashed and bare.
    public var labelConstantEdges: Bool = false
    /// The name each node is shown by, indexed by node id, in titles, formulas and tooltips: a lesson
    /// page passes its narration's names (`n1, n2, …` in the order shown) so that the drawing and
    /// the steps agree. nil (or a list of the wrong length): the trace's own labels (`n4`).
    public var names: [String]?

    /// Options with the given settings; the defaults draw a finished trace left to right with 4 digits.
    public init(direction: Direction = .leftToRight, precision: Int = 4, forwardOnly: Bool = false,
                highlight: DiagramElement? = nil) {
        self.direction = direction
        self.precision = precision
        self.forwardOnly = forwardOnly
        self.highlight = highlight
    }
}

/// A node or an edge of a drawn trace, by its id in the `Trace`.
public enum DiagramElement: Sendable, Hashable, CustomStringConvertible {
    /// The node with this id (`Trace.Node.id`).
    case node(Int)
    /// The edge with this id (`Trace.Edge.id`).
    case edge(Int)

    /// The id the DOT text and the SVG give the element: `n2` for node 2, `e3` for edge 3.
    public var identifier: String {
        switch self {
        case .node(let id): return "n\(id)"
        case .edge(let id): return "e\(id)"
        }
    }

    /// The same as `identifier`.
    public var description: String { identifier }
}
