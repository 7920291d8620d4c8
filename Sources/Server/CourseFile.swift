import Foundation
import Grading
import LTI
import Support
import TOMLKit

/// A course file (`serve --course course.toml`, docs/serve.md): who is in the class, who teaches it,
/// and which lessons are graded under which policy.
///
/// ```toml
/// name = "Deep learning, autumn 2026"
/// roster = "roster.csv"            # the LMS's export, relative to this file (as `grade --roster` reads it)
/// teachers = [ { name = "Ada", token_sha256 = "<64 hex digits: sha256sum of the token>" } ]   # or "teachers.txt"
///
/// [[assignment]]
/// lesson = 1
/// due = 2026-12-20T23:59:00Z       # a TOML offset date-time or an RFC 3339 string; optional
/// late_until = 2026-12-27T23:59:00Z   # optional: answers after due taken until then, marked late
/// attempts = 3                     # optional: no limit
/// counts = "best"                  # or "latest" (the default)
/// reveal = "after-due"             # the default; or "always" or "never"
/// ```
public struct CourseFile: Sendable {
    public enum Counts: String, Sendable { case best, latest }
    public enum Reveal: String, Sendable { case afterDue = "after-due", always, never }

    public struct Assignment: Sendable {
        public let lesson: Int
        public let due: Date?
        public let attempts: Int?
        public let counts: Counts
        public let reveal: Reveal
        /// Until when answers after `due` are still taken, marked late (`late_until`, CourseFile+Late.swift).
        public var lateUntil: Date? = nil
    }

    public struct Student: Sendable { public let id: String; public let name: String? }
    public struct Teacher: Sendable { public let name: String; public let tokenSHA256: [UInt8] }

    public let file: String
    public let name: String
    public let rosterFile: String
    public let students: [Student]
    public let teachers: [Teacher]
    public let assignments: [Assignment]
    /// `[lti]`: the tool's key and the LMSs that may launch it (CourseFile+LTI.swift, docs/lti.md).
    public let lti: LTIConfiguration?
    /// The course's secret file for the students' variants (`secret_file`, CourseFile+Variants.swift),
    /// resolved against the course file's folder; nil: every student gets the notes' numbers.
    public let secretFile: String?
    /// The roster as read at start: its header and rows, for the course gradebook.
    public let roster: Roster
    /// The roster's column of student ids.
    public let idColumn: Int

    public func assignment(_ lesson: Int) -> Assignment? { assignments.first { $0.lesson == lesson } }
    public func student(_ id: String) -> Student? { students.first { $0.id == id } }

    /// The largest course file read: 1 MB.
    public static let maximumBytes = 1 << 20
    static let topKeys = ["name", "roster", "teachers", "assignment", "secret_file", "lti"]
    static let assignmentKeys = ["lesson", "due", "attempts", "counts", "reveal"] + lateKeys

    /// Reads and checks a course file and its roster.
    /// - Throws: `WorkbenchFailure.badInput` (exit 2) with `file:line:column` and what is wrong.
    public init(file: String) throws(WorkbenchFailure) {
        try self.init(text: try InputFile.text(file, limit: Self.maximumBytes), file: file)
    }

    public init(text: String, file: String) throws(WorkbenchFailure) {
        self.file = file
        let table = try TOMLGuard.table(text, file: file)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Where `[[assignment]]` headers and `key =` lines stand, for messages (TOMLKit gives no places).
        let headers = lines.indices.filter { lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("[[assignment]]") }
        func place(_ key: String?, section: Int?) -> SourceLocation {
            let start = section.map { headers.indices.contains($0) ? headers[$0] + 1 : 0 } ?? 0
            let end = section.map { headers.indices.contains($0 + 1) ? headers[$0 + 1] : lines.count } ?? (headers.first ?? lines.count)
            if let key {
                for index in start..<end {
                    let line = lines[index]
                    let trimmed = line.drop { $0 == " " || $0 == "\t" }
                    if trimmed.hasPrefix(key), trimmed.dropFirst(key.count).drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("=") {
                        return SourceLocation(file: file, line: index + 1, column: line.count - trimmed.count + 1)
                    }
                }
            }
            return SourceLocation(file: file, line: section.map { headers.indices.contains($0) ? headers[$0] + 1 : 1 } ?? 1, column: 1)
        }
        func fail(_ key: String?, _ section: Int? = nil, _ message: String) -> WorkbenchFailure { .badInput(message, at: place(key, section: section)) }

        for key in table.keys.sorted() where !Self.topKeys.contains(key) {
            throw fail(key, nil, "unknown key '\(key)'; a course file has " + Self.topKeys.joined(separator: ", "))
        }
        guard let name = table["name"]?.string, (1...200).contains(name.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw fail("name", nil, "'name' must be the course's name, a string of 1 to 200 characters on one line")
        }
        self.name = name
        guard let roster = table["roster"]?.string, !roster.isEmpty else {
            throw fail("roster", nil, "'roster' must name the class list (the LMS's CSV export), relative to the course file")
        }
        let directory = (file as NSString).deletingLastPathComponent
        rosterFile = roster.hasPrefix("/") ? roster : (directory.isEmpty ? roster : (directory as NSString).appendingPathComponent(roster))
        let list = try Roster(file: rosterFile)
        self.roster = list
        guard let idColumn = list.column("ID number", "SIS User ID", "Student ID", "ID", "SIS Login ID", "Username", "student") else {
            throw fail("roster", nil, "\(roster): no student id column (ID number, SIS User ID, Student ID, ID, SIS Login ID, Username or student)")
        }
        self.idColumn = idColumn
        var seen = Set<String>()
        var students: [Student] = []
        for row in list.rows {
            let id = row[idColumn]
            guard !id.isEmpty else { continue }
            guard id.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || " ._-@'".contains($0) }) else {
                throw fail("roster", nil, "\(roster): student id '\(TerminalText.safe(String(id.prefix(40))))': use letters, digits, spaces and . _ - @ ' only (at most 64)")
            }
            guard seen.insert(id).inserted else { throw fail("roster", nil, "\(roster): student id '\(id)' is there twice") }
            students.append(Student(id: id, name: list.name(row)))
        }
        guard !students.isEmpty else { throw fail("roster", nil, "\(roster): no student has an id") }
        self.students = students
        secretFile = try Self.secretFile(table, directory: directory) { message in fail("secret_file", nil, message) }

        var teachers: [Teacher] = []
        if let teacherFile = table["teachers"]?.string {
            // A file of its own: one teacher a line, `SHA256HEX NAME`; `#` starts a comment.
            let path = teacherFile.hasPrefix("/") || directory.isEmpty ? teacherFile : (directory as NSString).appendingPathComponent(teacherFile)
            let text = try InputFile.text(path, limit: 64 << 10)
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?.trimmingCharacters(in: .whitespaces) ?? ""
                guard !content.isEmpty else { continue }
                let parts = content.split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2, let digest = CourseSecret.hexBytes(parts[0]), digest.count == 32 else {
                    throw .badInput("a teacher is one line: the token's SHA-256 (64 hex digits, printf %s TOKEN | sha256sum), a space, the name",
                                    at: SourceLocation(file: path, line: index + 1, column: 1))
                }
                teachers.append(Teacher(name: parts[1].trimmingCharacters(in: .whitespaces), tokenSHA256: digest))
            }
            guard !teachers.isEmpty else { throw fail("teachers", nil, "\(teacherFile): no teacher in it") }
        }
        if teachers.isEmpty {
            guard let teacherList = table["teachers"]?.array, !teacherList.isEmpty else {
                throw fail("teachers", nil, "'teachers' must list the teachers, teachers = [ { name = \"Ada\", token_sha256 = \"<sha256sum of the token>\" } ], or name a file of them, teachers = \"teachers.txt\"")
            }
            for entry in teacherList {
                guard let teacher = entry.table, let name = teacher["name"]?.string, !name.isEmpty,
                      let hex = teacher["token_sha256"]?.string, let digest = CourseSecret.hexBytes(hex), digest.count == 32,
                      teacher.keys.allSatisfy({ ["name", "token_sha256"].contains($0) }) else {
                    throw fail("teachers", nil, "each teacher is { name = \"…\", token_sha256 = \"…\" }, the token's SHA-256 as 64 hex digits (printf %s TOKEN | sha256sum)")
                }
                teachers.append(Teacher(name: name, tokenSHA256: digest))
            }
        }
        self.teachers = teachers

        var assignments: [Assignment] = []
        let tables = table["assignment"]?.array
        guard let tables, !tables.isEmpty else { throw fail(nil, nil, "no [[assignment]]: list the graded lessons as [[assignment]] tables with lesson = N") }
        for (index, value) in tables.enumerated() {
            guard let entry = value.table else { throw fail(nil, index, "[[assignment]] must be a table") }
            for key in entry.keys.sorted() where !Self.assignmentKeys.contains(key) {
                throw fail(key, index, "unknown key '\(key)' in [[assignment]]; it has " + Self.assignmentKeys.joined(separator: ", "))
            }
            guard let lesson = entry["lesson"]?.int, lesson > 0 else { throw fail("lesson", index, "'lesson' must be a lesson number") }
            guard !assignments.contains(where: { $0.lesson == lesson }) else { throw fail("lesson", index, "lesson \(lesson) is assigned twice") }
            var due: Date? = nil
            if let value = entry["due"] {
                if let dateTime = value.dateTime, dateTime.offset == nil { throw fail("due", index, "'due' needs a time zone, e.g. 2026-12-20T23:59:00Z or …+01:00") }
                guard let time = Self.time(value) else { throw fail("due", index, "'due' must be an RFC 3339 time with a zone, e.g. 2026-12-20T23:59:00Z") }
                due = time
            }
            var attempts: Int? = nil
            if let value = entry["attempts"] {
                guard let count = value.int, (1...1000).contains(count) else { throw fail("attempts", index, "'attempts' must be a whole number from 1 to 1000") }
                attempts = count
            }
            let countsText = entry["counts"].map { $0.string ?? "?" } ?? "latest"
            guard let counts = Counts(rawValue: countsText) else { throw fail("counts", index, "'counts' must be \"best\" or \"latest\"") }
            let revealText = entry["reveal"].map { $0.string ?? "?" } ?? "after-due"
            guard let reveal = Reveal(rawValue: revealText) else { throw fail("reveal", index, "'reveal' must be \"after-due\", \"always\" or \"never\"") }
            var assignment = Assignment(lesson: lesson, due: due, attempts: attempts, counts: counts, reveal: reveal)
            assignment.lateUntil = try Self.lateUntil(entry, due: due) { key, message in fail(key, index, message) }
            assignments.append(assignment)
        }
        self.assignments = assignments
        lti = try Self.lti(table["lti"], text: text, file: file, directory: directory)
    }

    /// A TOML offset date-time, or an RFC 3339 string with a zone; nil otherwise (a local time has no zone).
    static func time(_ value: TOMLValueConvertible) -> Date? {
        if let dateTime = value.dateTime {
            guard let offset = dateTime.offset else { return nil }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(secondsFromGMT: offset.offset * 60) ?? TimeZone(identifier: "UTC")!
            return calendar.date(from: DateComponents(year: dateTime.date.year, month: dateTime.date.month, day: dateTime.date.day,
                                                      hour: dateTime.time.hour, minute: dateTime.time.minute, second: dateTime.time.second))
        }
        return value.string.flatMap { ISO8601DateFormatter().date(from: $0) }
    }
}
