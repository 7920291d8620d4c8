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
        /// Median seconds of Graphviz's own `dot -Tsvg` on the same full DOT text (a process per
        /// run, reading the DOT from a file), when `dot` is installed and the full drawing is timed.
        public var dotProcessSeconds: Double? = nil
        /// CPU seconds (user + system) of the full drawing in process, and of the `dot` process:
        /// on a shared machine the wall clock also counts the time other processes had the cores.
        public var fullCPUSeconds: Double? = nil, dotProcessCPUSeconds: Double? = nil
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
            var trace: Trace? = nil, boxes = 0, processTimes: [Double] = [], fullCPU: [Double] = [], processCPU: [Double] = []
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
                    let cpuBefore = DiagramBenchmark.cpuSeconds(RUSAGE_SELF.rawValue)
                    fullTimes.append(seconds(try clock.measure { _ = try Graphviz.render(dot: Diagram.dot(for: t!), as: .svg) }))
                    fullCPU.append(DiagramBenchmark.cpuSeconds(RUSAGE_SELF.rawValue) - cpuBefore)
                    let childBefore = DiagramBenchmark.cpuSeconds(RUSAGE_CHILDREN.rawValue)
                    if let time = DiagramBenchmark.dotProcess(Diagram.dot(for: t!)) {
                        processTimes.append(time)
                        processCPU.append(DiagramBenchmark.cpuSeconds(RUSAGE_CHILDREN.rawValue) - childBefore)
                    }
                }
            }
            var row = Row(nodes: trace!.nodes.count, edges: trace!.edges.count, traceSeconds: DiagramBenchmark.median(traceTimes),
                       dotSeconds: DiagramBenchmark.median(dotTimes), svgSeconds: DiagramBenchmark.median(svgTimes), boxes: boxes,
                       fullSeconds: fullTimes.isEmpty ? nil : DiagramBenchmark.median(fullTimes) + DiagramBenchmark.median(traceTimes))
            row.dotProcessSeconds = processTimes.isEmpty ? nil : DiagramBenchmark.median(processTimes)
            row.fullCPUSeconds = fullCPU.isEmpty ? nil : DiagramBenchmark.median(fullCPU)
            row.dotProcessCPUSeconds = processCPU.isEmpty ? nil : DiagramBenchmark.median(processCPU)
            return row
        }
    }

    /// User + system CPU seconds of this process (`RUSAGE_SELF`) or of its waited-for children.
    static func cpuSeconds(_ who: Int32) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Where Graphviz's `dot` command is, if installed (Debian's `graphviz` package).
    public static var dotCommand: String? {
        ["/usr/bin/dot", "/usr/local/bin/dot"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Seconds `dot -Tsvg FILE > /dev/null` takes on `text`, start to exit; nil without `dot`.
    static func dotProcess(_ text: String) -> Double? {
        guard let command = dotCommand else { return nil }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).dot")
        defer { try? FileManager.default.removeItem(at: file) }
        guard (try? Data(text.utf8).write(to: file)) != nil else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = ["-Tsvg", file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The table `backprop bench diagrams` prints.
    public static func render(_ rows: [Row]) -> String {
        func ms(_ s: Double) -> String { String(format: "%8.1f ms", s * 1000) }
        var lines = ["diagrams: program text → trace → DOT → SVG through libgvc (medians)",
                     "   nodes   edges   boxes      trace        DOT        SVG    default total   full drawing total   dot -Tsvg, same full DOT"]
        for row in rows {
            let process = row.dotProcessSeconds.map(ms) ?? (row.fullSeconds == nil ? "" : (dotCommand == nil ? "   no dot (apt-get install graphviz)" : "   failed"))
            lines.append(String(format: "%8d%8d%8d", row.nodes, row.edges, row.boxes) + " " + ms(row.traceSeconds) + " " + ms(row.dotSeconds)
                         + " " + ms(row.svgSeconds) + "    " + ms(row.defaultSeconds) + "    " + (row.fullSeconds.map(ms) ?? "   not timed (see --full-up-to)")
                         + "         " + process)
        }
        let cpu = rows.filter { $0.fullCPUSeconds != nil }
        if !cpu.isEmpty {
            lines.append("CPU time (user + system) of the full drawing, which the wall clock above exceeds when other processes share the cores:")
            for row in cpu {
                lines.append(String(format: "%8d nodes: in process %.1f ms", row.nodes, row.fullCPUSeconds! * 1000)
                             + (row.dotProcessCPUSeconds.map { String(format: "; dot -Tsvg %.1f ms", $0 * 1000) } ?? ""))
            }
        }
        lines.append("default: collapsed above \(BigGraph.defaultLimit) nodes; target: a 1,000-node annotated trace drawn in full (--full) in under 0.5 s end to end")
        return lines.joined(separator: "\n")
    }
}
