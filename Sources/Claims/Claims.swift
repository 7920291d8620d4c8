import Autograd
import Datasets
import Expressions
import Foundation
import Support

/// One claim about a gradient, as `backprop check --claim` reads it: `df/dx = z`, `∂f/∂q = -4`,
/// `dq/dW = [[1, 0], [0, 1]]`.
///
/// The left side names two nodes of the program: A (the output or any named node) and B (any named
/// node or input). The claim is about ∂A/∂B, the gradient of node A with respect to B: backward run
/// from A. The right side is a number, a tensor literal or a formula in the expression language over
/// the program's inputs and named nodes.
public struct Claim: Sendable {
    /// What the right side is.
    public enum Right: Sendable {
        /// A number, a tensor literal, or a formula without names: checked at the given point only.
        /// Each entry has a tolerance from the digits written (`0.42` allows ±0.005; `3` is exact).
        case value(Tensor, tolerances: [Double])
        /// A formula over the program's names: checked at the given point and at random points.
        case formula(String)
    }

    /// The claim as given.
    public let text: String
    /// A's name.
    public let of: String
    /// B's name.
    public let withRespectTo: String
    /// A's node in the program (the same id in every evaluation of it).
    public let ofNode: NodeID
    /// B's node.
    public let withRespectToNode: NodeID
    /// The right side, trimmed.
    public let right: String
    /// The number, tensor or formula.
    public let kind: Right
    /// How explanations name the claim: `the claim`, or `the answer` when the grader checks a
    /// student's answer as a claim (set by whoever builds it, never by rewriting the sentence).
    public var subject = "the claim"

    public init(text: String, of: String, withRespectTo: String, ofNode: NodeID, withRespectToNode: NodeID, right: String, kind: Right) {
        self.text = text
        self.of = of
        self.withRespectTo = withRespectTo
        self.ofNode = ofNode
        self.withRespectToNode = withRespectToNode
        self.right = right
        self.kind = kind
    }

    /// The left side written with ∂: `∂f/∂x`.
    public var left: String { "∂\(of)/∂\(withRespectTo)" }
    /// Whether the right side is a formula over the program's names.
    public var isFormula: Bool { if case .formula = kind { return true } else { return false } }
    /// `number`, `tensor` or `formula`, as JSON says it.
    public var kindName: String {
        switch kind {
        case .formula: return "formula"
        case .value(let value, _): return value.isScalar ? "number" : "tensor"
        }
    }
}

/// `backprop check`: each claim about a gradient checked against the engine, at the given point
/// and (for formulas) at random points, with the common mistakes recognized.
///
/// ```swift
/// let check = try ClaimCheck(source: "q = x + y; f = q * z", inputs: "x=-2,y=5,z=-4",
///                            claims: ["df/dx = z", "df/dz = 3"])
/// print(check.passed)   // Prints "true"
/// ```
public struct ClaimCheck {
    /// Input values: the given point or a random one, in the program's order of inputs.
    public typealias Point = [(name: String, value: Tensor)]

    /// A mistake the check recognizes in a wrong claim.
    public enum Mistake: String, Sendable, CaseIterable {
        /// The claim is minus the engine's gradient.
        case signError = "sign_error"
        /// The claim is the matrix transpose of the engine's gradient.
        case transposed = "transposed"
        /// B feeds several operations, and the claim is only one of their contributions.
        case unsummedFanOut = "unsummed_fan_out"
        /// The claim is the upstream gradient alone, without the local gradient.
        case missingLocalGradient = "missing_local_gradient"
        /// The claim is the local gradient alone, without the upstream gradient.
        case missingUpstreamGradient = "missing_upstream_gradient"
        /// A product `W @ y` in the claim where backward multiplies by the transpose: `transpose(W) @ y`.
        case missingTranspose = "missing_transpose"
        /// A number cut off after its last digit instead of rounded (`-0.196` for -0.196612).
        case truncated = "truncated"

        /// The mistake in a few words.
        public var phrase: String {
            switch self {
            case .signError: return "sign error"
            case .transposed: return "transposed matrix"
            case .unsummedFanOut: return "fan-out not summed"
            case .missingLocalGradient: return "missing local gradient"
            case .missingUpstreamGradient: return "missing upstream gradient"
            case .missingTranspose: return "missing transpose"
            case .truncated: return "round, don't truncate"
            }
        }
    }

    /// The verdict on one claim.
    public struct Result: Sendable {
        /// The claim.
        public let claim: Claim
        /// Whether the claim agrees with the engine at every point tried.
        public let passed: Bool
        /// The claimed value at `pointIndex` (for a formula, its value there).
        public let claimed: Tensor
        /// ∂A/∂B from the engine at `pointIndex`.
        public let engine: Tensor
        /// Where `claimed` and `engine` were taken: 0 is the given point, 1… the random points.
        /// For a wrong claim, the first point where it disagrees; for a right one, the given point.
        public let pointIndex: Int
        /// How many points the claim was evaluated at (1 for a number or a tensor).
        public let pointsTried: Int
        /// The mistake recognized, if any.
        public let mistake: Mistake?
        /// A sentence about the disagreement (the mistake, a shape, a node that does not depend on B).
        public let explanation: String?
        /// The engine's formula for ∂A/∂B when B feeds A directly: `z` for ∂f/∂q of `f = q * z`.
        public let engineFormula: String?
        /// Whether the claim agrees only to the digits it gives (`0.42` for 0.419974).
        public let rounded: Bool
    }

    /// The program evaluated at the given point.
    public let job: TraceJob
    /// The claims, in the order given.
    public let claims: [Claim]
    /// One result per claim, in the same order.
    public let results: [Result]
    /// The given point, then the random points the formulas were checked at.
    public let points: [Point]
    /// How many random points were asked for.
    public let requestedPoints: Int
    /// The seed of the random points.
    public let seed: UInt64
    /// Whether the given point sits within 1e-3 of a kink (relu, abs, step, leaky_relu at 0, a tie of
    /// min or max), where the engine follows PyTorch's convention rather than a derivative.
    public let givenPointAtKink: Bool

    /// Whether every claim is right.
    public var passed: Bool { results.allSatisfy(\.passed) }

    /// The results in backward order: B from the output back to the inputs (reverse creation order),
    /// then A from B outwards, so a local link comes before the gradients built on it.
    public var backwardOrder: [Result] {
        results.enumerated().sorted { a, b in
            let ka = (-a.element.claim.withRespectToNode.index, a.element.claim.ofNode.index, a.offset)
            let kb = (-b.element.claim.withRespectToNode.index, b.element.claim.ofNode.index, b.offset)
            return ka < kb
        }.map(\.element)
    }

    /// The first wrong claim in backward order.
    public var firstWrong: Result? { backwardOrder.first { !$0.passed } }

    // MARK: - Checking

    /// Evaluates `source` at `inputs`, parses every claim and checks each one.
    /// - Parameters:
    ///   - file: the program's name in messages.
    ///   - inputs: the `--at` text.
    ///   - values: values from files (`--values`) or the server's `"values"`.
    ///   - claims: the `--claim` texts.
    ///   - randomPoints: how many random points a formula is checked at besides the given point.
    ///   - seed: the seed of the random points.
    /// - Throws: `WorkbenchFailure`: bad input (exit 2) for a mistake in the program, the values or a
    ///   claim (with the column inside the claim); failed (exit 1) when NaN or infinity appears.
    public init(source: String, file: String = "program", inputs: String?, values: GivenValues = GivenValues(), claims texts: [String],
                randomPoints: Int = 5, seed: UInt64 = 1) throws(WorkbenchFailure) {
        guard !texts.isEmpty else { throw .badInput("no claim to check: give one with --claim, e.g. --claim \"df/dx = z\"") }
        let job = try TraceJob(source: source, file: file, inputs: inputs, values: values)
        self.job = job
        self.seed = seed
        self.requestedPoints = max(0, randomPoints)
        let program = job.program
        let given: Point = program.inputs.map { ($0.name, program.graph.value(of: $0.node)) }
        var evaluator = Evaluator(source: source)
        self.givenPointAtKink = !ClaimCheck.valid(program)

        var claims: [Claim] = []
        for text in texts { claims.append(try ClaimCheck.parse(text, program: program)) }
        self.claims = claims

        var points = [given]
        if claims.contains(where: \.isFormula) && !given.isEmpty && requestedPoints > 0 {
            points += ClaimCheck.randomPoints(count: requestedPoints, around: given, claims: claims, seed: seed, evaluator: &evaluator)
        }
        self.points = points

        var results: [Result] = []
        for claim in claims { results.append(ClaimCheck.check(claim, points: points, evaluator: &evaluator)) }
        self.results = results
    }

    /// Evaluations of the program at the points, cached: one graph per point and A, with backward
    /// run from A (a graph runs backward once).
    public struct Evaluator {
        let source: String
        var backward: [Int: [NodeID: Program]] = [:]

        public init(source: String) { self.source = source }

        static func evaluate(_ source: String, at point: Point) -> Program? {
            try? Expressions.evaluate(source, options: .init(inputs: point, keepUnusedInputs: true))
        }

        /// The program at `point` with backward run from `of`.
        public mutating func gradients(_ index: Int, _ point: Point, of node: NodeID) -> Program? {
            if let program = backward[index]?[node] { return program }
            guard let program = Evaluator.evaluate(source, at: point) else { return nil }
            // The program evaluated again makes a new graph: its node at the same position.
            do { try program.graph.backward(from: program.graph.node(at: node.index)) } catch { return nil }
            backward[index, default: [:]][node] = program
            return program
        }
    }

    /// The names a formula may use at a point, with their values: the inputs, then the assigned names.
    public static func names(of program: Program) -> [(name: String, value: Tensor)] {
        var seen: [String: Int] = [:]
        var result: [(name: String, value: Tensor)] = []
        for (name, node) in program.inputs.map({ ($0.name, $0.node) }) + program.assignments.map({ ($0.name, $0.node) }) {
            let value = program.graph.value(of: node)
            if let index = seen[name] { result[index].value = value } else { seen[name] = result.count; result.append((name, value)) }
        }
        return result
    }

    /// ∂A/∂B from the engine: zeros shaped like B when A does not depend on B.
    public static func engineGradient(_ program: Program, of: NodeID, withRespectTo node: NodeID) -> Tensor {
        let node = program.counterpart(node)
        return program.graph.gradient(of: node) ?? .zeros(program.graph.shape(of: node))
    }

    public static func check(_ claim: Claim, points: [Point], evaluator: inout Evaluator) -> Result {
        let tried = claim.isFormula ? points.count : 1
        var first: (claimed: Tensor, engine: Tensor, program: Program, index: Int)?
        for index in 0..<tried {
            guard let program = evaluator.gradients(index, points[index], of: claim.ofNode) else { continue }
            let engine = engineGradient(program, of: claim.ofNode, withRespectTo: claim.withRespectToNode)
            let claimed: Tensor, tolerances: [Double]?
            switch claim.kind {
            case .value(let value, let given): (claimed, tolerances) = (value, given)
            case .formula(let formula):
                claimed = (try? formulaValue(formula, names: names(of: program)).value) ?? Tensor(scalar: .nan)
                tolerances = nil
            }
            if first == nil { first = (claimed, engine, program, index) }
            if !agree(claimed, engine, tolerances: tolerances) {
                let (mistake, explanation) = verifiedDiagnosis(claim, failedAt: index, claimed: claimed, engine: engine, program: program,
                                                               tolerances: tolerances, points: points, evaluator: &evaluator)
                return Result(claim: claim, passed: false, claimed: claimed, engine: engine, pointIndex: index, pointsTried: index + 1,
                              mistake: mistake, explanation: explanation, engineFormula: engineFormula(claim, program: program),
                              rounded: false)
            }
        }
        guard let (claimed, engine, program, index) = first else {
            // Not reached: the given point evaluated once already (the job), and A is a scalar.
            let nan = Tensor(scalar: .nan)
            return Result(claim: claim, passed: false, claimed: nan, engine: nan, pointIndex: 0, pointsTried: 1, mistake: nil,
                          explanation: "the program could not be evaluated again", engineFormula: nil, rounded: false)
        }
        var tolerances: [Double]? = nil
        if case .value(_, let given) = claim.kind { tolerances = given }
        let rounded = tolerances != nil && !agree(claimed, engine, tolerances: nil)
        var explanation: String? = nil
        if program.graph.gradient(of: program.counterpart(claim.withRespectToNode)) == nil && claim.ofNode != claim.withRespectToNode {
            explanation = "\(claim.of) does not depend on \(claim.withRespectTo)"
        }
        return Result(claim: claim, passed: true, claimed: claimed, engine: engine, pointIndex: index, pointsTried: tried,
                      mistake: nil, explanation: explanation, engineFormula: engineFormula(claim, program: program), rounded: rounded)
    }

    /// The local gradient's formula when B feeds A through exactly one edge, the only way from B to A.
    public static func engineFormula(_ claim: Claim, program: Program) -> String? {
        let graph = program.graph
        guard graph.gradient(of: program.counterpart(claim.withRespectToNode)) != nil else { return nil }
        let trace = graph.trace(output: program.counterpart(claim.ofNode))
        let node = trace.nodes[claim.withRespectToNode.index]
        guard node.contributions.count == 1 else { return nil }
        let edge = trace.edges[node.contributions[0]]
        guard edge.to == claim.ofNode.index else { return nil }
        // Printed as a suggestion, so only when it reads back to the engine's gradient.
        return readsBack(edge.localGradient.formula, as: engineGradient(program, of: claim.ofNode, withRespectTo: claim.withRespectToNode), program: program)
    }

    /// Whether `claimed` and `engine` agree: the same shape, and every entry within its tolerance
    /// (the digits a number gives, else a relative 1e-6 with an absolute floor of 1e-9).
    public static func agree(_ claimed: Tensor, _ engine: Tensor, tolerances: [Double]?) -> Bool {
        guard claimed.shape == engine.shape else { return false }
        for i in 0..<claimed.count {
            let c = claimed.storage[i], e = engine.storage[i]
            if !c.isFinite || !e.isFinite {
                if c == e { continue }
                return false
            }
            let tolerance = Swift.max(tolerances.map { $0[i] } ?? 0, 1e-6 * Swift.max(Swift.abs(c), Swift.abs(e)), 1e-9)
            if Swift.abs(c - e) > tolerance { return false }
        }
        return true
    }

    // MARK: - Mistakes

    public static func diagnose(_ claim: Claim, claimed: Tensor, engine: Tensor, program: Program,
                         tolerances: [Double]?) -> (Mistake?, String?) {
        let found = diagnoses(claim, claimed: claimed, engine: engine, program: program, tolerances: tolerances)
        if let first = found.mistakes.first { return (first.mistake, first.explanation) }
        return (nil, found.plain)
    }

    /// Every known mistake that explains `claimed` at this point, in the order of the table, or a
    /// plain sentence (a shape mismatch, a node that does not depend on B) when none can.
    static func diagnoses(_ claim: Claim, claimed: Tensor, engine: Tensor, program: Program,
                          tolerances: [Double]?) -> (mistakes: [(mistake: Mistake, explanation: String)], plain: String?) {
        let graph = program.graph
        let A = program.counterpart(claim.ofNode), B = program.counterpart(claim.withRespectToNode)
        let left = claim.left
        func same(_ a: Tensor, _ b: Tensor) -> Bool { agree(a, b, tolerances: tolerances) }
        func show(_ value: Tensor) -> String { ClaimCheck.format(value) }
        var found: [(mistake: Mistake, explanation: String)] = []

        if claimed.shape != engine.shape {
            if engine.rank == 2, same(claimed, engine.transposed()) {
                return ([(.transposed, "\(claim.subject) is the transpose of \(left): shape \(Tensor.describe(shape: claimed.shape)) where \(left) has \(Tensor.describe(shape: engine.shape)), like \(claim.withRespectTo)")], nil)
            }
            return ([], "\(claim.subject) has shape \(Tensor.describe(shape: claimed.shape)) but \(left) has shape \(Tensor.describe(shape: engine.shape)), like \(claim.withRespectTo)")
        }
        if let truncation = truncation(claimed, engine: engine, tolerances: tolerances) {
            found.append((.truncated, truncation))
        }
        if engine.storage.contains(where: { Swift.abs($0) > 1e-9 }), same(claimed, -engine) {
            found.append((.signError, "\(claim.subject) is minus \(left)"))
        }
        if engine.rank == 2, engine.shape[0] == engine.shape[1], !same(engine, engine.transposed()), same(claimed, engine.transposed()) {
            found.append((.transposed, "\(claim.subject) is the transpose of \(left)"))
        }
        guard graph.gradient(of: B) != nil else {
            return (found, A == B ? nil : "\(claim.of) does not depend on \(claim.withRespectTo), so \(left) is 0")
        }
        let trace = graph.trace(output: A)
        let edges = trace.nodes[B.index].contributions.map { trace.edges[$0] }
        if edges.count > 1 {
            for edge in edges {
                guard let contribution = edge.contribution, same(claimed, contribution) else { continue }
                let parts = edges.map { $0.contribution.map(show) ?? "?" }
                found.append((.unsummedFanOut, "\(claim.withRespectTo) feeds \(edges.count) operations (\(edges.map { written($0.to, in: trace) }.joined(separator: ", "))), and \(claim.subject) is only the contribution through \(written(edge.to, in: trace)); \(left) is their sum \(parts.joined(separator: " + ")) = \(show(engine))"))
                break
            }
        }
        for edge in edges {
            guard let upstream = edge.upstream, upstream.shape == claimed.shape, same(claimed, upstream) else { continue }
            let upstreamName = edge.to == A.index ? "∂\(claim.of)/∂\(claim.of) = 1 (the seed)"
                                                  : "\(gradientName(of: claim.of, at: edge.to, in: trace)) = \(show(upstream))"
            found.append((.missingLocalGradient, "\(claim.subject) is the upstream \(upstreamName) alone; multiply it by the local gradient \(localDescription(edge, in: trace))"))
            break
        }
        for edge in edges where edge.to != A.index {
            guard let local = edge.localGradient.value, local.shape == claimed.shape, same(claimed, local),
                  let upstream = edge.upstream else { continue }
            found.append((.missingUpstreamGradient, "\(claim.subject) is the local gradient \(localDescription(edge, in: trace)) alone; multiply it by the upstream \(gradientName(of: claim.of, at: edge.to, in: trace)) = \(show(upstream))"))
            break
        }
        return (found, nil)
    }

    /// `∂q/∂x = 1`, or `∂q/∂w = x = 2` when the formula is not the number itself; a node without a
    /// name by the expression the student wrote for it (`∂(w * x)/∂w`).
    static func localDescription(_ edge: Trace.Edge, in trace: Trace) -> String {
        let result = written(edge.to, in: trace)
        let name = gradientName(of: result.contains(" ") ? "(\(result))" : result, at: edge.from, in: trace)
        let formula = edge.localGradient.formula
        guard let value = edge.localGradient.value else { return "\(name) = \(formula)" }
        let shown = format(value)
        return formula == shown ? "\(name) = \(shown)" : "\(name) = \(formula) = \(shown)"
    }

    // MARK: - Random points

    /// Up to `count` random points: each input entry uniform in [-3, 3] (later attempts near the
    /// given value), 4 significant digits so a point can be typed back into `--at`; a point is kept
    /// only if every value is finite, no relu/abs/step/leaky_relu/min/max operand is within 1e-3 of
    /// its kink, and every claimed gradient is finite.
    public static func randomPoints(count: Int, around given: Point, claims: [Claim], seed: UInt64,
                             evaluator: inout Evaluator) -> [Point] {
        var generator = SeededGenerator(seed: seed)
        var points: [Point] = []
        let attemptsPerPoint = 200
        var attempt = 0
        while points.count < count && attempt < attemptsPerPoint * count {
            attempt += 1
            let near = attempt % attemptsPerPoint > attemptsPerPoint / 2
            let point: Point = given.map { input in
                (input.name, input.value.map { value in
                    let raw = near ? value + (2 * generator.unit() - 1) * Swift.max(0.5 * Swift.abs(value), 0.01)
                                   : 6 * generator.unit() - 3
                    return Double(String(format: "%.4g", raw)) ?? raw
                })
            }
            guard let program = Evaluator.evaluate(evaluator.source, at: point), valid(program) else { continue }
            let index = points.count + 1
            var gradientsFinite = true
            for claim in claims where claim.isFormula {
                guard let graded = evaluator.gradients(index, point, of: claim.ofNode),
                      engineGradient(graded, of: claim.ofNode, withRespectTo: claim.withRespectToNode).isFinite else {
                    gradientsFinite = false; break
                }
            }
            if !gradientsFinite { evaluator.backward[index] = nil; continue }
            points.append(point)
        }
        return points
    }

    /// Whether every value is finite and no kinked operation sits within 1e-3 of its kink
    /// (operations whose operands do not depend on an input are left alone: no point can move them).
    static func valid(_ program: Program) -> Bool {
        let graph = program.graph
        guard graph.firstNonFiniteNode == nil else { return false }
        var dependsOnInput = [Bool](repeating: false, count: graph.count)
        for node in graph.nodes {
            let operation = graph.operations[node.index]
            let operands = graph.inputs(of: node)
            dependsOnInput[node.index] = operation == .input || operation == .parameter || operands.contains { dependsOnInput[$0.index] }
            guard graph.value(of: node).isFinite else { return false }
            guard dependsOnInput[node.index], !operation.isLeaf, let kink = operation.primitive.kinkDistance else { continue }
            let x = graph.value(of: operands[0])
            let y = operands.count > 1 ? graph.value(of: operands[1]) : Tensor.zeros(x.shape)
            let shape = Tensor.broadcastShape(x.shape, y.shape) ?? x.shape
            let xs = x.broadcast(to: shape), ys = y.broadcast(to: shape)
            for i in 0..<xs.count where kink(xs.storage[i], ys.storage[i]) < 1e-3 { return false }
        }
        return true
    }

}

extension Program {
    /// The node of this program's graph at `node`'s position. A claim's nodes come from the first
    /// evaluation; a program evaluated again from the same source at another point has the same
    /// nodes at the same positions, and its graph only reads its own ids (`Graph.value(of:)`).
    func counterpart(_ node: NodeID) -> NodeID {
        node.graph == graph.identity ? node : (try? graph.node(at: node.index)) ?? node
    }
}
