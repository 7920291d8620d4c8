import ArgumentParser
import Foundation
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages

/// `backprop exercises N`: a lesson's exercise sheet, with the engine's answers for the teacher.
struct ExercisesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exercises",
        abstract: "Print lesson N's exercise sheet (Markdown); --solutions adds the answers the engine computes.",
        discussion: """
            Exercises are [[exercise]] tables in the lesson file (docs/grading.md). Their answers are never typed in: the engine computes them from the lesson's program.
              backprop exercises 1
              backprop exercises 1 --solutions -o lesson1-solutions.md
              backprop exercises 1 --html sheet.html
              backprop exercises 1 -o sheet.pdf --paper Letter
              backprop exercises --all --solutions      (checks every exercise of every lesson)
              backprop exercises 1 --student s1001 --course course.toml --solutions   (that student's own variant)
            Exit status: 0 success; 1 a teacher's example formula disagrees with the engine; 2 bad usage or a bad exercise.
            """)

    @Argument(help: "The lesson's number, or a lesson file.") var lesson: String?
    @Flag(help: "Every lesson that has exercises, one sheet after the other.") var all = false
    @Flag(help: "Add each exercise's answer, as the engine computes it.") var solutions = false
    @Option(name: [.short, .customLong("output")], help: "Write the Markdown to FILE instead of standard output; FILE.pdf prints the HTML sheet to PDF.") var output: String?
    @Option(help: "Also write the sheet as a self-contained HTML page, the graph exercises drawn with their blanks.") var html: String?
    @Option(help: "The paper of a PDF (-o sheet.pdf): A4 or Letter.") var paper: Paper = .a4
    @Option(help: "A student's id on the course's roster: the sheet of their own variant (needs --course).") var student: String?
    @Option(help: "The course file (serve --course) whose secret draws each student's variant.") var course: String?

    func validate() throws {
        if all == (lesson != nil) { throw ValidationError(all ? "give a lesson number or --all, not both" : "which lesson? e.g. 'backprop exercises 1'") }
        if all && html != nil { throw ValidationError("--html draws one lesson's sheet; leave out --all") }
        if all && output?.lowercased().hasSuffix(".pdf") == true { throw ValidationError("-o FILE.pdf prints one lesson's sheet; leave out --all") }
        if (student == nil) != (course == nil) { throw ValidationError(student == nil ? "--course draws a student's variant: give --student ID too" : "--student needs --course FILE: the course's secret draws the student's variant") }
    }

    func run() throws {
        // Before any work: no output may replace the lesson file.
        try RunFiles(inputs: [(lesson.flatMap { Int($0) == nil ? $0 : nil }, "the lesson file")]).check([("-o", output), ("--html", html)])
        var sheets: [String] = []
        let variants = try GradeCommand.variants(course: course, student: student)
        func exercises(_ lesson: Lesson) throws(WorkbenchFailure) -> ExerciseSet {
            guard let student, let variants else { return try ExerciseSet(lesson) }
            return try variants.exercises(lesson, student: student)
        }
        if all {
            let lessons = try LessonLibrary.all().filter { !$0.exercises.isEmpty }
            for lesson in lessons { sheets.append(try exercises(lesson).markdown(solutions: solutions)) }
            if sheets.isEmpty { throw WorkbenchFailure.badInput("no lesson has exercises yet") }
        } else {
            let set = try exercises(try GradeCommand.lessonWithExercises(lesson!))
            if let output, output.lowercased().hasSuffix(".pdf") {
                // The HTML sheet printed by headless Chromium: the same masks, each exercise on one page.
                try PrintedPage.write(html: try set.html(solutions: solutions), to: output, paper: paper)
                if let html {
                    do { try AtomicFile.write(try set.html(solutions: solutions), to: html) } catch { throw WorkbenchFailure.badInput("\(error)") }
                }
                return
            }
            sheets.append(set.markdown(solutions: solutions))
            if let html {
                let page = try set.html(solutions: solutions)
                do { try AtomicFile.write(page, to: html) } catch { throw WorkbenchFailure.badInput("\(error)") }
            }
        }
        let text = sheets.joined(separator: "\n")
        if let output {
            do { try AtomicFile.write(text, to: output) } catch { throw WorkbenchFailure.badInput("\(error)") }
        } else {
            print(text, terminator: "")
        }
    }
}
