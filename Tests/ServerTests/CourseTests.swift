import Crypto
import Foundation
import GRDB
import Grading
import Testing
@testable import Server

/// `serve --course`: students sign in with their codes and answer only as themselves, under the
/// course's attempts, due time and reveal policy. Tried as a student who wants a better grade would.
@Suite("serve --course: sign-in and the policy", .serialized)
struct CourseTests {
    static let teacherToken = "course-teacher-token-0123456789abcdef"

    /// A course directory: a Moodle-style roster of two students and a course file.
    static func course(attempts: Int = 2, due: String = "2099-01-01T00:00:00Z", reveal: String? = nil) throws -> String {
        let directory = try temporaryDirectory()
        try "ID number,First name,Last name,Email address\ns1001,Ada,Lovelace,ada@example.org\ns1002,Alan,Turing,alan@example.org\n"
            .write(toFile: directory + "/roster.csv", atomically: true, encoding: .utf8)
        let hash = SHA256.hash(data: Array(teacherToken.utf8)).map { String(format: "%02x", $0) }.joined()
        try """
            name = "Backprop, test course"
            roster = "roster.csv"
            teachers = [ { name = "Grace", token_sha256 = "\(hash)" } ]

            [[assignment]]
            lesson = 1
            due = \(due)
            attempts = \(attempts)
            counts = "best"
            \(reveal.map { "reveal = \"\($0)\"" } ?? "")
            """.write(toFile: directory + "/course.toml", atomically: true, encoding: .utf8)
        return directory + "/course.toml"
    }

    /// The codes in DATA/sign-in.csv, by student id.
    static func codes(_ server: TestServer) throws -> [String: String] {
        let text = try String(contentsOfFile: server.dataDirectory + "/sign-in.csv", encoding: .utf8)
        var codes: [String: String] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            codes[fields[0]] = fields[2]
            #expect(fields[3] == "/join/" + fields[2])
        }
        return codes
    }

    static func start(_ courseFile: String, _ configure: @escaping (inout ServeOptions) -> Void = { _ in }) async throws -> TestServer {
        try await TestServer.start { options in
            options.courseFile = courseFile
            configure(&options)
        }
    }

    static func send(_ server: TestServer, _ method: String, _ path: String, json: Any? = nil, code: String? = nil,
                     cookie: String? = nil, token: String? = nil) async throws -> HTTPReply {
        try await server.request(method, path, json: json, token: code ?? token, cookie: cookie)
    }

    static func submissions(_ server: TestServer) async throws -> [[String: Any]] {
        let reply = try await send(server, "GET", "/api/teacher/lessons/1/submissions", token: teacherToken)
        #expect(reply.status == 200, "\(reply.text)")
        return reply.object["submissions"] as? [[String: Any]] ?? []
    }

    @Test("two students sign in with their codes; one cannot answer as the other; no sign-in, no answer")
    func signInAndIdentity() async throws {
        let server = try await Self.start(try Self.course())
        defer { Task { await server.stop() } }
        let codes = try Self.codes(server)
        #expect(Set(codes.keys) == ["s1001", "s1002"])
        #expect(codes.values.allSatisfy { $0.count >= 22 })   // ≥ 128 bits of base64
        // Codes are 32 characters of URL-safe base64, all different, and none starts like a spreadsheet formula.
        let many = (0..<2000).map { _ in SignIn.randomCode() }
        #expect(Set(many).count == many.count)
        #expect(many.allSatisfy { $0.count == 32 && !$0.hasPrefix("-") && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } })

        // The cookie: HttpOnly, SameSite=Strict, for the whole site; /join redirects to the lessons.
        let joined = try await server.request("GET", "/join/" + codes["s1001"]!)
        #expect(joined.status == 303)
        #expect(joined.headers["location"] == "/lessons")
        let setCookie = joined.headers["set-cookie"] ?? ""
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"), "\(setCookie)")
        #expect(!setCookie.contains("Secure"))   // plain HTTP here
        let session = String(setCookie.split(separator: ";")[0])
        let me = try await Self.send(server, "GET", "/api/me", cookie: session)
        #expect(me.object["student"] as? String == "s1001")
        #expect(me.object["name"] as? String == "Ada Lovelace")

        // s1 names s2: 403, nothing stored.
        let answers: [String: Any] = ["q-value": 3]
        let asOther = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["student": "s1002", "answers": answers], cookie: session)
        #expect(asOther.status == 403, "\(asOther.text)")
        #expect((asOther.object["error"] as? String)?.contains("only as yourself") == true)
        // No cookie, no code: 401, nothing stored. A wrong code: 401.
        let anonymous = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["student": "s1002", "answers": answers])
        #expect(anonymous.status == 401, "\(anonymous.text)")
        let forged = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["answers": answers], cookie: "\(SignIn.cookieName)=made-up-session-id-0123456789")
        #expect(forged.status == 401)
        #expect(try await Self.submissions(server).isEmpty)

        // Without a student field the answer is the signed-in student's; the other signs in with a Bearer code.
        let own = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["answers": answers], cookie: session)
        #expect(own.status == 200, "\(own.text)")
        let second = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["student": "s1002", "answers": answers], code: codes["s1002"]!)
        #expect(second.status == 200, "\(second.text)")
        let stored = try await Self.submissions(server)
        #expect(Set(stored.compactMap { $0["student"] as? String }) == ["s1001", "s1002"])
        #expect(stored.count == 2)

        // A lesson that is not an assignment: refused before anything is graded.
        let other = try await Self.send(server, "POST", "/api/exercises/2/answers", json: ["answers": [:]], cookie: session)
        #expect(other.status == 403)
        // The teacher's routes take the course file's teacher token, not a student's code.
        let studentAsTeacher = try await Self.send(server, "GET", "/api/teacher/lessons/1/submissions", code: codes["s1001"]!)
        #expect(studentAsTeacher.status == 401)
        await server.stop()

        // Only hashes are stored: no code is in the SQLite file, each code's SHA-256 is.
        let database = try DatabaseQueue(path: server.dataDirectory + "/attempts.sqlite")
        let hashes = try await database.read { db in try String.fetchAll(db, sql: "SELECT code_sha256 FROM sign_in_code ORDER BY student") }
        #expect(hashes == [SignIn.digest(codes["s1001"]!), SignIn.digest(codes["s1002"]!)])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: server.dataDirectory + "/attempts.sqlite"))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: server.dataDirectory + "/attempts.sqlite-wal"))) ?? Data()
        for code in codes.values { #expect(bytes.range(of: Data(code.utf8)) == nil && wal.range(of: Data(code.utf8)) == nil) }
        // sign-in.csv: mode 0600; a restart keeps its rows and issues nothing new.
        let mode = try FileManager.default.attributesOfItem(atPath: server.dataDirectory + "/sign-in.csv")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("before the due time a wrong answer gets its verdict and hint, never the engine's figure; attempts run out with 409")
    func policy() async throws {
        let server = try await Self.start(try Self.course(attempts: 2))
        defer { Task { await server.stop() } }
        let code = try Self.codes(server)["s1001"]!

        // The engine's figures for lesson 1, from the library, and wrong answers next to them.
        var figures: [String: Double] = [:]
        var wrong: [String: Any] = [:]
        try server.server.course.exercises(1).with { set in
            for item in set.items {
                switch item.expected {
                case .number(let value, _):
                    figures[item.exercise.id] = value
                    wrong[item.exercise.id] = value + 100
                case .graph(let blanks):
                    for blank in blanks { figures[item.exercise.id + " " + blank.key] = blank.value }
                    wrong[item.exercise.id] = Dictionary(uniqueKeysWithValues: blanks.map { ($0.key, $0.value + 100) })
                case .choice(let right, _):
                    wrong[item.exercise.id] = right == 0 ? "b" : "a"
                case .formula: wrong[item.exercise.id] = "x * y * 7"
                default: break
                }
            }
        }
        #expect(figures["df-dx"] == -4)   // the notes' ∂f/∂x, as the engine computes it
        func tokens(_ text: String) -> Set<String> {
            Set(text.components(separatedBy: CharacterSet(charactersIn: " ;,()\n")).filter { !$0.isEmpty })
        }
        func shown(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }

        let reply = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["answers": wrong], code: code)
        #expect(reply.status == 200, "\(reply.text)")
        let exercises = (reply.object["grade"] as? [String: Any])?["exercises"] as? [[String: Any]] ?? []
        #expect(exercises.count == wrong.count)
        for exercise in exercises {
            let feedback = exercise["feedback"] as? String ?? ""
            #expect(exercise["verdict"] as? String == "wrong", "\(exercise)")
            #expect(!feedback.contains("the engine gives") && !feedback.contains("the engine "), "\(feedback)")
        }
        // Each exercise's feedback, and each blank's part of it, without its figure; the formula's without ∂f/∂q's value.
        for exercise in exercises {
            let id = exercise["id"] as? String ?? "", feedback = exercise["feedback"] as? String ?? ""
            if let figure = figures[id] { #expect(!tokens(feedback).contains(shown(figure)), "\(id): the engine's \(shown(figure)) in “\(feedback)”") }
            for part in feedback.components(separatedBy: "; ") {
                for (key, figure) in figures where key.hasPrefix(id + " ") && part.hasPrefix(key.dropFirst(id.count + 1) + ":") {
                    #expect(!tokens(part).contains(shown(figure)), "\(key): the engine's \(shown(figure)) in “\(part)”")
                }
            }
            if id == "df-dq-formula" { #expect(!tokens(feedback).contains(shown(figures["df-dq"]!)), "\(feedback)") }
        }
        #expect(!(reply.object["report"] as? String ?? "").contains("the engine "))
        // The mistake's hint is there: a sign error on ∂f/∂q gets the teacher's hint.
        let hinted = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["answers": ["df-dq": -figures["df-dq"]!]], code: code)
        let hint = ((hinted.object["grade"] as? [String: Any])?["exercises"] as? [[String: Any]])?.first { $0["id"] as? String == "df-dq" }
        #expect((hint?["feedback"] as? String)?.contains("Check the sign") == true, "\(hinted.text)")
        #expect((hint?["feedback"] as? String).map { tokens($0).contains(shown(figures["df-dq"]!)) } == false)

        // The teacher's view of the same attempt gives the figures: the search above would have found them.
        let teacher = try await Self.send(server, "GET", "/api/teacher/lessons/1/students/s1001", token: Self.teacherToken)
        #expect(tokens(teacher.object["report"] as? String ?? "").contains(shown(figures["df-dx"]!)), "\(teacher.text)")

        // Two attempts used: the third is 409 and not stored.
        let third = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["answers": wrong], code: code)
        #expect(third.status == 409, "\(third.text)")
        #expect((third.object["error"] as? String)?.contains("attempts are used") == true)
        #expect(try await Self.submissions(server).count == 2)
    }

    @Test("after the due time answers are refused; reveal = always shows the figure")
    func dueAndReveal() async throws {
        let late = try await Self.start(try Self.course(due: "2020-01-01T00:00:00Z"))
        defer { Task { await late.stop() } }
        let refused = try await Self.send(late, "POST", "/api/exercises/1/answers", json: ["answers": ["df-dx": 1]], code: try Self.codes(late)["s1001"]!)
        #expect(refused.status == 409)
        #expect((refused.object["error"] as? String)?.contains("was due at 2020-01-01T00:00:00Z") == true, "\(refused.text)")
        await late.stop()

        let open = try await Self.start(try Self.course(reveal: "always"))
        defer { Task { await open.stop() } }
        let reply = try await Self.send(open, "POST", "/api/exercises/1/answers", json: ["answers": ["df-dx": 1]], code: try Self.codes(open)["s1001"]!)
        #expect(reply.status == 200)
        #expect((reply.object["report"] as? String)?.contains("the engine gives -4") == true, "\(reply.text)")
    }

    @Test("counts = \"best\": the teacher's gradebook takes each student's best attempt; an answer file naming a classmate is 403")
    func bestAndAnswerFiles() async throws {
        let server = try await Self.start(try Self.course(attempts: 3))
        defer { Task { await server.stop() } }
        let codes = try Self.codes(server)
        let q = try server.server.course.exercises(1).with { set -> Double in
            guard case .number(let value, _) = set.items.first(where: { $0.exercise.id == "q-value" })!.expected else { return .nan }
            return value
        }
        let better = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["answers": ["q-value": q]], code: codes["s1001"]!)
        let worse = try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["answers": ["q-value": q + 1]], code: codes["s1001"]!)
        #expect((better.object["grade"] as? [String: Any])?["points"] as? Double == 1)
        #expect((worse.object["grade"] as? [String: Any])?["points"] as? Double == 0)
        let book = try await Self.send(server, "GET", "/api/teacher/lessons/1/gradebook.json", token: Self.teacherToken)
        let rows = (try? JSONSerialization.jsonObject(with: book.body)) as? [[String: Any]] ?? []
        #expect(rows.count == 1 && rows.first?["points"] as? Double == 1, "\(book.text)")

        // An answer file (application/toml) sent by s1001 but naming s1002: 403, not stored.
        let file = "student = \"s1002\"\nlesson = 1\n[answers]\n\"q-value\" = \(Int(q))\n"
        let forged = try await server.request("POST", "/api/exercises/1/answers", body: Data(file.utf8),
                                              contentType: "application/toml", token: codes["s1001"]!)
        #expect(forged.status == 403, "\(forged.text)")
        #expect(try await Self.submissions(server).count == 2)
        // The exercise page says who is signed in; /api/me without a course is 404.
        let me = try await Self.send(server, "GET", "/api/me", code: codes["s1002"]!)
        #expect(me.object["student"] as? String == "s1002")
        #expect((me.object["assignments"] as? [[String: Any]])?.first?["counts"] as? String == "best")
    }

    @Test("attempts sent at once cannot pass the limit: one of eight is stored, the others are 409")
    func concurrentAttempts() async throws {
        let server = try await Self.start(try Self.course(attempts: 1))
        defer { Task { await server.stop() } }
        let code = try Self.codes(server)["s1002"]!
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await Self.send(server, "POST", "/api/exercises/1/answers", json: ["answers": ["q-value": 1]], code: code).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 409 }.count == 7, "\(statuses)")
        #expect(try await Self.submissions(server).count == 1)
    }

    @Test("without a course: /join is 404, /api/me says there is no course")
    func noCourse() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let me = try await server.request("GET", "/api/me")
        #expect(me.status == 200 && me.object["course"] is NSNull && me.object["student"] is NSNull, "\(me.text)")
        #expect(try await server.request("GET", "/join/abcdefabcdefabcdefabcdef").status == 404)
    }

    @Test("a wrong code many times from one address: 429")
    func rateLimited() async throws {
        let server = try await Self.start(try Self.course())
        defer { Task { await server.stop() } }
        var statuses: [Int] = []
        for attempt in 0..<30 {
            let reply = try await Self.send(server, "POST", "/api/sign-in", json: ["code": "not-a-code-\(attempt)-0123456789abcdef"])
            statuses.append(reply.status)
        }
        #expect(statuses.first == 401)
        #expect(statuses.last == 429, "\(statuses)")
        // The right code is refused too while the address is blocked: guessing cannot go on.
        let right = try await Self.send(server, "POST", "/api/sign-in", json: ["code": try Self.codes(server)["s1001"]!])
        #expect(right.status == 429)
    }

    @Test("a bad course file is refused with its place, before the server starts")
    func badCourseFile() async throws {
        let file = try Self.course()
        try (try String(contentsOfFile: file, encoding: .utf8)).replacingOccurrences(of: "counts = \"best\"", with: "counts = \"most\"")
            .write(toFile: file, atomically: true, encoding: .utf8)
        do { _ = try CourseFile(file: file); Issue.record("accepted counts = \"most\"") } catch {
            #expect(error.location?.line == 9, "\(error.what)")
            #expect(error.what.contains("'counts' must be"))
        }
    }

    @Test("due as a TOML offset date-time or an RFC 3339 string: the same instant")
    func dueTimes() throws {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let expected = utc.date(from: DateComponents(year: 2026, month: 12, day: 20, hour: 22, minute: 59))!
        for due in ["2026-12-20T23:59:00+01:00", "\"2026-12-20T23:59:00+01:00\"", "2026-12-20T22:59:00Z"] {
            let course = try CourseFile(file: try Self.course(due: due))
            #expect(course.assignment(1)?.due == expected, "\(due)")
            #expect(course.assignment(1)?.reveals(at: expected.addingTimeInterval(-1)) == false)
            #expect(course.assignment(1)?.reveals(at: expected) == true)
            #expect(course.students.map(\.id) == ["s1001", "s1002"] && course.students.first?.name == "Ada Lovelace")
        }
    }

    @Test("teachers from a file of their own: each token works, another does not; a bad line is refused with its place")
    func teacherFile() async throws {
        let file = try Self.course()
        let directory = (file as NSString).deletingLastPathComponent
        let tokens = ["first-teacher-token-0123456789", "second-teacher-token-0123456789"]
        try ("# course teachers\n" + tokens.enumerated().map { SignIn.digest($1) + " Teacher \($0)  # a comment" }.joined(separator: "\n") + "\n")
            .write(toFile: directory + "/teachers.txt", atomically: true, encoding: .utf8)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("teachers") }!
        try text.replacingOccurrences(of: line, with: "teachers = \"teachers.txt\"").write(toFile: file, atomically: true, encoding: .utf8)
        let server = try await Self.start(file)
        defer { Task { await server.stop() } }
        for token in tokens { #expect(try await Self.send(server, "GET", "/api/teacher/lessons/1/stats", token: token).status == 200) }
        #expect(try await Self.send(server, "GET", "/api/teacher/lessons/1/stats", token: Self.teacherToken).status == 401)
        try "abc Someone\n".write(toFile: directory + "/teachers.txt", atomically: true, encoding: .utf8)
        do { _ = try CourseFile(file: file); Issue.record("accepted a teacher line without a SHA-256") } catch {
            #expect(error.location?.file.hasSuffix("teachers.txt") == true && error.location?.line == 1, "\(error.what)")
        }
    }

    @Test("course reissue: the old code stops working, the new one is appended to sign-in.csv")
    func reissue() async throws {
        let courseFile = try Self.course()
        let server = try await Self.start(courseFile)
        defer { Task { await server.stop() } }
        let old = try Self.codes(server)["s1001"]!
        let signedIn = try await Self.send(server, "POST", "/api/sign-in", json: ["code": old])
        let session = String((signedIn.headers["set-cookie"] ?? "").split(separator: ";")[0])
        #expect(try await Self.send(server, "GET", "/api/me", cookie: session).status == 200)
        let new = try SignIn.reissue(student: "s1001", courseFile: courseFile, dataDirectory: server.dataDirectory)
        #expect(new != old)
        #expect(try Self.codes(server)["s1001"] == new)   // the later row wins
        let stale = try await Self.send(server, "GET", "/api/me", code: old)
        #expect(stale.status == 401)
        #expect(try await Self.send(server, "GET", "/api/me", cookie: session).status == 401)   // the old session ended too
        let fresh = try await Self.send(server, "GET", "/api/me", code: new)
        #expect(fresh.object["student"] as? String == "s1001")
    }
}
