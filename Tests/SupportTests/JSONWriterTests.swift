import Autograd
@testable import Support
import Testing

/// `JSONWriter` against `JSONValue`'s writer: the same document, written either way, is the same bytes.
@Suite("JSONWriter")
struct JSONWriterTests {
    /// Writes a tree through the writer's calls (keys sorted, as the writer's callers must).
    static func stream(_ value: JSONValue, into json: inout JSONWriter) {
        switch value {
        case .null: json.null()
        case .bool(let flag): json.bool(flag)
        case .number(let number): json.number(number)
        case .string(let text): json.string(text)
        case .written: json.value(value)
        case .array(let items):
            if !items.isEmpty && items.allSatisfy({ if case .number = $0 { return true }; if case .null = $0 { return true }; return false }) {
                json.value(value)   // one line of numbers: `numbers` and `tensor` write these
                return
            }
            json.beginArray()
            for item in items { json.element(); stream(item, into: &json) }
            json.endArray()
        case .object(let members):
            json.beginObject()
            for (key, member) in members.sorted(by: { $0.key < $1.key }) { json.key(text: key); stream(member, into: &json) }
            json.endObject()
        }
    }

    static let tensors: [Tensor] = [
        Tensor(scalar: -4), Tensor(scalar: .nan), Tensor(shape: [0], storage: []), Tensor(shape: [2, 0], storage: []),
        Tensor(shape: [3], storage: [1, 0.5, -0.0]), Tensor(shape: [1], storage: [.infinity]),
        Tensor(shape: [2, 3], storage: [1, -2.5, .nan, 0, 1e-300, 7]), Tensor(shape: [2, 1, 2], storage: [1, 2, 3, 4]),
        Tensor(shape: [1, 1, 1, 2], storage: [0.1, 0.2]),
    ]

    @Test("objects, arrays, strings and numbers come out as JSONValue writes them")
    func sameAsTree() {
        let document = JSONValueTests.document
        var json = JSONWriter()
        Self.stream(document, into: &json)
        #expect(String(decoding: json.bytes, as: UTF8.self) == document.serialized())
    }

    @Test("tensors come out as JSONValue.tensor writes them, nested in an object")
    func tensorsAsTree() {
        for tensor in Self.tensors {
            var json = JSONWriter()
            json.beginObject(); json.key("t"); json.tensor(tensor); json.endObject()
            #expect(String(decoding: json.bytes, as: UTF8.self) == JSONValue.object(["t": .tensor(tensor)]).serialized(), "\(tensor.shape)")
        }
    }

    @Test("whole numbers are written without a String, as TraceFormat.number writes them")
    func integers() {
        for value in [0, -0.0, 1, 9, 10, -10, 99, 100, -123_456_789, 9_007_199_254_740_992, -9_007_199_254_740_992, 9_007_199_254_740_994, 0.5, -0.1, 1e-8, 2.5e300, 1e300, -123_456_789.25, 0.46211715726000974, .pi, 5e-324] {
            var bytes: [UInt8] = []
            JSONValue.writeNumber(value, into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == TraceFormat.number(value), "\(value)")
        }
        for value in [Int64.min, Int64.max, -1, 0, 7] {
            var bytes: [UInt8] = []
            JSONValue.writeInteger(value, into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(value))
        }
    }

    @Test("fractions are written as TraceFormat.number writes them, on 20,000 values of every range")
    func fractions() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0.1, -0.3, 1e-7, 1e16, 1.5e16, 123456789012345.6, 5e-324, 2.2250738585072014e-308, .greatestFiniteMagnitude, -.leastNormalMagnitude]
        for _ in 0..<10_000 { values.append(Double(bitPattern: generator.next())) }                 // every exponent, subnormals, NaNs
        for _ in 0..<10_000 { values.append(Double.random(in: -1...1, using: &generator) * 1e-6) }  // gradients of a deep chain
        for value in values {
            var bytes: [UInt8] = []
            JSONValue.writeNumber(value, into: &bytes)
            let expected = value.isFinite ? TraceFormat.number(value) : "null"
            if String(decoding: bytes, as: UTF8.self) != expected { Issue.record("\(value.bitPattern): \(expected)"); return }
            // Fractions are the standard library's `description`, byte for byte.
            if value.isFinite && value != value.rounded() && String(decoding: bytes, as: UTF8.self) != value.description {
                Issue.record("\(value.bitPattern): \(value.description)"); return
            }
        }
    }

    @Test("fractions written again (the writer copies their earlier text) come out as the tree writes them")
    func repeatedFractions() {
        // 3,000 distinct fractions, more than the cache has slots, each written three times in a
        // shuffled order, as tensors and as single numbers, with whole numbers and NaN between.
        var generator = SystemRandomNumberGenerator()
        let distinct = (0..<3_000).map { _ in Double.random(in: -1e3...1e3, using: &generator) / 7 }
        let values = (distinct + distinct + distinct + [1, -0.0, .nan, 2.5, .infinity]).shuffled(using: &generator)
        var json = JSONWriter()
        json.beginObject()
        json.key("each"); json.beginArray()
        for value in values { json.element(); json.beginObject(); json.key("v"); json.number(value); json.endObject() }
        json.endArray()
        json.key("tensor"); json.tensor(Tensor(shape: [values.count], storage: values))
        json.endObject()
        let tree = JSONValue.object(["each": .array(values.map { .object(["v": $0.isFinite ? .number($0) : .null]) }), "tensor": .tensor(Tensor(shape: [values.count], storage: values))])
        #expect(String(decoding: json.bytes, as: UTF8.self) == tree.serialized())
    }

    @Test("containers nested deeper than the writer's 64 bits of flags come out as the tree writes them")
    func deepNesting() {
        for depth in [63, 64, 65, 130] {
            var value = JSONValue.array([.string("leaf"), .object(["k": .null, "l": .string("v")])])
            for level in 0..<depth { value = level % 2 == 0 ? .array([value, .bool(true)]) : .object(["a": value, "b": .null]) }
            var json = JSONWriter()
            Self.stream(value, into: &json)
            #expect(String(decoding: json.bytes, as: UTF8.self) == value.serialized(), "depth \(depth)")
        }
    }

    @Test("strings mixing ∂ and other plain letters with characters that need escapes are written as the tree writes them")
    func mixedStrings() {
        let texts = ["∂f/∂x = σ(x)·(1 − σ(x))", "∂n6/∂h1 = w", "x²ᵀ", "∂a\u{202E}b", "é\u{85}", "\u{1F600} ∂", "\"∂\\", "∂\n∂", "a\u{AD}∂"]
        for text in texts {
            var json = JSONWriter()
            json.beginArray(); json.element(); json.string(text); json.endArray()
            #expect(String(decoding: json.bytes, as: UTF8.self) == JSONValue.array([.string(text)]).serialized(), "\(text.unicodeScalars.map(\.value))")
            #expect(JSONValue.quote(text) == JSONValueTests.quote(text), "\(text.unicodeScalars.map(\.value))")
        }
    }

    @Test("a string written in parts (an edge's statement) is the whole string escaped, wherever the parts split it")
    func stringInParts() {
        let texts = ["∂f/∂x = σ(x)·(1 − σ(x))", "∂a\u{202E}b = \"q\"\\", "é\u{85}\n∂\u{1F600}", "a\u{AD}∂\t"]
        for text in texts {
            let scalars = Array(text.unicodeScalars)
            // Every split into three parts at scalar boundaries.
            for first in 0...scalars.count {
                for second in first...scalars.count {
                    let parts = [scalars[..<first], scalars[first..<second], scalars[second...]].map { String(String.UnicodeScalarView($0)) }
                    var json = JSONWriter()
                    json.beginArray(); json.element()
                    json.beginString(); for part in parts { json.stringPart(part) }; json.endString()
                    json.endArray()
                    #expect(String(decoding: json.bytes, as: UTF8.self) == JSONValue.array([.string(text)]).serialized(), "\(parts)")
                }
            }
        }
        var json = JSONWriter()
        json.beginString(); json.stringPart(literal: "∂"); json.stringPart("n10"); json.stringPart(literal: "/∂")
        json.stringPart("x\""); json.stringPart(literal: " = "); json.stringPart("w"); json.endString()
        #expect(String(decoding: json.bytes, as: UTF8.self) == JSONValue.string("∂n10/∂x\" = w").serialized())
    }

    @Test("a written document nested in a tree is indented to its place")
    func writtenNested() {
        let inner = JSONValue.object(["a": .array([.number(1), .string("x")]), "b": .tensor(Tensor(shape: [2, 1], storage: [1, 2]))])
        let outer = { (value: JSONValue) in JSONValue.object(["inner": .array([value]), "z": .null]) }
        for indent in 0...2 {
            #expect(outer(.written(inner.utf8())).serialized(indent: indent) == outer(inner).serialized(indent: indent))
        }
    }
}
