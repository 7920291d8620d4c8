import Autograd
import Diagrams
import Expressions
import Foundation
import NeuralNetworks
import TOMLKit
import Support
import Claims
import ModelFiles
import Lessons

// MARK: - Quantities

/// A quantity of a lesson resolved by the engine.
struct Quantity {
    /// Its value (a tensor, or the entry asked for).
    let value: Tensor
    /// As shown: `∂f/∂x`, `q`, `updated w`, `s[2]`.
    let display: String
    /// The node it is the value or gradient of.
    let node: NodeID?
    /// The entry asked for (`s[2]`), if any.
    let entry: [Int]?
    /// For a gradient ∂A/∂B: the nodes, names and the program with backward run from A.
    let gradient: (of: NodeID, withRespectTo: NodeID, ofName: String, byName: String, program: Program)?
    /// For `updated w`: the value had the step gone the other way.
    let otherDirection: Tensor?
}

/// Resolves the quantities an exercise names, as `[[check]]` writes them, with tensors allowed:
/// a name (`q`), an entry (`s[2]`, `W[0, 1]`), a gradient (`df/dx`, `∂f/∂x`, `dq/dx` for a named
/// node q), `updated w`. Gradients of a node other than the output run backward from that node.
struct QuantityResolver {
    let lesson: Lesson
    let job: TraceJob
    var programs: [Int: Program] = [:]

    init(lesson: Lesson, job: TraceJob) {
        self.lesson = lesson
        self.job = job
    }

    var outputName: String { job.program.graph.label(of: job.program.output) }

    /// The program's names and the output, with their nodes.
    var known: [String: NodeID] {
        var known: [String: NodeID] = [:]
        let program = job.program
        for (name, node) in program.inputs.map({ ($0.name, $0.node) }) + program.assignments.map({ ($0.name, $0.node) }) { known[name] = node }
        known[program.graph.label(of: program.output)] = program.output
        return known
    }

    /// The given point: every input's value.
    var point: ClaimCheck.Point { job.program.inputs.map { ($0.name, job.program.graph.value(of: $0.node)) } }

    /// The program with backward run from `node` (the job's own for the output).
    mutating func program(backwardFrom node: NodeID) -> Program? {
        if node == job.program.output { return job.program }
        if let program = programs[node.index] { return program }
        guard let program = try? Expressions.evaluate(lesson.program, options: .init(inputs: point, parameters: Set(lesson.parameters))),
              (try? program.graph.backward(from: program.graph.node(at: node.index))) != nil else { return nil }
        programs[node.index] = program
        return program
    }

    /// Whether `text` is written like a quantity (rather than an expression).
    static func isQuantity(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let name = #"[\p{L}_][\p{L}\p{N}_]*"#
        let entry = #"(\s*\[\s*-?[0-9]+(\s*,\s*-?[0-9]+)*\s*\])?"#
        let patterns = ["^(updated\\s+)?\(name)\(entry)$", "^[d∂]\(name)\\s*/\\s*[d∂]\(name)\(entry)$"]
        return patterns.contains { trimmed.range(of: $0, options: .regularExpression) != nil }
    }

    mutating func resolve(_ text: String, line: Int, exercise: String) throws(WorkbenchFailure) -> Quantity {
        let file = lesson.file
        func fail(_ message: String) -> WorkbenchFailure { .badInput("exercise '\(exercise)': '\(text)': \(message)", at: SourceLocation(file: file, line: line)) }
        let known = self.known
        func node(_ name: String) throws(WorkbenchFailure) -> NodeID {
            if let node = known[name] { return node }
            throw fail("the program does not define '\(name)'; " + ClaimCheck.hint(for: name, among: Array(known.keys)))
        }
        // The grammar the lesson runner reads too (Lessons/QuantityText.swift).
        let quantity: QuantityText
        do { quantity = try QuantityText(text) } catch { throw fail(error.message) }
        let entry = quantity.entry
        func pick(_ tensor: Tensor, _ what: String) throws(WorkbenchFailure) -> Tensor {
            guard let entry else { return tensor }
            guard let value = QuantityText.pick(entry, in: tensor) else {
                throw fail("no such entry in \(what), of shape \(Tensor.describe(shape: tensor.shape))")
            }
            return Tensor(scalar: value)
        }
        let suffix = entry.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? ""
        let graph = job.program.graph
        switch quantity.kind {
        case .updated(let name):
            guard let update = lesson.update else { throw fail("'updated' needs the lesson's [update] section") }
            let id = try node(name)
            guard let gradient = graph.gradient(of: id) else { throw fail("\(name) gets no gradient") }
            let value = graph.value(of: id)
            let step = Tensor(scalar: update.sign * update.rate) * gradient
            return Quantity(value: try pick(value + step, "updated \(name)"), display: "updated \(name)\(suffix)", node: id, entry: entry,
                            gradient: nil, otherDirection: try pick(value - step, "updated \(name)"))
        case .gradient(let ofName, let byName):
            let of = try node(ofName), by = try node(byName)
            guard graph.shape(of: of).isEmpty else { throw fail("\(ofName) has shape \(Tensor.describe(shape: graph.shape(of: of))); gradients are of a scalar") }
            guard let program = program(backwardFrom: of) else { throw fail("backward from \(ofName) failed") }
            let gradient = ClaimCheck.engineGradient(program, of: of, withRespectTo: by)   // by is a node of the job's graph
            return Quantity(value: try pick(gradient, "∂\(ofName)/∂\(byName)"), display: "∂\(ofName)/∂\(byName)\(suffix)", node: by, entry: entry,
                            gradient: (of, by, ofName, byName, program), otherDirection: nil)
        case .value(let name):
            let id = try node(name)
            return Quantity(value: try pick(graph.value(of: id), name), display: name + suffix, node: id, entry: entry, gradient: nil, otherDirection: nil)
        }
    }

    /// An exercise's answer: a quantity, or an expression over the program's names (`w_new @ x`).
    mutating func answer(_ text: String, line: Int, exercise: String) throws(WorkbenchFailure) -> Quantity {
        if QuantityResolver.isQuantity(text) { return try resolve(text, line: line, exercise: exercise) }
        let value = try value(text, line: line, exercise: exercise)
        return Quantity(value: value, display: text.trimmingCharacters(in: .whitespaces), node: nil, entry: nil, gradient: nil, otherDirection: nil)
    }

    /// A quantity, or an expression in the expression language over the program's names, where a
    /// gradient may be written too: `abs(df/dw)`, `dH/da[3] + 1`.
    mutating func value(_ text: String, line: Int, exercise: String) throws(WorkbenchFailure) -> Tensor {
        if QuantityResolver.isQuantity(text) { return try resolve(text, line: line, exercise: exercise).value }
        var names = ClaimCheck.names(of: job.program)
        var expression = text
        // Each gradient dA/dB (A and B names of the program) becomes a name bound to its value.
        let pattern = #"(?<![\p{L}\p{N}_])[d∂]([\p{L}_][\p{L}\p{N}_]*)\s*/\s*[d∂]([\p{L}_][\p{L}\p{N}_]*)"#
        let known = self.known
        var counter = 0
        while let range = expression.range(of: pattern, options: .regularExpression) {
            let found = String(expression[range])
            let parts = found.dropFirst().components(separatedBy: "/").map { String($0.trimmingCharacters(in: .whitespaces).dropFirst()) }
            let of = String(found.dropFirst().components(separatedBy: "/")[0]).trimmingCharacters(in: .whitespaces)
            guard known[of] != nil, known[parts[1]] != nil else { break }
            let gradient = try resolve(found, line: line, exercise: exercise).value
            counter += 1
            let name = "gradient_\(counter)_"
            names.append((name, gradient))
            expression.replaceSubrange(range, with: name)
        }
        do { return try ClaimCheck.formulaValue(expression, names: names).value } catch {
            throw .badInput("exercise '\(exercise)': '\(text)': \(error.message)", at: SourceLocation(file: lesson.file, line: line))
        }
    }

    /// Evaluates a condition `left op right` (op one of < <= > >= == !=); returns whether it holds
    /// and the condition with the engine's values, for messages and solutions.
    mutating func condition(_ text: String, line: Int, exercise: String) throws(WorkbenchFailure) -> (Bool, String) {
        func fail(_ message: String) -> WorkbenchFailure { .badInput("exercise '\(exercise)': condition '\(text)': \(message)", at: SourceLocation(file: lesson.file, line: line)) }
        let characters = Array(text)
        var depth = 0
        var found: (index: Int, op: String)? = nil
        var index = 0
        while index < characters.count {
            let c = characters[index]
            if c == "(" || c == "[" { depth += 1 } else if c == ")" || c == "]" { depth -= 1 }
            else if depth == 0 && "<>=!".contains(c) {
                let two = index + 1 < characters.count && characters[index + 1] == "=" ? String([c, "="]) : String(c)
                guard ["<", ">", "<=", ">=", "==", "!="].contains(two) else { throw fail("write the comparison as <, <=, >, >=, == or !=") }
                guard found == nil else { throw fail("one comparison per condition") }
                found = (index, two)
                index += two.count
                continue
            }
            index += 1
        }
        guard let found else { throw fail("expected a comparison such as df/dx < 0") }
        let left = String(characters[..<found.index]).trimmingCharacters(in: .whitespaces)
        let right = String(characters[(found.index + found.op.count)...]).trimmingCharacters(in: .whitespaces)
        guard !left.isEmpty, !right.isEmpty else { throw fail("a comparison needs a left and a right side") }
        let a = try value(left, line: line, exercise: exercise), b = try value(right, line: line, exercise: exercise)
        guard a.count == 1, b.count == 1 else { throw fail("both sides must be numbers") }
        let x = a.storage[0], y = b.storage[0]
        let equal = abs(x - y) <= 1e-9 * max(1, abs(x), abs(y))
        let holds: Bool
        switch found.op {
        case "<": holds = x < y && !equal
        case "<=": holds = x < y || equal
        case ">": holds = x > y && !equal
        case ">=": holds = x > y || equal
        case "==": holds = equal
        default: holds = !equal
        }
        let shown = "\(left) \(found.op) \(right): \(TraceFormat.number(x, significantDigits: 6)) \(found.op) \(TraceFormat.number(y, significantDigits: 6)) is \(holds ? "true" : "false")"
        return (holds, shown)
    }

    /// A formula exercise: the left side parsed as a claim, the random points, the evaluations cached,
    /// and the teacher's example (if any) checked like a claim.
    mutating func formula(_ exercise: Lesson.Exercise) throws(WorkbenchFailure) -> ExerciseSet.PreparedFormula {
        let left = exercise.answer!.trimmingCharacters(in: .whitespaces)
        let line = exercise.line, file = lesson.file
        func fail(_ message: String, detail: String? = nil) -> WorkbenchFailure {
            .badInput("exercise '\(exercise.id)': \(message)", at: SourceLocation(file: file, line: line), detail: detail)
        }
        guard !left.contains("=") else { throw fail("'answer' is the claim's left side only, e.g. answer = \"df/dx\"") }
        let program = job.program
        let template: Claim
        do { template = try ClaimCheck.parse(left + " = 0", program: program) } catch {
            throw fail("answer '\(left)': " + error.message.replacingOccurrences(of: "--claim:", with: "column "))
        }
        let claim = Claim(text: left, of: template.of, withRespectTo: template.withRespectTo, ofNode: template.ofNode,
                          withRespectToNode: template.withRespectToNode, right: "", kind: .formula(""))
        var evaluator = ClaimCheck.Evaluator(source: lesson.program)
        var points = [point]
        if !point.isEmpty {
            points += ClaimCheck.randomPoints(count: 5, around: point, claims: [claim], seed: 1, evaluator: &evaluator)
        }
        // Warm the cache: the engine's gradient at every point, once for all the students.
        for index in points.indices { _ = evaluator.gradients(index, points[index], of: claim.ofNode) }
        guard let given = evaluator.gradients(0, points[0], of: claim.ofNode) else { throw fail("backward from \(claim.of) failed") }
        let engine = ClaimCheck.engineGradient(given, of: claim.ofNode, withRespectTo: claim.withRespectToNode)
        let engineFormula = ClaimCheck.engineFormula(claim, program: given)
        if let example = exercise.example {
            let parsed: Claim
            do { parsed = try ClaimCheck.parse(left + " = " + example, program: program) } catch {
                throw fail("example '\(example)': " + error.message.replacingOccurrences(of: "--claim:", with: "column "))
            }
            let result = ClaimCheck.check(parsed, points: points, evaluator: &evaluator)
            guard result.passed else {
                throw .failed("exercise '\(exercise.id)': the example \(claim.left) = \(example) disagrees with the engine: it gives \(ClaimCheck.format(result.claimed)), the engine \(ClaimCheck.format(result.engine))" + (result.pointIndex > 0 ? " at a random point" : ""), at: SourceLocation(file: file, line: line))
            }
        }
        return ExerciseSet.PreparedFormula(claim: claim, points: points, evaluator: evaluator, engine: engine,
                                          engineFormula: engineFormula, example: exercise.example)
    }
}
