import Autograd
import Datasets
@testable import NeuralNetworks
import Testing

// dropout2d against PyTorch's nn.Dropout2d: the values below are printed by
// scripts/dropout2d-reference.py (torch 2.13, CPU); the test runs without torch.
@Suite("dropout2d is PyTorch's nn.Dropout2d")
struct Dropout2dTests {
    // torch 2.13.0+cpu, nn.Dropout2d(p=0.25), x and g of shape [2, 4, 2, 3], seed 28
    static let x: [Double] = [-0.162, -0.506, -1.346, 0.299, 0.383, 1.183, -0.571, -1.138, -0.12, -0.91, -1.893, 0.733, -0.327, -0.205, -0.115, -3.01, -0.194, -0.296, 1.352, -1.462, 0.696, 1.555, -2.796, 1.113, -0.302, -1.19, 1.292, 1.295, -1.858, -0.64, -0.482, 1.344, -1.551, -1.722, -1.21, -0.071, -0.545, 0.163, 1.218, -1.542, 0.069, -0.388, 0.646, 0.36, 0.591, 0.418, 0.403, 0.459]
    static let g: [Double] = [-1.238, 1.38, -0.007, -0.047, 0.029, -0.024, 0.76, 0.563, 0.292, -0.197, -0.356, -0.639, -0.606, -0.368, 0.691, -1.065, -0.448, 0.216, 0.561, 1.418, 1.339, -0.749, -0.761, 0.497, -2.197, 0.484, 0.754, 0.691, 0.771, 0.432, -0.246, 0.06, 0.231, 0.156, -1.888, 0.935, -0.81, 0.67, 0.606, 0.339, 0.922, 0.289, -1.7, -0.163, -0.6, 1.08, -0.171, -0.273]
    static let factors: [Double] = [1.333333333333, 1.333333333333, 1.333333333333, 1.333333333333, 1.333333333333, 1.333333333333, 0.0, 1.333333333333]
    static let y: [Double] = [-0.216, -0.674666666667, -1.794666666667, 0.398666666667, 0.510666666667, 1.577333333333, -0.761333333333, -1.517333333333, -0.16, -1.213333333333, -2.524, 0.977333333333, -0.436, -0.273333333333, -0.153333333333, -4.013333333333, -0.258666666667, -0.394666666667, 1.802666666667, -1.949333333333, 0.928, 2.073333333333, -3.728, 1.484, -0.402666666667, -1.586666666667, 1.722666666667, 1.726666666667, -2.477333333333, -0.853333333333, -0.642666666667, 1.792, -2.068, -2.296, -1.613333333333, -0.094666666667, -0.0, 0.0, 0.0, -0.0, 0.0, -0.0, 0.861333333333, 0.48, 0.788, 0.557333333333, 0.537333333333, 0.612]
    static let dx: [Double] = [-1.650666666667, 1.84, -0.009333333333, -0.062666666667, 0.038666666667, -0.032, 1.013333333333, 0.750666666667, 0.389333333333, -0.262666666667, -0.474666666667, -0.852, -0.808, -0.490666666667, 0.921333333333, -1.42, -0.597333333333, 0.288, 0.748, 1.890666666667, 1.785333333333, -0.998666666667, -1.014666666667, 0.662666666667, -2.929333333333, 0.645333333333, 1.005333333333, 0.921333333333, 1.028, 0.576, -0.328, 0.08, 0.308, 0.208, -2.517333333333, 1.246666666667, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -2.266666666667, -0.217333333333, -0.8, 1.44, -0.228, -0.364]
    static let plane = 6, maps = 8

    /// The Float32 kernel's loop on `input` with torch's factors.
    static func scaled(_ input: [Double]) -> [Double] {
        let values = input.map(Float.init), mask = factors.map(Float.init)
        var out = [Float](repeating: .nan, count: values.count)
        values.withUnsafeBufferPointer { v in
            mask.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { ModelSpec.Dropout2d.scale(v.baseAddress!, by: m.baseAddress!, maps: maps, plane: plane, into: $0.baseAddress!) }
            }
        }
        return out.map(Double.init)
    }

    @Test("with torch's maps, the fast path's forward gives torch's y and its backward torch's ∂(Σ g·y)/∂x")
    func againstTorch() {
        #expect(Self.factors.contains(0) && Self.factors.contains { $0 != 0 }, "the fixture drops some maps and keeps others")
        for (ours, torch) in zip(Self.scaled(Self.x), Self.y) { #expect(abs(ours - torch) <= 1e-6 * max(1, abs(torch)), "y \(ours) vs \(torch)") }
        for (ours, torch) in zip(Self.scaled(Self.g), Self.dx) { #expect(abs(ours - torch) <= 1e-6 * max(1, abs(torch)), "dx \(ours) vs \(torch)") }
    }

    @Test("the engine's recording: whole maps zeroed, the rest scaled by 1/(1−p); backward gives g times the same factor; eval is the identity")
    func engine() throws {
        let model = try CompiledModel(ModelSpec(name: "d", inputShape: [4, 2, 3], layers: [.dropout2d(0.25)]))
        var random = SeededGenerator(seed: 5)
        for training in [true, false] {
            let graph = Graph(limits: .unlimited)
            let input = graph.input("x", Tensor(shape: [2, 4, 2, 3], storage: Self.x))
            let y = try #require(try model.record(input, on: graph, batch: 2, training: training, random: &random) { _ in
                Issue.record("dropout2d has no parameters"); return (input, input)
            }.last)
            let loss = try graph.apply(.sum, try graph.apply(.multiply, y, graph.constant(Tensor(shape: [2, 4, 2, 3], storage: Self.g))))
            try graph.backward(from: loss)
            let out = graph.value(of: y).storage, grad = try #require(graph.gradient(of: input)).storage
            for m in 0..<Self.maps {
                let range = m * Self.plane ..< (m + 1) * Self.plane
                let factor = out[range.lowerBound] / Self.x[range.lowerBound]
                #expect(training ? (factor == 0 || abs(factor - 4.0 / 3) < 1e-12) : factor == 1)
                for i in range {
                    #expect(abs(out[i] - Self.x[i] * factor) < 1e-12)
                    #expect(abs(grad[i] - Self.g[i] * factor) < 1e-12)
                }
            }
        }
    }

    @Test("the fast path in training drops maps at rate p, whole, and scales the rest; in evaluation it passes everything")
    func fastPath() throws {
        let spec = ModelSpec(name: "d", inputShape: [8, 4, 4], layers: [.dropout2d(0.25), .flatten, .linear(outputs: 2)])
        var generator = SeededGenerator(seed: 3)
        let count = 100, width = 128
        let data = LabeledData(features: (0..<count * width).map { _ in Float(generator.unit() + 0.5) }, featureShape: [8, 4, 4],
                               labels: (0..<count).map { $0 % 2 }, classNames: ["a", "b"])
        let network = try Float32Network(spec: spec, weights: [[Double](repeating: 0.01, count: width * 2)], biases: [[0, 0]], seed: 9)
        guard case .kernel(let stage) = network.stages[0], let kernel = stage as? ModelSpec.Dropout2d.Kernel else {
            Issue.record("dropout2d runs as its own kernel"); return
        }
        network.forward(data, indices: Array(0..<count), training: true)
        let (x, y) = (network.activations[0], network.activations[1])
        #expect(kernel.mask.count == count * 8)
        #expect(kernel.mask.allSatisfy { $0 == 0 || $0 == Float(1) / 0.75 })
        let dropped = Double(kernel.mask.filter { $0 == 0 }.count) / Double(kernel.mask.count)
        #expect(abs(dropped - 0.25) < 0.05, "dropped \(dropped) of the maps")
        for m in 0..<count * 8 {
            for i in m * 16 ..< (m + 1) * 16 { #expect(y[i] == x[i] * kernel.mask[m]) }
        }
        network.forward(data, indices: Array(0..<count), training: false)
        #expect(Array(network.activations[1][0 ..< count * width]) == Array(network.activations[0][0 ..< count * width]))
    }
}
