import Autograd
import Foundation

/// Why an input-gradient computation (Grad-CAM, saliency, style transfer) cannot run.
public enum InputGradientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A layer the forward pass cannot record (1-based layer number, as `backprop summary` counts).
    case unsupportedLayer(Int, String)
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
        case .unsupportedLayer(let layer, let name): "layer \(layer): \(name) is not supported here (linear, conv2d, max- and average pooling, flatten, dropout, reshape, relu, tanh, sigmoid, log_softmax)"
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
    /// The architecture.
    public let spec: ModelSpec
    /// Each linear or convolution layer's weights (linear [inputs, outputs], conv [filters, channels, K, K]), row-major.
    public let weights: [[Double]]
    /// Each linear or convolution layer's biases (linear [outputs], conv [filters, 1, 1]).
    public let biases: [[Double]]
    /// The shapes of `weights` and `biases`, and each layer's output shape for one image.
    let parameterShapes: [(weight: [Int], bias: [Int])]
    /// Each layer's output shape for one image (no batch axis).
    public let layerShapes: [[Int]]

    /// The model with these parameters (the layout of `Trainer.weights` and `Trainer.biases`).
    /// - Throws: `InputGradientError` for a layer this forward pass does not know, or parameters of the wrong sizes.
    public init(spec: ModelSpec, weights: [[Double]], biases: [[Double]]) throws(InputGradientError) {
        var shape = spec.inputShape
        var parameterShapes: [(weight: [Int], bias: [Int])] = [], layerShapes: [[Int]] = []
        for (index, layer) in spec.layers.enumerated() {
            switch layer {
            // Checked (a model's sizes come from a file): an overflow becomes -1, refused below.
            case .flatten: shape = [ModelSpec.entries(of: shape) ?? -1]
            case .dropout: break
            case .activation(let name) where FeatureNetwork.activations.contains(name): break
            case .linear(let outputs) where shape.count == 1:
                parameterShapes.append(([shape[0], outputs], [outputs]))
                shape = [outputs]
            case .conv2d(let filters, let kernel, let stride, let padding) where shape.count == 3:
                parameterShapes.append(([filters, shape[0], kernel, kernel], [filters, 1, 1]))
                shape = [filters, ModelSpec.checkedOutputSize(shape[1], kernel, stride, padding) ?? -1, ModelSpec.checkedOutputSize(shape[2], kernel, stride, padding) ?? -1]
            case .maxPool2d(let size, let stride) where shape.count == 3, .avgPool2d(let size, let stride) where shape.count == 3:
                shape = [shape[0], ModelSpec.checkedOutputSize(shape[1], size, stride ?? size, 0) ?? -1, ModelSpec.checkedOutputSize(shape[2], size, stride ?? size, 0) ?? -1]
            case .reshape(let target) where ModelSpec.entries(of: target) != nil && ModelSpec.entries(of: target) == ModelSpec.entries(of: shape):
                shape = target
            default:
                throw .unsupportedLayer(index + 1, layer.typeName)
            }
            guard shape.allSatisfy({ $0 > 0 }) else { throw .unsupportedLayer(index + 1, layer.typeName + " (its window does not fit)") }
            layerShapes.append(shape)
        }
        let expectedWeights = parameterShapes.map { ModelSpec.entries(of: $0.weight) ?? -1 }, expectedBiases = parameterShapes.map { ModelSpec.entries(of: $0.bias) ?? -1 }
        guard weights.map(\.count) == expectedWeights, biases.map(\.count) == expectedBiases else {
            throw .parametersDoNotFit(model: spec.name, expectedWeights: expectedWeights, expectedBiases: expectedBiases)
        }
        self.spec = spec
        self.weights = weights
        self.biases = biases
        self.parameterShapes = parameterShapes
        self.layerShapes = layerShapes
    }

    /// The activations the forward pass records.
    public static let activations: Set<String> = ["relu", "tanh", "sigmoid", "log_softmax"]

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
        var h = input, outputs: [NodeID] = [], scores = input, parameter = 0
        do {
            for (index, layer) in spec.layers.enumerated() {
                let before = h
                switch layer {
                case .flatten, .reshape:
                    h = try graph.apply(.reshape, h, attribute: .shape([1] + layerShapes[index]))
                case .linear, .conv2d:
                    let (weightShape, biasShape) = parameterShapes[parameter]
                    let w = graph.constant(Tensor(shape: weightShape, storage: weights[parameter]), name: "W\(parameter + 1)")
                    let b = graph.constant(Tensor(shape: biasShape, storage: biases[parameter]), name: "b\(parameter + 1)")
                    if case .conv2d(_, let kernel, let stride, let padding) = layer {
                        h = try graph.apply(.add, try graph.apply(.conv2d, h, w, attribute: .window(size: kernel, stride: stride, padding: padding)), b)
                    } else {
                        h = try graph.apply(.add, try graph.apply(.matmul, h, w), b)
                    }
                    parameter += 1
                case .maxPool2d(let size, let stride):
                    h = try graph.apply(.maxPool2d, h, attribute: .window(size: size, stride: stride ?? size, padding: 0))
                case .avgPool2d(let size, let stride):
                    h = try graph.apply(.avgPool2d, h, attribute: .window(size: size, stride: stride ?? size, padding: 0))
                case .dropout:
                    break   // inference: dropout is the identity
                case .activation("relu"): h = try graph.apply(.relu, h)
                case .activation("tanh"): h = try graph.apply(.tanh, h)
                case .activation("sigmoid"): h = try graph.apply(.sigmoid, h)
                case .activation("log_softmax"): h = try graph.apply(.logSoftmax, h)
                case .activation(let name): throw InputGradientError.unsupportedLayer(index + 1, name)
                }
                outputs.append(h)
                scores = layer == .activation("log_softmax") && index == spec.layers.count - 1 ? before : h
            }
        } catch let error as InputGradientError {
            throw error
        } catch {
            throw .engine("\(error)")
        }
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
            guard case .conv2d = layer else { continue }
            if index + 1 < spec.layers.count, case .activation = spec.layers[index + 1] {
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
