import Autograd
import Foundation

// MARK: - Grad-CAM and the saliency map
//
// Both come from one backward pass from the class score y_c (before the softmax) on a graph whose
// image is an input leaf: the engine's gradient at the chosen layer's feature maps A^k gives Grad-CAM,
// its gradient at the image gives the saliency map.

/// Grad-CAM (gradient-weighted class activation mapping, 003's bonus) and the saliency map of one
/// image for one class.
///
/// With A^k the k-th feature map of the chosen layer (Z = H·W positions) and y_c the class score:
///
/// ```
/// α_k = (1/Z) Σ_ij ∂y_c/∂A^k_ij          (the mean gradient over the map)
/// L   = ReLU(Σ_k α_k A^k)                 (the heat map, H × W)
/// S   = |∂y_c/∂x|                         (the saliency map; the largest over channels)
/// ```
///
/// ```swift
/// let cam = try GradCAM(network: network, image: image)        // the predicted class, last conv layer
/// print(cam.predictedClass, cam.alphas)
/// ```
public struct GradCAM: Sendable {
    /// The class scores y (before any softmax), one per class.
    public let scores: [Double]
    /// softmax(y): the model's probabilities.
    public let probabilities: [Double]
    /// The class with the highest score.
    public let predictedClass: Int
    /// The class c whose score was differentiated.
    public let classIndex: Int
    /// The layer whose feature maps were weighted (1-based, as `backprop summary` counts).
    public let layer: Int
    /// A: the layer's feature maps [K, H, W].
    public let featureMaps: Tensor
    /// ∂y_c/∂A: the engine's gradient at the feature maps [K, H, W].
    public let featureMapGradient: Tensor
    /// α_k: the mean of ∂y_c/∂A^k over the map, one per feature map.
    public let alphas: [Double]
    /// Σ_k α_k A^k before the ReLU [H, W].
    public let weightedSum: Tensor
    /// L = ReLU(Σ_k α_k A^k) [H, W]: the heat map at the layer's resolution.
    public let heatMap: Tensor
    /// ∂y_c/∂x: the engine's gradient at the image [C, H, W].
    public let inputGradient: Tensor
    /// |∂y_c/∂x|, the largest over channels [H, W].
    public let saliency: Tensor

    /// Runs the forward pass, one backward pass from y_c, and computes the maps.
    /// - Parameters:
    ///   - image: [C, H, W], the model's input shape.
    ///   - classIndex: c; the predicted class when nil.
    ///   - layer: 1-based layer whose output is the feature maps; the last convolution's
    ///     activation (or the convolution itself when no activation follows) when nil.
    /// - Throws: `InputGradientError` for a model without convolution, a layer that is not feature
    ///   maps, a class out of range, an image of the wrong shape.
    public init(network: FeatureNetwork, image: Tensor, classIndex: Int? = nil, layer: Int? = nil) throws(InputGradientError) {
        guard let lastConvolution = network.convolutionFeatureLayers.last else { throw .noConvolution(model: network.spec.name) }
        let layer = layer ?? lastConvolution
        try network.checkFeatureMaps(layer: layer)
        let graph = Graph(limits: .unlimited)
        let recording = try network.record(image, on: graph)
        let scores = graph.value(of: recording.scores).storage
        guard graph.shape(of: recording.scores).count == 2 else { throw .notClassScores(shape: Array(graph.shape(of: recording.scores).dropFirst())) }
        let predicted = scores.indices.max { scores[$0] < scores[$1] } ?? 0
        let c = classIndex ?? predicted
        let score = try recording.score(of: c, on: graph)
        do { try graph.backward(from: score) } catch { throw .engine(error.description) }

        let mapsNode = recording.layerOutputs[layer - 1]
        let mapShape = network.layerShapes[layer - 1]
        let (channels, height, width) = (mapShape[0], mapShape[1], mapShape[2])
        let maps = graph.value(of: mapsNode).reshaped(mapShape)
        let gradient = (graph.gradient(of: mapsNode) ?? .zeros([1] + mapShape)).reshaped(mapShape)
        let area = height * width
        let alphas = (0..<channels).map { k in gradient.storage[k * area ..< (k + 1) * area].reduce(0, +) / Double(area) }
        var weighted = [Double](repeating: 0, count: area)
        for k in 0..<channels {
            for position in 0..<area { weighted[position] += alphas[k] * maps.storage[k * area + position] }
        }

        let imageShape = network.spec.inputShape
        let inputGradient = (graph.gradient(of: recording.input) ?? .zeros([1] + imageShape)).reshaped(imageShape)
        let pixels = imageShape.dropFirst().reduce(1, *)
        let saliency = (0..<pixels).map { position in
            (0..<imageShape[0]).map { Swift.abs(inputGradient.storage[$0 * pixels + position]) }.max() ?? 0
        }

        self.scores = scores
        let largest = scores.max() ?? 0
        let exponentials = scores.map { Foundation.exp($0 - largest) }
        let total = exponentials.reduce(0, +)
        self.probabilities = exponentials.map { $0 / total }
        self.predictedClass = predicted
        self.classIndex = c
        self.layer = layer
        self.featureMaps = maps
        self.featureMapGradient = gradient
        self.alphas = alphas
        self.weightedSum = Tensor(shape: [height, width], storage: weighted)
        self.heatMap = Tensor(shape: [height, width], storage: weighted.map { Swift.max($0, 0) })
        self.inputGradient = inputGradient
        self.saliency = Tensor(shape: Array(imageShape.dropFirst()), storage: saliency)
    }

    /// The heat map stretched to `height` × `width` (the image's size) by nearest neighbour: entry
    /// (i, j) is the map's (⌊i·h/height⌋, ⌊j·w/width⌋). A 14 × 14 map on a 28 × 28 image
    /// becomes 2 × 2 blocks; nothing is smoothed, so every value shown is one the map holds.
    public func heatMap(upsampledTo height: Int, _ width: Int) -> Tensor {
        let (mapHeight, mapWidth) = (heatMap.shape[0], heatMap.shape[1])
        var out = [Double](repeating: 0, count: height * width)
        for i in 0..<height {
            for j in 0..<width { out[i * width + j] = heatMap.storage[(i * mapHeight / height) * mapWidth + j * mapWidth / width] }
        }
        return Tensor(shape: [height, width], storage: out)
    }
}
