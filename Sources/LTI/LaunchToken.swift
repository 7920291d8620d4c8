import Foundation
import JWTKit

/// The claims of an LTI 1.3 resource link launch's id_token that the tool reads (LTI Core 1.3 §5,
/// Assignment and Grade Services 2.0 §3.1). Decoding is lenient about what the tool does not need
/// and exact about what it checks: every check is `Launch.verify`'s, after the signature.
struct LaunchToken: JWTPayload {
    static let lti = "https://purl.imsglobal.org/spec/lti/claim/"

    let iss: String?
    /// `aud`: one string or a list.
    let aud: [String]
    let azp: String?
    let exp: Double?
    let iat: Double?
    let nonce: String?
    let sub: String?
    let name: String?
    let messageType: String?
    let version: String?
    let deploymentID: String?
    let targetLinkURI: String?
    let resourceLinkID: String?
    let roles: [String]
    let custom: [String: String]
    let personSourcedID: String?
    let contextID: String?
    let agsScopes: [String]
    let lineItem: String?
    let lineItems: String?

    struct Key: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let claims = try decoder.container(keyedBy: Key.self)
        func string(_ name: String, in container: KeyedDecodingContainer<Key>? = nil) -> String? {
            try? (container ?? claims).decodeIfPresent(String.self, forKey: Key(name))
        }
        func number(_ name: String) -> Double? { try? claims.decodeIfPresent(Double.self, forKey: Key(name)) }
        func object(_ name: String) -> KeyedDecodingContainer<Key>? { try? claims.nestedContainer(keyedBy: Key.self, forKey: Key(name)) }
        iss = string("iss")
        if let one = string("aud") { aud = [one] } else { aud = (try? claims.decodeIfPresent([String].self, forKey: Key("aud"))) ?? [] }
        azp = string("azp")
        exp = number("exp")
        iat = number("iat")
        nonce = string("nonce")
        sub = string("sub")
        name = string("name")
        messageType = string(Self.lti + "message_type")
        version = string(Self.lti + "version")
        deploymentID = string(Self.lti + "deployment_id")
        targetLinkURI = string(Self.lti + "target_link_uri")
        resourceLinkID = object(Self.lti + "resource_link").flatMap { string("id", in: $0) }
        roles = (try? claims.decodeIfPresent([String].self, forKey: Key(Self.lti + "roles"))) ?? []
        // Custom parameters are strings; a number or true/false some platforms send is read as its text.
        var custom: [String: String] = [:]
        if let values = object(Self.lti + "custom") {
            for key in values.allKeys {
                if let text = try? values.decode(String.self, forKey: key) { custom[key.stringValue] = text }
                else if let whole = try? values.decode(Int.self, forKey: key) { custom[key.stringValue] = String(whole) }
                else if let flag = try? values.decode(Bool.self, forKey: key) { custom[key.stringValue] = String(flag) }
            }
        }
        self.custom = custom
        personSourcedID = object(Self.lti + "lis").flatMap { string("person_sourcedid", in: $0) }
        contextID = object(Self.lti + "context").flatMap { string("id", in: $0) }
        let ags = object("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint")
        agsScopes = ags.flatMap { try? $0.decodeIfPresent([String].self, forKey: Key("scope")) } ?? []
        lineItem = ags.flatMap { string("lineitem", in: $0) }
        lineItems = ags.flatMap { string("lineitems", in: $0) }
    }

    func encode(to encoder: any Encoder) throws {
        // Only the platform signs launches; the tool never writes one (the simulator of the tests has its own type).
        var claims = encoder.container(keyedBy: Key.self)
        try claims.encodeIfPresent(iss, forKey: Key("iss"))
        try claims.encode(aud, forKey: Key("aud"))
        try claims.encodeIfPresent(sub, forKey: Key("sub"))
    }

    /// Every check is made by `Launch.verify` with the tool's clock and leeway.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
