import Foundation
import Testing
@testable import Server

/// Answers graded by `backprop grade`'s grader, stored, and the teacher's routes over them.
@Suite("serve: exercises and the teacher's routes", .serialized)
struct ExerciseTests {
    static var answers: [String: Any] { ["q-value": 3, "f-value": -12, "df-dq": -3, "df-dq-formula": "z", "x-up": "a",
                                         "fill-graph": ["q": 3, "df/dq": -4, "df/dz": 3]] }

    @Test("an attempt is graded as `backprop grade` grades the same answer file, and stored")
    func gradedLikeCLI() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let reply = try await server.request("POST", "/api/exercises/1/answers", json: ["student": "s1", "name": "Ada", "answers": Self.answers])
        #expect(reply.status == 200)
        let grade = reply.object["grade"] as? [String: Any] ?? [:]
        #expect(reply.object["attempt"] as? Int == 1)

        // The same answers as an answer file, graded by the CLI.
        let file = try temporaryDirectory() + "/s1.toml"
        let toml = try Self.answerFile(["student": "s1", "name": "Ada", "answers": Self.answers], lesson: 1)
        try toml.write(toFile: file, atomically: true, encoding: .utf8)
        let cli = try Backprop.run(["grade", file, "--json"])
        let cliGrade = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(cli.status == 0)
        #expect(grade["points"] as? Double == cliGrade["points"] as? Double)
        #expect((grade["exercises"] as? [[String: Any]])?.map { $0["verdict"] as? String } == (cliGrade["exercises"] as? [[String: Any]])?.map { $0["verdict"] as? String })
        let verdicts = Dictionary(uniqueKeysWithValues: (grade["exercises"] as? [[String: Any]] ?? []).map { ($0["id"] as! String, $0["verdict"] as! String) })
        #expect(verdicts["q-value"] == "right")
        #expect(verdicts["df-dq"] == "wrong")
        #expect(verdicts["df-dq-formula"] == "right")
        #expect(verdicts["df-dx"] == "missing")

        // The same bytes sent as an answer file (application/toml) are graded alike.
        let asFile = try await server.request("POST", "/api/exercises/1/answers", body: Data(toml.utf8), contentType: "application/toml")
        #expect((asFile.object["grade"] as? [String: Any])?["points"] as? Double == grade["points"] as? Double)
        #expect(asFile.object["attempt"] as? Int == 2)
    }

    @Test("a rejected attempt is stored too and answered with the grader's reason, exit status 2")
    func rejected() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let reply = try await server.request("POST", "/api/exercises/1/answers", json: ["student": "=HYPERLINK(1)", "answers": ["q-value": 3]])
        #expect(reply.status == 400)
        #expect(reply.exitStatus == "2")
        #expect(reply.object["error"] as? String == "lesson 1 answers: student id '=HYPERLINK(1)': use letters, digits, spaces and . _ - @ ' only")
        #expect(reply.object["attempt"] as? Int == 1)
        let noSuch = try await server.request("POST", "/api/exercises/99/answers", json: ["student": "s1", "answers": [:]])
        #expect(noSuch.status == 400)
        #expect((noSuch.object["error"] as? String)?.hasPrefix("there is no lesson 99") == true, "\(noSuch.text)")
        let nullAnswer = try await server.request("POST", "/api/exercises/1/answers", json: ["student": "s1", "answers": ["q-value": NSNull()]])
        #expect(nullAnswer.status == 400)
    }

    @Test("the teacher's routes need the token; the gradebook is `backprop grade DIR --csv` of each student's latest attempt")
    func teacher() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        var latest: [String: [String: Any]] = [:]
        for (student, q) in [("s1", 1), ("s2", 3), ("s1", 3), ("s3", 4)] {
            var answers = Self.answers
            answers["q-value"] = q
            let body: [String: Any] = ["student": student, "answers": answers]
            latest[student] = body
            let reply = try await server.request("POST", "/api/exercises/1/answers", json: body)
            #expect(reply.status == 200)
        }
        let denied = try await server.request("GET", "/api/teacher/lessons/1/gradebook.csv")
        #expect(denied.status == 401)
        #expect(denied.headers["www-authenticate"] == "Bearer")
        let wrong = try await server.request("GET", "/api/teacher/lessons/1/stats", token: server.token + "x")
        #expect(wrong.status == 401)

        let csv = try await server.request("GET", "/api/teacher/lessons/1/gradebook.csv", teacher: true)
        #expect(csv.status == 200)
        #expect(csv.headers["content-type"] == "text/csv; charset=utf-8")
        // The CLI over a directory of the same latest answer files.
        let directory = try temporaryDirectory()
        for (student, body) in latest {
            try Self.answerFile(body, lesson: 1)
                .write(toFile: "\(directory)/\(student).toml", atomically: true, encoding: .utf8)
        }
        let cliCSV = directory + "/gradebook.csv"
        let cli = try Backprop.run(["grade", directory, "--lesson", "1", "--csv", cliCSV])
        #expect(cli.status == 0)
        // The same gradebook but for the `file` column (the CLI names the answer file, the server the attempt).
        func withoutFileColumn(_ text: String) -> [[String]] {
            text.split(whereSeparator: \.isNewline).map { line in line.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { $0.offset != 2 }.map { String($0.element) } }
        }
        #expect(withoutFileColumn(csv.text) == withoutFileColumn(try String(contentsOfFile: cliCSV, encoding: .utf8)))
        #expect(csv.text.split(whereSeparator: \.isNewline).count == 4, "\(csv.text)")   // header + s1, s2, s3

        let stats = try await server.request("GET", "/api/teacher/lessons/1/stats", teacher: true)
        #expect(stats.object["attempts"] as? Int == 4)
        #expect(stats.object["students"] as? Int == 3)
        let q = (stats.object["exercises"] as? [[String: Any]])?.first { $0["id"] as? String == "q-value" } ?? [:]
        #expect(q["answers"] as? Int == 4)
        #expect(q["right"] as? Int == 2)
        #expect(q["studentsRight"] as? Int == 2)
        #expect((q["commonWrongAnswers"] as? [[String: Any]])?.count == 2)

        let submissions = try await server.request("GET", "/api/teacher/lessons/1/submissions", teacher: true)
        #expect((submissions.object["submissions"] as? [[String: Any]])?.map { $0["student"] as? String } == ["s3", "s1", "s2", "s1"])   // newest first
        let feedback = try await server.request("GET", "/api/teacher/lessons/1/students/s1", teacher: true)
        #expect(feedback.object["attempts"] as? Int == 2)
        #expect((feedback.object["report"] as? String)?.contains("✓ q-value") == true)
        let nobody = try await server.request("GET", "/api/teacher/lessons/1/students/s9", teacher: true)
        #expect(nobody.status == 404)
    }

    /// A JSON body's answers as the answer file the CLI grades (typed, then written as TOML).
    static func answerFile(_ body: [String: Any], lesson: Int) throws -> String {
        AnswerFile.toml(try JSONDecoder().decode(AnswerRequest.self, from: try JSONSerialization.data(withJSONObject: body)), lesson: lesson)
    }

    @Test("JSON answers decode to the grader's typed values and are written as the answer file a person reads: strings quoted, numbers, lists and tables")
    func answerFile() throws {
        let body = #"{"student": "s\"1", "answers": {"a": 1, "b": -0.5, "c": "x * \"y\"\n", "d": [[1, 2], [3, 4]], "e": {"df/dq": 2}, "f": true}}"#
        let request = try API.decode(AnswerRequest.self, from: Array(body.utf8))
        let values = Dictionary(uniqueKeysWithValues: request.ordered.map { ($0.id, $0.value.description) })
        #expect(values == ["a": "1", "b": "-0.5", "c": "\"x * \"y\"\\n\"", "d": "[[1, 2], [3, 4]]", "e": "{ df/dq = 2 }", "f": "true"])
        let toml = AnswerFile.toml(request, lesson: 3)
        #expect(toml == """
            student = "s\\"1"
            lesson = 3
            [answers]
            "a" = 1
            "b" = -0.5
            "c" = "x * \\"y\\"\\n"
            "d" = [[1, 2], [3, 4]]
            "e" = { "df/dq" = 2 }
            "f" = true

            """)
    }
}
