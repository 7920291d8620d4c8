import Foundation
import NeuralNetworks
import Testing
@testable import ModelFiles
import Support
import TestSupport

// Issue 28 item 2: saved models are read with `JSONDecoder` into typed fields (`SavedModel.Document`),
// not with `JSONSerialization` into `[String: Any]`, which lost the last bit of most weights.

private let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus/saved").path

private func reason(_ text: String) -> String {
    do { _ = try SavedModel(text: text, file: "m.json"); return "accepted" } catch { return error.headline }
}

/// A version 2 document of one linear layer on an input of 4, with `fields` replacing its own.
private func document(_ fields: [String: String]) -> String {
    var all = [#""format""#: #""backprop-model""#, #""version""#: "2", #""model""#: #""m""#, #""data""#: #""iris""#,
               #""seed""#: "1", #""input""#: "[4]", #""layers""#: #"[{"type": "linear", "outputs": 3}]"#,
               #""weights""#: "[[0.5]]", #""biases""#: "[[0]]"]
    for (key, value) in fields { all[key] = value }
    return "{" + all.filter { $0.value != "-" }.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", ") + "}"
}

@Suite("Saved models, read with JSONDecoder")
struct SavedModelTests {
    /// Random finite Doubles that fit Float32, of every magnitude from 1e-38 up, either sign.
    static func randomWeights(_ count: Int) -> [Double] {
        var random = SplitMix64(seed: 28)
        return (0..<count).map { _ in
            let exponent = UInt64.random(in: 1023 - 126 ... 1023 + 127, using: &random)
            let bits = random.next() & 0x800F_FFFF_FFFF_FFFF | exponent << 52
            return Double(bitPattern: bits)
        }
    }

    @Test("every weight reads back bit for bit; JSONSerialization loses the last bit of some")
    func exactWeights() throws {
        let values = Self.randomWeights(5000) + [0.006382916765701004, Double.leastNonzeroMagnitude, 1.1754942106924411e-38, 3.4028234663852886e+38]
        let spec = try ModelFile.check(ModelSpec(name: "m", inputShape: [4], layers: [ModelSpec.Linear(outputs: 3)]))
        let saved = SavedModel(model: spec, data: "iris", seed: 1, weights: [values], biases: [Array(values.prefix(3))])
        let text = saved.json().serialized()
        let read = try SavedModel(text: text, file: "exact.json")
        let wrong = zip(read.weights[0], values).filter { $0.bitPattern != $1.bitPattern }
        #expect(read.weights[0].count == values.count && wrong.isEmpty, "read back differently: \(wrong.prefix(5))")
        #expect(read.biases[0].map(\.bitPattern) == values.prefix(3).map(\.bitPattern))
        // The one exception, the writer's (`JSONValue` writes every whole number as an integer): -0 is written 0.
        let negativeZero = SavedModel(model: spec, data: "iris", seed: 1, weights: [[-0.0]], biases: [[0]]).json().serialized()
        #expect(try SavedModel(text: negativeZero, file: "zero.json").weights[0][0].bitPattern == (0.0).bitPattern)

        // The old path, on the same text: JSONSerialization's NSNumbers differ in the last bit.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let old = try #require(object["weights"] as? [[NSNumber]])[0].map(\.doubleValue)
        let lost = zip(old, values).filter { $0.bitPattern != $1.bitPattern }
        #expect(lost.count > 100, "JSONSerialization read \(lost.count) of \(values.count) weights exactly wrong")
        // One of them, found by this loop: written 0.006382916765701004, JSONSerialization reads the Double next to it.
        let witness = 0.006382916765701004
        #expect(text.contains("0.006382916765701004"))
        #expect(old[values.firstIndex(of: witness)!].bitPattern != witness.bitPattern)
        #expect(read.weights[0][values.firstIndex(of: witness)!].bitPattern == witness.bitPattern)
    }

    @Test("a file written by the old writer is written again byte for byte")
    func sameBytes() throws {
        for name in ["iris-linear.json", "iris-mlp.json"] {
            let text = try String(contentsOfFile: corpus + "/" + name, encoding: .utf8)
            let read = try SavedModel(text: text, file: name)
            #expect(read.json().serialized() + "\n" == text, "\(name)")
        }
    }

    @Test("the seed is written as its exact digits and read back exactly, up to UInt64.max")
    func exactSeed() throws {
        let spec = try ModelFile.check(ModelSpec(name: "m", inputShape: [4], layers: [ModelSpec.Linear(outputs: 3)]))
        for seed: UInt64 in [0, 1, 1 << 53 + 1, .max] {
            let text = SavedModel(model: spec, data: "iris", seed: seed, weights: [[0.5]], biases: [[0]]).json().serialized()
            #expect(text.contains("\"seed\": \(seed),"))
            #expect(try SavedModel(text: text, file: "s.json").seed == seed)
        }
    }

    @Test("each field is checked where it is read: one line that names it", arguments: [
        ("[1, 2]", "not a JSON object"),
        ("{\"format\": ", "not valid JSON"),
        (document([#""format""#: "-"]), #"no "format": "backprop-model" (write one with backprop train --save)"#),
        (document([#""version""#: "-"]), "no 'version' (this backprop reads 1 and 2)"),
        (document([#""version""#: "3"]), "unknown version 3 (this backprop reads 1 and 2)"),
        (document([#""version""#: #""2""#]), "unknown version a string (this backprop reads 1 and 2)"),
        (document([#""model""#: "-"]), "missing 'model'"),
        (document([#""data""#: "7"]), "'data' must be a string, got 7"),
        (document([#""seed""#: "-1"]), "'seed' must be a whole number from 0 to 18446744073709551615, got -1"),
        (document([#""seed""#: "1.5"]), "'seed' must be a whole number from 0 to 18446744073709551615, got 1.5"),
        (document([#""input""#: "-"]), "missing 'input'"),
        (document([#""input""#: "[4, true]"]), "'input' must be an array of whole numbers such as [1, 28, 28], got an array of something other than integers"),
        (document([#""layers""#: "{}"]), "'layers' must be an array of objects, got an object"),
        (document([#""layers""#: #"[{"type": "linear", "outputs": 3}, null]"#]), "layer 2 is not an object"),
        (document([#""layers""#: #"[{"type": "linear", "outputs": 1e400}]"#]), "layer 1: 'outputs' must be a whole number, got a number beyond a Double's range"),
        (document([#""weights""#: "-"]), "missing 'weights'"),
        (document([#""weights""#: "[0.5]"]), "'weights' of layer 1 must be a list of numbers, got 0.5"),
        (document([#""weights""#: "[[0.5, 1e400]]"]), "'weights' of layer 1, entry 2 must be a number, got a number beyond a Double's range"),
        (document([#""biases""#: #"[[0], [1, "x"]]"#]), "'biases' of layer 2, entry 2 must be a number, got a string"),
        (document([#""biases""#: "[[0, null]]"]), "'biases' of layer 1, entry 2 must be a number, got null"),
        (document([#""biases""#: "[[1e39]]"]), "'biases' of layer 1, entry 1: 1e+39 is not a finite Float32 number"),
    ])
    func fields(text: String, message: String) {
        #expect(reason(text) == "m.json: error: not a saved model: \(message)")
    }

    @Test("a well-formed document reads")
    func wellFormed() throws {
        let read = try SavedModel(text: document([:]), file: "m.json")
        #expect(read.weights == [[0.5]] && read.biases == [[0]] && read.seed == 1 && read.data == "iris")
        #expect(read.spec.inputShape == [4] && read.spec.layers.count == 1)
    }
}
