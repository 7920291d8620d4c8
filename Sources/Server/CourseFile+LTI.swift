import Foundation
import LTI
import Support
import TOMLKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The course file's `[lti]` table (docs/lti.md): the tool's own key and the LMSs that may launch it.
//
// ```toml
// [lti]
// private_key = "lti-key.pem"          # the tool's RSA key (PEM, mode 0600), relative to the course file
// issuer = "https://moodle.example.edu"
// client_id = "q8Hh3TXVFSbIyZ0"
// deployment_ids = ["1"]
// auth_url = "https://moodle.example.edu/mod/lti/auth.php"
// token_url = "https://moodle.example.edu/mod/lti/token.php"
// jwks_url = "https://moodle.example.edu/mod/lti/certs.php"   # or jwks_file = "moodle-jwks.json"
// roster_id = "lis"                    # or "custom" (the custom parameter roster_id) or "sub"
// ```
// Several platforms: `[lti]` holds `private_key`, and each platform is an `[[lti.platform]]` table of the other keys.

extension CourseFile {
    static let ltiKeys = ["private_key", "platform"]
    static let platformKeys = ["name", "issuer", "client_id", "deployment_ids", "auth_url", "token_url", "token_audience",
                               "jwks_url", "jwks_file", "roster_id"]

    /// Reads `[lti]`; nil when the course file has none.
    static func lti(_ value: TOMLValueConvertible?, text: String, file: String, directory: String) throws(WorkbenchFailure) -> LTIConfiguration? {
        guard let value else { return nil }
        let place = LTIPlaces(text: text, file: file)
        guard let table = value.table else { throw .badInput("'lti' must be a table, [lti]", at: place.of(nil, section: nil)) }
        let single = table["platform"] == nil
        for key in table.keys.sorted() where !(ltiKeys.contains(key) || (single && platformKeys.contains(key))) {
            throw .badInput("unknown key '\(key)' in [lti]; it has " + (ltiKeys + platformKeys).joined(separator: ", "), at: place.of(key, section: nil))
        }
        guard let keyPath = table["private_key"]?.string, !keyPath.isEmpty else {
            throw .badInput("[lti] needs private_key = \"FILE\": the tool's RSA private key in PEM (mode 0600)", at: place.of("private_key", section: nil))
        }
        let keyFile = keyPath.hasPrefix("/") || directory.isEmpty ? keyPath : (directory as NSString).appendingPathComponent(keyPath)
        let toolKey: ToolKey
        do { toolKey = try ToolKey(pem: try privateText(keyFile)) } catch {
            throw .badInput("private_key \(keyPath): \(error.what)", at: place.of("private_key", section: nil))
        }
        var platforms: [LTIPlatform] = []
        if single {
            platforms.append(try platform(table, section: nil, place: place, directory: directory))
        } else {
            guard let list = table["platform"]?.array, !list.isEmpty else {
                throw .badInput("[[lti.platform]] must be tables, one a platform", at: place.of("platform", section: nil))
            }
            for (index, entry) in list.enumerated() {
                guard let entry = entry.table else { throw .badInput("[[lti.platform]] must be a table", at: place.of(nil, section: index)) }
                for key in entry.keys.sorted() where !platformKeys.contains(key) {
                    throw .badInput("unknown key '\(key)' in [[lti.platform]]; it has " + platformKeys.joined(separator: ", "), at: place.of(key, section: index))
                }
                let next = try platform(entry, section: index, place: place, directory: directory)
                guard !platforms.contains(where: { $0.key == next.key }) else {
                    throw .badInput("the platform \(next.issuer) with client_id \(next.clientID) is there twice", at: place.of("client_id", section: index))
                }
                platforms.append(next)
            }
        }
        return LTIConfiguration(toolKey: toolKey, platforms: platforms)
    }

    private static func platform(_ table: TOMLTable, section: Int?, place: LTIPlaces, directory: String) throws(WorkbenchFailure) -> LTIPlatform {
        func fail(_ key: String?, _ message: String) -> WorkbenchFailure { .badInput(message, at: place.of(key, section: section)) }
        func text(_ key: String, _ what: String) throws(WorkbenchFailure) -> String {
            guard let value = table[key]?.string, (1...2000).contains(value.count), !value.unicodeScalars.contains(where: { $0.value < 0x21 }) else {
                throw fail(key, "'\(key)' must be \(what)")
            }
            return value
        }
        func address(_ key: String, _ what: String) throws(WorkbenchFailure) -> URL {
            let value = try text(key, "\(what), an https:// address")
            guard let url = URL(string: value), let host = url.host, !host.isEmpty,
                  url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)) else {
                throw fail(key, "'\(key)' must be \(what), an https:// address (http:// only on this machine, for tests)")
            }
            return url
        }
        let issuer = try text("issuer", "the platform's issuer (iss), e.g. \"https://moodle.example.edu\"")
        let clientID = try text("client_id", "the client id the platform gave the tool")
        guard let ids = table["deployment_ids"]?.array, !ids.isEmpty,
              case let deployments = ids.compactMap({ $0.string }), deployments.count == ids.count,
              deployments.allSatisfy({ (1...255).contains($0.count) }) else {
            throw fail("deployment_ids", "'deployment_ids' must list the deployment ids the platform shows, e.g. deployment_ids = [\"1\"]")
        }
        let authURL = try address("auth_url", "the platform's authentication request URL (OIDC)")
        let tokenURL = try address("token_url", "the platform's access token URL")
        let audience = table["token_audience"] == nil ? nil : try text("token_audience", "the aud of the tool's client assertion, when not the token URL")
        let keys: LTIPlatform.KeySource
        switch (table["jwks_url"], table["jwks_file"]) {
        case (.some, nil): keys = .url(try address("jwks_url", "the platform's public keyset URL"))
        case (nil, .some):
            let name = try text("jwks_file", "a JWKS file, relative to the course file")
            let path = name.hasPrefix("/") || directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
            do { keys = try LTIPlatform.keysDocument(Array(try InputFile.text(path, limit: 256 << 10).utf8), file: path) } catch let error as LTIError {
                throw fail("jwks_file", "\(name): \(error.what)")
            } catch { throw fail("jwks_file", "\(name): \(error)") }
        default: throw fail(section == nil ? nil : "jwks_url", "give the platform's keys as jwks_url = \"https://…\" or jwks_file = \"FILE\" (one of them)")
        }
        let rosterText = table["roster_id"].map { $0.string ?? "?" } ?? "lis"
        guard let rosterID = LTIPlatform.RosterID(rawValue: rosterText) else {
            throw fail("roster_id", "'roster_id' must be \"lis\" (the launch's lis person_sourcedid), \"custom\" (the custom parameter roster_id) or \"sub\"")
        }
        let name = table["name"] == nil ? (URL(string: issuer)?.host ?? issuer) : try text("name", "a short name of the platform, e.g. \"Moodle\"")
        return LTIPlatform(name: name, issuer: issuer, clientID: clientID, deploymentIDs: deployments, authURL: authURL, tokenURL: tokenURL,
                           tokenAudience: audience, keys: keys, rosterID: rosterID)
    }

    /// A secret file's text: a regular file (not followed through a symbolic link) only its owner may
    /// read or write (mode 0600 or 0400), at most 64 kB.
    static func privateText(_ path: String) throws(LTIError) -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw LTIError("cannot open it: \(String(cString: strerror(errno)))", status: 2) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw LTIError("not a regular file", status: 2) }
        guard info.st_mode & 0o077 == 0 else {
            throw LTIError("others may read it (mode \(String(info.st_mode & 0o777, radix: 8))): a private key must be mode 0600 (chmod 600)", status: 2)
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw LTIError("cannot read it: \(String(cString: strerror(errno)))", status: 2) }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= 64 << 10 else { throw LTIError("larger than 64 kB: not a PEM key", status: 2) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Where `[lti]`, `[[lti.platform]]` and their keys stand in the course file, for messages (TOMLKit gives no places).
struct LTIPlaces {
    let lines: [String]
    let file: String
    /// The line index of `[lti]`, and of each `[[lti.platform]]`.
    let table: Int?
    let platforms: [Int]

    init(text: String, file: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        self.file = file
        let headers = lines.map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "") }
        table = headers.indices.first { headers[$0].hasPrefix("[lti]") }
        platforms = headers.indices.filter { headers[$0].hasPrefix("[[lti.platform]]") }
    }

    /// `key` in `[lti]` (section nil) or in the `section`th `[[lti.platform]]`; the header when the key is not written there.
    func of(_ key: String?, section: Int?) -> SourceLocation {
        let start = section.map { platforms.indices.contains($0) ? platforms[$0] : 0 } ?? (table ?? 0)
        let headerLine = start + 1
        var end = lines.count
        for index in (start + 1)..<max(start + 1, lines.count) where lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("[") { end = index; break }
        if let key {
            for index in start..<end {
                let line = lines[index]
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                if trimmed.hasPrefix(key), trimmed.dropFirst(key.count).drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("=") {
                    return SourceLocation(file: file, line: index + 1, column: line.count - trimmed.count + 1)
                }
            }
        }
        return SourceLocation(file: file, line: lines.isEmpty ? 1 : headerLine, column: 1)
    }
}
