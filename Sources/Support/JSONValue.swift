import Foundation
import Autograd

/// A JSON document built in memory and written deterministically: keys sorted, numbers through
/// `TraceFormat.number`, so the same trace always gives the same bytes.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A tensor as a number (scalar) or nested arrays; NaN and infinities become null.
    public static func tensor(_ value: Tensor) -> JSONValue {
        func number(_ x: Double) -> JSONValue { x.isFinite ? .number(x) : .null }
        if value.isScalar { return number(value.scalar) }
        let strides = Tensor.strides(of: value.shape)
        func nest(_ axis: Int, _ offset: Int) -> JSONValue {
            .array((0..<value.shape[axis]).map { i in
                axis == value.rank - 1 ? number(value.storage[offset + i]) : nest(axis + 1, offset + i * strides[axis])
            })
        }
        return value.count == 0 ? .array([]) : nest(0, 0)
    }

    /// The document as text, pretty-printed with two-space indentation and sorted keys.
    public func serialized(indent: Int = 0) -> String {
        let padding = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value): return value.isFinite ? TraceFormat.number(value) : "null"
        case .string(let value): return JSONValue.quote(value)
        case .array(let items):
            if items.isEmpty { return "[]" }
            // Arrays of plain numbers stay on one line: tensors read as they are written.
            if items.allSatisfy({ if case .number = $0 { return true }; if case .null = $0 { return true }; return false }) {
                return "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { padding + $0.serialized(indent: indent + 1) }.joined(separator: ",\n") + "\n" + closing + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            return "{\n" + members.keys.sorted().map { key in
                padding + JSONValue.quote(key) + ": " + (members[key] ?? .null).serialized(indent: indent + 1)
            }.joined(separator: ",\n") + "\n" + closing + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 { result += String(format: "\\u%04x", scalar.value) } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }
}
