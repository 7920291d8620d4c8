import Crypto
import Foundation
import Synchronization

/// The logins started at `/lti/login` and not yet launched: each a random `state` and `nonce`
/// (256 bits each), kept only as their SHA-256, for ten minutes, used once.
///
/// They live in memory: a login and its launch are a few seconds apart, in one browser; a restart
/// in between only makes that launch fail (the student launches again). At most `capacity` are kept
/// at once (the expired ones are dropped first), so that logins nobody finishes cannot fill memory,
/// and at most `perClient` for one client address, so that one address cannot hold them all.
public final class LoginStates: Sendable {
    /// What the launch must match: the platform (its `key`), the nonce's SHA-256, the expiry.
    public struct Pending: Sendable {
        public let platform: String
        let nonceSHA256: [UInt8]
        let expires: Date
        /// The `target_link_uri` of the login, where the launch goes.
        public let target: String
        let client: String
    }

    public static let lifetime: TimeInterval = 600
    public let capacity: Int
    public let perClient: Int
    private let pending = Mutex<[[UInt8]: Pending]>([:])

    public init(capacity: Int = 20_000, perClient: Int = 500) { self.capacity = capacity; self.perClient = perClient }

    /// Starts a login: returns its state and nonce, or nil when `capacity` logins are pending, or
    /// `perClient` from `client`.
    public func start(platform: String, target: String, client: String, now: Date = Date()) -> (state: String, nonce: String)? {
        let (state, nonce) = (Base64URL.random(), Base64URL.random())
        let entry = Pending(platform: platform, nonceSHA256: Self.digest(nonce), expires: now.addingTimeInterval(Self.lifetime), target: target, client: client)
        let stored = pending.withLock { table -> Bool in
            if table.count >= capacity { table = table.filter { $0.value.expires > now } }
            guard table.count < capacity else { return false }
            var mine = 0
            for value in table.values where value.client == client && value.expires > now { mine += 1 }
            guard mine < perClient else { return false }
            table[Self.digest(state)] = entry
            return true
        }
        return stored ? (state, nonce) : nil
    }

    /// Takes the login of `state` out (used once, whatever happens to its launch); nil when it is
    /// unknown, already used or expired.
    public func take(state: String, now: Date = Date()) -> Pending? {
        guard (16...256).contains(state.utf8.count) else { return nil }
        let entry = pending.withLock { $0.removeValue(forKey: Self.digest(state)) }
        guard let entry, entry.expires > now else { return nil }
        return entry
    }

    /// Whether `nonce` is the login's (compared as SHA-256 digests, in constant time).
    public func matches(_ entry: Pending, nonce: String) -> Bool {
        let given = Self.digest(nonce)
        var difference: UInt8 = 0
        for (a, b) in zip(given, entry.nonceSHA256) { difference |= a ^ b }
        return difference == 0
    }

    public var count: Int { pending.withLock { $0.count } }

    static func digest(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }
}
