import Autograd
import Datasets
import Foundation
import NeuralNetworks
import TOMLKit
import Support
import Claims
import ModelFiles

extension Lesson {
    /// `[model]`: one of the notes' models (a preset of `backprop summary`), trained on a shipped data
    /// set by the workbench's trainer, and `[[model.check]]`s of its figures: parameter counts and
    /// output shapes from the model's summary, and the run's held-out accuracy and losses.
    public struct Model: Sendable {
        /// What a `[[model.check]]` checks.
        public enum Quantity: Sendable, Equatable {
            /// All parameters, or one layer's (numbered from 1 as `backprop summary` prints them).
            case parameters(layer: Int?)
            /// A linear or convolution layer's weights, or its biases.
            case weights(layer: Int), biases(layer: Int)
            /// A layer's output shape, or the model's (its last layer's).
            case outputShape(layer: Int?)
            /// The trained model on the held-out part, in percent and as the mean cross-entropy.
            case heldOutAccuracy, heldOutLoss
            /// The mean cross-entropy of the last training epoch.
            case trainingLoss

            /// Whether the figure comes from the training run (not from the summary).
            public var needsTraining: Bool { [.heldOutAccuracy, .heldOutLoss, .trainingLoss].contains(self) }
        }

        /// What the figure must be.
        public enum Expected: Sendable, Equatable {
            /// A count, exactly.
            case count(Int)
            /// A shape, exactly.
            case shape([Int])
            /// At least this much: the quick run's bar (nil: not checked in the quick run) and the bar with `--full`.
            case atLeast(Double?, full: Double)
            /// At most this much.
            case atMost(Double?, full: Double)

            /// The bar of a run (nil for an exact figure, or a bar the run does not check).
            func bar(full isFull: Bool) -> Double? {
                switch self {
                case .count, .shape: nil
                case .atLeast(let quick, let full), .atMost(let quick, let full): isFull ? full : quick
                }
            }
        }

        /// One `[[model.check]]`.
        public struct Check: Sendable {
            /// The quantity as written, e.g. `parameters of layer 2`.
            public let quantity: String
            public let what: Quantity
            public let expected: Expected
            /// Compare a `[C, H, W]` shape as Keras prints it, channels last: `[H, W, C]`.
            public let channelsLast: Bool
            public internal(set) var why: String?
            public let line: Int
            /// False for a count or shape the notes do not print: shown as ours, against the summary.
            public var printed = true
        }

        /// The preset's name (`backprop summary NAME`).
        public let preset: String
        /// The shipped data set, or nil for a lesson about the architecture alone.
        public let data: String?
        /// Epochs of the quick run (the default) and of `--full`.
        public let epochs: Int, fullEpochs: Int
        /// The quick run trains on the first `limit` training examples and evaluates the first
        /// `testLimit` held-out ones (nil: all); `--full` uses all of both.
        public let limit: Int?, testLimit: Int?
        public let batch: Int
        public let rate: Double, momentum: Double
        public let optimizer: Trainer.Optimizer
        public let seed: UInt64
        public internal(set) var why: String?
        public let checks: [Check]
        /// The line of `[model]`.
        public let line: Int

        static let keys = ["preset", "data", "epochs", "full_epochs", "limit", "test_limit", "batch", "rate", "momentum", "optimizer", "seed", "why", "check"]
        static let checkKeys = ["quantity", "notes", "at_least", "full_at_least", "at_most", "full_at_most", "channels_last", "why", "printed"]

        /// Reads `[model]` from a lesson's table. Every mistake names `file:line:column`.
        init(_ table: TOMLTable, file: String, lines: [String]) throws(WorkbenchFailure) {
            let reader = SectionReader(file: file, lines: lines)
            let line = reader.header("[model]", after: 0) ?? 1
            try reader.checkKeys(table, allowed: Model.keys, section: "[model]", line: line)
            guard let preset = try reader.string(table, "preset", line: line) else { throw reader.fail(nil, after: line, "[model] needs 'preset', a model of 'backprop summary'") }
            guard let spec = ModelSpec.preset(named: preset) else {
                let names = ModelSpec.presets.map(\.name)
                let close = names.min { editDistance(preset, $0) < editDistance(preset, $1) }.flatMap { editDistance(preset, $0) <= 3 ? $0 : nil }
                throw reader.fail("preset", after: line, "unknown model '\(preset)'" + (close.map { "; did you mean '\($0)'?" } ?? "; the models are " + names.joined(separator: ", ")))
            }
            let rows: [ModelSpec.Row]
            do { rows = try spec.summary() } catch { throw reader.fail("preset", after: line, "model '\(preset)': \(error)") }
            self.preset = preset
            self.data = try reader.string(table, "data", line: line)
            if let data, !TrainingData.names.contains(data) {
                throw reader.fail("data", after: line, "unknown data set '\(data)'; use " + TrainingData.names.joined(separator: ", "))
            }
            let trainingKeys = ["epochs", "full_epochs", "limit", "test_limit", "batch", "rate", "momentum", "optimizer", "seed"]
            if data == nil, let key = trainingKeys.first(where: { table[$0] != nil }) {
                throw reader.fail(key, after: line, "'\(key)' needs 'data': the data set to train on")
            }
            epochs = try reader.whole(table, "epochs", line: line, in: 1...10_000) ?? 1
            fullEpochs = try reader.whole(table, "full_epochs", line: line, in: 1...10_000) ?? epochs
            if fullEpochs < epochs { throw reader.fail("full_epochs", after: line, "'full_epochs' must be at least 'epochs'") }
            limit = try reader.whole(table, "limit", line: line, in: 1...10_000_000)
            testLimit = try reader.whole(table, "test_limit", line: line, in: 1...10_000_000)
            batch = try reader.whole(table, "batch", line: line, in: 1...65_536) ?? 32
            let rate = try reader.number(table, "rate", line: line)
            if data != nil, rate == nil { throw reader.fail(nil, after: line, "[model] needs 'rate', the learning rate, to train") }
            if let rate, rate <= 0 { throw reader.fail("rate", after: line, "'rate' must be positive") }
            self.rate = rate ?? 0
            momentum = try reader.number(table, "momentum", line: line) ?? 0
            if !(0..<1).contains(momentum) { throw reader.fail("momentum", after: line, "'momentum' must be at least 0 and less than 1") }
            let optimizerName = try reader.string(table, "optimizer", line: line) ?? "sgd"
            guard let optimizer = Trainer.Optimizer(rawValue: optimizerName) else { throw reader.fail("optimizer", after: line, "'optimizer' must be \"sgd\" or \"adam\"") }
            if optimizer == .adam, table["momentum"] != nil { throw reader.fail("momentum", after: line, "'momentum' is for \"sgd\"; Adam has its own moments") }
            self.optimizer = optimizer
            seed = UInt64(try reader.whole(table, "seed", line: line, in: 0...Int(Int32.max)) ?? 1)
            why = try reader.string(table, "why", line: line)
            self.line = line

            var checks: [Check] = []
            var checkLine = line
            for item in table["check"]?.array ?? [] {
                checkLine = reader.header("[[model.check]]", after: checkLine) ?? checkLine
                guard let entry = item.table else { throw reader.fail(nil, after: checkLine, "each [[model.check]] must be a table") }
                try reader.checkKeys(entry, allowed: Model.checkKeys, section: "[[model.check]]", line: checkLine)
                guard let quantity = try reader.string(entry, "quantity", line: checkLine) else { throw reader.fail(nil, after: checkLine, "[[model.check]] needs 'quantity'") }
                let what = try Model.parse(quantity, rows: rows) { reader.fail("quantity", after: checkLine, $0) }
                if what.needsTraining && data == nil { throw reader.fail("quantity", after: checkLine, "'\(quantity)' needs 'data' in [model]: a figure of the training run") }
                let given = ["notes", "at_least", "at_most", "full_at_least", "full_at_most"].filter { entry[$0] != nil }
                let kinds = Set(given.map { $0.replacingOccurrences(of: "full_", with: "") })
                guard kinds.count == 1 else { throw reader.fail(nil, after: checkLine, "[[model.check]] '\(quantity)' needs one of 'notes' (an exact count or shape), 'at_least' or 'at_most' (a bar for the run, with 'full_at_least' or 'full_at_most' for --full)") }
                let expected: Expected
                switch what {
                case .parameters, .weights, .biases, .outputShape:
                    guard given == ["notes"] else { throw reader.fail(given[0], after: checkLine, "'\(quantity)' is exact: give 'notes', the figure the notes print") }
                    if case .outputShape = what {
                        guard let array = entry["notes"]?.array, !array.isEmpty, array.count <= 8,
                              case let dimensions = array.compactMap(\.int), dimensions.count == array.count, dimensions.allSatisfy({ $0 > 0 }) else {
                            throw reader.fail("notes", after: checkLine, "'notes' of an output shape must be an array of positive whole numbers, e.g. [28, 28, 8]")
                        }
                        expected = .shape(dimensions)
                    } else {
                        guard let count = entry["notes"]?.int, count >= 0 else { throw reader.fail("notes", after: checkLine, "'notes' of a parameter count must be a whole number") }
                        expected = .count(count)
                    }
                case .heldOutAccuracy, .heldOutLoss, .trainingLoss:
                    guard given != ["notes"] else { throw reader.fail("notes", after: checkLine, "'\(quantity)' depends on the run: give 'at_least' or 'at_most', a bar it must clear") }
                    // `at_least` is the quick run's bar and, unless `full_at_least` is given, the full run's.
                    let key = kinds.first!, quick = try reader.number(entry, key, line: checkLine)
                    let full = try reader.number(entry, "full_" + key, line: checkLine) ?? quick!
                    if what == .heldOutAccuracy, !(0...100).contains(quick ?? 0) || !(0...100).contains(full) {
                        throw reader.fail(entry[key] != nil ? key : "full_" + key, after: checkLine, "an accuracy is a percentage, 0 to 100")
                    }
                    expected = key == "at_least" ? .atLeast(quick, full: full) : .atMost(quick, full: full)
                }
                let channelsLast = entry["channels_last"]?.bool ?? false
                if entry["channels_last"] != nil {
                    guard entry["channels_last"]?.bool != nil else { throw reader.fail("channels_last", after: checkLine, "'channels_last' must be true or false") }
                    guard case .outputShape = what else { throw reader.fail("channels_last", after: checkLine, "'channels_last' is for an output shape") }
                }
                var check = Check(quantity: quantity, what: what, expected: expected, channelsLast: channelsLast,
                                  why: try reader.string(entry, "why", line: checkLine), line: checkLine)
                if let printed = entry["printed"] {
                    guard let flag = printed.bool else { throw reader.fail("printed", after: checkLine, "'printed' must be true or false") }
                    check.printed = flag
                }
                checks.append(check)
            }
            self.checks = checks
        }

        /// `parameters`, `parameters of layer N`, `weights of layer N`, `biases of layer N`,
        /// `output shape`, `output shape of layer N`, `held-out accuracy`, `held-out loss`, `training loss`.
        public static func parse(_ text: String, rows: [ModelSpec.Row], fail: (String) -> WorkbenchFailure) throws(WorkbenchFailure) -> Quantity {
            let words = text.split(separator: " ").map(String.init)
            var layer: Int? = nil
            var head = words
            if words.count >= 3, words[words.count - 3] == "of", words[words.count - 2] == "layer" {
                guard let number = Int(words.last!), number >= 1 else { throw fail("'\(text)': a layer is a whole number from 1, as 'backprop summary' numbers them") }
                guard number <= rows.count else { throw fail("'\(text)': the model has \(rows.count) layers") }
                layer = number
                head = Array(words.dropLast(3))
            }
            switch (head.joined(separator: " "), layer) {
            case ("parameters", _): return .parameters(layer: layer)
            case ("output shape", _): return .outputShape(layer: layer)
            case ("weights", let layer?), ("biases", let layer?):
                guard rows[layer - 1].parameterShapes != nil else {
                    throw fail("'\(text)': layer \(layer) is \(rows[layer - 1].layer.typeName), which has no weights or biases")
                }
                return head == ["weights"] ? .weights(layer: layer) : .biases(layer: layer)
            case ("held-out accuracy", nil): return .heldOutAccuracy
            case ("held-out loss", nil): return .heldOutLoss
            case ("training loss", nil): return .trainingLoss
            default:
                throw fail("unknown quantity '\(text)'; use parameters, parameters of layer N, weights of layer N, biases of layer N, output shape, output shape of layer N, held-out accuracy, held-out loss or training loss")
            }
        }
    }
}
