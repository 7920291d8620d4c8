import Autograd
import Foundation
import Testing

// A node id carries its graph's identity: a node of another graph (or of the same graph before
// `removeAll`) is refused instead of being read at the same index of the wrong arena.

@Suite("Graph identity: nodes of another graph are refused")
struct GraphIdentityTests {
    @Test("apply with a node of another graph throws foreignNode and records nothing (it used to give 4 for 2 × 3)")
    func applyRefusesForeignNode() throws {
        let graph = Graph(), other = Graph()
        let x = graph.input("x", 2)
        _ = other.input("unrelated", 2)
        let y = other.input("y", 3)   // index 1, as graph's next node would be
        let error = #expect(throws: AutogradError.self) { try graph.apply(.multiply, x, y) }
        guard case .foreignNode(let node, let nodeGraph, let owner) = error else {
            Issue.record("expected foreignNode, got \(String(describing: error))")
            return
        }
        #expect(node == "n1" && nodeGraph == y.graph.description && owner == graph.identity.description)
        #expect(graph.count == 1)
        // The same product in one graph is 6.
        #expect(try graph.scalarValue(of: graph.apply(.multiply, x, graph.input("y", 3))) == 6)
    }

    @Test("the first operand is checked too, and tensors take the same check")
    func firstOperandAndTensors() {
        let graph = Graph(), other = Graph()
        let a = other.input("a", Tensor(vector: [1, 2]))
        let b = graph.input("b", Tensor(vector: [1, 2]))
        #expect(throws: AutogradError.self) { try graph.apply(.add, a, b) }
        #expect(throws: AutogradError.self) { try graph.apply(.tanh, a) }
        #expect(throws: AutogradError.self) { try graph.apply(.sum, a) }
    }

    @Test("backward from a node of another graph throws foreignNode")
    func backwardRefusesForeignNode() throws {
        let graph = Graph(), other = Graph()
        _ = graph.input("x", 1)
        let f = try other.apply(.exp, other.input("x", 1))
        #expect(throws: AutogradError.self) { try graph.backward(from: f) }
        #expect(graph.backwardOutput == nil)
    }

    @Test("removeAll gives the graph a new identity: nodes from before are refused")
    func removeAllInvalidatesNodes() throws {
        let graph = Graph()
        let old = graph.input("x", 1)
        let identity = graph.identity
        graph.removeAll(keepingCapacity: true)
        #expect(graph.identity != identity)
        let fresh = graph.input("x", 1)
        #expect(fresh.index == old.index && fresh != old)
        #expect(throws: AutogradError.self) { try graph.apply(.add, fresh, old) }
        #expect(try graph.apply(.add, fresh, fresh).graph == graph.identity)
    }

    @Test("node(at:) finds the node at the same position in a graph rebuilt from the same program")
    func nodeAtIndex() throws {
        let first = Graph(), second = Graph()
        let f1 = try first.apply(.multiply, first.input("x", 2), first.input("y", 3))
        let f2 = try second.apply(.multiply, second.input("x", 2), second.input("y", 4))
        let same = try second.node(at: f1.index)
        #expect(same == f2 && second.scalarValue(of: same) == 8)
    }

    @Test("the message names the node, both graphs and what to do")
    func message() {
        let error = AutogradError.foreignNode(node: "n1", nodeGraph: "graph #7", graph: "graph #6")
        #expect(error.description == "node n1 belongs to graph #7, not to graph #6; a graph only takes its own nodes (record every operand in one graph)")
    }

    @Test("Variable.applying with a variable of another graph throws foreignNode")
    func variableApplyingThrows() {
        let x = Variable("x", 2, in: Graph()), y = Variable("y", 3, in: Graph())
        #expect(throws: AutogradError.self) { try x.applying(.multiply, y) }
        #expect(throws: AutogradError.self) { try y.applying(.add, x) }
    }

    @Test("x * y with variables of two graphs stops the program with one clear line")
    func operatorsStopOnMixedGraphs() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Variable("x", 2, in: Graph()), y = Variable("y", 3, in: Graph())
            _ = x * y
        }
        let stderr = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(stderr.contains("multiply: node n0 belongs to graph #"), "stderr: \(stderr)")
        #expect(stderr.contains("a graph only takes its own nodes"), "stderr: \(stderr)")
    }

    @Test("a shape mismatch in an operator stops the program with the engine's sentence")
    func operatorShapeMismatchStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let graph = Graph()
            _ = Variable("a", Tensor(vector: [1, 2]), in: graph) + Variable("b", Tensor(vector: [1, 2, 3]), in: graph)
        }
        let stderr = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(stderr.contains("add: shape mismatch in '+': [2] and [3]"), "stderr: \(stderr)")
    }

    @Test("reading a gradient before backward stops and says what to do")
    func gradientBeforeBackwardStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Variable("x", 1, in: Graph()).gradient
        }
        let stderr = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(stderr.contains("gradient of x: backward has not run on graph #"), "stderr: \(stderr)")
    }
}
