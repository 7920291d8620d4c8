import ArgumentParser
import Foundation
import Server
import Support

/// `backprop course`: the teacher's work on a course's sign-in codes (docs/serve.md).
struct CourseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "course",
        abstract: "Manage a course's sign-in codes (see serve --course).",
        subcommands: [Reissue.self])

    /// `backprop course reissue ID --course FILE [--data DIR]`.
    struct Reissue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reissue",
            abstract: "Revoke a student's sign-in code and sessions and issue a new code, appended to DATA/sign-in.csv.",
            discussion: """
                The old code stops working at once, also on a running server (they share DATA/attempts.sqlite),
                and the student's sessions end. The new code is printed and appended to DATA/sign-in.csv.
                  backprop course reissue s2001 --course course.toml --data course-data
                Exit status: 0 issued; 2 no such student, a bad course file or data directory.
                """)

        @Argument(help: "The student's id, as on the roster.") var student: String
        @Option(help: "The course file.") var course: String
        @Option(help: "The server's data directory (as serve --data).") var data = "backprop-data"

        func run() throws {
            let code: String
            do { code = try SignIn.reissue(student: student, courseFile: course, dataDirectory: data) } catch {
                throw error.failure ?? WorkbenchFailure.badInput(error.description)
            }
            print("\(student): new sign-in code \(code) (appended to \((data as NSString).appendingPathComponent("sign-in.csv")))")
        }
    }
}
