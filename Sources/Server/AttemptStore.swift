import Foundation

/// What the server keeps: every answer attempt, the sign-in codes' hashes and the sessions'. The
/// routes call these typed methods and never see SQL; `SQLiteStore` (GRDB, one file) is the store of
/// today, and a PostgreSQL store (postgres-nio) would implement the same protocol (docs/serve.md,
/// "Beyond one machine").
///
/// Every implementation must keep two promises the routes rely on:
/// - `record` returns only once the attempt is durable (its commit on disk): the server acknowledges
///   an attempt only then, so an acknowledged attempt survives SIGKILL and a power cut.
/// - `record` counts the student's graded attempts and inserts in one transaction, so that attempts
///   sent at once cannot pass `maxAttempts` together.
protocol AttemptStore: Sendable {
    /// Where the store is, for messages (`DIR/attempts.sqlite`).
    var location: String { get }

    /// Stores one attempt and returns its number once it is durable; nil, storing nothing, when the
    /// student already has `maxAttempts` graded attempts at the lesson.
    func record(_ attempt: NewAttempt, maxAttempts: Int?) async throws -> Int64?
    /// Attempts at `lesson` with numbers between `after` and `before` (both excluded), newest first, at most `limit`.
    func newest(lesson: Int, after: Int64, before: Int64, limit: Int) async throws -> [StoredAttempt]
    /// Every attempt at `lesson`, oldest first, at most `limit`.
    func attempts(lesson: Int, limit: Int) async throws -> [StoredAttempt]
    /// One student's attempts at `lesson`, oldest first.
    func attempts(lesson: Int, student: String) async throws -> [StoredAttempt]
    /// Each student's latest attempt at `lesson`, ordered by student id.
    func latest(lesson: Int) async throws -> [StoredAttempt]
    /// Each student's best attempt at `lesson` (most points among the graded ones, the later on a tie;
    /// the latest when none was graded), ordered by student id.
    func best(lesson: Int) async throws -> [StoredAttempt]
    /// How many graded (not rejected) attempts `student` has at `lesson`.
    func gradedAttempts(lesson: Int, student: String) async throws -> Int
    /// Every attempt of `student`, all lessons, oldest first.
    func attempts(student: String) async throws -> [StoredAttempt]
    /// Ends one session (sign-out).
    func endSession(idSHA256: String) async throws
    /// How many attempts are stored (all lessons).
    func count() async throws -> Int

    /// The students who have a sign-in code (at start, before serving).
    func studentsWithCodes() throws -> Set<String>
    /// Replaces these students' codes by the given hashes and ends their sessions, in one transaction.
    func replaceCodes(_ codes: [(student: String, sha256: String)], issued: Date) throws
    /// The student whose current code has this SHA-256, or nil.
    func student(codeSHA256: String) async throws -> String?
    /// Stores a session (its id's SHA-256) until `expires`, deleting the expired ones.
    func startSession(idSHA256: String, student: String, expires: Date) async throws
    /// The student of the live session with this SHA-256, or nil.
    func student(sessionSHA256: String) async throws -> String?
}

/// An answer as sent: an answer file (`application/toml`), graded from its bytes, or the typed
/// answers of a JSON body, graded as they are.
enum Answers: Sendable {
    case file(String)
    case typed(AnswerRequest)
}

/// An attempt to store: what was sent and how it was graded.
struct NewAttempt: Sendable {
    let lesson: Int
    let client: String
    let answers: Answers
    let graded: Course.Graded
    /// Sent after the assignment's due time, within its `late_until`.
    var late = false
}

/// One stored attempt.
struct StoredAttempt: Sendable {
    let id: Int64
    let received: Date
    let lesson: Int
    let student: String?
    let name: String?
    let client: String
    /// What was sent, as stored; `answers()` decodes it (the statistics, which read only `grade`,
    /// never pay for decoding every attempt's answers).
    let sent: StoredAnswers
    let points: Double
    let maxPoints: Double
    let rejection: String?
    /// `backprop grade --json`'s object for this attempt, as graded when it was sent.
    let grade: String
    /// Sent after the due time and taken as late.
    var late = false
}

extension StoredAttempt {
    /// What was sent, typed again.
    func answers() throws -> Answers { try sent.answers() }
}

/// Answers as a store keeps them: an answer file's text as it came, typed answers as JSON (the
/// `AnswerRequest`, keys sorted). Every store keeps them so; SQLite in `answers` and `answers_format`.
enum StoredAnswers: Sendable {
    case file(String)
    case json(String)

    init(_ answers: Answers) throws {
        switch answers {
        case .file(let text): self = .file(text)
        case .typed(let request):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            self = .json(String(decoding: try encoder.encode(request), as: UTF8.self))
        }
    }

    func answers() throws -> Answers {
        switch self {
        case .file(let text): return .file(text)
        case .json(let text): return .typed(try JSONDecoder().decode(AnswerRequest.self, from: Data(text.utf8)))
        }
    }
}
