import Foundation
import JWTKit

/// One LMS that launches the tool (Moodle, Canvas, …): what it was registered with, as the course
/// file's `[lti]` table says (docs/lti.md). Values only: the course file checks them.
public struct LTIPlatform: Sendable {
    /// Which claim of the launch names the student's roster id (docs/lti.md, "Who is who").
    public enum RosterID: String, Sendable, CaseIterable {
        /// `https://purl.imsglobal.org/spec/lti/claim/lis` → `person_sourcedid`: Moodle's ID number,
        /// Canvas's SIS user id — the id of the roster export (the default).
        case lis
        /// The custom parameter `roster_id` (`https://purl.imsglobal.org/spec/lti/claim/custom`), which
        /// the registration sets to a substitution such as `$Person.sourcedId` or `$Canvas.user.sisSourceId`.
        case custom
        /// The platform's own user id, `sub` (only when the roster's ids are the LMS's user ids).
        case sub
    }

    /// Where the platform's public keys come from: its JWKS address (fetched, cached by `kid`), or a
    /// JWKS file given in the course file (offline use, tests).
    public enum KeySource: Sendable {
        case url(URL)
        case document([UInt8], file: String)
    }

    /// A short name for messages and the teacher's log (`name`, or the issuer).
    public let name: String
    /// `iss` of the platform's id_tokens.
    public let issuer: String
    /// The client id the platform gave the tool (`aud` of its id_tokens; `iss` and `sub` of the tool's assertions).
    public let clientID: String
    /// The deployment ids the tool accepts launches from.
    public let deploymentIDs: [String]
    /// The platform's OIDC authorization endpoint (where `/lti/login` sends the browser).
    public let authURL: URL
    /// The platform's OAuth 2 token endpoint (for the score service's bearer token).
    public let tokenURL: URL
    /// The `aud` of the tool's client assertion; the token endpoint unless the platform says otherwise.
    public let tokenAudience: String
    public let keys: KeySource
    public let rosterID: RosterID

    /// A JWKS given as a file: checked now (JSON with at least one RS256 key with a `kid`).
    public static func keysDocument(_ bytes: [UInt8], file: String) throws(LTIError) -> KeySource {
        struct Document: Decodable { struct Key: Decodable { let kty: String; let kid: String?; let alg: String?; let n: String?; let e: String? }; let keys: [Key] }
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(bytes)) else {
            throw LTIError("not a JWKS: a JSON object {\"keys\": [{\"kty\": \"RSA\", \"kid\", \"n\", \"e\"}, …]}", status: 2)
        }
        let usable = document.keys.contains { key in
            guard key.kty == "RSA", key.kid != nil, (key.alg ?? "RS256") == "RS256", let n = key.n, let e = key.e else { return false }
            return (try? JWTKit.Insecure.RSA.PublicKey(modulus: n, exponent: e)) != nil   // a real key of 2048 bits or more
        }
        guard usable else { throw LTIError("the JWKS has no RS256 key (of at least 2048 bits) with a kid", status: 2) }
        return .document(bytes, file: file)
    }

    public init(name: String, issuer: String, clientID: String, deploymentIDs: [String], authURL: URL, tokenURL: URL,
                tokenAudience: String? = nil, keys: KeySource, rosterID: RosterID = .lis) {
        self.name = name
        self.issuer = issuer
        self.clientID = clientID
        self.deploymentIDs = deploymentIDs
        self.authURL = authURL
        self.tokenURL = tokenURL
        self.tokenAudience = tokenAudience ?? tokenURL.absoluteString
        self.keys = keys
        self.rosterID = rosterID
    }

    /// The key a line item is remembered under: the issuer and the client id.
    public var key: String { issuer + " " + clientID }
}

/// The tool's LTI set-up: its own key and the platforms that may launch it.
public struct LTIConfiguration: Sendable {
    public let toolKey: ToolKey
    public let platforms: [LTIPlatform]

    public init(toolKey: ToolKey, platforms: [LTIPlatform]) {
        self.toolKey = toolKey
        self.platforms = platforms
    }

    /// The platform of a login or launch: by issuer, and by client id when the issuer has several.
    public func platform(issuer: String, clientID: String?) -> LTIPlatform? {
        let candidates = platforms.filter { $0.issuer == issuer }
        if let clientID { return candidates.first { $0.clientID == clientID } }
        return candidates.count == 1 ? candidates[0] : nil
    }

    public func platform(key: String) -> LTIPlatform? { platforms.first { $0.key == key } }
}

/// A refusal of a login, a launch or a score: one sentence saying what is wrong (the route answers it
/// as a page with status `status`).
public struct LTIError: Error, Sendable, CustomStringConvertible {
    public let what: String
    public let status: Int
    public init(_ what: String, status: Int = 403) { self.what = what; self.status = status }
    public var description: String { what }
}
