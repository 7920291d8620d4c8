import Autograd
import Datasets
import Foundation

/// Neural style transfer as 000 and 004 describe it (after Gatys et al.): the *image* is optimized,
/// not the weights, so that its feature maps keep the content of a photo p and the Gram matrices of
/// a painting a.
///
/// At layer l, F^l is the generated image's N_l feature maps flattened to N_l × M_l (M_l = H·W),
/// P^l the photo's, and A^l = the painting's Gram matrix:
///
/// ```
/// L_content = ½ Σ_ij (F^l_ij − P^l_ij)²                  (000, the content loss at layer l)
/// G^l       = F^l (F^l)ᵀ,  G^l_ij = Σ_k F^l_ik F^l_jk     (the inner products of the maps)
/// E_l       = 1 / (4 N_l² M_l²) · Σ_ij (G^l_ij − A^l_ij)²  (000, the style loss of layer l)
/// L_style   = Σ_l w_l E_l                                 (004)
/// L_total   = α L_content + β L_style                     (004)
/// ```
///
/// Every loss is recorded on the engine's graph with the image as an input leaf; backward gives
/// ∂L_total/∂x, and Adam (written here, with PyTorch's defaults) moves the pixels.
public struct StyleTransfer: Sendable {
    /// Where the image starts.
    public enum Start: String, Sendable, CaseIterable {
        /// Uniform white noise over the pixel range, drawn from the seed (000: "an image x of white noise").
        case noise
        /// The content image itself.
        case content
    }

    /// The choices of 004's "practices": the layers, α and β, the weights of the style layers.
    public struct Settings: Sendable {
        /// The content layer l (1-based); the last convolution's activation when nil.
        public var contentLayer: Int?
        /// The style layers; every convolution's activation when nil.
        public var styleLayers: [Int]?
        /// w_l, one per style layer; 1 / (number of style layers) each when nil.
        public var styleWeights: [Double]?
        /// α, the weight of the content loss.
        public var alpha: Double = 1
        /// β, the weight of the style loss.
        public var beta: Double = 1000
        /// Optimization steps.
        public var steps: Int = 200
        /// Adam's learning rate, in pixel units per step.
        public var learningRate: Double = 0.02
        /// The seed of the white noise.
        public var seed: UInt64 = 1
        /// Where the image starts.
        public var start: Start = .noise
        /// After each step the pixels are clipped to this range (the data's [0, 1]); nil: no clipping.
        public var pixelRange: ClosedRange<Double>? = 0...1
        public init() {}
    }

    /// The losses at one image.
    public struct Losses: Sendable, Equatable {
        /// L_content, before α.
        public let content: Double
        /// L_style = Σ w_l E_l, before β.
        public let style: Double
        /// α L_content + β L_style.
        public let total: Double
        public init(content: Double, style: Double, total: Double) {
            self.content = content; self.style = style; self.total = total
        }
    }

    /// The losses and ∂L_total/∂x at one image.
    public struct Evaluation: Sendable {
        public let losses: Losses
        /// ∂L_total/∂x, shaped like the image.
        public let gradient: Tensor
    }

    /// What `run()` returns: the image and the losses at every step.
    public struct Result: Sendable {
        /// The optimized image, shaped like the content image.
        public let image: Tensor
        /// The image it started from.
        public let start: Tensor
        /// losses[t] is measured after t steps (so `steps + 1` entries; losses[0] at the start).
        public let losses: [Losses]
    }

    public let network: FeatureNetwork
    public let settings: Settings
    /// The content layer l.
    public let contentLayer: Int
    /// The style layers and their weights w_l.
    public let styleLayers: [Int], styleWeights: [Double]
    /// The content image p, and P^l: its feature maps at the content layer, as [N_l, M_l].
    public let content: Tensor, contentFeatures: Tensor
    /// A^l: the style image's Gram matrix at each style layer, [N_l, N_l].
    public let styleGrams: [Tensor]

    /// Computes the targets P^l (from `content`) and A^l (from `style`).
    /// - Throws: `InputGradientError` for a model without convolution, a layer that is not feature
    ///   maps, images of the wrong shape, or a setting out of range.
    public init(network: FeatureNetwork, content: Tensor, style: Tensor, settings: Settings = Settings()) throws(InputGradientError) {
        let convolutions = network.convolutionFeatureLayers
        guard let last = convolutions.last else { throw .noConvolution(model: network.spec.name) }
        let contentLayer = settings.contentLayer ?? last
        let styleLayers = settings.styleLayers ?? convolutions
        guard !styleLayers.isEmpty else { throw .invalidSetting("give at least one style layer") }
        for layer in [contentLayer] + styleLayers { try network.checkFeatureMaps(layer: layer) }
        let styleWeights = settings.styleWeights ?? styleLayers.map { _ in 1 / Double(styleLayers.count) }
        guard styleWeights.count == styleLayers.count else {
            throw .invalidSetting("\(styleWeights.count) style weights for \(styleLayers.count) style layers: give one w_l per layer")
        }
        guard settings.alpha >= 0, settings.beta >= 0, settings.alpha.isFinite, settings.beta.isFinite, settings.alpha + settings.beta > 0 else {
            throw .invalidSetting("α \(settings.alpha) and β \(settings.beta): use weights ≥ 0, not both 0")
        }
        guard settings.steps >= 0, settings.learningRate > 0, settings.learningRate.isFinite else {
            throw .invalidSetting("steps \(settings.steps) and learning rate \(settings.learningRate): use steps ≥ 0 and a positive rate")
        }
        self.network = network
        self.settings = settings
        self.contentLayer = contentLayer
        self.styleLayers = styleLayers
        self.styleWeights = styleWeights

        let graph = Graph(limits: .unlimited)
        let contentRecording = try network.record(content, on: graph, name: "p")
        self.content = content.reshaped(network.spec.inputShape)
        self.contentFeatures = StyleTransfer.flattened(graph.value(of: contentRecording.layerOutputs[contentLayer - 1]))
        let styleRecording = try network.record(style, on: graph, name: "a")
        var grams: [Tensor] = []
        for layer in styleLayers {
            let maps = graph.value(of: styleRecording.layerOutputs[layer - 1])
            grams.append(StyleTransfer.gram(StyleTransfer.flattened(maps)))
        }
        self.styleGrams = grams
    }

    /// F^l: a [1, N, H, W] stack of maps as the notes' N_l × M_l matrix.
    static func flattened(_ maps: Tensor) -> Tensor {
        let shape = maps.shape
        return maps.reshaped([shape[1], shape[2] * shape[3]])
    }

    /// G = F Fᵀ of an N × M matrix of flattened feature maps: G_ij = Σ_k F_ik F_jk, the inner
    /// product of map i with map j (computed directly, for the targets and for tests).
    public static func gram(_ features: Tensor) -> Tensor {
        precondition(features.rank == 2, "gram needs N × M features")
        let (n, m) = (features.shape[0], features.shape[1])
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var total = 0.0
                for k in 0..<m { total += features.storage[i * m + k] * features.storage[j * m + k] }
                out[i * n + j] = total
            }
        }
        return Tensor(shape: [n, n], storage: out)
    }

    /// Records G = F Fᵀ on the graph from a [1, N, H, W] node of feature maps: reshape to [N, M],
    /// transpose, matmul; backward goes through all three.
    public static func recordGram(of maps: NodeID, on graph: Graph) throws(AutogradError) -> NodeID {
        let shape = graph.shape(of: maps)
        let features = try graph.apply(.reshape, maps, attribute: .shape([shape[1], shape[2] * shape[3]]))
        return try graph.apply(.matmul, features, try graph.apply(.transpose, features))
    }

    /// Records Σ (x − target)² · scale as a scalar node.
    static func recordScaledSquaredError(_ x: NodeID, _ target: Tensor, scale: Double, on graph: Graph) throws(AutogradError) -> NodeID {
        let difference = try graph.apply(.subtract, x, graph.constant(target))
        let total = try graph.apply(.sum, try graph.apply(.multiply, difference, difference))
        return try graph.apply(.multiply, total, graph.constant(scale))
    }

    /// L_content, L_style, L_total and ∂L_total/∂x at `image`, from one forward and one backward pass.
    public func evaluate(_ image: Tensor) throws(InputGradientError) -> Evaluation {
        let graph = Graph(limits: .unlimited)
        let recording = try network.record(image, on: graph)
        do {
            let contentMaps = recording.layerOutputs[contentLayer - 1]
            let shape = graph.shape(of: contentMaps)
            let features = try graph.apply(.reshape, contentMaps, attribute: .shape([shape[1], shape[2] * shape[3]]))
            let contentLoss = try StyleTransfer.recordScaledSquaredError(features, contentFeatures, scale: 0.5, on: graph)
            var styleLoss = graph.constant(0.0)
            for (index, layer) in styleLayers.enumerated() {
                let maps = recording.layerOutputs[layer - 1]
                let mapShape = graph.shape(of: maps)
                let (n, m) = (Double(mapShape[1]), Double(mapShape[2] * mapShape[3]))
                let gram = try StyleTransfer.recordGram(of: maps, on: graph)
                let layerLoss = try StyleTransfer.recordScaledSquaredError(gram, styleGrams[index], scale: 1 / (4 * n * n * m * m), on: graph)
                styleLoss = try graph.apply(.add, styleLoss, try graph.apply(.multiply, layerLoss, graph.constant(styleWeights[index])))
            }
            let total = try graph.apply(.add, try graph.apply(.multiply, contentLoss, graph.constant(settings.alpha)),
                                        try graph.apply(.multiply, styleLoss, graph.constant(settings.beta)))
            try graph.backward(from: total)
            let losses = Losses(content: graph.scalarValue(of: contentLoss), style: graph.scalarValue(of: styleLoss), total: graph.scalarValue(of: total))
            let gradient = (graph.gradient(of: recording.input) ?? .zeros(graph.shape(of: recording.input))).reshaped(image.shape)
            return Evaluation(losses: losses, gradient: gradient)
        } catch {
            throw .engine(error.description)
        }
    }

    /// The image the optimization starts from: seeded white noise, or the content image.
    public func startImage() -> Tensor {
        switch settings.start {
        case .content: return content
        case .noise:
            var generator = SeededGenerator(seed: settings.seed)
            let range = settings.pixelRange ?? 0...1
            return Tensor(shape: content.shape, storage: (0..<content.count).map { _ in
                range.lowerBound + (range.upperBound - range.lowerBound) * generator.unit()
            })
        }
    }

    /// Optimizes the image for `settings.steps` Adam steps (β₁ 0.9, β₂ 0.999, ε 1e-8):
    /// m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², x = x − rate · m̂ / (√v̂ + ε), then clipped to the pixel range.
    /// - Parameter progress: called with t and the losses after t steps, for t = 0 … steps.
    public func run(progress: ((Int, Losses) -> Void)? = nil) throws(InputGradientError) -> Result {
        let start = startImage()
        var x = start.storage
        var first = [Double](repeating: 0, count: x.count), second = first
        let (beta1, beta2, epsilon) = (0.9, 0.999, 1e-8)
        var losses: [Losses] = []
        for step in 0...settings.steps {
            let evaluation = try evaluate(Tensor(shape: start.shape, storage: x))
            losses.append(evaluation.losses)
            progress?(step, evaluation.losses)
            guard evaluation.losses.total.isFinite else {
                throw .invalidSetting("step \(step): the loss is \(evaluation.losses.total) (try a smaller learning rate or β)")
            }
            guard step < settings.steps else { break }
            let correction1 = 1 - Foundation.pow(beta1, Double(step + 1)), correction2 = 1 - Foundation.pow(beta2, Double(step + 1))
            for i in x.indices {
                let g = evaluation.gradient.storage[i]
                first[i] = beta1 * first[i] + (1 - beta1) * g
                second[i] = beta2 * second[i] + (1 - beta2) * g * g
                x[i] -= settings.learningRate * (first[i] / correction1) / ((second[i] / correction2).squareRoot() + epsilon)
                if let range = settings.pixelRange { x[i] = Swift.min(Swift.max(x[i], range.lowerBound), range.upperBound) }
            }
        }
        return Result(image: Tensor(shape: start.shape, storage: x), start: start, losses: losses)
    }
}
