import Foundation

/// Package.swift as `DeclaredImportsTests` reads it: the targets (kind, sources folder, dependencies),
/// the packages it depends on and its platforms.
///
/// A small reader of our own manifest, not of Swift: it drops comments, then follows brackets and
/// string literals to take the `Package(…)` call apart into labeled arguments, so line breaks, spacing
/// and the order of arguments don't matter. It reads literals only (`"Autograd"`,
/// `.product(name: "GRDB", …)`); a manifest that computes its targets would need
/// `swift package dump-package` instead (about 3 s and a lock on `.build`, so not used here).
struct PackageManifest {
    struct Target {
        var name: String
        /// `target`, `executableTarget`, `testTarget`, `systemLibrary`, …
        var kind: String
        /// Where its sources are, relative to the package: `path:`, or SwiftPM's default.
        var path: String
        /// The modules it may import: its target dependencies and the products it names.
        var dependencies: [String]
        var isTest: Bool { kind == "testTarget" }
    }

    var targets: [Target]
    /// The URLs of `.package(url:…)`, in order.
    var packageURLs: [String]
    /// `platforms:` as written, without spaces: `[.macOS(.v15)]`; nil when absent.
    var platforms: String?

    struct ReadError: Error, CustomStringConvertible { var description: String }

    init(contentsOf url: URL) throws {
        try self.init(text: String(contentsOf: url, encoding: .utf8))
    }

    init(text: String) throws {
        let source = Self.droppingComments(text)
        guard let call = source.range(of: "Package(") else { throw ReadError(description: "no Package( call") }
        let arguments = try Self.arguments(of: source[call.upperBound...])
        let byLabel = Dictionary(arguments.compactMap { a in a.label.map { ($0, a.value) } }, uniquingKeysWith: { a, _ in a })
        platforms = byLabel["platforms"].map { $0.filter { !$0.isWhitespace } }
        packageURLs = try Self.elements(of: byLabel["dependencies"] ?? "[]").compactMap { element in
            try Self.call(element)?.arguments.first { $0.label == "url" }.flatMap { Self.stringLiteral($0.value) }
        }
        targets = try Self.elements(of: byLabel["targets"] ?? "[]").map { element in
            guard let (kind, arguments) = try Self.call(element),
                  let name = arguments.first(where: { $0.label == "name" }).flatMap({ Self.stringLiteral($0.value) })
            else { throw ReadError(description: "a target that is not .kind(name: \"…\", …): \(element)") }
            let path = arguments.first { $0.label == "path" }.flatMap { Self.stringLiteral($0.value) }
                ?? (kind == "testTarget" ? "Tests/\(name)" : "Sources/\(name)")
            let dependencies = try Self.elements(of: arguments.first { $0.label == "dependencies" }?.value ?? "[]").map { dependency in
                // "Autograd", .target(name: "Autograd"), .byName(name: "Autograd"), .product(name: "GRDB", package: …):
                // the name is the module's (each product we use is one module of the same name).
                if let literal = Self.stringLiteral(dependency) { return literal }
                guard let (_, dependencyArguments) = try Self.call(dependency),
                      let named = dependencyArguments.first(where: { $0.label == "name" }).flatMap({ Self.stringLiteral($0.value) })
                else { throw ReadError(description: "\(name): a dependency the reader cannot name: \(dependency)") }
                return named
            }
            return Target(name: name, kind: kind, path: path, dependencies: dependencies)
        }
    }

    // MARK: - The reader

    /// The text without `//` and `/* */` comments; string literals (URLs hold `//`) are kept whole.
    static func droppingComments(_ text: String) -> String {
        var out = ""
        var chars = Array(text)[...]
        while let c = chars.first {
            if c == "\"" {
                out.append(contentsOf: takeStringLiteral(&chars))
            } else if c == "/", chars.dropFirst().first == "/" {
                while let d = chars.first, d != "\n" { chars.removeFirst() }
            } else if c == "/", chars.dropFirst().first == "*" {
                chars.removeFirst(2)
                while !chars.isEmpty, !(chars.first == "*" && chars.dropFirst().first == "/") { chars.removeFirst() }
                chars = chars.dropFirst(2)
                out.append(" ")
            } else {
                out.append(chars.removeFirst())
            }
        }
        return out
    }

    /// Takes a "…" literal (with its quotes and escapes) off the front of `chars`.
    private static func takeStringLiteral(_ chars: inout ArraySlice<Character>) -> String {
        var literal = String(chars.removeFirst())
        while let c = chars.first {
            literal.append(chars.removeFirst())
            if c == "\\", let escaped = chars.first { literal.append(escaped); chars.removeFirst() }
            else if c == "\"" { break }
        }
        return literal
    }

    /// Splits `text` at the commas outside brackets and literals, up to the bracket that closes the
    /// one it starts inside; returns the trimmed, non-empty pieces.
    static func splitTopLevel(_ text: Substring) throws -> [String] {
        var pieces: [String] = [], current = "", depth = 0
        var chars = Array(text)[...]
        while let c = chars.first {
            if c == "\"" { current += takeStringLiteral(&chars); continue }
            chars.removeFirst()
            switch c {
            case "(", "[", "{": depth += 1
            case ")", "]", "}":
                if depth == 0 { pieces.append(current); return pieces.map(trimmed).filter { !$0.isEmpty } }
                depth -= 1
            case "," where depth == 0:
                pieces.append(current); current = ""; continue
            default: break
            }
            current.append(c)
        }
        throw ReadError(description: "an unclosed bracket")
    }

    /// The arguments of a call whose opening parenthesis is just before `text`.
    static func arguments(of text: Substring) throws -> [(label: String?, value: String)] {
        try splitTopLevel(text).map { piece in
            // `label: value`; a colon inside a literal or a nested call is not a label's.
            if let colon = piece.firstIndex(of: ":"),
               piece[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0.isWhitespace }),
               !piece[..<colon].trimmingCharacters(in: .whitespaces).isEmpty {
                return (trimmed(piece[..<colon]), trimmed(piece[piece.index(after: colon)...]))
            }
            return (nil, piece)
        }
    }

    /// The elements of an array literal `[a, b, …]`.
    static func elements(of array: String) throws -> [String] {
        guard array.first == "[" else { throw ReadError(description: "not an array literal: \(array)") }
        return try splitTopLevel(array.dropFirst())
    }

    /// `.kind(arguments…)` taken apart; nil for anything else.
    static func call(_ text: String) throws -> (kind: String, arguments: [(label: String?, value: String)])? {
        guard text.first == ".", let open = text.firstIndex(of: "(") else { return nil }
        let kind = trimmed(text[text.index(after: text.startIndex)..<open])
        guard !kind.isEmpty, kind.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
        return (kind, try arguments(of: text[text.index(after: open)...]))
    }

    /// The value of a plain "…" literal; nil for anything else.
    static func stringLiteral(_ text: String) -> String? {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return nil }
        let inner = text.dropFirst().dropLast()
        return inner.contains("\"") || inner.contains("\\") ? nil : String(inner)
    }

    private static func trimmed<S: StringProtocol>(_ text: S) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
