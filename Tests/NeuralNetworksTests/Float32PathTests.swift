import Datasets
import Autograd
import Foundation
@testable import NeuralNetworks
import Testing

// The Float32 path is held to the engine: on the same batch and the same parameters, its loss and
// every parameter gradient must equal what `graph.backward` computes in Double, to Float32's precision.

/// Random examples of the given feature shape, with labels in 0..<classes.
private func randomData(shape: [Int], count: Int, classes: Int, seed: UInt64) -> LabeledData {
    var generator = SeededGenerator(seed: seed)
    let width = shape.reduce(1, *)
    let features = (0..<count * width).map { _ in Float(generator.unit() * 2 - 1) }
    let labels = (0..<count).map { _ in Int(generator.next() % UInt64(classes)) }
    return LabeledData(features: features, featureShape: shape, labels: labels, classNames: (0..<classes).map(String.init))
}

/// The largest |a − b| / (1e-3 + |b|) over two lists of arrays of the same sizes.
private func worstRelativeError(_ a: [[Double]], _ b: [[Double]]) -> Double {
    var worst = 0.0
    for (x, y) in zip(a, b) {
        #expect(x.count == y.count)
        let scale = max(y.map(abs).max() ?? 0, 1e-12)
        for (u, v) in zip(x, y) { worst = max(worst, abs(u - v) / scale) }
    }
    return worst
}

@Suite("The Float32 path agrees with the engine")
struct Float32PathTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String, inputShape: [Int], layers: [any ModelSpec.Layer]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "MLP, relu, log_softmax (the 000 MLP's layers)", inputShape: [1, 4, 4], layers: [
            .flatten, .linear(outputs: 7), .activation(.relu), .linear(outputs: 5), .activation(.relu),
            .linear(outputs: 3), .activation(.logSoftmax)]),
        Case(name: "MLP, tanh and sigmoid, cross-entropy on raw scores", inputShape: [6], layers: [
            .linear(outputs: 5), .activation(.tanh), .linear(outputs: 4), .activation(.sigmoid), .linear(outputs: 3)]),
        Case(name: "CNN: padded conv, relu, max-pool, conv, max-pool, linear (the 000 CNN's layers)", inputShape: [1, 8, 8], layers: [
            .conv2d(filters: 3, kernel: 3, stride: 1, padding: 1), .activation(.relu), .maxPool2d(size: 2),
            .conv2d(filters: 4, kernel: 3, stride: 1, padding: 1), .activation(.relu), .maxPool2d(size: 2),
            .flatten, .linear(outputs: 5)]),
        Case(name: "LeNet-like: sigmoid, average pooling, two input channels, stride 2", inputShape: [2, 9, 9], layers: [
            .conv2d(filters: 3, kernel: 3, stride: 2, padding: 1), .activation(.sigmoid), .avgPool2d(size: 2, stride: 1),
            .conv2d(filters: 2, kernel: 2), .activation(.tanh),
            .flatten, .linear(outputs: 6), .activation(.sigmoid), .linear(outputs: 4), .activation(.logSoftmax)]),
        Case(name: "CNN with 16 and 32 filters (oneDNN's blocked layout between its convolutions), odd pooled edges", inputShape: [1, 10, 10], layers: [
            .conv2d(filters: 16, kernel: 3, stride: 1, padding: 1), .activation(.relu), .maxPool2d(size: 2),
            .conv2d(filters: 32, kernel: 3, stride: 1, padding: 1), .activation(.tanh), .maxPool2d(size: 2),
            .flatten, .linear(outputs: 3)]),
        Case(name: "dropout2d between convolution and pooling (PyTorch's nn.Dropout2d; off, as in eval, for gradients)", inputShape: [2, 6, 6], layers: [
            .conv2d(filters: 3, kernel: 3, stride: 1, padding: 1), .activation(.relu), .dropout2d(0.3), .maxPool2d(size: 2),
            .flatten, .linear(outputs: 3)]),
        Case(name: "reshape in the middle: a vector becomes two 3×3 maps for a convolution", inputShape: [8], layers: [
            .linear(outputs: 18), .activation(.relu), .reshape([2, 3, 3]), .conv2d(filters: 2, kernel: 2), .activation(.tanh),
            .flatten, .linear(outputs: 3)]),
    ]

    @Test("loss and every gradient match graph.backward", arguments: cases)
    func agreesWithEngine(_ example: Case) throws {
        let spec = ModelSpec(name: example.name, inputShape: example.inputShape, layers: example.layers)
        let classes = try #require(try spec.summary().last?.outputShape.first)
        let data = randomData(shape: example.inputShape, count: 10, classes: classes, seed: 7)
        var settings = Trainer.Settings()
        settings.seed = 3
        settings.precision = .float64
        let engine = try Trainer(spec: spec, settings: settings)
        settings.precision = .float32
        // Same parameters on both paths (Float32-representable, so both start exactly equal).
        let weights = engine.weights.map { $0.map { Double(Float($0)) } }, biases = engine.biases.map { $0.map { Double(Float($0)) } }
        let reference = try Trainer(spec: spec, settings: { var s = settings; s.precision = .float64; return s }(), weights: weights, biases: biases)
        let fast = try Trainer(spec: spec, settings: settings, weights: weights, biases: biases)
        let indices = [3, 0, 9, 4, 4, 1, 7]
        let expected = try reference.gradients(data, indices: indices)
        let actual = try fast.gradients(data, indices: indices)
        #expect(abs(actual.loss - expected.loss) < 1e-5 * max(1, abs(expected.loss)), "loss \(actual.loss) vs \(expected.loss)")
        #expect(expected.weights.allSatisfy { !$0.isEmpty })
        let weightError = worstRelativeError(actual.weights, expected.weights)
        let biasError = worstRelativeError(actual.biases, expected.biases)
        #expect(weightError < 1e-4, "weights' gradients differ by \(weightError) of their scale")
        #expect(biasError < 1e-4, "biases' gradients differ by \(biasError) of their scale")
        // And the gradients are not all zero: the comparison compared something.
        #expect(expected.weights.flatMap { $0 }.contains { abs($0) > 1e-6 })
    }

    @Test("every loss, with and without a penalty, gives the engine's gradients", arguments: LossKind.allCases, [nil, Penalty.l1(0.01), Penalty.l2(0.05)])
    func lossesAndPenalties(_ loss: LossKind, _ penalty: Penalty?) throws {
        let spec = ModelSpec(name: "t", inputShape: [5], layers: [.linear(outputs: 6), .activation(.tanh), .linear(outputs: 4)])
        let data = randomData(shape: [5], count: 9, classes: 4, seed: 11)
        var settings = Trainer.Settings()
        settings.loss = loss; settings.penalty = penalty; settings.precision = .float64
        let seeded = try Trainer(spec: spec, settings: settings)
        let weights = seeded.weights.map { $0.map { Double(Float($0)) } }, biases = seeded.biases.map { $0.map { Double(Float($0)) } }
        let engine = try Trainer(spec: spec, settings: settings, weights: weights, biases: biases)
        settings.precision = .float32
        let fast = try Trainer(spec: spec, settings: settings, weights: weights, biases: biases)
        let indices = Array(0..<9)
        let expected = try engine.gradients(data, indices: indices), actual = try fast.gradients(data, indices: indices)
        #expect(abs(actual.loss - expected.loss) < 1e-5 * max(1, abs(expected.loss)), "loss \(actual.loss) vs \(expected.loss)")
        #expect(worstRelativeError(actual.weights, expected.weights) < 1e-4)
        #expect(worstRelativeError(actual.biases, expected.biases) < 1e-4)
    }

    @Test("the vectorized sigmoid and tanh agree with Foundation's to Float precision, tails included")
    func vectorFunctions() {
        var inputs: [Float] = [0, -0.0, 1e-8, -1e-8, 0.5, -0.5, 20, -20, 87, -87, 88, -88, 100, -100, 1e4, -1e4]
        var generator = SeededGenerator(seed: 3)
        inputs += (0..<2_000).map { _ in Float(generator.unit() * 40 - 20) }
        var sigmoid = [Float](repeating: .nan, count: inputs.count), tanh = sigmoid
        inputs.withUnsafeBufferPointer { x in
            sigmoid.withUnsafeMutableBufferPointer { Kernels.Vector.map(x.baseAddress!, $0.baseAddress!, x.count, Kernels.Vector.sigmoid) }
            tanh.withUnsafeMutableBufferPointer { Kernels.Vector.map(x.baseAddress!, $0.baseAddress!, x.count, Kernels.Vector.tanh) }
        }
        for (i, x) in inputs.enumerated() {
            let s = 1 / (1 + Foundation.exp(-Double(x))), t = Foundation.tanh(Double(x))
            #expect(abs(Double(sigmoid[i]) - s) <= 4e-7 * s + 1e-37, "sigmoid(\(x)) = \(sigmoid[i]), expected \(s)")
            #expect(abs(Double(tanh[i]) - t) <= 4e-7 * max(abs(t), 1e-6), "tanh(\(x)) = \(tanh[i]), expected \(t)")
        }
    }

    @Test("convolutions built a few examples at a time give the same gradients as in one piece")
    func chunkedConvolutions() throws {
        let example = Self.cases[3]     // two channels, stride 2, average pooling
        let spec = ModelSpec(name: example.name, inputShape: example.inputShape, layers: example.layers)
        let data = randomData(shape: example.inputShape, count: 10, classes: 4, seed: 8)
        let seeded = try Trainer(spec: spec, settings: Trainer.Settings())
        func gradients(budget: Int) throws -> [[Float]] {
            let network = try Float32Network(spec: spec, weights: seeded.weights, biases: seeded.biases, seed: 1)
            network.columnBudget = budget
            let indices = [4, 1, 9, 0, 7, 7, 2]
            network.forward(data, indices: indices, training: false)
            _ = network.lossAndGradient(.crossEntropy, labels: data.labels, indices: indices)
            network.backward(batch: indices.count)
            return network.weightGradients + network.biasGradients
        }
        let whole = try gradients(budget: 1 << 20), oneByOne = try gradients(budget: 1), inThrees = try gradients(budget: 3 * 27 * 25)
        let error = max(worstRelativeError(oneByOne.map { $0.map(Double.init) }, whole.map { $0.map(Double.init) }),
                        worstRelativeError(inThrees.map { $0.map(Double.init) }, whole.map { $0.map(Double.init) }))
        #expect(error < 1e-5, "chunked gradients differ by \(error) of their scale")
    }

    @Test("a wrong gradient is caught: the comparison fails when one parameter is nudged")
    func comparisonCanFail() throws {
        let spec = ModelSpec(name: "t", inputShape: [6], layers: [.linear(outputs: 4), .activation(.relu), .linear(outputs: 3)])
        let data = randomData(shape: [6], count: 8, classes: 3, seed: 2)
        var settings = Trainer.Settings()
        settings.precision = .float64
        let engine = try Trainer(spec: spec, settings: settings)
        var nudged = engine.weights
        nudged[1][0] += 0.5
        settings.precision = .float32
        let fast = try Trainer(spec: spec, settings: settings, weights: nudged, biases: engine.biases)
        let indices = Array(0..<8)
        let error = worstRelativeError(try fast.gradients(data, indices: indices).weights, try engine.gradients(data, indices: indices).weights)
        #expect(error > 1e-3)
    }

    @Test("dropout: training zeroes entries at rate p and scales the rest by 1/(1−p); evaluation passes everything")
    func dropout() throws {
        let spec = ModelSpec(name: "d", inputShape: [400], layers: [.dropout(0.25), .linear(outputs: 2)])
        let data = randomData(shape: [400], count: 50, classes: 2, seed: 5)
        let network = try Float32Network(spec: spec, weights: [[Double](repeating: 0.1, count: 800)], biases: [[0, 0]], seed: 9)
        let indices = Array(0..<50)
        network.forward(data, indices: indices, training: true)
        let (x, y, mask) = (network.activations[0][0..<20_000], network.activations[1][0..<20_000], network.masks[0][0..<20_000])
        let dropped = Double(mask.filter { $0 == 0 }.count) / 20_000
        #expect(abs(dropped - 0.25) < 0.015, "dropped \(dropped)")
        #expect(mask.allSatisfy { $0 == 0 || $0 == Float(1) / 0.75 })
        #expect(zip(zip(x, y), mask).allSatisfy { pair, m in pair.1 == pair.0 * m })
        network.forward(data, indices: indices, training: false)
        #expect(Array(network.activations[1][0..<20_000]) == Array(network.activations[0][0..<20_000]))
    }

    @Test("the Float32 path trains the digits CNN past 90% held-out in 3 epochs, repeatably")
    func trainsDigits() throws {
        let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("lessons/data").path
        let (train, test) = try Datasets.digits(path: data + "/digits.csv.gz").split(heldOut: 0.2, seed: 1)
        var settings = Trainer.Settings()
        settings.learningRate = 0.05; settings.momentum = 0.9; settings.seed = 4
        let spec = try #require(ModelSpec.preset(named: "digits-cnn"))
        let first = try Trainer(spec: spec, settings: settings), second = try Trainer(spec: spec, settings: settings)
        for epoch in 1...3 {
            _ = try first.epoch(train, seed: UInt64(epoch))
            _ = try second.epoch(train, seed: UInt64(epoch))
        }
        #expect(first.weights == second.weights)
        let accuracy = try first.evaluate(test).accuracy
        #expect(accuracy > 0.9, "held-out accuracy \(accuracy)")
    }
}

@Suite("The Float32 path's two replicas and convolution kernels agree with the engine")
struct Float32BranchTests {
    /// A CNN big enough that a batch of 40 passes `work · count ≥ 2,000,000` and runs as two replicas.
    static let spec = ModelSpec(name: "replicas", inputShape: [2, 12, 12], layers: [
        .conv2d(filters: 8, kernel: 5, stride: 1, padding: 2), .activation(.relu), .maxPool2d(size: 2),
        .conv2d(filters: 6, kernel: 3, stride: 1, padding: 1), .activation(.tanh), .avgPool2d(size: 2),
        .flatten, .linear(outputs: 5), .activation(.logSoftmax)])

    @Test("the two-replica branch (work·count ≥ 2,000,000) gives graph.backward's loss and gradients")
    func twoReplicas() throws {
        let data = randomData(shape: [2, 12, 12], count: 50, classes: 5, seed: 21)
        var settings = Trainer.Settings()
        settings.seed = 5
        settings.precision = .float64
        let seeded = try Trainer(spec: Self.spec, settings: settings)
        let weights = seeded.weights.map { $0.map { Double(Float($0)) } }, biases = seeded.biases.map { $0.map { Double(Float($0)) } }
        let engine = try Trainer(spec: Self.spec, settings: settings, weights: weights, biases: biases)
        settings.precision = .float32
        let fast = try Trainer(spec: Self.spec, settings: settings, weights: weights, biases: biases)
        let indices = Array((0..<40).map { ($0 * 7) % 50 })
        let network = try Float32Network(spec: Self.spec, weights: weights, biases: biases, seed: 1)
        #expect(network.work * indices.count >= 2_000_000, "work \(network.work) × \(indices.count)")
        try #require(Kernels.cores >= 2, "the two-replica branch needs two cores")
        let expected = try engine.gradients(data, indices: indices), actual = try fast.gradients(data, indices: indices)
        #expect(fast.pairedBatches == 1, "the batch did not run as two replicas")
        #expect(abs(actual.loss - expected.loss) < 1e-5 * max(1, abs(expected.loss)), "loss \(actual.loss) vs \(expected.loss)")
        #expect(worstRelativeError(actual.weights, expected.weights) < 1e-4)
        #expect(worstRelativeError(actual.biases, expected.biases) < 1e-4)
        #expect(expected.weights.flatMap { $0 }.contains { abs($0) > 1e-6 })
    }

    @Test("convolutions through oneDNN and through im2col + sgemm give the same gradients, for every test model")
    func convolutionLibraries() throws {
        let data = randomData(shape: [2, 12, 12], count: 12, classes: 5, seed: 4)
        let seeded = try Trainer(spec: Self.spec, settings: Trainer.Settings())
        func gradients(library: Bool) throws -> [[Double]] {
            let network = try Float32Network(spec: Self.spec, weights: seeded.weights, biases: seeded.biases, seed: 1)
            network.usesConvolutionLibrary = library
            let indices = [3, 1, 4, 1, 5, 9, 2, 6]
            network.forward(data, indices: indices, training: false)
            _ = network.lossAndGradient(.nll, labels: data.labels, indices: indices)
            network.backward(batch: indices.count)
            return (network.weightGradients + network.biasGradients + [Array(network.activations.last![0..<40])]).map { $0.map(Double.init) }
        }
        guard Kernels.convolutionLibrary != nil else {
            // No oneDNN here: the report says so, and both runs are im2col.
            #expect(Kernels.report().contains { $0.hasPrefix("convolutions: im2col") })
            return
        }
        let error = worstRelativeError(try gradients(library: true), try gradients(library: false))
        #expect(error < 1e-4, "oneDNN and im2col differ by \(error) of their scale")
    }

    @Test("with 16 and 32 filters the batch stays in oneDNN's blocked layout between the convolutions, with the planes' gradients")
    func blockedLayout() throws {
        let spec = ModelSpec(name: "blocked", inputShape: [1, 10, 10], layers: [
            .conv2d(filters: 16, kernel: 3, stride: 1, padding: 1), .activation(.relu), .maxPool2d(size: 2),
            .conv2d(filters: 32, kernel: 3, stride: 1, padding: 1), .activation(.relu), .maxPool2d(size: 2),
            .flatten, .linear(outputs: 4)])
        let data = randomData(shape: [1, 10, 10], count: 12, classes: 4, seed: 5)
        let seeded = try Trainer(spec: spec, settings: Trainer.Settings())
        func run(library: Bool) throws -> (blocked: [Bool], gradients: [[Double]]) {
            let network = try Float32Network(spec: spec, weights: seeded.weights, biases: seeded.biases, seed: 1)
            network.usesConvolutionLibrary = library
            let indices = [3, 1, 4, 1, 5, 9, 2, 6, 11]
            network.forward(data, indices: indices, training: false)
            _ = network.lossAndGradient(.crossEntropy, labels: data.labels, indices: indices)
            network.backward(batch: indices.count)
            return (network.blocked, (network.weightGradients + network.biasGradients).map { $0.map(Double.init) })
        }
        let planes = try run(library: false)
        #expect(!planes.blocked.contains(true))
        guard Kernels.convolutionLibrary != nil else { return }
        let blocked = try run(library: true)
        // conv(16) → maxPool → relu → conv(32) → maxPool → relu → flatten → linear (relu after pooling).
        #expect(blocked.blocked == [false, true, true, true, true, true, true, false, false], "\(blocked.blocked)")
        let error = worstRelativeError(blocked.gradients, planes.gradients)
        #expect(error < 1e-4, "blocked and planes differ by \(error) of their scale")
    }
}
