import Autograd
import Datasets
import Foundation
import NeuralNetworks
import Testing

// The losses: the fast kernel against the same loss recorded on the engine (value and backward),
// against central differences, against torch.nn.functional, and on rows small enough to work out by hand.

/// The kernel on arrays: the mean loss and the gradient.
private func kernel<Scalar: BinaryFloatingPoint>(_ kind: LossKind, _ scores: [Scalar], _ labels: [Int], classes: Int) -> (Double, [Scalar]) {
    var gradient = [Scalar](repeating: .nan, count: scores.count)
    let loss = scores.withUnsafeBufferPointer { s in
        gradient.withUnsafeMutableBufferPointer { g in lossAndGradient(kind, scores: s, labels: labels, classes: classes, gradient: g) }
    }
    return (loss, gradient)
}

/// The engine: records the loss on a parameter node, runs backward, returns the loss and ∂loss/∂scores.
private func engine(_ kind: LossKind, _ scores: [Double], _ labels: [Int], classes: Int) throws -> (Double, [Double]) {
    let graph = Graph()
    let s = graph.parameter("s", Tensor(shape: [labels.count, classes], storage: scores))
    let loss = try record(kind, in: graph, scores: s, labels: labels)
    #expect(graph.shape(of: loss) == [])
    try graph.backward(from: loss)
    return (graph.scalarValue(of: loss), try #require(graph.gradient(of: s)).storage)
}

/// B × C scores in (−3, 3) and labels, from a seed; no score sits at a kink (|s − t| and margins ≠ 0).
private func randomBatch(batch: Int, classes: Int, seed: UInt64) -> ([Double], [Int]) {
    var random = SeededGenerator(seed: seed)
    let scores = (0 ..< batch * classes).map { _ in Double.random(in: -3 ... 3, using: &random) }
    let labels = (0 ..< batch).map { _ in Int.random(in: 0 ..< classes, using: &random) }
    return (scores, labels)
}

@Suite("Losses")
struct LossTests {
    @Test("the fast kernel equals the engine's loss and backward to 1e-10", arguments: LossKind.allCases, [(4, 5, 1), (1, 3, 2), (7, 10, 3)])
    func kernelMatchesEngine(kind: LossKind, shape: (batch: Int, classes: Int, seed: UInt64)) throws {
        let (scores, labels) = randomBatch(batch: shape.batch, classes: shape.classes, seed: shape.seed)
        let (fastLoss, fastGradient) = kernel(kind, scores, labels, classes: shape.classes)
        let (graphLoss, graphGradient) = try engine(kind, scores, labels, classes: shape.classes)
        #expect(Swift.abs(fastLoss - graphLoss) <= 1e-10, "\(kind): \(fastLoss) vs \(graphLoss)")
        for (x, y) in zip(fastGradient, graphGradient) { #expect(Swift.abs(x - y) <= 1e-10, "\(kind): \(fastGradient) vs \(graphGradient)") }
        #expect(fastLoss > 0 || kind == .nll)
        #expect(fastGradient.contains { $0 != 0 })
    }

    @Test("the kernel's gradient agrees with central differences of its loss", arguments: LossKind.allCases)
    func gradientMatchesFiniteDifferences(kind: LossKind) {
        let (scores, labels) = randomBatch(batch: 3, classes: 4, seed: 7)
        let gradient = kernel(kind, scores, labels, classes: 4).1
        let h = 1e-6
        for i in scores.indices {
            var up = scores, down = scores
            up[i] += h; down[i] -= h
            let numeric = (kernel(kind, up, labels, classes: 4).0 - kernel(kind, down, labels, classes: 4).0) / (2 * h)
            #expect(Swift.abs(numeric - gradient[i]) <= 1e-7, "\(kind) entry \(i): numeric \(numeric), analytic \(gradient[i])")
        }
    }

    struct HandRow: Sendable, CustomTestStringConvertible {
        let what: String
        let kind: LossKind
        let scores: [Double]
        let labels: [Int]
        let classes: Int
        let loss: Double
        /// nil where the row checks only the loss.
        let gradient: [Double]?
        var testDescription: String { what }
    }

    @Test("rows worked out by hand", arguments: [
        // Notes 004: outputs (−5, −1, 1, 5), class 3; the notes print 0.020621 from the rounded softmax 0.97959.
        HandRow(what: "notes 004 cross-entropy", kind: .crossEntropy, scores: [-5, -1, 1, 5], labels: [3], classes: 4,
                loss: 0.020625613055540448, gradient: [4.44731193e-05, 2.42815004e-03, 1.79417368e-02, 9.79585640e-01 - 1]),
        // The SVM formula of notes 001 on CS231n's cat/car/frog scores (the notes print the formula, not numbers):
        // cat max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1) = 2.9; car 0; frog 6.3 + 6.6 = 12.9; mean 15.8 / 3.
        HandRow(what: "notes 001 SVM on cat, car, frog", kind: .hinge,
                scores: [3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1], labels: [0, 1, 2], classes: 3,
                loss: 15.8 / 3, gradient: [-1.0 / 3, 1.0 / 3, 0, 0, 0, 0, 1.0 / 3, 1.0 / 3, -2.0 / 3]),
        HandRow(what: "nll picks −s_y", kind: .nll, scores: [log(0.2), log(0.8)], labels: [1], classes: 2,
                loss: -log(0.8), gradient: [0, -1]),
        HandRow(what: "mse over all entries", kind: .mse, scores: [0.5, 0.5], labels: [0], classes: 2,
                loss: 0.25, gradient: [-0.5, 0.5]),
        HandRow(what: "mae over all entries", kind: .mae, scores: [0.5, -1, 1, 0], labels: [0, 0], classes: 2,
                loss: (0.5 + 1 + 0 + 0) / 4, gradient: [-0.25, -0.25, 0, 0]),
        HandRow(what: "bce at 0 is log 2", kind: .binaryCrossEntropy, scores: [0, 0], labels: [0], classes: 2,
                loss: log(2), gradient: [-0.25, 0.25]),
        HandRow(what: "bce stays finite at ±1000", kind: .binaryCrossEntropy, scores: [1000, -1000], labels: [0], classes: 2,
                loss: 0, gradient: [0, 0]),
        HandRow(what: "cross-entropy stays finite at 1000", kind: .crossEntropy, scores: [1000, 0], labels: [1], classes: 2,
                loss: 1000, gradient: [1, -1]),
        HandRow(what: "hinge margin exactly 0 has gradient 0", kind: .hinge, scores: [1, 0], labels: [0], classes: 2,
                loss: 0, gradient: [0, 0]),
    ])
    func handRows(row: HandRow) throws {
        let (loss, gradient) = kernel(row.kind, row.scores, row.labels, classes: row.classes)
        #expect(Swift.abs(loss - row.loss) <= 1e-12 * Swift.max(1, row.loss), "\(row.what): \(loss)")
        let graph = try engine(row.kind, row.scores, row.labels, classes: row.classes)
        #expect(Swift.abs(graph.0 - row.loss) <= 1e-12 * Swift.max(1, row.loss), "\(row.what) on the engine: \(graph.0)")
        if let expected = row.gradient {
            for (x, y) in zip(gradient, expected) { #expect(Swift.abs(x - y) <= 1e-9, "\(row.what): \(gradient)") }
            for (x, y) in zip(graph.1, expected) { #expect(Swift.abs(x - y) <= 1e-9, "\(row.what) on the engine: \(graph.1)") }
        }
    }

    @Test("each loss equals torch.nn.functional's on the cat/car/frog scores (scripts/loss-reference.py, torch 2.15.0)", arguments: [
        (LossKind.crossEntropy, 2.758654710918577, [-0.2900058203276089, 0.28968317840275526, 0.0003226419248536814]),
        (.nll, -1.6666666666666667, [-0.3333333333333333, 0.0, 0.0]),
        (.mse, 9.171111111111111, [0.48888888888888893, 1.133333333333333, -0.37777777777777777]),
        (.mae, 2.7777777777777772, [0.1111111111111111, 0.1111111111111111, -0.1111111111111111]),
        (.binaryCrossEntropy, 1.8908011200194386, [-0.004351746977418259, 0.11043779983426842, 0.01716280723150386]),
        (.hinge, 5.266666666666667, [-0.3333333333333333, 0.3333333333333333, 0.0]),
    ])
    func matchesTorch(kind: LossKind, loss expected: Double, firstRowGradient: [Double]) throws {
        let scores = [3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1], labels = [0, 1, 2]
        let (loss, gradient) = kernel(kind, scores, labels, classes: 3)
        #expect(Swift.abs(loss - expected) <= 1e-14 * Swift.max(1, Swift.abs(expected)), "\(kind): \(loss)")
        for (x, y) in zip(gradient.prefix(3), firstRowGradient) { #expect(Swift.abs(x - y) <= 1e-15, "\(kind): \(gradient)") }
        let graph = try engine(kind, scores, labels, classes: 3)
        #expect(Swift.abs(graph.0 - expected) <= 1e-14 * Swift.max(1, Swift.abs(expected)), "\(kind) on the engine: \(graph.0)")
    }

    @Test("Float scores give Double's loss and gradient to Float's precision", arguments: LossKind.allCases)
    func floatAgreesWithDouble(kind: LossKind) {
        let (scores, labels) = randomBatch(batch: 5, classes: 3, seed: 11)
        let (single, singleGradient) = kernel(kind, scores.map(Float.init), labels, classes: 3)
        let (double, doubleGradient) = kernel(kind, scores.map { Double(Float($0)) }, labels, classes: 3)
        #expect(Swift.abs(single - double) <= 1e-6 * Swift.max(1, double))
        for (x, y) in zip(singleGradient, doubleGradient) { #expect(Swift.abs(Double(x) - y) <= 1e-6) }
    }

    @Test("record refuses scores and labels that do not fit, in one sentence", arguments: [
        ([2, 3], [0, 3], "cross_entropy: label 3 is outside the 3 classes 0..<3"),
        ([2, 3], [0, -1], "cross_entropy: label -1 is outside the 3 classes 0..<3"),
        ([3, 3], [0, 1], "cross_entropy: needs scores of shape [2, classes] for 2 labels, got [3, 3]"),
        ([6], [0, 1], "cross_entropy: needs scores of shape [2, classes] for 2 labels, got [6]"),
    ])
    func recordRefuses(shape: [Int], labels: [Int], message: String) {
        let graph = Graph()
        let s = graph.parameter("s", Tensor.zeros(shape))
        #expect { try record(.crossEntropy, in: graph, scores: s, labels: labels) } throws: { error in
            (error as? AutogradError)?.description == message
        }
    }
}

@Suite("Penalties")
struct PenaltyTests {
    @Test("λR(W) with R = Σ W² (notes 001) and Σ |W|: value and gradient by hand, and on the engine", arguments: [
        (Penalty.l2(0.1), 0.1 * (1 + 4 + 0 + 0.25), [0.2, -0.4, 0, 0.1]),
        (Penalty.l1(0.1), 0.1 * (1 + 2 + 0 + 0.5), [0.1, -0.1, 0, 0.1]),
    ])
    func values(penalty: Penalty, value: Double, gradient expected: [Double]) throws {
        let weights: [Double] = [1, -2, 0, 0.5]
        #expect(Swift.abs(penalty.value(weights) - value) < 1e-15)
        var gradient: [Double] = [1, 1, 1, 1]
        weights.withUnsafeBufferPointer { w in gradient.withUnsafeMutableBufferPointer { g in penalty.addGradient(of: w, to: g) } }
        for (x, y) in zip(gradient, expected) { #expect(Swift.abs(x - (1 + y)) < 1e-15, "added to 1: \(gradient)") }

        let graph = Graph()
        let w = graph.parameter("W", Tensor(vector: weights))
        let node = try penalty.record(in: graph, weights: w)
        try graph.backward(from: node)
        #expect(Swift.abs(graph.scalarValue(of: node) - value) < 1e-15)
        let engineGradient = try #require(graph.gradient(of: w)).storage
        for (x, y) in zip(engineGradient, expected) { #expect(Swift.abs(x - y) < 1e-15, "engine: \(engineGradient)") }
        // Float agrees.
        #expect(Swift.abs(penalty.value(weights.map(Float.init)) - value) < 1e-6)
    }

    @Test("a negative or NaN strength is named", arguments: [
        (Penalty.l2(-1), "the l2 strength λ must be 0 or more, got -1.0"),
        (Penalty.l1(.nan), "the l1 strength λ must be 0 or more, got nan"),
    ])
    func problems(penalty: Penalty, sentence: String) {
        #expect(penalty.problem() == sentence)
        #expect(Penalty.l2(0.5).problem() == nil)
    }
}
