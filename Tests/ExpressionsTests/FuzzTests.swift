import Autograd
import Expressions
import Foundation
import Testing
import TestSupport

// A seeded mutational fuzzer for the expression language: the committed corpus (Corpus/*.bp) is
// mutated character by character and token by token, and every mutant is parsed, evaluated, run
// backward and traced. The process must never crash; every error must be one line with a position
// inside the program. Bounded by a count and a time budget so `make test` stays quick; set
// BACKPROP_FUZZ_INPUTS (and BACKPROP_FUZZ_SECONDS, BACKPROP_FUZZ_SEED) for a longer run. Results: docs/reliability.md.

private let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
private let inputs = "x=0.7,y=-1.3,z=2,t=0.4,w=-2,b=3,a=[-5,-1,1,5],v=[1,-1],W=[[1,2],[3,4]]"

@Suite("Fuzzing the expression language")
struct FuzzTests {
    static let fragments = ["(", ")", "[", "]", ",", ";", "\n", "=", "+", "-", "*", "/", "^", "**", "@", "#", " ",
                            "0", "1", "2.5", "1e-3", "1e308", "-0", "x", "y", "z", "W", "v", "a", "q", "f",
                            "exp(", "log(", "sqrt(", "tanh(", "sigmoid(", "relu(", "leaky_relu(", "abs(", "step(",
                            "softplus(", "min(", "max(", "sum(", "mean(", "reshape(", "transpose(", "matmul(",
                            "[1, 2]", "[[1], [2]]", "[0:1]", "[1, 0]", ":", "é", "\u{0}", "\u{FFFD}", "∂"]

    @Test("mutants of the corpus never crash; errors are one positioned line")
    func mutants() throws {
        let corpus = try FileManager.default.contentsOfDirectory(atPath: corpusDirectory.path).filter { $0.hasSuffix(".bp") }.sorted()
            .map { try String(contentsOf: corpusDirectory.appendingPathComponent($0), encoding: .utf8) }
        #expect(corpus.count >= 5)
        let environment = ProcessInfo.processInfo.environment
        let budget = Int(environment["BACKPROP_FUZZ_INPUTS"] ?? "") ?? 20_000
        let seconds = Double(environment["BACKPROP_FUZZ_SECONDS"] ?? "") ?? 20
        let values = try InputValues.parse(inputs)
        var random = SplitMix64(seed: UInt64(environment["BACKPROP_FUZZ_SEED"] ?? "") ?? 2026)
        var tried = 0, evaluated = 0, rejected = 0, backwardRuns = 0
        let start = Date()
        while tried < budget && Date().timeIntervalSince(start) < seconds {
            var text = Array(corpus[Int(random.next() % UInt64(corpus.count))])
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = text.isEmpty ? 0 : Int(random.next() % UInt64(text.count + 1))
                switch random.next() % 4 {
                case 0 where !text.isEmpty && position < text.count: text.remove(at: position)
                case 1: text.insert(contentsOf: Self.fragments[Int(random.next() % UInt64(Self.fragments.count))], at: position)
                case 2 where !text.isEmpty && position < text.count:
                    text[position] = Self.fragments[Int(random.next() % UInt64(Self.fragments.count))].first ?? " "
                default:
                    // Splice: a random slice of another corpus program.
                    let other = Array(corpus[Int(random.next() % UInt64(corpus.count))])
                    let from = Int(random.next() % UInt64(other.count)), length = Int(random.next() % 12)
                    text.insert(contentsOf: other[from..<min(other.count, from + length)], at: position)
                }
            }
            let source = String(text)
            tried += 1
            do {
                let program = try Expressions.evaluate(source, options: .init(inputs: values, rejectUnusedInputs: false))
                evaluated += 1
                if program.graph.shape(of: program.output).isEmpty {
                    try? program.graph.backward(from: program.output)
                    backwardRuns += 1
                }
                let trace = program.graph.trace(output: program.output)
                #expect(trace.nodes.count == program.graph.count)
            } catch {
                rejected += 1
                let line = error.line()
                #expect(!line.contains("\n"), "\(line)")
                if let position = error.position {
                    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
                    #expect(position.line >= 1 && position.line <= max(1, lines.count), "\(line) in \(source.debugDescription)")
                }
            }
        }
        print("fuzz: \(tried) inputs in \(String(format: "%.1f", Date().timeIntervalSince(start))) s: \(evaluated) evaluated (\(backwardRuns) with backward), \(rejected) rejected with an error, 0 crashes")
        #expect(tried >= min(budget, 1_000))
        #expect(evaluated > 0 && rejected > 0)
    }
}
