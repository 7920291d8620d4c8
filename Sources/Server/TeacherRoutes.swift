import Autograd
import Foundation
import Grading
import Hummingbird
import Support

// The teacher's routes across the course (docs/serve.md, "The course gradebook"): the gradebook of
// every assignment, a student's history, and reissuing a student's sign-in code. They sit in the
// `/api/teacher` group, behind `TeacherOnly`: a teacher's `Authorization: Bearer TOKEN`, which a
// student's code or session is not (401), and which no cross-site form or link can send (a browser
// adds an Authorization header only when the page's own script does, and the token lives in the
// teacher tab's sessionStorage, never in a cookie): so the POST below cannot be forged across sites.

extension WorkbenchServer {
    func teacherCourseRoutes(_ teacher: RouterGroup<ServerContext>) {
        teacher.get("/gradebook.csv") { request, _ in await self.courseGradebook(request).response }
        teacher.get("/students/:student") { _, context in
            guard let student = Self.studentParameter(context) else { return Self.badStudent(context).response }
            do { return try await self.history(student).response } catch {
                return Reply.error("the answer store failed: \(error)", exitStatus: 1, httpStatus: 500).response
            }
        }
        teacher.post("/students/:student/reissue") { _, context in
            guard let student = Self.studentParameter(context) else { return Self.badStudent(context).response }
            return self.reissue(student).response
        }
    }

    /// The `:student` parameter, percent-decoded as `encodeURIComponent` wrote it.
    static func studentParameter(_ context: ServerContext) -> String? { (context.parameters.get("student") ?? "").removingPercentEncoding }

    static func badStudent(_ context: ServerContext) -> Reply {
        .error("'\(context.parameters.get("student") ?? "")' is not a percent-encoded student id", exitStatus: 2, httpStatus: 400)
    }

    /// The attempts a grade is taken from at `number`: each student's best or latest, as the course's
    /// assignment counts (latest without a course).
    func counted(_ number: Int) async throws -> [StoredAttempt] {
        courseFile?.assignment(number)?.counts == .best ? try await store.best(lesson: number) : try await store.latest(lesson: number)
    }

    /// `GET /api/teacher/gradebook.csv?format=csv|moodle|canvas`: every assignment, every roster student.
    func courseGradebook(_ request: Request) async -> Reply {
        let name = request.uri.queryParameters["format"].map(String.init) ?? "csv"
        guard let format = Gradebook.Format(rawValue: name) else {
            return .error("format '\(name)': the course gradebook's formats are " + Gradebook.Format.allCases.map(\.rawValue).joined(separator: ", "), exitStatus: 2, httpStatus: 400)
        }
        guard let courseFile else {
            return .error("the course gradebook needs a course (backprop serve --course FILE), whose roster gives its rows; without one, use /api/teacher/lessons/N/gradebook.csv",
                          exitStatus: 2, httpStatus: 404)
        }
        let now = Date()
        var columns: [CourseGradebook.Assignment] = []
        for assignment in courseFile.assignments {
            let attempts: [Course.CountedAttempt]
            do {
                attempts = try await counted(assignment.lesson).compactMap { attempt in
                    try attempt.student.map { Course.CountedAttempt(id: attempt.id, student: $0, late: attempt.late, answers: try attempt.answers()) }
                }
            } catch { return .error("the answer store failed: \(error)", exitStatus: 1, httpStatus: 500) }
            let course = self.course, lesson = assignment.lesson, reveal = assignment.reveals(at: now)
            switch await gate.result({ course.courseColumn(lesson, attempts, reveal: reveal) }) {
            case .failure(let reply), .success(.failure(let reply)): return reply
            case .success(.success(let column)): columns.append(column)
            }
        }
        do {
            let book = try CourseGradebook(roster: courseFile.roster, idColumn: courseFile.idColumn, assignments: columns, format: format)
            return .text(book.text, type: "text/csv; charset=utf-8")
        } catch { return .failure(error) }
    }

    /// `GET /api/teacher/students/ID`: every attempt of the student at every lesson, oldest first, with
    /// its time, grade, late mark, whether the gradebook counts it, and the feedback the student was shown.
    func history(_ student: String) async throws -> Reply {
        let onRoster = courseFile?.student(student)
        let attempts = try await store.attempts(student: student)
        if courseFile != nil && onRoster == nil && attempts.isEmpty {
            return .error("no student '\(student)' on the roster", exitStatus: 2, httpStatus: 404)
        }
        let countedIDs = countedIDs(attempts)
        let formatter = ISO8601DateFormatter()
        let rows: [JSONValue] = attempts.map { attempt in
            .object([
                "attempt": .number(Double(attempt.id)), "lesson": .number(Double(attempt.lesson)),
                "received": .string(formatter.string(from: attempt.received)), "points": .number(attempt.points),
                "maxPoints": .number(attempt.maxPoints), "late": .bool(attempt.late), "counted": .bool(countedIDs.contains(attempt.id)),
                "rejection": attempt.rejection.map(JSONValue.string) ?? .null,
                "feedback": .string(attempt.rejection ?? Self.feedbackLine(attempt.grade)),
                "grade": .written(Array(attempt.grade.utf8)),
            ])
        }
        var members: [String: JSONValue] = [
            "student": .string(student), "name": (onRoster?.name ?? attempts.last?.name).map(JSONValue.string) ?? .null,
            "onRoster": .bool(onRoster != nil), "attempts": .array(rows),
        ]
        if let courseFile {
            members["assignments"] = .array(courseFile.assignments.map { assignment in
                .object(["lesson": .number(Double(assignment.lesson)), "counts": .string(assignment.counts.rawValue),
                         "due": assignment.due.map { .string(formatter.string(from: $0)) } ?? .null,
                         "lateUntil": assignment.lateUntil.map { .string(formatter.string(from: $0)) } ?? .null])
            })
        }
        var bytes = JSONValue.object(members).utf8()
        bytes.append(UInt8(ascii: "\n"))
        return .json(bytes: bytes)
    }

    /// Of one student's attempts (oldest first), the one each lesson counts, as the store picks it: best
    /// (most points of the graded, the later on a tie; the latest when none was graded) or latest.
    func countedIDs(_ attempts: [StoredAttempt]) -> Set<Int64> {
        var countedIDs = Set<Int64>()
        for lesson in Set(attempts.map(\.lesson)) {
            let mine = attempts.filter { $0.lesson == lesson }
            let best = courseFile?.assignment(lesson)?.counts == .best
                ? mine.filter { $0.rejection == nil }.max { $0.points != $1.points ? $0.points < $1.points : $0.id < $1.id } : nil
            if let id = (best ?? mine.last)?.id { countedIDs.insert(id) }
        }
        return countedIDs
    }

    /// The feedback an attempt's student was shown, on one line as a gradebook's (`Gradebook.feedback`):
    /// every exercise not right, its points and feedback.
    static func feedbackLine(_ grade: String) -> String {
        struct Shown: Decodable {
            struct Exercise: Decodable { let id: String; let verdict: String; let points: Double; let maxPoints: Double; let feedback: String }
            let exercises: [Exercise]
        }
        guard let shown = try? JSONDecoder().decode(Shown.self, from: Data(grade.utf8)) else { return "(the stored grade could not be read)" }
        // As a gradebook writes points: rounded to three decimals.
        func points(_ value: Double) -> String { TraceFormat.number((value * 1000).rounded() / 1000) }
        let notRight = shown.exercises.filter { $0.verdict != "right" }
        guard !notRight.isEmpty else { return "all \(shown.exercises.count) exercises right" }
        return notRight.map { "\($0.id) \(points($0.points))/\(points($0.maxPoints)): \($0.feedback)" }.joined(separator: " | ")
    }

    /// `POST /api/teacher/students/ID/reissue`: what `backprop course reissue ID` does — a new code
    /// appended to `DATA/sign-in.csv`, the old code and the student's sessions ended at once.
    func reissue(_ student: String) -> Reply {
        guard let courseFile else { return .error("no course: sign-in codes exist only with backprop serve --course FILE", exitStatus: 2, httpStatus: 404) }
        guard courseFile.student(student) != nil else { return .error("no student '\(student)' on the roster", exitStatus: 2, httpStatus: 404) }
        do {
            let base = options.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            let rows = try SignIn.issue(courseFile, store: store, directory: options.dataDirectory, reissue: [student], baseURL: base)
            guard let row = rows.first(where: { $0.student == student }) else { return .error("no code was issued for '\(student)'", exitStatus: 1, httpStatus: 500) }
            return API.reply(ReissueReply(student: student, code: row.code, link: (base ?? "") + "/join/" + row.code))
        } catch {
            return .error("the code could not be reissued: \(error)", exitStatus: 1, httpStatus: 500)
        }
    }
}

/// The reply to a reissue: the new code and its link, for the teacher to hand out.
struct ReissueReply: Codable, Sendable {
    let student: String
    let code: String
    let link: String
}
