import Autograd

/// Reads one array from a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0): little-endian
/// `<f8`, `<f4`, `<i8` or `<i4`, in C order. Fortran order, big-endian, object and every other
/// dtype are refused with a sentence. Every size in the header is checked for overflow, against
/// `GraphLimits.standard` and against the bytes the file actually has, before anything is allocated.
public enum ValuesNumPy {
    /// The magic bytes that open every `.npy` file: `\x93NUMPY`.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// The longest header read (numpy writes a few dozen bytes; it allows 64 KiB in version 1.0).
    public static let maximumHeaderBytes = 1 << 16

    public static func isNumPy(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

    public static func array(_ bytes: [UInt8]) throws(ValuesFileError) -> Tensor {
        guard isNumPy(bytes), bytes.count >= 10 else { throw ValuesFileError("not a NumPy .npy file (it does not begin with \\x93NUMPY)") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw ValuesFileError("the .npy header is cut short") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw ValuesFileError(".npy format version \(major).\(bytes[7]) is not read; versions 1.0, 2.0 and 3.0 are")
        }
        guard headerLength <= maximumHeaderBytes else {
            throw ValuesFileError("the .npy header says it is \(headerLength) bytes; at most \(maximumHeaderBytes) are read")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw ValuesFileError("the .npy header says it is \(headerLength) bytes, but the file has only \(bytes.count - headerStart) after the prefix")
        }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let fields = try HeaderDictionary.parse(header)
        guard let descr = fields.descr, let fortran = fields.fortranOrder, let shape = fields.shape else {
            throw ValuesFileError("the .npy header lacks 'descr', 'fortran_order' or 'shape': \(header.prefix(120))")
        }
        guard !fortran else { throw ValuesFileError("the array is in Fortran order; save it in C order (numpy.ascontiguousarray) and try again") }
        let itemSize: Int
        switch descr {
        case "<f8", "<i8": itemSize = 8
        case "<f4", "<i4": itemSize = 4
        case ">f8", ">f4", ">i8", ">i4":
            throw ValuesFileError("the array is big-endian ('\(descr)'); save it little-endian (arr.astype('<f8'))")
        case "|O", "<O", ">O":
            throw ValuesFileError("the array holds Python objects ('\(descr)'), which are never read; save numbers ('<f8')")
        default:
            throw ValuesFileError("the dtype '\(descr)' is not read; '<f8', '<f4', '<i8' and '<i4' are")
        }
        if let problem = GraphLimits.standard.problem(with: shape) { throw ValuesFileError(problem) }
        guard let entries = GraphLimits.entries(of: shape), entries > 0 else {
            throw ValuesFileError("the array is empty (shape \(Tensor.describe(shape: shape))): a value needs at least one entry")
        }
        let dataStart = headerStart + headerLength
        let (dataBytes, overflow) = entries.multipliedReportingOverflow(by: itemSize)
        guard !overflow, dataBytes == bytes.count - dataStart else {
            throw ValuesFileError("the header promises \(entries) entries of \(itemSize) bytes, but the file has \(bytes.count - dataStart) bytes of data")
        }
        var storage: [Double] = []
        storage.reserveCapacity(entries)
        for position in 0..<entries {
            let offset = dataStart + position * itemSize
            var raw: UInt64 = 0
            for byte in 0..<itemSize { raw |= UInt64(bytes[offset + byte]) << (8 * UInt64(byte)) }
            let value: Double
            switch descr {
            case "<f8": value = Double(bitPattern: raw)
            case "<f4": value = Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
            case "<i8":
                let integer = Int64(bitPattern: raw)
                guard integer.magnitude <= 1 << 53 else {
                    throw ValuesFileError("entry \(position) is \(integer), which a Double cannot hold exactly (beyond 2^53)")
                }
                value = Double(integer)
            default: value = Double(Int32(bitPattern: UInt32(truncatingIfNeeded: raw)))
            }
            guard value.isFinite else { throw ValuesFileError("entry \(position) (in C order) is \(value); every value must be finite") }
            storage.append(value)
        }
        do { return try Tensor(validatingShape: shape, storage: storage) } catch { throw ValuesFileError(error.description) }
    }
}

/// The header's Python dict literal: `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
private struct HeaderDictionary {
    var descr: String?
    var fortranOrder: Bool?
    var shape: [Int]?

    static func parse(_ text: String) throws(ValuesFileError) -> HeaderDictionary {
        var result = HeaderDictionary()
        var rest = Substring(text)
        func skip() { while let first = rest.first, first == " " || first == "\n" || first == "\t" { rest.removeFirst() } }
        func bad(_ what: String) -> ValuesFileError { ValuesFileError("the .npy header is not a dictionary numpy writes (\(what)): \(text.prefix(120))") }
        skip()
        guard rest.first == "{" else { throw bad("no '{'") }
        rest.removeFirst()
        while true {
            skip()
            if rest.first == "}" { break }
            guard let key = quoted(&rest) else { throw bad("expected a quoted key") }
            skip()
            guard rest.first == ":" else { throw bad("expected ':'") }
            rest.removeFirst()
            skip()
            switch key {
            case "descr":
                guard let value = quoted(&rest) else { throw bad("'descr' is not a string") }
                result.descr = value
            case "fortran_order":
                if rest.hasPrefix("True") { result.fortranOrder = true; rest.removeFirst(4) }
                else if rest.hasPrefix("False") { result.fortranOrder = false; rest.removeFirst(5) }
                else { throw bad("'fortran_order' is not True or False") }
            case "shape":
                guard rest.first == "(" else { throw bad("'shape' is not a tuple") }
                rest.removeFirst()
                var shape: [Int] = []
                while true {
                    skip()
                    if rest.first == ")" { rest.removeFirst(); break }
                    let digits = rest.prefix { $0.isASCII && $0.isNumber }
                    guard !digits.isEmpty else { throw bad("an axis of 'shape' is not a whole number") }
                    guard digits.count <= 18, let size = Int(digits) else {
                        throw ValuesFileError("an axis of the .npy shape is \(digits.prefix(40)), more than an integer can count")
                    }
                    guard shape.count < GraphLimits.maximumRank else {
                        throw ValuesFileError("the .npy shape has more than \(GraphLimits.maximumRank) axes; a value has at most \(GraphLimits.maximumRank)")
                    }
                    shape.append(size)
                    rest.removeFirst(digits.count)
                    skip()
                    if rest.first == "," { rest.removeFirst() } else if rest.first != ")" { throw bad("expected ',' or ')' in 'shape'") }
                }
                result.shape = shape
            default:
                throw bad("unknown key '\(key)'")
            }
            skip()
            if rest.first == "," { rest.removeFirst(); continue }
            guard rest.first == "}" else { throw bad("expected ',' or '}'") }
            break
        }
        return result
    }

    /// A single-quoted string without escapes.
    private static func quoted(_ rest: inout Substring) -> String? {
        guard rest.first == "'" else { return nil }
        rest.removeFirst()
        guard let end = rest.firstIndex(of: "'"), rest.distance(from: rest.startIndex, to: end) <= 64 else { return nil }
        let value = String(rest[..<end])
        rest = rest[rest.index(after: end)...]
        return value
    }
}
