#if os(Linux)
import Crypto
import Foundation
import Grading
import Testing
import TestSupport
@testable import Server

/// A graded class end to end (issue 26, item 6), in real headless Chromium, one browser (its own
/// profile, so its own cookies) per person: two students sign in (the header's form, a /join link),
/// see their own variants, cannot answer as each other, run out of attempts and see no engine figure
/// before the due time; the server is killed with SIGKILL under load and restarted on the same data
/// with the due time passed (the server has no clock to move: a second server reads the course file
/// again); then the figures show, the teacher downloads the course gradebook and reissues a code.
@Suite("serve --course: a class in Chromium, end to end", .serialized, .timeLimit(.minutes(4)))
struct CourseBrowserTests {
    static let open = "2099-01-01T00:00:00Z", closed = "2020-01-01T00:00:00Z"

    /// Lesson 1: two attempts, figures after the due time; lesson 2: already past due; lesson 3: open, for the load.
    static func writeCourse(_ file: String, lesson1Due: String) throws {
        let hash = SHA256.hash(data: Array(CourseTests.teacherToken.utf8)).map { String(format: "%02x", $0) }.joined()
        try """
            name = "Backprop, end to end"
            roster = "roster.csv"
            teachers = [ { name = "Grace", token_sha256 = "\(hash)" } ]
            secret_file = "course.secret"

            [[assignment]]
            lesson = 1
            due = \(lesson1Due)
            attempts = 2
            counts = "best"
            reveal = "after-due"

            [[assignment]]
            lesson = 2
            due = \(closed)

            [[assignment]]
            lesson = 3
            due = \(open)
            """.write(toFile: file, atomically: true, encoding: .utf8)
    }

    @Test("two students and a teacher, through SIGKILL and past the due time", .enabled(if: HeadlessChromium.isAvailable))
    func aClass() async throws {
        setenv("BACKPROP_LESSONS", TestServer.packageRoot.appendingPathComponent("lessons").path, 1)
        let directory = try temporaryDirectory()
        // Canvas's export as the roster: Canvas's import needs its ids, and Moodle's format takes the roster's id column.
        try "Student,ID,SIS User ID,SIS Login ID,Section\nAda Lovelace,101,s1001,ada,A\nAlan Turing,102,s1002,alan,A\n"
            .write(toFile: directory + "/roster.csv", atomically: true, encoding: .utf8)
        // A fixed secret (0600), so that the two students' variants differ the same way every run.
        _ = FileManager.default.createFile(atPath: directory + "/course.secret", contents: Data((String(repeating: "5a", count: 32) + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        let file = directory + "/course.toml"
        try Self.writeCourse(file, lesson1Due: Self.open)
        let variants = try #require(try CourseFile(file: file).variants())
        let course = try Course()
        let (setA, setB) = (try variants.exercises(try course.lesson(1), student: "s1001"), try variants.exercises(try course.lesson(1), student: "s1002"))
        try #require(setA.inputsText != setB.inputsText)
        let data = try temporaryDirectory()
        let first = try Self.serve(data: data, course: file)
        var firstRunning = true
        defer { if firstRunning { first.stop() } }
        let codes = try Self.codes(data)
        let teacher = CourseTests.teacherToken

        // A signs in with the header's form (the code typed); B opens the /join link, in another browser.
        let browserA = try HeadlessChromium(opening: first.base.appendingPathComponent("lessons"), timeout: 300)
        defer { browserA.close() }
        let a = Page(browser: browserA)
        try a.waitFor("document.getElementById('sign-in-code') !== null")
        try a.type("sign-in-code", codes["s1001"]!)
        _ = try browserA.evaluate("document.getElementById('sign-in').requestSubmit()")
        try a.waitFor("document.getElementById('account').textContent.includes('Signed in as s1001 (Ada Lovelace)')")
        let browserB = try HeadlessChromium(opening: first.base.appendingPathComponent("join/" + codes["s1002"]!), timeout: 300)
        defer { browserB.close() }
        let b = Page(browser: browserB)
        try b.waitFor("location.pathname === '/lessons' && document.getElementById('account').textContent.includes('Signed in as s1002 (Alan Turing)')")

        // Each sees their own program inputs on /exercises/1.
        for (page, student, set) in [(a, "s1001", setA), (b, "s1002", setB)] {
            try page.go("/exercises/1", until: "document.getElementById('course').textContent.includes('signed in as \(student)') && document.querySelector('#exercise-q-value input') !== null")
            #expect(try page.string("document.getElementById('at').textContent") == "The program, at \(set.inputsText):")
            #expect(try page.string("document.getElementById('variant').textContent").hasPrefix("Your own variant"))
        }

        // A cannot answer as B: a crafted request from A's page naming B is 403, and nothing is stored.
        let crafted = try browserA.evaluate("""
            fetch('/api/exercises/1/answers', { method: 'POST', headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ student: 's1002', answers: { 'q-value': 1 } }) }).then(r => r.text().then(t => r.status + ' ' + t))
            """, awaitPromise: true) as? String ?? ""
        #expect(crafted.hasPrefix("403 ") && crafted.contains("you are signed in as 's1001'"), "\(crafted)")
        #expect(try await Self.stored(first, lesson: 1).isEmpty)

        // A answers: one exercise right, one wrong, whose figure (A's variant) is not on the page before.
        let beforeText = try a.string(Self.shownText)
        let before = VariantServerTests.numbers(beforeText)
        let figures = VariantServerTests.answers(setA)
        let numbered = setA.items.compactMap { item -> (id: String, value: Double)? in
            guard case .number(let value, _) = item.expected else { return nil }
            return (item.exercise.id, value)
        }.filter { candidate in candidate.id != "df-dx" && !before.contains { abs($0 - candidate.value) < 1e-9 } }
        try #require(numbered.count >= 2, "lesson 1 has too few number exercises whose figure is not on the page already: \(setA.inputsText), \(figures), page: \(beforeText)")
        let (right, wrong) = (numbered[0], numbered[1])
        // Every figure of A's variant that is not on the page before it is answered: none may appear after a wrong answer.
        let hidden = figures.filter { figure in figure.id != right.id && !before.contains { abs($0 - figure.value) <= max(figure.tolerance, 1e-9) } }
        _ = try browserA.evaluate("""
            (() => { window.sent = []; const original = window.fetch;
              window.fetch = (url, options) => { if (options && options.body) window.sent.push(options.body); return original(url, options); }; return true; })()
            """)
        var points: [Int] = []
        for (attempt, offset) in [(1, 5.0), (2, 7.0)] {
            // df-dx = 1 is a mistake the lesson names ("missing upstream gradient"): its hint shows, the figure does not.
            let typed = [attempt == 1 ? right.value : right.value + offset, wrong.value + offset, 1]
            try a.fill("#exercise-\(right.id) input", Self.text(typed[0]))
            try a.fill("#exercise-\(wrong.id) input", Self.text(typed[1]))
            try a.fill("#exercise-df-dx input", "1")
            _ = try browserA.evaluate("document.getElementById('total').textContent = ''")
            try a.click("send")
            try a.waitFor("/\\(attempt \\d+\\)$/.test(document.getElementById('total').textContent) && window.sent.length === \(attempt)")
            #expect(try a.string("document.querySelector('#exercise-\(wrong.id) .feedback').dataset.verdict") == "wrong")
            let feedback = try a.string("document.querySelector('#exercise-\(wrong.id) .feedback').textContent")
            #expect(feedback.hasPrefix("✗ 0/") && feedback.split(separator: "—").last.map { $0.trimmingCharacters(in: .whitespaces).count > 10 } == true,
                    "a wrong answer gets its verdict and the mistake's hint: \(feedback)")
            #expect(!feedback.contains("the engine"), "\(feedback)")
            let hint = try a.string("document.querySelector('#exercise-df-dx .feedback').textContent")
            #expect(hint.hasPrefix("✗ 0/2") && hint.contains("multiply it by the upstream gradient ∂f/∂q") && !hint.contains("the engine"), "\(hint)")
            let shown = VariantServerTests.numbers(try a.string(Self.shownText))
            // (A figure equal to a number A typed, or to the right answer's, may show as that number.)
            let unseen = hidden.filter { figure in !(typed + [right.value]).contains { abs($0 - figure.value) <= max(figure.tolerance, 1e-9) } }
            #expect(unseen.contains { $0.id == wrong.id })
            for figure in unseen where shown.contains(where: { abs($0 - figure.value) <= max(figure.tolerance, 1e-9) }) {
                Issue.record("attempt \(attempt): A's page shows \(figure.value), the engine's answer to \(figure.id)")
            }
            let body = try a.string("window.sent[window.sent.length - 1]")
            #expect(body.contains("\"answers\"") && !body.contains("\"student\""), "the form names no student: \(body)")
            let total = try a.string("document.getElementById('total').textContent")
            points.append(Int(total.dropFirst("total ".count).prefix { $0.isNumber }) ?? -1)
            if attempt == 1 {
                #expect(try a.string("document.querySelector('#exercise-\(right.id) .feedback').dataset.verdict") == "right")
                if ProcessInfo.processInfo.environment["BACKPROP_RECORD_SCREENSHOTS"] == "1" {
                    try browserA.settle()
                    try browserA.screenshot(fullPage: true).write(to: URL(fileURLWithPath: NSTemporaryDirectory() + "course-e2e-student.png"))
                }
            }
        }
        #expect(points[0] > points[1], "the right answer earned points: \(points)")
        // The third attempt is refused with the reason, and not stored.
        try a.click("send")
        try a.waitFor("document.getElementById('status').textContent.includes('all 2 attempts are used')")
        #expect(try await Self.stored(first, lesson: 1).count == 2)
        // Lesson 2 was due already: refused, with the time.
        try a.go("/exercises/2", until: "document.getElementById('course').textContent.includes('signed in as s1001') && document.querySelectorAll('#items fieldset').length > 0")
        try a.click("send")
        try a.waitFor("document.getElementById('status').textContent.includes('lesson 2 was due at 2020-01-01T00:00:00Z')")

        // B answers through the form: right on `right.id` for B's own variant.
        let rightB = try #require(setB.item(right.id)).expected
        guard case .number(let valueB, _) = rightB else { Issue.record("\(right.id) is not a number for B"); return }
        try b.fill("#exercise-\(right.id) input", Self.text(valueB))
        try b.click("send")
        try b.waitFor("document.querySelector('#exercise-\(right.id) .feedback').dataset.verdict === 'right'")
        let totalB = try b.string("document.getElementById('total').textContent")
        let pointsB = Int(totalB.dropFirst("total ".count).prefix { $0.isNumber }) ?? -1
        // Before the due time the course gradebook, whose feedback Moodle shows the students, holds no figure either.
        let early = try await first.request("GET", "/api/teacher/gradebook.csv?format=moodle", teacher: true)
        #expect(early.status == 200 && !early.text.contains("the engine"), "\(early.text)")

        // SIGKILL under load: both students answer lesson 3 with their codes from 8 clients; a second server on the same
        // data (lesson 1 now past due) lists every acknowledged attempt, and the browsers' sessions still hold.
        let lesson3 = try variants.exercises(try course.lesson(3), student: "s1001")
        let id3 = try #require(lesson3.items.first { if case .number = $0.expected { true } else { false } }).exercise.id
        let acked = try await Self.killUnderLoad(first, codes: [codes["s1001"]!, codes["s1002"]!],
                                                 body: try JSONSerialization.data(withJSONObject: ["answers": [id3: 1]]))
        firstRunning = false
        #expect(acked.count >= 20, "too few attempts acknowledged before the kill to test anything: \(acked.count)")
        try Self.writeCourse(file, lesson1Due: Self.closed)
        let second = try Self.serve(data: data, course: file)
        defer { second.stop() }
        let kept = Set(try await Self.stored(second, lesson: 3).compactMap { $0["attempt"] as? Int })
        #expect(Set(acked).subtracting(kept).isEmpty, "acknowledged but lost: \(Set(acked).subtracting(kept).sorted().prefix(10))")
        #expect(try await Self.stored(second, lesson: 1).count == 3)

        // After the due time: A, still signed in, is refused with the reason; the figures show in the gradebook.
        try a.visit(second.base, "/exercises/1", until: "document.getElementById('course').textContent.includes('signed in as s1001') && document.querySelector('#exercise-q-value input') !== null")
        try a.fill("#exercise-\(wrong.id) input", Self.text(wrong.value + 1))
        try a.click("send")
        try a.waitFor("document.getElementById('status').textContent.includes('lesson 1 was due at 2020-01-01T00:00:00Z')")

        // The teacher (in A's browser: the token is what counts) sees both students and downloads the course gradebook.
        try a.go("/teacher", until: "document.querySelectorAll('#lesson option').length > 0")
        try a.type("token", teacher)
        try a.click("load")
        try a.waitFor("document.querySelectorAll('#students tr').length === 3")
        #expect(Double(try a.string("document.querySelector('#students tr:nth-child(2) td:nth-child(3)').textContent")) == Double(points.max()!))
        #expect(Double(try a.string("document.querySelector('#students tr:nth-child(3) td:nth-child(3)').textContent")) == Double(pointsB))
        let title = try course.lesson(1).title
        for format in ["moodle", "canvas"] {
            try a.click("course-\(format)")
            let reply = try await second.request("GET", "/api/teacher/gradebook.csv?format=\(format)", teacher: true)
            try #require(reply.status == 200, "\(reply.text)")
            try a.waitFor("document.getElementById('gradebook').textContent === \(Self.literal(reply.text))")
            let rows = Self.csv(reply.text)
            let column = try #require(rows.first?.firstIndex { $0.contains(title) && !$0.hasPrefix("Feedback") }, "\(format): no column for lesson 1 in \(rows.first ?? [])")
            for (student, expected) in [("s1001", points.max()!), ("s1002", pointsB)] {
                let row = try #require(rows.first { $0.contains(student) }, "\(format): no row for \(student)")
                #expect(Double(row[column]) == Double(expected), "\(format), \(student): \(row)")
            }
            if format == "moodle" {
                // Moodle's feedback column: now that lesson 1 is past due, A's wrong answer names the engine's figure.
                let feedback = try #require(rows.first { $0.first == "s1001" }?.first { $0.contains(wrong.id) && $0.contains("the engine") }, "\(rows)")
                #expect(VariantServerTests.numbers(feedback).contains { abs($0 - wrong.value) < 1e-9 }, "\(feedback)")
            }
        }
        if ProcessInfo.processInfo.environment["BACKPROP_RECORD_SCREENSHOTS"] == "1" {
            try browserA.settle()
            try browserA.screenshot(fullPage: true).write(to: URL(fileURLWithPath: NSTemporaryDirectory() + "course-e2e-teacher.png"))
        }

        // The teacher reissues B's code: B's session and old code stop working, the new code works.
        for _ in 0..<2 { _ = try browserA.evaluate("document.querySelector('#students button[data-reissue=\"s1002\"]').click()") }
        try a.waitFor("document.getElementById('reissued').textContent.startsWith('New sign-in code for s1002: ')")
        let reissued = try a.string("document.getElementById('reissued').textContent").split(separator: "\n")[0].split(separator: " ").last.map(String.init) ?? ""
        try b.visit(second.base, "/exercises/1", until: "document.getElementById('course').textContent.startsWith('This course needs you to sign in')")
        #expect(try await HTTPReply.send("GET", second.base.absoluteString + "api/me", token: codes["s1002"]!).status == 401)
        let join = try await HTTPReply.send("GET", second.base.absoluteString + "join/" + codes["s1002"]!, followRedirects: false)
        #expect(join.status != 303 && join.headers["set-cookie"] == nil, "the old code still signs in: \(join.status)")
        #expect(try await HTTPReply.send("GET", second.base.absoluteString + "api/me", token: reissued).object["student"] as? String == "s1002")
        // Chromium logs every 4xx as a failed load: 401 (/api/me before sign-in), 403 (the crafted answer), 409 (refusals) are on purpose.
        for browser in [browserA, browserB] {
            let errors = browser.consoleErrors.filter { line in !["401", "403", "409"].contains { line.contains("status of \($0)") } }
            #expect(errors.isEmpty, "the pages logged errors: \(errors)")
        }
    }

    /// The page's text as a reader sees it, without the scripts and the points: each exercise's "(2 points)", the running
/// total and each feedback's "✗ 0/1 — ".
    /// The page's text as a student reads it, less the total and "Your attempts" (#mine, filled a moment after each
    /// answer): those list A's own points per exercise (1/1, 0/2), which equal small answers such as ∂q/∂x = 1 by
    /// chance; what #mine may show before the due time is held by OwnAttemptsTests and BrowserTests.
    static let shownText = """
        (() => { const copy = document.body.cloneNode(true); copy.querySelectorAll('script, style, #total, #mine').forEach(node => node.remove());
          copy.querySelectorAll('legend').forEach(node => { node.textContent = node.textContent.replace(/ \\(\\d+ points?\\)$/, ''); });
          copy.querySelectorAll('.feedback').forEach(node => { const text = node.textContent, at = text.indexOf(' — '); node.textContent = at < 0 ? text : text.slice(at + 3); });
          return copy.textContent; })()
        """

    static func serve(data: String, course: String) throws -> ServerProcess {
        let started = try Backprop.serve(data: data, tokenFile: nil, extra: ["--course", course])
        return ServerProcess(base: URL(string: started.url)!, token: CourseTests.teacherToken, process: started.process, data: data)
    }

    static func codes(_ data: String) throws -> [String: String] {
        let text = try String(contentsOfFile: data + "/sign-in.csv", encoding: .utf8)
        return Dictionary(text.split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: ",").map(String.init); return (fields[0], fields[2])
        }, uniquingKeysWith: { _, later in later })
    }

    /// Every stored attempt of a lesson, following `next` to the end.
    static func stored(_ server: ServerProcess, lesson: Int) async throws -> [[String: Any]] {
        var all: [[String: Any]] = [], query = ""
        while true {
            let reply = try await server.request("GET", "/api/teacher/lessons/\(lesson)/submissions" + query, teacher: true)
            try #require(reply.status == 200, "\(reply.text)")
            all += reply.object["submissions"] as? [[String: Any]] ?? []
            guard let next = reply.object["next"] as? Int else { return all }
            query = "?before=\(next)"
        }
    }

    /// Answers from 8 clients (alternating the codes) until at least 20 are acknowledged (a minute at most), then SIGKILL;
    /// returns the acknowledged attempts' ids.
    static func killUnderLoad(_ server: ServerProcess, codes: [String], body: Data) async throws -> [Int] {
        let load = Load()
        let url = server.base.absoluteString + "api/exercises/3/answers"
        let pid = server.process.processIdentifier
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    while !load.stop.load(ordering: .relaxed) {
                        guard let reply = try? await HTTPReply.send("POST", url, body: body, contentType: "application/json", token: codes[client % codes.count]),
                              reply.status == 200, let id = reply.object["attempt"] as? Int else { continue }
                        load.acknowledged.withLock { $0.append(id) }
                    }
                }
            }
            group.addTask {
                let patience = Date().addingTimeInterval(60)
                while load.acknowledged.withLock({ $0.count }) < 20 && Date() < patience { try await Task.sleep(for: .milliseconds(20)) }
                kill(pid, SIGKILL)
                try await Task.sleep(for: .milliseconds(300))
                load.stop.store(true, ordering: .relaxed)
            }
            try await group.waitForAll()
        }
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .uncaughtSignal)
        return load.acknowledged.withLock { $0 }
    }

    /// A number as a student types it.
    static func text(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value) }

    static func literal(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }

    /// RFC 4180 rows (quoted fields, doubled quotes, CRLF).
    static func csv(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var characters = Array(text).makeIterator()
        var pending: Character?
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character != "\"" { field.append(character) } else if let next = characters.next() {
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else { quoted = false }
            } else if character == "\"" { quoted = true }
            else if character == "," { row.append(field); field = "" }
            else if character == "\r\n" || character == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else if character != "\r" { field.append(character) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

extension Page {
    /// Opens `path` on another server (the same host: the browser's cookies go with it) and waits for `condition`.
    func visit(_ base: URL, _ path: String, until condition: String) throws {
        let url = base.absoluteString + path.dropFirst()
        _ = try browser.evaluate("location.href = '\(url)'")
        try waitFor("location.href === '\(url)' && document.readyState === 'complete' && \(condition)")
    }
}
#endif
