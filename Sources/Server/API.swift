import Foundation
import Grading
import Support
import Expressions

// The JSON API's request and response types, one per route (docs/serve.md, "The JSON API").
// Requests are decoded with `JSONDecoder` from a body already capped at `RequestLimits.bodyBytes`;
// a body that does not fit its type is a 400 that names the field (`API.decode`). Replies are
// encoded by `API.encode`: sorted keys, two-space indentation, a line break at the end.

/// `POST /api/trace`: `{"program": "q = x + y; f = q * z", "at": "x=-2,y=5,z=-4", "params": ["w"], "check": false}`.
/// `"values": {"W": [[1, 2], [3, 4]]}` gives values as `--values FILE` does, beside `"at"`.
struct TraceRequest: Codable, Sendable {
    var program: String?
    var at: String?
    var values: [String: ValuesJSON.Nested]?
    var params: StringList?
    var check: Bool?
}

/// `POST /api/check`: `{"program": …, "at": …, "claims": ["df/dx = z"], "points": 5, "seed": 1}`.
struct CheckRequest: Codable, Sendable {
    var program: String?
    var at: String?
    var values: [String: ValuesJSON.Nested]?
    var claims: StringList?
    var points: WholeNumber?
    var seed: WholeNumber?
}

/// `POST /api/diagram`: `{"program": …, "at": …, "params": […], "format": "svg" | "html", "rankdir": "LR", "forwardOnly": false}`.
struct DiagramRequest: Codable, Sendable {
    var program: String?
    var at: String?
    var values: [String: ValuesJSON.Nested]?
    var params: StringList?
    var format: String?
    var rankdir: String?
    var forwardOnly: Bool?
}

/// `POST /api/exercises/N/answers` (JSON): `{"student": "s1234567", "name": "Ada", "answers": {"q-value": 3, "fill-graph": {"q": 3}}}`.
/// The answers are the grader's own typed values (`AnswerValue`), handed to it as they are
/// (`Submission(student:name:lesson:answers:file:)`): no answer file is written and parsed again.
struct AnswerRequest: Codable, Sendable {
    var student: String?
    var name: String?
    var answers: [String: AnswerValue]?

    /// The answers in a fixed order (by exercise id): the grader reports notes in this order.
    var ordered: [(id: String, value: AnswerValue)] {
        (answers ?? [:]).sorted { $0.key < $1.key }.map { (id: $0.key, value: $0.value) }
    }
}

/// `POST /api/sign-in`: `{"code": "…"}`.
struct SignInRequest: Codable, Sendable {
    var code: String
}

/// `GET /api/teacher/lessons/N/submissions?before=ID&after=ID&limit=N`: the query, decoded by
/// Hummingbird's `decodeQuery` (a value that is not a whole number is the route's 400).
struct SubmissionsQuery: Codable, Sendable {
    var before: Int64?
    var after: Int64?
    var limit: Int?
}

/// One string or a list of strings (`"params": "w"` is `["w"]`).
struct StringList: Codable, Sendable {
    var values: [String]
    init(_ values: [String]) { self.values = values }
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) { values = [one]; return }
        values = try container.decode([String].self)
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}

/// A whole number, refused with its field's name when it is not one (`JSONDecoder` reports `1.5`
/// for an `Int` as invalid JSON, without the field).
struct WholeNumber: Codable, Sendable {
    var value: Int
    init(_ value: Int) { self.value = value }
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let whole = try? container.decode(Int.self) { value = whole; return }
        guard let number = try? container.decode(Double.self), let whole = Int(exactly: number) else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "not a whole number"))
        }
        value = whole
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

// MARK: - Replies

/// `GET /api/lessons`: one per lesson.
struct LessonSummary: Codable, Sendable {
    let number: Int
    let title: String
    let source: String
    let exercises: Int
}

/// `GET /api/me` (and `POST /api/sign-in`'s reply): who is signed in and the policy they may know.
/// Without a course, `course` and `student` are null and the rest is left out.
struct MeReply: Codable, Sendable {
    struct Assignment: Codable, Sendable {
        let lesson: Int
        let due: String?
        let attempts: Int?
        let counts: String
        let reveal: String
        /// Answers after `due` are taken, marked late, until then (null: refused after `due`).
        var lateUntil: String? = nil
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(lesson, forKey: .lesson)
            try container.encode(due, forKey: .due)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(counts, forKey: .counts)
            try container.encode(reveal, forKey: .reveal)
            try container.encode(lateUntil, forKey: .lateUntil)
        }
    }
    let course: String?
    let student: String?
    let name: String?
    let assignments: [Assignment]?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(course, forKey: .course)
        try container.encode(student, forKey: .student)
        guard course != nil else { return }
        try container.encode(name, forKey: .name)
        try container.encode(assignments ?? [], forKey: .assignments)
    }
}

/// `GET /api/teacher/lessons/N/submissions`: a page of attempts, newest first; `next` continues.
struct SubmissionsPage: Codable, Sendable {
    struct Row: Codable, Sendable {
        let attempt: Int64
        let received: String
        let student: String?
        let name: String?
        let points: Double
        let maxPoints: Double
        let client: String
        let rejection: String?
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(attempt, forKey: .attempt)
            try container.encode(received, forKey: .received)
            try container.encode(student, forKey: .student)
            try container.encode(name, forKey: .name)
            try container.encode(points, forKey: .points)
            try container.encode(maxPoints, forKey: .maxPoints)
            try container.encode(client, forKey: .client)
            try container.encode(rejection, forKey: .rejection)
        }
    }
    let lesson: Int
    let submissions: [Row]
    let next: Int64?
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lesson, forKey: .lesson)
        try container.encode(submissions, forKey: .submissions)
        try container.encode(next, forKey: .next)
    }
}

/// `GET /api/teacher/lessons/N/stats`.
struct LessonStatistics: Codable, Sendable {
    struct Count: Codable, Sendable {
        let answer: String?
        let mistake: String?
        let count: Int
    }
    struct Exercise: Codable, Sendable {
        let id: String
        let answers: Int
        let right: Int
        let studentsRight: Int
        let commonWrongAnswers: [Count]
        let commonMistakes: [Count]
    }
    let lesson: Int
    let students: Int
    let attempts: Int
    let exercises: [Exercise]
}

/// The part of a stored `backprop grade --json` object the statistics read.
struct StoredGrade: Decodable, Sendable {
    struct Exercise: Decodable, Sendable {
        let id: String
        let verdict: String
        let given: String?
        let mistake: String?
    }
    let exercises: [Exercise]
}

// MARK: - Decoding and encoding

enum API {
    /// Decodes a request body as `T`; a failure is bad input (400) that names the field and what it must be.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(WorkbenchFailure) -> T {
        guard bytes.contains(where: { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }) else {
            throw .badInput("request body: empty; send a JSON object")
        }
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch let error as DecodingError {
            throw .badInput(message(error))
        } catch {
            throw .badInput("request body: \(error)")
        }
    }

    /// `decode`'s value, or its failure as the 400 reply.
    static func decoded<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> Result<T, Reply> {
        do throws(WorkbenchFailure) { return .success(try decode(T.self, from: bytes)) } catch { return .failure(.failure(error)) }
    }

    /// A decoding error as one line: the field's path (`"answers"."q"`) and what it must be.
    static func message(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? "\"\($0.stringValue)\"" }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "request body: send a JSON object, {…}" }
            return "request body: \(path(context.codingPath)) must be \(expectation(type, context))"
        case .valueNotFound(_, let context):
            let answer = context.codingPath.first?.stringValue == "answers" && context.codingPath.count > 1
            return "request body: \(path(context.codingPath)) must not be null" + (answer ? "; leave the exercise out instead" : "")
        case .keyNotFound(let key, let context):
            return "request body: missing \(path(context.codingPath + [key]))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
                return "request body: not valid JSON (\(detail))"
            }
            return "request body: \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "request body: \(error)"
        }
    }

    /// What a value of `type` looks like, in the words of the API's docs.
    static func expectation(_ type: Any.Type, _ context: DecodingError.Context) -> String {
        if context.codingPath.count == 1 {
            switch context.codingPath[0].stringValue {
            case "params", "claims": return "a string or a list of strings"
            case "answers": return "an object {\"exercise id\": answer, …}"
            default: break
            }
        }
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type: return "a whole number"
        case is [String].Type: return "a list of strings"
        default: return context.debugDescription.isEmpty ? "of another type" : "of another type (\(context.debugDescription))"
        }
    }

    /// The encoder of every reply (one per call: an encoder's options are its state).
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    /// A reply's JSON: sorted keys, two-space indentation, a line break at the end.
    static func reply<T: Encodable>(_ value: T, exitStatus: Int32 = 0) -> Reply {
        do {
            var bytes = Array(try encoder().encode(value))
            bytes.append(UInt8(ascii: "\n"))
            return .json(bytes: bytes, exitStatus: exitStatus)
        } catch {
            return .error("internal: the reply could not be written as JSON (\(error))", exitStatus: 1, httpStatus: 500)
        }
    }
}
