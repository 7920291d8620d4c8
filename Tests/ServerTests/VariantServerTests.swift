import Foundation
import Grading
import Testing
@testable import Server

/// `serve --course` with a `secret_file`: each signed-in student's form shows their own inputs (and a
/// graph exercise's table and drawing, masked), their answers are graded against their own variant,
/// and the teacher's gradebook grades each student against theirs.
@Suite("serve --course: a variant per student", .serialized)
struct VariantServerTests {
    static func course() throws -> String {
        let file = try CourseTests.course(attempts: 10)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "roster = \"roster.csv\"", with: "roster = \"roster.csv\"\nsecret_file = \"course.secret\"")
            .write(toFile: file, atomically: true, encoding: .utf8)
        // A fixed secret (0600), so that which students share a variant is the same every run; a lesson
        // with few variants could otherwise give two students the same one by chance.
        let secret = (file as NSString).deletingLastPathComponent + "/course.secret"
        FileManager.default.createFile(atPath: secret, contents: Data((String(repeating: "5a", count: 32) + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        return file
    }

    /// Numbers in a table cell or an SVG label.
    static func numbers(_ text: String) -> [Double] {
        let pattern = try! NSRegularExpression(pattern: #"(?<![\p{L}_\d.])-?\d+(\.\d+)?(e[-+]?\d+)?"#)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).flatMap { Double(text[$0]) } }
    }

    @Test("every lesson's form shows each student's own inputs and no answer of theirs in its graph; answers and the gradebook follow the variant")
    func forms() async throws {
        let file = try Self.course()
        let server = try await CourseTests.start(file)
        defer { Task { await server.stop() } }
        // The secret file is the one written above, kept (0600).
        let secretFile = (file as NSString).deletingLastPathComponent + "/course.secret"
        #expect(try FileManager.default.attributesOfItem(atPath: secretFile)[.posixPermissions] as? Int == 0o600)
        let variants = try #require(try CourseFile(file: file).variants())
        let codes = try CourseTests.codes(server)
        var varied = 0, tableFigures = 0
        for lesson in server.server.course.lessons where !lesson.exercises.isEmpty {
            var inputs: [String] = []
            for student in ["s1001", "s1002"] {
                let reply = try await CourseTests.send(server, "GET", "/api/exercises/\(lesson.number)", code: codes[student]!)
                #expect(reply.status == 200, "\(reply.text)")
                let form = reply.object
                let set = try variants.exercises(lesson, student: student)
                #expect(form["inputs"] as? String == set.inputsText, "lesson \(lesson.number)")
                #expect(form["program"] as? String == lesson.program.trimmingCharacters(in: .newlines))
                inputs.append(set.inputsText)
                if lesson.exerciseInputs != nil { #expect(form["variant"] as? String == student) }
                // The graph's computed figures (operations' values, gradients but the output's) against every answer.
                let answers = VariantServerTests.answers(set)
                for exercise in form["exercises"] as? [[String: Any]] ?? [] where exercise["kind"] as? String == "graph" {
                    let rows = (exercise["table"] as? [[String]] ?? []).dropFirst()
                    #expect(!rows.isEmpty && (exercise["svg"] as? String ?? "").contains("<svg"))
                    for row in rows where row.count == 4 {
                        let node = set.job.trace.nodes.first { $0.label == row[0] }
                        var figures: [Double] = []
                        if node?.kind == .operation { figures += Self.numbers(row[2]) }
                        if node?.isOutput == false { figures += Self.numbers(row[3]) }
                        tableFigures += figures.count
                        for figure in figures {
                            for answer in answers where abs(figure - answer.value) <= max(answer.tolerance, 1e-12) {
                                Issue.record("lesson \(lesson.number), \(student): the form's graph shows \(figure), the answer of \(answer.id)")
                            }
                        }
                    }
                }
            }
            if lesson.exerciseInputs != nil {
                varied += 1
                #expect(inputs[0] != inputs[1], "lesson \(lesson.number): both students got \(inputs[0])")
            }
        }
        #expect(varied >= 10, "only \(varied) lessons vary")
        #expect(tableFigures > 0, "the forms' graphs showed no computed figure at all: the check read nothing")

        // Lesson 1: s1001's right answer to df-dx, sent by both; right for s1001, wrong for s1002.
        let lesson = try server.server.course.lesson(1)
        func dfdx(_ student: String) throws -> Double {
            guard case .number(let value, _) = try variants.exercises(lesson, student: student).item("df-dx")!.expected else { return .nan }
            return value
        }
        let (a, b) = (try dfdx("s1001"), try dfdx("s1002"))
        try #require(a != b, "the two variants give the same ∂f/∂x")
        for student in ["s1001", "s1002"] {
            let reply = try await CourseTests.send(server, "POST", "/api/exercises/1/answers", json: ["answers": ["df-dx": a]], code: codes[student]!)
            let verdict = ((reply.object["grade"] as? [String: Any])?["exercises"] as? [[String: Any]])?.first { $0["id"] as? String == "df-dx" }?["verdict"] as? String
            #expect(verdict == (student == "s1001" ? "right" : "wrong"), "\(student): \(reply.text)")
        }
        // The teacher's gradebook grades each against their own variant too.
        let book = try await CourseTests.send(server, "GET", "/api/teacher/lessons/1/gradebook.json", token: CourseTests.teacherToken)
        let rows = (try? JSONSerialization.jsonObject(with: book.body)) as? [[String: Any]] ?? []
        for row in rows {
            let verdict = (row["exercises"] as? [[String: Any]])?.first { $0["id"] as? String == "df-dx" }?["verdict"] as? String
            #expect(verdict == (row["student"] as? String == "s1001" ? "right" : "wrong"), "\(row)")
        }
        #expect(rows.count == 2, "\(book.text)")
        // The sheet page (with its drawings) is the student's own too.
        let sheet = try await CourseTests.send(server, "GET", "/exercises/1/sheet", code: codes["s1001"]!)
        let own = try variants.exercises(lesson, student: "s1001")
        #expect(sheet.status == 200 && sheet.text.contains("Your own variant, student s1001") && sheet.text.contains(own.inputsText), "\(sheet.status)")
        let wrongCode = try await CourseTests.send(server, "GET", "/api/exercises/1", code: "not-a-code")
        #expect(wrongCode.status == 401)
        // Without a session, the form is the notes' (the same as the lesson's page).
        let open = try await CourseTests.send(server, "GET", "/api/exercises/1")
        #expect(open.object["inputs"] as? String == "x = -2, y = 5, z = -4")
    }

    @Test("the first start makes the secret file (0600) and later starts keep it; a secret others may read stops the start")
    func secretAtStart() async throws {
        let file = try Self.course()
        let secret = (file as NSString).deletingLastPathComponent + "/course.secret"
        try FileManager.default.removeItem(atPath: secret)
        let server = try await CourseTests.start(file)
        await server.stop()
        #expect(try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? Int == 0o600)
        let made = try String(contentsOfFile: secret, encoding: .utf8)
        #expect(made.count == 65)
        let again = try await CourseTests.start(file)
        await again.stop()
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == made)
        chmod(secret, 0o644)
        do {
            let refused = try await CourseTests.start(file)
            await refused.stop()
            Issue.record("a world-readable secret file was accepted")
        } catch {
            #expect("\(error)".contains("chmod 600"), "\(error)")
        }
    }

    static func answers(_ set: ExerciseSet) -> [(id: String, value: Double, tolerance: Double)] {
        var answers: [(String, Double, Double)] = []
        for item in set.items {
            switch item.expected {
            case .number(let value, let tolerance): answers.append((item.exercise.id, value, tolerance))
            case .tensor(let value, let tolerances): answers += zip(value.storage, tolerances).map { (item.exercise.id, $0, $1) }
            case .graph(let blanks): answers += blanks.map { (item.exercise.id, $0.value, $0.tolerance) }
            default: break
            }
        }
        return answers
    }
}
