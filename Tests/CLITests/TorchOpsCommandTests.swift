import Foundation
import Testing

// Issue 27's first "Done when": `backprop trace` runs the notes' CNN (000: convolution, ReLU, 2×2
// max-pooling twice, a linear layer, cross-entropy; here 2 and 4 filters of 5×5 with padding 2 instead
// of 16 and 32) forward and backward on one 8×8 image in one program, draws it and checks it with
// --check. The program and its inputs are docs/examples/cnn.bp and cnn-at.txt, as the docs show them.

@Suite("backprop trace: the notes' CNN with PyTorch's operations", .serialized)
struct TorchOpsCommandTests {
    static let examples = CLI.packageRoot.appendingPathComponent("docs/examples")
    static func arguments() throws -> [String] {
        let at = try String(contentsOf: examples.appendingPathComponent("cnn-at.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return ["trace", "--file", examples.appendingPathComponent("cnn.bp").path, "--at", at, "--params", "w1,b1,w2,b2,W3,b3"]
    }

    @Test("forward, backward, --check and a drawing of the CNN program")
    func cnn() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CLI.run(try Self.arguments() + ["--check", "-o", "cnn.svg"], in: directory)
        #expect(result.status == 0, "\(result.stderr.prefix(500))")
        #expect(result.stdout.contains("all gradients agree"))
        #expect(!result.stdout.contains("✗"))
        for step in ["conv2d(n3, w1, 5×5, stride 1, padding 2)", "max_pool2d(", "log_softmax(scores, axis 0)", "loss = nll_loss(", "relu("] {
            #expect(result.stdout.contains(step), "no \(step) in the trace")
        }
        for input in ["image", "w1", "b1", "w2", "b2", "W3", "b3"] {
            #expect(result.stdout.contains("∂loss/∂\(input) = "), "no gradient of \(input)")
        }
        // Every entry of every input is checked: 64 + 50 + 2 + 200 + 4 + 48 + 3 = 371 rows.
        #expect(result.stdout.components(separatedBy: "  ✓").count - 1 == 371)
        let svg = try String(contentsOfFile: directory + "/cnn.svg", encoding: .utf8)
        for label in ["conv2d", "maxpool", "nll_loss", "log_softmax", "upstream routed to each window", "upstream correlated back through the filters"] {
            #expect(svg.contains(label), "the drawing has no \(label)")
        }
    }

    @Test("--json names the new operations and gives every parameter a gradient")
    func json() throws {
        let result = try CLI.run(try Self.arguments() + ["--json"])
        #expect(result.status == 0, "\(result.stderr.prefix(500))")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        let operations = Set(nodes.compactMap { $0["operation"] as? String })
        #expect(operations.isSuperset(of: ["conv2d", "max_pool2d", "relu", "reshape", "matmul", "log_softmax", "nll_loss"]), "\(operations)")
        let gradients = try #require(object["gradients"] as? [String: Any])
        #expect(Set(gradients.keys) == ["image", "w1", "b1", "w2", "b2", "W3", "b3"])
        let loss = try #require(object["value"] as? Double)
        #expect(loss > 0 && loss.isFinite)
    }
}
