import Autograd
import Datasets
import Foundation
import NeuralNetworks
import Support
import ModelFiles

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

    /// One epoch: mean training loss, training accuracy (0…1), seconds, and the model after it on
    /// the held-out examples (loss, accuracy 0…1).
    public struct Epoch: Sendable {
        public let loss: Double, accuracy: Double, seconds: Double
        public let heldOutLoss: Double, heldOutAccuracy: Double
    }

    /// One mini-batch of training: where it ends, in epochs from the start (1.5: halfway through
    /// epoch 2), its own mean loss and the fraction of its examples predicted right (dropout on).
    public struct Point: Sendable {
        public let position: Double, loss: Double, accuracy: Double
    }

    /// The model on the held-out examples: mean loss, accuracy (0…1) and the confusion matrix
    /// (rows: true class, columns: predicted).
    public struct HeldOut: Sendable {
        public let loss: Double, accuracy: Double
        public let confusion: [[Int]]
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
        /// Every mini-batch of the run, in order: the training curve.
        public let points: [Point]
        /// The held-out examples before training (the initial weights), after epoch 1 and at the end.
        public let untrained: HeldOut, afterFirst: HeldOut, final: HeldOut
        /// The names of the classes, in the confusion matrices' order.
        public let classNames: [String]
        /// When the first layer with weights is a convolution: its first filter's weights on the
        /// first input channel (`side` × `side`, row by row) before training and after epoch 1.
        public let filter: (side: Int, before: [Double], after: [Double])?
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
            // Evaluation runs without dropout and draws no random numbers: the training is the same
            // with or without the held-out figures taken after each epoch.
            func heldOut() throws -> HeldOut {
                let result = try trainer.evaluate(test)
                return HeldOut(loss: result.loss, accuracy: result.accuracy, confusion: result.confusion)
            }
            let untrained = try heldOut()
            // The first filter of a first convolution: weights [filters, channels, k, k], row-major.
            let firstConv = compiled.rows.first { $0.parameterShapes != nil }?.layer as? ModelSpec.Conv2d
            func firstFilter() -> [Double] { firstConv.map { Array(trainer.weights[0].prefix($0.kernel * $0.kernel)) } ?? [] }
            let filterBefore = firstFilter()
            var filterAfter: [Double] = []
            var epochs: [Epoch] = [], points: [Point] = []
            var afterFirst = untrained, last = untrained
            for epoch in 1...(full ? model.fullEpochs : model.epochs) {
                let start = Date()
                // The trainer reports running means after each batch; each batch's own figures are
                // the difference of two running sums (batches are full but for the last).
                var previous = (seen: 0, loss: 0.0, correct: 0.0)
                let (loss, accuracy) = try trainer.epoch(train, seed: model.seed &+ UInt64(epoch)) { number, count, meanLoss, meanAccuracy in
                    let seen = min(number * model.batch, train.count), examples = Double(seen - previous.seen)
                    guard examples > 0 else { return }
                    let sum = meanLoss * Double(seen), correct = meanAccuracy * Double(seen)
                    points.append(Point(position: Double(epoch - 1) + Double(number) / Double(count),
                                        loss: (sum - previous.loss) / examples, accuracy: (correct - previous.correct) / examples))
                    previous = (seen, sum, correct)
                }
                guard loss.isFinite else { throw diverged("in epoch \(epoch)", loss) }
                let seconds = Date().timeIntervalSince(start)
                last = try heldOut()
                if epoch == 1 { afterFirst = last; filterAfter = firstFilter() }
                epochs.append(Epoch(loss: loss, accuracy: accuracy, seconds: seconds, heldOutLoss: last.loss, heldOutAccuracy: last.accuracy))
            }
            return Training(full: full, trainCount: train.count, testCount: test.count, availableTrain: available.train, availableTest: available.test,
                            classes: train.classNames.count, parameterCount: trainer.parameterCount,
                            batch: Batch(size: first.count, loss: step, before: before, after: after),
                            epochs: epochs, heldOutLoss: last.loss, heldOutAccuracy: last.accuracy * 100,
                            points: points, untrained: untrained, afterFirst: afterFirst, final: last, classNames: train.classNames,
                            filter: firstConv.map { ($0.kernel, filterBefore, filterAfter) })
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
