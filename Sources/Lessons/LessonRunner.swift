import Autograd
import Expressions
import Foundation
import Support
import Claims
import ModelFiles

/// Replays a lesson on the engine: forward steps, backward steps, the update, then the checks.
public struct LessonRun {
    /// A check with the engine's figure beside the notes'.
    public struct Result: Sendable {
        public let check: Lesson.Check
        /// The engine's figure.
        public let engine: Double
        public var passed: Bool { abs(engine - check.notes) <= check.tolerance }
    }

    public let lesson: Lesson
    public let job: TraceJob
    public let results: [Result]
    /// The lesson's formulas checked as claims, when it has any.
    public let formulas: ClaimCheck?
    /// The lesson's `[model]`, trained (quick, or the full setting), with its checks.
    public let model: ModelRun?
    /// Whether this run used the notes' full setting (`--full`).
    public let full: Bool
    /// The lesson's `[descent]` runs, when it has them.
    public let descent: DescentRun?
    /// The lesson's `[gradcam]` run: its CNNs trained and explained, when it has one.
    public let gradcam: GradCAMRun?
    public var passed: Bool {
        results.allSatisfy(\.passed) && (formulas?.passed ?? true) && (model?.passed ?? true) && (descent?.passed ?? true) && (gradcam?.passed ?? true)
    }

    /// Runs `lesson`.
    /// - Throws: `WorkbenchFailure.badInput` if its program or a check's quantity is wrong (naming the file and line).
    /// The losses of a `[training]` lesson: (step, loss) every so often, the first and the last included.
    public let trainingLosses: [(step: Int, loss: Double)]
    /// The `--at` text of the point the checks run at (the trained parameters, for a training lesson).
    public let point: String

    public init(_ lesson: Lesson, full: Bool = false) throws(WorkbenchFailure) {
        var lesson = lesson
        self.full = full
        var point = lesson.inputs
        var losses: [(Int, Double)] = []
        if let training = lesson.training {
            (point, losses) = try LessonRun.train(lesson, training: training, steps: full ? training.fullSteps : training.steps)
        }
        self.point = point
        self.trainingLosses = losses
        let job: TraceJob
        do { job = try TraceJob(source: lesson.program, file: "\(lesson.file) (program)", inputs: point, parameters: lesson.parameters) }
        catch { throw error }
        self.job = job
        // Narration names the run's values ({s}, {df/dw}); nothing in it is typed by hand.
        for index in lesson.narration.indices {
            let line = lesson.narration[index]
            lesson.narration[index].text = try NarrationTemplate.resolve(line.text, job: job, lesson: lesson, line: line.line)
        }
        // So do the lines under an update, a training run, a check and a formula (`why`).
        let written = lesson
        func resolve(_ text: String?, line: Int) throws(WorkbenchFailure) -> String? {
            guard let text else { return nil }
            return try NarrationTemplate.resolve(text, job: job, lesson: written, line: line)
        }
        lesson.update?.why = try resolve(written.update?.why, line: 0)
        lesson.training?.why = try resolve(written.training?.why, line: 0)
        for index in lesson.checks.indices { lesson.checks[index].why = try resolve(written.checks[index].why, line: written.checks[index].line) }
        for index in lesson.formulas.indices { lesson.formulas[index].why = try resolve(written.formulas[index].why, line: written.formulas[index].line) }
        var results: [Result] = []
        for check in lesson.checks {
            results.append(Result(check: check, engine: try LessonRun.quantity(check.quantity, job: job, lesson: lesson, line: check.line)))
        }
        self.results = results
        var model = try lesson.model.map { model throws(WorkbenchFailure) in try ModelRun(model, file: lesson.file, full: full) }
        var descent = try lesson.descent.map { descent throws(WorkbenchFailure) in try DescentRun(written, descent: descent) }
        gradcam = try lesson.gradcam.map { section throws(WorkbenchFailure) in try GradCAMRun(section, file: lesson.file, full: full) }
        // The introduction and the `why`s of [model] and [descent] name the runs' settings and
        // figures too ({model_train}, {descent_rates[5]}), so they are resolved after the runs.
        let sections = (model.map(NarrationTemplate.names(of:)) ?? []) + (descent.map(NarrationTemplate.names(of:)) ?? [])
        func resolveAfterRuns(_ text: String?, line: Int) throws(WorkbenchFailure) -> String? {
            guard let text else { return nil }
            return try NarrationTemplate.resolve(text, job: job, lesson: written, line: line, sections: sections)
        }
        // The terminal and the page print the introduction resolved.
        lesson.introduction = try resolveAfterRuns(written.introduction, line: written.introductionLine) ?? ""
        self.lesson = lesson
        if let written = model {
            model?.model.why = try resolveAfterRuns(written.model.why, line: written.model.line)
            for index in written.results.indices {
                model?.results[index].check.why = try resolveAfterRuns(written.results[index].check.why, line: written.results[index].check.line)
            }
        }
        if let written = descent {
            descent?.descent.why = try resolveAfterRuns(written.descent.why, line: 0)
            for index in written.paths.indices { descent?.paths[index].run.why = try resolveAfterRuns(written.paths[index].run.why, line: 0) }
            for index in written.results.indices {
                descent?.results[index].check.why = try resolveAfterRuns(written.results[index].check.why, line: written.results[index].check.line)
            }
        }
        self.model = model
        self.descent = descent
        if lesson.formulas.isEmpty {
            formulas = nil
        } else {
            do {
                formulas = try ClaimCheck(source: lesson.program, file: "\(lesson.file) (program)", inputs: point,
                                          claims: lesson.formulas.map(\.claim), randomPoints: 5, seed: 1)
            } catch {
                // A claim's column is inside the claim; name the lesson line of the [[formula]] too.
                let lines = lesson.formulas.map { "\($0.line)" }.joined(separator: ", ")
                throw error.located(SourceLocation(file: "\(lesson.file) ([[formula]] at line \(lines))"))
            }
        }
    }

    /// Gradient descent on the lesson's parameters: each step evaluates the program on the engine,
    /// runs backward and moves every parameter against its gradient. Returns the trained point as
    /// `--at` text and the loss every tenth of the way.
    static func train(_ lesson: Lesson, training: Lesson.Training, steps: Int) throws(WorkbenchFailure) -> (String, [(Int, Double)]) {
        var values: [(name: String, value: Tensor)]
        do { values = try InputValues.parse(lesson.inputs) } catch { throw .badInput("\(lesson.file): [inputs]: \(error.message)") }
        let parameters = Set(lesson.parameters)
        var losses: [(Int, Double)] = []
        let every = max(1, steps / 10)
        for step in 0...steps {
            let program: Program
            do { program = try Expressions.evaluate(lesson.program, options: .init(inputs: values, parameters: parameters)) }
            catch { throw .badInput("\(lesson.file) (program): \(error.line())") }
            let graph = program.graph
            guard graph.shape(of: program.output).isEmpty else { throw .badInput("\(lesson.file): [training] needs a scalar output (the loss)") }
            let loss = graph.scalarValue(of: program.output)
            guard loss.isFinite else { throw .failed("\(lesson.file): training diverged at step \(step) (loss \(loss)); lower the rate") }
            if step % every == 0 || step == steps { losses.append((step, loss)) }
            if step == steps { break }
            do { try graph.backward(from: program.output) } catch { throw .failed("\(lesson.file): \(error)") }
            for index in values.indices where parameters.contains(values[index].name) {
                guard let node = program.node(named: values[index].name), let gradient = graph.gradient(of: node) else { continue }
                values[index].value = values[index].value - Tensor(scalar: training.rate) * gradient
            }
        }
        let text = values.map { "\($0.name)=" + LessonRun.literal($0.value) }.joined(separator: ",")
        return (text, losses)
    }

    /// A tensor as a literal that reads back to the same numbers.
    static func literal(_ value: Tensor) -> String {
        func nest(_ axis: Int, _ offset: Int) -> String {
            let stride = value.shape[(axis + 1)...].reduce(1, *)
            return "[" + (0..<value.shape[axis]).map { i in
                axis == value.rank - 1 ? "\(value.storage[offset + i])" : nest(axis + 1, offset + i * stride)
            }.joined(separator: ",") + "]"
        }
        return value.isScalar ? "\(value.scalar)" : nest(0, 0)
    }

    /// The engine's figure for `q`, `df/dx` (or `∂f/∂x`, `d f/d x`), `updated w` or one entry
    /// (`s[2]`), read by the one parser (`Notation.quantity`) and resolved by the one resolver
    /// (`Resolver`, Claims) that `check`, exercises and grading call too.
    static func quantity(_ text: String, job: TraceJob, lesson: Lesson, line: Int) throws(WorkbenchFailure) -> Double {
        let resolver = Resolver(program: job.program, update: lesson.update.map { Resolver.Update(sign: $0.sign, rate: $0.rate) })
        do throws(ExpressionError) {
            let quantity = try Notation.quantity(text)
            let value = try resolver.resolve(quantity, in: "the check's quantity").value
            guard value.count == 1 else {
                throw ExpressionError(.notation(.oneNumber(quantity.base, shape: value.shape, example: quantity.base + "[0]")), at: quantity.position)
            }
            return value.storage[0]
        } catch {
            throw .badInput("'\(text)': \(error.message)", at: SourceLocation(file: lesson.file, line: line))
        }
    }

    /// The lesson's steps as lines, with its narration, each step a separate entry (for `--step`).
    /// The name the narration shows each node by (indexed by node id): the notes' symbols, constants
    /// by their value, unnamed values numbered n1, n2, … in the order shown. Pages label by these.
    public func narratedNames() -> [String] {
        LessonNarrator(lesson: lesson, trace: job.trace, program: job.program, full: full, digits: 6).names
    }

    public func steps(significantDigits digits: Int = 6) -> [String] {
        let trace = job.trace
        var steps: [String] = []
        if let training = lesson.training, let last = trainingLosses.last {
            var lines = ["training  gradient descent on \(lesson.parameters.joined(separator: ", ")), rate \(TraceFormat.number(training.rate)), \(last.step) steps"]
            for (step, loss) in trainingLosses { lines.append("          step \(step): \(trace.outputNode.label) = \(TraceFormat.number(loss, significantDigits: digits))") }
            if let why = training.why { lines.append("      › " + why) }
            lines.append("          the steps below replay the trained network")
            steps.append(lines.joined(separator: "\n"))
        }
        steps += LessonNarrator(lesson: lesson, trace: trace, program: job.program, full: full, digits: digits).steps()
        if trace.hasGradients {
            if let update = lesson.update {
                var lines = ["update    \(update.sign > 0 ? "ascent" : "descent"): new = old \(update.sign > 0 ? "+" : "−") \(TraceFormat.number(update.rate)) × gradient"]
                let updated = trace.inputs.contains { $0.kind == .parameter } ? trace.inputs.filter { $0.kind == .parameter } : trace.inputs
                for input in updated {
                    guard let gradient = input.gradient else { continue }
                    let new = input.value + Tensor(scalar: update.sign * update.rate) * gradient
                    let show = { (value: Tensor) in TraceFormat.tensor(value, significantDigits: digits) }
                    lines.append("          \(input.label) = \(show(input.value)) \(update.sign > 0 ? "+" : "−") \(TraceFormat.number(update.rate)) × \(show(gradient)) = \(show(new))")
                }
                if let why = update.why { lines.append("      › " + why) }
                steps.append(lines.joined(separator: "\n"))
            }
        }
        if let descent { steps += descent.steps(full: full) }
        if let model { steps += model.steps() }
        if let gradcam { steps += gradcam.steps() }
        return steps
    }

    /// The checks, each ✓ or ✗ with the notes' figure beside the engine's.
    public func checkLines() -> [String] {
        let width = results.map(\.check.quantity.count).max() ?? 0
        let notesWidth = results.map { TraceFormat.number($0.check.notes).count }.max() ?? 0
        let unprinted = results.filter { !$0.check.printed }.count
        var lines = [unprinted == 0 ? "checks (the figures the notes print, against the engine)"
                     : unprinted == results.count ? "checks (the notes print none of these figures: ours, against the engine)"
                     : "checks (the figures the notes print, and ours where they print none, against the engine)"]
        for result in results {
            let check = result.check
            let pad = String(repeating: " ", count: width - check.quantity.count)
            let notes = TraceFormat.number(check.notes), engine = TraceFormat.number(result.engine, significantDigits: 10)
            // A figure the notes do not print is the lesson's own ("ours"), checked against the engine.
            let notesColumn = (check.printed ? "notes " : "ours  ") + notes + String(repeating: " ", count: max(0, notesWidth - notes.count))
            var line = "  \(result.passed ? "✓" : "✗") \(check.quantity)\(pad)   \(notesColumn)   engine \(engine)"
            if !result.passed { line += "   differs by \(TraceFormat.number(abs(result.engine - check.notes), significantDigits: 3)) (tolerance \(TraceFormat.number(check.tolerance)))" }
            else if abs(result.engine - check.notes) > 1e-12 * max(1, abs(check.notes)) {
                // Rounding only when the engine's figure rounds to the notes' at their digits; a wider
                // tolerance (training error, the notes' rounded inputs) is named as such.
                let rounding = !check.toleranceGiven && abs(result.engine - check.notes) <= Lesson.halfUnit(check.notes, digits: check.digits) * (1 + 1e-9)
                line += rounding ? "   (the notes round to \(check.digits) digit\(check.digits == 1 ? "" : "s"))"
                                 : "   (within the tolerance \(TraceFormat.number(check.tolerance)))"
            }
            if !check.printed { line += "   (not printed in the notes)" }
            if let why = check.why { line += "\n      › " + why }
            lines.append(line)
        }
        if results.isEmpty { lines.removeAll() }
        if let formulas {
            lines.append(formulas.randomPointCount == 0 ? "formulas (checked at the lesson's point only)"
                         : "formulas (checked at the lesson's point and at \(formulas.randomPointCount) random points)")
            // The report's first line names the point and its last the verdict; between them, one line per claim, then notes.
            let table = formulas.table().split(separator: "\n").map(String.init)
            let claimLines = table.dropFirst().prefix(formulas.results.count)
            for (line, formula) in zip(claimLines, lesson.formulas) {
                lines.append(line)
                if let why = formula.why { lines.append("      › " + why) }
            }
            lines += table.dropFirst(1 + formulas.results.count).dropLast().filter { $0.hasPrefix("note:") || $0.contains(" is right; ") }
        }
        if let model { lines += model.checkLines(full: full) }
        if let descent { lines += descent.checkLines() }
        if let gradcam { lines += gradcam.checkLines() }
        // A bar given only for --full is shown in the quick run but not counted: it is skipped.
        let modelChecks = (model?.results.filter(\.checked).count ?? 0) + (descent?.results.count ?? 0) + (gradcam?.results.count ?? 0)
        let skipped = model?.results.filter { !$0.checked }.count ?? 0
        let total = results.count + (formulas?.results.count ?? 0) + modelChecks
        let failedChecks: Int = results.filter { !$0.passed }.count + (formulas?.results.filter { !$0.passed }.count ?? 0)
        let failedRuns: Int = (model?.results.filter { !$0.passed }.count ?? 0) + (descent?.results.filter { !$0.passed }.count ?? 0)
            + (gradcam?.results.filter { !$0.passed }.count ?? 0)
        let failed = failedChecks + failedRuns
        // Checks compare the notes' figures with the engine; formulas the notes' (or derived) formulas.
        let (what, plural, against) = results.isEmpty && modelChecks == 0 ? ("formula", "formulas", "the engine")
            : results.isEmpty && model == nil && descent == nil && gradcam != nil ? ("check or formula", "checks and formulas", "the engine")
            : formulas == nil ? ("check", "checks", "the notes") : ("check or formula", "checks and formulas", "the notes and the engine")
        if failed == 0 {
            lines.append(total == 1 ? "the \(what) agrees with \(against)" : "all \(total) \(plural) agree with \(against)")
        } else {
            lines.append("\(failed) of \(total) \(plural) disagree with \(against)")
        }
        // Model counts the notes do not print, and bars on a run, are the lesson's own too: say so,
        // so that "agree with the notes" is not read as covering them.
        let ownModel = model?.results.filter { result in
            guard result.checked else { return false }
            switch result.check.expected {
            case .count, .shape: return !result.check.printed
            case .atLeast, .atMost: return true
            }
        }.count ?? 0
        let own = ownModel + (descent?.results.count ?? 0) + (gradcam?.results.count ?? 0)
        if unprinted > 0 && own == 0 {
            // The lesson's own figures agree with the engine, not with anything the notes print.
            let whole = unprinted == results.count && formulas == nil && model == nil && descent == nil && gradcam == nil
            lines[lines.count - 1] = lines[lines.count - 1]
                .replacingOccurrences(of: "with the notes and the engine", with: "with the notes")
                .replacingOccurrences(of: "with the notes", with: whole ? "with the engine" : "with the notes and the engine")
                + (whole ? " (figures the notes do not print)" : " (\(unprinted) of them not printed in the notes)")
        }
        if skipped > 0 {
            lines[lines.count - 1] += "; \(skipped) skipped (checked only with --full)"
        }
        if own > 0 {
            let all = own + unprinted
            if all == total && formulas == nil, let first = lines.indices.last {
                lines[first] = lines[first].replacingOccurrences(of: "with the notes and the engine", with: "with the engine")
                    .replacingOccurrences(of: "with the notes", with: "with the engine")
            }
            lines.append("(\(all) of them \(all == 1 ? "is" : "are") the lesson's own, not figures of the notes: "
                         + (gradcam == nil ? "counts marked ours, or bars)" : "bars, and the engine against computations without backward)"))
        }
        return lines
    }

    /// The machine-readable report.
    public func json() -> JSONValue {
        .object([
            "lesson": .number(Double(lesson.number)), "title": .string(lesson.title), "source": .string(lesson.source),
            "passed": .bool(passed),
            "checks": .array(results.map { result in
                .object(["quantity": .string(result.check.quantity), "notes": .number(result.check.notes),
                         "engine": .number(result.engine), "digits": .number(Double(result.check.digits)),
                         "tolerance": .number(result.check.tolerance), "passed": .bool(result.passed),
                         "printed": .bool(result.check.printed),
                         "why": result.check.why.map(JSONValue.string) ?? .null])
            }),
            "trace": TraceReport.json(job.trace),
            "formulas": formulas?.json() ?? .null,
            "model": model?.json(full: full) ?? .null,
            "descent": descent?.json() ?? .null,
            "gradcam": gradcam?.json() ?? .null,
        ])
    }
}

/// The lessons directory: `lessons/NNN-*.toml`, found beside the executable's package or from `BACKPROP_LESSONS`.
public enum LessonLibrary {
    /// Where the lesson files are (`Resources.lessonsDirectory()`).
    public static func directory() throws(WorkbenchFailure) -> String { try Resources.lessonsDirectory() }

    /// Every lesson, sorted by number.
    public static func all() throws(WorkbenchFailure) -> [Lesson] {
        let directory = try directory()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".toml") }.sorted()
        var lessons: [Lesson] = []
        for name in names { lessons.append(try Lesson(file: directory + "/" + name)) }
        var seen: [Int: String] = [:]
        for lesson in lessons {
            if let other = seen[lesson.number] { throw .badInput("lesson number \(lesson.number) is also used by \(other)", at: SourceLocation(file: lesson.file)) }
            seen[lesson.number] = lesson.file
        }
        return lessons.sorted { $0.number < $1.number }
    }
}
