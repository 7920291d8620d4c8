import Foundation
import NeuralNetworks
import Testing
@testable import ModelFiles
import Support

// Issue 30: every size derived from a model file or a saved model is computed with checked
// arithmetic: each size within its limit, their product beyond an Int, is one line, not a trap.

private func message(_ body: () throws -> Void) -> String {
    do { try body(); return "no error" } catch { return "\(error)" }
}

@Suite("Model sizes, checked")
struct ModelSizeTests {
    @Test("an input of [4000000, 4000000, 4000000] is refused at its key")
    func inputOverflow() {
        let text = "input = [4000000, 4000000, 4000000]\n[[layer]]\ntype = \"flatten\"\n"
        #expect(message { _ = try ModelFile(text: text, file: "m.toml") }
                == "m.toml:1:9: error: the input [4000000, 4000000, 4000000] has more elements than an integer can count; the limit is 4000000")
    }

    @Test("a reshape whose target overflows is refused at its layer")
    func reshapeOverflow() {
        let text = "input = [4000000]\n[[layer]]\ntype = \"reshape\"\nshape = [4000000, 4000000, 4000000]\n"
        #expect(message { _ = try ModelFile(text: text, file: "m.toml") }
                == "m.toml:2:1: error: layer 1: Reshape to [4000000, 4000000, 4000000] needs positive sizes whose product an integer can count")
    }

    @Test("a saved model with an overflowing input is not a saved model, not a trap")
    func savedOverflow() {
        let text = """
            {"format": "backprop-model", "version": 2, "model": "m", "data": "digits", "seed": 1,
             "input": [4000000, 4000000, 4000000], "layers": [{"type": "flatten"}, {"type": "linear", "outputs": 1}],
             "weights": [[0]], "biases": [[0]]}
            """
        #expect(message { _ = try SavedModel(text: text, file: "m.json") }.contains("more elements than an integer can count"))
    }

    @Test("the library's summary and trainer refuse an overflowing spec instead of trapping")
    func libraryOverflow() {
        let spec = ModelSpec(name: "huge", inputShape: [1 << 40], layers: [.linear(outputs: 1 << 40)])
        #expect(message { _ = try spec.summary() } == "layer 1: Linear has sizes [1099511627776, 1099511627776] whose product an integer cannot hold")
        #expect(message { _ = try Trainer(spec: spec, settings: .init()) }.contains("whose product an integer cannot hold"))
        let input = ModelSpec(name: "huge", inputShape: [1 << 32, 1 << 32], layers: [.flatten])
        #expect(message { _ = try input.summary() }.contains("the input shape [4294967296, 4294967296]"))
        #expect(ModelSpec.entries(of: [1 << 32, 1 << 32]) == nil)
        #expect(ModelSpec.entries(of: [1, 28, 28]) == 784)
    }
}
