import Autograd

/// One step of a trace replayed: the drawing at that moment, its file name and one line of narration.
///
/// Frame 0 knows only the leaves; each forward step then lights the node it computes (nodes not
/// computed yet show `?`); each backward step lights the edge it uses, with its local gradient,
/// upstream and contribution.
public struct Frame: Sendable {
    /// Which part of the replay a frame belongs to.
    public enum Phase: String, Sendable {
        /// Frame 0: only the inputs, parameters and constants have values.
        case inputs
        /// A forward step: one operation node computes its value.
        case forward
        /// A backward step: one edge sends its contribution back.
        case backward
    }

    /// The frame's position, 0 first.
    public let index: Int
    /// Inputs, forward or backward.
    public let phase: Phase
    /// The node (forward) or edge (backward) this step lights; nil for frame 0.
    public let highlight: DiagramElement?
    /// A file name without extension that sorts in step order:
    /// `step-000-forward-inputs`, `step-001-forward-n3`, `step-004-backward-e1`.
    public let name: String
    /// The DOT text of the drawing at this step.
    public let dot: String
    /// What happens in this step, in one line:
    /// `q = x + y = -2 + 5 = 3` or `∂f/∂q = z = -4; upstream 1; contribution -4`.
    public let narration: String

    /// The frame's file name in a format: `fileName(as: .svg)` is `step-001-forward-n3.svg`.
    public func fileName(as format: RenderFormat) -> String { "\(name).\(format.rawValue)" }
}

extension Diagram {
    /// The step frames of a trace: one for the leaves, one per forward step, one per backward step.
    ///
    /// ```swift
    /// let frames = Diagram.frames(for: trace)
    /// print(frames[1].narration)   // Prints "q = x + y = -2 + 5 = 3"
    /// print(frames[3].narration)   // Prints "∂f/∂q = z = -4; upstream 1; contribution -4"
    /// ```
    /// - Parameters:
    ///   - trace: what to replay; without gradients (or with `options.forwardOnly`) there are no backward frames.
    ///   - options: as for `dot(for:options:)`; each frame sets its own `highlight`.
    /// - Returns: `1 + trace.forwardSteps.count + trace.backwardSteps.count` frames (without the
    ///   backward ones when forward only), in order.
    /// - Complexity: O(steps × (nodes + edges)): each frame is a whole drawing.
    public static func frames(for trace: Trace, options: DiagramOptions = DiagramOptions()) -> [Frame] {
        let backwardSteps = options.forwardOnly ? [] : trace.backwardSteps
        let count = 1 + trace.forwardSteps.count + backwardSteps.count
        let width = max(3, String(count - 1).count)
        let narrator = Narrator(trace: trace, text: DiagramText(precision: options.precision))
        var knowledge = Knowledge.leaves(trace)
        var frames: [Frame] = []

        func append(_ phase: Phase, _ highlight: DiagramElement?, _ narration: String) {
            var frameOptions = options
            frameOptions.highlight = highlight
            let number = String(repeating: "0", count: width - String(frames.count).count) + String(frames.count)
            let name = "step-\(number)-\(phase == .backward ? "backward" : "forward")-\(highlight?.identifier ?? "inputs")"
            frames.append(Frame(index: frames.count, phase: phase, highlight: highlight, name: name,
                                dot: dot(for: trace, options: frameOptions, knowledge: knowledge), narration: narration))
        }

        append(.inputs, nil, narrator.leaves())
        for node in trace.forwardSteps {
            knowledge.compute(node)
            append(.forward, .node(node), narrator.forward(trace.nodes[node]))
        }
        for edge in backwardSteps {
            knowledge.use(edge)
            append(.backward, .edge(edge), narrator.backward(trace.edges[edge], knowledge: knowledge))
        }
        return frames
    }

    /// A frame's phase, spelled short inside this file.
    typealias Phase = Frame.Phase
}

/// The narration lines of the step frames.
struct Narrator {
    /// The trace being replayed.
    let trace: Trace
    /// The number formatter with the options' precision.
    let text: DiagramText

    /// Frame 0: `inputs x = -2, y = 5, z = -4; parameters w = -2, b = 3`.
    func leaves() -> String {
        var parts: [String] = []
        for kind in [NodeKind.input, .parameter] {
            let leaves = trace.nodes.filter { $0.kind == kind }
            guard !leaves.isEmpty else { continue }
            let plural = kind == .input ? "inputs" : "parameters"
            parts.append(plural + " " + leaves.map { "\($0.label) = \(text.inline($0.value))" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "no inputs: every leaf is a constant" : parts.joined(separator: "; ")
    }

    /// A forward step: `q = x + y = -2 + 5 = 3`.
    func forward(_ node: Trace.Node) -> String {
        let operands = node.inputs.map { text.inline(trace.nodes[$0].value) }
        return "\(node.label) = \(Formula.symbolic(node, in: trace)) = "
            + "\(Formula.expression(node, operands: operands)) = \(text.inline(node.value))"
    }

    /// A backward step: `∂f/∂q = z = -4; upstream 1; contribution -4`, and once a node that fans
    /// out has all its contributions, their sum: `…; grad x = 3 + 3 + 1 = 7`.
    func backward(_ edge: Trace.Edge, knowledge: Knowledge) -> String {
        let labels = DiagramLabels(trace: trace, knowledge: knowledge, text: text)
        var parts = [labels.localLine(edge)]
        if let numbers = labels.numbers(edge, format: text.inline) {
            parts.append("upstream \(numbers.upstream)")
            parts.append("contribution \(numbers.contribution)" + (numbers.isSummed ? " (summed over the broadcast axes)" : ""))
        }
        let from = trace.nodes[edge.from]
        if from.contributions.count > 1, case .known = knowledge.gradient(of: from, in: trace),
           let gradient = labels.gradientText(from, format: text.inline) {
            parts.append("grad \(from.label) \(gradient)")
        }
        return parts.joined(separator: "; ")
    }
}
