import Autograd
import Datasets

// micrograd's nn.py in Swift: a neuron, a layer of neurons, a multi-layer perceptron, over scalar
// variables, so every weight is one node of the graph and a diagram can show each one.

/// One neuron: act(w · x + b) over scalar inputs, with weights drawn uniformly from [−1, 1] and
/// bias 0 (micrograd's `Neuron`).
///
/// ```swift
/// var generator = SeededGenerator(seed: 1)
/// let neuron = Neuron(inputCount: 2, activation: .tanh, using: &generator)
/// let graph = Graph()
/// let y = neuron([Variable("x0", 1, in: graph), Variable("x1", -1, in: graph)])
/// ```
public struct Neuron: Module {
    /// The nonlinearity after the weighted sum.
    public enum Activation: String, Sendable, CaseIterable {
        /// max(z, 0).
        case relu
        /// tanh z.
        case tanh
        /// z itself (an output neuron).
        case linear
    }

    /// One weight per input.
    public let weights: [Parameter]
    /// The bias b.
    public let bias: Parameter
    /// The nonlinearity.
    public let activation: Activation

    /// A neuron with `inputCount` weights drawn uniformly from [−1, 1] and bias 0.
    /// - Parameter name: prefix of the parameter names (`w1.3` gets weights `w1.3.0`, … and bias `b1.3`).
    public init(inputCount: Int, activation: Activation, name: String = "1.1",
                using generator: inout some RandomNumberGenerator) {
        precondition(inputCount > 0, "a neuron needs at least one input")
        weights = (0..<inputCount).map { Parameter(Double.random(in: -1...1, using: &generator), name: "w\(name).\($0)") }
        bias = Parameter(0, name: "b\(name)")
        self.activation = activation
    }

    /// act(Σ wᵢxᵢ + b), recorded into the inputs' graph: b + w₀x₀ + w₁x₁ + … (micrograd's order).
    /// - Precondition: one input per weight, all of one graph.
    public func callAsFunction(_ inputs: [Variable]) -> Variable {
        precondition(inputs.count == weights.count, "the neuron has \(weights.count) weights, got \(inputs.count) inputs")
        let graph = inputs[0].graph
        var sum = bias.variable(in: graph)
        for (weight, input) in zip(weights, inputs) { sum += weight.variable(in: graph) * input }
        switch activation {
        case .relu: return sum.relu()
        case .tanh: return sum.tanh()
        case .linear: return sum
        }
    }

    /// The weights, then the bias.
    public var parameters: [Parameter] { weights + [bias] }
}

/// A layer of neurons over the same inputs (micrograd's `Layer`).
public struct Layer: Module {
    /// The neurons, one output each.
    public let neurons: [Neuron]

    /// `outputCount` neurons of `inputCount` inputs each.
    /// - Parameter index: the layer's number in its model, for parameter names.
    public init(inputCount: Int, outputCount: Int, activation: Neuron.Activation, index: Int = 1,
                using generator: inout some RandomNumberGenerator) {
        precondition(outputCount > 0, "a layer needs at least one neuron")
        neurons = (1...outputCount).map {
            Neuron(inputCount: inputCount, activation: activation, name: "\(index).\($0)", using: &generator)
        }
    }

    /// Each neuron's output.
    public func callAsFunction(_ inputs: [Variable]) -> [Variable] { neurons.map { $0(inputs) } }

    /// Every neuron's parameters, neuron by neuron.
    public var parameters: [Parameter] { neurons.flatMap(\.parameters) }
}

/// A multi-layer perceptron (micrograd's `MLP`): layers of neurons, the hidden ones with
/// `activation`, the last one linear.
///
/// ```swift
/// let model = MLP(inputCount: 2, layerSizes: [16, 16, 1], activation: .relu, seed: 1337)
/// print(model.parameters.count)   // Prints "337"
/// ```
public struct MLP: Module {
    /// The layers, input side first.
    public let layers: [Layer]

    /// An MLP `inputCount`-`layerSizes[0]`-…-`layerSizes.last`, with weights drawn from a
    /// generator seeded with `seed` (the same seed gives the same model on every machine).
    public init(inputCount: Int, layerSizes: [Int], activation: Neuron.Activation = .relu, seed: UInt64 = 1) {
        precondition(!layerSizes.isEmpty, "an MLP needs at least one layer")
        var generator = SeededGenerator(seed: seed)
        let sizes = [inputCount] + layerSizes
        layers = (0..<layerSizes.count).map { index in
            Layer(inputCount: sizes[index], outputCount: sizes[index + 1],
                  activation: index == layerSizes.count - 1 ? .linear : activation, index: index + 1, using: &generator)
        }
    }

    /// The outputs of the last layer, recorded into the inputs' graph.
    public func callAsFunction(_ inputs: [Variable]) -> [Variable] {
        layers.reduce(inputs) { activations, layer in layer(activations) }
    }

    /// Every layer's parameters, layer by layer.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
}
