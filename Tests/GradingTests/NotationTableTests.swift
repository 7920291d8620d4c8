import Foundation
import Testing
@testable import Autograd
@testable import Expressions
@testable import Support
@testable import Claims
@testable import Lessons
@testable import Grading

// One table of notations: a lesson's check, a `backprop check` claim, an exercise's answer and the
// grader read each the same way and get the same figure from the engine (issue 27, item 1). The
// figures are the engine's, read from a run of the same program, never typed here.

/// The program of the table, with a sigmoid so the notes' `σ` has something to stand for.
private let program = "q = x + y; n = q * z; f = sigmoid(n) + w * w"
private let point = "x=-2,y=5,z=-0.5,w=3"

/// Notation → the quantity it must read as (written the tool's way: it parses back too).
private let table: [(written: String, means: String)] = [
    ("df/dx", "∂f/∂x"), ("∂f/∂x", "∂f/∂x"), ("d f/d x", "∂f/∂x"), ("df/∂x", "∂f/∂x"), ("∂f / ∂x", "∂f/∂x"),
    ("df/dq", "∂f/∂q"), ("dn/dx", "∂n/∂x"), ("∂q/∂x", "∂q/∂x"), ("df/dw", "∂f/∂w"), ("d n/d z", "∂n/∂z"),
]

/// The engine's gradient ∂A/∂B, by running the program backward from A (A.backward() in PyTorch).
private func engine(_ of: String, _ by: String) throws -> Double {
    let values = try InputValues.parse(point)
    let run = try Expressions.evaluate(program, options: .init(inputs: values))
    let a = try #require(run.node(named: of)), b = try #require(run.node(named: by))
    try run.graph.backward(from: a)
    return try #require(run.graph.gradient(of: b)).scalar
}

private func lessonText(check: String, notes: Double, answer: String, kind: String = "number") -> String {
    """
    number = 1
    title = "t"
    source = "s"
    program = "\(program)"

    [inputs]
    x = -2
    y = 5
    z = -0.5
    w = 3

    [[check]]
    quantity = "\(check)"
    notes = \(notes)

    [[exercise]]
    id = "e"
    kind = "\(kind)"
    prompt = "p"
    answer = "\(answer)"
    """
}

@Suite("One notation, one reading: lessons, check, exercises and grading agree")
struct NotationTableTests {
    @Test("each notation reads as its quantity and gets the engine's figure everywhere", arguments: table)
    func sameFigure(written: String, means: String) throws {
        let quantity = try Notation.quantity(written)
        #expect(quantity.description == means)
        #expect(try Notation.quantity(quantity.description).sameQuantity(as: quantity), "the printed form parses back")
        guard case .gradient(let of, let by) = quantity.kind else { Issue.record("\(written) is not a gradient"); return }
        let expected = try engine(of, by)

        // A lesson's check.
        let lesson = try Lesson(text: lessonText(check: written, notes: expected, answer: written), file: "t.toml")
        let run = try LessonRun(lesson)
        let check = try #require(run.results.first)
        #expect(check.engine == expected, "lesson check \(written)")

        // `backprop check`: a number, and the same quantity on the left of a claim.
        let claim = try ClaimCheck(source: program, inputs: point, claims: ["\(written) = \(expected)"])
        #expect(claim.passed, "check \(written)")
        #expect(claim.results[0].engine.scalar == expected)

        // An exercise's answer, and the grader.
        let set = try ExerciseSet(lesson)
        let item = try #require(set.item("e"))
        guard case .number(let value, _) = item.expected else { Issue.record("not a number exercise"); return }
        #expect(value == expected, "exercise \(written)")
        let grade = set.grade(bytes: Array("student = \"s\"\nlesson = 1\n[answers]\ne = \(expected)\n".utf8), file: "s.toml")
        #expect(grade.exercises[0].verdict == .right, "\(grade.exercises[0].feedback)")
    }

    /// Formulas in the notes' notation, with the same answer from `check` and the grader.
    @Test("a formula in the notes' notation is read by check and by the grader alike", arguments: [
        ("df/dn", "σ(n)·(1 − σ(n))", true), ("∂f/∂n", "sigmoid(n) * (1 - sigmoid(n))", true), ("df/dw", "2 × w", true),
        ("df/dw", "w²", false), ("df/dq", "z · σ(n)·(1 − σ(n))", true), ("df/dq", "−z", false),
    ])
    func sameFormula(left: String, formula: String, right: Bool) throws {
        let claim = try ClaimCheck(source: program, inputs: point, claims: ["\(left) = \(formula)"])
        #expect(claim.passed == right, "check \(left) = \(formula)")
        let set = try ExerciseSet(try Lesson(text: lessonText(check: "f", notes: 0.5, answer: left, kind: "formula"), file: "t.toml"))
        let escaped = formula.replacingOccurrences(of: "\"", with: "\\\"")
        for answer in [escaped, "\(left) = \(escaped)"] {
            let grade = set.grade(bytes: Array("student = \"s\"\nlesson = 1\n[answers]\ne = \"\(answer)\"\n".utf8), file: "s.toml")
            #expect((grade.exercises[0].verdict == .right) == right, "grade \(answer): \(grade.exercises[0].feedback)")
        }
    }

    /// A mistake gets the same typed error wherever it is written, at the column inside the text.
    @Test("the same mistake is the same error in a claim, a lesson check and an exercise")
    func sameError() throws {
        let claimError = #expect(throws: WorkbenchFailure.self) {
            try ClaimCheck(source: program, inputs: point, claims: ["df/dxx = 1"])
        }
        #expect(claimError?.message.contains("unknown name 'xx' in the claim's left side; did you mean 'x'?") == true, "\(claimError?.message ?? "")")
        #expect(claimError?.location?.column == 5)
        let lessonError = #expect(throws: WorkbenchFailure.self) {
            try LessonRun(try Lesson(text: lessonText(check: "df/dxx", notes: 1, answer: "f"), file: "t.toml"))
        }
        #expect(lessonError?.message.contains("unknown name 'xx' in the check's quantity; did you mean 'x'?") == true, "\(lessonError?.message ?? "")")
        let exerciseError = #expect(throws: WorkbenchFailure.self) {
            try ExerciseSet(try Lesson(text: lessonText(check: "f", notes: 0.5, answer: "df/dxx"), file: "t.toml"))
        }
        #expect(exerciseError?.message.contains("unknown name 'xx' in the quantity; did you mean 'x'?") == true, "\(exerciseError?.message ?? "")")
    }
}
