import Autograd
@testable import Expressions
import Foundation
import Testing

// PyTorch's operations (issue 27, item 2) against PyTorch's own figures, without PyTorch: each case
// of TorchReference/torch-ops.json is a program run here and, once, by scripts/torch-ops-reference.py
// in torch 2.13 (float64), which stored the output and every input's gradient.

struct TorchReferenceCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Input: Decodable, Sendable {
        let name: String
        let shape: [Int]
        let values: [Double]
        let integer: Bool
    }
    let name: String
    let program: String
    let inputs: [Input]
    let output: Double
    let gradients: [String: [Double]]
    var testDescription: String { name }
}

private struct TorchReference: Decodable {
    let torch: String
    let cases: [TorchReferenceCase]
}

private let referenceCases: [TorchReferenceCase] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("TorchReference/torch-ops.json")
    guard let data = try? Data(contentsOf: url), let reference = try? JSONDecoder().decode(TorchReference.self, from: data) else { return [] }
    return reference.cases
}()

/// Whether `a` is PyTorch's `b` to 1e-12 relative (an absolute floor of 1e-14 for entries that are
/// 0 in exact arithmetic and rounding leaves near it, like a sum of softmax gradients).
private func agrees(_ a: Double, _ b: Double) -> Bool {
    a == b || Swift.abs(a - b) <= 1e-12 * Swift.max(Swift.abs(a), Swift.abs(b)) + 1e-14
}

@Suite("PyTorch's operations against PyTorch's figures (float64)")
struct TorchOpsTests {
    @Test("the fixture is there and covers every op added for PyTorch's names")
    func coverage() {
        #expect(referenceCases.count >= 30)
        let programs = referenceCases.map(\.program).joined(separator: "\n")
        for name in ["conv2d", "max_pool2d", "avg_pool2d", "flatten", "softmax", "log_softmax", "cross_entropy", "nll_loss",
                     "mse_loss", "l1_loss", "binary_cross_entropy(", "binary_cross_entropy_with_logits", "amax", "amin",
                     "argmax", "var(", "std(", "logsumexp", "keepdim", "permute", "transpose(x, 0", "unsqueeze", "squeeze", "gelu", "silu", "elu(", "log1p", "expm1", "erf", "tan(", "clamp", "gt(", "lt(", "ge(", "le(", "eq(", "ne(", "where(", "cat(", "stack("] {
            #expect(programs.contains(name), "no reference case uses \(name)")
        }
    }

    @Test("output and gradients agree with PyTorch", arguments: referenceCases)
    func agreesWithTorch(reference: TorchReferenceCase) throws {
        let inputs = reference.inputs.map { ($0.name, Tensor(shape: $0.shape, storage: $0.values)) }
        let program = try Expressions.evaluate(reference.program, options: .init(inputs: inputs))
        let output = program.graph.value(of: program.output)
        #expect(output.shape == [])
        #expect(agrees(output.scalar, reference.output), "output \(output.scalar) against PyTorch's \(reference.output)")
        try program.graph.backward(from: program.output)
        for input in reference.inputs {
            let node = try #require(program.node(named: input.name))
            let gradient = program.graph.gradient(of: node) ?? .zeros(input.shape)
            #expect(gradient.shape == input.shape)
            if input.integer {
                #expect(gradient.storage.allSatisfy { $0 == 0 }, "class indices \(input.name) get no gradient")
                continue
            }
            let expected = try #require(reference.gradients[input.name])
            #expect(gradient.count == expected.count)
            let worst = zip(gradient.storage, expected).filter { !agrees($0, $1) }
            #expect(worst.isEmpty, "∂f/∂\(input.name): \(worst.count) entries differ, first \(worst.first.map { "\($0.0) against \($0.1)" } ?? "")")
        }
    }
}
