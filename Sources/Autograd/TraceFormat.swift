import Foundation

/// The one formatter for numbers and formulas in traces, tables, JSON and diagrams.
public enum TraceFormat {
    /// A number in the shortest form that reads back exactly, without a trailing `.0`: `-4`, `0.5`, `1e-08`.
    public static func number(_ value: Double) -> String {
        if value == 0 { return "0" }   // also folds −0 into 0
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        // Swift writes integers up to 2^53 as `4000000000000000.0`: print those as integers.
        if value == value.rounded() && Swift.abs(value) <= 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A number rounded to `digits` significant digits, for diagrams and tables: `-0.666667`.
    public static func number(_ value: Double, significantDigits digits: Int) -> String {
        if value == 0 || !value.isFinite || (value == value.rounded() && Swift.abs(value) < 1e15) { return number(value) }
        var text = String(format: "%.\(max(1, digits))g", value)
        if text.contains("e") { return text }
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// A tensor as nested brackets (`[[1, 2], [3, 4]]`), a scalar as a number.
    public static func tensor(_ value: Tensor, significantDigits: Int? = nil) -> String {
        let format: (Double) -> String = { x in significantDigits.map { number(x, significantDigits: $0) } ?? number(x) }
        if value.isScalar { return format(value.scalar) }
        // An empty tensor prints as NumPy prints it, `[]`, whatever its shape: the work is per
        // entry, never per position of an axis ([1000000, 0] would be a million `[]`s).
        if value.count == 0 { return "[]" }
        func nest(_ axis: Int, _ offset: Int) -> String {
            let strides = Tensor.strides(of: value.shape)
            let items = (0..<value.shape[axis]).map { i -> String in
                axis == value.rank - 1 ? format(value.storage[offset + i]) : nest(axis + 1, offset + i * strides[axis])
            }
            return "[" + items.joined(separator: ", ") + "]"
        }
        return nest(0, 0)
    }

    /// Replaces the whole words `x`, `y` and `f` of a local-gradient template with operand and result labels.
    public static func substitute(_ template: String, operands: [String], result: String) -> String {
        Template(template).filled(operands: operands, result: result)
    }

    /// A local-gradient template split once into text and the words `x`, `y` and `f`: a trace fills
    /// the templates of every edge, and splitting them each time was a fifth of taking a trace (perf).
    struct Template: Sendable {
        enum Part: Sendable { case text(String), operand(Int), result }
        let parts: [Part]

        init(_ template: String) {
            var parts: [Part] = []
            var text = "", word = ""
            func flush() {
                switch word {
                case "x": parts.append(.text(text)); text = ""; parts.append(.operand(0))
                case "y": parts.append(.text(text)); text = ""; parts.append(.operand(1))
                case "f": parts.append(.text(text)); text = ""; parts.append(.result)
                default: text += word
                }
                word = ""
            }
            // Scalars, not characters: the templates are the primitives' own text, with no combining marks.
            for scalar in template.unicodeScalars {
                if isWordScalar(scalar) { word.unicodeScalars.append(scalar) } else { flush(); text.unicodeScalars.append(scalar) }
            }
            flush()
            parts.append(.text(text))
            self.parts = parts.filter { if case .text(let text) = $0 { return !text.isEmpty }; return true }
        }

        /// The template with its words replaced; an operand the node does not have stays its letter.
        func filled(operands: [String], result: String) -> String {
            filled(operands.first, operands.count > 1 ? operands[1] : nil, result: result)
        }

        /// The template with `x` replaced by `first`, `y` by `second` and `f` by `result`: no
        /// array of labels per node (an allocation for each of a trace's operations).
        func filled(_ first: String?, _ second: String?, result: String) -> String {
            var output = ""
            for part in parts {
                switch part {
                case .text(let text): output += text
                case .operand(0): output += first.map(wrap) ?? "x"
                case .operand: output += second.map(wrap) ?? "y"
                case .result: output += wrap(result)
                }
            }
            return output
        }

        /// Every primitive's templates, split once.
        static let table: [[Template]] = Primitive.table.map { $0.localGradient.map(Template.init) }
    }

    /// Whether a scalar continues a word of a template: letters, decimal digits and `_`, but not
    /// superscripts (`²`) or modifier letters (`ᵀ`), so `y²` and `yᵀ` are the word `y` and a mark.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let byte = UInt8(scalar.value)
            return byte == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .otherLetter, .decimalNumber: return true
        default: return false
        }
    }

    /// `text` with each whole word that is a key of `names` replaced by its value: a formula or a
    /// statement in a lesson's own names (`∂n6/∂n2 = 1` → `∂n3/∂n1 = 1`). Words are ASCII letters,
    /// digits and `_`: in `n29²` the square is not part of the name.
    public static func rename(_ text: String, names: [String: String]) -> String {
        guard !names.isEmpty else { return text }
        var output = "", word = ""
        func flush() { output += names[word] ?? word; word = "" }
        for character in text {
            if character.isASCII && (character.isLetter || character.isNumber || character == "_") { word.append(character) } else { flush(); output.append(character) }
        }
        flush()
        return output
    }

    /// `∂result/∂input = formula`, an edge's local gradient in words. Built in one piece of
    /// memory of the right size, or none when it fits in a String's own 15 bytes: interpolation
    /// reserves memory first, an allocation for every edge of a trace (dhat).
    static func statement(_ result: String, _ input: String, _ formula: String) -> String {
        let length = 3 + result.utf8.count + 4 + input.utf8.count + 3 + formula.utf8.count
        var text = ""
        if length > 15 { text.reserveCapacity(length) }
        statement(result, input, formula, literal: { text += $0.description }, text: { text += $0 })
        return text
    }

    /// The statement `∂result/∂input = formula` in its parts, in order: the fixed text (`∂`, `/∂`,
    /// ` = `) to `literal`, the labels and the formula to `text`. For writers that need no String of
    /// the whole (the trace's JSON, which need not look at the fixed text for characters to escape).
    public static func statement(_ result: String, _ input: String, _ formula: String,
                                 literal: (StaticString) -> Void, text: (String) -> Void) {
        literal("∂"); text(result); literal("/∂"); text(input); literal(" = "); text(formula)
    }

    /// Wraps a negative number in parentheses so `x·y` reads `(-2)·y`, not `-2·y` ambiguity-free.
    static func wrap(_ label: String) -> String { label.hasPrefix("-") ? "(\(label))" : label }

    /// An attribute as a program writes it.
    public static func describe(_ attribute: OperationAttribute) -> String {
        switch attribute {
        case .axis(let axis): return "axis \(axis)"
        case .shape(let shape): return Tensor.describe(shape: shape)
        case .index(let components): return "[" + components.map(\.description).joined(separator: ", ") + "]"
        case .window(let size, let stride, let padding): return "\(size)×\(size), stride \(stride), padding \(padding)"
        case .permutation(let dims): return "dims (" + dims.map(String.init).joined(separator: ", ") + ")"
        }
    }
}

extension Tensor: CustomStringConvertible {
    /// The tensor as nested brackets, numbers in their shortest exact form.
    public var description: String { TraceFormat.tensor(self) }
}
