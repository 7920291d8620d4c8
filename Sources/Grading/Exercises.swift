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
        let quantity: ResolvedQuantity?
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
    /// The student whose own variant this is (`ExerciseVariant`), nil for the notes' numbers.
    public var student: String?
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
            let rows = try ExerciseSet.summary(model, fail: fail)
            if let layer = exercise.layer, layer > rows.count { throw fail("model '\(model)' has \(rows.count) layers, not \(layer)") }
            let chosen = exercise.layer.map { [$0 - 1] } ?? Array(rows.indices)
            let total = chosen.map { rows[$0].parameters }.reduce(0, +)
            // The usual slips: the biases left out; a convolution's filters counted without their input channels.
            var biases = 0, channelSlip = 0
            for index in chosen {
                guard let shapes = rows[index].parameterShapes else { continue }
                let count = shapes.bias.reduce(1, *)
                biases += count
                if let conv = rows[index].layer as? ModelSpec.Conv2d {
                    channelSlip += conv.filters * conv.kernel * conv.kernel + conv.filters
                } else {
                    channelSlip += rows[index].parameters
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
