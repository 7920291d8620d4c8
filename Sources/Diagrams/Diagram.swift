import Autograd

/// Draws a trace as Graphviz DOT text: the annotated computation graph in the style of the CS231n
/// notes, forward values in green and gradients in red.
///
/// Every node shows its name (or its operation's symbol), its forward `value` and its `grad`; the
/// words tell them apart as well as the colours, so a grey print still reads. Inputs are rounded
/// boxes, parameters 3-D boxes, constants dashed boxes, operations ellipses, and the output has a
/// double outline. Every edge shows its local gradient and `local × upstream = contribution`; a node
/// that fans out shows the sum of its contributions (`grad = 3 + 3 = 6`).
///
/// ```swift
/// let program = try Expressions.evaluate("q = x + y; f = q * z", options: .init(inputs: [
///     ("x", Tensor(scalar: -2)), ("y", Tensor(scalar: 5)), ("z", Tensor(scalar: -4))]))
/// try program.graph.backward(from: program.output)
/// let dot = Diagram.dot(for: program.graph.trace())
/// // The edge q → f reads "∂f/∂q = z = -4" over "-4 × 1 = -4".
/// ```
///
/// The text is deterministic: the same trace and options give the same bytes (node ids `n0`, `n1`, …
/// in creation order, edge ids `e0`, `e1`, … in trace order; no hashes, no timestamps).
public enum Diagram {
    /// The DOT text of a trace.
    /// - Parameters:
    ///   - trace: what to draw; a trace taken before backward shows every gradient as `?`.
    ///   - options: direction, precision, forward-only and the element to highlight.
    /// - Returns: a `digraph` with one statement per node and per edge, ending in a newline.
    /// - Complexity: O(nodes + edges), plus the entries of the tensors it summarizes.
    public static func dot(for trace: Trace, options: DiagramOptions = DiagramOptions()) -> String {
        dot(for: trace, options: options, knowledge: .complete(trace, forwardOnly: options.forwardOnly))
    }

    /// The DOT text of a trace, showing only what `knowledge` says is known (the step frames).
    static func dot(for trace: Trace, options: DiagramOptions, knowledge: Knowledge) -> String {
        let labels = DiagramLabels(trace: trace, knowledge: knowledge, text: DiagramText(precision: options.precision), names: options.names)
        var lines = [
            "digraph trace {",
            "  graph [rankdir=\(options.direction.rawValue), nodesep=0.35, ranksep=0.8, fontname=\"Helvetica\", "
                + "fontsize=10, labelloc=b, label=<\(legend(output: labels.names[trace.output]))>\(trace.nodes.count > fastLayoutAbove ? fastLayout : "")];",
            "  node [fontname=\"Helvetica\", fontsize=11, margin=\"0.1,0.05\", color=\"\(Palette.ink)\"];",
            "  edge [fontname=\"Helvetica\", fontsize=10, color=\"\(Palette.muted)\", arrowsize=0.7];",
        ]
        for node in trace.nodes {
            let element = DiagramElement.node(node.id)
            var attributes = [("id", DotEscape.quoted(element.identifier))]
            attributes += shape(of: node)
            if options.highlight == element {
                attributes = highlighted(attributes, filled: true)
            }
            attributes.append(("label", "<" + labels.node(node) + ">"))
            attributes.append(("tooltip", DotEscape.quoted(labels.nodeTooltip(node))))
            lines.append("  \(element.identifier) " + list(attributes) + ";")
        }
        for edge in trace.edges {
            let element = DiagramElement.edge(edge.id)
            var attributes = [("id", DotEscape.quoted(element.identifier))]
            if options.highlight == element {
                attributes = highlighted(attributes, filled: false)
            }
            // An edge from a constant (or a constant subexpression such as `1 + 1`) carries nothing
            // unless asked: no gradient flows into it, and `∂f/∂2 = x` only crowds the picture.
            if trace.nodes[edge.from].requiresGradient || options.labelConstantEdges {
                attributes.append(("label", "<" + labels.edge(edge) + ">"))
            } else {
                attributes.append(("style", "\"dashed\""))
            }
            attributes.append(("tooltip", DotEscape.quoted(labels.edgeTooltip(edge))))
            lines.append("  n\(edge.from) -> n\(edge.to) " + list(attributes) + ";")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Attributes

    /// Graphs with more nodes than this are laid out with `fastLayout`.
    static let fastLayoutAbove = 100

    /// Fewer network-simplex and crossing-minimization passes, and straight edges. `dot -v` on the
    /// 996-node neuron sum shows where the time goes: ranking and crossing minimization take 0.15 s,
    /// but x-positioning runs network simplex on the graph with a virtual node for every rank a
    /// long edge or an edge label crosses (58,596 nodes here, the running sum's edges span up to 166
    /// ranks): 5.2 s at nslimit=1, 0.24 s at 0.01, nothing at 0. `nslimit=0` keeps the positions
    /// crossing minimization gave, which on these graphs draws the same picture. Small graphs keep
    /// Graphviz's defaults, which draw the notes' examples best.
    static let fastLayout = ", nslimit=0, nslimit1=1, mclimit=0.1, splines=line"

    /// The shape and style that tell the kinds of node apart without colour.
    static func shape(of node: Trace.Node) -> [(String, String)] {
        var attributes: [(String, String)]
        switch node.kind {
        case .input: attributes = [("shape", "box"), ("style", "\"rounded\"")]
        case .parameter: attributes = [("shape", "box3d")]
        case .constant: attributes = [("shape", "box"), ("style", "\"dashed\""), ("color", "\"\(Palette.muted)\"")]
        case .operation: attributes = [("shape", "ellipse")]
        }
        if node.isOutput { attributes.append(("peripheries", "2")) }
        return attributes
    }

    /// Adds the highlight: a thick blue outline (and a pale fill for nodes) and the SVG class `highlight`.
    static func highlighted(_ attributes: [(String, String)], filled: Bool) -> [(String, String)] {
        var result = attributes.filter { $0.0 != "color" }
        result.insert(("class", "\"highlight\""), at: 1)
        result.append(("color", "\"\(Palette.highlight)\""))
        result.append(("penwidth", "3"))
        if filled {
            let styles = result.first { $0.0 == "style" }.map { String($0.1.dropFirst().dropLast()) + "," } ?? ""
            result.removeAll { $0.0 == "style" }
            result.append(("style", "\"\(styles)filled\""))
            result.append(("fillcolor", "\"\(Palette.highlightFill)\""))
        }
        return result
    }

    /// `[key=value, …]` in the given order.
    static func list(_ attributes: [(String, String)]) -> String {
        "[" + attributes.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") + "]"
    }

    /// The key under the graph: what green, red and the edge annotations mean.
    static func legend(output name: String) -> String {
        let output = DotEscape.html(name)
        return "<FONT COLOR=\"\(Palette.value)\">value</FONT>: forward result"
            + "     <FONT COLOR=\"\(Palette.gradient)\">grad</FONT>: ∂\(output)/∂node"
            + "     edge: local × upstream = contribution"
    }
}

/// The colours of a drawing. Values and gradients also differ in their words (`value`, `grad`).
enum Palette {
    /// Forward values.
    static let value = "#1a7f37"
    /// Gradients, upstreams and contributions.
    static let gradient = "#cf222e"
    /// Outlines and headers.
    static let ink = "#24292f"
    /// Secondary text: operation symbols, shapes, constants, plain edges.
    static let muted = "#57606a"
    /// The lit step's outline.
    static let highlight = "#0969da"
    /// The lit node's fill.
    static let highlightFill = "#fff8c5"
}
