import Foundation
@testable import Support
import Autograd
import Testing

/// The byte-buffer writer of `JSONValue` against the string-building printer it replaced: the same
/// bytes for every document (the goldens of `trace --json` and `POST /api/trace` rely on it).
@Suite("JSONValue's text")
struct JSONValueTests {
    /// The printer as it was before the writer (commit fef97b3), kept here as the reference.
    static func reference(_ value: JSONValue, indent: Int = 0) -> String {
        let padding = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch value {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value): return value.isFinite ? TraceFormat.number(value) : "null"
        case .string(let value): return quote(value)
        case .written(let bytes): return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\n" + closing)
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({ if case .number = $0 { return true }; if case .null = $0 { return true }; return false }) {
                return "[" + items.map { reference($0) }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { padding + reference($0, indent: indent + 1) }.joined(separator: ",\n") + "\n" + closing + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            return "{\n" + members.keys.sorted().map { key in
                padding + quote(key) + ": " + reference(members[key] ?? .null, indent: indent + 1)
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
                if TerminalText.needsEscape(scalar) {
                    for unit in String(scalar).utf16 { result += String(format: "\\u%04x", unit) }
                } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }

    /// Strings with every kind of character the writer treats apart.
    static let strings = [
        "", "plain", "q = x + y", "say \"hi\"", "back\\slash", "line\nbreak\r\n\ttab", "\u{0}\u{1}\u{1F}\u{7F}",
        "\u{80}\u{9F}\u{A0}\u{AD}é×÷ÿ", "∂f/∂x = −4 · z", "⊗∀∃∑√∞≈≠≤≥", "\u{202E}evil\u{202C}", "\u{2028}\u{2029}",
        "\u{E000}private", "emoji 🧠 and 😀", "ελληνικά 中文 العربية", "\u{FEFF}bom", "a\u{0301}",
    ]

    static var document: JSONValue {
        .object([
            "strings": .array(strings.map(JSONValue.string)),
            "numbers": .array([.number(0), .number(-0.0), .number(1), .number(-4), .number(0.1), .number(1e-8), .number(2.5e300),
                               .number(9_007_199_254_740_992), .number(9_007_199_254_740_994), .number(-123456789.25),
                               .number(.nan), .number(.infinity), .null]),
            "mixed": .array([.number(1), .string("a"), .null, .bool(true), .array([]), .object([:])]),
            "nested": .array([.array([.number(1), .number(2)]), .array([.array([.number(3)])])]),
            "empty": .object([:]), "none": .array([]), "flag": .bool(false), "nothing": .null,
            "keys": .object(Dictionary(uniqueKeysWithValues: strings.enumerated().map { ($1, JSONValue.number(Double($0))) })),
            "tensor": .tensor(Tensor(shape: [2, 3], storage: [1, -2.5, .nan, 0, 1e-300, .infinity])),
            "scalar": .tensor(Tensor(scalar: 3)),
        ])
    }

    @Test("the writer gives the reference printer's bytes, at every indentation")
    func sameBytes() {
        for indent in 0...3 {
            let expected = Self.reference(Self.document, indent: indent)
            #expect(Self.document.serialized(indent: indent) == expected)
            #expect(Self.document.utf8(indent: indent) == Array(expected.utf8))
        }
        for text in Self.strings { #expect(JSONValue.quote(text) == Self.quote(text), "\(text.unicodeScalars.map(\.value))") }
    }

    @Test("every scalar the writer copies without a look at Unicode's tables is one needsEscape lets through")
    func fastPathsAgree() {
        for value in UInt32(0x20)..<0x3000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(JSONValue.quote(String(Character(scalar))) == Self.quote(String(Character(scalar))), "U+\(String(value, radix: 16))")
        }
    }

    @Test("writing appends to what the buffer holds")
    func appends() {
        var output = Array("x".utf8)
        JSONValue.array([.number(1), .string("é")]).write(into: &output)
        #expect(String(decoding: output, as: UTF8.self) == "x[\n  1,\n  \"é\"\n]")
    }
}
