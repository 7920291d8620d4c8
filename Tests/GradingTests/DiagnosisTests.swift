import Foundation
import Testing
@testable import Grading
import Claims
import Lessons
import Support

// Diagnoses that are tested (a mistake is named only when it explains the claim at the random points
// too), rounding judged the way people round, columns inside the student's answer, and gradient 0 for
// inputs the output does not depend on.

@Suite("diagnoses, rounding and unused inputs")
struct DiagnosisTests {
    static let neuron = "f = 1/(1+exp(-(w0*x0+w1*x1+w2)))"
    static let neuronPoint = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"

    @Test("CS231n's neuron: f(1 - f) for ∂f/∂w0 is the missing local gradient x0, not a sign error (x0 = -1 only here)")
    func neuronMissingX0() throws {
        let check = try ClaimCheck(source: Self.neuron, inputs: Self.neuronPoint, claims: ["df/dw0 = f * (1 - f)"])
        let result = try #require(check.results.first)
        #expect(!result.passed)
        #expect(result.mistake == .missingLocalGradient)
        let explanation = try #require(result.explanation)
        #expect(explanation.contains("x0 = -1"), "\(explanation)")
        // At x0 = -1.5 the same claim gets the same diagnosis.
        let other = try ClaimCheck(source: Self.neuron, inputs: "w0=2,x0=-1.5,w1=-3,x1=-2,w2=-3", claims: ["df/dw0 = f * (1 - f)"])
        #expect(other.results[0].mistake == .missingLocalGradient)
    }

    @Test("a mistake that fits only at the given point is not named; the report says so plainly")
    func coincidenceIsNotAMistake() throws {
        // At y = -1, y*y = 1 = -∂f/∂x, but nowhere else.
        let check = try ClaimCheck(source: "f = x * y", inputs: "x=2,y=-1", claims: ["df/dx = y*y"])
        let result = check.results[0]
        #expect(!result.passed && result.mistake == nil)
        #expect(result.explanation?.contains("not a sign error") == true, "\(result.explanation ?? "nil")")
        // A real sign error is still named: it holds at every point.
        let sign = try ClaimCheck(source: "q = x + y; f = q * z", inputs: "x=-2,y=5,z=-4", claims: ["df/dq = -z"])
        #expect(sign.results[0].mistake == .signError)
    }

    @Test("W @ y where transpose(W) @ y is right: a missing transpose")
    func missingTranspose() throws {
        let check = try ClaimCheck(source: "h = W @ x; f = sum(h * y)", inputs: "W=[[1,2],[3,4]],x=[1,-1],y=[2,5]",
                                   claims: ["df/dx = W @ y", "df/dx = transpose(W) @ y"])
        #expect(check.results[0].mistake == .missingTranspose)
        #expect(check.results[0].explanation?.contains("transpose(W) @ y") == true)
        #expect(check.results[1].passed)
        // The check's sentence names it too.
        #expect(check.summary?.contains("(missing transpose)") == true, "\(check.summary ?? "")")
    }

    @Test("a figure cut off instead of rounded: round, don't truncate; a rounded one with fewer digits is right to its digits")
    func truncatedClaim() throws {
        let check = try ClaimCheck(source: Self.neuron, inputs: Self.neuronPoint, claims: ["df/dw0 = -0.196", "df/dw0 = -0.2", "df/dw0 = -0.197"])
        #expect(check.results[0].mistake == .truncated)
        #expect(check.results[0].explanation?.contains("-0.197") == true)
        #expect(check.results[1].passed && check.results[1].rounded)
        #expect(check.results[2].passed)
        #expect(check.table().contains("round, don't truncate: -0.196612 rounded to 3 decimals is -0.197"))
    }

    @Test("Rounding: decimals, truncation and rounding the way people do it")
    func roundingHelpers() {
        #expect(Rounding.decimals(of: -0.196) == 3)
        #expect(Rounding.decimals(of: 3) == 0)
        #expect(Rounding.decimals(of: 2.99) == 2)
        #expect(Rounding.decimals(of: 1.5e-3) == 4)
        #expect(Rounding.decimals(ofTolerance: 0.0005) == 3)
        #expect(Rounding.decimals(ofTolerance: 0.01) == nil)
        #expect(Rounding.isTruncation(-0.196, of: -0.196612, decimals: 3))
        #expect(!Rounding.isTruncation(-0.197, of: -0.196612, decimals: 3))
        #expect(!Rounding.isTruncation(0.29, of: 0.2949, decimals: 2))   // 0.29 is 0.2949 rounded too
        #expect(Rounding.isTruncation(0.29, of: 0.2999, decimals: 2))
        #expect(Rounding.fixed(-0.0001, decimals: 2) == "0.00")
    }

    static let neuronLesson = """
        number = 90
        title = "neuron"
        source = "s"
        program = "\(neuron)"

        [inputs]
        w0 = 2
        x0 = -1
        w1 = -3
        x1 = -2
        w2 = -3

        [[check]]
        quantity = "f"
        notes = 0.731059

        [[exercise]]
        id = "dw0"
        kind = "number"
        prompt = "p"
        answer = "df/dw0"

        [[exercise]]
        id = "three"
        kind = "number"
        prompt = "p"
        answer = "w1 * -1"

        [[exercise]]
        id = "third"
        kind = "number"
        prompt = "p"
        answer = "1 / w1 * -1"

        [[exercise]]
        id = "dw0-formula"
        kind = "formula"
        prompt = "p"
        answer = "df/dw0"
        """

    func grade(_ answers: String) throws -> SubmissionGrade {
        let set = try ExerciseSet(try Lesson(text: Self.neuronLesson, file: "neuron.toml"))
        return set.grade(bytes: Array("student = \"s1\"\nlesson = 90\n[answers]\n\(answers)\n".utf8), file: "s1.toml")
    }

    @Test("grading numbers the way people round", arguments: [
        ("dw0 = -0.196", Verdict.wrong, "truncated", "round, don't truncate"),
        ("dw0 = -0.197", .right, nil, "right"),
        ("dw0 = -0.1966", .right, nil, "right"),
        ("three = 2.99", .wrong, nil, "you gave 2.99; the engine gives 3"),
        ("three = 3", .right, nil, "right"),
        ("three = 3.0", .right, nil, "right"),
        ("third = 0.33", .wrong, "close", "give more digits"),
        ("third = 0.3333", .right, nil, "right"),
        ("third = \"1/3\"", .right, nil, "right"),
    ] as [(String, Verdict, String?, String)])
    func gradeRounding(answer: String, verdict: Verdict, mistake: String?, feedback: String) throws {
        let grade = try grade(answer)
        let id = String(answer.prefix { $0 != " " })
        let exercise = try #require(grade.exercises.first { $0.id == id })
        #expect(exercise.verdict == verdict, "\(exercise.feedback)")
        #expect(exercise.mistake == mistake, "\(exercise.feedback)")
        #expect(exercise.feedback.contains(feedback), "\(exercise.feedback)")
        if answer.hasPrefix("three = 2.99") { #expect(!exercise.feedback.contains("more digits")) }
    }

    @Test("a formula's columns point inside the student's answer", arguments: [
        ("\"zz\"", "column 1: unknown name 'zz'"),
        ("\"f * (1 - ff)\"", "column 10: unknown name 'ff'"),
        ("\"df/dw0 = ff\"", "column 10: unknown name 'ff'"),
        ("\"(f\"", "column 3: expected ')' to close the '(' at column 1, found the end of the answer"),
    ])
    func answerColumns(answer: String, expected: String) throws {
        let grade = try grade("dw0-formula = \(answer)")
        let exercise = try #require(grade.exercises.first { $0.id == "dw0-formula" })
        #expect(exercise.verdict == .invalid)
        #expect(exercise.feedback.hasPrefix(expected), "\(exercise.feedback)")
    }

    @Test("the sheet states the rounding rule the grader applies")
    func sheetStatesRule() throws {
        let set = try ExerciseSet(try Lesson(text: Self.neuronLesson, file: "neuron.toml"))
        let sheet = set.markdown(solutions: false)
        #expect(sheet.contains(ExerciseSet.roundingRule))
        #expect(sheet.contains("Round, don't cut off"))
        #expect(try set.html(solutions: false).contains("Round, don&#39;t cut off") || (try set.html(solutions: false)).contains("Round, don't cut off"))
        // An exercise with its own rule states it under its prompt, and is graded by it.
        let own = Self.neuronLesson.replacingOccurrences(of: "answer = \"w1 * -1\"", with: "answer = \"w1 * -1\"\ntolerance = 0.01")
            .replacingOccurrences(of: "answer = \"1 / w1 * -1\"", with: "answer = \"1 / w1 * -1\"\ndigits = 2")
        let ownSet = try ExerciseSet(try Lesson(text: own, file: "neuron.toml"))
        let ownSheet = ownSet.markdown(solutions: false)
        #expect(ownSheet.contains("(A number here is right within ±0.01 of the engine's value.)"), "\(ownSheet)")
        #expect(ownSheet.contains("(A number here is right within half a unit in its 2nd significant digit.)"))
        let graded = ownSet.grade(bytes: Array("student = \"s1\"\nlesson = 90\n[answers]\nthree = 2.99\nthird = 0.33\n".utf8), file: "s1.toml")
        #expect(graded.exercises.first { $0.id == "three" }?.verdict == .right)
        #expect(graded.exercises.first { $0.id == "third" }?.verdict == .right)
    }

    @Test("an input the output does not depend on: gradient 0 in the table and JSON, a note, a warning", arguments: [
        ("f = y * 2", "x=1,y=3"),
        ("f = 2", "x=1"),
        ("a = x * 3; f = log(1 + y^2)", "x=1.3,y=-0.3"),
    ])
    func unusedInputs(source: String, inputs: String) throws {
        let job = try TraceJob(source: source, inputs: inputs)
        let x = try #require(job.trace.inputs.first { $0.label == "x" })
        #expect(x.gradient == .zeros([]))
        #expect(TraceReport.table(job.trace).contains("∂f/∂x = 0   (f does not depend on x)"))
        let json = TraceReport.json(job.trace).serialized()
        #expect(json.contains("\"x\": 0"), "\(json)")
        #expect(json.contains("f does not depend on x"))
        #expect(job.notes.contains { $0.hasPrefix("warning: --at gives 'x', which the program does not use") } == !source.contains("x"))
        // Claims agree: ∂f/∂x = 0.
        let check = try ClaimCheck(source: source, inputs: inputs, claims: ["df/dx = 0"])
        #expect(check.passed)
    }
}
