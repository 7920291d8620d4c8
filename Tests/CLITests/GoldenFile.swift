import Foundation
import Testing
import TestSupport

/// The CLI tests' golden files, in `Goldens/` beside this file (`make goldens` re-records them).
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    /// Checks `actual` against `Goldens/name`, reporting a difference at the caller.
    static func check(_ actual: String, against name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if let problem = try GoldenFile.compare(actual, against: name, in: directory) {
            Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        }
    }
}
