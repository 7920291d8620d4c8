import Autograd
import Expressions
import Foundation
import Support

extension ClaimCheck {
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
        // Any line break, "\r\n" included (one Character, which firstIndex(of: "\n") would not find).
        if let newline = characters.firstIndex(where: \.isNewline) { throw fail("a claim is one line; give each claim with its own --claim", at: newline) }
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
        if !graph.requiresGradient(by) && by != of {
            throw fail("\(byName) depends on no input (it is computed from constants only), so backward computes no gradient for it, as PyTorch's requires_grad; claim about an input instead", at: byColumn)
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
                    if message.contains("in '@'"), let variant = transposeHint(right, names: given, shape: graph.shape(of: by)) {
                        message += "; backward multiplies by the transpose: did you mean \(variant)?"
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
}
