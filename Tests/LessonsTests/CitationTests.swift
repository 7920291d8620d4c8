import Foundation
import Testing
@testable import Lessons

// Issue 29, item 2: citations that prove themselves. Each quotation must stand at the lines it
// names in the notes (../shared/seeds/ beside the repository), every citation a student sees
// carries one, and a figure a check labels "notes" is printed in the quotation its citation gives.

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let seeds = root.deletingLastPathComponent().appendingPathComponent("shared/seeds").path
private let notesAvailable = FileManager.default.fileExists(atPath: seeds)

/// The notes' documents by number, `"004"` → its lines.
private func notes() throws -> [String: [String]] {
    var result: [String: [String]] = [:]
    for file in try FileManager.default.contentsOfDirectory(atPath: seeds) where file.hasPrefix("00") && file.hasSuffix(".txt") {
        let text = try String(contentsOfFile: seeds + "/" + file, encoding: .utf8)
        result[String(file.prefix(3))] = text.components(separatedBy: "\n")
    }
    return result
}

private func lessonFiles() throws -> [(name: String, text: String)] {
    let directory = root.appendingPathComponent("lessons").path
    return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".toml") }.sorted()
        .map { ($0, try String(contentsOfFile: directory + "/" + $0, encoding: .utf8)) }
        // A TOML string writes a backslash as \\; the notes' LaTeX has one.
        .map { ($0.0, $0.1.replacingOccurrences(of: "\\\\", with: "\\")) }
}

/// The line (1-based) of an offset, in UTF-16 units as NSRegularExpression counts them.
private func lineAndText(_ text: String, offset: Int) -> (Int, String) {
    let before = (text as NSString).substring(to: offset)
    let number = before.components(separatedBy: "\n").count
    return (number, text.components(separatedBy: "\n")[number - 1])
}

/// The ways the notes may print a figure: 228036 as 228036 or 228,036; -0.1 as -0.1 or −0.1.
private func printedForms(_ value: Double) -> [String] {
    var plain = value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    if plain.hasPrefix("0.") == false, plain.hasPrefix("-0.") == false, plain.contains(".") == false, abs(value) >= 1000 {
        let digits = Array(plain.drop { $0 == "-" })
        var grouped = ""
        for (i, c) in digits.enumerated() { if i > 0 && (digits.count - i) % 3 == 0 { grouped += "," }; grouped.append(c) }
        return [plain, (value < 0 ? "-" : "") + grouped]
    }
    if plain.hasSuffix(".0") { plain.removeLast(2) }
    // A negative figure may be printed as a term: 7x_2 - 12x_1 - 1 = 0 prints -12 and -1.
    return [plain, plain.replacingOccurrences(of: "-", with: "−"), plain.hasPrefix("0.") ? String(plain.dropFirst()) : plain,
            value < 0 ? "- " + String(plain.dropFirst()) : plain]
}

@Suite("Citations of the notes", .enabled(if: notesAvailable, "skipped: the notes are not in ../shared/seeds beside the repository"))
struct CitationTests {
    @Test("a citation's quotation is found, and a bare one is not taken as quoted")
    func parsing() {
        let found = CitationText.all(in: "as 004:112-116 'the words' say, and 'more' (001:9), and 003:5 alone")
        #expect(found.map(\.document) == ["004", "001", "003"])
        #expect(found.map(\.lines) == [112...116, 9...9, 5...5])
        #expect(found.map(\.quotation) == ["the words", "more", nil])
        #expect(CitationText(document: "004", lines: 1...2, quotation: "a … c", offset: 0).stands(in: ["a b", "c"]))
        #expect(!CitationText(document: "004", lines: 1...2, quotation: "c … a", offset: 0).stands(in: ["a b", "c"]))
        #expect(!CitationText(document: "004", lines: 2...2, quotation: "a", offset: 0).stands(in: ["a b", "c"]))
    }

    @Test("every quotation stands at the lines it cites")
    func quotationsStand() throws {
        let notes = try notes()
        for (name, text) in try lessonFiles() {
            for citation in CitationText.all(in: text) where citation.quotation != nil {
                let (line, _) = lineAndText(text, offset: citation.offset)
                #expect(citation.stands(in: notes[citation.document] ?? []),
                        "\(name):\(line): '\(citation.quotation!)' is not at \(citation.document):\(citation.lines.lowerBound)-\(citation.lines.upperBound)")
            }
        }
    }

    @Test("no LaTeX backslash is read as a TOML escape (\\times would print a tab)")
    func noEscapedLaTeX() throws {
        let directory = root.appendingPathComponent("lessons").path
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".toml") {
            let lines = try String(contentsOfFile: directory + "/" + file, encoding: .utf8).components(separatedBy: "\n")
            for (index, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                // An odd run of backslashes before a letter is an escape in a TOML basic string.
                #expect(line.range(of: #"(?<!\\)(?:\\\\)*\\[A-Za-z]"#, options: .regularExpression) == nil,
                        "\(file):\(index + 1): write \\\\ for a backslash: \(line)")
            }
        }
    }

    @Test("every citation a student sees carries a quotation")
    func visibleCitationsQuote() throws {
        for (name, text) in try lessonFiles() {
            for citation in CitationText.all(in: text) where citation.quotation == nil {
                let (line, content) = lineAndText(text, offset: citation.offset)
                guard !content.trimmingCharacters(in: .whitespaces).hasPrefix("#") else { continue }
                Issue.record("\(name):\(line): \(citation.document):\(citation.lines.lowerBound) quotes nothing: \(content)")
            }
        }
    }

    @Test("a figure labelled notes is printed in the quotation cited above its check")
    func notesFiguresArePrinted() throws {
        for (name, text) in try lessonFiles() {
            let lines = text.components(separatedBy: "\n")
            for (index, line) in lines.enumerated() where line.hasPrefix("[[check]]") || line.hasPrefix("[[model.check]]") {
                let body = lines[(index + 1)...].prefix { !$0.hasPrefix("[") && !$0.hasPrefix("#") }
                guard let notesLine = body.first(where: { $0.hasPrefix("notes = ") }), !body.contains("printed = false"),
                      let value = Double(notesLine.dropFirst("notes = ".count).trimmingCharacters(in: .whitespaces)) else { continue }
                let comments = lines[..<index].reversed().prefix { $0.hasPrefix("#") }.reversed().joined(separator: "\n")
                let quotations = CitationText.all(in: comments).compactMap(\.quotation)
                guard !quotations.isEmpty else { continue }
                let forms = printedForms(value)
                #expect(quotations.contains { q in forms.contains { q.contains($0) } },
                        "\(name):\(index + 1): notes = \(value) is not in the quotation \(quotations) cited above it")
            }
        }
    }
}
