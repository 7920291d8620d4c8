import Autograd
import Datasets
import Foundation
import NeuralNetworks
import TOMLKit
import Support
import Claims
import ModelFiles

extension ModelRun {
    // MARK: - Narration

    /// `39250` as `39,250`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return result
    }

    static func shape(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    static func number(_ value: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", value) }

    /// The quick run's (or full run's) steps, each one entry (for `--step`).
    public func steps() -> [String] {
        var steps: [String] = []
        let summary = compiled.renderSummary()
        steps.append("model     \(spec.name) (backprop summary \(spec.name))\n" + summary.split(separator: "\n").map { "          " + $0 }.joined(separator: "\n"))
        guard let training, let data = model.data else { return steps }
        let total = training.parameterCount
        let what = data == "mnist" ? "images" : "examples"
        var line = "data      \(data): \(ModelRun.grouped(training.availableTrain)) training \(what), \(ModelRun.grouped(training.availableTest)) held out"
        if training.full {
            line += "; --full: all of them, \(training.epochs.count) epoch\(training.epochs.count == 1 ? "" : "s")"
        } else if training.trainCount < training.availableTrain || training.testCount < training.availableTest {
            line += "\n          the quick run: the first \(ModelRun.grouped(training.trainCount)) and the first \(ModelRun.grouped(training.testCount)) (--full for all, as the notes train)"
        }
        steps.append(line)

        // One batch through the layers.
        let batch = training.batch
        var forward = "forward   one batch, the first of epoch 1: \(batch.size) training \(what), \(ModelRun.shape([batch.size] + spec.inputShape))"
        for (index, row) in rows.enumerated() {
            switch row.layer {
            case let activation as ModelSpec.Activation: forward += " → \(activation.typeName)"
            case let dropout as ModelSpec.Dropout: forward += " → dropout \(TraceFormat.number(dropout.p))"
            default: forward += "\n          layer \(index + 1) \(row.layer.typeName) → \(ModelRun.shape([batch.size] + row.outputShape))"
            }
        }
        let lastIsLogSoftmax = (rows.last?.layer as? ModelSpec.Activation) == .logSoftmax
        forward += "\n      › Each row of the batch is one \(what == "images" ? "image" : "example"); the last layer gives \(training.classes) scores per row"
            + (lastIsLogSoftmax ? ", already log-probabilities (log_softmax)." : "; the loss turns them into log-probabilities with log_softmax.")
        steps.append(forward)
        steps.append("loss      cross-entropy, the mean over the batch of −log p(true class) = \(ModelRun.number(batch.loss))"
                     + (rows.contains { $0.layer is ModelSpec.Dropout } ? " (dropout on, as in training)" : "")
                     + "\n      › An untrained network guesses about evenly: −ln(1/\(training.classes)) = \(ModelRun.number(Foundation.log(Double(training.classes)))).")
        var backward = "backward  from the loss back through every layer, the chain rule gives ∂L/∂W and ∂L/∂b of each layer with parameters:"
        for (index, row) in rows.enumerated() where row.parameters > 0 {
            let biases = row.outputShape[0]
            backward += "\n          layer \(index + 1) \(row.layer.typeName): \(ModelRun.grouped(row.parameters - biases)) weights + \(ModelRun.grouped(biases)) biases"
        }
        backward += "\n          \(ModelRun.grouped(total)) gradients in all, one per parameter"
        steps.append(backward)
        let rule = model.optimizer == .adam
            ? "Adam, rate \(TraceFormat.number(model.rate)): each parameter moves by rate × m̂ / (√v̂ + ε), m̂ and v̂ the running means of its gradient and of the gradient squared"
            : model.momentum > 0
                ? "SGD with momentum \(TraceFormat.number(model.momentum)): v = \(TraceFormat.number(model.momentum)) v + ∂L/∂θ, θ = θ − \(TraceFormat.number(model.rate)) v"
                : "SGD: θ = θ − \(TraceFormat.number(model.rate)) ∂L/∂θ"
        let change = batch.after - batch.before
        steps.append("update    \(rule), for all \(ModelRun.grouped(total)) parameters\n"
                     + "          the batch's loss without dropout: \(ModelRun.number(batch.before)) before the update, \(ModelRun.number(batch.after)) after "
                     + "(\(change <= 0 ? "down" : "up") \(ModelRun.number(abs(change))))")

        let batches = (training.trainCount + model.batch - 1) / model.batch
        var run = "training  \(training.epochs.count) epoch\(training.epochs.count == 1 ? "" : "s") of \(ModelRun.grouped(training.trainCount)) \(what) in batches of \(model.batch): \(ModelRun.grouped(batches)) updates per epoch, seed \(model.seed)"
        // At most about ten lines: every so many epochs, the last included.
        let every = max(1, training.epochs.count / 10)
        for (index, epoch) in training.epochs.enumerated() where (index + 1) % every == 0 || index == 0 || index == training.epochs.count - 1 {
            run += "\n          epoch \(index + 1): loss \(ModelRun.number(epoch.loss)), training accuracy \(String(format: "%.2f", epoch.accuracy * 100))%  (\(String(format: "%.2f", epoch.seconds)) s)"
        }
        if let why = model.why { run += "\n      › " + why }
        steps.append(run)
        let correct = Int((training.heldOutAccuracy / 100 * Double(training.testCount)).rounded())
        steps.append("held-out  \(ModelRun.grouped(training.testCount)) \(what) the model never trained on: loss \(ModelRun.number(training.heldOutLoss)), "
                     + "accuracy \(String(format: "%.2f", training.heldOutAccuracy))% (\(ModelRun.grouped(correct)) of \(ModelRun.grouped(training.testCount)))")
        return steps + pictureSteps()
    }

    /// How a figure is shown.
    static func show(_ figure: Figure, accuracy: Bool) -> String {
        switch figure {
        case .count(let n): return grouped(n)
        case .shape(let shape): return ModelRun.shape(shape)
        case .number(let value): return accuracy ? String(format: "%.2f%%", value) : number(value)
        }
    }

    /// The checks, each ✓ or ✗, with the notes' figure (or the bar) beside the engine's.
    public func checkLines(full: Bool) -> [String] {
        guard !results.isEmpty else { return [] }
        var rows: [(String, String, String, String, String?)] = []
        for result in results {
            let check = result.check
            let accuracy = check.what == .heldOutAccuracy
            func bar(_ words: String) -> String {
                let value = check.expected.bar(full: full) ?? check.expected.bar(full: true)!
                return words + " " + TraceFormat.number(value) + (accuracy ? "%" : "") + (result.checked ? "" : " with --full")
            }
            let expected: String
            switch check.expected {
            case .count(let n): expected = (check.printed ? "notes " : "ours  ") + ModelRun.grouped(n)
            case .shape(let shape): expected = (check.printed ? "notes " : "ours  ") + ModelRun.shape(shape)
            case .atLeast: expected = bar("at least")
            case .atMost: expected = bar("at most")
            }
            var engine = "engine " + ModelRun.show(result.engine, accuracy: accuracy)
            if check.channelsLast, case .outputShape(let layer) = check.what {
                engine += "   (channels last; the engine's \(ModelRun.shape(self.rows[(layer ?? self.rows.count) - 1].outputShape)) is channels first)"
            }
            if !result.checked { engine += "   (the quick run's; checked with --full)" }
            rows.append((result.checked ? result.passed ? "✓" : "✗" : "–", check.quantity, expected, engine, check.why))
        }
        let width = rows.map(\.1.count).max() ?? 0, expectedWidth = rows.map(\.2.count).max() ?? 0
        var lines = ["model checks (the notes' figures against the model's summary" + (training == nil ? ")" : ", and bars for this \(full ? "full" : "quick") run)")]
        for (mark, quantity, expected, engine, why) in rows {
            lines.append("  \(mark) " + quantity.padding(toLength: width, withPad: " ", startingAt: 0) + "   "
                         + expected.padding(toLength: expectedWidth, withPad: " ", startingAt: 0) + "   " + engine)
            if let why { lines.append("      › " + why) }
        }
        return lines
    }

    /// The machine-readable part of a lesson report.
    public func json(full: Bool) -> JSONValue {
        func figure(_ value: Figure) -> JSONValue {
            switch value {
            case .count(let n): .number(Double(n))
            case .shape(let shape): .array(shape.map { .number(Double($0)) })
            case .number(let x): .number(x)
            }
        }
        var object: [String: JSONValue] = [
            "preset": .string(model.preset), "data": model.data.map(JSONValue.string) ?? .null, "full": .bool(full),
            "parameters": .number(Double(rows.map(\.parameters).reduce(0, +))),
            "checks": .array(results.map { result in
                var entry: [String: JSONValue] = ["quantity": .string(result.check.quantity), "engine": figure(result.engine), "passed": .bool(result.passed),
                                                  "checked": .bool(result.checked),
                                                  "why": result.check.why.map(JSONValue.string) ?? .null]
                switch result.check.expected {
                case .count(let n): entry["notes"] = .number(Double(n))
                case .shape(let shape): entry["notes"] = .array(shape.map { .number(Double($0)) })
                case .atLeast: entry["at_least"] = result.check.expected.bar(full: full).map(JSONValue.number) ?? .null
                case .atMost: entry["at_most"] = result.check.expected.bar(full: full).map(JSONValue.number) ?? .null
                }
                return .object(entry)
            }),
        ]
        if let training {
            object["training"] = .object([
                "train_examples": .number(Double(training.trainCount)), "held_out_examples": .number(Double(training.testCount)),
                "epochs": .array(training.epochs.map { .object(["loss": .number($0.loss), "accuracy": .number($0.accuracy * 100), "seconds": .number($0.seconds)]) }),
                "first_batch": .object(["size": .number(Double(training.batch.size)), "loss": .number(training.batch.loss),
                                        "before": .number(training.batch.before), "after": .number(training.batch.after)]),
                "held_out_loss": .number(training.heldOutLoss), "held_out_accuracy": .number(training.heldOutAccuracy),
            ])
        }
        return .object(object)
    }
}
