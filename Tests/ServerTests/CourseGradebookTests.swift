import Crypto
import Foundation
import Grading
import Testing
@testable import Server

/// The teacher's side of a course: grades counted as the course says (best or latest), late answers
/// taken and marked, the course gradebook across every assignment in Moodle's, Canvas's and the plain
/// layout, a student's history, reissuing a code from the page's route, and signing out.
@Suite("serve --course: counts, late answers, the course gradebook", .serialized)
struct CourseGradebookTests {
    static let teacher = CourseTests.teacherToken

    /// A course of three students (Moodle's roster, or Canvas's) with these `[[assignment]]` tables.
    static func course(_ assignments: String, canvas: Bool = false) throws -> String {
        let directory = try temporaryDirectory()
        let roster = canvas
            ? "Student,ID,SIS User ID,SIS Login ID,Section\nAda Lovelace,101,s1001,ada,A\nAlan Turing,102,s1002,alan,A\nGrace Hopper,103,s1003,grace,B\n"
            : "ID number,First name,Last name,Email address\ns1001,Ada,Lovelace,ada@example.org\ns1002,Alan,Turing,alan@example.org\ns1003,Grace,Hopper,grace@example.org\n"
        try roster.write(toFile: directory + "/roster.csv", atomically: true, encoding: .utf8)
        let hash = SHA256.hash(data: Array(teacher.utf8)).map { String(format: "%02x", $0) }.joined()
        try """
            name = "Backprop, gradebook course"
            roster = "roster.csv"
            teachers = [ { name = "Grace", token_sha256 = "\(hash)" } ]
            \(assignments)
            """.write(toFile: directory + "/course.toml", atomically: true, encoding: .utf8)
        return directory + "/course.toml"
    }

    /// The first exercise of `lesson` whose answer is a number: its id, the engine's value, its points.
    static func numberExercise(_ server: TestServer, lesson: Int) throws -> (id: String, value: Double, points: Double) {
        try server.server.course.exercises(lesson).with { set in
            for item in set.items { if case .number(let value, _) = item.expected { return (item.exercise.id, value, item.exercise.points) } }
            return ("", .nan, 0)
        }
    }

    static func answer(_ server: TestServer, _ lesson: Int, _ answers: [String: Any], code: String) async throws -> HTTPReply {
        try await server.request("POST", "/api/exercises/\(lesson)/answers", json: ["answers": answers], token: code)
    }

    /// RFC 4180 rows (quoted fields with commas and doubled quotes; no line breaks inside, as the gradebooks write).
    static func csvRows(_ text: String) -> [[String]] {
        text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { line in
            let characters = Array(line)
            var fields: [String] = [], field = "", quoted = false, index = 0
            while index < characters.count {
                let character = characters[index]
                if quoted {
                    if character != "\"" { field.append(character) }
                    else if index + 1 < characters.count && characters[index + 1] == "\"" { field.append("\""); index += 1 }
                    else { quoted = false }
                } else if character == "\"" { quoted = true }
                else if character == "," { fields.append(field); field = "" }
                else { field.append(character) }
                index += 1
            }
            return fields + [field]
        }
    }

    @Test("counts = best and latest, with attempts ordered so that they differ: the statistics and every gradebook follow the course")
    func countsBestAndLatest() async throws {
        let server = try await CourseTests.start(try Self.course("""
            [[assignment]]
            lesson = 1
            counts = "best"
            [[assignment]]
            lesson = 2
            counts = "latest"
            """))
        defer { Task { await server.stop() } }
        let code = try CourseTests.codes(server)["s1001"]!
        let one = try Self.numberExercise(server, lesson: 1), two = try Self.numberExercise(server, lesson: 2)
        #expect(one.value.isFinite && two.value.isFinite && one.points > 0 && two.points > 0)
        // Right first, then wrong, at both lessons: the best is the first attempt, the latest the second.
        for (lesson, exercise) in [(1, one), (2, two)] {
            #expect(try await Self.answer(server, lesson, [exercise.id: exercise.value], code: code).status == 200)
            #expect(try await Self.answer(server, lesson, [exercise.id: exercise.value + 100], code: code).status == 200)
        }
        func studentsRight(_ lesson: Int, _ id: String) async throws -> Int? {
            let stats = try await server.request("GET", "/api/teacher/lessons/\(lesson)/stats", token: Self.teacher)
            return (stats.object["exercises"] as? [[String: Any]])?.first { $0["id"] as? String == id }?["studentsRight"] as? Int
        }
        #expect(try await studentsRight(1, one.id) == 1)   // best: the right attempt counts
        #expect(try await studentsRight(2, two.id) == 0)   // latest: the wrong one does
        let lessonBook = try await server.request("GET", "/api/teacher/lessons/2/gradebook.json", token: Self.teacher)
        #expect(((try? JSONSerialization.jsonObject(with: lessonBook.body)) as? [[String: Any]])?.first?["points"] as? Double == 0, "\(lessonBook.text)")

        let book = try await server.request("GET", "/api/teacher/gradebook.csv?format=csv", token: Self.teacher)
        #expect(book.status == 200, "\(book.text)")
        #expect(book.headers["content-type"]?.hasPrefix("text/csv") == true)
        let rows = Self.csvRows(book.text)
        let titles = try [1, 2].map { lesson in try server.server.course.exercises(lesson).with { "Lesson \(lesson): \($0.lesson.title)" } }
        #expect(rows.first == ["student", "name", titles[0], titles[0] + ": status", titles[1], titles[1] + ": status", "total"], "\(book.text)")
        // Every roster student a row, in the roster's order; those who sent nothing are marked missing.
        #expect(rows.dropFirst().map { $0[0] } == ["s1001", "s1002", "s1003"])
        let ada = rows[1]
        #expect(ada[2] == TraceNumber.points(one.points) && ada[3] == "on time" && ada[4] == "0" && ada[5] == "on time", "\(ada)")
        #expect(rows[2][2] == "" && rows[2][3] == "missing" && rows[2][5] == "missing", "\(rows[2])")

        // The history: every attempt, oldest first, with the one each lesson counts.
        let history = try await server.request("GET", "/api/teacher/students/s1001", token: Self.teacher)
        let attempts = history.object["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.map { $0["lesson"] as? Int } == [1, 1, 2, 2], "\(history.text)")
        #expect(attempts.map { $0["counted"] as? Bool } == [true, false, false, true])
        #expect(attempts.allSatisfy { $0["late"] as? Bool == false && $0["received"] is String && $0["feedback"] is String })
        #expect((attempts[1]["feedback"] as? String)?.contains(one.id) == true, "\(attempts[1])")
        #expect(history.object["name"] as? String == "Ada Lovelace")
    }

    @Test("late_until: an answer after the due time is taken, marked late, and shows no figure; after late_until, 409")
    func lateAnswers() async throws {
        let server = try await CourseTests.start(try Self.course("""
            [[assignment]]
            lesson = 1
            due = 2020-01-01T00:00:00Z
            late_until = 2099-01-01T00:00:00Z
            """))
        defer { Task { await server.stop() } }
        let code = try CourseTests.codes(server)["s1002"]!
        let exercise = try Self.numberExercise(server, lesson: 1)
        let wrong = exercise.value + 100
        let reply = try await Self.answer(server, 1, [exercise.id: wrong], code: code)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.object["late"] as? Bool == true)
        let me = try await server.request("GET", "/api/me", token: code)
        #expect((me.object["assignments"] as? [[String: Any]])?.first?["lateUntil"] as? String == "2099-01-01T00:00:00Z", "\(me.text)")
        // "after-due" waits until answers close (late_until): no figure while anyone may still answer.
        #expect(!(reply.object["report"] as? String ?? "").contains("the engine"), "\(reply.text)")
        let history = try await server.request("GET", "/api/teacher/students/s1002", token: Self.teacher)
        #expect((history.object["attempts"] as? [[String: Any]])?.first?["late"] as? Bool == true, "\(history.text)")
        let submissions = try await CourseTests.submissions(server)
        #expect(submissions.count == 1)

        let csv = Self.csvRows(try await server.request("GET", "/api/teacher/gradebook.csv", token: Self.teacher).text)
        #expect(csv[2][0] == "s1002" && csv[2][3] == "late", "\(csv)")
        #expect(csv[1][3] == "missing" && csv[3][3] == "missing")
        let moodle = try await server.request("GET", "/api/teacher/gradebook.csv?format=moodle", token: Self.teacher)
        let line = moodle.text.components(separatedBy: "\r\n").first { $0.hasPrefix("s1002,") } ?? ""
        #expect(line.contains(",\"late: \(exercise.id)") || line.contains(",late: \(exercise.id)"), "\(moodle.text)")
        #expect(!moodle.text.contains("the engine"), "the gradebook's feedback follows the reveal policy: \(moodle.text)")
        #expect(moodle.text.contains("s1001,Ada Lovelace,,missing: no answer was sent"), "\(moodle.text)")

        // Closed: due and late_until both past.
        let closed = try await CourseTests.start(try Self.course("""
            [[assignment]]
            lesson = 1
            due = 2020-01-01T00:00:00Z
            late_until = 2020-01-08T00:00:00Z
            """))
        defer { Task { await closed.stop() } }
        let refused = try await Self.answer(closed, 1, [exercise.id: wrong], code: try CourseTests.codes(closed)["s1002"]!)
        #expect(refused.status == 409)
        #expect((refused.object["error"] as? String)?.contains("late answers were taken until 2020-01-08T00:00:00Z") == true, "\(refused.text)")
        // Closed, "after-due": the teacher's gradebook may now give the figures in Moodle's feedback.
        #expect(try CourseFile(file: try Self.course("[[assignment]]\nlesson = 1\ndue = 2020-01-01T00:00:00Z\nlate_until = 2020-01-08T00:00:00Z"))
            .assignments[0].reveals(at: Date()))
    }

    @Test("late_until is checked: it needs due, comes after it, and has a zone", arguments: [
        ("lesson = 1\nlate_until = 2026-01-01T00:00:00Z", "'late_until' needs a 'due' time"),
        ("lesson = 1\ndue = 2026-01-02T00:00:00Z\nlate_until = 2026-01-01T00:00:00Z", "'late_until' must be after 'due'"),
        ("lesson = 1\ndue = 2026-01-01T00:00:00Z\nlate_until = 2026-01-05T00:00:00", "'late_until' needs a time zone"),
        ("lesson = 1\ndue = 2026-01-01T00:00:00Z\nlate_until = \"soon\"", "'late_until' must be an RFC 3339 time"),
    ])
    func lateUntilChecked(assignment: String, message: String) throws {
        let file = try Self.course("[[assignment]]\n" + assignment)
        do {
            _ = try CourseFile(file: file)
            Issue.record("accepted: \(assignment)")
        } catch {
            #expect(error.what.contains(message), "\(error.what)")
            #expect(error.location?.line == 4 + assignment.split(separator: "\n").firstIndex { $0.hasPrefix("late_until") }! + 1, "\(String(describing: error.location))")
        }
    }

    @Test("the course gradebook as Canvas's import: the roster's columns, Points Possible, an empty cell when missing; an unknown format is 400")
    func canvasAndFormats() async throws {
        let server = try await CourseTests.start(try Self.course("[[assignment]]\nlesson = 1\n[[assignment]]\nlesson = 2", canvas: true))
        defer { Task { await server.stop() } }
        let codes = try CourseTests.codes(server)
        #expect(codes.keys.sorted() == ["s1001", "s1002", "s1003"])   // the SIS User ID column
        let exercise = try Self.numberExercise(server, lesson: 1)
        #expect(try await Self.answer(server, 1, [exercise.id: exercise.value], code: codes["s1003"]!).status == 200)
        let canvas = try await server.request("GET", "/api/teacher/gradebook.csv?format=canvas", token: Self.teacher)
        #expect(canvas.status == 200, "\(canvas.text)")
        let lines = canvas.text.components(separatedBy: "\r\n")
        let (max1, max2) = try (server.server.course.exercises(1).with { $0.maxPoints }, server.server.course.exercises(2).with { $0.maxPoints })
        #expect(lines[0].hasPrefix("Student,ID,SIS User ID,SIS Login ID,Section,Lesson 1: "), "\(lines[0])")
        #expect(lines[1] == "Points Possible,,,,,\(TraceNumber.points(max1)),\(TraceNumber.points(max2))", "\(lines[1])")
        #expect(lines[2] == "Ada Lovelace,101,s1001,ada,A,,", "\(lines[2])")
        #expect(lines[4] == "Grace Hopper,103,s1003,grace,B,\(TraceNumber.points(exercise.points)),", "\(lines[4])")
        #expect(lines.count == 6 && lines[5].isEmpty)

        let unknown = try await server.request("GET", "/api/teacher/gradebook.csv?format=xlsx", token: Self.teacher)
        #expect(unknown.status == 400)
        #expect(unknown.object["error"] as? String == "format 'xlsx': the course gradebook's formats are csv, moodle, canvas", "\(unknown.text)")
        // Without a course there is no roster to give the rows: 404 with the lesson gradebook to use.
        let open = try await TestServer.start()
        let none = try await open.request("GET", "/api/teacher/gradebook.csv?format=csv", teacher: true)
        #expect(none.status == 404 && (none.object["error"] as? String)?.contains("/api/teacher/lessons/N/gradebook.csv") == true, "\(none.text)")
    }

    @Test("a student's code or session gets 401 on every teacher route; the teacher reissues a code from the page's POST route")
    func teacherOnlyAndReissue() async throws {
        let server = try await CourseTests.start(try Self.course("[[assignment]]\nlesson = 1"))
        defer { Task { await server.stop() } }
        let old = try CourseTests.codes(server)["s1001"]!
        let signedIn = try await server.request("POST", "/api/sign-in", json: ["code": old])
        let session = String((signedIn.headers["set-cookie"] ?? "").split(separator: ";")[0])
        #expect(session.hasPrefix("backprop_session="))
        for (method, path) in [("GET", "/api/teacher/gradebook.csv?format=moodle"), ("GET", "/api/teacher/students/s1001"),
                               ("POST", "/api/teacher/students/s1001/reissue"), ("GET", "/api/teacher/lessons/1/stats")] {
            #expect(try await server.request(method, path, token: old).status == 401, "\(path) with a student's code")
            #expect(try await server.request(method, path, cookie: session).status == 401, "\(path) with a student's session")
            #expect(try await server.request(method, path).status == 401, "\(path) with nothing")
        }
        #expect(try CourseTests.codes(server)["s1001"] == old)   // nothing was reissued

        let reissued = try await server.request("POST", "/api/teacher/students/s1001/reissue", token: Self.teacher)
        #expect(reissued.status == 200, "\(reissued.text)")
        let new = reissued.object["code"] as? String ?? ""
        #expect(new != old && new.count == 32 && reissued.object["link"] as? String == "/join/" + new)
        #expect(try CourseTests.codes(server)["s1001"] == new)   // the later row of sign-in.csv
        #expect(try await server.request("GET", "/api/me", token: new).status == 200)
        #expect(try await server.request("GET", "/api/me", token: old).status == 401)
        #expect(try await server.request("GET", "/api/me", cookie: session).status == 401)   // its sessions ended
        #expect(try await server.request("POST", "/api/teacher/students/s9999/reissue", token: Self.teacher).status == 404)
    }

    @Test("sign-out ends the session; a sign-in from another site's page is refused")
    func signOut() async throws {
        let server = try await CourseTests.start(try Self.course("[[assignment]]\nlesson = 1"))
        defer { Task { await server.stop() } }
        let code = try CourseTests.codes(server)["s1002"]!
        let signedIn = try await server.request("POST", "/api/sign-in", json: ["code": code])
        let session = String((signedIn.headers["set-cookie"] ?? "").split(separator: ";")[0])
        #expect(try await server.request("GET", "/api/me", cookie: session).status == 200)
        let out = try await server.request("POST", "/api/sign-out", cookie: session)
        #expect(out.status == 200)
        #expect(out.headers["set-cookie"]?.contains("Max-Age=0") == true, "\(out.headers)")
        #expect(try await server.request("GET", "/api/me", cookie: session).status == 401)

        let forged = try await server.request("POST", "/api/sign-in", json: ["code": code], headers: ["Origin": "https://evil.example"])
        #expect(forged.status == 403, "\(forged.text)")
        #expect(forged.headers["set-cookie"] == nil)
    }
}

/// Points as a gradebook writes them (the grader's rounding to three decimals).
enum TraceNumber {
    static func points(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
