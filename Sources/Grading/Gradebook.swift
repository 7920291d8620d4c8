import Foundation
import SwiftCSV
import Autograd
import Support
import Claims
import Lessons

// Gradebooks an LMS takes: Moodle's grade import (CSV with an identifier column that matches a user
// field), Canvas's gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, then assignment
// columns under a "Points Possible" row), and a plain CSV. Rows are matched to a class roster; files
// that could not be graded or matched are listed apart, never as rows. The formats and the pages
// of the LMSs they follow are in docs/grading.md.

/// The class list a gradebook is matched against: a CSV file with a header row, for example the
/// LMS's own export (Moodle: Grades → Export → Plain text file; Canvas: Grades → Export).
public struct Roster: Sendable {
    /// The file, as named.
    public let file: String
    /// The header row.
    public let header: [String]
    /// The people, one row each, as wide as the header (Canvas's "Points Possible" row left out).
    public let rows: [[String]]
    /// The file's identity, so that no output replaces it.
    public let id: SafeDirectory.FileID?

    /// The largest roster read: 10 MB.
    public static let maximumBytes = 10 << 20

    /// Reads a roster.
    /// - Throws: `WorkbenchFailure.badInput` when it cannot be read, is not UTF-8 CSV, or has no header or no one in it.
    public init(file: String) throws(WorkbenchFailure) {
        self.file = file
        let shown = TerminalText.safe(file)
        let data: Data
        do { data = Data(try InputFile.bytes(file, limit: Roster.maximumBytes)) } catch {
            throw .badInput("--roster \(shown): \(TerminalText.safe(error.what))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .badInput("--roster \(shown): not UTF-8 text; save it as CSV UTF-8") }
        let csv: EnumeratedCSV
        do { csv = try EnumeratedCSV(string: text, loadColumns: false) } catch {
            throw .badInput("--roster \(shown): not valid CSV: \(error)")
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        guard header.contains(where: { !$0.isEmpty }) else { throw .badInput("--roster \(shown): no header row (the first line names the columns, e.g. ID number,First name,Last name)") }
        let rows = csv.rows.filter { row in
            let first = row.first?.trimmingCharacters(in: .whitespaces) ?? ""
            return !first.hasPrefix("Points Possible") && row.contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }.map { row in (row + [String](repeating: "", count: max(0, header.count - row.count))).prefix(header.count).map { $0.trimmingCharacters(in: .whitespaces) } }
        guard !rows.isEmpty else { throw .badInput("--roster \(shown): no one in it (only the header row)") }
        self.header = header
        self.rows = rows
        self.id = SafeDirectory.FileID(path: file)
    }

    /// The column named one of `names` (case and spaces ignored), or nil.
    public func column(_ names: String...) -> Int? {
        func key(_ text: String) -> String { text.lowercased().filter { !$0.isWhitespace && $0 != "_" && $0 != "-" } }
        for name in names { if let index = header.firstIndex(where: { key($0) == key(name) }) { return index } }
        return nil
    }

    /// The column whose cells hold the most of `ids` (the first such column on a tie), or nil when none holds any.
    public func idColumn(for ids: Set<String>) -> Int? {
        var best: (column: Int, count: Int)? = nil
        for column in header.indices {
            let count = Set(rows.map { $0[column] }).intersection(ids).count
            if count > 0 && count > (best?.count ?? 0) { best = (column, count) }
        }
        return best?.column
    }

    /// A person's name from the usual columns (Moodle's First name and Last name or Surname, Canvas's
    /// Student, or Full name / Name), or nil.
    public func name(_ row: [String]) -> String? {
        if let first = column("First name", "firstname"), let last = column("Last name", "Surname", "lastname") {
            let name = (row[first] + " " + row[last]).trimmingCharacters(in: .whitespaces)
            return name.isEmpty ? nil : name
        }
        if let full = column("Full name", "Name", "Student"), !row[full].isEmpty { return row[full] }
        return nil
    }
}

/// A gradebook in one of the formats an LMS imports, with the files left out of it.
public struct Gradebook {
    /// The formats.
    public enum Format: String, CaseIterable, Sendable {
        /// `student,name,file,<exercise ids>,total,feedback`: one row per graded file.
        case csv
        /// Moodle's grade import: the roster's identifier column, Full name, the lesson's total, Feedback.
        case moodle
        /// Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, the assignment, under a Points Possible row.
        case canvas
    }

    /// A submission left out of the gradebook, and why.
    public struct Rejected: Sendable {
        public let file: String
        public let student: String?
        public let reason: String
    }

    public let format: Format
    /// The CSV text: UTF-8, CRLF line ends, RFC 4180 quoting, no formula can start a cell.
    public let text: String
    /// Rows of grades (without the header and the Points Possible row).
    public let rows: Int
    /// Submissions that could not be graded or matched: listed apart, never as rows.
    public let rejected: [Rejected]
    /// People on the roster with no graded submission (their names or ids).
    public let missing: [String]
    /// The roster column the student ids were matched in, when there is a roster.
    public let matchedColumn: String?

    /// The standard column headers of Canvas's gradebook import, in order.
    public static let canvasColumns = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]

    /// Builds the gradebook of `grades` (one per file, in file order).
    /// - Parameters:
    ///   - roster: needed for Moodle and Canvas: the ids and names that the LMS matches by.
    ///   - assignment: the title of the grade column (default `Lesson N: title`).
    /// - Throws: `WorkbenchFailure.badInput` when Moodle or Canvas has no roster, or the roster has no
    ///   column that holds the students' ids (Canvas: none of ID, SIS User ID, SIS Login ID).
    public init(grades: [SubmissionGrade], set: ExerciseSet, format: Format, roster: Roster?, assignment: String? = nil) throws(WorkbenchFailure) {
        self.format = format
        let lesson = set.lesson
        let title = assignment ?? "Lesson \(lesson.number): \(lesson.title)"
        var rejected: [Rejected] = []
        var graded: [SubmissionGrade] = []
        for grade in grades {
            if let reason = grade.rejection { rejected.append(Rejected(file: grade.file, student: grade.student, reason: reason)) }
            else { graded.append(grade) }
        }

        // Match each graded file to a roster row by its student id.
        var rowOf: [Int: Int] = [:]       // index in graded → roster row
        var column: Int? = nil
        if let roster {
            let ids = Set(graded.compactMap(\.student))
            if format == .canvas {
                let candidates = ["ID", "SIS User ID", "SIS Login ID"].compactMap { roster.column($0) }
                guard !candidates.isEmpty else {
                    throw .badInput("--roster \(TerminalText.safe(roster.file)): Canvas matches students by ID, SIS User ID or SIS Login ID, and the roster has none of these columns; give Canvas's gradebook export (Grades → Export) as the roster")
                }
                column = candidates.max { a, b in
                    Set(roster.rows.map { $0[a] }).intersection(ids).count < Set(roster.rows.map { $0[b] }).intersection(ids).count
                }
                if let chosen = column, Set(roster.rows.map { $0[chosen] }).intersection(ids).isEmpty { column = roster.idColumn(for: ids) ?? chosen }
            } else {
                column = roster.idColumn(for: ids)
            }
            if column == nil && !ids.isEmpty {
                let sample = ids.sorted().prefix(3).map { "'\($0)'" }.joined(separator: ", ")
                throw .badInput("--roster \(TerminalText.safe(roster.file)): no column holds the students' ids (the submissions give \(TerminalText.safe(sample))); its columns are \(TerminalText.safe(roster.header.joined(separator: ", ")))")
            }
            if let column {
                var byID: [String: Int] = [:]
                for (index, row) in roster.rows.enumerated() where byID[row[column]] == nil { byID[row[column]] = index }
                var kept: [SubmissionGrade] = []
                for grade in graded {
                    guard let student = grade.student, let row = byID[student] else {
                        rejected.append(Rejected(file: grade.file, student: grade.student,
                                                 reason: "student id '\(grade.student ?? "?")' is not on the roster (column '\(roster.header[column])' of \(roster.file))"))
                        continue
                    }
                    rowOf[kept.count] = row
                    kept.append(grade)
                }
                graded = kept
            }
        } else if format != .csv {
            throw .badInput("--format \(format.rawValue) needs --roster FILE: the class list whose ids \(format == .moodle ? "Moodle" : "Canvas") matches the rows by (docs/grading.md)")
        }

        // An LMS row per student: two files with the same id are left out, both, for the teacher to choose.
        if format != .csv {
            var count: [String: Int] = [:]
            for grade in graded { if let student = grade.student { count[student, default: 0] += 1 } }
            var kept: [SubmissionGrade] = [], keptRows: [Int: Int] = [:]
            for (index, grade) in graded.enumerated() {
                if let student = grade.student, count[student, default: 0] > 1 {
                    let others = graded.filter { $0.student == student && $0.file != grade.file }.map(\.file)
                    rejected.append(Rejected(file: grade.file, student: student,
                                             reason: "student id '\(student)' is also given by \(others.joined(separator: ", ")); keep one file and grade again"))
                    continue
                }
                keptRows[kept.count] = rowOf[index]
                kept.append(grade)
            }
            graded = kept
            rowOf = keptRows
        }

        // Who on the roster has no graded submission.
        var missing: [String] = []
        if let roster, let column {
            let matched = Set(rowOf.values)
            for (index, row) in roster.rows.enumerated() where !matched.contains(index) && !row[column].isEmpty {
                missing.append(roster.name(row).map { "\($0) (\(row[column]))" } ?? row[column])
            }
        }
        self.missing = missing
        self.matchedColumn = column.flatMap { roster?.header[$0] }
        self.rejected = rejected
        self.rows = graded.count

        let field = GradeBatch.csvField
        var lines: [[String]] = []
        switch format {
        case .csv:
            let ids = set.items.map(\.exercise.id)
            lines.append(["student", "name", "file"] + ids + ["total", "feedback"])
            for (index, grade) in graded.enumerated() {
                let name = rowOf[index].flatMap { roster?.name(roster!.rows[$0]) } ?? grade.name ?? ""
                var row = [grade.student ?? "", name, grade.file]
                for id in ids { row.append(GradeFormat.points(grade.exercises.first { $0.id == id }?.points ?? 0)) }
                row += [GradeFormat.points(grade.points), Gradebook.feedback(grade)]
                lines.append(row)
            }
        case .moodle:
            // Moodle maps a column to a user field (ID number, username, email…) under "Identify user by",
            // each grade column to a grade item, and a feedback column to "Feedback for" that item.
            let identifier = roster!.header[column ?? 0]
            lines.append([identifier, "Full name", title, "Feedback"])
            for (index, grade) in graded.enumerated() {
                let row = roster!.rows[rowOf[index]!]
                lines.append([row[column!], roster!.name(row) ?? grade.name ?? "", GradeFormat.points(grade.points), Gradebook.feedback(grade)])
            }
        case .canvas:
            // Canvas reads the student columns, then one column per assignment; a row starting with
            // "Points Possible" gives each assignment's points. It has no column for comments.
            lines.append(Gradebook.canvasColumns + [title])
            lines.append(["Points Possible", "", "", "", "", GradeFormat.points(set.maxPoints)])
            for (index, grade) in graded.enumerated() {
                let row = roster!.rows[rowOf[index]!]
                let cells = Gradebook.canvasColumns.map { name in roster!.column(name).map { row[$0] } ?? "" }
                var student = cells
                if student[0].isEmpty { student[0] = roster!.name(row) ?? grade.name ?? "" }
                lines.append(student + [GradeFormat.points(grade.points)])
            }
        }
        self.text = lines.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// One line of feedback for a gradebook cell: the exercises not right, each with its points and hint.
    public static func feedback(_ grade: SubmissionGrade) -> String {
        let notRight = grade.exercises.filter { $0.verdict != .right }
        guard !notRight.isEmpty else { return "all \(grade.exercises.count) exercises right" }
        let parts = notRight.map { "\($0.id) \(GradeFormat.points($0.points))/\(GradeFormat.points($0.maxPoints)): \($0.feedback)" }
        let text = parts.joined(separator: " | ")
        return text.count > 2000 ? String(text.prefix(1999)) + "…" : text
    }

    /// The rejected files as a CSV: `file,student,reason`.
    public var rejectedCSV: String {
        let field = GradeBatch.csvField
        let lines = [["file", "student", "reason"]] + rejected.map { [$0.file, $0.student ?? "", $0.reason] }
        return lines.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}
