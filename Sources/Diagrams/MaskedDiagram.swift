import Autograd

extension Diagram {
    /// The DOT text of a "fill in the graph" exercise: the trace drawn as usual, except that the
    /// values of `hiddenValues` and the gradients of `hiddenGradients` (node ids) show a blank such
    /// as `[q]` (the text `blanks` gives for each), and the edges show only their local gradient's
    /// formula (`∂f/∂q = z`), never a number, so that no edge gives a blank away.
    ///
    /// - Parameters:
    ///   - blanks: the label of each blank, by node id and whether it is the gradient.
    ///   - showBlanks: draw the hidden numbers in place of the blanks (for the teacher's solutions).
    ///   - mask: figures that answer other exercises, drawn as `(exercise ID)` (values, gradients,
    ///     edges' local gradients); empty for the teacher's solutions.
    public static func maskedDot(for trace: Trace, blanks: [(node: Int, isGradient: Bool, label: String)],
                                 showBlanks: Bool = false, mask: DiagramMask = DiagramMask(),
                                 options: DiagramOptions = DiagramOptions()) -> String {
        let text = DiagramText(precision: options.precision)
        let labels = DiagramLabels(trace: trace, knowledge: .complete(trace, forwardOnly: false), text: text)
        func blank(_ node: Int, _ isGradient: Bool) -> String? { blanks.first { $0.node == node && $0.isGradient == isGradient }?.label }
        var lines = [
            "digraph trace {",
            "  graph [rankdir=\(options.direction.rawValue), nodesep=0.35, ranksep=0.8, fontname=\"Helvetica\", fontsize=10, labelloc=b, "
                + "label=<<FONT COLOR=\"\(Palette.value)\">value</FONT>: forward result     <FONT COLOR=\"\(Palette.gradient)\">grad</FONT>: ∂\(DotEscape.html(trace.outputNode.label))/∂node     [ ]: fill in>];",
            "  node [fontname=\"Helvetica\", fontsize=11, margin=\"0.1,0.05\", color=\"\(Palette.ink)\"];",
            "  edge [fontname=\"Helvetica\", fontsize=10, color=\"\(Palette.muted)\", arrowsize=0.7];",
        ]
        func row(_ keyword: String, _ body: String, _ colour: String, hidden: Bool) -> String {
            let shown = hidden ? "<B>\(body)</B>" : body
            return "<TR><TD BALIGN=\"LEFT\"><FONT COLOR=\"\(colour)\">\(keyword) \(shown)</FONT></TD></TR>"
        }
        for node in trace.nodes {
            var header = "<B>" + DotEscape.html(labels.title(of: node)) + "</B>"
            if node.kind == .operation {
                header += " <FONT COLOR=\"\(Palette.muted)\">" + DotEscape.html(labels.operationName(of: node)) + "</FONT>"
            }
            var rows = ["<TR><TD>\(header)</TD></TR>"]
            let titledByValue = node.kind == .constant && node.name == nil && node.value.isScalar
            if titledByValue {
                // A number of the program: its title is its value.
            } else if let label = blank(node.id, false) {
                rows.append(row("value", DotEscape.html(showBlanks ? text.inline(node.value) : "[\(label)]"), Palette.value, hidden: true))
            } else if let exercise = mask.values[node.id] {
                rows.append(row("value", DotEscape.html(DiagramMask.placeholder(exercise)), Palette.value, hidden: false))
            } else {
                rows.append(row("value", DotEscape.html(text.inline(node.value)), Palette.value, hidden: false))
            }
            if node.kind != .constant && (node.requiresGradient || node.isOutput), let gradient = node.gradient {
                if let label = blank(node.id, true) {
                    rows.append(row("grad", DotEscape.html(showBlanks ? text.inline(gradient) : "[\(label)]"), Palette.gradient, hidden: true))
                } else if let exercise = mask.gradients[node.id] {
                    rows.append(row("grad", DotEscape.html(DiagramMask.placeholder(exercise)), Palette.gradient, hidden: false))
                } else {
                    rows.append(row("grad", DotEscape.html(text.inline(gradient)), Palette.gradient, hidden: false))
                }
            }
            var attributes = [("id", DotEscape.quoted("n\(node.id)"))] + shape(of: node)
            attributes.append(("label", "<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">" + rows.joined() + "</TABLE>>"))
            lines.append("  n\(node.id) " + list(attributes) + ";")
        }
        for edge in trace.edges {
            var attributes = [("id", DotEscape.quoted("e\(edge.id)"))]
            if !trace.nodes[edge.from].requiresGradient && !options.labelConstantEdges {
                attributes.append(("style", "\"dashed\""))
            } else {
                let local = mask.edges[edge.id].map { exercise in
                    "∂\(trace.nodes[edge.to].label)/∂\(trace.nodes[edge.from].label) = " + DiagramMask.placeholder(exercise)
                } ?? edge.localGradient.description
                attributes.append(("label", "<" + DotEscape.html(local) + ">"))
            }
            lines.append("  n\(edge.from) -> n\(edge.to) " + list(attributes) + ";")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Figures of a drawing that answer exercises, each with the id of the exercise it answers.
public struct DiagramMask: Sendable, Equatable {
    /// Node id → exercise: the node's value is hidden.
    public var values: [Int: String]
    /// Node id → exercise: the node's gradient is hidden.
    public var gradients: [Int: String]
    /// Edge id → exercise: the edge's local gradient is hidden.
    public var edges: [Int: String]

    public init(values: [Int: String] = [:], gradients: [Int: String] = [:], edges: [Int: String] = [:]) {
        self.values = values
        self.gradients = gradients
        self.edges = edges
    }

    /// What a hidden figure shows: `(exercise df-dx)`, or `?` for a figure that only equals an
    /// answer (exercise "").
    public static func placeholder(_ exercise: String) -> String { exercise.isEmpty ? "?" : "(exercise \(exercise))" }
}
