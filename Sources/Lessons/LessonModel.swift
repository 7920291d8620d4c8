import Autograd
import Datasets
import Foundation
import NeuralNetworks
import TOMLKit
import Support
import Claims
import ModelFiles

extension Lesson {
    /// `[model]`: one of the notes' models (a preset of `backprop summary`), trained on a shipped data
    /// set by the workbench's trainer, and `[[model.check]]`s of its figures: parameter counts and
    /// output shapes from the model's summary, and the run's held-out accuracy and losses.
    public struct Model: Sendable {
        /// What a `[[model.check]]` checks.
        public enum Quantity: Sendable, Equatable {
            /// All parameters, or one layer's (numbered from 1 as `backprop summary` prints them).
            case parameters(layer: Int?)
            /// A linear or convolution layer's weights, or its biases.
            case weights(layer: Int), biases(layer: Int)
            /// A layer's output shape, or the model's (its last layer's).
            case outputShape(layer: Int?)
            /// The trained model on the held-out part, in percent and as the mean cross-entropy.
            case heldOutAccuracy, heldOutLoss
            /// The mean cross-entropy of the last training epoch.
            case trainingLoss

            /// Whether the figure comes from the training run (not from the summary).
            public var needsTraining: Bool { [.heldOutAccuracy, .heldOutLoss, .trainingLoss].contains(self) }
        }

        /// What the figure must be.
        public enum Expected: Sendable, Equatable {
            /// A count, exactly.
            case count(Int)
            /// A shape, exactly.
            case shape([Int])
            /// At least this much: the quick run's bar (nil: not checked in the quick run) and the bar with `--full`.
            case atLeast(Double?, full: Double)
            /// At most this much.
            case atMost(Double?, full: Double)

            /// The bar of a run (nil for an exact figure, or a bar the run does not check).
            func bar(full isFull: Bool) -> Double? {
                switch self {
                case .count, .shape: nil
                case .atLeast(let quick, let full), .atMost(let quick, let full): isFull ? full : quick
                }
            }
        }

        /// One `[[model.check]]`.
        public struct Check: Sendable {
            /// The quantity as written, e.g. `parameters of layer 2`.
            public let quantity: String
            public let what: Quantity
            public let expected: Expected
            /// Compare a `[C, H, W]` shape as Keras prints it, channels last: `[H, W, C]`.
            public let channelsLast: Bool
            public internal(set) var why: String?
            public let line: Int
            /// False for a count or shape the notes do not print: shown as ours, against the summary.
            public var printed = true
        }

        /// The preset's name (`backprop summary NAME`).
        public let preset: String
        /// The shipped data set, or nil for a lesson about the architecture alone.
        public let data: String?
        /// Epochs of the quick run (the default) and of `--full`.
        public let epochs: Int, fullEpochs: Int
        /// The quick run trains on the first `limit` training examples and evaluates the first
        /// `testLimit` held-out ones (nil: all); `--full` uses all of both.
        public let limit: Int?, testLimit: Int?
        public let batch: Int
        public let rate: Double, momentum: Double
        public let optimizer: Trainer.Optimizer
        public let seed: UInt64
        public internal(set) var why: String?
        public let checks: [Check]
        /// The line of `[model]`.
        public let line: Int

        static let keys = ["preset", "data", "epochs", "full_epochs", "limit", "test_limit", "batch", "rate", "momentum", "optimizer", "seed", "why", "check"]
        static let checkKeys = ["quantity", "notes", "at_least", "full_at_least", "at_most", "full_at_most", "channels_last", "why", "printed"]

        /// Reads `[model]` from a lesson's table. Every mistake names `file:line:column`.
        init(_ table: TOMLTable, file: String, lines: [String]) throws(WorkbenchFailure) {
            let reader = SectionReader(file: file, lines: lines)
            let line = reader.header("[model]", after: 0) ?? 1
            try reader.checkKeys(table, allowed: Model.keys, section: "[model]", line: line)
            guard let preset = try reader.string(table, "preset", line: line) else { throw reader.fail(nil, after: line, "[model] needs 'preset', a model of 'backprop summary'") }
            guard let spec = ModelSpec.preset(named: preset) else {
                let names = ModelSpec.presets.map(\.name)
                let close = names.min { editDistance(preset, $0) < editDistance(preset, $1) }.flatMap { editDistance(preset, $0) <= 3 ? $0 : nil }
                throw reader.fail("preset", after: line, "unknown model '\(preset)'" + (close.map { "; did you mean '\($0)'?" } ?? "; the models are " + names.joined(separator: ", ")))
            }
            let rows: [ModelSpec.Row]
            do { rows = try spec.summary() } catch { throw reader.fail("preset", after: line, "model '\(preset)': \(error)") }
            self.preset = preset
            self.data = try reader.string(table, "data", line: line)
            if let data, !TrainingData.names.contains(data) {
                throw reader.fail("data", after: line, "unknown data set '\(data)'; use " + TrainingData.names.joined(separator: ", "))
            }
            let trainingKeys = ["epochs", "full_epochs", "limit", "test_limit", "batch", "rate", "momentum", "optimizer", "seed"]
            if data == nil, let key = trainingKeys.first(where: { table[$0] != nil }) {
                throw reader.fail(key, after: line, "'\(key)' needs 'data': the data set to train on")
            }
            epochs = try reader.whole(table, "epochs", line: line, in: 1...10_000) ?? 1
            fullEpochs = try reader.whole(table, "full_epochs", line: line, in: 1...10_000) ?? epochs
            if fullEpochs < epochs { throw reader.fail("full_epochs", after: line, "'full_epochs' must be at least 'epochs'") }
            limit = try reader.whole(table, "limit", line: line, in: 1...10_000_000)
            testLimit = try reader.whole(table, "test_limit", line: line, in: 1...10_000_000)
            batch = try reader.whole(table, "batch", line: line, in: 1...65_536) ?? 32
            let rate = try reader.number(table, "rate", line: line)
            if data != nil, rate == nil { throw reader.fail(nil, after: line, "[model] needs 'rate', the learning rate, to train") }
            if let rate, rate <= 0 { throw reader.fail("rate", after: line, "'rate' must be positive") }
            self.rate = rate ?? 0
            momentum = try reader.number(table, "momentum", line: line) ?? 0
            if !(0..<1).contains(momentum) { throw reader.fail("momentum", after: line, "'momentum' must be at least 0 and less than 1") }
            let optimizerName = try reader.string(table, "optimizer", line: line) ?? "sgd"
            guard let optimizer = Trainer.Optimizer(rawValue: optimizerName) else { throw reader.fail("optimizer", after: line, "'optimizer' must be \"sgd\" or \"adam\"") }
            if optimizer == .adam, table["momentum"] != nil { throw reader.fail("momentum", after: line, "'momentum' is for \"sgd\"; Adam has its own moments") }
            self.optimizer = optimizer
            seed = UInt64(try reader.whole(table, "seed", line: line, in: 0...Int(Int32.max)) ?? 1)
            why = try reader.string(table, "why", line: line)
            self.line = line

            var checks: [Check] = []
            var checkLine = line
            for item in table["check"]?.array ?? [] {
                checkLine = reader.header("[[model.check]]", after: checkLine) ?? checkLine
                guard let entry = item.table else { throw reader.fail(nil, after: checkLine, "each [[model.check]] must be a table") }
                try reader.checkKeys(entry, allowed: Model.checkKeys, section: "[[model.check]]", line: checkLine)
                guard let quantity = try reader.string(entry, "quantity", line: checkLine) else { throw reader.fail(nil, after: checkLine, "[[model.check]] needs 'quantity'") }
                let what = try Model.parse(quantity, rows: rows) { reader.fail("quantity", after: checkLine, $0) }
                if what.needsTraining && data == nil { throw reader.fail("quantity", after: checkLine, "'\(quantity)' needs 'data' in [model]: a figure of the training run") }
                let given = ["notes", "at_least", "at_most", "full_at_least", "full_at_most"].filter { entry[$0] != nil }
                let kinds = Set(given.map { $0.replacingOccurrences(of: "full_", with: "") })
                guard kinds.count == 1 else { throw reader.fail(nil, after: checkLine, "[[model.check]] '\(quantity)' needs one of 'notes' (an exact count or shape), 'at_least' or 'at_most' (a bar for the run, with 'full_at_least' or 'full_at_most' for --full)") }
                let expected: Expected
                switch what {
                case .parameters, .weights, .biases, .outputShape:
                    guard given == ["notes"] else { throw reader.fail(given[0], after: checkLine, "'\(quantity)' is exact: give 'notes', the figure the notes print") }
                    if case .outputShape = what {
                        guard let array = entry["notes"]?.array, !array.isEmpty, array.count <= 8,
                              case let dimensions = array.compactMap(\.int), dimensions.count == array.count, dimensions.allSatisfy({ $0 > 0 }) else {
                            throw reader.fail("notes", after: checkLine, "'notes' of an output shape must be an array of positive whole numbers, e.g. [28, 28, 8]")
                        }
                        expected = .shape(dimensions)
                    } else {
                        guard let count = entry["notes"]?.int, count >= 0 else { throw reader.fail("notes", after: checkLine, "'notes' of a parameter count must be a whole number") }
                        expected = .count(count)
                    }
                case .heldOutAccuracy, .heldOutLoss, .trainingLoss:
                    guard given != ["notes"] else { throw reader.fail("notes", after: checkLine, "'\(quantity)' depends on the run: give 'at_least' or 'at_most', a bar it must clear") }
                    // `at_least` is the quick run's bar and, unless `full_at_least` is given, the full run's.
                    let key = kinds.first!, quick = try reader.number(entry, key, line: checkLine)
                    let full = try reader.number(entry, "full_" + key, line: checkLine) ?? quick!
                    if what == .heldOutAccuracy, !(0...100).contains(quick ?? 0) || !(0...100).contains(full) {
                        throw reader.fail(entry[key] != nil ? key : "full_" + key, after: checkLine, "an accuracy is a percentage, 0 to 100")
                    }
                    expected = key == "at_least" ? .atLeast(quick, full: full) : .atMost(quick, full: full)
                }
                let channelsLast = entry["channels_last"]?.bool ?? false
                if entry["channels_last"] != nil {
                    guard entry["channels_last"]?.bool != nil else { throw reader.fail("channels_last", after: checkLine, "'channels_last' must be true or false") }
                    guard case .outputShape = what else { throw reader.fail("channels_last", after: checkLine, "'channels_last' is for an output shape") }
                }
                var check = Check(quantity: quantity, what: what, expected: expected, channelsLast: channelsLast,
                                  why: try reader.string(entry, "why", line: checkLine), line: checkLine)
                if let printed = entry["printed"] {
                    guard let flag = printed.bool else { throw reader.fail("printed", after: checkLine, "'printed' must be true or false") }
                    check.printed = flag
                }
                checks.append(check)
            }
            self.checks = checks
        }

        /// `parameters`, `parameters of layer N`, `weights of layer N`, `biases of layer N`,
        /// `output shape`, `output shape of layer N`, `held-out accuracy`, `held-out loss`, `training loss`.
        public static func parse(_ text: String, rows: [ModelSpec.Row], fail: (String) -> WorkbenchFailure) throws(WorkbenchFailure) -> Quantity {
            let words = text.split(separator: " ").map(String.init)
            var layer: Int? = nil
            var head = words
            if words.count >= 3, words[words.count - 3] == "of", words[words.count - 2] == "layer" {
                guard let number = Int(words.last!), number >= 1 else { throw fail("'\(text)': a layer is a whole number from 1, as 'backprop summary' numbers them") }
                guard number <= rows.count else { throw fail("'\(text)': the model has \(rows.count) layers") }
                layer = number
                head = Array(words.dropLast(3))
            }
            switch (head.joined(separator: " "), layer) {
            case ("parameters", _): return .parameters(layer: layer)
            case ("output shape", _): return .outputShape(layer: layer)
            case ("weights", let layer?), ("biases", let layer?):
                guard rows[layer - 1].parameterShapes != nil else {
                    throw fail("'\(text)': layer \(layer) is \(rows[layer - 1].layer.typeName), which has no weights or biases")
                }
                return head == ["weights"] ? .weights(layer: layer) : .biases(layer: layer)
            case ("held-out accuracy", nil): return .heldOutAccuracy
            case ("held-out loss", nil): return .heldOutLoss
            case ("training loss", nil): return .trainingLoss
            default:
                throw fail("unknown quantity '\(text)'; use parameters, parameters of layer N, weights of layer N, biases of layer N, output shape, output shape of layer N, held-out accuracy, held-out loss or training loss")
            }
        }
    }
}

/// A `[model]` section run: the model's summary, one batch narrated step by step, the training run
/// and the checks of its figures.
public struct ModelRun {
    /// The engine's figure for a check.
    public enum Figure: Sendable, Equatable {
        case count(Int), shape([Int]), number(Double)
    }

    /// A check with the engine's figure.
    public struct Result: Sendable {
        public internal(set) var check: Lesson.Model.Check
        public let engine: Figure
        /// Whether this run checks it: a bar given only for `--full` is shown, not checked, in the quick run.
        public let checked: Bool
        /// True when it agrees, or is not checked.
        public let passed: Bool
    }

    /// What one mini-batch did, step by step: the loss in training mode (the one backward starts from),
    /// and the batch's loss without dropout before and after the update.
    public struct Batch: Sendable {
        public let size: Int
        public let loss: Double, before: Double, after: Double
    }

    /// One epoch: mean training loss, training accuracy (0…1), seconds.
    public struct Epoch: Sendable {
        public let loss: Double, accuracy: Double, seconds: Double
    }

    /// The training run.
    public struct Training: Sendable {
        public let full: Bool
        public let trainCount: Int, testCount: Int
        /// The data set's sizes before the quick run's limits.
        public let availableTrain: Int, availableTest: Int
        public let classes: Int
        public let parameterCount: Int
        public let batch: Batch
        public let epochs: [Epoch]
        public let heldOutLoss: Double, heldOutAccuracy: Double
    }

    public internal(set) var model: Lesson.Model
    public let spec: ModelSpec
    /// The preset, compiled once: its rows, its summary, the trainer's model.
    public let compiled: CompiledModel
    public var rows: [ModelSpec.Row] { compiled.rows }
    public let training: Training?
    public internal(set) var results: [Result]
    public var passed: Bool { results.allSatisfy(\.passed) }

    /// Runs the lesson's `[model]`: the quick run, or the notes' full setting when `full`.
    /// - Throws: `WorkbenchFailure.badInput` (exit 2) when the model cannot train on the data;
    ///   `.failed` (exit 1) when the loss becomes NaN or infinite.
    public init(_ model: Lesson.Model, file: String, full: Bool) throws(WorkbenchFailure) {
        self.model = model
        let spec = ModelSpec.preset(named: model.preset)!   // Lesson.Model checked the name
        self.spec = spec
        let compiled: CompiledModel
        do { compiled = try CompiledModel(spec) } catch { throw .badInput("\(model.preset): \(error)", at: SourceLocation(file: file, line: model.line)) }
        self.compiled = compiled
        training = try model.data.map { data throws(WorkbenchFailure) in try ModelRun.train(model, compiled: compiled, data: data, file: file, full: full) }
        var results: [Result] = []
        for check in model.checks {
            let engine = ModelRun.figure(check, rows: compiled.rows, training: training)
            let checked = check.expected.bar(full: full) != nil || check.expected.bar(full: true) == nil
            results.append(Result(check: check, engine: engine, checked: checked, passed: !checked || ModelRun.agrees(check, engine, full: full)))
        }
        self.results = results
    }

    static func train(_ model: Lesson.Model, compiled: CompiledModel, data: String, file: String, full: Bool) throws(WorkbenchFailure) -> Training {
        let spec = compiled.spec
        let (train, test, available) = try TrainingData.load(data, seed: model.seed, limit: full ? nil : model.limit, testLimit: full ? nil : model.testLimit)
        if let mismatch = TrainingData.inputMismatch(model.preset, spec, data, train) { throw .badInput("\(mismatch)", at: SourceLocation(file: file, line: model.line)) }
        var settings = Trainer.Settings()
        settings.learningRate = model.rate; settings.momentum = model.momentum; settings.batchSize = model.batch
        settings.seed = model.seed; settings.optimizer = model.optimizer
        func trainer() throws(WorkbenchFailure) -> Trainer {
            do { return try Trainer(model: compiled, settings: settings) } catch { throw .badInput("\(model.preset) cannot be trained: \(error)", at: SourceLocation(file: file, line: model.line)) }
        }
        func diverged(_ what: String, _ loss: Double) -> WorkbenchFailure {
            .failed("\(file): \(model.preset): the loss is \(loss) \(what); lower 'rate' in [model]")
        }
        do {
            // One batch, step by step, on a model of its own (the same seed, so the same initial
            // weights): the training below is then exactly `backprop train` with these settings.
            // The batch is the first of epoch 1, in its shuffled order.
            let first = train.subset(train.batches(size: model.batch, seed: model.seed &+ 1)[0])
            let demo = try trainer()
            let before = try demo.evaluate(first).loss
            let step = try demo.epoch(first, seed: model.seed).loss
            let after = try demo.evaluate(first).loss
            guard step.isFinite, after.isFinite else { throw diverged("after one batch", step.isFinite ? after : step) }

            let trainer = try trainer()
            var epochs: [Epoch] = []
            for epoch in 1...(full ? model.fullEpochs : model.epochs) {
                let start = Date()
                let (loss, accuracy) = try trainer.epoch(train, seed: model.seed &+ UInt64(epoch))
                guard loss.isFinite else { throw diverged("in epoch \(epoch)", loss) }
                epochs.append(Epoch(loss: loss, accuracy: accuracy, seconds: Date().timeIntervalSince(start)))
            }
            let heldOut = try trainer.evaluate(test)
            return Training(full: full, trainCount: train.count, testCount: test.count, availableTrain: available.train, availableTest: available.test,
                            classes: train.classNames.count, parameterCount: trainer.parameterCount,
                            batch: Batch(size: first.count, loss: step, before: before, after: after),
                            epochs: epochs, heldOutLoss: heldOut.loss, heldOutAccuracy: heldOut.accuracy * 100)
        } catch let failure as WorkbenchFailure {
            throw failure
        } catch {
            throw .failed("\(file): \(model.preset): training stopped: \(error)")
        }
    }

    static func figure(_ check: Lesson.Model.Check, rows: [ModelSpec.Row], training: Training?) -> Figure {
        switch check.what {
        case .parameters(let layer): return .count(layer.map { rows[$0 - 1].parameters } ?? rows.map(\.parameters).reduce(0, +))
        // A linear or convolution layer has one bias per output (channels-first: the first dimension).
        case .biases(let layer): return .count(rows[layer - 1].outputShape[0])
        case .weights(let layer): return .count(rows[layer - 1].parameters - rows[layer - 1].outputShape[0])
        case .outputShape(let layer):
            let shape = rows[(layer ?? rows.count) - 1].outputShape
            return .shape(check.channelsLast && shape.count == 3 ? [shape[1], shape[2], shape[0]] : shape)
        case .heldOutAccuracy: return .number(training!.heldOutAccuracy)
        case .heldOutLoss: return .number(training!.heldOutLoss)
        case .trainingLoss: return .number(training!.epochs.last!.loss)
        }
    }

    static func agrees(_ check: Lesson.Model.Check, _ engine: Figure, full: Bool) -> Bool {
        switch (check.expected, engine) {
        case (.count(let notes), .count(let value)): return notes == value
        case (.shape(let notes), .shape(let value)): return notes == value
        case (.atLeast, .number(let value)): return check.expected.bar(full: full).map { value >= $0 } ?? true
        case (.atMost, .number(let value)): return check.expected.bar(full: full).map { value <= $0 } ?? true
        default: return false
        }
    }

}
