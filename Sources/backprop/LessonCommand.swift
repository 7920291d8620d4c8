import ArgumentParser
import Diagrams
import Foundation
import Support
import Claims
import ModelFiles
import Lessons
import Grading
import Pages

/// `backprop lesson N`: replay a worked example of the notes and check its numbers.
struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "Replay lesson N step by step and check every number the notes print (exit 1 if one disagrees).",
        discussion: "Lessons are TOML files in lessons/ (docs/lesson-format.md). 'backprop lessons' lists them.",
        subcommands: [Run.self, Validate.self], defaultSubcommand: Run.self)

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Replay lesson N (the default: 'backprop lesson 1').")

        @Argument(help: "The lesson's number, or a lesson file.") var lesson: String?
        @Flag(help: "Run every lesson; exit 1 if any check fails.") var all = false
        @Flag(help: "Wait for Enter between steps (only on a terminal).") var step = false
        @Option(help: "Write the step frames as SVG into DIR.") var svg: String?
        @Option(help: "Write the lesson as one self-contained web page to FILE (docs/pages.md).") var html: String?
        @Option(name: [.short, .customLong("output")], help: "Draw the graph to FILE (.svg, .png, .dot), or print the whole lesson to FILE.pdf.") var output: String?
        @Option(help: "The paper of a PDF: A4 or Letter.") var paper: Paper = .a4
        @Flag(help: "Print a JSON report instead of the narration.") var json = false
        @Flag(help: "For a lesson that trains: the notes' full setting (more steps, all the data) instead of the short run; every entry of every tensor.") var full = false
        @Option(help: "For a lesson with [descent]: draw the loss surface's contours and every optimizer's path to FILE (SVG).") var plot: String?

        func validate() throws {
            if all == (lesson != nil) { throw ValidationError(all ? "give a lesson number or --all, not both" : "which lesson? e.g. 'backprop lesson 1' (see 'backprop lessons')") }
            if all && (svg != nil || html != nil || output != nil || plot != nil) { throw ValidationError("--svg, --html and -o draw one lesson; leave out --all") }
            if let output, RenderFormat(pathExtension: (output as NSString).pathExtension) == nil {
                throw ValidationError("-o \(output): unknown format; use a file ending in .svg, .png, .pdf or .dot")
            }
        }

        func run() throws {
            let lessons: [Lesson]
            if all { lessons = try LessonLibrary.all() }
            else if let lesson, let number = Int(lesson) {
                lessons = [try LessonLibrary.lesson(number)]   // a broken other lesson file does not stop this one
            } else { lessons = [try Lesson(file: lesson!)] }

            // Before any work: no output may replace a lesson file.
            var files = RunFiles()
            for lesson in lessons { files.add(lesson.file, as: "the lesson file \(lesson.file)") }
            try files.check([("-o", output), ("--html", html), ("--plot", plot)])
            var failed: [Int] = []
            var reports: [JSONValue] = []
            let interactive = step && isatty(0) == 1 && isatty(1) == 1
            for (index, lesson) in lessons.enumerated() {
                let run = try LessonRun(lesson, full: full)
                if !run.passed { failed.append(lesson.number) }
                try LessonOutputs.write(run, output: output, steps: svg, html: html, paper: paper)
                if let plot {
                    guard let descent = run.descent else { throw WorkbenchFailure.badInput("--plot: lesson \(lesson.number) has no [descent] to draw") }
                    try AtomicFile.write(try descent.svg(), to: plot)
                }
                if json { reports.append(run.json()); continue }
                if index > 0 { print("") }
                // Every line within LessonText.width (100) columns: long lines fold at spaces.
                let show = { (text: String) in print(LessonText.fit(text)) }
                show("Lesson \(lesson.number): \(lesson.title)")
                show("from the notes: \(lesson.source)")
                if !run.lesson.introduction.isEmpty { show("\n" + run.lesson.introduction.trimmingCharacters(in: .whitespacesAndNewlines)) }
                show("\nprogram:\n" + lesson.program.trimmingCharacters(in: .newlines).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n")
                for line in run.steps() {
                    show(line)
                    if interactive { print("  [Enter]", terminator: ""); fflush(nil); _ = readLine() }
                }
                print("")
                show(run.checkLines().joined(separator: "\n"))
            }
            if json { print((lessons.count == 1 && !all ? reports[0] : .array(reports)).serialized()) }
            if !failed.isEmpty {
                throw WorkbenchFailure.failed("lesson\(failed.count == 1 ? "" : "s") \(failed.map(String.init).joined(separator: ", ")): a check disagrees with the notes")
            }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a lesson file: schema, program and quantities (exit 2 with file:line if wrong), and that its figures agree with the engine (exit 1 if not).")
        @Argument(help: "The lesson file.") var file: String
        func run() throws {
            let lesson = try Lesson(file: file)
            let run = try LessonRun(lesson)
            let disagree = run.results.filter { !$0.passed }.map(\.check.quantity) + (run.model?.results.filter { !$0.passed }.map(\.check.quantity) ?? [])
                + (run.gradcam?.results.filter { !$0.passed }.map { "model \($0.check.model) \($0.check.quantity.rawValue)" } ?? [])
            if !disagree.isEmpty {
                throw WorkbenchFailure.failed("\(file): well-formed, but the engine disagrees with the notes' figure for \(disagree.joined(separator: ", ")) (run 'backprop lesson \(file)' to see both)")
            }
            var parts = ["\(run.job.trace.nodes.count) nodes", "\(lesson.checks.count) check\(lesson.checks.count == 1 ? "" : "s")"]
            if !lesson.formulas.isEmpty { parts.append("\(lesson.formulas.count) formula\(lesson.formulas.count == 1 ? "" : "s")") }
            if let model = lesson.model { parts.append("\(model.checks.count) model check\(model.checks.count == 1 ? "" : "s") (\(model.preset))") }
            if let gradcam = lesson.gradcam { parts.append("\(gradcam.checks.count) grad-cam check\(gradcam.checks.count == 1 ? "" : "s") (\(gradcam.models.count) CNN\(gradcam.models.count == 1 ? "" : "s"))") }
            if !lesson.exercises.isEmpty { parts.append("\(lesson.exercises.count) exercise\(lesson.exercises.count == 1 ? "" : "s")") }
            print("\(file): lesson \(lesson.number) '\(lesson.title)' is valid: " + parts.joined(separator: ", "))
        }
    }
}

/// `backprop lessons`: the list.
struct LessonsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lessons", abstract: "List the lessons: number, title, source in the notes.")
    func run() throws {
        // Grouped by chapter, in number order; the source goes on its own line, folded to 100 columns.
        var chapter: String? = nil
        for (index, lesson) in try LessonLibrary.all().enumerated() {
            if let name = lesson.presentation.chapter, name != chapter {
                if index > 0 { print("") }
                print(name)
                chapter = name
            }
            print(LessonText.fit(String(format: "%3d  ", lesson.number) + lesson.title))
            print(LessonText.fit("       from " + lesson.source))
        }
    }
}
