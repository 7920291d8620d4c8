import Foundation
import NeuralNetworks
import Support

/// A trained model as `backprop train --save` writes it (JSON, docs/models.md): the architecture,
/// the data set and seed it was trained with (the seed fixes the held-out split), and every
/// parameter in its shortest exact form.
///
/// Version 2 stores the architecture itself (`input` and `layers`, the keys of a model file), so a
/// model read from a file evaluates without it. Version 1 stored only a preset's name; it is still read.
public struct SavedModel: Sendable {
    public static let format = "backprop-model"
    /// The version `json()` writes.
    public static let version = 2
    /// The architecture, compiled.
    public let model: CompiledModel
    public var spec: ModelSpec { model.spec }
    public let data: String
    public let seed: UInt64
    public let weights: [[Double]], biases: [[Double]]

    public init(model: CompiledModel, data: String, seed: UInt64, weights: [[Double]], biases: [[Double]]) {
        self.model = model; self.data = data; self.seed = seed; self.weights = weights; self.biases = biases
    }

    /// The document, version 2.
    public func json() -> JSONValue {
        .object(["format": .string(Self.format), "version": .number(Double(Self.version)), "model": .string(spec.name),
                 "input": .array(spec.inputShape.map { .number(Double($0)) }),
                 "layers": .array(spec.layers.map { .object(ModelFile.fields(of: $0)) }),
                 "data": .string(data), "seed": .number(Double(seed)),
                 "weights": .array(weights.map { .array($0.map(JSONValue.number)) }),
                 "biases": .array(biases.map { .array($0.map(JSONValue.number)) })])
    }

    /// Reads a saved model, version 1 or 2.
    /// - Throws: `WorkbenchFailure.badInput` naming the file and what is wrong.
    public init(file: String) throws(WorkbenchFailure) {
        try self.init(text: try InputFile.text(file, limit: 200_000_000), file: file)
    }

    /// Reads saved-model text (`file` names it in messages).
    public init(text: String, file: String) throws(WorkbenchFailure) {
        func fail(_ reason: String) -> WorkbenchFailure { .badInput("not a saved model: \(reason)", at: SourceLocation(file: file)) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { throw fail("not a JSON object") }
        guard object["format"] as? String == Self.format else { throw fail("no \"format\": \"\(Self.format)\" (write one with backprop train --save)") }
        let version = object["version"] as? Int
        guard version == 1 || version == 2 else { throw fail("unknown version \(object["version"] ?? "none") (this backprop reads 1 and 2)") }
        guard let model = object["model"] as? String, let data = object["data"] as? String,
              let seed = (object["seed"] as? NSNumber)?.uint64Value else { throw fail("missing model, data or seed") }
        if version == 1 {
            guard let preset = ModelSpec.preset(named: model) else { throw fail("unknown model '\(model)'") }
            do { self.model = try ModelFile.check(preset) } catch { throw fail(error.description) }
        } else {
            guard let inputValue = object["input"], let layerValues = object["layers"] as? [Any] else { throw fail("missing 'input' or 'layers'") }
            let input: [Int]
            do { input = try ModelFile.shape(FieldValue(json: inputValue), key: "input") } catch { throw fail(error.message) }
            guard layerValues.count <= ModelFile.Limits.layers else { throw fail("more than \(ModelFile.Limits.layers) layers") }
            var layers: [any ModelSpec.Layer] = []
            for (index, value) in layerValues.enumerated() {
                guard let entry = value as? [String: Any] else { throw fail("layer \(index + 1) is not an object") }
                do { layers.append(try ModelFile.layer(entry.mapValues(FieldValue.init(json:)))) } catch {
                    throw fail("layer \(index + 1): \(error.message)")
                }
            }
            let spec = ModelSpec(name: model, inputShape: input, layers: layers)
            do { self.model = try ModelFile.check(spec) } catch { throw fail(error.description) }
        }
        func matrix(_ key: String) throws(WorkbenchFailure) -> [[Double]] {
            guard let rows = object[key] as? [[NSNumber]] else { throw fail("'\(key)' is not a list of lists of numbers") }
            let values = rows.map { $0.map(\.doubleValue) }
            // Training and evaluation compute in Float32: 1e308 would become infinity there.
            for (layer, row) in values.enumerated() {
                if let bad = row.firstIndex(where: { !Float($0).isFinite }) {
                    throw fail("'\(key)' of layer \(layer + 1), entry \(bad + 1): \(row[bad]) is not a finite Float32 number")
                }
            }
            return values
        }
        self.data = data; self.seed = seed
        self.weights = try matrix("weights")
        self.biases = try matrix("biases")
    }
}
