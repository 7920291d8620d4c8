import Autograd

/// A single self-contained HTML page that replays a trace step by step: one drawing shared by every
/// step (`SteppedDrawing`), at its natural size with zoom and pan, the narration of every step
/// beside it, Prev / Next buttons, the ← and → keys and a slider.
///
/// The page needs no network and loads no script or style sheet: everything is in the one file.
/// Its state is in the DOM as `StepPage` describes: `#step`, `#narration`, the lit element
/// (`#drawing .lit`, id `n2` or `e3`), `#viewport[data-scale]`.
public enum Stepper {
    /// The steps of a trace: the inputs, one per forward step, one per backward step (none when
    /// forward only), each with its narration.
    public static func steps(for trace: Trace, options: DiagramOptions = DiagramOptions()) -> [StepPage.Step] {
        let narrator = Narrator(trace: trace, text: DiagramText(precision: options.precision))
        var knowledge = Knowledge.leaves(trace)
        var steps = [StepPage.Step(event: .none, narration: narrator.leaves(), phase: "inputs")]
        for node in trace.forwardSteps {
            knowledge.compute(node)
            steps.append(StepPage.Step(event: .compute(node), narration: narrator.forward(trace.nodes[node]), phase: "forward"))
        }
        for edge in options.forwardOnly ? [] : trace.backwardSteps {
            knowledge.use(edge)
            steps.append(StepPage.Step(event: .use(edge), narration: narrator.backward(trace.edges[edge], knowledge: knowledge), phase: "backward"))
        }
        return steps
    }

    /// The stepper page of a trace.
    ///
    /// ```swift
    /// let page = try Stepper.html(for: trace)
    /// try AtomicFile.write(page, to: "steps.html")
    /// ```
    /// - Parameters:
    ///   - trace: the trace to replay.
    ///   - options: how the drawing is drawn.
    ///   - title: the page's title; by default `Backpropagation of f, step by step` for output `f`.
    /// - Returns: the page's HTML text.
    /// - Throws: `GraphvizError` if Graphviz cannot render the drawing.
    /// - Complexity: one Graphviz render, whatever the number of steps.
    public static func html(for trace: Trace, options: DiagramOptions = DiagramOptions(),
                            title: String? = nil) throws(GraphvizError) -> String {
        let steps = steps(for: trace, options: options)
        let svg = try SteppedDrawing.svg(for: trace, events: steps.map(\.event), options: options)
        let heading = title ?? "Backpropagation of \(trace.outputNode.label), step by step"
        return StepPage.document(title: heading, body: "<h1>\(htmlEscaped(heading))</h1>\n" + StepPage.stepper(svg: svg, steps: steps, trace: trace))
    }

    /// An SVG document without what may not stand inside HTML: the XML declaration, the DOCTYPE
    /// and the comments before the `<svg>` element.
    static func inlinable(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return svg }
        return String(svg[start.lowerBound...])
    }
}
