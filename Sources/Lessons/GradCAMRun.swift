import Autograd
import Datasets
import Foundation
import NeuralNetworks
import Support
import ModelFiles

/// A `[gradcam]` section run: each CNN trained (seeded), one held-out image, Grad-CAM for the
/// predicted class and another, and the checks that hold the engine's α and maps to computations
/// that do not use backward (central differences; CAM's weights for a GAP + linear head).
public struct GradCAMRun {
    /// Grad-CAM of one class, with what the checks compare it with.
    public struct Explained: Sendable {
        /// The engine's Grad-CAM: α by backward, the map, the feature maps A.
        public let cam: NeuralNetworks.GradCAM
        /// The map stretched to the image by nearest neighbour (`GradCAM.heatMap(upsampledTo:)`).
        public let upsampled: [Double]
        /// α from central differences of y_c over every entry of A (forward passes only).
        public let finiteDifferenceAlphas: [Double]
        /// The smallest and largest ∂y_c/∂A over all maps and positions: one value per map for a GAP head.
        public let gradientSpread: [(low: Double, high: Double)]
        /// The share of the upsampled map on the image's ink (pixels at least half the image's largest).
        public let inkShare: Double
    }

    /// Grad-CAM against CAM (Zhou et al., CVPR 2016) for a head of GAP and one linear layer.
    public struct CAMComparison: Sendable {
        /// Z: positions per map.
        public let positions: Int
        /// Per explained class: largest |α_k − w_kc / Z|, and largest |Grad-CAM − ReLU(CAM) / Z| over the map.
        public let alphaDifference: [Double], mapDifference: [Double]
        /// Per explained class: CAM's map ReLU(Σ_k w_kc A^k) at the feature maps' resolution.
        public let maps: [[Double]]
    }

    /// One model: trained, then explained.
    public struct ModelResult: Sendable {
        public let model: Lesson.GradCAM.Model
        public let rows: [ModelSpec.Row]
        public let parameterCount: Int
        /// Mean training loss of each epoch.
        public let losses: [Double]
        public let heldOutAccuracy: Double, heldOutCount: Int
        public let probabilities: [Double]
        public let predicted: Int
        /// Whether the file's `other` was the predicted class, so the runner-up is explained instead.
        public let otherWasPredicted: Bool
        /// The predicted class first, then the other.
        public let explained: [Explained]
        public let cam: CAMComparison?
    }

    public struct Result: Sendable {
        public let check: Lesson.GradCAM.Check
        /// The accuracy, or the largest difference found.
        public let engine: Double
        public let passed: Bool
    }

    public let section: Lesson.GradCAM
    public let full: Bool
    /// The image [H, W] (first channel), its label, the data's class names and sizes.
    public let pixels: [Double]
    public let height: Int, width: Int
    public let label: Int
    public let classNames: [String]
    public let trainCount: Int, testCount: Int
    public let models: [ModelResult]
    public let results: [Result]
    public var passed: Bool { results.allSatisfy(\.passed) }

    /// The step of the central differences.
    public static let step = 1e-4

    /// Trains every model and explains the image.
    /// - Throws: `.badInput` (exit 2) for an image or class out of range, a model that does not fit
    ///   the data or has no convolution; `.failed` (exit 1) when training diverges.
    public init(_ section: Lesson.GradCAM, file: String, full: Bool) throws(WorkbenchFailure) {
        self.section = section
        self.full = full
        let at = SourceLocation(file: file, line: section.line)
        let (train, test, _) = try TrainingData.load(section.data, seed: section.seed, limit: nil, testLimit: nil)
        guard section.image < test.count else { throw .badInput("[gradcam] image \(section.image): the held-out part of \(section.data) has images 0 to \(test.count - 1)", at: at) }
        let shape = test.featureShape
        guard shape.count == 3 else { throw .badInput("[gradcam] \(section.data) is not a set of images", at: at) }
        let width = test.featureCount
        let image = Tensor(shape: shape, storage: test.features[section.image * width ..< (section.image + 1) * width].map(Double.init))
        (self.height, self.width) = (shape[1], shape[2])
        pixels = Array(image.storage.prefix(shape[1] * shape[2]))
        label = test.labels[section.image]
        classNames = test.classNames
        (trainCount, testCount) = (train.count, test.count)

        var models: [ModelResult] = []
        for model in section.models {
            models.append(try GradCAMRun.explain(model, section: section, train: train, test: test, image: image, file: file, full: full))
        }
        self.models = models
        var results: [Result] = []
        for check in section.checks {
            let result = models[check.model - 1]
            switch check.quantity {
            case .heldOutAccuracy:
                results.append(Result(check: check, engine: result.heldOutAccuracy, passed: result.heldOutAccuracy >= check.atLeast!))
            case .alpha:
                let gap = result.explained.map { e in zip(e.cam.alphas, e.finiteDifferenceAlphas).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
                results.append(Result(check: check, engine: gap, passed: gap <= check.tolerance))
            case .cam:
                let gap = result.cam.map { max($0.alphaDifference.max() ?? 0, $0.mapDifference.max() ?? 0) } ?? .infinity
                results.append(Result(check: check, engine: gap, passed: gap <= check.tolerance))
            }
        }
        self.results = results
    }

    static func explain(_ model: Lesson.GradCAM.Model, section: Lesson.GradCAM, train: LabeledData, test: LabeledData,
                        image: Tensor, file: String, full: Bool) throws(WorkbenchFailure) -> ModelResult {
        let at = SourceLocation(file: file, line: model.line)
        let spec = model.spec
        if let mismatch = TrainingData.inputMismatch(model.file, spec, section.data, train) { throw .badInput(mismatch, at: at) }
        let rows: [ModelSpec.Row]
        do { rows = try spec.summary() } catch { throw .badInput("\(model.file): \(error)", at: at) }
        var settings = Trainer.Settings()
        settings.learningRate = model.rate; settings.momentum = model.momentum; settings.batchSize = model.batch
        settings.seed = section.seed; settings.optimizer = model.optimizer
        let trainer: Trainer
        do { trainer = try Trainer(spec: spec, settings: settings) } catch { throw .badInput("\(model.file) cannot be trained: \(error)", at: at) }
        var losses: [Double] = []
        let heldOut: Double
        do {
            for epoch in 1...(full ? model.fullEpochs : model.epochs) {
                let loss = try trainer.epoch(train, seed: section.seed &+ UInt64(epoch)).loss
                guard loss.isFinite else { throw WorkbenchFailure.failed("\(model.file): the loss is \(loss) in epoch \(epoch); lower 'rate'", at: at) }
                losses.append(loss)
            }
            heldOut = try trainer.evaluate(test).accuracy * 100
        } catch let failure as WorkbenchFailure { throw failure } catch { throw .failed("\(model.file): training stopped: \(error)", at: at) }

        let network: FeatureNetwork
        do { network = try FeatureNetwork(spec: spec, weights: trainer.weights, biases: trainer.biases) } catch { throw .badInput("\(model.file): \(error)", at: at) }
        func gradCAM(_ c: Int?) throws(WorkbenchFailure) -> NeuralNetworks.GradCAM {
            do { return try NeuralNetworks.GradCAM(network: network, image: image, classIndex: c) } catch { throw .badInput("\(model.file): \(error)", at: at) }
        }
        let first = try gradCAM(nil)
        let ranked = first.scores.indices.sorted { first.scores[$0] > first.scores[$1] }
        let runnerUp = ranked.count > 1 ? ranked[1] : ranked[0]
        let other = section.other.flatMap { $0 == first.predictedClass || $0 >= first.scores.count ? nil : $0 } ?? runnerUp
        let second = try gradCAM(other)

        let differences = try finiteDifferences(network: network, layer: first.layer, maps: first.featureMaps, classes: [first.classIndex, other], at: at)
        let (height, width) = (image.shape[1], image.shape[2])
        let pixels = Array(image.storage.prefix(height * width))
        let ink = (pixels.max() ?? 0) / 2
        func explained(_ cam: NeuralNetworks.GradCAM, _ index: Int) -> Explained {
            let upsampled = cam.heatMap(upsampledTo: height, width).storage
            let total = upsampled.reduce(0, +)
            let onInk = zip(upsampled, pixels).filter { $0.1 >= ink && ink > 0 }.map(\.0).reduce(0, +)
            let area = cam.featureMaps.shape[1] * cam.featureMaps.shape[2]
            let spread = (0..<cam.featureMaps.shape[0]).map { k in
                let slice = cam.featureMapGradient.storage[k * area ..< (k + 1) * area]
                return (low: slice.min() ?? 0, high: slice.max() ?? 0)
            }
            return Explained(cam: cam, upsampled: upsampled, finiteDifferenceAlphas: differences[index], gradientSpread: spread,
                             inkShare: total > 0 ? onInk / total : 0)
        }
        let both = [explained(first, 0), explained(second, 1)]
        return ModelResult(model: model, rows: rows, parameterCount: trainer.parameterCount, losses: losses, heldOutAccuracy: heldOut,
                           heldOutCount: test.count, probabilities: first.probabilities, predicted: first.predictedClass,
                           otherWasPredicted: section.other == first.predictedClass, explained: both,
                           cam: camComparison(network: network, explained: both))
    }

    /// The layers after the feature maps when they are global average pooling (one window over the
    /// whole map), flatten and one linear layer: the head of CAM (Zhou et al., CVPR 2016). Returns
    /// the index of the linear layer's parameters among the model's weighted layers.
    public static func gapHead(of spec: ModelSpec) -> Int? {
        let layers = spec.layers
        guard let conv = layers.lastIndex(where: { $0 is ModelSpec.Conv2d }) else { return nil }
        var feature = conv
        if conv + 1 < layers.count, layers[conv + 1] is ModelSpec.Activation { feature = conv + 1 }
        guard layers.count == feature + 4, let rows = try? spec.summary() else { return nil }
        let shape = rows[feature].outputShape
        guard shape.count == 3, shape[1] == shape[2],
              let pool = layers[feature + 1] as? ModelSpec.AvgPool2d, pool.size == shape[1], pool.stride == nil || pool.stride == pool.size,
              layers[feature + 2] is ModelSpec.Flatten, layers[feature + 3] is ModelSpec.Linear else { return nil }
        return Self.weightedCount(rows) - 1
    }

    /// How many of the compiled `rows` own a weight and bias: where the next layer's parameters
    /// start among the model's.
    static func weightedCount(_ rows: some Collection<CompiledModel.Row>) -> Int {
        rows.count { $0.parameterShapes != nil }
    }

    /// ∂y_c/∂A by central differences of the layers after A, forward passes only, reduced to α (the
    /// mean over each map), for each class in `classes`.
    static func finiteDifferences(network: FeatureNetwork, layer: Int, maps: Tensor, classes: [Int], at: SourceLocation) throws(WorkbenchFailure) -> [[Double]] {
        let spec = network.spec
        let weighted: Int
        do { weighted = Self.weightedCount(try spec.summary().prefix(layer)) }
        catch { throw .badInput("\(spec.name): \(error)", at: at) }
        let tail: FeatureNetwork
        do {
            tail = try FeatureNetwork(spec: ModelSpec(name: spec.name + " after layer \(layer)", inputShape: maps.shape, layers: Array(spec.layers[layer...])),
                                      weights: Array(network.weights[weighted...]), biases: Array(network.biases[weighted...]))
        } catch { throw .badInput("\(spec.name): the layers after layer \(layer): \(error)", at: at) }
        let (channels, area) = (maps.shape[0], maps.shape[1] * maps.shape[2])
        var sums = [[Double]](repeating: [Double](repeating: 0, count: channels), count: classes.count)
        let h = GradCAMRun.step
        do {
            for entry in 0..<maps.count {
                var up = maps.storage, down = maps.storage
                up[entry] += h; down[entry] -= h
                let plus = try tail.scores(of: Tensor(shape: maps.shape, storage: up)), minus = try tail.scores(of: Tensor(shape: maps.shape, storage: down))
                for (index, c) in classes.enumerated() { sums[index][entry / area] += (plus[c] - minus[c]) / (2 * h) }
            }
        } catch { throw .badInput("\(spec.name): \(error)", at: at) }
        return sums.map { $0.map { $0 / Double(area) } }
    }

    /// For a GAP + linear head: α against w_kc / Z and Grad-CAM's map against ReLU(Σ_k w_kc A^k) / Z.
    static func camComparison(network: FeatureNetwork, explained: [Explained]) -> CAMComparison? {
        guard let linear = gapHead(of: network.spec), let first = explained.first else { return nil }
        let maps = first.cam.featureMaps
        let (channels, area) = (maps.shape[0], maps.shape[1] * maps.shape[2])
        let weights = network.weights[linear]   // [inputs = channels, outputs = classes], row-major
        let classes = weights.count / channels
        var alphaDifference: [Double] = [], mapDifference: [Double] = [], camMaps: [[Double]] = []
        for e in explained {
            let c = e.cam.classIndex
            let w = (0..<channels).map { weights[$0 * classes + c] }
            alphaDifference.append(zip(e.cam.alphas, w).map { abs($0 - $1 / Double(area)) }.max() ?? 0)
            let cam = (0..<area).map { p in max(0, (0..<channels).map { w[$0] * maps.storage[$0 * area + p] }.reduce(0, +)) }
            camMaps.append(cam)
            mapDifference.append(zip(e.cam.heatMap.storage, cam).map { abs($0 - $1 / Double(area)) }.max() ?? 0)
        }
        return CAMComparison(positions: area, alphaDifference: alphaDifference, mapDifference: mapDifference, maps: camMaps)
    }
}
