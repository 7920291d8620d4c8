import Autograd
import Diagrams
import Foundation
import Testing
@testable import Support
@testable import Lessons
@testable import Grading

/// Every lesson's sheet for two students of one course: each shows that student's own inputs, the
/// two differ for every lesson that varies, and no answer of that student's variant stands on it.
///
/// How the check reads a sheet: every number written on it (Markdown, and the HTML drawing's labels).
/// A numeric answer (a number, a tensor's entries, a blank; a formula's answer is a formula, which
/// `SheetLeakTests` looks for as text, and its value at the point is not graded alone) that
/// equals, to its grading tolerance, a number the question itself gives — the inputs, the program,
/// the prompts, the rounding rule, the counts in the header, the template's 0.0: every line that is
/// not a graph table — is *given* (trivially common values such as 0, 1, 0.5 and 3 are among them)
/// and skipped. Every other answer is *checked*: no number of the sheet may agree with it. So that
/// the check cannot pass vacuously, (1) each checked answer must be found by the same reader on the
/// teacher's sheet of the same variant (with solutions), and (2) at least half of all numeric answers,
/// and at least one of every varied lesson with numeric answers, must be checked, not skipped.
@Suite("Variants: every lesson's sheet for two students")
struct VariantSheetTests {
    static let variants = CourseVariants(secret: CourseSecret(bytes: Array("variant sheet test secret 128bit".utf8)),
                                         students: ["s1001", "s1002"], roster: "roster.csv")
    static let lessons: [Lesson] = ((try? LessonLibrary.all()) ?? []).filter { !$0.exercises.isEmpty }

    /// Each numeric answer with its tolerance and the exercise it answers.
    static func answers(_ set: ExerciseSet) -> [(id: String, value: Double, tolerance: Double)] {
        var answers: [(String, Double, Double)] = []
        for item in set.items {
            let id = item.exercise.id
            switch item.expected {
            case .number(let value, let tolerance): answers.append((id, value, tolerance))
            case .tensor(let value, let tolerances): answers += zip(value.storage, tolerances).map { (id, $0, $1) }
            case .graph(let blanks): answers += blanks.map { (id, $0.value, $0.tolerance) }
            default: break
            }
        }
        return answers
    }

    static func isTableRow(_ line: Substring) -> Bool { line.hasPrefix("| ") }

    @Test("each student's sheet shows their own inputs and none of their answers; the two variants differ", arguments: lessons.map(\.number))
    func sheets(number: Int) throws {
        let lesson = try #require(Self.lessons.first { $0.number == number })
        var inputs: [String] = []
        var checked = 0, total = 0
        for student in ["s1001", "s1002"] {
            let set = try Self.variants.exercises(lesson, student: student)
            inputs.append(set.inputsText)
            let markdown = set.markdown(solutions: false), html = try set.html(solutions: false)
            if lesson.exerciseInputs != nil {
                #expect(markdown.contains("The program, at \(set.inputsText):") && markdown.contains("student \(student)"))
                #expect(markdown.contains("student = \"\(student)\""))
            }
            let lines = markdown.split(separator: "\n")
            let given = lines.filter { !Self.isTableRow($0) }.flatMap { SheetLeakTests.numbers(String($0)) }
            let shown = lines.flatMap { SheetLeakTests.numbers(String($0)) }
                + SheetLeakTests.computedFigures(markdown: markdown, html: html, trace: set.job.trace).map(\.figure)
            let solutions = SheetLeakTests.numbers(set.markdown(solutions: true))
            func near(_ numbers: [Double], _ value: Double, _ tolerance: Double) -> Double? {
                numbers.first { abs($0 - value) <= max(tolerance, 1e-12) }
            }
            for answer in Self.answers(set) {
                total += 1
                if near(given, answer.value, answer.tolerance) != nil { continue }
                checked += 1
                #expect(near(solutions, answer.value, answer.tolerance) != nil,
                        "lesson \(number), \(student), \(answer.id): the reader does not find the answer \(answer.value) on the teacher's sheet")
                if let figure = near(shown, answer.value, answer.tolerance) {
                    Issue.record("lesson \(number), \(student), \(answer.id): the answer \(TraceFormat.number(answer.value)) stands on the sheet as \(TraceFormat.number(figure))")
                }
            }
        }
        if lesson.exerciseInputs != nil {
            #expect(inputs[0] != inputs[1], "lesson \(number): the two students got the same inputs \(inputs[0])")
            #expect(inputs[0] != ExerciseSetInputs.notes(lesson) && inputs[1] != ExerciseSetInputs.notes(lesson))
            if total > 0 { #expect(checked > 0, "lesson \(number): every answer was skipped as given; the check would be vacuous") }
        } else {
            #expect(inputs[0] == inputs[1], "lesson \(number) does not vary: both students get the notes' numbers")
        }
    }

    @Test("over every lesson, most numeric answers are checked, not skipped as given")
    func mostAreChecked() throws {
        var checked = 0, total = 0
        for lesson in Self.lessons {
            let set = try Self.variants.exercises(lesson, student: "s1001")
            let given = set.markdown(solutions: false).split(separator: "\n").filter { !Self.isTableRow($0) }.flatMap { SheetLeakTests.numbers(String($0)) }
            for answer in Self.answers(set) {
                total += 1
                if !given.contains(where: { abs($0 - answer.value) <= max(answer.tolerance, 1e-12) }) { checked += 1 }
            }
        }
        #expect(total > 50 && checked * 2 >= total, "\(checked) of \(total) numeric answers checked")
    }
}

/// The notes' inputs of a lesson as a sheet prints them.
enum ExerciseSetInputs {
    static func notes(_ lesson: Lesson) -> String { (try? ExerciseSet(lesson).inputsText) ?? "" }
}
