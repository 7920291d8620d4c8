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

// MARK: - Prepared exercises

/// A lesson's exercises with the answers the engine computes: what `backprop exercises` prints and
/// what `backprop grade` grades against. Preparing evaluates the program once, finds every answer,
/// and for a formula exercise the random points it is checked at (as `backprop check` would).
public final class ExerciseSet {
    /// What the engine says the answer is.
    public enum Expected {
        /// A number with the tolerance it is graded with.
        case number(Double, tolerance: Double)
        /// A vector or matrix with a tolerance per entry.
        case tensor(Tensor, tolerances: [Double])
        /// A formula for ∂A/∂B: checked like a claim.
        case formula(PreparedFormula)
        /// The index of the right choice, and each choice's value as the engine computed it.
        case choice(Int, values: [String])
        /// A shape.
        case shape([Int])
        /// A parameter count, with the counts of the common mistakes.
        case count(Int, mistakes: [(code: String, count: Int, explanation: String)])
        /// The blanks of a graph, each a number with its tolerance.
        case graph([Blank])
    }

    /// One blank of a fill-in-the-graph exercise.
    public struct Blank {
        /// The key the student answers under: `q`, `df/dq`.
        public let key: String
        public let value: Double
        public let tolerance: Double
        /// The node it belongs to, and whether it is the node's gradient (else its value).
        public let node: Int
        public let isGradient: Bool
    }

    /// One exercise with its answer.
    public struct Item {
        public let exercise: Lesson.Exercise
        public let expected: Expected
        /// What the answer is, as the quantity reads: `∂f/∂x`, `q`, `updated w`.
        let quantity: Quantity?
        /// The engine's value of each feedback's `matches` (nil for feedback without one).
        var feedbackValues: [Tensor?] = []
    }

    /// A formula exercise ready to check answers: its left side, the points, the cached evaluations.
    public final class PreparedFormula {
        let claim: Claim
        let points: [ClaimCheck.Point]
        var evaluator: ClaimCheck.Evaluator
        /// The engine's value at the lesson's point.
        public let engine: Tensor
        /// The engine's local-gradient formula when B feeds A directly.
        public let engineFormula: String?
        /// The teacher's example formula, verified.
        public let example: String?

        init(claim: Claim, points: [ClaimCheck.Point], evaluator: ClaimCheck.Evaluator, engine: Tensor, engineFormula: String?, example: String?) {
            self.claim = claim
            self.points = points
            self.evaluator = evaluator
            self.engine = engine
            self.engineFormula = engineFormula
            self.example = example
        }

        /// The claim's left side with ∂: `∂f/∂x`.
        public var left: String { claim.left }
        /// How many random points a formula is checked at besides the lesson's point.
        public var randomPointCount: Int { points.count - 1 }
    }

    public let lesson: Lesson
    public let job: TraceJob
    public let items: [Item]
    /// The sum of every exercise's points.
    public var maxPoints: Double { items.map(\.exercise.points).reduce(0, +) }

    /// Computes every exercise's answer.
    /// - Throws: `WorkbenchFailure.badInput` naming the file and line of an exercise whose quantity,
    ///   condition or model is wrong, or whose choices do not single out one right choice;
    ///   `.failed` when a teacher's example formula disagrees with the engine.
    public init(_ lesson: Lesson) throws(WorkbenchFailure) {
        self.lesson = lesson
        let job: TraceJob
        do { job = try TraceJob(source: lesson.program, file: "\(lesson.file) (program)", inputs: lesson.inputs, parameters: lesson.parameters) }
        catch { throw error }
        self.job = job
        var resolver = QuantityResolver(lesson: lesson, job: job)
        var items: [Item] = []
        for exercise in lesson.exercises {
            var item = try ExerciseSet.prepare(exercise, resolver: &resolver)
            // Every `matches` of the feedback must be something the engine can compute.
            for feedback in exercise.feedback {
                item.feedbackValues.append(try feedback.matches.map { (text: String) throws(WorkbenchFailure) -> Tensor in
                    try resolver.value(text, line: feedback.line, exercise: exercise.id)
                })
            }
            items.append(item)
        }
        self.items = items
    }

    /// The exercise with this id.
    public func item(_ id: String) -> Item? { items.first { $0.exercise.id == id } }

    static func prepare(_ exercise: Lesson.Exercise, resolver: inout QuantityResolver) throws(WorkbenchFailure) -> Item {
        let lesson = resolver.lesson, line = exercise.line
        func fail(_ message: String) -> WorkbenchFailure { .badInput("exercise '\(exercise.id)': \(message)", at: SourceLocation(file: lesson.file, line: line)) }
        switch exercise.kind {
        case .number:
            let quantity = try resolver.answer(exercise.answer!, line: line, exercise: exercise.id)
            guard quantity.value.count == 1 else {
                throw fail("'\(exercise.answer!)' has shape \(Tensor.describe(shape: quantity.value.shape)); a number exercise needs a scalar (name one entry, e.g. \(exercise.answer!)[0], or use kind = \"\(quantity.value.rank == 1 ? "vector" : "matrix")\")")
            }
            let value = quantity.value.storage[0]
            return Item(exercise: exercise, expected: .number(value, tolerance: exercise.tolerance ?? Lesson.halfUnit(value, digits: exercise.digits)), quantity: quantity)
        case .vector, .matrix:
            let quantity = try resolver.answer(exercise.answer!, line: line, exercise: exercise.id)
            let rank = exercise.kind == .vector ? 1 : 2
            guard quantity.value.rank == rank else {
                throw fail("'\(exercise.answer!)' has shape \(Tensor.describe(shape: quantity.value.shape)), not a \(exercise.kind.rawValue)")
            }
            // One tolerance for every entry: half a unit in the last digit of the largest entry.
            let largest = quantity.value.storage.map(abs).max() ?? 0
            let tolerances = [Double](repeating: exercise.tolerance ?? Lesson.halfUnit(largest, digits: exercise.digits), count: quantity.value.count)
            return Item(exercise: exercise, expected: .tensor(quantity.value, tolerances: tolerances), quantity: quantity)
        case .formula:
            return Item(exercise: exercise, expected: .formula(try resolver.formula(exercise)), quantity: nil)
        case .choice:
            var values: [String] = []
            var right: [Int] = []
            if let pick = exercise.pick {
                var numbers: [Double] = []
                for choice in exercise.choices {
                    let value = try resolver.value(choice.value!, line: line, exercise: exercise.id)
                    guard value.count == 1 else { throw fail("choice '\(choice.text)': '\(choice.value!)' is not a number") }
                    numbers.append(value.storage[0])
                    values.append(TraceFormat.number(value.storage[0], significantDigits: 6))
                }
                let best = pick == "largest" ? numbers.max()! : numbers.min()!
                right = numbers.indices.filter { abs(numbers[$0] - best) <= 1e-12 * max(1, abs(best)) }
                guard right.count == 1 else { throw fail("the \(pick) value is shared by choices " + right.map { "'\(exercise.choices[$0].text)'" }.joined(separator: " and ") + "; the engine must single out one choice") }
            } else {
                for (index, choice) in exercise.choices.enumerated() {
                    let (holds, shown) = try resolver.condition(choice.when!, line: line, exercise: exercise.id)
                    values.append(shown)
                    if holds { right.append(index) }
                }
                guard right.count == 1 else {
                    throw fail(right.isEmpty ? "no choice's 'when' holds (" + values.joined(separator: "; ") + "); exactly one must"
                               : "the conditions of " + right.map { "'\(exercise.choices[$0].text)'" }.joined(separator: " and ") + " hold together; exactly one must")
                }
            }
            return Item(exercise: exercise, expected: .choice(right[0], values: values), quantity: nil)
        case .shape:
            if let model = exercise.model {
                let rows = try ExerciseSet.summary(model, fail: fail)
                let layer = exercise.layer ?? rows.count
                guard layer <= rows.count else { throw fail("model '\(model)' has \(rows.count) layers, not \(layer)") }
                return Item(exercise: exercise, expected: .shape(rows[layer - 1].outputShape), quantity: nil)
            }
            let quantity = try resolver.resolve(exercise.answer!, line: line, exercise: exercise.id)
            return Item(exercise: exercise, expected: .shape(quantity.value.shape), quantity: quantity)
        case .count:
            let model = exercise.model!
            let spec = ModelSpec.preset(named: model)!
            let rows = try ExerciseSet.summary(model, fail: fail)
            if let layer = exercise.layer, layer > rows.count { throw fail("model '\(model)' has \(rows.count) layers, not \(layer)") }
            let chosen = exercise.layer.map { [$0 - 1] } ?? Array(rows.indices)
            let total = chosen.map { rows[$0].parameters }.reduce(0, +)
            // The usual slips: the biases left out; a convolution's filters counted without their input channels.
            _ = spec
            var biases = 0, channelSlip = 0
            for index in chosen {
                switch rows[index].layer {
                case .linear(let outputs): biases += outputs; channelSlip += rows[index].parameters
                case .conv2d(let filters, let kernel, _, _):
                    biases += filters
                    channelSlip += filters * kernel * kernel + filters
                default: break
                }
            }
            var mistakes: [(code: String, count: Int, explanation: String)] = []
            if biases > 0 { mistakes.append(("missing_biases", total - biases, "the biases are left out: every output (every filter) has one, \(biases) in all")) }
            if channelSlip != total { mistakes.append(("missing_input_channels", channelSlip, "each filter has input channels × kernel × kernel weights, not kernel × kernel")) }
            return Item(exercise: exercise, expected: .count(total, mistakes: mistakes), quantity: nil)
        case .graph:
            var blanks: [Blank] = []
            for key in exercise.hide {
                let quantity = try resolver.resolve(key, line: line, exercise: exercise.id)
                guard quantity.value.count == 1, quantity.entry == nil, let node = quantity.node,
                      quantity.gradient == nil || quantity.gradient!.of == resolver.job.program.output else {
                    throw fail("'\(key)' cannot be hidden in the graph: hide a scalar node's value (q) or its gradient of the output (d\(resolver.outputName)/dq)")
                }
                let value = quantity.value.storage[0]
                blanks.append(Blank(key: key, value: value, tolerance: exercise.tolerance ?? Lesson.halfUnit(value, digits: exercise.digits),
                                    node: node.index, isGradient: quantity.gradient != nil))
            }
            return Item(exercise: exercise, expected: .graph(blanks), quantity: nil)
        }
    }

    static func summary(_ model: String, fail: (String) -> WorkbenchFailure) throws(WorkbenchFailure) -> [ModelSpec.Row] {
        do { return try ModelSpec.preset(named: model)!.summary() } catch { throw fail("model '\(model)': \(error)") }
    }
}

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
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        var entry: [Int]? = nil
        if trimmed.hasSuffix("]"), let open = trimmed.lastIndex(of: "[") {
            let parts = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)].split(separator: ",")
            let numbers = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.count == parts.count, !numbers.isEmpty else { throw fail("an entry is written with whole numbers, e.g. s[0] or W[1, 2]") }
            entry = numbers
            trimmed = String(trimmed[..<open]).trimmingCharacters(in: .whitespaces)
        }
        func pick(_ tensor: Tensor, _ what: String) throws(WorkbenchFailure) -> Tensor {
            guard let entry else { return tensor }
            guard entry.count == tensor.rank, zip(entry, tensor.shape).allSatisfy({ $0 >= 0 && $0 < $1 }) else {
                throw fail("no such entry in \(what), of shape \(Tensor.describe(shape: tensor.shape))")
            }
            return Tensor(scalar: tensor.storage[zip(entry, Tensor.strides(of: tensor.shape)).map(*).reduce(0, +)])
        }
        let suffix = entry.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? ""
        let graph = job.program.graph
        if trimmed.hasPrefix("updated ") {
            let name = String(trimmed.dropFirst("updated ".count)).trimmingCharacters(in: .whitespaces)
            guard let update = lesson.update else { throw fail("'updated' needs the lesson's [update] section") }
            let id = try node(name)
            guard let gradient = graph.gradient(of: id) else { throw fail("\(name) gets no gradient") }
            let value = graph.value(of: id)
            let step = Tensor(scalar: update.sign * update.rate) * gradient
            return Quantity(value: try pick(value + step, "updated \(name)"), display: "updated \(name)\(suffix)", node: id, entry: entry,
                            gradient: nil, otherDirection: try pick(value - step, "updated \(name)"))
        }
        for (d, slash) in [("d", "/d"), ("∂", "/∂")] where trimmed.hasPrefix(d) && trimmed.contains(slash) {
            let parts = trimmed.dropFirst(d.count).components(separatedBy: slash).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { break }
            let of = try node(parts[0]), by = try node(parts[1])
            guard graph.shape(of: of).isEmpty else { throw fail("\(parts[0]) has shape \(Tensor.describe(shape: graph.shape(of: of))); gradients are of a scalar") }
            guard let program = program(backwardFrom: of) else { throw fail("backward from \(parts[0]) failed") }
            let gradient = program.graph.gradient(of: by) ?? .zeros(program.graph.shape(of: by))
            return Quantity(value: try pick(gradient, "∂\(parts[0])/∂\(parts[1])"), display: "∂\(parts[0])/∂\(parts[1])\(suffix)", node: by, entry: entry,
                            gradient: (of, by, parts[0], parts[1], program), otherDirection: nil)
        }
        let id = try node(trimmed)
        return Quantity(value: try pick(graph.value(of: id), trimmed), display: trimmed + suffix, node: id, entry: entry, gradient: nil, otherDirection: nil)
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

// MARK: - The sheet

extension ExerciseSet {
    /// The program's names a formula may use.
    public var names: [String] { ClaimCheck.names(of: job.program).map(\.name) }

    /// The exercise sheet in Markdown; with `solutions`, each exercise's answer as the engine computes it.
    public func markdown(solutions: Bool) -> String {
        var lines: [String] = []
        let lessonTitle = "Lesson \(lesson.number): \(lesson.title)"
        lines.append("# Exercises — \(lessonTitle)" + (solutions ? " (with solutions)" : ""))
        lines.append("")
        let count = items.count
        lines.append("From the notes: \(lesson.source). \(count) exercise\(count == 1 ? "" : "s"), \(ExerciseSet.points(maxPoints)) point\(maxPoints == 1 ? "" : "s").")
        lines.append("")
        let inputs = job.trace.inputs.map { "\($0.label) = \(TraceFormat.tensor($0.value, significantDigits: 6))" }.joined(separator: ", ")
        lines.append("The program" + (inputs.isEmpty ? ":" : ", at \(inputs):"))
        lines.append("")
        lines.append("```")
        lines += lesson.program.trimmingCharacters(in: .newlines).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.append("```")
        lines.append("")
        lines.append("Gradients are of the output, \(job.trace.outputNode.label), unless an exercise says otherwise. A number is right when it agrees with the engine's to 3 significant digits, unless the exercise says otherwise.")
        for (number, item) in items.enumerated() {
            let exercise = item.exercise
            lines.append("")
            lines.append("## \(number + 1). `\(exercise.id)` (\(ExerciseSet.points(exercise.points)) point\(exercise.points == 1 ? "" : "s"), \(ExerciseSet.kindPhrase(exercise.kind)))")
            lines.append("")
            lines.append(exercise.prompt.trimmingCharacters(in: .whitespacesAndNewlines))
            switch item.expected {
            case .choice:
                lines.append("")
                for (index, choice) in exercise.choices.enumerated() { lines.append("- (\(ExerciseSet.letter(index))) \(choice.text)") }
            case .graph(let blanks):
                lines.append("")
                lines += graphTable(blanks: blanks, solutions: solutions)
            case .formula:
                lines.append("")
                lines.append("(A formula in the expression language over " + names.joined(separator: ", ") + ".)")
            default: break
            }
            if solutions {
                lines.append("")
                lines += solution(item).map { $0 }
            }
        }
        lines.append("")
        lines.append("## Answer file")
        lines.append("")
        lines.append("Write your answers in a TOML file like this one and hand it in (docs/grading.md):")
        lines.append("")
        lines.append("```toml")
        lines += answerTemplate()
        lines.append("```")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A TOML skeleton of the answer file, one line per exercise.
    public func answerTemplate() -> [String] {
        var lines = ["student = \"your student id\"", "name = \"your name\"", "lesson = \(lesson.number)", "", "[answers]"]
        var entries: [(String, String)] = []
        var graphs: [String] = []
        for item in items {
            let id = item.exercise.id
            switch item.expected {
            case .number: entries.append(("\(id) = 0.0", "a number"))
            case .tensor(let value, _):
                // Zeros in the answer's own shape, so the skeleton parses as the right size.
                func zeros(_ shape: ArraySlice<Int>) -> String {
                    guard let size = shape.first else { return "0.0" }
                    return "[" + Array(repeating: zeros(shape.dropFirst()), count: size).joined(separator: ", ") + "]"
                }
                let kind = value.rank == 1 ? "vector" : (value.rank == 2 ? "matrix" : "tensor")
                entries.append(("\(id) = \(zeros(value.shape[...]))", "a \(kind) of shape \(Tensor.describe(shape: value.shape))"))
            case .formula(let formula): entries.append(("\(id) = \"...\"", "a formula for \(formula.left)"))
            case .choice: entries.append(("\(id) = \"a\"", "the letter of your choice"))
            case .shape(let shape): entries.append(("\(id) = [\(Array(repeating: "0", count: max(shape.count, 1)).joined(separator: ", "))]", "a shape of \(shape.count) size\(shape.count == 1 ? "" : "s")"))
            case .count: entries.append(("\(id) = 0", "a whole number"))
            case .graph(let blanks):
                graphs.append("")
                graphs.append("[answers.\(id)]")
                for blank in blanks { graphs.append("\(ExerciseSet.tomlKey(blank.key)) = 0.0") }
            }
        }
        let width = entries.map(\.0.count).max() ?? 0
        lines += entries.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "   # " + $0.1 }
        return lines + graphs
    }

    /// The solution lines of one exercise.
    func solution(_ item: Item) -> [String] {
        let exercise = item.exercise
        var lines: [String] = []
        func number(_ x: Double) -> String { TraceFormat.number(x, significantDigits: 10) }
        switch item.expected {
        case .number(let value, let tolerance):
            lines.append("**Answer:** \(item.quantity?.display ?? exercise.answer!) = \(number(value)) (accepted within ±\(TraceFormat.number(tolerance, significantDigits: 3)))")
        case .tensor(let value, let tolerances):
            let tolerance = tolerances.max() ?? 0
            lines.append("**Answer:** \(item.quantity?.display ?? exercise.answer!) = \(TraceFormat.tensor(value, significantDigits: 10)), shape \(Tensor.describe(shape: value.shape)) (each entry within ±\(TraceFormat.number(tolerance, significantDigits: 3)))")
        case .formula(let formula):
            var text = "**Answer:** a formula for \(formula.left), equal to \(ClaimCheck.format(formula.engine)) at the lesson's point; checked there and at \(formula.randomPointCount) random points."
            if let example = formula.example { text += " For example: \(formula.left) = `\(example)` (the engine agrees)." }
            else if let local = formula.engineFormula { text += " The engine's local gradient: \(formula.left) = `\(local)`." }
            lines.append(text)
        case .choice(let right, let values):
            lines.append("**Answer:** (\(ExerciseSet.letter(right))) \(exercise.choices[right].text)")
            lines.append("")
            let header = exercise.pick.map { "the engine picks the \($0) value:" } ?? "the engine evaluates each condition:"
            lines.append("*Decided by the engine*, \(header)")
            for (index, choice) in exercise.choices.enumerated() {
                let what = exercise.pick != nil ? "\(choice.value!) = \(values[index])" : values[index]
                lines.append("- (\(ExerciseSet.letter(index))) \(what)")
            }
        case .shape(let shape):
            let what = exercise.model.map { model in "the output of " + (exercise.layer.map { "layer \($0) of \(model)" } ?? model) } ?? (item.quantity?.display ?? "")
            lines.append("**Answer:** \(Tensor.describe(shape: shape)) (\(what); channels first, as `backprop summary` prints)")
        case .count(let count, _):
            let what = exercise.layer.map { "layer \($0) of \(exercise.model!)" } ?? exercise.model!
            lines.append("**Answer:** \(count) parameters (\(what), from `backprop summary \(exercise.model!)`)")
        case .graph(let blanks):
            lines.append("**Answer:** " + blanks.map { "\($0.key) = \(number($0.value))" }.joined(separator: ", "))
        }
        if let why = exercise.why { lines.append(""); lines.append("*Why:* " + why) }
        return lines.map { "> " + $0 }.map { $0 == "> " ? ">" : $0 }
    }

    /// The fill-in-the-graph table: every node with its formula, value and gradient; blanks as `[key]`.
    func graphTable(blanks: [Blank], solutions: Bool) -> [String] {
        let trace = job.trace
        let output = trace.outputNode.label
        var lines = ["| node | computed as | value | ∂\(output)/∂node |", "| --- | --- | --- | --- |"]
        for node in trace.nodes {
            let computed: String
            switch node.kind {
            case .operation:
                let parts = TraceReport.forwardNarration(trace, node: node.id).components(separatedBy: " = ")
                computed = parts.count > 1 ? "`\(parts[1])`" : node.operation
            case .input, .parameter: computed = node.kind.rawValue
            case .constant: computed = "constant"
            }
            func cell(_ gradient: Bool) -> String {
                if let blank = blanks.first(where: { $0.node == node.id && $0.isGradient == gradient }) {
                    let value = gradient ? node.gradient : node.value
                    return solutions ? "**\(value.map { TraceFormat.tensor($0, significantDigits: 6) } ?? "?")**" : "**[\(blank.key)]**"
                }
                if gradient { return node.gradient.map { TraceFormat.tensor($0, significantDigits: 6) } ?? "—" }
                return TraceFormat.tensor(node.value, significantDigits: 6)
            }
            lines.append("| \(node.label) | \(computed) | \(cell(false)) | \(cell(true)) |")
        }
        lines.append("")
        lines.append("Fill in the blanks " + blanks.map { "**[\($0.key)]**" }.joined(separator: ", ") + (blanks.count == 1 ? "." : "; each is worth an equal share of the points."))
        return lines
    }

    static func letter(_ index: Int) -> String { String(UnicodeScalar(UInt8(97 + index))) }

    static func points(_ value: Double) -> String { TraceFormat.number((value * 1000).rounded() / 1000) }

    static func kindPhrase(_ kind: Lesson.Exercise.Kind) -> String {
        switch kind {
        case .number: return "a number"
        case .vector: return "a vector"
        case .matrix: return "a matrix"
        case .formula: return "a formula"
        case .choice: return "multiple choice"
        case .shape: return "a shape"
        case .count: return "a count"
        case .graph: return "fill in the graph"
        }
    }

    /// A TOML key: bare when it can be, else quoted.
    static func tomlKey(_ key: String) -> String {
        key.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }) ? key : "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

// MARK: - The sheet as a web page

extension ExerciseSet {
    /// The exercise sheet as one self-contained HTML page (no network), a fill-in-the-graph
    /// exercise drawn as its diagram with the blanks; with `solutions`, the answers too.
    /// - Throws: `WorkbenchFailure.failed` if Graphviz cannot draw a diagram.
    public func html(solutions: Bool) throws(WorkbenchFailure) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        /// Markdown's `code` and **bold** in a line of the solutions, as HTML.
        func inline(_ text: String) -> String {
            var html = escape(text)
            for (mark, open, close) in [("**", "<strong>", "</strong>"), ("`", "<code>", "</code>"), ("*", "<em>", "</em>")] {
                var parts = html.components(separatedBy: mark)
                guard parts.count >= 3 else { continue }
                var result = parts.removeFirst()
                for (index, part) in parts.enumerated() { result += (index % 2 == 0 ? open : close) + part }
                html = result
            }
            return html
        }
        var body: [String] = []
        body.append("<h1>Exercises — Lesson \(lesson.number): \(escape(lesson.title))\(solutions ? " (with solutions)" : "")</h1>")
        body.append("<p>From the notes: \(escape(lesson.source)). \(items.count) exercises, \(ExerciseSet.points(maxPoints)) points.</p>")
        let inputs = job.trace.inputs.map { "\($0.label) = \(TraceFormat.tensor($0.value, significantDigits: 6))" }.joined(separator: ", ")
        body.append("<p>The program\(inputs.isEmpty ? "" : ", at " + escape(inputs)):</p>")
        body.append("<pre>" + escape(lesson.program.trimmingCharacters(in: .newlines)) + "</pre>")
        for (number, item) in items.enumerated() {
            let exercise = item.exercise
            body.append("<section id=\"\(escape(exercise.id))\">")
            body.append("<h2>\(number + 1). <code>\(escape(exercise.id))</code> <small>(\(ExerciseSet.points(exercise.points)) point\(exercise.points == 1 ? "" : "s"), \(ExerciseSet.kindPhrase(exercise.kind)))</small></h2>")
            body.append("<p>" + escape(exercise.prompt.trimmingCharacters(in: .whitespacesAndNewlines)).replacingOccurrences(of: "\n", with: "<br>") + "</p>")
            switch item.expected {
            case .choice:
                body.append("<ol type=\"a\">" + exercise.choices.map { "<li>" + escape($0.text) + "</li>" }.joined() + "</ol>")
            case .formula:
                body.append("<p>A formula in the expression language over " + names.map { "<code>\(escape($0))</code>" }.joined(separator: ", ") + ".</p>")
            case .graph(let blanks):
                let dot = Diagram.maskedDot(for: job.trace, blanks: blanks.map { ($0.node, $0.isGradient, $0.key) }, showBlanks: solutions)
                let svg: [UInt8]
                do { svg = try Graphviz.render(dot: dot, as: .svg) } catch { throw .failed("Graphviz: \(error.message)") }
                var text = String(decoding: svg, as: UTF8.self)
                if let start = text.range(of: "<svg") { text = String(text[start.lowerBound...]) }
                body.append("<figure>" + text + "</figure>")
                body.append("<p>Fill in " + blanks.map { "<strong>[\(escape($0.key))]</strong>" }.joined(separator: ", ") + ".</p>")
            default: break
            }
            if solutions {
                let lines = solution(item).map { $0.hasPrefix("> ") ? String($0.dropFirst(2)) : "" }
                var html: [String] = []
                var list: [String] = []
                for line in lines + [""] {
                    if line.hasPrefix("- ") { list.append("<li>" + inline(String(line.dropFirst(2))) + "</li>"); continue }
                    if !list.isEmpty { html.append("<ul>" + list.joined() + "</ul>"); list = [] }
                    if !line.isEmpty { html.append("<p>" + inline(line) + "</p>") }
                }
                body.append("<div class=\"solution\">" + html.joined() + "</div>")
            }
            body.append("</section>")
        }
        body.append("<h2>Answer file</h2>")
        body.append("<p>Write your answers in a TOML file like this one and hand it in:</p>")
        body.append("<pre>" + escape(answerTemplate().joined(separator: "\n")) + "</pre>")
        let style = """
            body { font-family: Helvetica, Arial, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #24292f; line-height: 1.45; }
            pre, code { font-family: Menlo, Consolas, monospace; background: #f6f8fa; }
            pre { padding: 0.6rem 0.8rem; overflow-x: auto; }
            section { border-top: 1px solid #d0d7de; margin-top: 1.5rem; }
            h2 small { font-weight: normal; color: #57606a; font-size: 0.8em; }
            figure { margin: 0.5rem 0; overflow-x: auto; }
            figure svg { max-width: 100%; height: auto; }
            .solution { border-left: 4px solid #1a7f37; padding: 0.1rem 0.8rem; background: #f0fff4; }
            @media print { section { break-inside: avoid; } }
            """
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Exercises — Lesson \(lesson.number)\(solutions ? " (solutions)" : "")</title>\n<style>\n\(style)\n</style>\n</head>\n<body>\n"
            + body.joined(separator: "\n") + "\n</body>\n</html>\n"
    }
}
