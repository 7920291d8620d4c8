import Foundation
import Testing

/// `backprop course secret`, `exercises N --student ID --course FILE` and `grade --course FILE`: each
/// student's own variant, and each answer file graded against its own student's.
@Suite("backprop exercises and grade with a course's variants", .serialized)
struct VariantCommandTests {
    static func course() throws -> String {
        let directory = try CLI.temporaryDirectory()
        try "ID number,First name,Last name\ns1001,Ada,Lovelace\ns1002,Alan,Turing\n".write(toFile: directory + "/roster.csv", atomically: true, encoding: .utf8)
        try """
            name = "Variants"
            roster = "roster.csv"
            teachers = [ { name = "T", token_sha256 = "\(String(repeating: "ab", count: 32))" } ]
            secret_file = "course.secret"
            [[assignment]]
            lesson = 1
            """.write(toFile: directory + "/course.toml", atomically: true, encoding: .utf8)
        return directory
    }

    /// ∂f/∂x of a student's variant, read from their solutions.
    static func dfdx(_ sheet: String) -> String? {
        guard let line = sheet.split(separator: "\n").first(where: { $0.hasPrefix("> **Answer:** ∂f/∂x = ") }) else { return nil }
        return line.dropFirst("> **Answer:** ∂f/∂x = ".count).split(separator: " ").first.map(String.init)
    }

    @Test("a right answer of student A is wrong for student B; a student off the roster is refused; the secret must be private")
    func variants() throws {
        let directory = try Self.course()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let course = directory + "/course.toml"
        let missing = try CLI.run(["exercises", "1", "--student", "s1001", "--course", course])
        #expect(missing.status == 2 && missing.stderr.contains("backprop course secret"), "\(missing.stderr)")
        let made = try CLI.run(["course", "secret", "--course", course])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: directory + "/course.secret")[.posixPermissions] as? Int == 0o600)

        let a = try CLI.run(["exercises", "1", "--student", "s1001", "--course", course, "--solutions"])
        let b = try CLI.run(["exercises", "1", "--student", "s1002", "--course", course, "--solutions"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(a.stdout.contains("Your own variant, student s1001") && a.stdout.contains("student = \"s1001\""))
        let at = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("The program, at ") }.map(String.init) }
        #expect(at(a.stdout) != at(b.stdout) && at(a.stdout) != "The program, at x = -2, y = 5, z = -4:")
        let answerA = try #require(Self.dfdx(a.stdout)), answerB = try #require(Self.dfdx(b.stdout))
        try #require(answerA != answerB, "the two variants share ∂f/∂x")

        let submissions = directory + "/subs"
        try FileManager.default.createDirectory(atPath: submissions, withIntermediateDirectories: true)
        for (file, student) in [("a.toml", "s1001"), ("b.toml", "s1002"), ("c.toml", "s9999")] {
            try "student = \"\(student)\"\nlesson = 1\n[answers]\ndf-dx = \(answerA)\n".write(toFile: submissions + "/" + file, atomically: true, encoding: .utf8)
        }
        let graded = try CLI.run(["grade", submissions, "--lesson", "1", "--course", course, "--json"])
        #expect(graded.status == 0, "\(graded.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(graded.stdout.utf8)) as? [String: Any])
        let rows = report["submissions"] as? [[String: Any]] ?? []
        func verdict(_ student: String) -> String? {
            let row = rows.first { $0["student"] as? String == student }
            return (row?["exercises"] as? [[String: Any]])?.first { $0["id"] as? String == "df-dx" }?["verdict"] as? String
        }
        #expect(verdict("s1001") == "right" && verdict("s1002") == "wrong", "\(graded.stdout)")
        let stranger = rows.first { $0["student"] as? String == "s9999" }
        #expect((stranger?["reason"] as? String)?.contains("student 's9999' is not on the course's roster") == true, "\(String(describing: stranger))")
        // One file: graded against its own student's variant (exit 0); a stranger's file: exit 2.
        let notes = try CLI.run(["grade", submissions + "/a.toml", "--course", course])
        #expect(notes.status == 0 && notes.stdout.contains("df-dx"), "\(notes.stdout) \(notes.stderr)")
        let single = try CLI.run(["grade", submissions + "/c.toml", "--course", course])
        #expect(single.status == 2 && single.stderr.contains("not on the course's roster"), "\(single.stderr)")

        let unknown = try CLI.run(["exercises", "1", "--student", "s9999", "--course", course])
        #expect(unknown.status == 2 && unknown.stderr.split(separator: "\n").count == 1 && unknown.stderr.contains("not on the course's roster"))
        chmod(directory + "/course.secret", 0o644)
        let open = try CLI.run(["exercises", "1", "--student", "s1001", "--course", course])
        #expect(open.status == 2 && open.stderr.contains("chmod 600"), "\(open.stderr)")
    }
}
