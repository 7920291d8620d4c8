/// An IDX file (LeCun's format for MNIST): a big-endian header of dimensions, then unsigned bytes.
///
/// Magic number `00 00 08 D`: type 0x08 (unsigned byte), D dimensions, each a 32-bit big-endian count.
public struct IDXFile: Sendable {
    /// The dimensions: `[60000, 28, 28]` for MNIST's training images, `[60000]` for its labels.
    public let dimensions: [Int]
    /// Every entry, row-major.
    public let bytes: [UInt8]

    /// Reads `path`, gzipped or not.
    /// - Throws: `DatasetError` naming the file and the byte where it goes wrong: a wrong magic number,
    ///   an element type other than unsigned byte, a header or body cut short, bytes left over.
    public init(path: String) throws(DatasetError) {
        try self.init(bytes: try Compressed.contents(of: path), file: path)
    }

    /// Parses IDX bytes (`file` names them in errors).
    public init(bytes data: [UInt8], file: String) throws(DatasetError) {
        guard data.count >= 4 else { throw DatasetError(file: file, place: "byte 0", "too short for an IDX header (\(data.count) bytes)") }
        guard data[0] == 0, data[1] == 0 else {
            let magic = data.prefix(4).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
            throw DatasetError(file: file, place: "byte 0", "not an IDX file: magic number \(magic), expected 00 00 08 0N")
        }
        guard data[2] == 0x08 else {
            throw DatasetError(file: file, place: "byte 2", "IDX element type 0x\(String(data[2], radix: 16)) is not supported; only unsigned bytes (0x08)")
        }
        let rank = Int(data[3])
        guard (1...4).contains(rank) else { throw DatasetError(file: file, place: "byte 3", "an IDX file of \(rank) dimensions is not supported (1 to 4)") }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw DatasetError(file: file, place: "byte \(data.count)", "the header is cut short: \(rank) dimensions need \(headerSize) bytes")
        }
        var dimensions: [Int] = []
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            dimensions.append(Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3]))
        }
        let actual = data.count - headerSize
        // Checked: four dimensions of FFFFFFFF would overflow an Int.
        guard let expected = DataLimits.product(dimensions) else {
            throw DatasetError(file: file, place: "byte 4",
                               "the header's dimensions \(dimensions.map(String.init).joined(separator: "×")) describe more bytes than can be counted; the file has \(actual)")
        }
        guard actual >= expected else {
            throw DatasetError(file: file, place: "byte \(data.count)",
                               "truncated: the header says \(dimensions.map(String.init).joined(separator: "×")) = \(expected) bytes of data, the file has \(actual)")
        }
        guard actual == expected else {
            throw DatasetError(file: file, place: "byte \(headerSize + expected)", "\(actual - expected) bytes after the data the header describes")
        }
        self.dimensions = dimensions
        self.bytes = Array(data[headerSize...])
    }
}
