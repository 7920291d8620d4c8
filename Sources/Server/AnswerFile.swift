import Foundation

/// The answers a browser sends, written as the answer file `backprop grade` reads, so that the one
/// grader (and its checks of the student id, sizes and nesting) sees exactly what a file would give:
///
/// ```json
/// {"student": "s1234567", "name": "Ada", "answers": {"df-dx": -4, "dq": "z", "graph": {"q": 3}}}
/// ```
/// becomes
/// ```toml
/// student = "s1234567"
/// name = "Ada"
/// lesson = 1
/// [answers]
/// "df-dx" = -4
/// "dq" = "z"
/// "graph" = { "q" = 3 }
/// ```
/// A body sent as `application/toml` is an answer file already and is graded as it is.
enum AnswerFile {
    /// Why a JSON body cannot be written as an answer file.
    struct Problem: Error { let message: String }

    static func toml(fromJSON bytes: [UInt8], lesson: Int) throws(Problem) -> String {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw Problem(message: "request body: not valid JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"))")
        }
        guard let object = parsed as? [String: Any] else { throw Problem(message: "request body: send a JSON object {\"student\": …, \"answers\": {…}}") }
        var lines: [String] = []
        for key in ["student", "name"] {
            guard let value = object[key], !(value is NSNull) else { continue }
            guard let text = value as? String else { throw Problem(message: "request body: \"\(key)\" must be a string") }
            lines.append("\(key) = \(quoted(text))")
        }
        lines.append("lesson = \(lesson)")
        lines.append("[answers]")
        if let answers = object["answers"] {
            guard let table = answers as? [String: Any] else { throw Problem(message: "request body: \"answers\" must be an object {\"exercise id\": answer, …}") }
            for key in table.keys.sorted() { lines.append("\(quoted(key)) = \(try value(table[key]!, depth: 0))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One JSON value as a TOML value; null has no TOML form and is left out by the caller's check.
    static func value(_ value: Any, depth: Int) throws(Problem) -> String {
        // Deeper than the grader's limit is refused there with its own message; stop runaway recursion here.
        guard depth < 32 else { throw Problem(message: "request body: answers nested deeper than 32 levels") }
        switch value {
        case let text as String: return quoted(text)
        case let flag as Bool where !(value is NSNumber) || String(describing: type(of: value)).contains("Bool"):
            return flag ? "true" : "false"
        case let number as NSNumber:
            let double = number.doubleValue
            guard double.isFinite else { throw Problem(message: "request body: a number that is not finite") }
            if let whole = Int64(exactly: double) { return String(whole) }
            return "\(double)"
        case let list as [Any]:
            var items: [String] = []
            for item in list { items.append(try self.value(item, depth: depth + 1)) }
            return "[" + items.joined(separator: ", ") + "]"
        case let table as [String: Any]:
            var items: [String] = []
            for key in table.keys.sorted() { items.append("\(quoted(key)) = \(try self.value(table[key]!, depth: depth + 1))") }
            return "{ " + items.joined(separator: ", ") + " }"
        case is NSNull: throw Problem(message: "request body: null is not an answer; leave the exercise out instead")
        default: throw Problem(message: "request body: an answer of an unknown JSON type")
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
