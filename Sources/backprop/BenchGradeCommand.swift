import ArgumentParser
import Datasets
import Autograd
import Foundation
import Workbench

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
            BenchCommand.printKernels()
            let prepareStart = DispatchTime.now().uptimeNanoseconds
            let set = try GradeCommand.exercises(String(lesson))
            let prepare = Double(DispatchTime.now().uptimeNanoseconds - prepareStart) / 1e6
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-bench-grade-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
            do { try AtomicFile.createDirectory(directory) } catch { throw WorkbenchFailure.badInput("\(error)") }
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var generator = SeededGenerator(seed: seed)
            var bytes = 0
            for index in 0..<count {
                let text = Grade.synthetic(index: index, set: set, generator: &generator)
                bytes += text.utf8.count
                try Data(text.utf8).write(to: URL(fileURLWithPath: directory + String(format: "/s%05d.toml", index)))
            }
            let gradebook = directory + "/gradebook.csv"
            var times: [Double] = []
            var batch: GradeBatch? = nil
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                let graded = try GradeBatch(directory: directory, set: set, excluding: [gradebook])
                do { try AtomicFile.write(graded.csv(), to: gradebook) } catch { throw WorkbenchFailure.failed("\(error)") }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                batch = graded
            }
            let median = times.sorted()[times.count / 2]
            let grades = batch!.grades
            let rejected = grades.filter { $0.rejection != nil }.count
            let answers = grades.filter { $0.rejection == nil }.flatMap(\.exercises)
            let right = answers.filter { $0.verdict == .right }.count
            print("grading benchmark: lesson \(set.lesson.number), \(set.items.count) exercises (" + Dictionary(grouping: set.items, by: \.exercise.kind.rawValue).map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ") + ")")
            print("  prepare the lesson (answers, random points)   \(String(format: "%.1f", prepare)) ms")
            print("  \(count) answer files, \(bytes / 1024) KB in all (\(rejected) malformed on purpose)")
            print("  grade them + write the gradebook             \(String(format: "%.3f", median)) s median of \(repeats) (" + times.map { String(format: "%.3f", $0) }.joined(separator: ", ") + ")")
            print("  per file                                     \(String(format: "%.3f", median / Double(count) * 1000)) ms")
            print("  answers graded: \(answers.count), right \(right), other \(answers.count - right)")
            print("  target: \(count) submissions in under 10 s: \(median < 10 * Double(count) / 1000 ? "met" : "NOT met")")
        }

        /// One synthetic answer file: mostly right answers, some wrong (a sign flipped, a wrong
        /// choice), some missing, and one file in fifty malformed.
        static func synthetic(index: Int, set: ExerciseSet, generator: inout SeededGenerator) -> String {
            if index % 50 == 49 { return ["", "student = \"s\(index)\"\nlesson = [", "\u{0}\u{1}binary", "student = 3\n"][index / 50 % 4] }
            var lines = ["student = \"s\(String(format: "%05d", index))\"", "name = \"Student \(index)\"", "lesson = \(set.lesson.number)", "", "[answers]"]
            var tables: [String] = []
            func number(_ x: Double) -> String { let text = TraceFormat.number(x, significantDigits: 6); return text.contains(".") || text.contains("e") ? text : text + ".0" }
            for item in set.items {
                let id = item.exercise.id
                if generator.unit() < 0.05 { continue }
                let wrong = generator.unit() < 0.2
                switch item.expected {
                case .number(let value, _): lines.append("\(id) = \(number(wrong ? -value - 1 : value))")
                case .tensor(let value, _): lines.append("\(id) = \"\(TraceFormat.tensor(wrong ? -value : value, significantDigits: 8))\"")
                case .formula(let formula):
                    let right = formula.example ?? formula.engineFormula ?? TraceFormat.tensor(formula.engine)
                    lines.append("\(id) = \"\(wrong ? "-(\(right)) + 1" : right)\"")
                case .choice(let right, _): lines.append("\(id) = \"\(String(UnicodeScalar(UInt8(97 + (wrong ? (right + 1) % item.exercise.choices.count : right)))))\"")
                case .shape(let shape): lines.append("\(id) = [" + (wrong ? shape.reversed() : shape).map(String.init).joined(separator: ", ") + "]")
                case .count(let count, _): lines.append("\(id) = \(wrong ? count + 1 : count)")
                case .graph(let blanks):
                    tables.append("")
                    tables.append("[answers.\(id)]")
                    for blank in blanks { tables.append("\"\(blank.key)\" = \(number(wrong ? blank.value + 1 : blank.value))") }
                }
            }
            return (lines + tables).joined(separator: "\n") + "\n"
        }
    }
}
