import Foundation
import Grading

/// Typed answers written as the answer file `backprop grade` reads, for people, never for the grader
/// (which gets the typed values): the teacher's view of an attempt, and a file to grade with the CLI.
///
/// ```json
/// {"student": "s1234567", "name": "Ada", "answers": {"df-dx": -4, "dq": "z", "graph": {"q": 3}}}
/// ```
/// is written
/// ```toml
/// student = "s1234567"
/// name = "Ada"
/// lesson = 1
/// [answers]
/// "df-dx" = -4
/// "dq" = "z"
/// "graph" = { "q" = 3 }
/// ```
enum AnswerFile {
    static func toml(_ request: AnswerRequest, lesson: Int) -> String {
        var lines: [String] = []
        if let student = request.student { lines.append("student = \(quoted(student))") }
        if let name = request.name { lines.append("name = \(quoted(name))") }
        lines.append("lesson = \(lesson)")
        lines.append("[answers]")
        for (id, value) in request.ordered { lines.append("\(quoted(id)) = \(toml(value))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One answer as a TOML value.
    static func toml(_ value: AnswerValue) -> String {
        switch value {
        case .string(let text): return quoted(text)
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let whole): return String(whole)
        case .number(let number): return "\(number)"
        case .array(let items): return "[" + items.map(toml).joined(separator: ", ") + "]"
        case .table(let items): return "{ " + items.map { "\(quoted($0.key)) = \(toml($0.value))" }.joined(separator: ", ") + " }"
        case .other(let text): return quoted(text)
        }
    }

    /// A TOML basic string: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { result += String(format: "\\u%04X", scalar.value) }
                else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }
}
