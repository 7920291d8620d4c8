import Autograd
import Expressions
import Foundation
import Testing
import TestSupport

// The expression language: precedence, literals, every error path, and the limits.

private func run(_ source: String, _ at: String = "") throws -> (Program, Double) {
    let inputs = at.isEmpty ? [] : try InputValues.parse(at)
    let program = try Expressions.evaluate(source, options: .init(inputs: inputs))
    return (program, program.graph.value(of: program.output).storage.first ?? .nan)
}

private func failure(_ source: String, _ at: String = "") -> ExpressionError? {
    do { _ = try run(source, at); return nil } catch let error as ExpressionError { return error } catch { return nil }
}

@Suite("Expression language")
struct ExpressionsTests {
    @Test("precedence and associativity", arguments: [
        ("-x^2", "x=3", -9.0),                    // ^ binds tighter than unary minus
        ("(-x)^2", "x=3", 9.0),
        ("2^3^2", "", 512.0),                       // right-associative
        ("1 - 2 - 3", "", -4.0),                    // left-associative
        ("8 / 4 / 2", "", 1.0),
        ("1 + 2 * 3", "", 7.0),
        ("(1 + 2) * 3", "", 9.0),
        ("-2 * 3 + 1", "", -5.0),
        ("x * -y", "x=2,y=3", -6.0),
        ("2 ** 3", "", 8.0),
        ("1e-3 * 1000", "", 1.0),
        ("2.5 * 2", "", 5.0),
        ("q = x + y; f = q * z", "x=-2,y=5,z=-4", -12.0),
        ("q = x + y\nf = q * z # comment", "x=-2,y=5,z=-4", -12.0),
        ("max(x, 2) + min(x, 2)", "x=5", 7.0),
        ("leaky_relu(x)", "x=-100", -1.0),
        ("leaky_relu(x, 0.1)", "x=-10", -1.0),
        ("sum([[1, 2], [3, 4]])", "", 10.0),
        ("mean([[1, 2], [3, 4]])", "", 2.5),
        ("sum(W @ v)", "W=[[1,2],[3,4]],v=[1,1]", 10.0),
        ("sum(sum(W, 0) * [1, 10])", "W=[[1,2],[3,4]]", 64.0),
        ("sum(reshape(W, [4]) * [1, 2, 3, 4])", "W=[[1,2],[3,4]]", 30.0),
        ("sum(transpose(W) @ [1, 0])", "W=[[1,2],[3,4]]", 3.0),
    ])
    func values(source: String, at: String, expected: Double) throws {
        let (_, value) = try run(source, at)
        #expect(isClose(value, expected, relative: 1e-12), "\(source) = \(value), expected \(expected)")
    }

    @Test("the notes' f=(x+y)z: names, inputs in order, gradients")
    func notesExample() throws {
        let (program, value) = try run("q = x + y; f = q * z", "x=-2,y=5,z=-4")
        #expect(value == -12)
        #expect(program.inputs.map(\.name) == ["x", "y", "z"])
        #expect(program.assignments.map(\.name) == ["q", "f"])
        try program.graph.backward(from: program.output)
        let gradients = try program.inputs.map { try #require(program.graph.gradient(of: $0.node)).scalar }
        #expect(gradients == [-4, -4, 3])
        let q = try #require(program.node(named: "q"))
        #expect(program.graph.gradient(of: q)?.scalar == -4)
        #expect(program.graph.value(of: q).scalar == 3)
    }

    @Test("the notes' neuron f = wx + b")
    func neuron() throws {
        let (program, value) = try run("f = w * x + b", "w=-2,x=5,b=3")
        #expect(value == -7)
        try program.graph.backward(from: program.output)
        let w = try #require(program.node(named: "w")), b = try #require(program.node(named: "b"))
        #expect(program.graph.gradient(of: w)?.scalar == 5)
        #expect(program.graph.gradient(of: b)?.scalar == 1)
    }

    @Test("errors name the place", arguments: [
        ("f = zz * 2", "z=1", "1:5", "unknown name 'zz'; did you mean 'z'?"),
        ("f = x +", "x=1", "1:8", "expected"),
        ("f = (x + 1", "x=1", "1:11", "expected ')'"),
        ("q = x\nf = q * y", "x=1", "2:9", "no value for input 'y'"),
        ("f = x * 2", "x=1,w=2", nil, "does not use"),
        ("f = exp(x, x)", "x=1", "1:5", "exp takes"),
        ("f = expp(x)", "x=1", "1:5", "did you mean 'exp'"),
        ("f = [1, 2] + [1, 2, 3]", "", "1:12", "[2]"),
        ("f = [[1, 2], [3]]", "", "1:14", "this row has shape [1] but the first row has [2]"),
        ("   \n # only a comment", "", nil, "empty program"),
        ("f = x $ 2", "x=1", "1:7", "unexpected"),
        ("f = [[1,2],[3,4]] @ [1,2,3]", "", "1:19", "[2, 2] and [3]"),
    ] as [(String, String, String?, String)])
    func errors(source: String, at: String, place: String?, message: String) throws {
        let error = try #require(failure(source, at), "\(source) should fail")
        if let place { #expect(error.line().contains("program:\(place)"), "\(error.line())") }
        #expect(error.line().lowercased().contains(message.lowercased()), "\(error.line())")
        #expect(!error.line().contains("\n"))
    }

    @Test("the caret points at the column")
    func caret() throws {
        let error = try #require(failure("q = x + y\nf = q * zz", "x=1,y=2,z=3"))
        #expect(error.position == SourcePosition(line: 2, column: 9))
        let lines = error.rendered().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[1] == "    f = q * zz")
        #expect(lines[2] == "            ^")
    }

    @Test("an empty tensor literal is an error, at any depth", arguments: ["f = sum([])", "f = sum([[]])"])
    func emptyLiteral(source: String) throws {
        let error = try #require(failure(source))
        #expect(error.message == "a tensor literal cannot be empty")
    }

    @Test("a name assigned again: the earlier nodes are a₁, a₂, so no two nodes share a label")
    func reassignment() throws {
        let (program, value) = try run("a = x * 2; a = a + 1; a = a * a", "x=1")
        #expect(value == 9)
        let labels = program.graph.nodes.filter { program.graph.operations[$0.index] != .constant }.map { program.graph.label(of: $0) }
        #expect(labels == ["x", "a₁", "a₂", "a"])
    }

    @Test("@ on a scalar says what @ takes; batches whose axes do not broadcast say so")
    func matmulRank() throws {
        let error = try #require(failure("f = 2 @ [1, 2]"))
        #expect(error.message.contains("@ takes vectors, matrices and batches of matrices, not scalars"), "\(error.message)")
        let batches = try #require(failure("f = sum([[[1]], [[2]]] @ [[[1]], [[2]], [[3]]])"))
        #expect(batches.message.contains("the inner sizes must agree and the batch axes broadcast"), "\(batches.message)")
    }

    @Test("used before assigned is an error, not a silent input")
    func usedBeforeAssigned() throws {
        let error = try #require(failure("f = q * 2; q = 1"))
        #expect(error.position?.line == 1)
    }

    @Test("10,000 parentheses deep is a clear error, not a crash")
    func deepNesting() throws {
        let source = "f = " + String(repeating: "(", count: 10_000) + "x" + String(repeating: ")", count: 10_000)
        let error = try #require(failure(source, "x=1"))
        #expect(error.kind == .tooDeep(limit: ExpressionLimits.maximumDepth))
        let minus = try #require(failure("f = " + String(repeating: "-", count: 10_000) + "x", "x=1"))
        #expect(minus.kind == .tooDeep(limit: ExpressionLimits.maximumDepth))
        let brackets = try #require(failure("f = sum(" + String(repeating: "[", count: 10_000) + "1" + String(repeating: "]", count: 10_000) + ")"))
        #expect(brackets.kind == .tooDeep(limit: ExpressionLimits.maximumDepth))
    }

    @Test("a program over 1 MB is refused before parsing")
    func tooLong() throws {
        let source = "f = x" + String(repeating: " + x", count: 300_000)
        let error = try #require(failure(source, "x=1"))
        guard case .tooLong = error.kind else { Issue.record("got \(error)"); return }
    }

    @Test("a long flat program within the limit evaluates")
    func longFlat() throws {
        let source = (0..<20_000).map { "a\($0 + 1) = a\($0) * 1.0001" }.joined(separator: "\n")
        let (program, value) = try run(source, "a0=1")
        #expect(isClose(value, pow(1.0001, 20_000), relative: 1e-9))
        try program.graph.backward(from: program.output)
    }

    @Test("--at values", arguments: [
        ("x=-2,y=5", ["x": [-2.0], "y": [5.0]]),
        ("x=[1,2,3]", ["x": [1.0, 2, 3]]),
        ("W=[[1,2],[3,4]],b=1e-3", ["W": [1.0, 2, 3, 4], "b": [1e-3]]),
    ])
    func inputValues(text: String, expected: [String: [Double]]) throws {
        let pairs = try InputValues.parse(text)
        #expect(Dictionary(uniqueKeysWithValues: pairs.map { ($0.name, $0.value.storage) }) == expected)
    }

    @Test("bad --at values", arguments: ["x", "x=", "1x=2", "x=1,x=2", "x=[1,2", "x=abc"])
    func badInputValues(text: String) {
        #expect(throws: ExpressionError.self) { try InputValues.parse(text) }
    }

    @Test("seeded random garbage never crashes the parser")
    func garbage() {
        var random = SplitMix64(seed: 7)
        let alphabet = Array("xyz q=+-*/^@()[],;\n#.0123456789e_abcdefghijklmnoprstuvw")
        var failures = 0
        for _ in 0..<3_000 {
            let length = Int(random.next() % 40)
            let text = String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            if failure(text, "x=1,y=2,z=3") != nil { failures += 1 }
        }
        #expect(failures > 0)
    }
}
