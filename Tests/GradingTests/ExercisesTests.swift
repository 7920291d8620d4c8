import Foundation
import Testing
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Diagrams

// Exercises and grading through the library: answers computed by the engine, submissions read under
// the limits, each kind of answer graded with its common mistakes, the gradebook's CSV.

/// Lesson 1's program with one exercise of each kind.
let lessonText = """
number = 1
title = "t"
source = "s"
program = "q = x + y; f = q * z"

[inputs]
x = -2
y = 5
z = -4

[[check]]
quantity = "f"
notes = -12

[[exercise]]
id = "df-dx"
kind = "number"
prompt = "p"
answer = "df/dx"
points = 2

[[exercise.feedback]]
mistake = "missing_upstream_gradient"
text = "multiply by the upstream"

[[exercise]]
id = "local"
kind = "number"
prompt = "p"
answer = "dq/dx"

[[exercise]]
id = "formula"
kind = "formula"
prompt = "p"
answer = "df/dz"
example = "x + y"

[[exercise.feedback]]
matches = "z"
text = "that is df/dq"

[[exercise]]
id = "choice"
kind = "choice"
prompt = "p"

[[exercise.choice]]
text = "up"
when = "df/dx > 0"

[[exercise.choice]]
text = "down"
when = "df/dx < 0"

[[exercise]]
id = "pick"
kind = "choice"
prompt = "p"
pick = "largest"

[[exercise.choice]]
text = "x"
value = "abs(df/dx)"

[[exercise.choice]]
text = "z"
value = "abs(df/dz)"

[[exercise]]
id = "graph"
kind = "graph"
prompt = "p"
hide = ["q", "df/dq"]
points = 2

[[exercise]]
id = "count"
kind = "count"
prompt = "p"
model = "iris-mlp"

[[exercise]]
id = "shape"
kind = "shape"
prompt = "p"
model = "lenet5"
layer = 1

[[exercise]]
id = "expression"
kind = "number"
prompt = "p"
answer = "q * 2"
"""

func makeSet(_ text: String = lessonText) throws -> ExerciseSet {
    try ExerciseSet(try Lesson(text: text, file: "test.toml"))
}

func submission(_ answers: String, student: String = "s1", lesson: Int = 1) -> [UInt8] {
    Array("student = \"\(student)\"\nlesson = \(lesson)\n\n[answers]\n\(answers)\n".utf8)
}

@Suite("exercises")
struct ExercisesTests {
    @Test("the engine computes every answer")
    func answers() throws {
        let set = try makeSet()
        #expect(set.items.count == 9)
        #expect(set.maxPoints == 11)
        guard case .number(let value, let tolerance) = set.item("df-dx")!.expected else { Issue.record("df-dx"); return }
        #expect(value == -4 && tolerance == 0.005)
        guard case .choice(let right, _) = set.item("choice")!.expected else { Issue.record("choice"); return }
        #expect(right == 1)
        guard case .choice(let picked, _) = set.item("pick")!.expected else { Issue.record("pick"); return }
        #expect(picked == 0)
        guard case .count(let count, _) = set.item("count")!.expected else { Issue.record("count"); return }
        #expect(count == 99)
        guard case .shape(let shape) = set.item("shape")!.expected else { Issue.record("shape"); return }
        #expect(shape == [6, 28, 28])
        guard case .number(let doubled, _) = set.item("expression")!.expected else { Issue.record("expression"); return }
        #expect(doubled == 6)
        guard case .graph(let blanks) = set.item("graph")!.expected else { Issue.record("graph"); return }
        #expect(blanks.map(\.value) == [3, -4])
    }

    @Test("a malformed exercise is refused with the file's line", arguments: [
        ("answer = \"dq/dx\"", "anwser = \"dq/dx\"", "unknown key 'anwser' in [[exercise]]; did you mean 'answer'?"),
        ("kind = \"graph\"", "kind = \"grahp\"", "unknown kind 'grahp'; did you mean 'graph'?"),
        ("id = \"local\"", "id = \"df-dx\"", "exercise id 'df-dx' is also used"),
        ("id = \"local\"", "id = \"-bad\"", "exercise id '-bad'"),
        ("model = \"iris-mlp\"", "model = \"iris\"", "unknown model 'iris'"),
        ("pick = \"largest\"", "pick = \"biggest\"", "'pick' must be"),
        ("mistake = \"missing_upstream_gradient\"", "mistake = \"oops\"", "unknown mistake 'oops'"),
        ("hide = [\"q\", \"df/dq\"]", "hide = []", "'hide' must be a list"),
    ])
    func malformed(original: String, replacement: String, message: String) throws {
        let text = lessonText.replacingOccurrences(of: original, with: replacement)
        #expect(text != lessonText)
        #expect(throws: WorkbenchFailure.self) { try Lesson(text: text, file: "test.toml") }
        do { _ = try Lesson(text: text, file: "test.toml") } catch {
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.message.hasPrefix("test.toml:"), "\(error.message)")
        }
    }

    @Test("an exercise the engine cannot answer is refused when the exercises are prepared", arguments: [
        ("answer = \"dq/dx\"", "answer = \"dq/dw\"", "unknown name 'w' in the quantity" as String?, Support.ExitStatus.badInput),
        ("when = \"df/dx > 0\"", "when = \"df/dx < 1\"", "hold together; exactly one must", .badInput),
        ("when = \"df/dx > 0\"", "when = \"df/dx > 1\"", nil, .success),
        ("when = \"df/dx < 0\"", "when = \"df/dx > 1\"", "no choice's 'when' holds", .badInput),
        ("example = \"x + y\"", "example = \"x - y\"", "disagrees with the engine", .failed),
        ("hide = [\"q\", \"df/dq\"]", "hide = [\"q\", \"dq/dx\"]", "cannot be hidden", .badInput),
        ("layer = 1", "layer = 40", "has 12 layers, not 40", .badInput),
    ])
    func unanswerable(original: String, replacement: String, message: String?, status: Support.ExitStatus) throws {
        let text = lessonText.replacingOccurrences(of: original, with: replacement)
        #expect(text != lessonText)
        do {
            _ = try makeSet(text)
            #expect(message == nil)
        } catch let error as WorkbenchFailure {
            #expect(error.status == status)
            #expect(message.map { error.message.contains($0) } ?? false, "\(error.message)")
        } catch { Issue.record("\(error)") }
    }

    @Test("the sheet shows the prompts, not the answers; the solutions show them")
    func sheet() throws {
        let set = try makeSet()
        let sheet = set.markdown(solutions: false), solutions = set.markdown(solutions: true)
        #expect(sheet.contains("## 1. `df-dx` (2 points, a number)"))
        #expect(sheet.contains("| q | `x + y` | **[q]** | **[df/dq]** |"), "\(sheet)")
        #expect(!sheet.contains("**Answer:**"))
        #expect(solutions.contains("> **Answer:** ∂f/∂x = -4"))
        #expect(solutions.contains("> **Answer:** 99 parameters"))
        #expect(solutions.contains("> - (b) df/dx < 0: -4 < 0 is true"))
        #expect(sheet.contains("[answers.graph]"))
    }
}

@Suite("grading")
struct GradingTests {
    @Test("each kind of answer, right and wrong, with its mistake", arguments: [
        ("df-dx = -4", "df-dx", Verdict.right, nil as String?, nil as String?),
        ("df-dx = \"-4.001\"", "df-dx", .right, nil, nil),
        ("df-dx = 1", "df-dx", .wrong, "missing_upstream_gradient", "multiply by the upstream"),
        ("df-dx = 4", "df-dx", .wrong, "sign_error", "the answer is minus ∂f/∂x"),
        ("df-dx = -4.04", "df-dx", .wrong, nil, "you gave -4.04; the engine gives -4"),   // exact -4: not "more digits"
        ("df-dx = \"-4.0041\"", "df-dx", .right, nil, "right"),
        ("df-dx = \"x\"", "df-dx", .invalid, nil, "give a number, not a formula"),
        ("df-dx = [1, 2]", "df-dx", .invalid, nil, "expected a number, got a list"),
        ("df-dx = \"1/0\"", "df-dx", .invalid, nil, "not a finite number"),
        ("df-dx = 1979-05-27", "df-dx", .invalid, nil, "got a date"),
        ("formula = \"x + y\"", "formula", .right, nil, "5 random points"),
        ("formula = \"df/dz = q\"", "formula", .right, nil, nil),
        ("formula = \"3\"", "formula", .wrong, "random_point", "agrees at the lesson's point only"),
        ("formula = \"z\"", "formula", .wrong, nil, "that is df/dq"),
        ("formula = \"dq/dx = 1\"", "formula", .invalid, nil, "the exercise asks for ∂f/∂z"),
        ("formula = \"x +\"", "formula", .invalid, nil, "column"),
        ("formula = \"reshape(x, [1])\"", "formula", .invalid, nil, "not allowed"),
        ("formula = \"sum([[[1]]])\"", "formula", .invalid, nil, "nested 2 deep at most"),
        ("choice = \"b\"", "choice", .right, nil, nil),
        ("choice = \"Down\"", "choice", .right, nil, nil),
        ("choice = 2", "choice", .right, nil, nil),
        ("choice = \"a\"", "choice", .wrong, "wrong_choice", "(b) down"),
        ("choice = \"e\"", "choice", .invalid, nil, "not one of the choices"),
        ("count = 99", "count", .right, nil, nil),
        ("count = \"99\"", "count", .right, nil, nil),
        ("count = 84", "count", .wrong, "missing_biases", "the biases are left out"),
        ("shape = [6, 28, 28]", "shape", .right, nil, nil),
        ("shape = \"6x28x28\"", "shape", .right, nil, nil),
        ("shape = [28, 28, 6]", "shape", .wrong, "reordered", "channels first"),
        ("shape = [6, 14, 14]", "shape", .wrong, "wrong_shape", nil),
        ("local = -4", "local", .wrong, nil, "the engine gives 1"),
        ("expression = 6", "expression", .right, nil, nil),
    ])
    func kinds(answers: String, id: String, verdict: Verdict, mistake: String?, feedback: String?) throws {
        let set = try makeSet()
        let grade = set.grade(bytes: submission(answers), file: "a.toml")
        #expect(grade.rejection == nil, "\(grade.rejection ?? "")")
        let exercise = try #require(grade.exercises.first { $0.id == id })
        #expect(exercise.verdict == verdict, "\(exercise.feedback)")
        #expect(exercise.mistake == mistake, "\(exercise.feedback)")
        if let feedback { #expect(exercise.feedback.contains(feedback), "\(exercise.feedback)") }
        #expect(exercise.points == (verdict == .right ? exercise.maxPoints : 0))
    }

    @Test("a graph exercise gives a share of the points per blank")
    func graph() throws {
        let set = try makeSet()
        let grade = set.grade(bytes: submission("[answers.graph]\nq = 3\n\"∂f/∂q\" = 4\n"), file: "a.toml")
        let exercise = try #require(grade.exercises.first { $0.id == "graph" })
        #expect(exercise.verdict == .partial)
        #expect(exercise.points == 1)
        #expect(exercise.feedback.contains("df/dq: 4 has the wrong sign"), "\(exercise.feedback)")
    }

    static let rejectedCases: [(String, String)] = {
        let long: String = String(repeating: "a", count: 65)
        let deep: String = "student = \"s1\"\nlesson = 1\n[answers]\nx = " + String(repeating: "[", count: 9) + String(repeating: "]", count: 9)
        let huge: String = "student = \"s1\"\nlesson = 1\n[answers]\nx = \"" + String(repeating: "a", count: 70_000) + "\""
        return [
            ("", "empty file"), ("   \n\n", "empty file"), ("student = \"s1\"\u{0}", "a binary file"),
            ("student = \"s1\"\nlesson = 1\n[answers\n", "not valid TOML: line 3"),
            ("lesson = 1\n[answers]\n", "no 'student'"), ("student = 5\n", "'student' must be a string"),
            ("student = \"=HYPERLINK(1)\"\nlesson = 1\n[answers]\n", "use letters, digits"),
            ("student = \"-1\"\nlesson = 1\n[answers]\n", "must not start with - or @"),
            ("student = \"\(long)\"\nlesson = 1\n[answers]\n", "longer than 64 characters"),
            ("student = \"s1\"\n[answers]\n", "no 'lesson'"),
            ("student = \"s1\"\nlesson = 2\n[answers]\n", "for lesson 2, not lesson 1"),
            ("student = \"s1\"\nlesson = 1\n", "no [answers] table"),
            ("student = \"s1\"\nlesson = 1\nanswers = 3\n", "'answers' must be a table"),
            (deep, "nested 9 deep"), (huge, "larger than the limit of 64 KB"),
        ]
    }()

    @Test("a submission that cannot be graded gets 0 points and one line", arguments: GradingTests.rejectedCases)
    func rejected(text: String, reason: String) throws {
        let set = try makeSet()
        let grade = set.grade(bytes: Array(text.utf8), file: "a.toml")
        #expect(grade.rejection?.contains(reason) == true, "\(grade.rejection ?? "graded")")
        #expect(grade.points == 0)
        #expect(!(grade.rejection ?? "").contains("\n"))
    }

    @Test("non-UTF-8 bytes are refused with the line")
    func notUTF8() throws {
        let set = try makeSet()
        let grade = set.grade(bytes: Array("student = \"s1\"\nlesson = 1\n".utf8) + [0xFF, 0xFE], file: "a.toml")
        #expect(grade.rejection == "not UTF-8 text (line 3)")
    }

    @Test("an unknown exercise id and an unknown key are notes, not failures")
    func notes() throws {
        let set = try makeSet()
        let grade = set.grade(bytes: Array("student = \"s1\"\nlesson = 1\nemail = \"a@b\"\n[answers]\ndf-dz = 1\ndf-dx = -4\n".utf8), file: "a.toml")
        #expect(grade.rejection == nil)
        #expect(grade.points == 2)
        #expect(grade.notes.contains { $0.contains("ignored the unknown key 'email'") })
        #expect(grade.notes.contains { $0.contains("no exercise 'df-dz' in lesson 1") && $0.contains("did you mean 'df-dx'?") })
    }

    static let limitCases: [(String, String?)] = {
        let long: String = String(repeating: "x+", count: 600) + "x"
        let numbers: String = "[" + Array(repeating: "1", count: 101).joined(separator: ",") + "]"
        let deep: String = String(repeating: "(", count: 65) + "x" + String(repeating: ")", count: 65)
        return [
            ("x + y", nil), ("W[0, 1] * sum([1, 2, 3])", nil), ("exp(-x) / (1 + exp(-x))^2", nil),
            (long, "longer than 1000"), ("x; y", "one expression on one line"),
            ("system(\"ls\")", "'system(…)' is not allowed"), ("reshape(x, [2, 2])", "'reshape(…)' is not allowed"),
            ("[[[1]]]", "nested 2 deep at most"), (numbers, "more than 100 numbers"), (deep, "deeper than 64"),
        ]
    }()

    @Test("formula limits", arguments: GradingTests.limitCases)
    func limits(formula: String, problem: String?) {
        let found = AnswerLimits.formulaProblem(formula)
        if let problem { #expect(found?.contains(problem) == true, "\(found ?? "nil")") } else { #expect(found == nil, "\(found ?? "")") }
    }

    @Test("CSV fields are quoted per RFC 4180, and formula-like text is defused", arguments: [
        ("s1", "s1"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "two\\u{a}lines"),          // one line per row: control characters escaped
        ("a\u{202e}b\u{1b}[2J", "a\\u{202e}b\\u{1b}[2J"),
        ("=1+1", "'=1+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        (" padded", "\" padded\""),
    ])
    func csvField(text: String, field: String) {
        #expect(GradeBatch.csvField(text) == field)
    }

    @Test("a file that vanished, a link out of the directory, a pipe, a directory")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workbench-grade-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/inner", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/out.toml", withDestinationPath: "/etc/hostname")
        try "x".write(toFile: directory + "/in.toml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/link.toml", withDestinationPath: "in.toml")
        #expect(mkfifo(directory + "/pipe.toml", 0o644) == 0)
        let root = try #require(URL(fileURLWithPath: directory).resolvingSymlinksInPath().path as String?)
        func describe(_ read: SubmissionFile.Read) -> String {
            switch read {
            case .bytes(let bytes): return "bytes \(bytes.count)"
            case .skipped(let reason): return "skipped: " + reason
            case .unreadable(let reason): return "unreadable: " + reason
            }
        }
        #expect(describe(SubmissionFile.read("gone.toml", in: directory, root: root)) == "unreadable: vanished before it could be read")
        #expect(describe(SubmissionFile.read("out.toml", in: directory, root: root)).hasPrefix("skipped: a symbolic link out of the directory"))
        #expect(describe(SubmissionFile.read("link.toml", in: directory, root: root)) == "bytes 1")
        #expect(describe(SubmissionFile.read("pipe.toml", in: directory, root: root)) == "skipped: a named pipe, not a file")
        #expect(describe(SubmissionFile.read("inner", in: directory, root: root)) == "skipped: a directory")
    }
}

@Suite("answer templates")
struct AnswerTemplateTests {
    @Test("every shipped lesson's answer template parses, and each tensor answer has the engine's shape")
    func templates() throws {
        setenv("BACKPROP_LESSONS", URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("lessons").path, 1)
        var checked = 0
        for lesson in try LessonLibrary.all() where !lesson.exercises.isEmpty {
            let set = try ExerciseSet(lesson)
            let text = set.answerTemplate().joined(separator: "\n").replacingOccurrences(of: "\"your student id\"", with: "\"s1\"")
            let grade = set.grade(bytes: Array(text.utf8), file: "template.toml")
            #expect(grade.rejection == nil, "lesson \(lesson.number): \(grade.rejection ?? "")")
            for exercise in grade.exercises {
                #expect(!(exercise.feedback.contains("has shape") || exercise.feedback.contains("axes")),
                        "lesson \(lesson.number), \(exercise.id): \(exercise.feedback)")
                checked += 1
            }
        }
        #expect(checked > 80)
    }
}
