import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

// End to end: model files with `train`, `summary` and `evaluate`, saved models of versions 1 and 2,
// and `train --curves`.

/// The notes' Iris MLP (the preset iris-mlp) as a model file.
private let irisModel = """
    name = "my-iris"
    input = [4]

    [[layer]]
    type = "linear"
    outputs = 12

    [[layer]]
    type = "relu"

    [[layer]]
    type = "linear"
    outputs = 3
    """

@Suite("backprop with model files and curves", .serialized)
struct ModelFileCommandTests {
    static let lessons = ["BACKPROP_LESSONS": CLI.packageRoot.appendingPathComponent("lessons").path]

    static func heldOutLine(_ output: String) -> Substring? { output.split(separator: "\n").first { $0.hasPrefix("held-out:") } }

    @Test("a model file trains like the preset it equals, saves its layers, and evaluates from the saved file")
    func trainFromFile() throws {
        let directory = try CLI.temporaryDirectory()
        try irisModel.write(toFile: directory + "/iris.toml", atomically: true, encoding: .utf8)
        let arguments = ["--data", "iris", "--epochs", "2", "--lr", "0.05", "--batch", "16"]
        let fromFile = try CLI.run(["train", "iris.toml", "--save", "m.json"] + arguments, in: directory, environment: Self.lessons)
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.count == 2, "\(fromFile.stdout)")
        let preset = try CLI.run(["train", "iris-mlp"] + arguments, in: directory, environment: Self.lessons)
        let heldOut = try #require(Self.heldOutLine(fromFile.stdout))
        #expect(Self.heldOutLine(preset.stdout) == heldOut, "\(preset.stdout)")

        let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/m.json"))) as? [String: Any])
        #expect(saved["version"] as? Int == 2)
        #expect(saved["model"] as? String == "my-iris")
        #expect((saved["layers"] as? [[String: Any]])?.map { $0["type"] as? String } == ["linear", "relu", "linear"])
        try FileManager.default.removeItem(atPath: directory + "/iris.toml")   // the saved file needs no model file
        let evaluated = try CLI.run(["evaluate", "m.json"], in: directory, environment: Self.lessons)
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(Self.heldOutLine(evaluated.stdout) == heldOut, "\(evaluated.stdout)")
    }

    @Test("a saved model of version 1 (a preset's name, no layers) still evaluates")
    func versionOne() throws {
        let directory = try CLI.temporaryDirectory()
        let trained = try CLI.run(["train", "iris-mlp", "--data", "iris", "--epochs", "1", "--save", "m.json"], in: directory, environment: Self.lessons)
        #expect(trained.status == 0, "\(trained.stderr)")
        var saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/m.json"))) as? [String: Any])
        saved["version"] = 1
        saved["input"] = nil
        saved["layers"] = nil
        try JSONSerialization.data(withJSONObject: saved).write(to: URL(fileURLWithPath: directory + "/v1.json"))
        let evaluated = try CLI.run(["evaluate", "v1.json"], in: directory, environment: Self.lessons)
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(Self.heldOutLine(evaluated.stdout) == Self.heldOutLine(trained.stdout), "\(evaluated.stdout)")
    }

    @Test("summary of a shipped model file prints exactly what the preset's summary prints", arguments: ["mlp-mnist", "cnn-mnist"])
    func summary(name: String) throws {
        let file = try CLI.run(["summary", "lessons/models/\(name).toml"])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stdout == (try CLI.run(["summary", name])).stdout)
    }

    @Test("bad model files and --curves: one line, exit 2", arguments: [
        (["train", "bad.toml", "--data", "iris"], "backprop: bad.toml:5:8: error: layer 1: unknown layer type 'lenear'; did you mean 'linear'?"),
        (["summary", "bad.toml"], "backprop: bad.toml:5:8: error: layer 1: unknown layer type 'lenear'; did you mean 'linear'?"),
        (["train", "softmax.toml", "--data", "iris"], "backprop: softmax.toml:9:8: error: layer 2: 'softmax' cannot be trained here: end the model in a linear layer"),
        (["summary", "softmax.toml"], "backprop: softmax.toml:9:8: error: layer 2: 'softmax' cannot be trained here: end the model in a linear layer"),
        (["train", "iris.toml", "--data", "digits"], "takes inputs of shape [4], but digits has [1, 8, 8]"),
        (["summary", "none.toml"], "backprop: none.toml: error: no such file"),
        (["train", "iris-mlp", "--data", "iris", "--curves", "c.png"], "--curves c.png: name an .svg file"),
        (["train", "iris-mlp", "--data", "iris", "--curves", "no/such/dir/c.svg"], "--curves: cannot write no/such/dir/c.svg"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let directory = try CLI.temporaryDirectory()
        try irisModel.replacingOccurrences(of: "type = \"linear\"\noutputs = 12", with: "type = \"lenear\"\noutputs = 12")
            .write(toFile: directory + "/bad.toml", atomically: true, encoding: .utf8)
        try irisModel.replacingOccurrences(of: "\"relu\"", with: "\"softmax\"").write(toFile: directory + "/softmax.toml", atomically: true, encoding: .utf8)
        try irisModel.write(toFile: directory + "/iris.toml", atomically: true, encoding: .utf8)
        let result = try CLI.run(arguments, in: directory, environment: Self.lessons)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/c.png"))
    }

    @Test("--curves writes an SVG with a point per epoch of the figures printed, and does not change training")
    func curves() throws {
        let directory = try CLI.temporaryDirectory()
        let arguments = ["train", "iris-mlp", "--data", "iris", "--epochs", "3", "--lr", "0.05"]
        let plain = try CLI.run(arguments, in: directory, environment: Self.lessons)
        let drawn = try CLI.run(arguments + ["--curves", "c.svg"], in: directory, environment: Self.lessons)
        #expect(drawn.status == 0, "\(drawn.stderr)")
        #expect(Self.heldOutLine(drawn.stdout) == Self.heldOutLine(plain.stdout))
        let svg = try String(contentsOfFile: directory + "/c.svg", encoding: .utf8)
        let document = try XMLDocument(xmlString: svg, options: [])
        func values(_ attribute: String) throws -> [String] {
            try document.nodes(forXPath: "//*[local-name()='circle'][contains(@class,'held-out-accuracy')]/@\(attribute)").compactMap(\.stringValue)
        }
        #expect(try values("data-epoch") == ["1", "2", "3"])
        // The last epoch's held-out accuracy is the one the final report prints.
        let last = try #require(try values("data-value").last.flatMap(Double.init))
        let printed = try #require(Self.heldOutLine(drawn.stdout))
        #expect(printed.contains(String(format: "accuracy %.2f%%", last * 100)), "\(printed)")
        let lines = drawn.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(lines.count == 3 && lines.allSatisfy { $0.contains("held-out loss") }, "\(drawn.stdout)")
    }
}

@Suite("Curves in a browser")
struct CurvesBrowserTests {
    @Test("Chromium lays the curves out: every point inside the picture, every label with a width",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")))
    func rendersInChromium() throws {
        let directory = try CLI.temporaryDirectory()
        let trained = try CLI.run(["train", "iris-mlp", "--data", "iris", "--epochs", "2", "--curves", "c.svg"], in: directory,
                                  environment: ModelFileCommandTests.lessons)
        #expect(trained.status == 0, "\(trained.stderr)")
        // The SVG inline in a page whose script measures it after layout; --dump-dom prints the result.
        let svg = try String(contentsOfFile: directory + "/c.svg", encoding: .utf8)
        let page = "<!doctype html><html><body>" + svg + """
            <pre id="result"></pre><script>
            const svg = document.querySelector('svg'), box = svg.viewBox.baseVal;
            const inside = [...svg.querySelectorAll('circle.point')].filter(c => { const b = c.getBBox();
              return b.width > 0 && b.x >= 0 && b.y >= 0 && b.x + b.width <= box.width && b.y + b.height <= box.height; });
            const texts = [...svg.querySelectorAll('text')];
            document.getElementById('result').textContent = 'points ' + inside.length + ' laid-out labels '
              + texts.filter(t => t.getComputedTextLength() > 0).length + ' of ' + texts.length + ' end';
            </script></body></html>
            """
        try page.write(toFile: directory + "/page.html", atomically: true, encoding: .utf8)
        let chromium = Process()
        chromium.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        chromium.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(directory)/profile",
                              "--dump-dom", "file://\(directory)/page.html"]
        let output = Pipe()
        chromium.standardOutput = output
        chromium.standardError = FileHandle.nullDevice
        try chromium.run()
        let watchdog = DispatchWorkItem { if chromium.isRunning { chromium.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        chromium.waitUntilExit()
        watchdog.cancel()
        // 2 epochs × 4 series (training and held-out loss and accuracy).
        let result = dom.components(separatedBy: "<pre id=\"result\">").last?.components(separatedBy: "</pre>").first ?? ""
        let labels = svg.components(separatedBy: "<text").count - 1
        #expect(result == "points 8 laid-out labels \(labels) of \(labels) end", "\(result)")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
