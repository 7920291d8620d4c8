import SystemZlib
import Foundation

/// Reading files that may be gzip-compressed, through zlib.
public enum Compressed {
    /// The bytes of `path`, decompressed when they start with gzip's magic number (1f 8b).
    /// - Throws: `DatasetError` when the file cannot be read or the gzip stream is corrupt or cut short.
    /// - Parameter limit: the most bytes read or decompressed (`DataLimits.fileBytes` by default).
    public static func contents(of path: String, limit: Int = DataLimits.fileBytes) throws(DatasetError) -> [UInt8] {
        // Only regular files, and no bigger than the limit: a FIFO or /dev/zero would never end.
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(path, limit: limit) } catch {
            switch error {
            case .tooLarge(let size, _):
                throw DatasetError(file: path, "is \(size.map { "\($0) bytes" } ?? "more than \(limit) bytes"); the limit for a data file is \(limit) (BACKPROP_MAX_DATA_BYTES raises it)")
            default: throw DatasetError(file: path, error.description)
            }
        }
        return try decompressed(bytes, file: path, limit: limit)
    }

    /// `bytes` decompressed when they start with gzip's magic number, else as they are.
    public static func decompressed(_ bytes: [UInt8], file: String, limit: Int = DataLimits.fileBytes) throws(DatasetError) -> [UInt8] {
        guard bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b else { return bytes }
        return try gunzip(bytes, file: file, limit: limit)
    }

    /// Decompresses a whole gzip stream.
    static func gunzip(_ input: [UInt8], file: String, limit: Int) throws(DatasetError) -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(file: file, "zlib could not start decompressing")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(min(input.count * 4, limit))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        var input = input
        let consumed: Int = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = UInt32(chunkBuffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - Int(stream.avail_out))])
                }
            } while status == Z_OK && output.count <= limit
            return inputBuffer.count - Int(stream.avail_in)
        }
        switch status {
        case Z_STREAM_END: return output
        case Z_OK: throw DatasetError(file: file, "decompresses to more than \(limit) bytes, the limit for a data file (a gzip bomb?; BACKPROP_MAX_DATA_BYTES raises it)")
        case Z_BUF_ERROR: throw DatasetError(file: file, place: "byte \(consumed)", "the gzip stream is cut short (truncated file?)")
        default:
            let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
            throw DatasetError(file: file, place: "byte \(consumed)", "corrupt gzip data: \(reason)")
        }
    }
}
