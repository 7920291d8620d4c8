#if os(Linux)
import Foundation
import Testing
import TestSupport
@testable import Server

/// The server as people use it, in a real headless Chromium: type a program, see the drawing, step,
/// check a claim, answer a sheet, then as the teacher see the class and download the gradebook.
@Suite("serve: in Chromium", .serialized, .timeLimit(.minutes(3)))
struct BrowserTests {
    /// `make test` installs Chromium, so its absence is a failure, not a silent skip.
    @Test("Chromium is installed")
    func chromiumIsInstalled() {
        #expect(HeadlessChromium.isAvailable, "no Chromium at \(HeadlessChromium.executable): run `make deps` (apt-get install chromium)")
    }

    @Test("playground, exercises and the teacher's view", .enabled(if: HeadlessChromium.isAvailable))
    func classroom() async throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let browser = try HeadlessChromium(opening: server.base, timeout: 300)
        defer { browser.close() }
        let page = Page(browser: browser)

        // The playground opens on f = (x + y) z, drawn by libgvc into the stepper.
        try page.waitFor("document.getElementById('stepper').contentDocument?.querySelector('svg') != null")
        try page.waitFor("document.getElementById('value').textContent === 'f = -12'")
        #expect(try page.string("document.getElementById('gradients').textContent") == "∂f/∂x = -4\n∂f/∂y = -4\n∂f/∂z = 3")

        // → and ← step through the frames (the keys go to the playground, which drives the stepper).
        try page.blur()
        for _ in 0..<3 { try browser.press(.arrowRight) }
        try page.waitFor("document.getElementById('stepper').contentDocument.getElementById('step').textContent === '3'")
        try browser.press(.arrowLeft)
        try page.waitFor("document.getElementById('stepper').contentDocument.getElementById('step').textContent === '2'")

        // Check a claim: the report of `backprop check`.
        try page.type("claim", "df/dx = z")
        try page.click("check")
        try page.waitFor("document.getElementById('report').textContent.endsWith('the claim is right')")
        let cli = try Backprop.run(["check", "q = x + y; f = q * z", "--at", "x=-2,y=5,z=-4", "--claim", "df/dx = z"])
        #expect(try page.string("document.getElementById('report').textContent") + "\n" == cli.stdout)
        if ProcessInfo.processInfo.environment["BACKPROP_RECORD_SCREENSHOTS"] == "1" {
            try page.blur()
            for _ in 0..<3 { try browser.press(.arrowRight) }   // into the backward pass
            try browser.settle()
            try browser.screenshot().write(to: TestServer.packageRoot.appendingPathComponent("docs/serve-playground.png"))
        }

        // Type a program of one's own: the value and the drawing follow.
        try page.type("program", "a = x * y; f = a + 3")
        try page.type("at", "x=2,y=5")
        try page.waitFor("document.getElementById('value').textContent === 'f = 13'")
        try page.waitFor("document.getElementById('stepper').dataset.drawn === 'a = x * y; f = a + 3'")
        // Stepping forward reaches f's step, narrated with its value.
        try page.blur()
        let narration = "document.getElementById('stepper').contentDocument.getElementById('narration').textContent"
        for _ in 0..<10 where try !page.string(narration).contains("13") { try browser.press(.arrowRight) }
        #expect(try page.string(narration).contains("= 13"))
        // A mistake shows under the editor at its line:column as one types.
        let broken = "a = x * y; f = a + 3 + zz"
        try page.type("program", broken)
        let column = broken.distance(from: broken.startIndex, to: broken.range(of: "zz")!.lowerBound) + 1
        try page.waitFor("document.getElementById('errors').dataset.column === '\(column)'")
        #expect(try page.string("document.getElementById('errors').textContent").hasPrefix("1:\(column): error: no value for input 'zz'"))
        try page.type("program", "a = x * y; f = a + 3")
        try page.waitFor("document.getElementById('errors').textContent === ''")

        // A student answers lesson 1's sheet and gets feedback on each exercise.
        try page.go("/exercises/1", until: "document.querySelector('#exercise-q-value input') !== null")
        let name = "<img src=x onerror=\"window.injected=1\">Ada & Bob"
        try page.type("student", "s42")
        try page.type("name", name)
        try page.fill("#exercise-q-value input", "3")
        try page.fill("#exercise-df-dq input", "-3")
        try page.fill("#exercise-df-dq-formula input", "z")
        try page.click("send")
        try page.waitFor("document.querySelector('#exercise-q-value .feedback').dataset.verdict === 'right'")
        #expect(try page.string("document.querySelector('#exercise-df-dq .feedback').dataset.verdict") == "wrong")
        #expect(try page.string("document.querySelector('#exercise-df-dq-formula .feedback').dataset.verdict") == "right")
        #expect(try page.string("document.getElementById('total').textContent").hasPrefix("total 2/"))

        // Two more students, with ids the page must encode and the server decode.
        for student in ["Ada Lovelace", "ada@uni.example"] {
            let sent = try await HTTPReply.send("POST", server.base.absoluteString + "api/exercises/1/answers", json: ["student": student, "answers": ["q-value": 3]])
            #expect(sent.status == 200)
        }

        // The teacher sees the class, newest first, a page (of one here) at a time, the student's feedback, and downloads the gradebook.
        try page.go("/teacher", until: "document.querySelectorAll('#lesson option').length > 0")
        try browser.evaluate("history.replaceState(null, '', '/teacher?page=1')")
        try page.type("token", server.token)
        try page.click("load")
        try page.waitFor("document.querySelectorAll('#submissions tr').length === 2 && !document.getElementById('more').hidden")
        #expect(try page.string("document.querySelector('#submissions tr:nth-child(2) td:nth-child(3)').textContent") == "ada@uni.example")
        try page.click("more")
        try page.waitFor("document.querySelectorAll('#submissions tr').length === 3")
        try page.click("more")
        try page.waitFor("document.querySelectorAll('#submissions tr').length === 4 && document.getElementById('more').hidden")
        #expect(try page.string("document.querySelector('#submissions tr:nth-child(3) td:nth-child(3)').textContent") == "Ada Lovelace")
        #expect(try page.string("document.querySelector('#submissions tr:nth-child(4) td:nth-child(4)').textContent") == name)
        #expect(try browser.evaluate("document.querySelectorAll('img').length === 0 && window.injected === undefined") as? Bool == true,
                "a student's name must show as text, never as HTML")
        #expect(try page.string("document.querySelector('#stats tr:nth-child(2) td:nth-child(1)').textContent") == "q-value")
        // The newest row's id has an `@`, the next a space: both are looked up.
        try browser.evaluate("document.querySelector('#submissions a').click()")
        try page.waitFor("document.getElementById('feedback').textContent.includes('✓ q-value')")
        try browser.evaluate("document.querySelector('#submissions tr:nth-child(3) a').click()")
        try page.waitFor("document.getElementById('feedback').textContent.includes('Ada Lovelace')")
        try page.click("download")
        try page.waitFor("document.getElementById('gradebook').textContent.length > 0")
        let csv = try await server.request("GET", "/api/teacher/lessons/1/gradebook.csv", teacher: true)
        #expect(try page.string("document.getElementById('gradebook').textContent") == csv.text)
        #expect(csv.text.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("s42,") })
        // Chromium logs every 4xx reply as a failed load; the program typed with a mistake got its 400 on purpose.
        let errors = browser.consoleErrors.filter { !$0.contains("the server responded with a status of 400") }
        #expect(errors.isEmpty, "the pages logged errors: \(errors)")
    }

    @Test("a course: two students open their /join links, answer as themselves, and see no engine figure before the due time",
          .enabled(if: HeadlessChromium.isAvailable))
    func course() async throws {
        setenv("BACKPROP_LESSONS", TestServer.packageRoot.appendingPathComponent("lessons").path, 1)
        let figure = try Course().exercises(1).with { set -> Double in
            guard case .number(let value, _) = set.items.first(where: { $0.exercise.id == "df-dx" })!.expected else { return .nan }
            return value
        }
        let server = try ServerProcess.start(course: try CourseTests.course(), token: CourseTests.teacherToken)
        defer { server.stop() }
        let text = try String(contentsOfFile: server.data + "/sign-in.csv", encoding: .utf8)
        let codes = Dictionary(uniqueKeysWithValues: text.split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: ",").map(String.init); return (fields[0], fields[2])
        })
        let browser = try HeadlessChromium(opening: server.base, timeout: 300)
        defer { browser.close() }
        let page = Page(browser: browser)
        for student in ["s1001", "s1002"] {
            _ = try browser.evaluate("location.href = '/join/\(codes[student]!)'")
            try page.waitFor("location.pathname === '/lessons' && document.readyState === 'complete'")
            try page.go("/exercises/1", until: "document.getElementById('course').textContent.includes('signed in as \(student)') && document.querySelector('#exercise-df-dx input') !== null")
            #expect(try page.string("document.getElementById('student').value") == student)
            #expect(try browser.evaluate("document.getElementById('student').readOnly") as? Bool == true)
            try page.fill("#exercise-df-dx input", String(Int(figure) + 5))
            try page.click("send")
            try page.waitFor("document.querySelector('#exercise-df-dx .feedback').dataset.verdict === 'wrong'")
            let feedback = try page.string("document.querySelector('#exercise-df-dx .feedback').textContent")
            #expect(!feedback.contains("the engine") && !feedback.contains(String(Int(figure))), "\(feedback)")
            // "Your attempts": this attempt, listed from /api/me/attempts, without the figure before the due time.
            try page.waitFor("!document.getElementById('mine').hidden && document.querySelectorAll('#attempts li').length === 1")
            let mine = try page.string("document.getElementById('mine').textContent")
            #expect(mine.contains("Your attempts") && mine.contains("df-dx") && !mine.contains("the engine gives"), "\(mine)")
        }
        let submissions = try await server.request("GET", "/api/teacher/lessons/1/submissions", teacher: true)
        let students = (submissions.object["submissions"] as? [[String: Any]] ?? []).compactMap { $0["student"] as? String }
        #expect(students.sorted() == ["s1001", "s1002"], "\(submissions.text)")

        // Sign out from the header, then sign in with the form: the code typed, no link needed.
        try page.go("/lessons", until: "document.getElementById('sign-out') !== null")
        try page.click("sign-out")
        try page.waitFor("document.getElementById('sign-in-code') !== null")
        try page.type("sign-in-code", codes["s1001"]!)
        _ = try browser.evaluate("document.getElementById('sign-in').requestSubmit()")
        try page.waitFor("document.getElementById('account').textContent.includes('Signed in as s1001 (Ada Lovelace)')")

        // The teacher: every roster student with their grade, the course gradebook in Moodle's format,
        // a student's history, and a new code for a student in two clicks.
        try page.go("/teacher", until: "document.querySelectorAll('#lesson option').length > 0")
        try page.type("token", server.token)
        try page.click("load")
        try page.waitFor("document.querySelectorAll('#students tr').length === 3")
        #expect(try page.string("document.querySelector('#students tr:nth-child(2) td:nth-child(1)').textContent") == "s1001")
        try page.click("course-moodle")
        try page.waitFor("document.getElementById('gradebook').textContent.startsWith('ID number,Full name,')")
        let moodle = try await server.request("GET", "/api/teacher/gradebook.csv?format=moodle", teacher: true)
        #expect(try page.string("document.getElementById('gradebook').textContent") == moodle.text)
        _ = try browser.evaluate("document.querySelector('#students button[data-student=\"s1002\"]').click()")
        try page.waitFor("document.querySelectorAll('#history tr').length === 2 && document.getElementById('history-title').textContent.includes('s1002')")
        for _ in 0..<2 { _ = try browser.evaluate("document.querySelector('#students button[data-reissue=\"s1002\"]').click()") }
        try page.waitFor("document.getElementById('reissued').textContent.startsWith('New sign-in code for s1002: ')")
        let reissued = try String(contentsOfFile: server.data + "/sign-in.csv", encoding: .utf8).split(separator: "\n").last ?? ""
        #expect(try page.string("document.getElementById('reissued').textContent").contains(String(reissued.split(separator: ",")[2])))
        if ProcessInfo.processInfo.environment["BACKPROP_RECORD_SCREENSHOTS"] == "1" {
            try browser.settle()
            try browser.screenshot(fullPage: true).write(to: TestServer.packageRoot.appendingPathComponent("docs/serve-teacher.png"))
        }
        // Chromium logs every 4xx as a failed load: /api/me answers 401 on purpose to a browser not signed in.
        let errors = browser.consoleErrors.filter { !$0.contains("the server responded with a status of 401") }
        #expect(errors.isEmpty, "the pages logged errors: \(errors)")
    }
}

/// Small steps on a page, each a real edit or click, each waited for with a deadline.
struct Page {
    let browser: HeadlessChromium

    /// Waits until the JavaScript condition holds (20 s at most).
    func waitFor(_ condition: String) throws {
        let deadline = Date().addingTimeInterval(90)
        while try holds(condition) != true {
            guard Date() < deadline else { throw TestFailure("timed out waiting for: \(condition)") }
            usleep(50_000)
        }
    }

    /// Evaluates the condition; false while the page is being replaced (a redirect such as
    /// /join/CODE → /lessons ends the document an evaluation started in, and Chromium says
    /// "Inspected target navigated or closed"; the next poll reads the new page).
    private func holds(_ condition: String) throws -> Bool {
        do {
            return try browser.evaluate("(() => { try { return \(condition); } catch (e) { return false; } })()") as? Bool == true
        } catch where "\(error)".contains("Inspected target navigated or closed") {
            return false
        }
    }

    func string(_ expression: String) throws -> String { try browser.evaluate(expression) as? String ?? "" }

    /// Replaces the text of the field `id` as typing would (the editing commands fire `input` events).
    func type(_ id: String, _ text: String) throws {
        try fill("#" + id, text)
    }

    func fill(_ selector: String, _ text: String) throws {
        let literal = String(decoding: try JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast()
        _ = try browser.evaluate("(() => { const field = document.querySelector('\(selector)'); field.focus(); field.select(); return document.execCommand('insertText', false, \(literal)); })()")
    }

    func click(_ id: String) throws { _ = try browser.evaluate("document.getElementById('\(id)').click()") }
    func blur() throws { _ = try browser.evaluate("document.activeElement && document.activeElement.blur()") }

    /// Follows a link to `path` and waits until the new page satisfies `condition`.
    func go(_ path: String, until condition: String) throws {
        _ = try browser.evaluate("location.href = '\(path)'")
        try waitFor("location.pathname === '\(path)' && document.readyState === 'complete' && \(condition)")
    }
}
#endif
