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

// `backprop grade`: students' answer files (TOML) graded against the answers the engine computes for
// a lesson's exercises (Exercises.swift), one report per file, and a gradebook CSV for a directory.
// Nothing a student writes is executed: the file is read by TOMLKit, formulas by the expression
// language, under the limits below. The format and the limits are in docs/grading.md.

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
        var depth = 0, literalDepth = 0, literalNumbers = 0
        var previous: Character? = nil
        var index = 0
        while index < characters.count {
            let c = characters[index]
            if c.isLetter || c == "_" {
                var end = index
                while end < characters.count && (characters[end].isLetter || characters[end].isNumber || characters[end] == "_") { end += 1 }
                let name = String(characters[index..<end])
                var next = end
                while next < characters.count && characters[next].isWhitespace { next += 1 }
                if next < characters.count && characters[next] == "(" && !functions.contains(name) {
                    return "'\(name)(…)' is not allowed in an answer; the functions are " + functions.sorted().joined(separator: ", ")
                }
                previous = characters[end - 1]
                index = end
                continue
            }
            if c.isNumber {
                var end = index
                while end < characters.count && (characters[end].isNumber || characters[end] == "." || characters[end] == "e" || characters[end] == "E"
                                                 || ((characters[end] == "-" || characters[end] == "+") && (characters[end - 1] == "e" || characters[end - 1] == "E"))) { end += 1 }
                if literalDepth > 0 {
                    literalNumbers += 1
                    if literalNumbers > AnswerLimits.literalNumbers { return "the tensors written in the formula hold more than \(AnswerLimits.literalNumbers) numbers" }
                }
                previous = characters[end - 1]
                index = end
                continue
            }
            switch c {
            case "(":
                depth += 1
            case "[":
                depth += 1
                // A `[` after a name, `)` or `]` indexes; anywhere else it starts (or nests) a tensor literal.
                let indexes = previous.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ")" || $0 == "]" } ?? false
                if literalDepth > 0 || !indexes {
                    literalDepth += 1
                    if literalDepth > AnswerLimits.literalDepth { return "a tensor written in a formula may be nested \(AnswerLimits.literalDepth) deep at most" }
                }
            case ")":
                depth -= 1
            case "]":
                depth -= 1
                if literalDepth > 0 { literalDepth -= 1 }
            default: break
            }
            if depth > formulaDepth { return "the formula is nested deeper than \(formulaDepth) parentheses" }
            if !c.isWhitespace { previous = c }
            index += 1
        }
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

// MARK: - Submissions

/// An answer as a student wrote it, copied out of the TOML file (so grading never touches TOMLKit).
public indirect enum AnswerValue: Sendable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case string(String)
    case bool(Bool)
    case array([AnswerValue])
    case table([(key: String, value: AnswerValue)])
    /// A date or time: never a valid answer.
    case other(String)

    /// The answer as a short line for reports (at most 80 characters).
    public var description: String {
        let text: String
        switch self {
        case .integer(let value): text = String(value)
        case .number(let value): text = TraceFormat.number(value)
        case .string(let value): text = "\"" + value.replacingOccurrences(of: "\n", with: "\\n") + "\""
        case .bool(let value): text = value ? "true" : "false"
        case .array(let items): text = "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .table(let items): text = "{ " + items.map { "\($0.key) = \($0.value.description)" }.joined(separator: ", ") + " }"
        case .other(let type): text = "(a \(type))"
        }
        return text.count > 80 ? String(text.prefix(77)) + "…" : text
    }

    /// What kind of value it is, for messages.
    var typeName: String {
        switch self {
        case .integer: return "whole number"
        case .number: return "number"
        case .string: return "string"
        case .bool: return "true/false"
        case .array: return "list"
        case .table: return "table"
        case .other(let type): return type
        }
    }

    /// Copies a TOML value, at most `depth` levels deep.
    static func from(_ value: TOMLValueConvertible, depth: Int = 0, budget: inout Int) -> AnswerValue {
        budget -= 1
        guard depth <= AnswerLimits.nesting else { return .other("value nested too deep") }
        guard budget >= 0 else { return .other("value beyond the limit of 20,000 values per file") }
        switch value.type {
        case .int: return value.int.map(AnswerValue.integer) ?? .other("integer")
        case .double: return value.double.map(AnswerValue.number) ?? .other("number")
        case .string: return value.string.map(AnswerValue.string) ?? .other("string")
        case .bool: return value.bool.map(AnswerValue.bool) ?? .other("boolean")
        case .array:
            guard let array = value.array else { return .other("array") }
            var items: [AnswerValue] = []
            for item in array { items.append(from(item, depth: depth + 1, budget: &budget)); if budget < 0 { break } }
            return .array(items)
        case .table:
            guard let table = value.table else { return .other("table") }
            var items: [(key: String, value: AnswerValue)] = []
            for key in table.keys { if let item = table[key] { items.append((key, from(item, depth: depth + 1, budget: &budget))) } }
            return .table(items)
        case .date: return .other("date")
        case .time: return .other("time")
        case .dateTime: return .other("date-time")
        }
    }
}

/// One student's answer file, read and checked (not yet graded).
public struct Submission: Sendable {
    /// The file, as named in reports.
    public let file: String
    public let student: String
    public let name: String?
    public let lesson: Int
    /// The answers by exercise id, in file order.
    public let answers: [(id: String, value: AnswerValue)]
    /// Things worth telling the teacher that do not cost points (an unknown top-level key).
    public let notes: [String]

    /// Why a submission cannot be graded: one line.
    public struct Rejection: Error, Sendable {
        public let reason: String
        /// The student id, when the file got far enough to say it.
        public let student: String?
    }

    /// Reads a submission from its bytes.
    /// - Throws: `Rejection` for an empty, huge, binary, non-UTF-8, deeply nested or malformed file,
    ///   or one without a valid student id, lesson or [answers] table.
    public init(bytes: [UInt8], file: String) throws(Rejection) {
        self.file = file
        // One line, whatever the reason quotes (toml++'s messages can span lines).
        func reject(_ reason: String, student: String? = nil) -> Rejection {
            Rejection(reason: reason.split(whereSeparator: \.isNewline).joined(separator: " "), student: student)
        }
        guard bytes.count <= AnswerLimits.fileBytes else { throw reject("larger than the limit of \(AnswerLimits.fileBytes / 1024) KB") }
        guard bytes.contains(where: { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }) else { throw reject("empty file") }
        if let offset = bytes.firstIndex(where: { $0 < 32 && $0 != 9 && $0 != 10 && $0 != 13 || $0 == 127 }) {
            throw reject(String(format: "a binary file, not TOML text (byte 0x%02X at offset %d)", bytes[offset], offset))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let valid = String(decoding: bytes, as: UTF8.self)
            let before = valid.firstIndex(of: "\u{FFFD}").map { valid[..<$0] } ?? Substring(valid)
            let line = before.filter { $0 == "\n" }.count + 1
            throw reject("not UTF-8 text (line \(line))")
        }
        let nesting = AnswerLimits.tomlNesting(text)
        guard nesting <= AnswerLimits.nesting else { throw reject("arrays or tables nested \(nesting) deep; the limit is \(AnswerLimits.nesting)") }
        let table: TOMLTable
        do { table = try TOMLGuard.parse(text) } catch {
            if let line = error.line, let column = error.column { throw reject("not valid TOML: line \(line), column \(column): \(error.message)") }
            throw reject("not valid TOML: \(error.message)")
        }

        var notes: [String] = []
        let known = ["student", "name", "lesson", "answers"]
        for key in table.keys.sorted() where !known.contains(key) {
            let suggestion = known.min { editDistance(key, $0) < editDistance(key, $1) }.flatMap { editDistance(key, $0) <= 2 ? "; did you mean '\($0)'?" : nil }
            notes.append("ignored the unknown key \(Submission.printable(key))" + (suggestion ?? ""))
        }
        guard let studentValue = table["student"] else { throw reject("no 'student' (your student id), e.g. student = \"s1234567\"") }
        guard let student = studentValue.string else { throw reject("'student' must be a string, e.g. student = \"s1234567\"") }
        if let problem = Submission.studentIDProblem(student) { throw reject("student id \(Submission.printable(student)): \(problem)") }
        self.student = student
        if let nameValue = table["name"] {
            guard let name = nameValue.string else { throw reject("'name' must be a string", student: student) }
            guard name.count <= AnswerLimits.nameCharacters,
                  !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) || $0.properties.generalCategory == .format }) else {
                throw reject("'name' must be one line of at most \(AnswerLimits.nameCharacters) characters, without control or format characters", student: student)
            }
            self.name = name
        } else { self.name = nil }
        guard let lessonValue = table["lesson"] else { throw reject("no 'lesson' (the lesson's number), e.g. lesson = 1", student: student) }
        guard let lesson = lessonValue.int else { throw reject("'lesson' must be a whole number, e.g. lesson = 1", student: student) }
        self.lesson = lesson
        guard let answersValue = table["answers"] else { throw reject("no [answers] table", student: student) }
        guard let answers = answersValue.table else { throw reject("'answers' must be a table: [answers] and then one line per exercise", student: student) }
        var budget = 20_000
        var list: [(id: String, value: AnswerValue)] = []
        for key in answers.keys {
            guard let value = answers[key] else { continue }
            list.append((key, AnswerValue.from(value, budget: &budget)))
        }
        self.answers = list
        self.notes = notes
    }

    /// Control and format characters (a terminal escape, a right-to-left override) written as \u{…}.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) || $0.properties.generalCategory == .format }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if CharacterSet.controlCharacters.contains(scalar) || scalar.properties.generalCategory == .format {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else { result.unicodeScalars.append(scalar) }
        }
        return result
    }

    /// Why a student id is not accepted, or nil: 1 to 64 letters, digits, spaces and . _ - @ ' (not
    /// starting with - or @, so that no spreadsheet reads it as a formula).
    static func studentIDProblem(_ id: String) -> String? {
        let trimmed = id.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return "empty" }
        guard trimmed == id else { return "starts or ends with a space" }
        guard id.count <= AnswerLimits.studentCharacters else { return "longer than \(AnswerLimits.studentCharacters) characters" }
        guard id.unicodeScalars.allSatisfy({ CharacterSet.letters.contains($0) || CharacterSet.decimalDigits.contains($0) || " ._-@'".unicodeScalars.contains($0) }) else {
            return "use letters, digits, spaces and . _ - @ ' only"
        }
        guard let first = id.first, first != "-", first != "@" else { return "must not start with - or @" }
        return nil
    }

    /// Text from a student made safe for a one-line report: control characters shown as \u{…}, at most 80 characters.
    static func printable(_ text: String) -> String {
        let quoted = "'" + escaped(text) + "'"
        return quoted.count > 82 ? String(quoted.prefix(80)) + "…'" : quoted
    }
}

// MARK: - Grades

/// The verdict on one exercise.
public enum Verdict: String, Sendable {
    case right, wrong, partial, missing
    /// The answer could not be read as the kind asked for (a table for a number, a formula that does not parse).
    case invalid

    var symbol: String {
        switch self {
        case .right: return "✓"
        case .wrong, .invalid: return "✗"
        case .partial: return "◐"
        case .missing: return "·"
        }
    }
}

/// One exercise graded.
public struct ExerciseGrade: Sendable {
    public let id: String
    public let points: Double
    public let maxPoints: Double
    public let verdict: Verdict
    /// The student's answer, shortened.
    public let given: String?
    /// What to tell the student: the mistake, the teacher's feedback, the engine's answer.
    public let feedback: String
    /// The mistake recognized, as `[[exercise.feedback]]` names it.
    public let mistake: String?
}

/// One submission graded (or rejected, with 0 points and a reason).
public struct SubmissionGrade: Sendable {
    public let file: String
    /// The student id, or nil when the file never said it.
    public let student: String?
    public let name: String?
    public let lesson: Int?
    /// Nil when graded; the one-line reason when rejected.
    public let rejection: String?
    public let exercises: [ExerciseGrade]
    public let notes: [String]
    public let maxPoints: Double

    public var points: Double { exercises.map(\.points).reduce(0, +) }

    /// A file rejected before its lesson was known.
    public static func unknown(file: String, student: String? = nil, reason: String) -> SubmissionGrade {
        SubmissionGrade(file: file, student: student, name: nil, lesson: nil, rejection: reason, exercises: [], notes: [], maxPoints: 0)
    }
    /// The id the gradebook files the row under: the student id, else the file's name.
    public var rowID: String { student ?? (file as NSString).lastPathComponent }

    /// The per-exercise report: one line per exercise, then the notes and the total.
    public func report() -> String {
        var lines: [String] = []
        let who = student.map { $0 + (name.map { " (\($0))" } ?? "") } ?? "unknown student"
        lines.append("\(who), lesson \(lesson.map(String.init) ?? "?"): \(file)")
        if let rejection {
            lines.append("  rejected: \(rejection)")
            if !exercises.isEmpty { lines.append("total 0/\(GradeFormat.points(maxPoints))") }
            return lines.joined(separator: "\n")
        }
        let idWidth = exercises.map(\.id.count).max() ?? 0
        let scores = exercises.map { "\(GradeFormat.points($0.points))/\(GradeFormat.points($0.maxPoints))" }
        let scoreWidth = scores.map(\.count).max() ?? 0
        for (grade, score) in zip(exercises, scores) {
            let id = grade.id + String(repeating: " ", count: idWidth - grade.id.count)
            let padded = score + String(repeating: " ", count: scoreWidth - score.count)
            lines.append("  \(grade.verdict.symbol) \(id)   \(padded)   \(grade.feedback)")
        }
        for note in notes { lines.append("note: " + note) }
        lines.append("total \(GradeFormat.points(points))/\(GradeFormat.points(maxPoints))")
        return lines.joined(separator: "\n")
    }

    public func json() -> JSONValue {
        .object([
            "file": .string(file),
            "student": student.map(JSONValue.string) ?? .null,
            "name": name.map(JSONValue.string) ?? .null,
            "lesson": lesson.map { .number(Double($0)) } ?? .null,
            "status": .string(rejection == nil ? "graded" : "rejected"),
            "reason": rejection.map(JSONValue.string) ?? .null,
            "points": .number(GradeFormat.rounded(points)),
            "maxPoints": .number(GradeFormat.rounded(maxPoints)),
            "notes": .array(notes.map(JSONValue.string)),
            "exercises": .array(exercises.map { grade in
                .object([
                    "id": .string(grade.id), "points": .number(GradeFormat.rounded(grade.points)),
                    "maxPoints": .number(GradeFormat.rounded(grade.maxPoints)), "verdict": .string(grade.verdict.rawValue),
                    "given": grade.given.map(JSONValue.string) ?? .null, "feedback": .string(grade.feedback),
                    "mistake": grade.mistake.map(JSONValue.string) ?? .null,
                ])
            }),
        ])
    }
}

/// A value read from an answer, or what is wrong with it.
enum Parsed<Value> {
    case success(Value)
    case failure(String)
    func map<Other>(_ transform: (Value) -> Other) -> Parsed<Other> {
        switch self {
        case .success(let value): return .success(transform(value))
        case .failure(let message): return .failure(message)
        }
    }
}

enum GradeFormat {
    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
    static func points(_ value: Double) -> String { TraceFormat.number(rounded(value)) }
    static func number(_ value: Double) -> String { TraceFormat.number(value, significantDigits: 6) }
}

// MARK: - Grading

extension ExerciseSet {
    /// Grades a submission read from `bytes` (never modified, never executed).
    public func grade(bytes: [UInt8], file: String) -> SubmissionGrade {
        do { return grade(try Submission(bytes: bytes, file: file)) } catch {
            return rejected(file: file, student: error.student, reason: error.reason)
        }
    }

    /// A submission with 0 points and the reason.
    public func rejected(file: String, student: String? = nil, lesson: Int? = nil, reason: String) -> SubmissionGrade {
        SubmissionGrade(file: file, student: student, name: nil, lesson: lesson, rejection: reason,
                        exercises: items.map { ExerciseGrade(id: $0.exercise.id, points: 0, maxPoints: $0.exercise.points, verdict: .missing, given: nil, feedback: "rejected", mistake: nil) },
                        notes: [], maxPoints: maxPoints)
    }

    /// Grades every exercise of a submission.
    public func grade(_ submission: Submission) -> SubmissionGrade {
        guard submission.lesson == lesson.number else {
            return rejected(file: submission.file, student: submission.student, lesson: submission.lesson,
                            reason: "the answers are for lesson \(submission.lesson), not lesson \(lesson.number)")
        }
        var notes = submission.notes
        var answers: [String: AnswerValue] = [:]
        let ids = Set(items.map(\.exercise.id))
        for (id, value) in submission.answers {
            if ids.contains(id) { answers[id] = value; continue }
            let suggestion = ids.min { editDistance(id, $0) < editDistance(id, $1) }.flatMap { editDistance(id, $0) <= 2 ? "; did you mean '\($0)'?" : nil }
            notes.append("no exercise \(Submission.printable(id)) in lesson \(lesson.number); its answer is ignored" + (suggestion ?? ""))
        }
        if notes.count > 6 { notes = Array(notes.prefix(5)) + ["and \(notes.count - 5) more like these"] }
        let start = DispatchTime.now().uptimeNanoseconds
        var grades: [ExerciseGrade] = []
        for item in items {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if elapsed > AnswerLimits.secondsPerSubmission {
                grades.append(ExerciseGrade(id: item.exercise.id, points: 0, maxPoints: item.exercise.points, verdict: .invalid, given: nil,
                                            feedback: "not graded: the submission used up its \(TraceFormat.number(AnswerLimits.secondsPerSubmission)) s of grading time", mistake: nil))
                continue
            }
            grades.append(grade(answers[item.exercise.id], item: item))
        }
        return SubmissionGrade(file: submission.file, student: submission.student, name: submission.name, lesson: submission.lesson,
                               rejection: nil, exercises: grades, notes: notes, maxPoints: maxPoints)
    }

    /// Grades one answer.
    func grade(_ answer: AnswerValue?, item: Item) -> ExerciseGrade {
        let exercise = item.exercise
        guard let answer else {
            return ExerciseGrade(id: exercise.id, points: 0, maxPoints: exercise.points, verdict: .missing, given: nil, feedback: "no answer", mistake: nil)
        }
        let outcome: Outcome
        switch item.expected {
        case .number(let value, let tolerance): outcome = gradeNumber(answer, expected: value, tolerance: tolerance, item: item)
        case .tensor(let value, let tolerances): outcome = gradeTensor(answer, expected: value, tolerances: tolerances, item: item)
        case .formula(let formula): outcome = gradeFormula(answer, formula: formula, item: item)
        case .choice(let right, _): outcome = gradeChoice(answer, right: right, item: item)
        case .shape(let shape): outcome = gradeShape(answer, expected: shape, item: item)
        case .count(let count, let mistakes): outcome = gradeCount(answer, expected: count, mistakes: mistakes, item: item)
        case .graph(let blanks): outcome = gradeGraph(answer, blanks: blanks, item: item)
        }
        let points: Double
        switch outcome.verdict {
        case .right: points = exercise.points
        case .partial: points = exercise.points * outcome.fraction
        default: points = 0
        }
        return ExerciseGrade(id: exercise.id, points: points, maxPoints: exercise.points, verdict: outcome.verdict,
                             given: answer.description, feedback: Submission.escaped(outcome.feedback), mistake: outcome.mistake)
    }

    struct Outcome {
        var verdict: Verdict
        var feedback: String
        var mistake: String? = nil
        var fraction: Double = 0
        static func invalid(_ text: String) -> Outcome { Outcome(verdict: .invalid, feedback: text) }
    }

    /// The teacher's feedback for a mistake (or for any wrong answer when `mistake` is nil).
    func teacherFeedback(_ item: Item, mistake: String?) -> String? {
        if let mistake, let text = item.exercise.feedback.first(where: { $0.mistake == mistake })?.text { return text }
        return nil
    }

    /// The teacher's feedback whose `matches` quantity equals the answer.
    func matchingFeedback(_ item: Item, _ given: Tensor, tolerances: [Double]) -> String? {
        for (index, feedback) in item.exercise.feedback.enumerated() where feedback.matches != nil {
            guard let value = item.feedbackValues[index], ClaimCheck.agree(given, value, tolerances: tolerances) else { continue }
            return feedback.text
        }
        return nil
    }

    /// The feedback for a wrong answer: the teacher's text for the answer or its mistake, else the
    /// engine's explanation, else the teacher's general feedback; then the engine's answer.
    func wrong(_ item: Item, mistake: String?, explanation: String?, matched: String?, engine: String?, given: String? = nil) -> Outcome {
        var parts: [String] = given.map { ["you gave \($0)"] } ?? []
        if let matched { parts.append(matched) }
        else if let mistake {
            let phrase = ClaimCheck.Mistake(rawValue: mistake)?.phrase ?? mistake.replacingOccurrences(of: "_", with: " ")
            parts.append(teacherFeedback(item, mistake: mistake) ?? (phrase + (explanation.map { ": " + $0 } ?? "")))
        } else if let explanation { parts.append(explanation) }
        if matched == nil, let general = item.exercise.feedback.first(where: { $0.mistake == nil && $0.matches == nil })?.text,
           mistake == nil || teacherFeedback(item, mistake: mistake) == nil {
            parts.append(general)
        }
        if let engine { parts.append("the engine gives \(engine)") }
        let text = parts.map { $0.hasSuffix(".") && !$0.hasSuffix("..") ? String($0.dropLast()) : $0 }.joined(separator: "; ")
        return Outcome(verdict: .wrong, feedback: text, mistake: mistake)
    }

    // MARK: Numbers and tensors

    /// A number from an answer: a TOML number, or text holding a number or a constant expression (`1/3`, `exp(-1)`).
    static func number(_ answer: AnswerValue) -> Parsed<Double> {
        switch answer {
        case .integer(let value): return .success(Double(value))
        case .number(let value):
            return value.isFinite ? .success(value) : .failure("\(TraceFormat.number(value)) is not a finite number")
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return .failure("the answer is empty") }
            if let problem = AnswerLimits.formulaProblem(trimmed) { return .failure(problem) }
            if let value = Double(trimmed) {
                return value.isFinite ? .success(value) : .failure("'\(trimmed)' is not a finite number")
            }
            do {
                let program = try Expressions.evaluate(trimmed, options: .init())
                let value = program.graph.value(of: program.output)
                guard value.isScalar else { return .failure("'\(trimmed)' has shape \(Tensor.describe(shape: value.shape)), not a number") }
                guard value.scalar.isFinite else { return .failure("'\(trimmed)' is not a finite number") }
                return .success(value.scalar)
            } catch {
                if case .missingInput(let name) = error.kind { return .failure("give a number, not a formula ('\(name)' is a name)") }
                return .failure("'\(trimmed)' is not a number: \(error.message)")
            }
        default:
            return .failure("expected a number, got a \(answer.typeName)")
        }
    }

    /// A tensor from an answer: a (nested) TOML list of numbers, or text such as "[1, 2]".
    static func tensor(_ answer: AnswerValue) -> Parsed<Tensor> {
        switch answer {
        case .integer, .number: return number(answer).map { Tensor(scalar: $0) }
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard trimmed.count <= AnswerLimits.tensorEntries * 4 else { return .failure("the answer is too long") }
            guard AnswerLimits.tomlNesting(trimmed) <= AnswerLimits.nesting else { return .failure("nested too deep") }
            do { return .success(try InputValues.literal(trimmed)) } catch { return .failure("\(Submission.printable(String(trimmed.prefix(40)))) is not a vector or matrix: \(error.message)") }
        case .array:
            var shape: [Int] = []
            var storage: [Double] = []
            var failure: String? = nil
            func walk(_ value: AnswerValue, depth: Int) {
                guard failure == nil else { return }
                switch value {
                case .array(let items):
                    if depth == shape.count { shape.append(items.count) }
                    else if depth > shape.count || shape[depth] != items.count { failure = "the rows have different lengths"; return }
                    if items.isEmpty { failure = "an empty list"; return }
                    for item in items { walk(item, depth: depth + 1) }
                case .integer, .number:
                    if depth != shape.count { failure = "the rows have different lengths"; return }
                    switch number(value) {
                    case .success(let x): storage.append(x)
                    case .failure(let message): failure = message
                    }
                    if storage.count > AnswerLimits.tensorEntries { failure = "more than \(AnswerLimits.tensorEntries) entries" }
                default: failure = "the entries must be numbers, not a \(value.typeName)"
                }
            }
            walk(answer, depth: 0)
            if let failure { return .failure(failure) }
            guard storage.count == shape.reduce(1, *) else { return .failure("the rows have different lengths") }
            return .success(Tensor(shape: shape, storage: storage))
        default:
            return .failure("expected a list of numbers, got a \(answer.typeName)")
        }
    }

    func gradeNumber(_ answer: AnswerValue, expected: Double, tolerance: Double, item: Item) -> Outcome {
        let given: Double
        switch ExerciseSet.number(answer) {
        case .success(let value): given = value
        case .failure(let message): return .invalid(message)
        }
        let engine = GradeFormat.number(expected)
        if abs(given - expected) <= tolerance { return Outcome(verdict: .right, feedback: "right (the engine gives \(engine))") }
        let (mistake, explanation) = diagnose(Tensor(scalar: given), expected: Tensor(scalar: expected), tolerances: [tolerance], item: item)
        var code = mistake, text = explanation
        if code == nil && abs(given - expected) <= 10 * tolerance {
            code = "close"
            text = "off by \(GradeFormat.number(abs(given - expected))), more than the tolerance ±\(GradeFormat.number(tolerance)); give more digits"
        }
        return wrong(item, mistake: code, explanation: text, matched: matchingFeedback(item, Tensor(scalar: given), tolerances: [tolerance]), engine: engine, given: GradeFormat.number(given))
    }

    func gradeTensor(_ answer: AnswerValue, expected: Tensor, tolerances: [Double], item: Item) -> Outcome {
        let given: Tensor
        switch ExerciseSet.tensor(answer) {
        case .success(let value): given = value
        case .failure(let message): return .invalid(message)
        }
        let engine = TraceFormat.tensor(expected, significantDigits: 6)
        if given.shape == expected.shape && zip(zip(given.storage, expected.storage), tolerances).allSatisfy({ abs($0.0 - $0.1) <= $1 }) {
            return Outcome(verdict: .right, feedback: "right (the engine gives \(engine))")
        }
        var (mistake, explanation) = diagnose(given, expected: expected, tolerances: tolerances, item: item)
        if mistake == nil && given.shape != expected.shape {
            mistake = "wrong_shape"
            explanation = "the answer has shape \(Tensor.describe(shape: given.shape)), the engine's \(Tensor.describe(shape: expected.shape))"
        }
        if mistake == nil && explanation == nil {
            if given.shape != expected.shape {
                mistake = "wrong_shape"
                explanation = "the answer has shape \(Tensor.describe(shape: given.shape)), the engine's \(Tensor.describe(shape: expected.shape))"
            } else {
                let strides = Tensor.strides(of: expected.shape)
                let wrongEntries = expected.storage.indices.filter { abs(given.storage[$0] - expected.storage[$0]) > tolerances[$0] }
                let shown = wrongEntries.prefix(4).map { flat -> String in
                    var rest = flat
                    let index = strides.map { stride -> Int in defer { rest %= stride }; return rest / stride }
                    return "[" + index.map(String.init).joined(separator: ", ") + "]"
                }
                explanation = "\(wrongEntries.count) of \(expected.count) entries are wrong: " + shown.joined(separator: ", ") + (wrongEntries.count > 4 ? ", …" : "")
            }
        }
        let matched = given.shape == expected.shape ? matchingFeedback(item, given, tolerances: tolerances) : nil
        return wrong(item, mistake: mistake, explanation: explanation, matched: matched, engine: engine, given: TraceFormat.tensor(given, significantDigits: 6))
    }

    /// The engine's mistakes for a wrong number or tensor: those of `backprop check` for a gradient,
    /// a step the wrong way for `updated w`, and a sign error or a transpose for anything.
    public func diagnose(_ given: Tensor, expected: Tensor, tolerances: [Double], item: Item) -> (String?, String?) {
        guard let quantity = item.quantity else { return (nil, nil) }
        func same(_ a: Tensor, _ b: Tensor) -> Bool { ClaimCheck.agree(a, b, tolerances: tolerances) }
        if let gradient = quantity.gradient, quantity.entry == nil {
            let claim = Claim(text: "", of: gradient.ofName, withRespectTo: gradient.byName, ofNode: gradient.of, withRespectToNode: gradient.withRespectTo,
                              right: "", kind: .value(given, tolerances: tolerances))
            let (mistake, explanation) = ClaimCheck.diagnose(claim, claimed: given, engine: expected, program: gradient.program, tolerances: tolerances)
            if mistake != nil || explanation != nil {
                return (mistake?.rawValue, explanation?.replacingOccurrences(of: "the claim", with: "the answer"))
            }
        }
        if let other = quantity.otherDirection, same(given, other), let update = lesson.update {
            let name = quantity.display.replacingOccurrences(of: "updated ", with: "")
            return ("wrong_direction", update.sign > 0
                    ? "the step went down the gradient; this one is ascent: \(name) + η ∂\(outputName)/∂\(name)"
                    : "the step went up the gradient; gradient descent subtracts: \(name) − η ∂\(outputName)/∂\(name)")
        }
        if expected.storage.contains(where: { abs($0) > 1e-12 }), given.shape == expected.shape, same(given, -expected) {
            return ("sign_error", "the answer is minus \(quantity.display)")
        }
        if expected.rank == 2, given.shape == [expected.shape[1], expected.shape[0]], same(given, expected.transposed()), !(expected.shape[0] == expected.shape[1] && same(expected, expected.transposed())) {
            return ("transposed", "the answer is the transpose of \(quantity.display)")
        }
        return (nil, nil)
    }

    var outputName: String { job.trace.outputNode.label }

    // MARK: Formulas

    func gradeFormula(_ answer: AnswerValue, formula: PreparedFormula, item: Item) -> Outcome {
        var text: String
        switch answer {
        case .string(let value): text = value.trimmingCharacters(in: .whitespaces)
        case .integer, .number: text = answer.description
        default: return .invalid("expected a formula as a string, e.g. \"z\", got a \(answer.typeName)")
        }
        guard !text.isEmpty else { return .invalid("the answer is empty") }
        // "df/dx = z" is fine too, when its left side is the exercise's.
        var claimText = formula.claim.text + " = " + text
        if text.contains("=") {
            let starts = text.hasPrefix("d") || text.hasPrefix("∂")
            if starts { claimText = text }
            else { return .invalid("write the formula alone (e.g. \"z\") or as \(formula.claim.text) = …") }
        }
        if let problem = AnswerLimits.formulaProblem(claimText) { return .invalid(problem) }
        var claim: Claim
        do { claim = try ClaimCheck.parse(claimText, program: job.program) } catch {
            return .invalid(error.message.replacingOccurrences(of: "--claim:", with: "column ").replacingOccurrences(of: ": error:", with: ":"))
        }
        guard claim.ofNode == formula.claim.ofNode && claim.withRespectToNode == formula.claim.withRespectToNode else {
            return .invalid("the answer is about \(claim.left); the exercise asks for \(formula.left)")
        }
        // A number is a formula too: check it at every point, like any formula.
        if case .value = claim.kind {
            claim = Claim(text: claim.text, of: claim.of, withRespectTo: claim.withRespectTo, ofNode: claim.ofNode, withRespectToNode: claim.withRespectToNode,
                          right: claim.right, kind: .formula(claim.right))
        }
        let result = ClaimCheck.check(claim, points: formula.points, evaluator: &formula.evaluator)
        let randomPoints = formula.randomPointCount
        if result.passed {
            return Outcome(verdict: .right, feedback: "right at the lesson's point" + (randomPoints > 0 ? " and at \(randomPoints) random points" : ""))
        }
        let at = result.pointIndex == 0 ? "at the lesson's point" : "at " + formula.points[result.pointIndex].map { "\($0.name) = \(ClaimCheck.format($0.value))" }.joined(separator: ", ")
        let right = claim.right.count > 60 ? String(claim.right.prefix(57)) + "…" : claim.right
        var explanation = "\(formula.left) = \(right) gives \(ClaimCheck.format(result.claimed)) \(at), the engine \(ClaimCheck.format(result.engine))"
        var mistake = result.mistake?.rawValue
        if result.pointIndex > 0 {
            explanation += " (it agrees at the lesson's point only)"
            if mistake == nil { mistake = "random_point" }
        }
        if let detail = result.explanation?.replacingOccurrences(of: "the claim", with: "the answer") {
            explanation += "; " + (result.mistake.map { $0.phrase + ": " } ?? "") + detail
        }
        let matched = result.pointIndex == 0 ? matchingFeedback(item, result.claimed, tolerances: [Double](repeating: 1e-9, count: result.claimed.count)) : nil
        let own = mistake.flatMap { teacherFeedback(item, mistake: $0) }
        var outcome = wrong(item, mistake: nil, explanation: explanation, matched: nil, engine: nil)
        if let text = matched ?? own { outcome.feedback = (text.hasSuffix(".") ? String(text.dropLast()) : text) + "; " + outcome.feedback }
        outcome.mistake = mistake
        return outcome
    }

    // MARK: Choices, shapes, counts, graphs

    func gradeChoice(_ answer: AnswerValue, right: Int, item: Item) -> Outcome {
        let choices = item.exercise.choices
        var picked: Int? = nil
        switch answer {
        case .string(let text):
            var trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            if trimmed.hasPrefix("(") && trimmed.hasSuffix(")") { trimmed = String(trimmed.dropFirst().dropLast()) }
            if trimmed.count == 1, let scalar = trimmed.unicodeScalars.first, scalar.value >= 97, scalar.value < 97 + UInt32(choices.count) {
                picked = Int(scalar.value) - 97
            } else {
                picked = choices.firstIndex { $0.text.lowercased() == trimmed }
            }
        case .integer(let number): picked = number >= 1 && number <= choices.count ? number - 1 : nil
        default: return .invalid("expected the letter of a choice, e.g. \"b\", got a \(answer.typeName)")
        }
        guard let picked else {
            return .invalid("not one of the choices: give a letter from a to \(ExerciseSet.letter(choices.count - 1)) or a choice's text")
        }
        let engine = "(\(ExerciseSet.letter(right))) \(choices[right].text)"
        if picked == right { return Outcome(verdict: .right, feedback: "right: \(engine)") }
        let own = choices[picked].feedback
        return wrong(item, mistake: "wrong_choice", explanation: own ?? "(\(ExerciseSet.letter(picked))) \(choices[picked].text) is not the right choice", matched: nil, engine: engine)
    }

    static func shape(_ answer: AnswerValue) -> Parsed<[Int]> {
        switch answer {
        case .array(let items):
            var shape: [Int] = []
            for item in items {
                guard case .integer(let value) = item, value >= 0 else { return .failure("a shape is a list of whole numbers, e.g. [6, 14, 14]") }
                shape.append(value)
            }
            return .success(shape)
        case .integer(let value): return value >= 0 ? .success([value]) : .failure("a size cannot be negative")
        case .string(let text):
            let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
            if lowered == "scalar" || lowered == "[]" || lowered == "()" { return .success([]) }
            guard lowered.count <= 200 else { return .failure("the answer is too long") }
            let separators = CharacterSet(charactersIn: "[](),x×* ")
            let parts = lowered.components(separatedBy: separators).filter { !$0.isEmpty }
            let numbers = parts.compactMap { Int($0) }
            guard !parts.isEmpty, numbers.count == parts.count, numbers.allSatisfy({ $0 >= 0 }) else {
                return .failure("\(Submission.printable(String(text.prefix(40)))) is not a shape; write it as [6, 14, 14] or \"6x14x14\"")
            }
            return .success(numbers)
        default: return .failure("expected a shape such as [6, 14, 14], got a \(answer.typeName)")
        }
    }

    func gradeShape(_ answer: AnswerValue, expected: [Int], item: Item) -> Outcome {
        let given: [Int]
        switch ExerciseSet.shape(answer) {
        case .success(let value): given = value
        case .failure(let message): return .invalid(message)
        }
        let engine = Tensor.describe(shape: expected)
        if given == expected { return Outcome(verdict: .right, feedback: "right: \(engine)") }
        if given.sorted() == expected.sorted() {
            let order = item.exercise.model != nil ? "; shapes here are channels first, [channels, height, width], as in PyTorch" : ""
            return wrong(item, mistake: "reordered", explanation: "the same sizes in another order\(order)", matched: nil, engine: engine, given: Tensor.describe(shape: given))
        }
        let explanation = given.count != expected.count ? "the answer has \(given.count) axes, the engine's shape \(expected.count)" : nil
        return wrong(item, mistake: "wrong_shape", explanation: explanation, matched: nil, engine: engine, given: Tensor.describe(shape: given))
    }

    func gradeCount(_ answer: AnswerValue, expected: Int, mistakes: [(code: String, count: Int, explanation: String)], item: Item) -> Outcome {
        let given: Int
        switch answer {
        case .integer(let value): given = value
        case .number(let value) where value == value.rounded() && abs(value) < 1e15: given = Int(value)
        case .string(let text):
            let digits = text.filter { !", _".contains($0) }
            guard digits.count <= 20, let value = Int(digits) else { return .invalid("\(Submission.printable(String(text.prefix(40)))) is not a whole number") }
            given = value
        default: return .invalid("expected a whole number, got a \(answer.typeName)")
        }
        if given == expected { return Outcome(verdict: .right, feedback: "right: \(expected)") }
        let slip = mistakes.first { $0.count == given }
        return wrong(item, mistake: slip?.code, explanation: slip?.explanation, matched: nil, engine: String(expected), given: String(given))
    }

    func gradeGraph(_ answer: AnswerValue, blanks: [Blank], item: Item) -> Outcome {
        guard case .table(let entries) = answer else {
            return .invalid("answer the blanks as a table, e.g. [answers.\(item.exercise.id)] with " + blanks.prefix(2).map { "\(ExerciseSet.tomlKey($0.key)) = …" }.joined(separator: " and "))
        }
        func normalized(_ key: String) -> String { key.replacingOccurrences(of: "∂", with: "d").filter { !$0.isWhitespace } }
        var right = 0
        var problems: [String] = []
        for blank in blanks {
            guard let entry = entries.first(where: { normalized($0.key) == normalized(blank.key) }) else { problems.append("\(blank.key): no answer"); continue }
            switch ExerciseSet.number(entry.value) {
            case .failure(let message): problems.append("\(blank.key): \(message)")
            case .success(let value):
                if abs(value - blank.value) <= blank.tolerance { right += 1 }
                else if blank.value != 0 && abs(value + blank.value) <= blank.tolerance { problems.append("\(blank.key): \(GradeFormat.number(value)) has the wrong sign; the engine gives \(GradeFormat.number(blank.value))") }
                else { problems.append("\(blank.key): you gave \(GradeFormat.number(value)), the engine \(GradeFormat.number(blank.value))") }
            }
        }
        let unknown = entries.filter { entry in !blanks.contains { normalized($0.key) == normalized(entry.key) } }.map { Submission.printable($0.key) }
        if !unknown.isEmpty { problems.append("not a blank: " + unknown.joined(separator: ", ")) }
        if right == blanks.count { return Outcome(verdict: .right, feedback: "all \(blanks.count) blanks right" + (unknown.isEmpty ? "" : "; " + problems.joined(separator: "; "))) }
        var text = "\(right) of \(blanks.count) blanks right; " + problems.joined(separator: "; ")
        if let general = item.exercise.feedback.first(where: { $0.mistake == nil && $0.matches == nil })?.text { text += "; " + general }
        return Outcome(verdict: right == 0 ? .wrong : .partial, feedback: text, mistake: nil, fraction: Double(right) / Double(blanks.count))
    }
}

// MARK: - Reading files safely

/// Reading one submission without following a link out of its directory, without blocking on a
/// pipe, and without reading more than the limit.
public enum SubmissionFile {
    /// What happened when reading a path.
    public enum Read {
        /// The bytes (at most the limit + 1, so that a bigger file is seen as too big).
        case bytes([UInt8])
        /// Not a submission at all (a directory, a pipe, a link out of the directory): no row in the gradebook.
        case skipped(String)
        /// A submission that could not be read (it vanished, permission denied): 0 points.
        case unreadable(String)
    }

    /// Reads `name` in `directory` (whose real path is `root`).
    public static func read(_ name: String, in directory: String, root: String) -> Read {
        let path = (directory as NSString).appendingPathComponent(name)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            return errno == ENOENT ? .unreadable("vanished before it could be read") : .unreadable("cannot be read: \(String(cString: strerror(errno)))")
        }
        var target = path
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard let resolved = realpath(path, nil) else { return .skipped("a symbolic link to nothing") }
            target = String(cString: resolved)
            free(resolved)
            guard target.hasPrefix(root.hasSuffix("/") ? root : root + "/") else { return .skipped("a symbolic link out of the directory (to \(Submission.printable(target).dropFirst().dropLast())); not followed") }
            guard stat(target, &info) == 0 else { return .unreadable("vanished before it could be read") }
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .skipped("a directory")
        case S_IFIFO: return .skipped("a named pipe, not a file")
        case S_IFSOCK: return .skipped("a socket, not a file")
        default: return .skipped("a device, not a file")
        }
        let fd = open(target, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            switch errno {
            case ENOENT: return .unreadable("vanished before it could be read")
            case ELOOP: return .skipped("became a symbolic link while being read; not followed")
            default: return .unreadable("cannot be read: \(String(cString: strerror(errno)))")
            }
        }
        defer { close(fd) }
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .skipped("not a regular file") }
        let limit = AnswerLimits.fileBytes + 1
        var bytes = [UInt8](repeating: 0, count: limit)
        var count = 0
        while count < limit {
            let got = bytes.withUnsafeMutableBytes { buffer in posixRead(fd, buffer.baseAddress! + count, limit - count) }
            if got < 0 {
                if errno == EINTR { continue }
                return .unreadable("cannot be read: \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            count += got
        }
        return .bytes(Array(bytes[..<count]))
    }
}

// MARK: - A directory of submissions

/// Every submission in a directory graded against one lesson: the reports, the files skipped, the
/// duplicate student ids, and the gradebook.
public struct GradeBatch {
    public struct Skipped: Sendable {
        public let file: String
        public let reason: String
    }

    public let directory: String
    public let set: ExerciseSet
    /// One per submission file, in file-name order.
    public let grades: [SubmissionGrade]
    public let skipped: [Skipped]
    /// Student ids that several files give, with those files (all of them are kept).
    public let duplicates: [(student: String, files: [String])]

    /// Grades every file of `directory` except hidden files and the paths in `excluding` (the outputs).
    /// - Throws: `WorkbenchFailure.badInput` if the directory cannot be listed.
    public init(directory: String, set: ExerciseSet, excluding: [String] = []) throws(WorkbenchFailure) {
        self.directory = directory
        self.set = set
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .badInput("\(directory): not a directory")
        }
        guard let resolved = realpath(directory, nil) else { throw .badInput("\(directory): cannot be resolved") }
        let root = String(cString: resolved)
        free(resolved)
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw .badInput("\(directory): cannot be listed: \(error.localizedDescription)")
        }
        let excluded = Set(excluding.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        var grades: [SubmissionGrade] = []
        var skipped: [Skipped] = []
        for name in names where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            if excluded.contains(URL(fileURLWithPath: path).standardizedFileURL.path) || excluded.contains(root + "/" + name) { continue }
            switch SubmissionFile.read(name, in: directory, root: root) {
            case .skipped(let reason): skipped.append(Skipped(file: name, reason: reason))
            case .unreadable(let reason): grades.append(set.rejected(file: name, reason: reason))
            case .bytes(let bytes): grades.append(set.grade(bytes: bytes, file: name))
            }
        }
        self.grades = grades
        self.skipped = skipped
        var files: [String: [String]] = [:]
        for grade in grades { if let student = grade.student { files[student, default: []].append(grade.file) } }
        self.duplicates = files.filter { $0.value.count > 1 }.map { ($0.key, $0.value) }.sorted { $0.student < $1.student }
    }

    /// The gradebook: a header row (`student`, one column per exercise id, `total`), then one row per
    /// submission. RFC 4180: CRLF line ends, a field with a comma, quote or line break in double
    /// quotes (quotes doubled); a text field starting with = + - @ gets a leading ' so that no
    /// spreadsheet reads it as a formula.
    public func csv() -> String {
        GradeBatch.csv(grades, set: set)
    }

    public static func csv(_ grades: [SubmissionGrade], set: ExerciseSet) -> String {
        let ids = set.items.map(\.exercise.id)
        var rows = [(["student"] + ids + ["total"]).map(csvField)]
        for grade in grades {
            var row = [csvField(grade.rowID)]
            for id in ids { row.append(GradeFormat.points(grade.exercises.first { $0.id == id }?.points ?? 0)) }
            row.append(GradeFormat.points(grade.points))
            rows.append(row)
        }
        return rows.map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// One field of a CSV row, quoted when needed.
    public static func csvField(_ text: String) -> String {
        var field = text
        if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { field = "'" + field }
        let special = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } || field.hasPrefix(" ") || field.hasSuffix(" ")
        return special ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    /// The batch report: one line per file, the skipped files, the duplicates, a summary.
    public func report() -> String {
        let lesson = set.lesson
        var lines = ["lesson \(lesson.number) (\(set.items.count) exercises, \(GradeFormat.points(set.maxPoints)) points): \(grades.count) submission\(grades.count == 1 ? "" : "s") in \(directory)"]
        let fileWidth = min(40, (grades.map(\.file.count) + skipped.map(\.file.count)).max() ?? 0)
        let whoWidth = min(40, grades.map { who($0).count }.max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        for grade in grades {
            var line = "  \(pad(Submission.printable(grade.file).dropFirst().dropLast().description, fileWidth))   \(pad(who(grade), whoWidth))   \(GradeFormat.points(grade.points))/\(GradeFormat.points(grade.maxPoints))"
            if let rejection = grade.rejection { line += "   rejected: \(rejection)" }
            lines.append(line)
        }
        for skip in skipped { lines.append("  \(pad(Submission.printable(skip.file).dropFirst().dropLast().description, fileWidth))   skipped: \(skip.reason)") }
        for duplicate in duplicates {
            lines.append("duplicate student id '\(duplicate.student)': " + duplicate.files.joined(separator: ", ") + " (all kept)")
        }
        let rejected = grades.filter { $0.rejection != nil }.count
        let graded = grades.count - rejected
        let mean = graded > 0 ? grades.filter { $0.rejection == nil }.map(\.points).reduce(0, +) / Double(graded) : 0
        lines.append("\(graded) graded (mean \(GradeFormat.points(mean))/\(GradeFormat.points(set.maxPoints))), \(rejected) rejected, \(skipped.count) skipped")
        return lines.joined(separator: "\n")
    }

    func who(_ grade: SubmissionGrade) -> String {
        guard let student = grade.student else { return "—" }
        return student + (grade.name.map { " (\($0))" } ?? "")
    }

    public func json(gradebook: String?) -> JSONValue {
        .object([
            "lesson": .number(Double(set.lesson.number)),
            "directory": .string(directory),
            "exercises": .array(set.items.map { .string($0.exercise.id) }),
            "maxPoints": .number(GradeFormat.rounded(set.maxPoints)),
            "submissions": .array(grades.map { $0.json() }),
            "skipped": .array(skipped.map { .object(["file": .string($0.file), "reason": .string($0.reason)]) }),
            "duplicates": .array(duplicates.map { .object(["student": .string($0.student), "files": .array($0.files.map(JSONValue.string))]) }),
            "gradebook": gradebook.map(JSONValue.string) ?? .null,
        ])
    }
}

/// POSIX `read(2)`, named apart from the methods called `read`.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}
