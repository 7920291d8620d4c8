import Autograd
import Datasets
import Foundation
import NeuralNetworks
import Testing

// micrograd's nn.py in Swift: Neuron, Layer, MLP over `Variable`, parameters that enter each
// step's graph once, and SGD through `OptimizerState`.

@Suite("Neuron, Layer, MLP and SGD")
struct MLPTests {
    @Test("MLP 2-16-16-1 has micrograd's 337 parameters; hidden layers use the activation, the last is linear")
    func shape() {
        let model = MLP(inputCount: 2, layerSizes: [16, 16, 1], activation: .tanh, seed: 7)
        #expect(model.parameters.count == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1)
        #expect(model.parameters.count == 337)
        #expect(model.layers.map { $0.neurons.count } == [16, 16, 1])
        #expect(model.layers.map { $0.neurons[0].activation } == [.tanh, .tanh, .linear])
        #expect(model.parameters.allSatisfy { (-1...1).contains($0.value.scalar) })
        #expect(model.layers[0].neurons[0].bias.value.scalar == 0)
        #expect(model.parameters.first?.name == "w1.1.0" && model.parameters.last?.name == "b3.1")
    }

    @Test("the same seed gives the same weights; another seed other weights")
    func seeded() {
        let values = { (seed: UInt64) in MLP(inputCount: 2, layerSizes: [3, 1], seed: seed).parameters.map(\.value.scalar) }
        #expect(values(3) == values(3))
        #expect(values(3) != values(4))
    }

    @Test("a neuron computes act(b + Σ wᵢxᵢ), for each activation", arguments: Neuron.Activation.allCases)
    func neuronForward(activation: Neuron.Activation) throws {
        var generator = SeededGenerator(seed: 5)
        let neuron = Neuron(inputCount: 3, activation: activation, using: &generator)
        neuron.bias.value = Tensor(scalar: 0.25)
        let x = [0.5, -1.5, 2.0]
        let graph = Graph()
        let output = neuron(x.enumerated().map { Variable("x\($0.offset)", $0.element, in: graph) })
        let w = neuron.weights.map(\.value.scalar)
        let z = 0.25 + w[0] * x[0] + w[1] * x[1] + w[2] * x[2]
        let expected = switch activation { case .relu: Swift.max(z, 0); case .tanh: Foundation.tanh(z); case .linear: z }
        #expect(Swift.abs(output.value.scalar - expected) < 1e-12)
        // Backward: ∂out/∂wᵢ = act′(z)·xᵢ and ∂out/∂b = act′(z).
        try output.backward()
        let slope = switch activation { case .relu: z > 0 ? 1.0 : 0.0; case .tanh: 1 - expected * expected; case .linear: 1.0 }
        for (weight, input) in zip(neuron.weights, x) {
            #expect(Swift.abs(weight.gradient.scalar - slope * input) < 1e-12)
        }
        #expect(Swift.abs(neuron.bias.gradient.scalar - slope) < 1e-12)
    }

    @Test("a parameter used for several examples is one leaf per graph, its gradient summed over the uses")
    func parameterIsOneLeafPerGraph() throws {
        let w = Parameter(3, name: "w")
        let graph = Graph()
        let first = w.variable(in: graph), second = w.variable(in: graph)
        #expect(first.node == second.node)
        try (first * Variable("a", 2, in: graph) + second * Variable("b", 5, in: graph)).backward()
        #expect(w.gradient == Tensor(scalar: 7))
        // A new graph gets a new leaf with the current value.
        w.value = Tensor(scalar: 4)
        let next = Graph()
        let leaf = w.variable(in: next)
        #expect(leaf.graph === next && leaf.value == Tensor(scalar: 4) && next.operations == [.parameter])
    }

    @Test("SGD's step is p ← p − η·∂L/∂p; a parameter the loss does not use stays put")
    func sgdStep() throws {
        let a = Parameter(Tensor(vector: [1, -2]), name: "a"), unused = Parameter(5, name: "u")
        var sgd = SGD(parameters: [a, unused], learningRate: 0.1)
        let graph = Graph()
        _ = unused.variable(in: graph)
        let v = a.variable(in: graph)
        try (v * v).sum().backward()                    // ∂/∂a = 2a = [2, -4]
        sgd.step()
        #expect(a.value == Tensor(vector: [1 - 0.1 * 2, -2 - 0.1 * -4]))
        #expect(unused.value == Tensor(scalar: 5))
    }

    @Test("SGD with momentum is OptimizerState's update (two steps against the state itself)")
    func sgdMomentumMatchesOptimizerState() throws {
        let p = Parameter(Tensor(vector: [0.5, -1]))
        var sgd = SGD(parameters: [p], learningRate: 0.05, momentum: 0.9, weightDecay: 0.01)
        var state = OptimizerState<Double>(settings: OptimizerSettings(kind: .sgd, learningRate: 0.05, momentum: 0.9, weightDecay: 0.01),
                                           sizes: [2])
        var reference = [0.5, -1.0]
        for _ in 0..<2 {
            let graph = Graph()
            let v = p.variable(in: graph)
            try (v * v * v).sum().backward()            // ∂/∂p = 3p²
            sgd.step()
            let gradient = reference.map { 3 * $0 * $0 }
            state.beginStep()
            reference.withUnsafeMutableBufferPointer { values in
                gradient.withUnsafeBufferPointer { state.update(0, parameters: values, gradient: $0, learningRate: 0.05) }
            }
        }
        #expect(p.value.storage == reference)
    }

    @Test("micrograd's demo: the SVM loss on two moons goes down under SGD, and the run is repeatable")
    func trainingLowersTheLoss() throws {
        func train() throws -> [Double] {
            let moons = Datasets.twoMoons(count: 20, noise: 0.1, seed: 1)
            let model = MLP(inputCount: 2, layerSizes: [8, 8, 1], activation: .relu, seed: 1337)
            var sgd = SGD(parameters: model.parameters, learningRate: 0.5)
            var losses: [Double] = []
            for _ in 0..<8 {
                let graph = Graph()
                var margins: [Variable] = []
                for i in 0..<moons.count {
                    let x = [Variable(constant: Double(moons.features[2 * i]), in: graph),
                             Variable(constant: Double(moons.features[2 * i + 1]), in: graph)]
                    let label = moons.labels[i] == 1 ? 1.0 : -1.0
                    margins.append((1 - label * model(x)[0]).relu())
                }
                let loss = margins.sum() / Double(moons.count)
                try loss.backward()
                losses.append(loss.value.scalar)
                sgd.step()
            }
            return losses
        }
        let losses = try train()
        #expect(losses.last! < 0.7 * losses.first!, "losses: \(losses)")
        #expect(try train() == losses)
    }

    @Test("two moons: half each, seeded, in the moons' box")
    func twoMoons() {
        let moons = Datasets.twoMoons(count: 101, noise: 0.1, seed: 3)
        #expect(moons.count == 101 && moons.featureShape == [2] && moons.classCounts == [50, 51])
        #expect(moons.features == Datasets.twoMoons(count: 101, noise: 0.1, seed: 3).features)
        #expect(moons.features != Datasets.twoMoons(count: 101, noise: 0.1, seed: 4).features)
        let clean = Datasets.twoMoons(count: 10, noise: 0, seed: 1)
        for i in 0..<clean.count {
            let (x, y) = (Double(clean.features[2 * i]), Double(clean.features[2 * i + 1]))
            // Without noise each point lies on its circle: radius 1 around (0, 0) or (1, 0.5).
            let center = clean.labels[i] == 0 ? (0.0, 0.0) : (1.0, 0.5)
            #expect(Swift.abs(((x - center.0) * (x - center.0) + (y - center.1) * (y - center.1)).squareRoot() - 1) < 1e-6)
        }
    }
}
