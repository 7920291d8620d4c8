import Autograd
import Foundation
import Testing
import TestSupport

// 4. The trace of the notes' worked examples: nodes, values, gradients, every edge's local gradient,
// upstream and contribution, the order of steps, and fan-out.

/// One edge of f = (x + y)·z as the notes tabulate it.
struct ExpectedEdge: Sendable, CustomTestStringConvertible {
    let from: String
    let to: String
    let operand: Int
    let local: Double
    let upstream: Double
    let contribution: Double
    var testDescription: String { "\(from) → \(to)" }
}

/// f = (x + y)·z at x = −2, y = 5, z = −4: contribution = local × upstream on every edge.
let sumTimesEdges: [ExpectedEdge] = [
    .init(from: "x", to: "q", operand: 0, local: 1, upstream: -4, contribution: -4),
    .init(from: "y", to: "q", operand: 1, local: 1, upstream: -4, contribution: -4),
    .init(from: "q", to: "f", operand: 0, local: -4, upstream: 1, contribution: -4),
    .init(from: "z", to: "f", operand: 1, local: 3, upstream: 1, contribution: 3),
]

/// Records a worked example, runs backward and takes the trace.
func tracedExample(_ example: WorkedExample) throws -> (graph: Graph, trace: Trace, nodes: [String: NodeID]) {
    let graph = Graph()
    let (output, nodes) = try example.build(in: graph)
    try graph.backward(from: output)
    return (graph, graph.trace(), nodes)
}

/// A program with a value used twice: the trace keeps both contributions summed into its gradient.
struct FanOutCase: Sendable, CustomTestStringConvertible {
    let checks: String
    let build: @Sendable (Graph) throws -> (output: NodeID, shared: NodeID)
    /// ∂f/∂shared, and the contribution of each of its uses in edge order.
    let gradient: Tensor
    let contributions: [Tensor]
    var testDescription: String { checks }
}

private let tanhSlope = 1 - Foundation.tanh(0.5) * Foundation.tanh(0.5)

let fanOutCases: [FanOutCase] = [
    .init(checks: "f = x * x at x = 3: 3 + 3 = 6", build: { graph in
        let x = graph.input("x", 3)
        let f = try graph.apply(.multiply, x, x)
        graph.setName("f", for: f)
        return (f, x)
    }, gradient: Tensor(scalar: 6), contributions: [Tensor(scalar: 3), Tensor(scalar: 3)]),
    .init(checks: "a = x + y; f = a * x at x = 2, y = 3: ∂f/∂x = 1·x + a = 2 + 5", build: { graph in
        let x = graph.input("x", 2), y = graph.input("y", 3)
        let a = try graph.apply(.add, x, y)
        graph.setName("a", for: a)
        let f = try graph.apply(.multiply, a, x)
        graph.setName("f", for: f)
        return (f, x)
    }, gradient: Tensor(scalar: 7), contributions: [Tensor(scalar: 2), Tensor(scalar: 5)]),
    .init(checks: "f = sum(v * v) for a vector: 2v from two uses", build: { graph in
        let v = graph.input("v", Tensor(vector: [1, -2, 3]))
        let f = try graph.apply(.sum, graph.apply(.multiply, v, v))
        return (f, v)
    }, gradient: Tensor(vector: [2, -4, 6]), contributions: [Tensor(vector: [1, -2, 3]), Tensor(vector: [1, -2, 3])]),
    .init(checks: "f = tanh(x) + x * 2: different operations share x", build: { graph in
        let x = graph.input("x", 0.5)
        let f = try graph.apply(.add, graph.apply(.tanh, x), graph.apply(.multiply, x, graph.constant(2)))
        return (f, x)
    }, gradient: Tensor(scalar: tanhSlope + 2), contributions: [Tensor(scalar: tanhSlope), Tensor(scalar: 2)]),
]

@Suite("Trace")
struct TraceTests {
    @Test("f = (x + y)·z: nodes, values and gradients")
    func sumTimesNodes() throws {
        let example = Fixtures.sumTimes
        let (_, trace, _) = try tracedExample(example)
        #expect(trace.hasGradients)
        #expect(trace.nodes.map(\.label) == ["x", "y", "z", "q", "f"])
        #expect(trace.nodes.map(\.kind) == [.input, .input, .input, .operation, .operation])
        #expect(trace.nodes.map(\.operation) == ["input", "input", "input", "add", "multiply"])
        #expect(trace.nodes.map(\.symbol).suffix(2) == ["+", "*"])
        #expect(trace.nodes.map(\.id) == [0, 1, 2, 3, 4])
        #expect(trace.nodes[3].inputs == [0, 1])
        #expect(trace.nodes[4].inputs == [3, 2])
        #expect(trace.output == 4)
        #expect(trace.outputNode.label == "f")
        #expect(trace.nodes.map(\.isOutput) == [false, false, false, false, true])
        #expect(trace.inputs.map(\.label) == ["x", "y", "z"])
        for node in trace.nodes {
            let name = try #require(node.name)
            let value = try #require(example.value(of: name)), gradient = try #require(example.gradient(of: name))
            #expect(node.value == Tensor(scalar: value), "value of \(name)")
            #expect(node.gradient == Tensor(scalar: gradient), "gradient of \(name)")
            #expect(node.detail == nil)
        }
    }

    @Test("f = w·x + b: the neuron's values and gradients")
    func neuron() throws {
        let example = Fixtures.neuron
        let (graph, trace, nodes) = try tracedExample(example)
        #expect(trace.outputNode.value == Tensor(scalar: -7))
        for input in example.inputGradients {
            let node = try #require(nodes[input.name])
            #expect(graph.gradient(of: node) == Tensor(scalar: input.value), "∂f/∂\(input.name)")
        }
        // The unnamed product w·x = −10 receives ∂f/∂(wx) = 1.
        let product = try #require(trace.nodes.first { $0.operation == "multiply" })
        #expect(product.label == "n3")
        #expect(product.value == Tensor(scalar: -10))
        #expect(product.gradient == Tensor(scalar: 1))
    }

    @Test("f = (x + y)·z: each edge's local, upstream and contribution", arguments: sumTimesEdges)
    func sumTimesEdge(expected: ExpectedEdge) throws {
        let (_, trace, _) = try tracedExample(Fixtures.sumTimes)
        #expect(trace.edges.count == 4)
        let edge = try #require(trace.edges.first {
            trace.nodes[$0.from].label == expected.from && trace.nodes[$0.to].label == expected.to
        })
        #expect(edge.operand == expected.operand)
        #expect(edge.localGradient.value == Tensor(scalar: expected.local))
        #expect(edge.upstream == Tensor(scalar: expected.upstream))
        #expect(edge.contribution == Tensor(scalar: expected.contribution))
        #expect(expected.local * expected.upstream == expected.contribution)
        // The upstream is the gradient of the operation the edge enters.
        #expect(edge.upstream == trace.nodes[edge.to].gradient)
        #expect(trace.edges[edge.id].id == edge.id)
    }

    @Test("f = (x + y)·z: forward and backward step order")
    func stepOrder() throws {
        let (_, trace, _) = try tracedExample(Fixtures.sumTimes)
        #expect(trace.forwardSteps == [3, 4])
        // Edges are grouped by operation in creation order, then operand order.
        #expect(trace.edges.map { [$0.from, $0.to, $0.operand] } == [[0, 3, 0], [1, 3, 1], [3, 4, 0], [2, 4, 1]])
        // Backward: f's edges first (q then z), then q's (x then y).
        #expect(trace.backwardSteps == [2, 3, 0, 1])
        let labels = trace.backwardSteps.map { "\(trace.nodes[trace.edges[$0].to].label)→\(trace.nodes[trace.edges[$0].from].label)" }
        #expect(labels == ["f→q", "f→z", "q→x", "q→y"])
    }

    @Test("before backward: values only, no gradients or steps")
    func beforeBackward() throws {
        let graph = Graph()
        let (output, _) = try Fixtures.sumTimes.build(in: graph)
        let trace = graph.trace()
        #expect(!trace.hasGradients)
        #expect(trace.output == output.index)
        #expect(trace.nodes.allSatisfy { $0.gradient == nil && $0.contributions.isEmpty })
        #expect(trace.edges.allSatisfy { $0.upstream == nil && $0.contribution == nil })
        #expect(trace.edges.count == 4)
        #expect(trace.edges[2].localGradient.value == Tensor(scalar: -4))   // local gradients need no backward
        #expect(trace.backwardSteps.isEmpty)
        #expect(trace.forwardSteps == [3, 4])
        #expect(trace.outputNode.value == Tensor(scalar: -12))
    }

    @Test("a constant gets no gradient, no upstream and no contribution")
    func constantEdge() throws {
        let graph = Graph()
        let x = graph.input("x", 3)
        let two = graph.constant(2)
        let f = try graph.apply(.multiply, x, two)
        try graph.backward(from: f)
        let trace = graph.trace()
        #expect(trace.nodes[two.index].kind == .constant)
        #expect(trace.nodes[two.index].label == "2")
        #expect(trace.nodes[two.index].gradient == nil)
        #expect(trace.nodes[two.index].contributions.isEmpty)
        let constantEdge = try #require(trace.edges.first { $0.from == two.index })
        #expect(constantEdge.upstream == nil && constantEdge.contribution == nil)
        #expect(constantEdge.localGradient.value == Tensor(scalar: 3))
        let inputEdge = try #require(trace.edges.first { $0.from == x.index })
        #expect(inputEdge.contribution == Tensor(scalar: 2))
        #expect(trace.backwardSteps == [inputEdge.id])
        #expect(trace.nodes[x.index].gradient == Tensor(scalar: 2))
    }

    @Test("fan-out keeps every contribution summed into the gradient", arguments: fanOutCases)
    func fanOut(row: FanOutCase) throws {
        let graph = Graph()
        let (output, shared) = try row.build(graph)
        try graph.backward(from: output)
        let trace = graph.trace()
        let node = trace.nodes[shared.index]
        let gradient = try #require(node.gradient)
        #expect(isClose(gradient, row.gradient, relative: 1e-9))
        #expect(node.contributions.count == row.contributions.count)
        let contributions = try node.contributions.map { id in
            let edge = trace.edges[id]
            #expect(edge.from == shared.index)
            return try #require(edge.contribution)
        }
        for (got, expected) in zip(contributions, row.contributions) {
            #expect(isClose(got, expected, relative: 1e-9), "contribution \(got), expected \(expected)")
        }
        // The contributions add up to the gradient exactly as backward summed them.
        let total = contributions.dropFirst().reduce(contributions[0], +)
        #expect(isClose(total, gradient, relative: 1e-15))
        // Every edge leaving the shared node is listed.
        #expect(Set(node.contributions) == Set(trace.edges.filter { $0.from == shared.index }.map(\.id)))
    }

    @Test("tensor edges: structural local gradients have no value; contributions are shaped like the input")
    func tensorEdges() throws {
        let graph = Graph()
        let w = graph.input("W", Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]))
        let v = graph.input("v", Tensor(vector: [1, 0, -1]))
        let b = graph.input("b", Tensor(scalar: 0.5))
        let h = try graph.apply(.add, graph.apply(.matmul, w, v), b)
        let f = try graph.apply(.sum, h, attribute: .axis(-1))
        try graph.backward(from: f)
        let trace = graph.trace()
        #expect(trace.nodes[f.index].detail == "axis 0")
        let matmulEdges = trace.edges.filter { trace.nodes[$0.to].operation == "matmul" }
        #expect(matmulEdges.count == 2)
        #expect(matmulEdges.allSatisfy { $0.localGradient.value == nil })
        #expect(matmulEdges.map { $0.contribution?.shape } == [[2, 3], [3]])
        #expect(matmulEdges[0].contribution == Tensor(shape: [2, 3], storage: [1, 0, -1, 1, 0, -1]))
        #expect(matmulEdges[1].contribution == Tensor(vector: [5, 7, 9]))
        // The scalar b was broadcast over [2]: its contribution is reduced back to [].
        let bEdge = try #require(trace.edges.first { $0.from == b.index })
        #expect(bEdge.localGradient.value == Tensor(vector: [1, 1]))
        #expect(bEdge.contribution == Tensor(scalar: 2))
        #expect(trace.nodes[b.index].gradient == Tensor(scalar: 2))
    }

    @Test("scalars are kept as numbers and tensors as tensors; the Tensor views read the same values")
    func storedForms() throws {
        let graph = Graph()
        let v = graph.input("v", Tensor(vector: [1, -2]))
        let s = try graph.apply(.sum, graph.apply(.multiply, v, v))   // a tensor reduced to shape []
        let x = graph.input("x", 3)
        let f = try graph.apply(.multiply, s, x)
        try graph.backward(from: f)
        let trace = graph.trace()
        #expect(trace.nodes[v.index].storedValue == .tensor(Tensor(vector: [1, -2])))
        #expect(trace.nodes[s.index].storedValue == .scalar(5))
        #expect(trace.nodes[s.index].value == Tensor(scalar: 5) && trace.nodes[s.index].value.isScalar)
        #expect(trace.nodes[x.index].storedGradient == .scalar(5))
        #expect(trace.nodes[v.index].storedGradient == .tensor(Tensor(vector: [6, -12])))
        for edge in trace.edges {
            #expect(edge.upstream == edge.storedUpstream?.tensor && edge.contribution == edge.storedContribution?.tensor)
            #expect(edge.storedContribution.map { trace.nodes[edge.from].value.shape == $0.tensor.shape } ?? true)
        }
        // Built from a tensor of shape [], a trace value is a scalar; its tensor has shape [] again.
        #expect(TraceValue(Tensor(scalar: 2)) == .scalar(2) && TraceValue(Tensor(scalar: 2)).tensor.shape == [])
        #expect(TraceValue(Tensor(vector: [2])).count == 1 && TraceValue(Tensor(vector: [2])).tensor.shape == [1])
    }
}
