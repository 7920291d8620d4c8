import Autograd

/// Writes JSON straight into bytes, formatted exactly as `JSONValue.write` formats a tree (two-space
/// indentation, arrays of plain numbers on one line), for documents too large or too frequent to
/// build as a tree first: `POST /api/trace` of a 100-node program spent 40% of the server's CPU
/// building and writing the `JSONValue` tree (perf, docs/performance.md).
///
/// The caller writes an object's keys in sorted order, as `JSONValue` sorts them; the tests compare
/// the two byte for byte.
///
/// ```swift
/// var json = JSONWriter()
/// json.beginObject()
/// json.key("id"); json.number(3)
/// json.key("shape"); json.numbers([2, 3])
/// json.endObject()          // {\n  "id": 3,\n  "shape": [2, 3]\n}
/// ```
public struct JSONWriter {
    /// The document so far.
    public private(set) var bytes: [UInt8] = []
    /// The indentation of the members of the innermost open container.
    private var level = 0
    /// For each open container, whether it has a member yet.
    private var started: [Bool] = []

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    /// An array written one element per line (elements start with `element()`).
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Starts the member `name` of the open object; its value comes next. A name written in the
    /// code, copied as it is: it must need no escaping.
    public mutating func key(_ name: StaticString) {
        element()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Self.keyEnd)
    }

    private static let keyEnd: [UInt8] = Array("\": ".utf8)

    /// Starts the member `name` (any text, escaped) of the open object.
    public mutating func key(text name: String) {
        element()
        JSONValue.writeQuoted(name, into: &bytes)
        bytes.append(UInt8(ascii: ":")); bytes.append(UInt8(ascii: " "))
    }

    /// Starts the next element of the open array.
    public mutating func element() {
        let last = started.count - 1
        if started[last] { bytes.append(UInt8(ascii: ",")) } else { started[last] = true }
        bytes.append(UInt8(ascii: "\n"))
        JSONValue.pad(level, into: &bytes)
    }

    public mutating func null() { bytes.append(contentsOf: "null".utf8) }
    public mutating func bool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    /// A number as `TraceFormat.number` writes it; NaN and infinities as null.
    public mutating func number(_ value: Double) { JSONValue.writeNumber(value, into: &bytes) }
    public mutating func number(_ value: Int) { JSONValue.writeInteger(Int64(value), into: &bytes) }
    public mutating func string(_ value: String) { JSONValue.writeQuoted(value, into: &bytes) }
    /// Whole numbers on one line: `[1, 2]`, or `[]`.
    public mutating func numbers(_ values: [Int]) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")); bytes.append(UInt8(ascii: " ")) }
            JSONValue.writeInteger(Int64(value), into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A tensor as `JSONValue.tensor` makes it: a number, or nested arrays with the innermost on one line.
    public mutating func tensor(_ value: Tensor) {
        if value.isScalar { number(value.scalar); return }
        if value.count == 0 { bytes.append(contentsOf: "[]".utf8); return }
        let strides = Tensor.strides(of: value.shape)
        value.storage.withUnsafeBufferPointer { storage in
            func nest(_ axis: Int, _ offset: Int) {
                if axis == value.rank - 1 {
                    bytes.append(UInt8(ascii: "["))
                    for i in 0..<value.shape[axis] {
                        if i > 0 { bytes.append(UInt8(ascii: ",")); bytes.append(UInt8(ascii: " ")) }
                        JSONValue.writeNumber(storage[offset + i], into: &bytes)
                    }
                    bytes.append(UInt8(ascii: "]"))
                    return
                }
                beginArray()
                for i in 0..<value.shape[axis] { element(); nest(axis + 1, offset + i * strides[axis]) }
                endArray()
            }
            nest(0, 0)
        }
    }

    /// A tree, written at this place in the document.
    public mutating func value(_ value: JSONValue) { value.write(into: &bytes, indent: level) }

    private mutating func open(_ bracket: UInt8) {
        bytes.append(bracket)
        started.append(false)
        level += 1
    }

    private mutating func close(_ bracket: UInt8) {
        level -= 1
        if started.removeLast() {
            bytes.append(UInt8(ascii: "\n"))
            JSONValue.pad(level, into: &bytes)
        }
        bytes.append(bracket)
    }
}
