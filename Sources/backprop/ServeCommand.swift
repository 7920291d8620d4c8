import ArgumentParser
import Dispatch
import Foundation
import Server
import Support
import Claims
import Lessons
import Grading
import Pages

/// `backprop serve`: the workbench in a browser for a whole class (docs/serve.md).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the playground, the lessons, the exercises and the teacher's view over HTTP; store every answer attempt in SQLite.",
        discussion: """
            Students need only a browser. Every answer attempt is stored in DIR/attempts.sqlite before it is acknowledged.
            The teacher's view (/teacher) and routes (/api/teacher/...) need the token printed at start, or the one in --teacher-token-file.
            Without --course answers are practice: anyone may send them under any id. With --course FILE (docs/serve.md), each
            student on the roster gets a sign-in code in DATA/sign-in.csv (mode 0600) to hand out; answers need a signed-in
            student and follow the course's due times, attempts and reveal policy; each teacher uses their own token.
              backprop serve                                  (http://127.0.0.1:8080/)
              backprop serve --host 0.0.0.0 --port 8080 --data course-data
              backprop serve --course course.toml --data course-data --public-url https://class.example.org
            Ctrl-C (SIGINT) or SIGTERM stops it cleanly: requests in flight finish first.
            Exit status: 0 stopped cleanly; 2 bad usage, an unusable data directory or port.
            """)

    @Option(help: "The address to listen on; 0.0.0.0 for every interface (the default is this machine only).") var host = "127.0.0.1"
    @Option(help: "The port (0 picks a free one).") var port = 8080
    @Option(help: "The directory of the SQLite file of answer attempts (created if missing).") var data = "backprop-data"
    @Option(help: "Read the teacher's token from this file (its first line) instead of making a random one.") var teacherTokenFile: String?
    @Option(help: "A course file (TOML): roster, teachers' token hashes, assignments with due times, attempts and reveal policy.") var course: String?
    @Option(help: "The server's address as students reach it, for the /join links in sign-in.csv (e.g. https://class.example.org).") var publicURL: String?
    @Option(help: "Requests a second allowed per client address (0: no limit).") var clientRate: Double = 100
    @Option(help: "Evaluations running or waiting at once; more are answered 503.") var evaluations = 512
    @Option(help: "Connections served at once; beyond, the longest idle one is closed for a new one (default: the open-file limit less 256).") var connections: Int?
    @Option(help: "Megabytes all requests may hold at once; more are answered 503 (default: half the memory, 512 to 8192).") var memoryBudget: Int?
    @Option(help: "Seconds a connection may stay idle, or take to send a request's head (default 30).") var idleTimeout: Int?
    @Option(help: "Seconds a request's body may take to arrive after its head (default 30).") var bodyTimeout: Int?

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port \(port): use 0 to 65535") }
        if clientRate < 0 || !clientRate.isFinite { throw ValidationError("--client-rate \(clientRate): use a number ≥ 0") }
        if !(1...10_000).contains(evaluations) { throw ValidationError("--evaluations \(evaluations): use 1 to 10000") }
        if let connections, !(1...1_000_000).contains(connections) { throw ValidationError("--connections \(connections): use 1 to 1000000") }
        if let memoryBudget, !(64...1_048_576).contains(memoryBudget) { throw ValidationError("--memory-budget \(memoryBudget): use 64 to 1048576 (megabytes)") }
        if let idleTimeout, !(1...3600).contains(idleTimeout) { throw ValidationError("--idle-timeout \(idleTimeout): use 1 to 3600 (seconds)") }
        if let bodyTimeout, !(1...3600).contains(bodyTimeout) { throw ValidationError("--body-timeout \(bodyTimeout): use 1 to 3600 (seconds)") }
    }

    func run() throws {
        var options = ServeOptions()
        options.host = host
        options.port = port
        options.dataDirectory = data
        options.clientRate = clientRate
        options.evaluations = evaluations
        options.connections = connections
        options.memoryBudget = memoryBudget.map { $0 << 20 }
        if let idleTimeout { options.idleTimeout = .seconds(idleTimeout) }
        if let bodyTimeout { options.bodyTimeout = .seconds(bodyTimeout) }
        options.courseFile = course
        options.publicURL = publicURL
        if course != nil && teacherTokenFile != nil {
            throw WorkbenchFailure.badInput("--teacher-token-file: with --course each teacher's token is in the course file (token_sha256)")
        }
        if let teacherTokenFile {
            let token = try InputFile.text(teacherTokenFile, limit: 4096).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            guard token.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw WorkbenchFailure.badInput("\(teacherTokenFile): the token must be one line of at least 16 printable ASCII characters")
            }
            options.teacherToken = token
        }
        let server: WorkbenchServer
        do { server = try WorkbenchServer(options) } catch { throw error.failure ?? WorkbenchFailure.badInput(error.description) }

        let tokenSource = teacherTokenFile.map { "read from \($0)" }
        let outcome = ServeOutcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { start in
                    print("backprop serve: listening on \(start.url)")
                    print("  playground \(start.url)   lessons \(start.url)lessons   exercises \(start.url)exercises/1   teacher \(start.url)teacher")
                    print("  data: \(start.dataFile) (\(start.storedAttempts) attempt\(start.storedAttempts == 1 ? "" : "s") stored)")
                    if let name = start.course {
                        print("  course: \(name); \(start.issuedCodes) new sign-in code\(start.issuedCodes == 1 ? "" : "s") in \(start.signInFile ?? "")")
                        print("  teacher tokens: the course file's (token_sha256)")
                        if !start.ltiPlatforms.isEmpty {
                            let base = publicURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? start.url
                            print("  LTI 1.3 (\(start.ltiPlatforms.joined(separator: ", "))): login \(base)lti/login   launch \(base)lti/launch   keys \(base)lti/jwks.json")
                        }
                    } else {
                        print("  teacher token: \(tokenSource ?? start.teacherToken)")
                        print("  no course: answers are practice (any id may be sent); --course FILE for sign-in and grades that count")
                    }
                    print("  Ctrl-C stops the server")
                    fflush(nil)
                }
            } catch { outcome.set("\(error)") }
            done.signal()
        }
        done.wait()
        if let error = outcome.error {
            throw WorkbenchFailure.badInput("serve \(host):\(port): \(error)")
        }
        print("backprop serve: stopped")
    }
}

/// The error the server task ended with, handed to the waiting command.
final class ServeOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var message: String?
    func set(_ text: String) { lock.withLock { message = text } }
    var error: String? { lock.withLock { message } }
}
