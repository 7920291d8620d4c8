import Autograd
import Expressions
import Foundation
import TOMLKit
import Support

extension Lesson {
    /// `[descent]`: optimizers run side by side on the lesson's loss, whose gradients the engine
    /// computes at every step. The program's output is the loss over the `parameters`; the inputs
    /// named in `data` hold one example per row, so SGD and mini-batch can evaluate the loss on a
    /// few rows. The format is in docs/lesson-format.md.
    public struct Descent: Sendable {
        /// One optimizer with its hyperparameters.
        public struct Run: Sendable {
            public enum Method: String, Sendable, CaseIterable { case gd, sgd, minibatch, momentum, adam }
            public let label: String
            public let method: Method
            public let rate: Double
            public let batch: Int
            public let momentum: Double
            public let beta1: Double, beta2: Double, epsilon: Double
            public internal(set) var why: String?
        }

        /// A bar on a run's result: the lesson's own, not a figure of the notes.
        public struct Check: Sendable {
            public let run: String
            /// `final loss` or `final NAME` (a parameter).
            public let quantity: String
            public let atLeast: Double?, atMost: Double?
            public internal(set) var why: String?
            public let line: Int
        }

        public let data: [String]
        public let steps: Int
        public let seed: UInt64
        public let runs: [Run]
        public let checks: [Check]
        public internal(set) var why: String?

        static let keys = ["data", "steps", "seed", "run", "check", "why"]
        static let runKeys = ["label", "method", "rate", "batch", "momentum", "beta1", "beta2", "epsilon", "why"]
        static let checkKeys = ["run", "quantity", "at_least", "at_most", "why"]

        init(_ value: TOMLValueConvertible, file: String, line: Int) throws(WorkbenchFailure) {
            func fail(_ message: String) -> WorkbenchFailure { .badInput("[descent]: " + message, at: SourceLocation(file: file, line: line)) }
            guard let table = value.table else { throw fail("must be a table") }
            func number(_ table: TOMLTable, _ key: String) throws(WorkbenchFailure) -> Double? {
                guard let value = table[key] else { return nil }
                if let double = value.double, double.isFinite { return double }
                if let int = value.int { return Double(int) }
                throw fail("'\(key)' must be a number")
            }
            func unknown(_ table: TOMLTable, _ allowed: [String], _ section: String) throws(WorkbenchFailure) {
                for key in table.keys.sorted() where !allowed.contains(key) {
                    throw fail("unknown key '\(key)' in \(section); known keys: " + allowed.joined(separator: ", "))
                }
            }
            try unknown(table, Descent.keys, "[descent]")
            data = (table["data"]?.array).map { $0.compactMap { $0.string } } ?? []
            guard let steps = table["steps"]?.int, (1...10_000).contains(steps) else { throw fail("'steps' must be a whole number from 1 to 10000") }
            self.steps = steps
            seed = UInt64(max(0, table["seed"]?.int ?? 1))
            why = table["why"]?.string
            var runs: [Run] = []
            for item in table["run"]?.array ?? [] {
                guard let run = item.table else { throw fail("each [[descent.run]] must be a table") }
                try unknown(run, Descent.runKeys, "[[descent.run]]")
                guard let label = run["label"]?.string, !label.isEmpty else { throw fail("each [[descent.run]] needs a 'label'") }
                guard let name = run["method"]?.string, let method = Run.Method(rawValue: name) else {
                    throw fail("run '\(label)': 'method' must be one of " + Run.Method.allCases.map(\.rawValue).joined(separator: ", "))
                }
                guard let rate = try number(run, "rate"), rate > 0 else { throw fail("run '\(label)' needs a positive 'rate'") }
                let batch = run["batch"]?.int ?? (method == .sgd ? 1 : 4)
                guard batch >= 1 else { throw fail("run '\(label)': 'batch' must be at least 1") }
                let momentum = try number(run, "momentum") ?? (method == .momentum ? 0.9 : 0)
                guard (0..<1).contains(momentum) else { throw fail("run '\(label)': 'momentum' must be at least 0 and below 1") }
                runs.append(Run(label: label, method: method, rate: rate, batch: batch, momentum: momentum,
                                beta1: try number(run, "beta1") ?? 0.9, beta2: try number(run, "beta2") ?? 0.999,
                                epsilon: try number(run, "epsilon") ?? 1e-8, why: run["why"]?.string))
            }
            guard !runs.isEmpty else { throw fail("needs at least one [[descent.run]]") }
            guard Set(runs.map(\.label)).count == runs.count else { throw fail("two runs share a label") }
            self.runs = runs
            var checks: [Check] = []
            for item in table["check"]?.array ?? [] {
                guard let check = item.table else { throw fail("each [[descent.check]] must be a table") }
                try unknown(check, Descent.checkKeys, "[[descent.check]]")
                guard let run = check["run"]?.string, runs.contains(where: { $0.label == run }) else {
                    throw fail("each [[descent.check]] needs 'run', the label of a run: " + runs.map { "'\($0.label)'" }.joined(separator: ", "))
                }
                guard let quantity = check["quantity"]?.string, quantity.hasPrefix("final ") else { throw fail("a check's 'quantity' is 'final loss' or 'final NAME'") }
                let atLeast = try number(check, "at_least"), atMost = try number(check, "at_most")
                guard atLeast != nil || atMost != nil else { throw fail("the check of '\(run)' needs 'at_least' or 'at_most'") }
                checks.append(Check(run: run, quantity: quantity, atLeast: atLeast, atMost: atMost, why: check["why"]?.string, line: line))
            }
            self.checks = checks
        }
    }
}

/// A `[descent]` lesson run: every optimizer's path over the loss, each gradient from the engine.
public struct DescentRun {
    public struct Path {
        public internal(set) var run: Lesson.Descent.Run
        /// The parameters after each step, the start included (steps + 1 points).
        public let points: [[Double]]
        /// The loss on all the data at each point.
        public let losses: [Double]
        /// Whether the loss left every finite bound (the run stopped there).
        public let diverged: Bool
    }

    public struct Result {
        public internal(set) var check: Lesson.Descent.Check
        public let engine: Double
        public var passed: Bool {
            engine.isFinite && (check.atLeast.map { engine >= $0 } ?? true) && (check.atMost.map { engine <= $0 } ?? true)
        }
    }

    public internal(set) var descent: Lesson.Descent
    public let parameters: [String]
    public let examples: Int
    public internal(set) var paths: [Path]
    public internal(set) var results: [Result]
    let lesson: Lesson
    let values: [(name: String, value: Tensor)]
    public var passed: Bool { results.allSatisfy(\.passed) }

    public init(_ lesson: Lesson, descent: Lesson.Descent) throws(WorkbenchFailure) {
        self.lesson = lesson
        self.descent = descent
        let file = lesson.file
        let values: [(name: String, value: Tensor)]
        do { values = try InputValues.parse(lesson.inputs) } catch { throw .badInput("\(file): [inputs]: \(error.message)") }
        self.values = values
        let parameters = lesson.parameters
        self.parameters = parameters
        guard !parameters.isEmpty, parameters.allSatisfy({ name in values.contains { $0.name == name && $0.value.isScalar } }) else {
            throw .badInput("[descent] needs 'parameters', scalar inputs of the program", at: SourceLocation(file: file))
        }
        var count: Int? = nil
        for name in descent.data {
            guard let value = values.first(where: { $0.name == name })?.value, value.rank >= 1 else {
                throw .badInput("[descent] data '\(name)' must be an input with one example per row", at: SourceLocation(file: file))
            }
            if let count, count != value.shape[0] { throw .badInput("[descent] data inputs have different numbers of rows", at: SourceLocation(file: file)) }
            count = value.shape[0]
        }
        let examples = count ?? 1
        self.examples = examples
        var paths: [Path] = []
        for run in descent.runs { paths.append(try DescentRun.follow(run, lesson: lesson, descent: descent, values: values, parameters: parameters, examples: examples)) }
        self.paths = paths
        let finished = paths
        results = descent.checks.map { check in
            let path = finished.first { $0.run.label == check.run }!
            let name = String(check.quantity.dropFirst("final ".count))
            let engine = name == "loss" ? path.losses.last! : parameters.firstIndex(of: name).map { path.points.last![$0] } ?? .nan
            return Result(check: check, engine: engine)
        }
    }

    /// The loss and its gradient with respect to the parameters at `point`, on the data rows `rows` (all when nil).
    static func evaluate(_ lesson: Lesson, values: [(name: String, value: Tensor)], data: [String], parameters: [String],
                         point: [Double], rows: [Int]?, gradient: Bool) throws(WorkbenchFailure) -> (Double, [Double]) {
        var inputs = values
        for index in inputs.indices {
            if let p = parameters.firstIndex(of: inputs[index].name) { inputs[index].value = Tensor(scalar: point[p]) }
            else if let rows, data.contains(inputs[index].name) {
                let value = inputs[index].value
                let width = value.count / value.shape[0]
                var storage: [Double] = []
                for row in rows { storage += value.storage[(row * width)..<((row + 1) * width)] }
                inputs[index].value = Tensor(shape: [rows.count] + value.shape.dropFirst(), storage: storage)
            }
        }
        let program: Program
        do { program = try Expressions.evaluate(lesson.program, options: .init(inputs: inputs, parameters: Set(parameters))) }
        catch { throw .badInput("\(lesson.file) (program): \(error.line())") }
        let graph = program.graph
        guard graph.shape(of: program.output).isEmpty else { throw .badInput("[descent] needs a scalar output (the loss)", at: SourceLocation(file: lesson.file)) }
        let loss = graph.scalarValue(of: program.output)
        guard gradient, loss.isFinite else { return (loss, []) }
        do { try graph.backward(from: program.output) } catch { throw .failed("\(lesson.file): \(error)") }
        let grads = parameters.map { name in program.node(named: name).flatMap { graph.gradient(of: $0)?.scalar } ?? 0 }
        return (loss, grads)
    }

    static func follow(_ run: Lesson.Descent.Run, lesson: Lesson, descent: Lesson.Descent, values: [(name: String, value: Tensor)],
                       parameters: [String], examples: Int) throws(WorkbenchFailure) -> Path {
        var point = parameters.map { name in values.first { $0.name == name }!.value.scalar }
        var velocity = [Double](repeating: 0, count: point.count)
        var second = [Double](repeating: 0, count: point.count)
        var generator = SplitMix(seed: descent.seed)
        var order: [Int] = []
        var cursor = 0
        func nextRows(_ size: Int) -> [Int] {
            var rows: [Int] = []
            while rows.count < min(size, examples) {
                if cursor == order.count {
                    order = Array(0..<examples)
                    for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
                    cursor = 0
                }
                rows.append(order[cursor]); cursor += 1
            }
            return rows
        }
        let full = { (point: [Double]) throws(WorkbenchFailure) -> Double in
            try evaluate(lesson, values: values, data: descent.data, parameters: parameters, point: point, rows: nil, gradient: false).0
        }
        var points = [point], losses = [try full(point)]
        var diverged = false
        for step in 1...descent.steps {
            let rows: [Int]? = switch run.method {
            case .sgd: nextRows(1)
            case .minibatch: nextRows(run.batch)
            default: nil
            }
            let (_, gradient) = try evaluate(lesson, values: values, data: descent.data, parameters: parameters, point: point, rows: rows, gradient: true)
            guard gradient.count == point.count else { diverged = true; break }
            for i in point.indices {
                switch run.method {
                case .gd, .sgd, .minibatch:
                    point[i] -= run.rate * gradient[i]
                case .momentum:
                    // PyTorch's SGD with momentum: v ← μ v + g, w ← w − α v.
                    velocity[i] = run.momentum * velocity[i] + gradient[i]
                    point[i] -= run.rate * velocity[i]
                case .adam:
                    velocity[i] = run.beta1 * velocity[i] + (1 - run.beta1) * gradient[i]
                    second[i] = run.beta2 * second[i] + (1 - run.beta2) * gradient[i] * gradient[i]
                    let mHat = velocity[i] / (1 - pow(run.beta1, Double(step)))
                    let vHat = second[i] / (1 - pow(run.beta2, Double(step)))
                    point[i] -= run.rate * mHat / (vHat.squareRoot() + run.epsilon)
                }
            }
            let loss = point.allSatisfy(\.isFinite) ? try full(point) : .infinity
            points.append(point); losses.append(loss)
            if !loss.isFinite || abs(loss) > 1e12 { diverged = true; break }
        }
        return Path(run: run, points: points, losses: losses, diverged: diverged)
    }

    /// What each method does with the gradient, in the notes' notation.
    static func rule(_ run: Lesson.Descent.Run, examples: Int) -> String {
        let rate = TraceFormat.number(run.rate)
        switch run.method {
        case .gd: return "w ← w − \(rate) ∇L, ∇L on all \(examples) examples"
        case .sgd: return "w ← w − \(rate) ∇Lᵢ, ∇Lᵢ on one example at a time"
        case .minibatch: return "w ← w − \(rate) ∇L_B, ∇L_B on a mini-batch of \(run.batch)"
        case .momentum: return "v ← \(TraceFormat.number(run.momentum)) v + ∇L, w ← w − \(rate) v"
        case .adam: return "m, v running means of g and g²; w ← w − \(rate) m̂/(√v̂ + ε)"
        }
    }

    /// The runs as lines: for each, its rule and a table of the path at a few steps.
    public func steps(full: Bool, significantDigits digits: Int = 4) -> [String] {
        var steps: [String] = []
        let start = zip(parameters, paths[0].points[0]).map { "\($0) = \(TraceFormat.number($1))" }.joined(separator: ", ")
        var head = ["descent   \(paths.count) optimizers on the same loss, each from \(start), \(descent.steps) steps;",
                    "          every gradient is the engine's backward pass through the program above"]
        if let why = descent.why { head.append("      › " + why) }
        steps.append(head.joined(separator: "\n"))
        let shownSteps: (Path) -> [Int] = { path in
            let last = path.points.count - 1
            if full { return Array(0...last) }
            return Array(Set([0, 1, 2, 3, last] + stride(from: 0, through: last, by: max(1, descent.steps / 4)).map { $0 })).filter { $0 <= last }.sorted()
        }
        let format = { (value: Double) in value.isFinite ? TraceFormat.number(value, significantDigits: digits) : "inf" }
        for (index, path) in paths.enumerated() {
            var lines = ["run \(index + 1)     \(path.run.label): " + DescentRun.rule(path.run, examples: examples)]
            let header = ["step"] + parameters + ["L (all data)"]
            var rows: [[String]] = [header]
            for step in shownSteps(path) { rows.append(["\(step)"] + path.points[step].map(format) + [format(path.losses[step])]) }
            let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max()! }
            for row in rows {
                let text = zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                lines.append("          " + text.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
            }
            if path.diverged { lines.append("          the loss left every bound at step \(path.points.count - 1): the run stopped") }
            if let why = path.run.why { lines.append("      › " + why) }
            steps.append(lines.joined(separator: "\n"))
        }
        return steps
    }

    /// The bars, ✓ or ✗; they are the lesson's own, not figures of the notes.
    public func checkLines() -> [String] {
        guard !results.isEmpty else { return [] }
        var lines = ["descent checks (this lesson's bars, not figures of the notes)"]
        for result in results {
            let bar = [result.check.atLeast.map { "at least \(TraceFormat.number($0))" }, result.check.atMost.map { "at most \(TraceFormat.number($0))" }]
                .compactMap { $0 }.joined(separator: ", ")
            let engine = result.engine.isFinite ? TraceFormat.number(result.engine, significantDigits: 6) : "inf (diverged)"
            lines.append("  \(result.passed ? "✓" : "✗") \(result.check.run): \(result.check.quantity)   \(bar)   engine \(engine)")
            if let why = result.check.why { lines.append("      › " + why) }
        }
        return lines
    }

    public func json() -> JSONValue {
        .object([
            "parameters": .array(parameters.map(JSONValue.string)),
            "runs": .array(paths.map { path in
                .object(["label": .string(path.run.label), "method": .string(path.run.method.rawValue),
                         "rate": .number(path.run.rate), "diverged": .bool(path.diverged),
                         "points": .array(path.points.map { .array($0.map(JSONValue.number)) }),
                         "losses": .array(path.losses.map { $0.isFinite ? .number($0) : .null })])
            }),
            "checks": .array(results.map { result in
                .object(["run": .string(result.check.run), "quantity": .string(result.check.quantity),
                         "engine": result.engine.isFinite ? .number(result.engine) : .null, "passed": .bool(result.passed)])
            }),
        ])
    }
}

/// SplitMix64: a small seeded generator, so a run's SGD order is the same on every machine.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
