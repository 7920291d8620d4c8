import ArgumentParser
import Datasets
import Diagrams
import Foundation
import NeuralNetworks
import Support
import Claims
import ModelFiles
import Lessons
import Grading
import Pages

/// `backprop train MODEL --data …`: train one of the notes' fully connected models on the engine.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model of the notes on a shipped data set (linear, conv2d, max- and average pooling, dropout).",
        discussion: """
            Models: iris-mlp, digits-mlp, digits-cnn, mlp-mnist, cnn-mnist, lenet5, mlp-256 (see 'backprop summary MODEL').
            A model can also be a file ending in .toml (docs/models.md); --curves FILE.svg draws the loss and accuracy.
            Data: iris, digits, mnist (lessons/data).
              backprop train iris-mlp --data iris --epochs 100 --batch 16 --lr 0.05
              backprop train mlp-mnist --data mnist --epochs 1
            Iris and digits hold out 20% of each class (seeded); MNIST uses its 10,000 test images.
            Iris's features are standardized with the training part's mean and deviation.
            """)

    @Argument(help: "A model preset, or a model file ending in .toml (docs/models.md).") var model: String
    @Option(help: "The data set: iris, digits or mnist.") var data: String
    @Option(help: "Epochs.") var epochs = 1
    @OptionGroup var options: TrainingOptions
    @Option(help: "Train on only the first N training examples (a quick run).") var limit: Int?
    @Option(help: "Save the trained model to FILE (JSON; 'backprop evaluate FILE' reads it).") var save: String?
    @Option(help: "Draw the loss and accuracy per epoch (held-out too) and per batch to FILE.svg.") var curves: String?
    @Option(help: "Cross-validate instead: train a fresh model on each of K stratified folds of iris or digits and report each fold's held-out accuracy and their mean.") var folds: Int?
    @Option(help: "Draw the engine's graph of the first mini-batch (forward values and gradients, before any update) to FILE (.svg, .png, .pdf, .dot).") var trace: String?

    func validate() throws {
        guard epochs >= 1, epochs <= 10_000 else { throw ValidationError("--epochs \(epochs): use 1 to 10000") }
        if let limit, limit < 1 { throw ValidationError("--limit \(limit): use a positive number of examples") }
        if let folds {
            guard (2...50).contains(folds) else { throw ValidationError("--folds \(folds): use 2 to 50") }
            if save != nil || curves != nil || trace != nil || limit != nil { throw ValidationError("--folds trains one model per fold: it takes no --save, --curves, --trace or --limit") }
        }
        if let curves, !curves.hasSuffix(".svg") { throw ValidationError("--curves \(curves): name an .svg file") }
    }

    func run() throws {
        let (spec, compiled, modelFile) = try ModelFile.model(model)
        // Before any work: no output may replace the model file.
        try RunFiles(inputs: [(modelFile?.file, "the model file")]).check([("--save", save), ("--curves", curves), ("--trace", trace)])
        if let folds { return try crossValidate(compiled, folds: folds) }
        let (seed, batch) = (options.seed, options.batch)
        // With --limit, MNIST decodes only the images it trains on (the same prefix as before).
        let (training, test, _) = try TrainingData.load(data, seed: seed, limit: limit, testLimit: nil)
        if let mismatch = TrainingData.inputMismatch(model, spec, data, training) { throw WorkbenchFailure.badInput(mismatch) }
        let trainer: Trainer
        do { trainer = try Trainer(model: compiled, settings: options.settings) } catch { throw modelFile?.failure("\(error)") ?? WorkbenchFailure.badInput("\(model): \(error)") }
        print("training \(model) (\(trainer.parameterCount) parameters) on \(data): \(training.count) examples, \(test.count) held out; batch \(batch), \(options.summary), seed \(seed)")
        let monitor = try TrainingMonitor(epochs: epochs, examples: training.count, batchSize: batch,
                                          curves: curves.map { ($0, "\(spec.name) on \(data), batch \(batch), \(options.summary), seed \(seed)") })
        if let trace {
            let first = training.batches(size: batch, seed: seed &+ 1)[0]
            let (graph, loss) = try trainer.recordBatch(training, indices: first)
            try Drawing.write(graph.trace(output: loss), options: DiagramOptions(), output: trace, steps: nil, html: nil, full: false)
            print("the graph of the first mini-batch (\(graph.count) nodes) in \(trace)")
        }
        for epoch in 1...epochs {
            monitor.startEpoch(epoch)
            let (loss, accuracy) = try Refusals.bad { try trainer.epoch(training, seed: seed &+ UInt64(epoch), progress: monitor.batch) }
            let heldOut = monitor.wantsHeldOut && loss.isFinite ? try Refusals.bad { try trainer.evaluate(test) } : nil
            try monitor.finishEpoch(loss: loss, accuracy: accuracy, heldOut: heldOut.map { ($0.loss, $0.accuracy) })
            if !loss.isFinite { throw WorkbenchFailure.failed("epoch \(epoch): the loss is \(loss) (try a smaller --lr)") }
        }
        if let curves { print("curves in \(curves)") }
        if let save {
            let document = SavedModel(model: trainer.model, data: data, seed: seed, weights: trainer.weights, biases: trainer.biases)
            do { try AtomicFile.write(document.json().serialized() + "\n", to: save) } catch { throw WorkbenchFailure.badInput("\(error)") }
            print("saved \(model) to \(save)")
        }
        try HeldOutReport(trainer, on: test).lines().forEach { print($0) }
    }

    /// `--folds K`: a fresh model per fold, each fold's held-out accuracy, then the mean and spread.
    func crossValidate(_ compiled: CompiledModel, folds count: Int) throws {
        let parts = try TrainingData.folds(data, count: count, seed: options.seed)
        print("cross-validating \(model) on \(data): \(count) stratified folds of \(parts[0].train.count + parts[0].test.count) examples; \(epochs) epochs each, batch \(options.batch), \(options.summary), seed \(options.seed)")
        // Every fold comes from the same data set: one check serves them all.
        if let mismatch = TrainingData.inputMismatch(model, compiled.spec, data, parts[0].train) { throw WorkbenchFailure.badInput(mismatch) }
        let result = try CrossValidation.run(compiled, parts: parts, epochs: epochs, settings: options.settings, seed: options.seed) { index, fold in
            print(String(format: "fold %d/%d: held-out accuracy %.2f%% (%d of %d), loss %.4f", index + 1, count, fold.accuracy * 100, fold.right, fold.count, fold.loss))
        }
        print(String(format: "cross-validated accuracy: %.2f%% ± %.2f%% (mean ± standard deviation over %d folds)", result.mean * 100, result.deviation * 100, count))
    }
}

/// `backprop evaluate MODEL.json --data …`: a saved model's held-out accuracy and confusion matrix.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a model saved by 'backprop train --save' on the held-out part of a data set.")
    @Argument(help: "The saved model (JSON).") var file: String
    @Option(help: "The data set (default: the one it was trained on).") var data: String?

    func run() throws {
        let saved = try SavedModel(file: file)
        let spec = saved.spec
        // Only the held-out part is needed: for MNIST, decode none of the training images.
        let test = try TrainingData.load(data ?? saved.data, seed: saved.seed, limit: 1, testLimit: nil).test
        let trainer: Trainer
        do { trainer = try Trainer(model: saved.model, settings: .init(), weights: saved.weights, biases: saved.biases) }
        catch { throw WorkbenchFailure.badInput("\(file): \(error)") }
        print("evaluating \(spec.name) from \(file) on \(data ?? saved.data): \(test.count) held-out examples")
        try HeldOutReport(trainer, on: test).lines().forEach { print($0) }
    }
}
