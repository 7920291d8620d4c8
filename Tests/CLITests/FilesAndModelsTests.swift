import Foundation
import Testing

// Issue 30 (files, models and data): every reproducer ends in one line on stderr and exit 2,
// quickly; an output never replaces an input; a folder output never follows a planted link.

@Suite("backprop with hostile files, models and data", .serialized)
struct FilesAndModelsTests {
    static let lessons = ["BACKPROP_LESSONS": CLI.packageRoot.appendingPathComponent("lessons").path]

    /// Runs the command and checks: exit 2, one line on stderr containing `text`, within `seconds`.
    static func refused(_ arguments: [String], in directory: String, environment: [String: String] = lessons,
                        _ text: String, seconds: Double = 20) throws {
        let start = Date()
        let result = try CLI.run(arguments, in: directory, environment: environment)
        let elapsed = Date().timeIntervalSince(start)
        #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(text), "\(arguments): \(result.stderr)")
        #expect(elapsed < seconds, "\(arguments) took \(elapsed) s")
    }

    @Test("a model file whose input sizes multiply past an Int: summary, train and evaluate exit 2")
    func modelOverflow() throws {
        let directory = try CLI.temporaryDirectory()
        try "input = [4000000, 4000000, 4000000]\n[[layer]]\ntype = \"flatten\"\n".write(toFile: directory + "/big.toml", atomically: true, encoding: .utf8)
        let said = "the input [4000000, 4000000, 4000000] has more elements than an integer can count"
        try Self.refused(["summary", "big.toml"], in: directory, said)
        try Self.refused(["train", "big.toml", "--data", "iris"], in: directory, said)
        try #"{"format": "backprop-model", "version": 2, "model": "big", "data": "iris", "seed": 1, "input": [4000000, 4000000, 4000000], "layers": [{"type": "flatten"}, {"type": "linear", "outputs": 3}], "weights": [[0]], "biases": [[0]]}"#
            .write(toFile: directory + "/big.json", atomically: true, encoding: .utf8)
        try Self.refused(["evaluate", "big.json"], in: directory, said)
    }

    @Test("a named pipe as a saved model or a model file is refused at once")
    func fifo() throws {
        let directory = try CLI.temporaryDirectory()
        #expect(mkfifo(directory + "/m.json", 0o600) == 0 && mkfifo(directory + "/m.toml", 0o600) == 0)
        try Self.refused(["evaluate", "m.json"], in: directory, "m.json: error: is a named pipe, not a regular file", seconds: 10)
        try Self.refused(["summary", "m.toml"], in: directory, "m.toml: error: is a named pipe, not a regular file", seconds: 10)
    }

    /// A lessons directory whose data/digits.csv.gz holds `bytes` (gzipped).
    static func lessonsWithDigits(_ text: [UInt8]) throws -> String {
        let directory = try CLI.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let lesson = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.path + "/lessons").filter { $0.hasSuffix(".toml") }.sorted()[0]
        try FileManager.default.copyItem(atPath: CLI.packageRoot.path + "/lessons/" + lesson, toPath: directory + "/" + lesson)
        FileManager.default.createFile(atPath: directory + "/data/digits.csv", contents: Data(text))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-f", directory + "/data/digits.csv"]
        try gzip.run(); gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        return directory
    }

    @Test("a digits file of 3 columns is refused by line, not trapped in LabeledData")
    func digitsColumns() throws {
        let lessons = try Self.lessonsWithDigits(Array((0..<30).map { "\($0),\($0),\($0 % 10)\n" }.joined().utf8))
        try Self.refused(["train", "digits-mlp", "--data", "digits"], in: lessons, environment: ["BACKPROP_LESSONS": lessons],
                         "digits.csv.gz:1: a digits row has 64 pixels and a label")
    }

    @Test("a 66 MB CSV line is refused at once with its line number and the limit")
    func longLine() throws {
        let lessons = try Self.lessonsWithDigits(Array(String(repeating: "1,", count: 33_000_000).utf8) + Array("1\n".utf8))
        try Self.refused(["train", "digits-mlp", "--data", "digits"], in: lessons, environment: ["BACKPROP_LESSONS": lessons],
                         "digits.csv.gz:1: the line is 66000001 bytes; the limit for a CSV line is 1048576", seconds: 10)
    }

    @Test("trace --json over its byte budget is refused with the size and the limit")
    func jsonBudget() throws {
        let directory = try CLI.temporaryDirectory()
        let program = "c = reshape(a, [4, 1]) + reshape(a, [1, 4]); f = sum(c * c)"
        let small = ["BACKPROP_MAX_JSON_BYTES": "300"]
        try Self.refused(["trace", program, "--at", "a=[1,2,3,4]", "--json"], in: directory, environment: small,
                         "(BACKPROP_MAX_JSON_BYTES raises it")
        let fits = try CLI.run(["trace", program, "--at", "a=[1,2,3,4]", "--json"], in: directory)
        #expect(fits.status == 0 && fits.stdout.hasPrefix("{"), "\(fits.stderr)")
    }

    /// Writes `text` to `directory/name` and returns its bytes.
    static func plant(_ text: String, _ name: String, in directory: String) throws -> Data {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        return try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
    }

    @Test("an output that is an input of the run is refused, and the input is unchanged byte for byte")
    func selfOverwrite() throws {
        let directory = try CLI.temporaryDirectory()
        let program = try Self.plant("f = x * y\n", "p.dot", in: directory)
        _ = try Self.plant("f = x * y\n", "p.html", in: directory)
        let model = try Self.plant("input = [4]\n[[layer]]\ntype = \"linear\"\noutputs = 3\n", "m.toml", in: directory)
        #expect(symlink("m.toml", directory + "/link.json") == 0)
        let cases: [([String], String, Data)] = [
            (["trace", "--file", "p.dot", "--at", "x=1,y=2", "-o", "p.dot"], "p.dot", program),
            (["trace", "--file", "p.html", "--at", "x=1,y=2", "--html", "p.html"], "p.html", program),
            (["trace", "--file", "p.dot", "--at", "x=1,y=2", "--html", "./p.dot"], "p.dot", program),
            (["train", "m.toml", "--data", "iris", "--save", "m.toml"], "m.toml", model),
            (["train", "m.toml", "--data", "iris", "--save", "link.json"], "m.toml", model),
        ]
        for (arguments, file, before) in cases {
            try Self.refused(arguments, in: directory, "an input of this run; an output never replaces an input")
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)) == before, "\(arguments)")
        }
        var info = stat()
        #expect(lstat(directory + "/link.json", &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
    }

    @Test("grade --feedback does not follow a link planted at a page's name; the outside file is unchanged")
    func feedbackLink() throws {
        let directory = try CLI.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/fb", withIntermediateDirectories: true)
        _ = try Self.plant("student = \"s1\"\nlesson = 1\n[answers]\nq-value = 3\n", "sub/a.toml", in: directory)
        let outside = try Self.plant("the teacher's own file\n", "outside.txt", in: directory)
        #expect(symlink("../outside.txt", directory + "/fb/s1.md") == 0)
        let result = try CLI.run(["grade", "sub", "--lesson", "1", "--feedback", "fb"], in: directory, environment: Self.lessons)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("fb/s1.md: it is a symbolic link"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/outside.txt")) == outside)
        var info = stat()
        #expect(lstat(directory + "/fb/s1.md", &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
        // Without the link the page is written, as a regular file in the folder.
        #expect(unlink(directory + "/fb/s1.md") == 0)
        let again = try CLI.run(["grade", "sub", "--lesson", "1", "--feedback", "fb"], in: directory, environment: Self.lessons)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(lstat(directory + "/fb/s1.md", &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/fb") == ["s1.md"])
    }

    @Test("site refuses a link planted in place of its lessons folder")
    func siteLink() throws {
        let directory = try CLI.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/site", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/elsewhere", withIntermediateDirectories: true)
        #expect(symlink("../elsewhere", directory + "/site/lessons") == 0)
        let result = try CLI.run(["site", "site"], in: directory, environment: Self.lessons)
        #expect(result.status == 2 && result.stderr.contains("site/lessons"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/elsewhere").isEmpty)
    }
    @Test("trace --steps and lesson --svg do not follow a link planted at a frame's name")
    func framesLink() throws {
        let directory = try CLI.temporaryDirectory()
        let outside = try Self.plant("the student's own file\n", "outside.txt", in: directory)
        for (arguments, folder) in [(["trace", "q = x + y; f = q * z", "--at", "x=-2,y=5,z=-4", "--steps", "frames"], "frames"),
                                    (["lesson", "1", "--svg", "lessonframes"], "lessonframes")] {
            try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true)
            #expect(symlink("../outside.txt", directory + "/" + folder + "/step-001-forward-n2.svg") == 0)
            try Self.refused(arguments, in: directory, folder + "/step-001-forward-n2.svg: it is a symbolic link")
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/outside.txt")) == outside)
            // Without the link every frame is written, each a regular file in the folder.
            #expect(unlink(directory + "/" + folder + "/step-001-forward-n2.svg") == 0)
            let again = try CLI.run(arguments, in: directory, environment: Self.lessons)
            #expect(again.status == 0, "\(again.stderr)")
            var info = stat()
            #expect(lstat(directory + "/" + folder + "/step-001-forward-n2.svg", &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG)
        }
    }
    @Test("TOML that aborted toml++'s parser (`x = [}`): a model file, an answer file, a class folder: one line, exit 2")
    func tomlParserAssert() throws {
        // Found by libFuzzer (the model surface, 2026-12-07): an assert in toml++'s parse_value
        // aborted the process (exit 134) in debug and release builds alike; `make` builds with NDEBUG.
        let directory = try CLI.temporaryDirectory()
        _ = try Self.plant("ipe= [}\n", "bad.toml", in: directory)
        try Self.refused(["summary", "bad.toml"], in: directory, "bad.toml:1")
        try FileManager.default.createDirectory(atPath: directory + "/class", withIntermediateDirectories: true)
        _ = try Self.plant("student = \"s1\"\nlesson = 1\n[answers]\nq-value = [}\n", "class/s1.toml", in: directory)
        _ = try Self.plant("student = \"s2\"\nlesson = 1\n[answers]\nq-value = 3\n", "class/s2.toml", in: directory)
        try Self.refused(["grade", "class/s1.toml", "--lesson", "1"], in: directory, "class/s1.toml: not valid TOML: line 4, column 12")
        // In a class folder the broken file is reported and the rest of the class is graded.
        let result = try CLI.run(["grade", "class", "--lesson", "1"], in: directory, environment: Self.lessons)
        #expect(result.status < 128, "\(result.status) \(result.stderr)")
        #expect(result.stdout.contains("s2"), "\(result.stdout)")
    }
}
