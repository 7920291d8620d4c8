import CryptoExtras
import Foundation
import Hummingbird
import JWTKit
import LTI

/// An LTI 1.3 platform (an LMS) in the test process, on a free port of 127.0.0.1: its own RSA key
/// (2048 bits, made here), its JWKS (`/jwks`, fetches counted), its token endpoint (`/token`: it checks
/// the tool's client assertion against the tool's public key, RS256), and a line item whose
/// `/scores` receives the tool's scores (`/lineitems/N/scores`, bearer token checked).
final class PlatformSimulator: Sendable {
    static let issuer = "https://lms.simulator.example"
    static let clientID = "backprop-tool-client"
    static let deploymentID = "deployment-1"
    static let keyID = "simulator-key-1"

    let port: Int
    let key: JWTKeyCollection
    let privateKeyPEM: String
    /// The simulator's JWKS document (what `/jwks` serves).
    let jwks: String
    private let task: Task<Void, any Error>
    private let state: Recorder

    /// What the simulator saw: JWKS fetches, tokens issued, scores received (and refused).
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var _jwksFetches = 0
        private var _tokens: [String] = []
        private var _scores: [(lineItem: String, body: [String: Any], contentType: String)] = []
        private var _refused: [String] = []
        fileprivate var _lineItems: [[String: Any]] = []
        var toolJWKS: [UInt8] = []
        var tokenURL = ""
        func with<T>(_ body: (Recorder) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(self) }
        var jwksFetches: Int { with { $0._jwksFetches } }
        var tokens: [String] { with { $0._tokens } }
        var scores: [(lineItem: String, body: [String: Any], contentType: String)] { with { $0._scores } }
        var refused: [String] { with { $0._refused } }
        /// The line items the tool made in the container (`/lineitems`).
        var lineItems: [[String: Any]] { with { $0._lineItems } }
        func made(_ item: [String: Any]) { with { $0._lineItems.append(item) } }
        func fetched() { with { $0._jwksFetches += 1 } }
        func issued(_ token: String) { with { $0._tokens.append(token) } }
        func scored(_ lineItem: String, _ body: [String: Any], _ type: String) { with { $0._scores.append((lineItem, body, type)) } }
        func refuse(_ why: String) { with { $0._refused.append(why) } }
    }

    var recorder: Recorder { state }
    var base: String { "http://127.0.0.1:\(port)" }

    static func start() async throws -> PlatformSimulator {
        let privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let key = JWTKeyCollection()
        let rsa = try JWTKit.Insecure.RSA.PrivateKey(backing: privateKey)
        await key.add(rsa: rsa, digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID))
        let (modulus, exponent) = try rsa.publicKey.getKeyPrimitives()
        let jwks = #"{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"\#(keyID)","n":"\#(b64url(modulus))","e":"\#(b64url(exponent))"}]}"#
        let recorder = Recorder()

        let router = Router()
        router.get("/jwks") { _, _ in
            recorder.fetched()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: jwks)))
        }
        router.post("/token") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 16)
            let form = FormEncoding.decode(String(buffer: body)) ?? [:]
            guard form["grant_type"] == "client_credentials",
                  form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                  form["scope"]?.contains("https://purl.imsglobal.org/spec/lti-ags/scope/score") == true,
                  let assertion = form["client_assertion"] else {
                recorder.refuse("token request: \(form.keys.sorted())")
                return Response(status: .badRequest)
            }
            // The assertion must verify with the tool's published key (its /lti/jwks.json) and name the tool.
            let tool = JWTKeyCollection()
            try await tool.add(jwksJSON: String(decoding: recorder.with { $0.toolJWKS }, as: UTF8.self))
            guard let claims = try? await tool.verify(assertion, as: AssertionClaims.self),
                  claims.iss == clientID, claims.sub == clientID, claims.aud == recorder.with({ $0.tokenURL }),
                  claims.exp > Date().timeIntervalSince1970 else {
                recorder.refuse("client assertion")
                return Response(status: .unauthorized)
            }
            let token = "access-\(UUID().uuidString)"
            recorder.issued(token)
            let reply = #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":3600,"scope":"https://purl.imsglobal.org/spec/lti-ags/scope/score"}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: reply)))
        }
        // The line item container: listed (filtered by tag and resource link) and added to, with a token of the line item scope.
        router.get("/lineitems") { request, _ in
            guard recorder.tokens.contains(String((request.headers[.authorization] ?? "").dropFirst(7))) else { return Response(status: .unauthorized) }
            let query = request.uri.queryParameters
            let items = recorder.lineItems.filter { item in
                (query["tag"].map { item["tag"] as? String == String($0) } ?? true)
                    && (query["resource_link_id"].map { item["resourceLinkId"] as? String == String($0) } ?? true)
            }
            let data = try JSONSerialization.data(withJSONObject: items)
            return Response(status: .ok, headers: [.contentType: "application/vnd.ims.lis.v2.lineitemcontainer+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("/lineitems") { request, _ in
            guard recorder.tokens.contains(String((request.headers[.authorization] ?? "").dropFirst(7))),
                  request.headers[.contentType] == "application/vnd.ims.lis.v2.lineitem+json" else { return Response(status: .unauthorized) }
            let body = try await request.body.collect(upTo: 1 << 16)
            var item = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            item["id"] = recorder.with { $0.tokenURL.replacingOccurrences(of: "/token", with: "/lineitems/\(100 + $0._lineItems.count)") }
            recorder.made(item)
            let data = try JSONSerialization.data(withJSONObject: item)
            return Response(status: .created, headers: [.contentType: "application/vnd.ims.lis.v2.lineitem+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("/lineitems/:item/scores") { request, context in
            let body = try await request.body.collect(upTo: 1 << 16)
            let bearer = request.headers[.authorization] ?? ""
            guard bearer.hasPrefix("Bearer "), recorder.tokens.contains(String(bearer.dropFirst(7))) else {
                recorder.refuse("score without a token the simulator issued")
                return Response(status: .unauthorized)
            }
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            recorder.scored(context.parameters.get("item") ?? "", object, request.headers[.contentType] ?? "")
            return Response(status: .ok)
        }

        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0); continuation.finish() })
        let task = Task { try await app.runService() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TestFailure("the platform simulator did not start") }
        recorder.with { $0.tokenURL = "http://127.0.0.1:\(port)/token" }
        return PlatformSimulator(port: port, key: key, pem: privateKey.pemRepresentation, jwks: jwks, task: task, recorder: recorder)
    }

    private init(port: Int, key: JWTKeyCollection, pem: String, jwks: String, task: Task<Void, any Error>, recorder: Recorder) {
        self.port = port; self.key = key; self.privateKeyPEM = pem; self.jwks = jwks; self.task = task; self.state = recorder
    }

    func stop() { task.cancel() }

    static func b64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// An id_token of a resource link launch, as the platform signs it; `change` edits the claims first.
    func idToken(nonce: String, sub: String = "lms-user-17", roles: [String] = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
                 sourcedID: String? = "s1001", custom: [String: String] = ["lesson": "1"], lineItem: String? = nil, containerOnly: Bool = false,
                 signer: JWTKeyCollection? = nil, kid: String = PlatformSimulator.keyID,
                 _ change: (inout [String: SimJSON]) -> Void = { _ in }) async throws -> String {
        let now = Date().timeIntervalSince1970
        let lti = "https://purl.imsglobal.org/spec/lti/claim/"
        var claims: [String: SimJSON] = [
            "iss": .string(Self.issuer), "aud": .string(Self.clientID), "sub": .string(sub), "nonce": .string(nonce),
            "iat": .number(now), "exp": .number(now + 60), "name": .string("Ada Lovelace"),
            lti + "message_type": .string("LtiResourceLinkRequest"), lti + "version": .string("1.3.0"),
            lti + "deployment_id": .string(Self.deploymentID),
            lti + "target_link_uri": .string("https://workbench.example/exercises/1"),
            lti + "resource_link": .object(["id": .string("link-1")]),
            lti + "roles": .array(roles.map { .string($0) }),
            lti + "custom": .object(custom.mapValues { .string($0) }),
        ]
        if let sourcedID { claims[lti + "lis"] = .object(["person_sourcedid": .string(sourcedID)]) }
        if let lineItem {
            claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = .object([
                "scope": .array([.string("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"), .string("https://purl.imsglobal.org/spec/lti-ags/scope/score")]),
                "lineitem": .string(lineItem), "lineitems": .string(base + "/lineitems"),
            ])
        } else if containerOnly {
            claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = .object([
                "scope": .array([.string("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"), .string("https://purl.imsglobal.org/spec/lti-ags/scope/score")]),
                "lineitems": .string(base + "/lineitems"),
            ])
        }
        change(&claims)
        return try await (signer ?? key).sign(SimClaims(values: claims), kid: JWKIdentifier(string: kid))
    }
}

/// A JSON value of the simulator's claims.
enum SimJSON: Codable, Sendable {
    case string(String), number(Double), array([SimJSON]), object([String: SimJSON])
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .number(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
    init(from decoder: any Decoder) throws { self = .string(try decoder.singleValueContainer().decode(String.self)) }
}

struct SimClaims: JWTPayload {
    let values: [String: SimJSON]
    func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
    init(values: [String: SimJSON]) { self.values = values }
    init(from decoder: any Decoder) throws { values = try [String: SimJSON](from: decoder) }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// The tool's client assertion, as the simulator's token endpoint reads it.
struct AssertionClaims: JWTPayload {
    let iss: String, sub: String, aud: String, exp: Double, jti: String
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
