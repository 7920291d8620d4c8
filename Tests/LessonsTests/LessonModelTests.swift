import Foundation
import Testing
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Diagrams

// The [model] section through the library: what it reads, and the figures it takes from the
// model's summary (no data set, so nothing trains and every test is fast).

/// A lesson with a [model] of the notes' MNIST MLP and `checks` appended.
private func modelLesson(_ checks: String, model: String = "preset = \"mlp-mnist\"") -> String {
    """
    number = 1
    title = "t"
    source = "s"
    program = "f = x * 2"

    [inputs]
    x = 1

    [model]
    \(model)

    \(checks)
    """
}

@Suite("lesson [model]")
struct LessonModelTests {
    @Test("a model's counts and shapes come from its summary, and agree with the notes' figures")
    func summaryFigures() throws {
        let lesson = try Lesson(text: modelLesson("""
            [[model.check]]
            quantity = "parameters of layer 2"
            notes = 39250

            [[model.check]]
            quantity = "weights of layer 2"
            notes = 39200

            [[model.check]]
            quantity = "biases of layer 8"
            notes = 10

            [[model.check]]
            quantity = "output shape"
            notes = [10]

            [[model.check]]
            quantity = "parameters"
            notes = 42311
            """), file: "m.toml")
        let model = try #require(lesson.model)
        #expect(model.data == nil && model.checks.count == 5)
        #expect(model.checks[0].what == .parameters(layer: 2) && model.checks[0].expected == .count(39250))
        let run = try LessonRun(lesson)
        let results = try #require(run.model?.results)
        #expect(results.map(\.engine) == [.count(39250), .count(39200), .count(10), .shape([10]), .count(42310)])
        // The last figure is off by one: the lesson fails.
        #expect(results.map(\.passed) == [true, true, true, true, false])
        #expect(!run.passed)
        #expect(run.checkLines().last == "1 of 5 checks disagree with the notes")
    }

    @Test("channels_last compares a [C, H, W] shape as Keras prints it")
    func channelsLast() throws {
        let lesson = try Lesson(text: modelLesson("""
            [[model.check]]
            quantity = "output shape of layer 1"
            notes = [28, 28, 8]
            channels_last = true
            """, model: "preset = \"keras-cnn\""), file: "m.toml")
        let run = try LessonRun(lesson)
        #expect(run.model?.results.first?.engine == .shape([28, 28, 8]))
        #expect(run.passed)
    }

    @Test("a bar given only for --full is shown but not checked in the quick run", arguments: [false, true])
    func fullOnlyBar(full: Bool) throws {
        let text = modelLesson("""
            [[model.check]]
            quantity = "held-out accuracy"
            full_at_least = 97
            """, model: "preset = \"iris-mlp\"\ndata = \"iris\"\nrate = 0.01\noptimizer = \"adam\"")
        let check = try #require(try Lesson(text: text, file: "m.toml").model?.checks.first)
        #expect(check.expected == .atLeast(nil, full: 97))
        #expect(check.expected.bar(full: full) == (full ? 97 : nil))
    }

    @Test("mistakes name file:line:column", arguments: [
        ("[[model.check]]\nquantity = \"parameters\"\nnotes = 1\n  digits = 3", "m.toml:15:3: error: unknown key 'digits' in [[model.check]]; known keys: quantity, notes, at_least, full_at_least, at_most, full_at_most, channels_last, why"),
        ("[[model.check]]\nquantity = \"parameter count\"\nnotes = 1", "m.toml:13:1: error: unknown quantity 'parameter count'"),
        ("[[model.check]]\nquantity = \"output shape\"\nnotes = [10, -1]", "m.toml:14:1: error: 'notes' of an output shape must be an array of positive whole numbers"),
        ("[[model.check]]\nquantity = \"parameters\"\nnotes = 1\nchannels_last = true", "m.toml:15:1: error: 'channels_last' is for an output shape"),
        ("[[model.check]]\nquantity = \"parameters\"", "m.toml:12:1: error: [[model.check]] 'parameters' needs one of 'notes'"),
    ])
    func mistakes(checks: String, message: String) throws {
        #expect(throws: WorkbenchFailure.self) { try Lesson(text: modelLesson(checks), file: "m.toml") }
        do { _ = try Lesson(text: modelLesson(checks), file: "m.toml"); Issue.record("no error") }
        catch { #expect(error.message.hasPrefix(message), "\(error.message)"); #expect(error.status == .badInput) }
    }

    @Test("[model] settings are checked", arguments: [
        ("preset = \"iris-mlp\"\ndata = \"iris\"", "m.toml:9:1: error: [model] needs 'rate', the learning rate, to train"),
        ("preset = \"iris-mlp\"\ndata = \"irises\"\nrate = 0.1", "m.toml:11:1: error: unknown data set 'irises'; use iris, digits, mnist"),
        ("preset = \"iris-mlp\"\ndata = \"iris\"\nrate = 0.1\noptimizer = \"adam\"\nmomentum = 0.9", "m.toml:14:1: error: 'momentum' is for \"sgd\""),
        ("preset = \"iris-mlp\"\ndata = \"iris\"\nrate = 0.1\nepochs = 5\nfull_epochs = 2", "m.toml:14:1: error: 'full_epochs' must be at least 'epochs'"),
        ("data = \"iris\"", "m.toml:9:1: error: [model] needs 'preset'"),
        // A bad field, indented: the column of its key (SectionReader, shared with [gradcam]).
        ("preset = \"iris-mlp\"\ndata = \"iris\"\nrate = 0.1\n  batch = 0", "m.toml:13:3: error: 'batch' must be a whole number from 1 to 65536"),
    ])
    func settings(model: String, message: String) throws {
        let text = modelLesson("[[model.check]]\nquantity = \"parameters\"\nnotes = 99", model: model)
        do { _ = try Lesson(text: text, file: "m.toml"); Issue.record("no error") }
        catch { #expect(error.message.hasPrefix(message), "\(error.message)") }
    }
}
