import ArgumentParser
import Datasets
import Autograd
import Foundation
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages
import Benchmarks

extension BenchCommand {
    /// `backprop bench grade`: 1,000 synthetic answer files graded, timed (the figure in docs/performance.md).
    struct Grade: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate synthetic answer files in a temporary directory, grade them with a gradebook, print the time.")
        @Option(help: "How many answer files.") var count = 1_000
        @Option(help: "The lesson whose exercises are answered (its number).") var lesson = 1
        @Option(help: "Timed repeats (the median is reported).") var repeats = 3
        @Option(help: "The seed of the synthetic answers.") var seed: UInt64 = 1

        func validate() throws {
            if !(1...100_000).contains(count) { throw ValidationError("--count \(count): use 1 to 100000") }
            if !(1...20).contains(repeats) { throw ValidationError("--repeats \(repeats): use 1 to 20") }
        }

        func run() throws {
            BenchCommand.begin()
            defer { BenchCommand.end() }
            let prepareStart = DispatchTime.now().uptimeNanoseconds
            let set = try GradeCommand.exercises(String(lesson))
            let prepare = Double(DispatchTime.now().uptimeNanoseconds - prepareStart) / 1e6
            let result = try GradingBenchmark.run(set, count: count, repeats: repeats, seed: seed)
            print("grading benchmark: lesson \(set.lesson.number), \(set.items.count) exercises (" + Dictionary(grouping: set.items, by: \.exercise.kind.rawValue).map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ") + ")")
            print("  prepare the lesson (answers, random points)   \(String(format: "%.1f", prepare)) ms")
            print("  \(count) answer files, \(result.bytes / 1024) KB in all (\(result.rejected) malformed on purpose)")
            print("  grade them + write the gradebook             \(String(format: "%.3f", result.median)) s median of \(repeats) (" + result.times.map { String(format: "%.3f", $0) }.joined(separator: ", ") + ")")
            print("  per file                                     \(String(format: "%.3f", result.median / Double(count) * 1000)) ms")
            print("  answers graded: \(result.answers), right \(result.right), other \(result.answers - result.right)")
            print("  target: \(count) submissions in under 10 s: \(result.median < 10 * Double(count) / 1000 ? "met" : "NOT met")")
        }
    }
}
