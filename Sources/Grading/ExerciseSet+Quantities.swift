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

/// The quantities an exercise names (`q`, `s[2]`, `df/dx`, `∂f/∂x`, `d f/d x`, `updated w`), its
/// formulas (`abs(df/dw)`) and conditions (`df/dx < 0`): read by the one parser (`Notation`) and
/// resolved by the one resolver (`Resolver`, Claims) that lesson checks and `backprop check` call
/// too, with the same rule of what may be differentiated. Errors are placed at the exercise's line.
struct QuantityResolver {
    let lesson: Lesson
    let job: TraceJob
    let resolver: Resolver

    init(lesson: Lesson, job: TraceJob) {
        self.lesson = lesson
        self.job = job
        self.resolver = Resolver(program: job.program, update: lesson.update.map { Resolver.Update(sign: $0.sign, rate: $0.rate) })
    }

    var outputName: String { job.program.graph.label(of: job.program.output) }

    /// The program's names and the output, with their nodes.
    var known: [String: NodeID] { resolver.known }

    /// The given point: every input's value.
    var point: ClaimCheck.Point { job.program.inputs.map { ($0.name, job.program.graph.value(of: $0.node)) } }

    func fail(_ text: String, _ error: ExpressionError, line: Int, exercise: String, what: String = "") -> WorkbenchFailure {
        .badInput("exercise '\(exercise)': \(what)'\(text)': \(error.message)", at: SourceLocation(file: lesson.file, line: line))
    }

    mutating func resolve(_ text: String, line: Int, exercise: String) throws(WorkbenchFailure) -> ResolvedQuantity {
        do { return try resolver.resolve(try Notation.quantity(text)) } catch { throw fail(text, error, line: line, exercise: exercise) }
    }

    /// An exercise's answer: a quantity, or an expression over the program's names (`w_new @ x`).
    mutating func answer(_ text: String, line: Int, exercise: String) throws(WorkbenchFailure) -> ResolvedQuantity {
        if Notation.isQuantity(text) { return try resolve(text, line: line, exercise: exercise) }
        let value = try value(text, line: line, exercise: exercise)
        return ResolvedQuantity(value: value, display: text.trimmingCharacters(in: .whitespaces), node: nil, entry: nil, gradient: nil, otherDirection: nil)
    }

    /// A quantity, or an expression in the expression language over the program's names, where a
    /// gradient may be written too: `abs(df/dw)`, `dH/da[3] + 1`.
    mutating func value(_ text: String, line: Int, exercise: String) throws(WorkbenchFailure) -> Tensor {
        do { return try resolver.value(text) } catch { throw fail(text, error, line: line, exercise: exercise) }
    }

    /// Evaluates a condition `left op right` (op one of < <= > >= == !=); returns whether it holds
    /// and the condition with the engine's values, for messages and solutions.
    mutating func condition(_ text: String, line: Int, exercise: String) throws(WorkbenchFailure) -> (Bool, String) {
        let condition: Condition
        do { condition = try resolver.condition(text) } catch { throw fail(text, error, line: line, exercise: exercise, what: "condition ") }
        let op = condition.comparison.rawValue
        let shown = "\(condition.left) \(op) \(condition.right): \(TraceFormat.number(condition.leftValue, significantDigits: 6)) \(op) \(TraceFormat.number(condition.rightValue, significantDigits: 6)) is \(condition.holds ? "true" : "false")"
        return (condition.holds, shown)
    }

    /// A formula exercise: the left side parsed as a claim, the random points, the evaluations cached,
    /// and the teacher's example (if any) checked like a claim.
    mutating func formula(_ exercise: Lesson.Exercise) throws(WorkbenchFailure) -> ExerciseSet.PreparedFormula {
        let left = exercise.answer!.trimmingCharacters(in: .whitespaces)
        let line = exercise.line, file = lesson.file
        func fail(_ message: String, detail: String? = nil) -> WorkbenchFailure {
            .badInput("exercise '\(exercise.id)': \(message)", at: SourceLocation(file: file, line: line), detail: detail)
        }
        guard !Notation.isClaim(left) else { throw fail("'answer' is the claim's left side only, e.g. answer = \"df/dx\"") }
        let program = job.program
        let claim: Claim
        do { claim = try ClaimCheck.left(left, program: program) } catch {
            throw fail("answer '\(left)': " + ExerciseSet.placed(error))
        }
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
            do { parsed = try ClaimCheck.claim(about: claim, right: example, program: program, end: "the end of the example") } catch {
                throw fail("example '\(example)': " + ExerciseSet.placed(error))
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
