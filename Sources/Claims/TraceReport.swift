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
    /// Tensors over `TraceLimits.tableEntries` entries are summarized and at most
    /// `TraceLimits.tableSteps` steps per pass are printed, unless `full`.
    public static func table(_ trace: Trace, significantDigits digits: Int = 6, full: Bool = false) -> String {
        func format(_ value: Tensor?) -> String {
            guard let value else { return "?" }
            return TraceLimits.text(value, significantDigits: digits, full: full)
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
        for id in TraceLimits.steps(trace.forwardSteps, full: full) {
            guard let id else { lines.append(TraceLimits.omitted(trace.forwardSteps.count)); continue }
            lines.append("  " + forwardNarration(trace, node: id, significantDigits: digits, full: full))
        }
        if trace.hasGradients {
            lines.append("backward")
            lines.append("  ∂\(trace.outputNode.label)/∂\(trace.outputNode.label) = 1")
            for id in TraceLimits.steps(trace.backwardSteps, full: full) {
                guard let id else { lines.append(TraceLimits.omitted(trace.backwardSteps.count)); continue }
                lines.append("  " + backwardNarration(trace, edge: id, significantDigits: digits, full: full))
            }
            lines.append("gradients")
            for node in inputs {
                var line = "  ∂\(trace.outputNode.label)/∂\(node.label) = \(format(node.gradient))"
                if node.contributions.count > 1 {
                    let parts = node.contributions.map { format(trace.edges[$0].contribution) }
                    line += "   (sum of \(parts.joined(separator: " + ")))"
                } else if let note = independenceNote(trace, node: node) {
                    line += "   (\(note))"
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `f does not depend on x` for an input that no path leads from to the output (its gradient is 0).
    public static func independenceNote(_ trace: Trace, node: Trace.Node) -> String? {
        guard trace.hasGradients, node.contributions.isEmpty, node.id != trace.output, node.kind != .constant else { return nil }
        return "\(trace.outputNode.label) does not depend on \(node.label)"
    }

    /// One forward step in words: `q = x + y = -2 + 5 = 3`.
    public static func forwardNarration(_ trace: Trace, node id: Int, significantDigits digits: Int = 6, full: Bool = false) -> String {
        let node = trace.nodes[id]
        let operands = node.inputs.map { trace.nodes[$0] }
        let names = operands.map(\.label)
        let values = operands.map { TraceLimits.text($0.value, significantDigits: digits, full: full) }
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
        let result = TraceLimits.text(node.value, significantDigits: digits, full: full)
        // Operations on written numbers (`32 - 5`) read the same symbolically and numerically: say it once.
        return symbolic == numeric ? "\(node.label) = \(symbolic) = \(result)" : "\(node.label) = \(symbolic) = \(numeric) = \(result)"
    }

    /// One backward step in words: `∂f/∂q = z = -4; upstream 1; contribution -4`.
    public static func backwardNarration(_ trace: Trace, edge id: Int, significantDigits digits: Int = 6, full: Bool = false) -> String {
        let edge = trace.edges[id]
        let format = { (value: Tensor?) in value.map { TraceLimits.text($0, significantDigits: digits, full: full) } ?? "?" }
        var local = edge.localGradient.description
        if let value = edge.localGradient.value, value.isScalar,
           edge.localGradient.formula.replacingOccurrences(of: "−", with: "-") != format(value) {
            local += " = \(format(value))"
        }
        return "\(local); upstream \(format(edge.upstream)); contribution \(format(edge.contribution))"
    }

    /// The trace as one JSON object; the schema is in docs/json.md. Written straight into bytes
    /// (`jsonBytes`) and carried as such: a tree of it was 40% of the server's CPU for a 100-node trace.
    public static func json(_ trace: Trace, check: GradientCheck? = nil) -> JSONValue {
        .written(jsonBytes(trace, check: check))
    }

    /// The most bytes `backprop trace --json` writes: 64 MiB (`BACKPROP_MAX_JSON_BYTES` raises it).
    public static var jsonByteLimit: Int { GraphLimits.environment("BACKPROP_MAX_JSON_BYTES", default: 64 << 20) }

    /// The text of `json(_:check:)` within `limit` bytes, with memory bounded before it is written.
    ///
    /// Every tensor entry the document holds takes at least 3 bytes (`0, ` or `[0]`), so a trace
    /// with more than `limit / 3` of them is refused at once, before a byte is written; one under
    /// that is written (at most about 26 bytes an entry) and refused if it came out over the limit.
    /// - Throws: `WorkbenchFailure.badInput` (exit 2) with the size and the limit.
    public static func jsonBytes(_ trace: Trace, check: GradientCheck? = nil, limit: Int) throws(WorkbenchFailure) -> [UInt8] {
        var entries = 0
        func add(_ value: TraceValue?) { entries += value?.count ?? 0 }
        for node in trace.nodes { add(node.storedValue); add(node.storedGradient) }
        for edge in trace.edges { add(edge.storedContribution); add(edge.localGradient.storedValue); add(edge.storedUpstream) }
        for node in trace.nodes where node.kind == .input || node.kind == .parameter { add(node.storedGradient) }
        let (least, overflow) = entries.multipliedReportingOverflow(by: 3)
        let raise = "the limit for --json is \(limit) bytes (BACKPROP_MAX_JSON_BYTES raises it; the table and -o drawings summarize large values)"
        guard !overflow, least <= limit else {
            throw .badInput("the trace's JSON would be at least \(overflow ? "more bytes than an integer can count" : "\(least) bytes") (\(entries) numbers); \(raise)")
        }
        let bytes = jsonBytes(trace, check: check)
        guard bytes.count <= limit else { throw .badInput("the trace's JSON is \(bytes.count) bytes; \(raise)") }
        return bytes
    }

    /// The text of `json(_:check:)`: keys in sorted order, as `JSONValue` writes an object.
    /// - Parameter lineEnd: ends the text with a line break (as the server sends it).
    public static func jsonBytes(_ trace: Trace, check: GradientCheck? = nil, lineEnd: Bool = false) -> [UInt8] {
        withJSONBytes(trace, check: check, lineEnd: lineEnd) { Array($0) }
    }

    /// Hands the text of `json(_:check:)` to `body` in the writer's own memory, for a caller that
    /// copies it once into a buffer of its own (the server's reply): no `[UInt8]` in between.
    public static func withJSONBytes<Result>(_ trace: Trace, check: GradientCheck? = nil, lineEnd: Bool = false,
                                             _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        // Room for a scalar trace at once (about 250 bytes a node and 400 an edge): growing a buffer
        // of 64 kB or more costs glibc a consolidation of its free lists, or an mmap, each time.
        let entries = trace.nodes.withUnsafeBufferPointer { nodes in nodes.indices.reduce(0) { $0 + nodes[$1].storedValue.count } }
        var json = JSONWriter(capacity: 1024 + 300 * trace.nodes.count + 450 * trace.edges.count + 60 * entries)
        json.beginObject()
        json.key("backward"); json.numbers(trace.backwardSteps)
        if let check { json.key("check"); json.value(checkJSON(check)) }
        // Each node and edge read in place, not copied out of its array (a copy retains every
        // string and tensor in it).
        json.key("edges"); json.beginArray()
        trace.edges.withUnsafeBufferPointer { edges in
            for index in edges.indices { json.element(); write(edges[index], into: &json) }
        }
        json.endArray()
        json.key("forward"); json.numbers(trace.forwardSteps)
        // The inputs by index, not `trace.inputs`: each node copied out retains all it holds.
        let inputs = trace.nodes.withUnsafeBufferPointer { nodes in nodes.indices.filter { nodes[$0].kind == .input || nodes[$0].kind == .parameter } }
        // One member per label, the last input of a label winning, as a dictionary of them would.
        var byLabel: [String: Int] = [:]
        for index in inputs { byLabel[trace.nodes[index].label] = index }
        json.key("gradients"); json.beginObject()
        for label in byLabel.keys.sorted() {
            json.key(text: label)
            optional(byLabel[label].flatMap { trace.nodes[$0].storedGradient }, into: &json)
        }
        json.endObject()
        json.key("nodes"); json.beginArray()
        trace.nodes.withUnsafeBufferPointer { nodes in
            for index in nodes.indices { json.element(); write(nodes[index], into: &json) }
        }
        json.endArray()
        let notes = inputs.compactMap { independenceNote(trace, node: trace.nodes[$0]) }
        if !notes.isEmpty {
            json.key("notes"); json.beginArray()
            for note in notes { json.element(); json.string(note) }
            json.endArray()
        }
        json.key("output"); json.number(trace.output)
        json.key("value"); optional(trace.nodes[trace.output].storedValue, into: &json)
        json.endObject()
        if lineEnd { json.lineEnd() }
        return json.withBytes(body)
    }

    static func write(_ node: Trace.Node, into json: inout JSONWriter) {
        json.beginObject()
        json.key("contributions"); json.numbers(node.contributions)
        if let detail = node.detail { json.key("detail"); json.string(detail) }
        json.key("gradient"); optional(node.storedGradient, into: &json)
        json.key("id"); json.number(node.id)
        json.key("inputs"); json.numbers(node.inputs)
        json.key("kind"); json.string(node.kind.rawValue)
        json.key("label"); json.string(node.label)
        json.key("name"); if let name = node.name { json.string(name) } else { json.null() }
        json.key("operation"); json.string(node.operation)
        json.key("requires_grad"); json.bool(node.requiresGradient)
        switch node.storedValue {
        case .scalar(let number): json.key("shape"); json.numbers([]); json.key("value"); json.number(number)
        case .tensor(let tensor): json.key("shape"); json.numbers(tensor.shape); json.key("value"); json.tensor(tensor)
        }
        json.endObject()
    }

    static func write(_ edge: Trace.Edge, into json: inout JSONWriter) {
        json.beginObject()
        json.key("contribution"); optional(edge.storedContribution, into: &json)
        json.key("from"); json.number(edge.from)
        json.key("id"); json.number(edge.id)
        json.key("local"); json.beginObject()
        json.key("description")
        // The statement `∂f/∂q = z` written from its parts: no String of it per edge.
        let local = edge.localGradient
        json.beginString()
        TraceFormat.statement(local.resultLabel, local.inputLabel, local.formula,
                              literal: { json.stringPart(literal: $0) }, text: { json.stringPart($0) })
        json.endString()
        json.key("formula"); json.string(local.formula)
        json.key("value"); optional(local.storedValue, into: &json)
        json.endObject()
        json.key("operand"); json.number(edge.operand)
        json.key("to"); json.number(edge.to)
        json.key("upstream"); optional(edge.storedUpstream, into: &json)
        json.endObject()
    }

    static func optional(_ value: TraceValue?, into json: inout JSONWriter) {
        switch value {
        case .scalar(let number): json.number(number)
        case .tensor(let tensor): json.tensor(tensor)
        case nil: json.null()
        }
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
            let mark = switch entry.status {
            case .pass: "✓"
            case .fail: "✗ FAIL"
            case .kink: "kink (not defined here; not a failure)"
            case .undefined: "not checked: f is not finite a step away (not a failure)"
            }
            let error = entry.relativeError.isFinite ? String(format: "%.1e", entry.relativeError) : "-"
            lines.append("  \(entry.input)\(position)  analytic \(TraceFormat.number(entry.analytic, significantDigits: 8))  numeric \(TraceFormat.number(entry.numeric, significantDigits: 8))  rel. error \(error)  \(mark)")
        }
        let unchecked = check.entries.filter { $0.status == .undefined }.count
        lines.append(!check.passed ? "some gradients disagree"
                     : unchecked == 0 ? "all gradients agree"
                     : "all checked gradients agree; \(unchecked) of \(check.entries.count) entr\(check.entries.count == 1 ? "y" : "ies") could not be checked")
        return lines.joined(separator: "\n")
    }
}
