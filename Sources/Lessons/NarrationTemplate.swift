import Autograd
import Claims
import Expressions
import Foundation
import Support

/// Narration that names the run's values instead of typing them (docs/lesson-format.md,
/// "Figures in narration"). A placeholder `{…}` holds a quantity as a `[[check]]` writes it, or an
/// expression in the expression language over the program's names and its output's gradients,
/// optionally followed by `:N` for N significant digits (6 by default):
///
/// ```
/// {s}            the value of s            {df/dw}        ∂f/∂w, as backward computed it
/// {w_new[1]:2}   one entry, 2 digits       {exp(5) / exp(0)}   an expression, on the engine
/// {updated w}    w after the [update] step
/// {[[a, b], [c, d]]}   values of separate statements, stacked
/// ```
///
/// A scalar is printed as the trace prints numbers, a tensor as the trace prints tensors. A
/// placeholder that is only a number, `{11}` or `{(2)}`, is refused.
enum NarrationTemplate {
    /// The placeholders of `text`: each one's range (braces included) and its inside.
    static func placeholders(in text: String) -> [(range: Range<String.Index>, body: String)] {
        var found: [(Range<String.Index>, String)] = []
        var index = text.startIndex
        while let open = text[index...].firstIndex(of: "{") {
            guard let close = text[open...].firstIndex(of: "}") else { break }
            found.append((open..<text.index(after: close), String(text[text.index(after: open)..<close])))
            index = text.index(after: close)
        }
        return found
    }

    /// `text` with every placeholder replaced by the engine's value at the run's point.
    /// - Throws: `WorkbenchFailure.badInput` naming the `[[narration]]` line when a placeholder
    ///   names nothing the program defines, or does not parse.
    /// `sections` are the names of the lesson's `[descent]` and `[model]` runs (`names(of:)`), for
    /// the texts resolved after those runs.
    static func resolve(_ text: String, job: TraceJob, lesson: Lesson, line: Int,
                        sections: [(name: String, value: Tensor)] = []) throws(WorkbenchFailure) -> String {
        var result = text
        for (range, body) in placeholders(in: text).reversed() {
            result.replaceSubrange(range, with: try value(body, job: job, lesson: lesson, line: line, sections: sections))
        }
        return result
    }

    /// One placeholder's inside, `expression` or `expression:N`, as text.
    static func value(_ body: String, job: TraceJob, lesson: Lesson, line: Int,
                      sections: [(name: String, value: Tensor)] = []) throws(WorkbenchFailure) -> String {
        func fail(_ message: String) -> WorkbenchFailure {
            .badInput("narration placeholder {\(body)}: \(message)", at: SourceLocation(file: lesson.file, line: line))
        }
        // The one lexer splits `expression:N` and `[e1, e2]` (no character scan of the notation).
        let written = Notation.placeholder(body)
        var digits = 6
        if let n = written.digits {
            guard (1...17).contains(n) else { throw fail("digits must be 1 to 17") }
            digits = n
        }
        guard !written.expression.isEmpty else { throw fail("empty; write a name, a gradient df/dx or an expression") }
        let update = lesson.update.map { Resolver.Update(sign: $0.sign, rate: $0.rate) }
        let value = try evaluate(written.expression, program: job.program, update: update, sections: sections, fail: fail)
        return value.isScalar ? TraceFormat.number(value.scalar, significantDigits: digits)
                              : TraceFormat.tensor(value, significantDigits: digits)
    }

    /// An expression over the program's names, where a gradient `df/dx` (`∂f/∂x`) or `updated w`
    /// stands for the engine's figure, or a list `[a, b]` of such expressions (nested for a matrix).
    /// `sections` add names of the lesson's runs; a program's own name of the same spelling wins.
    static func evaluate(_ text: String, program: Program, update: Resolver.Update?, sections: [(name: String, value: Tensor)] = [],
                         fail: (String) -> WorkbenchFailure) throws(WorkbenchFailure) -> Tensor {
        // `[a, b]` of expressions: the expression language's literals hold numbers only, so a map of
        // separate expressions is stacked here.
        if let items = Notation.placeholder(text).items {
            var parts: [Tensor] = []
            for item in items { parts.append(try evaluate(item, program: program, update: update, sections: sections, fail: fail)) }
            guard let shape = parts.first?.shape, parts.allSatisfy({ $0.shape == shape }) else { throw fail("the entries of [ … ] differ in shape") }
            return Tensor(shape: [parts.count] + shape, storage: parts.flatMap(\.storage))
        }
        // `{11}` would be a figure typed by hand in braces (or LaTeX such as w_{11} read as one).
        let bare = text.filter { !"() ".contains($0) }
        guard Double(bare) == nil else { throw fail("is a number, not a value of the run; a placeholder shows the engine's figures") }
        // The one parser and resolver: gradients `df/dx` (`∂f/∂x`) inside the formula are the engine's.
        let resolver = Resolver(program: program, update: update)
        let own = resolver.names
        let names = own + sections.filter { section in !own.contains { $0.name == section.name } }
        do { return try Notation.evaluate(text, names: names, quantities: resolver.lookup).value } catch {
            // A name the program lacks reaches the evaluator as an input without a value.
            if case .missingInput(let name) = error.kind {
                throw fail("'\(name)' is not a name of the program" + (sections.isEmpty ? "" : " or of its runs") + "; "
                           + NotationProblem.hint(for: name, among: names.map(\.name)))
            }
            throw fail(error.message)
        }
    }
}
