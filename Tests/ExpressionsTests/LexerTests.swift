@testable import Expressions
import Foundation
import Testing

/// The lexer's two paths, bytes for ASCII programs and characters for the rest, give the same
/// tokens and the same errors at the same line:column.
@Suite("lexer")
struct LexerTests {
    static func both(_ source: String) -> (bytes: Result<[Token], ExpressionError>, characters: Result<[Token], ExpressionError>) {
        func run<C: LexedCharacter>(_ input: [C]) -> Result<[Token], ExpressionError> {
            do throws(ExpressionError) { return .success(try Lexer.tokenize(input)) } catch { return .failure(error) }
        }
        return (run(Array(source.utf8)), run(Array(source)))
    }

    static let programs = [
        "q = x + y; f = q * z", "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", "a_1 = x ** 2 # square\nf = a_1 @ W\n",
        "f = .5 + 1.25e-3 * 2E+2 - 3e", "f = 1e+ + 2", "f = 1.2.3", "x = 1\t\u{0B}\u{0C} + 2", "f = x $ y", "f = x ! 2",
        "f = \u{1}x", "m = mean(reshape(x, [2, 2]), 0)[1:2]", "# only a comment", "", ";;\n\n;", "f = x\u{7F}", "9abc", "_ = 1e400",
    ]

    @Test("ASCII programs lex the same as bytes and as characters")
    func pathsAgree() throws {
        for program in Self.programs {
            let (bytes, characters) = Self.both(program)
            switch (bytes, characters) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(program)")
            case (.failure(let a), .failure(let b)): #expect(a.message == b.message && a.position == b.position, "\(program): \(a.message) vs \(b.message)")
            default: Issue.record("\(program): \(bytes) vs \(characters)")
            }
        }
        // The test corpus and the one the fuzzer grew, as far as they are ASCII.
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let files = try [here.appendingPathComponent("Corpus"), here.appendingPathComponent("../../Fuzz/Corpus/expression")].flatMap {
            try FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil)
        }
        #expect(files.count > 10)
        for file in files {
            guard let program = try? String(contentsOf: file, encoding: .utf8), program.utf8.allSatisfy({ $0 < 0x80 && $0 != 13 }) else { continue }
            let (bytes, characters) = Self.both(program)
            switch (bytes, characters) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(file.lastPathComponent)")
            case (.failure(let a), .failure(let b)): #expect(a.message == b.message && a.position == b.position, "\(file.lastPathComponent)")
            default: Issue.record("\(file.lastPathComponent): the two paths disagree")
            }
        }
    }

    @Test("programs with a carriage return or outside ASCII go the character way, columns in characters")
    func generalPath() throws {
        let tokens = try Lexer.tokenize("α = x\r\né = 2")
        #expect(tokens.count > 3)
        #expect(throws: ExpressionError.self) { try Lexer.tokenize("é = 2 $") }
        do { _ = try Lexer.tokenize("é = 2 $") } catch { #expect(error.position?.column == 7) }
    }
}
