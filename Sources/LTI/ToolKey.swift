import Crypto
import Foundation
import JWTKit

/// The tool's own RSA key: it signs the client assertions of the score service (RS256, with its
/// `kid`), and its public half is published at `/lti/jwks.json`, where the platform checks them.
public struct ToolKey: Sendable {
    public let keyID: String
    /// `{"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid", "n", "e"}]}`.
    public let jwks: [UInt8]
    let key: JWTKit.Insecure.RSA.PrivateKey

    /// Reads a PEM private key (PKCS#1 or PKCS#8) of at least 2048 bits.
    /// - Throws: `LTIError` saying why the key cannot be used.
    public init(pem: String) throws(LTIError) {
        do { key = try JWTKit.Insecure.RSA.PrivateKey(pem: pem) } catch {
            throw LTIError("not an RSA private key of at least 2048 bits in PEM (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)", status: 2)
        }
        let modulus: Data, exponent: Data
        do { (modulus, exponent) = try key.publicKey.getKeyPrimitives() } catch {
            throw LTIError("the RSA key's public half cannot be read: \(error)", status: 2)
        }
        let (n, e) = (Base64URL.encode(modulus), Base64URL.encode(exponent))
        // The key id is the key's RFC 7638 thumbprint: the same key always has the same kid.
        keyID = Base64URL.encode(SHA256.hash(data: Array(#"{"e":"\#(e)","kty":"RSA","n":"\#(n)"}"#.utf8)))
        jwks = Array(#"{"keys":[{"alg":"RS256","e":"\#(e)","kid":"\#(keyID)","kty":"RSA","n":"\#(n)","use":"sig"}]}"#.utf8)
    }

    /// The client assertion of OAuth 2's client credentials grant (RFC 7523, as LTI's security
    /// framework asks): `iss` = `sub` = the client id, `aud` the token endpoint, five minutes, a new `jti`.
    func clientAssertion(for platform: LTIPlatform, now: Date = Date()) async throws -> String {
        let issued = Int(now.timeIntervalSince1970)
        let payload = ClientAssertion(iss: platform.clientID, sub: platform.clientID, aud: platform.tokenAudience,
                                      iat: issued, exp: issued + 300, jti: Base64URL.random())
        var header = JWTHeader()
        header.typ = "JWT"
        let signer = JWTKeyCollection()
        await signer.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID))
        return try await signer.sign(payload, kid: JWKIdentifier(string: keyID), header: header)
    }
}

/// The claims of the tool's client assertion.
struct ClientAssertion: JWTPayload {
    let iss: String
    let sub: String
    let aud: String
    let iat: Int
    let exp: Int
    let jti: String
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
