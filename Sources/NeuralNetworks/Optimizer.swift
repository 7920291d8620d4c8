import Foundation

// MARK: - Settings

/// How training updates the parameters: the update rule, its hyperparameters and a step schedule
/// for the learning rate. The defaults are PyTorch's (`torch.optim.SGD`, `Adam`, `RMSprop`), except
/// the learning rate, which is 0.01 for every rule.
///
/// ```swift
/// var settings = OptimizerSettings(kind: .sgd, learningRate: 0.1)
/// settings.stepSize = 2
/// print((1...5).map { settings.learningRate(epoch: $0) })
/// // Prints "[0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002]"
/// ```
public struct OptimizerSettings: Sendable, Equatable {
    /// The update rule.
    public enum Kind: String, CaseIterable, Sendable {
        /// Stochastic gradient descent, with optional (Nesterov) momentum.
        case sgd
        /// Adam (Kingma and Ba, 2015) with bias correction, as `torch.optim.Adam`.
        case adam
        /// RMSprop (Hinton's lecture 6e), as `torch.optim.RMSprop` (not centered).
        case rmsprop
    }

    /// The update rule.
    public var kind: Kind
    /// The learning rate of the first epoch, before any schedule step.
    public var learningRate: Double
    /// SGD's and RMSprop's momentum μ, in [0, 1); 0 turns momentum off. Adam has none (β₁ plays its part).
    public var momentum: Double
    /// SGD only: Nesterov momentum (needs a momentum above 0).
    public var nesterov: Bool
    /// Coupled weight decay, as PyTorch's `weight_decay`: the step uses g + weightDecay · p.
    public var weightDecay: Double
    /// Adam's decay of the first moment.
    public var beta1: Double
    /// Adam's decay of the second moment.
    public var beta2: Double
    /// Adam's and RMSprop's ε, added to the root of the second moment.
    public var epsilon: Double
    /// RMSprop's smoothing constant α of the running mean of g².
    public var alpha: Double
    /// The step schedule: multiply the learning rate by `gamma` every `stepSize` epochs; nil keeps it constant.
    public var stepSize: Int?
    /// The factor of each schedule step.
    public var gamma: Double

    /// Settings with PyTorch's defaults for everything not given.
    public init(kind: Kind = .sgd, learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false,
                weightDecay: Double = 0, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                alpha: Double = 0.99, stepSize: Int? = nil, gamma: Double = 0.1) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.alpha = alpha
        self.stepSize = stepSize
        self.gamma = gamma
    }

    /// The learning rate during `epoch` (counted from 1), as PyTorch's `StepLR` stepped once per epoch:
    ///
    ///     lr(epoch) = learningRate · gamma^⌊(epoch − 1) / stepSize⌋
    ///
    /// Without a `stepSize` it is `learningRate` for every epoch. Epochs below 1 count as epoch 1.
    public func learningRate(epoch: Int) -> Double {
        guard let stepSize, stepSize > 0 else { return learningRate }
        let steps = Swift.max(epoch - 1, 0) / stepSize
        return learningRate * Foundation.pow(gamma, Double(steps))
    }

    /// One sentence naming the first bad setting, or nil when the settings are fine.
    ///
    /// ```swift
    /// print(OptimizerSettings(momentum: 1.5).problem()!)
    /// // Prints "momentum must be in [0, 1), got 1.5"
    /// ```
    public func problem() -> String? {
        func bad(_ value: Double) -> Bool { !value.isFinite }
        if bad(learningRate) || learningRate <= 0 { return "the learning rate must be a positive number, got \(learningRate)" }
        if bad(momentum) || momentum < 0 || momentum >= 1 { return "momentum must be in [0, 1), got \(momentum)" }
        if nesterov && kind != .sgd { return "Nesterov momentum applies to sgd only, not \(kind.rawValue)" }
        if nesterov && momentum == 0 { return "Nesterov momentum needs a momentum above 0" }
        if kind == .adam && momentum != 0 {
            return "adam takes no momentum (its beta1 \(beta1) plays that part); drop the momentum or use sgd or rmsprop"
        }
        if bad(weightDecay) || weightDecay < 0 { return "the weight decay must be 0 or more, got \(weightDecay)" }
        if bad(beta1) || beta1 < 0 || beta1 >= 1 { return "beta1 must be in [0, 1), got \(beta1)" }
        if bad(beta2) || beta2 < 0 || beta2 >= 1 { return "beta2 must be in [0, 1), got \(beta2)" }
        if bad(epsilon) || epsilon < 0 { return "epsilon must be 0 or more, got \(epsilon)" }
        if bad(alpha) || alpha < 0 || alpha >= 1 { return "alpha (RMSprop's smoothing) must be in [0, 1), got \(alpha)" }
        if let stepSize, stepSize < 1 { return "the learning-rate step must be at least 1 epoch, got \(stepSize)" }
        if bad(gamma) || gamma <= 0 { return "the learning-rate factor gamma must be a positive number, got \(gamma)" }
        return nil
    }
}

// MARK: - State and update

/// The buffers an optimizer keeps between steps, one slice per parameter tensor, and the update.
///
/// Every rule follows `torch.optim` exactly (maximize off, dampening 0, not centered, no AMSGrad).
/// With p a parameter, g its gradient, η the learning rate and t the step count:
///
/// SGD (`torch.optim.SGD`), buffer b starting at 0:
///
///     g ← g + weightDecay · p
///     b ← μ · b + g                    (only when μ > 0; the first step gives b = g)
///     g ← g + μ · b  if nesterov, else g ← b
///     p ← p − η · g
///
/// Adam (`torch.optim.Adam`, L2 weight decay coupled to the gradient, not AdamW), m and v starting at 0:
///
///     g ← g + weightDecay · p
///     m ← β₁ · m + (1 − β₁) · g
///     v ← β₂ · v + (1 − β₂) · g²
///     p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// RMSprop (`torch.optim.RMSprop`, not centered), v and b starting at 0; ε is added outside the root:
///
///     g ← g + weightDecay · p
///     v ← α · v + (1 − α) · g²
///     b ← μ · b + g / (√v + ε);  p ← p − η · b      when μ > 0
///     p ← p − η · g / (√v + ε)                      when μ = 0
///
/// The arithmetic runs in `Scalar` (as PyTorch runs it in the tensor's dtype); only the per-step
/// constants (η / (1 − β₁ᵗ), √(1 − β₂ᵗ)) are computed in Double first.
///
/// ```swift
/// var state = OptimizerState<Float>(settings: OptimizerSettings(kind: .adam), sizes: [weights.count, biases.count])
/// state.beginStep()
/// state.update(0, parameters: weights, gradient: weightGradient, learningRate: 0.01)
/// state.update(1, parameters: biases, gradient: biasGradient, learningRate: 0.01)
/// ```
public struct OptimizerState<Scalar: BinaryFloatingPoint> {
    /// The rule and its hyperparameters (the learning rate comes with each `update`).
    public let settings: OptimizerSettings
    /// The number of each parameter tensor's entries, in the order `update` indexes them.
    public let sizes: [Int]
    /// The step count t: how many times `beginStep()` ran.
    public private(set) var step: Int = 0
    /// Where each tensor's slice starts in the buffers (`offsets[i] ..< offsets[i] + sizes[i]`).
    @usableFromInline let offsets: [Int]
    /// SGD's and RMSprop's momentum buffer b, or Adam's first moment m; empty when the rule needs none.
    @usableFromInline var first: [Scalar]
    /// Adam's second moment v, or RMSprop's running mean of g²; empty for SGD.
    @usableFromInline var second: [Scalar]

    /// Zeroed buffers for parameter tensors of the given sizes: none for plain SGD, one for SGD with
    /// momentum or RMSprop without, two for Adam and RMSprop with momentum.
    /// - Precondition: every size is 0 or more.
    public init(settings: OptimizerSettings, sizes: [Int]) {
        precondition(sizes.allSatisfy { $0 >= 0 }, "negative parameter size")
        self.settings = settings
        self.sizes = sizes
        var offsets: [Int] = [], total = 0
        for size in sizes { offsets.append(total); total += size }
        self.offsets = offsets
        let needsFirst, needsSecond: Bool
        switch settings.kind {
        case .sgd: (needsFirst, needsSecond) = (settings.momentum != 0, false)
        case .adam: (needsFirst, needsSecond) = (true, true)
        case .rmsprop: (needsFirst, needsSecond) = (settings.momentum != 0, true)
        }
        first = needsFirst ? [Scalar](repeating: 0, count: total) : []
        second = needsSecond ? [Scalar](repeating: 0, count: total) : []
    }

    /// Starts a step: t ← t + 1. Call once per mini-batch, before that batch's `update`s.
    public mutating func beginStep() { step += 1 }

    /// Updates parameter tensor `index` in place from its gradient, with the rule of `settings`.
    ///
    /// - Parameters:
    ///   - index: which tensor, in the order of `sizes`.
    ///   - parameters: its entries, updated in place.
    ///   - gradient: ∂loss/∂parameters, as many entries; it is read, never written.
    ///   - learningRate: η for this step (from `settings.learningRate(epoch:)` for a schedule).
    /// - Precondition: `beginStep()` has run, and both buffers hold `sizes[index]` entries.
    /// - Complexity: O(sizes[index]); no allocation (the buffers are unique after the first step).
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(_ index: Int, parameters: UnsafeMutableBufferPointer<Scalar>,
                                gradient: UnsafeBufferPointer<Scalar>, learningRate: Double) {
        precondition(step > 0, "call beginStep() before update")
        precondition(parameters.count == sizes[index] && gradient.count == sizes[index],
                     "tensor \(index) has \(sizes[index]) entries, got \(parameters.count) parameters and \(gradient.count) gradients")
        let settings = self.settings
        let offset = offsets[index]
        let decay = Scalar(settings.weightDecay)
        switch settings.kind {
        case .sgd:
            let rate = Scalar(learningRate), momentum = Scalar(settings.momentum)
            if settings.momentum == 0 {
                OptimizerKernels.sgd(parameters, gradient, rate: rate, decay: decay)
            } else {
                first.withUnsafeMutableBufferPointer { buffer in
                    OptimizerKernels.sgdMomentum(parameters, gradient, UnsafeMutableBufferPointer(rebasing: buffer[offset ..< offset + parameters.count]),
                                                 rate: rate, decay: decay, momentum: momentum, nesterov: settings.nesterov)
                }
            }
        case .adam:
            let t = Double(step)
            let stepSize = Scalar(learningRate / (1 - Foundation.pow(settings.beta1, t)))
            let inverseCorrection = Scalar(1 / (1 - Foundation.pow(settings.beta2, t)).squareRoot())
            first.withUnsafeMutableBufferPointer { firstBuffer in
                second.withUnsafeMutableBufferPointer { secondBuffer in
                    OptimizerKernels.adam(parameters, gradient,
                                          UnsafeMutableBufferPointer(rebasing: firstBuffer[offset ..< offset + parameters.count]),
                                          UnsafeMutableBufferPointer(rebasing: secondBuffer[offset ..< offset + parameters.count]),
                                          stepSize: stepSize, inverseCorrection: inverseCorrection, decay: decay,
                                          beta1: Scalar(settings.beta1), beta2: Scalar(settings.beta2), epsilon: Scalar(settings.epsilon))
                }
            }
        case .rmsprop:
            let count = parameters.count
            second.withUnsafeMutableBufferPointer { squares in
                let squares = UnsafeMutableBufferPointer(rebasing: squares[offset ..< offset + count])
                if settings.momentum == 0 {
                    OptimizerKernels.rmsprop(parameters, gradient, squares, nil, rate: Scalar(learningRate), decay: decay,
                                             alpha: Scalar(settings.alpha), epsilon: Scalar(settings.epsilon), momentum: 0)
                } else {
                    first.withUnsafeMutableBufferPointer { buffer in
                        OptimizerKernels.rmsprop(parameters, gradient, squares, UnsafeMutableBufferPointer(rebasing: buffer[offset ..< offset + count]),
                                                 rate: Scalar(learningRate), decay: decay, alpha: Scalar(settings.alpha),
                                                 epsilon: Scalar(settings.epsilon), momentum: Scalar(settings.momentum))
                    }
                }
            }
        }
    }

    /// Tensor `index`'s slice of the first buffer (SGD's or RMSprop's momentum, Adam's m), or nil
    /// when the rule keeps none. For tests and for saving a checkpoint.
    public func firstMoment(_ index: Int) -> ArraySlice<Scalar>? {
        first.isEmpty ? nil : first[offsets[index] ..< offsets[index] + sizes[index]]
    }

    /// Tensor `index`'s slice of the second buffer (Adam's v, RMSprop's mean of g²), or nil for SGD.
    public func secondMoment(_ index: Int) -> ArraySlice<Scalar>? {
        second.isEmpty ? nil : second[offsets[index] ..< offsets[index] + sizes[index]]
    }
}

extension OptimizerState: Sendable where Scalar: Sendable {}
