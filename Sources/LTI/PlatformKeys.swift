import Foundation
import JWTKit
import Synchronization

/// The platforms' public keys, by `kid`: each platform's JWKS, fetched from its address and kept,
/// or read from the file the course file names. A launch signed with a `kid` the cache does not
/// know makes one new fetch (a platform rotates its keys), at most once a minute per platform, so
/// that tokens with made-up `kid`s cannot make the tool hammer the platform.
final class PlatformKeys: Sendable {
    /// One platform's keys: each RS256 key of its JWKS, ready to verify.
    struct Keys: Sendable {
        let byID: [String: JWTKeyCollection]
        let fetched: Date
    }

    private let cache = Mutex<[String: Keys]>([:])
    private let client: PlatformClient
    static let refetchInterval: TimeInterval = 60

    init(client: PlatformClient) { self.client = client }

    /// The collection holding the one key `kid` of `platform`, or an `LTIError` (unknown key, a
    /// JWKS that cannot be fetched or read).
    func key(_ kid: String, of platform: LTIPlatform, now: Date = Date()) async throws(LTIError) -> JWTKeyCollection {
        let cached = cache.withLock { $0[platform.key] }
        if let key = cached?.byID[kid] { return key }
        var fixed = false
        if case .document = platform.keys { fixed = true }
        if let cached, fixed || now.timeIntervalSince(cached.fetched) < Self.refetchInterval {
            throw LTIError("the id_token is signed with a key (kid '\(kid.prefix(80))') that \(platform.name)'s JWKS does not have")
        }
        let keys = try await load(platform, now: now)
        cache.withLock { $0[platform.key] = keys }
        guard let key = keys.byID[kid] else {
            throw LTIError("the id_token is signed with a key (kid '\(kid.prefix(80))') that \(platform.name)'s JWKS does not have")
        }
        return key
    }

    private func load(_ platform: LTIPlatform, now: Date) async throws(LTIError) -> Keys {
        let bytes: [UInt8], source: String
        switch platform.keys {
        case .document(let document, let file): (bytes, source) = (document, file)
        case .url(let url):
            source = url.absoluteString
            let reply: PlatformClient.Reply
            do { reply = try await client.get(url, accept: "application/json") } catch {
                throw LTIError("\(platform.name)'s JWKS (\(source)) could not be fetched: \(error)", status: 502)
            }
            guard reply.status == 200 else {
                throw LTIError("\(platform.name)'s JWKS (\(source)) answered HTTP \(reply.status)", status: 502)
            }
            bytes = reply.body
        }
        return try await Self.keys(bytes, source: source, now: now)
    }

    /// The RS256 keys of a JWKS document (keys of other types or algorithms are left out).
    static func keys(_ bytes: [UInt8], source: String, now: Date) async throws(LTIError) -> Keys {
        let jwks: JWKS
        do { jwks = try JSONDecoder().decode(JWKS.self, from: Data(bytes)) } catch {
            throw LTIError("\(source) is not a JWKS ({\"keys\": [...]}): \(error)", status: 502)
        }
        var byID: [String: JWTKeyCollection] = [:]
        for var jwk in jwks.keys where jwk.keyType == .rsa {
            guard let kid = jwk.keyIdentifier?.string, jwk.algorithm == nil || jwk.algorithm == .rs256 else { continue }
            jwk.algorithm = .rs256
            let collection = JWTKeyCollection()
            do { try await collection.add(jwk: jwk) } catch { continue }   // a key that does not read is left out
            byID[kid] = collection
        }
        return Keys(byID: byID, fetched: now)
    }
}
