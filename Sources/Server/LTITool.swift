import Crypto
import Foundation
import LTI
import Synchronization

/// The server's LTI 1.3 tool (docs/lti.md): the pending logins, the launch verifier, the teachers'
/// LTI sessions and the score service, made at start from the course file's `[lti]`.
final class LTITool: Sendable {
    let configuration: LTIConfiguration
    let logins = LoginStates()
    let verifier: LaunchVerifier
    let teachers = TeacherSessions()
    let scores: ScoreService
    let lineItems: any LineItemStore

    init(_ configuration: LTIConfiguration, course: CourseFile, store: any AttemptStore) throws(ServerFailure) {
        guard let lineItems = store as? any LineItemStore else { throw ServerFailure("\(store.location): this store cannot keep LTI line items") }
        do { try lineItems.prepareLineItems() } catch { throw ServerFailure("\(store.location): cannot make the LTI table: \(error)") }
        self.configuration = configuration
        self.lineItems = lineItems
        verifier = LaunchVerifier(configuration: configuration)
        scores = ScoreService(toolKey: configuration.toolKey, resolve: { student, lesson in
            try await Self.score(student: student, lesson: lesson, course: course, configuration: configuration, store: store, lineItems: lineItems)
        }, found: { student, lesson, lineItem in
            try? await lineItems.settleLineItem(student: student, lesson: lesson, lineItem: lineItem.absoluteString)
        }, report: { line in
            FileHandle.standardError.write(Data(("backprop serve: " + line + "\n").utf8))
        })
    }

    /// The score to send for `student` at `lesson` now: their best or latest graded attempt, as the
    /// assignment counts; nil when no launch gave a line item or nothing is graded yet.
    static func score(student: String, lesson: Int, course: CourseFile, configuration: LTIConfiguration,
                      store: any AttemptStore, lineItems: any LineItemStore) async throws -> Score? {
        guard let item = try await lineItems.lineItem(student: student, lesson: lesson),
              let platform = configuration.platform(key: item.platform), let url = URL(string: item.lineItem) else { return nil }
        let graded = try await store.attempts(lesson: lesson, student: student).filter { $0.rejection == nil }
        let chosen = course.assignment(lesson)?.counts == .best
            ? graded.max { ($0.points, $0.id) < ($1.points, $1.id) }   // the most points, the later on a tie
            : graded.last
        guard let chosen else { return nil }
        let target: Score.Target = item.container ? .container(url, resourceLinkID: item.resourceLink, lesson: lesson) : .lineItem(url)
        return Score(platform: platform, target: target, userID: item.userID, given: chosen.points, maximum: chosen.maxPoints)
    }
}

/// Teachers signed in by an LTI launch (Instructor or Administrator): a random 192-bit id in the
/// cookie `backprop_teacher`, kept in memory as its SHA-256 for 8 hours (a restart ends them: launch
/// again). The teacher's routes take it as they take a teacher's token.
final class TeacherSessions: Sendable {
    static let cookieName = "backprop_teacher"
    static let seconds: TimeInterval = 8 * 3600
    static let capacity = 10_000
    private let sessions = Mutex<[String: (name: String, expires: Date)]>([:])

    /// Starts a session; nil when `capacity` live sessions exist.
    func start(name: String, now: Date = Date()) -> String? {
        let id = SignIn.randomCode()
        let stored = sessions.withLock { table -> Bool in
            if table.count >= Self.capacity { table = table.filter { $0.value.expires > now } }
            guard table.count < Self.capacity else { return false }
            table[SignIn.digest(id)] = (name, now.addingTimeInterval(Self.seconds))
            return true
        }
        return stored ? id : nil
    }

    /// The teacher of a live session, or nil.
    func teacher(_ id: String, now: Date = Date()) -> String? {
        guard (16...128).contains(id.utf8.count) else { return nil }
        return sessions.withLock { table in table[SignIn.digest(id)].flatMap { $0.expires > now ? $0.name : nil } }
    }
}
