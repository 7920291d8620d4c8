import Foundation
import NeuralNetworks
import TOMLKit
import Support

/// A value of a layer's key, from a model file (TOML) or a saved model (JSON): one decoder serves both.
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

    /// From `JSONSerialization`: a whole number (written as 50 or 50.0) is an integer.
    init(json value: Any) {
        // JSONSerialization gives true and false as NSNumbers of type char ("c").
        func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }
        func integer(_ number: NSNumber) -> Int? {
            let double = number.doubleValue
            guard !isBoolean(number), double.rounded() == double, abs(double) < 1e15 else { return nil }
            return Int(double)
        }
        if let number = value as? NSNumber {
            self = integer(number).map(FieldValue.integer) ?? (isBoolean(number) ? .other("a boolean") : .number(number.doubleValue))
        } else if let string = value as? String { self = .string(string) }
        else if let array = value as? [Any] {
            let integers = array.compactMap { ($0 as? NSNumber).flatMap(integer) }
            self = integers.count == array.count ? .integers(integers) : .other("an array of something other than integers")
        } else { self = .other("a \(type(of: value))") }
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
}

extension ModelFile {
    /// Why one layer's keys do not make a layer: the key concerned (nil: the layer as a whole) and
    /// whether the message is about its value (point at the value) or the key itself.
    struct LayerProblem: Error {
        let key: String?
        let onValue: Bool
        let message: String
    }

    /// A layer from its keys: `type` and the keys that type takes (`ModelFile.layerKeys`).
    static func layer(_ fields: [String: FieldValue]) throws(LayerProblem) -> ModelSpec.Layer {
        guard let typeValue = fields["type"] else {
            throw LayerProblem(key: nil, onValue: false, message: "missing key 'type' (one of " + layerTypes.joined(separator: ", ") + ")")
        }
        guard case .string(let type) = typeValue else {
            throw LayerProblem(key: "type", onValue: true, message: "'type' must be a string, got \(typeValue.described)")
        }
        guard let keys = layerKeys.first(where: { $0.type == type }) else {
            throw LayerProblem(key: "type", onValue: true, message: "unknown layer type '\(type)'" + suggestion(for: type, among: layerTypes))
        }
        let allowed = ["type"] + keys.required + keys.optional
        for key in fields.keys.sorted() where !allowed.contains(key) {
            let hint = allowed.count > 1 ? suggestion(for: key, among: allowed) : "; a \(type) layer takes only 'type'"
            throw LayerProblem(key: key, onValue: false, message: "unknown key '\(key)' in a \(type) layer" + hint)
        }
        for key in keys.required where fields[key] == nil {
            throw LayerProblem(key: nil, onValue: false, message: "a \(type) layer needs '\(key)'")
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(LayerProblem) -> Int? {
            guard let value = fields[key] else { return nil }
            guard case .integer(let number) = value else {
                throw LayerProblem(key: key, onValue: true, message: "'\(key)' must be a whole number, got \(value.described)")
            }
            guard range.contains(number) else {
                throw LayerProblem(key: key, onValue: true, message: "'\(key)' is \(number); use \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        switch type {
        case "linear":
            return .linear(outputs: try integer("outputs", 1...Limits.outputs)!)
        case "conv2d":
            return .conv2d(filters: try integer("filters", 1...Limits.filters)!, kernel: try integer("kernel", 1...Limits.window)!,
                           stride: try integer("stride", 1...Limits.window) ?? 1, padding: try integer("padding", 0...Limits.window) ?? 0)
        case "max_pool2d":
            return .maxPool2d(size: try integer("size", 1...Limits.window)!, stride: try integer("stride", 1...Limits.window))
        case "avg_pool2d":
            return .avgPool2d(size: try integer("size", 1...Limits.window)!, stride: try integer("stride", 1...Limits.window))
        case "flatten":
            return .flatten
        case "dropout":
            let p: Double
            switch fields["p"] {
            case .integer(let value)?: p = Double(value)
            case .number(let value)?: p = value
            case let value?: throw LayerProblem(key: "p", onValue: true, message: "'p' must be a number, got \(value.described)")
            case nil: p = 0
            }
            guard p >= 0, p < 1 else { throw LayerProblem(key: "p", onValue: true, message: "'p' is \(p); a dropout probability is at least 0 and less than 1") }
            return .dropout(p)
        case "reshape":
            do { return .reshape(try shape(fields["shape"]!, key: "shape")) } catch {
                throw LayerProblem(key: "shape", onValue: true, message: error.message)
            }
        default:
            return .activation(type)
        }
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
    static func fields(of layer: ModelSpec.Layer) -> [String: JSONValue] {
        func number(_ value: Int) -> JSONValue { .number(Double(value)) }
        switch layer {
        case .linear(let outputs): return ["type": .string("linear"), "outputs": number(outputs)]
        case .conv2d(let filters, let kernel, let stride, let padding):
            return ["type": .string("conv2d"), "filters": number(filters), "kernel": number(kernel), "stride": number(stride), "padding": number(padding)]
        case .maxPool2d(let size, let stride), .avgPool2d(let size, let stride):
            var fields: [String: JSONValue] = ["type": .string(layer.isMaxPool ? "max_pool2d" : "avg_pool2d"), "size": number(size)]
            if let stride { fields["stride"] = number(stride) }
            return fields
        case .flatten: return ["type": .string("flatten")]
        case .dropout(let p): return ["type": .string("dropout"), "p": .number(p)]
        case .activation(let name): return ["type": .string(name)]
        case .reshape(let shape): return ["type": .string("reshape"), "shape": .array(shape.map(number))]
        }
    }
}

extension ModelSpec.Layer {
    fileprivate var isMaxPool: Bool { if case .maxPool2d = self { return true }; return false }
}
