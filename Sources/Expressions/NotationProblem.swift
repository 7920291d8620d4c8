import Autograd

/// What is wrong with a quantity, a claim, a condition or an answer: how it is written (the
/// parser's problems) or what it names in a run (the resolver's, Claims/Resolver.swift). Each case
/// carries what its sentence needs; nothing reads the sentence back.
public enum NotationProblem: Sendable, Equatable {
    // MARK: Written

    /// A claim without `=`.
    case expectedEquals
    /// A claim that does not start with `dA/dB` or `∂A/∂B`.
    case claimStart
    /// `dA` not followed by `/`.
    case expectedSlash(of: String)
    /// `dA/` not followed by `d` or `∂`.
    case expectedD(of: String)
    /// `d` or `∂` not followed by a name: what was found instead.
    case expectedName(found: String)
    /// Something between the left side and `=`.
    case unexpectedAfterLeft(found: String, of: String, by: String)
    /// Nothing after `=`.
    case missingRightSide
    /// A second `=`.
    case twoEquals
    /// A `;` in the right side.
    case oneExpression
    /// A line break in a claim.
    case oneLine
    /// Not a quantity: what was found.
    case expectedQuantity(found: String)
    /// An entry not written with whole numbers (`s[a]`, `s[1:2]`).
    case entryNotWhole
    /// A condition without a comparison.
    case expectedComparison
    /// A condition written with `=` or with two comparisons.
    case comparisonOperator
    /// Two comparisons in one condition.
    case oneComparison
    /// A side of a comparison that is not one number.
    case comparisonOfTensors
    /// A gradient, `updated w`, written where only the program's names can stand (a claim's right side).
    case quantityInFormula(String)

    // MARK: Resolved against a run

    /// A name the program does not define, where it was written (`the claim's left side`), and the
    /// program's names for the hint.
    case unknownName(String, in: String, names: [String])
    /// ∂A/∂B with B a constant of the program.
    case constant(String, value: String)
    /// ∂A/∂B with B computed from constants only.
    case independent(String)
    /// ∂A/∂B with A not a scalar.
    case notScalar(String, shape: [Int], by: String)
    /// An entry the value does not have.
    case noSuchEntry(String, shape: [Int])
    /// A value of several entries where one number is asked for (a lesson's check).
    case oneNumber(String, shape: [Int], example: String)
    /// `updated w` in a lesson without an `[update]` section.
    case needsUpdate
    /// The run has no such figure (backward failed from that node).
    case noValue(String)

    /// The sentence, without place.
    public var message: String {
        let example = "write a claim as dA/dB = right side, e.g. df/dx = z"
        switch self {
        case .expectedEquals: return "expected '=' in the claim; \(example)"
        case .claimStart: return "a claim starts with dA/dB or ∂A/∂B (A and B names of the program); \(example)"
        case .expectedSlash(let of): return "expected '/' after d\(of), as in d\(of)/dx"
        case .expectedD(let of): return "expected d or ∂ after '/', as in d\(of)/dx"
        case .expectedName(let found): return "expected a name after 'd' or '∂', found \(found); \(example)"
        case .unexpectedAfterLeft(let found, let of, let by): return "unexpected \(found) after d\(of)/d\(by); the right side comes after '='"
        case .missingRightSide: return "missing the right side after '='; \(example)"
        case .twoEquals: return "a claim has one '='; the right side is a number, a tensor or a formula"
        case .oneExpression: return "the right side is one expression; give each claim with its own --claim"
        case .oneLine: return "a claim is one line; give each claim with its own --claim"
        case .expectedQuantity(let found):
            return "expected a quantity: a name (q), an entry (s[2]), a gradient (df/dx or ∂f/∂x) or updated w, found \(found)"
        case .entryNotWhole: return "an entry is written with whole numbers, e.g. s[0] or W[1, 2]"
        case .expectedComparison: return "expected a comparison such as df/dx < 0"
        case .comparisonOperator: return "write the comparison as <, <=, >, >=, == or !="
        case .oneComparison: return "one comparison per condition"
        case .comparisonOfTensors: return "both sides must be numbers"
        case .quantityInFormula(let quantity):
            return "\(quantity) cannot be part of a claim's right side; write it with the program's names"
        case .unknownName(let name, let place, let names):
            return "unknown name '\(name)' in \(place); " + NotationProblem.hint(for: name, among: names)
        case .constant(let name, let value):
            return "\(name) is a constant (\(name) = \(value) in the program), and backward sends constants no gradient; to claim about it, drop that assignment and give --at \(name)=\(value)"
        case .independent(let name):
            return "\(name) depends on no input (it is computed from constants only), so backward computes no gradient for it, as PyTorch's requires_grad; claim about an input instead"
        case .notScalar(let name, let shape, let by):
            return "\(name) has shape \(Tensor.describe(shape: shape)); a claim's A must be a scalar: name one in the program, e.g. s = sum(\(name)), and claim about ds/d\(by)"
        case .noSuchEntry(let what, let shape): return "no such entry in \(what), of shape \(Tensor.describe(shape: shape))"
        case .oneNumber(let what, let shape, let example): return "\(what) has shape \(Tensor.describe(shape: shape)); name one entry, e.g. \(example)"
        case .needsUpdate: return "'updated' needs the lesson's [update] section"
        case .noValue(let what): return "\(what) has no value"
        }
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
}
