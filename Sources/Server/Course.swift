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
/// between threads: each lesson keeps a pool of sets (`SetPool`), one per grading at a time, so that
/// students are graded at once, one set each.
final class Course: Sendable {
    let lessons: [Lesson]
    private let pages = Locked<[Int: Reply]>([:])
    private let reports = Locked<[Int: Reply]>([:])
    private let sets: [Int: SetPool]
    /// The teacher's grade of each attempt a gradebook has shown, by attempt number, and how many
    /// attempts were graded for gradebooks (tests).
    let teacherGrades = Locked<(grades: [Int64: SubmissionGrade], graded: Int)>(([:], 0))
    /// The most grades `teacherGrades` keeps (about 2 kB each); past it, it starts again.
    static let teacherGradeLimit = 50_000
    /// The course's variants (`serve --course` with `secret_file`), set once at start; nil: the notes' numbers.
    let variants = Locked<CourseVariants?>(nil)
    /// Each student's exercise sets of a varied lesson, by "lesson\0student" (Course+Variants.swift).
    let variantPools = Locked<[String: SetPool]>([:])

    /// Reads every lesson file. Throws bad input (exit 2) when the lessons cannot be found or read.
    init() throws(WorkbenchFailure) {
        lessons = try LessonLibrary.all()
        sets = Dictionary(uniqueKeysWithValues: lessons.filter { !$0.exercises.isEmpty }.map { ($0.number, SetPool($0)) })
    }

    func lesson(_ number: Int) throws(WorkbenchFailure) -> Lesson {
        guard let lesson = lessons.first(where: { $0.number == number }) else {
            throw .badInput("there is no lesson \(number); the lessons are " + lessons.map { String($0.number) }.joined(separator: ", ") + " (GET /api/lessons)")
        }
        return lesson
    }

    func exercises(_ number: Int) throws(WorkbenchFailure) -> SetPool {
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
        API.reply(lessons.map { LessonSummary(number: $0.number, title: $0.title, source: $0.source, exercises: $0.exercises.count) })
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

    /// `GET /exercises/N/sheet`: the student's sheet of `backprop exercises N --html` (no solutions),
    /// of their own variant when a signed-in `student` has one.
    func sheetPage(_ number: Int, student: String? = nil) -> Reply {
        do throws(WorkbenchFailure) {
            let page = try exercises(number, student: student).with { set in Result { () throws(WorkbenchFailure) in try set.html(solutions: false) } }.get()
            return .text(page, type: "text/html; charset=utf-8")
        } catch { return .failure(error) }
    }

    /// `GET /api/exercises/N`: what the answer form needs — ids, kinds, prompts, points, the choices'
    /// texts, the blanks' keys and the TOML answer template; the program and the inputs it is asked at
    /// (a signed-in `student`'s own variant), and a graph exercise's table and drawing with its blanks
    /// and other exercises' answers masked, as the sheet shows them. Never an answer.
    func exerciseForm(_ number: Int, student: String? = nil) -> Reply {
        do throws(WorkbenchFailure) {
            let form: JSONValue = try exercises(number, student: student).with { set throws(WorkbenchFailure) -> JSONValue in
                var exercises: [JSONValue] = []
                for item in set.items {
                    var object: [String: JSONValue] = [
                        "id": .string(item.exercise.id), "kind": .string(item.exercise.kind.rawValue),
                        "prompt": .string(item.exercise.prompt), "points": .number(item.exercise.points),
                        "choices": .array(item.exercise.choices.map { .string($0.text) }),
                    ]
                    switch item.expected {
                    case .graph(let blanks):
                        object["blanks"] = .array(blanks.map { .string($0.key) })
                        let graph = try set.maskedGraph(item)
                        object["table"] = .array(graph.table.map { .array($0.map(JSONValue.string)) })
                        object["svg"] = .string(graph.svg)
                    case .tensor(let value, _): object["shape"] = .array(value.shape.map { .number(Double($0)) })
                    case .shape(let shape): object["rank"] = .number(Double(shape.count))
                    default: break
                    }
                    exercises.append(.object(object))
                }
                return .object([
                    "lesson": .number(Double(set.lesson.number)), "title": .string(set.lesson.title),
                    "program": .string(set.lesson.program.trimmingCharacters(in: .newlines)),
                    "inputs": .string(set.inputsText),
                    "variant": set.student.map(JSONValue.string) ?? .null,
                    "maxPoints": .number(set.maxPoints),
                    "template": .string(set.answerTemplate().joined(separator: "\n") + "\n"),
                    "exercises": .array(exercises),
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
    static func attemptReply(_ id: Int64, _ graded: Graded, late: Bool = false) -> Reply {
        var members: [String: JSONValue] = ["attempt": .number(Double(id)), "grade": .written(Array(graded.json.utf8)), "report": .string(graded.report)]
        if late { members["late"] = .bool(true) }
        return reply(members)
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

    /// Grades answers against lesson `number` with `backprop grade`'s grader: an answer file from its
    /// bytes, typed answers as they are (`reveal` false: a wrong answer's feedback holds back the
    /// engine's figure).
    /// With a signed-in `student`, against their own variant.
    func grade(_ number: Int, _ answers: Answers, file: String, reveal: Bool = true, student: String? = nil) -> Result<Graded, Reply> {
        do throws(WorkbenchFailure) {
            return .success(try exercises(number, student: student).with { set in
                let grade = Course.grade(answers, lesson: number, with: set, file: file, reveal: reveal)
                return Graded(student: grade.student, name: grade.name, points: grade.points, maxPoints: grade.maxPoints,
                              rejection: grade.rejection, json: grade.json().serialized(), report: grade.report())
            })
        } catch { return .failure(.failure(error)) }
    }

    static func grade(_ answers: Answers, lesson: Int, with set: ExerciseSet, file: String, reveal: Bool = true) -> SubmissionGrade {
        switch answers {
        case .file(let text): return set.grade(bytes: Array(text.utf8), file: file, reveal: reveal)
        case .typed(let request):
            do {
                return set.grade(try Submission(student: request.student, name: request.name, lesson: lesson, answers: request.ordered, file: file),
                                 reveal: reveal)
            } catch { return set.rejected(file: file, student: error.student, reason: error.reason) }
        }
    }

    /// The gradebook over the given attempts (each student's latest or best): `backprop grade DIR
    /// --csv`'s CSV, or (`csv` false) a JSON array of `backprop grade --json` objects. A gradebook that
    /// cannot be made is an error with its reason (never an empty 200).
    ///
    /// Each attempt is graded once per process, by the grader of the lessons loaded at start, with the
    /// figures shown (the teacher's view); later gradebooks take that grade from `teacherGrades`. A
    /// corrected lesson is loaded at the next start, which regrades everyone.
    func gradebook(_ number: Int, attempts: [(id: Int64, student: String?, answers: Answers)], csv: Bool) -> Reply {
        do throws(WorkbenchFailure) {
            // Each attempt against its own student's variant, before the notes' set is taken for the columns.
            let grades = try teacherGrades(number, attempts)
            return try exercises(number).with { set throws(WorkbenchFailure) -> Reply in
                guard csv else { return .json(JSONValue.array(grades.map { $0.json() }).serialized() + "\n") }
                return .text(try Gradebook(grades: grades, set: set, format: .csv, roster: nil).text, type: "text/csv; charset=utf-8")
            }
        } catch { return .failure(error, httpStatus: 500) }
    }

    /// One attempt's teacher-view grade (kept as a gradebook's are): the teacher's view of a student.
    func teacherGrade(_ number: Int, id: Int64, student: String?, answers: Answers) -> Result<Graded, Reply> {
        do throws(WorkbenchFailure) {
            let grade = try teacherGrades(number, [(id, student, answers)])[0]
            return .success(Graded(student: grade.student, name: grade.name, points: grade.points, maxPoints: grade.maxPoints,
                                   rejection: grade.rejection, json: grade.json().serialized(), report: grade.report()))
        } catch { return .failure(.failure(error)) }
    }

    /// The teacher's grades of these attempts: those kept in `teacherGrades`, the others graded against
    /// their student's variant (the notes' numbers when the lesson does not vary) and kept. An attempt
    /// whose student has no variant (not on the roster) is rejected with the reason.
    func teacherGrades(_ number: Int, _ attempts: [(id: Int64, student: String?, answers: Answers)]) throws(WorkbenchFailure) -> [SubmissionGrade] {
        let known = teacherGrades.withLock { cache in attempts.map { cache.grades[$0.id] } }
        var made: [Int64: SubmissionGrade] = [:]
        var grades: [SubmissionGrade] = []
        for (attempt, grade) in zip(attempts, known) {
            if let grade { grades.append(grade); continue }
            let file = "attempt \(attempt.id)"
            let new: SubmissionGrade
            do throws(WorkbenchFailure) {
                new = try exercises(number, student: attempt.student).with { set in Course.grade(attempt.answers, lesson: number, with: set, file: file) }
            } catch where error.exitStatus == .badInput && attempt.student != nil {
                new = try exercises(number).with { set in set.rejected(file: file, student: attempt.student, reason: error.what) }
            }
            made[attempt.id] = new
            grades.append(new)
        }
        if !made.isEmpty {
            teacherGrades.withLock { cache in
                if cache.grades.count + made.count > Course.teacherGradeLimit { cache.grades = [:] }
                cache.grades.merge(made) { _, new in new }
                cache.graded += made.count
            }
        }
        return grades
    }

    /// The exercise ids of lesson `number`, in sheet order (none for an unknown lesson).
    func exerciseIDs(_ number: Int) -> [String] {
        lessons.first { $0.number == number }?.exercises.map(\.id) ?? []
    }
}

/// One lesson's exercise sets: a set grades one submission at a time (it caches evaluations), so
/// each grading takes a set of its own from here and gives it back. A set is made when none is free
/// (up to `limit`, about one per core: beyond that a grading waits for a set); a lesson whose set
/// cannot be made reports the same failure to every later request.
final class SetPool: @unchecked Sendable {
    let lesson: Lesson
    let limit: Int
    /// The student whose variant the sets are (nil: the notes' numbers).
    let student: String?
    private let condition = NSCondition()
    private var idle: [ExerciseSet] = []
    private var made = 0
    private var failure: WorkbenchFailure?

    init(_ lesson: Lesson, limit: Int = max(2, ProcessInfo.processInfo.activeProcessorCount), student: String? = nil, first: ExerciseSet? = nil) {
        self.lesson = lesson
        self.limit = limit
        self.student = student
        if let first { idle = [first]; made = 1 }
    }

    /// Runs `body` with a set no other thread is using.
    func with<T>(_ body: (ExerciseSet) throws(WorkbenchFailure) -> T) throws(WorkbenchFailure) -> T {
        let set = try take()
        defer { give(set) }
        return try body(set)
    }

    /// How many sets exist (tests: concurrent gradings made more than one).
    var count: Int { condition.lock(); defer { condition.unlock() }; return made }

    private func take() throws(WorkbenchFailure) -> ExerciseSet {
        condition.lock()
        while true {
            if let failure { condition.unlock(); throw failure }
            if let set = idle.popLast() { condition.unlock(); return set }
            if made < limit { made += 1; break }
            condition.wait()
        }
        condition.unlock()
        do {
            let set = try ExerciseSet(lesson)
            set.student = student
            return set
        } catch {
            condition.lock()
            made -= 1
            failure = error
            condition.broadcast()
            condition.unlock()
            throw error
        }
    }

    private func give(_ set: ExerciseSet) {
        condition.lock()
        idle.append(set)
        condition.signal()
        condition.unlock()
    }
}
