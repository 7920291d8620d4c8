import Foundation
import Testing

// `--values`: inputs from a JSON file or a NumPy .npy file, beside `--at`; hostile files are one
// line naming the file (and line:column in JSON) with exit 2.

/// A .npy file as numpy writes it (version 1.0): the magic, the header padded to 64 bytes, the data.
func npyFile(descr: String, fortran: Bool = false, shape: String, data: [UInt8]) -> Data {
    var header = Array("{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }".utf8)
    while (10 + header.count + 1) % 64 != 0 { header.append(UInt8(ascii: " ")) }
    header.append(UInt8(ascii: "\n"))
    return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header + data)
}

func littleEndian(_ values: [Double]) -> [UInt8] { values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } } }

@Suite("--values files")
struct ValuesFileCommandTests {
    @Test("a 200×170 matrix from a JSON file is traced; the gradient of sum(W) is all ones")
    func bigMatrix() throws {
        let directory = try CLI.temporaryDirectory()
        let rows = (0..<200).map { row in "[" + (0..<170).map { String(Double(row * 170 + $0) / 1000) }.joined(separator: ", ") + "]" }
        try Data(("{\"W\": [" + rows.joined(separator: ",\n") + "]}").utf8).write(to: URL(fileURLWithPath: directory + "/w.json"))
        let result = try CLI.run(["trace", "f = sum(W)", "--values", directory + "/w.json", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let gradient = try #require((object["gradients"] as? [String: Any])?["W"] as? [[NSNumber]])
        #expect(gradient.count == 200 && gradient.allSatisfy { $0.count == 170 && $0.allSatisfy { $0.doubleValue == 1 } })
    }

    @Test("a .npy array named on the command line, and check reads files too")
    func numpy() throws {
        let directory = try CLI.temporaryDirectory()
        try npyFile(descr: "<f8", shape: "(2, 2)", data: littleEndian([1, 2, 3, 4])).write(to: URL(fileURLWithPath: directory + "/w.npy"))
        let trace = try CLI.run(["trace", "f = sum(W * W)", "--values", "W=" + directory + "/w.npy"])
        #expect(trace.status == 0 && trace.stdout.contains("∂f/∂W = [[2, 4], [6, 8]]"), "\(trace.stdout)\(trace.stderr)")
        try Data("{\"x\": 2, \"y\": 3}".utf8).write(to: URL(fileURLWithPath: directory + "/xy.json"))
        let check = try CLI.run(["check", "f = x * y", "--values", directory + "/xy.json", "--claim", "df/dx = 3"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let unused = try CLI.run(["trace", "f = 2 * x", "--values", "xy.json"], in: directory)
        #expect(unused.status == 0 && unused.stderr.contains("warning: xy.json gives 'y', which the program does not use"), "\(unused.stderr)")
    }

    @Test("hostile files: one line naming the file and what is wrong, exit 2", arguments: [
        ("deep.json", "{\"x\": " + String(repeating: "[", count: 40) + "1" + String(repeating: "]", count: 40) + "}", "deep.json:1:23: error: arrays nested more than 16 deep"),
        ("ragged.json", "{\"x\": [[1, 2],\n [3]]}", "ragged.json:2:2: error: this row has shape [1], the first has [2] (the array is not rectangular)"),
        ("nan.json", "{\"x\": NaN}", "nan.json:1:7: error: 'NaN' is not a number"),
        ("overflow.json", "{\"x\": 1e999}", "overflow.json:1:7: error: 1e999 is not a finite number"),
        ("name.json", "{\"2x\": 1}", "name.json:1:2: error: '2x' is not a name"),
        ("twice.json", "{\"x\": 1, \"x\": 2}", "twice.json:1:10: error: 'x' is given twice"),
    ])
    func hostileJSON(file: String, text: String, expected: String) throws {
        let directory = try CLI.temporaryDirectory()
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + file))
        let result = try CLI.run(["trace", "f = sum(x)", "--values", file], in: directory)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("backprop: " + expected), "\(result.stderr)")
        #expect(!result.stderr.dropLast().contains("\n"), "one line: \(result.stderr)")
    }

    @Test("hostile .npy headers are refused before anything is allocated", arguments: [
        (npyFile(descr: "<f8", shape: "(4294967296, 4294967296)", data: Array(repeating: 0, count: 64)), "more entries than an integer can count"),
        (npyFile(descr: "<f8", shape: "(1000,)", data: Array(repeating: 0, count: 64)), "the header promises 1000 entries of 8 bytes, but the file has 64 bytes of data"),
        (npyFile(descr: "<f8", shape: "(3000000,)", data: []), "the limit is 1048576 entries per value"),
        (npyFile(descr: ">f8", shape: "(1,)", data: Array(repeating: 0, count: 8)), "big-endian"),
        (npyFile(descr: "<f8", fortran: true, shape: "(1,)", data: Array(repeating: 0, count: 8)), "Fortran order"),
        (npyFile(descr: "|O", shape: "(1,)", data: Array(repeating: 0, count: 8)), "Python objects"),
        (npyFile(descr: "<f8", shape: "(1,)", data: littleEndian([.nan])), "every value must be finite"),
    ])
    func hostileNumPy(file: Data, expected: String) throws {
        let directory = try CLI.temporaryDirectory()
        try file.write(to: URL(fileURLWithPath: directory + "/w.npy"))
        let result = try CLI.run(["trace", "f = sum(W)", "--values", "W=w.npy"], in: directory)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("backprop: w.npy: error: ") && result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test("a FIFO, a name in both --at and a file, a .npy without a name: exit 2 with the reason")
    func refusals() throws {
        let directory = try CLI.temporaryDirectory()
        #expect(mkfifo(directory + "/fifo", 0o600) == 0)
        let fifo = try CLI.run(["trace", "f = x", "--values", "fifo"], in: directory)
        #expect(fifo.status == 2 && fifo.stderr.contains("fifo: error: cannot read this values file: it is a named pipe"), "\(fifo.stderr)")
        try Data("{\"x\": 1}".utf8).write(to: URL(fileURLWithPath: directory + "/x.json"))
        let both = try CLI.run(["trace", "f = x", "--at", "x=2", "--values", "x.json"], in: directory)
        #expect(both.status == 2 && both.stderr.contains("'x' is given twice: in --at and in x.json"), "\(both.stderr)")
        try npyFile(descr: "<f8", shape: "()", data: littleEndian([1])).write(to: URL(fileURLWithPath: directory + "/x.npy"))
        let unnamed = try CLI.run(["trace", "f = x", "--values", "x.npy"], in: directory)
        #expect(unnamed.status == 2 && unnamed.stderr.contains("give it one, --values W=x.npy"), "\(unnamed.stderr)")
    }
}

/// NumPy archives, written by numpy itself (scripts/npz-fixtures.py made the files in Fixtures/npz).
@Suite("--values FILE.npz")
struct NumPyArchiveCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/npz").path

    @Test("numpy.savez (stored) and numpy.savez_compressed (deflated, float32): every array under its own name",
          arguments: ["stored.npz", "compressed.npz"])
    func archives(file: String) throws {
        let result = try CLI.run(["trace", "f = sum(W @ x)", "--values", Self.fixtures + "/" + file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("f = sum(n2) = sum([8, 26]) = 34"), "\(result.stdout)")
        #expect(result.stdout.contains("∂f/∂W = [[1, 2, 3], [1, 2, 3]]") && result.stdout.contains("∂f/∂x = [3, 5, 7]"), "\(result.stdout)")
    }

    @Test("a name for an archive, a zip bomb, a path out of the archive, a string array, a cut file, a bare zip header: exit 2")
    func refusals() throws {
        let directory = try CLI.temporaryDirectory()
        func refused(_ arguments: [String], _ expected: String, environment: [String: String] = [:],
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try CLI.run(["trace", "f = sum(x)"] + arguments, in: directory, environment: environment)
            #expect(result.status == 2 && result.stderr.contains(expected) && result.stderr.split(separator: "\n").count == 1,
                    "\(result.stderr)", sourceLocation: sourceLocation)
        }
        try refused(["--values", "x=" + Self.fixtures + "/stored.npz"], "an .npz holds named arrays, each read under its own name")
        // zeros.npz is 1,001 bytes and inflates to 800,128: the count of bytes stops it, not the sizes it declares.
        try refused(["--values", Self.fixtures + "/zeros.npz"], "once inflated; at most 100000 are read",
                    environment: ["BACKPROP_MAX_DATA_BYTES": "100000"])
        try refused(["--values", Self.fixtures + "/traversal.npz"], "the .npz entry '../x.npy' does not name an input")
        try refused(["--values", Self.fixtures + "/strings.npz"], "in the .npz entry 'x.npy': the dtype '<U1' is not read")
        let stored = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/stored.npz"))
        try stored.prefix(100).write(to: URL(fileURLWithPath: directory + "/cut.npz"))
        try refused(["--values", "cut.npz"], "cut.npz: error: this .npz is not a zip archive numpy writes")
        try Data([0x50, 0x4B, 0x03, 0x04, 0, 0]).write(to: URL(fileURLWithPath: directory + "/x.npz"))
        try refused(["--values", "x.npz"], "x.npz: error: this .npz is not a zip archive numpy writes")
    }
}
