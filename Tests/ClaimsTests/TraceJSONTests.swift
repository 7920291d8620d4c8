import Autograd
@testable import Claims
import Support
import Testing

/// `TraceReport.jsonBytes`, written straight into bytes, against the tree of `JSONValue`s it replaced
/// (commit b13bf81, kept here as the reference): the same bytes for every kind of trace.
@Suite("trace JSON")
struct TraceJSONTests {
    static func reference(_ trace: Trace, check: GradientCheck? = nil) -> JSONValue {
        var gradients: [String: JSONValue] = [:]
        for node in trace.inputs { gradients[node.label] = node.gradient.map(JSONValue.tensor) ?? .null }
        let nodes = trace.nodes.map { node -> JSONValue in
            var object: [String: JSONValue] = [
                "id": .number(Double(node.id)), "operation": .string(node.operation), "kind": .string(node.kind.rawValue),
                "requires_grad": .bool(node.requiresGradient),
                "label": .string(node.label), "inputs": .array(node.inputs.map { .number(Double($0)) }),
                "shape": .array(node.value.shape.map { .number(Double($0)) }), "value": .tensor(node.value),
                "gradient": node.gradient.map(JSONValue.tensor) ?? .null,
                "contributions": .array(node.contributions.map { .number(Double($0)) }),
            ]
            object["name"] = node.name.map(JSONValue.string) ?? .null
            if let detail = node.detail { object["detail"] = .string(detail) }
            return .object(object)
        }
        let edges = trace.edges.map { edge -> JSONValue in
            .object([
                "id": .number(Double(edge.id)), "from": .number(Double(edge.from)), "to": .number(Double(edge.to)),
                "operand": .number(Double(edge.operand)),
                "local": .object([
                    "formula": .string(edge.localGradient.formula), "description": .string(edge.localGradient.description),
                    "value": edge.localGradient.value.map(JSONValue.tensor) ?? .null,
                ]),
                "upstream": edge.upstream.map(JSONValue.tensor) ?? .null,
                "contribution": edge.contribution.map(JSONValue.tensor) ?? .null,
            ])
        }
        var document: [String: JSONValue] = [
            "value": .tensor(trace.outputNode.value), "output": .number(Double(trace.output)),
            "gradients": .object(gradients), "nodes": .array(nodes), "edges": .array(edges),
            "forward": .array(trace.forwardSteps.map { .number(Double($0)) }),
            // The order backward used the edges, by a sort (the trace finds it without one).
            "backward": .array(trace.hasGradients ? trace.edges.filter { $0.upstream != nil }
                .sorted { ($0.to, -$0.operand) > ($1.to, -$1.operand) }.map { .number(Double($0.id)) } : []),
        ]
        let notes = trace.inputs.compactMap { TraceReport.independenceNote(trace, node: $0) }
        if !notes.isEmpty { document["notes"] = .array(notes.map(JSONValue.string)) }
        if let check { document["check"] = TraceReport.checkJSON(check) }
        return .object(document)
    }

    /// Programs with every part of the schema: constants, tensors, attributes (`detail`), unused
    /// inputs (`notes`), a tensor output (no gradients), parameters, names outside ASCII, a check.
    static let programs: [(source: String, at: String, parameters: [String])] = [
        ("q = x + y; f = q * z", "x=-2,y=5,z=-4", []),
        ("f = 1 / (1 + exp(-(w0 * x0 + w1 * x1 + w2)))", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", ["w0", "w1", "w2"]),
        ("f = x * 2 - 0.5", "x=3,unused=1", []),
        ("h = tanh(W @ x + b); f = sum(h * h)", "W=[[1,2],[3,4],[0.5,-1]],x=[1,-1],b=[0.1,0.2,0.3]", ["W", "b"]),
        ("m = mean(reshape(x, [2, 2]), 0); f = sum(m[1:2] * 3)", "x=[1,2,3,4]", []),
        ("y = relu(x) * x", "x=[[1,-2],[3,-4]]", []),
        ("α = x ^ 2; f = α / 1e-8", "x=0.1", []),
        ("f = x * 0", "x=5,y=1", []),
    ]

    @Test("the written trace is byte for byte the tree's, with and without a gradient check")
    func sameBytes() throws {
        for program in Self.programs {
            let job = try TraceJob(source: program.source, inputs: program.at, parameters: program.parameters)
            let expected = Self.reference(job.trace).serialized()
            #expect(String(decoding: TraceReport.jsonBytes(job.trace), as: UTF8.self) == expected, "\(program.source)")
            #expect(TraceReport.json(job.trace).serialized() == expected)
            if job.trace.hasGradients {
                let check = try job.gradientCheck()
                #expect(String(decoding: TraceReport.jsonBytes(job.trace, check: check), as: UTF8.self)
                        == Self.reference(job.trace, check: check).serialized(), "\(program.source) --check")
            }
        }
    }
}
