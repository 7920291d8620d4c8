import Foundation
import Testing
@testable import Server
import Grading
import GRDB

/// The typed API: every body decoded into its route's type, a wrong field named in a 400; answers
/// reach the grader as typed values; grading runs for several students at once. In-process (no socket).
@Suite("serve: typed requests and concurrent grading")
struct TypedAPITests {
    @Test("a field of the wrong type is a 400 that names it, in the error shape of docs/serve.md", arguments: [
        ("/api/trace", #"{"program": 5}"#, #"request body: "program" must be a string"#),
        ("/api/trace", #"{"program": "f = x", "params": {"w": 1}}"#, #"request body: "params" must be a string or a list of strings"#),
        ("/api/trace", #"{"program": "f = x", "at": "x=1", "check": "yes"}"#, #"request body: "check" must be true or false"#),
        ("/api/trace", #"{"program": "f = x", "params": [1]}"#, #"request body: "params".[0] must be a string"#),
        ("/api/check", #"{"program": "f = x", "claims": ["df/dx = 1"], "points": 1.5}"#, #"request body: "points" must be a whole number"#),
        ("/api/check", #"{"program": "f = x", "claims": ["df/dx = 1"], "seed": "one"}"#, #"request body: "seed" must be a whole number"#),
        ("/api/diagram", #"{"program": "f = x", "forwardOnly": 1}"#, #"request body: "forwardOnly" must be true or false"#),
        ("/api/exercises/1/answers", #"{"student": "s1", "answers": {"q-value": null}}"#, #"request body: "answers"."q-value" must not be null"#),
        ("/api/exercises/1/answers", #"{"student": "s1", "answers": [3]}"#, #"request body: "answers" must be an object"#),
        ("/api/exercises/1/answers", #"{"student": 7, "answers": {}}"#, #"request body: "student" must be a string"#),
        ("/api/trace", #"[1, 2]"#, "request body: send a JSON object, {…}"),
        ("/api/trace", #"{"program": "#, "request body: not valid JSON"),
        ("/api/trace", "", "request body: empty; send a JSON object"),
    ])
    func wrongField(route: String, body: String, message: String) async throws {
        let server = try await TestServer.start()
        let reply = try await server.request("POST", route, body: Data(body.utf8), contentType: "application/json")
        #expect(reply.status == 400, "\(reply.text)")
        #expect(reply.exitStatus == "2")
        #expect(reply.object["exitStatus"] as? Int == 2)
        #expect((reply.object["error"] as? String)?.hasPrefix(message) == true, "\(reply.text)")
        // Nothing stored for a body that does not decode.
        #expect(try await server.server.store.count() == 0)
    }

    @Test("answers deeper than the decoder's limit are refused with 400; deeper than the grader's, rejected with its reason")
    func nesting() async throws {
        let server = try await TestServer.start()
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let refused = try await server.request("POST", "/api/exercises/1/answers", body: Data(#"{"student": "s1", "answers": {"q-value": \#(deep)}}"#.utf8),
                                               contentType: "application/json")
        #expect(refused.status == 400)
        #expect((refused.object["error"] as? String)?.contains("nested deeper than 32 levels") == true, "\(refused.text)")
        let nine = String(repeating: "[", count: 9) + "1" + String(repeating: "]", count: 9)
        let rejected = try await server.request("POST", "/api/exercises/1/answers", body: Data(#"{"student": "s1", "answers": {"q-value": \#(nine)}}"#.utf8),
                                                contentType: "application/json")
        #expect(rejected.status == 400)
        #expect(rejected.object["error"] as? String == "lesson 1 answers: arrays or tables nested 9 deep; the limit is 8", "\(rejected.text)")
        #expect(rejected.object["attempt"] as? Int == 1)
    }

    @Test("typed answers and the same answer file get the same grade; the teacher sees the typed answers as an answer file")
    func typedLikeFile() async throws {
        let server = try await TestServer.start()
        let body: [String: Any] = ["student": "s1", "name": "Ada", "answers": ExerciseTests.answers]
        let typed = try await server.request("POST", "/api/exercises/1/answers", json: body)
        let file = try ExerciseTests.answerFile(body, lesson: 1)
        let fromFile = try await server.request("POST", "/api/exercises/1/answers", body: Data(file.utf8), contentType: "application/toml")
        #expect(typed.status == 200 && fromFile.status == 200)
        let (a, b) = (typed.object["grade"] as? [String: Any] ?? [:], fromFile.object["grade"] as? [String: Any] ?? [:])
        #expect(a["points"] as? Double == b["points"] as? Double)
        #expect((a["exercises"] as? [[String: Any]])?.map { $0["feedback"] as? String } == (b["exercises"] as? [[String: Any]])?.map { $0["feedback"] as? String })
        // The first attempt was typed: the teacher's view writes it as the answer file.
        let attempts = try await server.server.store.attempts(lesson: 1, student: "s1")
        guard case .typed = try attempts.first?.answers() else { Issue.record("the JSON attempt was not stored typed"); return }
        guard case .file(let text) = try attempts.last?.answers() else { Issue.record("the TOML attempt was not stored as its file"); return }
        #expect(text == file)
        #expect(AnswerFile.toml(try #require({ if case .typed(let request) = try? attempts.first?.answers() { return request }; return nil }()), lesson: 1) == file)
    }

    @Test("a gradebook grades each attempt once: the next gradebook (or the teacher's view of a student) grades only the attempts that are new")
    func gradebookGradesOnce() async throws {
        let server = try await TestServer.start()
        for student in ["s1", "s2", "s3"] {
            #expect(try await server.request("POST", "/api/exercises/1/answers", json: ["student": student, "answers": ["q-value": 3]]).status == 200)
        }
        func graded() -> Int { server.server.course.teacherGrades.withLock { $0.graded } }
        let first = try await server.request("GET", "/api/teacher/lessons/1/gradebook.csv", teacher: true)
        #expect(first.status == 200)
        #expect(graded() == 3)
        let again = try await server.request("GET", "/api/teacher/lessons/1/gradebook.csv", teacher: true)
        #expect(again.text == first.text)
        let json = try await server.request("GET", "/api/teacher/lessons/1/gradebook.json", teacher: true)
        #expect(((try? JSONSerialization.jsonObject(with: json.body)) as? [[String: Any]])?.count == 3)
        #expect(graded() == 3)
        // The teacher's view of one student takes the same kept grade.
        let feedback = try await server.request("GET", "/api/teacher/lessons/1/students/s1", teacher: true)
        #expect(feedback.status == 200)
        #expect((feedback.object["report"] as? String)?.contains("✓ q-value") == true)
        #expect(graded() == 3)
        // s2 answers again: only that attempt is graded for the next gradebook, and it counts.
        #expect(try await server.request("POST", "/api/exercises/1/answers", json: ["student": "s2", "answers": ["q-value": 2]]).status == 200)
        let after = try await server.request("GET", "/api/teacher/lessons/1/gradebook.csv", teacher: true)
        #expect(graded() == 4)
        #expect(after.text != first.text)
    }

    @Test("two gradings of one lesson run at once, each with its own exercise set")
    func concurrentSets() throws {
        setenv("BACKPROP_LESSONS", TestServer.packageRoot.appendingPathComponent("lessons").path, 1)
        let course = try Course()
        let pool = try course.exercises(1)
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let first = Thread {
            _ = try? pool.with { _ in inside.signal(); release.wait() }
        }
        first.start()
        #expect(inside.wait(timeout: .now() + 60) == .success, "the first grading did not start")
        // While the first holds its set, a second gets another (with one lock per lesson it would wait here).
        let second = DispatchSemaphore(value: 0)
        let other = Thread { _ = try? pool.with { _ in second.signal() } }
        other.start()
        #expect(second.wait(timeout: .now() + 60) == .success, "the second grading waited for the first")
        release.signal()
        #expect(pool.count == 2)
    }
}

@Suite("serve: the store")
struct StoreTests {
    @Test("a store made before typed answers opens: the column is added, its attempts read as answer files and are graded as before")
    func olderStore() async throws {
        let directory = try temporaryDirectory()
        let old = try DatabaseQueue(path: directory + "/attempts.sqlite")
        let file = "student = \"s1\"\nlesson = 1\n[answers]\n\"q-value\" = 3\n"
        try await old.write { db in
            try db.execute(sql: """
                CREATE TABLE attempt (id INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL, lesson INTEGER NOT NULL,
                    student TEXT, name TEXT, client TEXT NOT NULL, answers TEXT NOT NULL, points REAL NOT NULL,
                    max_points REAL NOT NULL, rejection TEXT, grade TEXT NOT NULL);
                """)
            try db.execute(sql: "INSERT INTO attempt (received, lesson, student, client, answers, points, max_points, grade) VALUES (0, 1, 's1', 'x', ?, 1, 12, '{}')",
                           arguments: [file])
        }
        try await old.close()
        let server = try await TestServer.start { $0.dataDirectory = directory }
        let stored = try await server.server.store.attempts(lesson: 1, student: "s1")
        guard case .file(let text) = try stored.first?.answers() else { Issue.record("the old attempt did not read as an answer file"); return }
        #expect(text == file)
        let feedback = try await server.request("GET", "/api/teacher/lessons/1/students/s1", teacher: true)
        #expect(feedback.status == 200, "\(feedback.text)")
        #expect(feedback.object["answers"] as? String == file)
        #expect((feedback.object["report"] as? String)?.contains("✓ q-value") == true, "\(feedback.text)")
        // A new typed attempt beside it.
        let sent = try await server.request("POST", "/api/exercises/1/answers", json: ["student": "s1", "answers": ["q-value": 3]])
        #expect(sent.status == 200)
        #expect(sent.object["attempt"] as? Int == 2)
        let csv = try await server.request("GET", "/api/teacher/lessons/1/gradebook.csv", teacher: true)
        #expect(csv.status == 200)
        #expect(csv.text.split(whereSeparator: \.isNewline).count == 2, "\(csv.text)")
    }
}
