import ArgumentParser
import Support
import Pages
import Lessons
import Grading

extension Paper: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { Paper.allCases.map(\.rawValue) }
}

/// `backprop site DIR`: the course as a static site, the solutions kept apart.
struct SiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site",
        abstract: "Write the course as a static site: an index, every lesson's page and student sheet; the solutions in a separate folder.",
        discussion: """
            The site (DIR) has only relative links and self-contained pages: open DIR/index.html from disk or publish DIR on any static host.
            The solutions go to --solutions (default: DIR-solutions), which the site never links to; keep it for the teacher.
              backprop site course
              backprop site public --solutions ~/teaching/solutions
            """)

    @Argument(help: "The site's folder (made if missing; files in it are replaced).") var directory: String
    @Option(help: "The folder for the sheets with solutions (default: DIR-solutions).") var solutions: String?

    func run() throws {
        let trimmed = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        let teacher = solutions ?? trimmed + "-solutions"
        let summary = try CourseSite.write(to: trimmed, teacher: teacher, lessons: try LessonLibrary.all())
        print("\(trimmed)/index.html: \(summary.lessons) lesson pages, \(summary.sheets) student sheets (\(summary.files) files in all)")
        print("\(teacher): the \(summary.sheets) sheets with solutions, for the teacher only (not linked from the site)")
    }
}
