import Foundation
import Synchronization

/// A score to post: a student's grade at a lesson, to the line item their launch carried.
public struct Score: Sendable {
    /// Where it goes: the launch's line item, or the lesson's line item in the launch's container
    /// (found by its tag `backprop-lesson-N` and resource link, made when there is none).
    public enum Target: Sendable {
        case lineItem(URL)
        case container(URL, resourceLinkID: String?, lesson: Int)
    }
    public let platform: LTIPlatform
    public let target: Target
    /// The platform's user id (`sub` of the launch).
    public let userID: String
    public let given: Double
    public let maximum: Double
    public init(platform: LTIPlatform, target: Target, userID: String, given: Double, maximum: Double) {
        self.platform = platform; self.target = target; self.userID = userID; self.given = given; self.maximum = maximum
    }
}

/// What became of one score: for the teacher's view (`GET /api/teacher/lti/scores`) and the log.
public struct ScoreOutcome: Sendable, Codable {
    public let time: String
    public let student: String
    public let lesson: Int
    public let platform: String?
    public let scoreGiven: Double?
    public let scoreMaximum: Double?
    /// "sent", "failed" or "dropped" (the queue was full).
    public let status: String
    public let detail: String?
}

/// Posts scores to the platforms' line items (LTI Assignment and Grade Services 2.0) after the
/// attempts are stored, never in the student's request: `enqueue` only notes the student and lesson
/// (at most `capacity` waiting; beyond, the score is dropped and says so), and one worker works
/// through them in order, asking `resolve` for the score to send at that moment (best or latest, as the
/// assignment counts), a bearer token from the platform's token endpoint (a client assertion signed
/// with the tool's key; kept until it expires), then POSTing to `LINEITEM/scores`. Every outcome is
/// kept (the last 500) and a failure is also passed to `report` (the server's log).
public final class ScoreService: Sendable {
    public typealias Resolve = @Sendable (_ student: String, _ lesson: Int) async throws -> Score?
    /// Called with the line item found or made in a container, to be remembered for the next scores.
    public typealias Found = @Sendable (_ student: String, _ lesson: Int, _ lineItem: URL) async -> Void

    public let capacity: Int
    let toolKey: ToolKey
    let client: PlatformClient
    let resolve: Resolve
    let found: Found
    let report: @Sendable (String) -> Void
    private struct Queue {
        var waiting: [(student: String, lesson: Int)] = []
        var next = 0
        var queued: Set<String> = []
        var running = false
        var outcomes: [ScoreOutcome] = []
        var count: Int { waiting.count - next }
    }
    private let state = Mutex(Queue())
    private let tokens = Mutex<[String: (token: String, expires: Date)]>([:])
    static let keptOutcomes = 500

    public init(toolKey: ToolKey, capacity: Int = 10_000, timeout: Int64 = 10, resolve: @escaping Resolve,
                found: @escaping Found = { _, _, _ in }, report: @escaping @Sendable (String) -> Void) {
        self.found = found
        self.toolKey = toolKey
        self.capacity = capacity
        self.client = PlatformClient(timeout: .seconds(timeout))
        self.resolve = resolve
        self.report = report
    }

    /// Notes that `student` has a new graded attempt at `lesson`; returns at once. A student already
    /// waiting for that lesson is not noted twice (the worker sends the score of that moment).
    public func enqueue(student: String, lesson: Int) {
        let (start, dropped) = state.withLock { state -> (Bool, Bool) in
            guard !state.queued.contains(Self.key(student, lesson)) else { return (false, false) }
            guard state.count < capacity else { return (false, true) }
            state.waiting.append((student, lesson))
            state.queued.insert(Self.key(student, lesson))
            if state.running { return (false, false) }
            state.running = true
            return (true, false)
        }
        if dropped { record(student, lesson, nil, "dropped", "\(capacity) scores were waiting to be sent") }
        if start { Task.detached { await self.work() } }
    }

    /// The outcomes, newest first.
    public var outcomes: [ScoreOutcome] { state.withLock { Array($0.outcomes.reversed()) } }

    /// Whether nothing is waiting or being sent (the tests wait for it).
    public var idle: Bool { state.withLock { $0.count == 0 && !$0.running } }

    static func key(_ student: String, _ lesson: Int) -> String { "\(lesson) " + student }

    private func work() async {
        while let next = state.withLock({ state -> (student: String, lesson: Int)? in
            guard state.next < state.waiting.count else {
                state.waiting.removeAll(keepingCapacity: true); state.next = 0; state.running = false
                return nil
            }
            let item = state.waiting[state.next]
            state.next += 1
            if state.next >= 1024 && state.next * 2 >= state.waiting.count {   // the sent ones go, so a busy queue does not grow
                state.waiting.removeFirst(state.next); state.next = 0
            }
            state.queued.remove(Self.key(item.student, item.lesson))
            return item
        }) {
            await send(student: next.student, lesson: next.lesson)
        }
    }

    private func send(student: String, lesson: Int) async {
        let score: Score
        do {
            guard let resolved = try await resolve(student, lesson) else { return }   // no line item: nothing to send
            score = resolved
        } catch {
            record(student, lesson, nil, "failed", "the score could not be read: \(error)")
            return
        }
        do {
            let lineItem: URL
            switch score.target {
            case .lineItem(let url): lineItem = url
            case .container(let container, let link, let number):
                lineItem = try await LineItems(client: client, bearer: { platform, scopes throws(LTIError) in try await self.bearer(platform, scopes: scopes) })
                    .find(in: container, resourceLinkID: link, lesson: number, maximum: score.maximum, platform: score.platform)
                await found(student, lesson, lineItem)
            }
            try await post(score, to: lineItem, retry: true)
            record(student, lesson, score, "sent", nil)
        } catch {
            record(student, lesson, score, "failed", "\(error)")
        }
    }

    private func post(_ score: Score, to lineItem: URL, retry: Bool) async throws(LTIError) {
        let token = try await bearer(score.platform, scopes: [Launch.scoreScope])
        let body = Self.scoreJSON(score, now: Date())
        let reply: PlatformClient.Reply
        do {
            reply = try await client.postJSON(Self.scoresURL(lineItem), body, contentType: "application/vnd.ims.lis.v1.score+json", bearer: token)
        } catch {
            throw LTIError("\(score.platform.name)'s score service could not be reached: \(error)", status: 502)
        }
        if reply.status == 401 && retry {
            // The platform no longer takes the token (it expired early, or was revoked): one new token, one more try.
            tokens.withLock { _ = $0.removeValue(forKey: Self.tokenKey(score.platform, [Launch.scoreScope])) }
            return try await post(score, to: lineItem, retry: false)
        }
        guard (200..<300).contains(reply.status) else {
            throw LTIError("\(score.platform.name)'s score service answered HTTP \(reply.status): \(reply.text)", status: 502)
        }
    }

    static func tokenKey(_ platform: LTIPlatform, _ scopes: [String]) -> String { platform.key + " " + scopes.joined(separator: " ") }

    /// A bearer token for these scopes: kept until 30 s before it expires.
    func bearer(_ platform: LTIPlatform, scopes: [String]) async throws(LTIError) -> String {
        let now = Date()
        if let kept = tokens.withLock({ $0[Self.tokenKey(platform, scopes)] }), kept.expires > now { return kept.token }
        let assertion: String
        do { assertion = try await toolKey.clientAssertion(for: platform, now: now) } catch {
            throw LTIError("the client assertion could not be signed: \(error)", status: 500)
        }
        let reply: PlatformClient.Reply
        do {
            reply = try await client.postForm(platform.tokenURL, [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion),
                ("scope", scopes.joined(separator: " ")),
            ])
        } catch {
            throw LTIError("\(platform.name)'s token endpoint could not be reached: \(error)", status: 502)
        }
        struct TokenReply: Decodable { let access_token: String; let expires_in: Double? }
        guard reply.status == 200, let decoded = try? JSONDecoder().decode(TokenReply.self, from: Data(reply.body)), !decoded.access_token.isEmpty else {
            throw LTIError("\(platform.name)'s token endpoint answered HTTP \(reply.status): \(reply.text)", status: 502)
        }
        let lifetime = min(max((decoded.expires_in ?? 300) - 30, 0), 24 * 3600)
        tokens.withLock { $0[Self.tokenKey(platform, scopes)] = (decoded.access_token, now.addingTimeInterval(lifetime)) }
        return decoded.access_token
    }

    /// `LINEITEM/scores`: the path gets `/scores`, the query (Canvas's, Moodle's `?type_id=`) stays.
    static func scoresURL(_ lineItem: URL) -> URL {
        guard var components = URLComponents(url: lineItem, resolvingAgainstBaseURL: false) else { return lineItem.appendingPathComponent("scores") }
        components.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path) + "/scores"
        return components.url ?? lineItem.appendingPathComponent("scores")
    }

    /// The score object of AGS 2.0 §3.4: the grade is final when it is posted.
    static func scoreJSON(_ score: Score, now: Date) -> [UInt8] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let object: [String: Any] = [
            "userId": score.userID, "scoreGiven": score.given, "scoreMaximum": score.maximum,
            "activityProgress": "Completed", "gradingProgress": "FullyGraded", "timestamp": formatter.string(from: now),
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map(Array.init) ?? []
    }

    private func record(_ student: String, _ lesson: Int, _ score: Score?, _ status: String, _ detail: String?) {
        let outcome = ScoreOutcome(time: ISO8601DateFormatter().string(from: Date()), student: student, lesson: lesson,
                                   platform: score?.platform.name, scoreGiven: score?.given, scoreMaximum: score?.maximum,
                                   status: status, detail: detail)
        state.withLock { state in
            state.outcomes.append(outcome)
            if state.outcomes.count > Self.keptOutcomes { state.outcomes.removeFirst(state.outcomes.count - Self.keptOutcomes) }
        }
        if status != "sent" { report("LTI score of '\(student)' at lesson \(lesson) \(status): \(detail ?? "")") }
    }
}
