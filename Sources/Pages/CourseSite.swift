import Diagrams
import Foundation
import Support
import Claims
import Lessons
import Grading

/// The course as a static site (`backprop site DIR`): an index, every lesson's page and every
/// lesson's student sheet under DIR, which can be published as is; the solutions in a separate
/// folder the teacher keeps (never linked from the site).
///
/// Every link is relative, every page self-contained (no script, style or font from elsewhere), so
/// the site works from `file://` and from any static host.
///
/// ```
/// DIR/index.html               the lessons, each with its page and its sheet
/// DIR/lessons/001.html         lesson 1's page (LessonPage)
/// DIR/sheets/001.html, .md     lesson 1's student sheet (no answers)
/// TEACHER/001.html, .md        lesson 1's sheet with the engine's solutions
/// ```
public enum CourseSite {
    /// What was written.
    public struct Summary: Sendable {
        public let lessons: Int
        public let sheets: Int
        public let files: Int
    }

    /// Writes the site into `directory` and the solutions into `teacher`.
    /// - Throws: `WorkbenchFailure.badInput` for a directory that cannot be made or is the same as
    ///   the other, `.failed` if a lesson or Graphviz fails.
    public static func write(to directory: String, teacher: String, lessons: [Lesson]) throws(WorkbenchFailure) -> Summary {
        let site = URL(fileURLWithPath: directory).standardizedFileURL.path, kept = URL(fileURLWithPath: teacher).standardizedFileURL.path
        guard site != kept, !kept.hasPrefix(site + "/") else {
            throw .badInput("the solutions folder \(teacher) must not be inside the site \(directory): the site is for students")
        }
        // Each folder opened once and written through its descriptor (`OutputDirectory`): a link
        // planted at a page's name, or in place of lessons/ or sheets/, is refused, never followed.
        let siteFolder: OutputDirectory, lessonFolder: OutputDirectory, sheetFolder: OutputDirectory, teacherFolder: OutputDirectory
        do {
            siteFolder = try OutputDirectory(creating: directory)
            lessonFolder = try siteFolder.subdirectory("lessons")
            sheetFolder = try siteFolder.subdirectory("sheets")
            teacherFolder = try OutputDirectory(creating: teacher)
        } catch { throw .badInput("\(error)") }
        guard siteFolder.id != teacherFolder.id else {
            throw .badInput("the solutions folder \(teacher) is the site \(directory): the site is for students")
        }
        var files = 0
        func save(_ text: String, _ folder: OutputDirectory, _ name: String) throws(WorkbenchFailure) {
            do { try folder.write(text, to: name) } catch { throw .badInput("\(error)") }
            files += 1
        }
        var rows: [String] = []
        var sheets = 0
        for lesson in lessons {
            let name = String(format: "%03d", lesson.number)
            let run = try LessonRun(lesson)
            var links = [(text: "all lessons", href: "../index.html")]
            if !lesson.exercises.isEmpty { links.append((text: "exercise sheet", href: "../sheets/\(name).html")) }
            try save(try LessonPage.html(run, links: links), lessonFolder, "\(name).html")
            var sheetCell = "—"
            if !lesson.exercises.isEmpty {
                let set = try ExerciseSet(lesson)
                let back = "<p class=\"links\"><a href=\"../index.html\">all lessons</a> · <a href=\"../lessons/\(name).html\">the lesson</a></p>"
                let sheet = try set.html(solutions: false)
                try save(sheet.replacingOccurrences(of: "<body>\n", with: "<body>\n" + back + "\n"), sheetFolder, "\(name).html")
                try save(set.markdown(solutions: false), sheetFolder, "\(name).md")
                try save(try set.html(solutions: true), teacherFolder, "\(name).html")
                try save(set.markdown(solutions: true), teacherFolder, "\(name).md")
                sheetCell = "<a href=\"sheets/\(name).html\">\(set.items.count) exercises</a> (<a href=\"sheets/\(name).md\">Markdown</a>)"
                sheets += 1
            }
            rows.append("<tr><td>\(lesson.number)</td><td><a href=\"lessons/\(name).html\">\(htmlText(lesson.title))</a></td>"
                        + "<td>\(htmlText(lesson.source))</td><td>\(sheetCell)</td></tr>")
        }
        let index = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Backpropagation, shown: the lessons</title>
            <style>
            body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #24292f; line-height: 1.45; }
            table { border-collapse: collapse; width: 100%; }
            th, td { border-bottom: 1px solid #d0d7de; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
            td:first-child { text-align: right; color: #57606a; }
            </style>
            </head>
            <body>
            <h1>Backpropagation, shown</h1>
            <p>Each lesson replays a worked example of the course notes on the workbench's engine, step by step, and checks every figure the notes print. Each exercise sheet is for students: it has no answers.</p>
            <table>
            <tr><th>#</th><th>lesson</th><th>in the notes</th><th>exercise sheet</th></tr>
            \(rows.joined(separator: "\n"))
            </table>
            </body>
            </html>

            """
        try save(index, siteFolder, "index.html")
        return Summary(lessons: lessons.count, sheets: sheets, files: files)
    }
}
