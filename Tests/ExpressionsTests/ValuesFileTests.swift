import Autograd
@testable import Expressions
import Testing

// The values-file readers: JSON objects and values (exact doubles, shapes, positions of mistakes),
// the server's decoded values, and NumPy .npy arrays.

@Suite("values files")
struct ValuesFileTests {
    @Test("a JSON object: names in order, numbers exactly as Double reads them, nested arrays as shapes")
    func object() throws {
        let pairs = try ValuesJSON.object(Array("{\"x\": 0.1, \"W\": [[1, -2e-3], [3.5, 4]], \"s\": [7]}".utf8))
        #expect(pairs.map(\.name) == ["x", "W", "s"])
        #expect(pairs[0].value.storage == [0.1] && pairs[0].value.shape == [])
        #expect(pairs[1].value.shape == [2, 2] && pairs[1].value.storage == [1, -0.002, 3.5, 4])
        #expect(pairs[2].value.shape == [1])
    }

    @Test("mistakes with line and column", arguments: [
        ("{\"x\": [1, [2]]}", 1, 11, "mixes numbers and arrays"),
        ("{\"x\": []}", 1, 8, "an empty array"),
        ("{\"x\": 01}", 1, 7, "'01' is not a JSON number"),
        ("{\"x\": 1}\n,", 2, 1, "after the object"),
        ("[1]", 1, 1, "expected '{'"),
        ("{\"x\": null}", 1, 7, "'null' is not a number"),
    ])
    func mistakes(text: String, line: Int, column: Int, message: String) {
        do { _ = try ValuesJSON.object(Array(text.utf8)); Issue.record("accepted \(text)") } catch {
            #expect(error.line == line && error.column == column && error.message.contains(message), "\(error)")
        }
    }

    @Test("the server's decoded values keep the same rules")
    func nested() throws {
        let matrix = ValuesJSON.Nested.list([.list([.number(1), .number(2)]), .list([.number(3), .number(4)])])
        #expect(try matrix.tensor().shape == [2, 2])
        #expect(throws: ValuesFileError.self) { try ValuesJSON.Nested.list([.list([.number(1)]), .number(2)]).tensor() }
        #expect(throws: ValuesFileError.self) { try ValuesJSON.Nested.number(.infinity).tensor() }
    }

    @Test("a .npy array of '<i4' reads as doubles in C order; a cut header is refused")
    func numpy() throws {
        var header = Array("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(UInt8(ascii: " ")) }
        header.append(UInt8(ascii: "\n"))
        let data: [UInt8] = [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF]
        let file = ValuesNumPy.magic + [1, 0, UInt8(header.count), 0] + header + data
        let tensor = try ValuesNumPy.array(file)
        #expect(tensor.shape == [2, 2] && tensor.storage == [1, 2, 3, -4])
        #expect(throws: ValuesFileError.self) { try ValuesNumPy.array(Array(file.prefix(30))) }
    }
}
