import Foundation
import Support
import TOMLKit

/// How a lesson's exercise inputs vary from student to student (`[exercise_inputs]`, docs/grading.md,
/// "A variant per student"). The lesson's worked example (its `[inputs]`, narration and checks) stays
/// on the notes' numbers; only the exercises are asked at a student's own values.
///
/// ```toml
/// [exercise_inputs]
/// x = { from = -5, to = 5, step = 1, not = [0] }   # every value from -5 to 5 in steps of 1, but 0
/// z = { values = [-4, -3, 2, 3] }                 # one of these
/// ```
///
/// A tensor input varies entry by entry: each entry is drawn from the same range, the shape stays
/// the one `[inputs]` gives. Which value a student gets is decided in Grading (`ExerciseVariant`):
/// this type only holds the ranges and turns drawn indices into the `--at` text of the inputs.
public struct ExerciseInputs: Sendable, Equatable {
    /// One input that varies: its name, the values an entry may take, and its shape (empty: a scalar).
    public struct Range: Sendable, Equatable {
        public let name: String
        /// The values an entry may take, in increasing order, none twice, each finite.
        public let values: [Double]
        /// The shape of the input in `[inputs]` (empty for a number).
        public let shape: [Int]
        public let line: Int
        /// The notes' value of each entry, in row-major order (`[inputs]`).
        public let notes: [Double]
        /// How many entries the input has (1 for a number).
        public var entries: Int { shape.reduce(1, *) }
    }

    /// The inputs that vary, in name order (the order in which they are drawn).
    public let ranges: [Range]
    /// Each input of `[inputs]` in file order: its name and its literal (`-2`, `[1,2]`), for the inputs
    /// that do not vary.
    let fixed: [(name: String, literal: String)]

    public static func == (a: ExerciseInputs, b: ExerciseInputs) -> Bool {
        a.ranges == b.ranges && a.fixed.map(\.name) == b.fixed.map(\.name) && a.fixed.map(\.literal) == b.fixed.map(\.literal)
    }

    /// At most this many values in one range, and this many entries drawn in all.
    public static let maximumValues = 10_000
    public static let maximumEntries = 1_000
    static let rangeKeys = ["from", "to", "step", "not", "values"]

    /// The `--at` text of the inputs with the varied ones set from `draw`, which gives, for each varied
    /// input in `ranges` order and each of its entries in row-major order, an index into its values.
    public func inputs(drawing draw: (Range) -> Int) -> (text: String, values: [String: [Double]]) {
        var chosen: [String: [Double]] = [:]
        for range in ranges {
            chosen[range.name] = (0..<range.entries).map { _ in range.values[draw(range)] }
        }
        let text = fixed.map { name, literal in
            guard let values = chosen[name], let range = ranges.first(where: { $0.name == name }) else { return "\(name)=\(literal)" }
            return "\(name)=" + ExerciseInputs.literal(values[...], shape: range.shape[...])
        }.joined(separator: ",")
        return (text, chosen)
    }

    static func literal(_ values: ArraySlice<Double>, shape: ArraySlice<Int>) -> String {
        guard let size = shape.first else { return ExerciseInputs.number(values.first!) }
        let inner = max(1, values.count / max(size, 1))
        return "[" + (0..<size).map { index in
            let start = values.startIndex + index * inner
            return literal(values[start..<(start + inner)], shape: shape.dropFirst())
        }.joined(separator: ",") + "]"
    }

    /// A drawn value as the `--at` text writes it: whole numbers without a decimal point.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// Reads `[exercise_inputs]` against the lesson's `[inputs]`.
    /// - Throws: `badInput` at the key's line and column: an input the lesson does not have, a range
    ///   that is empty, not finite, has fewer than two values or too many.
    init(_ table: TOMLTable, inputs: TOMLTable, text lines: [String], file: String) throws(WorkbenchFailure) {
        // Where the section and its keys stand (TOMLKit gives no places).
        let header = lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("[exercise_inputs]") } ?? 0
        func place(_ key: String?) -> SourceLocation {
            if let key {
                for index in (header + 1)..<max(header + 1, lines.count) {
                    let line = lines[index]
                    let trimmed = line.drop { $0 == " " || $0 == "\t" }
                    if trimmed.hasPrefix("[") { break }
                    if trimmed.hasPrefix(key), trimmed.dropFirst(key.count).drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("=") {
                        return SourceLocation(file: file, line: index + 1, column: line.count - trimmed.count + 1)
                    }
                }
            }
            return SourceLocation(file: file, line: header + 1, column: 1)
        }
        func fail(_ key: String?, _ message: String) -> WorkbenchFailure { .badInput(message, at: place(key)) }

        var fixed: [(name: String, literal: String)] = []
        var shapes: [String: [Int]?] = [:]
        for key in inputs.keys {
            let value = inputs[key]!
            if let array = value.array {
                fixed.append((key, Lesson.literal(array)))
                shapes.updateValue(ExerciseInputs.shape(of: array), forKey: key)
            } else {
                fixed.append((key, value.double.map { "\($0)" } ?? value.int.map { "\($0)" } ?? "nan"))
                shapes.updateValue([], forKey: key)
            }
        }
        var ranges: [Range] = []
        var entries = 0
        for name in table.keys.sorted() {
            let location = place(name)
            guard let known = shapes[name] else {
                let names = fixed.map(\.name)
                let suggestion = names.min { editDistance(name, $0) < editDistance(name, $1) }.flatMap { editDistance(name, $0) <= 2 ? $0 : nil }
                throw fail(name, "[exercise_inputs]: '\(name)' is not an input of the lesson ([inputs])" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; its inputs are " + names.joined(separator: ", ")))
            }
            guard let shape = known else {
                throw fail(name, "[exercise_inputs]: '\(name)' is not a rectangular array of numbers in [inputs], so it cannot vary")
            }
            guard let spec = table[name]!.table else {
                throw fail(name, "[exercise_inputs]: '\(name)' must be a table, { from = -5, to = 5, step = 1, not = [0] } or { values = [1, 2, 3] }")
            }
            for key in spec.keys.sorted() where !Self.rangeKeys.contains(key) {
                throw fail(name, "[exercise_inputs]: '\(name)' has an unknown key '\(key)'; a range has " + Self.rangeKeys.joined(separator: ", "))
            }
            func number(_ value: TOMLValueConvertible?, _ what: String) throws(WorkbenchFailure) -> Double {
                guard let value else { throw fail(name, "[exercise_inputs]: '\(name)' needs '\(what)'") }
                let double = value.double ?? value.int.map(Double.init)
                guard let double, double.isFinite, abs(double) <= 1e9 else {
                    throw fail(name, "[exercise_inputs]: '\(name)'.\(what) must be a finite number of at most 1e9 in size")
                }
                return double
            }
            var values: [Double]
            if let list = spec["values"] {
                guard spec["from"] == nil, spec["to"] == nil, spec["step"] == nil else {
                    throw fail(name, "[exercise_inputs]: '\(name)' gives 'values' and a range; give one of them")
                }
                guard let array = list.array, array.count <= Self.maximumValues else {
                    throw fail(name, "[exercise_inputs]: '\(name)'.values must be an array of at most \(Self.maximumValues) numbers")
                }
                values = []
                for item in array { values.append(try number(item, "values")) }
            } else {
                let from = try number(spec["from"], "from"), to = try number(spec["to"], "to"), step = try number(spec["step"], "step")
                guard step > 0 else { throw fail(name, "[exercise_inputs]: '\(name)'.step must be more than 0") }
                guard from <= to else { throw fail(name, "[exercise_inputs]: '\(name)' is empty: 'from' (\(ExerciseInputs.number(from))) is more than 'to' (\(ExerciseInputs.number(to)))") }
                let span = ((to - from) / step * (1 + 1e-12)).rounded(.down)
                // (to − from) / step may be infinite for a tiny step: compared as a Double, never made an Int first.
                guard span < Double(Self.maximumValues) else {
                    throw fail(name, "[exercise_inputs]: '\(name)' has more than \(Self.maximumValues) values; at most \(Self.maximumValues) (make 'step' larger)")
                }
                // Decimals as written (0.1, 0.25), so that from + k·step prints as the teacher wrote it.
                let scale = pow(10, Double(max(ExerciseInputs.decimals(from), ExerciseInputs.decimals(step))))
                values = (0...Int(span)).map { k in ((from + Double(k) * step) * scale).rounded() / scale }
            }
            var excluded: [Double] = []
            if let not = spec["not"] {
                guard let array = not.array else { throw fail(name, "[exercise_inputs]: '\(name)'.not must be an array of numbers") }
                for item in array { excluded.append(try number(item, "not")) }
            }
            values = Array(Set(values.filter { value in !excluded.contains { abs($0 - value) <= 1e-12 * max(1, abs(value)) } })).sorted()
            guard values.count >= 2 else {
                throw fail(name, "[exercise_inputs]: '\(name)' leaves \(values.count) value\(values.count == 1 ? "" : "s"); a varied input needs at least 2")
            }
            entries += shape.reduce(1, *)
            guard entries <= Self.maximumEntries else {
                throw fail(name, "[exercise_inputs]: more than \(Self.maximumEntries) entries vary in all; vary smaller inputs")
            }
            ranges.append(Range(name: name, values: values, shape: shape, line: location.line ?? 1, notes: ExerciseInputs.flatten(inputs[name]!)))
        }
        guard !ranges.isEmpty else { throw fail(nil, "[exercise_inputs] is empty: name an input and its range, x = { from = -5, to = 5, step = 1 }") }
        self.ranges = ranges
        self.fixed = fixed
    }

    /// The shape of a rectangular TOML array (nil when ragged or not numbers).
    static func shape(of array: TOMLArray) -> [Int]? {
        guard let first = array.first else { return [0] }
        if let inner = first.array {
            guard let innerShape = shape(of: inner) else { return nil }
            for item in array { guard let other = item.array, shape(of: other) == innerShape else { return nil } }
            return [array.count] + innerShape
        }
        for item in array where item.double == nil && item.int == nil { return nil }
        return [array.count]
    }

    /// The numbers of a value in row-major order.
    static func flatten(_ value: TOMLValueConvertible) -> [Double] {
        if let array = value.array { return array.flatMap { flatten($0) } }
        return [value.double ?? value.int.map(Double.init) ?? .nan]
    }

    /// Decimal places of a number as written (at most 9).
    static func decimals(_ value: Double) -> Int {
        var scaled = value, places = 0
        while places < 9, abs(scaled - scaled.rounded()) > 1e-9 * max(1, abs(scaled)) { scaled *= 10; places += 1 }
        return places
    }
}

extension Lesson {
    /// This lesson with its exercises asked at other inputs (`--at` text): a student's variant. The
    /// worked example of the copy is not run; only its exercises are (Grading's `ExerciseVariant`).
    public func askingExercises(at inputs: String) -> Lesson {
        var copy = self
        copy.inputs = inputs
        return copy
    }
}
