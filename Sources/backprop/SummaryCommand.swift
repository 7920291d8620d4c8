import ArgumentParser
import NeuralNetworks
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages

/// `backprop summary MODEL`: a model's layers, output shapes and parameter counts.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts (Keras-like).",
        discussion: "Models: " + ModelSpec.presets.map(\.name).joined(separator: ", ")
            + ", or a model file ending in .toml (docs/models.md). Shapes are channels-first, as in PyTorch.")

    @Argument(help: "A preset model, or a model file ending in .toml.") var model: String

    func run() throws {
        print(try ModelFile.model(model).model.renderSummary())
    }
}
