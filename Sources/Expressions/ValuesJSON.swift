import Autograd

/// A mistake in a values file (`--values`): what is wrong, and the line and column (1-based, in
/// bytes) where the reader found it, when there is one.
public struct ValuesFileError: Error, Sendable, Equatable {
    public let message: String
    public let line: Int?
    public let column: Int?

    public init(_ message: String, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.line = line
        self.column = column
    }
}

/// Reads input values from JSON: an object of names to numbers or nested arrays,
/// `{"x": 1.5, "W": [[1, 2], [3, 4]]}`, or (for `--values W=FILE`) one such value alone.
///
/// A small reader rather than Foundation's: its work is one pass over the bytes, its nesting is at
/// most `GraphLimits.maximumRank` arrays deep (recursion bounded), every number is read by
/// `Double(_:)`, which rounds correctly, and every value is held to `GraphLimits.standard` while it
/// is read, so a file of a billion entries is refused at the entry past the limit, not after.
public enum ValuesJSON {
    /// The name–value pairs of a JSON object, in the file's order.
    public static func object(_ bytes: [UInt8]) throws(ValuesFileError) -> [(name: String, value: Tensor)] {
        var reader = Reader(bytes: bytes)
        return try reader.readDocument()
    }

    /// One value alone: a number or a nested array.
    public static func value(_ bytes: [UInt8]) throws(ValuesFileError) -> Tensor {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.readValue()
        reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.error("unexpected \(reader.describeCurrent()) after the value") }
        return value
    }

    /// Whether `name` is a name a program may use for an input (as `--at` accepts).
    public static func isName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }
}

private struct Reader {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0
    /// Entries read so far in the whole file, held to the limit of a whole program.
    var total = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> ValuesFileError {
        ValuesFileError(message, line: line, column: index - lineStart + 1)
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    func describeCurrent() -> String {
        guard let byte = current else { return "end of file" }
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    mutating func skipSpace() {
        while let byte = current {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
            case UInt8(ascii: "\n"): index += 1; line += 1; lineStart = index
            default: return
            }
        }
    }

    mutating func expect(_ ascii: Unicode.Scalar, _ what: String) throws(ValuesFileError) {
        guard current == UInt8(ascii: ascii) else { throw error("expected \(what), found \(describeCurrent())") }
        index += 1
    }

    mutating func readDocument() throws(ValuesFileError) -> [(name: String, value: Tensor)] {
        skipSpace()
        try expect("{", "'{' (a JSON object of names and values, such as {\"x\": 1.5, \"W\": [[1, 2], [3, 4]]})")
        var pairs: [(name: String, value: Tensor)] = []
        skipSpace()
        if current == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipSpace()
                let (keyLine, keyColumn) = (line, index - lineStart + 1)
                let name = try readName()
                if pairs.contains(where: { $0.name == name }) {
                    throw ValuesFileError("'\(name)' is given twice", line: keyLine, column: keyColumn)
                }
                skipSpace()
                try expect(":", "':' after the name")
                skipSpace()
                pairs.append((name, try readValue()))
                skipSpace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                try expect("}", "',' or '}'")
                break
            }
        }
        skipSpace()
        guard index == bytes.count else { throw error("unexpected \(describeCurrent()) after the object") }
        return pairs
    }

    /// A quoted name: no escapes (a program's names need none), and a valid input name.
    mutating func readName() throws(ValuesFileError) -> String {
        let start = (line, index - lineStart + 1)
        try expect("\"", "a quoted name")
        let from = index
        while let byte = current, byte != UInt8(ascii: "\"") {
            if byte == UInt8(ascii: "\\") { throw error("a name cannot contain escapes") }
            if byte < 0x20 { throw error("a name cannot contain a control character") }
            guard index - from < 256 else { throw error("this name is longer than 256 bytes") }
            index += 1
        }
        guard current != nil else { throw error("the name is not closed by '\"'") }
        let name = String(decoding: bytes[from..<index], as: UTF8.self)
        index += 1
        guard ValuesJSON.isName(name) else {
            throw ValuesFileError("'\(name)' is not a name a program can use (a letter or '_', then letters, digits or '_')",
                                  line: start.0, column: start.1)
        }
        return name
    }

    /// A number, or a rectangular nested array of numbers, held to `GraphLimits.standard`.
    mutating func readValue() throws(ValuesFileError) -> Tensor {
        let (startLine, startColumn) = (line, index - lineStart + 1)
        if current == UInt8(ascii: "[") {
            var storage: [Double] = []
            let shape = try readArray(depth: 1, storage: &storage)
            if let problem = GraphLimits.standard.problem(with: shape) {
                throw ValuesFileError(problem, line: startLine, column: startColumn)
            }
            do { return try Tensor(validatingShape: shape, storage: storage) } catch {
                throw ValuesFileError(error.description, line: startLine, column: startColumn)
            }
        }
        let number = try readNumber()
        try count(1)
        return Tensor(scalar: number)
    }

    mutating func count(_ entries: Int) throws(ValuesFileError) {
        total += entries
        guard total <= GraphLimits.standard.entriesPerGraph else {
            throw error("the file holds more than \(GraphLimits.standard.entriesPerGraph) entries, the limit of a whole program (docs/reliability.md)")
        }
    }

    /// `[…]` at `depth` (1 for the outermost): its shape; its numbers are appended to `storage`.
    mutating func readArray(depth: Int, storage: inout [Double]) throws(ValuesFileError) -> [Int] {
        guard depth <= GraphLimits.maximumRank else {
            throw error("arrays nested more than \(GraphLimits.maximumRank) deep; a value has at most \(GraphLimits.maximumRank) axes")
        }
        try expect("[", "'['")
        skipSpace()
        guard current != UInt8(ascii: "]") else { throw error("an empty array: a value needs at least one entry") }
        var length = 0
        var inner: [Int]? = nil
        let isList = current == UInt8(ascii: "[")
        while true {
            skipSpace()
            let (elementLine, elementColumn) = (line, index - lineStart + 1)
            if isList {
                guard current == UInt8(ascii: "[") else { throw error("expected '[': the rows of an array must all be arrays (the array is not rectangular)") }
                let shape = try readArray(depth: depth + 1, storage: &storage)
                if let inner, inner != shape {
                    throw ValuesFileError("this row has shape \(Tensor.describe(shape: shape)), the first has \(Tensor.describe(shape: inner)) (the array is not rectangular)",
                                          line: elementLine, column: elementColumn)
                }
                inner = shape
            } else {
                guard current != UInt8(ascii: "[") else { throw error("expected a number: this array mixes numbers and arrays (it is not rectangular)") }
                storage.append(try readNumber())
                try count(1)
                guard storage.count <= GraphLimits.standard.entriesPerValue else {
                    throw error("this value has more than \(GraphLimits.standard.entriesPerValue) entries, the limit per value (docs/reliability.md)")
                }
            }
            length += 1
            skipSpace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect("]", "',' or ']'")
            return [length] + (inner ?? [])
        }
    }

    /// A JSON number (`-0.5`, `1e-3`), finite; `NaN`, `Infinity`, `null`, strings refused by name.
    mutating func readNumber() throws(ValuesFileError) -> Double {
        let start = index
        let column = index - lineStart + 1
        while let byte = current, isNumberByte(byte) {
            guard index - start < 64 else { throw error("a number longer than 64 characters") }
            index += 1
        }
        guard index > start else {
            if let byte = current, (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) {
                var end = index
                while end < bytes.count, end - index < 16, bytes[end] >= 0x41, (bytes[end] | 0x20) >= 0x61, (bytes[end] | 0x20) <= 0x7A { end += 1 }
                let word = String(decoding: bytes[index..<end], as: UTF8.self)
                throw error("'\(word)' is not a number; every value must be a finite number")
            }
            throw error("expected a number or '[', found \(describeCurrent())")
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard isJSONNumber(text), let value = Double(text) else {
            throw ValuesFileError("'\(text)' is not a JSON number", line: line, column: column)
        }
        guard value.isFinite else {
            throw ValuesFileError("\(text) is not a finite number (it overflows a Double); every value must be finite", line: line, column: column)
        }
        return value
    }

    func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    func isJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits(_ bytes: inout ArraySlice<UInt8>) -> Int {
            var count = 0
            while let byte = bytes.first, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { bytes.removeFirst(); count += 1 }
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes.removeFirst() }
        let leadingZero = bytes.first == UInt8(ascii: "0")
        let integer = digits(&bytes)
        guard integer > 0, !(leadingZero && integer > 1) else { return false }
        if bytes.first == UInt8(ascii: ".") {
            bytes.removeFirst()
            guard digits(&bytes) > 0 else { return false }
        }
        if let byte = bytes.first, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            bytes.removeFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes.removeFirst() }
            guard digits(&bytes) > 0 else { return false }
        }
        return bytes.isEmpty
    }
}

extension ValuesJSON {
    /// A value as a JSON decoder gives it (the server's `"values"`): a number or a list of values.
    /// `tensor()` holds it to the same rules as a values file.
    public indirect enum Nested: Codable, Sendable, Equatable {
        case number(Double)
        case list([Nested])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .list(try container.decode([Nested].self)) }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let number): try container.encode(number)
            case .list(let list): try container.encode(list)
            }
        }

        /// The tensor: finite numbers, a rectangular array at most `GraphLimits.maximumRank` deep,
        /// within `GraphLimits.standard`.
        public func tensor() throws(ValuesFileError) -> Tensor {
            var storage: [Double] = []
            let shape = try Nested.collect(self, depth: 0, into: &storage)
            if let problem = GraphLimits.standard.problem(with: shape) { throw ValuesFileError(problem) }
            do { return try Tensor(validatingShape: shape, storage: storage) } catch { throw ValuesFileError(error.description) }
        }

        private static func collect(_ value: Nested, depth: Int, into storage: inout [Double]) throws(ValuesFileError) -> [Int] {
            switch value {
            case .number(let number):
                guard number.isFinite else { throw ValuesFileError("\(number) is not a finite number") }
                guard storage.count < GraphLimits.standard.entriesPerValue else {
                    throw ValuesFileError("a value has more than \(GraphLimits.standard.entriesPerValue) entries, the limit per value")
                }
                storage.append(number)
                return []
            case .list(let list):
                guard depth < GraphLimits.maximumRank else {
                    throw ValuesFileError("arrays nested more than \(GraphLimits.maximumRank) deep; a value has at most \(GraphLimits.maximumRank) axes")
                }
                guard !list.isEmpty else { throw ValuesFileError("an empty array: a value needs at least one entry") }
                var inner: [Int]? = nil
                for element in list {
                    let shape = try collect(element, depth: depth + 1, into: &storage)
                    if let inner, inner != shape {
                        throw ValuesFileError("a row has shape \(Tensor.describe(shape: shape)), the first has \(Tensor.describe(shape: inner)) (the array is not rectangular)")
                    }
                    inner = shape
                }
                return [list.count] + (inner ?? [])
            }
        }
    }
}
