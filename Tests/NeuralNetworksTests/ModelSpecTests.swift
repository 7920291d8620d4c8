import NeuralNetworks
import Testing

// Every parameter count and output shape the notes print, computed from the layers.

@Suite("Model summaries")
struct ModelSpecTests {
    @Test("total parameters match the notes", arguments: [
        ("mlp-mnist", 42_310),     // 000: 784-50-50-10
        ("cnn-mnist", 28_938),     // 000: the MNIST CNN
        ("mlp-256", 203_530),      // 003: 784-256-10
        ("iris-mlp", 99),          // 003: 4-12-3 (4·12 + 12 + 12·3 + 3)
    ])
    func totals(name: String, total: Int) throws {
        let spec = try #require(ModelSpec.preset(named: name))
        #expect(try spec.summary().map(\.parameters).reduce(0, +) == total)
    }

    @Test("the Keras CNN of 002: 208, 1,168, 200,960, 25,700 and its output shapes")
    func kerasCNN() throws {
        let rows = try #require(ModelSpec.preset(named: "keras-cnn")).summary()
        #expect(rows.map(\.parameters).filter { $0 > 0 } == [208, 1_168, 200_960, 25_700])
        // The notes print (None, 28, 28, 8), (None, 14, 14, 8), …, (None, 784), (None, 256), (None, 100), (None, 10, 10, 1).
        #expect(rows.map(\.outputShape) == [[8, 28, 28], [8, 14, 14], [8, 14, 14], [16, 14, 14], [16, 7, 7], [16, 7, 7],
                                            [784], [256], [256], [100], [1, 10, 10]])
    }

    @Test("LeNet-5 as 003 describes it: 28×28×6, 14×14×6, 10×10×16, 5×5×16, then 120, 84, 10")
    func lenet() throws {
        let rows = try #require(ModelSpec.preset(named: "lenet5")).summary()
        let shapes = rows.filter { !($0.layer is ModelSpec.Activation) }.map(\.outputShape)
        #expect(shapes == [[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [400], [120], [84], [10]])
    }

    @Test("output size floor((W + 2P − K) / S) + 1, and the 32×32×3 → 6×28×28 volume of 001")
    func outputSize() throws {
        #expect(ModelSpec.outputSize(32, 5, 1, 0) == 28)
        #expect(ModelSpec.outputSize(7, 3, 2, 0) == 3)
        #expect(ModelSpec.outputSize(28, 5, 1, 2) == 28)
        let rows = try ModelSpec(name: "001", inputShape: [3, 32, 32], layers: [.conv2d(filters: 6, kernel: 5)]).summary()
        #expect(rows[0].outputShape == [6, 28, 28])
        #expect(rows[0].parameters == 6 * 3 * 5 * 5 + 6)
    }

    @Test("a model that does not fit together names the layer", arguments: [
        (ModelSpec(name: "a", inputShape: [1, 28, 28], layers: [.linear(outputs: 10)]), "layer 1: Linear needs a vector"),
        (ModelSpec(name: "b", inputShape: [1, 4, 4], layers: [.conv2d(filters: 2, kernel: 5)]), "layer 1: Conv2d with a 5×5 kernel does not fit"),
        (ModelSpec(name: "c", inputShape: [10], layers: [.reshape([3, 3])]), "layer 1: Reshape to [3, 3] needs 9 elements, got 10"),
    ])
    func shapeErrors(spec: ModelSpec, message: String) {
        do { _ = try spec.summary(); Issue.record("\(spec.name) should not fit") } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
        }
    }
}
