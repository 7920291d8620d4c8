import Foundation
import Testing

// `backprop trace` on the programs of issue 27 item 3, which PyTorch computes and the tool used to
// refuse (exit 1, "the gradient of n3 (add) is NaN", "… is infinity") or reject (log_softmax of a
// scalar, exit 2). The figures are PyTorch's, derived from its autograd formulas
// (see Tests/AutogradTests/ConstantsTests.swift).

@Suite("backprop trace: constants, masks, 0-d tensors", .serialized)
struct ConstantsCommandTests {
    @Test("each program exits 0 and prints PyTorch's gradient", arguments: [
        (["f = x ^ (1 + 1)", "--at", "x=-2"], "∂f/∂x = -4"),
        (["f = x * sqrt(0 * 1)", "--at", "x=1"], "∂f/∂x = 0"),
        (["f = sum(sqrt(relu(x)))", "--at", "x=[-1, 4]"], "∂f/∂x = [0, 0.25]"),
        (["f = log_softmax(x)", "--at", "x=2"], "∂f/∂x = 0"),
    ])
    func programs(arguments: [String], gradient: String) throws {
        let result = try CLI.run(["trace"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.stdout.contains("gradients\n  \(gradient)\n") || result.stdout.hasSuffix("gradients\n  \(gradient)"),
                "\(result.stdout)")
    }

    @Test("the constant subexpression has no gradient in the JSON, and --check checks only x")
    func jsonAndCheck() throws {
        let result = try CLI.run(["trace", "f = x ^ (1 + 1)", "--at", "x=-2", "--json", "--check"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["gradients"] as? [String: Double] == ["x": -4])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        let sum = try #require(nodes.first { $0["operation"] as? String == "add" })
        #expect(sum["requires_grad"] as? Bool == false)
        #expect(sum["gradient"] is NSNull)
        #expect(nodes.first { $0["name"] as? String == "x" }?["requires_grad"] as? Bool == true)
        let check = try #require(object["check"] as? [String: Any])
        let entries = try #require(check["entries"] as? [[String: Any]])
        #expect(entries.count == 1 && entries.first?["input"] as? String == "x")
    }

    @Test("an input's NaN gradient is still refused: x ^ y at x = −2 (∂f/∂y = f·ln(−2))")
    func inputNaNStillRefused() throws {
        let result = try CLI.run(["trace", "f = x ^ y", "--at", "x=-2,y=2"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the gradient of y (input) is NaN"), "\(result.stderr)")
    }
}
