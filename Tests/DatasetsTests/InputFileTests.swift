import Datasets
import Foundation
import Testing

// Issue 30: input files are regular files read within a limit; CSV lines are bounded in bytes;
// labeled data from a file is checked, never a precondition.

private func scratchDirectory() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inputfiles-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

private func message(_ body: () throws -> Void) -> String {
    do { try body(); return "no error" } catch { return "\(error)" }
}

@Suite("Input files and CSV lines")
struct InputFileTests {
    @Test("a named pipe with no writer is refused at once, not waited on")
    func fifo() throws {
        let path = try scratchDirectory() + "/pipe.csv"
        #expect(mkfifo(path, 0o600) == 0)
        #expect(throws: RegularFile.Failure.notRegular("a named pipe")) { try RegularFile.read(path, limit: 100) }
        #expect(message { _ = try Datasets.csv(path: path) } == "\(path): is a named pipe, not a regular file; only regular files are read")
    }

    @Test("a directory and a device are refused; a missing file says so")
    func notFiles() throws {
        let directory = try scratchDirectory()
        #expect(throws: RegularFile.Failure.notRegular("a directory")) { try RegularFile.read(directory, limit: 100) }
        #expect(throws: RegularFile.Failure.notRegular("a device")) { try RegularFile.read("/dev/zero", limit: 100) }
        #expect(throws: RegularFile.Failure.missing) { try RegularFile.read(directory + "/none", limit: 100) }
    }

    @Test("a regular file is read whole up to the limit, and refused one byte over it")
    func limit() throws {
        let path = try scratchDirectory() + "/a.txt"
        FileManager.default.createFile(atPath: path, contents: Data((0..<100).map { UInt8($0) }))
        #expect(try RegularFile.read(path, limit: 100) == (0..<100).map { UInt8($0) })
        #expect(throws: RegularFile.Failure.tooLarge(size: 100, limit: 99)) { try RegularFile.read(path, limit: 99) }
    }

    @Test("a CSV line over the byte limit is refused with its line number before anything is parsed")
    func longLine() {
        let limit = DataLimits.lineBytes
        let bytes = Array("1,2,0\n".utf8) + [UInt8](repeating: UInt8(ascii: "1"), count: limit + 1) + Array(",0\n".utf8)
        let start = Date()
        #expect(message { _ = try Datasets.csv(bytes: bytes, file: "long.csv") }
                == "long.csv:2: the line is \(limit + 3) bytes; the limit for a CSV line is \(limit) (BACKPROP_MAX_CSV_LINE_BYTES raises it)")
        #expect(Date().timeIntervalSince(start) < 2)
        // A line of exactly the limit is read (it fails later, as a number, not as a length).
        let atLimit = [UInt8](repeating: UInt8(ascii: "0"), count: limit - 3) + Array("1,0".utf8)
        #expect(message { _ = try Datasets.csv(bytes: atLimit, file: "ok.csv") } == "no error")
    }

    @Test("digits rows that are not 64 pixels are refused by line, not trapped in LabeledData")
    func digitsWidth() throws {
        let path = try scratchDirectory() + "/digits.csv"
        try "1,2,3\n4,5,6\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message { _ = try Datasets.digits(path: path) } == "\(path):1: a digits row has 64 pixels and a label; this file's rows have 2 features and a label")
    }

    @Test("LabeledData(checking:) throws for sizes that do not agree or overflow, and for labels out of range")
    func checkedInit() {
        #expect(message { _ = try LabeledData(checking: [1, 2, 3], featureShape: [1, 8, 8], labels: [0], classNames: ["a"], file: "f") }
                == "f: 3 feature values do not make 1 examples of shape [1, 8, 8] (64 each)")
        #expect(message { _ = try LabeledData(checking: [], featureShape: [1 << 32, 1 << 32], labels: [], classNames: ["a"], file: "f") }
                .contains("whose product an integer can count"))
        #expect(message { _ = try LabeledData(checking: [1], featureShape: [1], labels: [3], classNames: ["a", "b"], file: "f") }
                == "f: label 3 is out of range: 2 classes")
        #expect(message { _ = try LabeledData(checking: [1, 2], featureShape: [2], labels: [1], classNames: ["a", "b"], file: "f") } == "no error")
    }
}
