import Autograd
import Expressions
import Foundation
import TOMLKit
import Support
import Claims
import ModelFiles
import Lessons
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The limits on what a submission may hold.
public enum AnswerLimits {
    /// The largest answer file read, in bytes.
    public static let fileBytes = 65_536
    /// The deepest nesting of arrays and tables in an answer file.
    public static let nesting = 8
    /// The longest formula (or number written as text).
    public static let formulaCharacters = 1_000
    /// The most numbers inside tensor literals of one formula, and their deepest nesting.
    public static let literalNumbers = 100
    public static let literalDepth = 2
    /// The deepest nesting of parentheses and brackets in a formula.
    public static let formulaDepth = 64
    /// The most entries of a vector or matrix answer.
    public static let tensorEntries = 10_000
    /// Grading time per submission: exercises left when it runs out get 0 with a reason.
    public static let secondsPerSubmission = 2.0
    /// The longest student id and name.
    public static let studentCharacters = 64
    public static let nameCharacters = 200
    /// The functions a formula may call: those that never make a tensor larger than their operands
    /// (no reshape), so evaluation stays small.
    public static let functions: Set<String> = [
        "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu", "abs", "step", "softplus",
        "min", "max", "matmul", "transpose", "sum", "mean", "log_softmax",
    ]

    /// Why a formula (or a number written as text) is refused before it is evaluated, or nil.
    public static func formulaProblem(_ text: String) -> String? {
        let characters = Array(text)
        guard characters.count <= formulaCharacters else { return "the formula is longer than \(formulaCharacters) characters" }
        if characters.contains(where: { $0 == "\n" || $0 == "\r" || $0 == ";" }) { return "a formula is one expression on one line" }
        if let bad = characters.first(where: { $0.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) } }) {
            return "the formula holds a control character (U+\(String(bad.unicodeScalars.first!.value, radix: 16, uppercase: true)))"
        }
        // The one lexer reads the formula (the notes' notation included); a text it cannot read
        // passes here and gets its positioned error from the parser.
        guard let outline = try? Notation.outline(text) else { return nil }
        if let call = outline.calls.first(where: { !functions.contains($0) }) {
            return "'\(call)(…)' is not allowed in an answer; the functions are " + functions.sorted().joined(separator: ", ")
        }
        if outline.literalNumbers > AnswerLimits.literalNumbers { return "the tensors written in the formula hold more than \(AnswerLimits.literalNumbers) numbers" }
        if outline.literalDepth > AnswerLimits.literalDepth { return "a tensor written in a formula may be nested \(AnswerLimits.literalDepth) deep at most" }
        if outline.deepest > formulaDepth { return "the formula is nested deeper than \(formulaDepth) parentheses" }
        return nil
    }

    /// The deepest nesting of `[` and `{` in TOML text, outside strings and comments.
    static func tomlNesting(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        var depth = 0, deepest = 0
        var index = 0
        func at(_ i: Int, _ s: String) -> Bool { let s = Array(s.utf8); return i + s.count <= bytes.count && Array(bytes[i..<(i + s.count)]) == s }
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "#") {
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            }
            if at(index, "\"\"\"") || at(index, "'''") {
                let quote = String(UnicodeScalar(b))
                let fence = quote + quote + quote
                index += 3
                while index < bytes.count && !at(index, fence) {
                    if quote == "\"" && bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
                index += 3
                continue
            }
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                index += 1
                while index < bytes.count && bytes[index] != b && bytes[index] != UInt8(ascii: "\n") {
                    if b == UInt8(ascii: "\"") && bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
                index += 1
                continue
            }
            if b == UInt8(ascii: "[") || b == UInt8(ascii: "{") { depth += 1; deepest = max(deepest, depth) }
            if b == UInt8(ascii: "]") || b == UInt8(ascii: "}") { depth = max(0, depth - 1) }
            index += 1
        }
        return deepest
    }
}
