import Autograd
import Expressions
import Foundation
import TOMLKit
import Support
import Claims
import ModelFiles
import Lessons
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// `backprop grade`: students' answer files (TOML) graded against the answers the engine computes for
// a lesson's exercises (Exercises.swift), one report per file, and a gradebook CSV for a directory.
// Nothing a student writes is executed: the file is read by TOMLKit, formulas by the expression
// language, under the limits below. The format and the limits are in docs/grading.md.

// MARK: - Grading

extension ExerciseSet {
    /// Grades a submission read from `bytes` (never modified, never executed).
    /// - Parameter reveal: whether a wrong answer's feedback may give the engine's figure (its value,
    ///   the right choice, shape or count, a blank's value). False (`serve --course` before the due
    ///   time): the verdict and the mistake's hint only. A right answer's feedback always names it.
    public func grade(bytes: [UInt8], file: String, reveal: Bool = true) -> SubmissionGrade {
        do { return grade(try Submission(bytes: bytes, file: file), reveal: reveal) } catch {
            return rejected(file: file, student: error.student, reason: error.reason)
        }
    }

    /// A submission with 0 points and the reason.
    public func rejected(file: String, student: String? = nil, lesson: Int? = nil, reason: String) -> SubmissionGrade {
        SubmissionGrade(file: file, student: student, name: nil, lesson: lesson, rejection: reason,
                        exercises: items.map { ExerciseGrade(id: $0.exercise.id, points: 0, maxPoints: $0.exercise.points, verdict: .missing, given: nil, feedback: "rejected", mistake: nil) },
                        notes: [], maxPoints: maxPoints)
    }

    /// Grades every exercise of a submission (`reveal`: as in `grade(bytes:file:reveal:)`).
    public func grade(_ submission: Submission, reveal: Bool = true) -> SubmissionGrade {
        guard submission.lesson == lesson.number else {
            return rejected(file: submission.file, student: submission.student, lesson: submission.lesson,
                            reason: "the answers are for lesson \(submission.lesson), not lesson \(lesson.number)")
        }
        var notes = submission.notes
        var answers: [String: AnswerValue] = [:]
        let ids = Set(items.map(\.exercise.id))
        for (id, value) in submission.answers {
            if ids.contains(id) { answers[id] = value; continue }
            let suggestion = ids.min { editDistance(id, $0) < editDistance(id, $1) }.flatMap { editDistance(id, $0) <= 2 ? "; did you mean '\($0)'?" : nil }
            notes.append("no exercise \(Submission.printable(id)) in lesson \(lesson.number); its answer is ignored" + (suggestion ?? ""))
        }
        if notes.count > 6 { notes = Array(notes.prefix(5)) + ["and \(notes.count - 5) more like these"] }
        let start = DispatchTime.now().uptimeNanoseconds
        var grades: [ExerciseGrade] = []
        for item in items {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if elapsed > AnswerLimits.secondsPerSubmission {
                grades.append(ExerciseGrade(id: item.exercise.id, points: 0, maxPoints: item.exercise.points, verdict: .invalid, given: nil,
                                            feedback: "not graded: the submission used up its \(TraceFormat.number(AnswerLimits.secondsPerSubmission)) s of grading time", mistake: nil))
                continue
            }
            grades.append(grade(answers[item.exercise.id], item: item, reveal: reveal))
        }
        return SubmissionGrade(file: submission.file, student: submission.student, name: submission.name, lesson: submission.lesson,
                               rejection: nil, exercises: grades, notes: notes, maxPoints: maxPoints)
    }

    /// Grades one answer; a wrong one's feedback ends with the engine's figure only when `reveal`.
    func grade(_ answer: AnswerValue?, item: Item, reveal: Bool = true) -> ExerciseGrade {
        let exercise = item.exercise
        guard let answer else {
            return ExerciseGrade(id: exercise.id, points: 0, maxPoints: exercise.points, verdict: .missing, given: nil, feedback: "no answer", mistake: nil)
        }
        var outcome: Outcome
        switch item.expected {
        case .number(let value, let tolerance): outcome = gradeNumber(answer, expected: value, tolerance: tolerance, item: item)
        case .tensor(let value, let tolerances): outcome = gradeTensor(answer, expected: value, tolerances: tolerances, item: item)
        case .formula(let formula): outcome = gradeFormula(answer, formula: formula, item: item, reveal: reveal)
        case .choice(let right, _): outcome = gradeChoice(answer, right: right, item: item)
        case .shape(let shape): outcome = gradeShape(answer, expected: shape, item: item)
        case .count(let count, let mistakes): outcome = gradeCount(answer, expected: count, mistakes: mistakes, item: item)
        case .graph(let blanks): outcome = gradeGraph(answer, blanks: blanks, item: item, reveal: reveal)
        }
        if reveal, outcome.verdict != .right, let engine = outcome.engine {
            outcome.feedback += (outcome.feedback.isEmpty ? "" : "; ") + "the engine gives \(engine)"
        }
        let points: Double
        switch outcome.verdict {
        case .right: points = exercise.points
        case .partial: points = exercise.points * outcome.fraction
        default: points = 0
        }
        return ExerciseGrade(id: exercise.id, points: points, maxPoints: exercise.points, verdict: outcome.verdict,
                             given: answer.description, feedback: Submission.escaped(outcome.feedback), mistake: outcome.mistake)
    }

    struct Outcome {
        var verdict: Verdict
        var feedback: String
        var mistake: String? = nil
        var fraction: Double = 0
        /// The engine's figure for a wrong answer, added to the feedback by `grade` only when it may be revealed.
        var engine: String? = nil
        static func invalid(_ text: String) -> Outcome { Outcome(verdict: .invalid, feedback: text) }
    }

    /// The teacher's feedback for a mistake (or for any wrong answer when `mistake` is nil).
    func teacherFeedback(_ item: Item, mistake: String?) -> String? {
        if let mistake, let text = item.exercise.feedback.first(where: { $0.mistake == mistake })?.text { return text }
        return nil
    }

    /// The teacher's feedback whose `matches` quantity equals the answer.
    func matchingFeedback(_ item: Item, _ given: Tensor, tolerances: [Double]) -> String? {
        for (index, feedback) in item.exercise.feedback.enumerated() where feedback.matches != nil {
            guard let value = item.feedbackValues[index], ClaimCheck.agree(given, value, tolerances: tolerances) else { continue }
            return feedback.text
        }
        return nil
    }

    /// The feedback for a wrong answer: the teacher's text for the answer or its mistake, else the
    /// engine's explanation, else the teacher's general feedback. The engine's answer is kept apart
    /// (`Outcome.engine`): `grade` adds it only when it may be revealed.
    func wrong(_ item: Item, mistake: String?, explanation: String?, matched: String?, engine: String?, given: String? = nil) -> Outcome {
        var parts: [String] = given.map { ["you gave \($0)"] } ?? []
        if let matched { parts.append(matched) }
        else if let mistake {
            let phrase = ClaimCheck.Mistake(rawValue: mistake)?.phrase ?? mistake.replacingOccurrences(of: "_", with: " ")
            parts.append(teacherFeedback(item, mistake: mistake) ?? (phrase + (explanation.map { ": " + $0 } ?? "")))
        } else if let explanation { parts.append(explanation) }
        if matched == nil, let general = item.exercise.feedback.first(where: { $0.mistake == nil && $0.matches == nil })?.text,
           mistake == nil || teacherFeedback(item, mistake: mistake) == nil {
            parts.append(general)
        }
        let text = parts.map { $0.hasSuffix(".") && !$0.hasSuffix("..") ? String($0.dropLast()) : $0 }.joined(separator: "; ")
        return Outcome(verdict: .wrong, feedback: text, mistake: mistake, engine: engine)
    }

    // MARK: Numbers and tensors

    /// A number from an answer: a TOML number, or text holding a number or a constant expression (`1/3`, `exp(-1)`).
    static func number(_ answer: AnswerValue) -> Parsed<Double> {
        switch answer {
        case .integer(let value): return .success(Double(value))
        case .number(let value):
            return value.isFinite ? .success(value) : .failure("\(TraceFormat.number(value)) is not a finite number")
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return .failure("the answer is empty") }
            if let problem = AnswerLimits.formulaProblem(trimmed) { return .failure(problem) }
            if let value = Double(trimmed) {
                return value.isFinite ? .success(value) : .failure("'\(trimmed)' is not a finite number")
            }
            do {
                // The notes' notation too: `−0.5`, `2·3`, `σ(0)`.
                let value = try Notation.evaluate(trimmed, names: [], end: "the end of the answer").value
                guard value.isScalar else { return .failure("'\(trimmed)' has shape \(Tensor.describe(shape: value.shape)), not a number") }
                guard value.scalar.isFinite else { return .failure("'\(trimmed)' is not a finite number") }
                return .success(value.scalar)
            } catch {
                if case .missingInput(let name) = error.kind { return .failure("give a number, not a formula ('\(name)' is a name)") }
                return .failure("'\(trimmed)' is not a number: \(error.message)")
            }
        default:
            return .failure("expected a number, got a \(answer.typeName)")
        }
    }

    /// A tensor from an answer: a (nested) TOML list of numbers, or text such as "[1, 2]".
    static func tensor(_ answer: AnswerValue) -> Parsed<Tensor> {
        switch answer {
        case .integer, .number: return number(answer).map { Tensor(scalar: $0) }
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard trimmed.count <= AnswerLimits.tensorEntries * 4 else { return .failure("the answer is too long") }
            guard AnswerLimits.tomlNesting(trimmed) <= AnswerLimits.nesting else { return .failure("nested too deep") }
            do { return .success(try InputValues.literal(trimmed)) } catch { return .failure("\(Submission.printable(String(trimmed.prefix(40)))) is not a vector or matrix: \(error.message)") }
        case .array:
            var shape: [Int] = []
            var storage: [Double] = []
            var failure: String? = nil
            func walk(_ value: AnswerValue, depth: Int) {
                guard failure == nil else { return }
                switch value {
                case .array(let items):
                    if depth == shape.count { shape.append(items.count) }
                    else if depth > shape.count || shape[depth] != items.count { failure = "the rows have different lengths"; return }
                    if items.isEmpty { failure = "an empty list"; return }
                    for item in items { walk(item, depth: depth + 1) }
                case .integer, .number:
                    if depth != shape.count { failure = "the rows have different lengths"; return }
                    switch number(value) {
                    case .success(let x): storage.append(x)
                    case .failure(let message): failure = message
                    }
                    if storage.count > AnswerLimits.tensorEntries { failure = "more than \(AnswerLimits.tensorEntries) entries" }
                default: failure = "the entries must be numbers, not a \(value.typeName)"
                }
            }
            walk(answer, depth: 0)
            if let failure { return .failure(failure) }
            guard storage.count == shape.reduce(1, *) else { return .failure("the rows have different lengths") }
            return .success(Tensor(shape: shape, storage: storage))
        default:
            return .failure("expected a list of numbers, got a \(answer.typeName)")
        }
    }

    func gradeNumber(_ answer: AnswerValue, expected: Double, tolerance: Double, item: Item) -> Outcome {
        let given: Double
        switch ExerciseSet.number(answer) {
        case .success(let value): given = value
        case .failure(let message): return .invalid(message)
        }
        let engine = GradeFormat.number(expected)
        if abs(given - expected) <= tolerance { return Outcome(verdict: .right, feedback: "right (the engine gives \(engine))") }
        let (mistake, explanation) = diagnose(Tensor(scalar: given), expected: Tensor(scalar: expected), tolerances: [tolerance], item: item)
        var code = mistake, text = explanation
        if code == nil, let slip = ExerciseSet.roundingSlip(given, expected: expected, tolerance: tolerance) { (code, text) = slip }
        return wrong(item, mistake: code, explanation: text, matched: matchingFeedback(item, Tensor(scalar: given), tolerances: [tolerance]), engine: engine, given: GradeFormat.number(given))
    }

    func gradeTensor(_ answer: AnswerValue, expected: Tensor, tolerances: [Double], item: Item) -> Outcome {
        let given: Tensor
        switch ExerciseSet.tensor(answer) {
        case .success(let value): given = value
        case .failure(let message): return .invalid(message)
        }
        let engine = TraceFormat.tensor(expected, significantDigits: 6)
        if given.shape == expected.shape && zip(zip(given.storage, expected.storage), tolerances).allSatisfy({ abs($0.0 - $0.1) <= $1 }) {
            return Outcome(verdict: .right, feedback: "right (the engine gives \(engine))")
        }
        var (mistake, explanation) = diagnose(given, expected: expected, tolerances: tolerances, item: item)
        if mistake == nil && given.shape != expected.shape {
            mistake = "wrong_shape"
            explanation = "the answer has shape \(Tensor.describe(shape: given.shape)), the engine's \(Tensor.describe(shape: expected.shape))"
        }
        if mistake == nil && explanation == nil {
            if given.shape != expected.shape {
                mistake = "wrong_shape"
                explanation = "the answer has shape \(Tensor.describe(shape: given.shape)), the engine's \(Tensor.describe(shape: expected.shape))"
            } else {
                let strides = Tensor.strides(of: expected.shape)
                let wrongEntries = expected.storage.indices.filter { abs(given.storage[$0] - expected.storage[$0]) > tolerances[$0] }
                let shown = wrongEntries.prefix(4).map { flat -> String in
                    var rest = flat
                    let index = strides.map { stride -> Int in defer { rest %= stride }; return rest / stride }
                    return "[" + index.map(String.init).joined(separator: ", ") + "]"
                }
                explanation = "\(wrongEntries.count) of \(expected.count) entries are wrong: " + shown.joined(separator: ", ") + (wrongEntries.count > 4 ? ", …" : "")
            }
        }
        let matched = given.shape == expected.shape ? matchingFeedback(item, given, tolerances: tolerances) : nil
        return wrong(item, mistake: mistake, explanation: explanation, matched: matched, engine: engine, given: TraceFormat.tensor(given, significantDigits: 6))
    }

    /// The engine's mistakes for a wrong number or tensor: those of `backprop check` for a gradient,
    /// a step the wrong way for `updated w`, and a sign error or a transpose for anything.
    public func diagnose(_ given: Tensor, expected: Tensor, tolerances: [Double], item: Item) -> (String?, String?) {
        guard let quantity = item.quantity else { return (nil, nil) }
        func same(_ a: Tensor, _ b: Tensor) -> Bool { ClaimCheck.agree(a, b, tolerances: tolerances) }
        if let gradient = quantity.gradient, quantity.entry == nil {
            var claim = Claim(text: "", of: gradient.ofName, withRespectTo: gradient.byName, ofNode: gradient.of, withRespectToNode: gradient.withRespectTo,
                              right: "", kind: .value(given, tolerances: tolerances))
            claim.subject = "the answer"
            let (mistake, explanation) = ClaimCheck.diagnose(claim, claimed: given, engine: expected, program: gradient.program, tolerances: tolerances)
            if mistake != nil || explanation != nil {
                return (mistake?.rawValue, explanation)
            }
        }
        if let other = quantity.otherDirection, same(given, other), let update = lesson.update {
            let name = quantity.display.replacingOccurrences(of: "updated ", with: "")
            return ("wrong_direction", update.sign > 0
                    ? "the step went down the gradient; this one is ascent: \(name) + η ∂\(outputName)/∂\(name)"
                    : "the step went up the gradient; gradient descent subtracts: \(name) − η ∂\(outputName)/∂\(name)")
        }
        if expected.storage.contains(where: { abs($0) > 1e-12 }), given.shape == expected.shape, same(given, -expected) {
            return ("sign_error", "the answer is minus \(quantity.display)")
        }
        if expected.rank == 2, given.shape == [expected.shape[1], expected.shape[0]], same(given, expected.transposed()), !(expected.shape[0] == expected.shape[1] && same(expected, expected.transposed())) {
            return ("transposed", "the answer is the transpose of \(quantity.display)")
        }
        return (nil, nil)
    }

    var outputName: String { job.trace.outputNode.label }

    // MARK: Formulas

    func gradeFormula(_ answer: AnswerValue, formula: PreparedFormula, item: Item, reveal: Bool = true) -> Outcome {
        let text: String
        switch answer {
        case .string(let value): text = value.trimmingCharacters(in: .whitespaces)
        case .integer, .number: text = answer.description
        default: return .invalid("expected a formula as a string, e.g. \"z\", got a \(answer.typeName)")
        }
        guard !text.isEmpty else { return .invalid("the answer is empty") }
        // "df/dx = z" is fine too, when its left side is the exercise's; a formula alone is read alone,
        // so every column counts in the student's own text.
        if let problem = AnswerLimits.formulaProblem(text) { return .invalid(problem) }
        var claim: Claim
        do {
            claim = Notation.isClaim(text) ? try ClaimCheck.claim(text, program: job.program)
                                           : try ClaimCheck.claim(about: formula.claim, right: text, program: job.program)
        } catch {
            return .invalid(ExerciseSet.placed(error))
        }
        guard claim.ofNode == formula.claim.ofNode && claim.withRespectToNode == formula.claim.withRespectToNode else {
            return .invalid("the answer is about \(claim.left); the exercise asks for \(formula.left)")
        }
        // A number is a formula too: check it at every point, like any formula.
        if case .value = claim.kind {
            claim = Claim(text: claim.text, of: claim.of, withRespectTo: claim.withRespectTo, ofNode: claim.ofNode, withRespectToNode: claim.withRespectToNode,
                          right: claim.right, kind: .formula(claim.right))
        }
        claim.subject = "the answer"
        let result = ClaimCheck.check(claim, points: formula.points, evaluator: &formula.evaluator)
        let randomPoints = formula.randomPointCount
        if result.passed {
            return Outcome(verdict: .right, feedback: "right at the lesson's point" + (randomPoints > 0 ? " and at \(randomPoints) random points" : ""))
        }
        let at = result.pointIndex == 0 ? "at the lesson's point" : "at " + formula.points[result.pointIndex].map { "\($0.name) = \(ClaimCheck.format($0.value))" }.joined(separator: ", ")
        let right = claim.right.count > 60 ? String(claim.right.prefix(57)) + "…" : claim.right
        // The engine's value at the lesson's point is a figure some other exercise may ask for.
        var explanation = "\(formula.left) = \(right) gives \(ClaimCheck.format(result.claimed)) \(at)" + (reveal ? ", the engine \(ClaimCheck.format(result.engine))" : ", not the engine's value")
        var mistake = result.mistake?.rawValue
        if result.pointIndex > 0 {
            explanation += " (it agrees at the lesson's point only)"
            if mistake == nil { mistake = "random_point" }
        }
        if let detail = result.explanation {
            explanation += "; " + (result.mistake.map { $0.phrase + ": " } ?? "") + detail
        }
        let matched = result.pointIndex == 0 ? matchingFeedback(item, result.claimed, tolerances: [Double](repeating: 1e-9, count: result.claimed.count)) : nil
        let own = mistake.flatMap { teacherFeedback(item, mistake: $0) }
        var outcome = wrong(item, mistake: nil, explanation: explanation, matched: nil, engine: nil)
        if let text = matched ?? own { outcome.feedback = (text.hasSuffix(".") ? String(text.dropLast()) : text) + "; " + outcome.feedback }
        outcome.mistake = mistake
        return outcome
    }

    // MARK: Choices, shapes, counts, graphs

    func gradeChoice(_ answer: AnswerValue, right: Int, item: Item) -> Outcome {
        let choices = item.exercise.choices
        var picked: Int? = nil
        switch answer {
        case .string(let text):
            var trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            if trimmed.hasPrefix("(") && trimmed.hasSuffix(")") { trimmed = String(trimmed.dropFirst().dropLast()) }
            if trimmed.count == 1, let scalar = trimmed.unicodeScalars.first, scalar.value >= 97, scalar.value < 97 + UInt32(choices.count) {
                picked = Int(scalar.value) - 97
            } else {
                picked = choices.firstIndex { $0.text.lowercased() == trimmed }
            }
        case .integer(let number): picked = number >= 1 && number <= choices.count ? number - 1 : nil
        default: return .invalid("expected the letter of a choice, e.g. \"b\", got a \(answer.typeName)")
        }
        guard let picked else {
            return .invalid("not one of the choices: give a letter from a to \(ExerciseSet.letter(choices.count - 1)) or a choice's text")
        }
        let engine = "(\(ExerciseSet.letter(right))) \(choices[right].text)"
        if picked == right { return Outcome(verdict: .right, feedback: "right: \(engine)") }
        let own = choices[picked].feedback
        return wrong(item, mistake: "wrong_choice", explanation: own ?? "(\(ExerciseSet.letter(picked))) \(choices[picked].text) is not the right choice", matched: nil, engine: engine)
    }

    static func shape(_ answer: AnswerValue) -> Parsed<[Int]> {
        switch answer {
        case .array(let items):
            var shape: [Int] = []
            for item in items {
                guard case .integer(let value) = item, value >= 0 else { return .failure("a shape is a list of whole numbers, e.g. [6, 14, 14]") }
                shape.append(value)
            }
            return .success(shape)
        case .integer(let value): return value >= 0 ? .success([value]) : .failure("a size cannot be negative")
        case .string(let text):
            let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
            if lowered == "scalar" || lowered == "[]" || lowered == "()" { return .success([]) }
            guard lowered.count <= 200 else { return .failure("the answer is too long") }
            let separators = CharacterSet(charactersIn: "[](),x×* ")
            let parts = lowered.components(separatedBy: separators).filter { !$0.isEmpty }
            let numbers = parts.compactMap { Int($0) }
            guard !parts.isEmpty, numbers.count == parts.count, numbers.allSatisfy({ $0 >= 0 }) else {
                return .failure("\(Submission.printable(String(text.prefix(40)))) is not a shape; write it as [6, 14, 14] or \"6x14x14\"")
            }
            return .success(numbers)
        default: return .failure("expected a shape such as [6, 14, 14], got a \(answer.typeName)")
        }
    }

    func gradeShape(_ answer: AnswerValue, expected: [Int], item: Item) -> Outcome {
        let given: [Int]
        switch ExerciseSet.shape(answer) {
        case .success(let value): given = value
        case .failure(let message): return .invalid(message)
        }
        let engine = Tensor.describe(shape: expected)
        if given == expected { return Outcome(verdict: .right, feedback: "right: \(engine)") }
        if given.sorted() == expected.sorted() {
            let order = item.exercise.model != nil ? "; shapes here are channels first, [channels, height, width], as in PyTorch" : ""
            return wrong(item, mistake: "reordered", explanation: "the same sizes in another order\(order)", matched: nil, engine: engine, given: Tensor.describe(shape: given))
        }
        let explanation = given.count != expected.count ? "the answer has \(given.count) axes, the engine's shape \(expected.count)" : nil
        return wrong(item, mistake: "wrong_shape", explanation: explanation, matched: nil, engine: engine, given: Tensor.describe(shape: given))
    }

    func gradeCount(_ answer: AnswerValue, expected: Int, mistakes: [(code: String, count: Int, explanation: String)], item: Item) -> Outcome {
        let given: Int
        switch answer {
        case .integer(let value): given = value
        case .number(let value) where value == value.rounded() && abs(value) < 1e15: given = Int(value)
        case .string(let text):
            let digits = text.filter { !", _".contains($0) }
            guard digits.count <= 20, let value = Int(digits) else { return .invalid("\(Submission.printable(String(text.prefix(40)))) is not a whole number") }
            given = value
        default: return .invalid("expected a whole number, got a \(answer.typeName)")
        }
        if given == expected { return Outcome(verdict: .right, feedback: "right: \(expected)") }
        let slip = mistakes.first { $0.count == given }
        return wrong(item, mistake: slip?.code, explanation: slip?.explanation, matched: nil, engine: String(expected), given: String(given))
    }

    func gradeGraph(_ answer: AnswerValue, blanks: [Blank], item: Item, reveal: Bool = true) -> Outcome {
        guard case .table(let entries) = answer else {
            return .invalid("answer the blanks as a table, e.g. [answers.\(item.exercise.id)] with " + blanks.prefix(2).map { "\(ExerciseSet.tomlKey($0.key)) = …" }.joined(separator: " and "))
        }
        // A key names a blank when both read as the same quantity (`df/dq`, `∂f/∂q`, `d f/d q`).
        func same(_ key: String, _ blank: String) -> Bool {
            guard let a = try? Notation.quantity(key), let b = try? Notation.quantity(blank) else { return key == blank }
            return a.sameQuantity(as: b)
        }
        var right = 0
        var problems: [String] = []
        for blank in blanks {
            guard let entry = entries.first(where: { same($0.key, blank.key) }) else { problems.append("\(blank.key): no answer"); continue }
            switch ExerciseSet.number(entry.value) {
            case .failure(let message): problems.append("\(blank.key): \(message)")
            case .success(let value):
                if abs(value - blank.value) <= blank.tolerance { right += 1 }
                else if blank.value != 0 && abs(value + blank.value) <= blank.tolerance { problems.append("\(blank.key): \(GradeFormat.number(value)) has the wrong sign" + (reveal ? "; the engine gives \(GradeFormat.number(blank.value))" : "")) }
                else { problems.append("\(blank.key): you gave \(GradeFormat.number(value))" + (reveal ? ", the engine \(GradeFormat.number(blank.value))" : ", not the engine's value")) }
            }
        }
        let unknown = entries.filter { entry in !blanks.contains { same(entry.key, $0.key) } }.map { Submission.printable($0.key) }
        if !unknown.isEmpty { problems.append("not a blank: " + unknown.joined(separator: ", ")) }
        if right == blanks.count { return Outcome(verdict: .right, feedback: "all \(blanks.count) blanks right" + (unknown.isEmpty ? "" : "; " + problems.joined(separator: "; "))) }
        var text = "\(right) of \(blanks.count) blanks right; " + problems.joined(separator: "; ")
        if let general = item.exercise.feedback.first(where: { $0.mistake == nil && $0.matches == nil })?.text { text += "; " + general }
        return Outcome(verdict: right == 0 ? .wrong : .partial, feedback: text, mistake: nil, fraction: Double(right) / Double(blanks.count))
    }
}
