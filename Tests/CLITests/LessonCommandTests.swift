import Foundation
import Testing

// End-to-end tests of `backprop lesson` and `backprop lessons`: the replay, the checks against the
// notes' figures, and what a teacher's malformed lesson file gets.

@Suite("backprop lesson", .serialized)
struct LessonCommandTests {
    @Test("lesson 1 replays f = (x + y) z and every check agrees (golden output)")
    func lessonOne() throws {
        let result = try CLI.run(["lesson", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        try Golden.check(result.stdout, against: "lesson-1.txt")
        for line in ["✓ q ", "✓ f ", "✓ df/dx", "✓ df/dy", "✓ df/dz", "all 6 checks agree with the engine (figures the notes do not print)"] {
            #expect(result.stdout.contains(line), "missing \(line)")
        }
    }

    @Test("every lesson passes (--all), and --json reports every check")
    func all() throws {
        let result = try CLI.run(["lesson", "--all", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lessons = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(lessons.count >= 2)
        for lesson in lessons {
            #expect(lesson["passed"] as? Bool == true)
            for check in try #require(lesson["checks"] as? [[String: Any]]) {
                let notes = try #require(check["notes"] as? Double), engine = try #require(check["engine"] as? Double)
                let tolerance = try #require(check["tolerance"] as? Double)
                #expect(abs(notes - engine) <= tolerance)
            }
        }
    }

    @Test("lessons lists every lesson by chapter: number, title, then the source")
    func list() throws {
        let result = try CLI.run(["lessons"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("Backpropagation on a graph\n  1  Backpropagation through f = (x + y) z\n       from 001"), "\(result.stdout)")
        // A lesson's line is its number right-aligned in 3 columns, two spaces, the title.
        let numbered = result.stdout.split(separator: "\n").filter { line in
            line.count > 5 && Int(line.prefix(3).trimmingCharacters(in: .whitespaces)) != nil && line.dropFirst(3).hasPrefix("  ")
        }
        #expect(numbered.count >= 28, "\(numbered.count) lessons listed")
    }

    /// A copy of lesson 1 with `change` applied, in a lessons directory of its own.
    private func lessonDirectory(_ change: (String) -> String) throws -> String {
        let directory = try CLI.temporaryDirectory()
        let original = try String(contentsOf: CLI.packageRoot.appendingPathComponent("lessons/001-sum-times.toml"), encoding: .utf8)
        try change(original).write(toFile: directory + "/001-sum-times.toml", atomically: true, encoding: .utf8)
        return directory
    }

    @Test("a check that disagrees with the engine fails the lesson with exit 1 and ✗")
    func failingCheck() throws {
        let directory = try lessonDirectory { $0.replacingOccurrences(of: "quantity = \"f\"\nnotes = -12", with: "quantity = \"f\"\nnotes = -11") }
        let result = try CLI.run(["lesson", "1"], environment: ["BACKPROP_LESSONS": directory])
        #expect(result.status == 1)
        #expect(result.stdout.contains("✗ f "), "\(result.stdout)")
        #expect(result.stdout.contains("ours  -11"))
        #expect(result.stderr.contains("a check disagrees"))
    }

    @Test("a [[formula]] the engine disagrees with fails the lesson (exit 1), even when it agrees at the lesson's point")
    func failingFormula() throws {
        let directory = try CLI.temporaryDirectory()
        let original = try String(contentsOf: CLI.packageRoot.appendingPathComponent("lessons/003-multivariate-chain-rule.toml"), encoding: .utf8)
        // 2 * t is 2 at t = 1, so "t + 1" agrees at the lesson's point and only the random points catch it.
        let wrong = original.replacingOccurrences(of: "claim = \"dy/dt = 2 * t\"", with: "claim = \"dy/dt = t + 1\"")
        #expect(wrong != original)
        try wrong.write(toFile: directory + "/007.toml", atomically: true, encoding: .utf8)
        let result = try CLI.run(["lesson", directory + "/007.toml"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("✗ ∂y/∂t = t + 1"), "\(result.stdout)")
        #expect(result.stdout.contains("at random point"), "\(result.stdout)")
    }

    @Test("a malformed lesson file: one line with file:line and what is wrong, exit 2", arguments: [
        ("quantity = \"q\"", "quantitty = \"q\"", ":42: error: unknown key 'quantitty' in [[check]]; did you mean 'quantity'?"),
        ("number = 1", "number = \"one\"", ":2: error: 'number' must be a whole number"),
        ("[inputs]", "[inputs", "001-sum-times.toml:20:"),
        ("f = q * z", "f = q * zz", "unknown name 'zz'"),
        ("quantity = \"df/dz\"", "quantity = \"df/dw\"", "unknown name 'w' in the check's quantity"),
    ])
    func malformed(original: String, replacement: String, message: String) throws {
        let directory = try lessonDirectory { $0.replacingOccurrences(of: original, with: replacement) }
        let result = try CLI.run(["lesson", "validate", directory + "/001-sum-times.toml"])
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count <= 3)
    }
}
