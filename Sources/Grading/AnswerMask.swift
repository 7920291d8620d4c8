import Autograd
import Expressions
import Diagrams
import Foundation
import Support
import Claims
import Lessons

/// What a student's exercise sheet must not show: for each exercise, the numbers and formulas that
/// answer it, as the engine resolves the exercise's quantity (never by matching text).
///
/// - a value (`answer = "f"`, a shape of `q`) hides that node's value;
/// - a gradient of the output (`df/dx`, a formula for `df/dx`) hides that node's gradient;
/// - a local gradient (`dq/dx` with x feeding q, or a formula for it) hides the edge's formula;
/// - a choice or an expression (`abs(df/dw)`) hides every quantity it is decided by;
/// - a graph exercise's blanks hide their values and gradients;
/// - any other figure equal to a numeric answer, or to a formula answer's value at the point, shows `?`.
///
/// The sheet's table and diagram then show `(exercise ID)` in place of each hidden figure. Leaves
/// (inputs, parameters, constants) stay: the sheet gives them as the point.
public struct AnswerMask: Sendable {
    /// Node id → the exercise whose answer its value is ("" for a figure that equals an answer).
    public private(set) var values: [Int: String] = [:]
    /// Node id → the exercise whose answer its gradient of the output is.
    public private(set) var gradients: [Int: String] = [:]
    /// Edge id → the exercise whose answer its local gradient is.
    public private(set) var edges: [Int: String] = [:]

    /// Nothing hidden (the teacher's sheet with solutions).
    public static let none = AnswerMask()

    init() {}

    /// What the exercises of `set` answer.
    public init(_ set: ExerciseSet) {
        let trace = set.job.trace
        var resolver = QuantityResolver(lesson: set.lesson, job: set.job)
        for item in set.items {
            let id = item.exercise.id
            switch item.expected {
            case .number, .tensor, .shape:
                if let quantity = item.quantity { hide(quantity, exercise: id, trace: trace) }
                else if let answer = item.exercise.answer { hideReferences(in: answer, exercise: id, line: item.exercise.line, resolver: &resolver, trace: trace) }
            case .formula(let formula):
                hideGradient(of: formula.claim.ofNode.index, withRespectTo: formula.claim.withRespectToNode.index, exercise: id, trace: trace)
            case .choice:
                for choice in item.exercise.choices {
                    for text in [choice.when, choice.value].compactMap({ $0 }) {
                        hideReferences(in: text, exercise: id, line: item.exercise.line, resolver: &resolver, trace: trace)
                    }
                }
            case .graph(let blanks):
                for blank in blanks {
                    if blank.isGradient { Self.claim(&gradients, blank.node, id) } else { Self.claim(&values, blank.node, id) }
                }
            case .count:
                break
            }
        }
        // A figure that merely equals an answer (to the answer's grading tolerance) gives it away as
        // well: ∂f/∂y = -4 beside the question "what is ∂f/∂x?" when both are -4. Such figures show
        // `?`, without naming the exercise (which would say they are equal). So does its negative:
        // ∂Lreg/∂t = −ȳ in lesson 7's table gives the answer ȳ away with a sign flipped.
        var answers: [(value: Double, tolerance: Double)] = []
        for item in set.items {
            switch item.expected {
            case .number(let value, let tolerance): answers.append((value, tolerance))
            case .tensor(let value, let tolerances): answers += zip(value.storage, tolerances).map { ($0, $1) }
            case .graph(let blanks): answers += blanks.map { ($0.value, $0.tolerance) }
            // A formula's value at the lesson's point is what the formula gives there: ∂Lreg/∂y in
            // the table is the value of the answer ∂L/∂y when the regularizer does not depend on y.
            case .formula(let formula): answers += formula.engine.storage.map { ($0, 1e-9 * max(1, abs($0))) }
            default: break
            }
        }
        func coincides(_ value: Tensor?) -> Bool {
            guard let value else { return false }
            return value.storage.contains { x in answers.contains { abs(abs(x) - abs($0.value)) <= max($0.tolerance, 1e-12) } }
        }
        for node in trace.nodes {
            if node.kind == .operation, values[node.id] == nil, coincides(node.value) { values[node.id] = "" }
            // The output's gradient is the seed, 1 by definition, not a figure anyone computes.
            if node.kind != .constant, !node.isOutput, gradients[node.id] == nil, coincides(node.gradient) { gradients[node.id] = "" }
        }
        for edge in trace.edges where edges[edge.id] == nil {
            if let number = Double(edge.localGradient.formula), coincides(Tensor(scalar: number)) { edges[edge.id] = "" }
        }
    }

    /// The label a sheet shows for a hidden figure.
    public static func placeholder(_ exercise: String) -> String { DiagramMask.placeholder(exercise) }

    /// The mask as `Diagram.maskedDot` takes it.
    public var diagramMask: DiagramMask { DiagramMask(values: values, gradients: gradients, edges: edges) }

    // MARK: - Resolving

    private mutating func hide(_ quantity: ResolvedQuantity, exercise: String, trace: Trace) {
        if let gradient = quantity.gradient {
            hideGradient(of: gradient.of.index, withRespectTo: gradient.withRespectTo.index, exercise: exercise, trace: trace)
        } else if let node = quantity.node, quantity.otherDirection == nil, trace.nodes[node.index].kind == .operation {
            Self.claim(&values, node.index, exercise)
        }
    }

    /// ∂A/∂B: B's gradient when A is the output; the edge B → A's local gradient when B feeds A.
    private mutating func hideGradient(of: Int, withRespectTo: Int, exercise: String, trace: Trace) {
        if of == trace.output { Self.claim(&gradients, withRespectTo, exercise) }
        for edge in trace.edges where edge.from == withRespectTo && edge.to == of { Self.claim(&edges, edge.id, exercise) }
    }

    /// Every quantity an expression or condition names: gradients `dA/dB` and the program's names,
    /// as the one parser reads them (a text that does not parse names nothing).
    private mutating func hideReferences(in text: String, exercise: String, line: Int, resolver: inout QuantityResolver, trace: Trace) {
        let run = resolver.resolver
        var quantities: [Quantity] = []
        let lookup: QuantityLookup = { (quantity: Quantity) throws(ExpressionError) -> Tensor in
            quantities.append(quantity)
            return try run.resolve(quantity).value
        }
        guard let names = try? Notation.references(text, names: run.names, quantities: lookup) else { return }
        for quantity in quantities {
            if let resolved = try? run.resolve(quantity) { hide(resolved, exercise: exercise, trace: trace) }
        }
        let known = run.known
        for name in names {
            guard let node = known[name], let resolved = try? run.resolve(Quantity(kind: .value(name))), resolved.node == node else { continue }
            hide(resolved, exercise: exercise, trace: trace)
        }
    }

    /// Records the first exercise that hides a figure.
    private static func claim(_ table: inout [Int: String], _ key: Int, _ exercise: String) {
        if table[key] == nil { table[key] = exercise }
    }
}
