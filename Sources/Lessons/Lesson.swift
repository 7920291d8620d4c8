import Autograd
import Expressions
import Foundation
import TOMLKit
import Support
import Claims
import ModelFiles

/// A lesson: one worked example of the notes as data (a TOML file in `lessons/`), replayed by the
/// engine and checked against the figures the notes print. The format is in docs/lesson-format.md.
public struct Lesson: Sendable {
    /// One figure the notes print, to check against the engine.
    public struct Check: Sendable {
        /// What is checked: a node's value (`q`), a gradient (`df/dx`) or an updated leaf (`updated w`).
        public let quantity: String
        /// The figure as the notes print it.
        public let notes: Double
        /// Significant digits the notes print it with.
        public let digits: Int
        /// The largest |engine − notes| that still agrees (default: half a unit in the last printed digit).
        public let tolerance: Double
        /// Why the notes' figure differs from the exact one, when it does (shown beside the check).
        public internal(set) var why: String?
        /// The line of the check in the file, for messages.
        public let line: Int
        /// False for a figure the notes do not print (lost with a slide's picture, or derived):
        /// the check says so, and the figure is the lesson's, checked against the engine.
        public var printed = true
        /// True when the file gives `tolerance`: a bar of the lesson (training error), not the notes' rounding.
        public var toleranceGiven = false
    }

    /// A formula the notes print for a gradient, written in the expression language as a claim
    /// (`df/dt = y*exp(x*y)*(-sin(t)) + (1 + x*exp(x*y))*2*t`): checked like `backprop check`, at the
    /// lesson's point and at seeded random points, since a formula can agree at one point by chance.
    public struct Formula: Sendable {
        public let claim: String
        public internal(set) var why: String?
        public let line: Int
    }

    /// A narration line shown after the forward step of a node (`after = "q"`) or the backward step
    /// into it (`after = "df/dq"`).
    public struct Narration: Sendable {
        public let after: String
        /// As written in the file; `LessonRun` replaces its `{…}` placeholders with the run's values.
        public internal(set) var text: String
        /// The line of its `[[narration]]`, for messages.
        public var line = 0
    }

    /// A gradient step on the leaves after backward: new = old ± rate × gradient.
    public struct Update: Sendable {
        public let rate: Double
        /// +1 to move up the gradient (the notes' "f should be 3"), −1 for descent.
        public let sign: Double
        public internal(set) var why: String?
    }

    public let number: Int
    public let title: String
    public let source: String
    /// The introduction; after `LessonRun`, with its placeholders replaced by the run's values.
    public internal(set) var introduction: String
    /// The line of `introduction =` in the file (for a placeholder's error), 1 when there is none.
    public let introductionLine: Int
    public let program: String
    /// `--at` text of the inputs, e.g. `x=-2,y=5,z=-4`.
    public internal(set) var inputs: String
    /// How the exercises' inputs vary per student (`[exercise_inputs]`), nil when they are the notes'.
    public let exerciseInputs: ExerciseInputs?
    public let parameters: [String]
    public internal(set) var narration: [Narration]
    public internal(set) var update: Update?
    public internal(set) var checks: [Check]
    public internal(set) var formulas: [Formula]
    /// The exercises for students (`[[exercise]]`), in file order; their answers come from the engine
    /// (Sources/Workbench/Exercises.swift, docs/grading.md).
    public let exercises: [Exercise]
    /// Gradient descent on the parameters before the checks (`[training]`), for lessons that learn.
    public internal(set) var training: Training?
    /// One of the notes' models, trained on real data, with checks of its figures (`[model]`).
    public let model: Model?
    /// The file it was read from.
    public let file: String
    /// Chapter, the notes' symbols, data inputs, step-by-step statements (Lesson+Presentation.swift).
    public let presentation: Presentation
    /// A lesson that runs optimizers on a loss surface (`[descent]`, LessonDescent.swift).
    public let descent: Descent?
    /// CNNs trained and explained by Grad-CAM (`[gradcam]`, LessonGradCAM.swift).
    public let gradcam: GradCAM?

    /// `[training]`: plain gradient descent on the lesson's `parameters`, minimizing the program's output.
    public struct Training: Sendable {
        /// Steps of the short run (the default) and of the notes' full setting (`--full`).
        public let steps: Int, fullSteps: Int
        public let rate: Double
        public internal(set) var why: String?
    }

    static let topKeys = ["number", "title", "source", "introduction", "program", "inputs", "parameters", "narration", "update", "check", "formula", "exercise", "training", "model", "descent", "gradcam", "exercise_inputs"] + Presentation.keys
    static let trainingKeys = ["steps", "full_steps", "rate", "why"]
    static let formulaKeys = ["claim", "why"]
    static let checkKeys = ["quantity", "notes", "digits", "tolerance", "why", "printed"]
    static let narrationKeys = ["after", "text"]
    static let updateKeys = ["rate", "direction", "why"]

    /// Reads and validates a lesson file.
    /// - Throws: `WorkbenchFailure.badInput` with `file:line:column` and what is wrong, with a
    ///   "did you mean" for a misspelt key.
    public init(file: String) throws(WorkbenchFailure) {
        try self.init(text: try InputFile.text(file, limit: 1_000_000), file: file)
    }

    /// Reads and validates lesson text (`file` names it in messages).
    public init(text: String, file: String) throws(WorkbenchFailure) {
        let table = try TOMLGuard.table(text, file: file)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func lineOf(_ key: String, after: Int = 0) -> Int {
            for (index, line) in lines.enumerated() where index >= after {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix(key + " ") || trimmed.hasPrefix(key + "=") || trimmed.hasPrefix("[[\(key)]]") || trimmed.hasPrefix("[\(key)]") { return index + 1 }
            }
            return after + 1
        }
        func fail(_ line: Int, _ message: String) -> WorkbenchFailure { .badInput("\(message)", at: SourceLocation(file: file, line: line)) }
        func checkKeys(_ table: TOMLTable, allowed: [String], section: String, line: Int) throws(WorkbenchFailure) {
            for key in table.keys.sorted() where !allowed.contains(key) {
                let suggestion = allowed.min { editDistance(key, $0) < editDistance(key, $1) }.flatMap { editDistance(key, $0) <= 2 ? $0 : nil }
                throw fail(lineOf(key, after: line - 1), "unknown key '\(key)'\(section)" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; known keys: " + allowed.joined(separator: ", ")))
            }
        }
        try checkKeys(table, allowed: Lesson.topKeys, section: "", line: 1)
        func string(_ table: TOMLTable, _ key: String, line: Int, required: Bool = true) throws(WorkbenchFailure) -> String? {
            guard let value = table[key] else {
                if required { throw fail(line, "missing key '\(key)'") }
                return nil
            }
            guard let text = value.string else { throw fail(lineOf(key, after: line - 1), "'\(key)' must be a string") }
            return text
        }
        func numeric(_ table: TOMLTable, _ key: String, line: Int) throws(WorkbenchFailure) -> Double? {
            guard let value = table[key] else { return nil }
            if let double = value.double {
                // `nan` and `inf` are TOML numbers, but no figure of the notes, digit count or rate.
                guard double.isFinite else { throw fail(lineOf(key, after: line - 1), "'\(key)' must be a finite number, not \(double)") }
                return double
            }
            if let int = value.int { return Double(int) }
            throw fail(lineOf(key, after: line - 1), "'\(key)' must be a number")
        }
        guard let number = table["number"]?.int else { throw fail(lineOf("number"), "'number' must be a whole number (the lesson's number)") }
        self.number = number
        self.title = try string(table, "title", line: 1)!
        self.source = try string(table, "source", line: 1)!
        self.introduction = try string(table, "introduction", line: 1, required: false) ?? ""
        self.introductionLine = lineOf("introduction")
        self.program = try string(table, "program", line: 1)!
        guard let inputs = table["inputs"]?.table else { throw fail(lineOf("inputs"), "missing table [inputs] (name = number or array)") }
        var pairs: [String] = []
        for key in inputs.keys {
            let value = inputs[key]!
            if let double = value.double { pairs.append("\(key)=\(double)") }
            else if let int = value.int { pairs.append("\(key)=\(int)") }
            else if let array = value.array { pairs.append("\(key)=\(Lesson.literal(array))") }
            else { throw fail(lineOf(key, after: lineOf("inputs") - 1), "input '\(key)' must be a number or an array of numbers") }
        }
        self.inputs = pairs.joined(separator: ",")
        if let varied = table["exercise_inputs"] {
            guard let varied = varied.table else { throw fail(lineOf("exercise_inputs"), "[exercise_inputs] must be a table") }
            self.exerciseInputs = try ExerciseInputs(varied, inputs: inputs, text: lines, file: file)
        } else { self.exerciseInputs = nil }
        self.parameters = (table["parameters"]?.array).map { $0.compactMap { $0.string } } ?? []
        self.file = file
        self.presentation = try Presentation(table, file: file, lineOf: { lineOf($0) })
        self.descent = try table["descent"].map { value throws(WorkbenchFailure) in try Descent(value, file: file, line: lineOf("descent")) }

        var narration: [Narration] = []
        var line = 0
        for item in table["narration"]?.array ?? [] {
            line = lineOf("narration", after: line)
            guard let entry = item.table else { throw fail(line, "each [[narration]] must be a table") }
            try checkKeys(entry, allowed: Lesson.narrationKeys, section: " in [[narration]]", line: line)
            narration.append(Narration(after: try string(entry, "after", line: line)!, text: try string(entry, "text", line: line)!, line: line))
        }
        self.narration = narration

        if let update = table["update"]?.table {
            let line = lineOf("update")
            try checkKeys(update, allowed: Lesson.updateKeys, section: " in [update]", line: line)
            guard let rate = try numeric(update, "rate", line: line) else { throw fail(line, "[update] needs 'rate'") }
            guard rate >= 0 else { throw fail(lineOf("rate", after: line - 1), "'rate' must be 0 or more; 'direction' says which way to step") }
            let direction = try string(update, "direction", line: line, required: false) ?? "descent"
            guard ["ascent", "descent"].contains(direction) else { throw fail(lineOf("direction", after: line - 1), "'direction' must be \"ascent\" or \"descent\"") }
            self.update = Update(rate: rate, sign: direction == "ascent" ? 1 : -1, why: try string(update, "why", line: line, required: false))
        } else { self.update = nil }

        if let training = table["training"]?.table {
            let line = lineOf("training")
            try checkKeys(training, allowed: Lesson.trainingKeys, section: " in [training]", line: line)
            guard let steps = training["steps"]?.int, (1...1_000_000).contains(steps) else { throw fail(lineOf("steps", after: line - 1), "[training] needs 'steps', a whole number from 1 to 1000000") }
            let full = training["full_steps"]?.int ?? steps
            guard (steps...10_000_000).contains(full) else { throw fail(lineOf("full_steps", after: line - 1), "'full_steps' must be at least 'steps'") }
            guard let rate = try numeric(training, "rate", line: line), rate > 0, rate.isFinite else { throw fail(line, "[training] needs a positive 'rate'") }
            guard !parameters.isEmpty else { throw fail(line, "[training] needs 'parameters': the inputs it may change") }
            self.training = Training(steps: steps, fullSteps: full, rate: rate, why: try string(training, "why", line: line, required: false))
        } else { self.training = nil }

        var checks: [Check] = []
        line = 0
        for item in table["check"]?.array ?? [] {
            line = lineOf("check", after: line)
            guard let entry = item.table else { throw fail(line, "each [[check]] must be a table") }
            try checkKeys(entry, allowed: Lesson.checkKeys, section: " in [[check]]", line: line)
            let quantity = try string(entry, "quantity", line: line)!
            guard let notes = try numeric(entry, "notes", line: line) else { throw fail(line, "[[check]] '\(quantity)' needs 'notes', the figure the notes print") }
            let givenDigits = try numeric(entry, "digits", line: line)
            guard let digits = givenDigits.map(LessonFields.digits) ?? 6 else {
                throw fail(lineOf("digits", after: line - 1), "'digits' must be a whole number from 1 to 17")
            }
            let tolerance = try numeric(entry, "tolerance", line: line) ?? Lesson.halfUnit(notes, digits: digits)
            guard tolerance >= 0 else { throw fail(lineOf("tolerance", after: line - 1), "'tolerance' must be 0 or more") }
            var check = Check(quantity: quantity, notes: notes, digits: digits, tolerance: tolerance,
                              why: try string(entry, "why", line: line, required: false), line: line)
            if let printed = entry["printed"] {
                guard let flag = printed.bool else { throw fail(lineOf("printed", after: line - 1), "'printed' must be true or false") }
                check.printed = flag
            }
            check.toleranceGiven = entry["tolerance"] != nil
            checks.append(check)
        }
        var formulas: [Formula] = []
        line = 0
        for item in table["formula"]?.array ?? [] {
            line = lineOf("formula", after: line)
            guard let entry = item.table else { throw fail(line, "each [[formula]] must be a table") }
            try checkKeys(entry, allowed: Lesson.formulaKeys, section: " in [[formula]]", line: line)
            formulas.append(Formula(claim: try string(entry, "claim", line: line)!, why: try string(entry, "why", line: line, required: false), line: line))
        }
        var exercises: [Exercise] = []
        line = 0
        for item in table["exercise"]?.array ?? [] {
            line = lineOf("exercise", after: line)
            guard let entry = item.table else { throw fail(line, "each [[exercise]] must be a table") }
            try checkKeys(entry, allowed: Exercise.keys, section: " in [[exercise]]", line: line)
            exercises.append(try Exercise(entry, line: line, file: file, lines: lines))
        }
        var seenIDs: [String: Int] = [:]
        for exercise in exercises {
            if let other = seenIDs[exercise.id] { throw fail(exercise.line, "exercise id '\(exercise.id)' is also used at line \(other)") }
            seenIDs[exercise.id] = exercise.line
        }
        self.exercises = exercises
        if let model = table["model"] {
            guard let model = model.table else { throw fail(lineOf("model"), "[model] must be a table") }
            self.model = try Model(model, file: file, lines: lines)
        } else { self.model = nil }
        if let gradcam = table["gradcam"] {
            guard let gradcam = gradcam.table else { throw fail(lineOf("gradcam"), "[gradcam] must be a table") }
            self.gradcam = try GradCAM(gradcam, file: file, lines: lines)
        } else { self.gradcam = nil }
        guard !checks.isEmpty || !formulas.isEmpty || !(self.model?.checks.isEmpty ?? true) || !(descent?.checks.isEmpty ?? true) || !(self.gradcam?.checks.isEmpty ?? true) else {
            throw fail(1, "a lesson needs at least one [[check]] (a figure the notes print), [[formula]] (a formula they print), [[model.check]] or [[gradcam.check]]")
        }
        self.checks = checks
        self.formulas = formulas
    }

    /// Half a unit in the last of `digits` significant digits of `value` (at least 1e-12).
    public static func halfUnit(_ value: Double, digits: Int) -> Double {
        guard value != 0 else { return 0.5 * pow(10, Double(-digits)) }
        let exponent = floor(log10(abs(value)))
        return max(0.5 * pow(10, exponent - Double(digits - 1)), 1e-12)
    }

    static func literal(_ array: TOMLArray) -> String {
        "[" + array.map { value -> String in
            if let inner = value.array { return literal(inner) }
            return value.double.map { "\($0)" } ?? value.int.map { "\($0)" } ?? "nan"
        }.joined(separator: ",") + "]"
    }
}
