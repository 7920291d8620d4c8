import Autograd
import Expressions
import Foundation
import Testing

// Issue 30's reproducers through the expression language: each is one positioned error, found
// before any of its work is done, in well under a second.

@Suite("Expression language: sizes and rank (issue 30)")
struct SizeLimitTests {
    /// The error `source` at `at` ends with, and how long it took.
    static func failure(_ source: String, _ at: String) throws -> (ExpressionError, Duration) {
        let start = ContinuousClock.now
        do {
            _ = try Expressions.evaluate(source, options: .init(inputs: InputValues.parse(at)))
        } catch {
            return (error, ContinuousClock.now - start)
        }
        Issue.record("\(source) was accepted")
        throw CancellationError()
    }

    static let hugeEmpty = "reshape(W[0:0], [0, 999999999, 999999999, 999999999])"

    @Test("each reproducer is one error at its place", arguments: [
        ("f = sum(transpose(\(hugeEmpty)))", "1:19", "its other axes multiply past what an integer can count"),
        ("f = sum(\(hugeEmpty)[:, 0])", "1:9", "its other axes multiply past what an integer can count"),
        ("f = sum(sum(reshape(W[0:0], [300000000, 0]), 1))", "1:13", "its other axes multiply to 300000000, past the limit of 1048576 entries per value"),
        ("f = sum(reshape(W[0:0], [0, 999999, 999999])[:, 0])", "1:9", "multiply to 999998000001"),
        ("f = sum(W) + sum([[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]])", "1:18", "this tensor has 17 axes; a value has at most 16"),
    ])
    func reproducers(source: String, place: String, message: String) throws {
        let (error, time) = try Self.failure(source, "W=[1,2]")
        #expect(error.position.map { "\($0.line):\($0.column)" } == place, "\(error)")
        #expect(error.line().contains(message), "\(error)")
        #expect(!error.line().contains("\n"), "one line: \(error)")
        #expect(time < .seconds(2))
    }

    @Test("a one-entry value of rank 10,000 or 50,000 is refused at once", arguments: [10_000, 50_000])
    func highRank(axes: Int) throws {
        let source = "f = sum(reshape(x, [" + Array(repeating: "1", count: axes).joined(separator: ", ") + "]))"
        let (error, time) = try Self.failure(source, "x=2")
        #expect(error.line().contains("reshape: the new shape has \(axes) axes; a value has at most 16"), "\(error.line().prefix(300))")
        #expect(error.line().utf8.count < 300, "the message does not repeat the shape")
        #expect(time < .seconds(2), "\(time)")
    }

    @Test("16 axes are fine; an input of 17 axes is refused where it is written")
    func rankSixteen() throws {
        let program = try Expressions.evaluate("f = sum(reshape(x, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))",
                                               options: .init(inputs: InputValues.parse("x=[1, 2]")))
        #expect(program.graph.value(of: program.output) == Tensor(scalar: 3))
        let deep = String(repeating: "[", count: 17) + "1" + String(repeating: "]", count: 17)
        let error = #expect(throws: ExpressionError.self) { try InputValues.parse("x=\(deep)") }
        #expect(error?.line().contains("this tensor has 17 axes; a value has at most 16") == true, "\(String(describing: error))")
    }
}
