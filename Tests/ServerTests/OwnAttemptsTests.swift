import Autograd
import Foundation
import Testing
@testable import Server

/// A student's own attempts (`GET /api/me/attempts?lesson=N`): no figure before answers close, the
/// figures once they have ("after-due"), none ever with "never"; only the signed-in student's own
/// attempts; 401 without a session. The server has no clock to set: the course file is written again
/// with a past due time and a second server started on the same data directory.
@Suite("serve --course: a student's own attempts and their figures", .serialized)
struct OwnAttemptsTests {
    static func course(due: String) -> String {
        """
        [[assignment]]
        lesson = 1
        due = \(due)
        [[assignment]]
        lesson = 2
        due = \(due)
        reveal = "never"
        """
    }

    static func mine(_ server: TestServer, _ lesson: Int, code: String?) async throws -> HTTPReply {
        try await server.request("GET", "/api/me/attempts?lesson=\(lesson)", token: code)
    }

    static func attempts(_ reply: HTTPReply) -> [[String: Any]] { reply.object["attempts"] as? [[String: Any]] ?? [] }

    @Test("before due no figure; after due the figures (after-due), never with never; only one's own; 401 without a session")
    func ownAttempts() async throws {
        let file = try CourseGradebookTests.course(Self.course(due: "2099-01-01T00:00:00Z"))
        let server = try await CourseTests.start(file)
        defer { Task { await server.stop() } }
        let codes = try CourseTests.codes(server)
        let (ada, alan) = (codes["s1001"]!, codes["s1002"]!)
        let one = try CourseGradebookTests.numberExercise(server, lesson: 1), two = try CourseGradebookTests.numberExercise(server, lesson: 2)
        #expect(one.value.isFinite && two.value.isFinite)
        // The engine's figures as the grader writes them into a wrong answer's feedback when it may.
        let figureOne = "the engine gives " + TraceFormat.number(one.value, significantDigits: 6)
        let figureTwo = "the engine gives " + TraceFormat.number(two.value, significantDigits: 6)

        var ids: [String: [Int]] = [:]
        for (code, student, offset) in [(ada, "s1001", 100.0), (alan, "s1002", 200.0)] {
            for (lesson, exercise) in [(1, one), (2, two)] {
                let reply = try await CourseGradebookTests.answer(server, lesson, [exercise.id: exercise.value + offset], code: code)
                #expect(reply.status == 200, "\(reply.text)")
                ids[student, default: []].append(reply.object["attempt"] as? Int ?? -1)
            }
        }
        // Before the due time: the attempts, but no figure anywhere in the reply.
        let before = try await Self.mine(server, 1, code: ada)
        #expect(before.status == 200, "\(before.text)")
        #expect(before.object["revealed"] as? Bool == false && before.object["student"] as? String == "s1001", "\(before.text)")
        #expect(Self.attempts(before).map { $0["attempt"] as? Int } == [ids["s1001"]![0]], "\(before.text)")
        #expect((Self.attempts(before).first?["feedback"] as? String)?.contains(one.id) == true, "\(before.text)")
        #expect(!before.text.contains(figureOne) && !before.text.contains("the engine gives"), "\(before.text)")
        // Another student's attempts are never in the reply: Alan sees only his own.
        let alans = try await Self.mine(server, 1, code: alan)
        #expect(Self.attempts(alans).map { $0["attempt"] as? Int } == [ids["s1002"]![0]], "\(alans.text)")
        #expect(Self.attempts(alans).first?["counted"] as? Bool == true && Self.attempts(alans).first?["late"] as? Bool == false)
        // Without a session (or with a wrong code): 401, no attempt.
        let anonymous = try await Self.mine(server, 1, code: nil)
        #expect(anonymous.status == 401 && Self.attempts(anonymous).isEmpty, "\(anonymous.text)")
        #expect(try await Self.mine(server, 1, code: "not-a-code-0123456789abcdef").status == 401)
        // A lesson that is not an assignment, and a missing lesson.
        #expect(try await Self.mine(server, 3, code: ada).status == 404)
        #expect(try await server.request("GET", "/api/me/attempts", token: ada).status == 400)

        // The due time passed: the same data directory, the course file with a past due.
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("2099-01-01T00:00:00Z"))
        try text.replacingOccurrences(of: "2099-01-01T00:00:00Z", with: "2020-01-01T00:00:00Z").write(toFile: file, atomically: true, encoding: .utf8)
        let closed = try await CourseTests.start(file) { $0.dataDirectory = server.dataDirectory }
        defer { Task { await closed.stop() } }
        #expect(try CourseTests.codes(closed)["s1001"] == ada)   // the restart keeps the codes
        let after = try await Self.mine(closed, 1, code: ada)
        #expect(after.status == 200 && after.object["revealed"] as? Bool == true, "\(after.text)")
        #expect(Self.attempts(after).map { $0["attempt"] as? Int } == [ids["s1001"]![0]], "\(after.text)")
        #expect((Self.attempts(after).first?["feedback"] as? String)?.contains(figureOne) == true, "\(after.text)")
        #expect(!after.text.contains(TraceFormat.number(one.value + 200, significantDigits: 6)), "Alan's answer: \(after.text)")
        // "never": past the due time still no figure.
        let never = try await Self.mine(closed, 2, code: ada)
        #expect(never.status == 200 && never.object["revealed"] as? Bool == false, "\(never.text)")
        #expect(Self.attempts(never).map { $0["attempt"] as? Int } == [ids["s1001"]![1]], "\(never.text)")
        #expect(!never.text.contains(figureTwo) && !never.text.contains("the engine gives"), "\(never.text)")
        #expect(try await Self.mine(closed, 1, code: nil).status == 401)
    }
}
