import Foundation
import Testing

// `backprop grade` as a teacher uses it: gradebooks Moodle and Canvas import (checked against their
// documented columns, with a sample of each kept in Goldens/), files left out listed apart, feedback
// pages, outputs that never destroy (devices, pipes, submissions), and student text that never
// reaches the terminal raw.

@Suite("gradebooks, safe outputs, escaped text", .serialized)
struct GradebookTests {
    static func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A class folder: right, wrong, broken, empty, a stranger, a duplicate, a hostile file name.
    static func classFolder() throws -> String {
        let directory = try CLI.temporaryDirectory()
        try write(GradeCommandTests.right.replacingOccurrences(of: "s001", with: "s1001").replacingOccurrences(of: "\"Ada\"", with: "\"Ada Lovelace\""), directory + "/ada.toml")
        try write("""
            student = "s1002"
            name = "Grace Hopper"
            lesson = 1
            [answers]
            q-value = 2.99
            df-dx = 1
            df-dq-formula = "zz"
            """, directory + "/grace.toml")
        try write("student = \"s1003\"\nlesson = 1\n[answers\n", directory + "/linus.toml")
        try write("", directory + "/empty.toml")
        try write("student = \"s1005\"\nlesson = 2\n[answers]\nq-value = 3\n", directory + "/wronglesson.toml")
        try write("student = \"s9999\"\nlesson = 1\n[answers]\nq-value = 3\n", directory + "/stranger.toml")
        try write("student = \"s1004\"\nname = \"Mal\"\nlesson = 1\n[answers]\nq-value = \"\\u001b[31m\\u202e\"\ndf-dq-formula = \"z\\u009b2J\"\n",
                  directory + "/evil\u{1b}[2J\u{202e}\u{9b}name.toml")
        return directory
    }

    static let moodleRoster = """
        First name,Last name,ID number,Institution,Department,Email address
        Ada,Lovelace,s1001,,,ada@example.edu
        Grace,Hopper,s1002,,,grace@example.edu
        Linus,Torvalds,s1003,,,linus@example.edu
        Mal,Lory,s1004,,,mal@example.edu
        Barbara,Liskov,s1006,,,barbara@example.edu

        """

    static let canvasRoster = "Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (5501)\r\n    Points Possible,,,,,10\r\n\"Lovelace, Ada\",101,s1001,ada,Backprop A,9\r\n\"Hopper, Grace\",102,s1002,grace,Backprop A,\r\n\"Torvalds, Linus\",103,s1003,linus,Backprop B,\r\n\"Lory, Mal\",104,s1004,mal,Backprop B,\r\n\"Liskov, Barbara\",106,s1006,barbara,Backprop B,\r\n"

    /// Parses RFC 4180 rows (enough for these files: quoted fields with commas and doubled quotes).
    static func rows(_ csv: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var characters = Array(csv.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        while let c = pending ?? characters.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = characters.next() { if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next } } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { row.append(field); field = ""
            } else if c == "\r" { continue
            } else if c == "\n" { row.append(field); rows.append(row); row = []; field = ""
            } else { field.unicodeScalars.append(c) }
        }
        return rows
    }

    @Test("Moodle: the roster's identifier column, Full name, the grade, Feedback; the rest listed apart")
    func moodle() throws {
        let directory = try GradebookTests.classFolder()
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory); try? FileManager.default.removeItem(atPath: out) }
        try GradebookTests.write(GradebookTests.moodleRoster, out + "/roster.csv")
        let result = try CLI.run(["grade", directory, "--lesson", "1", "--format", "moodle", "--roster", out + "/roster.csv",
                                  "--csv", out + "/moodle.csv", "--rejected", out + "/rejected.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let csv = try String(contentsOfFile: out + "/moodle.csv", encoding: .utf8)
        let rows = GradebookTests.rows(csv)
        // Moodle's CSV import maps one column to a user field ("Identify user by"); the roster's
        // own header for it is kept, so Moodle offers it by name (docs/grading.md).
        #expect(rows[0] == ["ID number", "Full name", "Lesson 1: Backpropagation through f = (x + y) z", "Feedback"])
        #expect(rows.dropFirst().map { $0[0] } == ["s1001", "s1004", "s1002"])
        #expect(rows[1] == ["s1001", "Ada Lovelace", "12", "all 9 exercises right"])
        #expect(rows[3][2] == "0" && rows[3][3].contains("q-value 0/1: you gave 2.99; the engine gives 3"), "\(rows[3])")
        #expect(csv.hasSuffix("\r\n") && !csv.contains("\n\n"))
        try Golden.check(csv.replacingOccurrences(of: "\r\n", with: "\n"), against: "gradebook-moodle.csv")
        // Files that could not be graded or matched are not rows: stderr and --rejected list them.
        for file in ["linus.toml", "empty.toml", "stranger.toml", "wronglesson.toml"] {
            #expect(!csv.contains(file))
            #expect(result.stderr.contains("  \(file): "), "\(result.stderr)")
        }
        #expect(result.stderr.contains("stranger.toml: student id 's9999' is not on the roster (column 'ID number'"))
        let rejected = GradebookTests.rows(try String(contentsOfFile: out + "/rejected.csv", encoding: .utf8))
        #expect(rejected[0] == ["file", "student", "reason"])
        #expect(Set(rejected.dropFirst().map { $0[0] }) == ["linus.toml", "empty.toml", "stranger.toml", "wronglesson.toml"])
        #expect(result.stdout.contains("not in the gradebook: 2 on the roster (no submission, or one left out below): Linus Torvalds (s1003), Barbara Liskov (s1006)"), "\(result.stdout)")
    }

    @Test("Canvas: Student, ID, SIS User ID, SIS Login ID, Section, the assignment, a Points Possible row")
    func canvas() throws {
        let directory = try GradebookTests.classFolder()
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory); try? FileManager.default.removeItem(atPath: out) }
        try GradebookTests.write(GradebookTests.canvasRoster, out + "/roster.csv")
        let result = try CLI.run(["grade", directory, "--lesson", "1", "--format", "canvas", "--roster", out + "/roster.csv",
                                  "--csv", out + "/canvas.csv", "--assignment", "Backprop lesson 1"])
        #expect(result.status == 0, "\(result.stderr)")
        let csv = try String(contentsOfFile: out + "/canvas.csv", encoding: .utf8)
        let rows = GradebookTests.rows(csv)
        // Canvas's gradebook import: these five student columns, then the assignments; the row that
        // starts with "Points Possible" gives each assignment's points (docs/grading.md).
        #expect(Array(rows[0].prefix(5)) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"])
        #expect(rows[0].count == 6 && rows[0][5] == "Backprop lesson 1")
        #expect(rows[1] == ["Points Possible", "", "", "", "", "12"])
        #expect(rows[2] == ["Lovelace, Ada", "101", "s1001", "ada", "Backprop A", "12"])
        #expect(rows.count == 5)
        #expect(result.stdout.contains("matched by the roster's 'SIS User ID'"))
        try Golden.check(csv.replacingOccurrences(of: "\r\n", with: "\n"), against: "gradebook-canvas.csv")
        // A roster without Canvas's identifier columns is refused.
        try GradebookTests.write(GradebookTests.moodleRoster, out + "/moodle.csv")
        let wrong = try CLI.run(["grade", directory, "--lesson", "1", "--format", "canvas", "--roster", out + "/moodle.csv", "--csv", out + "/c.csv"])
        #expect(wrong.status == 2 && wrong.stderr.contains("Canvas matches students by ID, SIS User ID or SIS Login ID"), "\(wrong.stderr)")
    }

    @Test("the plain CSV and feedback pages, one per student, escaped", arguments: ["md", "html"])
    func plainAndPages(format: String) throws {
        let directory = try GradebookTests.classFolder()
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory); try? FileManager.default.removeItem(atPath: out) }
        let result = try CLI.run(["grade", directory, "--lesson", "1", "--csv", out + "/book.csv", "--feedback", out + "/pages", "--pages", format])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = GradebookTests.rows(try String(contentsOfFile: out + "/book.csv", encoding: .utf8))
        #expect(Array(rows[0].prefix(3)) == ["student", "name", "file"] && rows[0].suffix(2) == ["total", "feedback"])
        #expect(rows.count == 5)   // ada, evil, grace, stranger; not linus or empty
        let pages = try FileManager.default.contentsOfDirectory(atPath: out + "/pages").sorted()
        // linus.toml never gave a valid id (its TOML is broken): no page; s1005 answered another lesson.
        #expect(pages == ["s1001", "s1002", "s1004", "s1005", "s9999"].map { "\($0).\(format)" }, "\(pages)")
        let grace = try String(contentsOfFile: out + "/pages/s1002.\(format)", encoding: .utf8)
        #expect(grace.contains("you gave 2.99; the engine gives 3"))
        #expect(grace.contains("Total: 0/12 points."), "\(grace)")
        let other = try String(contentsOfFile: out + "/pages/s1005.\(format)", encoding: .utf8)
        #expect(other.contains("could not be graded: the answers are for lesson 2, not lesson 1"), "\(other)")
        let evil = try String(contentsOfFile: out + "/pages/s1004.\(format)", encoding: .utf8)
        #expect(!evil.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B || $0.value == 0x202E })
        if format == "html" { #expect(!evil.contains("<script") && evil.contains("<!DOCTYPE html>")) }
    }

    @Test("student text never reaches the terminal, a CSV or JSON raw: escapes, C1 controls, bidi overrides", arguments: [
        ["--csv", "OUT/book.csv"], ["--json"], ["--format", "moodle", "--roster", "OUT/roster.csv", "--csv", "OUT/m.csv", "--rejected", "OUT/r.csv"],
    ])
    func escaped(options: [String]) throws {
        let directory = try GradebookTests.classFolder()
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory); try? FileManager.default.removeItem(atPath: out) }
        try GradebookTests.write(GradebookTests.moodleRoster, out + "/roster.csv")
        // The same file id twice, one of them under the hostile name: the duplicate line quotes it.
        try GradebookTests.write("student = \"s1004\"\nlesson = 1\n[answers]\nq-value = 3\n", directory + "/mal2\u{202e}.toml")
        let result = try CLI.run(["grade", directory, "--lesson", "1"] + options.map { $0.replacingOccurrences(of: "OUT", with: out) })
        #expect(result.status == 0, "\(result.stderr)")
        let outputs = [result.stdout, result.stderr] + (try FileManager.default.contentsOfDirectory(atPath: out)).map {
            (try? String(contentsOfFile: out + "/" + $0, encoding: .utf8)) ?? ""
        }
        for text in outputs {
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || (0x80...0x9F).contains($0.value) || $0.value == 0x202E }, "\(text.debugDescription)")
        }
        if !options.contains("--json") { #expect((result.stdout + result.stderr).contains("evil\\u{1b}[2J\\u{202e}\\u{9b}name.toml"), "\(result.stdout)") }
    }

    @Test("outputs never destroy: a character device and a pipe stay what they are, a submission is never replaced")
    func outputsNeverDestroy() throws {
        let directory = try GradebookTests.classFolder()
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory); try? FileManager.default.removeItem(atPath: out) }
        func kind(_ path: String) -> mode_t { var info = stat(); return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0 }
        func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

        // /dev/null: written through, still a character device.
        let null = try CLI.run(["grade", directory, "--lesson", "1", "--csv", "/dev/null"])
        #expect(null.status == 0, "\(null.stderr)")
        #expect(kind("/dev/null") == S_IFCHR)

        // A named pipe with a reader: the reader gets the gradebook; the pipe stays a pipe.
        let pipe = out + "/pipe"
        #expect(mkfifo(pipe, 0o644) == 0)
        nonisolated(unsafe) var received = Data()
        let reader = Thread { if let handle = FileHandle(forReadingAtPath: pipe) { received = handle.readDataToEndOfFile() } }
        reader.start()
        usleep(100_000)
        let piped = try CLI.run(["grade", directory, "--lesson", "1", "--csv", pipe])
        #expect(piped.status == 0, "\(piped.stderr)")
        while reader.isExecuting { usleep(10_000) }
        #expect(String(decoding: received, as: UTF8.self).hasPrefix("student,name,file,"))
        #expect(kind(pipe) == S_IFIFO)
        // A pipe with no reader: refused at once, not waited on; still a pipe.
        let lonely = try CLI.run(["grade", directory, "--lesson", "1", "--csv", pipe])
        #expect(lonely.status == 2 && lonely.stderr.contains("a named pipe with no reader"), "\(lonely.stderr)")
        #expect(kind(pipe) == S_IFIFO)

        // A directory is refused.
        let folder = try CLI.run(["grade", directory, "--lesson", "1", "--csv", out])
        #expect(folder.status == 2 && folder.stderr.contains("it is a directory"), "\(folder.stderr)")

        // A submission of the same run: refused before anything is written, exit 2, the file as it was.
        let ada = directory + "/ada.toml", grace = directory + "/grace.toml"
        let adaBefore = contents(ada), graceBefore = contents(grace)
        let single = try CLI.run(["grade", ada, "--csv", ada])
        #expect(single.status == 2 && single.stderr.contains("an input of this run"), "\(single.stderr)")
        let inside = try CLI.run(["grade", directory, "--lesson", "1", "--csv", grace])
        #expect(inside.status == 2 && inside.stderr.contains("is a file in the directory being graded"), "\(inside.stderr)")
        let rejectedOnto = try CLI.run(["grade", directory, "--lesson", "1", "--csv", out + "/book.csv", "--rejected", grace])
        #expect(rejectedOnto.status == 2, "\(rejectedOnto.stderr)")
        // A link to a submission from outside is the submission too.
        try FileManager.default.createSymbolicLink(atPath: out + "/link.csv", withDestinationPath: ada)
        let linked = try CLI.run(["grade", directory, "--lesson", "1", "--csv", out + "/link.csv"])
        #expect(linked.status == 2 && (linked.stderr.contains("an input of this run") || linked.stderr.contains("in the directory being graded")), "\(linked.stderr)")
        // The roster is an input too.
        try GradebookTests.write(GradebookTests.moodleRoster, out + "/roster.csv")
        let roster = try CLI.run(["grade", directory, "--lesson", "1", "--format", "moodle", "--roster", out + "/roster.csv", "--csv", out + "/roster.csv"])
        #expect(roster.status == 2 && roster.stderr.contains("the roster"), "\(roster.stderr)")
        #expect(contents(ada) == adaBefore && contents(grace) == graceBefore)
        #expect(kind(out + "/link.csv") == S_IFLNK)

        // A new file inside the graded directory is allowed, and said.
        let note = try CLI.run(["grade", directory, "--lesson", "1", "--csv", directory + "/gradebook.csv"])
        #expect(note.status == 0 && note.stderr.contains("is written into the directory being graded"), "\(note.stderr)")
        #expect(!note.stdout.contains("gradebook.csv   "))
    }

    @Test("usage: moodle and canvas need a roster and --csv; a roster that matches no one is refused")
    func usage() throws {
        let directory = try GradebookTests.classFolder()
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory); try? FileManager.default.removeItem(atPath: out) }
        try GradebookTests.write("ID number,First name\nx1,X\n", out + "/other.csv")
        for (arguments, message) in [
            (["--format", "moodle", "--csv", out + "/m.csv"], "--format moodle needs --roster FILE"),
            (["--format", "canvas", "--roster", out + "/other.csv"], "--format canvas needs --csv FILE"),
            (["--format", "blackboard"], "--format blackboard: use csv, moodle or canvas"),
            (["--format", "moodle", "--roster", out + "/other.csv", "--csv", out + "/m.csv"], "no column holds the students' ids"),
            (["--format", "moodle", "--roster", out + "/missing.csv", "--csv", out + "/m.csv"], "missing.csv: no such file"),
        ] {
            let result = try CLI.run(["grade", directory, "--lesson", "1"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out + "/m.csv"))
        }
    }
}
