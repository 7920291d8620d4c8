import NeuralNetworks
import TOMLKit
import Support

/// A value of a layer's key, from a model file (TOML) or a saved model (JSON, `Decodable`): one
/// reader of layers serves both.
enum FieldValue: Sendable, Equatable {
    case integer(Int)
    case number(Double)
    case string(String)
    case integers([Int])
    /// Anything else, described for a message ("a boolean", "an array of strings").
    case other(String)

    init(_ value: any TOMLValueConvertible) {
        if let int = value.int { self = .integer(int) }
        else if let double = value.double { self = .number(double) }
        else if let string = value.string { self = .string(string) }
        else if let array = value.array {
            let integers = array.compactMap(\.int)
            self = integers.count == array.count ? .integers(integers) : .other("an array of something other than integers")
        } else { self = .other(ModelFile.describe(value.tomlValue.type)) }
    }

    var described: String {
        switch self {
        case .integer: "an integer"
        case .number: "a decimal number"
        case .string: "a string"
        case .integers: "an array"
        case .other(let description): description
        }
    }

    /// The value as a message shows what was found: a number as written, anything else described.
    var shown: String {
        switch self {
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        default: described
        }
    }
}

extension FieldValue: Decodable {
    /// From JSON (a saved model): a whole number that an `Int` holds exactly (written as 50, 50.0 or
    /// 5e1) is an integer. Never throws: a value of another kind is `.other`, described for a message.
    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { self = .other("null") }
        else if (try? value.decode(Bool.self)) != nil { self = .other("a boolean") }
        else if let integer = try? value.decode(Int.self) { self = .integer(integer) }
        else if let number = try? value.decode(Double.self) { self = .number(number) }
        else if let string = try? value.decode(String.self) { self = .string(string) }
        else if let array = try? value.decode([FieldValue].self) {
            let integers = array.compactMap { if case .integer(let value) = $0 { value } else { nil } }
            self = integers.count == array.count ? .integers(integers) : .other("an array of something other than integers")
        } else if (try? value.decode([String: FieldValue].self)) != nil { self = .other("an object") }
        // What is left is a number that `JSONDecoder` reads as neither (1e400, 1e-400).
        else { self = .other("a number beyond a Double's range") }
    }
}

extension ModelFile {
    /// Why one layer's keys do not make a layer: the key concerned (nil: the layer as a whole) and
    /// whether the message is about its value (point at the value) or the key itself.
    struct LayerProblem: Error {
        let key: String?
        let onValue: Bool
        let message: String
    }

    /// A layer from its keys: `type` and the keys that type takes (`ModelFile.layerTable`).
    static func layer(_ fields: [String: FieldValue]) throws(LayerProblem) -> any ModelSpec.Layer {
        guard let typeValue = fields["type"] else {
            throw LayerProblem(key: nil, onValue: false, message: "missing key 'type' (one of " + layerTypes.joined(separator: ", ") + ")")
        }
        guard case .string(let type) = typeValue else {
            throw LayerProblem(key: "type", onValue: true, message: "'type' must be a string, got \(typeValue.described)")
        }
        if let why = untrainable[type] {
            throw LayerProblem(key: "type", onValue: true, message: "'\(type)' cannot be trained here: " + why)
        }
        guard let entry = layerTable.first(where: { $0.type == type }) else {
            throw LayerProblem(key: "type", onValue: true, message: "unknown layer type '\(type)'" + suggestion(for: type, among: layerTypes))
        }
        let allowed = ["type"] + entry.required + entry.optional
        for key in fields.keys.sorted() where !allowed.contains(key) {
            let hint = allowed.count > 1 ? suggestion(for: key, among: allowed) : "; a \(type) layer takes only 'type'"
            throw LayerProblem(key: key, onValue: false, message: "unknown key '\(key)' in a \(type) layer" + hint)
        }
        for key in entry.required where fields[key] == nil {
            throw LayerProblem(key: nil, onValue: false, message: "a \(type) layer needs '\(key)'")
        }
        return try entry.read(LayerFields(values: fields))
    }

    /// A shape: 1 to 3 whole numbers, each from 1 to `Limits.elements`.
    struct ShapeProblem: Error { let message: String }
    static func shape(_ value: FieldValue, key: String) throws(ShapeProblem) -> [Int] {
        guard case .integers(let shape) = value else {
            throw ShapeProblem(message: "'\(key)' must be an array of whole numbers such as [1, 28, 28], got \(value.described)")
        }
        guard (1...3).contains(shape.count), shape.allSatisfy({ (1...Limits.elements).contains($0) }) else {
            throw ShapeProblem(message: "'\(key)' must have 1 to 3 sizes (a vector, or channels, height, width), each 1 to \(Limits.elements); got \(shape)")
        }
        return shape
    }

    /// A layer as keys, the way a model file writes it (and a saved model stores it).
    static func fields(of layer: any ModelSpec.Layer) -> [String: JSONValue] {
        for entry in layerTable {
            if var fields = entry.write(layer) {
                fields["type"] = .string(entry.type)
                return fields
            }
        }
        preconditionFailure("every layer type has a row in ModelFile.layerTable: \(layer.typeName)")
    }
}

/// One layer's keys as read, with the checks every row of `ModelFile.layerTable` uses.
struct LayerFields {
    let values: [String: FieldValue]

    /// A whole number in `range`, or nil when the key is absent.
    func integer(_ key: String, _ range: ClosedRange<Int>) throws(ModelFile.LayerProblem) -> Int? {
        guard let value = values[key] else { return nil }
        guard case .integer(let number) = value else {
            throw ModelFile.LayerProblem(key: key, onValue: true, message: "'\(key)' must be a whole number, got \(value.described)")
        }
        guard range.contains(number) else {
            throw ModelFile.LayerProblem(key: key, onValue: true, message: "'\(key)' is \(number); use \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A probability in [0, 1) (0 when the key is absent).
    func probability(_ key: String) throws(ModelFile.LayerProblem) -> Double {
        let p: Double
        switch values[key] {
        case .integer(let value)?: p = Double(value)
        case .number(let value)?: p = value
        case let value?: throw ModelFile.LayerProblem(key: key, onValue: true, message: "'\(key)' must be a number, got \(value.described)")
        case nil: p = 0
        }
        guard p >= 0, p < 1 else { throw ModelFile.LayerProblem(key: key, onValue: true, message: "'\(key)' is \(p); a dropout probability is at least 0 and less than 1") }
        return p
    }

    /// A shape (`ModelFile.shape`).
    func shape(_ key: String) throws(ModelFile.LayerProblem) -> [Int] {
        do { return try ModelFile.shape(values[key]!, key: key) } catch {
            throw ModelFile.LayerProblem(key: key, onValue: true, message: error.message)
        }
    }
}

/// `.number` of a whole number, for writing a layer's keys.
private func number(_ value: Int) -> JSONValue { .number(Double(value)) }

// MARK: - The table: one row per layer type

extension ModelFile {
    /// One layer type of the format: its `type`, its keys, how it is read and how it is written back.
    struct LayerEntry: Sendable {
        let type: String
        let required: [String], optional: [String]
        let read: @Sendable (LayerFields) throws(LayerProblem) -> any ModelSpec.Layer
        /// The layer's keys (without `type`) when it is this row's, else nil.
        let write: @Sendable (any ModelSpec.Layer) -> [String: JSONValue]?
    }

    /// Every layer type, in the order docs/models.md lists them. A new layer is one row here.
    static let layerTable: [LayerEntry] = [
        LayerEntry(type: "linear", required: ["outputs"], optional: [],
                   read: { f throws(LayerProblem) in ModelSpec.Linear(outputs: try f.integer("outputs", 1...Limits.outputs)!) },
                   write: { ($0 as? ModelSpec.Linear).map { ["outputs": number($0.outputs)] } }),
        LayerEntry(type: "conv2d", required: ["filters", "kernel"], optional: ["stride", "padding"],
                   read: { f throws(LayerProblem) in
                       ModelSpec.Conv2d(filters: try f.integer("filters", 1...Limits.filters)!, kernel: try f.integer("kernel", 1...Limits.window)!,
                                        stride: try f.integer("stride", 1...Limits.window) ?? 1, padding: try f.integer("padding", 0...Limits.window) ?? 0)
                   },
                   write: { ($0 as? ModelSpec.Conv2d).map { ["filters": number($0.filters), "kernel": number($0.kernel), "stride": number($0.stride), "padding": number($0.padding)] } }),
        LayerEntry(type: "max_pool2d", required: ["size"], optional: ["stride"],
                   read: { f throws(LayerProblem) in ModelSpec.MaxPool2d(size: try f.integer("size", 1...Limits.window)!, stride: try f.integer("stride", 1...Limits.window)) },
                   write: { ($0 as? ModelSpec.MaxPool2d).map { pool(pool: $0.size, $0.stride) } }),
        LayerEntry(type: "avg_pool2d", required: ["size"], optional: ["stride"],
                   read: { f throws(LayerProblem) in ModelSpec.AvgPool2d(size: try f.integer("size", 1...Limits.window)!, stride: try f.integer("stride", 1...Limits.window)) },
                   write: { ($0 as? ModelSpec.AvgPool2d).map { pool(pool: $0.size, $0.stride) } }),
        LayerEntry(type: "flatten", required: [], optional: [],
                   read: { _ throws(LayerProblem) in ModelSpec.Flatten() },
                   write: { $0 is ModelSpec.Flatten ? [:] : nil }),
        LayerEntry(type: "dropout", required: ["p"], optional: [],
                   read: { f throws(LayerProblem) in ModelSpec.Dropout(try f.probability("p")) },
                   write: { ($0 as? ModelSpec.Dropout).map { ["p": .number($0.p)] } }),
        LayerEntry(type: "dropout2d", required: ["p"], optional: [],
                   read: { f throws(LayerProblem) in ModelSpec.Dropout2d(try f.probability("p")) },
                   write: { ($0 as? ModelSpec.Dropout2d).map { ["p": .number($0.p)] } }),
        LayerEntry(type: "reshape", required: ["shape"], optional: [],
                   read: { f throws(LayerProblem) in ModelSpec.Reshape(try f.shape("shape")) },
                   write: { ($0 as? ModelSpec.Reshape).map { ["shape": .array($0.shape.map(number))] } }),
    ] + ModelSpec.Activation.allCases.map { activation in
        LayerEntry(type: activation.rawValue, required: [], optional: [],
                   read: { _ throws(LayerProblem) in activation },
                   write: { ($0 as? ModelSpec.Activation) == activation ? [:] : nil })
    }

    /// Activations other frameworks have that the workbench does not train, and what to write instead:
    /// refused where the file names them, not shown in a summary and refused later.
    static let untrainable = [
        "softmax": "end the model in a linear layer (cross-entropy applies log_softmax, as PyTorch's CrossEntropyLoss does) or in log_softmax",
        "leaky_relu": "use relu, tanh or sigmoid",
    ]

    /// The layer types, in the order docs/models.md lists them.
    public static var layerTypes: [String] { layerTable.map(\.type) }
    /// The activations, written as a layer's type.
    public static var activations: [String] { ModelSpec.Activation.allCases.map(\.rawValue) }
}

/// A pooling's keys: its window and, when not the window, its stride.
private func pool(pool size: Int, _ stride: Int?) -> [String: JSONValue] {
    var fields = ["size": number(size)]
    if let stride { fields["stride"] = number(stride) }
    return fields
}
