import Autograd

/// What one step of a replay does to the drawing: nothing (an explanation), compute a node's value
/// (forward), start backward at the output (the seed), or send a contribution back along an edge.
public enum StepEvent: Sendable, Equatable {
    /// Nothing new becomes known (the inputs, a training summary, an update).
    case none
    /// The forward pass computes this node's value.
    case compute(Int)
    /// Backward starts: the output's gradient, 1, is known.
    case seed
    /// Backward uses this edge: its upstream and contribution are known.
    case use(Int)
}

/// One drawing shared by every step of a replay.
///
/// A step-by-step page does not need one drawing per step: the layout is the same at every step,
/// only what is known changes. `SteppedDrawing` renders the finished trace once and marks each
/// number in the SVG with the step it becomes known at; the page's script then shows `?` for what
/// is not known yet and lights the step's node or edge with a CSS class. A 196-node lesson is one
/// 0.3 MB drawing instead of 348 whole ones (68 MB).
///
/// The marks are attributes on the SVG's `<text>` elements:
/// - `data-at="k"`: the first step (0-based) at which the text is known;
/// - `data-q`: what to show before that (`value ?`, `grad ?`, an edge's formula without its value,
///   or nothing);
/// - `class`: `v` (a value), `g` (a gradient), `l` (an edge's local gradient), `p` (an edge's
///   `local × upstream = contribution`).
public enum SteppedDrawing {
    /// The step from which each part of the drawing is known, for a list of events.
    struct Schedule {
        var valueAt: [Int]
        var gradientAt: [Int]
        var localAt: [Int]
        var productAt: [Int]

        init(trace: Trace, events: [StepEvent]) {
            let never = Int.max
            let hasBackward = events.contains { if case .use = $0 { return true }; return $0 == .seed }
            var computedAt = [Int?](repeating: nil, count: trace.nodes.count)
            var usedAt = [Int?](repeating: nil, count: trace.edges.count)
            var seedAt: Int? = nil
            for (index, event) in events.enumerated() {
                switch event {
                case .compute(let node) where node >= 0 && node < trace.nodes.count: computedAt[node] = computedAt[node] ?? index
                case .use(let edge) where edge >= 0 && edge < trace.edges.count:
                    usedAt[edge] = usedAt[edge] ?? index
                    seedAt = seedAt ?? index
                case .seed: seedAt = seedAt ?? index
                default: break
                }
            }
            // What the events never mention is known from the start (a static drawing) for values,
            // and from the start for gradients only when the replay has no backward part at all. A
            // lesson's narration may leave edges out (into constants, inside a statement shown as one
            // line): their products are known by the last step, so the finished drawing has no `?`.
            valueAt = trace.nodes.map { $0.kind == .operation ? (computedAt[$0.id] ?? 0) : 0 }
            let seed = hasBackward ? (seedAt ?? never) : 0
            let last = max(0, events.count - 1)
            productAt = trace.edges.map { usedAt[$0.id] ?? (hasBackward ? last : 0) }
            let products = productAt
            gradientAt = trace.nodes.map { node in
                if node.isOutput || node.contributions.isEmpty { return seed }
                return node.contributions.map { products[$0] }.max() ?? seed
            }
            let values = valueAt
            localAt = trace.edges.map { values[$0.to] }
        }
    }

    /// The SVG of the finished trace with every number marked with the step it is known from.
    /// - Parameters:
    ///   - trace: the trace (after backward for gradients).
    ///   - events: one per step of the page, in order.
    ///   - options: how to draw (`highlight` is ignored: the page lights elements itself).
    /// - Returns: an `<svg>` element ready to inline in HTML (no XML declaration).
    /// - Throws: `GraphvizError` if Graphviz cannot draw it.
    public static func svg(for trace: Trace, events: [StepEvent], options: DiagramOptions = DiagramOptions()) throws(GraphvizError) -> String {
        var drawing = options
        drawing.highlight = nil
        let svg = try Graphviz.render(dot: Diagram.dot(for: trace, options: drawing), as: .svg)
        let renaming = trace.renaming(to: drawing.names)
        return mark(String(decoding: svg, as: UTF8.self), trace: trace, schedule: Schedule(trace: trace, events: events),
                    rename: { TraceFormat.rename($0, names: renaming) })
    }

    /// Adds the step marks to Graphviz's SVG of the trace (ids `n0…`, `e0…`, colours of `Palette`).
    /// `rename` writes a formula in the names the drawing shows (`DiagramOptions.names`).
    static func mark(_ svg: String, trace: Trace, schedule: Schedule, rename: (String) -> String = { $0 }) -> String {
        var output: [Substring] = []
        var group: DiagramElement? = nil
        var firstValue = true, firstGradient = true
        let valueFill = "fill=\"\(Palette.value)\"", gradientFill = "fill=\"\(Palette.gradient)\""
        let body = svg.range(of: "<svg").map { svg[$0.lowerBound...] } ?? Substring(svg)
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("<g id=\"") {
                if line.contains("class=\"node"), let id = Int(identifier(line).dropFirst()), identifier(line).hasPrefix("n") {
                    group = .node(id)
                } else if line.contains("class=\"edge"), let id = Int(identifier(line).dropFirst()), identifier(line).hasPrefix("e") {
                    group = .edge(id)
                } else if line.contains("class=\"node") || line.contains("class=\"edge") || line.contains("class=\"graph") {
                    group = nil
                }
                firstValue = true; firstGradient = true
                output.append(line)
                continue
            }
            guard line.hasPrefix("<text"), let element = group else { output.append(line); continue }
            var kind: String? = nil, at = 0, placeholder = ""
            switch element {
            case .node(let id) where id < trace.nodes.count:
                if line.contains(valueFill) {
                    kind = "v"; at = schedule.valueAt[id]; placeholder = firstValue ? "value ?" : ""; firstValue = false
                } else if line.contains(gradientFill) {
                    kind = "g"; at = schedule.gradientAt[id]; placeholder = firstGradient ? "grad ?" : ""; firstGradient = false
                }
            case .edge(let id) where id < trace.edges.count:
                if line.contains(gradientFill) {
                    kind = "p"; at = schedule.productAt[id]
                } else {
                    kind = "l"; at = schedule.localAt[id]; placeholder = rename(trace.edges[id].localGradient.description)
                }
            default: break
            }
            guard let kind, at > 0 else { output.append(line); continue }
            let step = at == Int.max ? "never" : String(at)
            output.append("<text class=\"\(kind)\" data-at=\"\(step)\" data-q=\"\(htmlEscaped(placeholder))\"" + line.dropFirst("<text".count))
        }
        return output.joined(separator: "\n")
    }

    /// The id of a `<g id="…"` line.
    private static func identifier(_ line: Substring) -> Substring {
        let rest = line.dropFirst("<g id=\"".count)
        return rest.prefix { $0 != "\"" }
    }
}
