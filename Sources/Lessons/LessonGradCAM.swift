import Foundation
import NeuralNetworks
import TOMLKit
import Support
import ModelFiles

extension Lesson {
    /// `[gradcam]`: small CNNs (model files, docs/models.md) that the lesson trains on a shipped
    /// image set, then Grad-CAM (Selvaraju et al., ICCV 2017) of one held-out image for two classes,
    /// the predicted one and another, with checks that hold what the engine computes to an
    /// independent computation. The format is in docs/lesson-format.md; the run is `GradCAMRun`.
    public struct GradCAM: Sendable {
        /// One CNN: its model file and how it is trained.
        public struct Model: Sendable {
            /// The model file, relative to the lesson file's directory, as written.
            public let file: String
            /// The model file's path as read.
            public let path: String
            public let spec: ModelSpec
            public let optimizer: Trainer.Optimizer
            public let rate: Double, momentum: Double
            public let batch: Int
            /// Epochs of the quick run and of `--full`.
            public let epochs: Int, fullEpochs: Int
            public let why: String?
            public let line: Int
        }

        /// What a `[[gradcam.check]]` holds.
        public enum Quantity: String, Sendable, CaseIterable {
            /// The model's held-out accuracy, in percent, against a bar (`at_least`).
            case heldOutAccuracy = "held-out accuracy"
            /// α by backward against α from central differences of y_c over A (forward passes only).
            case alpha
            /// For a GAP + linear head: Grad-CAM's α and map against CAM's weights w_kc / Z and map.
            case cam
        }

        public struct Check: Sendable {
            /// The model it is about, numbered from 1 in file order.
            public let model: Int
            public let quantity: Quantity
            /// The bar of `held-out accuracy`.
            public let atLeast: Double?
            /// The largest difference that agrees, for `alpha` and `cam`.
            public let tolerance: Double
            public let why: String?
            public let line: Int
        }

        /// The shipped data set (its images are the models' input).
        public let data: String
        /// The held-out image, counted from 0.
        public let image: Int
        /// The second class explained; nil: the runner-up (the second-highest score) of each model.
        public let other: Int?
        public let seed: UInt64
        public let models: [Model]
        public let checks: [Check]
        public let line: Int

        static let keys = ["data", "image", "other", "seed", "model", "check"]
        static let modelKeys = ["file", "optimizer", "rate", "momentum", "batch", "epochs", "full_epochs", "why"]
        static let checkKeys = ["model", "quantity", "at_least", "tolerance", "why"]

        /// Reads `[gradcam]`; model files are read relative to the lesson file's directory.
        /// Every mistake names `file:line`.
        init(_ table: TOMLTable, file: String, lines: [String]) throws(WorkbenchFailure) {
            func header(_ text: String, after: Int) -> Int? {
                lines.indices.first { $0 >= after && lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix(text) }.map { $0 + 1 }
            }
            let line = header("[gradcam]", after: 0) ?? 1
            func keyLine(_ key: String, after: Int) -> Int {
                for index in lines.indices where index >= after - 1 {
                    let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
                    if trimmed.hasPrefix(key + " ") || trimmed.hasPrefix(key + "=") { return index + 1 }
                }
                return after
            }
            func fail(_ key: String?, after: Int, _ message: String) -> WorkbenchFailure {
                .badInput(message, at: SourceLocation(file: file, line: key.map { keyLine($0, after: after) } ?? after))
            }
            func checkKeys(_ table: TOMLTable, allowed: [String], section: String, line: Int) throws(WorkbenchFailure) {
                for key in table.keys.sorted() where !allowed.contains(key) {
                    let suggestion = allowed.min { editDistance(key, $0) < editDistance(key, $1) }.flatMap { editDistance(key, $0) <= 2 ? $0 : nil }
                    throw fail(key, after: line, "unknown key '\(key)' in \(section)" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; known keys: " + allowed.joined(separator: ", ")))
                }
            }
            func string(_ table: TOMLTable, _ key: String, line: Int) throws(WorkbenchFailure) -> String? {
                guard let value = table[key] else { return nil }
                guard let text = value.string else { throw fail(key, after: line, "'\(key)' must be a string") }
                return text
            }
            func number(_ table: TOMLTable, _ key: String, line: Int) throws(WorkbenchFailure) -> Double? {
                guard let value = table[key] else { return nil }
                if let int = value.int { return Double(int) }
                guard let double = value.double, double.isFinite else { throw fail(key, after: line, "'\(key)' must be a number") }
                return double
            }
            func whole(_ table: TOMLTable, _ key: String, line: Int, in range: ClosedRange<Int>) throws(WorkbenchFailure) -> Int? {
                guard let value = table[key] else { return nil }
                guard let int = value.int, range.contains(int) else {
                    throw fail(key, after: line, "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
                return int
            }

            try checkKeys(table, allowed: GradCAM.keys, section: "[gradcam]", line: line)
            guard let data = try string(table, "data", line: line) else { throw fail(nil, after: line, "[gradcam] needs 'data', the image set to train on (digits or mnist)") }
            guard ["digits", "mnist"].contains(data) else { throw fail("data", after: line, "'data' must be an image set: digits or mnist") }
            self.data = data
            guard let image = try whole(table, "image", line: line, in: 0...1_000_000) else { throw fail(nil, after: line, "[gradcam] needs 'image', the held-out image counted from 0") }
            self.image = image
            other = try whole(table, "other", line: line, in: 0...9)
            seed = UInt64(try whole(table, "seed", line: line, in: 0...Int(Int32.max)) ?? 1)
            self.line = line

            let directory = (file as NSString).deletingLastPathComponent
            var models: [Model] = []
            var modelLine = line
            for item in table["model"]?.array ?? [] {
                modelLine = header("[[gradcam.model]]", after: modelLine) ?? modelLine
                guard let entry = item.table else { throw fail(nil, after: modelLine, "each [[gradcam.model]] must be a table") }
                try checkKeys(entry, allowed: GradCAM.modelKeys, section: "[[gradcam.model]]", line: modelLine)
                guard let name = try string(entry, "file", line: modelLine) else { throw fail(nil, after: modelLine, "[[gradcam.model]] needs 'file', a model file (docs/models.md)") }
                let path = name.hasPrefix("/") || directory.isEmpty ? name : directory + "/" + name
                let spec = try ModelFile(file: path).spec
                let optimizerName = try string(entry, "optimizer", line: modelLine) ?? "sgd"
                guard let optimizer = Trainer.Optimizer(rawValue: optimizerName) else {
                    throw fail("optimizer", after: modelLine, "'optimizer' must be " + Trainer.Optimizer.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
                }
                guard let rate = try number(entry, "rate", line: modelLine), rate > 0 else { throw fail("rate", after: modelLine, "[[gradcam.model]] needs a positive 'rate', the learning rate") }
                let momentum = try number(entry, "momentum", line: modelLine) ?? 0
                guard (0..<1).contains(momentum) else { throw fail("momentum", after: modelLine, "'momentum' must be at least 0 and less than 1") }
                let epochs = try whole(entry, "epochs", line: modelLine, in: 1...1000) ?? 1
                let fullEpochs = try whole(entry, "full_epochs", line: modelLine, in: 1...1000) ?? epochs
                guard fullEpochs >= epochs else { throw fail("full_epochs", after: modelLine, "'full_epochs' must be at least 'epochs'") }
                models.append(Model(file: name, path: path, spec: spec, optimizer: optimizer, rate: rate, momentum: momentum,
                                    batch: try whole(entry, "batch", line: modelLine, in: 1...65_536) ?? 32, epochs: epochs, fullEpochs: fullEpochs,
                                    why: try string(entry, "why", line: modelLine), line: modelLine))
            }
            guard !models.isEmpty else { throw fail(nil, after: line, "[gradcam] needs at least one [[gradcam.model]]") }
            self.models = models

            var checks: [Check] = []
            var checkLine = line
            for item in table["check"]?.array ?? [] {
                checkLine = header("[[gradcam.check]]", after: checkLine) ?? checkLine
                guard let entry = item.table else { throw fail(nil, after: checkLine, "each [[gradcam.check]] must be a table") }
                try checkKeys(entry, allowed: GradCAM.checkKeys, section: "[[gradcam.check]]", line: checkLine)
                guard let model = try whole(entry, "model", line: checkLine, in: 1...models.count) else {
                    throw fail(nil, after: checkLine, "[[gradcam.check]] needs 'model', 1 to \(models.count) in the order of [[gradcam.model]]")
                }
                guard let text = try string(entry, "quantity", line: checkLine) else { throw fail(nil, after: checkLine, "[[gradcam.check]] needs 'quantity'") }
                guard let quantity = Quantity(rawValue: text) else {
                    throw fail("quantity", after: checkLine, "unknown quantity '\(text)'; use " + Quantity.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))
                }
                let atLeast = try number(entry, "at_least", line: checkLine)
                let tolerance = try number(entry, "tolerance", line: checkLine)
                switch quantity {
                case .heldOutAccuracy:
                    guard let atLeast, (0...100).contains(atLeast) else { throw fail(nil, after: checkLine, "'held-out accuracy' needs 'at_least', a percentage from 0 to 100") }
                    if tolerance != nil { throw fail("tolerance", after: checkLine, "'held-out accuracy' is a bar: give 'at_least', not 'tolerance'") }
                case .alpha, .cam:
                    if atLeast != nil { throw fail("at_least", after: checkLine, "'\(text)' compares two computations: give 'tolerance', not 'at_least'") }
                    if let tolerance, tolerance < 0 { throw fail("tolerance", after: checkLine, "'tolerance' must be 0 or more") }
                }
                if quantity == .cam, GradCAMRun.gapHead(of: models[model - 1].spec) == nil {
                    throw fail("quantity", after: checkLine, "'cam' needs a head of global average pooling and one linear layer after the last convolution's feature maps; model \(model) (\(models[model - 1].file)) has another")
                }
                checks.append(Check(model: model, quantity: quantity, atLeast: atLeast, tolerance: tolerance ?? 1e-9,
                                    why: try string(entry, "why", line: checkLine), line: checkLine))
            }
            self.checks = checks
        }
    }
}
