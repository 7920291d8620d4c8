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
        /// Every mistake names `file:line:column` (`SectionReader`).
        init(_ table: TOMLTable, file: String, lines: [String]) throws(WorkbenchFailure) {
            let reader = SectionReader(file: file, lines: lines)
            let line = reader.header("[gradcam]", after: 0) ?? 1
            try reader.checkKeys(table, allowed: GradCAM.keys, section: "[gradcam]", line: line)
            guard let data = try reader.string(table, "data", line: line) else { throw reader.fail(nil, after: line, "[gradcam] needs 'data', the image set to train on (digits or mnist)") }
            guard ["digits", "mnist"].contains(data) else { throw reader.fail("data", after: line, "'data' must be an image set: digits or mnist") }
            self.data = data
            guard let image = try reader.whole(table, "image", line: line, in: 0...1_000_000) else { throw reader.fail(nil, after: line, "[gradcam] needs 'image', the held-out image counted from 0") }
            self.image = image
            other = try reader.whole(table, "other", line: line, in: 0...9)
            seed = UInt64(try reader.whole(table, "seed", line: line, in: 0...Int(Int32.max)) ?? 1)
            self.line = line

            let directory = (file as NSString).deletingLastPathComponent
            var models: [Model] = []
            var modelLine = line
            for item in table["model"]?.array ?? [] {
                modelLine = reader.header("[[gradcam.model]]", after: modelLine) ?? modelLine
                guard let entry = item.table else { throw reader.fail(nil, after: modelLine, "each [[gradcam.model]] must be a table") }
                try reader.checkKeys(entry, allowed: GradCAM.modelKeys, section: "[[gradcam.model]]", line: modelLine)
                guard let name = try reader.string(entry, "file", line: modelLine) else { throw reader.fail(nil, after: modelLine, "[[gradcam.model]] needs 'file', a model file (docs/models.md)") }
                let path = name.hasPrefix("/") || directory.isEmpty ? name : directory + "/" + name
                let spec = try ModelFile(file: path).spec
                let optimizerName = try reader.string(entry, "optimizer", line: modelLine) ?? "sgd"
                guard let optimizer = Trainer.Optimizer(rawValue: optimizerName) else {
                    throw reader.fail("optimizer", after: modelLine, "'optimizer' must be " + Trainer.Optimizer.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
                }
                guard let rate = try reader.number(entry, "rate", line: modelLine), rate > 0 else { throw reader.fail("rate", after: modelLine, "[[gradcam.model]] needs a positive 'rate', the learning rate") }
                let momentum = try reader.number(entry, "momentum", line: modelLine) ?? 0
                guard (0..<1).contains(momentum) else { throw reader.fail("momentum", after: modelLine, "'momentum' must be at least 0 and less than 1") }
                let epochs = try reader.whole(entry, "epochs", line: modelLine, in: 1...1000) ?? 1
                let fullEpochs = try reader.whole(entry, "full_epochs", line: modelLine, in: 1...1000) ?? epochs
                guard fullEpochs >= epochs else { throw reader.fail("full_epochs", after: modelLine, "'full_epochs' must be at least 'epochs'") }
                models.append(Model(file: name, path: path, spec: spec, optimizer: optimizer, rate: rate, momentum: momentum,
                                    batch: try reader.whole(entry, "batch", line: modelLine, in: 1...65_536) ?? 32, epochs: epochs, fullEpochs: fullEpochs,
                                    why: try reader.string(entry, "why", line: modelLine), line: modelLine))
            }
            guard !models.isEmpty else { throw reader.fail(nil, after: line, "[gradcam] needs at least one [[gradcam.model]]") }
            self.models = models

            var checks: [Check] = []
            var checkLine = line
            for item in table["check"]?.array ?? [] {
                checkLine = reader.header("[[gradcam.check]]", after: checkLine) ?? checkLine
                guard let entry = item.table else { throw reader.fail(nil, after: checkLine, "each [[gradcam.check]] must be a table") }
                try reader.checkKeys(entry, allowed: GradCAM.checkKeys, section: "[[gradcam.check]]", line: checkLine)
                guard let model = try reader.whole(entry, "model", line: checkLine, in: 1...models.count) else {
                    throw reader.fail(nil, after: checkLine, "[[gradcam.check]] needs 'model', 1 to \(models.count) in the order of [[gradcam.model]]")
                }
                guard let text = try reader.string(entry, "quantity", line: checkLine) else { throw reader.fail(nil, after: checkLine, "[[gradcam.check]] needs 'quantity'") }
                guard let quantity = Quantity(rawValue: text) else {
                    throw reader.fail("quantity", after: checkLine, "unknown quantity '\(text)'; use " + Quantity.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))
                }
                let atLeast = try reader.number(entry, "at_least", line: checkLine)
                let tolerance = try reader.number(entry, "tolerance", line: checkLine)
                switch quantity {
                case .heldOutAccuracy:
                    guard let atLeast, (0...100).contains(atLeast) else { throw reader.fail(nil, after: checkLine, "'held-out accuracy' needs 'at_least', a percentage from 0 to 100") }
                    if tolerance != nil { throw reader.fail("tolerance", after: checkLine, "'held-out accuracy' is a bar: give 'at_least', not 'tolerance'") }
                case .alpha, .cam:
                    if atLeast != nil { throw reader.fail("at_least", after: checkLine, "'\(text)' compares two computations: give 'tolerance', not 'at_least'") }
                    if let tolerance, tolerance < 0 { throw reader.fail("tolerance", after: checkLine, "'tolerance' must be 0 or more") }
                }
                if quantity == .cam, GradCAMRun.gapHead(of: models[model - 1].spec) == nil {
                    throw reader.fail("quantity", after: checkLine, "'cam' needs a head of global average pooling and one linear layer after the last convolution's feature maps; model \(model) (\(models[model - 1].file)) has another")
                }
                checks.append(Check(model: model, quantity: quantity, atLeast: atLeast, tolerance: tolerance ?? 1e-9,
                                    why: try reader.string(entry, "why", line: checkLine), line: checkLine))
            }
            self.checks = checks
        }
    }
}
