import Foundation
import Support

/// A gradebook across a course's assignments (`GET /api/teacher/gradebook.csv`, docs/serve.md): one
/// row per roster student, in the roster's order, whether or not they answered; one grade column per
/// assignment; missing and late marked. It writes the same three layouts as `Gradebook` (the one
/// lesson of `backprop grade`), with the same fields (`GradeBatch.csvField`), the same one-line
/// feedback (`Gradebook.feedback`) and Canvas's columns (`Gradebook.canvasColumns`):
///
/// - `csv`: `student`, `name`, then per assignment its title (the points) and `TITLE: status`
///   (`on time`, `late` or `missing`), then `total`.
/// - `moodle`: the roster's identifier column, `Full name`, then per assignment its title (the
///   points; empty when missing) and `Feedback: TITLE` (the feedback, starting `late: …` for a late
///   attempt, `missing: no answer was sent` when none), each to map to the item's feedback.
/// - `canvas`: `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, one column per assignment,
///   the `Points Possible` row; a missing grade is an empty cell (Canvas leaves it unchanged).
///   Canvas's import has no column for comments, so a late mark cannot travel in it: the plain CSV
///   and the teacher's page show it.
public struct CourseGradebook {
    /// One student's counted grade at one assignment.
    public struct Entry: Sendable {
        public let points: Double
        public let feedback: String
        public let late: Bool
        public init(points: Double, feedback: String, late: Bool) {
            self.points = points; self.feedback = feedback; self.late = late
        }
    }

    /// One assignment: its column's title, its points, and the grades by student id.
    public struct Assignment: Sendable {
        public let title: String
        public let maxPoints: Double
        public let grades: [String: Entry]
        public init(title: String, maxPoints: Double, grades: [String: Entry]) {
            self.title = title; self.maxPoints = maxPoints; self.grades = grades
        }
    }

    public let format: Gradebook.Format
    /// The CSV text: UTF-8, CRLF line ends, RFC 4180 quoting, no formula can start a cell.
    public let text: String
    /// Rows of students (without the header and the Points Possible row): the roster's.
    public let rows: Int
    /// Grades missing (a student and an assignment without a graded attempt), and late ones.
    public let missing: Int
    public let late: Int

    /// - Parameters:
    ///   - roster: the class list; each row with an id in `idColumn` is a student.
    ///   - idColumn: the roster's column of student ids (the ids the grades are keyed by).
    /// - Throws: `WorkbenchFailure.badInput` for Canvas when the roster has none of ID, SIS User ID, SIS Login ID.
    public init(roster: Roster, idColumn: Int, assignments: [Assignment], format: Gradebook.Format) throws(WorkbenchFailure) {
        self.format = format
        let students = roster.rows.filter { !$0[idColumn].isEmpty }
        if format == .canvas, ["ID", "SIS User ID", "SIS Login ID"].allSatisfy({ roster.column($0) == nil }) {
            throw .badInput("\(TerminalText.safe(roster.file)): Canvas matches students by ID, SIS User ID or SIS Login ID, and the roster has none of these columns; give Canvas's gradebook export (Grades → Export) as the roster")
        }
        var lines: [[String]] = []
        var missing = 0, late = 0
        for row in students {
            for assignment in assignments {
                if let entry = assignment.grades[row[idColumn]] { if entry.late { late += 1 } } else { missing += 1 }
            }
        }
        switch format {
        case .csv:
            lines.append(["student", "name"] + assignments.flatMap { [$0.title, $0.title + ": status"] } + ["total"])
            for row in students {
                let id = row[idColumn]
                var cells = [id, roster.name(row) ?? ""]
                var total = 0.0
                for assignment in assignments {
                    if let entry = assignment.grades[id] {
                        total += entry.points
                        cells += [GradeFormat.points(entry.points), entry.late ? "late" : "on time"]
                    } else {
                        cells += ["", "missing"]
                    }
                }
                lines.append(cells + [GradeFormat.points(total)])
            }
        case .moodle:
            lines.append([roster.header[idColumn], "Full name"] + assignments.flatMap { [$0.title, "Feedback: " + $0.title] })
            for row in students {
                let id = row[idColumn]
                var cells = [id, roster.name(row) ?? ""]
                for assignment in assignments {
                    if let entry = assignment.grades[id] {
                        cells += [GradeFormat.points(entry.points), (entry.late ? "late: " : "") + entry.feedback]
                    } else {
                        cells += ["", "missing: no answer was sent"]
                    }
                }
                lines.append(cells)
            }
        case .canvas:
            lines.append(Gradebook.canvasColumns + assignments.map(\.title))
            lines.append(["Points Possible", "", "", "", ""] + assignments.map { GradeFormat.points($0.maxPoints) })
            for row in students {
                var cells = Gradebook.canvasColumns.map { name in roster.column(name).map { row[$0] } ?? "" }
                if cells[0].isEmpty { cells[0] = roster.name(row) ?? "" }
                for assignment in assignments { cells.append(assignment.grades[row[idColumn]].map { GradeFormat.points($0.points) } ?? "") }
                lines.append(cells)
            }
        }
        self.rows = students.count
        self.missing = missing
        self.late = late
        let field = GradeBatch.csvField
        self.text = lines.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}
