import Autograd
import Diagrams
import Expressions
import Foundation
import Support
import Claims
import ModelFiles
import Lessons
import Grading

/// `backprop bench diagrams`: time from program text to SVG bytes for traces of about 100, 1,000
/// and 5,000 nodes, drawn in full and as the default (collapsed above `BigGraph.defaultLimit`).
public struct DiagramBenchmark: Sendable {
    /// Node counts to aim for (each program is a sum of tanh neurons, 6 nodes a neuron with its leaves and its add).
    public var sizes: [Int]
    /// Sizes up to which the full drawing is timed too (Graphviz's layout is superlinear).
    public var fullUpTo: Int
    /// Timed repeats of each (median reported).
    public var repeats: Int

    public init(sizes: [Int] = [100, 1_000, 5_000], fullUpTo: Int = 1_000, repeats: Int = 3) {
        self.sizes = sizes; self.fullUpTo = fullUpTo; self.repeats = repeats
    }

    /// One size's figures.
    public struct Row: Sendable {
        public let nodes: Int, edges: Int
        /// Median seconds: program → trace, trace → DOT, DOT → SVG, for the default drawing.
        public let traceSeconds: Double, dotSeconds: Double, svgSeconds: Double
        /// Boxes drawn by default (equal to `nodes` when not collapsed).
        public let boxes: Int
        /// Median seconds end to end of the full drawing, when timed.
        public let fullSeconds: Double?
        public var defaultSeconds: Double { traceSeconds + dotSeconds + svgSeconds }
    }

    /// A program of `neurons` neurons `h_i = tanh(w_i * x + b_i)` summed into `f`.
    public static func program(neurons: Int) -> (source: String, inputs: [(name: String, value: Tensor)]) {
        var lines: [String] = []
        var inputs: [(name: String, value: Tensor)] = [("x", Tensor(scalar: 0.3))]
        for i in 0..<neurons {
            lines.append("h\(i) = tanh(w\(i) * x + b\(i))")
            inputs.append(("w\(i)", Tensor(scalar: Double(i % 7) / 7 - 0.5)))
            inputs.append(("b\(i)", Tensor(scalar: Double(i % 5) / 10)))
        }
        lines.append("f = " + (0..<neurons).map { "h\($0)" }.joined(separator: " + "))
        return (lines.joined(separator: "\n"), inputs)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// Runs every size.
    public func run() throws -> [Row] {
        let clock = ContinuousClock()
        func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18 }
        return try sizes.map { target in
            let (source, inputs) = DiagramBenchmark.program(neurons: max(1, target / 6))
            var traceTimes: [Double] = [], dotTimes: [Double] = [], svgTimes: [Double] = [], fullTimes: [Double] = []
            var trace: Trace? = nil, boxes = 0
            for _ in 0..<repeats {
                var t: Trace?
                traceTimes.append(seconds(try clock.measure {
                    let program = try Expressions.evaluate(source, options: .init(inputs: inputs))
                    try program.graph.backward(from: program.output)
                    t = program.graph.trace(output: program.output)
                }))
                trace = t
                var dot = ""
                dotTimes.append(seconds(clock.measure {
                    if t!.nodes.count > BigGraph.defaultLimit {
                        let collapsed = BigGraph.collapse(t!)
                        dot = collapsed.dot; boxes = collapsed.boxes
                    } else {
                        dot = Diagram.dot(for: t!); boxes = t!.nodes.count
                    }
                }))
                svgTimes.append(seconds(try clock.measure { _ = try Graphviz.render(dot: dot, as: .svg) }))
                if t!.nodes.count <= fullUpTo || target <= fullUpTo {
                    fullTimes.append(seconds(try clock.measure { _ = try Graphviz.render(dot: Diagram.dot(for: t!), as: .svg) }))
                }
            }
            return Row(nodes: trace!.nodes.count, edges: trace!.edges.count, traceSeconds: DiagramBenchmark.median(traceTimes),
                       dotSeconds: DiagramBenchmark.median(dotTimes), svgSeconds: DiagramBenchmark.median(svgTimes), boxes: boxes,
                       fullSeconds: fullTimes.isEmpty ? nil : DiagramBenchmark.median(fullTimes) + DiagramBenchmark.median(traceTimes))
        }
    }

    /// The table `backprop bench diagrams` prints.
    public static func render(_ rows: [Row]) -> String {
        func ms(_ s: Double) -> String { String(format: "%8.1f ms", s * 1000) }
        var lines = ["diagrams: program text → trace → DOT → SVG through libgvc (medians)",
                     "   nodes   edges   boxes      trace        DOT        SVG    default total   full drawing total"]
        for row in rows {
            lines.append(String(format: "%8d%8d%8d", row.nodes, row.edges, row.boxes) + " " + ms(row.traceSeconds) + " " + ms(row.dotSeconds)
                         + " " + ms(row.svgSeconds) + "    " + ms(row.defaultSeconds) + "    " + (row.fullSeconds.map(ms) ?? "   not timed (see --full-up-to)"))
        }
        lines.append("default: collapsed above \(BigGraph.defaultLimit) nodes; target: a 1,000-node trace in under 0.3 s end to end")
        return lines.joined(separator: "\n")
    }
}
