import Autograd
import Diagrams
import Foundation
import Testing
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading

/// The student's exercise sheet gives no answer away: every lesson's sheet, in Markdown and in
/// HTML (what the PDF prints), is read back as a student would read it, and no figure on it that
/// the student did not get as the point (the inputs) agrees with any exercise's answer to the
/// answer's grading tolerance; no formula answer stands on an edge or in a prompt.
@Suite("Student sheets do not leak")
struct SheetLeakTests {
    static let lessons: [Lesson] = ((try? LessonLibrary.all()) ?? []).filter { !$0.exercises.isEmpty }

    /// Numbers in a piece of text: `-4`, `0.5`, `1e-08`, `[1, 2]`'s entries.
    static func numbers(_ text: String) -> [Double] {
        let pattern = try! NSRegularExpression(pattern: #"(?<![\p{L}_\d.])-?\d+(\.\d+)?(e[-+]?\d+)?"#)
        let range = NSRange(text.startIndex..., in: text)
        return pattern.matches(in: text, range: range).compactMap { Range($0.range, in: text).flatMap { Double(text[$0]) } }
    }

    /// The figures of the sheet a student reads that are computed, not given: in the Markdown
    /// tables, operations' values and every gradient but the output's seed; in the HTML drawing,
    /// the same, and edges' local gradients that are plain numbers.
    static func computedFigures(markdown: String, html: String, trace: Trace) -> [(figure: Double, place: String)] {
        var figures: [(Double, String)] = []
        let labels = Dictionary(trace.nodes.map { ($0.label, $0) }, uniquingKeysWith: { first, _ in first })
        for line in markdown.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| node") && !line.hasPrefix("| ---") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5, let node = labels[cells[1]] else { continue }
            if node.kind == .operation { figures += numbers(cells[3]).map { ($0, "table: value of \(node.label)") } }
            if !node.isOutput { figures += numbers(cells[4]).map { ($0, "table: gradient of \(node.label)") } }
        }
        var group: String? = nil
        for line in html.split(separator: "\n") {
            if line.hasPrefix("<g id=\"") { group = String(line.dropFirst(7).prefix { $0 != "\"" }); continue }
            guard let group, line.hasPrefix("<text"), let open = line.firstIndex(of: ">"), let close = line.range(of: "</text>") else { continue }
            let text = String(line[line.index(after: open)..<close.lowerBound]).replacingOccurrences(of: "&#45;", with: "-")
            if group.hasPrefix("n"), let id = Int(group.dropFirst()), id < trace.nodes.count {
                let node = trace.nodes[id]
                if text.hasPrefix("value") && node.kind == .operation { figures += numbers(text).map { ($0, "drawing: value of \(node.label)") } }
                if text.hasPrefix("grad") && !node.isOutput { figures += numbers(text).map { ($0, "drawing: gradient of \(node.label)") } }
            } else if group.hasPrefix("e"), let equals = text.range(of: " = ", options: .backwards), let number = Double(text[equals.upperBound...]) {
                figures.append((number, "drawing: edge \(text)"))
            }
        }
        return figures
    }

    @Test("no figure on a student's sheet agrees with an exercise's answer; no formula answer is printed", arguments: lessons.map(\.number))
    func noAnswerOnTheSheet(number: Int) throws {
        let lesson = try #require(Self.lessons.first { $0.number == number })
        let set = try ExerciseSet(lesson)
        let markdown = set.markdown(solutions: false)
        let html = try set.html(solutions: false)
        let figures = Self.computedFigures(markdown: markdown, html: html, trace: set.job.trace)
        let prompts = lesson.exercises.map { $0.prompt.filter { !$0.isWhitespace } }
        for item in set.items {
            let id = item.exercise.id
            var answers: [(Double, Double)] = []
            switch item.expected {
            case .number(let value, let tolerance): answers = [(value, tolerance)]
            case .tensor(let value, let tolerances): answers = Array(zip(value.storage, tolerances))
            case .graph(let blanks): answers = blanks.map { ($0.value, $0.tolerance) }
            case .formula(let formula):
                for text in [formula.engineFormula, formula.example].compactMap({ $0 }) {
                    let squeezed = text.filter { !$0.isWhitespace }
                    // A formula that is one name (`z`) is named by prompts for other reasons; it leaks as `= z`.
                    let isName = squeezed.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
                    let leaks = prompts.contains { prompt in
                        guard isName else { return prompt.contains(squeezed) }
                        return prompt.range(of: "=" + NSRegularExpression.escapedPattern(for: squeezed) + #"(?![\p{L}\p{N}_])"#, options: .regularExpression) != nil
                    }
                    #expect(!leaks, "\(id): a prompt prints the answer \(text)")
                    #expect(!markdown.contains("\(formula.left) = \(text)") && !html.contains("\(formula.left) = \(htmlText(text))"),
                            "\(id): the sheet prints \(formula.left) = \(text)")
                }
            default: break
            }
            for (answer, tolerance) in answers {
                // The negative of an answer gives it away too (lesson 7's ∂Lreg/∂t = −ȳ).
                for (figure, place) in figures where abs(abs(figure) - abs(answer)) <= max(tolerance, 1e-12) {
                    Issue.record("lesson \(number), \(id): the answer \(TraceFormat.number(answer)) stands on the sheet (\(place): \(TraceFormat.number(figure)))")
                }
            }
        }
    }

    @Test("the check reads the sheets: lesson 1's graph exercise shows figures, and the teacher's sheet has the answers")
    func theCheckSeesFigures() throws {
        let lesson = try #require(Self.lessons.first { $0.number == 1 })
        let set = try ExerciseSet(lesson)
        let student = Self.computedFigures(markdown: set.markdown(solutions: false), html: try set.html(solutions: false), trace: set.job.trace)
        let teacher = Self.computedFigures(markdown: set.markdown(solutions: true), html: try set.html(solutions: true), trace: set.job.trace)
        #expect(student.isEmpty == false || teacher.isEmpty == false)
        // The teacher's sheet shows f = -12 (the answer of f-value): the reader finds it there.
        #expect(teacher.contains { $0.figure == -12 && $0.place.contains("value of f") })
        #expect(!student.contains { $0.figure == -12 })
        #expect(set.markdown(solutions: false).contains("(exercise f-value)"))
    }
}
