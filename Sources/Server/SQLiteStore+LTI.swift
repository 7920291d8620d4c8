import Foundation
import GRDB

/// Where a student's scores go: the line item and platform user id of their latest LTI launch of a
/// lesson (docs/lti.md). Kept in the store so that scores still reach the LMS after a restart.
protocol LineItemStore: Sendable {
    /// Creates the table if it is missing (at start, with `[lti]`).
    func prepareLineItems() throws
    /// Remembers (or replaces) the line item of `student` at `lesson`: a line item, or (`container`)
    /// the line items' container where the lesson's is found or made, with the launch's resource link.
    func rememberLineItem(_ item: RememberedLineItem, student: String, lesson: Int) async throws
    /// The line item of `student` at `lesson`, or nil when no launch carried one.
    func lineItem(student: String, lesson: Int) async throws -> RememberedLineItem?
    /// The line item found or made in the container: remembered in its place.
    func settleLineItem(student: String, lesson: Int, lineItem: String) async throws
    /// Every student and lesson with a line item, by lesson then student.
    func lineItems() async throws -> [(student: String, lesson: Int)]
}

/// One remembered line item (or container) of a student at a lesson.
struct RememberedLineItem: Sendable {
    let platform: String
    let lineItem: String
    let userID: String
    var container = false
    var resourceLink: String? = nil
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
                    container INTEGER NOT NULL DEFAULT 0,
                    resource_link TEXT,
                    updated REAL NOT NULL,
                    PRIMARY KEY (student, lesson)
                )
                """)
        }
    }

    func rememberLineItem(_ item: RememberedLineItem, student: String, lesson: Int) async throws {
        let now = Date().timeIntervalSince1970
        try await pool.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO lti_line_item (student, lesson, platform, line_item, user_id, container, resource_link, updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [student, lesson, item.platform, item.lineItem, item.userID, item.container, item.resourceLink, now])
        }
    }

    func lineItem(student: String, lesson: Int) async throws -> RememberedLineItem? {
        try await pool.read { db -> RememberedLineItem? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM lti_line_item WHERE student = ? AND lesson = ?", arguments: [student, lesson]) else { return nil }
            let platform: String = row["platform"], lineItem: String = row["line_item"], userID: String = row["user_id"]
            let container: Bool = row["container"], resourceLink: String? = row["resource_link"]
            return RememberedLineItem(platform: platform, lineItem: lineItem, userID: userID, container: container, resourceLink: resourceLink)
        }
    }

    func settleLineItem(student: String, lesson: Int, lineItem: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE lti_line_item SET line_item = ?, container = 0 WHERE student = ? AND lesson = ?", arguments: [lineItem, student, lesson])
        }
    }

    func lineItems() async throws -> [(student: String, lesson: Int)] {
        try await pool.read { db -> [(student: String, lesson: Int)] in
            try Row.fetchAll(db, sql: "SELECT student, lesson FROM lti_line_item ORDER BY lesson, student").map { row in
                let student: String = row["student"], lesson: Int = row["lesson"]
                return (student, lesson)
            }
        }
    }
}
