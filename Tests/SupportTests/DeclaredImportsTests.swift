import Foundation
import Testing

/// Package.swift, the sources' imports and the docs that describe them say the same thing
/// (issue 28, "Declared truthfully"). Each failure names the target, the module, and the file and line.
@Suite("declared dependencies")
struct DeclaredImportsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Modules of the toolchain and the system: importing them needs no declaration.
    static let systemModules: Set<String> = [
        "Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML",
        "Glibc", "Musl", "Darwin", "Dispatch", "Synchronization", "Testing", "XCTest",
    ]

    struct Import { var module: String; var place: String }

    /// Every `import X` (with attributes, an access level or a kind: `@testable import X`,
    /// `public import X`, `import struct X.Y`) of the Swift files under `folder`, with file:line.
    static func imports(under folder: String) throws -> [Import] {
        let base = root.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var found: [Import] = []
        for case let file as URL in walker where file.pathExtension == "swift" {
            let relative = folder + "/" + file.path.dropFirst(base.path.count + 1)
            for (index, line) in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if let module = importedModule(line) { found.append(Import(module: module, place: "\(relative):\(index + 1)")) }
            }
        }
        return found.sorted { $0.place.localizedStandardCompare($1.place) == .orderedAscending }
    }

    /// The module an import line names, or nil for any other line.
    static func importedModule(_ line: Substring) -> String? {
        let modifiers: Set<Substring> = ["public", "package", "internal", "fileprivate", "private"]
        let kinds: Set<Substring> = ["struct", "class", "enum", "protocol", "typealias", "func", "var", "let", "actor"]
        var words = line.split(whereSeparator: \.isWhitespace)[...]
        while let word = words.first, word.hasPrefix("@") || modifiers.contains(word) { words.removeFirst() }
        guard words.first == "import", words.count >= 2 else { return nil }
        words.removeFirst()
        if let kind = words.first, kinds.contains(kind) { words.removeFirst() }
        guard let path = words.first, let module = path.split(separator: ".").first,
              module.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return String(module)
    }

    static func manifest() throws -> PackageManifest {
        try PackageManifest(contentsOf: root.appendingPathComponent("Package.swift"))
    }

    @Test("the reader takes a manifest apart whatever its layout")
    func readerReadsLayouts() throws {
        let manifest = try PackageManifest(text: """
            // "Package(" in a comment is not the call; nor is a URL's // a comment.
            let package = Package(name: "P", platforms: [ .macOS( .v15 ) ],
              dependencies: [.package(url: "https://example.com/a//b", from: "1.0.0"), /* gone: .package(url: "x") */],
              targets: [
                .target(name: "A", dependencies: ["B", .product(name: "C", package: "c",
                        condition: .when(platforms: [.linux]))]),
                .testTarget(
                    name: "ATests",
                    dependencies: [.target(name: "A")], path: "T/A"),
                .target(name: "B"),
              ])
            """)
        #expect(manifest.platforms == "[.macOS(.v15)]")
        #expect(manifest.packageURLs == ["https://example.com/a//b"])
        #expect(manifest.targets.map(\.name) == ["A", "ATests", "B"])
        #expect(manifest.targets.map(\.path) == ["Sources/A", "T/A", "Sources/B"])
        #expect(manifest.targets.map(\.dependencies) == [["B", "C"], ["A"], []])
        #expect(Self.importedModule("@testable import Autograd") == "Autograd")
        #expect(Self.importedModule("  public import struct HTTPTypes.HTTPFields") == "HTTPTypes")
        #expect(Self.importedModule("// import Autograd") == nil)
        #expect(Self.importedModule("let important = 1") == nil)
    }

    @Test("every target imports exactly the modules Package.swift declares for it")
    func importsMatchDeclarations() throws {
        let manifest = try Self.manifest()
        let targets = manifest.targets.filter { $0.kind != "systemLibrary" }
        #expect(targets.count >= 30, "Package.swift read as \(targets.count) targets")
        var problems: [String] = []
        for target in targets {
            let imports = try Self.imports(under: target.path).filter { !Self.systemModules.contains($0.module) }
            let declared = Set(target.dependencies)
            for use in imports where !declared.contains(use.module) {
                problems.append("\(use.place): \(target.name) imports \(use.module), which Package.swift does not declare among \(target.name)'s dependencies")
            }
            let imported = Set(imports.map(\.module))
            for dependency in target.dependencies where !imported.contains(dependency) {
                problems.append("Package.swift: \(target.name) declares \(dependency), which no file of \(target.path) imports")
            }
        }
        #expect(problems.isEmpty, Comment(rawValue: "\n" + problems.joined(separator: "\n")))
    }

    /// The rows of docs/architecture.md's "| module | may import | holds |" table: module → may import.
    static func architectureTable() throws -> [(module: String, mayImport: [String])] {
        let lines = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("| module | may import | holds |") }) else { return [] }
        return lines[(header + 2)...].prefix { $0.hasPrefix("|") }.map { row in
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let names = withoutParentheses(cells.count > 2 ? cells[2] : "")
                .split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `*")) }
                .filter { !$0.isEmpty && $0 != "—" }
            return (cells.count > 1 ? cells[1].trimmingCharacters(in: CharacterSet(charactersIn: " `*")) : "", names)
        }
    }

    static func withoutParentheses(_ text: String) -> String {
        var depth = 0, out = ""
        for c in text {
            if c == "(" { depth += 1 } else if c == ")" { depth = max(0, depth - 1) } else if depth == 0 { out.append(c) }
        }
        return out
    }

    @Test("docs/architecture.md's table has one row per module, listing exactly its declared dependencies")
    func architectureTableMatches() throws {
        let manifest = try Self.manifest()
        let modules = manifest.targets.filter { !$0.isTest }
        let table = try Self.architectureTable()
        #expect(!table.isEmpty, "docs/architecture.md has no '| module | may import | holds |' table")
        var problems: [String] = []
        for module in modules where !table.contains(where: { $0.module == module.name }) {
            problems.append("docs/architecture.md: no row for \(module.name) (Package.swift declares it)")
        }
        for row in table {
            guard let module = modules.first(where: { $0.name == row.module }) else {
                problems.append("docs/architecture.md: a row for \(row.module), which is not a module of Package.swift"); continue
            }
            let written = Set(row.mayImport), declared = Set(module.dependencies)
            if written != declared || written.count != row.mayImport.count {
                problems.append("docs/architecture.md: \(row.module) may import \(row.mayImport.joined(separator: ", ")); "
                    + "Package.swift declares \(module.dependencies.joined(separator: ", ")) "
                    + "(missing: \(declared.subtracting(written).sorted()), not declared: \(written.subtracting(declared).sorted()))")
            }
        }
        #expect(problems.isEmpty, Comment(rawValue: "\n" + problems.joined(separator: "\n")))
    }

    @Test("docs/architecture.md's drawing names only modules of Package.swift")
    func architectureDrawingNamesModules() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let blocks = text.components(separatedBy: "```")
        #expect(blocks.count > 2, "docs/architecture.md has no drawing")
        guard blocks.count > 2 else { return }
        // Words outside parentheses are modules; a parenthesis is a note (`CGraphviz (libgvc)`).
        let words = Self.withoutParentheses(blocks[1]).split { !($0.isLetter || $0.isNumber) }.map(String.init)
        let names = Set(try Self.manifest().targets.map(\.name))
        #expect(words.count >= 10, "the drawing read as \(words)")
        #expect(words.filter { !names.contains($0) } == [], "the drawing names what Package.swift does not")
    }

    @Test("docs/library.md is true on packages and platforms; no placeholder URL is left")
    func libraryDocMatches() throws {
        let manifest = try Self.manifest()
        let library = try String(contentsOf: Self.root.appendingPathComponent("docs/library.md"), encoding: .utf8)
        // The list of packages: items "- <url>: what it is for".
        let listed = library.split(separator: "\n").filter { $0.hasPrefix("- https://") }
            .map { item in String(item.dropFirst(2).prefix { !$0.isWhitespace }).trimmingCharacters(in: CharacterSet(charactersIn: ":,")) }
        #expect(listed.sorted() == manifest.packageURLs.sorted(), "docs/library.md lists \(listed); Package.swift declares \(manifest.packageURLs)")
        let platforms = try #require(manifest.platforms, "Package.swift has no platforms")
        let saysPlatforms = library.contains("`platforms: \(platforms)`")
        #expect(saysPlatforms, "docs/library.md does not say `platforms: \(platforms)`")
        let demo = try PackageManifest(contentsOf: Self.root.appendingPathComponent("Examples/LibraryDemo/Package.swift"))
        #expect(demo.platforms == platforms, "Examples/LibraryDemo asks for \(demo.platforms ?? "no platforms"); the workbench needs \(platforms)")
        for file in ["README.md", "docs/library.md", "Examples/LibraryDemo/Package.swift"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
            let placeholder = text.contains("github.com/OWNER")
            #expect(!placeholder, "\(file) still has the placeholder URL github.com/OWNER")
        }
    }
}
