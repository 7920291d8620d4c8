import Foundation
import Grading
import Lessons
import Testing
@testable import Server

/// `serve --course` with every lesson an assignment whose figures are not revealed yet: for two
/// students, no page the server gives them — the lesson page `/lessons/N` and `/api/lessons/N`, the
/// form `/api/exercises/N`, the sheet `/exercises/N/sheet`, the lesson list's titles and sources —
/// holds an answer of that student's variant. The teacher still gets the full page, and so does
/// everyone once the figures are revealed (`reveal = "always"`, or after the due time).
///
/// How answers are looked for (the design of `VariantSheetTests`): every number written (thousands
/// with commas too, "1,168"). A numeric answer (a number, a tensor's entries, a blank, a count, a
/// formula's value at the point) that equals, to its grading tolerance, a number the question itself
/// gives — the student's sheet without its heading and its "From the notes" line — is *given* and
/// skipped: this is where trivially common values such as 0, 1, 0.5 and 3 go. Every other answer is
/// *checked*. So that the check cannot pass by reading nothing, each checked answer must be found by
/// the same reader on the teacher's sheet of that variant, at least half of all answers must be
/// checked, and the same reader must find checked answers on the full pages of the lessons whose
/// exercises do not vary — the leak the held-back page prevents. A shape answer is looked for as
/// text in the titles ("32·7·7", "32 × 7 × 7", "[32, 7, 7]").
@Suite("serve --course: no lesson page, sheet or title shows a student their answers", .serialized)
struct LessonLeakTests {
    /// A course of two students with a secret, every lesson with exercises an assignment.
    static func course(assignments: (Int) -> String) throws -> String {
        let file = try VariantServerTests.course()
        var text = try String(contentsOfFile: file, encoding: .utf8)
        text = String(text[..<text.range(of: "[[assignment]]")!.lowerBound])
        for lesson in ((try? LessonLibrary.all()) ?? []).filter({ !$0.exercises.isEmpty }).map(\.number) { text += "[[assignment]]\nlesson = \(lesson)\n\(assignments(lesson))\n\n" }
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Numbers as a page writes them: `-1.5`, `2e-3`, and `1,168` (thousands).
    static func numbers(_ text: String) -> [Double] {
        let pattern = try! NSRegularExpression(pattern: #"(?<![\p{L}_\d.,])-?(\d{1,3}(,\d{3})+|\d+(\.\d+)?(e[-+]?\d+)?)"#)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).flatMap { Double(text[$0].replacingOccurrences(of: ",", with: "")) }
        }
    }

    /// `formula`: the value of a formula answer at the point, which the teacher's sheet does not print
    /// (it gives the formula); looked for to half a unit in its 3rd significant digit.
    struct Answer { let id: String; let value: Double; let tolerance: Double; var formula = false }

    /// Every numeric answer of `set`, and each shape answer's ways of being written.
    static func answers(_ set: ExerciseSet) -> (numbers: [Answer], shapes: [String]) {
        var numbers = VariantServerTests.answers(set).map { Answer(id: $0.id, value: $0.value, tolerance: $0.tolerance) }
        var shapes: [String] = []
        for item in set.items {
            switch item.expected {
            case .count(let count, _): numbers.append(Answer(id: item.exercise.id, value: Double(count), tolerance: 0.5))
            case .formula(let formula):
                numbers += formula.engine.storage.map { value in
                    let digit = value == 0 ? 1e-12 : 0.5 * pow(10, (log10(abs(value))).rounded(.down) - 2)
                    return Answer(id: item.exercise.id, value: value, tolerance: digit, formula: true)
                }
            case .shape(let shape) where shape.count > 1:
                let entries = shape.map(String.init)
                shapes += ["·", " · ", "x", " x ", "×", " × ", ", ", "-"].map { entries.joined(separator: $0) }
            default: break
            }
        }
        return (numbers, shapes)
    }

    /// What a student's sheet gives as the question: every line but the heading, "From the notes" and
    /// the graph tables.
    static func given(_ set: ExerciseSet) -> [Double] {
        set.markdown(solutions: false).split(separator: "\n").filter {
            !$0.hasPrefix("# ") && !$0.hasPrefix("From the notes") && !$0.hasPrefix("| ")
        }.flatMap { numbers(String($0)) }
    }

    static func near(_ numbers: [Double], _ answer: Answer) -> Double? {
        numbers.first { abs($0 - answer.value) <= max(answer.tolerance, 1e-12) }
    }

    @Test("two students: every lesson page is held back and no page, sheet or title holds their answers; the teacher sees it all")
    func heldBack() async throws {
        let file = try Self.course { _ in "due = 2099-01-01T00:00:00Z" }
        // The full pages of the training lessons take longer than the default 2 s in a debug build.
        let server = try await CourseTests.start(file) { $0.deadline = .seconds(300) }
        defer { Task { await server.stop() } }
        let variants = try #require(try CourseFile(file: file).variants())
        let codes = try CourseTests.codes(server)
        let list = try await CourseTests.send(server, "GET", "/api/lessons", code: codes["s1001"]!)
        let listed = (try? JSONSerialization.jsonObject(with: list.body)) as? [[String: Any]] ?? []
        #expect(listed.count >= 30, "\(list.text.prefix(200))")
        var checked = 0, total = 0, fullLeaks = 0, unvarying = 0, shells: [String] = []
        for lesson in server.server.course.lessons where !lesson.exercises.isEmpty {
            let number = lesson.number
            // The teacher's page is the library's full page.
            let teacher = try await CourseTests.send(server, "GET", "/lessons/\(number)", token: CourseTests.teacherToken)
            let full = server.server.course.lessonPage(number).bodyText
            #expect(teacher.status == 200 && teacher.text == full && full.count > 5_000, "lesson \(number): the teacher got \(teacher.status)")
            let teacherReport = try await CourseTests.send(server, "GET", "/api/lessons/\(number)", token: CourseTests.teacherToken)
            #expect(teacherReport.status == 200, "lesson \(number)")
            let entry = listed.first { $0["number"] as? Int == number }
            let headings = [lesson.title, lesson.source, entry?["title"] as? String ?? "?", entry?["source"] as? String ?? "?"]
            var fullLeak = false
            for student in ["s1001", "s1002"] {
                let code = codes[student]!
                let set = try variants.exercises(lesson, student: student)
                let page = try await CourseTests.send(server, "GET", "/lessons/\(number)", code: code)
                #expect(page.status == 403 && page.text.contains("id=\"held-back\"") && page.text.contains(lesson.title.prefix(10)),
                        "lesson \(number), \(student): \(page.status)")
                // What the page shows is its <main>; the rest is the server's shell (style, script),
                // the same for every lesson and student, so it carries nothing of theirs.
                let parts = page.text.components(separatedBy: "<main>")
                let main = parts.count == 2 ? parts[1].components(separatedBy: "</main>")[0] : page.text
                let shell = (parts[0] + (parts.count == 2 ? parts[1].components(separatedBy: "</main>").dropFirst().joined() : ""))
                    .replacingOccurrences(of: "<title>Lesson \(number) — ", with: "<title>Lesson N — ")
                if let first = shells.first { #expect(shell == first, "lesson \(number): the held-back page's shell differs") } else { shells.append(shell) }
                let report = try await CourseTests.send(server, "GET", "/api/lessons/\(number)", code: code)
                #expect(report.status == 403 && (report.object["error"] as? String)?.contains("held back") == true, "lesson \(number): \(report.text.prefix(200))")
                let form = try await CourseTests.send(server, "GET", "/api/exercises/\(number)", code: code)
                let sheet = try await CourseTests.send(server, "GET", "/exercises/\(number)/sheet", code: code)
                // The sheet served is the student's sheet of `exercises N --student ID --html`, whose
                // body VariantSheetTests reads number by number; its title and heading are read here.
                let own = try set.html(solutions: false)
                #expect(sheet.status == 200 && sheet.text == own, "lesson \(number), \(student): the sheet is not their own")
                let title = sheet.text.range(of: "<title>").flatMap { start in sheet.text.range(of: "</title>", range: start.upperBound..<sheet.text.endIndex).map { String(sheet.text[start.upperBound..<$0.lowerBound]) } } ?? "?"
                let texts = headings + [title, form.object["title"] as? String ?? "?"]
                let given = Self.given(set), solutions = Self.numbers(set.markdown(solutions: true))
                let (answers, shapes) = Self.answers(set)
                for answer in answers {
                    if !answer.formula { total += 1 }
                    if Self.near(given, answer) != nil { continue }
                    if !answer.formula { checked += 1 }
                    #expect(answer.formula || Self.near(solutions, answer) != nil,
                            "lesson \(number), \(student), \(answer.id): the reader does not find \(answer.value) on the teacher's sheet")
                    for (name, text) in [("the lesson page", main), ("/api/lessons", report.text)] + texts.map({ ("the title or source '\($0)'", $0) }) {
                        if let figure = Self.near(Self.numbers(text), answer) {
                            Issue.record("lesson \(number), \(student), \(answer.id): the answer \(answer.value) stands in \(name) as \(figure)")
                        }
                    }
                    if lesson.exerciseInputs == nil, !answer.formula, Self.near(Self.numbers(full), answer) != nil { fullLeak = true }
                }
                for shape in shapes {
                    for text in texts where text.contains(shape) { Issue.record("lesson \(number): the shape answer \(shape) stands in '\(text)'") }
                }
            }
            if lesson.exerciseInputs == nil { unvarying += 1; if fullLeak { fullLeaks += 1 } }
        }
        #expect(total > 50 && checked * 2 >= total, "\(checked) of \(total) numeric answers checked")
        // The check is live: on the full pages of most lessons that do not vary it finds the answers.
        #expect(unvarying >= 10 && fullLeaks * 2 > unvarying, "the full page of \(fullLeaks) of \(unvarying) unvarying lessons shows a checked answer")
    }

    @Test("reveal = always, after the due time, and lessons that are no assignment: the full page; reveal = never: held back")
    func revealed() async throws {
        let file = try Self.course { lesson in
            switch lesson {
            case 1: return "reveal = \"always\"\ndue = 2099-01-01T00:00:00Z"
            case 3: return "due = 2020-01-01T00:00:00Z"
            case 5: return "reveal = \"never\"\ndue = 2020-01-01T00:00:00Z"
            default: return "due = 2099-01-01T00:00:00Z"
            }
        }
        // Lesson 4 is left out of the course: its page is never held back.
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "[[assignment]]\nlesson = 4\ndue = 2099-01-01T00:00:00Z\n\n", with: "")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let server = try await CourseTests.start(file)
        defer { Task { await server.stop() } }
        let code = try CourseTests.codes(server)["s1001"]!
        for number in [1, 3, 4] {
            let full = server.server.course.lessonPage(number).bodyText
            for viewer: String? in [code, nil] {
                let page = try await CourseTests.send(server, "GET", "/lessons/\(number)", code: viewer)
                #expect(page.status == 200 && page.text == full, "lesson \(number): \(page.status)")
            }
            #expect(try await CourseTests.send(server, "GET", "/api/lessons/\(number)", code: code).status == 200)
        }
        for number in [2, 5] {
            let page = try await CourseTests.send(server, "GET", "/lessons/\(number)")
            #expect(page.status == 403 && page.text.contains("held-back"), "lesson \(number): \(page.status)")
        }
        let never = try await CourseTests.send(server, "GET", "/lessons/5", code: code)
        #expect(never.text.contains("never shows the figures"))
        let due = try await CourseTests.send(server, "GET", "/lessons/2", code: code)
        #expect(due.text.contains("once answers close, at 2099-01-01T00:00:00Z"))
        // A student's code is no teacher's token.
        #expect(try await server.request("GET", "/lessons/2", token: code).status == 403)
    }
}
