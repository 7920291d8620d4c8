import Autograd
import Foundation

/// The names a placeholder may use besides the program's: the settings and the figures of the
/// lesson's `[descent]` and `[model]` runs (docs/lesson-format.md, "Figures in narration"). The
/// introduction is resolved after those runs, so `{model_train}` is the number of examples this run
/// trained on, and the words cannot disagree with the table below them.
extension NarrationTemplate {
    /// `descent_steps`, `descent_examples`, and one entry per `[[descent.run]]` in the file's order
    /// (counted from 0): `descent_rates`, `descent_batches` (examples per step), `descent_momenta`
    /// (0 for a run without momentum).
    static func names(of descent: DescentRun) -> [(name: String, value: Tensor)] {
        let runs = descent.descent.runs
        func row(_ values: [Double]) -> Tensor { Tensor(shape: [values.count], storage: values) }
        let batches = runs.map { run -> Double in
            switch run.method {
            case .gd, .momentum, .adam: Double(descent.examples)
            case .sgd: 1
            case .minibatch: Double(min(run.batch, descent.examples))
            }
        }
        return [("descent_steps", Tensor(scalar: Double(descent.descent.steps))),
                ("descent_examples", Tensor(scalar: Double(descent.examples))),
                ("descent_rates", row(runs.map(\.rate))),
                ("descent_batches", row(batches)),
                ("descent_momenta", row(runs.map { $0.method == .momentum ? $0.momentum : 0 }))]
    }

    /// The `[model]`'s settings (`model_epochs`, `model_full_epochs`, `model_batch`, `model_rate`,
    /// `model_momentum`, `model_limit` and `model_test_limit` when given), its summary's
    /// `model_parameters`, and with a data set this run's figures: `model_train` and `model_held_out`
    /// (the examples trained on and evaluated), `model_train_all` and `model_held_out_all` (the data
    /// set's sizes before the quick run's limits), `model_updates` (updates per epoch) and
    /// `model_classes`. Per layer of the summary (entry 0 is layer 1): `model_layer_parameters`,
    /// `model_layer_biases` (one per output of a linear or convolution layer, else 0) and
    /// `model_layer_weights` (the rest), and `model_layer_outputs` (the values of its output shape).
    static func names(of run: ModelRun) -> [(name: String, value: Tensor)] {
        let model = run.model
        func scalar(_ value: Int) -> Tensor { Tensor(scalar: Double(value)) }
        var names: [(name: String, value: Tensor)] = [
            ("model_epochs", scalar(model.epochs)), ("model_full_epochs", scalar(model.fullEpochs)),
            ("model_batch", scalar(model.batch)), ("model_rate", Tensor(scalar: model.rate)),
            ("model_momentum", Tensor(scalar: model.momentum)),
            ("model_parameters", scalar(run.rows.map(\.parameters).reduce(0, +))),
        ]
        let rows = run.rows
        func row(_ values: [Int]) -> Tensor { Tensor(shape: [values.count], storage: values.map(Double.init)) }
        let biases = rows.map { $0.parameterShapes == nil ? 0 : $0.outputShape[0] }
        names += [("model_layer_parameters", row(rows.map(\.parameters))), ("model_layer_biases", row(biases)),
                  ("model_layer_weights", row(zip(rows, biases).map { $0.parameters - $1 })),
                  ("model_layer_outputs", row(rows.map { $0.outputShape.reduce(1, *) }))]
        if let limit = model.limit { names.append(("model_limit", scalar(limit))) }
        if let limit = model.testLimit { names.append(("model_test_limit", scalar(limit))) }
        if let training = run.training {
            names += [("model_train", scalar(training.trainCount)), ("model_held_out", scalar(training.testCount)),
                      ("model_train_all", scalar(training.availableTrain)), ("model_held_out_all", scalar(training.availableTest)),
                      ("model_updates", scalar((training.trainCount + model.batch - 1) / model.batch)),
                      ("model_classes", scalar(training.classes))]
        }
        return names
    }
}
