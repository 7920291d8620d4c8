import ArgumentParser
import Foundation
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages
import Benchmarks

/// `backprop bench`: benchmarks (never timed tests). Figures go to docs/performance.md.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: engine (1M-op chain, micrograd's demo step), diagrams (render times), trace (one POST /api/trace's work), training and grading.",
        subcommands: [Engine.self, Diagrams.self, Trace.self, Train.self, Grade.self])

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A 1,000,000-op chain (build, backward, nodes/s, bytes/node) and micrograd's demo training step.")
        @Option(help: "Timed repeats of the chain.") var repeats = 5
        @Option(help: "Timed steps of the demo.") var steps = 50
        func run() throws {
            BenchCommand.begin()
            defer { BenchCommand.end() }
            let report = try EngineBenchmark(chainRepeats: repeats, demoTimedSteps: steps).run()
            print(report.render())
        }
    }

    struct Diagrams: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Render time from program to SVG for 100, 1,000 and 5,000-node traces.")
        @Option(parsing: .upToNextOption, help: "Node counts to aim for.") var sizes: [Int] = [100, 1_000, 5_000]
        @Option(help: "Also time the full (uncollapsed) drawing up to this many nodes.") var fullUpTo = 1_000
        @Option(help: "Timed repeats (median reported).") var repeats = 3
        func run() throws {
            BenchCommand.begin()
            defer { BenchCommand.end() }
            print(DiagramBenchmark.render(try DiagramBenchmark(sizes: sizes, fullUpTo: fullUpTo, repeats: repeats).run()))
        }
    }

    struct Trace: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One POST /api/trace's work without the network (trace job, JSON), for the load test's programs.")
        @Option(help: "Timed rounds (median reported).") var rounds = 7
        @Option(help: "Requests per round.") var requests = 1_000
        func run() throws {
            BenchCommand.begin()
            defer { BenchCommand.end() }
            let benchmark = TraceWorkBenchmark(rounds: max(1, rounds), requests: max(1, requests))
            print(TraceWorkBenchmark.render(try benchmark.run(), requests: benchmark.requests, rounds: benchmark.rounds))
        }
    }

    /// Before a benchmark: the CPU and kernels, and how busy the machine is (`MachineState`).
    static func begin() {
        printKernels()
        print(MachineState.sample()?.describe("before") ?? "machine before: /proc/stat is not readable, so quiet or not is unknown")
    }

    /// After it: the machine's state again, since other work may have started during the run.
    static func end() {
        print(MachineState.sample()?.describe("after") ?? "machine after: /proc/stat is not readable")
    }
}
