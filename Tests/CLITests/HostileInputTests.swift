import Foundation
import Testing

// Issue 16, end to end: every command the issue lists, each of which crashed the process (exit 132,
// 134, 139) or asked for gigabytes. Each must now end with exit 2 (bad input) or 1 (failed work)
// and one line saying what and where, or succeed where the input is fine (CRLF, a kink).

@Suite("hostile input: no command crashes (issue 16)", .serialized)
struct HostileInputTests {
    static let root = CLI.packageRoot.path
    static let lessons = root + "/lessons"

    /// The last line of stderr, which must be the one error line.
    static func errorLine(_ result: CLI.Result) -> String {
        result.stderr.split(separator: "\n").first { $0.hasPrefix("backprop:") }.map(String.init) ?? ""
    }

    /// A lessons directory holding lesson 1 and `extra` files, with the shipped data linked as data/.
    static func lessonsDirectory(_ extra: [String: String] = [:], data: Bool = true) throws -> String {
        let directory = try CLI.temporaryDirectory()
        try FileManager.default.copyItem(atPath: lessons + "/001-sum-times.toml", toPath: directory + "/001-sum-times.toml")
        if data { try FileManager.default.createSymbolicLink(atPath: directory + "/data", withDestinationPath: lessons + "/data") }
        for (name, text) in extra { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory
    }

    /// A data directory like lessons/data, with `replace` written over some of its files.
    static func dataDirectory(_ replace: [String: [UInt8]]) throws -> String {
        let directory = try lessonsDirectory(data: false)
        let data = directory + "/data"
        try FileManager.default.createDirectory(atPath: data + "/mnist", withIntermediateDirectories: true)
        for name in ["iris.csv", "digits.csv.gz"] { try FileManager.default.copyItem(atPath: lessons + "/data/" + name, toPath: data + "/" + name) }
        for name in try FileManager.default.contentsOfDirectory(atPath: lessons + "/data/mnist") {
            try FileManager.default.copyItem(atPath: lessons + "/data/mnist/" + name, toPath: data + "/mnist/" + name)
        }
        for (name, bytes) in replace {
            try? FileManager.default.removeItem(atPath: data + "/" + name + ".gz")
            try? FileManager.default.removeItem(atPath: data + "/" + name)
            FileManager.default.createFile(atPath: data + "/" + name, contents: Data(bytes))
        }
        return directory
    }

    /// Lesson 1 renumbered 99 with its first `digits = 1` line replaced by `line`.
    static func brokenLesson(_ line: String, replacing old: String = "digits = 1") throws -> String {
        var text = try String(contentsOfFile: lessons + "/001-sum-times.toml", encoding: .utf8)
        text = text.replacingOccurrences(of: "number = 1\n", with: "number = 99\n")
        let range = try #require(text.range(of: old))
        return text.replacingCharacters(in: range, with: line)
    }

    static func bigEndian(_ values: [UInt32]) -> [UInt8] { values.flatMap { v in (0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } } }

    @Test("size arithmetic: reshape to 65536⁴ (wrapped to 0), a 900M-entry broadcast, a 4M-entry matrix")
    func sizes() throws {
        let v = (0..<30000).map { String($0 % 7) }.joined(separator: ",")
        let w = (0..<2000).map { String($0 % 7) }.joined(separator: ",")
        let cases: [([String], String)] = [
            (["trace", "f = reshape(W[0:0], [65536,65536,65536,65536])", "--at", "W=[1,2]"],
             "backprop: program:1:5: error: reshape: invalid shape [65536, 65536, 65536, 65536]: it has more entries than an integer can count"),
            (["trace", "v = [\(v)]; f = sum(reshape(v, [30000, 1]) * (v * x))", "--at", "x=1"],
             "error: *: the result would have 900000000 entries (shape [30000, 30000]); the limit is 1048576 entries per value"),
            (["trace", "v = [\(w)]; m = reshape(v, [2000, 1]) * v; f = sum(m @ m) * x", "--at", "x=1"],
             "error: *: the result would have 4000000 entries (shape [2000, 2000]); the limit is 1048576 entries per value"),
        ]
        for (arguments, message) in cases {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(arguments.first!): \(result.stderr)")
            #expect(Self.errorLine(result).contains(message), "\(result.stderr)")
        }
        // A lesson with that program is not valid either.
        var text = try String(contentsOfFile: Self.lessons + "/001-sum-times.toml", encoding: .utf8)
        let start = try #require(text.range(of: "program = \"\"\"")), end = try #require(text.range(of: "\"\"\"", range: start.upperBound..<text.endIndex))
        text.replaceSubrange(start.lowerBound..<end.upperBound, with: "program = \"f = sum(reshape(W[0:0], [65536,65536,65536,65536])) + x + y + z\"\n[inputs.W]\n")
        let directory = try CLI.temporaryDirectory()
        try text.replacingOccurrences(of: "[inputs]\n", with: "[inputs]\nW = [1, 2]\n").replacingOccurrences(of: "[inputs.W]\n", with: "")
            .write(toFile: directory + "/reshape.toml", atomically: true, encoding: .utf8)
        let validate = try CLI.run(["lesson", "validate", "reshape.toml"], in: directory)
        #expect(validate.status == 2, "\(validate.stdout)\(validate.stderr)")
        #expect(Self.errorLine(validate).contains("more entries than an integer can count"), "\(validate.stderr)")
    }

    @Test("a big matrix's trace table is summarized; --full prints every entry")
    func summarizedTable() throws {
        let v = (0..<1000).map { String($0 % 7) }.joined(separator: ",")
        let program = "v = [\(v)]; m = reshape(v, [1000, 1]) * v; f = sum(m @ m) * x"
        let table = try CLI.run(["trace", program, "--at", "x=1"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.utf8.count < 200_000, "\(table.stdout.utf8.count) bytes")
        #expect(table.stdout.contains("n3 = m @ m = [[0, 0, 0, …, 0, 0, 0], [0, 1, 2, …, 3, 4, 5], "), "\(table.stdout.prefix(2000))")
        // 40 × 40 = 1600 entries: summarized by default, every entry with --full.
        let small = "v = [\((1...40).map(String.init).joined(separator: ","))]; m = reshape(v, [40, 1]) * v; f = sum(m) * x"
        let summarized = try CLI.run(["trace", small, "--at", "x=1"]), full = try CLI.run(["trace", small, "--at", "x=1", "--full"])
        #expect(summarized.status == 0 && full.status == 0, "\(summarized.stderr)\(full.stderr)")
        #expect(summarized.stdout.contains("m = n1 * v = [[1], [2], [3]"), "\(summarized.stdout.prefix(3000))")
        #expect(summarized.stdout.contains(" = [[1, 2, 3, …, 38, 39, 40], [2, 4, 6, …, 76, 78, 80], [3, 6, 9, …, 114, 117, 120], …, [38, 76, 114, …, 1444, 1482, 1520], [39, 78, 117, …, 1482, 1521, 1560], [40, 80, 120, …, 1520, 1560, 1600]]"), "\(summarized.stdout.prefix(3000))")
        #expect(full.stdout.contains("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40], [2, 4, 6,"), "\(full.stdout.prefix(3000))")
        #expect(!full.stdout.contains("…"), "\(full.stdout.prefix(3000))")
    }

    @Test("a claim holding CRLF (found by the claim fuzzer; it trapped on a force unwrap) is one error line")
    func crlfClaim() throws {
        let result = try CLI.run(["check", "f = tanh(w * x + b)", "--at", "w=0.5,x=2,b=-1", "--claim", "df\r\nw = (1 - f^2) * x"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(Self.errorLine(result) == "backprop: --claim:3: error: a claim is one line; give each claim with its own --claim", "\(result.stderr)")
    }

    @Test("x^y at x = y = 0: the check reports the entry it cannot check instead of -nan, and exits 0")
    func kinkCheck() throws {
        let result = try CLI.run(["trace", "f = x^y", "--at", "x=0,y=0", "--check"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("nan"), "\(result.stdout)")
        #expect(result.stdout.contains("y  analytic 0  numeric -inf  rel. error -  not checked: f is not finite a step away (not a failure)"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("all checked gradients agree; 1 of 2 entries could not be checked\n"), "\(result.stdout)")
    }

    @Test("lesson fields: digits nan/inf/1e300/1.5, notes inf, tolerance nan or negative, rate nan are errors with their line")
    func lessonFields() throws {
        let cases: [(String, String, Int, String)] = [
            ("digits = nan", "digits = 1", 0, "'digits' must be a finite number, not nan"),
            ("digits = inf", "digits = 1", 0, "'digits' must be a finite number, not inf"),
            ("digits = 1e300", "digits = 1", 0, "'digits' must be a whole number from 1 to 17"),
            ("digits = 1.5", "digits = 1", 0, "'digits' must be a whole number from 1 to 17"),
            ("notes = inf", "notes = 3", 0, "'notes' must be a finite number, not inf"),
            ("digits = 1\ntolerance = nan", "digits = 1", 1, "'tolerance' must be a finite number, not nan"),
            ("digits = 1\ntolerance = -1", "digits = 1", 1, "'tolerance' must be 0 or more"),
            ("answer = \"q\"\ndigits = 1e300", "answer = \"q\"", 1, "exercise 'q-value': 'digits' must be a whole number from 1 to 17"),
            ("[update]\nrate = nan\n\n[[check]]", "[[check]]", 1, "'rate' must be a finite number, not nan"),
        ]
        let one = try String(contentsOfFile: Self.lessons + "/001-sum-times.toml", encoding: .utf8)
        for (line, old, below, what) in cases {
            // The message's line: `below` lines under the line of `old` in lesson 1's file as it is now.
            let at = one[..<one.range(of: old)!.lowerBound].filter { $0 == "\n" }.count + 1 + below
            let message = "099.toml:\(at): error: \(what)"
            let directory = try Self.lessonsDirectory(["099.toml": try Self.brokenLesson(line, replacing: old)])
            let environment = ["BACKPROP_LESSONS": directory]
            // The commands that need lesson 99 report its line …
            for arguments in [["lesson", "99"], ["exercises", "99"], ["lesson", "validate", directory + "/099.toml"]] {
                let result = try CLI.run(arguments, environment: environment)
                #expect(result.status == 2, "\(arguments) with \(line): \(result.stderr)")
                #expect(Self.errorLine(result).hasSuffix(message), "\(arguments) with \(line): \(result.stderr)")
            }
            // … and lesson 1 beside it is untouched.
            let answers = directory + "/answers.toml"
            try "student = \"s1\"\nlesson = 1\n[answers]\nq-value = 3\n".write(toFile: answers, atomically: true, encoding: .utf8)
            for arguments in [["lesson", "1"], ["exercises", "1"], ["grade", answers, "--lesson", "1"]] {
                let result = try CLI.run(arguments, environment: environment)
                #expect(result.status == 0, "\(arguments) beside \(line): \(result.stderr)")
            }
        }
    }

    @Test("a model with more outputs than classes, a saved model on another data set: exit 2 before any write")
    func modelAgainstData() throws {
        let directory = try CLI.temporaryDirectory()
        try "input = [4]\n[[layer]]\ntype = \"linear\"\noutputs = 4\n".write(toFile: directory + "/iris4.toml", atomically: true, encoding: .utf8)
        let iris4 = try CLI.run(["train", "iris4.toml", "--data", "iris", "--epochs", "1"], in: directory)
        #expect(iris4.status == 2, "\(iris4.stderr)")
        #expect(Self.errorLine(iris4) == "backprop: error: iris4 does not end in one score per class for the 3 classes of the data (its output has shape [4]); give its last linear layer 3 outputs", "\(iris4.stderr)")

        let train = try CLI.run(["train", "digits-cnn", "--data", "digits", "--epochs", "1", "--limit", "64", "--save", "cnn.json"], in: directory)
        #expect(train.status == 0, "\(train.stderr)")
        let mnist = try CLI.run(["evaluate", "cnn.json", "--data", "mnist"], in: directory)
        #expect(mnist.status == 2, "\(mnist.stderr)")
        #expect(Self.errorLine(mnist) == "backprop: error: digits-cnn takes inputs of shape [1, 8, 8], but the data's examples have shape [1, 28, 28]", "\(mnist.stderr)")
        let iris = try CLI.run(["evaluate", "cnn.json", "--data", "iris"], in: directory)
        #expect(iris.status == 2, "\(iris.stderr)")
        #expect(Self.errorLine(iris).hasPrefix("backprop: error: digits-cnn does not end in one score per class for the 3 classes"), "\(iris.stderr)")

        // Weights of 1e308 do not fit Float32: refused at the door. 1e30 fits but gives a NaN loss: exit 1, not 0.
        let saved = try String(contentsOfFile: directory + "/cnn.json", encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(saved.utf8)) as? [String: Any])
        for (value, status, message) in [(1e308, Int32(2), "cnn-big.json: error: not a saved model: 'weights' of layer 1, entry 1: 1e+308 is not a finite Float32 number"),
                                         (1e30, Int32(1), "the held-out loss is NaN (the model's weights are too large)")] {
            var changed = object
            changed["weights"] = (object["weights"] as! [[Double]]).map { $0.map { _ in value } }
            try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: directory + "/cnn-big.json"))
            let result = try CLI.run(["evaluate", "cnn-big.json"], in: directory)
            #expect(result.status == status, "\(value): \(result.stderr)")
            #expect(Self.errorLine(result).hasSuffix(message), "\(value): \(result.stderr)")
        }
    }

    @Test("data files: IDX dimensions FFFFFFFF, a label of 999999999, a gzip bomb, held-out images of another size; CRLF is read")
    func dataFiles() throws {
        let bomb: [UInt8] = try {
            // 80 MB of zeros, gzipped by the system's gzip: past the 64 MiB limit.
            let directory = try CLI.temporaryDirectory()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "head -c 83886080 /dev/zero | gzip -1 > \(directory)/bomb.gz"]
            try process.run(); process.waitUntilExit()
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/bomb.gz")))
        }()
        let smallImages = [0, 0, 8, 3] + Self.bigEndian([10000, 8, 8]) + [UInt8](repeating: 0, count: 10000 * 64)
        let cases: [([String: [UInt8]], [String], String)] = [
            (["mnist/train-images-idx3-ubyte": [0, 0, 8, 3] + Self.bigEndian([.max, .max, .max])], ["train", "mlp-mnist", "--data", "mnist", "--limit", "10"],
             "train-images-idx3-ubyte: byte 4: the header's dimensions 4294967295×4294967295×4294967295 describe more bytes than can be counted; the file has 0"),
            (["mnist/train-images-idx3-ubyte": [0, 0, 8, 4] + Self.bigEndian([.max, .max, .max, .max])], ["train", "mlp-mnist", "--data", "mnist"],
             "train-images-idx3-ubyte: byte 4: the header's dimensions 4294967295×4294967295×4294967295×4294967295 describe more bytes than can be counted; the file has 0"),
            (["iris.csv": Array("1,2,3\n4,5,999999999\n".utf8)], ["train", "iris-mlp", "--data", "iris"],
             "iris.csv:2, field 3: label 999999999 is out of range: at most 1000 classes (0…999)"),
            (["digits.csv.gz": bomb], ["train", "digits-mlp", "--data", "digits"],
             "digits.csv.gz: decompresses to more than 67108864 bytes, the limit for a data file (a gzip bomb?; BACKPROP_MAX_DATA_BYTES raises it)"),
            (["mnist/t10k-images-idx3-ubyte": smallImages], ["train", "mlp-mnist", "--data", "mnist", "--limit", "10"],
             "t10k-images-idx3-ubyte: the held-out images have shape [1, 8, 8], the training images [1, 28, 28]"),
        ]
        for (replace, arguments, message) in cases {
            let directory = try Self.dataDirectory(replace)
            let result = try CLI.run(arguments, environment: ["BACKPROP_LESSONS": directory])
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(Self.errorLine(result).hasSuffix(message), "\(arguments): \(result.stderr)")
        }
        let iris = try String(contentsOfFile: Self.lessons + "/data/iris.csv", encoding: .utf8)
        let crlf = try Self.dataDirectory(["iris.csv": Array(iris.replacingOccurrences(of: "\n", with: "\r\n").utf8)])
        let result = try CLI.run(["train", "iris-mlp", "--data", "iris", "--epochs", "1"], environment: ["BACKPROP_LESSONS": crlf])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("on iris: 120 examples, 30 held out"), "\(result.stdout)")
    }

    @Test("serve with a broken lesson file: the lesson's own line, once, with its file and line; exit 2")
    func serveBrokenLesson() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-lessons-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "number = 1\ntitle = \"x\"\nbogus = 3\n".write(toFile: directory + "/001-x.toml", atomically: true, encoding: .utf8)
        let result = try CLI.run(["serve", "--port", "0", "--data", directory + "/data"], environment: ["BACKPROP_LESSONS": directory])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("backprop: \(directory)/001-x.toml:3: error: unknown key 'bogus'"), "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "error:").count == 2, "one 'error:' only: \(result.stderr)")
    }
}
