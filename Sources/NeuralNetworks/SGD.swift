import Autograd

/// Stochastic gradient descent over parameters: p ← p − η · ∂loss/∂p after each backward pass,
/// with optional momentum and weight decay.
///
/// The update is `OptimizerState`'s, the one `backprop train` runs (PyTorch's `torch.optim.SGD`
/// rule), so the library and the trainer cannot drift apart:
///
///     g ← g + weightDecay · p
///     b ← μ · b + g;  g ← b            (only when μ > 0)
///     p ← p − η · g
///
/// ```swift
/// var sgd = SGD(parameters: model.parameters, learningRate: 0.1)
/// // each step: a fresh graph, the forward pass, loss.backward(), then
/// sgd.step()
/// ```
public struct SGD {
    /// The parameters it updates, in the order its state follows.
    public let parameters: [Parameter]
    /// η, read at every step (change it between steps for a schedule).
    public var learningRate: Double
    private var state: OptimizerState<Double>

    /// Gradient descent over `parameters` with learning rate η, momentum μ in [0, 1) and coupled
    /// weight decay (both 0 by default: plain SGD, micrograd's update).
    /// - Precondition: the settings are valid (`OptimizerSettings.problem()` is nil).
    public init(parameters: [Parameter], learningRate: Double, momentum: Double = 0, weightDecay: Double = 0) {
        let settings = OptimizerSettings(kind: .sgd, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
        if let problem = settings.problem() { fatalError("SGD: \(problem)") }
        self.parameters = parameters
        self.learningRate = learningRate
        self.state = OptimizerState(settings: settings, sizes: parameters.map(\.value.count))
    }

    /// One update of every parameter from its gradient (the last backward of the graph it entered).
    /// - Precondition: backward has run on the graph each parameter entered last.
    /// - Complexity: O(parameter entries).
    public mutating func step() {
        state.beginStep()
        for (index, parameter) in parameters.enumerated() {
            let gradient = parameter.gradient
            let learningRate = self.learningRate
            parameter.value.storage.withUnsafeMutableBufferPointer { values in
                gradient.storage.withUnsafeBufferPointer { gradients in
                    state.update(index, parameters: values, gradient: gradients, learningRate: learningRate)
                }
            }
        }
    }
}
