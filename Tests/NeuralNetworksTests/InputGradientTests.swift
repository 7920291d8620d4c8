import Autograd
import Datasets
import Foundation
import NeuralNetworks
import Testing

// Gradients with respect to the input: the engine's ∂/∂x against central differences, the Gram
// matrix of a hand-made example, Grad-CAM of a model built by hand, and style transfer's loss falling.

/// A network with seeded parameters uniform in ±1/√fan-in (the trainer's initialization).
private func randomNetwork(_ spec: ModelSpec, seed: UInt64) throws -> FeatureNetwork {
    var generator = SeededGenerator(seed: seed)
    var weights: [[Double]] = [], biases: [[Double]] = []
    for shapes in try CompiledModel(spec).parameterShapes {
        let bound = 1 / Double(shapes.fanIn).squareRoot(), biasCount = shapes.bias.reduce(1, *)
        weights.append((0..<shapes.weight.reduce(1, *)).map { _ in bound * (2 * generator.unit() - 1) })
        biases.append((0..<biasCount).map { _ in bound * (2 * generator.unit() - 1) })
    }
    return try FeatureNetwork(spec: spec, weights: weights, biases: biases)
}

private func randomImage(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in generator.unit() })
}

/// The central difference (f(x + h) − f(x − h)) / 2h at every entry of x.
private func centralDifferences(at x: Tensor, step h: Double = 1e-5, _ f: (Tensor) throws -> Double) rethrows -> [Double] {
    try x.storage.indices.map { i in
        var plus = x, minus = x
        plus.storage[i] += h
        minus.storage[i] -= h
        return (try f(plus) - f(minus)) / (2 * h)
    }
}

/// conv 3×3 → relu → max-pool → conv 2×2 → sigmoid → flatten → linear: layers 1 … 7.
private let tinyCNN = ModelSpec(name: "tiny-cnn", inputShape: [1, 6, 6], layers: [
    .conv2d(filters: 2, kernel: 3, stride: 1, padding: 1), .activation(.relu), .maxPool2d(size: 2),
    .conv2d(filters: 3, kernel: 2), .activation(.sigmoid), .flatten, .linear(outputs: 4),
])

@Suite("Input gradients")
struct InputGradientTests {
    @Test("∂y_c/∂x from the engine equals central differences on a tiny CNN, for every class", arguments: 0..<4)
    func inputGradientMatchesFiniteDifferences(classIndex: Int) throws {
        let network = try randomNetwork(tinyCNN, seed: 7)
        let image = randomImage([1, 6, 6], seed: 11)
        let cam = try GradCAM(network: network, image: image, classIndex: classIndex)
        let numeric = try centralDifferences(at: image) { x in
            let graph = Graph()
            let recording = try network.record(x, on: graph)
            return graph.value(of: recording.scores).storage[classIndex]
        }
        #expect(cam.featureMaps.shape == [3, 2, 2] && cam.layer == 5)
        #expect(cam.inputGradient.storage.contains { $0 != 0 })
        for (analytic, numeric) in zip(cam.inputGradient.storage, numeric) {
            #expect(Swift.abs(analytic - numeric) <= 1e-7 * Swift.max(1, Swift.abs(numeric)), "analytic \(analytic), numeric \(numeric)")
        }
        #expect(cam.saliency.storage == cam.inputGradient.storage.map(Swift.abs))
    }

    @Test("∂L_total/∂x of style transfer (content and Gram losses at two layers) equals central differences")
    func styleGradientMatchesFiniteDifferences() throws {
        let network = try randomNetwork(tinyCNN, seed: 3)
        var settings = StyleTransfer.Settings()
        settings.contentLayer = 2; settings.styleLayers = [2, 5]; settings.styleWeights = [0.3, 0.7]; settings.beta = 50
        let transfer = try StyleTransfer(network: network, content: randomImage([1, 6, 6], seed: 1), style: randomImage([1, 6, 6], seed: 2), settings: settings)
        let image = randomImage([1, 6, 6], seed: 5)
        let evaluation = try transfer.evaluate(image)
        #expect(evaluation.losses.content > 0 && evaluation.losses.style > 0)
        #expect(Swift.abs(evaluation.losses.total - (evaluation.losses.content + 50 * evaluation.losses.style)) < 1e-12)
        let numeric = try centralDifferences(at: image) { try transfer.evaluate($0).losses.total }
        for (analytic, numeric) in zip(evaluation.gradient.storage, numeric) {
            #expect(Swift.abs(analytic - numeric) <= 1e-6 * Swift.max(1, Swift.abs(numeric)), "analytic \(analytic), numeric \(numeric)")
        }
    }

    @Test("the Gram matrix of two hand-made maps: G = F Fᵀ, on the engine and directly")
    func gramOfTwoMaps() throws {
        // Map 1 = [[1, 2], [3, 4]], map 2 = [[0, 1], [1, 0]]: G₁₁ = 1+4+9+16 = 30, G₁₂ = 2+3 = 5, G₂₂ = 2.
        let maps = Tensor(shape: [1, 2, 2, 2], storage: [1, 2, 3, 4, 0, 1, 1, 0])
        #expect(StyleTransfer.gram(maps.reshaped([2, 4])) == Tensor(shape: [2, 2], storage: [30, 5, 5, 2]))
        let graph = Graph()
        let x = graph.input("F", maps)
        let gram = try StyleTransfer.recordGram(of: x, on: graph)
        #expect(graph.value(of: gram) == Tensor(shape: [2, 2], storage: [30, 5, 5, 2]))
        // ∂(Σ_ij G_ij)/∂F_ik = 2 Σ_j F_jk: column sums of F, doubled.
        try graph.backward(from: try graph.apply(.sum, gram))
        #expect(graph.gradient(of: x) == Tensor(shape: [1, 2, 2, 2], storage: [2, 6, 8, 8, 2, 6, 8, 8]))
    }

    @Test("the style loss of 000: E = Σ (G − A)² / (4 N² M²), here 954 / 256 with N = 2 maps of M = 4")
    func styleLossOfTwoMaps() throws {
        // A 1×1 convolution with the identity filters: layer 1's maps are the image's two channels.
        let spec = ModelSpec(name: "identity", inputShape: [2, 2, 2], layers: [.conv2d(filters: 2, kernel: 1), .flatten, .linear(outputs: 1)])
        let network = try FeatureNetwork(spec: spec, weights: [[1, 0, 0, 1], [Double](repeating: 0, count: 8)], biases: [[0, 0], [0]])
        var settings = StyleTransfer.Settings()
        settings.alpha = 1; settings.beta = 1000
        let style = Tensor(shape: [2, 2, 2], storage: [1, 2, 3, 4, 0, 1, 1, 0])
        let transfer = try StyleTransfer(network: network, content: .zeros([2, 2, 2]), style: style, settings: settings)
        #expect(transfer.contentLayer == 1 && transfer.styleLayers == [1] && transfer.styleWeights == [1])
        #expect(transfer.styleGrams == [Tensor(shape: [2, 2], storage: [30, 5, 5, 2])])
        let atZero = try transfer.evaluate(.zeros([2, 2, 2])).losses
        #expect(atZero == StyleTransfer.Losses(content: 0, style: 954.0 / 256, total: 1000 * 954.0 / 256))
        // At the style image itself the style loss is 0 and the content loss ½ Σ F² = ½ · 32 = 16.
        let atStyle = try transfer.evaluate(style).losses
        #expect(atStyle == StyleTransfer.Losses(content: 16, style: 0, total: 16))
    }

    /// Input [1, 4, 4]; layer 1 is a 1×1 convolution into a "bright" map A⁰ = x and a "dark" map
    /// A¹ = 1 − x, layer 2 their relu; class 0's score is 2 Σ of A⁰ over the top-left 2×2 region only,
    /// class 1's is −Σ A¹ (evidence against it).
    private func handBuiltModel() throws -> FeatureNetwork {
        let spec = ModelSpec(name: "hand-built", inputShape: [1, 4, 4], layers: [
            .conv2d(filters: 2, kernel: 1), .activation(.relu), .flatten, .linear(outputs: 2),
        ])
        var linear = [Double](repeating: 0, count: 32 * 2)     // [inputs 32, outputs 2], row-major
        for i in 0..<2 { for j in 0..<2 { linear[(i * 4 + j) * 2 + 0] = 2 } }
        for position in 16..<32 { linear[position * 2 + 1] = -1 }
        return try FeatureNetwork(spec: spec, weights: [[1, -1], linear], biases: [[0, 1], [0, 0]])
    }

    @Test("Grad-CAM of a hand-built model: the heat map lies exactly on the region class 0 looks at")
    func gradCAMOfHandBuiltModel() throws {
        let network = try handBuiltModel()
        // Bright top-left quadrant, dark elsewhere.
        var pixels = [Double](repeating: 0, count: 16)
        for i in 0..<2 { for j in 0..<2 { pixels[i * 4 + j] = 1 } }
        let image = Tensor(shape: [1, 4, 4], storage: pixels)
        let cam = try GradCAM(network: network, image: image, classIndex: 0)
        #expect(cam.layer == 2)                                       // the convolution's relu
        #expect(cam.scores == [8, -12] && cam.predictedClass == 0)
        #expect(cam.alphas == [0.5, 0])                               // 2 on 4 of 16 positions; map 1 unused
        #expect(cam.heatMap == Tensor(shape: [4, 4], storage: pixels.map { 0.5 * $0 }))
        #expect(cam.saliency == Tensor(shape: [4, 4], storage: pixels.map { 2 * $0 }))
        #expect(cam.heatMap(upsampledTo: 8, 8).storage.filter { $0 > 0 }.count == 16)

        // Class 1 only has evidence against it: α₁ = −1, and the ReLU leaves no heat at all.
        let against = try GradCAM(network: network, image: image, classIndex: 1)
        #expect(against.alphas == [0, -1])
        #expect(against.weightedSum.storage.allSatisfy { $0 <= 0 } && against.weightedSum.storage.contains { $0 < 0 })
        #expect(against.heatMap.storage.allSatisfy { $0 == 0 })
    }

    @Test("Grad-CAM refuses what it cannot do, naming the reason", arguments: [
        ("digits-mlp", nil as Int?, nil as Int?, "has no convolution layer"),
        ("tiny-cnn", 6, nil, "layer 6 outputs [12], not feature maps"),
        ("tiny-cnn", 9, nil, "layer 9 does not exist"),
        ("tiny-cnn", nil, 4, "class 4 does not exist: use 0 to 3"),
    ])
    func refusals(model: String, layer: Int?, classIndex: Int?, message: String) throws {
        let spec = try #require(model == tinyCNN.name ? tinyCNN : ModelSpec.preset(named: model))
        let network = try randomNetwork(spec, seed: 1)
        let image = randomImage(spec.inputShape, seed: 1)
        let error = #expect(throws: InputGradientError.self) {
            try GradCAM(network: network, image: image, classIndex: classIndex, layer: layer)
        }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test("parameters of the wrong sizes and images of the wrong shape are refused")
    func wrongSizes() throws {
        #expect(throws: InputGradientError.parametersDoNotFit(model: "tiny-cnn", expectedWeights: [18, 24, 12 * 4], expectedBiases: [2, 3, 4])) {
            try FeatureNetwork(spec: tinyCNN, weights: [], biases: [])
        }
        let network = try randomNetwork(tinyCNN, seed: 1)
        #expect(throws: InputGradientError.imageShape(expected: [1, 6, 6], got: [1, 5, 5])) {
            try GradCAM(network: network, image: .zeros([1, 5, 5]))
        }
    }

    @Test("style transfer: the total loss falls over the steps, and the same seed gives the same image")
    func styleTransferLossFalls() throws {
        let network = try randomNetwork(tinyCNN, seed: 4)
        var settings = StyleTransfer.Settings()
        settings.steps = 40; settings.learningRate = 0.05; settings.beta = 100; settings.seed = 9
        let transfer = try StyleTransfer(network: network, content: randomImage([1, 6, 6], seed: 1), style: randomImage([1, 6, 6], seed: 2), settings: settings)
        var reported: [Int] = []
        let result = try transfer.run { step, _ in reported.append(step) }
        #expect(reported == Array(0...40) && result.losses.count == 41)
        let totals = result.losses.map(\.total)
        #expect(totals.last! < totals.first! / 4, "losses \(totals)")
        #expect(result.image.storage.allSatisfy { (0...1).contains($0) })
        #expect(result.start != result.image)
        #expect(try transfer.run().image == result.image)
    }
}
