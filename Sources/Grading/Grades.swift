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
