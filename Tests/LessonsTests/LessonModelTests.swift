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

/// Issue 29, item 6: a model lesson shows what training did, as pictures of the run's own figures.
@Suite("lesson [model]: curves and confusion")
struct ModelCurveTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("the curve's batches add up to the epochs, the held-out figures to the confusion matrices")
    func curves() throws {
        let run = try LessonRun(try Lesson(file: Self.root + "/lessons/026-iris-mlp.toml"))
        let model = try #require(run.model), training = try #require(model.training)
        let updates = (training.trainCount + model.model.batch - 1) / model.model.batch
        #expect(training.points.count == training.epochs.count * updates)
        #expect(abs(training.points.last!.position - Double(training.epochs.count)) < 1e-12)
        // Each batch's own loss, weighted by its size, gives back the epoch's mean loss: the
        // differences of the trainer's running sums lose nothing.
        for (index, epoch) in training.epochs.enumerated() {
            let batches = training.points[(index * updates)..<((index + 1) * updates)]
            let sizes = (0..<updates).map { min(model.model.batch, training.trainCount - $0 * model.model.batch) }
            let loss = zip(batches, sizes).map { $0.loss * Double($1) }.reduce(0, +) / Double(training.trainCount)
            let accuracy = zip(batches, sizes).map { $0.accuracy * Double($1) }.reduce(0, +) / Double(training.trainCount)
            #expect(abs(loss - epoch.loss) < 1e-9 && abs(accuracy - epoch.accuracy) < 1e-9, "epoch \(index + 1)")
        }
        for held in [training.untrained, training.afterFirst, training.final] {
            let diagonal = held.confusion.indices.map { held.confusion[$0][$0] }.reduce(0, +)
            #expect(held.confusion.flatMap { $0 }.reduce(0, +) == training.testCount)
            #expect(abs(Double(diagonal) / Double(training.testCount) - held.accuracy) < 1e-12)
        }
        #expect(abs(training.final.accuracy * 100 - training.heldOutAccuracy) < 1e-9)
        #expect(abs(training.epochs[0].heldOutAccuracy - training.afterFirst.accuracy) < 1e-12)
        #expect(training.untrained.accuracy < training.final.accuracy, "the run learns")

        let pictures = model.pictureSteps()
        #expect(pictures.count == 3)
        #expect(run.steps().suffix(3) == pictures[...], "the pictures end the model's steps")
        let diagonal = training.afterFirst.confusion.indices.map { training.afterFirst.confusion[$0][$0] }.reduce(0, +)
        #expect(pictures[2].contains("after one epoch") && pictures[2].contains("\(diagonal) after one epoch"), "\(pictures[2])")
        // The pictures' own lines fit as they are (folding would break a chart); sentences fold.
        for text in pictures {
            for line in text.split(separator: "\n") where !line.hasPrefix("      › ") { #expect(line.count <= 100 && !line.hasSuffix(" "), "\(line)") }
            #expect(LessonText.fit(text).split(separator: "\n").allSatisfy { $0.count <= 100 })
        }
    }

    @Test("a CNN's first filter is shown before training and after epoch 1, as the trainer holds it")
    func filter() throws {
        let text = modelLesson("[[model.check]]\nquantity = \"parameters\"\nnotes = 1",
                               model: "preset = \"digits-cnn\"\ndata = \"digits\"\nrate = 0.05\nepochs = 2")
            .replacingOccurrences(of: "notes = 1\n", with: "notes = 1\nprinted = false\n")
        let lesson = try Lesson(text: text, file: "m.toml")
        let run = try ModelRun(try #require(lesson.model), file: "m.toml", full: false)
        let training = try #require(run.training)
        let filter = try #require(training.filter)
        #expect(filter.before.count == filter.side * filter.side && filter.after.count == filter.before.count)
        #expect(filter.before != filter.after, "one epoch changes the filter")
        let step = try #require(run.pictureSteps().last)
        #expect(step.hasPrefix("filter    layer 1's first filter (\(filter.side) × \(filter.side)"), "\(step)")
        let changes = zip(filter.before, filter.after).map { abs($1 - $0) }
        let largest = changes.indices.max { changes[$0] < changes[$1] }!
        #expect(step.contains(String(format: "%.3f → %.3f", filter.before[largest], filter.after[largest])), "\(step)")
    }

    @Test("the chart puts each column's mean and each mark where its figure is")
    func chart() {
        // Two batches in the first half of the x range (mean 1), one at the end (0), a mark of 2 at 0.
        let lines = ModelRun.chart([(0.25, 0.5), (0.25, 1.5), (1, 0)], marks: [(0, 2)], format: { String(format: "%.1f", $0) })
            .split(separator: "\n").map(String.init)
        #expect(lines.count == 11, "\(lines)")
        let top = lines[0], middle = lines[4], bottom = lines[8]
        #expect(top.hasSuffix("2.0 ┤o"), "\(top)")
        #expect(middle.contains("1.0 ┤") && middle.filter { $0 == "•" }.count == 1, "\(middle)")
        #expect(bottom.contains("0.0 ┤") && bottom.hasSuffix("•"), "\(bottom)")
        #expect(lines[10].hasSuffix("epochs") && lines[10].contains("0") && lines[10].contains("1"))
    }
}
