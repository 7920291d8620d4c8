import Autograd
import Foundation
import Testing
import TestSupport

// 8. The notes' chain-rule example f = y + e^(xy) with x = cos t, y = t², against the derivative by hand:
// df/dt = 2t + e^(xy)·(y·(−sin t) + x·2t).

@Suite("The notes' example f = y + e^(xy)")
struct NotesExampleTests {
    @Test("df/dt matches the hand derivative", arguments: [0.5, 1.3])
    func handDerivative(t: Double) throws {
        let example = Fixtures.cosineSquare(at: t)
        let graph = Graph()
        let (output, nodes) = try example.build(in: graph)
        try graph.backward(from: output)

        // The hand derivative, written out again here from the notes.
        let x = cos(t), y = t * t, e = exp(x * y)
        let byHand = 2 * t + e * (y * -sin(t) + x * 2 * t)
        #expect(isClose(graph.scalarValue(of: output), y + e, relative: 1e-15))
        let tNode = try #require(nodes["t"])
        let dfdt = try #require(graph.gradient(of: tNode)).scalar
        #expect(isClose(dfdt, byHand, relative: 1e-12), "df/dt = \(dfdt), by hand \(byHand)")
        let fixture = try #require(example.gradient(of: "t"))
        #expect(isClose(dfdt, fixture, relative: 1e-12))

        // The intermediate gradients: ∂f/∂x = e^(xy)·y; y feeds f twice, so ∂f/∂y = 1 + e^(xy)·x.
        for name in ["x", "y"] {
            let node = try #require(nodes[name])
            let value = try #require(example.value(of: name)), expected = try #require(example.gradient(of: name))
            #expect(isClose(graph.scalarValue(of: node), value, relative: 1e-15))
            let gradient = try #require(graph.gradient(of: node)).scalar
            #expect(isClose(gradient, expected, relative: 1e-12), "∂f/∂\(name)")
        }
        let yNode = try #require(graph.trace().nodes.first { $0.name == "y" })
        #expect(yNode.contributions.count == 2)

        // And numerically, both by the engine's check and by a plain central difference of the formula.
        let check = GradientCheck.run(graph, output: output)
        #expect(check.passed && check.entries.count == 1 && check.entries[0].status == .pass)
        let f = { (t: Double) in t * t + exp(cos(t) * t * t) }
        let h = 1e-5
        #expect(agrees(dfdt, (f(t + h) - f(t - h)) / (2 * h)))
    }

    @Test("y = t·t (fan-out) gives the same df/dt as y = t²", arguments: [0.5, 1.3])
    func productForm(t: Double) throws {
        let graph = Graph()
        let tNode = graph.input("t", t)
        let x = try graph.apply(.cos, tNode)
        let y = try graph.apply(.multiply, tNode, tNode)
        let f = try graph.apply(.add, y, graph.apply(.exp, graph.apply(.multiply, x, y)))
        try graph.backward(from: f)
        let expected = try #require(Fixtures.cosineSquare(at: t).gradient(of: "t"))
        let gradient = try #require(graph.gradient(of: tNode))
        #expect(isClose(gradient.scalar, expected, relative: 1e-12))
        // t is used by cos and twice by the product.
        #expect(graph.trace().nodes[tNode.index].contributions.count == 3)
    }
}
