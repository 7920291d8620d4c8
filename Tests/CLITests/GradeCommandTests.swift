import Foundation
import Testing

// End-to-end tests of `backprop exercises` and `backprop grade`: the sheet and its solutions, one
// answer file graded, a directory of submissions with the hostile cases (links out of the
// directory, pipes, binary, huge, empty, non-UTF-8, duplicate ids, files that vanish), and the
// gradebook CSV.

@Suite("backprop exercises and grade", .serialized)
struct GradeCommandTests {
    /// Lesson 1 answered right throughout (12 points).
    static let right = """
        student = "s001"
        name = "Ada"
        lesson = 1

        [answers]
        q-value = 3
        f-value = -12
        local-dq-dx = 1
        df-dq = -4
        df-dx = "-4.0"
        df-dq-formula = "z"
        df-dz-formula = "df/dz = x + y"
        x-up = "b"

        [answers.fill-graph]
        q = 3
        "df/dq" = -4
        "∂f/∂z" = 3
        """

    static func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("exercises: the sheet, the solutions, and mistakes in usage", arguments: [
        (["exercises", "1"], Int32(0), "## 1. `q-value` (1 point, a number)", "**Answer:**"),
        (["exercises", "1", "--solutions"], 0, "> **Answer:** ∂f/∂x = -4 (accepted within ±0.005)", nil),
        (["exercises", "1", "--solutions"], 0, "> - (b) df/dx < 0: -4 < 0 is true", nil),
        (["exercises", "4", "--solutions"], 0, "> **Answer:** 99 parameters (iris-mlp", nil),
        (["exercises", "8", "--solutions"], 0, "For example: ∂H/∂a = `y - [0, 0, 0, 1]` (the engine agrees)", nil),
        (["exercises", "1"], 0, "| q | `x + y` | **[q]** | **[df/dq]** |", nil),
        (["exercises", "1"], 0, "[answers.fill-graph]", nil),
        (["exercises"], 2, "which lesson?", nil),
        (["exercises", "1", "--all"], 2, "not both", nil),
        (["exercises", "99"], 2, "there is no lesson 99", nil),
    ] as [([String], Int32, String, String?)])
    func exercises(arguments: [String], status: Int32, expected: String, absent: String?) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == status, "\(result.stderr)")
        #expect((result.stdout + result.stderr).contains(expected), "\(result.stdout)\(result.stderr)")
        if let absent { #expect(!result.stdout.contains(absent)) }
        if status == 2 { #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)") }
    }

    @Test("exercises --html: one self-contained page, the graph drawn with its blanks")
    func html() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sheet = try CLI.run(["exercises", "1", "--html", directory + "/sheet.html"])
        #expect(sheet.status == 0, "\(sheet.stderr)")
        let page = try String(contentsOfFile: directory + "/sheet.html", encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        let svg = try #require(page.range(of: "<svg").map { String(page[$0.lowerBound...]) })
        #expect(svg.contains("[q]") && svg.contains("[df/dq]") && svg.contains("[df/dz]"))
        #expect(svg.contains("∂f/∂q = (exercise df&#45;dq)") && !svg.contains("∂f/∂q = z"), "an edge whose formula answers an exercise names the exercise")
        #expect(!page.contains("src=\"http") && !page.contains("href=\"http"), "no network")
        let solutions = try CLI.run(["exercises", "1", "--solutions", "--html", directory + "/solutions.html"])
        #expect(solutions.status == 0)
        let answers = try String(contentsOfFile: directory + "/solutions.html", encoding: .utf8)
        let drawn = try #require(answers.range(of: "<svg").flatMap { start in answers.range(of: "</svg>").map { String(answers[start.lowerBound..<$0.upperBound]) } })
        #expect(!drawn.contains("[q]") && !drawn.contains("[df/dq]"), "the solutions draw the numbers")
        #expect(drawn.contains("∂f/∂q = z"), "and the formulas")
        #expect(answers.contains("class=\"solution\""))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: directory)).contains { $0.hasPrefix(".") })
    }

    @Test("every lesson's exercises are answerable: at least 30, of every kind")
    func all() throws {
        let result = try CLI.run(["exercises", "--all", "--solutions"])
        #expect(result.status == 0, "\(result.stderr)")
        let headers = result.stdout.split(separator: "\n").filter { $0.hasPrefix("## ") && $0.contains(". `") }
        #expect(headers.count >= 30, "\(headers.count) exercises")
        for kind in ["a number", "a vector", "a matrix", "a formula", "multiple choice", "a shape", "a count", "fill in the graph"] {
            #expect(headers.contains { $0.contains(kind) }, "no exercise of kind \(kind)")
        }
        #expect(result.stdout.components(separatedBy: "**Answer:**").count - 1 == headers.count)
    }

    @Test("one file answered right: every exercise ✓, 12/12, exit 0")
    func rightFile() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try GradeCommandTests.write(GradeCommandTests.right, directory + "/ada.toml")
        let result = try CLI.run(["grade", directory + "/ada.toml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("s001 (Ada), lesson 1: "), "\(result.stdout)")
        #expect(result.stdout.contains("total 12/12"), "\(result.stdout)")
        #expect(!result.stdout.contains("✗"))
        #expect(result.stderr.isEmpty)
    }

    @Test("a wrong answer: its verdict, points and feedback", arguments: [
        ("df-dx = \"-4.0\"", "df-dx = 1", "✗ df-dx           0/2   you gave 1; 1 is only the add gate's local gradient ∂q/∂x; multiply it by the upstream gradient ∂f/∂q; the engine gives -4"),
        ("df-dq = -4", "df-dq = 4", "✗ df-dq           0/1   you gave 4; Check the sign: ∂f/∂q is z itself, sign included; the engine gives -4"),
        ("df-dq-formula = \"z\"", "df-dq-formula = \"1\"", "✗ df-dq-formula   0/1   The upstream gradient at f is 1 (the seed); ∂f/∂q also needs the multiply gate's local gradient"),
        ("df-dz-formula = \"df/dz = x + y\"", "df-dz-formula = \"3\"", "agrees at the lesson's point only"),
        ("x-up = \"b\"", "x-up = \"a\"", "✗ x-up            0/1   wrong choice: Look at the sign of ∂f/∂x; the engine gives (b) f shrinks"),
        ("x-up = \"b\"", "x-up = \"z\"", "✗ x-up            0/1   not one of the choices"),
        ("q = 3", "q = 4", "◐ fill-graph      2/3   2 of 3 blanks right; q: you gave 4, the engine 3"),
        ("q-value = 3", "q-value = \"exec('rm -rf /')\"", "✗ q-value         0/1   'exec(…)' is not allowed in an answer"),
        ("q-value = 3", "", "· q-value         0/1   no answer"),
    ])
    func wrong(original: String, replacement: String, line: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = GradeCommandTests.right.replacingOccurrences(of: original, with: replacement)
        #expect(text != GradeCommandTests.right)
        try GradeCommandTests.write(text, directory + "/ada.toml")
        let result = try CLI.run(["grade", directory + "/ada.toml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(line), "\(result.stdout)")
    }

    @Test("one file that cannot be graded: 0 points, the reason in the report and on stderr, exit 2", arguments: [
        ("", "empty file"),
        ("student = \"s1\"\nlesson = 1\n[answers\n", "not valid TOML: line 3"),
        ("student = \"s1\"\nlesson = 99\n[answers]\n", "there is no lesson 99"),
        ("student = \"s1\"\nlesson = 6\n[answers]\nq = \u{0}", "a binary file"),
    ])
    func badFile(text: String, reason: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try GradeCommandTests.write(text, directory + "/bad.toml")
        let result = try CLI.run(["grade", directory + "/bad.toml"])
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stderr.contains(reason), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    /// The hostile directory: each file with what the report must say about it.
    static let hostile: [(file: String, content: String?, report: String)] = [
        ("ada.toml", right, "s001 (Ada)|12/12"),
        ("ada-again.toml", right.replacingOccurrences(of: "Ada", with: "Ada B"), "s001 (Ada B)"),
        ("bob.toml", right.replacingOccurrences(of: "s001", with: "s002").replacingOccurrences(of: "df-dx = \"-4.0\"", with: "df-dx = 4"), "s002 (Ada)|10/12"),
        ("empty.toml", "", "rejected: empty file"),
        ("huge.toml", "student = \"s3\"\n# " + String(repeating: "x", count: 70_000), "rejected: larger than the limit of 64 KB"),
        ("binary.toml", "\u{0}\u{1}\u{2}ELF", "rejected: a binary file, not TOML text (byte 0x00 at offset 0)"),
        ("deep.toml", "student = \"s4\"\nlesson = 1\n[answers]\nq-value = " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300), "rejected: arrays or tables nested 300 deep"),
        ("inject.toml", "student = \"=HYPERLINK(\\\"http://x\\\")\"\nlesson = 1\n[answers]\n", "rejected: student id"),
        ("other-lesson.toml", "student = \"s5\"\nlesson = 2\n[answers]\n", "rejected: the answers are for lesson 2, not lesson 1"),
        ("odd,\"name\".toml", "garbage = = =", "rejected: not valid TOML"),
        ("formula.toml", "student = \"s6\"\nlesson = 1\n[answers]\ndf-dq-formula = \"sum([[1,2],[3,4]] @ [[1],[1]]) + z - 10\"\ndf-dz-formula = \"reshape(x, [1])\"\n", "s6|1/12"),
    ]

    @Test("a directory with hostile submissions: each gets a reason, the batch goes on, the gradebook is RFC 4180, nothing is modified")
    func hostileDirectory() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (file, content, _) in GradeCommandTests.hostile where content != nil { try GradeCommandTests.write(content!, directory + "/" + file) }
        try Data([0x73, 0x74, 0x75, 0x64, 0x65, 0x6E, 0x74, 0x20, 0x3D, 0x20, 0x22, 0xFF, 0xFE, 0x22, 0x0A]).write(to: URL(fileURLWithPath: directory + "/latin1.toml"))
        try FileManager.default.createSymbolicLink(atPath: directory + "/escape.toml", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: directory + "/nowhere.toml", withDestinationPath: directory + "/missing")
        try FileManager.default.createSymbolicLink(atPath: directory + "/alias.toml", withDestinationPath: "ada.toml")
        #expect(mkfifo(directory + "/pipe.toml", 0o644) == 0)
        try FileManager.default.createDirectory(atPath: directory + "/folder", withIntermediateDirectories: false)
        try GradeCommandTests.write(GradeCommandTests.right.replacingOccurrences(of: "s001", with: "s007"), directory + "/locked.toml")
        chmod(directory + "/locked.toml", 0)
        let before = try snapshot(directory)

        // The gradebook goes outside the graded directory (an existing file inside it is refused).
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try CLI.run(["grade", directory, "--lesson", "1", "--csv", out + "/gradebook.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = result.stdout
        for (file, _, expected) in GradeCommandTests.hostile {
            let line = report.split(separator: "\n").first { $0.hasPrefix("  " + file + " ") }
            for part in expected.split(separator: "|") { #expect(line?.contains(part) == true, "\(file): \(line ?? "missing") in\n\(report)") }
        }
        for (file, expected) in [("latin1.toml", "rejected: not UTF-8 text (line 1)"),
                                 ("escape.toml", "skipped: a symbolic link out of the directory (to /etc/passwd); not followed"),
                                 ("nowhere.toml", "skipped: a symbolic link to nothing"),
                                 ("alias.toml", "s001 (Ada)|12/12"),
                                 ("pipe.toml", "skipped: a named pipe, not a file"),
                                 ("folder", "skipped: a directory")] {
            let line = report.split(separator: "\n").first { $0.hasPrefix("  " + file + " ") }
            for part in expected.split(separator: "|") { #expect(line?.contains(part) == true, "\(file): \(line ?? "missing")") }
        }
        // Root reads a file of mode 000; anyone else gets a reason and 0 points.
        let locked = report.split(separator: "\n").first { $0.hasPrefix("  locked.toml ") } ?? ""
        #expect(getuid() == 0 ? locked.contains("12/12") : locked.contains("rejected: cannot be read: Permission denied"), "\(locked)")
        #expect(report.contains("duplicate student id 's001': ada-again.toml, ada.toml, alias.toml (all kept)"), "\(report)")
        // The gradebook: a header, one row per graded submission (not the rejected or skipped files,
        // which standard error lists apart), CRLF, quoted fields.
        let csv = try String(contentsOfFile: out + "/gradebook.csv", encoding: .utf8)
        #expect(csv.hasPrefix("student,name,file,q-value,f-value,local-dq-dx,df-dq,df-dx,df-dq-formula,df-dz-formula,x-up,fill-graph,total,feedback\r\n"))
        let rows = csv.components(separatedBy: "\r\n").dropLast()
        #expect(rows.contains("s001,Ada,ada.toml,1,1,1,1,2,1,1,1,3,12,all 9 exercises right"), "\(csv)")
        #expect(rows.contains { $0.hasPrefix("s002,Ada,bob.toml,1,1,1,1,0,1,1,1,3,10,df-dx 0/2: you gave 4; sign error") })
        #expect(!csv.contains("odd,"), "a rejected file is not a row")
        #expect(rows.filter { $0.hasPrefix("s001,") }.count == 3)
        #expect(!csv.contains("=HYPERLINK"))
        #expect(result.stderr.contains("left out of the gradebook:"))
        #expect(result.stderr.contains("  empty.toml: empty file"), "\(result.stderr)")

        // Nothing was modified, and no temporary file is left behind.
        chmod(directory + "/locked.toml", 0o644)
        let after = try snapshot(directory)
        #expect(after == before)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: directory)).contains { $0.hasPrefix(".") })

        // Again with --json: the same verdicts, machine-readable; the gradebook is replaced whole.
        let json = try CLI.run(["grade", directory, "--lesson", "1", "--csv", out + "/gradebook.csv", "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let submissions = try #require(object["submissions"] as? [[String: Any]])
        #expect(submissions.filter { $0["status"] as? String == "graded" }.count == rows.count - 1)
        #expect(submissions.contains { $0["file"] as? String == "empty.toml" && $0["status"] as? String == "rejected" && $0["reason"] as? String == "empty file" })
        let skipped = try #require(object["skipped"] as? [[String: Any]])
        #expect(Set(skipped.compactMap { $0["file"] as? String }) == ["escape.toml", "nowhere.toml", "pipe.toml", "folder"])
        #expect(try String(contentsOfFile: out + "/gradebook.csv", encoding: .utf8) == csv)
    }

    /// Every regular file's bytes and modification time, by name.
    func snapshot(_ directory: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let data = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            result[name] = "\(data.count) \(data.hashValue) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
        return result
    }

    @Test("files that vanish while the directory is graded: the batch goes on")
    func vanishing() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for index in 0..<400 { try GradeCommandTests.write(GradeCommandTests.right.replacingOccurrences(of: "s001", with: "s\(index)"), directory + "/s\(1000 + index).toml") }
        let deleter = Thread {
            usleep(30_000)
            for index in stride(from: 399, through: 0, by: -2) { unlink(directory + "/s\(1000 + index).toml") }
        }
        deleter.start()
        let result = try CLI.run(["grade", directory, "--lesson", "1", "--csv", directory + "/gradebook.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("  s1") }
        #expect(lines.allSatisfy { $0.contains("12/12") || $0.contains("rejected: vanished before it could be read") }, "\(result.stdout)")
        #expect(lines.count >= 200)
    }

    @Test("usage and output mistakes: one line, exit 2", arguments: [
        (["grade"], "Missing expected argument '<path>'"),
        (["grade", "/nonexistent/answers.toml"], "no such file or directory"),
        (["grade", "DIR"], "grading a directory needs --lesson N"),
        (["grade", "DIR", "--lesson", "42"], "there is no lesson 42"),
        (["grade", "DIR", "--lesson", "1", "--csv", "/nonexistent/dir/gradebook.csv"], "cannot write /nonexistent/dir/gradebook.csv"),
    ])
    func usage(arguments: [String], message: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CLI.run(arguments.map { $0 == "DIR" ? directory : $0 })
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("bench grade generates, grades and times the submissions")
    func bench() throws {
        let result = try CLI.run(["bench", "grade", "--count", "60", "--repeats", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("60 answer files"), "\(result.stdout)")
        #expect(result.stdout.contains("target: 60 submissions in under 10 s: met") || result.stdout.contains("per file"))
    }
}
