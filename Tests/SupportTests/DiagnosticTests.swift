import Autograd
import Datasets
import Expressions
import Foundation
import Support
import Testing

@Suite("one Diagnostic: what, where and the exit status as fields")
struct DiagnosticTests {
    @Test("the headline puts the place first and 'error:' once")
    func headline() {
        #expect(WorkbenchFailure.badInput("unknown key 'nme'", at: SourceLocation(file: "m.toml", line: 1, column: 1)).headline
                == "m.toml:1:1: error: unknown key 'nme'")
        #expect(WorkbenchFailure.failed("the claim is wrong").headline == "error: the claim is wrong")
        #expect(WorkbenchFailure.badInput("bad", at: SourceLocation(file: "--claim", column: 4)).headline == "--claim:4: error: bad")
        #expect(WorkbenchFailure.failed("x").exitStatus == .failed)
    }

    @Test("the engine's errors are diagnostics with their places")
    func engineErrors() throws {
        do { _ = try Expressions.evaluate("f = x +", options: .init(inputs: [("x", Tensor(scalar: 1))])); Issue.record("accepted") } catch let error as ExpressionError {
            let diagnostic: any Diagnostic = error
            #expect(diagnostic.location?.line == 1)
            #expect(diagnostic.exitStatus == .badInput)
            #expect(error.located(in: "prog.bp").headline.hasPrefix("prog.bp:1:"))
        } catch { Issue.record("\(error)") }
        let data = DatasetError(file: "iris.csv", place: "line 12, field 3", "'x' is not a number")
        #expect(data.location == SourceLocation(file: "iris.csv", line: 12))
        #expect(data.what == "field 3: 'x' is not a number")
        #expect(AutogradError.backwardTwice.exitStatus == .badInput)
    }

    /// The place and status are fields: no source file writes `file:line: error:` into a message.
    @Test("no message string has a place or 'error:' baked into it")
    func noBakedPlaces() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 50)
        var offenders: [String] = []
        for file in files where !file.hasPrefix("Expressions/") {
            let text = try String(contentsOfFile: sources.path + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where (line.contains(".badInput(\"") || line.contains(".failed(\"")) && line.contains(": error: ") {
                offenders.append("\(file):\(number + 1)")
            }
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }
}
