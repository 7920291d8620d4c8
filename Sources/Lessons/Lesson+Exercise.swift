import Autograd
import Expressions
import Foundation
import NeuralNetworks
import TOMLKit
import Support
import Claims
import ModelFiles

// Exercises in lessons: `[[exercise]]` tables whose expected answers the engine computes from the
// lesson's program (never typed in by hand), the exercise sheet in Markdown, and the answers for the
// teacher. Grading is in Grading.swift; the format is in docs/grading.md.

extension Lesson {
    /// One exercise of a lesson, as the file writes it. The expected answer is not here: it is
    /// computed by the engine when the lesson's exercises are prepared (`ExerciseSet`).
    public struct Exercise: Sendable {
        /// What the student answers.
        public enum Kind: String, Sendable, CaseIterable {
            /// A number: a value, a gradient, an updated weight, an entry of a tensor.
            case number
            /// A vector (a tensor of rank 1), e.g. ∂f/∂w for a vector w.
            case vector
            /// A matrix (a tensor of rank 2).
            case matrix
            /// A formula for a gradient, checked like `backprop check` at the lesson's point and at random points.
            case formula
            /// One of several choices, the right one decided by the engine.
            case choice
            /// The shape of a node of the program, or of a layer's output in a preset model.
            case shape
            /// The number of parameters of a preset model or of one of its layers.
            case count
            /// Fill in the graph: a diagram of the program with some values or gradients hidden.
            case graph
        }

        /// Feedback for a wrong answer: for an engine-recognized mistake, for an answer that equals
        /// some other quantity, or (neither) for any wrong answer.
        public struct Feedback: Sendable {
            public let mistake: String?
            public let matches: String?
            public let text: String
            public let line: Int
        }

        /// One choice of a multiple-choice exercise: its text and what makes it right.
        public struct Choice: Sendable {
            public let text: String
            /// A condition (`df/dx < 0`); the right choice is the one whose condition holds.
            public let when: String?
            /// A quantity or expression; with `pick`, the right choice has the largest (or smallest).
            public let value: String?
            /// Shown when a student picks this choice and it is wrong.
            public let feedback: String?
        }

        public let id: String
        public let kind: Kind
        public let prompt: String
        /// A quantity (`q`, `df/dx`, `updated w`, `s[2]`) or, for a formula, a claim's left side (`df/dt`).
        public let answer: String?
        public let points: Double
        /// The largest |answer − engine| accepted, per entry; nil: half a unit in the `digits`-th significant digit.
        public let tolerance: Double?
        public let digits: Int
        /// A line of explanation shown with the solution.
        public let why: String?
        public let feedback: [Feedback]
        public let choices: [Choice]
        /// `largest` or `smallest`: the right choice has the largest (smallest) `value`.
        public let pick: String?
        /// The blanks of a graph exercise: node names (their values) and `df/dx` (their gradients).
        public let hide: [String]
        /// A preset model (`backprop summary`), for shape and count exercises.
        public let model: String?
        /// The model's layer, numbered from 1 as `backprop summary` prints it; nil for the whole model.
        public let layer: Int?
        /// A formula the teacher gives as a model answer; checked by the engine like a claim.
        public let example: String?
        /// The line of the `[[exercise]]` in the file.
        public let line: Int

        static let keys = ["id", "kind", "prompt", "answer", "points", "tolerance", "digits", "why", "feedback",
                           "choice", "pick", "hide", "model", "layer", "example"]
        static let feedbackKeys = ["mistake", "matches", "text"]
        static let choiceKeys = ["text", "when", "value", "feedback"]
        /// The mistakes the grader recognizes, as `[[exercise.feedback]]`'s `mistake` names them.
        public static let mistakeCodes = ClaimCheck.Mistake.allCases.map(\.rawValue) + [
            "wrong_direction", "wrong_shape", "reordered", "missing_biases", "missing_input_channels",
            "random_point", "close", "wrong_choice",
        ]
        /// Which keys each kind takes besides id, kind, prompt, points, why and feedback.
        static let kindKeys: [Kind: Set<String>] = [
            .number: ["answer", "tolerance", "digits"],
            .vector: ["answer", "tolerance", "digits"],
            .matrix: ["answer", "tolerance", "digits"],
            .formula: ["answer", "example"],
            .choice: ["choice", "pick"],
            .shape: ["answer", "model", "layer"],
            .count: ["model", "layer"],
            .graph: ["hide", "tolerance", "digits"],
        ]

        /// Reads one `[[exercise]]` table (its keys are already checked against `keys`).
        init(_ table: TOMLTable, line: Int, file: String, lines: [String]) throws(WorkbenchFailure) {
            func lineOf(_ key: String, after start: Int? = nil) -> Int {
                for (index, text) in lines.enumerated() where index >= (start ?? line - 1) {
                    let trimmed = text.trimmingCharacters(in: .whitespaces)
                    if trimmed.hasPrefix(key + " ") || trimmed.hasPrefix(key + "=") || trimmed.hasPrefix("[[exercise.\(key)]]") || trimmed == key { return index + 1 }
                }
                return line
            }
            func fail(_ at: Int, _ message: String) -> WorkbenchFailure { .badInput("\(message)", at: SourceLocation(file: file, line: at)) }
            func string(_ table: TOMLTable, _ key: String, required: Bool = false) throws(WorkbenchFailure) -> String? {
                guard let value = table[key] else {
                    if required { throw fail(line, "[[exercise]] needs '\(key)'") }
                    return nil
                }
                guard let text = value.string else { throw fail(lineOf(key), "'\(key)' must be a string") }
                return text
            }
            func number(_ key: String) throws(WorkbenchFailure) -> Double? {
                guard let value = table[key] else { return nil }
                if let double = value.double, double.isFinite { return double }
                if let int = value.int { return Double(int) }
                throw fail(lineOf(key), "'\(key)' must be a number")
            }
            func checkKeys(_ table: TOMLTable, allowed: [String], section: String, at: Int) throws(WorkbenchFailure) {
                for key in table.keys.sorted() where !allowed.contains(key) {
                    let suggestion = allowed.min { editDistance(key, $0) < editDistance(key, $1) }.flatMap { editDistance(key, $0) <= 2 ? $0 : nil }
                    throw fail(at, "unknown key '\(key)' in \(section)" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; known keys: " + allowed.joined(separator: ", ")))
                }
            }

            let id = try string(table, "id", required: true)!
            guard !id.isEmpty, id.count <= 40, id.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }),
                  id.first != "-" else {
                throw fail(lineOf("id"), "exercise id '\(id)': use 1 to 40 letters, digits, '_' and '-' (not first), e.g. \"df-dx\"; the id is a key of the answer file and a column of the gradebook")
            }
            self.id = id
            let kindName = try string(table, "kind", required: true)!
            guard let kind = Kind(rawValue: kindName) else {
                let names = Kind.allCases.map(\.rawValue)
                let suggestion = names.min { editDistance(kindName, $0) < editDistance(kindName, $1) }.flatMap { editDistance(kindName, $0) <= 2 ? "; did you mean '\($0)'?" : nil }
                throw fail(lineOf("kind"), "exercise '\(id)': unknown kind '\(kindName)'" + (suggestion ?? "; the kinds are " + names.joined(separator: ", ")))
            }
            self.kind = kind
            for key in table.keys.sorted() where !["id", "kind", "prompt", "points", "why", "feedback"].contains(key) && !(Exercise.kindKeys[kind]!.contains(key)) {
                throw fail(lineOf(key), "exercise '\(id)': '\(key)' does not apply to kind = \"\(kind.rawValue)\" (it takes " + Exercise.kindKeys[kind]!.sorted().joined(separator: ", ") + ")")
            }
            self.prompt = try string(table, "prompt", required: true)!
            self.answer = try string(table, "answer")
            let points = try number("points") ?? 1
            guard points > 0, points <= 1000 else { throw fail(lineOf("points"), "exercise '\(id)': 'points' must be more than 0 and at most 1000") }
            self.points = points
            let tolerance = try number("tolerance")
            if let tolerance, tolerance < 0 { throw fail(lineOf("tolerance"), "exercise '\(id)': 'tolerance' must be 0 or more") }
            self.tolerance = tolerance
            let givenDigits = try number("digits")
            guard let digits = givenDigits.map(LessonFields.digits) ?? 3 else {
                throw fail(lineOf("digits"), "exercise '\(id)': 'digits' must be a whole number from 1 to 17")
            }
            self.digits = digits
            self.why = try string(table, "why")
            self.example = try string(table, "example")
            self.model = try string(table, "model")
            if let model, ModelSpec.preset(named: model) == nil {
                throw fail(lineOf("model"), "exercise '\(id)': unknown model '\(model)'; the models are " + ModelSpec.presets.map(\.name).joined(separator: ", "))
            }
            if let layer = table["layer"] {
                guard let value = layer.int, value >= 1 else { throw fail(lineOf("layer"), "exercise '\(id)': 'layer' must be a whole number from 1 (as 'backprop summary' numbers the layers)") }
                self.layer = value
            } else { self.layer = nil }
            if table["layer"] != nil && model == nil { throw fail(lineOf("layer"), "exercise '\(id)': 'layer' needs 'model'") }
            self.pick = try string(table, "pick")
            if let pick, !["largest", "smallest"].contains(pick) { throw fail(lineOf("pick"), "exercise '\(id)': 'pick' must be \"largest\" or \"smallest\"") }
            if let hide = table["hide"] {
                guard let array = hide.array, !array.isEmpty, array.allSatisfy({ $0.string != nil }) else {
                    throw fail(lineOf("hide"), "exercise '\(id)': 'hide' must be a list of quantities to hide, e.g. [\"q\", \"df/dq\"]")
                }
                self.hide = array.compactMap(\.string)
                if Set(self.hide).count != self.hide.count { throw fail(lineOf("hide"), "exercise '\(id)': 'hide' names a quantity twice") }
            } else { self.hide = [] }

            var feedback: [Feedback] = []
            if let items = table["feedback"] {
                guard let array = items.array else { throw fail(lineOf("feedback"), "exercise '\(id)': write feedback as [[exercise.feedback]] tables") }
                var previous = line - 1
                for item in array {
                    guard let entry = item.table else { throw fail(lineOf("feedback"), "exercise '\(id)': each [[exercise.feedback]] must be a table") }
                    let at = lineOf("[[exercise.feedback]]", after: previous)
                    previous = at
                    try checkKeys(entry, allowed: Exercise.feedbackKeys, section: "[[exercise.feedback]]", at: at)
                    let mistake = try string(entry, "mistake"), matches = try string(entry, "matches")
                    if mistake != nil && matches != nil { throw fail(at, "exercise '\(id)': a feedback entry has 'mistake' or 'matches', not both") }
                    if let mistake, !Exercise.mistakeCodes.contains(mistake) {
                        throw fail(at, "exercise '\(id)': unknown mistake '\(mistake)'; the mistakes are " + Exercise.mistakeCodes.joined(separator: ", "))
                    }
                    guard let text = try string(entry, "text") else { throw fail(at, "exercise '\(id)': a feedback entry needs 'text'") }
                    feedback.append(Feedback(mistake: mistake, matches: matches, text: text, line: at))
                }
            }
            self.feedback = feedback

            var choices: [Choice] = []
            if let items = table["choice"] {
                guard let array = items.array else { throw fail(lineOf("choice"), "exercise '\(id)': write the choices as [[exercise.choice]] tables") }
                for item in array {
                    guard let entry = item.table else { throw fail(lineOf("choice"), "exercise '\(id)': each [[exercise.choice]] must be a table") }
                    try checkKeys(entry, allowed: Exercise.choiceKeys, section: "[[exercise.choice]]", at: lineOf("choice"))
                    guard let text = try string(entry, "text") else { throw fail(lineOf("choice"), "exercise '\(id)': a choice needs 'text'") }
                    choices.append(Choice(text: text, when: try string(entry, "when"), value: try string(entry, "value"), feedback: try string(entry, "feedback")))
                }
            }
            self.choices = choices
            self.line = line

            switch kind {
            case .number, .vector, .matrix, .formula:
                guard answer != nil else { throw fail(line, "exercise '\(id)' (\(kind.rawValue)) needs 'answer', the quantity the engine computes (e.g. answer = \"df/dx\")") }
            case .choice:
                guard choices.count >= 2, choices.count <= 26 else { throw fail(line, "exercise '\(id)': a choice exercise needs 2 to 26 [[exercise.choice]] tables") }
                if pick != nil {
                    guard choices.allSatisfy({ $0.value != nil && $0.when == nil }) else { throw fail(line, "exercise '\(id)': with 'pick', every choice needs 'value' (and no 'when')") }
                } else {
                    guard choices.allSatisfy({ $0.when != nil && $0.value == nil }) else { throw fail(line, "exercise '\(id)': every choice needs 'when', a condition such as \"df/dx < 0\" (or give 'pick' and a 'value' per choice)") }
                }
                if Set(choices.map { $0.text.lowercased() }).count != choices.count { throw fail(line, "exercise '\(id)': two choices have the same text") }
            case .shape:
                guard (answer == nil) != (model == nil) else { throw fail(line, "exercise '\(id)': a shape exercise needs 'answer' (a node of the program) or 'model' (a preset, with 'layer'), not both") }
            case .count:
                guard model != nil else { throw fail(line, "exercise '\(id)': a count exercise needs 'model', a preset of 'backprop summary'") }
            case .graph:
                guard !hide.isEmpty else { throw fail(line, "exercise '\(id)': a graph exercise needs 'hide', the values and gradients to blank out") }
            }
        }
    }
}
