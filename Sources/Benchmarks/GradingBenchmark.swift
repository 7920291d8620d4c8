import Autograd
import Datasets
import Foundation
import Grading
import Support

/// `backprop bench grade`: synthetic answer files for a lesson's exercises, written to a temporary
/// directory, graded with a gradebook `repeats` times.
public struct GradingBenchmark: Sendable {
    /// The timed repeats, in seconds.
    public let times: [Double]
    public var median: Double { times.sorted()[times.count / 2] }
    /// Bytes of the answer files, files refused as malformed, answers graded and those right.
    public let bytes: Int, rejected: Int, answers: Int, right: Int

    /// Writes `count` synthetic files, grades them `repeats` times, removes them.
    public static func run(_ set: ExerciseSet, count: Int, repeats: Int, seed: UInt64) throws(WorkbenchFailure) -> GradingBenchmark {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-bench-grade-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        do { try AtomicFile.createDirectory(directory) } catch { throw .badInput("\(error)") }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var generator = SeededGenerator(seed: seed)
        var bytes = 0
        for index in 0..<count {
            let text = synthetic(index: index, set: set, generator: &generator)
            bytes += text.utf8.count
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: directory + String(format: "/s%05d.toml", index))) }
            catch { throw .failed("\(directory): \(error.localizedDescription)") }
        }
        let gradebook = directory + "/gradebook.csv"
        var times: [Double] = []
        var grades: [SubmissionGrade] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            let graded = try GradeBatch(directory: directory, set: set, excluding: [gradebook])
            do { try AtomicFile.write(graded.csv(), to: gradebook) } catch { throw .failed("\(error)") }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            grades = graded.grades
        }
        let answers = grades.filter { $0.rejection == nil }.flatMap(\.exercises)
        return GradingBenchmark(times: times, bytes: bytes, rejected: grades.filter { $0.rejection != nil }.count,
                                answers: answers.count, right: answers.filter { $0.verdict == .right }.count)
    }

    /// One synthetic answer file: mostly right answers, some wrong (a sign flipped, a wrong
    /// choice), some missing, and one file in fifty malformed.
    public static func synthetic(index: Int, set: ExerciseSet, generator: inout SeededGenerator) -> String {
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
