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
    /// A document already written (by `JSONWriter`) at indentation 0; nested, each of its lines is
    /// indented to its place (its strings hold no raw line breaks: they are escaped).
    case written([UInt8])

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
        String(decoding: utf8(indent: indent), as: UTF8.self)
    }

    /// The document as the UTF-8 bytes of `serialized(indent:)`, written into one buffer.
    public func utf8(indent: Int = 0, capacity: Int = 4096) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(capacity)
        write(into: &output, indent: indent)
        return output
    }

    /// Appends the document's text to `output`: no string is built per value, only bytes appended.
    ///
    /// Measured (callgrind, `backprop trace --json` of the 102-node program of
    /// scripts/load/trace-100.lua): see docs/performance.md, *backprop serve*.
    public func write(into output: inout [UInt8], indent: Int = 0) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value): JSONValue.writeNumber(value, into: &output)
        case .string(let value): JSONValue.writeQuoted(value, into: &output)
        case .written(let bytes):
            guard indent > 0 else { output.append(contentsOf: bytes); return }
            for byte in bytes {
                output.append(byte)
                if byte == UInt8(ascii: "\n") { JSONValue.pad(indent, into: &output) }
            }
        case .array(let items):
            if items.isEmpty { output.append(contentsOf: "[]".utf8); return }
            // Arrays of plain numbers stay on one line: tensors read as they are written.
            if items.allSatisfy({ if case .number = $0 { return true }; if case .null = $0 { return true }; return false }) {
                output.append(UInt8(ascii: "["))
                for (index, item) in items.enumerated() {
                    if index > 0 { output.append(UInt8(ascii: ",")); output.append(UInt8(ascii: " ")) }
                    if case .number(let value) = item { JSONValue.writeNumber(value, into: &output) } else { output.append(contentsOf: "null".utf8) }
                }
                output.append(UInt8(ascii: "]"))
                return
            }
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                output.append(contentsOf: index > 0 ? ",\n".utf8 : "\n".utf8)
                JSONValue.pad(indent + 1, into: &output)
                item.write(into: &output, indent: indent + 1)
            }
            output.append(UInt8(ascii: "\n"))
            JSONValue.pad(indent, into: &output)
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { output.append(contentsOf: "{}".utf8); return }
            output.append(UInt8(ascii: "{"))
            // Sorted pairs, not sorted keys looked up again: hashing each key twice was a tenth of the writing.
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                output.append(contentsOf: index > 0 ? ",\n".utf8 : "\n".utf8)
                JSONValue.pad(indent + 1, into: &output)
                JSONValue.writeQuoted(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                output.append(UInt8(ascii: " "))
                member.value.write(into: &output, indent: indent + 1)
            }
            output.append(UInt8(ascii: "\n"))
            JSONValue.pad(indent, into: &output)
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Two spaces per level.
    static func pad(_ level: Int, into output: inout [UInt8]) {
        // One append of a run of spaces, not a byte at a time, and no array to retain: padding was
        // 2% of writing a trace, then 2% more in retaining a shared run of spaces.
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
    }

    /// A number as `TraceFormat.number` writes it; NaN and infinities as null.
    static func writeNumber<Sink: ByteSink & ~Copyable>(_ value: Double, into output: inout Sink) {
        guard value.isFinite else { output.put("null"); return }
        // Whole numbers (ids, shapes, most inputs) without a String: what `TraceFormat.number` writes for them.
        if value == value.rounded() && Swift.abs(value) <= 9_007_199_254_740_992 { writeInteger(Int64(value), into: &output); return }
        // What TraceFormat.number writes for the rest (`"\(value)"`, the shortest digits that read
        // back exactly), taken from the standard library's formatter as ASCII bytes: the String that
        // `description` builds was an allocation per fraction, 240 per 102-node trace (valgrind's dhat).
        var digits = ShortestDigits()
        value.write(to: &digits)
        if digits.overflowed { output.put(value.description); return }
        withUnsafeBytes(of: &digits.bytes) { output.put(UnsafeBufferPointer(rebasing: $0.bindMemory(to: UInt8.self)[..<digits.count])) }
    }

    /// Catches the ASCII that `Double.write(to:)` hands its stream, in 48 bytes on the stack (the
    /// longest shortest form of a Double, `-2.2250738585072014e-308`, has 24).
    struct ShortestDigits: TextOutputStream {
        var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        var count = 0
        var overflowed = false

        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { append(buffer) }

        mutating func write(_ string: String) {
            var string = string
            string.withUTF8 { append($0) }
        }

        private mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
            guard buffer.count <= MemoryLayout.size(ofValue: bytes) - count else { overflowed = true; return }
            let start = count
            withUnsafeMutableBytes(of: &bytes) { storage in
                for offset in 0..<buffer.count { storage[start + offset] = buffer[offset] }
            }
            count += buffer.count
        }
    }

    /// The decimal digits of `value`, as `String(value)` writes them.
    static func writeInteger<Sink: ByteSink & ~Copyable>(_ value: Int64, into output: inout Sink) {
        if value < 0 { output.put(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 { output.put(UInt8(ascii: "0") + UInt8(magnitude)); return }
        // Digits from the right into a buffer on the stack, then one copy.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            while magnitude > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            output.put(UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    static func quote(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 2)
        writeQuoted(text, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// `text` as a JSON string: quotes, backslashes and \n, \r, \t escaped; C0, DEL, C1 and format
    /// characters (bidi overrides) as \u escapes: valid JSON that cannot act on a terminal that shows it.
    static func writeQuoted<Sink: ByteSink & ~Copyable>(_ text: String, into output: inout Sink) {
        output.put(UInt8(ascii: "\""))
        writeEscaped(text, into: &output)
        output.put(UInt8(ascii: "\""))
    }

    /// `text` escaped as a JSON string's contents, without the quotes: a string written in parts
    /// escapes as the whole would, since every character is escaped on its own.
    static func writeEscaped<Sink: ByteSink & ~Copyable>(_ text: String, into output: inout Sink) {
        // Most strings of a trace (labels, operations, kinds) are printable ASCII without quotes or
        // backslashes: one scan of the bytes and one copy.
        // Other characters that need no escape (∂, −, ², σ: a trace's descriptions) are copied as
        // they are too: every edge's description has two ∂, and the scalar-by-scalar loop below was
        // the largest part of writing a trace's strings (perf).
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x80 {
                    if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
                    index += 1
                    continue
                }
                // A valid String's UTF-8: a lead byte and its continuation bytes.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                guard index + length <= bytes.count else { return false }
                var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for next in bytes[(index + 1)..<(index + length)] { value = value << 6 | UInt32(next & 0x3F) }
                guard let scalar = Unicode.Scalar(value), Self.isPlain(scalar) else { return false }
                index += length
            }
            output.put(bytes)
            return true
        } ?? false
        if copied { return }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            // Printable ASCII, Latin-1's letters and signs and the mathematical operators (∂, −, ×,
            // the traces' own text) need no look at Unicode's tables: the general category lookup
            // of `TerminalText.needsEscape` was the largest cost left in writing a trace.
            if value >= 0x20 && value < 0x7F {
                switch value {
                case 0x22: output.put(UInt8(ascii: "\\")); output.put(UInt8(ascii: "\""))
                case 0x5C: output.put(UInt8(ascii: "\\")); output.put(UInt8(ascii: "\\"))
                default: output.put(UInt8(truncatingIfNeeded: value))
                }
                continue
            }
            switch scalar {
            case "\n": output.put(UInt8(ascii: "\\")); output.put(UInt8(ascii: "n"))
            case "\r": output.put(UInt8(ascii: "\\")); output.put(UInt8(ascii: "r"))
            case "\t": output.put(UInt8(ascii: "\\")); output.put(UInt8(ascii: "t"))
            default:
                if isPlain(scalar) {
                    UTF8.encode(scalar) { output.put($0) }
                } else {
                    for unit in String(scalar).utf16 { writeEscape(unit, into: &output) }
                }
            }
        }
    }

    /// Whether a scalar outside printable ASCII is written as it is (not as a `\u` escape).
    @inline(__always)
    static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        let plain = (0xA0...0xFF).contains(value) && value != 0xAD || (0x2200...0x22FF).contains(value)
        return plain || !TerminalText.needsEscape(scalar)
    }

    /// `\u` and four lower-case hexadecimal digits (what `String(format: "\\u%04x", unit)` wrote).
    static func writeEscape<Sink: ByteSink & ~Copyable>(_ unit: UInt16, into output: inout Sink) {
        output.put(UInt8(ascii: "\\")); output.put(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) { output.put(hexDigits[Int((unit >> UInt16(shift)) & 0xF)]) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// Where JSON text is written: an array of bytes, or `JSONWriter`'s own memory.
protocol ByteSink: ~Copyable {
    mutating func put(_ byte: UInt8)
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>)
}

extension ByteSink where Self: ~Copyable {
    mutating func put(_ text: String) {
        var text = text
        text.withUTF8 { put($0) }
    }
}

extension Array: ByteSink where Element == UInt8 {
    mutating func put(_ byte: UInt8) { append(byte) }
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
}
