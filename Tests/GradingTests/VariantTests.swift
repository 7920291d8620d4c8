import Autograd
import Foundation
import Testing
@testable import Support
@testable import Lessons
@testable import Grading

/// A variant per student (`[exercise_inputs]`, `ExerciseVariant`, `CourseSecret`): the draw is
/// deterministic in the secret, lesson and student, its rejection rules are, and bad ranges are
/// refused at their line and column.
@Suite("Variants per student")
struct VariantTests {
    static let secret = CourseSecret(bytes: Array(repeating: 7, count: 32))

    /// A small lesson: f = x * z with a choice on the sign of ∂f/∂x = z, varied as `varied` says.
    static func lesson(_ varied: String, program: String = "q = x + y; f = q * z", inputs: String = "x = -2\ny = 5\nz = -4",
                       exercises: String? = nil) throws -> Lesson {
        try Lesson(text: text(varied, program: program, inputs: inputs, exercises: exercises), file: "v.toml")
    }

    static func text(_ varied: String, program: String = "q = x + y; f = q * z", inputs: String = "x = -2\ny = 5\nz = -4",
                     exercises: String? = nil) -> String {
        let exerciseText = exercises ?? """
            [[exercise]]
            id = "df-dx"
            kind = "number"
            prompt = "What is ∂f/∂x?"
            answer = "df/dx"

            [[exercise]]
            id = "x-up"
            kind = "choice"
            prompt = "If x grows, f…"
            [[exercise.choice]]
            text = "grows"
            when = "df/dx > 0"
            [[exercise.choice]]
            text = "shrinks"
            when = "df/dx < 0"
            [[exercise.choice]]
            text = "stays"
            when = "df/dx == 0"
            """
        return """
            number = 7
            title = "t"
            source = "s"
            program = "\(program)"

            [inputs]
            \(inputs)

            [exercise_inputs]
            \(varied)

            [[check]]
            quantity = "f"
            notes = 0
            tolerance = 1e9

            \(exerciseText)
            """
    }

    @Test("the same secret, lesson and student give the same inputs; other students and another secret give others")
    func deterministic() throws {
        let lesson = try Self.lesson("x = { from = -5, to = 5, step = 1, not = [0] }\nz = { from = -5, to = 5, step = 1, not = [0] }")
        let a1 = try #require(try ExerciseVariant.make(lesson, student: "s1001", secret: Self.secret).variant)
        let a2 = try #require(try ExerciseVariant.make(lesson, student: "s1001", secret: Self.secret).variant)
        #expect(a1.lesson.inputs == a2.lesson.inputs && a1.draw == a2.draw)
        let others = try (0..<20).map { try #require(try ExerciseVariant.make(lesson, student: "s2\($0)", secret: Self.secret).variant).lesson.inputs }
        #expect(Set(others).count >= 15, "20 students share too few variants: \(Set(others).count)")
        let otherSecret = try #require(try ExerciseVariant.make(lesson, student: "s1001", secret: CourseSecret(bytes: Array(repeating: 8, count: 32))).variant)
        // 11 × 10 × 10 inputs: another secret giving the same inputs would be a 1-in-1,000 coincidence.
        #expect(otherSecret.lesson.inputs != a1.lesson.inputs)
        // The lesson's number is in the draw: the same student's variant of another lesson number differs.
        let renumbered = try Lesson(text: Self.text("x = { from = -5, to = 5, step = 1, not = [0] }\nz = { from = -5, to = 5, step = 1, not = [0] }").replacingOccurrences(of: "number = 7", with: "number = 8"), file: "v.toml")
        #expect(try ExerciseVariant.make(renumbered, student: "s1001", secret: Self.secret).variant?.lesson.inputs != a1.lesson.inputs)
        // The drawn values are in their ranges, and the notes' inputs are untouched.
        for name in ["x", "z"] {
            let value = try #require(a1.values[name]?.first)
            #expect((-5...5).contains(value) && value != 0 && value == value.rounded())
        }
        #expect(lesson.inputs.contains("x=-2"))
    }

    @Test("a draw that makes a choice ambiguous, an answer infinite, or repeats the notes' numbers is drawn again, the same way every time")
    func rejections() throws {
        // At z = 0 both "df/dx >= 0" and "df/dx <= 0" hold: no single right choice, so z = 0 is drawn again.
        let ambiguous = try Self.lesson("z = { values = [0, 3] }", exercises: """
            [[exercise]]
            id = "sign"
            kind = "choice"
            prompt = "The sign of ∂f/∂x"
            [[exercise.choice]]
            text = "not negative"
            when = "df/dx >= 0"
            [[exercise.choice]]
            text = "not positive"
            when = "df/dx <= 0"
            """)
        var redrawn = 0
        for index in 0..<30 {
            let made = try ExerciseVariant.make(ambiguous, student: "s\(index)", secret: Self.secret)
            let variant = try #require(made.variant)
            #expect(variant.values["z"] == [3], "z = 0 makes both choices hold; it must be drawn again")
            if variant.draw > 0 { redrawn += 1 }
            // The same student again: the same draw number, the same inputs.
            #expect(try ExerciseVariant.make(ambiguous, student: "s\(index)", secret: Self.secret).variant?.draw == variant.draw)
        }
        #expect(redrawn > 0, "in 30 students some first draw must have been z = 0")

        // A division by zero: f = 1 / x at x = 0 has no finite answer.
        let division = try Self.lesson("x = { values = [0, 4] }", program: "f = 1 / x", inputs: "x = 2", exercises: """
            [[exercise]]
            id = "f"
            kind = "number"
            prompt = "f?"
            answer = "f"
            """)
        for index in 0..<20 { #expect(try ExerciseVariant.make(division, student: "s\(index)", secret: Self.secret).variant?.values["x"] == [4]) }

        // The notes' numbers themselves are never a variant (the lesson's page shows their answers).
        let notes = try Self.lesson("x = { values = [-2, 3] }\nz = { values = [-4, 2] }")
        for index in 0..<20 {
            let values = try #require(try ExerciseVariant.make(notes, student: "s\(index)", secret: Self.secret).variant).values
            #expect(values["x"] != [-2] || values["z"] != [-4])
        }

        // No draw can be used: a clear error (exit 1) naming the last reason.
        let none = try Self.lesson("x = { values = [0, 2] }", program: "f = 1 / x", inputs: "x = 2", exercises: """
            [[exercise]]
            id = "f"
            kind = "number"
            prompt = "f?"
            answer = "f"
            """)
        do {
            _ = try ExerciseVariant.make(none, student: "s1", secret: Self.secret)
            Issue.record("a lesson with no usable draw gave a variant")
        } catch {
            #expect(error.exitStatus == .failed)
            #expect(error.message.contains("no variant for student 's1' in 100 draws"), "\(error.message)")
        }
    }

    @Test("a tensor input varies entry by entry, in its own shape")
    func tensorInputs() throws {
        let lesson = try Self.lesson("w = { from = -3, to = 3, step = 0.5 }", program: "f = sum(w * x)", inputs: "w = [[1, 2], [3, 4]]\nx = [[1, 0], [0, 1]]", exercises: """
            [[exercise]]
            id = "grad"
            kind = "matrix"
            prompt = "∂f/∂x?"
            answer = "df/dx"
            """)
        let made = try ExerciseVariant.make(lesson, student: "s1", secret: Self.secret)
        let values = try #require(made.variant?.values["w"])
        #expect(values.count == 4 && values.allSatisfy { (-3...3).contains($0) && ($0 * 2).rounded() == $0 * 2 })
        guard case .tensor(let gradient, _) = try #require(made.set.items.first).expected else { Issue.record("not a tensor"); return }
        #expect(gradient.shape == [2, 2] && gradient.storage == values, "∂f/∂x = w, the student's own")
    }

    @Test("bad ranges are refused at their line and column", arguments: [
        ("nope = { from = 1, to = 2, step = 1 }", "'nope' is not an input of the lesson"),
        ("x = { from = 3, to = 2, step = 1 }", "is empty: 'from' (3) is more than 'to' (2)"),
        ("x = { from = 1, to = 2, step = 0 }", "'x'.step must be more than 0"),
        ("x = { from = 1, to = inf, step = 1 }", "'x'.to must be a finite number"),
        ("x = { from = 0, to = 1e6, step = 1 }", "at most 10000"),
        ("x = { from = -1e9, to = 1e9, step = 1e-300 }", "more than 10000 values"),
        ("x = { values = [1, 1.0] }", "leaves 1 value; a varied input needs at least 2"),
        ("x = { from = 0, to = 2, step = 1, not = [0, 1] }", "leaves 1 value"),
        ("x = 3", "must be a table"),
        ("x = { from = 0, to = 2, step = 1, stpe = 1 }", "unknown key 'stpe'"),
    ])
    func refused(varied: String, message: String) throws {
        do {
            _ = try Self.lesson(varied)
            Issue.record("accepted \(varied)")
        } catch let error as WorkbenchFailure {
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.exitStatus == .badInput)
            // The key's own line (the 12th of the lesson text) and its column.
            #expect(error.location?.line == 12 && error.location?.column == 1, "\(String(describing: error.location))")
        }
    }

    @Test("the secret file: made 0600 and never replaced; refused when others may read it or it is short")
    func secretFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("variant-secret-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/course.secret"
        #expect(try CourseSecret.create(file: file))
        let first = try String(contentsOfFile: file, encoding: .utf8)
        #expect(first.count == 65)
        #expect(try CourseSecret.create(file: file) == false)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == first)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        _ = try CourseSecret.read(file: file)
        chmod(file, 0o640)
        #expect { try CourseSecret.read(file: file) } throws: { ($0 as? WorkbenchFailure)?.message.contains("chmod 600") == true }
        chmod(file, 0o600)
        try "0123456789abcdef\n".write(toFile: file, atomically: false, encoding: .utf8)
        #expect { try CourseSecret.read(file: file) } throws: { ($0 as? WorkbenchFailure)?.message.contains("at least 128 bits") == true }
        #expect { try CourseSecret.read(file: directory + "/missing") } throws: { ($0 as? WorkbenchFailure)?.message.contains("backprop course secret") == true }
    }

    @Test("grading against a variant: student A's right answers are wrong for student B; a student off the roster is rejected")
    func gradedAgainstOwnVariant() throws {
        let lesson = try Self.lesson("x = { from = -5, to = 5, step = 1, not = [0] }\nz = { from = -5, to = 5, step = 1, not = [0] }")
        let variants = CourseVariants(secret: Self.secret, students: ["a", "b"], roster: "roster.csv")
        let a = try variants.exercises(lesson, student: "a"), b = try variants.exercises(lesson, student: "b")
        guard case .number(let answerA, _) = a.items[0].expected, case .number(let answerB, _) = b.items[0].expected,
              case .choice(let choiceA, _) = a.items[1].expected else { Issue.record("kinds"); return }
        try #require(answerA != answerB, "the two variants must differ for this test")
        let file = Array("student = \"%@\"\nlesson = 7\n[answers]\ndf-dx = \(answerA)\nx-up = \(choiceA + 1)\n".utf8)
        let notes = try ExerciseSet(lesson)
        var sets: [String: ExerciseSet] = [:]
        func asStudent(_ id: String) -> [UInt8] { Array(String(decoding: file, as: UTF8.self).replacingOccurrences(of: "%@", with: id).utf8) }
        let gradeA = variants.grade(bytes: asStudent("a"), file: "a.toml", notes: notes, sets: &sets)
        let gradeB = variants.grade(bytes: asStudent("b"), file: "b.toml", notes: notes, sets: &sets)
        #expect(gradeA.exercises[0].verdict == .right)
        #expect(gradeB.exercises[0].verdict == .wrong)
        let stranger = variants.grade(bytes: asStudent("c"), file: "c.toml", notes: notes, sets: &sets)
        #expect(stranger.rejection?.contains("student 'c' is not on the course's roster") == true, "\(String(describing: stranger.rejection))")
    }
}
