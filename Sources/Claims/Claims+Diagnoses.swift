import Autograd
import Expressions
import Foundation

// Diagnoses that are tested: a mistake is named only when it explains a formula at every point it
// was checked at, not just at the one where it failed (a sign error at x0 = -1 may be a missing
// factor x0 anywhere else). Numbers cut off instead of rounded, and a product `W @ y` that needs
// `transpose(W) @ y`, are recognized too. The table of mistakes is in docs/checking.md.

extension ClaimCheck {
    /// The mistake that explains a wrong claim, tested: for a formula, a mistake seen where the claim
    /// failed must be seen at every other point where the claim is wrong too; otherwise the report says
    /// plainly that it is not that mistake. Numbers and tensors have one point only.
    static func verifiedDiagnosis(_ claim: Claim, failedAt index: Int, claimed: Tensor, engine: Tensor, program: Program,
                                  tolerances: [Double]?, points: [Point], evaluator: inout Evaluator) -> (Mistake?, String?) {
        let found = diagnoses(claim, claimed: claimed, engine: engine, program: program, tolerances: tolerances)
        guard case .formula(let formula) = claim.kind, points.count > 1 else {
            if let first = found.mistakes.first { return (first.mistake, first.explanation) }
            return (nil, found.plain)
        }
        var refuted: (mistake: Mistake, point: Int)? = nil
        candidates: for candidate in found.mistakes {
            for other in points.indices where other != index {
                guard let there = evaluator.gradients(other, points[other], of: claim.ofNode),
                      let value = try? formulaValue(formula, names: names(of: there)).value else { continue }
                let expected = engineGradient(there, of: claim.ofNode, withRespectTo: claim.withRespectToNode)
                // Where the claim is right it says nothing about the mistake.
                if agree(value, expected, tolerances: nil) { continue }
                let seen = diagnoses(claim, claimed: value, engine: expected, program: there, tolerances: nil)
                if !seen.mistakes.contains(where: { $0.mistake == candidate.mistake }) {
                    if refuted == nil { refuted = (candidate.mistake, other) }
                    continue candidates
                }
            }
            return (candidate.mistake, candidate.explanation)
        }
        if let (variant, operand) = transposeVariant(formula, claim: claim, points: points, evaluator: &evaluator) {
            return (.missingTranspose, "backward multiplies by the transpose of \(operand): \(claim.left) = \(variant)")
        }
        if let refuted {
            let here = index == 0 ? "the given point" : "random point \(index)"
            let there = refuted.point == 0 ? "the given point" : "random point \(refuted.point)"
            return (nil, "not a \(refuted.mistake.phrase): that fits at \(here) but not at \(there); \(claim.subject) is simply not \(claim.left)")
        }
        return (nil, found.plain)
    }

    /// When every wrong entry of a number (or tensor) written with decimals is the engine's value cut off
    /// after those decimals rather than rounded: `-0.196612 rounded to 3 decimals is -0.197`.
    static func truncation(_ claimed: Tensor, engine: Tensor, tolerances: [Double]?) -> String? {
        guard let tolerances, claimed.shape == engine.shape, tolerances.count == claimed.count else { return nil }
        var example: String? = nil
        for i in 0..<claimed.count {
            let c = claimed.storage[i], e = engine.storage[i], tolerance = tolerances[i]
            if Swift.abs(c - e) <= tolerance { continue }
            guard tolerance > 0, c.isFinite, e.isFinite, let decimals = Rounding.decimals(ofTolerance: tolerance),
                  Rounding.isTruncation(c, of: e, decimals: decimals) else { return nil }
            if example == nil {
                example = "\(format(Tensor(scalar: e))) rounded to \(decimals) decimal\(decimals == 1 ? "" : "s") is \(Rounding.fixed(e, decimals: decimals)), not \(Rounding.fixed(c, decimals: decimals))"
            }
        }
        return example
    }

    /// A variant of `formula` with one operand of an `@` transposed (or a `transpose(…)` dropped) that
    /// agrees with the engine at every point: the variant and the operand.
    static func transposeVariant(_ formula: String, claim: Claim, points: [Point], evaluator: inout Evaluator) -> (String, String)? {
        for (variant, operand) in Notation.transposedVariants(formula) {
            var agreesEverywhere = true
            var tried = 0
            for index in points.indices {
                guard let program = evaluator.gradients(index, points[index], of: claim.ofNode) else { continue }
                guard let value = try? formulaValue(variant, names: names(of: program)).value,
                      agree(value, engineGradient(program, of: claim.ofNode, withRespectTo: claim.withRespectToNode), tolerances: nil) else {
                    agreesEverywhere = false; break
                }
                tried += 1
            }
            if agreesEverywhere && tried > 0 { return (variant, operand) }
        }
        return nil
    }

    /// For a formula whose `@` has mismatched sizes: a variant with one operand transposed that
    /// evaluates to `shape` (B's shape), as a hint.
    static func transposeHint(_ formula: String, names: [(name: String, value: Tensor)], shape: [Int]) -> String? {
        for (variant, _) in Notation.transposedVariants(formula) {
            if let value = try? formulaValue(variant, names: names).value, value.shape == shape { return variant }
        }
        return nil
    }
}

/// How people round: the decimals a tolerance stands for, and whether a figure was cut off instead.
public enum Rounding {
    /// The decimals of a tolerance of half a unit in the last place: 0.0005 → 3. Nil for others.
    public static func decimals(ofTolerance tolerance: Double) -> Int? {
        guard tolerance > 0, tolerance.isFinite else { return nil }
        let exact = -Foundation.log10(2 * tolerance)
        let rounded = exact.rounded()
        return Swift.abs(exact - rounded) < 1e-9 && rounded >= 0 && rounded <= 17 ? Int(rounded) : nil
    }

    /// The decimals written in a number's shortest form: -0.196 → 3, 3 → 0, 1.5e-3 → 4.
    public static func decimals(of value: Double) -> Int {
        guard value.isFinite else { return 0 }
        var text = "\(value)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var decimals = 0
        if let dot = text.firstIndex(of: ".") {
            let fraction = text[text.index(after: dot)...]
            decimals = fraction == "0" ? 0 : fraction.count
        }
        return Swift.max(0, decimals - exponent)
    }

    /// `value` cut off after `decimals` decimals (toward zero).
    public static func truncated(_ value: Double, decimals: Int) -> Double {
        let scale = Foundation.pow(10, Double(decimals))
        // A hair of slack so that 0.29 * 100 = 28.999999999999996 still cuts to 29.
        return (value * scale * (1 + 1e-12)).rounded(.towardZero) / scale
    }

    /// `value` rounded to `decimals` decimals.
    public static func rounded(_ value: Double, decimals: Int) -> Double {
        let scale = Foundation.pow(10, Double(decimals))
        return (value * scale).rounded() / scale
    }

    /// Whether `given` is `value` cut off after `decimals` decimals, where rounding gives another figure.
    public static func isTruncation(_ given: Double, of value: Double, decimals: Int) -> Bool {
        let scale = Foundation.pow(10, Double(decimals))
        let cut = truncated(value, decimals: decimals), round = rounded(value, decimals: decimals)
        return Swift.abs(cut - round) * scale > 0.5 && Swift.abs(given - cut) * scale < 1e-6
    }

    /// `-0.197`: fixed-point with exactly `decimals` decimals.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
