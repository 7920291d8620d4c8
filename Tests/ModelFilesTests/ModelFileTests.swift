import Foundation
import NeuralNetworks
import Testing
import TestSupport
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Diagrams

// Model files (docs/models.md): the shipped examples equal the presets, every mistake is one line
// FILE:LINE:COLUMN pointing at the key, value or [[layer]] concerned, and no mutant of a file crashes.

private let modelsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("lessons/models").path

@Suite("Model files")
struct ModelFileTests {
    @Test("the shipped model files print the same summary as the presets", arguments: ["mlp-mnist", "cnn-mnist"])
    func examplesEqualPresets(name: String) throws {
        let file = try ModelFile(file: modelsDirectory + "/\(name).toml")
        let preset = try #require(ModelSpec.preset(named: name))
        #expect(file.spec == preset)
        #expect(try file.spec.renderSummary() == preset.renderSummary())
    }

    @Test("every preset written out as a model file reads back as the same model")
    func presetsRoundTrip() throws {
        for preset in ModelSpec.presets {
            var text = "name = \"\(preset.name)\"\ninput = \(preset.inputShape)\n"
            for layer in preset.layers {
                text += "\n[[layer]]\n"
                for (key, value) in ModelFile.fields(of: layer).sorted(by: { $0.key < $1.key }) { text += "\(key) = \(value.serialized())\n" }
            }
            #expect(try ModelFile(text: text, file: "p.toml").spec == preset, "\(preset.name)")
        }
    }

    @Test("every layer type of the table reads back what it writes, in a model file and in a saved model")
    func everyLayerTypeRoundTrips() throws {
        let spec = ModelSpec(name: "all", inputShape: [2, 8, 8], layers: [
            .conv2d(filters: 3, kernel: 3, stride: 1, padding: 1), .activation(.relu), .dropout2d(0.2), .maxPool2d(size: 2),
            .avgPool2d(size: 2, stride: 1), .activation(.tanh), .flatten, .dropout(0.1), .reshape([3, 3, 3]), .flatten,
            .linear(outputs: 4), .activation(.sigmoid), .linear(outputs: 2), .activation(.logSoftmax)])
        let types = spec.layers.compactMap { layer -> String? in
            guard case .string(let type)? = ModelFile.fields(of: layer)["type"] else { return nil }
            return type
        }
        #expect(Set(ModelFile.layerTypes) == Set(types), "the model uses every type of the table")
        var text = "name = \"all\"\ninput = \(spec.inputShape)\n"
        for layer in spec.layers {
            text += "\n[[layer]]\n"
            for (key, value) in ModelFile.fields(of: layer).sorted(by: { $0.key < $1.key }) { text += "\(key) = \(value.serialized())\n" }
        }
        let file = try ModelFile(text: text, file: "all.toml")
        #expect(file.spec == spec)
        let trainer = try Trainer(model: file.model, settings: .init())
        let saved = SavedModel(model: file.model, data: "digits", seed: 1, weights: trainer.weights, biases: trainer.biases)
        let read = try SavedModel(text: saved.json().serialized(), file: "all.json")
        #expect(read.spec == spec)
        // Float32 parameters (the default path's, widened exactly) read back exactly as Float32:
        // Foundation's JSON reader can miss a Double's last bit, which Float rounding absorbs.
        #expect(read.weights.map { $0.map(Float.init) } == trainer.weights.map { $0.map(Float.init) })
        #expect(read.biases.map { $0.map(Float.init) } == trainer.biases.map { $0.map(Float.init) })
    }

    @Test("a file without a name is named after the file; optional keys take their defaults")
    func defaults() throws {
        let spec = try ModelFile(text: "input = [1, 8, 8]\n[[layer]]\ntype = \"conv2d\"\nfilters = 4\nkernel = 3\n[[layer]]\ntype = \"avg_pool2d\"\nsize = 2\n",
                                 file: "dir/small.toml").spec
        #expect(spec.name == "small")
        #expect(spec == ModelSpec(name: "small", inputShape: [1, 8, 8], layers: [.conv2d(filters: 4, kernel: 3, stride: 1, padding: 0), .avgPool2d(size: 2, stride: nil)]))
    }

    /// A valid two-layer file with one line replaced, to place each mistake on a known line.
    static func file(replacing line: Int? = nil, with text: String = "", input: String = "[4]") -> String {
        var lines = ["name = \"m\"", "input = \(input)", "", "[[layer]]", "type = \"linear\"", "outputs = 3", "", "[[layer]]", "type = \"relu\""]
        if let line { lines[line - 1] = text }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("each mistake is one line FILE:LINE:COLUMN: error: …", arguments: [
        (file(replacing: 5, with: "type = \"lenear\""), "m.toml:5:8: error: layer 1: unknown layer type 'lenear'; did you mean 'linear'?"),
        (file(replacing: 6, with: "output = 3"), "m.toml:6:1: error: layer 1: unknown key 'output' in a linear layer; did you mean 'outputs'?"),
        (file(replacing: 6, with: "# no outputs"), "m.toml:4:1: error: layer 1: a linear layer needs 'outputs'"),
        (file(replacing: 6, with: "outputs = \"3\""), "m.toml:6:11: error: layer 1: 'outputs' must be a whole number, got a string"),
        (file(replacing: 6, with: "outputs = 3.0"), "m.toml:6:11: error: layer 1: 'outputs' must be a whole number, got a decimal number"),
        (file(replacing: 6, with: "  outputs = 1000000000000"), "m.toml:6:13: error: layer 1: 'outputs' is 1000000000000; use 1 to 1000000"),
        (file(replacing: 9, with: "type = \"relu\"\np = 0.5"), "m.toml:10:1: error: layer 2: unknown key 'p' in a relu layer; a relu layer takes only 'type'"),
        (file(replacing: 9, with: "kind = \"relu\""), "m.toml:8:1: error: layer 2: missing key 'type'"),
        (file(replacing: 9, with: "type = 3"), "m.toml:9:8: error: layer 2: 'type' must be a string, got an integer"),
        (file(replacing: 1, with: "nme = \"m\""), "m.toml:1:1: error: unknown key 'nme'; did you mean 'name'?"),
        (file(replacing: 2, with: "# no input"), "m.toml:1:1: error: missing key 'input'"),
        (file(input: "[4, 0]"), "m.toml:2:9: error: 'input' must have 1 to 3 sizes"),
        (file(input: "\"4\""), "m.toml:2:9: error: 'input' must be an array of whole numbers"),
        (file(input: "[1, 8, 8]"), "m.toml:4:1: error: layer 1: Linear needs a vector, got shape [1, 8, 8] (add a flatten first)"),
        (file(replacing: 9, with: "type = \"max_pool2d\"\nsize = 2"), "m.toml:8:1: error: layer 2: MaxPool2d needs channels × height × width, got shape [3]"),
        (file(input: "[1, 2001, 2000]"), "m.toml:2:9: error: the input has 4002000 elements; the limit is 4000000"),
        (file(replacing: 6, with: "outputs = 1000000", input: "[100]"), "m.toml:4:1: error: layer 1: Linear brings the model to 101000000 parameters; the limit is 20000000"),
        (file(replacing: 9, with: "type = \"dropout\"\np = 1"), "m.toml:10:5: error: layer 2: 'p' is 1.0; a dropout probability is at least 0 and less than 1"),
        (file(replacing: 6, with: "outputs = 3 3"), "m.toml:6:"),
        (file(replacing: 6, with: "∂ = 3"), "m.toml:6:1: error: '∂' outside a string"),
        ("input = [4]\nlayer = 3\n", "m.toml:2:1: error: 'layer' must be a list of tables"),
        ("input = [4]\n", "m.toml:1:1: error: a model needs at least one [[layer]]"),
        ("input = [4]\n[layer]\ntype = \"relu\"\n", "m.toml:2:1: error: 'layer' must be a list of tables"),
        ("input = [4]\nlayer = [{ type = \"relu\" }, { type = \"lenear\" }]\n", "m.toml:2:1: error: layer 2: unknown layer type 'lenear'"),
    ])
    func mistakes(text: String, message: String) throws {
        #expect(throws: WorkbenchFailure.self) { try ModelFile(text: text, file: "m.toml") }
        do { _ = try ModelFile(text: text, file: "m.toml"); Issue.record("accepted:\n\(text)") } catch {
            #expect(error.status == .badInput)
            #expect(error.message.hasPrefix(message), "\(error.message)")
            #expect(!error.message.contains("\n"), "\(error.message)")
        }
    }

    @Test("an output too big for memory is refused at its layer, before any later shape is computed")
    func elementLimit() throws {
        let text = "input = [1, 2000, 2000]\n[[layer]]\ntype = \"conv2d\"\nfilters = 4096\nkernel = 1\n[[layer]]\ntype = \"flatten\"\n[[layer]]\ntype = \"linear\"\noutputs = 1000000\n"
        do { _ = try ModelFile(text: text, file: "big.toml"); Issue.record("accepted") } catch {
            #expect(error.message == "big.toml:2:1: error: layer 1: Conv2d outputs [4096, 2000, 2000] = 16384000000 elements per example; the limit is 4000000")
        }
    }

    @Test("the trainer's refusal of a layer is placed at that layer's [[layer]]")
    func trainerFailurePlaced() throws {
        let file = try ModelFile(text: Self.file(), file: "m.toml")
        #expect(file.failure("layer 2: relu cannot be trained yet").message == "m.toml:8:1: error: layer 2: relu cannot be trained yet")
        #expect(file.failure("layer 9: out of range").message == "m.toml: error: layer 9: out of range")
    }

    @Test("an activation that does not train is refused at its type's value, not shown in a summary", arguments: [
        ("softmax", "m.toml:9:8: error: layer 2: 'softmax' cannot be trained here: end the model in a linear layer (cross-entropy applies log_softmax, as PyTorch's CrossEntropyLoss does) or in log_softmax"),
        ("leaky_relu", "m.toml:9:8: error: layer 2: 'leaky_relu' cannot be trained here: use relu, tanh or sigmoid"),
    ])
    func untrainableActivation(_ name: String, _ expected: String) throws {
        do { _ = try ModelFile(text: Self.file(replacing: 9, with: "type = \"\(name)\""), file: "m.toml"); Issue.record("accepted \(name)") } catch {
            #expect(error.message == expected)
            #expect(error.exitStatus.rawValue == 2)
        }
        #expect(ModelFile.activations == ["relu", "tanh", "sigmoid", "log_softmax"])
    }

    @Test("a model argument is a preset or a .toml path; a near-miss preset gets a suggestion")
    func modelArgument() throws {
        #expect(try ModelFile.model("iris-mlp").spec == ModelSpec.preset(named: "iris-mlp"))
        #expect(try ModelFile.model(modelsDirectory + "/cnn-mnist.toml").file != nil)
        do { _ = try ModelFile.model("iris-mpl"); Issue.record("accepted") } catch {
            #expect(error.what.hasPrefix("unknown model 'iris-mpl'; did you mean 'iris-mlp'?"))
        }
        do { _ = try ModelFile.model("nosuch.toml"); Issue.record("accepted") } catch { #expect(error.headline == "nosuch.toml: error: no such file") }
    }

    @Test("a saved model's layers are checked like a model file's", arguments: [
        (#"[{"type": "linear", "outputs": 0}]"#, "layer 1: 'outputs' is 0; use 1 to 1000000"),
        (#"[{"type": "linear", "outputs": 3.5}]"#, "layer 1: 'outputs' must be a whole number, got a decimal number"),
        (#"[{"type": "linear", "outputs": true}]"#, "layer 1: 'outputs' must be a whole number, got a boolean"),
        (#"[{"type": "flatten"}, {"type": "conv2d", "filters": 2, "kernel": 3}]"#, "layer 2: Conv2d needs channels × height × width, got shape [4]"),
        (#"[3]"#, "layer 1 is not an object"),
    ])
    func savedModelLayers(layers: String, message: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("saved-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"format": "backprop-model", "version": 2, "model": "m", "data": "iris", "seed": 1, "input": [4], "layers": \#(layers), "weights": [], "biases": []}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        do { _ = try SavedModel(file: path); Issue.record("accepted \(layers)") } catch {
            #expect(error.headline == "\(path): error: not a saved model: \(message)")
        }
    }

    @Test("mutants of a model file never crash; each reads or gives one line with a place")
    func mutants() throws {
        let original = Array(try String(contentsOfFile: modelsDirectory + "/cnn-mnist.toml", encoding: .utf8).utf8)
        let fragments: [[UInt8]] = ["[", "]", "[[", "{", "}", "=", "\"", "'", "\"\"\"", "\n", "#", ",", ".", "-", "0", "99999999999",
                                    "1e999", "nan", "[[layer]]\n", "type = \"linear\"\n", "∂", "[=x]", "layer"].map { Array($0.utf8) } + [[0], [0xFF]]
        var random = TestSupport.SplitMix64(seed: 11)
        var read = 0, refused = 0
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(bytes.count + 1))
                switch random.next() % 3 {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(contentsOf: fragments[Int(random.next() % UInt64(fragments.count))], at: position)
                default: if position < bytes.count { bytes[position] = UInt8(truncatingIfNeeded: random.next()) }
                }
            }
            guard let text = String(bytes: bytes, encoding: .utf8), !text.contains("\u{0}") else { continue }
            do { _ = try ModelFile(text: text, file: "f.toml"); read += 1 } catch {
                refused += 1
                #expect(error.message.hasPrefix("f.toml:") && !error.message.contains("\n"), "\(error.message)")
            }
        }
        #expect(read > 0 && refused > 0, "read \(read), refused \(refused)")
    }
}
