import Foundation
import GRDB

/// Where a student's scores go: the line item and platform user id of their latest LTI launch of a
/// lesson (docs/lti.md). Kept in the store so that scores still reach the LMS after a restart.
protocol LineItemStore: Sendable {
    /// Creates the table if it is missing (at start, with `[lti]`).
    func prepareLineItems() throws
    /// Remembers (or replaces) the line item of `student` at `lesson`.
    func rememberLineItem(student: String, lesson: Int, platform: String, lineItem: String, userID: String) async throws
    /// The line item of `student` at `lesson`, or nil when no launch carried one.
    func lineItem(student: String, lesson: Int) async throws -> (platform: String, lineItem: String, userID: String)?
    /// Every student and lesson with a line item, by lesson then student.
    func lineItems() async throws -> [(student: String, lesson: Int)]
}

/// The table `lti_line_item` of `attempts.sqlite` (this file and SQLiteStore.swift hold the server's SQL).
extension SQLiteStore: LineItemStore {
    func prepareLineItems() throws {
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS lti_line_item (
                    student TEXT NOT NULL,
                    lesson INTEGER NOT NULL,
                    platform TEXT NOT NULL,
                    line_item TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    updated REAL NOT NULL,
                    PRIMARY KEY (student, lesson)
                )
                """)
        }
    }

    func rememberLineItem(student: String, lesson: Int, platform: String, lineItem: String, userID: String) async throws {
        let now = Date().timeIntervalSince1970
        try await pool.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO lti_line_item (student, lesson, platform, line_item, user_id, updated) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [student, lesson, platform, lineItem, userID, now])
        }
    }

    func lineItem(student: String, lesson: Int) async throws -> (platform: String, lineItem: String, userID: String)? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT platform, line_item, user_id FROM lti_line_item WHERE student = ? AND lesson = ?",
                             arguments: [student, lesson]).map { (platform: $0["platform"], lineItem: $0["line_item"], userID: $0["user_id"]) }
        }
    }

    func lineItems() async throws -> [(student: String, lesson: Int)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT student, lesson FROM lti_line_item ORDER BY lesson, student").map { (student: $0["student"], lesson: $0["lesson"]) }
        }
    }
}
