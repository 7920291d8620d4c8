import Autograd
import Expressions
import Foundation
import Support

extension ClaimCheck {
    // MARK: - Reading claims

    /// The value of a formula over `names` (the notes' notation accepted), and whether it uses any of them.
    public static func formulaValue(_ formula: String, names: [(name: String, value: Tensor)]) throws(ExpressionError) -> (value: Tensor, usesNames: Bool) {
        try Notation.evaluate(formula, names: names)
    }

    /// Parses `dA/dB = right` (or `∂A/∂B = right`) against the program's names (`backprop check --claim`).
    /// - Throws: `WorkbenchFailure.badInput` with the column inside the claim and a caret under it.
    public static func parse(_ text: String, program: Program) throws(WorkbenchFailure) -> Claim {
        do { return try claim(text, program: program) } catch {
            // The claim is one line: the caret goes under the column in it.
            let column = error.position?.column
            let detail = text.count < 200 && !text.contains(where: \.isNewline)
                ? column.map { "    " + text + "\n    " + String(repeating: " ", count: Swift.max(0, $0 - 1)) + "^" } : nil
            throw .badInput(error.message, at: SourceLocation(file: "--claim", column: column), detail: detail ?? error.detail)
        }
    }

    /// A whole claim `dA/dB = right` read by the one parser and resolved by the one resolver; the
    /// error's column counts in `text`. `end` names the end of the text in messages.
    public static func claim(_ text: String, program: Program) throws(ExpressionError) -> Claim {
        let given = names(of: program)
        let written: ClaimText
        do { written = try Notation.claim(text, names: given) } catch {
            // For a product of mismatched sizes, the right side and B, for the hint.
            let left = try? Notation.claimLeft(text)
            let by = left.flatMap { try? Resolver(program: program).gradientNodes($0.left, in: "the claim's left side").by }
            throw rightSideError(error, right: left?.right, program: program, names: given, by: by)
        }
        let (of, by) = try Resolver(program: program).gradientNodes(written.left, in: "the claim's left side")
        return Claim(text: text, of: written.left.names[0], withRespectTo: written.left.names[1], ofNode: of, withRespectToNode: by,
                     right: written.right, kind: rightKind(written.right, value: written.value, usesNames: written.usesNames, isLiteral: written.isLiteral))
    }

    /// The claim `left = right` for a left side already resolved (an exercise's), `right` read alone:
    /// a student's formula, whose columns are the student's own.
    public static func claim(about left: Claim, right: String, program: Program, end: String = "the end of the answer") throws(ExpressionError) -> Claim {
        let given = names(of: program)
        let value: (value: Tensor, usesNames: Bool)
        do { value = try Notation.evaluate(right, names: given, end: end) } catch {
            throw rightSideError(error, right: right, program: program, names: given, by: left.withRespectToNode)
        }
        let trimmed = String(right.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        return Claim(text: "\(left.left) = \(trimmed)", of: left.of, withRespectTo: left.withRespectTo, ofNode: left.ofNode,
                     withRespectToNode: left.withRespectToNode, right: trimmed,
                     kind: rightKind(trimmed, value: value.value, usesNames: value.usesNames, isLiteral: (try? InputValues.literal(trimmed)) != nil))
    }

    /// The left side of a claim alone (`df/dx`, an exercise's `answer`), resolved: a claim whose right side is empty.
    public static func left(_ text: String, program: Program) throws(ExpressionError) -> Claim {
        let quantity = try Notation.quantity(text)
        guard case .gradient(let ofName, let byName) = quantity.kind, quantity.entry == nil else {
            throw ExpressionError(.notation(.claimStart), at: quantity.position)
        }
        let (of, by) = try Resolver(program: program).gradientNodes(quantity, in: "the claim's left side")
        return Claim(text: quantity.description, of: ofName, withRespectTo: byName, ofNode: of, withRespectToNode: by, right: "", kind: .formula(""))
    }

    /// A number or a tensor: exact where it uses names (a formula), else to the digits written.
    static func rightKind(_ right: String, value: Tensor, usesNames: Bool, isLiteral: Bool) -> Claim.Right {
        if isLiteral { return .value(value, tolerances: tolerances(of: right, count: value.count)) }
        return usesNames ? .formula(right) : .value(value, tolerances: [Double](repeating: 0, count: value.count))
    }

    /// A right side's error said for a claim: a name it lacks is unknown in the claim's right side; a
    /// product `@` of mismatched sizes gets the transposed variant that fits B, when one does.
    static func rightSideError(_ error: ExpressionError, right: String?, program: Program, names given: [(name: String, value: Tensor)],
                               by: NodeID?) -> ExpressionError {
        switch error.kind {
        case .missingInput(let name):
            var placed = ExpressionError(.notation(.unknownName(name, in: "the claim's right side", names: given.map(\.name))), at: error.position)
            placed.sourceLine = error.sourceLine
            return placed
        case .engine(.shapeMismatch(operation: "@", _, _)):
            guard let right, let by, let variant = transposeHint(right, names: given, shape: program.graph.shape(of: by)) else { return error }
            var hinted = ExpressionError(.syntax(error.message + "; backward multiplies by the transpose: did you mean \(variant)?"), at: error.position)
            hinted.sourceLine = error.sourceLine
            return hinted
        default:
            return error
        }
    }

    /// `did you mean 'q'?`, or the list of the program's names.
    public static func hint(for name: String, among names: [String]) -> String { NotationProblem.hint(for: name, among: names) }

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
}
