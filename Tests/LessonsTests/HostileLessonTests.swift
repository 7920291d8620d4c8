import Foundation
import Testing
import TestSupport
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
import Autograd

// Issue 16 at the library level: lesson fields, saved models and the trace table's limits.

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

private func lessonOne() throws -> String { try String(contentsOfFile: root + "/lessons/001-sum-times.toml", encoding: .utf8) }

private func message(_ body: () throws -> Void) -> String {
    do { try body(); return "no error" } catch let failure as WorkbenchFailure { return failure.message } catch { return "\(error)" }
}

@Suite("Hostile lesson fields and saved models")
struct HostileLessonTests {
    @Test("digits, notes, tolerance and rate are checked with their line", arguments: [
        ("digits = 1", "digits = nan", 0, "'digits' must be a finite number, not nan"),
        ("digits = 1", "digits = -inf", 0, "'digits' must be a finite number, not -inf"),
        ("digits = 1", "digits = 1e300", 0, "'digits' must be a whole number from 1 to 17"),
        ("digits = 1", "digits = 1.5", 0, "'digits' must be a whole number from 1 to 17"),
        ("digits = 1", "digits = 18", 0, "'digits' must be a whole number from 1 to 17"),
        ("notes = 3", "notes = inf", 0, "'notes' must be a finite number, not inf"),
        ("digits = 1", "digits = 1\ntolerance = nan", 1, "'tolerance' must be a finite number, not nan"),
        ("digits = 1", "digits = 1\ntolerance = -0.5", 1, "'tolerance' must be 0 or more"),
        ("answer = \"q\"", "answer = \"q\"\ndigits = inf", 1, "'digits' must be a number"),
        ("answer = \"q\"", "answer = \"q\"\ndigits = 1e300", 1, "exercise 'q-value': 'digits' must be a whole number from 1 to 17"),
        ("answer = \"q\"", "answer = \"q\"\ndigits = 2.5", 1, "exercise 'q-value': 'digits' must be a whole number from 1 to 17"),
        ("[[check]]", "[update]\nrate = nan\n\n[[check]]", 1, "'rate' must be a finite number, not nan"),
        ("[[check]]", "[update]\nrate = -1\n\n[[check]]", 1, "'rate' must be 0 or more; 'direction' says which way to step"),
    ])
    func fields(old: String, new: String, below: Int, expected: String) throws {
        var text = try lessonOne()
        let range = try #require(text.range(of: old))
        // The message's line: `below` lines under the line of `old` in lesson 1's file as it is now.
        let line = text[..<range.lowerBound].filter { $0 == "\n" }.count + 1 + below
        text.replaceSubrange(range, with: new)
        #expect(message { _ = try Lesson(text: text, file: "l.toml") } == "l.toml:\(line): error: \(expected)")
    }

    @Test("LessonLibrary.lesson finds lesson 1 beside a broken lesson 99, and reports lesson 99's own error")
    func brokenNeighbour() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lessons-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let one = try lessonOne()
        try one.write(toFile: directory + "/001.toml", atomically: true, encoding: .utf8)
        try one.replacingOccurrences(of: "number = 1\n", with: "number = 99\n").replacingOccurrences(of: "digits = 1\n", with: "digits = nan\n")
            .write(toFile: directory + "/099.toml", atomically: true, encoding: .utf8)
        try "not = [toml".write(toFile: directory + "/zzz.toml", atomically: true, encoding: .utf8)
        setenv("BACKPROP_LESSONS", directory, 1)
        defer { unsetenv("BACKPROP_LESSONS") }
        #expect(try LessonLibrary.lesson(1).title == Lesson(text: one, file: "x").title)
        let digitsLine = one[..<one.range(of: "digits = 1\n")!.lowerBound].filter { $0 == "\n" }.count + 1
        #expect(message { _ = try LessonLibrary.lesson(99) } == "\(directory)/099.toml:\(digitsLine): error: 'digits' must be a finite number, not nan")
        #expect(message { _ = try LessonLibrary.lesson(7) }.hasPrefix("error: there is no lesson 7; the lessons are 1 (see 'backprop lessons'); 2 files could not be read, the first: \(directory)/099.toml:\(digitsLine):"))
        let (lessons, broken) = try LessonLibrary.load()
        #expect(lessons.map(\.number) == [1] && broken.map { ($0.file as NSString).lastPathComponent } == ["099.toml", "zzz.toml"])
    }

    @Test("a saved model's weights must be finite in Float32")
    func savedWeights() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("saved-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: root + "/Fuzz/Corpus/saved/iris-linear.json", encoding: .utf8)
        let valid = directory + "/ok.json"
        try text.write(toFile: valid, atomically: true, encoding: .utf8)
        let saved = try SavedModel(file: valid)
        #expect(saved.weights.map(\.count) == [12])
        var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        object["biases"] = [[0.5, 1e300, 0]]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: directory + "/big.json"))
        #expect(message { _ = try SavedModel(file: directory + "/big.json") } == "\(directory)/big.json: error: not a saved model: 'biases' of layer 1, entry 2: 1e+300 is not a finite Float32 number")
    }

    @Test("the table summarizes a tensor over 1000 entries with its corners, and many short axes flat")
    func summaries() {
        let matrix = Tensor(shape: [40, 40], storage: (0..<1600).map(Double.init))
        #expect(TraceLimits.text(matrix, significantDigits: 6)
                == "[[0, 1, 2, …, 37, 38, 39], [40, 41, 42, …, 77, 78, 79], [80, 81, 82, …, 117, 118, 119], …, [1480, 1481, 1482, …, 1517, 1518, 1519], [1520, 1521, 1522, …, 1557, 1558, 1559], [1560, 1561, 1562, …, 1597, 1598, 1599]]")
        #expect(TraceLimits.text(matrix, significantDigits: 6, full: true) == TraceFormat.tensor(matrix, significantDigits: 6))
        let small = Tensor(shape: [10, 100], storage: Array(repeating: 1, count: 1000))
        #expect(TraceLimits.text(small, significantDigits: 6) == TraceFormat.tensor(small, significantDigits: 6))
        let cube = Tensor(shape: Array(repeating: 2, count: 11), storage: (0..<2048).map(Double.init))
        #expect(TraceLimits.text(cube, significantDigits: 6) == "[0, 1, 2, …, 2045, 2046, 2047] (shape [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 2048 entries, row-major)")
        #expect(TraceLimits.steps(Array(0..<5000), full: false).count == TraceLimits.tableSteps + 1)
        #expect(TraceLimits.steps(Array(0..<5000), full: true).count == 5000)
    }
}
