import Foundation
import Testing
@testable import Support
@testable import Lessons
import Autograd

// Issue 29, item 1: no figure typed into narration. The rule is docs/lesson-format.md's
// "Figures in narration"; `NarrationFigures.handTyped` is that rule, word for word.

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The figures of a narration line that no rule allows: what is left after removing placeholders,
/// citations with their quotations, lesson numbers, names and their indices, and shapes; the
/// constants 0, 1 and 2 (of formulas such as 1 − σ, x², ½) are allowed anywhere.
enum NarrationFigures {
    static func remove(_ pattern: String, in text: String, template: String = " ") -> String {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.stringByReplacingMatches(in: text, range: NSRange(location: 0, length: (text as NSString).length), withTemplate: template)
    }

    static func handTyped(in text: String) -> [String] {
        var t = remove(#"\{[^}]*\}"#, in: text)                                           // placeholders
        t = remove(#"`[^`]*`"#, in: t)                                                     // a command or code
        t = remove(CitationText.quotedPattern, in: t)                                      // a citation with its quotation
        t = remove(#"\b00[0-4](?::\d+(?:[-–]\d+)?)?\b"#, in: t)                            // 003, or a bare 003:12 (its own test)
        t = remove(#"\beq\. \d+"#, in: t)                                                 // a paper's equation: Gatys et al., eq. 6
        t = remove(#"\b[Ll]essons? \d+(?:\s*(?:[-–]|and|to)\s*\d+)?"#, in: t)              // lesson 18, lessons 26-28
        t = remove(#"([\p{L}_][\p{L}\p{N}_]*)\[[^\]]*\]"#, in: t, template: "$1 ")                 // w[0]
        t = remove(#"(?<![\d.])\d+(?=\s*×)|(?<=×)\s*\d+(?![\d.])|\b\d+(?:x\d+)+\b"#, in: t)    // sizes: 3 × 3, 28x28x6
        t = remove(#"[\p{L}_][\p{L}\p{N}_]*(?:-\d+)?"#, in: t)                              // names: x0, map1_02, LeNet-5
        let figures = try! NSRegularExpression(pattern: #"\d+(?:[.,]\d+)*(?:e[-+]?\d+)?"#), ns = t as NSString
        return figures.matches(in: t, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
            .filter { !["0", "1", "2"].contains($0) }
    }
}

@Suite("Narration figures come from the run")
struct NarrationFigureTests {
    @Test("the rule finds hand-typed figures and allows placeholders, citations, names and shapes")
    func rule() {
        #expect(NarrationFigures.handTyped(in: "The top-left window is all 1s: 8·1 − 8·1 = 0.") == ["8", "8"])
        #expect(NarrationFigures.handTyped(in: "∂f/∂q = {df/dq}: if q grows, f falls.").isEmpty)
        #expect(NarrationFigures.handTyped(in: "w_new[2] and map1_02 on a 28 × 28 image, 3x3 filters, lesson 18, 003.").isEmpty)
        #expect(NarrationFigures.handTyped(in: "1 − σ(z), x² and 2x") == [])
        #expect(NarrationFigures.handTyped(in: "the cat gets 0.97959") == ["0.97959"])
        #expect(NarrationFigures.handTyped(in: "004:181 '7x2 - 12x1 - 1 = 0' is the boundary").isEmpty)
        #expect(NarrationFigures.handTyped(in: "004:181 says 7 x2 - 12 x1 - 1 = 0") == ["7", "12"])
        #expect(NarrationFigures.handTyped(in: "39,250 weights") == ["39,250"])
        #expect(NarrationFigures.handTyped(in: "{a} × {a} × 16 maps, LeNet-5, `summary cnn-mnist`, 003:1051 'Step 5'").isEmpty)
        #expect(NarrationFigures.handTyped(in: "0.73 × 0.27 ≈ 0.2") == ["0.73", "0.27", "0.2"])
    }

    @Test("a placeholder is replaced by the engine's value, and a wrong one names its line")
    func placeholders() throws {
        let text = try String(contentsOfFile: root + "/lessons/001-sum-times.toml", encoding: .utf8)
        let templated = text + "\n[[narration]]\nafter = \"q\"\ntext = \"T: {df/dq} = {z}, y/3 = {y / 3:2}, {q * z}, {[x, y]}, {updated q}.\"\n"
        let run = try LessonRun(try Lesson(text: templated.replacingOccurrences(of: "{updated q}", with: "{x + y}"), file: "t.toml"))
        let line = run.lesson.narration.first { $0.text.hasPrefix("T: ") }
        #expect(line?.text == "T: -4 = -4, y/3 = 1.7, -12, [-2, 5], 3.", "\(line?.text ?? "none")")
        let bad = templated.replacingOccurrences(of: "{updated q}", with: "{zz}")
        let failure = Result { () throws(WorkbenchFailure) -> LessonRun in try LessonRun(try Lesson(text: bad, file: "t.toml")) }
        guard case .failure(let failure) = failure else { Issue.record("an unknown name in a placeholder was accepted"); return }
        #expect(failure.message.contains("{zz}"), "\(failure.message)")
        let literal = templated.replacingOccurrences(of: "{updated q}", with: "{11}")
        let refused = Result { () throws(WorkbenchFailure) -> LessonRun in try LessonRun(try Lesson(text: literal, file: "t.toml")) }
        guard case .failure(let typed) = refused else { Issue.record("a placeholder with no name of the run was accepted"); return }
        #expect(typed.message.contains("is a number, not a value of the run"), "\(typed.message)")
        let expected = try Lesson(text: templated, file: "t.toml").narration.first { $0.text.hasPrefix("T: ") }?.line
        #expect(expected != nil && failure.location?.line == expected, "\(failure)")
    }

    @Test("the introduction is resolved on the run, and a wrong placeholder there names its line")
    func introduction() throws {
        let text = try String(contentsOfFile: root + "/lessons/001-sum-times.toml", encoding: .utf8)
        let written = text.replacingOccurrences(of: "introduction = \"\"\"\n", with: "introduction = \"\"\"\nI: q = {q}, ∂f/∂x = {df/dx}.\n")
        let lesson = try Lesson(text: written, file: "t.toml")
        #expect(lesson.introduction.hasPrefix("I: q = {q}"), "\(lesson.introduction)")
        let run = try LessonRun(lesson)
        #expect(run.lesson.introduction.hasPrefix("I: q = 3, ∂f/∂x = -4."), "\(run.lesson.introduction)")
        let bad = Result { () throws(WorkbenchFailure) -> LessonRun in
            try LessonRun(try Lesson(text: written.replacingOccurrences(of: "{q}", with: "{qq}"), file: "t.toml"))
        }
        guard case .failure(let failure) = bad else { Issue.record("an unknown name in the introduction was accepted"); return }
        #expect(failure.message.contains("{qq}") && failure.location?.line == lesson.introductionLine, "\(failure)")
    }

    @Test("the introduction and the whys of [descent] and [model] name the runs' settings and figures")
    func sectionNames() throws {
        let fifteen = try String(contentsOfFile: root + "/lessons/015-gradient-descent.toml", encoding: .utf8)
        let descentText = fifteen.replacingOccurrences(of: "introduction = \"\"\"\n",
            with: "introduction = \"\"\"\nI: {descent_steps} steps on {descent_examples} rows, {descent_batches[2]} a batch, α {descent_rates[6]}, μ {descent_momenta[3]}.\n")
        let descent = try LessonRun(try Lesson(text: descentText, file: "t.toml"))
        let runs = descent.descent!.descent.runs
        let expected = "I: \(descent.descent!.descent.steps) steps on \(descent.descent!.examples) rows, \(runs[2].batch) a batch, "
            + "α \(TraceFormat.number(runs[6].rate)), μ \(TraceFormat.number(runs[3].momentum))."
        #expect(runs[2].method == .minibatch && runs[3].method == .momentum)
        #expect(descent.lesson.introduction.hasPrefix(expected), "\(descent.lesson.introduction.prefix(90)) vs \(expected)")

        let iris = try String(contentsOfFile: root + "/lessons/026-iris-mlp.toml", encoding: .utf8)
        let modelText = iris.replacingOccurrences(of: "introduction = \"\"\"\n",
            with: "introduction = \"\"\"\nI: {model_train} + {model_held_out} of {model_train_all} + {model_held_out_all}, {model_updates} updates, {model_epochs} epochs.\n")
            .replacingOccurrences(of: "why = \"An epoch is", with: "why = \"W {model_batch} {model_rate}. An epoch is")
        let model = try LessonRun(try Lesson(text: modelText, file: "t.toml"))
        let training = try #require(model.model?.training)
        let updates = (training.trainCount + model.model!.model.batch - 1) / model.model!.model.batch
        #expect(model.lesson.introduction.hasPrefix("I: \(training.trainCount) + \(training.testCount) of \(training.availableTrain) + \(training.availableTest), \(updates) updates, \(model.model!.model.epochs) epochs."),
                "\(model.lesson.introduction.prefix(80))")
        #expect(model.model?.model.why?.hasPrefix("W \(model.model!.model.batch) \(TraceFormat.number(model.model!.model.rate)). ") == true, "\(model.model?.model.why ?? "none")")

        // A misspelt name of a run is refused with the introduction's line and the name it meant.
        let lesson = try Lesson(text: modelText, file: "t.toml")
        let bad = Result { () throws(WorkbenchFailure) -> LessonRun in
            try LessonRun(try Lesson(text: modelText.replacingOccurrences(of: "{model_train}", with: "{model_trian}"), file: "t.toml"))
        }
        guard case .failure(let failure) = bad else { Issue.record("an unknown name of a run was accepted"); return }
        #expect(failure.message.contains("'model_train'") && failure.location?.line == lesson.introductionLine, "\(failure)")
    }

    @Test("a [[descent.run]]'s label shows only that run's own settings")
    func descentLabels() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/lessons").filter { $0.hasSuffix(".toml") }.sorted()
        var labels = 0
        for file in files {
            guard let descent = try Lesson(file: root + "/lessons/" + file).descent else { continue }
            for run in descent.runs {
                labels += 1
                // A label is a name as much as a text: its figures must be the run's rate, batch or momentum.
                let settings = [run.rate, Double(run.batch), run.momentum]
                for figure in NarrationFigures.handTyped(in: run.label) {
                    let value = Double(figure.replacingOccurrences(of: ",", with: ""))
                    #expect(value.map { v in settings.contains { abs($0 - v) <= 1e-12 * max(1, abs(v)) } } == true,
                            "\(file): label “\(run.label)” shows \(figure), which is not a setting of its run")
                }
            }
        }
        #expect(labels >= 7, "only \(labels) descent runs read")
    }

    @Test("no lesson types a figure into its narration")
    func noHandTypedFigures() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/lessons").filter { $0.hasSuffix(".toml") }.sorted()
        #expect(files.count >= 30)
        var texts = 0   // so that the test cannot pass by reading nothing
        for file in files {
            let lesson = try Lesson(file: root + "/lessons/" + file)
            // Narration, the introduction, and the lines under an update, a training run, a check, a
            // formula, the [model] and its checks, the [descent], its runs and its checks. The
            // introduction is held to the same rule: the terminal and the page print it resolved.
            #expect(!lesson.introduction.isEmpty, "\(file) has no introduction")
            let introduction = Lesson.Narration(after: "", text: lesson.introduction, line: lesson.introductionLine)
            let sections = [lesson.model?.why, lesson.descent?.why].compactMap { $0 } + (lesson.descent?.runs.compactMap(\.why) ?? [])
            let whys = ([lesson.update?.why, lesson.training?.why].compactMap { $0 } + sections).map { Lesson.Narration(after: "", text: $0, line: 0) }
                + (lesson.model?.checks ?? []).compactMap { c in c.why.map { Lesson.Narration(after: "", text: $0, line: c.line) } }
                + (lesson.descent?.checks ?? []).compactMap { c in c.why.map { Lesson.Narration(after: "", text: $0, line: c.line) } }
                + [introduction]
                + lesson.checks.compactMap { c in c.why.map { Lesson.Narration(after: "", text: $0, line: c.line) } }
                + lesson.formulas.compactMap { f in f.why.map { Lesson.Narration(after: "", text: $0, line: f.line) } }
            texts += lesson.narration.count + whys.count
            // Braces always open a placeholder, so LaTeX such as \bar{y} or W_{j,:} cannot stand there.
            for narration in lesson.narration + whys where narration.text.range(of: #"\\[A-Za-z]+\{|_\{|\^\{\("#, options: .regularExpression) != nil {
                Issue.record("\(file):\(narration.line): a LaTeX brace opens a placeholder: “\(narration.text)”")
            }
            let found = (lesson.narration + whys).map { ($0, NarrationFigures.handTyped(in: $0.text)) }.filter { !$0.1.isEmpty }
            for (narration, figures) in found {
                Issue.record("\(file):\(narration.line): hand-typed \(figures.joined(separator: ", ")) in “\(narration.text)”")
            }
        }
        #expect(texts >= 240, "only \(texts) texts read")
    }
}
