import Foundation
import Autograd
import Support
import Claims
import Lessons

// `grade DIR --feedback PAGES`: one page per student with each exercise's verdict, points and hint,
// in Markdown or HTML. Everything a student wrote is escaped for the page (TerminalText).

/// The feedback pages of a graded directory.
public enum FeedbackPages {
    /// The page formats.
    public enum Format: String, CaseIterable, Sendable { case md, html }

    /// One page per submission that gave a valid student id (a rejected one says why it was not
    /// graded), named after the id: `s1234567.md`. Two files with the same id get `s1234567-2.md`.
    public static func pages(_ grades: [SubmissionGrade], set: ExerciseSet, format: Format) -> [(name: String, text: String)] {
        var used: Set<String> = []
        var pages: [(name: String, text: String)] = []
        for grade in grades {
            guard let student = grade.student else { continue }
            let stem = fileStem(student)
            var name = stem + "." + format.rawValue
            var n = 2
            while used.contains(name.lowercased()) { name = "\(stem)-\(n).\(format.rawValue)"; n += 1 }
            used.insert(name.lowercased())
            pages.append((name, format == .md ? markdown(grade, set: set) : html(grade, set: set)))
        }
        return pages
    }

    /// Writes the pages into `directory` (created if missing) through one descriptor of it
    /// (`OutputDirectory`): a symbolic link planted at a page's name is refused, never followed, and
    /// no page replaces an input of the run (`guardian`). Returns how many pages were written.
    /// - Throws: `WorkbenchFailure.badInput` naming the folder or the page and why.
    public static func write(_ grades: [SubmissionGrade], set: ExerciseSet, format: Format, to directory: String,
                             guardian: OutputGuard) throws(WorkbenchFailure) -> Int {
        let folder: OutputDirectory
        do { folder = try OutputDirectory(creating: directory) } catch { throw .badInput(TerminalText.safe("--feedback: \(error)")) }
        try guardian.checkDirectory(directory, option: "--feedback")
        let pages = pages(grades, set: set, format: format)
        for page in pages {
            _ = try guardian.check((directory as NSString).appendingPathComponent(page.name), option: "--feedback")
            do { try folder.write(page.text, to: page.name) } catch { throw .badInput(TerminalText.safe("--feedback: \(error)")) }
        }
        return pages.count
    }

    /// A file name from a student id: letters, digits, `.`, `_`, `-` and `@` kept, anything else `_`;
    /// never hidden, never `.` or `..`.
    public static func fileStem(_ student: String) -> String {
        var stem = String(student.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-@".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
        })
        while stem.hasPrefix(".") { stem = "_" + stem.dropFirst() }
        return stem.isEmpty ? "_" : String(stem.prefix(80))
    }

    /// The answer as the page shows it: at most 80 characters.
    static func shortened(_ given: String?) -> String {
        guard let given else { return "" }
        return given.count > 80 ? String(given.prefix(79)) + "…" : given
    }

    static func verdictWord(_ verdict: Verdict) -> String {
        switch verdict {
        case .right: return "✓ right"
        case .wrong: return "✗ wrong"
        case .invalid: return "✗ not readable"
        case .partial: return "◐ partly right"
        case .missing: return "· no answer"
        }
    }

    /// The page in Markdown.
    public static func markdown(_ grade: SubmissionGrade, set: ExerciseSet) -> String {
        let md = TerminalText.markdown
        let who = md(grade.student ?? "?") + (grade.name.map { " (\(md($0)))" } ?? "")
        var lines = ["# Lesson \(set.lesson.number): \(md(set.lesson.title))", "", "Feedback for \(who), from the file \(md(grade.file)).", ""]
        if let rejection = grade.rejection {
            lines += ["Your file could not be graded: \(md(rejection)).", "", "Fix it and hand it in again; the sheet (`backprop exercises \(set.lesson.number)`) ends with a template of the answer file."]
            return lines.joined(separator: "\n") + "\n"
        }
        lines += ["**Total: \(GradeFormat.points(grade.points))/\(GradeFormat.points(grade.maxPoints)) points.**", ""]
        lines += ["| # | exercise | your answer | points | verdict | feedback |", "| --- | --- | --- | --- | --- | --- |"]
        for (index, exercise) in grade.exercises.enumerated() {
            lines.append("| \(index + 1) | \(md(exercise.id)) | \(md(shortened(exercise.given))) | \(GradeFormat.points(exercise.points))/\(GradeFormat.points(exercise.maxPoints)) | \(verdictWord(exercise.verdict)) | \(md(exercise.feedback)) |")
        }
        if !grade.notes.isEmpty {
            lines += ["", "Notes:", ""] + grade.notes.map { "- " + md($0) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The page as one self-contained HTML document.
    public static func html(_ grade: SubmissionGrade, set: ExerciseSet) -> String {
        let h = TerminalText.html
        let who = h(grade.student ?? "?") + (grade.name.map { " (\(h($0)))" } ?? "")
        var body = ["<h1>Lesson \(set.lesson.number): \(h(set.lesson.title))</h1>", "<p>Feedback for \(who), from the file <code>\(h(grade.file))</code>.</p>"]
        if let rejection = grade.rejection {
            body.append("<p>Your file could not be graded: \(h(rejection)).</p><p>Fix it and hand it in again; the sheet ends with a template of the answer file.</p>")
        } else {
            body.append("<p><strong>Total: \(GradeFormat.points(grade.points))/\(GradeFormat.points(grade.maxPoints)) points.</strong></p>")
            body.append("<table>\n<tr><th>#</th><th>exercise</th><th>your answer</th><th>points</th><th>verdict</th><th>feedback</th></tr>")
            for (index, exercise) in grade.exercises.enumerated() {
                body.append("<tr><td>\(index + 1)</td><td><code>\(h(exercise.id))</code></td><td><code>\(h(shortened(exercise.given)))</code></td><td>\(GradeFormat.points(exercise.points))/\(GradeFormat.points(exercise.maxPoints))</td><td>\(verdictWord(exercise.verdict))</td><td>\(h(exercise.feedback))</td></tr>")
            }
            body.append("</table>")
            if !grade.notes.isEmpty { body.append("<ul>" + grade.notes.map { "<li>\(h($0))</li>" }.joined() + "</ul>") }
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Lesson \(set.lesson.number): feedback for \(h(grade.student ?? "?"))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}td:nth-child(1),td:nth-child(2),td:nth-child(4),td:nth-child(5){white-space:nowrap}</style>
            </head><body>
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }
}
