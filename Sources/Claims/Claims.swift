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

        /// The mistake in a few words.
        public var phrase: String {
            switch self {
            case .signError: return "sign error"
            case .transposed: return "transposed matrix"
            case .unsummedFanOut: return "fan-out not summed"
            case .missingLocalGradient: return "missing local gradient"
            case .missingUpstreamGradient: return "missing upstream gradient"
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
    ///   - claims: the `--claim` texts.
    ///   - randomPoints: how many random points a formula is checked at besides the given point.
    ///   - seed: the seed of the random points.
    /// - Throws: `WorkbenchFailure`: bad input (exit 2) for a mistake in the program, the values or a
    ///   claim (with the column inside the claim); failed (exit 1) when NaN or infinity appears.
    public init(source: String, file: String = "program", inputs: String?, claims texts: [String],
                randomPoints: Int = 5, seed: UInt64 = 1) throws(WorkbenchFailure) {
        guard !texts.isEmpty else { throw .badInput("no claim to check: give one with --claim, e.g. --claim \"df/dx = z\"") }
        let job = try TraceJob(source: source, file: file, inputs: inputs)
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
            try? Expressions.evaluate(source, options: .init(inputs: point))
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
        program.graph.gradient(of: node) ?? .zeros(program.graph.shape(of: node))
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
                let (mistake, explanation) = diagnose(claim, claimed: claimed, engine: engine, program: program, tolerances: tolerances)
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
        if program.graph.gradient(of: claim.withRespectToNode) == nil && claim.ofNode != claim.withRespectToNode {
            explanation = "\(claim.of) does not depend on \(claim.withRespectTo)"
        }
        return Result(claim: claim, passed: true, claimed: claimed, engine: engine, pointIndex: index, pointsTried: tried,
                      mistake: nil, explanation: explanation, engineFormula: engineFormula(claim, program: program), rounded: rounded)
    }

    /// The local gradient's formula when B feeds A through exactly one edge, the only way from B to A.
    public static func engineFormula(_ claim: Claim, program: Program) -> String? {
        let graph = program.graph
        guard graph.gradient(of: claim.withRespectToNode) != nil else { return nil }
        let trace = graph.trace(output: claim.ofNode)
        let node = trace.nodes[claim.withRespectToNode.index]
        guard node.contributions.count == 1 else { return nil }
        let edge = trace.edges[node.contributions[0]]
        return edge.to == claim.ofNode.index ? edge.localGradient.formula : nil
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
        let graph = program.graph
        let A = claim.ofNode, B = claim.withRespectToNode
        let left = claim.left
        func same(_ a: Tensor, _ b: Tensor) -> Bool { agree(a, b, tolerances: tolerances) }
        func show(_ value: Tensor) -> String { ClaimCheck.format(value) }

        if claimed.shape != engine.shape {
            if engine.rank == 2, same(claimed, engine.transposed()) {
                return (.transposed, "the claim is the transpose of \(left): shape \(Tensor.describe(shape: claimed.shape)) where \(left) has \(Tensor.describe(shape: engine.shape)), like \(claim.withRespectTo)")
            }
            return (nil, "the claim has shape \(Tensor.describe(shape: claimed.shape)) but \(left) has shape \(Tensor.describe(shape: engine.shape)), like \(claim.withRespectTo)")
        }
        if engine.storage.contains(where: { Swift.abs($0) > 1e-9 }), same(claimed, -engine) {
            return (.signError, "the claim is minus \(left)")
        }
        if engine.rank == 2, engine.shape[0] == engine.shape[1], !same(engine, engine.transposed()), same(claimed, engine.transposed()) {
            return (.transposed, "the claim is the transpose of \(left)")
        }
        guard graph.gradient(of: B) != nil else {
            return (nil, A == B ? nil : "\(claim.of) does not depend on \(claim.withRespectTo), so \(left) is 0")
        }
        let trace = graph.trace(output: A)
        let edges = trace.nodes[B.index].contributions.map { trace.edges[$0] }
        let label = { (id: Int) in trace.nodes[id].label }
        if edges.count > 1 {
            for edge in edges {
                guard let contribution = edge.contribution, same(claimed, contribution) else { continue }
                let parts = edges.map { $0.contribution.map(show) ?? "?" }
                return (.unsummedFanOut, "\(claim.withRespectTo) feeds \(edges.count) operations (\(edges.map { label($0.to) }.joined(separator: ", "))), and the claim is only the contribution through \(label(edge.to)); \(left) is their sum \(parts.joined(separator: " + ")) = \(show(engine))")
            }
        }
        for edge in edges {
            guard let upstream = edge.upstream, upstream.shape == claimed.shape, same(claimed, upstream) else { continue }
            let through = label(edge.to)
            let upstreamName = edge.to == A.index ? "∂\(claim.of)/∂\(claim.of) = 1 (the seed)" : "∂\(claim.of)/∂\(through) = \(show(upstream))"
            return (.missingLocalGradient, "the claim is the upstream \(upstreamName) alone; multiply it by the local gradient \(localDescription(edge))")
        }
        for edge in edges where edge.to != A.index {
            guard let local = edge.localGradient.value, local.shape == claimed.shape, same(claimed, local),
                  let upstream = edge.upstream else { continue }
            return (.missingUpstreamGradient, "the claim is the local gradient \(localDescription(edge)) alone; multiply it by the upstream ∂\(claim.of)/∂\(label(edge.to)) = \(show(upstream))")
        }
        return (nil, nil)
    }

    /// `∂q/∂x = 1`, or `∂n/∂w = x = 2` when the formula is not the number itself.
    static func localDescription(_ edge: Trace.Edge) -> String {
        guard let value = edge.localGradient.value else { return edge.localGradient.description }
        let shown = format(value)
        return edge.localGradient.formula == shown ? edge.localGradient.description : "\(edge.localGradient.description) = \(shown)"
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

    // MARK: - Reading claims

    /// The value of a formula over `names`, and whether it uses any of them.
    public static func formulaValue(_ formula: String, names: [(name: String, value: Tensor)]) throws(ExpressionError) -> (value: Tensor, usesNames: Bool) {
        let program = try Expressions.evaluate(formula, options: .init(inputs: names, rejectUnusedInputs: false))
        return (program.graph.value(of: program.output), !program.inputs.isEmpty)
    }

    /// Parses `dA/dB = right` (or `∂A/∂B = right`) against the program's names.
    /// - Throws: `WorkbenchFailure.badInput` with the column inside the claim and a caret under it.
    public static func parse(_ text: String, program: Program) throws(WorkbenchFailure) -> Claim {
        let characters = Array(text)
        func fail(_ message: String, at index: Int) -> WorkbenchFailure {
            let column = index + 1
            let detail = text.count < 200 ? "    " + text + "\n    " + String(repeating: " ", count: max(0, column - 1)) + "^" : nil
            return .badInput(message, at: SourceLocation(file: "--claim", column: column), detail: detail)
        }
        let example = "write a claim as dA/dB = right side, e.g. df/dx = z"
        guard !text.contains("\n") else { throw fail("a claim is one line; give each claim with its own --claim", at: characters.firstIndex(of: "\n")!) }
        guard let equals = characters.firstIndex(of: "=") else {
            throw fail("expected '=' in the claim; \(example)", at: characters.count)
        }
        let graph = program.graph
        var known: [String: NodeID] = [:]
        for (name, node) in program.inputs.map({ ($0.name, $0.node) }) + program.assignments.map({ ($0.name, $0.node) }) { known[name] = node }
        known[graph.label(of: program.output)] = program.output
        let knownNames = known.keys.sorted()

        // The left side: d or ∂, a name, '/', d or ∂, a name.
        var index = 0
        func skipSpaces() { while index < equals && characters[index].isWhitespace { index += 1 } }
        func readName() throws(WorkbenchFailure) -> (String, Int) {
            skipSpaces()
            let start = index
            guard index < equals, characters[index].isLetter || characters[index] == "_" else {
                let found = index < equals ? "'\(characters[index])'" : (index == equals ? "'='" : "the end of the claim")
                throw fail("expected a name after 'd' or '∂', found \(found); \(example)", at: index)
            }
            while index < equals && (characters[index].isLetter || characters[index].isNumber || characters[index] == "_") { index += 1 }
            return (String(characters[start..<index]), start)
        }
        func resolve(_ name: String, at column: Int, side: String) throws(WorkbenchFailure) -> NodeID {
            if let node = known[name] { return node }
            throw fail("unknown name '\(name)' in the claim's \(side); " + ClaimCheck.hint(for: name, among: knownNames), at: column)
        }
        skipSpaces()
        guard index < equals, characters[index] == "d" || characters[index] == "∂" else {
            throw fail("a claim starts with dA/dB or ∂A/∂B (A and B names of the program); \(example)", at: index)
        }
        index += 1
        let (ofName, ofColumn) = try readName()
        skipSpaces()
        guard index < equals, characters[index] == "/" else {
            throw fail("expected '/' after d\(ofName), as in d\(ofName)/dx", at: index)
        }
        index += 1
        skipSpaces()
        guard index < equals, characters[index] == "d" || characters[index] == "∂" else {
            throw fail("expected d or ∂ after '/', as in d\(ofName)/dx", at: index)
        }
        index += 1
        let (byName, byColumn) = try readName()
        skipSpaces()
        guard index == equals else {
            throw fail("unexpected '\(characters[index])' after d\(ofName)/d\(byName); the right side comes after '='", at: index)
        }
        let of = try resolve(ofName, at: ofColumn, side: "left side")
        let by = try resolve(byName, at: byColumn, side: "left side")
        if graph.operations[by.index] == .constant {
            let value = TraceFormat.tensor(graph.value(of: by)).replacingOccurrences(of: " ", with: "")
            throw fail("\(byName) is a constant (\(byName) = \(value) in the program), and backward sends constants no gradient; to claim about it, drop that assignment and give --at \(byName)=\(value)", at: byColumn)
        }
        let ofShape = graph.shape(of: of)
        guard ofShape.isEmpty else {
            throw fail("\(ofName) has shape \(Tensor.describe(shape: ofShape)); a claim's A must be a scalar: name one in the program, e.g. s = sum(\(ofName)), and claim about ds/d\(byName)", at: ofColumn)
        }

        // The right side: a number, a tensor literal or a formula.
        var start = equals + 1
        while start < characters.count && characters[start].isWhitespace { start += 1 }
        var end = characters.count
        while end > start && characters[end - 1].isWhitespace { end -= 1 }
        guard start < end else { throw fail("missing the right side after '='; \(example)", at: characters.count) }
        let right = String(characters[start..<end])
        if let second = characters[start..<end].firstIndex(of: "=") {
            throw fail("a claim has one '='; the right side is a number, a tensor or a formula", at: second)
        }
        if let separator = characters[start..<end].firstIndex(of: ";") {
            throw fail("the right side is one expression; give each claim with its own --claim", at: separator)
        }
        let kind: Claim.Right
        if let value = try? InputValues.literal(right) {
            kind = .value(value, tolerances: tolerances(of: right, count: value.count))
        } else {
            let given = ClaimCheck.names(of: program)
            do {
                let (value, usesNames) = try formulaValue(right, names: given)
                kind = usesNames ? .formula(right) : .value(value, tolerances: [Double](repeating: 0, count: value.count))
            } catch {
                let column = (error.position?.column ?? 1) - 1 + start
                switch error.kind {
                case .missingInput(let name):
                    throw fail("unknown name '\(name)' in the claim's right side; " + ClaimCheck.hint(for: name, among: given.map(\.name)), at: column)
                default:
                    // The message counts in the right side's own columns; say them as the claim's.
                    var message = error.message.replacingOccurrences(of: "end of program", with: "the end of the claim")
                    while let range = message.range(of: #"at 1:[0-9]+"#, options: .regularExpression) {
                        let inner = Int(message[range].dropFirst("at 1:".count)) ?? 1
                        message.replaceSubrange(range, with: "at column \(inner + start)")
                    }
                    throw fail(message, at: column)
                }
            }
        }
        return Claim(text: text, of: ofName, withRespectTo: byName, ofNode: of, withRespectToNode: by, right: right, kind: kind)
    }

    /// `did you mean 'q'?`, or the list of the program's names.
    public static func hint(for name: String, among names: [String]) -> String {
        let sorted = Array(Set(names)).sorted()
        // A one-letter name is one edit from every other one-letter name: list the names instead.
        guard name.count > 1 else { return "the program's names are " + sorted.joined(separator: ", ") }
        let scored = sorted.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
        if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, min(name.count, best.0.count) / 3) {
            return "did you mean '\(best.0)'?"
        }
        return "the program's names are " + sorted.joined(separator: ", ")
    }

    /// Per entry of a literal, the tolerance its digits allow: half a unit in the last decimal place
    /// written (`0.42` ±0.005, `1.5e-3` ±5e-5); exact (0) for a number without decimals (`3`, `1.`, `1e-3`).
    static func tolerances(of literal: String, count: Int) -> [Double] {
        var result: [Double] = []
        let characters = Array(literal)
        var index = 0
        while index < characters.count {
            guard characters[index].isASCII && (characters[index].isNumber || characters[index] == ".") else { index += 1; continue }
            var decimals: Int? = nil
            while index < characters.count && characters[index].isASCII && (characters[index].isNumber || characters[index] == ".") {
                if characters[index] == "." { decimals = 0 } else if decimals != nil { decimals! += 1 }
                index += 1
            }
            var exponent = 0
            if index < characters.count && (characters[index] == "e" || characters[index] == "E") {
                var end = index + 1
                if end < characters.count && (characters[end] == "+" || characters[end] == "-") { end += 1 }
                let digitsStart = end
                while end < characters.count && characters[end].isASCII && characters[end].isNumber { end += 1 }
                if end > digitsStart, let value = Int(String(characters[(index + 1)..<end])) { exponent = value; index = end }
            }
            // `1.` has no decimals: exact, like `1`.
            result.append(decimals.map { $0 > 0 ? 0.5 * Foundation.pow(10, Double(exponent - $0)) : 0 } ?? 0)
        }
        return result.count == count ? result : [Double](repeating: 0, count: count)
    }

    // MARK: - Reports

    /// A value as the report shows it: 6 significant digits.
    public static func format(_ value: Tensor) -> String { TraceFormat.tensor(value, significantDigits: 6) }

    /// `x = -2, y = 5, z = -4`.
    public func describe(point index: Int) -> String {
        points[index].map { "\($0.name) = \(ClaimCheck.format($0.value))" }.joined(separator: ", ")
    }

    /// The random points actually used (the given point excluded).
    public var randomPointCount: Int { points.count - 1 }

    /// How a sentence names a claim: `∂f/∂x`, or `∂f/∂x = x + 2` when another claim has the same left side.
    func name(_ result: Result) -> String {
        claims.filter { $0.left == result.claim.left }.count > 1 ? "\(result.claim.left) = \(result.claim.right)" : result.claim.left
    }

    /// The right side as shown: `x + y = 3` for a formula, `3` for a number.
    func gave(_ result: Result) -> String {
        let value = ClaimCheck.format(result.claimed)
        return result.claim.isFormula && result.claim.right != value ? "\(result.claim.right) = \(value)" : value
    }

    /// The engine's value as a sentence part: `z = -4`, or `-4`.
    func shouldBe(_ result: Result) -> String {
        let value = ClaimCheck.format(result.engine)
        guard let formula = result.engineFormula, formula != value else { return value }
        return "\(formula) = \(value)"
    }

    /// One sentence naming the first wrong link in backward order and the links that are right:
    /// `∂q/∂x is right; ∂f/∂q should be z = -4, you gave x + y = 3`. Nil when every claim is right.
    public var summary: String? {
        guard let wrong = firstWrong else { return nil }
        var parts: [String] = []
        let right = backwardOrder.filter(\.passed).map(name)
        if !right.isEmpty {
            let list = right.count == 1 ? right[0] : right.dropLast().joined(separator: ", ") + " and " + right.last!
            parts.append(list + (right.count == 1 ? " is right" : " are right"))
        }
        var sentence = "\(name(wrong)) should be \(shouldBe(wrong))"
        var asides: [String] = []
        if wrong.pointIndex > 0 {
            sentence += " at \(describe(point: wrong.pointIndex)), you gave \(gave(wrong)) there"
            asides.append("it agrees at the given point only")
        } else {
            sentence += ", you gave \(gave(wrong))"
        }
        if let mistake = wrong.mistake { asides.append(mistake.phrase) }
        if !asides.isEmpty { sentence += " (" + asides.joined(separator: "; ") + ")" }
        parts.append(sentence)
        let others = backwardOrder.filter { !$0.passed }.dropFirst().map(name)
        if !others.isEmpty { parts.append("also wrong after it: " + others.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }

    /// The report: each claim ✓ or ✗ with the claimed value beside the engine's, then the first
    /// wrong link (for several claims) and a count.
    public func table() -> String {
        var lines = [points[0].isEmpty ? "claims (the program has no inputs)" : "claims at " + describe(point: 0)]
        let claimsColumn = results.map { "\($0.claim.left) = \($0.claim.right)".count }.max() ?? 0
        let claimedColumn = results.map { ClaimCheck.format($0.claimed).count }.max() ?? 0
        let engineColumn = results.map { ClaimCheck.format($0.engine).count }.max() ?? 0
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        for result in results {
            let claim = "\(result.claim.left) = \(result.claim.right)"
            var line = "  \(result.passed ? "✓" : "✗") \(pad(claim, claimsColumn))   claimed \(pad(ClaimCheck.format(result.claimed), claimedColumn))   engine \(pad(ClaimCheck.format(result.engine), engineColumn))"
            var notes: [String] = []
            if result.passed {
                if result.claim.isFormula && randomPointCount > 0 {
                    notes.append("also right at \(randomPointCount) random point\(randomPointCount == 1 ? "" : "s")")
                }
                if result.rounded { notes.append("to the digits given") }
                if let explanation = result.explanation { notes.append(explanation) }
            } else {
                if result.pointIndex > 0 {
                    notes.append("at random point \(result.pointIndex): \(describe(point: result.pointIndex)); at the given point both are \(ClaimCheck.format(givenEngine(result)))")
                }
                if let mistake = result.mistake { notes.append(mistake.phrase + ": " + (result.explanation ?? "")) }
                else if let explanation = result.explanation { notes.append(explanation) }
            }
            if notes.isEmpty { while line.hasSuffix(" ") { line.removeLast() } }
            else { line += "   " + notes.joined(separator: "; ") }
            lines.append(line)
        }
        if requestedPoints > 0 && claims.contains(where: \.isFormula) && !points[0].isEmpty && randomPointCount < requestedPoints {
            lines.append("note: only \(randomPointCount) of \(requestedPoints) random points were usable (the others hit a kink, NaN or infinity)")
        }
        if givenPointAtKink {
            lines.append("note: the given point sits at a kink (relu, abs, step or leaky_relu at 0, or a tie of min or max); there the engine follows PyTorch's convention (docs/expression-language.md)")
        }
        if claims.count > 1, let summary { lines.append(summary) }
        let wrong = results.filter { !$0.passed }.count
        if wrong == 0 {
            lines.append(results.count == 1 ? "the claim is right" : "all \(results.count) claims are right")
        } else {
            lines.append(results.count == 1 ? "the claim is wrong" : "\(wrong) of \(results.count) claims \(wrong == 1 ? "is" : "are") wrong")
        }
        return lines.joined(separator: "\n")
    }

    /// The engine's value at the given point for a claim that failed at a random point.
    func givenEngine(_ result: Result) -> Tensor {
        var evaluator = Evaluator(source: job.program.source)
        guard let program = evaluator.gradients(0, points[0], of: result.claim.ofNode) else { return result.engine }
        return ClaimCheck.engineGradient(program, of: result.claim.ofNode, withRespectTo: result.claim.withRespectToNode)
    }

    /// The machine-readable report (keys sorted; schema in docs/checking.md).
    public func json() -> JSONValue {
        func point(_ index: Int) -> JSONValue {
            .object(Dictionary(points[index].map { ($0.name, JSONValue.tensor($0.value)) }, uniquingKeysWith: { a, _ in a }))
        }
        let claims = results.map { result -> JSONValue in
            .object([
                "text": .string(result.claim.text),
                "left": .string(result.claim.left),
                "of": .string(result.claim.of),
                "withRespectTo": .string(result.claim.withRespectTo),
                "right": .string(result.claim.right),
                "kind": .string(result.claim.kindName),
                "claimed": .tensor(result.claimed),
                "engine": .tensor(result.engine),
                "engineFormula": result.engineFormula.map(JSONValue.string) ?? .null,
                "verdict": .string(result.passed ? "right" : "wrong"),
                "mistake": result.mistake.map { .string($0.rawValue) } ?? .null,
                "explanation": result.explanation.map(JSONValue.string) ?? .null,
                "pointsTried": .number(Double(result.pointsTried)),
                "point": point(result.pointIndex),
                "pointIndex": .number(Double(result.pointIndex)),
                "rounded": .bool(result.rounded),
            ])
        }
        return .object([
            "passed": .bool(passed),
            "claims": .array(claims),
            "points": .array(points.indices.map(point)),
            "seed": .number(Double(seed)),
            "givenPointAtKink": .bool(givenPointAtKink),
            "firstWrong": firstWrong.map { .string($0.claim.left) } ?? .null,
            "summary": summary.map(JSONValue.string) ?? .null,
        ])
    }
}
