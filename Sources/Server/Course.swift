import Autograd
import Diagrams
import Foundation
import Support
import Claims
import Lessons
import Grading
import Pages

/// The lessons and their exercises, as `backprop lessons`, `lesson N --html`, `exercises N` and
/// `grade` see them. Loaded once at start; the drawings and exercise sets are prepared on first use.
///
/// An `ExerciseSet` caches evaluations while it grades a formula, so it is not safe to share
/// between threads: each lesson's set is used under its own lock.
final class Course: Sendable {
    let lessons: [Lesson]
    private let pages = Locked<[Int: Reply]>([:])
    private let reports = Locked<[Int: Reply]>([:])
    private let sets: [Int: LockedSet]

    /// One lesson's exercise set, prepared on first use and then used by one thread at a time.
    final class LockedSet: @unchecked Sendable {
        let lesson: Lesson
        private let lock = NSLock()
        private var prepared: Result<ExerciseSet, WorkbenchFailure>?
        init(_ lesson: Lesson) { self.lesson = lesson }

        func with<T>(_ body: (ExerciseSet) -> T) throws(WorkbenchFailure) -> T {
            lock.lock(); defer { lock.unlock() }
            if prepared == nil { prepared = Result { () throws(WorkbenchFailure) in try ExerciseSet(lesson) } }
            return try body(prepared!.get())
        }
    }

    /// Reads every lesson file. Throws bad input (exit 2) when the lessons cannot be found or read.
    init() throws(WorkbenchFailure) {
        lessons = try LessonLibrary.all()
        sets = Dictionary(uniqueKeysWithValues: lessons.filter { !$0.exercises.isEmpty }.map { ($0.number, LockedSet($0)) })
    }

    func lesson(_ number: Int) throws(WorkbenchFailure) -> Lesson {
        guard let lesson = lessons.first(where: { $0.number == number }) else {
            throw .badInput("there is no lesson \(number); the lessons are " + lessons.map { String($0.number) }.joined(separator: ", ") + " (GET /api/lessons)")
        }
        return lesson
    }

    func exercises(_ number: Int) throws(WorkbenchFailure) -> LockedSet {
        let lesson = try lesson(number)
        guard let set = sets[lesson.number] else {
            throw .badInput("lesson \(number) has no exercises; lessons with exercises: " + sets.keys.sorted().map(String.init).joined(separator: ", "))
        }
        return set
    }

    /// The error reply for a lesson that does not exist or has no exercises, else nil.
    func exerciseProblem(_ number: Int) -> Reply? {
        do { _ = try exercises(number); return nil } catch { return .failure(error) }
    }

    // MARK: - Lessons

    /// `GET /api/lessons`: number, title, source in the notes and the number of exercises of each lesson.
    func lessonList() -> Reply {
        .json(JSONValue.array(lessons.map { lesson in
            .object(["number": .number(Double(lesson.number)), "title": .string(lesson.title), "source": .string(lesson.source),
                     "exercises": .number(Double(lesson.exercises.count))])
        }).serialized() + "\n")
    }

    /// `GET /api/lessons/N`: what `backprop lesson N --json` prints (the quick run of a training lesson).
    func lessonReport(_ number: Int) -> Reply {
        if let cached = reports.withLock({ $0[number] }) { return cached }
        let reply: Reply
        do throws(WorkbenchFailure) {
            let run = try LessonRun(try lesson(number))
            reply = .json(run.json().serialized() + "\n", exitStatus: run.passed ? 0 : 1)
        } catch { return .failure(error) }
        reports.withLock { $0[number] = reply }
        return reply
    }

    /// `GET /lessons/N`: the page `backprop lesson N --html` writes, the lesson's steps with ← and →.
    func lessonPage(_ number: Int) -> Reply {
        if let cached = pages.withLock({ $0[number] }) { return cached }
        let reply: Reply
        do throws(WorkbenchFailure) {
            let run = try LessonRun(try lesson(number))
            reply = .text(try LessonPage.html(run, links: [("All lessons", "/lessons"), ("Playground", "/")]),
                          type: "text/html; charset=utf-8")
        } catch { return .failure(error) }
        pages.withLock { $0[number] = reply }
        return reply
    }

    // MARK: - Exercises

    /// `GET /exercises/N/sheet`: the student's sheet of `backprop exercises N --html` (no solutions).
    func sheetPage(_ number: Int) -> Reply {
        do throws(WorkbenchFailure) {
            let page = try exercises(number).with { set in Result { () throws(WorkbenchFailure) in try set.html(solutions: false) } }.get()
            return .text(page, type: "text/html; charset=utf-8")
        } catch { return .failure(error) }
    }

    /// `GET /api/exercises/N`: what the answer form needs — ids, kinds, prompts, points, the choices'
    /// texts, the blanks' keys and the TOML answer template. Never an answer.
    func exerciseForm(_ number: Int) -> Reply {
        do throws(WorkbenchFailure) {
            let form: JSONValue = try exercises(number).with { set in
                .object([
                    "lesson": .number(Double(set.lesson.number)), "title": .string(set.lesson.title),
                    "maxPoints": .number(set.maxPoints),
                    "template": .string(set.answerTemplate().joined(separator: "\n") + "\n"),
                    "exercises": .array(set.items.map { item in
                        var object: [String: JSONValue] = [
                            "id": .string(item.exercise.id), "kind": .string(item.exercise.kind.rawValue),
                            "prompt": .string(item.exercise.prompt), "points": .number(item.exercise.points),
                            "choices": .array(item.exercise.choices.map { .string($0.text) }),
                        ]
                        switch item.expected {
                        case .graph(let blanks): object["blanks"] = .array(blanks.map { .string($0.key) })
                        case .tensor(let value, _): object["shape"] = .array(value.shape.map { .number(Double($0)) })
                        case .shape(let shape): object["rank"] = .number(Double(shape.count))
                        default: break
                        }
                        return .object(object)
                    }),
                ])
            }
            return .json(form.serialized() + "\n")
        } catch { return .failure(error) }
    }

    /// One graded attempt, with what the store and the statistics need.
    struct Graded: Sendable {
        let student: String?
        let name: String?
        let points: Double
        let maxPoints: Double
        /// Nil when graded; the reason when rejected.
        let rejection: String?
        /// `SubmissionGrade.json()`, as `backprop grade --json` prints it.
        let json: String
        /// The per-exercise report `backprop grade` prints.
        let report: String
    }

    /// The reply to an acknowledged attempt: `{"attempt": 12, "grade": {…}, "report": "…"}`, the grade
    /// as `backprop grade --json` prints it, nested.
    static func attemptReply(_ id: Int64, _ graded: Graded) -> Reply {
        reply(["attempt": .number(Double(id)), "grade": .written(Array(graded.json.utf8)), "report": .string(graded.report)])
    }

    /// The teacher's view of one student: the count of attempts, the latest one's answers, grade and report.
    static func feedbackReply(student: String, attempts: Int, latest: Int64, answers: String, _ graded: Graded) -> Reply {
        reply(["student": .string(student), "attempts": .number(Double(attempts)), "latest": .number(Double(latest)),
               "answers": .string(answers), "grade": .written(Array(graded.json.utf8)), "report": .string(graded.report)])
    }

    /// An object written as every JSON reply is (sorted keys, two-space indentation, strings escaped
    /// as `JSONValue` escapes them), with a line break at the end.
    private static func reply(_ members: [String: JSONValue]) -> Reply {
        var bytes = JSONValue.object(members).utf8()
        bytes.append(UInt8(ascii: "\n"))
        return .json(bytes: bytes)
    }

    /// Grades an answer file's bytes against lesson `number` with `backprop grade`'s grader
    /// (`reveal` false: a wrong answer's feedback holds back the engine's figure).
    func grade(_ number: Int, answers bytes: [UInt8], file: String, reveal: Bool = true) -> Result<Graded, Reply> {
        do throws(WorkbenchFailure) {
            return .success(try exercises(number).with { set in
                let grade = set.grade(bytes: bytes, file: file, reveal: reveal)
                return Graded(student: grade.student, name: grade.name, points: grade.points, maxPoints: grade.maxPoints,
                              rejection: grade.rejection, json: grade.json().serialized(), report: grade.report())
            })
        } catch { return .failure(.failure(error)) }
    }

    /// The gradebook over the given answer files (each student's latest): `backprop grade DIR --csv`'s
    /// CSV, or (`csv` false) a JSON array of `backprop grade --json` objects.
    func gradebook(_ number: Int, files: [(file: String, bytes: [UInt8])], csv: Bool) -> Reply {
        do throws(WorkbenchFailure) {
            return try exercises(number).with { set in
                let grades = files.map { set.grade(bytes: $0.bytes, file: $0.file) }
                return csv ? .text((try? Gradebook(grades: grades, set: set, format: .csv, roster: nil))?.text ?? "", type: "text/csv; charset=utf-8")
                    : .json(JSONValue.array(grades.map { $0.json() }).serialized() + "\n")
            }
        } catch { return .failure(error) }
    }

    /// The exercise ids of lesson `number`, in sheet order (none for an unknown lesson).
    func exerciseIDs(_ number: Int) -> [String] {
        lessons.first { $0.number == number }?.exercises.map(\.id) ?? []
    }
}
