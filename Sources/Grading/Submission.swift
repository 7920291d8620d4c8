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

// MARK: - Typed answers (the server's JSON)

extension Submission {
    /// A submission from answers already typed (the server's JSON body), checked as a file's are:
    /// the student id, the name, the nesting of each answer and the number of values. No answer file
    /// is written or parsed.
    /// - Throws: `Rejection` for a missing or malformed student id or name, or answers nested too deep.
    public init(student: String?, name: String?, lesson: Int, answers: [(id: String, value: AnswerValue)], file: String) throws(Rejection) {
        self.file = file
        guard let student else { throw Rejection(reason: "no 'student' (your student id), e.g. \"student\": \"s1234567\"", student: nil) }
        if let problem = Submission.studentIDProblem(student) {
            throw Rejection(reason: "student id \(Submission.printable(student)): \(problem)", student: nil)
        }
        self.student = student
        if let name {
            guard name.count <= AnswerLimits.nameCharacters,
                  !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) || $0.properties.generalCategory == .format }) else {
                throw Rejection(reason: "'name' must be one line of at most \(AnswerLimits.nameCharacters) characters, without control or format characters", student: student)
            }
        }
        self.name = name
        self.lesson = lesson
        let nesting = answers.map { $0.value.nesting }.max() ?? 0
        guard nesting <= AnswerLimits.nesting else {
            throw Rejection(reason: "arrays or tables nested \(nesting) deep; the limit is \(AnswerLimits.nesting)", student: student)
        }
        var budget = 20_000
        self.answers = answers.map { (id: $0.id, value: $0.value.limited(budget: &budget)) }
        self.notes = []
    }
}

extension AnswerValue: Codable {
    /// How deeply arrays and tables nest in the value (a number is 0, `[[1]]` is 2), as a file's are counted.
    var nesting: Int {
        switch self {
        case .array(let items): return 1 + (items.map(\.nesting).max() ?? 0)
        case .table(let items): return 1 + (items.map(\.value.nesting).max() ?? 0)
        default: return 0
        }
    }

    /// The value with everything beyond `budget` values marked as a file's are (`from(_:depth:budget:)`).
    func limited(budget: inout Int) -> AnswerValue {
        budget -= 1
        guard budget >= 0 else { return .other("value beyond the limit of 20,000 values per file") }
        switch self {
        case .array(let items):
            var copied: [AnswerValue] = []
            for item in items { copied.append(item.limited(budget: &budget)); if budget < 0 { break } }
            return .array(copied)
        case .table(let items):
            var copied: [(key: String, value: AnswerValue)] = []
            for item in items { copied.append((item.key, item.value.limited(budget: &budget))); if budget < 0 { break } }
            return .table(copied)
        default: return self
        }
    }

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// The deepest JSON value decoded: far beyond the grader's limit (which rejects the answer with its
    /// reason), near enough to stop a body of 30,000 brackets from recursing that deep.
    public static let decodingDepth = 32

    /// Reads a JSON answer: a number (whole or not), a string, true/false, a list or an object (its keys
    /// sorted). `null` is not an answer.
    public init(from decoder: any Decoder) throws {
        guard decoder.codingPath.count <= AnswerValue.decodingDepth else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "answers nested deeper than \(AnswerValue.decodingDepth) levels"))
        }
        if var list = try? decoder.unkeyedContainer() {
            var items: [AnswerValue] = []
            while !list.isAtEnd { items.append(try list.decode(AnswerValue.self)) }
            self = .array(items)
            return
        }
        if let table = try? decoder.container(keyedBy: Key.self) {
            var items: [(key: String, value: AnswerValue)] = []
            for key in table.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                items.append((key.stringValue, try table.decode(AnswerValue.self, forKey: key)))
            }
            self = .table(items)
            return
        }
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            throw DecodingError.valueNotFound(AnswerValue.self, .init(codingPath: decoder.codingPath,
                                                                      debugDescription: "null is not an answer; leave the exercise out instead"))
        }
        if let flag = try? value.decode(Bool.self) { self = .bool(flag); return }
        if let whole = try? value.decode(Int.self) { self = .integer(whole); return }
        if let number = try? value.decode(Double.self) {
            guard number.isFinite else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a number that is not finite")) }
            self = Int64(exactly: number).map { .integer(Int($0)) } ?? .number(number)
            return
        }
        self = .string(try value.decode(String.self))
    }

    /// Writes the answer as JSON (a date or time, never sent as JSON, as its description).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .integer(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .number(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .string(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .bool(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .other(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .table(let items):
            var c = encoder.container(keyedBy: Key.self)
            for item in items { try c.encode(item.value, forKey: Key(stringValue: item.key)) }
        }
    }
}
