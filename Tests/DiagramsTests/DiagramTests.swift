import Autograd
import Expressions
import Testing
@testable import Diagrams

/// The DOT text of `Diagram.dot(for:options:)`: goldens, the notes' numbers, and the drawing rules.
@Suite("Diagram DOT")
struct DiagramTests {
    @Test("DOT matches its golden file", arguments: DiagramExample.all)
    func matchesGolden(example: DiagramExample) throws {
        try Golden.check(Diagram.dot(for: try example.trace(), options: example.options), against: "\(example.name).dot")
    }

    @Test("the same program gives byte-identical DOT", arguments: DiagramExample.all)
    func isDeterministic(example: DiagramExample) throws {
        #expect(Diagram.dot(for: try example.trace(), options: example.options)
                == Diagram.dot(for: try example.trace(), options: example.options))
    }

    @Test("forward-only by choice draws what a trace before backward draws")
    func forwardOnlyMatchesTraceBeforeBackward() throws {
        var afterBackward = DiagramExample.sumTimes
        afterBackward.options.forwardOnly = true
        #expect(Diagram.dot(for: try afterBackward.trace(), options: afterBackward.options)
                == Diagram.dot(for: try DiagramExample.forwardOnly.trace()))
    }

    @Test("001: the labels carry the notes' values, gradients and edge annotations", arguments: [
        "value -2", "value 5", "value -4", "value 3", "value -12",            // x, y, z, q, f
        "grad -4", "grad 3", "grad 1",                                       // x and y and q, z, f
        "∂f/∂q = z = -4", "-4 × 1 = -4",                                     // q → f
        "∂f/∂z = q = 3", "3 × 1 = 3",                                        // z → f
        "∂q/∂x = 1", "1 × (-4) = -4",                                        // x → q
    ])
    func notesNumbers(fragment: String) throws {
        #expect(Diagram.dot(for: try DiagramExample.sumTimes.trace()).contains(">\(fragment)<"))
    }

    @Test("004: ∂f/∂w = x = 5 and ∂f/∂b = 1 read off the neuron", arguments: [
        "value -7", "grad 5", "∂n2/∂w = x = 5", "5 × 1 = 5", "∂f/∂b = 1", "1 × 1 = 1",
    ])
    func neuronNumbers(fragment: String) throws {
        #expect(Diagram.dot(for: try DiagramExample.neuron.trace()).contains(">\(fragment)<"))
    }

    @Test("a value used three times shows the sum of its contributions")
    func fanOutShowsSum() throws {
        #expect(Diagram.dot(for: try DiagramExample.fanOut.trace()).contains(">grad = 3 + 3 + 1 = 7<"))
    }

    @Test("each kind of node has its own shape", arguments: [
        ("x", "shape=box, style=\"rounded\""),        // input
        ("w", "shape=box3d"),                         // parameter
        ("2", "shape=box, style=\"dashed\""),         // a number in the program, titled by its value
        ("f", "shape=ellipse, peripheries=2"),        // the output
    ])
    func kindsLookDifferent(title: String, attributes: String) throws {
        let trace = try trace("f = w * x + 2", ["w": -2, "x": 5], parameters: ["w"])
        let line = Diagram.dot(for: trace).split(separator: "\n").first { $0.contains("<B>\(title)</B>") }
        #expect(line?.contains(attributes) == true, "\(title): \(line ?? "no node")")
    }

    @Test("a constant is titled by its value, gets no gradient, and its edge carries no label unless asked")
    func constantEdgeIsBare() throws {
        let trace = try trace("f = x * 2", ["x": 3])
        let dot = Diagram.dot(for: trace)
        let constantEdge = dot.split(separator: "\n").first { $0.contains("n1 -> n2") }
        #expect(constantEdge?.contains("label=") == false, "\(constantEdge ?? "")")
        #expect(!dot.contains(">∂f/∂2"), "only the tooltip names the constant's local gradient")
        let constantNode = dot.split(separator: "\n").first { $0.contains("<B>2</B>") }
        #expect(constantNode?.contains("<B>2</B></TD></TR></TABLE>>") == true, "the title is the value, nothing below it")
        #expect(constantNode?.contains("grad") == false, "a constant gets no gradient")
        var asked = DiagramOptions()
        asked.labelConstantEdges = true
        #expect(Diagram.dot(for: trace, options: asked).contains(">∂f/∂2 = x = 3<"))
    }

    @Test("every node shows the label the narration and the edges use")
    func nodesShowTheirLabels() throws {
        let trace = try trace("f = tanh(w * x + b)", ["w": 0.5, "x": 2, "b": -1])
        let dot = Diagram.dot(for: trace)
        for node in trace.nodes {
            #expect(dot.contains("<B>\(node.label)</B>"), "\(node.label)")
        }
        #expect(dot.contains("<B>n2</B> <FONT COLOR=\"#57606a\">*</FONT>"), "an unnamed operation: its label, then its symbol")
    }

    @Test("text that looks like markup is escaped, and Graphviz still reads the DOT")
    func escapesMarkup() throws {
        // min's local gradient reads "1 if x < y, ½ on a tie, else 0".
        let dot = Diagram.dot(for: try trace("f = min(x, y)", ["x": 1, "y": 2]))
        #expect(dot.contains("1 if x &lt; y, ½ on a tie, else 0"))
        let labels = dot.split(separator: "\n").compactMap { line -> Substring? in
            guard let start = line.range(of: "label=<"), let end = line.range(of: ">, tooltip=") else { return nil }
            return line[start.upperBound..<end.lowerBound]
        }
        #expect(labels.count == 5)
        #expect(labels.allSatisfy { !$0.contains("x < y") })
        let svg = String(decoding: try Graphviz.render(dot: dot, as: .svg), as: UTF8.self)
        #expect(svg.contains("1 if x &lt; y"))
    }

    @Test("quoted strings escape backslashes, quotes and newlines")
    func quotesDotStrings() {
        #expect(DotEscape.quoted("a \"b\" \\ c\nd") == #""a \"b\" \\ c\nd""#)
        #expect(DotEscape.html("x < y & \"z\"\nw") == "x &lt; y &amp; &quot;z&quot;<BR/>w")
    }

    @Test("precision sets the significant digits; integers stay exact", arguments: [
        (4, "value 0.6667"), (2, "value 0.67"), (8, "value 0.66666667"),
    ])
    func precision(digits: Int, fragment: String) throws {
        let dot = Diagram.dot(for: try trace("f = x / 3", ["x": 2]), options: DiagramOptions(precision: digits))
        #expect(dot.contains(">\(fragment)<"))
        #expect(dot.contains(">value 2<") && dot.contains("<B>3</B>"))
    }

    @Test("the direction option is Graphviz's rankdir", arguments: DiagramOptions.Direction.allCases)
    func direction(direction: DiagramOptions.Direction) throws {
        let dot = Diagram.dot(for: try DiagramExample.sumTimes.trace(), options: DiagramOptions(direction: direction))
        #expect(dot.contains("graph [rankdir=\(direction.rawValue),"))
    }

    @Test("a highlighted node or edge gets the class highlight and a blue outline", arguments: [
        (DiagramElement.node(2), "  n2 [id=\"n2\", class=\"highlight\""),
        (DiagramElement.edge(3), "  n3 -> n4 [id=\"e3\", class=\"highlight\""),
    ])
    func highlight(element: DiagramElement, prefix: String) throws {
        let dot = Diagram.dot(for: try DiagramExample.sumTimes.trace(), options: DiagramOptions(highlight: element))
        let lines = dot.split(separator: "\n").filter { $0.contains("highlight") }
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix(prefix) == true)
        #expect(lines.first?.contains("color=\"#0969da\", penwidth=3") == true)
    }

    @Test("a large tensor shows its shape and corners; the tooltip keeps every entry")
    func summarizesLargeTensors() throws {
        let values = (0..<30).map(Double.init)
        let trace = try trace("f = sum(A * 2)", tensors: ["A": Tensor(shape: [5, 6], storage: values)])
        let line = try #require(Diagram.dot(for: trace).split(separator: "\n").first { $0.contains("<B>A</B>") })
        #expect(line.contains("<B>A</B> <FONT COLOR=\"#57606a\">[5, 6]</FONT>"))
        #expect(line.contains("value<BR/>[[0, 1, …, 4, 5],<BR/> [6, 7, …, 10, 11],<BR/> …,<BR/> [18, 19, …, 22, 23],<BR/> [24, 25, …, 28, 29]]"))
        #expect(line.contains("tooltip=\"A (input)\\nshape [5, 6]\\nvalue [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16, 17], [18, 19, 20, 21, 22, 23], [24, 25, 26, 27, 28, 29]]"))
    }

    @Test("summaries", arguments: [
        (Tensor(scalar: -0.123456), "-0.1235"),
        (Tensor(vector: [1, -1]), "[1, -1]"),
        (Tensor(vector: (1...13).map(Double.init)), "[1, 2, …, 12, 13]"),
        (Tensor(shape: [2, 2], storage: [1, 2, 3, 4]), "[[1, 2], [3, 4]]"),
    ])
    func summary(value: Tensor, expected: String) {
        #expect(DiagramText(precision: 4).inline(value) == expected)
    }

    // MARK: - Helpers

    func trace(_ source: String, _ scalars: [String: Double] = [:], tensors: [String: Tensor] = [:],
               parameters: Set<String> = []) throws -> Trace {
        let inputs = scalars.sorted { $0.key < $1.key }.map { ($0.key, Tensor(scalar: $0.value)) }
            + tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let program = try Expressions.evaluate(source, options: .init(inputs: inputs, parameters: parameters))
        try program.graph.backward(from: program.output)
        return program.graph.trace()
    }
}
