import Autograd
import Datasets
import NeuralNetworks
import Support

/// A model saved by `backprop train --save`, as a `FeatureNetwork`, with its held-out data.
public struct LoadedModel {
    public let model: String, dataName: String
    public let network: FeatureNetwork
    public let test: LabeledData

    public init(file: String, data: String?) throws(WorkbenchFailure) {
        let saved = try SavedModel(file: file)
        let spec = saved.spec
        do { network = try FeatureNetwork(model: saved.model, weights: saved.weights, biases: saved.biases) }
        catch { throw WorkbenchFailure.badInput("\(file): \(error)") }
        dataName = data ?? saved.data
        (_, test) = try TrainingData.load(dataName, seed: saved.seed)
        if let mismatch = TrainingData.inputMismatch(spec.name, spec, dataName, test) { throw WorkbenchFailure.badInput(mismatch) }
        model = spec.name
    }

    /// Held-out image `index` in the model's input shape.
    public func heldOutImage(_ index: Int, option: String) throws(WorkbenchFailure) -> Tensor {
        guard index >= 0, index < test.count else {
            throw WorkbenchFailure.badInput("\(option) \(index): the held-out part of \(dataName) has images 0 to \(test.count - 1)")
        }
        let width = test.featureCount
        return Tensor(shape: network.spec.inputShape, storage: test.features[index * width ..< (index + 1) * width].map(Double.init))
    }
}
