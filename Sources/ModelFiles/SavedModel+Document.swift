extension SavedModel {
    /// A saved model's JSON as `JSONDecoder` reads it: each field checked for its kind where it is
    /// read, a wrong one a `Problem` that names the field (and the layer and entry) and what it must
    /// be. What the values mean (a layer's bounds, the model's sizes, weights that fit Float32) is
    /// checked by `SavedModel.init(text:file:)` from here.
    ///
    /// `JSONDecoder` reads a number with correct rounding, so a weight written in its shortest exact
    /// form reads back bit for bit. Foundation's untyped reader (NSNumbers), used before, lost the
    /// last bit of about two weights in three (`SavedModelTests`).
    struct Document: Decodable {
        let version: Int
        let model: String, data: String
        let seed: UInt64
        /// Version 2's architecture, as written (nil in version 1, which names a preset in `model`).
        let input: FieldValue?, layers: [[String: FieldValue]]?
        let weights: [[Double]], biases: [[Double]]

        enum Key: String, CodingKey { case format, version, model, data, seed, input, layers, weights, biases }

        init(from decoder: any Decoder) throws {
            guard let fields = try? decoder.container(keyedBy: Key.self) else { throw Problem("not a JSON object") }
            guard (try? fields.decode(String.self, forKey: .format)) == SavedModel.format else {
                throw Problem("no \"format\": \"\(SavedModel.format)\" (write one with backprop train --save)")
            }
            version = try Self.version(fields)
            model = try Self.string(fields, .model)
            data = try Self.string(fields, .data)
            seed = try Self.seed(fields)
            if version == 1 {
                input = nil; layers = nil
            } else {
                guard fields.contains(.input) else { throw Problem("missing 'input'") }
                input = try fields.decode(FieldValue.self, forKey: .input)
                layers = try Self.layers(fields)
            }
            weights = try Self.matrix(fields, .weights)
            biases = try Self.matrix(fields, .biases)
        }

        /// What a field holds, for a message; "nothing" when it is absent.
        private static func found(_ fields: KeyedDecodingContainer<Key>, _ key: Key) -> String {
            (try? fields.decode(FieldValue.self, forKey: key))?.shown ?? "nothing"
        }

        private static func version(_ fields: KeyedDecodingContainer<Key>) throws -> Int {
            guard fields.contains(.version) else { throw Problem("no 'version' (this backprop reads 1 and 2)") }
            guard let version = try? fields.decode(Int.self, forKey: .version), version == 1 || version == 2 else {
                throw Problem("unknown version \(found(fields, .version)) (this backprop reads 1 and 2)")
            }
            return version
        }

        private static func string(_ fields: KeyedDecodingContainer<Key>, _ key: Key) throws -> String {
            guard fields.contains(key) else { throw Problem("missing '\(key.rawValue)'") }
            guard let text = try? fields.decode(String.self, forKey: key) else {
                throw Problem("'\(key.rawValue)' must be a string, got \(found(fields, key))")
            }
            return text
        }

        /// The seed: a whole number a `UInt64` holds, read from its digits exactly.
        private static func seed(_ fields: KeyedDecodingContainer<Key>) throws -> UInt64 {
            guard fields.contains(.seed) else { throw Problem("missing 'seed'") }
            if let seed = try? fields.decode(UInt64.self, forKey: .seed) { return seed }
            throw Problem("'seed' must be a whole number from 0 to \(UInt64.max), got \(found(fields, .seed))")
        }

        private static func layers(_ fields: KeyedDecodingContainer<Key>) throws -> [[String: FieldValue]] {
            guard fields.contains(.layers) else { throw Problem("missing 'layers'") }
            guard var list = try? fields.nestedUnkeyedContainer(forKey: .layers) else {
                throw Problem("'layers' must be an array of objects, got \(found(fields, .layers))")
            }
            guard (list.count ?? 0) <= ModelFile.Limits.layers else { throw Problem("more than \(ModelFile.Limits.layers) layers") }
            var layers: [[String: FieldValue]] = []
            while !list.isAtEnd {
                // A failed decode does not move on: the loop ends at the throw.
                guard let layer = try? list.decode([String: FieldValue].self) else { throw Problem("layer \(list.currentIndex + 1) is not an object") }
                layers.append(layer)
            }
            return layers
        }

        /// `weights` or `biases`: one list of numbers per trainable layer. Read at once when it is
        /// well formed; otherwise walked to name the first entry that is not a number.
        private static func matrix(_ fields: KeyedDecodingContainer<Key>, _ key: Key) throws -> [[Double]] {
            if let rows = try? fields.decode([[Double]].self, forKey: key) { return rows }
            let name = "'\(key.rawValue)'"
            guard fields.contains(key) else { throw Problem("missing \(name)") }
            guard var rows = try? fields.nestedUnkeyedContainer(forKey: key) else {
                throw Problem("\(name) must be a list of lists of numbers, got \(found(fields, key))")
            }
            while !rows.isAtEnd {
                let layer = rows.currentIndex + 1
                guard var row = try? rows.nestedUnkeyedContainer() else {
                    let value = (try? rows.decode(FieldValue.self))?.shown ?? "something else"
                    throw Problem("\(name) of layer \(layer) must be a list of numbers, got \(value)")
                }
                while !row.isAtEnd {
                    let entry = row.currentIndex + 1
                    guard (try? row.decode(Double.self)) != nil else {
                        let value = (try? row.decode(FieldValue.self))?.shown ?? "something else"
                        throw Problem("\(name) of layer \(layer), entry \(entry) must be a number, got \(value)")
                    }
                }
            }
            // Every entry read as a number one by one: the whole cannot have failed as a whole.
            throw Problem("\(name) is not a list of lists of numbers")
        }
    }

    /// Why a document is not a saved model: the reason, shown after "not a saved model: ".
    struct Problem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
