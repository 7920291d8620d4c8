import Foundation
import Testing

// An input the output does not depend on has gradient 0, from the command line: a warning on
// stderr, exit 0, 0 in the table and in JSON, for a constant program too.

@Suite("inputs the output does not depend on")
struct UnusedInputCommandTests {
    @Test("trace --json: exit 0, ∂f/∂x = 0, a note, a warning", arguments: [
        ("f = y * 2", "x=1,y=3"), ("f = 2", "x=1"), ("a = x * 3; f = log(1 + y^2)", "x=1.3,y=-0.3"),
    ])
    func traceJSON(program: String, at: String) throws {
        let result = try CLI.run(["trace", program, "--at", at, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let gradients = try #require(object["gradients"] as? [String: Any])
        #expect((gradients["x"] as? NSNumber)?.doubleValue == 0, "\(gradients)")
        #expect((object["notes"] as? [String]) == ["f does not depend on x"])
        let warned = result.stderr.contains("warning: --at gives 'x', which the program does not use; f does not depend on x, so ∂f/∂x = 0")
        #expect(warned == !program.contains("x"), "\(result.stderr)")
    }

    @Test("trace's table and check agree: 0, with the note")
    func tableAndCheck() throws {
        let trace = try CLI.run(["trace", "f = 2", "--at", "x=1"])
        #expect(trace.status == 0 && trace.stdout.contains("∂f/∂x = 0   (f does not depend on x)"), "\(trace.stdout)")
        let check = try CLI.run(["check", "f = y * 2", "--at", "x=1,y=3", "--claim", "df/dx = 0"])
        #expect(check.status == 0 && check.stdout.contains("f does not depend on x"), "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.hasPrefix("warning: --at gives 'x'"))
    }

    @Test("W @ y with mismatched sizes where transpose(W) @ y fits: the message says so")
    func transposeHint() throws {
        let result = try CLI.run(["check", "h = W @ x; f = sum(h * y)", "--at", "W=[[1,2,3],[4,5,6]],x=[1,-1,2],y=[2,5]", "--claim", "df/dx = W @ y"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("did you mean transpose(W) @ y?"), "\(result.stderr)")
    }
}
