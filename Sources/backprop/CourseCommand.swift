import ArgumentParser
import Foundation
import Grading
import Server
import Support

/// `backprop course`: the teacher's work on a course's sign-in codes (docs/serve.md).
struct CourseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "course",
        abstract: "Manage a course's sign-in codes and its secret (see serve --course).",
        subcommands: [Reissue.self, Secret.self])

    /// `backprop course secret --course FILE`: makes the secret file the course file names.
    struct Secret: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "secret",
            abstract: "Make the course's secret file (secret_file in the course file): 256 random bits, mode 0600.",
            discussion: """
                Each student's variant of the exercises is drawn from this secret and their id (docs/grading.md,
                "A variant per student"). An existing secret file is kept: replacing it would change every
                student's inputs. Keep it with the same care as the teachers' tokens, and back it up.
                  backprop course secret --course course.toml
                Exit status: 0 made or already there; 2 a bad course file, no secret_file, a secret file that cannot be made or is unsafe.
                """)

        @Option(help: "The course file.") var course: String

        func run() throws {
            let file = try CourseFile(file: course)
            guard let path = file.secretFile else {
                throw WorkbenchFailure.badInput("the course file names no secret file: add secret_file = \"course.secret\" to it", at: SourceLocation(file: course))
            }
            let made = try CourseSecret.create(file: path)
            _ = try CourseSecret.read(file: path)   // what every later command reads: checked now
            print(made ? "\(path): a new secret (256 bits, mode 0600)" : "\(path): already there, kept (checked: the owner's only, \(CourseSecret.minimumBytes * 8) bits or more)")
        }
    }

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
