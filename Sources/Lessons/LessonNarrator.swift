import Autograd
import Expressions
import Foundation
import Support

/// The forward and backward steps of a lesson in words, as a student of the notes reads them:
/// the notes' symbols for named nodes (`[symbols]`), consecutive names `n1, n2, …` for unnamed
/// intermediate values, no backward step into a constant or a label (`labels`), an edge's share
/// written "via q" so it cannot be mistaken for the total, and large tensors shown by their corners
/// (every entry with `--full`). A lesson with `step_by_step` replays only those statements
/// operation by operation; each other statement is one line with its value.
struct LessonNarrator {
    let lesson: Lesson
    let trace: Trace
    let program: Program
    /// Every entry of every tensor, and every statement step by step.
    let full: Bool
    let digits: Int
    /// The name each node is shown by.
    let names: [String]
    /// The trace's labels that `names` shows differently (`n6` → `n3`), found once for every `rename`.
    let renaming: [String: String]
    /// For each operation node, the named node whose statement it belongs to (nil: unnamed tail).
    let statement: [Int: Int]
    /// Whether a node depends on an input that is neither a constant nor a label.
    let free: [Bool]

    init(lesson: Lesson, trace: Trace, program: Program, full: Bool, digits: Int) {
        self.lesson = lesson
        self.trace = trace
        self.program = program
        self.full = full
        self.digits = digits
        // The parser evaluates statement by statement, so a statement's operations come right
        // before the node its name is given to.
        var statement: [Int: Int] = [:]
        var pending: [Int] = []
        for node in trace.nodes where node.kind == .operation {
            pending.append(node.id)
            if node.name != nil {
                for id in pending { statement[id] = node.id }
                pending.removeAll()
            }
        }
        self.statement = statement
        var free = [Bool](repeating: false, count: trace.nodes.count)
        for node in trace.nodes {   // creation order: a node's inputs come before it
            switch node.kind {
            case .constant: free[node.id] = false
            case .input, .parameter: free[node.id] = !(node.name.map { lesson.presentation.labels.contains($0) } ?? false)
            case .operation: free[node.id] = node.inputs.contains { free[$0] }
            }
        }
        self.free = free
        let chosen = lesson.presentation.stepByStep
        let symbols = lesson.presentation.symbols
        var names: [String] = []
        var unnamed = 0, constants = 0
        for node in trace.nodes {
            if let name = node.name { names.append(symbols[name] ?? name); continue }
            switch node.kind {
            case .constant where node.value.isScalar: names.append(TraceFormat.number(node.value.scalar))
            case .constant: constants += 1; names.append("c\(constants)")
            case .operation:
                // Numbered in the order shown: values of statements shown as one line get no number.
                let shown = full || chosen.isEmpty || (statement[node.id].flatMap { trace.nodes[$0].name }.map(chosen.contains) ?? true)
                // A value inside a statement shown as one line is called by that statement's name.
                if shown { unnamed += 1; names.append("n\(unnamed)") } else { names.append(statement[node.id].flatMap { trace.nodes[$0].name }.map { symbols[$0] ?? $0 } ?? node.label) }
            default: names.append(node.label)
            }
        }
        self.names = names
        renaming = trace.renaming(to: names)
    }

    /// A value: every entry when short or `--full`, else its corners.
    func show(_ value: Tensor) -> String { LessonText.tensor(value, significantDigits: digits, full: full) }

    /// The lesson's own names in a local-gradient formula (`∂n6/∂n2 = 1` → `∂n3/∂n1 = 1`).
    func rename(_ text: String) -> String { TraceFormat.rename(text, names: renaming) }

    func narration(after node: Trace.Node) -> String {
        let keys = Set([node.label, names[node.id]] + (node.name.map { [$0] } ?? []))
        return lesson.narration.filter { keys.contains($0.after) }.map { "\n      › " + $0.text }.joined()
    }

    func gradientNarration(_ node: Trace.Node, output: Trace.Node) -> String {
        let outs = Set([output.label, names[output.id]] + (output.name.map { [$0] } ?? []))
        let ins = Set([node.label, names[node.id]] + (node.name.map { [$0] } ?? []))
        var keys: Set<String> = []
        for o in outs { for i in ins { keys.insert("d\(o)/d\(i)"); keys.insert("∂\(o)/∂\(i)") } }
        return lesson.narration.filter { keys.contains($0.after) }.map { "\n      › " + $0.text }.joined()
    }

    /// Whether the statement that computes `id` is replayed operation by operation.
    func detailed(_ id: Int) -> Bool {
        let chosen = lesson.presentation.stepByStep
        guard !full, !chosen.isEmpty else { return true }
        guard let owner = statement[id], let name = trace.nodes[owner].name else { return true }
        return chosen.contains(name)
    }

    func forward(_ id: Int) -> String {
        let node = trace.nodes[id]
        let operands = node.inputs.map { trace.nodes[$0] }
        let labels = operands.map { names[$0.id] }
        let values = operands.map { show($0.value) }
        let symbolic: String, numeric: String
        if operands.count == 2 && ["+", "−", "*", "/", "^", "@"].contains(node.symbol) {
            let symbol = node.symbol == "−" ? "-" : node.symbol
            symbolic = "\(labels[0]) \(symbol) \(labels[1])"
            // A negative base is bracketed too: -0.5 ^ 2 would read as −(0.5²).
            let left = symbol == "^" && values[0].hasPrefix("-") ? "(\(values[0]))" : values[0]
            numeric = "\(left) \(symbol) \(values[1].hasPrefix("-") ? "(\(values[1]))" : values[1])"
        } else if node.symbol == "−" && operands.count == 1 {
            symbolic = "-\(labels[0])"; numeric = "-(\(values[0]))"
        } else if node.operation == "index", let detail = node.detail {
            symbolic = "\(labels[0])\(detail)"; numeric = symbolic
        } else {
            let detail = node.detail.map { ", \($0)" } ?? ""
            symbolic = "\(node.operation)(\(labels.joined(separator: ", "))\(detail))"
            numeric = "\(node.operation)(\(values.joined(separator: ", "))\(detail))"
        }
        let result = show(node.value)
        // The numbers are worth showing when they are short; a long operand is named, not reprinted.
        let short = full || values.allSatisfy { $0.count <= 40 }
        let body = symbolic == numeric || !short ? "\(names[id]) = \(symbolic) = \(result)" : "\(names[id]) = \(symbolic) = \(numeric) = \(result)"
        return "forward   " + body + narration(after: node)
    }

    /// A statement shown as one line: its source text and its value.
    func brief(_ id: Int) -> String {
        let node = trace.nodes[id]
        var text = names[id]
        if let position = program.positions[index: id], let line = program.sourceLine(position.line) {
            let statements = line.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if let source = statements.first(where: { $0.hasPrefix((node.name ?? "") + " ") || $0.hasPrefix((node.name ?? "") + "=") }),
               let equals = source.firstIndex(of: "=") {
                text += " = " + source[source.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "forward   " + text + " = " + show(node.value) + narration(after: node)
    }

    /// The values that get no backward step: constants, the lesson's labels and data, and values
    /// computed from those alone (`4 * N ^ 2 * M ^ 2` when N and M are labels).
    func silent(_ node: Trace.Node) -> Bool { !free[node.id] }

    func steps() -> [String] {
        var steps: [String] = []
        let inputs = trace.inputs.map { "\(names[$0.id]) = \(show($0.value))" }
        steps.append("inputs: " + inputs.joined(separator: ", ") + lesson.narration.filter { $0.after == "inputs" }.map { "\n      › " + $0.text }.joined())
        for id in trace.forwardSteps {
            if detailed(id) { steps.append(forward(id)) }
            else if trace.nodes[id].name != nil { steps.append(brief(id)) }
        }
        guard trace.hasGradients, lesson.presentation.backward else { return steps }
        let output = trace.outputNode
        let f = names[output.id]
        steps.append("backward  ∂\(f)/∂\(f) = 1 (the seed)")
        let shown = trace.backwardSteps.filter { !silent(trace.nodes[trace.edges[$0].from]) }
        var last: [Int: Int] = [:]
        for id in shown { last[trace.edges[id].from] = id }
        var skipped = 0
        for id in shown {
            let edge = trace.edges[id]
            let from = trace.nodes[edge.from], to = trace.nodes[edge.to]
            var line = ""
            if detailed(edge.to) {
                var local = rename(edge.localGradient.description)
                if let value = edge.localGradient.value, value.isScalar, edge.localGradient.formula.replacingOccurrences(of: "−", with: "-") != show(value) {
                    local += " = \(show(value))"
                }
                let upstream = edge.upstream.map(show) ?? "?", share = edge.contribution.map(show) ?? "?"
                let upstreamName = "∂\(f)/∂\(names[to.id])"
                line = "backward  \(names[to.id]) → \(names[from.id]): local \(local); upstream \(upstreamName) = \(upstream); via \(names[to.id]): \(share)"
            } else { skipped += 1 }
            // The total, once every share has arrived, for the inputs and the named values.
            let worthSaying = from.kind != .operation || detailed(from.id)
            if id == last[edge.from], worthSaying, let gradient = from.gradient {
                let shares = from.contributions.filter { !silent(trace.nodes[trace.edges[$0].to]) || true }
                var sum = ""
                if shares.count > 1 && shares.count <= 4 {
                    sum = " = " + shares.map { share in
                        let e = trace.edges[share]
                        return (e.contribution.map(show) ?? "?") + " (via \(names[e.to]))"
                    }.joined(separator: " + ")
                } else if shares.count > 4 {
                    sum = " = the sum of its \(shares.count) shares"
                }
                let total = "so ∂\(f)/∂\(names[from.id])\(sum) = \(show(gradient))"
                line += (line.isEmpty ? "backward  " : "\n          ") + total + gradientNarration(from, output: output)
            }
            if !line.isEmpty { steps.append(line) }
        }
        if skipped > 0 {
            steps.append("          (\(skipped) more backward steps through the other statements, the same way; --full shows them)")
        }
        return steps
    }
}

/// Text for an 80-to-100-column terminal.
public enum LessonText {
    /// The widest line a lesson prints.
    public static let width = 100

    /// A tensor in full when it is short (or `full`), else its shape and corners: `[[1, 0, …, 1], …, [0, 0, …, 0]] (6×6)`.
    public static func tensor(_ value: Tensor, significantDigits digits: Int, full: Bool) -> String {
        let whole = TraceFormat.tensor(value, significantDigits: digits)
        if full || value.isScalar || value.count <= 27 || whole.count <= 48 { return whole }
        let number = { (x: Double) in TraceFormat.number(x, significantDigits: digits) }
        let shape = value.shape.map(String.init).joined(separator: "×")
        func row(_ offset: Int, _ count: Int) -> String {
            let entries = (0..<count).map { value.storage[offset + $0] }
            if count <= 4 { return "[" + entries.map(number).joined(separator: ", ") + "]" }
            return "[" + entries.prefix(2).map(number).joined(separator: ", ") + ", …, " + number(entries[count - 1]) + "]"
        }
        switch value.rank {
        case 1: return row(0, value.count) + " (\(shape))"
        case 2:
            let rows = value.shape[0], columns = value.shape[1]
            let picked = rows <= 3 ? Array(0..<rows) : [0, 1, rows - 1]
            let texts = picked.map { row($0 * columns, columns) }
            let joined = rows <= 3 ? texts.joined(separator: ", ") : texts[0] + ", " + texts[1] + ", …, " + texts[2]
            return "[" + joined + "] (\(shape))"
        default:
            let first = value.storage.prefix(3).map(number).joined(separator: ", ")
            return "[[[\(first), …]]] (\(shape))"
        }
    }

    /// `line` folded at spaces to `width` columns; continuation lines keep the indentation of
    /// the text (after `› ` for narration, after the step word for steps).
    public static func fit(_ text: String, width: Int = LessonText.width) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { fitLine(String($0), width: width) }.joined(separator: "\n")
    }

    static func fitLine(_ line: String, width: Int) -> String {
        guard line.count > width else { return line }
        // Columns padded for a wide table are folded anyway: keep one gap of three spaces.
        // The step word's column (`update    `) is kept as it is.
        let keep = line.prefix { $0 == " " }.count + 10
        let head = String(line.prefix(keep))
        var tail = String(line.dropFirst(keep))
        while tail.contains("    ") { tail = tail.replacingOccurrences(of: "    ", with: "   ") }
        let line = head + tail
        guard line.count > width else { return line }
        let leading = line.prefix { $0 == " " }.count
        var indent = leading + 2
        let body = line.dropFirst(leading)
        if body.hasPrefix("› ") { indent = leading + 2 }
        else if let word = ["forward   ", "backward  ", "update    ", "training  ", "descent   ", "held-out  ", "loss      ",
                                           "image     ", "picture   ", "CAM       "].first(where: { body.hasPrefix($0) }) {
            indent = leading + word.count + 2
        }
        indent = min(indent, width / 2)
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        var current = String(repeating: " ", count: leading)
        var hasWord = false
        for word in body.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = hasWord ? current + " " + word : current + word
            if candidate.count <= width || !hasWord {
                current = candidate
            } else {
                lines.append(current)
                current = pad + word
            }
            hasWord = true
            // A word longer than the line: cut it.
            while current.count > width {
                let cut = current.index(current.startIndex, offsetBy: width)
                lines.append(String(current[..<cut]))
                current = pad + current[cut...]
            }
        }
        lines.append(current)
        return lines.joined(separator: "\n")
    }
}
