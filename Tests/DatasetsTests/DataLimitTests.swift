import Datasets
import Foundation
import Testing

// Issue 16: sizes in data files are checked before they are used, and CRLF files read.

private func scratchFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("datalimits-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes))
    return directory + "/" + name
}

private func error(_ body: () throws -> Void) -> String {
    do { try body(); return "no error" } catch { return "\(error)" }
}

@Suite("Data file limits")
struct DataLimitTests {
    @Test("IDX dimensions whose product overflows are an error at byte 4, not a trap")
    func idxOverflow() {
        let header: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12)
        #expect(error { _ = try IDXFile(bytes: header, file: "x.idx") }
                == "x.idx: byte 4: the header's dimensions 4294967295×4294967295×4294967295 describe more bytes than can be counted; the file has 0")
        let big: [UInt8] = [0, 0, 8, 2] + [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2]
        #expect(error { _ = try IDXFile(bytes: big, file: "x.idx") }
                == "x.idx: byte 12: truncated: the header says 4294967295×2 = 8589934590 bytes of data, the file has 0")
    }

    @Test("a CSV label of 999999999 without class names is refused, not a billion class names")
    func hugeLabel() throws {
        let path = try scratchFile("l.csv", Array("1,2,3\n4,5,999999999\n".utf8))
        #expect(error { _ = try Datasets.csv(path: path) } == "\(path):2, field 3: label 999999999 is out of range: at most 1000 classes (0…999)")
        let header = try scratchFile("h.csv", Array("2,9223372036854775807,a,b\n1,2,0\n".utf8))
        #expect(error { _ = try Datasets.csv(path: header) } == "\(header):1: the header's counts 2 rows of 9223372036854775807 features are out of range")
    }

    @Test("CRLF line ends read like LF")
    func crlf() throws {
        let text = "4,2,a,b\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"
        let lf = try Datasets.csv(path: try scratchFile("lf.csv", Array(text.utf8)))
        let crlf = try Datasets.csv(path: try scratchFile("crlf.csv", Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)))
        #expect(crlf.features == lf.features && crlf.labels == lf.labels && crlf.classNames == ["a", "b"])
        #expect(crlf.labels == [0, 1, 0, 1])
    }

    @Test("a gzip stream that decompresses past the limit stops at the limit (a gzip bomb)")
    func gzipBomb() throws {
        // 8 MB of zeros gzipped, read with a 1 MB limit.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bomb-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "head -c 8388608 /dev/zero | gzip -1 > \(directory)/bomb.gz"]
        try process.run(); process.waitUntilExit()
        let path = directory + "/bomb.gz"
        #expect(error { _ = try Compressed.contents(of: path, limit: 1 << 20) }
                == "\(path): decompresses to more than 1048576 bytes, the limit for a data file (a gzip bomb?; BACKPROP_MAX_DATA_BYTES raises it)")
        #expect(try Compressed.contents(of: path, limit: 16 << 20).count == 8 << 20)
        // A file bigger than the limit on disk is refused before it is read.
        let raw = try scratchFile("raw.csv", [UInt8](repeating: 0x31, count: 2000))
        #expect(error { _ = try Compressed.contents(of: raw, limit: 1000) } == "\(raw): is 2000 bytes; the limit for a data file is 1000 (BACKPROP_MAX_DATA_BYTES raises it)")
        #expect(DataLimits.fileBytes == 64 << 20)
    }
}
