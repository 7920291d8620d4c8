import Autograd
import Expressions
import Foundation
import Support

extension ClaimCheck {
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
