import AsyncHTTPClient
import Foundation
import NIOCore

/// The tool's requests to a platform (its JWKS, its token endpoint, its score service) through
/// AsyncHTTPClient's shared client: each bounded by a deadline and a reply size.
struct PlatformClient: Sendable {
    struct Reply: Sendable {
        let status: Int
        let body: [UInt8]
        var text: String { String(decoding: body.prefix(300), as: UTF8.self) }
    }

    /// The longest a request to a platform may take.
    let timeout: TimeAmount
    /// The largest reply read (a JWKS, a token, a score's answer).
    let replyBytes: Int

    init(timeout: TimeAmount = .seconds(10), replyBytes: Int = 256 << 10) {
        self.timeout = timeout
        self.replyBytes = replyBytes
    }

    func get(_ url: URL, accept: String, bearer: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Accept", value: accept)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer " + bearer) }
        return try await send(request)
    }

    /// A form POST (`application/x-www-form-urlencoded`), as OAuth 2's token endpoint takes.
    func postForm(_ url: URL, _ fields: [(String, String)]) async throws -> Reply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(fields)))
        return try await send(request)
    }

    func postJSON(_ url: URL, _ body: [UInt8], contentType: String, bearer: String) async throws -> Reply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "Authorization", value: "Bearer " + bearer)
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> Reply {
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: replyBytes)
        return Reply(status: Int(response.status.code), body: Array(buffer.readableBytesView))
    }
}

/// `application/x-www-form-urlencoded`, both ways (the launch's form, the token request, the login's query).
public enum FormEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }

    /// The fields of a form body or a query; nil when one does not decode (bad percent-encoding).
    /// A field given twice is refused too (nil): which one counts would be a guess.
    public static func decode(_ text: String) -> [String: String]? {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                  let value = String(parts.count > 1 ? parts[1] : "").replacingOccurrences(of: "+", with: " ").removingPercentEncoding else { return nil }
            guard fields[name] == nil else { return nil }
            fields[name] = value
        }
        return fields
    }
}
