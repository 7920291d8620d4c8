import Autograd

/// The HTML-like labels and the tooltips of a drawing's nodes and edges.
///
/// Labels round numbers to the options' precision and summarize large tensors; tooltips keep every
/// digit of every entry. Both show `?` for whatever `knowledge` says is not known yet.
struct DiagramLabels {
    /// The trace being drawn.
    let trace: Trace
    /// What may be shown.
    let knowledge: Knowledge
    /// The number formatter with the drawing's precision.
    let text: DiagramText
    /// The names nodes are shown by (`DiagramOptions.names`), by node id.
    let names: [String]
    /// The trace's labels that `names` changes, to rename them in formulas.
    let renaming: [String: String]

    init(trace: Trace, knowledge: Knowledge, text: DiagramText, names: [String]? = nil) {
        self.trace = trace
        self.knowledge = knowledge
        self.text = text
        self.names = names.flatMap { $0.count == trace.nodes.count ? $0 : nil } ?? trace.nodes.map(\.label)
        renaming = trace.renaming(to: names)
    }

    /// A formula or statement written with the trace's labels, in the names shown.
    func renamed(_ text: String) -> String { TraceFormat.rename(text, names: renaming) }

    // MARK: - Nodes

    /// A node's label: a header (name or symbol, and shape for tensors), then `value` in green and
    /// `grad` in red. Values of rank 2 or more start a new line per row.
    func node(_ node: Trace.Node) -> String {
        var header = "<B>" + DotEscape.html(title(of: node)) + "</B>"
        if node.kind == .operation {
            header += " " + muted(DotEscape.html(operationName(of: node)))
        }
        if !node.value.isScalar {
            header += " " + muted(DotEscape.html(Tensor.describe(shape: node.value.shape)))
        }
        var rows = ["<TR><TD>\(header)</TD></TR>"]
        // A scalar constant's title is its value: nothing else to say (no gradient flows into it).
        if node.kind == .constant && node.name == nil && node.value.isScalar { return table(rows) }
        let value = knowledge.valueKnown[node.id] ? text.lines(node.value) : ["?"]
        rows.append(row(keyword: "value", value, colour: Palette.value))
        if let gradient = gradientLines(node) {
            rows.append(row(keyword: "grad", gradient, colour: Palette.gradient))
        }
        return table(rows)
    }

    /// A node's tooltip: what it is, its shape, and its exact value and gradient.
    func nodeTooltip(_ node: Trace.Node) -> String {
        var lines = [renamed(Formula.definition(node, in: trace))]
        if !node.value.isScalar { lines.append("shape " + Tensor.describe(shape: node.value.shape)) }
        lines.append("value " + (knowledge.valueKnown[node.id] ? DiagramText.exact(node.value) : "?"))
        if let gradient = gradientText(node, format: DiagramText.exact) { lines.append("grad " + gradient) }
        return lines.joined(separator: "\n")
    }

    /// The big text of a node: the label the narration and the edges use (`q`, `n10`, a constant's
    /// value `2`), so every name a student reads in a step can be found in the picture.
    func title(of node: Trace.Node) -> String { names[node.id] }

    /// The operation's symbol with its attribute, if any: `+`, `sum axis 0`, `[0, 1:3]`.
    func operationName(of node: Trace.Node) -> String {
        guard let detail = node.detail else { return node.symbol }
        return node.operation == "index" ? detail : "\(node.symbol) \(detail)"
    }

    /// The text after `grad`: `-4`, `= 3 + 3 + 1 = 7` for a fan-out, `= 3 + ?` while contributions
    /// are still arriving, `?` before backward; nil for a constant, which gets no gradient.
    func gradientText(_ node: Trace.Node, format: (Tensor) -> String) -> String? {
        switch knowledge.gradient(of: node, in: trace) {
        case .none: return nil
        case .unknown: return "?"
        case .unreached: return "none (\(names[node.id]) does not lead to \(names[trace.output]))"
        case .partial(let terms): return "= " + DiagramText.sum(terms.map { $0.map(format) ?? "?" })
        case .known(let gradient, let terms):
            guard terms.count > 1 else { return format(gradient) }
            return "= " + DiagramText.sum(terms.map(format)) + " = " + format(gradient)
        }
    }

    /// The `grad` lines of a label: one line, or for a matrix a summary line and one line per row.
    private func gradientLines(_ node: Trace.Node) -> [String]? {
        guard node.value.rank >= 2 else { return gradientText(node, format: text.inline).map { [$0] } }
        switch knowledge.gradient(of: node, in: trace) {
        case .known(let gradient, let terms):
            let sum = terms.count > 1 ? ["(sum of \(terms.count) contributions)"] : []
            return sum + text.lines(gradient)
        case .partial(let terms):
            return ["? (\(terms.compactMap { $0 }.count) of \(terms.count) contributions so far)"]
        default:
            return gradientText(node, format: text.inline).map { [$0] }
        }
    }

    // MARK: - Edges

    /// An edge's label: the local gradient (`∂f/∂q = z = -4`), then in red
    /// `local × upstream = contribution` (`-4 × 1 = -4`); edges from constants carry only the first line.
    func edge(_ edge: Trace.Edge) -> String {
        var rows = ["<TR><TD>" + DotEscape.html(localLine(edge)) + "</TD></TR>"]
        if let numbers = numbers(edge, format: text.inline) {
            let product: String
            if let local = numbers.local {
                let terms = "\(local) × \(DiagramText.operand(numbers.upstream, position: 1))"
                product = (numbers.isSummed ? "sum(\(terms))" : terms) + " = \(numbers.contribution)"
            } else {
                product = "upstream \(numbers.upstream) → contribution \(numbers.contribution)"
            }
            rows.append("<TR><TD>" + coloured(DotEscape.html(product), Palette.gradient) + "</TD></TR>")
        }
        return table(rows)
    }

    /// An edge's tooltip: its ends, the local gradient and the exact local, upstream and contribution.
    func edgeTooltip(_ edge: Trace.Edge) -> String {
        var lines = ["\(names[edge.from]) → \(names[edge.to])", renamed(edge.localGradient.description)]
        if let numbers = numbers(edge, format: DiagramText.exact) {
            if let local = numbers.local { lines.append("local " + local) }
            lines.append("upstream " + numbers.upstream)
            lines.append("contribution " + numbers.contribution + (numbers.isSummed ? " (summed over the broadcast axes)" : ""))
        } else {
            lines.append("no gradient flows back along this edge")
        }
        return lines.joined(separator: "\n")
    }

    /// `∂f/∂q = z = -4`: the local gradient in words, then its value once the forward pass has it.
    func localLine(_ edge: Trace.Edge) -> String {
        let local = edge.localGradient
        let description = renamed(local.description)
        guard let value = local.value, knowledge.valueKnown[edge.to] else { return description }
        let number = text.inline(value)
        return number == local.formula ? description : "\(description) = \(number)"
    }

    /// The numbers of `local × upstream = contribution`, `?` where not known yet; nil when no gradient
    /// flows back along the edge (from a constant, or from an operation that does not reach the output).
    func numbers(_ edge: Trace.Edge, format: (Tensor) -> String) -> EdgeNumbers? {
        if !trace.nodes[edge.from].requiresGradient { return nil }
        let local = edge.localGradient.value.map { knowledge.valueKnown[edge.to] ? format($0) : "?" }
        guard knowledge.edgeUsed[edge.id] else {
            return EdgeNumbers(local: local, upstream: "?", contribution: "?", isSummed: false)
        }
        guard let upstream = edge.upstream, let contribution = edge.contribution else { return nil }
        let isSummed = edge.localGradient.value.map { $0.shape != contribution.shape } ?? false
        return EdgeNumbers(local: local, upstream: format(upstream), contribution: format(contribution), isSummed: isSummed)
    }

    // MARK: - HTML pieces

    private func table(_ rows: [String]) -> String {
        "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">" + rows.joined() + "</TABLE>"
    }

    /// A row `keyword text` in one colour; extra lines (matrix rows) follow left-aligned.
    private func row(keyword: String, _ lines: [String], colour: String) -> String {
        let body: String
        if lines.count == 1 {
            body = keyword + " " + DotEscape.html(lines[0])
        } else {
            body = ([keyword] + lines.map(DotEscape.html)).joined(separator: "<BR/>")
        }
        return "<TR><TD BALIGN=\"LEFT\">" + coloured(body, colour) + "</TD></TR>"
    }

    private func coloured(_ html: String, _ colour: String) -> String {
        "<FONT COLOR=\"\(colour)\">" + html + "</FONT>"
    }

    private func muted(_ html: String) -> String { coloured(html, Palette.muted) }
}

/// The three numbers on an edge, as text.
struct EdgeNumbers {
    /// The local gradient's value; nil when it is a Jacobian, given as a formula only.
    let local: String?
    /// ∂output/∂(edge's operation), or `?`.
    let upstream: String
    /// local × upstream (the vector-Jacobian product for tensors), or `?`.
    let contribution: String
    /// Whether broadcasting made the contribution a sum of local × upstream over the stretched axes.
    let isSummed: Bool
}
