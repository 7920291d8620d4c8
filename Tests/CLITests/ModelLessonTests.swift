import Foundation
import Testing

// End to end: lessons with a [model] section (docs/lesson-format.md, '[model]'). Lesson 26 (Iris)
// trains in a fraction of a second in a debug build, lesson 25 trains nothing; both are used here.

@Suite("backprop lesson with [model]", .serialized)
struct ModelLessonTests {
    /// A copy of lesson `file` with `change` applied, as a file in a directory of its own.
    private func copy(_ file: String, _ change: (String) -> String) throws -> String {
        let original = try String(contentsOf: CLI.packageRoot.appendingPathComponent("lessons/" + file), encoding: .utf8)
        let changed = change(original)
        #expect(changed != original, "the change did not apply")
        let path = try CLI.temporaryDirectory() + "/" + file
        try changed.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("lesson 26 trains the Iris MLP: the batch narrated, the epochs, the held-out figures and the model checks")
    func irisQuick() throws {
        let result = try CLI.run(["lesson", "26"])
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["Total parameters: 99", "forward   one batch, the first of epoch 1: 16 training examples, [16, 4]",
                     "update    Adam, rate 0.01", "training  50 epochs of 120 examples in batches of 16: 8 updates per epoch, seed 1",
                     "held-out  30 examples", "  ✓ parameters                ours  99       engine 99", "  ✓ held-out accuracy         at least 85%",
                     "  ✓ training loss             at most 0.2"] {
            #expect(result.stdout.contains(line), "missing \(line)\n\(result.stdout)")
        }
        // The quick run ends at epoch 50; --full would go on to 200.
        #expect(result.stdout.contains("epoch 50: loss"))
        #expect(!result.stdout.contains("epoch 51"))
    }

    @Test("--full trains the full_epochs")
    func irisFull() throws {
        let result = try CLI.run(["lesson", "26", "--full"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("training  200 epochs of 120 examples"), "\(result.stdout)")
        #expect(result.stdout.contains("bars for this full run"))
    }

    @Test("a bar given only for --full is shown with – in the quick run and counted as skipped, never as agreeing")
    func skipped() throws {
        let path = try copy("026-iris-mlp.toml") { $0.replacingOccurrences(of: "quantity = \"held-out accuracy\"\nat_least = 85", with: "quantity = \"held-out accuracy\"\nfull_at_least = 85") }
        let result = try CLI.run(["lesson", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  – held-out accuracy"), "\(result.stdout)")
        #expect(result.stdout.contains("all 7 checks and formulas agree with the notes and the engine; 1 skipped (checked only with --full)"), "\(result.stdout)")
    }

    @Test("--json reports the model's checks and the run")
    func json() throws {
        let result = try CLI.run(["lesson", "26", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let model = try #require(report["model"] as? [String: Any])
        #expect(model["preset"] as? String == "iris-mlp")
        #expect(model["parameters"] as? Double == 99)
        let checks = try #require(model["checks"] as? [[String: Any]])
        #expect(checks.count == 7)
        let accuracy = try #require(checks.first { $0["quantity"] as? String == "held-out accuracy" })
        let engine = try #require(accuracy["engine"] as? Double), bar = try #require(accuracy["at_least"] as? Double)
        #expect(engine >= bar && accuracy["passed"] as? Bool == true)
        let training = try #require(model["training"] as? [String: Any])
        #expect((training["epochs"] as? [Any])?.count == 50)
        #expect(training["held_out_accuracy"] as? Double == engine)
    }

    @Test("a bar the run misses fails the lesson: ✗ and exit 1")
    func missedBar() throws {
        let path = try copy("026-iris-mlp.toml") { $0.replacingOccurrences(of: "at_most = 0.2", with: "at_most = 0.0001") }
        let result = try CLI.run(["lesson", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("  ✗ training loss             at most 0.0001"), "\(result.stdout)")
        let validate = try CLI.run(["lesson", "validate", path])
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("disagrees with the notes' figure for training loss"), "\(validate.stderr)")
    }

    @Test("lesson 25 checks the Keras summary, channels last, without training")
    func kerasSummary() throws {
        let result = try CLI.run(["lesson", "25"])
        #expect(result.status == 0, "\(result.stderr)")
        // The line is longer than 100 columns, so it is folded (LessonText.fit).
        #expect(result.stdout.contains("  ✓ output shape of layer 1   notes [28, 28, 8]   engine [28, 28, 8]   (channels last; the engine's"), "\(result.stdout)")
        #expect(result.stdout.contains("[8, 28, 28] is channels first)"))
        #expect(result.stdout.contains("  ✓ parameters of layer 8     notes 200,960        engine 200,960"))
        #expect(!result.stdout.contains("training  "))
        // A wrong figure in the notes' table is caught.
        let path = try copy("025-keras-cnn-summary.toml") { $0.replacingOccurrences(of: "notes = 1168\n", with: "notes = 1160\n") }
        let wrong = try CLI.run(["lesson", path])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("  ✗ parameters of layer 4     notes 1,160          engine 1,168"), "\(wrong.stdout)")
    }

    // Each mistake's place is where the replacement stands in the changed file (its `line`-th line, from 0), so the
    // test holds the reported line and column without depending on how long lesson 25's introduction is.
    @Test("a mistake in [model] or [[model.check]]: one line with file:line:column, exit 2", arguments: [
        ("preset = \"keras-cnn\"", "presett = \"keras-cnn\"", 0, 1, "unknown key 'presett' in [model]; did you mean 'preset'?"),
        ("preset = \"keras-cnn\"", "preset = \"keras-cn\"", 0, 1, "unknown model 'keras-cn'; did you mean 'keras-cnn'?"),
        ("preset = \"keras-cnn\"", "preset = \"keras-cnn\"\nepochs = 3", 1, 1, "'epochs' needs 'data': the data set to train on"),
        ("notes = [28, 28, 8]\nchannels_last = true", "notes = [28, 28, 8]\n  channel_last = true", 1, 3, "unknown key 'channel_last' in [[model.check]]; did you mean 'channels_last'?"),
        ("quantity = \"parameters of layer 4\"", "quantity = \"weights of layer 3\"", 0, 1, "'weights of layer 3': layer 3 is Dropout, which has no weights or biases"),
        ("quantity = \"parameters of layer 4\"", "quantity = \"parameters of layer 12\"", 0, 1, "'parameters of layer 12': the model has 11 layers"),
        ("quantity = \"parameters of layer 8\"\nnotes = 200960", "quantity = \"held-out accuracy\"\nat_least = 90", 0, 1, "'held-out accuracy' needs 'data' in [model]"),
        ("notes = 228036", "at_least = 228036", 0, 1, "'parameters' is exact: give 'notes', the figure the notes print"),
    ])
    func malformed(original: String, replacement: String, line: Int, column: Int, message: String) throws {
        var changed = ""
        let path = try copy("025-keras-cnn-summary.toml") { text in
            changed = text.replacingOccurrences(of: original, with: replacement)
            return changed
        }
        let start = try #require(changed.range(of: replacement)?.lowerBound)
        let at = changed[..<start].filter { $0 == "\n" }.count + 1 + line
        let result = try CLI.run(["lesson", "validate", path])
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stderr.contains(":\(at):\(column): error: " + message), "\(result.stderr) at \(at):\(column)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
