import Autograd
import Foundation
import Testing
import TestSupport

// The graph's bookkeeping around backward: what gets a gradient, reuse of the arena, non-finite values.

@Suite("Graph")
struct GraphTests {
    @Test("only ancestors of the output that are not constants get a gradient")
    func reach() throws {
        let graph = Graph()
        let x = graph.input("x", 2), y = graph.input("y", 3), c = graph.constant(4)
        let a = try graph.apply(.multiply, x, c)          // 8, used
        let unused = try graph.apply(.exp, y)             // not an ancestor of a
        #expect(graph.gradient(of: x) == nil, "no gradient before backward")
        try graph.backward(from: a)
        #expect(graph.backwardOutput == a)
        #expect(graph.gradient(of: a) == Tensor(scalar: 1))
        #expect(graph.gradient(of: x) == Tensor(scalar: 4))
        #expect(graph.gradient(of: c) == nil)
        #expect(graph.gradient(of: y) == nil)
        #expect(graph.gradient(of: unused) == nil)
        // The trace's default output is the node backward ran from, not the last node.
        #expect(graph.trace().output == a.index)
    }

    @Test("backward from a leaf gives it gradient 1")
    func backwardFromLeaf() throws {
        let graph = Graph()
        let x = graph.input("x", Tensor(vector: [1, 2]))
        try graph.backward(from: x, seed: Tensor(vector: [3, 4]))
        #expect(graph.gradient(of: x) == Tensor(vector: [3, 4]))
    }

    @Test("reading the graph: inputs, shapes, names, attributes")
    func reading() throws {
        let graph = Graph()
        let x = graph.input("x", Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]))
        let p = graph.parameter("p", Tensor(vector: [1, 1, 1]))
        let s = try graph.apply(.sum, graph.apply(.multiply, x, p), attribute: .axis(-1))
        #expect(graph.count == 4)
        let n1 = try graph.node(at: 1), n2 = try graph.node(at: 2)
        #expect(graph.nodes.map(\.index) == [0, 1, 2, 3])
        #expect(graph.operations == [.input, .parameter, .multiply, .sum])
        #expect(graph.inputs(of: n2) == [x, p])
        #expect(graph.inputs(of: s) == [n2])
        #expect(graph.inputs(of: x).isEmpty)
        #expect(graph.shape(of: n2) == [2, 3] && graph.shape(of: s) == [2])
        #expect(graph.attribute(of: s) == .axis(1))
        #expect(graph.name(of: s) == nil)
        graph.setName("s", for: s)
        graph.setName("total", for: s)
        #expect(graph.name(of: s) == "total" && graph.label(of: s) == "total")
        #expect(graph.label(of: n2) == "n2")
        #expect(n2.description == "n2" && n1 < n2)
        #expect(graph.value(of: s) == Tensor(vector: [6, 15]))
        #expect(graph.trace().nodes[p.index].kind == .parameter)
    }

    @Test("removeAll(keepingCapacity:) then rebuild: no stale nodes, names or gradients", arguments: [true, false])
    func reuse(keepingCapacity: Bool) throws {
        let graph = Graph()
        // A bigger graph with tensors first, so the smaller rebuilds find leftover memory.
        let v = graph.input("v", Tensor(vector: [1, 2, 3]))
        let big = try graph.apply(.sum, graph.apply(.multiply, v, v))
        try graph.backward(from: big)
        #expect(graph.gradient(of: v) == Tensor(vector: [2, 4, 6]))

        for example in Fixtures.workedExamples + Fixtures.workedExamples {
            graph.removeAll(keepingCapacity: keepingCapacity)
            #expect(graph.count == 0 && graph.backwardOutput == nil && graph.firstNonFiniteNode == nil)
            let (output, nodes) = try example.build(in: graph)
            #expect(graph.count == nodes.count + (example.name == "neuron" ? 1 : 0))
            for input in example.inputs { #expect(graph.gradient(of: nodes[input.name]!) == nil) }
            try graph.backward(from: output)
            #expect(graph.scalarValue(of: output) == example.output)
            for expected in example.inputGradients + example.intermediateGradients {
                #expect(graph.gradient(of: nodes[expected.name]!) == Tensor(scalar: expected.value), "\(example.name): ∂f/∂\(expected.name)")
            }
            #expect(graph.name(of: output) == example.outputName)
            #expect(graph.attribute(of: output) == nil)
            let trace = graph.trace()
            #expect(trace.nodes.count == graph.count)
            #expect(trace.nodes.allSatisfy { $0.gradient != nil })
        }

        // And back to tensors after scalar rebuilds.
        graph.removeAll(keepingCapacity: keepingCapacity)
        let m = graph.input("m", Tensor(shape: [2, 2], storage: [1, 2, 3, 4]))
        let t = try graph.apply(.sum, graph.apply(.transpose, m), attribute: .axis(0))
        try graph.backward(from: t, seed: Tensor(vector: [10, 1]))
        #expect(graph.gradient(of: m) == Tensor(shape: [2, 2], storage: [10, 10, 1, 1]))
        #expect(graph.attribute(of: t) == .axis(0))
    }

    @Test("the first non-finite value is remembered", arguments: [false, true])
    func firstNonFinite(tensor: Bool) throws {
        let graph = Graph()
        let x = tensor ? graph.input("x", Tensor(vector: [1, 0])) : graph.input("x", 0)
        let fine = try graph.apply(.exp, x)
        #expect(graph.firstNonFiniteNode == nil)
        let bad = try graph.apply(.log, x)            // log 0 = −∞
        _ = try graph.apply(.sqrt, graph.apply(.negate, fine))   // NaN, later
        #expect(graph.firstNonFiniteNode == bad)
        #expect(!graph.value(of: bad).isFinite)
    }

    @Test("scalar and tensor nodes interleaved: the scalar fast path and the tensor path hand over")
    func interleaved() throws {
        // s = sum(v); g = s·s; f = sum(v·g + tanh(g)·v)
        let values: [Double] = [0.1, -0.3, 0.25]
        let graph = Graph()
        let v = graph.input("v", Tensor(vector: values))
        let s = try graph.apply(.sum, v)
        let g = try graph.apply(.multiply, s, s)
        let left = try graph.apply(.multiply, v, g)
        let right = try graph.apply(.multiply, graph.apply(.tanh, g), v)
        let f = try graph.apply(.sum, graph.apply(.add, left, right))
        try graph.backward(from: f)
        // By hand: f = (g + tanh g)·S with S = Σv, g = S², so df/dvᵢ = (g + tanh g) + S·(1 + 1 − tanh² g)·2S.
        let total = values.reduce(0, +), square = total * total
        let expected = square + tanh(square) + total * (2 - tanh(square) * tanh(square)) * 2 * total
        let gradient = try #require(graph.gradient(of: v))
        #expect(isClose(gradient, Tensor(vector: [expected, expected, expected]), relative: 1e-12))
        #expect(GradientCheck.run(graph, output: f).passed)
    }
}
