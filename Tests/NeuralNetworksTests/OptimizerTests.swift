import Foundation
import NeuralNetworks
import Testing

// The optimizers against torch.optim: scripts/optimizer-reference.py re-implements PyTorch's
// documented updates in NumPy (float64) and checks them against torch.optim 2.15.0 itself (largest
// gap 2.2e-16), the schedule, and the settings' checks.

/// Three steps on p0 = [1, −2, 0.5] with the gradient of Σ a·p² + b·p: g = 2ap + b.
private let a = [0.5, 1.5, 2.0], b = [0.1, -0.3, 0.2], start = [1.0, -2.0, 0.5]

private func threeSteps<Scalar: BinaryFloatingPoint>(_ settings: OptimizerSettings, as _: Scalar.Type) -> [Scalar] {
    // Two tensors (the first entry, then the other two) so the slicing of the buffers is exercised.
    var state = OptimizerState<Scalar>(settings: settings, sizes: [1, 2])
    var parameters = start.map { Scalar($0) }
    for _ in 1 ... 3 {
        let gradient = (0 ..< 3).map { i in Scalar(2 * a[i]) * parameters[i] + Scalar(b[i]) }
        state.beginStep()
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in
                state.update(0, parameters: UnsafeMutableBufferPointer(rebasing: p[0 ..< 1]),
                             gradient: UnsafeBufferPointer(rebasing: g[0 ..< 1]), learningRate: settings.learningRate)
                state.update(1, parameters: UnsafeMutableBufferPointer(rebasing: p[1 ..< 3]),
                             gradient: UnsafeBufferPointer(rebasing: g[1 ..< 3]), learningRate: settings.learningRate)
            }
        }
    }
    return parameters
}

struct OptimizerCase: CustomTestStringConvertible, Sendable {
    let name: String
    let settings: OptimizerSettings
    /// p after three steps, printed by scripts/optimizer-reference.py (NumPy, equal to torch.optim).
    let expected: [Double]
    var testDescription: String { name }
}

private let cases: [OptimizerCase] = [
    OptimizerCase(name: "sgd", settings: .init(kind: .sgd, learningRate: 0.1),
                  expected: [0.7019, -0.6203000000000001, 0.06879999999999999]),
    OptimizerCase(name: "sgd momentum", settings: .init(kind: .sgd, learningRate: 0.1, momentum: 0.9),
                  expected: [0.43459999999999993, 0.6838000000000002, -0.34700000000000003]),
    OptimizerCase(name: "sgd nesterov", settings: .init(kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true),
                  expected: [0.26005309999999987, 0.8311633, -0.28831280000000004]),
    OptimizerCase(name: "sgd momentum weight decay", settings: .init(kind: .sgd, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01),
                  expected: [0.429970489, 0.6896662320000002, -0.3480432205000001]),
    OptimizerCase(name: "adam", settings: .init(kind: .adam, learningRate: 0.1),
                  expected: [0.70138244621909, -1.700586601143549, 0.20411378348975734]),
    OptimizerCase(name: "adam betas weight decay", settings: .init(kind: .adam, learningRate: 0.1, weightDecay: 0.1, beta1: 0.8, beta2: 0.99),
                  expected: [0.7023729110102722, -1.7010761391898845, 0.2062136956685564]),
    OptimizerCase(name: "rmsprop", settings: .init(kind: .rmsprop, learningRate: 0.01),
                  expected: [0.7791114439875177, -1.7751382456083193, 0.2884120227332899]),
    OptimizerCase(name: "rmsprop momentum weight decay alpha",
                  settings: .init(kind: .rmsprop, learningRate: 0.01, momentum: 0.9, weightDecay: 0.1, alpha: 0.9),
                  expected: [0.8528887224290311, -1.8522120047868622, 0.3543576905683547]),
]

@Suite("Optimizers")
struct OptimizerTests {
    @Test("three steps in Double equal torch.optim's to 1e-12", arguments: cases)
    func threeStepsMatchReference(_ row: OptimizerCase) {
        #expect(row.settings.problem() == nil)
        let result = threeSteps(row.settings, as: Double.self)
        for (got, want) in zip(result, row.expected) {
            #expect(Swift.abs(got - want) <= 1e-12 * Swift.max(1, Swift.abs(want)), "\(row.name): \(result) vs \(row.expected)")
        }
        // The steps moved every entry: a no-op update cannot pass.
        #expect(zip(result, start).allSatisfy { $0 != $1 })
    }

    @Test("Float and Double agree to Float's precision", arguments: cases)
    func floatAgreesWithDouble(_ row: OptimizerCase) {
        let single = threeSteps(row.settings, as: Float.self)
        let double = threeSteps(row.settings, as: Double.self)
        for (x, y) in zip(single, double) {
            #expect(Swift.abs(Double(x) - y) <= 1e-5 * Swift.max(1, Swift.abs(y)), "\(row.name): \(single) vs \(double)")
        }
    }

    @Test("the buffers: none for plain sgd, momentum only for sgd with momentum, two for adam")
    func buffers() {
        let plain = OptimizerState<Double>(settings: .init(kind: .sgd), sizes: [3])
        #expect(plain.firstMoment(0) == nil && plain.secondMoment(0) == nil)
        var momentum = OptimizerState<Double>(settings: .init(kind: .sgd, learningRate: 0.1, momentum: 0.9), sizes: [1, 2])
        var p: [Double] = [1, 2]
        let g: [Double] = [0.5, -1]
        momentum.beginStep()
        p.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { g in
            momentum.update(1, parameters: p, gradient: g, learningRate: 0.1)
        } }
        // The first step's buffer is the gradient itself (PyTorch: buf = clone(g)), and tensor 0's is untouched.
        #expect(momentum.firstMoment(1).map(Array.init) == [0.5, -1])
        #expect(momentum.firstMoment(0).map(Array.init) == [0])
        #expect(momentum.secondMoment(1) == nil)
        #expect(momentum.step == 1)
        let adam = OptimizerState<Float>(settings: .init(kind: .adam), sizes: [4])
        #expect(adam.firstMoment(0)?.count == 4 && adam.secondMoment(0)?.count == 4)
    }

    @Test("StepLR: lr · gamma^⌊(epoch − 1) / stepSize⌋", arguments: [
        (nil as Int?, 0.1, [1: 0.5, 2: 0.5, 100: 0.5]),
        (1, 0.1, [1: 0.5, 2: 0.05, 3: 0.005]),
        (3, 0.5, [1: 0.5, 3: 0.5, 4: 0.25, 6: 0.25, 7: 0.125, 0: 0.5]),
    ])
    func schedule(stepSize: Int?, gamma: Double, expected: [Int: Double]) {
        let settings = OptimizerSettings(learningRate: 0.5, stepSize: stepSize, gamma: gamma)
        for (epoch, rate) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(Swift.abs(settings.learningRate(epoch: epoch) - rate) < 1e-15, "epoch \(epoch)")
        }
    }

    @Test("problem() names the bad setting in one sentence", arguments: [
        (OptimizerSettings(learningRate: -0.1), "the learning rate must be a positive number, got -0.1"),
        (OptimizerSettings(learningRate: .nan), "the learning rate must be a positive number, got nan"),
        (OptimizerSettings(momentum: 1), "momentum must be in [0, 1), got 1.0"),
        (OptimizerSettings(momentum: -0.5), "momentum must be in [0, 1), got -0.5"),
        (OptimizerSettings(nesterov: true), "Nesterov momentum needs a momentum above 0"),
        (OptimizerSettings(kind: .adam, momentum: 0.9, nesterov: true), "Nesterov momentum applies to sgd only, not adam"),
        (OptimizerSettings(kind: .adam, momentum: 0.9),
         "adam takes no momentum (its beta1 0.9 plays that part); drop the momentum or use sgd or rmsprop"),
        (OptimizerSettings(weightDecay: -1e-4), "the weight decay must be 0 or more, got -0.0001"),
        (OptimizerSettings(kind: .adam, beta1: 1), "beta1 must be in [0, 1), got 1.0"),
        (OptimizerSettings(kind: .adam, beta2: 1.5), "beta2 must be in [0, 1), got 1.5"),
        (OptimizerSettings(epsilon: -1), "epsilon must be 0 or more, got -1.0"),
        (OptimizerSettings(kind: .rmsprop, alpha: 1), "alpha (RMSprop's smoothing) must be in [0, 1), got 1.0"),
        (OptimizerSettings(stepSize: 0), "the learning-rate step must be at least 1 epoch, got 0"),
        (OptimizerSettings(stepSize: 5, gamma: 0), "the learning-rate factor gamma must be a positive number, got 0.0"),
    ])
    func problems(settings: OptimizerSettings, sentence: String) {
        #expect(settings.problem() == sentence)
    }

    @Test("the defaults are fine, and are PyTorch's", arguments: OptimizerSettings.Kind.allCases)
    func defaults(kind: OptimizerSettings.Kind) {
        let settings = OptimizerSettings(kind: kind)
        #expect(settings.problem() == nil)
        #expect(settings.learningRate == 0.01 && settings.momentum == 0 && settings.weightDecay == 0)
        #expect(settings.beta1 == 0.9 && settings.beta2 == 0.999 && settings.epsilon == 1e-8 && settings.alpha == 0.99)
        #expect(settings.stepSize == nil && settings.gamma == 0.1)
    }
}
