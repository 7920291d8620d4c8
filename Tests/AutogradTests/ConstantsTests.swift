import Autograd
import Foundation
import Testing

// Issue 27 item 3, "constants are constants": PyTorch's requires_grad, the masks of its backward,
// and a scalar as a 0-d tensor.
//
// Reference figures: torch was not installed here (no PyPI wheel fetched), so each expected figure
// is derived by hand from PyTorch's autograd formulas (tools/autograd/derivatives.yaml,
// torch/csrc/autograd/FunctionsManual.cpp), written next to it. The three programs of the issue
// are the ones it quotes PyTorch for: x ^ (1 + 1) at −2 gives ∂f/∂x = 2·(−2) = −4; x * sqrt(0 * 1)
// at 1 gives sqrt(0) = 0; sum(sqrt(relu(x))) at [−1, 4] gives [0, 0.25].

@Suite("Constants, masks and 0-d tensors (PyTorch's conventions)")
struct ConstantsTests {
    @Test("requires_grad: inputs and parameters do, constants and operations on constants only do not")
    func requiresGradient() throws {
        let graph = Graph()
        let x = graph.input("x", -2), w = graph.parameter("w", Tensor(scalar: 3))
        let one = graph.constant(1), two = try graph.apply(.add, one, one)
        let square = try graph.apply(.power, x, two)
        let scaled = try graph.apply(.multiply, square, w)
        #expect(graph.requiresGradient(x) && graph.requiresGradient(w))
        #expect(!graph.requiresGradient(one) && !graph.requiresGradient(two))
        #expect(graph.requiresGradient(square) && graph.requiresGradient(scaled))
    }

    @Test("x ^ (1 + 1) at x = −2: no gradient for 1 + 1, so no NaN from ∂(x^y)/∂y = x^y·ln x")
    func constantExponent() throws {
        let graph = Graph()
        let x = graph.input("x", -2)
        let two = try graph.apply(.add, graph.constant(1), graph.constant(1))
        let f = try graph.apply(.power, x, two)
        try graph.backward(from: f)
        #expect(graph.scalarValue(of: f) == 4)
        #expect(graph.gradient(of: x)?.scalar == -4)          // PyTorch: 2·x = −4
        #expect(graph.gradient(of: two) == nil)
        #expect(graph.firstNonFiniteGradient == nil)
        // The trace shows 1 + 1 as it shows a constant: no gradient, no upstream on its edges.
        let trace = graph.trace()
        let node = trace.nodes[two.index]
        #expect(node.kind == .operation && !node.requiresGradient && node.gradient == nil)
        #expect(node.contributions.isEmpty)
        for edge in trace.edges where edge.to == two.index || edge.from == two.index {
            #expect(edge.upstream == nil && edge.contribution == nil)
        }
        #expect(trace.backwardSteps.allSatisfy { trace.edges[$0].from == x.index })
    }

    @Test("x * sqrt(0 * 1) at x = 1: sqrt′(0) = ∞ on a constant is never computed")
    func constantSquareRoot() throws {
        let graph = Graph()
        let x = graph.input("x", 1)
        let root = try graph.apply(.sqrt, try graph.apply(.multiply, graph.constant(0), graph.constant(1)))
        let f = try graph.apply(.multiply, x, root)
        try graph.backward(from: f)
        #expect(graph.scalarValue(of: f) == 0)
        #expect(graph.gradient(of: x)?.scalar == 0)           // PyTorch: sqrt(0) = 0
        #expect(graph.gradient(of: root) == nil)
        #expect(graph.firstNonFiniteGradient == nil)
    }

    @Test("sum(sqrt(relu(x))) at [−1, 4]: relu's mask sends 0 where sqrt′(0) = ∞ arrives")
    func reluMasksInfinity() throws {
        let graph = Graph()
        let x = graph.input("x", Tensor(shape: [2], storage: [-1, 4]))
        let f = try graph.apply(.sum, try graph.apply(.sqrt, try graph.apply(.relu, x)))
        try graph.backward(from: f)
        #expect(graph.scalarValue(of: f) == 2)
        // PyTorch: threshold_backward(grad, result, 0) gives [0, 1/(2·√4)] = [0, 0.25].
        #expect(graph.gradient(of: x) == Tensor(shape: [2], storage: [0, 0.25]))
        // relu's own gradient is [∞, 0.25] (sqrt′(0) = ∞), as PyTorch's retain_grad shows; x's is finite.
        #expect(graph.gradient(of: try graph.node(at: 1)) == Tensor(shape: [2], storage: [.infinity, 0.25]))
        #expect(graph.firstNonFiniteInputGradient == nil)
        // The scalar fast path and the trace's numbers agree.
        let scalar = Graph()
        let s = scalar.input("x", -1)
        let g = try scalar.apply(.sqrt, try scalar.apply(.relu, s))
        try scalar.backward(from: g)
        #expect(scalar.gradient(of: s)?.scalar == 0)
        let edge = try #require(scalar.trace().edges.first { $0.from == s.index })
        #expect(edge.upstream?.scalar == .infinity && edge.contribution?.scalar == 0)
    }

    /// One elementwise operation on [x] (and [y]) under a seed of +∞ per entry: what backward sends
    /// to each operand, against PyTorch's formula.
    static func underInfiniteSeed(_ operation: Operation, _ x: [Double], _ y: [Double]? = nil) throws -> [[Double]] {
        let graph = Graph()
        let a = graph.input("x", Tensor(shape: [x.count], storage: x))
        let b = y.map { graph.input("y", Tensor(shape: [$0.count], storage: $0)) }
        let out = try graph.apply(operation, a, b)
        try graph.backward(from: out, seed: Tensor(repeating: .infinity, shape: [x.count]))
        return ([a] + (b.map { [$0] } ?? [])).map { graph.gradient(of: $0)?.storage ?? [] }
    }

    static func same(_ a: [[Double]], _ b: [[Double]]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { row in
            row.0.count == row.1.count && zip(row.0, row.1).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 }
        }
    }

    @Test("masks select where PyTorch's backward does, and multiply where it multiplies")
    func masksAgainstPyTorchFormulas() throws {
        let inf = Double.infinity, nan = Double.nan
        // relu: threshold_backward(grad, result, 0): 0 where result ≤ 0.
        #expect(Self.same(try Self.underInfiniteSeed(.relu, [-1, 0, 2]), [[0, 0, inf]]))
        // step: flat, zeros_like(grad) as PyTorch's sign and round.
        #expect(Self.same(try Self.underInfiniteSeed(.step, [-1, 0, 2]), [[0, 0, 0]]))
        // maximum: where(x == y, grad/2, grad).masked_fill_(x < y, 0), and (x > y) for y.
        #expect(Self.same(try Self.underInfiniteSeed(.maximum, [-1, 1, 1], [0, 0, 1]), [[0, inf, inf], [inf, 0, inf]]))
        // minimum: masked_fill_(x > y, 0) for x, (x < y) for y.
        #expect(Self.same(try Self.underInfiniteSeed(.minimum, [-1, 1, 1], [0, 0, 1]), [[inf, 0, inf], [0, inf, inf]]))
        // prelu: grad_input = x > 0 ? grad : a·grad (multiplies: 0·∞ = NaN);
        //        grad_weight = x > 0 ? 0 : x·grad (selects where x > 0, multiplies elsewhere).
        #expect(Self.same(try Self.underInfiniteSeed(.leakyRelu, [2, -1, 0], [0, 0, 0]), [[inf, nan, nan], [0, -inf, nan]]))
        // pow_backward_self: where(y == 0, 0, grad·y·x^(y−1)); pow_backward_exponent:
        // grad·where(x == 0 & y ≥ 0, 0, f·ln x) multiplies, so ∞·0 = NaN at x = 0.
        #expect(Self.same(try Self.underInfiniteSeed(.power, [2, 0], [0, 2]), [[0, nan], [inf, nan]]))
        // abs: grad·sgn(x) multiplies, so ∞·0 = NaN at 0.
        #expect(Self.same(try Self.underInfiniteSeed(.abs, [0, -1]), [[nan, -inf]]))
        // multiply: grad·y.
        #expect(Self.same(try Self.underInfiniteSeed(.multiply, [0, 1], [0, -2]), [[nan, -inf], [nan, inf]]))
    }

    @Test("the masks hold on the scalar fast path too (scalar operands, one node each)")
    func scalarMasks() throws {
        // max(x, 0) at x = −1 under sqrt: sqrt′(0) = ∞ arrives, the smaller side gets 0.
        let graph = Graph()
        let x = graph.input("x", -1), y = graph.input("y", 0)
        let larger = try graph.apply(.maximum, x, y)
        let f = try graph.apply(.sqrt, larger)
        try graph.backward(from: f)
        #expect(graph.gradient(of: larger)?.scalar == .infinity)
        #expect(graph.gradient(of: x)?.scalar == 0)              // masked_fill_(x < y, 0)
        #expect(graph.gradient(of: y)?.scalar == .infinity)
    }

    @Test("a scalar is a 0-d tensor: log_softmax is 0 with gradient 0; sum and mean along 0 or −1 are x")
    func zeroDimensional() throws {
        let graph = Graph()
        let x = graph.input("x", 2.0)
        let logp = try graph.apply(.logSoftmax, x)
        #expect(graph.shape(of: logp) == [] && graph.scalarValue(of: logp) == 0)
        let s = try graph.apply(.sum, x, attribute: .axis(0))
        let m = try graph.apply(.mean, x, attribute: .axis(-1))
        #expect(graph.scalarValue(of: s) == 2 && graph.scalarValue(of: m) == 2)
        // PyTorch: log_softmax'(x) of a 0-d tensor is grad − exp(0)·grad = 0; sum and mean pass 1.
        let total = try graph.apply(.add, try graph.apply(.add, logp, s), m)
        try graph.backward(from: total)
        #expect(graph.gradient(of: x)?.scalar == 2)
        #expect(graph.gradient(of: logp)?.scalar == 1)
        #expect(throws: AutogradError.self) { try graph.apply(.sum, x, attribute: .axis(1)) }
    }
}
