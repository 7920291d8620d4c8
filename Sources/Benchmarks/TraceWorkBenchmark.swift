import Claims
import Foundation

/// `backprop bench trace`: the work of one `POST /api/trace` without the network — parse the
/// program and its values, evaluate, run backward, take the trace, write its JSON — for the load
/// test's two programs (scripts/load/trace-small.lua and trace-100.lua). The server's own share
/// (HTTP, threads, the socket) is measured by scripts/load-serve.sh; this is the part the engine owns.
public struct TraceWorkBenchmark: Sendable {
    /// Timed rounds (the median is reported) and requests per round.
    public var rounds: Int, requests: Int

    public init(rounds: Int = 7, requests: Int = 1_000) {
        self.rounds = rounds; self.requests = requests
    }

    /// The 102-node program of the load test: 33 tanh neurons in a chain, `h_i = tanh(h_{i-1} * w + b)`.
    public static var chainProgram: String {
        var statements = ["h1 = tanh(x * w + b)"]
        for i in 2...32 { statements.append("h\(i) = tanh(h\(i - 1) * w + b)") }
        statements.append("f = tanh(h32 * w + b)")
        return statements.joined(separator: "; ")
    }

    /// The programs timed: name, source, input values.
    public static let programs: [(name: String, source: String, at: String)] = [
        ("f = (x + y) z", "q = x + y; f = q * z", "x=-2,y=5,z=-4"),
        ("102-node chain", chainProgram, "x=0.5,w=0.9,b=0.1"),
    ]

    /// One program's medians, in microseconds per request.
    public struct Row: Sendable {
        public let name: String
        public let nodes: Int, edges: Int, jsonBytes: Int
        /// Parse, evaluate, backward and take the trace (`TraceJob`); write the JSON (`TraceReport.jsonBytes`).
        public let jobMicroseconds: Double, jsonMicroseconds: Double
    }

    public func run() throws -> [Row] {
        let clock = ContinuousClock()
        func microseconds(_ duration: Duration) -> Double {
            (Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) * 1e-12) / Double(requests)
        }
        return try Self.programs.map { program in
            var jobTimes: [Double] = [], jsonTimes: [Double] = []
            var last: TraceJob? = nil, bytes = 0
            for _ in 0..<rounds {
                var jobs: [TraceJob] = []
                jobs.reserveCapacity(requests)
                jobTimes.append(microseconds(try clock.measure {
                    for _ in 0..<requests { jobs.append(try TraceJob(source: program.source, inputs: program.at)) }
                }))
                jsonTimes.append(microseconds(clock.measure {
                    for job in jobs { bytes = TraceReport.jsonBytes(job.trace, lineEnd: true).count }
                }))
                last = jobs.last
            }
            return Row(name: program.name, nodes: last!.trace.nodes.count, edges: last!.trace.edges.count, jsonBytes: bytes,
                       jobMicroseconds: DiagramBenchmark.median(jobTimes), jsonMicroseconds: DiagramBenchmark.median(jsonTimes))
        }
    }

    /// The table `backprop bench trace` prints.
    public static func render(_ rows: [Row], requests: Int, rounds: Int) -> String {
        var lines = ["trace: one POST /api/trace's work without the network, µs per request (median of \(rounds) rounds of \(requests))",
                     "  program           nodes  edges  JSON bytes   trace job     JSON    total"]
        for row in rows {
            lines.append(String(format: "  %-16@ %6d %6d %11d %11.1f %8.1f %8.1f", row.name as NSString, row.nodes, row.edges, row.jsonBytes,
                                row.jobMicroseconds, row.jsonMicroseconds, row.jobMicroseconds + row.jsonMicroseconds))
        }
        return lines.joined(separator: "\n")
    }
}
