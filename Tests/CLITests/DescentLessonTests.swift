import Foundation
import Testing

// End to end: a lesson with [descent] (lesson 15): optimizers side by side on one loss, the bars,
// the contour plot, and what a malformed [descent] gets (docs/lesson-format.md, '[descent]').
@Suite("backprop lesson with [descent]", .serialized)
struct DescentLessonTests {
    @Test("lesson 15 runs seven optimizers with the engine's gradients and checks its bars")
    func runs() throws {
        let result = try CLI.run(["lesson", "15"])
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["descent   7 optimizers on the same loss, each from w = 0, b = 0, 30 steps;",
                     "run 1     GD α=0.05: w ← w − 0.05 ∇L, ∇L on all 8 examples",
                     "run 4     momentum 0.5 α=0.05: v ← 0.5 v + ∇L, w ← w − 0.05 v",
                     "descent checks (this lesson's bars, not figures of the notes)",
                     "✓ GD α=0.21 (too large): final loss   at least 100"] {
            #expect(result.stdout.contains(line), "missing \(line)\n\(result.stdout)")
        }
    }

    @Test("--plot draws the contours and one path per run; a lesson without [descent] is refused")
    func plot() throws {
        let path = try CLI.temporaryDirectory() + "/paths.svg"
        let result = try CLI.run(["lesson", "15", "--plot", path])
        #expect(result.status == 0, "\(result.stderr)")
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 7)
        #expect(svg.components(separatedBy: "<path d=\"M").count - 1 >= 10, "contour levels")
        let refused = try CLI.run(["lesson", "1", "--plot", path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("has no [descent]"))
    }

    @Test("a too-large rate's bar fails the lesson when the run does not diverge", arguments: [
        ("rate = 0.21\n", "rate = 0.15\n"),
    ])
    func failingBar(original: String, replacement: String) throws {
        let text = try String(contentsOf: CLI.packageRoot.appendingPathComponent("lessons/015-gradient-descent.toml"), encoding: .utf8)
        #expect(text.contains(original))
        let path = try CLI.temporaryDirectory() + "/015.toml"
        try text.replacingOccurrences(of: original, with: replacement).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLI.run(["lesson", path])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stdout.contains("✗ GD α=0.21 (too large): final loss"))
    }

    @Test("a malformed [descent]: one line naming the file and what is wrong, exit 2", arguments: [
        ("method = \"adam\"", "method = \"adamw\"", "'method' must be one of gd, sgd, minibatch, momentum, adam"),
        ("steps = 30", "steps = 0", "'steps' must be a whole number from 1 to 10000"),
        ("run = \"GD α=0.05\"", "run = \"GD\"", "needs 'run', the label of a run"),
    ])
    func malformed(original: String, replacement: String, message: String) throws {
        let text = try String(contentsOf: CLI.packageRoot.appendingPathComponent("lessons/015-gradient-descent.toml"), encoding: .utf8)
        #expect(text.contains(original))
        let path = try CLI.temporaryDirectory() + "/015.toml"
        try text.replacingOccurrences(of: original, with: replacement).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLI.run(["lesson", "validate", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
