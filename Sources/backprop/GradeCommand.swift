import ArgumentParser
import Foundation
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages
import Server

/// `backprop grade`: grade answer files against the answers the engine computes for a lesson's exercises.
struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade students' answer files (TOML) against the engine's answers; write a gradebook for Moodle, Canvas or a spreadsheet.",
        discussion: """
            An answer file names the student, the lesson and the answers by exercise id (docs/grading.md):
              student = "s1234567"
              lesson = 1
              [answers]
              df-dx = -4

              backprop grade answers.toml
              backprop grade submissions/ --lesson 1 --csv gradebook.csv
              backprop grade submissions/ --lesson 1 --format moodle --roster moodle-export.csv --csv moodle.csv
              backprop grade submissions/ --lesson 1 --format canvas --roster canvas-export.csv --csv canvas.csv --feedback pages/
              backprop grade submissions/ --lesson 1 --feedback pages/ --reveal after-due --due 2026-12-20T23:59:00Z

            A malformed, empty, huge or binary submission gets a one-line reason and is listed apart (stderr, --rejected), not as a gradebook row; a directory's other files are still graded. Submissions are never modified, and no output replaces an input.
            Exit status: 0 graded (a directory: the gradebook was written); 2 bad usage, or a single file that could not be graded.
            """)

    @Argument(help: "An answer file, or a directory of them.") var path: String
    @Option(help: "The lesson (its number, or a lesson file); needed for a directory.") var lesson: String?
    @Option(help: "Write the gradebook to this file (CSV, in the --format given).") var csv: String?
    @Option(help: "The gradebook's format: csv (student, name, each exercise, total, feedback), moodle (Moodle's grade import) or canvas (Canvas's gradebook import).")
    var format: String = "csv"
    @Option(help: "The class list (CSV with a header row, e.g. the LMS's gradebook export) whose ids the rows are matched to; needed for moodle and canvas.")
    var roster: String?
    @Option(help: "The title of the grade column for moodle and canvas (default 'Lesson N: title'); for Canvas, 'Title (id)' names an existing assignment.")
    var assignment: String?
    @Option(help: "Write the files left out of the gradebook (could not be graded or matched) to this CSV: file, student, reason.")
    var rejected: String?
    @Option(help: "Write one feedback page per student into this directory (created if needed).") var feedback: String?
    @Option(help: "The feedback pages' format: md or html.") var pages: String = "md"
    @Option(help: "When a wrong answer's feedback gives the engine's figure: always (the default), never, or after-due (only once the --due time has passed), as `serve --course` decides it. It holds for the report, the gradebook's feedback and the pages.")
    var reveal: String?
    @Option(help: "The assignment's due time, RFC 3339 with a zone (2026-12-20T23:59:00Z), for --reveal after-due (the default when --due is given).")
    var due: String?
    @Flag(help: "Print a JSON report instead of the text report.") var json = false
    @Option(help: "The course file (serve --course): each answer file is graded against its own student's variant (docs/grading.md).")
    var course: String?

    func run() throws {
        guard let format = Gradebook.Format(rawValue: format) else {
            throw WorkbenchFailure.badInput("--format \(TerminalText.safe(format)): use csv, moodle or canvas")
        }
        guard let pageFormat = FeedbackPages.Format(rawValue: pages) else {
            throw WorkbenchFailure.badInput("--pages \(TerminalText.safe(pages)): use md or html")
        }
        if format != .csv && roster == nil {
            throw WorkbenchFailure.badInput("--format \(format.rawValue) needs --roster FILE: the class list (e.g. \(format == .moodle ? "Moodle's grade export" : "Canvas's gradebook export")) whose ids the rows are matched to")
        }
        if format != .csv && csv == nil {
            throw WorkbenchFailure.badInput("--format \(format.rawValue) needs --csv FILE: where to write the gradebook")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil else {
            throw WorkbenchFailure.badInput("\(TerminalText.safe(path)): no such file or directory")
        }
        if let csv, let rejected, URL(fileURLWithPath: csv).standardizedFileURL == URL(fileURLWithPath: rejected).standardizedFileURL {
            throw WorkbenchFailure.badInput("--csv and --rejected name the same file, \(TerminalText.safe(csv)); give two files")
        }
        let reveal = try revealsFigures(now: Date())
        let roster = try self.roster.map { path throws(WorkbenchFailure) in try Roster(file: path) }
        if isDirectory.boolValue { try gradeDirectory(format: format, roster: roster, pages: pageFormat, reveal: reveal) }
        else { try gradeFile(format: format, roster: roster, pages: pageFormat, reveal: reveal) }
    }

    /// The lesson `--lesson` names, with its exercises prepared.
    static func exercises(_ text: String) throws(WorkbenchFailure) -> ExerciseSet {
        try ExerciseSet(try lessonWithExercises(text))
    }

    /// The course's variants (`--course FILE`), checking `student` (when given) against its roster; nil
    /// without a course. A course without `secret_file` gives everyone the notes' numbers: it says so.
    static func variants(course: String?, student: String?) throws(WorkbenchFailure) -> CourseVariants? {
        guard let course else { return nil }
        let file = try CourseFile(file: course)
        if let student, file.student(student) == nil {
            throw .badInput("student '\(TerminalText.safe(student))' is not on the course's roster (\(file.rosterFile))")
        }
        guard let variants = try file.variants() else {
            FileHandle.standardError.write(Data("note: \(course) names no secret_file: every student gets the notes' numbers\n".utf8))
            return CourseVariants(secret: CourseSecret(bytes: []), students: Set(file.students.map(\.id)), roster: file.rosterFile, varies: false)
        }
        return variants
    }

    /// The lesson `--lesson` names; an error when it has no exercises.
    static func lessonWithExercises(_ text: String) throws(WorkbenchFailure) -> Lesson {
        let lesson: Lesson
        if let number = Int(text) {
            lesson = try LessonLibrary.lesson(number)   // a broken other lesson file does not stop this one
        } else { lesson = try Lesson(file: text) }
        guard !lesson.exercises.isEmpty else {
            let with = ((try? LessonLibrary.load().lessons) ?? []).filter { !$0.exercises.isEmpty }.map { String($0.number) }
            throw .badInput("lesson \(lesson.number) has no exercises" + (with.isEmpty ? "" : "; lessons with exercises: " + with.joined(separator: ", ")))
        }
        return lesson
    }

    /// The inputs every run has besides the submissions: the roster and a lesson given as a file.
    func baseGuard(directory: String?, roster: Roster?) -> OutputGuard {
        var guardian = OutputGuard(gradedDirectory: directory)
        if let roster { guardian.add(roster.id, as: "the roster \(roster.file)") }
        if let lesson, Int(lesson) == nil { guardian.add(SafeDirectory.FileID(path: lesson), as: "the lesson file \(lesson)") }
        return guardian
    }

    /// `--reveal` and `--due`: whether wrong answers' feedback gives the engine's figure now. The
    /// policy of `serve --course` (docs/grading.md, "What the feedback reveals").
    func revealsFigures(now: Date) throws(WorkbenchFailure) -> Bool {
        let policy = reveal ?? (due == nil ? "always" : "after-due")
        guard ["always", "never", "after-due"].contains(policy) else {
            throw .badInput("--reveal \(TerminalText.safe(policy)): use after-due, always or never")
        }
        guard policy == "after-due" else {
            if due != nil { throw .badInput("--due is the time of --reveal after-due; with --reveal \(policy) it would change nothing: leave it out") }
            return policy == "always"
        }
        guard let due else { throw .badInput("--reveal after-due needs --due TIME (RFC 3339, e.g. 2026-12-20T23:59:00Z): figures are shown only after it") }
        guard let time = ISO8601DateFormatter().date(from: due) else {
            throw .badInput("--due \(TerminalText.safe(due)): use an RFC 3339 time with a zone, e.g. 2026-12-20T23:59:00Z or 2026-12-20T23:59:00+01:00")
        }
        return now >= time
    }

    func gradeDirectory(format: Gradebook.Format, roster: Roster?, pages: FeedbackPages.Format, reveal: Bool) throws {
        guard let lesson else { throw WorkbenchFailure.badInput("grading a directory needs --lesson N: every file is graded against that lesson") }
        let set = try GradeCommand.exercises(lesson)
        // Before anything is read: no output may be a file of the graded directory, or the directory itself.
        var guardian = baseGuard(directory: path, roster: roster)
        var notes: [String] = []
        for (option, output) in [("--csv", csv), ("--rejected", rejected)] {
            if let output, let note = try guardian.check(output, option: option) { notes.append(note) }
        }
        if let feedback { try guardian.checkDirectory(feedback, option: "--feedback") }

        let batch = try GradeBatch(directory: path, set: set, excluding: [csv, rejected].compactMap { $0 },
                                   variants: try GradeCommand.variants(course: course, student: nil), reveal: reveal)
        for file in batch.inputFiles { guardian.add(file, as: "a submission in \(path)") }
        let book = try Gradebook(grades: batch.grades, set: set, format: format, roster: roster, assignment: assignment)
        // Again after reading: a submission that appeared at an output's path is not replaced either.
        for (option, output) in [("--csv", csv), ("--rejected", rejected)] {
            if let output { _ = try guardian.check(output, option: option) }
        }
        if let csv { try GradeCommand.write(book.text, to: csv) }
        if let rejected { try GradeCommand.write(book.rejectedCSV, to: rejected) }
        let written = try writePages(batch.grades, set: set, format: pages, guardian: guardian)

        if json {
            var object = batch.json(gradebook: csv)
            if case .object(var members) = object {
                members["format"] = .string(format.rawValue)
                members["leftOut"] = .array(book.rejected.map { .object(["file": .string($0.file), "student": $0.student.map(JSONValue.string) ?? .null, "reason": .string($0.reason)]) })
                members["notInGradebook"] = .array(book.missing.map(JSONValue.string))
                object = .object(members)
            }
            print(object.serialized())
        } else {
            var report = batch.report()
            if format != .csv { report = report.replacingOccurrences(of: " (all kept)", with: " (all left out of the gradebook: keep one file and grade again)") }
            var lines = [report]
            if let csv {
                let matched = book.matchedColumn.map { ", matched by the roster's '\($0)'" } ?? ""
                lines.append("gradebook: \(csv) (\(format.rawValue), \(book.rows) row\(book.rows == 1 ? "" : "s")\(matched))")
            }
            if !book.missing.isEmpty {
                let shown = book.missing.prefix(10).joined(separator: ", ") + (book.missing.count > 10 ? ", and \(book.missing.count - 10) more" : "")
                lines.append("not in the gradebook: \(book.missing.count) on the roster (no submission, or one left out below): \(shown)")
            }
            if let feedback { lines.append("feedback: \(written) page\(written == 1 ? "" : "s") in \(feedback)") }
            if let rejected { lines.append("rejected: \(rejected) (\(book.rejected.count) file\(book.rejected.count == 1 ? "" : "s"))") }
            print(TerminalText.lines(lines.joined(separator: "\n")))
        }
        // The files left out of the gradebook, apart, on standard error.
        var errors = notes
        if !book.rejected.isEmpty {
            errors.append("left out of the gradebook: \(book.rejected.count) file\(book.rejected.count == 1 ? "" : "s")")
            errors += book.rejected.map { "  \($0.file): \($0.reason)" }
        }
        if !errors.isEmpty { FileHandle.standardError.write(Data((TerminalText.lines(errors.joined(separator: "\n")) + "\n").utf8)) }
    }

    func writePages(_ grades: [SubmissionGrade], set: ExerciseSet, format: FeedbackPages.Format, guardian: OutputGuard) throws -> Int {
        guard let feedback else { return 0 }
        return try FeedbackPages.write(grades, set: set, format: format, to: feedback, guardian: guardian)
    }

    func gradeFile(format: Gradebook.Format, roster: Roster?, pages: FeedbackPages.Format, reveal: Bool) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var guardian = baseGuard(directory: nil, roster: roster)
        guardian.add(SafeDirectory.FileID(path: path), as: "the submission \(path)")
        for (option, output) in [("--csv", csv), ("--rejected", rejected)] {
            if let output { _ = try guardian.check(output, option: option) }
        }
        if let feedback { try guardian.checkDirectory(feedback, option: "--feedback") }
        // A file named on the command line may be a link anywhere: the teacher chose it.
        let read = SubmissionFile.read(name, in: directory.isEmpty ? "." : directory, root: "/")
        var set: ExerciseSet? = try lesson.map(GradeCommand.exercises)
        let variants = try GradeCommand.variants(course: course, student: nil)
        let grade: SubmissionGrade
        switch read {
        case .skipped(let reason), .unreadable(let reason):
            grade = set?.rejected(file: path, reason: reason) ?? SubmissionGrade.unknown(file: path, reason: reason)
        case .bytes(let bytes):
            do {
                let submission = try Submission(bytes: bytes, file: path)
                if set == nil { set = try GradeCommand.exercises(String(submission.lesson)) }
                if let variants {
                    var sets: [String: ExerciseSet] = [:]
                    grade = variants.grade(bytes: bytes, file: path, notes: set!, sets: &sets, reveal: reveal)
                } else {
                    grade = set!.grade(submission, reveal: reveal)
                }
            } catch let rejection as Submission.Rejection {
                grade = set?.rejected(file: path, student: rejection.student, reason: rejection.reason)
                    ?? SubmissionGrade.unknown(file: path, student: rejection.student, reason: rejection.reason)
            }
        }
        if let set {
            let book = try Gradebook(grades: [grade], set: set, format: format, roster: roster, assignment: assignment)
            if let csv { try GradeCommand.write(book.text, to: csv) }
            if let rejected { try GradeCommand.write(book.rejectedCSV, to: rejected) }
            _ = try writePages([grade], set: set, format: pages, guardian: guardian)
            // A graded file that the roster does not know is left out of the gradebook: say so.
            if csv != nil, grade.rejection == nil, let left = book.rejected.first {
                FileHandle.standardError.write(Data((TerminalText.safe("left out of the gradebook: \(left.file): \(left.reason)") + "\n").utf8))
            }
        }
        print(json ? grade.json().serialized() : TerminalText.lines(grade.report()))
        if let rejection = grade.rejection { throw WorkbenchFailure.badInput(TerminalText.safe("\(path): \(rejection)")) }
    }

    static func write(_ text: String, to path: String) throws(WorkbenchFailure) {
        do { try AtomicFile.write(text, to: path) } catch { throw .badInput(TerminalText.safe("\(error)")) }
    }
}
