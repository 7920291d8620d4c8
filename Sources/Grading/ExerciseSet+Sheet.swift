import Autograd
import Diagrams
import Expressions
import Foundation
import NeuralNetworks
import TOMLKit
import Support
import Claims
import ModelFiles
import Lessons

// MARK: - The sheet

extension ExerciseSet {
    /// The program's names a formula may use.
    public var names: [String] { ClaimCheck.names(of: job.program).map(\.name) }

    /// The exercise sheet in Markdown; with `solutions`, each exercise's answer as the engine computes it.
    public func markdown(solutions: Bool) -> String {
        var lines: [String] = []
        let mask = solutions ? AnswerMask.none : AnswerMask(self)
        let lessonTitle = "Lesson \(lesson.number): \(lesson.title)"
        lines.append("# Exercises — \(lessonTitle)" + (solutions ? " (with solutions)" : ""))
        lines.append("")
        let count = items.count
        lines.append("From the notes: \(lesson.source). \(count) exercise\(count == 1 ? "" : "s"), \(ExerciseSet.points(maxPoints)) point\(maxPoints == 1 ? "" : "s").")
        lines.append("")
        if let variant = variantLine { lines.append(variant); lines.append("") }
        let inputs = job.trace.inputs.map { "\($0.label) = \(TraceFormat.tensor($0.value, significantDigits: 6))" }.joined(separator: ", ")
        lines.append("The program" + (inputs.isEmpty ? ":" : ", at \(inputs):"))
        lines.append("")
        lines.append("```")
        lines += lesson.program.trimmingCharacters(in: .newlines).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.append("```")
        lines.append("")
        lines.append("Gradients are of the output, \(job.trace.outputNode.label), unless an exercise says otherwise. " + ExerciseSet.roundingRule)
        for (number, item) in items.enumerated() {
            let exercise = item.exercise
            lines.append("")
            lines.append("## \(number + 1). `\(exercise.id)` (\(ExerciseSet.points(exercise.points)) point\(exercise.points == 1 ? "" : "s"), \(ExerciseSet.kindPhrase(exercise.kind)))")
            lines.append("")
            lines.append(exercise.prompt.trimmingCharacters(in: .whitespacesAndNewlines))
            if let rule = ExerciseSet.ownRoundingRule(exercise) { lines.append(""); lines.append(rule) }
            switch item.expected {
            case .choice:
                lines.append("")
                for (index, choice) in exercise.choices.enumerated() { lines.append("- (\(ExerciseSet.letter(index))) \(choice.text)") }
            case .graph(let blanks):
                lines.append("")
                lines += graphTable(blanks: blanks, solutions: solutions, mask: mask)
            case .formula:
                lines.append("")
                lines.append("(A formula in the expression language over " + names.joined(separator: ", ") + ".)")
            default: break
            }
            if solutions {
                lines.append("")
                lines += solution(item).map { $0 }
            }
        }
        lines.append("")
        lines.append("## Answer file")
        lines.append("")
        lines.append("Write your answers in a TOML file like this one and hand it in (docs/grading.md):")
        lines.append("")
        lines.append("```toml")
        lines += answerTemplate()
        lines.append("```")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whose variant the sheet is, for a student's own sheet (`exercises --student`).
    var variantLine: String? {
        student.map { "Your own variant, student \($0): the inputs below are yours, so are the answers; the lesson's worked example uses the notes' numbers." }
    }

    /// A TOML skeleton of the answer file, one line per exercise.
    public func answerTemplate() -> [String] {
        let id = student.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" } ?? "\"your student id\""
        var lines = ["student = \(id)", "name = \"your name\"", "lesson = \(lesson.number)", "", "[answers]"]
        var entries: [(String, String)] = []
        var graphs: [String] = []
        for item in items {
            let id = item.exercise.id
            switch item.expected {
            case .number: entries.append(("\(id) = 0.0", "a number"))
            case .tensor(let value, _):
                // Zeros in the answer's own shape, so the skeleton parses as the right size.
                func zeros(_ shape: ArraySlice<Int>) -> String {
                    guard let size = shape.first else { return "0.0" }
                    return "[" + Array(repeating: zeros(shape.dropFirst()), count: size).joined(separator: ", ") + "]"
                }
                let kind = value.rank == 1 ? "vector" : (value.rank == 2 ? "matrix" : "tensor")
                entries.append(("\(id) = \(zeros(value.shape[...]))", "a \(kind) of shape \(Tensor.describe(shape: value.shape))"))
            case .formula(let formula): entries.append(("\(id) = \"...\"", "a formula for \(formula.left)"))
            case .choice: entries.append(("\(id) = \"a\"", "the letter of your choice"))
            case .shape(let shape): entries.append(("\(id) = [\(Array(repeating: "0", count: max(shape.count, 1)).joined(separator: ", "))]", "a shape of \(shape.count) size\(shape.count == 1 ? "" : "s")"))
            case .count: entries.append(("\(id) = 0", "a whole number"))
            case .graph(let blanks):
                graphs.append("")
                graphs.append("[answers.\(id)]")
                for blank in blanks { graphs.append("\(ExerciseSet.tomlKey(blank.key)) = 0.0") }
            }
        }
        let width = entries.map(\.0.count).max() ?? 0
        lines += entries.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "   # " + $0.1 }
        return lines + graphs
    }

    /// The solution lines of one exercise.
    func solution(_ item: Item) -> [String] {
        let exercise = item.exercise
        var lines: [String] = []
        func number(_ x: Double) -> String { TraceFormat.number(x, significantDigits: 10) }
        switch item.expected {
        case .number(let value, let tolerance):
            lines.append("**Answer:** \(item.quantity?.display ?? exercise.answer!) = \(number(value)) (accepted within ±\(TraceFormat.number(tolerance, significantDigits: 3)))")
        case .tensor(let value, let tolerances):
            let tolerance = tolerances.max() ?? 0
            lines.append("**Answer:** \(item.quantity?.display ?? exercise.answer!) = \(TraceFormat.tensor(value, significantDigits: 10)), shape \(Tensor.describe(shape: value.shape)) (each entry within ±\(TraceFormat.number(tolerance, significantDigits: 3)))")
        case .formula(let formula):
            var text = "**Answer:** a formula for \(formula.left), equal to \(ClaimCheck.format(formula.engine)) at the lesson's point; checked there and at \(formula.randomPointCount) random points."
            if let example = formula.example { text += " For example: \(formula.left) = `\(example)` (the engine agrees)." }
            else if let local = formula.engineFormula { text += " The engine's local gradient: \(formula.left) = `\(local)`." }
            lines.append(text)
        case .choice(let right, let values):
            lines.append("**Answer:** (\(ExerciseSet.letter(right))) \(exercise.choices[right].text)")
            lines.append("")
            let header = exercise.pick.map { "the engine picks the \($0) value:" } ?? "the engine evaluates each condition:"
            lines.append("*Decided by the engine*, \(header)")
            for (index, choice) in exercise.choices.enumerated() {
                let what = exercise.pick != nil ? "\(choice.value!) = \(values[index])" : values[index]
                lines.append("- (\(ExerciseSet.letter(index))) \(what)")
            }
        case .shape(let shape):
            let what = exercise.model.map { model in "the output of " + (exercise.layer.map { "layer \($0) of \(model)" } ?? model) } ?? (item.quantity?.display ?? "")
            lines.append("**Answer:** \(Tensor.describe(shape: shape)) (\(what); channels first, as `backprop summary` prints)")
        case .count(let count, _):
            let what = exercise.layer.map { "layer \($0) of \(exercise.model!)" } ?? exercise.model!
            lines.append("**Answer:** \(count) parameters (\(what), from `backprop summary \(exercise.model!)`)")
        case .graph(let blanks):
            lines.append("**Answer:** " + blanks.map { "\($0.key) = \(number($0.value))" }.joined(separator: ", "))
        }
        if let why = exercise.why { lines.append(""); lines.append("*Why:* " + why) }
        return lines.map { "> " + $0 }.map { $0 == "> " ? ">" : $0 }
    }

    /// The fill-in-the-graph table: every node with its formula, value and gradient; blanks as `[key]`.
    /// Figures `mask` hides (other exercises' answers) show `(exercise ID)`.
    func graphTable(blanks: [Blank], solutions: Bool, mask: AnswerMask = .none) -> [String] {
        let trace = job.trace
        let output = trace.outputNode.label
        var lines = ["| node | computed as | value | ∂\(output)/∂node |", "| --- | --- | --- | --- |"]
        for node in trace.nodes {
            let computed: String
            switch node.kind {
            case .operation:
                let parts = TraceReport.forwardNarration(trace, node: node.id).components(separatedBy: " = ")
                computed = parts.count > 1 ? "`\(parts[1])`" : node.operation
            case .input, .parameter: computed = node.kind.rawValue
            case .constant: computed = "constant"
            }
            func cell(_ gradient: Bool) -> String {
                if let blank = blanks.first(where: { $0.node == node.id && $0.isGradient == gradient }) {
                    let value = gradient ? node.gradient : node.value
                    return solutions ? "**\(value.map { TraceFormat.tensor($0, significantDigits: 6) } ?? "?")**" : "**[\(blank.key)]**"
                }
                if let exercise = gradient ? mask.gradients[node.id] : mask.values[node.id] { return AnswerMask.placeholder(exercise) }
                if gradient { return node.gradient.map { TraceFormat.tensor($0, significantDigits: 6) } ?? "—" }
                return TraceFormat.tensor(node.value, significantDigits: 6)
            }
            lines.append("| \(node.label) | \(computed) | \(cell(false)) | \(cell(true)) |")
        }
        lines.append("")
        lines.append("Fill in the blanks " + blanks.map { "**[\($0.key)]**" }.joined(separator: ", ") + (blanks.count == 1 ? "." : "; each is worth an equal share of the points."))
        return lines
    }

    static func letter(_ index: Int) -> String { String(UnicodeScalar(UInt8(97 + index))) }

    public static func points(_ value: Double) -> String { TraceFormat.number((value * 1000).rounded() / 1000) }

    public static func kindPhrase(_ kind: Lesson.Exercise.Kind) -> String {
        switch kind {
        case .number: return "a number"
        case .vector: return "a vector"
        case .matrix: return "a matrix"
        case .formula: return "a formula"
        case .choice: return "multiple choice"
        case .shape: return "a shape"
        case .count: return "a count"
        case .graph: return "fill in the graph"
        }
    }

    /// A TOML key: bare when it can be, else quoted.
    static func tomlKey(_ key: String) -> String {
        key.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }) ? key : "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

// MARK: - The sheet as a web page

extension ExerciseSet {
    /// The exercise sheet as one self-contained HTML page (no network), a fill-in-the-graph
    /// exercise drawn as its diagram with the blanks; with `solutions`, the answers too.
    /// - Throws: `WorkbenchFailure.failed` if Graphviz cannot draw a diagram.
    public func html(solutions: Bool) throws(WorkbenchFailure) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        /// Markdown's `code` and **bold** in a line of the solutions, as HTML.
        func inline(_ text: String) -> String {
            var html = escape(text)
            for (mark, open, close) in [("**", "<strong>", "</strong>"), ("`", "<code>", "</code>"), ("*", "<em>", "</em>")] {
                var parts = html.components(separatedBy: mark)
                guard parts.count >= 3 else { continue }
                var result = parts.removeFirst()
                for (index, part) in parts.enumerated() { result += (index % 2 == 0 ? open : close) + part }
                html = result
            }
            return html
        }
        var body: [String] = []
        body.append("<h1>Exercises — Lesson \(lesson.number): \(escape(lesson.title))\(solutions ? " (with solutions)" : "")</h1>")
        body.append("<p>From the notes: \(escape(lesson.source)). \(items.count) exercises, \(ExerciseSet.points(maxPoints)) points.</p>")
        if let variant = variantLine { body.append("<p>" + escape(variant) + "</p>") }
        let inputs = job.trace.inputs.map { "\($0.label) = \(TraceFormat.tensor($0.value, significantDigits: 6))" }.joined(separator: ", ")
        body.append("<p>The program\(inputs.isEmpty ? "" : ", at " + escape(inputs)):</p>")
        body.append("<pre>" + escape(lesson.program.trimmingCharacters(in: .newlines)) + "</pre>")
        body.append("<p>" + escape(ExerciseSet.roundingRule) + "</p>")
        for (number, item) in items.enumerated() {
            let exercise = item.exercise
            body.append("<section id=\"\(escape(exercise.id))\">")
            body.append("<h2>\(number + 1). <code>\(escape(exercise.id))</code> <small>(\(ExerciseSet.points(exercise.points)) point\(exercise.points == 1 ? "" : "s"), \(ExerciseSet.kindPhrase(exercise.kind)))</small></h2>")
            body.append("<p>" + escape(exercise.prompt.trimmingCharacters(in: .whitespacesAndNewlines)).replacingOccurrences(of: "\n", with: "<br>") + "</p>")
            if let rule = ExerciseSet.ownRoundingRule(exercise) { body.append("<p><small>" + escape(rule) + "</small></p>") }
            switch item.expected {
            case .choice:
                body.append("<ol type=\"a\">" + exercise.choices.map { "<li>" + escape($0.text) + "</li>" }.joined() + "</ol>")
            case .formula:
                body.append("<p>A formula in the expression language over " + names.map { "<code>\(escape($0))</code>" }.joined(separator: ", ") + ".</p>")
            case .graph(let blanks):
                let dot = Diagram.maskedDot(for: job.trace, blanks: blanks.map { ($0.node, $0.isGradient, $0.key) }, showBlanks: solutions,
                                            mask: solutions ? DiagramMask() : AnswerMask(self).diagramMask)
                let svg: [UInt8]
                do { svg = try Graphviz.render(dot: dot, as: .svg) } catch { throw .failed("Graphviz: \(error.message)") }
                var text = String(decoding: svg, as: UTF8.self)
                if let start = text.range(of: "<svg") { text = String(text[start.lowerBound...]) }
                body.append(StepPage.viewer(svg: text, id: "graph-\(escape(exercise.id))"))
                body.append("<p>Fill in " + blanks.map { "<strong>[\(escape($0.key))]</strong>" }.joined(separator: ", ") + ".</p>")
            default: break
            }
            if solutions {
                let lines = solution(item).map { $0.hasPrefix("> ") ? String($0.dropFirst(2)) : "" }
                var html: [String] = []
                var list: [String] = []
                for line in lines + [""] {
                    if line.hasPrefix("- ") { list.append("<li>" + inline(String(line.dropFirst(2))) + "</li>"); continue }
                    if !list.isEmpty { html.append("<ul>" + list.joined() + "</ul>"); list = [] }
                    if !line.isEmpty { html.append("<p>" + inline(line) + "</p>") }
                }
                body.append("<div class=\"solution\">" + html.joined() + "</div>")
            }
            body.append("</section>")
        }
        body.append("<h2>Answer file</h2>")
        body.append("<p>Write your answers in a TOML file like this one and hand it in:</p>")
        body.append("<pre>" + escape(answerTemplate().joined(separator: "\n")) + "</pre>")
        let style = """
            body { font-family: Helvetica, Arial, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; color: #24292f; line-height: 1.45; }
            pre, code { font-family: Menlo, Consolas, monospace; background: #f6f8fa; }
            pre { padding: 0.6rem 0.8rem; overflow-x: auto; }
            section { border-top: 1px solid #d0d7de; margin-top: 1.5rem; }
            h2 small { font-weight: normal; color: #57606a; font-size: 0.8em; }
            .solution { border-left: 4px solid #1a7f37; padding: 0.1rem 0.8rem; background: #f0fff4; }
            @media print { section { break-inside: avoid; } }
            """
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Exercises — Lesson \(lesson.number)\(solutions ? " (solutions)" : "")</title>\n<style>\n\(StepPage.style)\n\(style)\n</style>\n</head>\n<body>\n"
            + body.joined(separator: "\n") + "\n<script>\n\(StepPage.script)\n</script>\n</body>\n</html>\n"
    }
}

// MARK: - Pieces of the sheet for the server's answer form

extension ExerciseSet {
    /// The inputs the exercises are asked at, as the sheet prints them: `x = -2, y = 5, z = -4`.
    public var inputsText: String {
        job.trace.inputs.map { "\($0.label) = \(TraceFormat.tensor($0.value, significantDigits: 6))" }.joined(separator: ", ")
    }

    /// A graph exercise as the student's sheet shows it: the table's rows (a header, then one row of
    /// cells per node, the blanks `**[q]**`, other exercises' answers masked) and the SVG drawing.
    /// - Throws: `failed` if Graphviz cannot draw it.
    public func maskedGraph(_ item: Item) throws(WorkbenchFailure) -> (table: [[String]], svg: String) {
        guard case .graph(let blanks) = item.expected else { return ([], "") }
        let rows = graphTable(blanks: blanks, solutions: false, mask: AnswerMask(self)).filter { $0.hasPrefix("| ") && !$0.hasPrefix("| ---") }
        let table = rows.map { row in
            row.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let dot = Diagram.maskedDot(for: job.trace, blanks: blanks.map { ($0.node, $0.isGradient, $0.key) }, showBlanks: false, mask: AnswerMask(self).diagramMask)
        let svg: [UInt8]
        do { svg = try Graphviz.render(dot: dot, as: .svg) } catch { throw .failed("Graphviz: \(error.message)") }
        var text = String(decoding: svg, as: UTF8.self)
        if let start = text.range(of: "<svg") { text = String(text[start.lowerBound...]) }
        return (table, text)
    }
}
