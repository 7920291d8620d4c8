import Foundation
import GRDB

/// The answer store in one SQLite file (`DIR/attempts.sqlite`) through GRDB: the only code of the
/// server that holds SQL (`AttemptStore` says what it must keep).
///
/// The database is in WAL mode with `synchronous = FULL`: a write returns only after its commit is
/// in the write-ahead log on disk, so `record` returns only once the attempt survives the process
/// being killed (and a power cut). Tables: `attempt`, `sign_in_code`, `session` (docs/serve.md, "Storage").
final class SQLiteStore: AttemptStore {
    let path: String
    let pool: DatabasePool

    var location: String { path }

    /// Opens (or creates) `directory/attempts.sqlite`, its tables and their columns.
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
                    CREATE TABLE IF NOT EXISTS sign_in_code (
                        student TEXT PRIMARY KEY,
                        code_sha256 TEXT NOT NULL UNIQUE,
                        issued REAL NOT NULL
                    );
                    CREATE TABLE IF NOT EXISTS session (
                        id_sha256 TEXT PRIMARY KEY,
                        student TEXT NOT NULL,
                        expires REAL NOT NULL
                    );
                    CREATE INDEX IF NOT EXISTS session_student ON session (student);
                    """)
                // `answers_format`: "toml" (an answer file, and every attempt stored before typed answers)
                // or "json" (the typed answers of a JSON body, as JSON).
                if try !db.columns(in: "attempt").contains(where: { $0.name == "answers_format" }) {
                    try db.execute(sql: "ALTER TABLE attempt ADD COLUMN answers_format TEXT NOT NULL DEFAULT 'toml'")
                }
                // `late`: 1 when the attempt came after the due time and was taken as late (`late_until`).
                if try !db.columns(in: "attempt").contains(where: { $0.name == "late" }) {
                    try db.execute(sql: "ALTER TABLE attempt ADD COLUMN late INTEGER NOT NULL DEFAULT 0")
                }
            }
        } catch {
            throw ServerFailure("\(path): cannot open the answer store: \(error)")
        }
    }

    // MARK: - Attempts

    func record(_ attempt: NewAttempt, maxAttempts: Int?) async throws -> Int64? {
        let (format, text): (String, String)
        switch try StoredAnswers(attempt.answers) {
        case .file(let file): (format, text) = ("toml", file)
        case .json(let json): (format, text) = ("json", json)
        }
        let graded = attempt.graded
        return try await pool.write { db in
            if let maxAttempts, let student = graded.student,
               try SQLiteStore.graded(db, lesson: attempt.lesson, student: student) >= maxAttempts { return nil }
            try db.execute(sql: """
                INSERT INTO attempt (received, lesson, student, name, client, answers, answers_format, points, max_points, rejection, grade, late)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [Date().timeIntervalSince1970, attempt.lesson, graded.student, graded.name, attempt.client, text, format,
                                 graded.points, graded.maxPoints, graded.rejection, graded.json, attempt.late ? 1 : 0])
            return db.lastInsertedRowID
        }
    }

    func attempts(lesson: Int, limit: Int) async throws -> [StoredAttempt] {
        try await fetch("SELECT * FROM attempt WHERE lesson = ? ORDER BY id LIMIT ?", [lesson.databaseValue, limit.databaseValue])
    }

    func newest(lesson: Int, after: Int64, before: Int64, limit: Int) async throws -> [StoredAttempt] {
        try await fetch("SELECT * FROM attempt WHERE lesson = ? AND id > ? AND id < ? ORDER BY id DESC LIMIT ?", [lesson.databaseValue, after.databaseValue, before.databaseValue, limit.databaseValue])
    }

    func attempts(lesson: Int, student: String) async throws -> [StoredAttempt] {
        try await fetch("SELECT * FROM attempt WHERE lesson = ? AND student = ? ORDER BY id", [lesson.databaseValue, student.databaseValue])
    }

    func attempts(student: String) async throws -> [StoredAttempt] {
        try await fetch("SELECT * FROM attempt WHERE student = ? ORDER BY id", [student.databaseValue])
    }

    func latest(lesson: Int) async throws -> [StoredAttempt] {
        try await fetch("""
            SELECT * FROM attempt WHERE id IN
                (SELECT MAX(id) FROM attempt WHERE lesson = ? AND student IS NOT NULL GROUP BY student)
            ORDER BY student
            """, [lesson.databaseValue])
    }

    func best(lesson: Int) async throws -> [StoredAttempt] {
        try await fetch("""
            SELECT * FROM attempt WHERE id IN
                (SELECT COALESCE((SELECT b.id FROM attempt b WHERE b.lesson = a.lesson AND b.student = a.student AND b.rejection IS NULL
                                  ORDER BY b.points DESC, b.id DESC LIMIT 1), MAX(a.id))
                 FROM attempt a WHERE a.lesson = ? AND a.student IS NOT NULL GROUP BY a.student)
            ORDER BY student
            """, [lesson.databaseValue])
    }

    func gradedAttempts(lesson: Int, student: String) async throws -> Int {
        try await pool.read { db in try SQLiteStore.graded(db, lesson: lesson, student: student) }
    }

    func count() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempt") ?? 0 }
    }

    private static func graded(_ db: Database, lesson: Int, student: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempt WHERE lesson = ? AND student = ? AND rejection IS NULL",
                         arguments: [lesson, student]) ?? 0
    }

    /// The attempts a query selects, read off the cooperative threads (GRDB's async `read`).
    private func fetch(_ sql: String, _ values: [DatabaseValue]) async throws -> [StoredAttempt] {
        try await pool.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values)).map(SQLiteStore.attempt) }
    }

    private static func attempt(_ row: Row) -> StoredAttempt {
        let text: String = row["answers"]
        let sent: StoredAnswers = row["answers_format"] as String == "json" ? .json(text) : .file(text)
        return StoredAttempt(id: row["id"], received: Date(timeIntervalSince1970: row["received"]), lesson: row["lesson"],
                             student: row["student"], name: row["name"], client: row["client"], sent: sent,
                             points: row["points"], maxPoints: row["max_points"], rejection: row["rejection"], grade: row["grade"],
                             late: (row["late"] as Int?) == 1)
    }

    // MARK: - Sign-in codes and sessions

    func studentsWithCodes() throws -> Set<String> {
        Set(try pool.read { db in try String.fetchAll(db, sql: "SELECT student FROM sign_in_code") })
    }

    func replaceCodes(_ codes: [(student: String, sha256: String)], issued: Date) throws {
        try pool.write { db in
            for code in codes {
                try db.execute(sql: "DELETE FROM session WHERE student = ?", arguments: [code.student])
                try db.execute(sql: "INSERT OR REPLACE INTO sign_in_code (student, code_sha256, issued) VALUES (?, ?, ?)",
                               arguments: [code.student, code.sha256, issued.timeIntervalSince1970])
            }
        }
    }

    func student(codeSHA256: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT student FROM sign_in_code WHERE code_sha256 = ?", arguments: [codeSHA256])
        }
    }

    func startSession(idSHA256: String, student: String, expires: Date) async throws {
        let now = Date().timeIntervalSince1970
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM session WHERE expires < ?", arguments: [now])
            try db.execute(sql: "INSERT INTO session (id_sha256, student, expires) VALUES (?, ?, ?)",
                           arguments: [idSHA256, student, expires.timeIntervalSince1970])
        }
    }

    func endSession(idSHA256: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM session WHERE id_sha256 = ?", arguments: [idSHA256]) }
    }

    func student(sessionSHA256: String) async throws -> String? {
        let now = Date().timeIntervalSince1970
        return try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT student FROM session WHERE id_sha256 = ? AND expires > ?", arguments: [sessionSHA256, now])
        }
    }
}
