import Autograd
import Datasets
import Foundation

/// Why an input-gradient computation (Grad-CAM, saliency, style transfer) cannot run.
public enum InputGradientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A layer that cannot take its input's shape (the model does not compile).
    case shape(ModelSpec.ShapeError)
    /// The parameters do not fit the architecture.
    case parametersDoNotFit(model: String, expectedWeights: [Int], expectedBiases: [Int])
    /// The image does not have the model's input shape.
    case imageShape(expected: [Int], got: [Int])
    /// The model has no convolution layer, so there are no feature maps.
    case noConvolution(model: String)
    /// A layer number outside `1...layers`.
    case layerOutOfRange(Int, layers: Int)
    /// The layer's output is not a stack of feature maps [K, H, W].
    case notFeatureMaps(layer: Int, shape: [Int])
    /// The model's output is not a vector of class scores.
    case notClassScores(shape: [Int])
    /// A class outside `0..<classes`.
    case classOutOfRange(Int, classes: Int)
    /// A setting outside its range (name and reason).
    case invalidSetting(String)
    /// The engine refused an operation (a shape mismatch, which would be a bug here).
    case engine(String)

    public var description: String {
        switch self {
        case .shape(let error): error.description
        case .parametersDoNotFit(let model, let weights, let biases): "the parameters do not fit \(model): expected weight sizes \(weights) and bias sizes \(biases)"
        case .imageShape(let expected, let got): "the image has shape \(Tensor.describe(shape: got)), the model takes \(Tensor.describe(shape: expected))"
        case .noConvolution(let model): "\(model) has no convolution layer, so it has no feature maps (use a CNN such as digits-cnn)"
        case .layerOutOfRange(let layer, let layers): "layer \(layer) does not exist: the model has layers 1 to \(layers) (see 'backprop summary')"
        case .notFeatureMaps(let layer, let shape): "layer \(layer) outputs \(Tensor.describe(shape: shape)), not feature maps [K, H, W]; choose a convolution, activation or pooling layer"
        case .notClassScores(let shape): "the model's output \(Tensor.describe(shape: shape)) is not a vector of class scores"
        case .classOutOfRange(let value, let classes): "class \(value) does not exist: use 0 to \(classes - 1)"
        case .invalidSetting(let reason): reason
        case .engine(let reason): "the engine refused the forward pass: \(reason)"
        }
    }
}

/// A model of a `ModelSpec` with given parameters, whose forward pass is recorded on a `Graph` with
/// the image as an *input* leaf, so backward reaches the image as well as every feature map.
///
/// The trainer records its batch as a constant (no gradient flows into data); here the image is
/// what we differentiate with respect to, and the weights are the constants.
///
/// ```swift
/// let network = try FeatureNetwork(spec: .preset(named: "digits-cnn")!, weights: w, biases: b)
/// let graph = Graph(limits: .unlimited)
/// let recording = try network.record(image, on: graph)   // image: [1, 8, 8]
/// try graph.backward(from: recording.score(of: 3, on: graph))
/// graph.gradient(of: recording.input)                      // ∂y₃/∂x, shape [1, 1, 8, 8]
/// ```
public struct FeatureNetwork: Sendable {
    /// The architecture, compiled.
    public let model: CompiledModel
    /// The architecture.
    public var spec: ModelSpec { model.spec }
    /// Each linear or convolution layer's weights (linear [inputs, outputs], conv [filters, channels, K, K]), row-major.
    public let weights: [[Double]]
    /// Each linear or convolution layer's biases (linear [outputs], conv [filters, 1, 1]).
    public let biases: [[Double]]
    /// Each layer's output shape for one image (no batch axis).
    public var layerShapes: [[Int]] { model.rows.map(\.outputShape) }

    /// The model with these parameters (the layout of `Trainer.weights` and `Trainer.biases`).
    /// - Throws: `InputGradientError` for a model whose shapes do not fit, or parameters of the wrong sizes.
    public init(spec: ModelSpec, weights: [[Double]], biases: [[Double]]) throws(InputGradientError) {
        let model: CompiledModel
        do { model = try CompiledModel(spec) } catch { throw .shape(error) }
        try self.init(model: model, weights: weights, biases: biases)
    }

    /// The compiled model with these parameters.
    /// - Throws: `InputGradientError.parametersDoNotFit` for parameters of the wrong sizes.
    public init(model: CompiledModel, weights: [[Double]], biases: [[Double]]) throws(InputGradientError) {
        // The products were checked when the model was compiled.
        let expectedWeights = model.parameterShapes.map { $0.weight.reduce(1, *) }, expectedBiases = model.parameterShapes.map { $0.bias.reduce(1, *) }
        guard weights.map(\.count) == expectedWeights, biases.map(\.count) == expectedBiases else {
            throw .parametersDoNotFit(model: model.name, expectedWeights: expectedWeights, expectedBiases: expectedBiases)
        }
        self.model = model
        self.weights = weights
        self.biases = biases
    }

    /// The forward pass of one image as recorded on a graph.
    public struct Recording: Sendable {
        /// The image, an input leaf of shape [1, C, H, W] (a batch of one).
        public let input: NodeID
        /// Each layer's output, in the order of `spec.layers` (index 0 is layer 1); shapes carry the batch axis of 1.
        public let layerOutputs: [NodeID]
        /// The class scores [1, classes]: the last layer's output, or its input when the model ends
        /// in log_softmax (Grad-CAM differentiates the score before the softmax).
        public let scores: NodeID

        /// Records y_c, the score of class `c`, as a scalar node: Σ scores · onehot(c).
        public func score(of c: Int, on graph: Graph) throws(InputGradientError) -> NodeID {
            let shape = graph.shape(of: scores)
            guard shape.count == 2, shape[0] == 1 else { throw .notClassScores(shape: Array(shape.dropFirst())) }
            guard (0..<shape[1]).contains(c) else { throw .classOutOfRange(c, classes: shape[1]) }
            var oneHot = [Double](repeating: 0, count: shape[1])
            oneHot[c] = 1
            do {
                let picked = try graph.apply(.multiply, scores, graph.constant(Tensor(shape: shape, storage: oneHot), name: "onehot(\(c))"))
                return try graph.apply(.sum, picked)
            } catch { throw .engine(error.description) }
        }
    }

    /// Records the forward pass of `image` ([C, H, W], the model's input shape) on `graph`, with the
    /// image as an input leaf named `name`; the weights are constants and dropout is off (inference).
    /// - Throws: `InputGradientError.imageShape` when the image does not fit the model.
    public func record(_ image: Tensor, on graph: Graph, name: String = "x") throws(InputGradientError) -> Recording {
        guard image.count == ModelSpec.entries(of: spec.inputShape), image.rank == spec.inputShape.count || image.rank == 1 else {
            throw .imageShape(expected: spec.inputShape, got: image.shape)
        }
        let input = graph.input(name, image.reshaped([1] + spec.inputShape))
        let outputs: [NodeID]
        do {
            // Inference: dropout is the identity, so the generator is never drawn from.
            var random = SeededGenerator(seed: 0)
            let (shapes, weights, biases) = (model.parameterShapes, weights, biases)
            outputs = try model.record(input, on: graph, batch: 1, training: false, random: &random) { index in
                (graph.constant(Tensor(shape: shapes[index].weight, storage: weights[index]), name: "W\(index + 1)"),
                 graph.constant(Tensor(shape: shapes[index].bias, storage: biases[index]), name: "b\(index + 1)"))
            }
        } catch {
            throw .engine("\(error)")
        }
        // Grad-CAM differentiates the score before a final log_softmax.
        let endsInLogSoftmax = (spec.layers.last as? ModelSpec.Activation) == .logSoftmax
        let scores = endsInLogSoftmax ? (outputs.dropLast().last ?? input) : (outputs.last ?? input)
        return Recording(input: input, layerOutputs: outputs, scores: scores)
    }

    /// The class scores y of one image (a forward pass only).
    public func scores(of image: Tensor) throws(InputGradientError) -> [Double] {
        let graph = Graph(limits: .unlimited)
        return graph.value(of: try record(image, on: graph).scores).storage
    }

    /// The 1-based numbers of the layers that output feature maps [K, H, W] right after a
    /// convolution: the convolution itself, or the activation that directly follows it.
    public var convolutionFeatureLayers: [Int] {
        var result: [Int] = []
        for (index, layer) in spec.layers.enumerated() {
            guard layer is ModelSpec.Conv2d else { continue }
            if index + 1 < spec.layers.count, spec.layers[index + 1] is ModelSpec.Activation {
                result.append(index + 2)
            } else {
                result.append(index + 1)
            }
        }
        return result
    }

    /// Checks that layer `layer` (1-based) outputs feature maps [K, H, W].
    /// - Throws: `.layerOutOfRange` or `.notFeatureMaps`.
    public func checkFeatureMaps(layer: Int) throws(InputGradientError) {
        guard layer >= 1 && layer <= spec.layers.count else { throw .layerOutOfRange(layer, layers: spec.layers.count) }
        let shape = layerShapes[layer - 1]
        guard shape.count == 3 else { throw .notFeatureMaps(layer: layer, shape: shape) }
    }
}
