import Autograd
import Datasets
import Foundation

/// Trains a model on the Autograd engine: every mini-batch is recorded as a graph of tensor nodes
/// (matmul and convolution through OpenBLAS, bias add, activations, max-pooling, dropout,
/// log-softmax, the loss), backward runs on it, and SGD with momentum updates the parameters.
///
/// Every layer type trains (`ModelSpec.Layer`: each records itself on the graph and names its Float32
/// stages). A model that does not end in log_softmax is trained with cross-entropy on its
/// outputs (log_softmax is applied for the loss, as PyTorch's CrossEntropyLoss does).
public final class Trainer {
    /// Why a model cannot be trained here (yet).
    public struct Unsupported: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The settings of `backprop train`.
    public struct Settings: Sendable {
        /// The update rule and its hyperparameters, with torch.optim's formulas (Optimizer.swift):
        /// by default the notes' SGD with lr 0.01 and momentum 0.5. Adam ignores `momentum`.
        public var update = OptimizerSettings(kind: .sgd, learningRate: 0.01, momentum: 0.5)
        public var learningRate: Double { get { update.learningRate } set { update.learningRate = newValue } }
        public var momentum: Double { get { update.momentum } set { update.momentum = newValue } }
        /// `sgd`, `adam` or `rmsprop`.
        public var optimizer: Optimizer { get { update.kind } set { update.kind = newValue } }
        /// The loss on the model's outputs (Loss.swift); cross-entropy by default.
        public var loss: LossKind = .crossEntropy
        /// An L1 or L2 penalty on the weights (not the biases, as the notes' R(W)), added to the loss.
        public var penalty: Penalty?
        public var batchSize: Int = 32
        public var seed: UInt64 = 1
        /// `float32`: the fused Float32 path (fast; what `backprop train` uses). `float64`: every
        /// mini-batch recorded as a graph on the engine, in Double (the reference; it can be drawn).
        public var precision: Precision = .float32
        public init() {}
    }

    /// The most workspace one batch may take on the Float32 path (4 GB).
    public static let workspaceLimit = 4 << 30

    /// The arithmetic a trainer computes in.
    public enum Precision: String, Sendable, CaseIterable {
        case float32, float64
    }

    /// The update rule.
    public typealias Optimizer = OptimizerSettings.Kind

    public let spec: ModelSpec
    /// The model's shapes and parameters, compiled once.
    public let model: CompiledModel
    public let settings: Settings
    /// Each linear or convolution layer's weights and biases (row-major): the engine path's own,
    /// or the Float32 path's widened to Double (exactly).
    public var weights: [[Double]] { fast.map { $0.weights.map { $0.map(Double.init) } } ?? engineWeights }
    public var biases: [[Double]] { fast.map { $0.biases.map { $0.map(Double.init) } } ?? engineBiases }
    private var engineWeights: [[Double]], engineBiases: [[Double]]
    /// The Float32 path, when `settings.precision` is `.float32`.
    var fast: Float32Network?
    /// A second Float32 workspace with the same parameters: big batches run in two halves, one per core.
    var peer: Float32Network?
    /// Wall seconds of the Float32 path's phases while profiling (TrainingProfile.swift).
    var phaseSeconds = (passes: 0.0, merge: 0.0, update: 0.0)
    /// The optimizer's buffers (momentum, Adam's moments) for every weight, then every bias.
    private var fastOptimizer: OptimizerState<Float>
    private var engineOptimizer: OptimizerState<Double>
    /// Epochs begun, for the learning-rate schedule.
    private var epochsBegun = 0
    /// The model's output shape, and the entries of the input and every layer's output for one
    /// example: from `spec.summary()`, once, for the checks every batch makes.
    private let outputShape: [Int], entriesPerExample: Int
    /// The loss both paths compute: cross-entropy on a model that ends in log_softmax is its NLL
    /// (log-softmax is idempotent), so the log-probabilities are not normalized twice.
    private let lossKind: LossKind
    private var random: SeededGenerator
    private let graph = Graph(limits: .unlimited)

    /// A model with PyTorch's default initialization of each linear layer: weights and biases
    /// uniform in ±1/√inputs, drawn from `settings.seed`.
    public convenience init(spec: ModelSpec, settings: Settings) throws(Unsupported) {
        try self.init(model: try Trainer.compile(spec), settings: settings)
    }

    /// `spec` compiled, its shape errors as `Unsupported`.
    static func compile(_ spec: ModelSpec) throws(Unsupported) -> CompiledModel {
        do { return try CompiledModel(spec) } catch { throw Unsupported(description: error.description) }
    }

    /// The trainer of a compiled model (its shapes and parameter counts computed, with checked
    /// arithmetic, before anything is allocated).
    public init(model: CompiledModel, settings: Settings) throws(Unsupported) {
        let spec = model.spec
        self.model = model
        self.spec = spec
        self.settings = settings
        var random = SeededGenerator(seed: settings.seed)
        var weights: [[Double]] = [], biases: [[Double]] = []
        // PyTorch's default initialization: uniform in ±1/√fan-in for weights and biases, layer by
        // layer. (The shapes' products were multiplied with checked arithmetic by `CompiledModel`.)
        for shapes in model.parameterShapes {
            let bound = 1 / Double(shapes.fanIn).squareRoot()
            weights.append((0..<shapes.weight.reduce(1, *)).map { _ in Double.random(in: -bound...bound, using: &random) })
            biases.append((0..<shapes.bias.reduce(1, *)).map { _ in Double.random(in: -bound...bound, using: &random) })
        }
        if let last = model.rows.last, last.outputShape.count != 1 {
            // The notes' Keras digit recognizer (002) ends this way: 100 softmax units shown as a
            // 10 × 10 × 1 map. A map is not one score per class, and the notes give no 10 × 10 target.
            throw Unsupported(description: "layer \(model.rows.count): \(last.layer.typeName) to \(last.outputShape) makes the output a map, not one score per class, so there is nothing to train it against on a labelled data set; end the model in a linear layer with one output per class")
        }
        self.outputShape = model.outputShape
        self.entriesPerExample = model.entriesPerExample
        let endsInLogSoftmax = (spec.layers.last as? ModelSpec.Activation) == .logSoftmax
        self.lossKind = endsInLogSoftmax && settings.loss == .crossEntropy ? .nll : settings.loss
        self.engineWeights = weights
        self.engineBiases = biases
        var update = settings.update
        if update.kind == .adam { update.momentum = 0 }
        if let problem = update.problem() ?? settings.penalty?.problem() { throw Unsupported(description: problem) }
        let sizes = (weights + biases).map(\.count)
        self.fastOptimizer = OptimizerState(settings: update, sizes: settings.precision == .float32 ? sizes : [])
        self.engineOptimizer = OptimizerState(settings: update, sizes: settings.precision == .float64 ? sizes : [])
        self.random = random
        if settings.precision == .float32 {
            fast = try Float32Network(model: model, weights: weights, biases: biases, seed: random.next())
            if Kernels.cores >= 2 { peer = try Float32Network(model: model, weights: weights, biases: biases, seed: random.next()) }
        }
    }

    /// A trained model: the same architecture with the given parameters (from `backprop train --save`).
    /// - Throws: `Unsupported` when the parameters do not fit the architecture.
    public convenience init(spec: ModelSpec, settings: Settings, weights: [[Double]], biases: [[Double]]) throws(Unsupported) {
        try self.init(model: try Trainer.compile(spec), settings: settings, weights: weights, biases: biases)
    }

    /// A trained model of a compiled model with the given parameters.
    /// - Throws: `Unsupported` when the parameters do not fit the architecture.
    public convenience init(model: CompiledModel, settings: Settings, weights: [[Double]], biases: [[Double]]) throws(Unsupported) {
        let spec = model.spec
        try self.init(model: model, settings: settings)
        guard weights.map(\.count) == self.weights.map(\.count), biases.map(\.count) == self.biases.map(\.count) else {
            throw Unsupported(description: "the saved parameters do not fit \(spec.name): expected weight sizes \(self.weights.map(\.count)) and bias sizes \(self.biases.map(\.count))")
        }
        self.engineWeights = weights
        self.engineBiases = biases
        if let fast {
            fast.weights = weights.map { $0.map(Float.init) }
            fast.biases = biases.map { $0.map(Float.init) }
        }
    }

    /// The number of trainable parameters.
    public var parameterCount: Int { weights.map(\.count).reduce(0, +) + biases.map(\.count).reduce(0, +) }

    /// What one batch did: its mean loss and how many of its examples the model got right.
    public struct BatchResult: Sendable {
        public let loss: Double
        public let correct: Int
        public let predictions: [Int]
    }

    /// Records the forward pass of `indices` of `data` and its loss; when `training`, also runs
    /// backward and updates the parameters.
    public func run(_ data: LabeledData, indices: [Int], training: Bool) throws -> BatchResult {
        try run(data, indices: indices, training: training, update: true)
    }

    /// The mean loss of `indices` and its gradient with respect to every weight and bias, without
    /// an update (dropout off): how the tests hold the Float32 path to the engine's `backward`.
    public func gradients(_ data: LabeledData, indices: [Int]) throws -> (loss: Double, weights: [[Double]], biases: [[Double]]) {
        let result = try run(data, indices: indices, training: false, update: false)
        return (result.loss, lastGradients.weights, lastGradients.biases)
    }
    private var lastGradients: (weights: [[Double]], biases: [[Double]]) = ([], [])
    /// Batches the Float32 path ran as two replicas side by side (the tests check the branch ran).
    private(set) var pairedBatches = 0
    private var lastLoss: NodeID?

    /// The engine's graph of one mini-batch — forward, loss and backward, no update — with its loss
    /// node, to draw like any other graph. A Float32 trainer records it on a Double copy of its parameters.
    public func recordBatch(_ data: LabeledData, indices: [Int]) throws -> (graph: Graph, loss: NodeID) {
        var settings = self.settings
        settings.precision = .float64
        let engine = fast == nil ? self : try Trainer(model: model, settings: settings, weights: weights, biases: biases)
        _ = try engine.gradients(data, indices: indices)
        guard let loss = engine.lastLoss else { preconditionFailure("the engine path records its loss node") }
        return (engine.graph, loss)
    }

    private func run(_ data: LabeledData, indices: [Int], training: Bool, update: Bool) throws -> BatchResult {
        // At the door of every batch: a wrong width would read past the workspace and a wrong output
        // count would write outside the confusion matrix, on both paths.
        guard outputShape.count == 1, data.classNames.count == outputShape[0] else {
            throw Unsupported(description: "\(spec.name) does not end in one score per class for the \(data.classNames.count) classes of the data (its output has shape \(outputShape)); give its last linear layer \(data.classNames.count) outputs")
        }
        guard data.featureCount == ModelSpec.entries(of: spec.inputShape) else {
            throw Unsupported(description: "\(spec.name) takes inputs of shape \(spec.inputShape), but the data's examples have shape \(data.featureShape)")
        }
        // A batch's workspace is allocated whole; refuse one that would not fit rather than be killed.
        // The engine path records each layer as about three nodes (product, bias, activation), each
        // with a Double value and gradient.
        let engineBytes = ModelSpec.entries(of: [3 * 2 * MemoryLayout<Double>.size, indices.count, entriesPerExample]) ?? .max
        if fast == nil && engineBytes > Trainer.workspaceLimit {
            throw Unsupported(description: "a batch of \(indices.count) examples needs about \(engineBytes >> 20) MB of graph for \(spec.name) on the engine (the limit is \(Trainer.workspaceLimit >> 20) MB); use a smaller --batch")
        }
        if let fast {
            let bytes = fast.workspaceBytes(batch: indices.count)
            guard bytes <= Trainer.workspaceLimit else {
                throw Unsupported(description: "a batch of \(indices.count) examples needs \(bytes >> 20) MB of workspace for \(spec.name) (the limit is \(Trainer.workspaceLimit >> 20) MB); use a smaller --batch")
            }
            return runFloat32(fast, data, indices: indices, training: training, update: update)
        }
        let batch = indices.count, width = data.featureCount
        var features = [Double](repeating: 0, count: batch * width)
        data.features.withUnsafeBufferPointer { source in
            features.withUnsafeMutableBufferPointer { target in
                for (row, index) in indices.enumerated() {
                    for column in 0..<width { target[row * width + column] = Double(source[index * width + column]) }
                }
            }
        }
        graph.removeAll(keepingCapacity: true)
        // The batch is a constant: no gradient flows into the data.
        var h = graph.constant(Tensor(shape: [batch] + data.featureShape, storage: features), name: "x")
        var weightNodes: [NodeID] = [], biasNodes: [NodeID] = []
        let shapes = model.parameterShapes, (weights, biases) = (engineWeights, engineBiases), graph = self.graph
        h = try model.record(h, on: graph, batch: batch, training: training, random: &random) { index in
            let w = graph.parameter("W\(index + 1)", Tensor(shape: shapes[index].weight, storage: weights[index]))
            let b = graph.parameter("b\(index + 1)", Tensor(shape: shapes[index].bias, storage: biases[index]))
            weightNodes.append(w); biasNodes.append(b)
            return (w, b)
        }.last ?? h
        let scores = graph.value(of: h)
        let classes = graph.shape(of: h)[1]
        var loss = try record(lossKind, in: graph, scores: h, labels: indices.map { data.labels[$0] })
        if let penalty = settings.penalty {
            for w in weightNodes { loss = try graph.apply(.add, loss, try penalty.record(in: graph, weights: w)) }
        }

        var predictions: [Int] = [], correct = 0
        for (row, index) in indices.enumerated() {
            var best = 0
            for j in 1..<classes where scores.storage[row * classes + j] > scores.storage[row * classes + best] { best = j }
            predictions.append(best)
            if best == data.labels[index] { correct += 1 }
        }
        let lossValue = graph.scalarValue(of: loss)
        lastLoss = loss
        if !update {
            try graph.backward(from: loss)
            lastGradients = (weightNodes.map { graph.gradient(of: $0)?.storage ?? [] }, biasNodes.map { graph.gradient(of: $0)?.storage ?? [] })
        } else if training {
            try graph.backward(from: loss)
            engineOptimizer.beginStep()
            let rate = currentRate, layers = engineWeights.count
            for layer in 0..<layers {
                if let g = graph.gradient(of: weightNodes[layer]) { Trainer.update(&engineOptimizer, layer, &engineWeights[layer], g.storage, rate) }
                if let g = graph.gradient(of: biasNodes[layer]) { Trainer.update(&engineOptimizer, layers + layer, &engineBiases[layer], g.storage, rate) }
            }
        }
        return BatchResult(loss: lossValue, correct: correct, predictions: predictions)
    }

    /// The learning rate of the current epoch under the schedule.
    private var currentRate: Double { settings.update.learningRate(epoch: max(1, epochsBegun)) }

    /// One optimizer update of one parameter tensor.
    private static func update<T: BinaryFloatingPoint>(_ state: inout OptimizerState<T>, _ index: Int, _ parameters: inout [T], _ gradient: [T], _ rate: Double) {
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in state.update(index, parameters: p, gradient: g, learningRate: rate) }
        }
    }

    /// A batch on the Float32 path: forward, loss, and when training backward and the update.
    private func runFloat32(_ network: Float32Network, _ data: LabeledData, indices: [Int], training: Bool, update: Bool) -> BatchResult {
        Kernels.flushingSubnormals { runFloat32Flushed(network, data, indices: indices, training: training, update: update) }
    }

    private func runFloat32Flushed(_ network: Float32Network, _ data: LabeledData, indices: [Int], training: Bool, update: Bool) -> BatchResult {
        let backward = training || !update
        let count = indices.count
        var loss: Double, predictions: [Int]
        if let peer, count >= 8, network.work * count >= 2_000_000 {
            // Two halves side by side; the gradients are the halves' count-weighted mean, as one batch's.
            let middle = count / 2
            let halves = [Array(indices[..<middle]), Array(indices[middle...])]
            peer.weights = network.weights; peer.biases = network.biases
            nonisolated(unsafe) let replicas = [network, peer]
            let start = network.profiling ? Float32Network.now() : 0
            let results = Kernels.pair { i in Trainer.pass(replicas[i], data, halves[i], training, lossKind, backward) }
            let passed = network.profiling ? Float32Network.now() : 0
            pairedBatches += 1
            let (a, b) = (Double(middle) / Double(count), Double(count - middle) / Double(count))
            loss = a * results[0].loss + b * results[1].loss
            predictions = results[0].predictions + results[1].predictions
            if backward { network.mergeGradients(peer, Float(a), Float(b)) }
            if network.profiling { phaseSeconds.passes += passed - start; phaseSeconds.merge += Float32Network.now() - passed }
        } else {
            let start = network.profiling ? Float32Network.now() : 0
            (loss, predictions) = Trainer.pass(network, data, indices, training, lossKind, backward)
            if network.profiling { phaseSeconds.passes += Float32Network.now() - start }
        }
        var correct = 0
        for (row, index) in indices.enumerated() where predictions[row] == data.labels[index] { correct += 1 }
        loss += penaltyValue(network)
        guard backward else { return BatchResult(loss: loss, correct: correct, predictions: predictions) }
        let layers = network.weights.count
        if let penalty = settings.penalty {
            for layer in 0..<layers {
                network.weights[layer].withUnsafeBufferPointer { w in
                    network.weightGradients[layer].withUnsafeMutableBufferPointer { g in penalty.addGradient(of: w, to: g) }
                }
            }
        }
        if !update {
            lastGradients = (network.weightGradients.map { $0.map(Double.init) }, network.biasGradients.map { $0.map(Double.init) })
        } else {
            var optimizer = fastOptimizer
            fastOptimizer = OptimizerState(settings: optimizer.settings, sizes: [])   // moved out: updated in place, no copy
            let start = network.profiling ? Float32Network.now() : 0
            optimizer.beginStep()
            let rate = currentRate
            network.updateParameters { slot, parameters, gradient in
                optimizer.update(slot, parameters: parameters, gradient: gradient, learningRate: rate)
            }
            fastOptimizer = optimizer
            if network.profiling { phaseSeconds.update += Float32Network.now() - start }
        }
        return BatchResult(loss: loss, correct: correct, predictions: predictions)
    }

    /// Forward, the loss, and backward when asked, on one workspace.
    private static func pass(_ network: Float32Network, _ data: LabeledData, _ indices: [Int], _ training: Bool,
                             _ loss: LossKind, _ backward: Bool) -> (loss: Double, predictions: [Int]) {
        network.forward(data, indices: indices, training: training)
        let predictions = network.predictions(batch: indices.count)
        let value = network.lossAndGradient(loss, labels: data.labels, indices: indices)
        if backward { network.backward(batch: indices.count) }
        return (value, predictions)
    }

    /// The penalty on the Float32 weights (0 without one).
    private func penaltyValue(_ network: Float32Network) -> Double {
        guard let penalty = settings.penalty else { return 0 }
        return network.weights.map { penalty.value($0) }.reduce(0, +)
    }

    /// One epoch over `data` in seeded mini-batches; the mean loss and the training accuracy.
    public func epoch(_ data: LabeledData, seed: UInt64, progress: ((Int, Int, Double, Double) -> Void)? = nil) throws -> (loss: Double, accuracy: Double) {
        epochsBegun += 1
        let batches = data.batches(size: settings.batchSize, seed: seed)
        var totalLoss = 0.0, correct = 0, seen = 0
        for (number, batch) in batches.enumerated() {
            let result = try run(data, indices: batch, training: true)
            totalLoss += result.loss * Double(batch.count)
            correct += result.correct
            seen += batch.count
            progress?(number + 1, batches.count, totalLoss / Double(seen), Double(correct) / Double(seen))
        }
        return (totalLoss / Double(seen), Double(correct) / Double(seen))
    }

    /// Accuracy, mean loss and the confusion matrix (rows: true class, columns: predicted) on `data`.
    public func evaluate(_ data: LabeledData, batchSize: Int = 500) throws -> (loss: Double, accuracy: Double, confusion: [[Int]]) {
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: data.classNames.count), count: data.classNames.count)
        var totalLoss = 0.0, correct = 0
        for batch in data.batches(size: batchSize, seed: nil) {
            let result = try run(data, indices: batch, training: false)
            totalLoss += result.loss * Double(batch.count)
            correct += result.correct
            for (index, predicted) in zip(batch, result.predictions) { confusion[data.labels[index]][predicted] += 1 }
        }
        return (totalLoss / Double(data.count), Double(correct) / Double(data.count), confusion)
    }
}
