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

/// Plain numbers in `--at` read without the parser, exactly as the parser reads them.
@Suite("input values")
struct InputValuesFastPathTests {
    static func parsed(_ text: String) -> Double? {
        var parser: Parser
        do { parser = try Parser(source: text, options: .init()) } catch { return nil }
        var sign = 1.0
        if parser.isSymbol("-") { _ = parser.advance(); sign = -1 }
        guard case .number(let number) = parser.current.kind else { return nil }
        _ = parser.advance()
        guard parser.current.kind == .end else { return nil }
        return sign * number
    }

    @Test("the fast path takes only what the parser reads the same way")
    func sameAsParser() {
        let texts = ["0.5", "-2", "1e-3", "1E+5", ".5", "-.5", "1.", "-0", "0", "007", "1e400", "-1e400", "+2", "--2", "1.2.3",
                     "5-3", "1e", "1e+", "e5", "-", ".", "", " 2", "2 ", "0x10", "inf", "nan", "1_000", "2e-324", "4.9e-324",
                     "123456789012345678901234567890", "1.7976931348623157e308", "1e5.5", "-e3"]
        for text in texts {
            let fast = InputValues.plainNumber(text)
            if let fast {
                let slow = Self.parsed(text)
                #expect(slow.map { $0.bitPattern == fast.bitPattern } == true, "\(text): fast \(fast), parser \(String(describing: slow))")
            }
            // Whatever the fast path takes, literal() gives; whatever it leaves, the parser decides.
            #expect((try? InputValues.literal(text))?.scalar.bitPattern == (fast ?? Self.parsed(text))?.bitPattern, "\(text)")
        }
        #expect(InputValues.plainNumber("0.5") == 0.5 && InputValues.plainNumber("+2") == nil && InputValues.plainNumber("1e400") == nil)
    }
}
