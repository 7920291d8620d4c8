import Foundation
import Testing

// End-to-end tests of `backprop trace`: the output a student sees, the files it writes, and the exit
// statuses (0 success, 1 the work failed, 2 bad usage or input, with one line on stderr).

private let sumTimes = ["trace", "q = x + y; f = q * z", "--at", "x=-2,y=5,z=-4"]

@Suite("backprop trace", .serialized)
struct TraceCommandTests {
    @Test("the table of f = (x + y) z matches its golden file")
    func table() throws {
        let result = try CLI.run(sumTimes)
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        try Golden.check(result.stdout, against: "trace-sum-times.txt")
        #expect(result.stdout.contains("f = q * z = 3 * (-4) = -12"))
        #expect(result.stdout.contains("∂f/∂q = z = -4; upstream 1; contribution -4"))
    }

    @Test("--json matches its golden file and carries value, gradients, nodes and edges")
    func json() throws {
        let result = try CLI.run(sumTimes + ["--json"])
        #expect(result.status == 0)
        try Golden.check(result.stdout, against: "trace-sum-times.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["value"] as? Double == -12)
        let gradients = try #require(object["gradients"] as? [String: Double])
        #expect(gradients == ["x": -4, "y": -4, "z": 3])
        #expect((object["nodes"] as? [Any])?.count == 5)
        #expect((object["edges"] as? [Any])?.count == 4)
    }

    @Test("--check passes on a smooth program and reports a kink as a kink")
    func check() throws {
        let smooth = try CLI.run(["trace", "f = tanh(w * x) + exp(x) / x", "--at", "w=0.5,x=2", "--check"])
        #expect(smooth.status == 0)
        #expect(smooth.stdout.contains("all gradients agree"))
        let kink = try CLI.run(["trace", "f = relu(x) + abs(y)", "--at", "x=0,y=0", "--check"])
        #expect(kink.status == 0)
        #expect(kink.stdout.contains("kink"))
    }

    @Test("tensor inputs and a program from standard input")
    func tensorsAndStdin() throws {
        let result = try CLI.run(["trace", "-", "--at", "W=[[1,2],[3,4]],v=[1,-1]"], stdin: "h = W @ v\nf = sum(h * h)\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("∂f/∂W = [[-2, 2], [-2, 2]]"), "\(result.stdout)")
    }

    @Test("-o writes SVG, PNG, PDF and DOT; the SVG shows the notes' numbers")
    func drawings() throws {
        let directory = try CLI.temporaryDirectory()
        for name in ["f.svg", "f.png", "f.pdf", "f.dot"] {
            let result = try CLI.run(sumTimes + ["-o", name], in: directory)
            #expect(result.status == 0, "\(name): \(result.stderr)")
        }
        let svg = try String(contentsOfFile: directory + "/f.svg", encoding: .utf8).replacingOccurrences(of: "&#45;", with: "-")
        for text in [">value -2<", ">value 5<", ">value -4<", ">value 3<", ">value -12<", ">grad -4<", ">grad 3<", ">grad 1<",
                     ">∂f/∂q = z = -4<", ">-4 × 1 = -4<", ">∂q/∂x = 1<", ">1 × (-4) = -4<"] {
            #expect(svg.contains(text), "the SVG lacks \(text)")
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: directory + "/f.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let pdf = try Data(contentsOf: URL(fileURLWithPath: directory + "/f.pdf"))
        #expect(pdf.starts(with: Array("%PDF".utf8)))
        let dot = try String(contentsOfFile: directory + "/f.dot", encoding: .utf8)
        #expect(dot.hasPrefix("digraph"))
    }

    @Test("--steps writes one frame per step in order; --html one self-contained page")
    func stepsAndPage() throws {
        let directory = try CLI.temporaryDirectory()
        let result = try CLI.run(sumTimes + ["--steps", "frames", "--html", "steps.html"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let frames = try FileManager.default.contentsOfDirectory(atPath: directory + "/frames").sorted()
        #expect(frames.count == 7)       // inputs, 2 forward, 4 backward
        #expect(frames.first == "step-000-forward-inputs.svg")
        #expect(frames.last?.hasPrefix("step-006-backward") == true)
        let page = try String(contentsOfFile: directory + "/steps.html", encoding: .utf8)
        #expect(page.components(separatedBy: "<section").count - 1 == 7)
        #expect(!page.contains("src=") && !page.contains("href=\"http") && !page.contains("url(http"))
    }

    @Test("a big graph is collapsed, says so on stderr, and --full draws every node")
    func bigGraph() throws {
        let directory = try CLI.temporaryDirectory()
        let neurons = 80
        let program = (0..<neurons).map { "h\($0) = tanh(w\($0) * x + b\($0))" }.joined(separator: "\n")
            + "\nf = " + (0..<neurons).map { "h\($0)" }.joined(separator: " + ")
        let inputs = (["x=0.5"] + (0..<neurons).flatMap { ["w\($0)=\(Double($0) / 100)", "b\($0)=0.1"] }).joined(separator: ",")
        let collapsed = try CLI.run(["trace", "--file", "-", "--at", inputs, "-o", "big.dot"], stdin: program, in: directory)
        #expect(collapsed.status == 0, "\(collapsed.stderr)")
        #expect(collapsed.stderr.contains("more than 400"), "\(collapsed.stderr)")
        #expect(collapsed.stderr.contains("use --full"), "\(collapsed.stderr)")
        let dot = try String(contentsOfFile: directory + "/big.dot", encoding: .utf8)
        // One box per layer part: x, the weights, the biases, *, +, tanh, the running sum, the output.
        for box in ["tanh × 80", "* × 80", "+ × 80", "+ × 78", "input × 80", "value 0.09967 … 0.4582", "grad 27.57"] {
            #expect(dot.contains(box), "no box \(box)")
        }
        #expect(dot.components(separatedBy: "\n").filter { $0.hasPrefix("  g") && !$0.contains("->") }.count < 20)
        let full = try CLI.run(["trace", "--file", "-", "--at", inputs, "-o", "full.dot", "--full"], stdin: program, in: directory)
        #expect(full.status == 0)
        #expect(full.stderr.isEmpty)
        let fullDot = try String(contentsOfFile: directory + "/full.dot", encoding: .utf8)
        #expect(fullDot.contains("  n479 "))     // 1 + 5 × 80 + 79 nodes, every one drawn
    }

    @Test("bad input: one line on stderr saying what and where, exit 2", arguments: [
        (["trace", "f = zz * 2", "--at", "z=1"], "program:1:5: error: unknown name 'zz'; did you mean 'z'?"),
        (["trace", "f = (x + 1", "--at", "x=1"], "program:1:11: error: expected ')'"),
        (["trace", "f = x", "--at", "x=[1,2"], "--at:7: error:"),
        (["trace", "f = x", "--at", "x=1", "-o", "f.gif"], "unknown format"),
        (["trace", "f = x", "--at", "x=1", "--bogus"], "Unknown option '--bogus'"),
        (["trace", "f = x", "--at", "x=1", "--rankdir", "XY"], "--rankdir XY"),
        (["trace"], "missing the program"),
        (["trace", "--file", "/nonexistent/prog.bp"], "/nonexistent/prog.bp: error: no such file"),
        (["trace", "f = [1, 2] + [1, 2, 3]"], "[2] and [3]"),
        (["trace", "   "], "empty program"),
        (["lesson", "99"], "there is no lesson 99"),
        (["nonsense"], "Unexpected argument 'nonsense'"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let result = try CLI.run(arguments, in: try CLI.temporaryDirectory(),
                                 environment: ["BACKPROP_LESSONS": CLI.packageRoot.appendingPathComponent("lessons").path])
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.contains(message), "\(arguments): \(result.stderr)")
        #expect(first.hasPrefix("backprop: "))
    }

    @Test("a file that is not UTF-8 and a file too large are refused with exit 2")
    func badFiles() throws {
        let directory = try CLI.temporaryDirectory()
        try Data([0x66, 0x20, 0x3D, 0x20, 0x78, 0xFF]).write(to: URL(fileURLWithPath: directory + "/bad.bp"))
        let binary = try CLI.run(["trace", "--file", "bad.bp", "--at", "x=1"], in: directory)
        #expect(binary.status == 2)
        #expect(binary.stderr.contains("bad.bp:1:6: error: not UTF-8 text"), "\(binary.stderr)")
        try Data(repeating: 0x20, count: 1_100_000).write(to: URL(fileURLWithPath: directory + "/huge.bp"))
        let huge = try CLI.run(["trace", "--file", "huge.bp"], in: directory)
        #expect(huge.status == 2)
        #expect(huge.stderr.contains("limit"))
        let deep = try CLI.run(["trace", "-", "--at", "x=1"], stdin: "f = " + String(repeating: "(", count: 10_000) + "x" + String(repeating: ")", count: 10_000))
        #expect(deep.status == 2)
        #expect(deep.stderr.contains("nests deeper than 200"))
    }

    @Test("NaN or infinity is a failed run (exit 1) naming the node and where it was written")
    func nonFinite() throws {
        let result = try CLI.run(["trace", "q = x * 2\nf = log(q - x * 2)", "--at", "x=1"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("backprop: program:2:5: error: the value of f (log) is infinity"), "\(result.stderr)")
        let gradient = try CLI.run(["trace", "f = sqrt(x)", "--at", "x=0"])
        #expect(gradient.status == 1)
        #expect(gradient.stderr.contains("gradient"), "\(gradient.stderr)")
    }

    @Test("a failed run leaves the file the user already had untouched")
    func atomicOutput() throws {
        let directory = try CLI.temporaryDirectory()
        let path = directory + "/f.svg"
        try Data("my own picture".utf8).write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(["trace", "f = log(x)", "--at", "x=0", "-o", "f.svg"], in: directory)
        #expect(result.status == 1)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "my own picture")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["f.svg"])
        let missingDirectory = try CLI.run(sumTimes + ["-o", "no/such/dir/f.svg"], in: directory)
        #expect(missingDirectory.status == 2)
        #expect(missingDirectory.stderr.contains("no/such/dir/f.svg"))
    }

    @Test("drawing goes through libgvc in-process: no `dot` program is started, and the binary links libgvc")
    func inProcessGraphviz() throws {
        let directory = try CLI.temporaryDirectory()
        let marker = directory + "/dot-was-run"
        try FileManager.default.createDirectory(atPath: directory + "/bin", withIntermediateDirectories: true)
        try "#!/bin/sh\ntouch \(marker)\nexit 1\n".write(toFile: directory + "/bin/dot", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory + "/bin/dot")
        let path = directory + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        for name in ["f.svg", "f.png", "f.pdf"] {
            let result = try CLI.run(sumTimes + ["-o", name], in: directory, environment: ["PATH": path])
            #expect(result.status == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: marker))

        let ldd = Process()
        ldd.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        ldd.arguments = [CLI.binary]
        let pipe = Pipe()
        ldd.standardOutput = pipe
        try ldd.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ldd.waitUntilExit()
        #expect(output.contains("libgvc.so"), "\(output)")
    }

    @Test("--help exits 0 and names every subcommand")
    func help() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        for command in ["lesson", "lessons", "trace", "bench"] { #expect(result.stdout.contains(command)) }
    }
}
