import ArgumentParser
import Foundation
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Benchmarks

/// `backprop grade`: grade answer files against the answers the engine computes for a lesson's exercises.
struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade students' answer files (TOML) against the engine's answers; write a gradebook CSV for a directory.",
        discussion: """
            An answer file names the student, the lesson and the answers by exercise id (docs/grading.md):
              student = "s1234567"
              lesson = 1
              [answers]
              df-dx = -4

              backprop grade answers.toml
              backprop grade submissions/ --lesson 1 --csv gradebook.csv

            A malformed, empty, huge or binary submission gets 0 points and a one-line reason; a directory's other files are still graded. Submissions are never modified.
            Exit status: 0 graded (a directory: the gradebook was written); 2 bad usage, or a single file that could not be graded.
            """)

    @Argument(help: "An answer file, or a directory of them.") var path: String
    @Option(help: "The lesson (its number, or a lesson file); needed for a directory.") var lesson: String?
    @Option(help: "Write the gradebook (student, one column per exercise, total) to this CSV file.") var csv: String?
    @Flag(help: "Print a JSON report instead of the text report.") var json = false

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil else {
            throw WorkbenchFailure.badInput("\(path): no such file or directory")
        }
        if isDirectory.boolValue { try gradeDirectory() } else { try gradeFile() }
    }

    /// The lesson `--lesson` names, with its exercises prepared.
    static func exercises(_ text: String) throws(WorkbenchFailure) -> ExerciseSet {
        let lesson: Lesson
        if let number = Int(text) {
            let lessons = try LessonLibrary.all()
            guard let found = lessons.first(where: { $0.number == number }) else {
                throw .badInput("there is no lesson \(number); the lessons are " + lessons.map { String($0.number) }.joined(separator: ", ") + " (see 'backprop lessons')")
            }
            lesson = found
        } else { lesson = try Lesson(file: text) }
        guard !lesson.exercises.isEmpty else {
            let with = ((try? LessonLibrary.all()) ?? []).filter { !$0.exercises.isEmpty }.map { String($0.number) }
            throw .badInput("lesson \(lesson.number) has no exercises" + (with.isEmpty ? "" : "; lessons with exercises: " + with.joined(separator: ", ")))
        }
        return try ExerciseSet(lesson)
    }

    func gradeDirectory() throws {
        guard let lesson else { throw WorkbenchFailure.badInput("grading a directory needs --lesson N: every file is graded against that lesson") }
        let set = try GradeCommand.exercises(lesson)
        let batch = try GradeBatch(directory: path, set: set, excluding: [csv].compactMap { $0 })
        if let csv { try GradeCommand.write(batch.csv(), to: csv) }
        print(json ? batch.json(gradebook: csv).serialized() : batch.report() + (csv.map { "\ngradebook: \($0) (\(batch.grades.count) row\(batch.grades.count == 1 ? "" : "s"))" } ?? ""))
    }

    func gradeFile() throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        // A file named on the command line may be a link anywhere: the teacher chose it.
        let read = SubmissionFile.read(name, in: directory.isEmpty ? "." : directory, root: "/")
        var set: ExerciseSet? = try lesson.map(GradeCommand.exercises)
        let grade: SubmissionGrade
        switch read {
        case .skipped(let reason), .unreadable(let reason):
            grade = set?.rejected(file: path, reason: reason) ?? SubmissionGrade.unknown(file: path, reason: reason)
        case .bytes(let bytes):
            do {
                let submission = try Submission(bytes: bytes, file: path)
                if set == nil { set = try GradeCommand.exercises(String(submission.lesson)) }
                grade = set!.grade(submission)
            } catch let rejection as Submission.Rejection {
                grade = set?.rejected(file: path, student: rejection.student, reason: rejection.reason)
                    ?? SubmissionGrade.unknown(file: path, student: rejection.student, reason: rejection.reason)
            }
        }
        if let csv, let set { try GradeCommand.write(GradeBatch.csv([grade], set: set), to: csv) }
        print(json ? grade.json().serialized() : grade.report())
        if let rejection = grade.rejection { throw WorkbenchFailure.badInput("\(path): \(rejection)") }
    }

    static func write(_ text: String, to path: String) throws(WorkbenchFailure) {
        do { try AtomicFile.write(text, to: path) } catch { throw .badInput("\(error)") }
    }
}
