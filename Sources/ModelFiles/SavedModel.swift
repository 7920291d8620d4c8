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

    /// The document, version 2, for the project's JSON writer (`JSONValue`: sorted keys, each number
    /// in its shortest exact form). The seed is written as its exact digits: as a Double, a seed over
    /// 2^53 lost its last bits.
    public func json() -> JSONValue {
        .object(["format": .string(Self.format), "version": .number(Double(Self.version)), "model": .string(spec.name),
                 "input": .array(spec.inputShape.map { .number(Double($0)) }),
                 "layers": .array(spec.layers.map { .object(ModelFile.fields(of: $0)) }),
                 "data": .string(data), "seed": .written(Array(String(seed).utf8)),
                 "weights": .array(weights.map { .array($0.map(JSONValue.number)) }),
                 "biases": .array(biases.map { .array($0.map(JSONValue.number)) })])
    }

    /// Reads a saved model, version 1 or 2.
    /// - Throws: `WorkbenchFailure.badInput` naming the file and what is wrong.
    public init(file: String) throws(WorkbenchFailure) {
        try self.init(text: try InputFile.text(file, limit: 200_000_000), file: file)
    }

    /// Reads saved-model text (`file` names it in messages): `Document` checks each field's kind,
    /// then the layers are checked as a model file's are and every weight must fit Float32.
    public init(text: String, file: String) throws(WorkbenchFailure) {
        func fail(_ reason: String) -> WorkbenchFailure { .badInput("not a saved model: \(reason)", at: SourceLocation(file: file)) }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: Data(text.utf8)) }
        catch let problem as Problem { throw fail(problem.reason) }
        // `JSONDecoder` says no more than this of a syntax error: no line, no column.
        catch { throw fail("not valid JSON") }
        if document.version == 1 {
            guard let preset = ModelSpec.preset(named: document.model) else { throw fail("unknown model '\(document.model)'") }
            do { self.model = try ModelFile.check(preset) } catch { throw fail(error.description) }
        } else {
            let input: [Int]
            do { input = try ModelFile.shape(document.input!, key: "input") } catch { throw fail(error.message) }
            var layers: [any ModelSpec.Layer] = []
            for (index, entry) in (document.layers ?? []).enumerated() {
                do { layers.append(try ModelFile.layer(entry)) } catch { throw fail("layer \(index + 1): \(error.message)") }
            }
            let spec = ModelSpec(name: document.model, inputShape: input, layers: layers)
            do { self.model = try ModelFile.check(spec) } catch { throw fail(error.description) }
        }
        // Training and evaluation compute in Float32: 1e308 would become infinity there.
        for (key, matrix) in [("weights", document.weights), ("biases", document.biases)] {
            for (layer, row) in matrix.enumerated() {
                if let bad = row.firstIndex(where: { !Float($0).isFinite }) {
                    throw fail("'\(key)' of layer \(layer + 1), entry \(bad + 1): \(row[bad]) is not a finite Float32 number")
                }
            }
        }
        self.data = document.data; self.seed = document.seed
        self.weights = document.weights; self.biases = document.biases
    }
}
