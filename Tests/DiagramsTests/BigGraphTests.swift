import Autograd
import Expressions
import Foundation
import Testing
@testable import Diagrams

/// Big graphs collapsed by structure: a two-layer network of scalar neurons (841 nodes) becomes a
/// box per layer's products, per chained sum, per activation, with no edge pointing backward.
@Suite("Big graphs")
struct BigGraphTests {
    /// h_j = tanh(Σ_i a_j_i x_i + c_j) for 20 hidden units over 10 inputs, then 3 outputs over the
    /// hidden units, f = Σ o_k²: each sum written as a chain of adds, as a student writes it.
    static func mlp() throws -> Trace {
        var lines: [String] = []
        var inputs: [(String, Tensor)] = (0..<10).map { ("x\($0)", Tensor(scalar: Double($0 % 5) / 5 - 0.4)) }
        for j in 0..<20 {
            lines.append("h\(j) = tanh(" + (0..<10).map { "a\(j)_\($0) * x\($0)" }.joined(separator: " + ") + " + c\(j))")
            inputs += (0..<10).map { ("a\(j)_\($0)", Tensor(scalar: Double(($0 + j) % 7) / 7 - 0.5)) } + [("c\(j)", Tensor(scalar: 0.1))]
        }
        for k in 0..<3 {
            lines.append("o\(k) = tanh(" + (0..<20).map { "v\(k)_\($0) * h\($0)" }.joined(separator: " + ") + " + d\(k))")
            inputs += (0..<20).map { ("v\(k)_\($0)", Tensor(scalar: Double(($0 + k) % 5) / 5 - 0.4)) } + [("d\(k)", Tensor(scalar: 0))]
        }
        lines.append("f = " + (0..<3).map { "o\($0) * o\($0)" }.joined(separator: " + "))
        let program = try Expressions.evaluate(lines.joined(separator: "\n"), options: .init(inputs: inputs))
        try program.graph.backward(from: program.output)
        return program.graph.trace()
    }

    /// The boxes and edges of a collapsed DOT text.
    static func boxes(_ dot: String) -> (titles: [String: String], edges: [(String, String)]) {
        var titles: [String: String] = [:], edges: [(String, String)] = []
        for line in dot.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.contains(" -> ") {
                let parts = line.components(separatedBy: " -> ")
                edges.append((parts[0], String(parts[1].prefix { $0 != " " && $0 != ";" })))
            } else if line.hasPrefix("g"), let bold = line.range(of: "<B>"), let end = line.range(of: "</B>") {
                titles[String(line.prefix { $0 != " " })] = String(line[bold.upperBound..<end.lowerBound])
            }
        }
        return (titles, edges)
    }

    @Test("a two-layer network collapses by structure: one box per layer's products, chained sums and activations; no cycle")
    func layers() throws {
        let trace = try Self.mlp()
        #expect(trace.nodes.count > BigGraph.defaultLimit)
        let collapsed = BigGraph.collapse(trace)
        let (titles, edges) = Self.boxes(collapsed.dot)
        let names = Set(titles.values.map { $0.components(separatedBy: " <FONT").first!.trimmingCharacters(in: .whitespaces) })
        for expected in ["* × 200", "+ × 200", "tanh × 20", "* × 60", "+ × 60", "tanh × 3"] {
            #expect(names.contains(expected), "\(expected) in \(names.sorted())")
        }
        #expect(collapsed.boxes < 20)
        // No edge points backward: the boxes have a topological order (Kahn's algorithm).
        var indegree: [String: Int] = Dictionary(uniqueKeysWithValues: titles.keys.map { ($0, 0) })
        for (_, to) in edges { indegree[to, default: 0] += 1 }
        var ready = indegree.filter { $0.value == 0 }.map(\.key), seen = 0
        while let box = ready.popLast() {
            seen += 1
            for (from, to) in edges where from == box { indegree[to]! -= 1; if indegree[to] == 0 { ready.append(to) } }
        }
        #expect(seen == titles.count, "the collapsed graph has a cycle")
        // Laid out left to right, every edge ends to the right of where it starts.
        let svg = String(decoding: try Graphviz.render(dot: collapsed.dot, as: .svg), as: UTF8.self)
        var inEdge = false
        var paths: [Substring] = []
        for line in svg.split(separator: "\n") {
            if line.hasPrefix("<g id=") { inEdge = line.contains("class=\"edge\"") }
            if inEdge && line.hasPrefix("<path fill=\"none\"") { paths.append(line) }
        }
        #expect(paths.count == edges.count)
        for path in paths {
            guard let d = path.range(of: "d=\"M") else { continue }
            let numbers = path[d.upperBound...].prefix { $0 != "\"" }.split(whereSeparator: { ",C ".contains($0) }).compactMap { Double($0) }
            #expect(numbers.count >= 4 && numbers[numbers.count - 2] > numbers[0], "\(path)")
        }
    }

    @Test("each box says what it holds and how many")
    func boxesSayWhatTheyHold() throws {
        let collapsed = BigGraph.collapse(try Self.mlp())
        #expect(collapsed.dot.contains("<B>tanh × 20</B>"))
        #expect(collapsed.dot.contains("levels 2–11, chained"))
        #expect(collapsed.summary.contains("841 nodes"))
    }
}
