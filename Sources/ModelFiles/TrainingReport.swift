import Datasets
import Foundation
import NeuralNetworks
import Support

/// A trained model's figures on held-out data: loss, accuracy and the confusion matrix, with the
/// lines `train` and `evaluate` print.
public struct HeldOutReport: Sendable {
    public let loss: Double
    public let accuracy: Double
    /// Rows: true class; columns: predicted class.
    public let confusion: [[Int]]
    public let classNames: [String]
    /// Examples classified right (the confusion matrix's diagonal).
    public var right: Int { confusion.indices.map { confusion[$0][$0] }.reduce(0, +) }
    public var count: Int { confusion.joined().reduce(0, +) }

    /// Evaluates `trainer` on `data`; a refusal (a batch too big, an output that does not fit the
    /// data's classes) is bad input.
    public init(_ trainer: Trainer, on data: LabeledData) throws(WorkbenchFailure) {
        let result = try Refusals.bad { try trainer.evaluate(data) }
        guard result.loss.isFinite else {
            throw .failed("the held-out loss is \(result.loss.isNaN ? "NaN" : "infinite") (the model's weights are too large)")
        }
        (loss, accuracy, confusion, classNames) = (result.loss, result.accuracy, result.confusion, data.classNames)
    }

    /// `held-out: loss …, accuracy …`, then the confusion matrix with class names as headers.
    public func lines() -> [String] {
        var lines = [String(format: "held-out: loss %.4f, accuracy %.2f%% (%d of %d)", loss, accuracy * 100, right, count)]
        lines.append("confusion matrix (rows: true class, columns: predicted)")
        let width = max(5, String(confusion.flatMap { $0 }.max() ?? 0).count + 1)
        let names = classNames.map { String($0.prefix(width - 1)) }
        lines.append(String(repeating: " ", count: 12) + names.map { String(repeating: " ", count: width - $0.count) + $0 }.joined())
        for (row, name) in classNames.enumerated() where row < confusion.count {
            let cells = confusion[row].map { let text = String($0); return String(repeating: " ", count: width - text.count) + text }
            lines.append(String(name.prefix(11)).padding(toLength: 12, withPad: " ", startingAt: 0) + cells.joined())
        }
        return lines
    }
}

/// `train --folds K`: a fresh model per stratified fold, each fold's held-out figures, their mean and spread.
public struct CrossValidation: Sendable {
    public struct Fold: Sendable {
        public let accuracy: Double, loss: Double
        public let right: Int, count: Int
    }
    public let folds: [Fold]
    /// The mean of the folds' accuracies.
    public var mean: Double { folds.map(\.accuracy).reduce(0, +) / Double(folds.count) }
    /// The sample standard deviation of the folds' accuracies (n − 1).
    public var deviation: Double {
        guard folds.count > 1 else { return 0 }
        let mean = mean
        return (folds.map { ($0.accuracy - mean) * ($0.accuracy - mean) }.reduce(0, +) / Double(folds.count - 1)).squareRoot()
    }

    public init(folds: [Fold]) { self.folds = folds }

    /// Trains `model` afresh on each fold's training part for `epochs`, then evaluates it on the
    /// fold's held-out part; `progress` gets each fold as it finishes.
    public static func run(_ model: CompiledModel, parts: [(train: LabeledData, test: LabeledData)], epochs: Int,
                           settings: Trainer.Settings, seed: UInt64, progress: (Int, Fold) -> Void = { _, _ in }) throws(WorkbenchFailure) -> CrossValidation {
        var folds: [Fold] = []
        for (index, part) in parts.enumerated() {
            let trainer: Trainer
            do { trainer = try Trainer(model: model, settings: settings) } catch { throw .badInput("\(model.name): \(error)") }
            for epoch in 1...epochs {
                let loss = try Refusals.bad { try trainer.epoch(part.train, seed: seed &+ UInt64(epoch)).loss }
                if !loss.isFinite { throw .failed("fold \(index + 1), epoch \(epoch): the loss is \(loss) (try a smaller --lr)") }
            }
            let report = try HeldOutReport(trainer, on: part.test)
            let fold = Fold(accuracy: report.accuracy, loss: report.loss, right: report.right, count: part.test.count)
            folds.append(fold)
            progress(index, fold)
        }
        return CrossValidation(folds: folds)
    }
}

/// The trainer's refusals (a batch too big for memory, a model whose output does not fit the data)
/// as bad input: one line, exit status 2.
public enum Refusals {
    public static func bad<T>(_ body: () throws -> T) throws(WorkbenchFailure) -> T {
        do { return try body() } catch let error as Trainer.Unsupported { throw .badInput(error.description) } catch let error as WorkbenchFailure {
            throw error
        } catch { throw .failed("\(error)") }
    }
}
