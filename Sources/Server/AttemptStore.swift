import Foundation
import GRDB

/// Every answer attempt, kept in one SQLite file (`DIR/attempts.sqlite`) through GRDB.
///
/// The database is in WAL mode with `synchronous = FULL`: a write returns only after its commit is
/// in the write-ahead log on disk, and the server acknowledges an attempt only after `record`
/// returns. So an acknowledged attempt survives the process being killed (and a power cut).
final class AttemptStore: Sendable {
    /// One stored attempt.
    struct Attempt: Sendable {
        let id: Int64
        let received: Date
        let lesson: Int
        let student: String?
        let name: String?
        let client: String
        /// The answer file as graded (TOML text).
        let answers: String
        let points: Double
        let maxPoints: Double
        let rejection: String?
        /// `backprop grade --json`'s object for this attempt.
        let grade: String
    }

    let path: String
    let pool: DatabasePool

    /// Opens (or creates) `directory/attempts.sqlite`.
    /// - Throws: a message naming the path when the directory or the file cannot be used.
    init(directory: String) throws(ServerFailure) {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ServerFailure("--data \(directory): cannot create the directory: \(error.localizedDescription)")
        }
        path = (directory as NSString).appendingPathComponent("attempts.sqlite")
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS attempt (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        received REAL NOT NULL,
                        lesson INTEGER NOT NULL,
                        student TEXT,
                        name TEXT,
                        client TEXT NOT NULL,
                        answers TEXT NOT NULL,
                        points REAL NOT NULL,
                        max_points REAL NOT NULL,
                        rejection TEXT,
                        grade TEXT NOT NULL
                    );
                    CREATE INDEX IF NOT EXISTS attempt_lesson_student ON attempt (lesson, student, id);
                    """)
                try SignIn.createTables(db)
            }
        } catch {
            throw ServerFailure("\(path): cannot open the answer store: \(error)")
        }
    }

    /// Stores one attempt and returns its id once the commit is on disk; nil, storing nothing, when
    /// `student` already has `maxAttempts` graded attempts at the lesson (counted in the same transaction,
    /// so that attempts sent at once cannot pass the limit together).
    func record(lesson: Int, client: String, answers: String, graded: Course.Graded, maxAttempts: Int? = nil) async throws -> Int64? {
        try await pool.write { db in
            if let maxAttempts, let student = graded.student,
               try AttemptStore.graded(db, lesson: lesson, student: student) >= maxAttempts { return nil }
            try db.execute(sql: """
                INSERT INTO attempt (received, lesson, student, name, client, answers, points, max_points, rejection, grade)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [Date().timeIntervalSince1970, lesson, graded.student, graded.name, client, answers,
                                 graded.points, graded.maxPoints, graded.rejection, graded.json])
            return db.lastInsertedRowID
        }
    }

    /// Every attempt at lesson `lesson`, oldest first (`after`: only those with a larger id).
    func attempts(lesson: Int, after: Int64 = 0, limit: Int = 10_000) async throws -> [Attempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attempt WHERE lesson = ? AND id > ? ORDER BY id LIMIT ?",
                             arguments: [lesson, after, limit]).map(AttemptStore.attempt)
        }
    }

    /// The attempts at `lesson` with ids between `after` and `before` (both excluded), newest first,
    /// at most `limit`: the teacher's list a page at a time.
    func newest(lesson: Int, after: Int64, before: Int64, limit: Int) async throws -> [Attempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attempt WHERE lesson = ? AND id > ? AND id < ? ORDER BY id DESC LIMIT ?",
                             arguments: [lesson, after, before, limit]).map(AttemptStore.attempt)
        }
    }

    /// How many graded (not rejected) attempts `student` has at `lesson`.
    func gradedAttempts(lesson: Int, student: String) async throws -> Int {
        try await pool.read { db in try AttemptStore.graded(db, lesson: lesson, student: student) }
    }

    static func graded(_ db: Database, lesson: Int, student: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempt WHERE lesson = ? AND student = ? AND rejection IS NULL",
                         arguments: [lesson, student]) ?? 0
    }

    /// Each student's latest attempt at `lesson`, ordered by student id.
    func latest(lesson: Int) async throws -> [Attempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM attempt WHERE id IN
                    (SELECT MAX(id) FROM attempt WHERE lesson = ? AND student IS NOT NULL GROUP BY student)
                ORDER BY student
                """, arguments: [lesson]).map(AttemptStore.attempt)
        }
    }

    /// Each student's best attempt at `lesson` (most points among the graded ones, the later on a
    /// tie; the latest when none was graded), ordered by student id: a course's `counts = "best"`.
    func best(lesson: Int) async throws -> [Attempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM attempt WHERE id IN
                    (SELECT COALESCE((SELECT b.id FROM attempt b WHERE b.lesson = a.lesson AND b.student = a.student AND b.rejection IS NULL
                                      ORDER BY b.points DESC, b.id DESC LIMIT 1), MAX(a.id))
                     FROM attempt a WHERE a.lesson = ? AND a.student IS NOT NULL GROUP BY a.student)
                ORDER BY student
                """, arguments: [lesson]).map(AttemptStore.attempt)
        }
    }

    /// One student's attempts at `lesson`, oldest first.
    func attempts(lesson: Int, student: String) async throws -> [Attempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attempt WHERE lesson = ? AND student = ? ORDER BY id",
                             arguments: [lesson, student]).map(AttemptStore.attempt)
        }
    }

    /// How many attempts are stored (all lessons).
    func count() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempt") ?? 0 }
    }

    static func attempt(_ row: Row) -> Attempt {
        Attempt(id: row["id"], received: Date(timeIntervalSince1970: row["received"]), lesson: row["lesson"],
                student: row["student"], name: row["name"], client: row["client"], answers: row["answers"],
                points: row["points"], maxPoints: row["max_points"], rejection: row["rejection"], grade: row["grade"])
    }
}
