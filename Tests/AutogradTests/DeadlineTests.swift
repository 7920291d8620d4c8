import Autograd
import Testing

// The server's time limit per request (docs/serve.md): a graph created under a deadline stops its
// tensor operations, backward and the gradient check once the deadline has passed.

@Suite("Evaluation deadline")
struct DeadlineTests {
    static let row = Tensor(shape: [3], storage: [1, 2, 3])

    @Test("past its deadline a graph refuses tensor operations; scalars and graphs without one go on")
    func tensorOperations() throws {
        let graph = EvaluationDeadline.$current.withValue(.now - .seconds(1)) { Graph() }
        #expect(graph.deadline != nil)
        let x = graph.input("x", Self.row)
        #expect(throws: AutogradError.deadlinePassed) { try graph.apply(.tanh, x) }
        #expect(throws: AutogradError.deadlinePassed) { try graph.apply(.sum, x) }
        let a = graph.input("a", 2.0)
        #expect(graph.scalarValue(of: try graph.apply(.multiply, a, a)) == 4)   // the scalar path checks nothing

        let free = Graph()
        #expect(free.deadline == nil)
        #expect(try free.apply(.sum, free.input("x", Self.row)).index == 1)
    }

    @Test("a deadline in the future changes nothing")
    func future() throws {
        let graph = EvaluationDeadline.$current.withValue(.now + .seconds(3600)) { Graph() }
        let y = try graph.apply(.sum, try graph.apply(.tanh, graph.input("x", Self.row)))
        try graph.backward(from: y)
        #expect(graph.gradient(of: graph.nodes[0]) != nil)
        #expect(!GradientCheck.run(graph, output: y).stopped)
    }

    @Test("backward and the gradient check stop once the deadline has passed")
    func backwardAndCheck() throws {
        let graph = Graph()
        let x = graph.input("x", Self.row)
        let y = try graph.apply(.sum, try graph.apply(.tanh, x))
        let checked = Graph()
        let cy = try checked.apply(.sum, try checked.apply(.tanh, checked.input("x", Self.row)))
        try checked.backward(from: cy)

        graph.deadline = .now - .seconds(1)
        #expect(throws: AutogradError.deadlinePassed) { try graph.backward(from: y) }
        checked.deadline = .now - .seconds(1)
        let check = GradientCheck.run(checked, output: cy)
        #expect(check.stopped)
        #expect(check.entries.isEmpty)
    }
}
