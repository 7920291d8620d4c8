import Foundation
import Support
import TOMLKit

// Late answers (docs/serve.md, "Late answers"): an assignment may take answers after `due` until
// `late_until`, each stored marked late. What a wrong answer reveals follows the time answers close,
// not `due`: while anyone may still answer, no figure is shown under "after-due".
//
// ```toml
// [[assignment]]
// lesson = 1
// due = 2026-12-20T23:59:00Z
// late_until = 2026-12-27T23:59:00Z   # optional: without it answers after `due` are refused (409)
// ```

extension CourseFile {
    /// The keys of an `[[assignment]]` that this file reads.
    static let lateKeys = ["late_until"]

    /// `late_until`: a time with a zone, after `due` (which it needs).
    static func lateUntil(_ entry: TOMLTable, due: Date?, fail: (String, String) -> WorkbenchFailure) throws(WorkbenchFailure) -> Date? {
        guard let value = entry["late_until"] else { return nil }
        if let dateTime = value.dateTime, dateTime.offset == nil {
            throw fail("late_until", "'late_until' needs a time zone, e.g. 2026-12-27T23:59:00Z or …+01:00")
        }
        guard let time = time(value) else {
            throw fail("late_until", "'late_until' must be an RFC 3339 time with a zone, e.g. 2026-12-27T23:59:00Z")
        }
        guard let due else { throw fail("late_until", "'late_until' needs a 'due' time: answers after 'due' and before 'late_until' are taken as late") }
        guard time > due else { throw fail("late_until", "'late_until' must be after 'due'") }
        return time
    }
}

extension CourseFile.Assignment {
    /// When answers stop being taken: `late_until`, else `due` (nil: never).
    public var closes: Date? { lateUntil ?? due }

    /// Whether an answer sent at `now` is late: after `due`, before `late_until`.
    public func isLate(at now: Date) -> Bool {
        guard let due, now >= due else { return false }
        return lateUntil.map { now < $0 } ?? false
    }

    /// Whether answers are still taken at `now` (on time or late).
    public func isOpen(at now: Date) -> Bool { closes.map { now < $0 } ?? true }

    /// Whether a wrong answer's feedback may give the engine's figure at `now`: "after-due" waits
    /// until answers close (`late_until` when late answers are taken), so that no student who may
    /// still answer sees a figure, late or not.
    public func reveals(at now: Date) -> Bool {
        switch reveal {
        case .always: return true
        case .never: return false
        case .afterDue: return closes.map { now >= $0 } ?? false
        }
    }
}
