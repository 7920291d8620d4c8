import Foundation
import Testing

/// `backprop grade --reveal`: the feedback pages (and the report) follow the policy of
/// `serve --course`: with `never`, a wrong answer's feedback gives no figure of the engine's.
@Suite("backprop grade --reveal and --due", .serialized)
struct GradeRevealTests {
    /// Lesson 1 answered wrong throughout (each number 100 away from anything the lesson computes).
    static let wrong = """
        student = "s001"
        name = "Ada"
        lesson = 1

        [answers]
        q-value = 103
        f-value = 88
        local-dq-dx = 101
        df-dq = 96
        df-dx = 96
        df-dq-formula = "x * y * 7"
        x-up = "a"

        [answers.fill-graph]
        q = 103
        "df/dq" = 96
        "∂f/∂z" = 103
        """

    /// The feedback page's rows: exercise id → the feedback cell.
    static func feedback(_ page: String) -> [String: String] {
        var cells: [String: String] = [:]
        for line in page.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| #") && !line.hasPrefix("| ---") {
            let fields = line.components(separatedBy: " | ")
            guard fields.count >= 6 else { continue }
            cells[fields[1]] = fields[fields.count - 1].trimmingCharacters(in: CharacterSet(charactersIn: " |"))
        }
        return cells
    }

    /// Grades the wrong file with these options into a fresh feedback directory; the page's rows.
    static func page(_ options: [String], status: Int32 = 0) throws -> (rows: [String: String], text: String, stdout: String) {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        try Data(wrong.utf8).write(to: URL(fileURLWithPath: directory + "/sub/ada.toml"))
        let result = try CLI.run(["grade", directory + "/sub", "--lesson", "1", "--feedback", directory + "/pages"] + options)
        #expect(result.status == status, "\(result.stderr)")
        let text = (try? String(contentsOfFile: directory + "/pages/s001.md", encoding: .utf8)) ?? ""
        return (feedback(text), text, result.stdout)
    }

    @Test("--reveal never: no engine figure in a wrong answer's feedback page; always and after-due past the due time show them")
    func never() throws {
        let always = try Self.page(["--reveal", "always"])
        // The engine's figures, as the page with --reveal always gives them ("the engine gives 3", "q: …, the engine 3").
        var figures: [String: [String]] = [:]
        for (id, cell) in always.rows {
            let parts = cell.components(separatedBy: "the engine ").dropFirst()
            figures[id] = parts.map { part in
                String(part.drop { !($0.isNumber || $0 == "-" || $0 == "(") }.prefix { $0.isNumber || $0 == "-" || $0 == "." || $0 == "(" || $0 == ")" || $0.isLetter })
            }.filter { !$0.isEmpty }
        }
        #expect(figures.values.flatMap { $0 }.count >= 8, "\(figures)")   // numbers, the choice, every blank

        let never = try Self.page(["--reveal", "never"])
        #expect(never.rows.count == always.rows.count && never.rows.count == 9, "\(never.text)")
        #expect(!never.text.contains("the engine gives") && !never.text.contains(", the engine "), "\(never.text)")
        // The words of a feedback cell, without a graph's count of right blanks ("0 of 3 blanks right"), which is no figure.
        func tokens(_ text: String) -> Set<String> {
            let parts = text.components(separatedBy: "; ").filter { !$0.hasSuffix(" blanks right") }
            return Set(parts.joined(separator: " ").components(separatedBy: CharacterSet(charactersIn: " ;,:")).filter { !$0.isEmpty })
        }
        for (id, shown) in figures {
            let cell = never.rows[id] ?? ""
            #expect(!cell.isEmpty, "\(id) has a row")
            for figure in shown { #expect(!tokens(cell).contains(figure), "\(id): the engine's \(figure) in “\(cell)”") }
        }
        #expect(!never.stdout.contains("the engine"))
        #expect(never.rows["x-up"]?.contains("Look at the sign") == true)   // the hint stays

        // after-due: a due time passed reveals as always; one to come, as never.
        let past = try Self.page(["--reveal", "after-due", "--due", "2020-01-01T00:00:00Z"])
        #expect(past.text == always.text)
        let future = try Self.page(["--due", "2999-01-01T00:00:00+01:00"])   // --due alone means after-due
        #expect(future.text == never.text)
    }

    @Test("--reveal and --due mistakes: one line, exit 2", arguments: [
        (["--reveal", "sometimes"], "--reveal sometimes: use after-due, always or never"),
        (["--reveal", "after-due"], "--reveal after-due needs --due TIME"),
        (["--due", "tomorrow"], "--due tomorrow: use an RFC 3339 time with a zone"),
        (["--due", "2026-12-20T23:59:00"], "--due 2026-12-20T23:59:00: use an RFC 3339 time with a zone"),
        (["--reveal", "never", "--due", "2026-12-20T23:59:00Z"], "with --reveal never it would change nothing"),
    ])
    func usage(options: [String], message: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CLI.run(["grade", directory, "--lesson", "1"] + options)
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
