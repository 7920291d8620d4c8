import ArgumentParser
import NeuralNetworks
import Workbench

/// `backprop summary MODEL`: a model's layers, output shapes and parameter counts.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts (Keras-like).",
        discussion: "Models: " + ModelSpec.presets.map(\.name).joined(separator: ", ") + ". Shapes are channels-first, as in PyTorch.")

    @Argument(help: "A preset model.") var model: String

    func run() throws {
        guard let spec = ModelSpec.preset(named: model) else {
            throw WorkbenchFailure.badInput("unknown model '\(model)'; the models are " + ModelSpec.presets.map(\.name).joined(separator: ", "))
        }
        do { print(try spec.renderSummary()) } catch { throw WorkbenchFailure.badInput("\(model): \(error)") }
    }
}
