import Foundation
import Grading
import Hummingbird
import Support

// A student's own attempts (docs/serve.md, "What a wrong answer shows"): `GET /api/me/attempts?lesson=N`.
// Answers are refused once they close, so this is where a student sees the engine's figures of their
// own wrong answers under `reveal = "after-due"`. Only the signed-in student's own attempts: the route
// names no student. Each attempt is graded again now, against the student's variant, with the
// policy at the time of the request (`Course.shownGrades`, as the course gradebook's feedback).

extension WorkbenchServer {
    /// `GET /api/me/attempts?lesson=N`: `{"student", "lesson", "reveal", "revealed", "closes", "attempts":
    /// [{"attempt", "received", "points", "maxPoints", "late", "counted", "rejection", "feedback", "grade"}]}`,
    /// oldest first. 401 without a session; 404 without a course or for a lesson that is not an assignment.
    func ownAttempts(_ request: Request, _ context: ServerContext) async -> Reply {
        guard let courseFile else {
            return .error("this server has no course (backprop serve --course FILE): attempts are kept only for the teacher", exitStatus: 2, httpStatus: 404)
        }
        let student: String
        switch await signedIn(request, context) {
        case .failure(let reply): return reply
        case .success(nil): return Self.notSignedIn
        case .success(let who?): student = who
        }
        let lessons = courseFile.assignments.map { String($0.lesson) }.joined(separator: ", ")
        guard let text = request.uri.queryParameters["lesson"], let number = Int(String(text)) else {
            return .error("use /api/me/attempts?lesson=N, N one of the course's assignments: \(lessons)", exitStatus: 2, httpStatus: 400)
        }
        guard let assignment = courseFile.assignment(number) else {
            return .error("lesson \(number) is not an assignment of this course; the assignments are lessons \(lessons)", exitStatus: 2, httpStatus: 404)
        }
        let stored: [StoredAttempt]
        let attempts: [(id: Int64, student: String?, answers: Answers)]
        do {
            stored = try await store.attempts(lesson: number, student: student)
            attempts = try stored.map { (id: $0.id, student: student, answers: try $0.answers()) }
        } catch { return .error("the answer store failed: \(error)", exitStatus: 1, httpStatus: 500) }
        let reveal = assignment.reveals(at: Date())
        let course = self.course
        let grades: [SubmissionGrade]
        switch await gate.result({ () -> Result<[SubmissionGrade], Reply> in
            do throws(WorkbenchFailure) { return .success(try course.shownGrades(number, attempts, reveal: reveal)) } catch { return .failure(.failure(error, httpStatus: 500)) }
        }) {
        case .failure(let reply), .success(.failure(let reply)): return reply
        case .success(.success(let graded)): grades = graded
        }
        let counted = countedIDs(stored)
        let formatter = ISO8601DateFormatter()
        let rows: [JSONValue] = zip(stored, grades).map { attempt, grade in
            let json = grade.json()
            return .object([
                "attempt": .number(Double(attempt.id)), "received": .string(formatter.string(from: attempt.received)),
                "points": .number(grade.points), "maxPoints": .number(grade.maxPoints), "late": .bool(attempt.late),
                "counted": .bool(counted.contains(attempt.id)), "rejection": (attempt.rejection ?? grade.rejection).map(JSONValue.string) ?? .null,
                "feedback": .string(attempt.rejection ?? grade.rejection ?? Self.feedbackLine(json.serialized())),
                "grade": json,
            ])
        }
        var bytes = JSONValue.object([
            "student": .string(student), "lesson": .number(Double(number)), "reveal": .string(assignment.reveal.rawValue),
            "revealed": .bool(reveal), "closes": assignment.closes.map { .string(formatter.string(from: $0)) } ?? .null,
            "attempts": .array(rows),
        ]).utf8()
        bytes.append(UInt8(ascii: "\n"))
        return .json(bytes: bytes)
    }
}
