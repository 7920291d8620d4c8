import Autograd
import Testing

// Issue 16: sizes computed from input are checked (no wrap-around), and a limited graph refuses a
// value or a total past its limits before allocating it.

@Suite("Graph limits and checked sizes")
struct LimitTests {
    @Test("entries(of:) is a checked product: overflow and negative sizes give nil")
    func checkedProduct() {
        #expect(GraphLimits.entries(of: [2, 3, 4]) == 24)
        #expect(GraphLimits.entries(of: []) == 1)
        #expect(GraphLimits.entries(of: [0, Int.max]) == 0)
        #expect(GraphLimits.entries(of: [65536, 65536, 65536, 65536]) == nil)
        #expect(GraphLimits.entries(of: [Int.max, 2]) == nil)
        #expect(GraphLimits.entries(of: [-1, 4]) == nil)
    }

    @Test("reshape of an empty tensor to 65536⁴ (which wraps to 0) is refused, even unlimited")
    func reshapeOverflow() throws {
        let graph = Graph()
        let w = graph.input("W", Tensor(shape: [0], storage: []))
        #expect(throws: AutogradError.invalidOperand(operation: "reshape", reason: "invalid shape [65536, 65536, 65536, 65536]: it has more entries than an integer can count")) {
            try graph.apply(.reshape, w, attribute: .shape([65536, 65536, 65536, 65536]))
        }
        #expect(graph.count == 1)
    }

    @Test("a broadcast and a product past entriesPerValue are refused before they are computed")
    func perValue() throws {
        let graph = Graph()
        graph.limits = GraphLimits(entriesPerValue: 1000, entriesPerGraph: 1_000_000)
        let column = graph.input("c", Tensor(shape: [100, 1], storage: Array(repeating: 1, count: 100)))
        let row = graph.input("r", Tensor(shape: [100], storage: Array(repeating: 1, count: 100)))
        #expect(throws: AutogradError.invalidOperand(operation: "*", reason: "the result would have 10000 entries (shape [100, 100]); the limit is 1000 entries per value (it would take 80 kB; docs/reliability.md says how to raise the limit)")) {
            try graph.apply(.multiply, column, row)
        }
        let a = graph.input("a", Tensor(shape: [100, 1], storage: Array(repeating: 1, count: 100)))
        let b = graph.input("b", Tensor(shape: [1, 100], storage: Array(repeating: 1, count: 100)))
        #expect(throws: AutogradError.invalidOperand(operation: "@", reason: "the result would have 10000 entries (shape [100, 100]); the limit is 1000 entries per value (it would take 80 kB; docs/reliability.md says how to raise the limit)")) {
            try graph.apply(.matmul, a, b)
        }
        // Within the limit, the same operations work.
        let small = try graph.apply(.matmul, b, a)
        #expect(graph.value(of: small) == Tensor(shape: [1, 1], storage: [100]))
    }

    @Test("the graph's total is limited too: the operation that would pass it is refused")
    func perGraph() throws {
        let graph = Graph()
        graph.limits = GraphLimits(entriesPerValue: 1000, entriesPerGraph: 2500)
        var x = graph.input("x", Tensor(shape: [1000], storage: Array(repeating: 0.5, count: 1000)))
        x = try graph.apply(.tanh, x)   // 2000 entries in all
        #expect(graph.entries == 2000)
        #expect(throws: AutogradError.invalidOperand(operation: "tanh", reason: "the program would hold more than 2500 tensor entries in all (this result adds 1000); that is the limit per program (docs/reliability.md says how to raise it)")) {
            try graph.apply(.tanh, x)
        }
        graph.removeAll()
        #expect(graph.entries == 0)
    }

    @Test("x^y at x = y = 0: the central difference in y is -inf, so the entry is undefined, not a failure with a NaN error")
    func undefinedCheck() throws {
        let graph = Graph()
        let x = graph.input("x", 0.0), y = graph.input("y", 0.0)
        let f = try graph.apply(.power, x, y)
        try graph.backward(from: f)
        let check = GradientCheck.run(graph, output: f)
        #expect(check.entries.map(\.status) == [.pass, .undefined])
        #expect(check.passed)
        #expect(check.entries[1].relativeError == .infinity)
        #expect(check.maximumRelativeError == 0)
    }
}
