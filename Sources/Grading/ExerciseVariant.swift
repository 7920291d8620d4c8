import Autograd
import Foundation
import Lessons
import Support

/// One student's variant of a lesson's exercises: the inputs `[exercise_inputs]` lets vary, drawn from
/// the course's secret, the lesson's number and the student's id (docs/grading.md, "A variant per
/// student"). Every answer is then the engine's for those inputs (`ExerciseSet` of the varied lesson).
///
/// **The draw.** A stream of bytes is HMAC-SHA256(secret, "backprop-variant-v1" ‖ lesson ‖ student ‖
/// draw ‖ block) for blocks 0, 1, …; each varied input, in name order, and each of its entries in
/// row-major order takes an index into its values from the next 8 bytes (as a `UInt64`, redrawn when it
/// falls in the last partial copy of the range, so every value is equally likely). The same secret,
/// lesson and student always give the same inputs; without the secret they cannot be computed.
///
/// **Rejection.** A draw is rejected, and the next draw (1, 2, …) made, when
/// 1. every varied entry equals the notes' value (the lesson's page would show the answers);
/// 2. the exercises cannot be prepared at it (a choice that no longer singles out one answer, a
///    quantity that is undefined there, a teacher's example that no longer holds);
/// 3. an answer is not finite (a division by zero, log of 0, an overflow).
/// After `maximumDraws` rejected draws the variant is an error (exit 1) naming the last reason.
public struct ExerciseVariant: Sendable {
    public let student: String
    /// The lesson with its exercises asked at the student's inputs.
    public let lesson: Lesson
    /// Which draw was kept (0: the first).
    public let draw: Int
    /// The varied inputs' values, entries in row-major order.
    public let values: [String: [Double]]

    /// Draws tried before a lesson is said to have no variant for a student.
    public static let maximumDraws = 100

    /// The student's variant of `lesson` and its exercises prepared, or (nil, the notes' exercises) for
    /// a lesson whose inputs do not vary.
    /// - Throws: `failed` (exit 1) when no draw of `maximumDraws` can be used.
    public static func make(_ lesson: Lesson, student: String, secret: CourseSecret) throws(WorkbenchFailure) -> (variant: ExerciseVariant?, set: ExerciseSet) {
        guard let spec = lesson.exerciseInputs else { return (nil, try ExerciseSet(lesson)) }
        var reason = ""
        for draw in 0..<maximumDraws {
            var stream = Stream(secret: secret, lesson: lesson.number, student: student, draw: draw)
            let (inputs, values) = spec.inputs { range in stream.index(below: range.values.count) }
            if spec.ranges.allSatisfy({ values[$0.name] == $0.notes }) { reason = "the draw gave the notes' numbers"; continue }
            let varied = lesson.askingExercises(at: inputs)
            let set: ExerciseSet
            do { set = try ExerciseSet(varied) } catch { reason = "at \(inputs): \(error.message)"; continue }
            if let bad = set.nonFiniteAnswer { reason = "at \(inputs): exercise '\(bad)' has no finite answer"; continue }
            set.student = student
            return (ExerciseVariant(student: student, lesson: varied, draw: draw, values: values), set)
        }
        throw .failed("lesson \(lesson.number): no variant for student '\(TerminalText.safe(student))' in \(maximumDraws) draws; the last: \(reason). Narrow [exercise_inputs] in \(lesson.file)")
    }

    /// The bytes of HMAC-SHA256(secret, label ‖ lesson ‖ student ‖ draw ‖ block), block after block.
    struct Stream {
        let secret: CourseSecret
        let prefix: [UInt8]
        var block: UInt32 = 0
        var buffer: [UInt8] = []

        init(secret: CourseSecret, lesson: Int, student: String, draw: Int) {
            self.secret = secret
            // Fields separated by 0 bytes (a student id has no 0 byte: Submission's rules).
            prefix = Array("backprop-variant-v1".utf8) + [0] + Array(String(lesson).utf8) + [0] + Array(student.utf8) + [0] + Array(String(draw).utf8) + [0]
        }

        mutating func next() -> UInt64 {
            if buffer.count < 8 {
                buffer += secret.mac(prefix + withUnsafeBytes(of: block.bigEndian, Array.init))
                block += 1
            }
            let value = buffer.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            buffer.removeFirst(8)
            return value
        }

        /// A uniform index in 0..<count (count ≥ 1), by rejecting the top partial copy of the range.
        mutating func index(below count: Int) -> Int {
            let n = UInt64(count)
            let limit = UInt64.max - UInt64.max % n
            while true {
                let value = next()
                if value < limit { return Int(value % n) }
            }
        }
    }
}

extension ExerciseSet {
    /// The id of an exercise whose answer is not a finite number (NaN, ±∞) at the set's inputs, or nil.
    var nonFiniteAnswer: String? {
        for item in items {
            let finite: Bool
            switch item.expected {
            case .number(let value, let tolerance): finite = value.isFinite && tolerance.isFinite
            case .tensor(let value, let tolerances): finite = value.storage.allSatisfy(\.isFinite) && tolerances.allSatisfy(\.isFinite)
            case .formula(let formula): finite = formula.engine.storage.allSatisfy(\.isFinite)
            case .graph(let blanks): finite = blanks.allSatisfy { $0.value.isFinite && $0.tolerance.isFinite }
            case .choice, .shape, .count: finite = true
            }
            if !finite { return item.exercise.id }
        }
        return nil
    }
}

/// A course's variants: its secret and the students on its roster. The CLI (`exercises --student`,
/// `grade --course`) and the server ask it for a student's exercises.
public struct CourseVariants: Sendable {
    public let secret: CourseSecret
    /// The roster's student ids.
    public let students: Set<String>
    /// The roster's file, for messages.
    public let roster: String
    /// False for a course without a secret: every student gets the notes' numbers.
    public let varies: Bool

    public init(secret: CourseSecret, students: Set<String>, roster: String, varies: Bool = true) {
        self.secret = secret
        self.students = students
        self.roster = roster
        self.varies = varies
    }

    /// The student's exercises for `lesson` (the notes' when its inputs do not vary).
    /// - Throws: `badInput` for a student not on the roster; `failed` when no variant can be drawn.
    public func exercises(_ lesson: Lesson, student: String) throws(WorkbenchFailure) -> ExerciseSet {
        try variant(lesson, student: student).set
    }

    public func variant(_ lesson: Lesson, student: String) throws(WorkbenchFailure) -> (variant: ExerciseVariant?, set: ExerciseSet) {
        guard students.contains(student) else {
            throw .badInput("student '\(TerminalText.safe(student))' is not on the course's roster (\(roster)), so they have no variant")
        }
        guard varies else { return (nil, try ExerciseSet(lesson)) }
        return try ExerciseVariant.make(lesson, student: student, secret: secret)
    }

    /// Grades an answer file against its student's own variant: a file whose `student` is not on the
    /// roster, or whose variant cannot be drawn, is rejected with the reason (exit 2 for that file).
    /// `sets` keeps each student's set for the next file of the same student.
    public func grade(bytes: [UInt8], file: String, notes set: ExerciseSet, sets: inout [String: ExerciseSet], reveal: Bool = true) -> SubmissionGrade {
        let submission: Submission
        do { submission = try Submission(bytes: bytes, file: file) } catch {
            return set.rejected(file: file, student: error.student, reason: error.reason)
        }
        if let own = sets[submission.student] { return own.grade(submission, reveal: reveal) }
        do throws(WorkbenchFailure) {
            let own = try exercises(set.lesson, student: submission.student)
            sets[submission.student] = own
            return own.grade(submission, reveal: reveal)
        } catch {
            return set.rejected(file: file, student: submission.student, reason: error.what)
        }
    }
}
