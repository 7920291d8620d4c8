import Autograd
import Expressions
import Foundation
import Support

/// The readable and machine-readable forms of a trace, as `backprop trace` prints them.
public enum TraceReport {
    /// Forward steps in order, then backward steps (local × upstream = contribution), then the inputs' gradients.
    ///
    /// ```
    /// forward
    ///   n2  q = x + y = -2 + 5 = 3
    /// backward
    ///   f → q   ∂f/∂q = z = -4    -4 × 1 = -4
    /// ```
    public static func table(_ trace: Trace, significantDigits digits: Int = 6) -> String {
        func format(_ value: Tensor?) -> String {
            guard let value else { return "?" }
            return TraceFormat.tensor(value, significantDigits: digits)
        }
        var lines: [String] = []
        let inputs = trace.inputs
        if !inputs.isEmpty {
            lines.append("inputs")
            for node in inputs {
                lines.append("  \(node.label) = \(format(node.value))" + (node.value.isScalar ? "" : "   shape \(Tensor.describe(shape: node.value.shape))"))
            }
        }
        lines.append("forward")
        for id in trace.forwardSteps {
            lines.append("  " + forwardNarration(trace, node: id, significantDigits: digits))
        }
        if trace.hasGradients {
            lines.append("backward")
            lines.append("  ∂\(trace.outputNode.label)/∂\(trace.outputNode.label) = 1")
            for id in trace.backwardSteps {
                lines.append("  " + backwardNarration(trace, edge: id, significantDigits: digits))
            }
            lines.append("gradients")
            for node in inputs {
                var line = "  ∂\(trace.outputNode.label)/∂\(node.label) = \(format(node.gradient))"
                if node.contributions.count > 1 {
                    let parts = node.contributions.map { format(trace.edges[$0].contribution) }
                    line += "   (sum of \(parts.joined(separator: " + ")))"
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One forward step in words: `q = x + y = -2 + 5 = 3`.
    public static func forwardNarration(_ trace: Trace, node id: Int, significantDigits digits: Int = 6) -> String {
        let node = trace.nodes[id]
        let operands = node.inputs.map { trace.nodes[$0] }
        let names = operands.map(\.label)
        let values = operands.map { TraceFormat.tensor($0.value, significantDigits: digits) }
        let symbolic: String, numeric: String
        if operands.count == 2 && ["+", "−", "*", "/", "^", "@"].contains(node.symbol) {
            let symbol = node.symbol == "−" ? "-" : node.symbol
            symbolic = "\(names[0]) \(symbol) \(names[1])"
            numeric = "\(values[0]) \(symbol) \(values[1].hasPrefix("-") ? "(\(values[1]))" : values[1])"
        } else if node.symbol == "−" && operands.count == 1 {
            symbolic = "-\(names[0])"; numeric = "-(\(values[0]))"
        } else {
            let detail = node.detail.map { ", \($0)" } ?? ""
            symbolic = "\(node.operation)(\(names.joined(separator: ", "))\(detail))"
            numeric = "\(node.operation)(\(values.joined(separator: ", "))\(detail))"
        }
        let result = TraceFormat.tensor(node.value, significantDigits: digits)
        // Operations on written numbers (`32 - 5`) read the same symbolically and numerically: say it once.
        return symbolic == numeric ? "\(node.label) = \(symbolic) = \(result)" : "\(node.label) = \(symbolic) = \(numeric) = \(result)"
    }

    /// One backward step in words: `∂f/∂q = z = -4; upstream 1; contribution -4`.
    public static func backwardNarration(_ trace: Trace, edge id: Int, significantDigits digits: Int = 6) -> String {
        let edge = trace.edges[id]
        let format = { (value: Tensor?) in value.map { TraceFormat.tensor($0, significantDigits: digits) } ?? "?" }
        var local = edge.localGradient.description
        if let value = edge.localGradient.value, value.isScalar,
           edge.localGradient.formula.replacingOccurrences(of: "−", with: "-") != format(value) {
            local += " = \(format(value))"
        }
        return "\(local); upstream \(format(edge.upstream)); contribution \(format(edge.contribution))"
    }

    /// The trace as one JSON object; the schema is in docs/json.md.
    public static func json(_ trace: Trace, check: GradientCheck? = nil) -> JSONValue {
        var gradients: [String: JSONValue] = [:]
        for node in trace.inputs { gradients[node.label] = node.gradient.map(JSONValue.tensor) ?? .null }
        let nodes = trace.nodes.map { node -> JSONValue in
            var object: [String: JSONValue] = [
                "id": .number(Double(node.id)), "operation": .string(node.operation), "kind": .string(node.kind.rawValue),
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
            "backward": .array(trace.backwardSteps.map { .number(Double($0)) }),
        ]
        if let check { document["check"] = checkJSON(check) }
        return .object(document)
    }

    static func checkJSON(_ check: GradientCheck) -> JSONValue {
        .object([
            "passed": .bool(check.passed), "step": .number(check.step), "tolerance": .number(check.tolerance),
            "entries": .array(check.entries.map { entry in
                .object([
                    "input": .string(entry.input), "position": .array(entry.position.map { .number(Double($0)) }),
                    "analytic": .number(entry.analytic), "numeric": .number(entry.numeric),
                    "relativeError": .number(entry.relativeError), "status": .string(entry.status.rawValue),
                ])
            }),
        ])
    }

    /// The gradient check, one line per checked entry: `x  analytic -4  numeric -4  rel. error 1.2e-11  ✓`.
    public static func checkTable(_ check: GradientCheck) -> String {
        var lines = ["gradient check (central differences, h = \(TraceFormat.number(check.step)), tolerance \(TraceFormat.number(check.tolerance)))"]
        for entry in check.entries {
            let position = entry.position.isEmpty ? "" : "[" + entry.position.map(String.init).joined(separator: ", ") + "]"
            let mark = switch entry.status { case .pass: "✓"; case .fail: "✗ FAIL"; case .kink: "kink (not defined here; not a failure)" }
            lines.append("  \(entry.input)\(position)  analytic \(TraceFormat.number(entry.analytic, significantDigits: 8))  numeric \(TraceFormat.number(entry.numeric, significantDigits: 8))  rel. error \(String(format: "%.1e", entry.relativeError))  \(mark)")
        }
        lines.append(check.passed ? "all gradients agree" : "some gradients disagree")
        return lines.joined(separator: "\n")
    }
}
